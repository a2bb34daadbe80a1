// The SDK against one real gateway node (the fat jar, --demo), some through a fault relay. Each test names the
// behaviour it verifies. The node: backend authentication (the demo authenticator accepts `demo:<clientId>`),
// a short heartbeat (dead sockets are found in seconds) and a short resume window (re-sync can be reached).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, nextEvent, until } from './support/gateway.js';
import { FaultRelay } from './support/relay.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../src/file-store.js';
import { recordingClient, sessionEvent, pushesReceived, closeAll, uniqueId } from './support/clients.js';

const RESUME_WINDOW_MS = 4000;
let node;
const clients = [];
const relays = [];

function client(url, options = {}) {
  const clientId = options.clientId ?? uniqueId('s');
  const c = recordingClient(url, { token: `demo:${clientId}`, ...options, clientId });
  clients.push(c);
  return c;
}

async function relay() {
  const r = await new FaultRelay(node.port).start();
  relays.push(r);
  return r;
}

/** Parsed reliable server frames the relay forwarded, per relayed connection: conn id → [seq…]. */
function tapServerSeqs(r, cutWhen = () => false) {
  const byConn = new Map();
  r.onServerFrame = (text, conn) => {
    const f = JSON.parse(text);
    if (f.seq > 0) {
      if (cutWhen(f)) return 'cut';
      if (!byConn.has(conn.id)) byConn.set(conn.id, []);
      byConn.get(conn.id).push(f.seq);
    }
    return undefined;
  };
  return byConn;
}

/** Resolves when the node's presence record of `clientId` is in `state` (DETACHED once the node saw the break). */
function presenceIs(clientId, state, timeoutMs = 10_000) {
  return until(async () => (await node.presence(clientId))?.state === state, timeoutMs, `presence ${state}`);
}

function assertOnceInOrder(pushes, count) {
  const ns = pushes.filter((p) => p.stream === 0).map((p) => p.body.n);
  assert.deepEqual(ns, Array.from({ length: count }, (_, i) => i + 1), 'each push once, in order');
}

