// The client's sockets (docs/PROTOCOL.md §2, §4), as the Java SDK's Connector: attempts with backoff, the
// hello/resume handshake, heartbeats both ways, `reconnect`, `refresh`, fatal errors, and the connection state. A
// connection is one socket attempt; the session (sessionId, resume token) spans connections until it ends or cannot
// be resumed, when a new one starts (re-sync). Frames that are not the connection's business go to the listener.
import { Backoff } from './backoff.js';
import { TetherError, ClientErrorCode, ErrorCode } from './errors.js';
import { Connection, webSocketClass } from './socket.js';

/** Fatal server errors in a row without progress before the client stops reconnecting (avoids a resend loop). */
const MAX_FATAL_STREAK = 3;
/** How long close() waits for the server to close the socket after `bye`. */
const BYE_CLOSE_WAIT_MS = 2000;
/** Heartbeat checks run this often at most (and at least every heartbeat/4). */
const MAX_TICK_MS = 1000;

export class Connector {
  #opts;
  #events; // { state(s, prev), session(e), problem(err), inbound(text), authOk(expiresAt) }
  #listener;
  #channel;
  #backoff;
  #conn = null;
  #connectWaiters = [];
  #attrs;
  #attrsDirty = false;
  #fatalStreak = 0;
  state = 'OFFLINE';
  // The session ticket: what identifies the session across connections.
  sessionId = null;
  node = null;
  heartbeatMs = 0;
  #resumeToken = null;
  #leavingNode = null;
  #lost = null; // { sessionId, reason } from a failed resume until the next welcome

  constructor(opts, channel, events, listener) {
    this.#opts = opts;
    this.#channel = channel;
    this.#events = events;
    this.#listener = listener;
    this.#attrs = opts.attrs;
    this.#backoff = new Backoff(opts.reconnectInitialDelayMs, opts.reconnectMaxDelayMs, opts.maxReconnectAttempts);
  }

  /** A session exists, or was lost and is being replaced. */
  get hasSession() {
    return this.sessionId !== null || this.#lost !== null;
  }

  connect() {
    switch (this.state) {
      case 'CLOSED':
        return Promise.reject(new TetherError(ClientErrorCode.CLIENT_CLOSED, 'the client is closed'));
      case 'ONLINE':
        return Promise.resolve();
      case 'CONNECTING':
      case 'RECONNECTING':
        return this.#waitConnect();
      default: {
        const p = this.#waitConnect();
        this.#backoff.reset();
        this.#setState(this.hasSession ? 'RECONNECTING' : 'CONNECTING');
        if (this.state !== 'CLOSED') this.#openSocket();
        return p;
      }
    }
  }

  #waitConnect() {
    return new Promise((resolve, reject) => this.#connectWaiters.push({ resolve, reject }));
  }

