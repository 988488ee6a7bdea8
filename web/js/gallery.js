// Results: thumbnails in a gallery, and a before/after compare view with a slider and download.

const compare = () => document.getElementById('compare');

function setSplit(percent) {
  const before = document.getElementById('compare-before');
  before.style.clipPath = `inset(0 ${100 - percent}% 0 0)`;
  document.getElementById('compare-handle').style.left = `${percent}%`;
}

export function initCompare() {
  const slider = document.getElementById('compare-slider');
  slider.addEventListener('input', () => setSplit(Number(slider.value)));
  const box = document.getElementById('compare-box');
  const follow = (event) => {
    const rect = box.getBoundingClientRect();
    const percent = Math.round(Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width)) * 100);
    slider.value = percent;
    setSplit(percent);
  };
  box.addEventListener('pointerdown', (event) => {
    box.setPointerCapture(event.pointerId);
    follow(event);
  });
  box.addEventListener('pointermove', (event) => { if (box.hasPointerCapture(event.pointerId)) follow(event); });
  setSplit(Number(slider.value));
}

// result: one entry of job.results; beforeUrl: the original's object URL, or null.
function show(result, beforeUrl) {
  const after = document.getElementById('compare-after');
  const before = document.getElementById('compare-before');
  after.src = result.url;
  before.hidden = !beforeUrl;
  document.getElementById('compare-handle').hidden = !beforeUrl;
  document.getElementById('compare-slider').disabled = !beforeUrl;
  if (beforeUrl) before.src = beforeUrl;
  document.getElementById('compare-box').style.aspectRatio = `${result.width} / ${result.height}`;
  const download = document.getElementById('download');
  download.href = result.url;
  download.download = `${result.name.replace(/\.[^.]*$/, '')}-upres.png`;
  document.getElementById('result-info').textContent =
    `${result.width}x${result.height}  ${result.infotext}` + (result.saved_path ? `\nsaved: ${result.saved_path}` : '');
  compare().hidden = false;
}

// Shows every result of a job; `originals` maps input_index to an object URL (may be empty).
export function showResults(job, originals) {
  const gallery = document.getElementById('gallery');
  gallery.replaceChildren();
  const shown = job.results.filter((result) => result.url);
  shown.forEach((result, position) => {
    const thumb = document.createElement('button');
    thumb.className = 'thumb';
    thumb.title = result.name;
    const img = document.createElement('img');
    img.src = result.url;
    img.alt = result.name;
    thumb.append(img);
    thumb.addEventListener('click', () => {
      gallery.querySelectorAll('.thumb').forEach((t) => t.classList.remove('selected'));
      thumb.classList.add('selected');
      show(result, originals[result.input_index] || null);
    });
    gallery.append(thumb);
    if (position === 0) thumb.click();
  });
  if (shown.length === 0) compare().hidden = true;
}

export function clearResults() {
  document.getElementById('gallery').replaceChildren();
  compare().hidden = true;
}
