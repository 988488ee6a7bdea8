// Browser test of the upres page: playwright-core drives Debian's Chromium (headless) against a
// real server process: upload a picture, choose an upscaler, Generate, watch the progress and
// ETA, get the result, move the compare slider, download the file and check it, read PNG Info,
// and interrupt a second run. Screenshots go to --out. Exit 0 pass, 1 fail, 77 skip (no
// Chromium or no playwright-core).
// Usage: node extras_page_test.mjs --server BIN [--server-args "..."] --project-root DIR --out DIR
import fs from 'node:fs';
import path from 'node:path';

import { check, makePng, pngSize, runPageTest } from './page_test_support.mjs';

async function runPage(page, url, out, workDir) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  const input = path.join(workDir, 'input.png');
  fs.writeFileSync(input, makePng(48, 32));

  await page.setInputFiles('#single-file', input);
  await page.waitForSelector('#single-preview:not([hidden])');
  const names = await page.$$eval('#opt-upscaler_1 option', (options) => options.map((o) => o.value));
  check(names.includes('Lanczos'), `upscaler list from the server: ${names.join(', ')}`);
  const upscaler = names.includes('Slow test') ? 'Slow test' : 'Lanczos';
  await page.selectOption('#opt-upscaler_1', upscaler);
  await page.fill('#opt-upscaling_resize', '2');
  await page.screenshot({ path: path.join(out, '1-ready.png'), fullPage: true });

  await page.click('#generate');
  if (upscaler === 'Slow test') {
    await page.waitForFunction(() => /ETA/.test(document.getElementById('progress-text').textContent));
    const text = await page.textContent('#progress-text');
    const width = await page.$eval('#progress-fill', (el) => parseFloat(el.style.width));
    check(width > 0 && width < 100, `progress bar part-way (${width}%): "${text}"`);
    await page.screenshot({ path: path.join(out, '2-progress.png'), fullPage: true });
  }
  await page.waitForSelector('#compare:not([hidden])', { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('compare-after').naturalWidth > 0);
  const natural = await page.$eval('#compare-after', (img) => [img.naturalWidth, img.naturalHeight]);
  check(natural[0] === 96 && natural[1] === 64, `result shown at 96x64 (got ${natural})`);
  check(/Done: 1 of 1/.test(await page.textContent('#message')), 'message says done');
  check((await page.$$('#gallery .thumb')).length === 1, 'one thumbnail in the gallery');
  await page.screenshot({ path: path.join(out, '3-result.png'), fullPage: true });

  await page.fill('#compare-slider', '20');
  let clip = await page.$eval('#compare-before', (el) => el.style.clipPath);
  check(clip.includes('80%'), `slider at 20 shows 20% of the original (${clip})`);
  const box = await page.$('#compare-box').then((el) => el.boundingBox());
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const sliderValue = Number(await page.inputValue('#compare-slider'));
  clip = await page.$eval('#compare-before', (el) => el.style.clipPath);
  check(Math.abs(sliderValue - 75) <= 2, `dragging the compare box moves the slider to ~75 (${sliderValue}, ${clip})`);
  await page.screenshot({ path: path.join(out, '4-compare.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const saved = path.join(out, download.suggestedFilename());
  await download.saveAs(saved);
  const bytes = fs.readFileSync(saved);
  const href = await page.$eval('#download', (a) => a.href);
  const direct = Buffer.from(await page.evaluate(async (u) => Array.from(new Uint8Array(await (await fetch(u)).arrayBuffer())), href));
  check(bytes.length > 100 && bytes.length === direct.length, `downloaded ${bytes.length} bytes, as the server sends`);
  check(JSON.stringify(pngSize(bytes)) === '[96,64]', `downloaded PNG is 96x64 (${pngSize(bytes)})`);

  await page.click('#main-tabs [data-tab="pnginfo"]');
  await page.setInputFiles('#pnginfo-file', saved);
  await page.waitForFunction(() => document.querySelectorAll('#pnginfo-items tr').length > 0, null, { timeout: 10000 });
  const items = await page.textContent('#pnginfo-items');
  check(items.includes(`Postprocess upscaler: ${upscaler}`), `PNG Info shows the infotext (${items.slice(0, 80)})`);
  await page.screenshot({ path: path.join(out, '5-pnginfo.png'), fullPage: true });

  if (upscaler === 'Slow test') {
    await page.click('#main-tabs [data-tab="extras"]');
    await page.click('#generate');
    await page.waitForFunction(() => /ETA/.test(document.getElementById('progress-text').textContent));
    await page.click('#interrupt');
    await page.waitForFunction(() => /Interrupted/.test(document.getElementById('message').textContent), null, { timeout: 10000 });
    check(true, 'Interrupt stops a running job');
    await page.screenshot({ path: path.join(out, '6-interrupted.png'), fullPage: true });
  }
}

runPageTest('extras', runPage);
