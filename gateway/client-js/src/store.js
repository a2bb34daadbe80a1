// The persistent store (docs/CLIENT-JS.md "Offline"): queued requests not yet sent, and the latest value of each
// followed topic, kept by an adapter the application chooses (FileStore in Node, IndexedDbStore in browsers, or its
// own object with `load()` and `save(snapshot)`). As in the Java SDK's OfflineStore:
// - the snapshot is loaded once at creation (`client.ready()`); restored writes are queued before anything else;
// - a write leaves the store when it is sent, so each stored write is sent once, by this client or the next one;
// - saves run one at a time; changes made during a save go into the next one; topic values are saved within 1 s;
// - a snapshot of another clientId, or an unreadable one, is ignored and reported (`store_failed`).
import { TetherError, ClientErrorCode } from './errors.js';

export const SNAPSHOT_FORMAT = 1;
const TOPICS_SAVE_DELAY_MS = 1000;

export class OfflineStore {
  #adapter;
  #clientId;
  #source; // () => { writes, topics }
  #problem;
  #saving = null;
  #again = false;
  #topicsTimer = null;
  #final = false;

  constructor(adapter, clientId, source, problem) {
    this.#adapter = adapter;
    this.#clientId = clientId;
    this.#source = source;
    this.#problem = problem;
  }

  get enabled() {
    return this.#adapter !== null;
  }

  /** The stored { writes, topics }, or empty ones (no store, nothing stored, unusable). Never rejects. */
  async load() {
    const empty = { writes: [], topics: [] };
    if (!this.#adapter) return empty;
    let s;
    try {
      s = await this.#adapter.load();
    } catch (e) {
      this.#problem(new TetherError(ClientErrorCode.STORE_FAILED, `the store cannot be read: ${e?.message ?? e}`,
        { cause: e }));
      return empty;
    }
    if (s === null || s === undefined) return empty;
    if (typeof s !== 'object' || s.format !== SNAPSHOT_FORMAT || !Array.isArray(s.writes)
        || !Array.isArray(s.topics)) {
      this.#problem(new TetherError(ClientErrorCode.STORE_FAILED, 'the store holds no readable snapshot; ignored'));
      return empty;
    }
    if (s.clientId !== this.#clientId) {
      this.#problem(new TetherError(ClientErrorCode.STORE_FAILED, 'the store belongs to another clientId; ignored'));
      return empty;
    }
    const writes = s.writes.filter((w) => w && typeof w.address === 'string');
    return { writes, topics: s.topics };
  }

  /** The queued writes changed: saved as soon as the running save (if any) is done. */
  writesChanged() {
    if (this.#adapter && !this.#final) this.#save();
  }

  /** A topic value changed: saved within a second. */
  topicsChanged() {
    if (!this.#adapter || this.#final || this.#topicsTimer !== null) return;
    this.#topicsTimer = setTimeout(() => {
      this.#topicsTimer = null;
      this.#save();
    }, TOPICS_SAVE_DELAY_MS);
  }

  /** Resolves once everything changed so far is saved. */
  async flush() {
    if (!this.#adapter) return;
    if (this.#topicsTimer !== null) {
      clearTimeout(this.#topicsTimer);
      this.#topicsTimer = null;
    }
    this.#save();
    while (this.#saving) await this.#saving;
  }

  /**
   * The last save (the client closes): the snapshot is taken now, before the client fails its queued requests, and
   * saved after the running save; later changes are not saved.
   */
  async finalSave() {
    if (!this.#adapter || this.#final) return;
    clearTimeout(this.#topicsTimer);
    this.#topicsTimer = null;
    const snapshot = this.#snapshot();
    this.#final = true;
    this.#again = false;
    while (this.#saving) await this.#saving;
    this.#saving = this.#write(snapshot).then(() => {
      this.#saving = null;
    });
    await this.#saving;
  }

  #snapshot() {
    const { writes, topics } = this.#source();
    return { format: SNAPSHOT_FORMAT, clientId: this.#clientId, savedAt: Date.now(), writes, topics };
  }

  #write(snapshot) {
    return Promise.resolve()
      .then(() => this.#adapter.save(snapshot))
      .catch((e) => this.#problem(new TetherError(ClientErrorCode.STORE_FAILED,
        `the store cannot be written: ${e?.message ?? e}`, { cause: e })));
  }

  #save() {
    if (this.#saving) {
      this.#again = true;
      return this.#saving;
    }
    const snapshot = this.#snapshot();
    this.#saving = Promise.resolve()
      .then(() => this.#adapter.save(snapshot))
      .catch((e) => this.#problem(new TetherError(ClientErrorCode.STORE_FAILED,
        `the store cannot be written: ${e?.message ?? e}`, { cause: e })))
      .then(() => {
        this.#saving = null;
        if (this.#again && !this.#final) {
          this.#again = false;
          return this.#save();
        }
        return undefined;
      });
    return this.#saving;
  }
}

/** A store in memory (tests, or an application that persists snapshots itself). */
export class MemoryStore {
  snapshot = null;

  async load() {
    return this.snapshot === null ? null : structuredClone(this.snapshot);
  }

  async save(snapshot) {
    this.snapshot = structuredClone(snapshot);
  }
}
