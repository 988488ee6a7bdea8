// A job's progress bar: percent, image n/m, ETA and stage while it runs, the wait while queued,
// the outcome when it ends. Shared by the Extras and Outpaint tabs.

export function formatSeconds(seconds) {
  if (seconds == null) return '';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s`;
}

// bar: the .progress element, holding a .progress-fill and a .progress-text.
export function showProgress(bar, job) {
  bar.hidden = false;
  const percent = Math.round(job.progress * 100);
  bar.querySelector('.progress-fill').style.width = `${percent}%`;
  let text;
  if (job.state === 'queued') text = `Waiting: ${job.queue_position} job(s) ahead`;
  else if (job.state === 'running') {
    text = `${percent}%  image ${Math.min(job.images_done + 1, job.image_count)}/${job.image_count}`;
    if (job.eta_s != null) text += `  ETA ${formatSeconds(job.eta_s)}`;
    if (job.stage) text += `  (${job.stage})`;
  } else text = `${job.state} in ${formatSeconds(job.elapsed_s)}`;
  bar.querySelector('.progress-text').textContent = text;
  bar.dataset.state = job.state;
}
