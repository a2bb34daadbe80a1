// One socket attempt of the Connector, and where the WebSocket implementation comes from: the option's, the
// browser's native one, else the optional `ws` package in Node (Node 20 has no global WebSocket).
import { TetherError, ClientErrorCode } from './errors.js';

let wsModule = null;

/** The WebSocket constructor: the option's, the platform's, else the optional `ws` package (Node). */
export async function webSocketClass(opts) {
  if (opts.WebSocket) return { WS: opts.WebSocket, isWs: false };
  if (typeof globalThis.WebSocket === 'function' && !globalThis.process?.versions?.node) {
    return { WS: globalThis.WebSocket, isWs: false };
  }
  if (!wsModule) {
    try {
      // A specifier bundlers leave alone: a browser build must not try to include (or fail to find) ws.
      const specifier = 'ws';
      wsModule = (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)).default;
    } catch (e) {
      if (typeof globalThis.WebSocket === 'function') return { WS: globalThis.WebSocket, isWs: false };
      throw new TetherError(ClientErrorCode.CONNECT_FAILED, 'no WebSocket implementation: install the ws package '
        + '(npm install ws) or pass options.WebSocket', { cause: e });
    }
  }
  return { WS: wsModule, isWs: true };
}

/** One socket attempt: how far it got, its deadline and heartbeat timers. */
export class Connection {
  static #ids = 0;
  phase = 'CONNECTING'; // CONNECTING, HANDSHAKE, ONLINE, DEAD
  lastSent = 0;
  lastHeard = 0;
  socket = null;
  deadline = null;
  heartbeat = null;
  closedWaiters = [];

  constructor(mode) {
    this.id = ++Connection.#ids;
    this.mode = mode; // HELLO or RESUME
  }

  write(text) {
    this.lastSent = Date.now();
    try {
      if (this.socket && this.socket.readyState === 1) this.socket.send(text);
    } catch {
      // the socket is closing: the frame stays in the outbound buffer if it is reliable
    }
  }

  stopTimers() {
    clearTimeout(this.deadline);
    clearInterval(this.heartbeat);
    this.deadline = this.heartbeat = null;
  }

  /** Marks it dead, stops its timers, closes the socket; returns whether it was attached (ONLINE). */
  kill() {
    const attached = this.phase === 'ONLINE';
    this.phase = 'DEAD';
    this.stopTimers();
    const s = this.socket;
    if (s) {
      try {
        if (typeof s.terminate === 'function') s.terminate();
        else s.close();
      } catch {
        // not connected yet, or closing already
      }
    }
    return attached;
  }
}
