// Run by TlsNodeClientTest: node tls-client.mjs <wss-url> <ca-pem-file>
// Connects over wss:// trusting only the given certificate (no rejectUnauthorized:false), sends hello, waits for
// welcome, sends one demo.echo request and checks its response. Exit code 0 only if all of it happened; any error,
// close or timeout exits non-zero with a reason on stderr.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const [url, caFile] = process.argv.slice(2);
if (!url || !caFile) {
  console.error('usage: node tls-client.mjs <wss-url> <ca-pem-file>');
  process.exit(2);
}

function fail(reason) {
  console.error('FAIL: ' + reason);
  process.exit(1);
}

const timer = setTimeout(() => fail('no echo response within 20 s'), 20_000);
const ws = new WebSocket(url, { ca: readFileSync(caFile) });
let welcomed = false;

ws.on('open', () => {
  ws.send(JSON.stringify({ type: 'hello', clientId: 'node-tls-client' }));
});
ws.on('message', (data, isBinary) => {
  if (isBinary) {
    fail('binary frame');
  }
  const frame = JSON.parse(data.toString('utf8'));
  if (frame.type === 'welcome') {
    welcomed = true;
    console.log('welcome ' + frame.sessionId.slice(0, 6) + '... from ' + frame.node);
    ws.send(JSON.stringify({ type: 'request', seq: 1, stream: 1, address: 'demo.echo', body: { over: 'tls' } }));
  } else if (frame.type === 'response') {
    if (!welcomed || frame.ok !== true || JSON.stringify(frame.body).indexOf('tls') < 0) {
      fail('unexpected response ' + JSON.stringify(frame));
    }
    console.log('echo ' + JSON.stringify(frame.body));
    clearTimeout(timer);
    ws.send(JSON.stringify({ type: 'bye' }));
    ws.close(1000);
    process.exit(0);
  } else if (frame.type === 'error') {
    fail('error frame ' + JSON.stringify(frame));
  }
});
ws.on('error', (e) => fail('socket error: ' + e.message));
ws.on('close', (code) => fail('closed with ' + code + ' before the echo'));
