// What the browser tests share: command-line flags, the skip rule (exit 77 without Chromium or
// playwright-core), a PNG writer and reader, checks that log, and runPageTest, which starts the
// server process (--output-dir in a temporary folder, port 0), launches Debian's headless Chromium,
// runs one page script, fails on page errors and cleans up.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const SKIP = 77;
export const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, value, i, all) =>
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
export function makePng(width, height) {
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

export function pngSize(bytes) {
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

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok: ${message}`);
}

// Runs `runPage(page, url, out, workDir)` against a fresh server and browser; exit 0 pass, 1 fail,
// 77 skip. `name` names the default screenshot folder.
export function runPageTest(name, runPage) {
  const main = async () => {
    if (!fs.existsSync(chromiumPath)) skip(`no Chromium at ${chromiumPath}`);
    const playwright = loadPlaywright();
    if (!playwright) skip('playwright-core is not installed (scripts/setup.sh --tests installs it)');
    if (!args.server || !fs.existsSync(args.server)) throw new Error(`no server binary: ${args.server}`);
    const out = args.out || path.join(os.tmpdir(), `upres-browser-${name}`);
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
  };
  main().catch((error) => {
    console.error(`FAIL: ${error.stack || error.message}`);
    process.exit(1);
  });
}
