// Browser test of the page's Outpaint tab: playwright-core drives Debian's Chromium (headless)
// against a real server process: choose a 4:3 picture, check the preview's new canvas and the
// original's outline for the presets (16:9, 9:16), a custom aspect, an exact size and a refused
// side, run a 16:9 outpaint through the job API, and check the result's size, that the original
// sits unchanged where the preview put it, the outline over it, and the download. Screenshots go
// to --out. Exit 0 pass, 1 fail, 77 skip (no Chromium or no playwright-core).
// Usage: node outpaint_page_test.mjs --server BIN --project-root DIR --out DIR
import fs from 'node:fs';
import path from 'node:path';

import { check, makePng, pngSize, runPageTest } from './page_test_support.mjs';

const PICTURE = { width: 64, height: 48 };

// The preview's plan (data-* of the canvas) once it is drawn for a picture.
async function previewPlan(page) {
  await page.waitForFunction(() => document.getElementById('outpaint-preview').dataset.canvasWidth);
  return page.$eval('#outpaint-preview', (canvas) => ({
    ...Object.fromEntries(Object.entries(canvas.dataset).map(([k, v]) => [k, Number(v)])),
    pixelWidth: canvas.width, pixelHeight: canvas.height,
  }));
}

async function choosePreset(page, ask) {
  await page.click(`#outpaint-presets [data-ask="${ask}"]`);
  return previewPlan(page);
}

// RGBA of preview pixels at canvas coordinates.
function previewPixels(page, points) {
  return page.$eval('#outpaint-preview', (canvas, pts) => {
    const ctx = canvas.getContext('2d');
    return pts.map(([x, y]) => Array.from(ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data));
  }, points);
}

const isOutline = ([r, g, b]) => r > 200 && g > 80 && g < 160 && b < 80;  // #f97316
const isNewArea = ([r, g, b]) => r < 70 && g < 70 && b < 80 && Math.abs(r - g) < 20;  // the dark hatch

