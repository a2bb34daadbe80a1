// A store in one JSON file, for Node (import from 'tether-client/file-store'). Each save replaces the file
// atomically: written to <file>.tmp, flushed to disk, renamed over the old one, so a crash leaves the old or the new
// version, never half of one. One running client per file (there is no lock).
import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export class FileStore {
  constructor(path) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('FileStore needs a file path');
    this.path = path;
  }

  async load() {
    let text;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if (e.code === 'ENOENT') return null;
      throw e;
    }
    return JSON.parse(text);
  }

  async save(snapshot) {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(snapshot));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }
}
