// The topics the client follows (docs/PROTOCOL.md §6), as the Java SDK's TopicFollower: subscriptions with the last
// version received, the latest value of each topic, and the subscribes/unsubscribes waiting for the server.
//
// Accepted or refused: the server refuses a subscribe with a non-fatal error naming its seq (`refSeq`) and topic,
// sent before its ack that covers that seq. So a subscribe is refused by an error whose refSeq is its seq (and whose
// topic, when given, is its topic), and accepted when an ack covers its seq first. The error's message is never read.
import { TetherError } from './errors.js';

export class TopicFollower {
  #channel;
  #deliver;
  #valuesChanged;
  #report;
  /** topic → last version received (or the known version given to subscribe). */
  subscriptions = new Map();
  /** topic → the latest notification { topic, version, body, seq }. */
  values = new Map();
  /** Own subscribe/unsubscribe frames not acked yet, by seq (Map keeps insertion = seq order). */
  #waiting = new Map();

  constructor(channel, deliver, valuesChanged, report) {
    this.#channel = channel;
    this.#deliver = deliver;
    this.#valuesChanged = valuesChanged;
    this.#report = report;
  }

  subscribe(topic, version) {
    return new Promise((resolve, reject) => {
      let f;
      try {
        f = this.#channel.send({ type: 'subscribe', topic, version });
      } catch (e) {
        reject(e);
        return;
      }
      this.#waiting.set(f.seq, { topic, subscribe: true, waiters: [{ resolve, reject }] });
      this.subscriptions.set(topic, version);
    });
  }

  unsubscribe(topic) {
    return new Promise((resolve, reject) => {
      let f;
      try {
        f = this.#channel.send({ type: 'unsubscribe', topic });
      } catch (e) {
        reject(e);
        return;
      }
      this.#waiting.set(f.seq, { topic, subscribe: false, waiters: [{ resolve, reject }] });
      this.subscriptions.delete(topic);
      if (this.values.delete(topic)) this.#valuesChanged();
    });
  }

  /** The server acked own frames up to `ack`: the subscribes among them were accepted. */
  acked(ack) {
    for (const [seq, w] of this.#waiting) {
      if (seq > ack) return;
      this.#waiting.delete(seq);
      w.waiters.forEach((x) => x.resolve());
    }
  }

  /** A non-fatal error: true if it refuses a subscribe waiting for its ack (that call then fails with it). */
  refused(e) {
    if (!Number.isSafeInteger(e.refSeq) || e.refSeq <= 0) return false;
    const w = this.#waiting.get(e.refSeq);
    if (!w || !w.subscribe || (typeof e.topic === 'string' && e.topic !== w.topic)) return false;
    this.#waiting.delete(e.refSeq);
    this.subscriptions.delete(w.topic);
    const error = TetherError.fromServer(e);
    if (w.waiters.length > 0) w.waiters.forEach((x) => x.reject(error));
    else this.#report(error); // renewed on a new session: no call waits for it
    return true;
  }

  /** A notification: remembered and delivered, unless the topic was unsubscribed meanwhile. */
  onNotify(n) {
    const known = this.subscriptions.get(n.topic);
    if (known === undefined) return;
    const version = Number.isSafeInteger(n.version) ? n.version : 0;
    this.subscriptions.set(n.topic, Math.max(known, version));
    const cached = this.values.get(n.topic);
    if (!cached || cached.version <= version) {
      this.values.set(n.topic, { topic: n.topic, version, body: n.body ?? null, seq: n.seq });
    }
    this.#valuesChanged();
    this.#deliver(Object.freeze({ topic: n.topic, version, body: n.body ?? null, seq: n.seq }));
  }

  /**
   * A new session replaced a lost one: every followed topic is subscribed again with its last version. Calls
   * waiting for a subscribe of the lost session wait for the renewed one; unsubscribes are complete.
   */
  renew() {
    const byTopic = new Map();
    for (const w of this.#waiting.values()) {
      if (w.subscribe) {
        if (!byTopic.has(w.topic)) byTopic.set(w.topic, []);
        byTopic.get(w.topic).push(...w.waiters);
      } else {
        w.waiters.forEach((x) => x.resolve());
      }
    }
    this.#waiting.clear();
    for (const [topic, version] of this.subscriptions) {
      const f = this.#channel.renumber({ type: 'subscribe', topic, version });
      this.#waiting.set(f.seq, { topic, subscribe: true, waiters: byTopic.get(topic) ?? [] });
      byTopic.delete(topic);
    }
    for (const ws of byTopic.values()) ws.forEach((x) => x.resolve());
  }

  /** Fails every call waiting for the server; with `forget`, topics whose subscribe was never acked are dropped. */
  failWaiting(error, forget) {
    for (const w of this.#waiting.values()) {
      w.waiters.forEach((x) => x.reject(error));
      if (w.subscribe && forget) this.subscriptions.delete(w.topic);
    }
    this.#waiting.clear();
  }

  /** A value restored from the store. */
  restore(value) {
    if (value && typeof value.topic === 'string' && Number.isSafeInteger(value.version)) {
      this.values.set(value.topic, { topic: value.topic, version: value.version, body: value.body ?? null, seq: 0 });
    }
  }
}
