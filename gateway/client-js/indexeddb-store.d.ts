import type { TetherStore, StoreSnapshot } from './index.js';

/** A store in IndexedDB (browsers): one record per key in the object store 'snapshots'. */
export declare class IndexedDbStore implements TetherStore {
  constructor(key: string, options?: { dbName?: string; indexedDB?: IDBFactory });
  load(): Promise<StoreSnapshot | null>;
  save(snapshot: StoreSnapshot): Promise<void>;
}