async function runPage(page, url, out, workDir) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('#main-tabs [data-tab="outpaint"]');
  check(await page.isVisible('#outpaint') && !(await page.isVisible('#extras')), 'the Outpaint tab shows its page');
  const engines = await page.$$eval('#outpaint-fill option', (options) => options.map((o) => o.value));
  check(['patchmatch', 'edge', 'mirror', 'color'].every((e) => engines.includes(e)) &&
        (await page.inputValue('#outpaint-fill')) === 'patchmatch', `fill engines from the server: ${engines}`);

  const input = path.join(workDir, 'photo.png');
  fs.writeFileSync(input, makePng(PICTURE.width, PICTURE.height));
  await page.setInputFiles('#outpaint-file', input);

  // 16:9 (the default preset): 64x48 grows to 85x48, 10 px left and 11 right.
  let plan = await choosePreset(page, '16:9');
  check(plan.canvasWidth === 85 && plan.canvasHeight === 48 && plan.originalX === 10 && plan.originalY === 0,
        `16:9 preview plans 85x48 with the picture at x=10 (${JSON.stringify(plan)})`);
  check(Math.abs(plan.pixelWidth / plan.pixelHeight - 85 / 48) < 0.02, `preview frame is 85:48 (${plan.pixelWidth}x${plan.pixelHeight})`);
  const s = plan.scale;
  const midY = (PICTURE.height / 2) * s;
  const [outlineLeft, outlineRight, newLeft, newRight, inside] = await previewPixels(page, [
    [plan.originalX * s + 1, midY], [(plan.originalX + PICTURE.width) * s - 2, midY],
    [plan.originalX * s / 2, midY], [plan.pixelWidth - (plan.canvasWidth - plan.originalX - PICTURE.width) * s / 2, midY],
    [(plan.originalX + PICTURE.width / 2) * s, midY],
  ]);
  check(isOutline(outlineLeft) && isOutline(outlineRight), `the original is outlined (${outlineLeft} ${outlineRight})`);
  check(isNewArea(newLeft) && isNewArea(newRight), `the new strips are marked as new (${newLeft} ${newRight})`);
  // The picture's own pixel there: (x*5, y*7, (x+y)*3) at (32, 24).
  check(Math.abs(inside[0] - 160) < 40 && Math.abs(inside[1] - 168) < 40, `the picture is drawn inside (${inside})`);
  await page.screenshot({ path: path.join(out, '1-preview-16x9.png'), fullPage: true });

  plan = await choosePreset(page, '9:16');
  check(plan.canvasWidth === 64 && plan.canvasHeight === 114 && plan.originalY === 33 && plan.pixelHeight > plan.pixelWidth,
        `9:16 preview plans 64x114, picture at y=33, a tall frame (${JSON.stringify(plan)})`);

  await page.click('#outpaint-presets [data-ask="custom"]');
  await page.fill('#outpaint-custom', '21:9');
  plan = await previewPlan(page);
  check(plan.canvasWidth === 112 && plan.canvasHeight === 48, `custom 21:9 plans 112x48 (${plan.canvasWidth}x${plan.canvasHeight})`);
  await page.fill('#outpaint-custom', '100x60');
  plan = await previewPlan(page);
  check(plan.canvasWidth === 100 && plan.canvasHeight === 60 && plan.originalX === 18 && plan.originalY === 6,
        `custom 100x60 centres the picture at 18,6 (${JSON.stringify(plan)})`);
  await page.fill('#outpaint-custom', '10x10');
  await page.waitForFunction(() => document.getElementById('outpaint-plan').classList.contains('error'));
  check(/smaller than the picture/.test(await page.textContent('#outpaint-plan')), 'a smaller size is refused before running');

  await page.click('#outpaint-presets [data-ask="16:9"]');
  await page.uncheck('#outpaint-dir-left');
  plan = await previewPlan(page);
  check(plan.originalX === 0 && plan.canvasWidth === 85, `without "left" the picture stays at x=0 (${plan.originalX})`);
  await page.check('#outpaint-dir-left');
  plan = await previewPlan(page);
  await page.fill('#outpaint-mask-blur', '4');

  await page.click('#outpaint-run');
  await page.waitForSelector('#outpaint-output:not([hidden])', { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('outpaint-result').naturalWidth > 0);
  const natural = await page.$eval('#outpaint-result', (img) => [img.naturalWidth, img.naturalHeight]);
  check(natural[0] === plan.canvasWidth && natural[1] === plan.canvasHeight,
        `result is ${natural}, the size the preview showed`);
  check(/Done: 85x48/.test(await page.textContent('#outpaint-message')), 'message says done');
  check((await page.getAttribute('#outpaint-progress', 'data-state')) === 'done', 'progress bar ends done');
  check(/Postprocess outpaint fill: PatchMatch/.test(await page.textContent('#outpaint-info')), 'infotext shown');
  const outline = await page.$eval('#outpaint-result-outline', (el) => [el.hidden, el.style.left, el.style.width]);
  check(!outline[0] && Math.abs(parseFloat(outline[1]) - (100 * 10) / 85) < 0.01 &&
        Math.abs(parseFloat(outline[2]) - (100 * 64) / 85) < 0.01, `the result outlines the original (${outline})`);

  // The original is pixel-for-pixel where the preview drew it.
  const originalUrl = await page.$eval('#outpaint-file', (el) => URL.createObjectURL(el.files[0]));
  const differing = await page.evaluate(async ([resultUrl, sourceUrl, x0, y0]) => {
    const pixels = async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(0, 0, img.naturalWidth, img.naturalHeight);
    };
    const [result, source] = [await pixels(resultUrl), await pixels(sourceUrl)];
    let count = 0;
    for (let y = 0; y < source.height; y++) {
      for (let x = 0; x < source.width; x++) {
        for (let c = 0; c < 3; c++) {
          if (result.data[((y + y0) * result.width + x + x0) * 4 + c] !== source.data[(y * source.width + x) * 4 + c]) count++;
        }
      }
    }
    return count;
  }, [await page.getAttribute('#outpaint-result', 'src'), originalUrl, plan.originalX, plan.originalY]);
  check(differing === 0, `the original region of the result is unchanged (${differing} values differ)`);
  await page.screenshot({ path: path.join(out, '2-result.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#outpaint-download')]);
  check(download.suggestedFilename() === 'photo-upres.png', `download is named ${download.suggestedFilename()}`);
  const saved = path.join(out, download.suggestedFilename());
  await download.saveAs(saved);
  check(JSON.stringify(pngSize(fs.readFileSync(saved))) === '[85,48]', `downloaded PNG is 85x48 (${pngSize(fs.readFileSync(saved))})`);

  // The Extras tab is still there and usable after the Outpaint tab.
  await page.click('#main-tabs [data-tab="extras"]');
  check(await page.isVisible('#generate') && !(await page.isVisible('#outpaint')), 'back on the Extras tab');
}

runPageTest('outpaint', runPage);
