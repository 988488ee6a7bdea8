// The PNG Info tab: sends a picture to /sdapi/v1/png-info and shows its text chunks.
import { fetchJson } from './jobs_client.js';

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export async function showPngInfo(file) {
  const preview = document.getElementById('pnginfo-preview');
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  const text = document.getElementById('pnginfo-text');
  const table = document.getElementById('pnginfo-items');
  table.replaceChildren();
  try {
    const info = await fetchJson('/sdapi/v1/png-info', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ image: await readAsDataUrl(file) }),
    });
    const items = Object.entries(info.items || {});
    text.textContent = info.info || (items.length ? '' : 'No text chunks in this picture.');
    for (const [key, value] of items) {
      const row = table.insertRow();
      row.insertCell().textContent = key;
      row.insertCell().textContent = typeof value === 'string' ? value : JSON.stringify(value);
    }
  } catch (error) {
    text.textContent = `Error: ${error.message}`;
  }
}
