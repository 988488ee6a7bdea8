// Talking to the native job API: create a job, follow it with Server-Sent Events, cancel it.

async function errorText(response) {
  try {
    const body = await response.json();
    return body.detail || body.error || response.statusText;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

// Uploads files with the options (of the job `kind`: extras or outpaint); resolves to the job
// JSON or throws Error(detail).
export async function createUploadJob(files, options, kind = 'extras') {
  const form = new FormData();
  form.append('kind', kind);
  form.append('options', JSON.stringify(options));
  for (const file of files) form.append('images', file, file.name || 'pasted.png');
  const response = await fetch('/api/v1/jobs', { method: 'POST', body: form });
  if (!response.ok) throw new Error(await errorText(response));
  return response.json();
}

// A batch over a folder under the server's batch root.
export async function createDirectoryJob(inputDir, outputDir, showResults, options) {
  const response = await fetch('/api/v1/jobs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ input_dir: inputDir, output_dir: outputDir, show_results: showResults, options }),
  });
  if (!response.ok) throw new Error(await errorText(response));
  return response.json();
}

// Calls onUpdate(job) on every progress event; resolves with the final job JSON.
export function followJob(id, onUpdate) {
  return new Promise((resolve, reject) => {
    const events = new EventSource(`/api/v1/jobs/${id}/events`);
    events.addEventListener('progress', (event) => onUpdate(JSON.parse(event.data)));
    events.addEventListener('done', (event) => {
      events.close();
      const job = JSON.parse(event.data);
      onUpdate(job);
      resolve(job);
    });
    events.onerror = async () => {
      events.close();
      // The stream can drop (proxy, sleep): fall back to one status read.
      try {
        const response = await fetch(`/api/v1/jobs/${id}`);
        if (!response.ok) throw new Error(await errorText(response));
        const job = await response.json();
        if (['done', 'failed', 'cancelled'].includes(job.state)) resolve(job);
        else resolve(followJob(id, onUpdate));
      } catch (error) {
        reject(error);
      }
    };
  });
}

export async function cancelJob(id) {
  await fetch(`/api/v1/jobs/${id}`, { method: 'DELETE' });
}

export async function fetchJson(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(await errorText(response));
  return response.json();
}
