// TetherClient: one session over a WebSocket that survives network breaks (docs/CLIENT-JS.md). A facade: each
// method checks its arguments and hands the call to one part (Connector, ReliableChannel, RequestTable,
// TopicFollower, ServerRequests, OfflineStore); this class routes between them what happens to the session, as the
// Java SDK's TetherClientImpl and ClientSession do. Everything runs on the JavaScript event loop: no locks.
import { Emitter } from './emitter.js';
import { TetherError, ClientErrorCode, ErrorCode } from './errors.js';
import { resolveOptions } from './options.js';
import { ReliableChannel, Verdict } from './channel.js';
import { Connector } from './connector.js';
import { RequestTable, ServerRequests } from './requests.js';
import { TopicFollower } from './topics.js';
import { OfflineStore } from './store.js';

const TOPIC = /^.{1,256}$/su;
const RELIABLE_FROM_SERVER = new Set(['request', 'response', 'push', 'notify']);

export class TetherClient extends Emitter {
  #opts;
  #channel;
  #connector;
  #requests;
  #topics;
  #serverRequests;
  #store;
  #requestHandler = null;
  #closing = null;
  #ready;
  #loaded = false;
  /** From `resumed` to the server's next ack: subscribes covered by resumed.lastSeq are not settled yet (§7). */
  #resuming = false;

