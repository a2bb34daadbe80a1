// What the SDK decides without a server: options checked at construction, calls checked at the call, the bounded
// offline queue, and closing. No node is needed: a client that never connects is OFFLINE and queues its requests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TetherClient, MemoryStore, DEFAULTS } from '../src/index.js';
import { Backoff } from '../src/backoff.js';

const url = 'ws://127.0.0.1:9/ws'; // never connected to in these tests

describe('tether-client without a server', () => {
  it('refuses options without a valid clientId', () => {
    assert.throws(() => new TetherClient({ url }), TypeError);
    assert.throws(() => new TetherClient({ url, clientId: 'has space' }), /clientId/);
    assert.throws(() => new TetherClient({ url, clientId: 'x'.repeat(129) }), /clientId/);
  });

  it('refuses a URL that is not ws:// or wss://', () => {
    assert.throws(() => new TetherClient({ url: 'http://h/ws', clientId: 'a' }), /ws:\/\/ or wss:\/\//);
    assert.throws(() => new TetherClient({ url: 'not a url', clientId: 'a' }), /url/);
  });

  it('refuses numeric options out of range, naming the option', () => {
    assert.throws(() => new TetherClient({ url, clientId: 'a', maxQueuedRequests: -1 }), /maxQueuedRequests/);
    assert.throws(() => new TetherClient({ url, clientId: 'a', ackDelayMs: 500 }), /ackDelayMs/);
    assert.throws(() => new TetherClient({ url, clientId: 'a', reconnectInitialDelayMs: 10, reconnectMaxDelayMs: 5 }),
      /reconnectMaxDelayMs/);
  });

  it('refuses bad call arguments at the call', async () => {
    const c = new TetherClient({ url, clientId: 'a' });
    await assert.rejects(c.request('', {}), TypeError);
    await assert.rejects(c.request('demo.echo', {}, { timeoutMs: -1 }), RangeError);
    await assert.rejects(c.request('demo.echo', { big: 1n }), TypeError);
    await assert.rejects(c.subscribe('t', -1), RangeError);
    await assert.rejects(c.subscribe(''), TypeError);
    await c.close();
  });

  it('queues requests while not connected, up to maxQueuedRequests, then fails with queue_full', async () => {
    const c = new TetherClient({ url, clientId: 'a', maxQueuedRequests: 2 });
    const a = c.request('demo.echo', 1);
    const b = c.request('demo.echo', 2);
    await assert.rejects(c.request('demo.echo', 3), (e) => e.code === 'queue_full' && e.remote === false);
    assert.equal(c.stats.queued, 2);
    await c.close();
    await assert.rejects(a, (e) => e.code === 'client_closed');
    await assert.rejects(b, (e) => e.code === 'client_closed');
  });

  it('bounds the requests waiting for a response by maxPendingRequests (overflow)', async () => {
    const c = new TetherClient({ url, clientId: 'a', maxPendingRequests: 2 });
    const waiting = Promise.allSettled([c.request('demo.echo', 1), c.request('demo.echo', 2)]);
    await assert.rejects(c.request('demo.echo', 3), (e) => e.code === 'overflow');
    await c.close();
    await waiting;
  });

  it('bounds the queue by bytes as well', async () => {
    const c = new TetherClient({ url, clientId: 'a', maxFrameBytes: 1024, maxQueuedBytes: 1024 });
    const first = c.request('demo.echo', 'x'.repeat(600));
    await assert.rejects(c.request('demo.echo', 'y'.repeat(600)), (e) => e.code === 'queue_full');
    await c.close();
    await assert.rejects(first);
  });

  it('fails a request larger than maxFrameBytes with too_large, also when queued', async () => {
    const c = new TetherClient({ url, clientId: 'a', maxFrameBytes: 512, maxOutboundBytes: 512, maxQueuedBytes: 512 });
    await assert.rejects(c.request('demo.echo', 'z'.repeat(600)), (e) => e.code === 'too_large');
    await c.close();
  });

  it('fails subscribe with not_connected while OFFLINE', async () => {
    const c = new TetherClient({ url, clientId: 'a' });
    await assert.rejects(c.subscribe('t', 0), (e) => e.code === 'not_connected');
    await c.close();
  });

  it('fails connect() with connect_failed when nothing listens, and stays OFFLINE', async () => {
    const c = new TetherClient({ url, clientId: 'a', connectTimeoutMs: 3000 });
    await assert.rejects(c.connect(), (e) => e.code === 'connect_failed');
    assert.equal(c.state, 'OFFLINE');
    await c.close();
  });

  it('keeps queued writes in its store on close, for the next client', async () => {
    const store = new MemoryStore();
    const c = new TetherClient({ url, clientId: 'w', store });
    await c.ready();
    const p = c.request('orders.create', { item: 'tea' });
    await c.close();
    await assert.rejects(p, (e) => e.code === 'client_closed');
    assert.deepEqual(store.snapshot.writes, [{ address: 'orders.create', body: { item: 'tea' } }]);
    assert.equal(store.snapshot.clientId, 'w');
  });

  it('ignores a store snapshot of another clientId and reports store_failed', async () => {
    const store = new MemoryStore();
    store.snapshot = { format: 1, clientId: 'someone-else', writes: [{ address: 'a.b', body: 1 }], topics: [] };
    const c = new TetherClient({ url, clientId: 'me', store });
    const errors = [];
    c.on('error', (e) => errors.push(e.code));
    await c.ready();
    assert.equal(c.stats.queued, 0);
    assert.deepEqual(errors, ['store_failed']);
    await c.close();
  });

  it('backs off exponentially with full jitter between 1 ms and the bound', () => {
    const top = new Backoff(100, 1000, -1, () => 0.999999);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(() => top.nextDelay()), [100, 200, 400, 800, 1000, 1000]);
    const bottom = new Backoff(100, 1000, 3, () => 0);
    assert.equal(bottom.nextDelay(), 1);
    bottom.nextDelay();
    bottom.nextDelay();
    assert.ok(bottom.exhausted);
  });

  it('uses the Java SDK defaults', () => {
    assert.equal(DEFAULTS.reconnectInitialDelayMs, 250);
    assert.equal(DEFAULTS.reconnectMaxDelayMs, 30_000);
    assert.equal(DEFAULTS.requestTimeoutMs, 60_000);
    assert.equal(DEFAULTS.maxQueuedRequests, 1000);
    assert.equal(DEFAULTS.maxOutboundFrames, 1000);
  });
});