describe('tether-client against a gateway node', { timeout: 300_000 }, () => {
  before(async () => {
    node = await startNode(['--auth', 'backend', '--heartbeat-ms', '2000', '--resume-window-ms',
      String(RESUME_WINDOW_MS), '--refresh-lead-ms', '2000', '--credential-grace-ms', '1000',
      '--allowed-topics', '*-*']); // every topic of these tests has a '-' (uniqueId); 'secret' is refused
  });

  afterEach(async () => {
    await closeAll(clients);
    await Promise.all(relays.map((r) => r.close()));
    relays.length = 0;
  });

  after(async () => {
    await node?.stop();
  });

  it('answers a request with the response body (demo.echo)', async () => {
    const c = client(node.url);
    await c.connect();
    assert.equal(c.state, 'ONLINE');
    assert.equal(c.node, node.nodeId);
    assert.deepEqual(await c.request('demo.echo', { hello: 'world', n: [1, 2] }), { hello: 'world', n: [1, 2] });
    assert.deepEqual(c.sessions.map((e) => e.kind), ['STARTED']);
  });

  it('rejects a refused request with the server code, marked remote', async () => {
    const c = client(node.url);
    await c.connect();
    await assert.rejects(c.request('not.allowed.here', {}), (e) => e.code === 'not_allowed' && e.remote === true);
  });

  it('fails connect() with unauthorized when the credential is refused, without repeating the token', async () => {
    const c = client(node.url, { token: 'not-a-demo-token' });
    await assert.rejects(c.connect(), (e) => e.code === 'unauthorized' && e.remote === true
      && !e.message.includes('not-a-demo-token'));
    assert.equal(c.state, 'OFFLINE');
  });

  it('delivers 1000 pushes once each, in seq order', async () => {
    const c = client(node.url);
    const wire = [];
    c.on('frame', (text) => {
      const f = JSON.parse(text);
      if (f.type === 'push') wire.push(f.seq);
    });
    await c.connect();
    assert.deepEqual(await c.request('demo.push', { count: 1000 }), { sent: 1000 });
    await pushesReceived(c, 1000);
    assertOnceInOrder(c.pushes, 1000);
    const seqs = c.pushes.map((p) => p.seq);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `push seqs without gaps at ${i}`);
    assert.equal(new Set(wire).size, wire.length, 'no push frame twice at the wire');
  });

  it('drops a reliable frame replayed at the wire', async () => {
    const r = await relay();
    const c = client(r.url);
    const acks = [];
    r.onServerFrame = (text) => (JSON.parse(text).body?.n === 5 ? 'twice' : undefined);
    r.onClientFrame = (text) => {
      const f = JSON.parse(text);
      if (f.type === 'ack') acks.push(f.ack);
    };
    await c.connect();
    await c.request('demo.push', { count: 10 });
    await pushesReceived(c, 10);
    await c.request('demo.echo', 'sync'); // everything before its response has been handled
    assertOnceInOrder(c.pushes, 10);
    const replayed = c.pushes[4].seq;
    await until(() => acks.some((a) => a >= replayed), 5000, 'an ack covering the replayed frame');
  });

  it('delivers a volatile push without a seq, marked volatile', async () => {
    const c = client(node.url);
    await c.connect();
    await c.request('demo.push', { count: 3, qos: 0 });
    await pushesReceived(c, 3);
    assert.ok(c.pushes.every((p) => p.volatile === true && p.seq === 0));
  });

  it('gives related resources of a request with their labels before the response', async () => {
    const c = client(node.url);
    await c.connect();
    const reply = await c.requestEx('demo.related', { id: 7 });
    assert.deepEqual(reply.body, { id: 7 });
    assert.deepEqual(Object.keys(reply.resources).sort(), ['a', 'b']);
    const related = c.pushes.filter((p) => p.resource !== null);
    assert.deepEqual(related.map((p) => p.resource), ['a', 'b']);
    assert.ok(related.every((p) => p.stream % 2 === 1), 'on the request stream (odd)');
  });

  it('resumes after the socket is cut mid-stream and gets exactly the missed frames once', async () => {
    const r = await relay();
    const c = client(r.url);
    let cut = false;
    const wire = tapServerSeqs(r, (f) => {
      if (!cut && f.type === 'push' && f.body?.n === 300) return (cut = true);
      return false;
    });
    let resumeLastSeq = null;
    let receivedBeforeResume = 0;
    r.onClientFrame = (text) => {
      const f = JSON.parse(text);
      if (f.type === 'resume') resumeLastSeq = f.lastSeq;
    };
    c.on('frame', (text) => {
      const f = JSON.parse(text);
      if (f.seq > 0 && resumeLastSeq === null) receivedBeforeResume = Math.max(receivedBeforeResume, f.seq);
    });
    await c.connect();
    const sessionId = c.sessionId;
    const resumed = sessionEvent(c, 'RESUMED');
    assert.deepEqual(await c.request('demo.push', { count: 1000 }), { sent: 1000 });
    await resumed;
    await pushesReceived(c, 1000);
    assertOnceInOrder(c.pushes, 1000);
    assert.equal(c.sessionId, sessionId, 'the same session');
    assert.ok(cut && r.connections >= 2);
    // At the wire: the connection after the break starts right after what the client said it had, with no gap.
    const [first, ...later] = [...wire.keys()].sort((a, b) => a - b);
    assert.ok(resumeLastSeq !== null, 'the client sent resume');
    assert.equal(resumeLastSeq, receivedBeforeResume, 'resume.lastSeq is the last seq the client received');
    const before = wire.get(first);
    assert.ok(resumeLastSeq <= Math.max(...before), 'resume.lastSeq is not beyond what crossed the wire');
    const replay = later.flatMap((id) => wire.get(id));
    assert.equal(replay[0], resumeLastSeq + 1, 'the replay starts after resume.lastSeq');
    replay.forEach((s, i) => assert.equal(s, resumeLastSeq + 1 + i, 'no gap and no duplicate in the replay'));
  });

  it('detects a silent socket by heartbeat, resumes, and resends the request the server never got', async () => {
    const r = await relay();
    const c = client(r.url, { requestTimeoutMs: 15_000 });
    await c.connect();
    const resumed = sessionEvent(c, 'RESUMED', 20_000);
    r.blackhole();
    const answer = c.request('demo.push', { count: 20 }); // written into the black hole
    await resumed;
    assert.deepEqual(await answer, { sent: 20 });
    await pushesReceived(c, 20);
    assertOnceInOrder(c.pushes, 20);
  });

  it('gives up a stalled socket mid-stream and resumes on a new one, every push once and in order', async () => {
    const r = await relay();
    const c = client(r.url);
    let stalled = false;
    r.onServerFrame = (text) => {
      if (!stalled && JSON.parse(text).body?.n === 200) {
        stalled = true;
        setImmediate(() => r.stall()); // the old socket stays open, unread both ways (TCP backpressure)
      }
      return undefined;
    };
    await c.connect();
    const resumed = sessionEvent(c, 'RESUMED', 20_000);
    const done = c.request('demo.push', { count: 1000 });
    await resumed;
    assert.deepEqual(await done, { sent: 1000 });
    await pushesReceived(c, 1000);
    assertOnceInOrder(c.pushes, 1000);
  });

  it('starts a new session and reports RESYNCED with the reason and the lost requests once the resume window passed', async () => {
    const r = await relay();
    const c = client(r.url);
    let asked;
    const question = new Promise((res) => {
      asked = res;
    });
    c.onRequest(() => {
      asked();
      return new Promise(() => {}); // never answered: the request below stays open on the old session
    });
    await c.connect();
    const old = c.sessionId;
    const open = c.request('demo.ask', { body: 1 });
    const outcome = open.then(() => 'answered', (e) => e.code);
    await question;
    r.refuse();
    r.cut();
    await presenceIs(c.clientId, 'DETACHED');
    // The window passes: the presence record leaves DETACHED (the session expired).
    await until(async () => (await node.presence(c.clientId))?.state !== 'DETACHED', RESUME_WINDOW_MS + 10_000,
      'the session to expire');
    const resynced = sessionEvent(c, 'RESYNCED');
    r.allow();
    const e = await resynced;
    assert.equal(e.reason, 'expired');
    assert.equal(e.previousSessionId, old);
    assert.equal(e.lostRequests, 1);
    assert.equal(await outcome, 'session_lost', 'the request sent on the lost session');
    assert.notEqual(c.sessionId, old);
    assert.deepEqual(await c.request('demo.echo', { after: 'resync' }), { after: 'resync' });
  });

  it('catches a topic up on subscribe with one notify of the latest version', async () => {
    const topic = uniqueId('catchup');
    const publisher = client(node.url);
    await publisher.connect();
    for (let i = 1; i <= 3; i++) await publisher.request('demo.publish', { topic, body: { i } });
    const c = client(node.url);
    await c.connect();
    const first = nextEvent(c, 'notify');
    await c.subscribe(topic, 0);
    const n = await first;
    assert.deepEqual([n.topic, n.version, n.body], [topic, 3, { i: 3 }]);
    await publisher.request('demo.publish', { topic, body: { i: 4 } });
    await until(() => c.notifies.length >= 2, 10_000, 'the next notify');
    assert.deepEqual(c.notifies.map((x) => x.version), [3, 4]);
    assert.deepEqual(c.cachedTopic(topic), { topic, version: 4, body: { i: 4 } });
  });

  it('does not notify on subscribe when the known version is current', async () => {
    const topic = uniqueId('current');
    const c = client(node.url);
    await c.connect();
    await c.request('demo.publish', { topic, body: 'v1' });
    await c.subscribe(topic, 1);
    await c.request('demo.publish', { topic, body: 'v2' });
    await until(() => c.notifies.length >= 1, 10_000, 'a notify');
    assert.deepEqual(c.notifies.map((x) => x.version), [2]);
  });

  it('coalesces the changes made while detached into one notify of the newest version', async () => {
    const topic = uniqueId('coalesce');
    const r = await relay();
    const c = client(r.url);
    const publisher = client(node.url);
    await Promise.all([c.connect(), publisher.connect()]);
    await publisher.request('demo.publish', { topic, body: 0 });
    await c.subscribe(topic, 1);
    r.refuse();
    r.cut();
    await presenceIs(c.clientId, 'DETACHED');
    for (let i = 1; i <= 5; i++) await publisher.request('demo.publish', { topic, body: i });
    const resumed = sessionEvent(c, 'RESUMED');
    r.allow();
    await resumed;
    await until(() => c.notifies.length >= 1, 10_000, 'the coalesced notify');
    await publisher.request('demo.publish', { topic, body: 6 });
    await until(() => c.notifies.length >= 2, 10_000, 'the notify after');
    assert.deepEqual(c.notifies.map((x) => [x.version, x.body]), [[6, 5], [7, 6]]);
  });

  it('fails subscribe() with not_allowed for a refused topic', async () => {
    const c = client(node.url);
    await c.connect();
    await assert.rejects(c.subscribe('secret', 0), (e) => e.code === 'not_allowed' && e.remote === true);
    assert.equal(c.subscriptions().has('secret'), false);
  });

  it('fails subscribe() with the refusal the server repeats after a resume when the first one was lost', async () => {
    const r = await relay();
    const c = client(r.url);
    let lost = false;
    r.onServerFrame = (text) => {
      const f = JSON.parse(text);
      if (!lost && f.type === 'error' && f.refSeq > 0) return (lost = true) && 'cut'; // never reaches the client
      return undefined;
    };
    await c.connect();
    const resumed = sessionEvent(c, 'RESUMED');
    const subscribed = c.subscribe('secret', 0);
    await assert.rejects(subscribed, (e) => e.code === 'not_allowed');
    await resumed;
    assert.ok(lost, 'the first refusal was cut off');
  });

  it('answers a server-initiated request with the onRequest handler (demo.ask)', async () => {
    const c = client(node.url);
    const asked = [];
    c.onRequest(async (req) => {
      asked.push(req);
      return { answer: 42, got: req.body };
    });
    await c.connect();
    const reply = await c.request('demo.ask', { body: { q: 'meaning' } });
    assert.deepEqual(reply, { answer: 42, got: { q: 'meaning' } });
    assert.equal(asked[0].address, 'demo.question');
    assert.equal(asked[0].stream % 2, 0, 'server streams are even');
  });

  it('answers a server request with ok:false when the handler throws', async () => {
    const c = client(node.url, { requestTimeoutMs: 20_000 });
    c.onRequest(() => {
      const e = new Error('no idea');
      e.code = 'not_allowed';
      throw e;
    });
    await c.connect();
    await assert.rejects(c.request('demo.ask', { body: 1 }), (e) => e.remote === true);
  });

  it('delivers requests queued while disconnected once each, in order, after the break', async () => {
    const topic = uniqueId('queued');
    const r = await relay();
    const c = client(r.url);
    await c.connect();
    r.refuse();
    r.cut();
    await until(() => c.state === 'RECONNECTING', 5000, 'RECONNECTING');
    const writes = [1, 2, 3, 4, 5].map((i) => c.request('demo.publish', { topic, body: i }));
    assert.equal(c.stats.queued, 5);
    r.allow();
    const versions = (await Promise.all(writes)).map((x) => x.version);
    assert.deepEqual(versions, [1, 2, 3, 4, 5], 'each write reached the backend once, in call order');
    const n = nextEvent(c, 'notify');
    await c.subscribe(topic, 0);
    assert.equal((await n).version, 5, 'no write was applied twice');
  });

  it('refreshes an expiring credential in the session, with no reconnect', async () => {
    const clientId = uniqueId('refresh');
    let supplied = 0;
    const c = client(node.url, { clientId, token: async () => {
      supplied++;
      return `demo:${clientId}:3`; // valid 3 s; the node asks 2 s before expiry
    } });
    await c.connect();
    const session = c.sessionId;
    const auths = [];
    c.on('auth', (a) => auths.push(a));
    await until(() => auths.length >= 2, 15_000, 'two refreshes');
    assert.ok(supplied >= 3, 'the supplier was asked for hello and for each refresh');
    assert.ok(auths[1].expiresAt > auths[0].expiresAt);
    assert.deepEqual(c.states, ['CONNECTING', 'ONLINE'], 'never left ONLINE');
    assert.equal(c.sessionId, session);
    assert.deepEqual(await c.request('demo.echo', 1), 1);
  });

  it('keeps writes queued offline in a file store and sends them once from the next client', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tether-js-store-'));
    try {
      const topic = uniqueId('stored');
      const clientId = uniqueId('store');
      const file = join(dir, 'client.json');
      const offline = client(node.url, { clientId, store: new FileStore(file) });
      await offline.ready();
      const queued = Promise.allSettled([1, 2, 3].map((i) => offline.request('demo.publish', { topic, body: i })));
      await offline.close(); // never connected: the writes stay in the store
      await queued;
      assert.equal(JSON.parse(await readFile(file, 'utf8')).writes.length, 3);
      const next = client(node.url, { clientId, store: new FileStore(file) });
      await next.connect();
      await until(async () => JSON.parse(await readFile(file, 'utf8')).writes.length === 0, 10_000,
        'the store to be emptied as the writes are sent');
      const n = nextEvent(next, 'notify');
      await next.subscribe(topic, 0);
      assert.deepEqual([(await n).version, (await n).body], [3, 3], 'three writes, each applied once, in order');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ends the session with ENDED (replaced) when another client says hello with the same clientId', async () => {
    const clientId = uniqueId('replaced');
    const older = client(node.url, { clientId });
    await older.connect();
    const ended = sessionEvent(older, 'ENDED');
    const newer = client(node.url, { clientId });
    await newer.connect();
    const e = await ended;
    assert.equal(e.reason, 'replaced');
    assert.equal(older.state, 'CLOSED');
    await assert.rejects(older.request('demo.echo', 1), (x) => x.code === 'client_closed');
    assert.deepEqual(await newer.request('demo.echo', 2), 2);
  });

  it('sends new presence attrs in a ping (updateAttrs)', async () => {
    const c = client(node.url, { attrs: { app: '1.0' } });
    await c.connect();
    assert.equal((await node.presence(c.clientId)).attrs.app, '1.0'); // with the credential's own attrs
    c.updateAttrs({ app: '1.1', net: 'wifi' });
    await until(async () => (await node.presence(c.clientId)).attrs?.app === '1.1', 10_000, 'the new attrs');
    const { app, net } = (await node.presence(c.clientId)).attrs;
    assert.deepEqual({ app, net }, { app: '1.1', net: 'wifi' });
  });

  it('ends the session on close() with bye: presence CLOSED', async () => {
    const c = client(node.url);
    await c.connect();
    await c.close();
    assert.equal(c.state, 'CLOSED');
    await presenceIs(c.clientId, 'CLOSED');
    assert.equal(c.sessions.at(-1).kind, 'ENDED');
    await assert.rejects(c.request('demo.echo', 1), (e) => e.code === 'client_closed');
  });
});
