// The client's options, their defaults (the Java SDK's TetherClientOptions.DEFAULT_*) and their validation: a bad
// option fails the constructor with a TypeError/RangeError that names it.

export const DEFAULTS = Object.freeze({
  url: 'ws://127.0.0.1:8080/ws',
  heartbeatMs: 0, // 0: the server's (welcome.heartbeatMs)
  reconnectInitialDelayMs: 250,
  reconnectMaxDelayMs: 30_000,
  maxReconnectAttempts: -1, // never give up
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  maxFrameBytes: 65_536,
  maxOutboundFrames: 1000,
  maxOutboundBytes: 1024 * 1024,
  maxQueuedRequests: 1000,
  maxQueuedBytes: 1024 * 1024,
  maxPendingRequests: 1000,
  ackDelayMs: 50,
  ackBatchFrames: 100,
});

const CLIENT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

function integer(options, name, min, max = Number.MAX_SAFE_INTEGER) {
  const v = options[name] ?? DEFAULTS[name];
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`option ${name} must be an integer in [${min}, ${max}] (got ${String(v)})`);
  }
  return v;
}

/** A frozen, complete copy of `options`, checked. */
export function resolveOptions(options) {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const url = options.url ?? DEFAULTS.url;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`option url is not a URL: ${String(url)}`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new TypeError(`option url must be ws:// or wss:// (got ${parsed.protocol})`);
  }
  if (typeof options.clientId !== 'string' || !CLIENT_ID.test(options.clientId)) {
    throw new TypeError('option clientId is required: 1-128 characters of [A-Za-z0-9._:@-]');
  }
  const token = options.token;
  if (token !== undefined && token !== null && typeof token !== 'string' && typeof token !== 'function') {
    throw new TypeError('option token must be a string or a function returning a token (or a promise of one)');
  }
  const attrs = options.attrs;
  if (attrs !== undefined && attrs !== null && (typeof attrs !== 'object' || Array.isArray(attrs))) {
    throw new TypeError('option attrs must be a plain object');
  }
  const store = options.store;
  if (store !== undefined && store !== null
      && (typeof store.load !== 'function' || typeof store.save !== 'function')) {
    throw new TypeError('option store must have load() and save(snapshot) methods (see FileStore, IndexedDbStore)');
  }
  const r = {
    url,
    clientId: options.clientId,
    token: token ?? null,
    attrs: attrs ?? null,
    store: store ?? null,
    WebSocket: options.WebSocket ?? null,
    heartbeatMs: integer(options, 'heartbeatMs', 0),
    reconnectInitialDelayMs: integer(options, 'reconnectInitialDelayMs', 1),
    reconnectMaxDelayMs: integer(options, 'reconnectMaxDelayMs', 1),
    maxReconnectAttempts: integer(options, 'maxReconnectAttempts', -1),
    connectTimeoutMs: integer(options, 'connectTimeoutMs', 1),
    requestTimeoutMs: integer(options, 'requestTimeoutMs', 0),
    maxFrameBytes: integer(options, 'maxFrameBytes', 256),
    maxOutboundFrames: integer(options, 'maxOutboundFrames', 1),
    maxOutboundBytes: integer(options, 'maxOutboundBytes', 1),
    maxQueuedRequests: integer(options, 'maxQueuedRequests', 0),
    maxQueuedBytes: integer(options, 'maxQueuedBytes', 0),
    maxPendingRequests: integer(options, 'maxPendingRequests', 1),
    ackDelayMs: integer(options, 'ackDelayMs', 0, 200), // the contract: acks within 200 ms
    ackBatchFrames: integer(options, 'ackBatchFrames', 1),
  };
  if (r.reconnectMaxDelayMs < r.reconnectInitialDelayMs) {
    throw new RangeError('option reconnectMaxDelayMs must be >= reconnectInitialDelayMs');
  }
  if (r.maxOutboundBytes < r.maxFrameBytes) throw new RangeError('option maxOutboundBytes must be >= maxFrameBytes');
  if (r.maxQueuedRequests > 0 && r.maxQueuedBytes < r.maxFrameBytes) {
    throw new RangeError('option maxQueuedBytes must be >= maxFrameBytes (or maxQueuedRequests 0: no queue)');
  }
  return Object.freeze(r);
}

const encoder = new TextEncoder();

/** UTF-8 size of a string, as the server counts frames. */
export function utf8Length(s) {
  let n = s.length;
  // Fast path: ASCII only.
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return encoder.encode(s).length;
  }
  return n;
}
