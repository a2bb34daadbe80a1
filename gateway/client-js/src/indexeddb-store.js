// A store in IndexedDB, for browsers (import from 'tether-client/indexeddb-store'): one record per client in an
// object store 'snapshots' of database `dbName`; each save is one transaction, so it lands whole or not at all.
const STORE = 'snapshots';

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class IndexedDbStore {
  #db = null;

  constructor(key, { dbName = 'tether-client', indexedDB = globalThis.indexedDB } = {}) {
    if (typeof key !== 'string' || key.length === 0) throw new TypeError('IndexedDbStore needs a key (e.g. the clientId)');
    if (!indexedDB) throw new TypeError('IndexedDbStore: no indexedDB in this environment');
    this.key = key;
    this.dbName = dbName;
    this.indexedDB = indexedDB;
  }

  async #open() {
    if (this.#db) return this.#db;
    const r = this.indexedDB.open(this.dbName, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    this.#db = await request(r);
    return this.#db;
  }

  async load() {
    const db = await this.#open();
    const value = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(this.key));
    return value ?? null;
  }

  async save(snapshot) {
    const db = await this.#open();
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(snapshot, this.key);
    await new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
}
