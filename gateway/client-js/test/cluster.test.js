// The SDK through HAProxy in front of a 3-node cluster with a backend member (scripts/cluster.sh), across a kill -9
// of the node that serves the client: the session resumes on another node and no push is lost or duplicated.
// Skipped (with the reason) when haproxy is not installed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { CLIENT_JS_DIR, JAR } from './support/gateway.js';
import { recordingClient, sessionEvent, pushesReceived, closeAll } from './support/clients.js';

const run = promisify(execFile);
const SCRIPT = resolve(CLIENT_JS_DIR, '../../scripts/cluster.sh');
const CLUSTER_DIR = resolve(CLIENT_JS_DIR, 'target/cluster');

function haveHaproxy() {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function portFree(port) {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** A port base whose every port cluster.sh uses (base+1..3, +9 for the backend, per kind) is free now. */
async function freeBases() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 400) * 100;
    const env = { PORT_BASE: base, MGMT_PORT_BASE: base + 20, HZ_PORT_BASE: base + 40, LB_PORT: base + 60,
      LB_STATS_PORT: base + 61 };
    const ports = [1, 2, 3].map((k) => base + k)
      .concat([1, 2, 3, 9].flatMap((k) => [base + 20 + k, base + 40 + k]), [base + 60, base + 61]);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return env;
  }
  throw new Error('no free port range for the cluster');
}

const skip = haveHaproxy() ? false : 'haproxy is not installed (apt-get install haproxy)';

describe('tether-client through HAProxy in front of a cluster', { skip, timeout: 420_000 }, () => {
  let env;
  const clients = [];

  const cluster = (...args) => run('bash', [SCRIPT, ...args], { env, timeout: 400_000, maxBuffer: 1 << 22 });

  before(async () => {
    env = { ...process.env, ...Object.fromEntries(Object.entries(await freeBases()).map(([k, v]) => [k, String(v)])),
      CLUSTER_DIR, TETHER_JAR: JAR, NODE_HEAP: '256m', NODE_JVM_ARGS: '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC',
      NODE_ARGS: '--drain-timeout-ms 2000', STOP_TIMEOUT_S: '15',
      // Generous: on a machine shared with other builds, 4 JVMs may take minutes to form a cluster.
      START_TIMEOUT_S: process.env.TETHER_JS_START_TIMEOUT_S ?? '180' };
    try {
      await cluster('up', '3');
    } catch (e) {
      throw new Error(`cluster.sh up failed: ${e.stderr || e.message}`);
    }
  });

  after(async () => {
    await closeAll(clients);
    if (env) await cluster('down').catch((e) => console.error(`cluster.sh down: ${e.stderr || e.message}`));
  });

  it('resumes on another node after a kill -9 of its node, with every push once and in order', async () => {
    const c = recordingClient(`ws://127.0.0.1:${env.LB_PORT}/ws`, { requestTimeoutMs: 60_000 });
    clients.push(c);
    await c.connect();
    const first = c.node;
    assert.match(first, /^node-[123]$/);
    const count = 3000;
    const done = c.request('demo.push', { count });
    await pushesReceived(c, 300);
    const resumed = sessionEvent(c, 'RESUMED', 60_000);
    await cluster('kill', first);
    await resumed;
    assert.notEqual(c.node, first, 'resumed on a surviving node');
    assert.deepEqual(await done, { sent: count });
    await pushesReceived(c, count, 60_000);
    const ns = c.pushes.map((p) => p.body.n);
    const dupes = ns.length - new Set(ns).size;
    const gaps = ns.filter((n, i) => n !== i + 1).length;
    assert.equal(dupes, 0, 'no push twice');
    assert.equal(gaps, 0, 'no push missing or out of order');
    assert.equal(ns.length, count);
    assert.ok(!c.sessions.some((e) => e.kind === 'RESYNCED'), 'the session was never lost');
  });

  it('moves to another node when its node drains (reconnect frame), and the session goes on', async () => {
    const c = recordingClient(`ws://127.0.0.1:${env.LB_PORT}/ws`);
    clients.push(c);
    const told = [];
    c.on('frame', (text) => {
      const f = JSON.parse(text);
      if (f.type === 'reconnect') told.push(f.reason);
    });
    await c.connect();
    const first = c.node;
    const sessionId = c.sessionId;
    const resumed = sessionEvent(c, 'RESUMED', 60_000);
    // SIGTERM to the node cluster.sh started (its pid file): it drains, tells its clients to reconnect, and exits;
    // `down` then finds it gone. (`cluster.sh restart` would also wait for a new JVM to start: 15 s more here.)
    const pid = Number((await readFile(resolve(CLUSTER_DIR, `${first}.pid`), 'utf8')).trim());
    process.kill(pid, 'SIGTERM');
    await resumed;
    assert.deepEqual(told, ['shutdown']);
    assert.notEqual(c.node, first, 'resumed on another node');
    assert.equal(c.sessionId, sessionId);
    assert.deepEqual(await c.request('demo.echo', { after: 'drain' }), { after: 'drain' });
  });
});
