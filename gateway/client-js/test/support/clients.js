// Test support: SDK clients that record what they receive, and are all closed after the test.
import { TetherClient } from '../../src/index.js';
import { nextEvent } from './gateway.js';

let counter = 0;

/** A unique clientId per call (a run of the suite never reuses one, so sessions never replace each other). */
export function uniqueId(prefix) {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** A client with fast reconnects whose pushes, notifies, session events, states and errors are recorded. */
export function recordingClient(url, options = {}) {
  const c = new TetherClient({ url, reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 200,
    clientId: uniqueId('c'), ...options });
  c.pushes = [];
  c.notifies = [];
  c.sessions = [];
  c.states = [];
  c.errors = [];
  c.on('push', (p) => c.pushes.push(p));
  c.on('notify', (n) => c.notifies.push(n));
  c.on('session', (e) => c.sessions.push(e));
  c.on('state', (s) => c.states.push(s));
  c.on('error', (e) => c.errors.push(e));
  return c;
}

/** Resolves when `client` has had a session event of `kind` (counting ones already recorded after `from`). */
export function sessionEvent(client, kind, timeoutMs = 15_000) {
  return nextEvent(client, 'session', (e) => e.kind === kind, timeoutMs);
}

/** Resolves once `n` pushes whose body has `n` were received. */
export function pushesReceived(client, n, timeoutMs = 20_000) {
  if (client.pushes.length >= n) return Promise.resolve();
  return nextEvent(client, 'push', () => client.pushes.length >= n, timeoutMs);
}

/** Closes every client in `clients`, ignoring failures. */
export async function closeAll(clients) {
  await Promise.allSettled(clients.map((c) => c.close()));
  clients.length = 0;
}
