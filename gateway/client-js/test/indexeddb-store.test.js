// The browser store adapter on an IndexedDB implementation (fake-indexeddb, in memory: Node has no IndexedDB):
// queued writes of a closed client are found by the next client on the same key, and nothing else's are.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { TetherClient } from '../src/index.js';
import { IndexedDbStore } from '../src/indexeddb-store.js';

const url = 'ws://127.0.0.1:9/ws'; // never connected to

describe('IndexedDbStore', () => {
  it('keeps the queued writes of a closed client for the next client on the same key', async () => {
    const indexedDB = new IDBFactory();
    const first = new TetherClient({ url, clientId: 'idb-1', store: new IndexedDbStore('idb-1', { indexedDB }) });
    await first.ready();
    const queued = Promise.allSettled([first.request('orders.create', { n: 1 }), first.request('orders.create', { n: 2 })]);
    await first.close();
    await queued;
    const next = new TetherClient({ url, clientId: 'idb-1', store: new IndexedDbStore('idb-1', { indexedDB }) });
    await next.ready();
    assert.equal(next.stats.queued, 2, 'both writes restored, to be sent by the first connection');
    await next.close();
  });

  it('finds nothing for another key', async () => {
    const indexedDB = new IDBFactory();
    const a = new TetherClient({ url, clientId: 'idb-a', store: new IndexedDbStore('idb-a', { indexedDB }) });
    await a.ready();
    const p = a.request('orders.create', 1).catch(() => {});
    await a.close();
    await p;
    const b = new TetherClient({ url, clientId: 'idb-b', store: new IndexedDbStore('idb-b', { indexedDB }) });
    await b.ready();
    assert.equal(b.stats.queued, 0);
    await b.close();
  });
});
