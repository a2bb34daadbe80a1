// The package as npm publishes it: `npm pack`, installed into an empty folder, and the README's example run there
// against a demo node. Verifies the tarball's files and exports, and that the example really works.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CLIENT_JS_DIR, startNode } from './support/gateway.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The first ```js block of README.md. */
async function readmeExample() {
  const readme = await readFile(resolve(CLIENT_JS_DIR, 'README.md'), 'utf8');
  const m = readme.match(/```js\n([\s\S]*?)```/);
  assert.ok(m, 'README.md has a js example');
  return m[1];
}

describe('the npm package', { timeout: 300_000 }, () => {
  let node;
  let dir;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tether-client-pack-'));
    node = await startNode();
  });

  after(async () => {
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs from npm pack into an empty folder and runs the README example against a demo node', async () => {
    const { stdout: packed } = await run(npm, ['pack', '--json', '--pack-destination', dir], { cwd: CLIENT_JS_DIR });
    const [info] = JSON.parse(packed);
    const files = info.files.map((f) => f.path);
    assert.ok(files.includes('index.d.ts') && files.includes('src/index.js') && files.includes('README.md'));
    assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/')), 'no tests in the package');
    const app = join(dir, 'app');
    await run('mkdir', ['-p', app]);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'readme-app', private: true, type: 'module' }));
    // ws is the optional peer a Node application installs; from npm's cache when it is there (npm ci filled it).
    await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename), 'ws@8'],
      { cwd: app, timeout: 120_000 });
    await writeFile(join(app, 'example.mjs'), await readmeExample());
    const { stdout } = await run(process.execPath, ['example.mjs'], {
      cwd: app, timeout: 60_000, env: { ...process.env, TETHER_URL: node.url },
    });
    const lines = stdout.trim().split('\n');
    assert.deepEqual(lines, [
      'session STARTED ',
      'echo {"hello":"world"}',
      'push {"n":1}',
      'push {"n":2}',
      'push {"n":3}',
      'sent {"sent":3}',
      'asked {"answer":42,"to":"demo.question"}',
      'notify prices/eu {"eur":12}',
      'session ENDED closed',
    ]);
  });
});
