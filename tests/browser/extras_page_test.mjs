// Browser test of the upres page: playwright-core drives Debian's Chromium (headless) against a
// real server process: upload a picture, choose an upscaler, Generate, watch the progress and
// ETA, get the result, move the compare slider, download the file and check it, read PNG Info,
// and interrupt a second run. Screenshots go to --out. Exit 0 pass, 1 fail, 77 skip (no
// Chromium or no playwright-core).
// Usage: node extras_page_test.mjs --server BIN [--server-args "..."] --project-root DIR --out DIR
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const SKIP = 77;
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, value, i, all) =>
  (i % 2 === 0 ? [...pairs, [value.replace(/^--/, ''), all[i + 1]]] : pairs), []));
const chromiumPath = process.env.UPRES_CHROMIUM || '/usr/bin/chromium';

function skip(reason) {
  console.log(`SKIP: ${reason}`);
  process.exit(SKIP);
}

function loadPlaywright() {
  const require = createRequire(import.meta.url);
  const roots = [args['project-root'], process.cwd()].filter(Boolean);
  try {
    return require(require.resolve('playwright-core', { paths: roots }));
  } catch {
    return null;
  }
}

// A w x h RGB gradient as a PNG file (stored with zlib; crc32 written here).
function makePng(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * (1 + width * 3) + 1 + x * 3;
      rows.set([(x * 5) & 255, (y * 7) & 255, ((x + y) * 3) & 255], at);
    }
  }
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

function pngSize(bytes) {
  if (bytes.length < 24 || bytes.toString('ascii', 12, 16) !== 'IHDR') return null;
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

function startServer(workDir) {
  const extra = (args['server-args'] || '').split(' ').filter(Boolean);
  const child = spawn(args.server, [...extra, '--output-dir', path.join(workDir, 'outputs'),
    '--listen', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 20000);
    child.stdout.on('data', (data) => {
      output += data;
      const match = output.match(/serving on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok: ${message}`);
}

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

async function main() {
  if (!fs.existsSync(chromiumPath)) skip(`no Chromium at ${chromiumPath}`);
  const playwright = loadPlaywright();
  if (!playwright) skip('playwright-core is not installed (scripts/setup.sh --tests installs it)');
  if (!args.server || !fs.existsSync(args.server)) throw new Error(`no server binary: ${args.server}`);
  const out = args.out || path.join(os.tmpdir(), 'upres-browser-test');
  fs.mkdirSync(out, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'upres-browser-'));
  const { child, url } = await startServer(workDir);
  let context;
  try {
    context = await playwright.chromium.launchPersistentContext(path.join(workDir, 'profile'), {
      executablePath: chromiumPath,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
             '--disable-sync', '--no-first-run'],
    });
    const page = context.pages()[0] || await context.newPage();
    const problems = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
    page.setDefaultTimeout(15000);
    await runPage(page, url, out, workDir);
    check(problems.length === 0, `no page errors ${problems.join('; ')}`);
    console.log(`PASS (screenshots in ${out})`);
  } finally {
    if (context) await context.close();
    child.kill('SIGTERM');
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`FAIL: ${error.stack || error.message}`);
  process.exit(1);
});
