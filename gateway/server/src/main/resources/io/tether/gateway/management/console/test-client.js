// The console's test client: a session of its own, opened with the JavaScript SDK (served by this node under
// /console/sdk/, the sources of gateway/client-js as they are: no build step), to watch what a client receives — the
// push tester's pushes (its clientId is filled in there) and the notifies of a topic it follows. It connects to the
// node's client port, a different origin from this page: the node must admit this page's origin
// (--allowed-origins http://<host>:<management port>; docs/OPERATIONS.md "Console").
//
// Every value shown is written with textContent, never as HTML.
import { TetherClient } from './sdk/index.js';

const $ = (id) => document.getElementById(id);
const MAX_LOG = 20;
let client = null;

function log(text) {
  const li = document.createElement('li');
  li.textContent = text;
  const list = $('tc-log');
  list.prepend(li);
  while (list.children.length > MAX_LOG) list.lastChild.remove();
}

function show(state) {
  $('tc-state').textContent = client && client.sessionId ? `${state} (node ${client.node})` : state;
  $('tc-state').dataset.state = state;
}

$('tc-url').value = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:8080/ws`;
$('tc-id').value = `console-${Math.random().toString(36).slice(2, 10)}`;

$('tc-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (client) return;
  const clientId = $('tc-id').value.trim();
  client = new TetherClient({ url: $('tc-url').value.trim(), clientId, attrs: { app: 'tether-console' } });
  client.on('state', (s) => show(s));
  client.on('push', (p) => log(`push seq ${p.seq}: ${JSON.stringify(p.body)}`));
  client.on('notify', (n) => log(`notify ${n.topic} v${n.version}: ${JSON.stringify(n.body)}`));
  client.on('session', (ev) => log(`session ${ev.kind}${ev.reason ? ` (${ev.reason})` : ''}`));
  $('tc-connect').disabled = true;
  $('tc-close').disabled = false;
  try {
    await client.connect();
    $('push-client').value = clientId;
  } catch (err) {
    log(`connect failed: ${err.code ?? ''} ${err.message}`);
  }
});

$('tc-close').addEventListener('click', async () => {
  const c = client;
  client = null;
  $('tc-connect').disabled = false;
  $('tc-close').disabled = true;
  if (c) await c.close().catch(() => {});
  show('CLOSED');
});

$('tc-subscribe-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const topic = $('tc-topic').value.trim();
  if (!client) {
    log('connect the test client first');
    return;
  }
  try {
    await client.subscribe(topic);
    log(`following ${topic}`);
  } catch (err) {
    log(`subscribe ${topic} failed: ${err.code ?? ''} ${err.message}`);
  }
});