  constructor(options) {
    super();
    const o = resolveOptions(options);
    this.#opts = o;
    this.#channel = new ReliableChannel(o, () => this.#connector.state, (ack) => this.#onAcked(ack),
      (e) => this.emit('error', e));
    this.#connector = new Connector(o, this.#channel, {
      state: (s, prev) => this.emit('state', s, prev),
      session: (e) => this.emit('session', Object.freeze(e)),
      problem: (e) => this.emit('error', e),
      inbound: (text) => this.emit('frame', text),
      authOk: (expiresAt) => this.emit('auth', { expiresAt }),
    }, this.#lifecycle());
    this.#requests = new RequestTable(o, this.#channel, () => this.#connector.state, {
      writesChanged: () => this.#store.writesChanged(),
      problem: (e) => this.emit('error', e),
    });
    this.#topics = new TopicFollower(this.#channel, (n) => this.emit('notify', n),
      () => this.#store.topicsChanged(), (e) => this.emit('error', e));
    this.#serverRequests = new ServerRequests(this.#channel, () => this.#requestHandler,
      () => this.#connector.state, (e) => this.emit('error', e));
    this.#store = new OfflineStore(o.store, o.clientId, () => ({
      writes: this.#requests.queuedWrites(),
      topics: [...this.#topics.values.values()].map(({ topic, version, body }) => ({ topic, version, body })),
    }), (e) => this.emit('error', e));
    this.#ready = this.#store.load().then(({ writes, topics }) => {
      this.#loaded = true;
      topics.forEach((t) => this.#topics.restore(t));
      // Restored writes go first, before anything this instance asks; nobody holds their promises: failures are
      // reported to 'error' by the table.
      for (const w of writes) this.#requests.submit(w.address, w.body, this.#opts.requestTimeoutMs, true).catch(() => {});
    });
  }

  // -- observation --------------------------------------------------------------------------------------------------

  /** CONNECTING, ONLINE, RECONNECTING, OFFLINE or CLOSED. */
  get state() {
    return this.#connector.state;
  }

  get sessionId() {
    return this.#connector.sessionId;
  }

  /** The node serving the session (from the last welcome/resumed). */
  get node() {
    return this.#connector.node;
  }

  get clientId() {
    return this.#opts.clientId;
  }

  /** The heartbeat interval in use (0 before the first welcome). */
  get heartbeatMs() {
    return this.#connector.heartbeatMs;
  }

  /** Counters for tests and dashboards. */
  get stats() {
    return { receivedSeq: this.#channel.received, lastSentSeq: this.#channel.lastSent,
      unacked: this.#channel.unacked, queued: this.#requests.queued, pending: this.#requests.pending };
  }

  /** topic → last version received, for every followed topic. */
  subscriptions() {
    return new Map(this.#topics.subscriptions);
  }

  /** The latest value of a topic ({ topic, version, body }), kept (and stored) while it is followed, or null. */
  cachedTopic(topic) {
    const v = this.#topics.values.get(topic);
    return v ? { topic: v.topic, version: v.version, body: v.body } : null;
  }

  /** Resolves once the store is loaded (at once without one); every operation waits for it. */
  ready() {
    return this.#ready;
  }

  // -- commands -----------------------------------------------------------------------------------------------------

  /** Says hello (or resumes, after OFFLINE with a session); resolves when ONLINE. */
  async connect() {
    await this.#ready;
    return this.#connector.connect();
  }

  /** A request; resolves with the response body, rejects with a TetherError (`remote` for the server's codes). */
  async request(address, body, options = {}) {
    return (await this.requestEx(address, body, options)).body;
  }

  /** As request(), resolving with { body, resources (related resources by label), receivedAt }. */
  async requestEx(address, body, { timeoutMs } = {}) {
    if (typeof address !== 'string' || address.length === 0 || address.length > 256) {
      throw new TypeError('address must be a non-empty string of at most 256 characters');
    }
    const t = timeoutMs ?? this.#opts.requestTimeoutMs;
    if (!Number.isInteger(t) || t < 0) throw new RangeError('timeoutMs must be an integer >= 0 (0: no timeout)');
    checkJson(body, 'body');
    // Once the store is loaded the call is placed at once, so streams and the queue follow call order exactly.
    if (!this.#loaded) await this.#ready;
    return this.#requests.submit(address, body, t);
  }

  /** Follows a topic: `version` is the last one known (0: nothing cached). Resolves when accepted. */
  async subscribe(topic, version = 0) {
    checkTopic(topic);
    if (!Number.isSafeInteger(version) || version < 0) throw new RangeError('version must be an integer >= 0');
    if (!this.#loaded) await this.#ready;
    return this.#topics.subscribe(topic, version);
  }

  async unsubscribe(topic) {
    checkTopic(topic);
    if (!this.#loaded) await this.#ready;
    return this.#topics.unsubscribe(topic);
  }

  /** Answers the server's requests: `handler(req)` returns the answer (or a promise); a throw becomes ok:false. */
  onRequest(handler) {
    if (handler !== null && typeof handler !== 'function') throw new TypeError('handler must be a function or null');
    this.#requestHandler = handler;
    return this;
  }

  /** New presence attrs: sent in a ping at once if ONLINE, else with the next hello. */
  updateAttrs(attrs) {
    if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) throw new TypeError('attrs must be an object');
    checkJson(attrs, 'attrs');
    this.#connector.updateAttrs(structuredClone(attrs));
  }

  /** Resolves once the store holds everything changed so far. */
  flushStore() {
    return this.#store.flush();
  }

  /**
   * Closes for good: `bye` if ONLINE (the session ends on the server), everything waiting fails with `client_closed`,
   * queued requests stay in the store (the next client on it sends them). The same promise for every call.
   */
  close() {
    if (this.#closing) return this.#closing;
    const ended = this.#connector.sessionId;
    const saved = this.#store.finalSave(); // a snapshot of the queued writes before they are failed here
    const socketDone = this.#connector.close();
    const closed = new TetherError(ClientErrorCode.CLIENT_CLOSED, 'the client was closed'
      + (this.#store.enabled && this.#requests.queued > 0 ? '; queued writes stay in the store' : ''));
    this.#failEverything(closed);
    this.#closing = socketDone.then(() => {
      this.emit('session', Object.freeze({ kind: 'ENDED', sessionId: null, previousSessionId: ended, node: null,
        reason: 'closed', lostRequests: 0 }));
      return saved;
    });
    return this.#closing;
  }

  // -- routing ------------------------------------------------------------------------------------------------------

  #failEverything(error) {
    this.#failSent(error);
    this.#requests.failQueued(error);
    this.#connector.failConnect(error);
  }

  /** Fails what was numbered (sent requests, subscriptions) and empties the outbound buffer; the queue stays. */
  #failSent(error) {
    this.#requests.failSent(error);
    this.#topics.failWaiting(error, this.#connector.state !== 'CLOSED');
    this.#channel.dropAll(this.#connector.hasSession);
  }

  #onAcked(ack) {
    this.#connector.progress();
    if (!this.#resuming) this.#topics.acked(ack); // a refusal would have come before this ack
    this.#requests.drain(); // room was made
  }

  #onReliable(link, f) {
    if (!Number.isSafeInteger(f.seq) || f.seq < 0) {
      this.emit('error', new TetherError(ErrorCode.BAD_FRAME, `a '${f.type}' frame with a bad seq; ignored`));
      return;
    }
    switch (this.#channel.receive(f.seq)) {
      case Verdict.DUPLICATE:
        return; // a replay of something already delivered: dropped (and acked again)
      case Verdict.GAP:
        this.emit('error', new TetherError(ErrorCode.BAD_FRAME, `seq gap from the server: expected `
          + `${this.#channel.received + 1}, got ${f.seq}; reconnecting to resume`));
        this.#connector.broken(link);
        return;
      default:
    }
    this.#connector.progress();
    switch (f.type) {
      case 'push':
        this.#deliverPush(f, false);
        break;
      case 'response':
        this.#requests.onResponse(f);
        break;
      case 'request':
        this.#serverRequests.onRequest(f);
        break;
      default: // notify
        this.#topics.onNotify(f);
    }
  }

  #deliverPush(f, isVolatile) {
    const stream = Number.isSafeInteger(f.stream) ? f.stream : 0;
    const resource = typeof f.resource === 'string' ? f.resource : null;
    if (resource !== null && stream !== 0) this.#requests.related({ stream, resource, body: f.body ?? null });
    this.emit('push', Object.freeze({ body: f.body ?? null, seq: isVolatile ? 0 : f.seq, stream, resource,
      volatile: isVolatile }));
  }

  #lifecycle() {
    return {
      welcomed: (link, resync) => {
        this.#resuming = false;
        let lost = 0;
        this.#serverRequests.newSession();
        if (resync) {
          // Seqs restart at 1: sent requests fail or are renumbered, then every followed topic is subscribed again.
          const old = this.#channel.newSession();
          lost = this.#requests.sessionLost(old);
          this.#topics.renew();
        }
        this.#channel.attach(link);
        this.#requests.drain();
        return lost;
      },
      resumable: (serverLastSeq) => {
        if (this.#channel.canResumeFrom(serverLastSeq)) return true;
        this.emit('error', new TetherError(ErrorCode.BAD_FRAME, `resumed.lastSeq ${serverLastSeq} is outside `
          + `[${this.#channel.acked}, ${this.#channel.lastSent}]: starting a new session`));
        return false;
      },
      resumed: (link, serverLastSeq) => {
        this.#resuming = true; // until the ack that follows the repeated refusals
        this.#channel.resumed(serverLastSeq);
        this.#channel.attach(link); // every own frame the server has not stored, in order, with its original seq
        this.#requests.drain(); // then what waited in the queue, with the next seqs
      },
      frame: (link, f) => {
        if (f.type === 'push' && (f.seq === undefined || f.seq === null || f.seq === 0)) {
          this.#deliverPush(f, true);
        } else if (RELIABLE_FROM_SERVER.has(f.type)) {
          this.#onReliable(link, f);
        } else if (f.type === 'ack') {
          const settle = this.#resuming;
          this.#resuming = false;
          this.#channel.onAck(f.ack);
          if (settle) this.#topics.acked(f.ack); // the refusals repeated after resumed came before this ack
        } else if (f.type === 'error') {
          const named = Number.isSafeInteger(f.refSeq) && f.refSeq > 0;
          if (!this.#topics.refused(f) && !this.#requests.refused(f) && !(this.#resuming && named)) {
            this.emit('error', TetherError.fromServer(f));
          }
        }
        // other types: ignored (unknown frames are allowed by docs/PROTOCOL.md §1)
      },
      detached: () => this.#channel.detach(),
      firstConnectFailed: (error) => this.#failSent(error),
      ended: (sessionId, reason) => {
        const saved = this.#store.finalSave();
        this.#connector.close();
        this.#failEverything(new TetherError(ClientErrorCode.SESSION_ENDED, `the server ended the session: ${reason}`,
          { remote: true, reason }));
        this.emit('session', Object.freeze({ kind: 'ENDED', sessionId: null, previousSessionId: sessionId,
          node: null, reason, lostRequests: 0 }));
        this.#closing = saved;
      },
    };
  }
}

function checkTopic(topic) {
  if (typeof topic !== 'string' || !TOPIC.test(topic)) throw new TypeError('topic must be a string of 1-256 characters');
}

function checkJson(value, name) {
  if (value === undefined) return;
  try {
    JSON.stringify(value);
  } catch (e) {
    throw new TypeError(`${name} cannot be encoded as JSON: ${e.message}`);
  }
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new TypeError(`${name} cannot be encoded as JSON`);
  }
}
