// Drives the operators' console (/console on the management port) in a real headless Chromium, for
// ConsoleBrowserTest: the page, given the API key, must show a connected client's row within 1 s, change the row's
// state when the client's socket drops, show the client's attrs as text (never as HTML), run its test client (a
// session of its own through the JavaScript SDK the node serves) that receives the push tester's push and the
// publisher's notify, and render something a screenshot can see.
//
//   CONSOLE_API_KEY=… node console-browser.mjs <console url> <client ws url> <screenshot.png> [chromium path]
//
// The key comes from the environment, not the command line (command lines show in ps). Prints one line
// "result {json}" with the timings; exits 1 with a reason on any failure.
import puppeteer from 'puppeteer-core';
import WebSocket from 'ws';

const [consoleUrl, wsUrl, screenshot, chromium = '/usr/bin/chromium'] = process.argv.slice(2);
const key = process.env.CONSOLE_API_KEY;
const LIMIT_MS = 1000;

function fail(why) {
  console.error('FAIL ' + why);
  process.exit(1);
}

if (!consoleUrl || !wsUrl || !screenshot || !key) {
  fail('usage: CONSOLE_API_KEY=… node console-browser.mjs <console url> <ws url> <screenshot.png> [chromium]');
}

function hello(clientId, attrs) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', clientId, attrs })));
    ws.once('message', (data) => {
      const welcome = JSON.parse(data.toString());
      if (welcome.type !== 'welcome') reject(new Error('expected welcome, got ' + data));
      else resolve({ ws, welcome });
    });
  });
}

const rowSel = (id) => `#sessions tbody tr[data-client-id="${id}"]`;

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,900'],
  defaultViewport: { width: 1280, height: 900 },
});
const timer = setTimeout(() => fail('the whole run took more than 45 s'), 45000);
try {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));

  await page.goto(consoleUrl, { waitUntil: 'load' });
  await page.type('#key', key);
  await page.click('#connect');
  await page.waitForSelector('#live[data-state="live"]', { timeout: 10000 });
  await page.waitForSelector('#members tbody tr', { timeout: 10000 });

  const clientId = 'browser-' + Date.now().toString(36);
  const attrs = { app: '<img src=x onerror="window.__xss=1">', net: 'wifi' };
  const { ws, welcome } = await hello(clientId, attrs);
  const t0 = Date.now();
  await page.waitForSelector(rowSel(clientId) + ' td.state.state-ONLINE', { timeout: 5000 })
    .catch(() => fail('no ONLINE row for ' + clientId + ' within 5 s'));
  const rowMs = Date.now() - t0;

  // The attrs arrive with the full record the page fetches for a new row; they must stay text.
  await page.waitForFunction((sel) => {
    const td = document.querySelector(sel + ' td.attrs');
    return td && td.textContent.includes('onerror');
  }, { timeout: 5000 }, rowSel(clientId)).catch(() => fail('the row never showed the client attrs'));
  const cells = await page.$$eval(rowSel(clientId) + ' td', (tds) => tds.map((td) => td.textContent));
  const injected = await page.evaluate(() => ({ img: document.querySelectorAll('#sessions img').length,
    xss: window.__xss === 1 }));

  // The push tester and the publisher go through /api with the key.
  const pushed = new Promise((resolve) => ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.type === 'push') resolve(frame);
  }));
  await page.type('#push-client', clientId);
  await page.click('#push-form button[type="submit"]');
  const push = await Promise.race([pushed, new Promise((r) => setTimeout(() => r(null), 5000))]);
  if (!push || push.body.hello !== 'from the console') fail('the push tester did not reach the client: ' + push);
  await page.type('#publish-topic', 'console/test');
  await page.click('#publish-form button[type="submit"]');
  const replies = await page.waitForFunction(() => {
    const push = document.getElementById('push-result').textContent;
    const pub = document.getElementById('publish-result').textContent;
    return push.startsWith('200') && pub.startsWith('200') && [push, pub];
  }, { timeout: 5000 }).then((h) => h.jsonValue()).catch(() => fail('push or publish did not answer 200'));

  // The test client: a session of the page's own through the JavaScript SDK that the node serves (/console/sdk/).
  await page.$eval('#tc-url', (e, v) => { e.value = v; }, wsUrl);
  await page.click('#tc-connect');
  await page.waitForSelector('#tc-state[data-state="ONLINE"]', { timeout: 10000 })
    .catch(async () => fail('the test client did not go ONLINE: ' + await page.$eval('#tc-log', (e) => e.textContent)));
  const tcId = await page.$eval('#tc-id', (e) => e.value);
  const logHas = (text) => page.waitForFunction((t) => document.getElementById('tc-log').textContent.includes(t),
    { timeout: 5000 }, text);
  await page.type('#tc-topic', 'console/tc');
  await page.click('#tc-subscribe-form button[type="submit"]');
  await logHas('following console/tc').catch(() => fail('the test client could not follow console/tc'));
  if (await page.$eval('#push-client', (e) => e.value) !== tcId) fail('the push tester does not target the test client');
  await page.click('#push-form button[type="submit"]');
  await logHas('"hello":"from the console"').catch(() => fail('the test client did not receive the push'));
  await page.$eval('#publish-topic', (e) => { e.value = 'console/tc'; });
  await page.$eval('#publish-body', (e) => { e.value = '{"price":42}'; });
  await page.click('#publish-form button[type="submit"]');
  await logHas('notify console/tc v1: {"price":42}').catch(() => fail('the test client did not get the notify'));
  const testClient = await page.$eval('#tc-log', (e) => [...e.children].map((li) => li.textContent));

  ws.terminate();
  const t1 = Date.now();
  await page.waitForSelector(rowSel(clientId) + ' td.state.state-DETACHED', { timeout: 5000 })
    .catch(() => fail('the row did not turn DETACHED within 5 s of the socket drop'));
  const detachedMs = Date.now() - t1;

  await page.screenshot({ path: screenshot, fullPage: true });
  const result = { clientId, node: welcome.node, rowMs, detachedMs, cells, injected, replies, testClient, pageErrors,
    keyInUrl: urls.some((u) => u.includes(key)) };
  console.log('result ' + JSON.stringify(result));
  if (pageErrors.length) fail('errors on the page: ' + pageErrors.join('; '));
  if (result.keyInUrl) fail('the key appeared in a URL the page requested');
  if (injected.img > 0 || injected.xss) fail('client attrs were rendered as HTML: ' + JSON.stringify(injected));
  if (cells[0] !== clientId || cells[2] !== welcome.node) fail('row cells do not match: ' + JSON.stringify(cells));
  if (rowMs > LIMIT_MS) fail('the row took ' + rowMs + ' ms to appear (limit ' + LIMIT_MS + ')');
  if (detachedMs > LIMIT_MS) fail('the row took ' + detachedMs + ' ms to turn DETACHED (limit ' + LIMIT_MS + ')');
} catch (e) {
  fail(e.stack || String(e));
} finally {
  clearTimeout(timer);
  await browser.close();
}
