// The outpaint canvas plan in the page, for the live preview: the same rules as the server's
// src/outpaint/canvas_plan.cpp (the short side grows to the aspect; growth split evenly between
// the allowed sides, the odd pixel right or down), so the frame drawn is the picture the job makes.
// The browser test checks the two agree.

// Reads what the user typed as one canvas ask: "21:9" (aspect), "1920x1080" (exact size) or
// "64,0,64,0" / "32" (pixels per side: left, top, right, bottom). Throws Error with the reason.
export function parseCanvasAsk(text) {
  const t = String(text).trim().replace(/\s+/g, '');
  let m = t.match(/^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/);
  if (m) {
    const [w, h] = [Number(m[1]), Number(m[2])];
    if (!(w > 0 && h > 0)) throw new Error('aspect ratio must be two positive numbers, e.g. 16:9');
    return { mode: 'aspect', field: 'outpaint_aspect', text: `${m[1]}:${m[2]}`, ratio: w / h };
  }
  m = t.match(/^(\d+)[x×X](\d+)$/);
  if (m) {
    const [width, height] = [Number(m[1]), Number(m[2])];
    if (!(width > 0 && height > 0)) throw new Error('the size must be positive, e.g. 1920x1080');
    return { mode: 'size', field: 'outpaint_to', text: `${width}x${height}`, width, height };
  }
  m = t.match(/^(\d+)(?:,(\d+),(\d+),(\d+))?$/);
  if (m) {
    const sides = m[2] === undefined ? [m[1], m[1], m[1], m[1]] : m.slice(1, 5);
    const [left, top, right, bottom] = sides.map(Number);
    if (left + top + right + bottom === 0) throw new Error('expansion 0,0,0,0 adds nothing');
    return { mode: 'expand', field: 'outpaint_expand', text: sides.join(','), borders: { left, top, right, bottom } };
  }
  throw new Error(`"${text}" is not W:H (aspect), WxH (size) or L,T,R,B (pixels per side)`);
}

function splitGrowth(growth, firstAllowed, secondAllowed, axis) {
  if (growth === 0) return [0, 0];
  if (!firstAllowed && !secondAllowed) throw new Error(`the picture must grow ${axis} by ${growth} px, but no side that way is allowed`);
  if (firstAllowed && secondAllowed) return [Math.floor(growth / 2), growth - Math.floor(growth / 2)];
  return firstAllowed ? [growth, 0] : [0, growth];
}

// The canvas for a width x height picture: { width, height, original: {x, y, width, height} }.
// `directions` = { left, right, up, down } booleans (ignored for expand). Throws Error when the ask
// would shrink the picture or needs a side that is not allowed.
export function planCanvas(width, height, ask, directions) {
  let canvasWidth = width;
  let canvasHeight = height;
  if (ask.mode === 'expand') {
    const b = ask.borders;
    return { width: width + b.left + b.right, height: height + b.top + b.bottom,
             original: { x: b.left, y: b.top, width, height } };
  }
  if (ask.mode === 'aspect') {
    const current = width / height;
    if (current < ask.ratio) canvasWidth = Math.max(width, Math.round(height * ask.ratio));
    else if (current > ask.ratio) canvasHeight = Math.max(height, Math.round(width / ask.ratio));
  } else {
    if (ask.width < width || ask.height < height) {
      throw new Error(`${ask.text} is smaller than the picture (${width}x${height}): outpainting only adds pixels`);
    }
    canvasWidth = ask.width;
    canvasHeight = ask.height;
  }
  const [left] = splitGrowth(canvasWidth - width, directions.left, directions.right, 'wider');
  const [top] = splitGrowth(canvasHeight - height, directions.up, directions.down, 'taller');
  return { width: canvasWidth, height: canvasHeight, original: { x: left, y: top, width, height } };
}
