// The SDK in a real browser: Debian's Chromium, headless, driven by puppeteer-core (which downloads no browser). A
// page served here imports the SDK's own source as ES modules (no build step), holds a session with a real node
// through the fault relay, receives a demo.push; the relay resets the socket in the middle of the stream and the
// page must show its session RESUMED with every push once, in order, seqs contiguous. Skipped (with a reason)
// where there is no chromium or puppeteer-core. CHROMIUM=/path overrides the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { startNode, CLIENT_JS_DIR } from './support/gateway.js';
import { FaultRelay } from './support/relay.js';

const CHROMIUM = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const PUSHES = 2000;
const CUT_AT = 500;

let puppeteer = null;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch {
  // reported by the skip below
}
const skip = !CHROMIUM ? 'no chromium (apt-get install chromium)' : !puppeteer ? 'no puppeteer-core (npm ci)' : false;

let node;
let relay;
let site;
let browser;

/** Serves the test page at / and the SDK's sources under /src/, nothing else. */
function serveSite() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = path === '/' ? join(CLIENT_JS_DIR, 'test', 'browser', 'page.html')
      : path.startsWith('/src/') ? normalize(join(CLIENT_JS_DIR, path)) : null;
    if (!file || !file.startsWith(join(CLIENT_JS_DIR, path === '/' ? 'test' : 'src') + sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server)));
}

before(async () => {
  if (skip) return;
  site = await serveSite();
  const origin = `http://127.0.0.1:${site.address().port}`;
  // A browser sends its page's Origin; the node admits only those it is told to (docs/SECURITY.md).
  // A buffer that holds every push of the run: while the page is cut off, the demo backend goes on pushing into the
  // detached session, and how many land before the page resumes depends on the machine's speed (with the default
  // 1000 frames the run could overflow: the test is about resuming, not about the bound).
  node = await startNode(['--allowed-origins', origin, '--buffer-max-frames', String(PUSHES + 1000)]);
  relay = await new FaultRelay(node.port).start();
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

after(async () => {
  await browser?.close();
  relay?.close();
  await node?.stop();
  site?.close();
});

test('a page using the SDK resumes after its socket is cut mid-stream, every push once and in order', { skip,
  timeout: 120_000 }, async () => {
  let cut = false;
  relay.onServerFrame = (text) => {
    if (!cut && text.includes('"type":"push"') && text.includes(`"n":${CUT_AT}}`)) {
      cut = true;
      return 'cut';
    }
    return undefined;
  };
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const site0 = `http://127.0.0.1:${site.address().port}`;
  await page.goto(`${site0}/?url=${encodeURIComponent(relay.url)}&clientId=browser-${process.pid}`);
  await page.waitForFunction('window.ready === true', { timeout: 30_000 });
  await page.evaluate((n) => window.push(n), PUSHES);
  await page.waitForFunction('window.seen.answer !== null || window.seen.error !== null', { timeout: 90_000 });
  const seen = await page.evaluate(() => window.seen);
  const status = await page.$eval('#status', (e) => e.textContent);
  assert.deepEqual(errors, [], 'no error in the page');
  assert.equal(seen.error, null, 'demo.push answered');
  assert.ok(cut, `the relay cut the socket at push ${CUT_AT}`);
  assert.deepEqual(seen.sessions, ['STARTED', 'RESUMED'], 'one session, resumed once');
  assert.equal(seen.ns.length, PUSHES, 'every push arrived');
  assert.deepEqual(seen.ns, Array.from({ length: PUSHES }, (_, i) => i + 1), 'pushes n = 1..N, once each, in order');
  for (let i = 1; i < seen.seqs.length; i++) {
    assert.equal(seen.seqs[i], seen.seqs[i - 1] + 1, `seq after ${seen.seqs[i - 1]}`);
  }
  assert.match(status, /RESUMED; 2000 pushes; 0 gaps; 0 duplicates; answered/, 'the page shows it');
  await page.close();
});
