// The build issue: the pinned source is verified, the module loads, RAND is seeded from the platform CSPRNG.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOpenSSL } from '../dist/index.js';

const root = new URL('..', import.meta.url).pathname;

describe('pinned OpenSSL source', () => {
  it('refuses a tarball whose SHA-256 is not the pinned one, saying what was expected and found', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osw-fetch-'));
    const fake = join(dir, 'openssl-3.5.7.tar.gz');
    writeFileSync(fake, 'not openssl');
    const found = execFileSync('sha256sum', [fake]).toString().split(' ')[0];
    const run = spawnSync('bash', ['openssl-src/fetch.sh'], {
      cwd: root,
      env: { ...process.env, OPENSSL_TARBALL: fake, OPENSSL_WASM_CACHE: join(dir, 'cache') },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('REFUSED');
    expect(run.stderr).toContain('a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8');
    expect(run.stderr).toContain(found);
    expect(run.stdout).toBe('');
  });

  it('pins version 3.5.7 and the release SHA-256 in one place', () => {
    const env = readFileSync(join(root, 'openssl-src/openssl.env'), 'utf8');
    expect(env).toMatch(/^OPENSSL_VERSION=3\.5\.7$/m);
    expect(env).toMatch(/^OPENSSL_SHA256=a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8$/m);
  });
});

describe('loading the module', () => {
  it('loads in Node and reports OpenSSL 3.5.7', async () => {
    const ossl = await loadOpenSSL();
    expect(ossl.version).toMatch(/^OpenSSL 3\.5\.7 /);
  });

  it('seeds the RNG: RAND_status() is 1 and RAND_bytes gives fresh bytes', async () => {
    const ossl = await loadOpenSSL();
    expect(ossl.RAND_status()).toBe(1);
    const a = ossl.RAND_bytes(32);
    const b = ossl.RAND_bytes(32);
    expect(a).toHaveLength(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('gives independent instances: separate memories, different random streams, separate ledgers', async () => {
    const [one, two] = await Promise.all([loadOpenSSL(), loadOpenSSL()]);
    expect(Buffer.from(one.RAND_bytes(32)).equals(Buffer.from(two.RAND_bytes(32)))).toBe(false);
    const s = one.SSL_SESSION_new();
    expect(one.ledger.stats().liveSessions).toBe(1);
    expect(two.ledger.stats().liveSessions).toBe(0);
    s.free();
    one.ledger.assertNoLeaks();
    two.ledger.assertNoLeaks();
  });

  it('accepts the wasm bytes directly (wasmBinary) and a file: URL (wasmUrl)', async () => {
    const url = new URL('../dist/openssl.wasm', import.meta.url);
    const fromBytes = await loadOpenSSL({ wasmBinary: readFileSync(url) });
    const fromUrl = await loadOpenSSL({ wasmUrl: url });
    expect(fromBytes.version).toBe(fromUrl.version);
  });

  it('every name in wasm/exports.txt is an export the binding declares, and vice versa', async () => {
    const { EXPORT_NAMES } = await import('../src/binding/abi.js');
    const listed = readFileSync(join(root, 'wasm/exports.txt'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Za-z_]/.test(l))
      .map((l) => l.split(/\s/)[0]);
    expect(new Set([...listed, 'memory'])).toEqual(new Set(EXPORT_NAMES));
  });
});
