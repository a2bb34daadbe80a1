// The client's own requests (docs/CLIENT-JS.md "Requests", "Offline"), as the Java SDK's RequestTable, and the
// answers to the server's requests (ServerRequests). Each own request gets a new odd stream id at the call. It is
// either queued (made while no socket is attached, or behind earlier queued ones; not numbered yet, so it survives
// the loss of a session) or sent (a reliable frame of the session). Queued requests are sent in call order, as fast
// as the outbound buffer has room; their timeout starts when they are sent.
import { TetherError, ClientErrorCode, ErrorCode } from './errors.js';
import { utf8Length } from './options.js';

/** Size counted for a queued request besides its address and body (the frame's fixed fields). */
const QUEUED_OVERHEAD_BYTES = 64;
/** Related resources kept per request (their labels are the backend's; more are dropped, and reported). */
const MAX_RESOURCES = 64;

export class RequestTable {
  #opts;
  #channel;
  #state;
  #listener; // { writesChanged(), problem(err) }
  /** Every request waiting for its response (queued or sent), by stream. */
  #requests = new Map();
  /** Requests not sent yet, in call order. */
  #queue = [];
  #queueBytes = 0;
  #nextStream = 1;

  constructor(opts, channel, state, listener) {
    this.#opts = opts;
    this.#channel = channel;
    this.#state = state;
    this.#listener = listener;
  }

