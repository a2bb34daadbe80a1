import type { TetherStore, StoreSnapshot } from './index.js';

/** A store in one JSON file (Node), replaced atomically on each save. */
export declare class FileStore implements TetherStore {
  constructor(path: string);
  readonly path: string;
  load(): Promise<StoreSnapshot | null>;
  save(snapshot: StoreSnapshot): Promise<void>;
}
