// Drag-and-drop onto a .dropzone: the dropped image files go to a callback.

export function imageFiles(list) {
  return [...(list || [])].filter((file) => file.type.startsWith('image/'));
}

export function initDropzone(zone, onFiles) {
  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const files = imageFiles(event.dataTransfer.files);
    if (files.length) onFiles(files);
  });
}