  #settleConnect(error) {
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) error ? w.reject(error) : w.resolve();
  }

  failConnect(error) {
    this.#settleConnect(error);
  }

  updateAttrs(attrs) {
    this.#attrs = attrs;
    this.#attrsDirty = true;
    if (this.#conn?.phase === 'ONLINE') this.#sendPing(this.#conn);
  }

  /** The session made progress (a frame accepted, an ack): fatal errors are counted from zero again. */
  progress() {
    this.#fatalStreak = 0;
  }

  /** `link` is unusable (e.g. the server's seqs skipped ahead): reconnect and resume. */
  broken(link) {
    if (link === this.#conn) this.#connectionLost(link);
  }

  /** Closes for good: CLOSED, and `bye` if ONLINE; resolves once the server closed the socket (or after 2 s). */
  close() {
    this.#backoff.cancel();
    const c = this.#conn;
    this.#conn = null;
    const online = c !== null && c.phase === 'ONLINE';
    if (online) this.#listener.detached();
    this.#setState('CLOSED');
    if (!online) {
      if (c) this.#kill(c);
      return Promise.resolve();
    }
    c.write(JSON.stringify({ type: 'bye' }));
    c.stopTimers();
    c.phase = 'DEAD';
    return new Promise((resolve) => {
      const guard = setTimeout(() => {
        c.kill();
        resolve();
      }, BYE_CLOSE_WAIT_MS);
      c.closedWaiters.push(() => {
        clearTimeout(guard);
        resolve();
      });
    });
  }

  // -- connections ------------------------------------------------------------------------------------------------

  #url(mode) {
    if (mode !== 'RESUME') return this.#opts.url;
    // Load-balancer hints (docs/PROTOCOL.md §2): the node is left out after it asked us to leave.
    const u = new URL(this.#opts.url);
    u.searchParams.set('sid', this.sessionId);
    const node = this.node && this.node !== this.#leavingNode ? this.node : null;
    if (node) u.searchParams.set('node', node);
    return u.toString();
  }

  #openSocket() {
    const c = new Connection(this.sessionId !== null ? 'RESUME' : 'HELLO');
    this.#conn = c;
    const timeout = this.#opts.connectTimeoutMs;
    c.deadline = setTimeout(() => {
      if (c === this.#conn && c.phase !== 'ONLINE') {
        this.#attemptFailed(c, new TetherError(ClientErrorCode.CONNECT_FAILED, `no ${c.mode === 'HELLO'
          ? 'welcome' : 'resumed'} from ${this.#opts.url} within ${timeout} ms`));
      }
    }, timeout);
    webSocketClass(this.#opts).then(({ WS, isWs }) => {
      if (c !== this.#conn || c.phase === 'DEAD') return;
      const url = this.#url(c.mode);
      let socket;
      try {
        socket = isWs
          ? new WS(url, { perMessageDeflate: false, maxPayload: Math.max(this.#opts.maxFrameBytes * 2, 4096),
            handshakeTimeout: timeout })
          : new WS(url);
      } catch (e) {
        this.#attemptFailed(c, new TetherError(ClientErrorCode.CONNECT_FAILED, `cannot connect to ${this.#opts.url}: `
          + `${e?.message ?? e}`, { cause: e }));
        return;
      }
      c.socket = socket;
      socket.onopen = () => this.#onOpen(c);
      socket.onmessage = (ev) => this.#onMessage(c, ev.data);
      socket.onerror = () => {}; // the close event follows and is handled there
      socket.onclose = (ev) => {
        const waiters = c.closedWaiters;
        c.closedWaiters = [];
        waiters.forEach((w) => w());
        this.#onSocketClosed(c, ev.code, ev.reason);
      };
    }, (e) => this.#attemptFailed(c, e));
  }

  async #tokenFor(mode) {
    const t = this.#opts.token;
    if (typeof t === 'function') {
      const v = await t();
      if (typeof v !== 'string' || v.length === 0) throw new TypeError('the token supplier returned no token');
      return v;
    }
    // A fixed token goes in hello only: the resume token proves the session (docs/PROTOCOL.md §2).
    return mode === 'HELLO' ? t : null;
  }

  #onOpen(c) {
    if (c !== this.#conn || c.phase === 'DEAD') return;
    c.phase = 'HANDSHAKE';
    c.lastHeard = Date.now();
    this.#tokenFor(c.mode).then((token) => {
      if (c !== this.#conn || c.phase !== 'HANDSHAKE') return;
      if (c.mode === 'HELLO') {
        const hello = { type: 'hello', clientId: this.#opts.clientId };
        if (token) hello.token = token;
        if (this.#attrs) hello.attrs = this.#attrs;
        this.#attrsDirty = false;
        c.write(JSON.stringify(hello));
      } else {
        const resume = { type: 'resume', sessionId: this.sessionId, resumeToken: this.#resumeToken,
          lastSeq: this.#channel.received };
        if (token) resume.token = token;
        c.write(JSON.stringify(resume));
      }
    }, (e) => {
      this.#attemptFailed(c, new TetherError(ClientErrorCode.CONNECT_FAILED,
        `the token supplier failed: ${e?.message ?? e}`, { cause: e }));
    });
  }

  #onMessage(c, data) {
    if (c !== this.#conn || c.phase === 'DEAD') return;
    c.lastHeard = Date.now();
    if (typeof data !== 'string') {
      // Text frames arrive as strings, from ws (its onmessage API) as from browsers; anything else is binary.
      this.#events.problem(new TetherError(ErrorCode.BAD_FRAME, 'the server sent a binary frame; ignored'));
      return;
    }
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      frame = null;
    }
    if (frame === null || typeof frame !== 'object' || Array.isArray(frame) || typeof frame.type !== 'string') {
      this.#events.problem(new TetherError(ErrorCode.BAD_FRAME, 'undecodable frame from the server ignored'));
      return;
    }
    // The raw frame, for debugging; the resume token (a secret) is cut to its first six characters.
    this.#events.inbound(typeof frame.resumeToken === 'string'
      ? JSON.stringify({ ...frame, resumeToken: `${frame.resumeToken.slice(0, 6)}…` }) : data);
    if (c.phase === 'HANDSHAKE') this.#onHandshakeFrame(c, frame);
    else if (c.phase === 'ONLINE') this.#onFrame(c, frame);
  }

  #onHandshakeFrame(c, f) {
    if (f.type === 'welcome' && c.mode === 'HELLO') {
      this.#onWelcome(c, f);
    } else if (f.type === 'resumed' && c.mode === 'RESUME') {
      this.#onResumed(c, f);
    } else if (f.type === 'error') {
      if (f.code === ErrorCode.RESUME_FAILED && c.mode === 'RESUME') {
        this.#onResumeFailed(c, typeof f.reason === 'string' ? f.reason : 'unknown');
      } else {
        const e = TetherError.fromServer(f);
        e.message = `${c.mode === 'HELLO' ? 'hello' : 'resume'} refused: ${e.message}`;
        this.#attemptFailed(c, e);
      }
    }
    // anything else before the handshake completed is ignored
  }

  #onWelcome(c, w) {
    clearTimeout(c.deadline);
    c.phase = 'ONLINE';
    const lost = this.#lost;
    this.#lost = null;
    this.sessionId = w.sessionId;
    this.#resumeToken = w.resumeToken;
    this.node = w.node ?? null;
    this.#leavingNode = null;
    this.heartbeatMs = this.#opts.heartbeatMs > 0 ? this.#opts.heartbeatMs
      : (w.heartbeatMs > 0 ? w.heartbeatMs : 25_000);
    this.#fatalStreak = 0;
    this.#backoff.reset();
    this.#startHeartbeat(c);
    const lostRequests = this.#listener.welcomed(c, lost !== null);
    this.#setState('ONLINE');
    this.#events.session(lost === null
      ? { kind: 'STARTED', sessionId: this.sessionId, previousSessionId: null, node: this.node, reason: null,
        lostRequests: 0 }
      : { kind: 'RESYNCED', sessionId: this.sessionId, previousSessionId: lost.sessionId, node: this.node,
        reason: lost.reason, lostRequests });
    this.#settleConnect();
  }

  #onResumed(c, r) {
    clearTimeout(c.deadline);
    if (!this.#listener.resumable(r.lastSeq)) {
      // The server lost frames it had acked, or claims frames never sent: the session cannot go on consistently.
      this.#onResumeFailed(c, 'inconsistent');
      return;
    }
    c.phase = 'ONLINE';
    this.#resumeToken = r.resumeToken;
    if (r.node) this.node = r.node;
    this.#leavingNode = null;
    this.#backoff.reset();
    this.#startHeartbeat(c);
    this.#listener.resumed(c, r.lastSeq);
    if (this.#attrsDirty) this.#sendPing(c);
    this.#setState('ONLINE');
    this.#events.session({ kind: 'RESUMED', sessionId: this.sessionId, previousSessionId: null, node: this.node,
      reason: null, lostRequests: 0 });
    this.#settleConnect();
  }

  /** The session is gone on the server: start a new one at once (its welcome reports the re-sync). */
  #onResumeFailed(c, reason) {
    this.#kill(c);
    this.#conn = null;
    this.#lost = { sessionId: this.#lost ? this.#lost.sessionId : this.sessionId, reason };
    this.sessionId = null;
    this.#resumeToken = null;
    this.#openSocket();
  }

  #attemptFailed(c, error) {
    if (!this.#release(c)) return;
    if (this.state === 'CONNECTING') {
      // The very first connect: the caller hears why; queued requests stay queued for a later connect().
      this.#listener.firstConnectFailed(error);
      const waiters = this.#connectWaiters;
      this.#connectWaiters = [];
      this.#setState('OFFLINE');
      waiters.forEach((w) => w.reject(error));
      return;
    }
    this.#scheduleReconnect(error);
  }

  #onSocketClosed(c, code, reason) {
    if (c !== this.#conn || c.phase === 'DEAD') return;
    if (c.phase !== 'ONLINE') {
      this.#attemptFailed(c, new TetherError(ClientErrorCode.CONNECT_FAILED, `cannot connect to ${this.#opts.url}`
        + (c.phase === 'HANDSHAKE' ? ': the socket closed during the handshake' : '')
        + (code ? ` (${code}${reason ? ` ${reason}` : ''})` : '')));
      return;
    }
    this.#connectionLost(c);
  }

  #connectionLost(c) {
    if (this.#release(c)) this.#scheduleReconnect(null);
  }

  #release(c) {
    if (c !== this.#conn) return false;
    this.#kill(c);
    this.#conn = null;
    return this.state !== 'CLOSED';
  }

  #scheduleReconnect(cause) {
    this.#setState('RECONNECTING');
    if (this.state !== 'RECONNECTING') return; // a state listener closed the client
    if (this.#backoff.exhausted) {
      this.#giveUp(new TetherError(ClientErrorCode.CONNECT_FAILED, `gave up after ${this.#backoff.attempts} `
        + `reconnect attempts${cause ? `: ${cause.message}` : ''}`, { cause }));
      return;
    }
    this.#backoff.schedule(() => {
      if (this.state === 'RECONNECTING' && this.#conn === null) this.#openSocket();
    });
  }

  /** Stops reconnecting: OFFLINE. The session is kept, so a later connect() resumes it. */
  #giveUp(error) {
    this.#backoff.cancel();
    this.#backoff.reset();
    const c = this.#conn;
    this.#conn = null;
    if (c) this.#kill(c);
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    this.#setState('OFFLINE');
    this.#events.problem(error);
    waiters.forEach((w) => w.reject(error));
  }

  #kill(c) {
    if (c.kill()) this.#listener.detached();
  }

  // -- frames on the attached socket ------------------------------------------------------------------------------

  #onFrame(c, f) {
    switch (f.type) {
      case 'ping':
        if (Number.isSafeInteger(f.ack) && f.ack >= 0) this.#listener.frame(c, { type: 'ack', ack: f.ack });
        c.write(JSON.stringify({ type: 'pong', ack: this.#channel.carryAck() }));
        return;
      case 'pong':
        if (Number.isSafeInteger(f.ack) && f.ack >= 0) this.#listener.frame(c, { type: 'ack', ack: f.ack });
        return;
      case 'refresh':
        this.#refresh(c);
        return;
      case 'auth_ok':
        this.#events.authOk(typeof f.expiresAt === 'number' ? f.expiresAt : 0);
        return;
      case 'bye':
        this.#kill(c);
        this.#conn = null;
        this.#backoff.cancel();
        this.#listener.ended(this.sessionId, typeof f.reason === 'string' ? f.reason : 'ended');
        return;
      case 'reconnect':
        // The node drains (or lost quorum): resume elsewhere at once, without asking to come back to it.
        this.#backoff.immediately();
        this.#leavingNode = this.node;
        this.#connectionLost(c);
        return;
      case 'error':
        if (f.fatal === true) {
          // The server closes the socket; the session stays resumable.
          this.#events.problem(TetherError.fromServer(f));
          if (++this.#fatalStreak > MAX_FATAL_STREAK) {
            this.#giveUp(new TetherError(f.code, `the server refused this client ${this.#fatalStreak} times in a `
              + `row: ${f.message ?? f.code}`, { remote: true, reason: f.reason }));
            return;
          }
          this.#connectionLost(c);
          return;
        }
        this.#listener.frame(c, f);
        return;
      default:
        this.#listener.frame(c, f);
    }
  }

  /** The server says the credential expires soon: a fresh token from the supplier, in an `auth` frame. */
  #refresh(c) {
    if (typeof this.#opts.token !== 'function') {
      this.#events.problem(new TetherError(ErrorCode.UNAUTHORIZED, 'the server asks for a fresh credential and the '
        + 'token option is not a supplier function'));
      return;
    }
    this.#tokenFor('REFRESH').then((token) => {
      if (c === this.#conn && c.phase === 'ONLINE') c.write(JSON.stringify({ type: 'auth', token }));
    }, (e) => this.#events.problem(new TetherError(ErrorCode.UNAUTHORIZED,
      `the token supplier failed: ${e?.message ?? e}`)));
  }

  #sendPing(c) {
    const ping = { type: 'ping', ack: this.#channel.carryAck() };
    if (this.#attrsDirty && this.#attrs) ping.attrs = this.#attrs;
    this.#attrsDirty = false;
    c.write(JSON.stringify(ping));
  }

  /** docs/PROTOCOL.md §4: ping when nothing was sent for heartbeatMs; dead when nothing was heard for twice that. */
  #startHeartbeat(c) {
    const hb = this.heartbeatMs;
    const tick = Math.max(10, Math.min(Math.floor(hb / 4), MAX_TICK_MS));
    c.lastHeard = Date.now();
    c.heartbeat = setInterval(() => {
      if (c.phase !== 'ONLINE') {
        clearInterval(c.heartbeat);
        return;
      }
      const now = Date.now();
      if (now - c.lastHeard >= 2 * hb) this.#connectionLost(c);
      else if (now - c.lastSent >= hb) this.#sendPing(c);
    }, tick);
  }

  #setState(next) {
    if (this.state === next) return;
    const prev = this.state;
    this.state = next;
    this.#events.state(next, prev);
  }
}
