// The trace codes are declared once in C (patch 0001's include/internal/session_ref.h) and mirrored
// by one TypeScript table; the glue's record layout is the binding's. These must agree exactly.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRACE_WORDS } from '../dist/binding/binding.js';
import { SITES } from '../dist/index.js';
import { TRACE_OPS } from '../dist/ledger/sites.js';

const root = new URL('..', import.meta.url).pathname;

/** The text of the header patch 0001 creates (the lines its new-file hunk adds). */
function sessionRefHeader(): string {
  const dir = join(root, 'openssl-src/patches');
  const patch = readFileSync(join(dir, readdirSync(dir).find((f) => f.startsWith('0001-')) ?? ''), 'utf8');
  const start = patch.indexOf('+++ b/include/internal/session_ref.h');
  expect(start).toBeGreaterThan(0);
  const body = patch.slice(start).split('\n').slice(2);
  const end = body.findIndex((l) => l.startsWith('--- '));
  return body
    .slice(0, end < 0 ? undefined : end)
    .filter((l) => l.startsWith('+'))
    .map((l) => l.slice(1))
    .join('\n');
}

function defines(text: string, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^#\\s*define\\s+${prefix}(\\w+)\\s+(\\d+)`, 'gm'))) out.set(m[1], Number(m[2]));
  return out;
}

const cName = (site: string) => site.toUpperCase().replaceAll('-', '_');

describe('trace codes shared by C and TypeScript', () => {
  const header = sessionRefHeader();

  it('the TypeScript site table lists every C site under its own code and name, and nothing else', () => {
    const sites = defines(header, 'SESSION_REF_SITE_');
    const count = sites.get('COUNT');
    sites.delete('COUNT');
    expect(count).toBe(SITES.length);
    expect(sites.size).toBe(SITES.length);
    for (const [code, s] of SITES.entries()) expect([s.site, sites.get(cName(s.site))]).toEqual([s.site, code]);
  });

  it('the op codes agree', () => {
    const ops = defines(header, 'SESSION_REF_OP_');
    expect(ops.size).toBe(TRACE_OPS.length);
    for (const [code, op] of TRACE_OPS.entries()) expect([op, ops.get(op.toUpperCase())]).toEqual([op, code]);
  });

  it('the binding reads records of as many words as the glue writes', () => {
    const glue = readFileSync(join(root, 'wasm/glue/references.c'), 'utf8');
    expect(Number(/#define OSW_EVENT_WORDS (\d+)/.exec(glue)?.[1])).toBe(TRACE_WORDS);
  });

  it('every site names the kind of holder its record points at', () => {
    for (const s of SITES) {
      const comment = new RegExp(`SESSION_REF_SITE_${cName(s.site)}\\s+\\d+\\s+/\\*\\s*(ctx|ssl)?`).exec(header)?.[1];
      const expected = s.holder === 'cache' ? 'ctx' : s.holder === 'connection' ? 'ssl' : undefined;
      if (s.site === 'new-session-cb' || s.site === 'get1') expect([s.site, comment]).toEqual([s.site, 'ssl']);
      else expect([s.site, comment]).toEqual([s.site, expected]);
    }
  });
});
