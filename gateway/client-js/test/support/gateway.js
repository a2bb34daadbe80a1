// Test support: a real gateway node (the server's fat jar) as a child process, on free ports, stopped after.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
export const CLIENT_JS_DIR = resolve(here, '../..');
export const JAR = resolve(CLIENT_JS_DIR, process.env.TETHER_JAR ?? '../server/target/tether-gateway.jar');
export const API_KEY = 'client-js-test-key-0123456789';

/** A port nobody listens on now (the OS picks it). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Resolves with the value `probe()` resolves to once it is truthy; rejects after `timeoutMs`. */
export async function until(probe, timeoutMs, what, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves with the arguments of the first `event` of `emitter` for which `test` holds; rejects after timeoutMs. */
export function nextEvent(emitter, event, test = () => true, timeoutMs = 10_000) {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      rej(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    function listener(...args) {
      if (!test(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      res(args.length > 1 ? args : args[0]);
    }
    emitter.on(event, listener);
  });
}

/**
 * Starts a demo node with `args` on free ports; resolves when /health answers 200. The node has an API key (in its
 * environment) so that tests can read presence records.
 */
export async function startNode(args = [], { startTimeoutMs = 180_000 } = {}) {
  if (!existsSync(JAR)) {
    throw new Error(`gateway jar not found at ${JAR}: build it (mvn -o -B -q -pl gateway/server -am package -DskipTests) or set TETHER_JAR`);
  }
  const port = await freePort();
  const mgmt = await freePort();
  const cluster = await freePort();
  const nodeId = `js-${port}`;
  const child = spawn('java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC',
    '-Djava.util.concurrent.ForkJoinPool.common.parallelism=4',
    '-jar', JAR, '--demo', '--host', '127.0.0.1', '--port', String(port), '--management-host', '127.0.0.1',
    '--management-port', String(mgmt), '--cluster-port', String(cluster), '--node-id', nodeId,
    '--drain-timeout-ms', '1000', '--instances', '1', ...args], {
    env: { ...process.env, TETHER_API_KEY: API_KEY }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((r) => child.on('exit', (code, sig) => {
    exited = code ?? sig;
    r();
  }));
  const node = {
    port, mgmt, nodeId, url: `ws://127.0.0.1:${port}/ws`, child,
    output: () => output,
    async presence(clientId) {
      const r = await fetch(`http://127.0.0.1:${mgmt}/admin/clients/${encodeURIComponent(clientId)}`,
        { headers: { Authorization: `Bearer ${API_KEY}` } });
      return r.status === 200 ? r.json() : null;
    },
    async stop() {
      if (exited !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exit;
      clearTimeout(t);
    },
  };
  try {
    await until(async () => {
      if (exited !== null) throw new Error(`the node exited (${exited}):\n${output}`);
      const r = await fetch(`http://127.0.0.1:${mgmt}/health`);
      return r.status === 200;
    }, startTimeoutMs, 'the node to be healthy', 200);
  } catch (e) {
    await node.stop();
    throw new Error(`${e.message}\n--- node output ---\n${output}`);
  }
  return node;
}