  /** Places a request; resolves with { body, resources, receivedAt } or rejects with a TetherError. */
  submit(address, body, timeoutMs, restored = false) {
    return new Promise((resolve, reject) => {
      if (this.#state() === 'CLOSED') {
        reject(new TetherError(ClientErrorCode.CLIENT_CLOSED, 'the client is closed'));
        return;
      }
      if (this.#requests.size >= this.#opts.maxPendingRequests) {
        reject(new TetherError(ErrorCode.OVERFLOW, `${this.#requests.size} requests wait for their response `
          + `(maxPendingRequests ${this.#opts.maxPendingRequests})`));
        return;
      }
      const bodyJson = JSON.stringify(body === undefined ? null : body);
      const p = { stream: this.#nextStream, address, body: JSON.parse(bodyJson), resolve, reject, timeoutMs,
        restored, frame: null, queued: false, timer: null, resources: null,
        queuedBytes: utf8Length(address) + utf8Length(bodyJson) + QUEUED_OVERHEAD_BYTES };
      if (this.#channel.isOpen && this.#queue.length === 0) {
        try {
          p.frame = this.#channel.send(this.#frameOf(p));
        } catch (e) {
          reject(e);
          return;
        }
        this.#nextStream += 2;
        this.#requests.set(p.stream, p);
        this.#startTimer(p);
        return;
      }
      // Queued: checked now, so that it fails at the call rather than when it is sent.
      const frameBytes = utf8Length(JSON.stringify({ ...this.#frameOf(p), seq: Number.MAX_SAFE_INTEGER }));
      if (frameBytes > this.#opts.maxFrameBytes) {
        reject(new TetherError(ErrorCode.TOO_LARGE, `the 'request' frame is ${frameBytes} bytes, above `
          + `maxFrameBytes (${this.#opts.maxFrameBytes})`));
        return;
      }
      if (this.#queue.length >= this.#opts.maxQueuedRequests
          || this.#queueBytes + p.queuedBytes > this.#opts.maxQueuedBytes) {
        reject(new TetherError(ClientErrorCode.QUEUE_FULL, `the request queue is full (${this.#queue.length} `
          + `requests, ${this.#queueBytes} bytes wait for the connection; bounds: maxQueuedRequests `
          + `${this.#opts.maxQueuedRequests}, maxQueuedBytes ${this.#opts.maxQueuedBytes})`));
        return;
      }
      this.#nextStream += 2;
      this.#requests.set(p.stream, p);
      p.queued = true;
      this.#queue.push(p);
      this.#queueBytes += p.queuedBytes;
      this.#listener.writesChanged();
      this.drain();
    });
  }

  #frameOf(p) {
    return { type: 'request', stream: p.stream, address: p.address, body: p.body };
  }

  #startTimer(p) {
    if (p.timeoutMs <= 0 || p.timer !== null) return;
    p.timer = setTimeout(() => {
      if (this.#requests.get(p.stream) !== p) return;
      this.#requests.delete(p.stream);
      if (p.queued) this.#unqueue(p);
      this.#fail(p, new TetherError(ErrorCode.TIMEOUT, `no response to '${p.address}' within ${p.timeoutMs} ms`));
    }, p.timeoutMs);
  }

  #fail(p, error) {
    clearTimeout(p.timer);
    p.reject(error);
    if (p.restored && !error.remote && error.code !== ClientErrorCode.CLIENT_CLOSED) {
      this.#listener.problem(new TetherError(error.code, `stored write to '${p.address}' not sent: ${error.message}`));
    } else if (p.restored && error.remote) {
      this.#listener.problem(new TetherError(error.code, `stored write to '${p.address}' refused: ${error.message}`,
        { remote: true }));
    }
  }

  #unqueue(p) {
    const i = this.#queue.indexOf(p);
    if (i >= 0) {
      this.#queue.splice(i, 1);
      p.queued = false;
      this.#queueBytes -= p.queuedBytes;
      this.#listener.writesChanged();
    }
  }

  /**
   * Sends queued requests, in order, while the outbound buffer has room: each becomes a reliable frame with the next
   * seq. Only while a socket is attached, i.e. every older kept frame was written already (else a seq would overtake).
   */
  drain() {
    if (!this.#channel.isOpen || this.#queue.length === 0) return;
    let changed = false;
    while (this.#queue.length > 0) {
      const p = this.#queue[0];
      if (!this.#channel.hasRoom(p.queuedBytes)) break; // the next acks make room
      this.#queue.shift();
      p.queued = false;
      this.#queueBytes -= p.queuedBytes;
      changed = true;
      try {
        p.frame = this.#channel.send(this.#frameOf(p), true);
      } catch (e) {
        this.#requests.delete(p.stream);
        this.#fail(p, e);
        continue;
      }
      this.#startTimer(p); // a queued request's timeout starts now
    }
    if (changed) this.#listener.writesChanged();
  }

  /** A related resource pushed on a sent request's stream (docs/PROTOCOL.md §5): kept for the reply. */
  related(push) {
    const p = this.#requests.get(push.stream);
    if (!p || p.queued) return;
    if (!p.resources) p.resources = {};
    if (Object.keys(p.resources).length < MAX_RESOURCES || push.resource in p.resources) {
      p.resources[push.resource] = push.body;
    }
  }

  onResponse(r) {
    const p = this.#requests.get(r.stream);
    if (!p || p.queued) return; // timed out already, or an answer to a request of a lost session
    this.#requests.delete(r.stream);
    clearTimeout(p.timer);
    if (r.ok === true) {
      p.resolve({ body: r.body === undefined ? null : r.body, resources: p.resources ?? {}, receivedAt: Date.now() });
    } else {
      this.#fail(p, TetherError.fromServer(r.error ?? {}));
    }
  }

  /** A non-fatal error naming a sent request by `refSeq` (a refusal without a response, §7). True if it was one. */
  refused(e) {
    if (!Number.isSafeInteger(e.refSeq) || e.refSeq <= 0) return false;
    for (const p of this.#requests.values()) {
      if (!p.queued && p.frame && p.frame.seq === e.refSeq) {
        this.onResponse({ stream: p.stream, ok: false, error: e });
        return true;
      }
    }
    return false;
  }

  /**
   * A new session replaced a lost one. Requests already written may or may not have been acted on: they fail with
   * `session_lost`. Sent requests never written are numbered again, in order, from `old` (the lost session's unacked
   * frames); queued ones follow as usual. Returns how many failed.
   */
  sessionLost(old) {
    let lost = 0;
    for (const p of [...this.#requests.values()]) {
      if (!p.queued && (p.frame === null || p.frame.written)) {
        this.#requests.delete(p.stream);
        this.#fail(p, new TetherError(ClientErrorCode.SESSION_LOST, `the session was lost after the request to `
          + `'${p.address}' was sent; whether the server acted on it is unknown`));
        lost++;
      }
    }
    for (const f of old) {
      if (f.frame.type !== 'request') continue;
      const p = this.#requests.get(f.frame.stream);
      if (p && p.frame === f) p.frame = this.#channel.renumber(f.frame);
    }
    return lost;
  }

  /** Fails the sent requests (closed, a first connect failed, the session ended); the queue stays. */
  failSent(error) {
    for (const p of [...this.#requests.values()]) {
      if (!p.queued) {
        this.#requests.delete(p.stream);
        this.#fail(p, error);
      }
    }
  }

  /** Fails and empties the queue (the client closed). */
  failQueued(error) {
    const queued = this.#queue;
    this.#queue = [];
    this.#queueBytes = 0;
    for (const p of queued) {
      this.#requests.delete(p.stream);
      this.#fail(p, error);
    }
  }

  /** The queued requests, in order, for the store: [{ address, body }]. */
  queuedWrites() {
    return this.#queue.map((p) => ({ address: p.address, body: p.body }));
  }

  get queued() {
    return this.#queue.length;
  }

  get pending() {
    return this.#requests.size;
  }
}

/**
 * Requests the server sends (docs/PROTOCOL.md §5, `gateway.request` from a backend): each is answered with what the
 * application's handler returns, as a reliable `response` on the request's stream. An answer that comes after its
 * session was lost is dropped (the server that asked is gone with it).
 */
export class ServerRequests {
  #channel;
  #handler; // () => the application's handler or null
  #state;
  #problem;
  #generation = 0;

  constructor(channel, handler, state, problem) {
    this.#channel = channel;
    this.#handler = handler;
    this.#state = state;
    this.#problem = problem;
  }

  newSession() {
    this.#generation++;
  }

  onRequest(r) {
    const asked = this.#generation;
    const h = this.#handler();
    const req = Object.freeze({ seq: r.seq, stream: r.stream, address: r.address, body: r.body ?? null });
    const answer = h === null
      ? Promise.reject(new TetherError(ErrorCode.NO_HANDLER, 'this client does not answer server requests'))
      : new Promise((resolve) => resolve(h(req)));
    answer.then((body) => this.#answer(asked, r, true, body), (e) => this.#answer(asked, r, false, e));
  }

  #answer(asked, r, ok, value) {
    if (asked !== this.#generation || this.#state() === 'CLOSED') return; // the session that asked is gone
    let response;
    if (ok) {
      let json;
      try {
        json = JSON.stringify(value === undefined ? null : value);
      } catch {
        json = undefined;
      }
      response = json !== undefined
        ? { type: 'response', stream: r.stream, ok: true, body: JSON.parse(json), fin: true }
        : { type: 'response', stream: r.stream, ok: false, fin: true,
          error: { code: ErrorCode.BACKEND_ERROR, message: "the client's answer cannot be encoded as JSON" } };
    } else {
      const code = value instanceof TetherError || (value && typeof value.code === 'string')
        ? value.code : ErrorCode.BACKEND_ERROR;
      const message = value && typeof value.message === 'string' ? value.message : String(value);
      response = { type: 'response', stream: r.stream, ok: false, fin: true, error: { code, message } };
    }
    try {
      this.#channel.send(response, true);
    } catch (e) {
      this.#problem(new TetherError(e.code, `cannot answer server request '${r.address}': ${e.message}`));
    }
  }
}
