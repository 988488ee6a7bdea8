// The upres page: tabs, picture inputs (choose, drag-and-drop, paste), Generate / Interrupt,
// progress with ETA, and the results. Options come from options_form.js; the Outpaint tab is
// outpaint_tab.js.
import { buildOptionsForm } from './options_form.js';
import { cancelJob, createDirectoryJob, createUploadJob, fetchJson, followJob } from './jobs_client.js';
import { clearResults, initCompare, showResults } from './gallery.js';
import { showPngInfo } from './png_info.js';
import { showProgress } from './progress_view.js';
import { imageFiles, initDropzone } from './dropzone.js';
import { initOutpaintTab } from './outpaint_tab.js';

const $ = (id) => document.getElementById(id);
const state = { source: 'single', single: null, batch: [], form: null, jobId: null, config: null, outpaint: null };

function selectTab(buttons, attribute, value, panels) {
  buttons.forEach((b) => b.classList.toggle('active', b.getAttribute(attribute) === String(value)));
  panels.forEach((p) => { p.hidden = p.getAttribute(attribute) !== String(value); });
}

function initTabs() {
  const mainTabs = document.querySelectorAll('#main-tabs .tab');
  mainTabs.forEach((tab) => tab.addEventListener('click', () => {
    mainTabs.forEach((t) => t.classList.toggle('active', t === tab));
    document.querySelectorAll('.page').forEach((page) => { page.hidden = page.id !== tab.dataset.tab; });
  }));
  const sourceTabs = document.querySelectorAll('#source-tabs .tab');
  sourceTabs.forEach((tab) => tab.addEventListener('click', () => {
    state.source = tab.dataset.source;
    selectTab(sourceTabs, 'data-source', state.source, document.querySelectorAll('.source'));
  }));
  const resizeTabs = document.querySelectorAll('#resize-tabs .tab');
  resizeTabs.forEach((tab) => tab.addEventListener('click', () => {
    const mode = Number(tab.dataset.resizeMode);
    state.form.setResizeMode(mode);
    selectTab(resizeTabs, 'data-resize-mode', mode, document.querySelectorAll('.resize-panel'));
  }));
}

function setSingle(file) {
  state.single = file;
  const preview = $('single-preview');
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  $('single-drop').classList.add('filled');
}

function addBatch(files) {
  state.batch.push(...files);
  const list = $('batch-list');
  list.replaceChildren(...state.batch.map((file) => {
    const item = document.createElement('li');
    item.textContent = `${file.name} (${Math.round(file.size / 1024)} KiB)`;
    return item;
  }));
}

function initInputs() {
  $('single-file').addEventListener('change', (e) => { if (e.target.files[0]) setSingle(e.target.files[0]); });
  $('batch-files').addEventListener('change', (e) => addBatch([...e.target.files]));
  $('pnginfo-file').addEventListener('change', (e) => { if (e.target.files[0]) showPngInfo(e.target.files[0]); });
  initDropzone($('single-drop'), (files) => setSingle(files[0]));
  initDropzone($('batch-drop'), addBatch);
  initDropzone($('pnginfo-drop'), (files) => showPngInfo(files[0]));
  window.addEventListener('paste', (event) => {
    const files = imageFiles(event.clipboardData && event.clipboardData.files);
    if (!files.length) return;
    if (!$('pnginfo').hidden) showPngInfo(files[0]);
    else if (!$('outpaint').hidden) { if (state.outpaint) state.outpaint.setPicture(files[0]); }
    else if (state.source === 'batch') addBatch(files);
    else setSingle(files[0]);
  });
  $('swap-size').addEventListener('click', () => {
    const w = state.form.controls.upscaling_resize_w.input;
    const h = state.form.controls.upscaling_resize_h.input;
    [w.value, h.value] = [h.value, w.value];
  });
}

function setMessage(text, isError = false) {
  $('message').textContent = text;
  $('message').classList.toggle('error', isError);
}

async function startJob() {
  const options = state.form.values();
  if (state.source === 'single') {
    if (!state.single) throw new Error('Choose, drop or paste a picture first.');
    return { job: await createUploadJob([state.single], options), originals: [URL.createObjectURL(state.single)] };
  }
  if (state.source === 'batch') {
    if (!state.batch.length) throw new Error('Add some pictures first.');
    return { job: await createUploadJob(state.batch, options),
             originals: state.batch.map((file) => URL.createObjectURL(file)) };
  }
  const job = await createDirectoryJob($('input-dir').value, $('output-dir').value, $('show-results').checked, options);
  return { job, originals: [] };
}

function describeEnd(job) {
  const failures = job.failures.map((f) => `${f.name}: ${f.detail}`).join('\n');
  if (job.state === 'done') return [`Done: ${job.results.length} of ${job.image_count} image(s).` + (failures ? `\n${failures}` : ''), false];
  if (job.state === 'cancelled') return ['Interrupted.', false];
  return [`Failed: ${job.error ? job.error.detail : 'unknown error'}` + (failures ? `\n${failures}` : ''), true];
}

async function generate() {
  $('generate').disabled = true;
  $('interrupt').disabled = false;
  setMessage('');
  clearResults();
  try {
    const { job, originals } = await startJob();
    state.jobId = job.id;
    const progress = (update) => showProgress($('progress'), update);
    progress(job);
    const final = await followJob(job.id, progress);
    showResults(final, originals);
    setMessage(...describeEnd(final));
  } catch (error) {
    setMessage(error.message, true);
  } finally {
    state.jobId = null;
    $('generate').disabled = false;
    $('interrupt').disabled = true;
  }
}

async function main() {
  initTabs();
  initInputs();
  initCompare();
  $('generate').addEventListener('click', generate);
  $('interrupt').addEventListener('click', () => { if (state.jobId) cancelJob(state.jobId); });
  try {
    const [config, upscalers] = await Promise.all([fetchJson('/api/v1/options'), fetchJson('/sdapi/v1/upscalers')]);
    state.config = config;
    state.form = buildOptionsForm(config.options, upscalers);
    state.outpaint = initOutpaintTab(config.outpaint);
    const directoryTab = document.querySelector('[data-source="directory"].tab');
    directoryTab.disabled = !config.batch_from_directory;
    $('directory-hint').textContent = config.batch_from_directory
      ? 'Folders are relative to the batch root and output folder this server was started with.'
      : 'This server was started without a batch root (--batch-root).';
    document.body.dataset.ready = 'true';
  } catch (error) {
    setMessage(`Cannot reach the server: ${error.message}`, true);
  }
}

main();
