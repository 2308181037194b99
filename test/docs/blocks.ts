// Reads the fenced code blocks of README.md and docs/*.md with the HTML comment that directs each:
//   <!-- prints -->            before a ```text block: the exact stdout of the runnable block above it
//   <!-- prelude: NAME -->     before a ```ts block: test/docs/preludes/NAME.ts runs first, in the same module
//   <!-- not run: REASON -->   before any block the tests cannot run as written (why, and what tests it instead)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Directive = { kind: 'prints' } | { kind: 'prelude'; name: string } | { kind: 'not run'; reason: string };

export interface Block {
  /** "docs/tls.md:5": where the opening fence is. */
  where: string;
  file: string;
  line: number;
  lang: string;
  code: string;
  directive: Directive | null;
  /** For a runnable block: the stdout a following `<!-- prints -->` block promises. */
  prints?: string;
}

export const RUNNABLE = new Set(['ts', 'js']);

function directiveOf(comment: string, where: string): Directive {
  const text = comment.trim();
  if (text === 'prints') return { kind: 'prints' };
  const prelude = /^prelude: *([a-z0-9-]+)$/.exec(text);
  if (prelude) return { kind: 'prelude', name: prelude[1] };
  const notRun = /^not run: *(.{10,})$/s.exec(text);
  if (notRun) return { kind: 'not run', reason: notRun[1].replace(/\s+/g, ' ') };
  throw new Error(`${where}: unknown directive <!-- ${text} --> (prints | prelude: NAME | not run: REASON)`);
}

export function blocksOf(root: string, file: string): Block[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  let pending: Directive | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const comment = /^<!--(.*)-->\s*$/.exec(line);
    if (comment) {
      pending = directiveOf(comment[1], `${file}:${i + 1}`);
      continue;
    }
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(line);
    if (!fence) {
      if (line.trim() !== '') pending = null; // a directive belongs to the block right after it
      continue;
    }
    const [, indent, marker, info] = fence;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i].startsWith(`${indent}${marker}`) && lines[i].trim() === marker); i++) {
      body.push(lines[i].slice(indent.length));
    }
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: unclosed code fence`);
    const block: Block = {
      where: `${file}:${start + 1}`,
      file,
      line: start + 1,
      lang: info.trim().split(/\s+/)[0] ?? '',
      code: `${body.join('\n')}\n`,
      directive: pending,
    };
    pending = null;
    if (block.directive?.kind === 'prints') {
      const runnable = blocks.at(-1);
      if (block.lang !== 'text' || !runnable || !RUNNABLE.has(runnable.lang) || runnable.prints !== undefined) {
        throw new Error(`${block.where}: <!-- prints --> must mark a text block right after a ts/js block`);
      }
      runnable.prints = block.code;
    }
    blocks.push(block);
  }
  return blocks;
}

/** README.md and every docs/*.md page. */
export function documentationFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}
