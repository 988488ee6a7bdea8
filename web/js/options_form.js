// The Extras option controls, built from the server's option table (GET /api/v1/options): labels,
// ranges, steps and defaults come from there; this file only decides how each kind looks.
// Each option renders into the element with data-option="<json name>", or into #other-options.

function numberControl(option, withSlider) {
  const wrap = document.createElement('label');
  wrap.className = 'field';
  wrap.title = option.help;
  const caption = document.createElement('span');
  caption.textContent = option.label;
  wrap.append(caption);
  const box = document.createElement('input');
  box.type = 'number';
  box.id = `opt-${option.name}`;
  box.name = option.name;
  Object.assign(box, { min: option.min, max: option.max, step: option.step || 'any', value: option.default });
  if (withSlider) {
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.id = `opt-${option.name}-slider`;
    Object.assign(slider, { min: option.min, max: option.slider_max ?? option.max, step: option.step || 'any', value: option.default });
    slider.addEventListener('input', () => { box.value = slider.value; });
    box.addEventListener('input', () => { slider.value = box.value; });
    const row = document.createElement('div');
    row.className = 'slider-row';
    row.append(slider, box);
    wrap.append(row);
  } else {
    wrap.append(box);
  }
  return { element: wrap, read: () => Number(box.value), input: box };
}

function boolControl(option) {
  const wrap = document.createElement('label');
  wrap.className = 'check';
  wrap.title = option.help;
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = `opt-${option.name}`;
  box.checked = Boolean(option.default);
  wrap.append(box, ` ${option.label}`);
  return { element: wrap, read: () => box.checked, input: box };
}

function upscalerControl(option, upscalers) {
  const wrap = document.createElement('label');
  wrap.className = 'field';
  wrap.title = option.help;
  const caption = document.createElement('span');
  caption.textContent = option.label;
  const select = document.createElement('select');
  select.id = `opt-${option.name}`;
  for (const upscaler of upscalers) select.add(new Option(upscaler.name, upscaler.name));
  select.value = option.default;
  wrap.append(caption, select);
  return { element: wrap, read: () => select.value, input: select };
}

// Returns { values(): {json name: value}, controls: {json name: control}, setResizeMode(m) }.
export function buildOptionsForm(table, upscalers) {
  const controls = {};
  let resizeMode = 0;
  for (const option of table) {
    let control;
    if (option.kind === 'resize_mode') {
      resizeMode = option.default;
      continue;  // the Scale by / Scale to tabs set it
    } else if (option.kind === 'number') {
      control = numberControl(option, true);
    } else if (option.kind === 'integer') {
      control = numberControl(option, false);
    } else if (option.kind === 'bool') {
      control = boolControl(option);
    } else if (option.kind === 'upscaler') {
      control = upscalerControl(option, upscalers);
    } else {
      continue;
    }
    const slot = document.querySelector(`[data-option="${option.name}"]`) ||
                 document.getElementById('other-options');
    slot.append(control.element);
    controls[option.name] = control;
  }
  return {
    controls,
    setResizeMode(mode) { resizeMode = mode; },
    values() {
      const out = { resize_mode: resizeMode };
      for (const [name, control] of Object.entries(controls)) out[name] = control.read();
      return out;
    },
  };
}
