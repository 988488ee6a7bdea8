// The Outpaint tab: one picture, the new canvas (aspect presets 16:9, 9:16, 4:3, 21:9, or custom
// W:H, WxH or L,T,R,B), the sides it may grow towards, the fill and its settings, a live preview
// of the new canvas with the original outlined, and the run through the job API ("kind":
// "outpaint") with progress, the result (original outlined again) and its download.
import { parseCanvasAsk, planCanvas } from './canvas_plan.js';
import { cancelJob, createUploadJob, followJob } from './jobs_client.js';
import { initDropzone } from './dropzone.js';
import { showProgress } from './progress_view.js';

const $ = (id) => document.getElementById(id);
const SIDES = ['left', 'right', 'up', 'down'];
const PREVIEW_MAX = { width: 480, height: 360 };
const OUTLINE_COLOR = '#f97316';  // the page's accent
const NEW_AREA_COLORS = ['#262a33', '#323844'];  // hatch of the part the fill will make

// Used when the server's table is missing (an older server): the same names it would send.
const FALLBACK_ENGINES = [{ name: 'patchmatch', label: 'PatchMatch' }, { name: 'edge', label: 'Edge' },
                          { name: 'mirror', label: 'Mirror' }, { name: 'color', label: 'Color' }];

export function initOutpaintTab(table) {
  const options = Object.fromEntries(((table && table.options) || []).map((o) => [o.name, o]));
  const state = { file: null, url: null, image: null, preset: '16:9', jobId: null };

  function fillEngines() {
    const select = $('outpaint-fill');
    const engines = (table && table.fill_engines) || FALLBACK_ENGINES;
    select.replaceChildren(...engines.map((e) => new Option(e.label, e.name)));
    select.value = (options.outpaint_fill && options.outpaint_fill.default) || 'patchmatch';
    if (options.outpaint_fill) select.title = options.outpaint_fill.help;
    for (const [name, id] of [['outpaint_mask_blur', 'outpaint-mask-blur'], ['outpaint_seed', 'outpaint-seed']]) {
      if (!options[name]) continue;
      $(id).title = options[name].help;
      if (options[name].default !== '') $(id).value = options[name].default;
    }
  }

  // The canvas ask now chosen; throws Error for a custom text that is not one.
  function currentAsk() {
    if (state.preset !== 'custom') return parseCanvasAsk(state.preset);
    const text = $('outpaint-custom').value;
    if (!text.trim()) throw new Error('Type the custom canvas: W:H, WxH or L,T,R,B.');
    return parseCanvasAsk(text);
  }

  function directions() {
    return Object.fromEntries(SIDES.map((side) => [side, $(`outpaint-dir-${side}`).checked]));
  }

  function drawHatch(ctx, width, height) {
    ctx.fillStyle = NEW_AREA_COLORS[0];
    ctx.fillRect(0, 0, width, height);
    ctx.strokeStyle = NEW_AREA_COLORS[1];
    ctx.lineWidth = 4;
    ctx.beginPath();
    for (let d = -height; d < width; d += 14) {
      ctx.moveTo(d, height);
      ctx.lineTo(d + height, 0);
    }
    ctx.stroke();
  }

  // Draws the new canvas scaled into the preview box: the new area hatched, the picture where it
  // will sit, outlined. The plan is also kept on the element (data-*) for scripts and tests.
  function drawPreview() {
    const canvas = $('outpaint-preview');
    const info = $('outpaint-plan');
    let ask = null;
    let plan = null;
    let problem = '';
    try {
      ask = currentAsk();
      $('outpaint-directions').disabled = ask.mode === 'expand';
      if (state.image) plan = planCanvas(state.image.naturalWidth, state.image.naturalHeight, ask, directions());
    } catch (error) {
      problem = error.message;
    }
    let frame = { width: 16, height: 9 };
    if (plan) frame = plan;
    else if (ask && ask.mode === 'aspect') frame = { width: ask.ratio, height: 1 };
    else if (ask && ask.mode === 'size') frame = ask;
    const scale = Math.min(PREVIEW_MAX.width / frame.width, PREVIEW_MAX.height / frame.height);
    canvas.width = Math.max(1, Math.round(frame.width * scale));
    canvas.height = Math.max(1, Math.round(frame.height * scale));
    const ctx = canvas.getContext('2d');
    drawHatch(ctx, canvas.width, canvas.height);
    for (const key of Object.keys(canvas.dataset)) delete canvas.dataset[key];
    if (plan) {
      const o = plan.original;
      const box = [o.x * scale, o.y * scale, o.width * scale, o.height * scale];
      ctx.drawImage(state.image, ...box);
      ctx.strokeStyle = OUTLINE_COLOR;
      ctx.lineWidth = 2;
      ctx.strokeRect(box[0] + 1, box[1] + 1, Math.max(0, box[2] - 2), Math.max(0, box[3] - 2));
      Object.assign(canvas.dataset, { canvasWidth: plan.width, canvasHeight: plan.height, originalX: o.x,
                                      originalY: o.y, originalWidth: o.width, originalHeight: o.height, scale });
      const added = [o.x, o.y, plan.width - o.x - o.width, plan.height - o.y - o.height];
      info.textContent = `${o.width}x${o.height} → ${plan.width}x${plan.height}` +
        (added.every((px) => px === 0) ? '  (already this shape: nothing to add)'
          : `  (+${added[0]} left, +${added[1]} top, +${added[2]} right, +${added[3]} bottom)`);
    } else {
      info.textContent = problem || 'Choose a picture to see its new canvas.';
    }
    info.classList.toggle('error', Boolean(problem));
    $('outpaint-run').dataset.planned = plan ? 'true' : 'false';
  }

  function setPicture(file) {
    if (state.url) URL.revokeObjectURL(state.url);
    state.file = file;
    state.url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => {
      state.image = image;
      drawPreview();
    };
    image.onerror = () => setMessage(`${file.name || 'the picture'}: this browser cannot show it`, true);
    image.src = state.url;
    $('outpaint-name').textContent = file.name || 'pasted picture';
    $('outpaint-drop').classList.add('filled');
  }

  function setMessage(text, isError = false) {
    $('outpaint-message').textContent = text;
    $('outpaint-message').classList.toggle('error', isError);
  }

  function jobOptions() {
    const ask = currentAsk();
    const out = {
      [ask.field]: ask.text,
      outpaint_fill: $('outpaint-fill').value,
      outpaint_mask_blur: Number($('outpaint-mask-blur').value),
      outpaint_seed: Number($('outpaint-seed').value),
    };
    if (ask.mode !== 'expand') out.outpaint_directions = SIDES.filter((side) => directions()[side]).join(',');
    if (out.outpaint_fill === 'color' && $('outpaint-color-use').checked) {
      out.outpaint_color = $('outpaint-color').value.replace('#', '');
    }
    return out;
  }

  // Where the original sits in the result, from the infotext the server wrote (its own plan).
  function showOutline(result) {
    const outline = $('outpaint-result-outline');
    const m = /Postprocess outpaint expand: "?(\d+),(\d+),(\d+),(\d+)/.exec(result.infotext || '');
    outline.hidden = !m || !$('outpaint-show-outline').checked;
    if (!m) return;
    const [left, top, right, bottom] = m.slice(1).map(Number);
    Object.assign(outline.style, {
      left: `${(100 * left) / result.width}%`,
      top: `${(100 * top) / result.height}%`,
      width: `${(100 * (result.width - left - right)) / result.width}%`,
      height: `${(100 * (result.height - top - bottom)) / result.height}%`,
    });
  }

  function showResult(job) {
    const result = job.results.find((r) => r.url);
    $('outpaint-output').hidden = !result;
    if (!result) return;
    $('outpaint-result').src = result.url;
    const download = $('outpaint-download');
    download.href = result.url;
    download.download = `${result.name.replace(/\.[^.]*$/, '') || 'image'}-upres.png`;  // as the server's Content-Disposition names it
    $('outpaint-info').textContent = `${result.width}x${result.height}  ${result.infotext}` +
      (result.saved_path ? `\nsaved: ${result.saved_path}` : '');
    $('outpaint-output').dataset.result = JSON.stringify(result);
    showOutline(result);
  }

  function describeEnd(job) {
    if (job.state === 'done') return [`Done: ${job.results[0].width}x${job.results[0].height}.`, false];
    if (job.state === 'cancelled') return ['Interrupted.', false];
    const failure = job.error || (job.failures[0] || {});
    return [`Failed: ${failure.detail || 'unknown error'}`, true];
  }

  async function run() {
    $('outpaint-run').disabled = true;
    $('outpaint-interrupt').disabled = false;
    $('outpaint-output').hidden = true;
    setMessage('');
    try {
      if (!state.file) throw new Error('Choose, drop or paste a picture first.');
      const job = await createUploadJob([state.file], jobOptions(), 'outpaint');
      state.jobId = job.id;
      const progress = (update) => showProgress($('outpaint-progress'), update);
      progress(job);
      const final = await followJob(job.id, progress);
      showResult(final);
      setMessage(...describeEnd(final));
    } catch (error) {
      setMessage(error.message, true);
    } finally {
      state.jobId = null;
      $('outpaint-run').disabled = false;
      $('outpaint-interrupt').disabled = true;
    }
  }

  function initControls() {
    const presets = document.querySelectorAll('#outpaint-presets .tab');
    presets.forEach((tab) => tab.addEventListener('click', () => {
      state.preset = tab.dataset.ask;
      presets.forEach((t) => t.classList.toggle('active', t === tab));
      $('outpaint-custom-field').hidden = state.preset !== 'custom';
      if (state.preset === 'custom') $('outpaint-custom').focus();
      drawPreview();
    }));
    $('outpaint-custom').addEventListener('input', drawPreview);
    SIDES.forEach((side) => $(`outpaint-dir-${side}`).addEventListener('change', drawPreview));
    const showColor = () => {
      $('outpaint-color-row').hidden = $('outpaint-fill').value !== 'color';
      const engine = $('outpaint-fill').value;
      $('outpaint-seed').disabled = engine !== 'patchmatch';
    };
    $('outpaint-fill').addEventListener('change', showColor);
    showColor();
    $('outpaint-file').addEventListener('change', (e) => { if (e.target.files[0]) setPicture(e.target.files[0]); });
    initDropzone($('outpaint-drop'), (files) => setPicture(files[0]));
    $('outpaint-run').addEventListener('click', run);
    $('outpaint-interrupt').addEventListener('click', () => { if (state.jobId) cancelJob(state.jobId); });
    $('outpaint-show-outline').addEventListener('change', () => {
      const shown = $('outpaint-output').dataset.result;
      if (shown) showOutline(JSON.parse(shown));
    });
  }

  fillEngines();
  initControls();
  if (options.outpaint_fill) $('outpaint-fill-help').textContent = options.outpaint_fill.help;
  drawPreview();
  return { setPicture };
}
