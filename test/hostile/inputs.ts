// Hostile inputs, shared by the hostile suites and the long runs (run-fuzz.ts, run-soak.ts): a seeded PRNG
// (every input is a pure function of (seed, index), so a failure names what to replay), a corpus of
// real sessions from in-memory handshakes, and mutators that know DER: bit flips, truncations,
// lengths that lie, nested garbage, huge declared sizes, grafts between sessions, PEM damage.
import { type OpenSSL, SESS_CACHE, type Session } from '../../dist/index.js';
import { concat } from '../support/bytes.js';

/**
 * The seed of every hostile stream: fixed, so a failure names the input to replay; override with
 * HOSTILE_SEED=<n> to explore other streams.
 */
export const SEED = Number(process.env.HOSTILE_SEED ?? 20_261_122);

// ---- the PRNG ------------------------------------------------------------------------------------

/** splitmix32: spreads (seed, index) over the sfc32 state, so neighbouring indices are unrelated. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [(z ^ (z >>> 16)) >>> 0, x];
}

/** sfc32 (Chris Doty-Humphrey's small fast counting generator), seeded from (seed, stream). */
/** A seeded stream of random choices. */
export interface Rng {
  u32(): number;
  /** 0 <= n < max */
  int(max: number): number;
  chance(p: number): boolean;
  pick<T>(list: readonly T[]): T;
  bytes(n: number): Uint8Array;
  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
}

export function createRng(seed: number, stream = 0): Rng {
  let x = (seed ^ Math.imul(stream + 1, 0x27d4eb2f)) | 0;
  const s: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [v, next] = splitmix32(x);
    s.push(v);
    x = next;
  }
  let [a, b, c, d] = s;
  const u32 = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  const rng: Rng = {
    u32,
    int: (max) => (max <= 0 ? 0 : Math.floor((u32() / 4294967296) * max)),
    chance: (p) => u32() / 4294967296 < p,
    pick: (list) => list[Math.floor((u32() / 4294967296) * list.length)],
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const v = u32();
        out[i] = v;
        if (i + 1 < n) out[i + 1] = v >>> 8;
        if (i + 2 < n) out[i + 2] = v >>> 16;
        if (i + 3 < n) out[i + 3] = v >>> 24;
      }
      return out;
    },
    weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
      const entries = Object.entries(weights) as [K, number][];
      let total = 0;
      for (const [, w] of entries) total += w;
      let at = (u32() / 4294967296) * total;
      for (const [k, w] of entries) {
        at -= w;
        if (at < 0) return k;
      }
      return entries[0][0];
    },
  };
  return rng;
}

// ---- bytes --------------------------------------------------------------------------------------

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** An error's class and message, for a failure report (whatever was thrown). */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`;
}

const PEM_LABEL = 'SSL SESSION PARAMETERS';

/** PEM armour around DER, 64 characters a line (what PEM_write_SSL_SESSION writes). */
export function pemOf(der: Uint8Array, label = PEM_LABEL): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${label}-----\n`;
}

// ---- DER ------------------------------------------------------------------------------------------

/**
 * A DER node: its tag bytes, and either children (constructed, parsed) or content. `at` records
 * where its header and content sat in the bytes it was parsed from (for in-place damage).
 */
interface DerNode {
  tag: Uint8Array;
  at?: { tagPos: number; lenPos: number; contentStart: number; contentEnd: number };
  depth?: number;
  children: DerNode[] | null;
  content: Uint8Array | null;
  /** The body length, memoized while serializing. */
  size?: number;
}
/** A node as parsed: where it sat is known. */
type ParsedNode = DerNode & { at: NonNullable<DerNode['at']> };

function parseNodes(bytes: Uint8Array, start: number, end: number, depth: number, flat: ParsedNode[]): ParsedNode[] | null {
  const nodes: ParsedNode[] = [];
  let i = start;
  while (i < end) {
    const tagPos = i;
    if ((bytes[i++] & 0x1f) === 0x1f) while (i < end && bytes[i++] & 0x80);
    const lenPos = i;
    if (i >= end) return null;
    let len = bytes[i++];
    if (len & 0x80) {
      const k = len & 0x7f;
      if (k === 0 || k > 4 || i + k > end) return null;
      len = 0;
      for (let j = 0; j < k; j++) len = len * 256 + bytes[i++];
    }
    const contentStart = i;
    const contentEnd = i + len;
    if (contentEnd > end) return null;
    const node: ParsedNode = {
      tag: bytes.slice(tagPos, lenPos),
      at: { tagPos, lenPos, contentStart, contentEnd },
      depth,
      children: null,
      content: null,
    };
    if ((bytes[tagPos] & 0x20) !== 0 && len > 0) {
      const mark = flat.length;
      const children = parseNodes(bytes, contentStart, contentEnd, depth + 1, flat);
      if (children) node.children = children;
      else flat.length = mark;
    }
    if (!node.children) node.content = bytes.slice(contentStart, contentEnd);
    flat.push(node);
    nodes.push(node);
    i = contentEnd;
  }
  return nodes;
}

interface ParsedDER {
  roots: ParsedNode[];
  flat: ParsedNode[];
}
const parsedCorpus = new WeakMap<Uint8Array, ParsedDER>();

/**
 * The DER tree of `bytes` (top-level nodes) and every node in a flat list. The trees of the
 * corpus's own encodings are parsed once (edits clone them first).
 */
export function parseDER(bytes: Uint8Array): ParsedDER {
  const cached = parsedCorpus.get(bytes);
  if (cached) return cached;
  const flat: ParsedNode[] = [];
  const roots = parseNodes(bytes, 0, bytes.length, 0, flat) ?? [];
  return { roots, flat };
}

function rememberParse(bytes: Uint8Array): void {
  parsedCorpus.set(bytes, parseDER(bytes));
}

/** A definite length in DER's minimal form, or in a legal-but-odd or illegal form. */
export type LengthForm = 'minimal' | 'padded' | 'indefinite' | 'oversized' | 'reserved';

export function encodeLength(n: number, form: LengthForm = 'minimal'): Uint8Array {
  if (form === 'indefinite') return Uint8Array.of(0x80);
  if (form === 'reserved') return Uint8Array.of(0xff);
  const be: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) be.unshift(v & 0xff);
  if (form === 'minimal') return n < 0x80 ? Uint8Array.of(n) : Uint8Array.of(0x80 | be.length, ...be);
  if (form === 'padded') {
    while (be.length < 4) be.unshift(0); // non-minimal (BER allows it, DER does not)
    return Uint8Array.of(0x84, ...be);
  }
  // 'oversized': more length octets than a 32-bit long holds
  while (be.length < 8) be.unshift(0);
  return Uint8Array.of(0x88, ...be);
}

/** Body lengths, bottom up (memoized on the node while serializing). */
function bodyLength(node: DerNode): number {
  if (!node.children) return (node.content as Uint8Array).length;
  let n = 0;
  for (const c of node.children) n += nodeLength(c);
  return n;
}

function nodeLength(node: DerNode): number {
  const body = bodyLength(node);
  node.size = body;
  return node.tag.length + (body < 0x80 ? 1 : body < 0x100 ? 2 : body < 0x10000 ? 3 : body < 0x1000000 ? 4 : 5) + body;
}

function writeNode(node: DerNode, out: Uint8Array, at: number): number {
  out.set(node.tag, at);
  at += node.tag.length;
  const len = encodeLength(node.size ?? 0);
  out.set(len, at);
  at += len.length;
  if (!node.children) {
    const content = node.content as Uint8Array;
    out.set(content, at);
    return at + content.length;
  }
  for (const c of node.children) at = writeNode(c, out, at);
  return at;
}

/** DER of a tree, every length recomputed (so edits inside it stay well framed). */
function serialize(nodes: DerNode[]): Uint8Array {
  let total = 0;
  for (const n of nodes) total += nodeLength(n);
  const out = new Uint8Array(total);
  let at = 0;
  for (const n of nodes) at = writeNode(n, out, at);
  return out;
}

function cloneTree(nodes: DerNode[]): DerNode[] {
  return nodes.map((n) => ({ ...n, children: n.children ? cloneTree(n.children) : null }));
}

/** Every (list, index) slot of a tree, for structural edits. */
interface Slot {
  list: DerNode[];
  index: number;
}
function slots(nodes: DerNode[], out: Slot[] = []): Slot[] {
  for (let i = 0; i < nodes.length; i++) {
    out.push({ list: nodes, index: i });
    const children = nodes[i].children;
    if (children) slots(children, out);
  }
  return out;
}

const INTERESTING_BYTES = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x10, 0x13, 0x1f, 0x20, 0x30, 0x31, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xa0, 0xa1,
  0xa3, 0xaa, 0xff,
];
const LYING_LENGTHS = (len: number): number[] => [
  0,
  1,
  len - 1,
  len + 1,
  len + 2,
  len * 2,
  0x7f,
  0x80,
  0xff,
  0x100,
  0xffff,
  0x10000,
  0xffffff,
  0x7fffffff,
  0x80000000,
  0xffffffff,
];

/** A random TLV: any tag (universal, context, high-tag-number), a short body of noise. */
function randomNode(r: Rng, depth = 0): DerNode {
  const tagKind = r.int(4);
  const tag =
    tagKind === 0
      ? Uint8Array.of(r.int(0x1f))
      : tagKind === 1
        ? Uint8Array.of(0xa0 | r.int(0x1f))
        : tagKind === 2
          ? Uint8Array.of(0x1f | (r.int(8) << 5), 0x80 | r.int(0x80), r.int(0x80))
          : Uint8Array.of(r.int(256));
  if ((tag[0] & 0x20) !== 0 && depth < 4 && r.chance(0.5)) {
    return { tag, children: Array.from({ length: 1 + r.int(3) }, () => randomNode(r, depth + 1)), content: null };
  }
  return { tag, children: null, content: r.bytes(r.int(40)) };
}

/** SEQUENCE inside SEQUENCE, `depth` deep (OpenSSL stops at ASN1_MAX_CONSTRUCTED_NEST = 30). */
function nestedNode(r: Rng, depth: number): DerNode {
  let node: DerNode = { tag: Uint8Array.of(0x04), children: null, content: r.bytes(r.int(8)) };
  const tag = r.pick([0x30, 0x31, 0xa0, 0xa3, 0x24]); // 0x24: constructed OCTET STRING (BER)
  for (let i = 0; i < depth; i++) node = { tag: Uint8Array.of(tag), children: [node], content: null };
  return node;
}

/** Structural edits: the result's lengths are all consistent, so parsing gets past the framing. */
type TreeEdit = (r: Rng, tree: DerNode[]) => void;
const TREE_EDITS: Record<string, TreeEdit> = {
  garbageContent(r, tree) {
    const s = r.pick(slots(tree));
    const node = s.list[s.index];
    const size = r.pick([0, 1, 2, 3, 8, 16, 31, 32, 33, 47, 48, 49, 64, 65, 127, 128, 255, 256, 257, 1000, r.int(300)]);
    s.list[s.index] = { tag: node.tag, children: null, content: r.bytes(size) };
  },
  replaceWithNesting(r, tree) {
    const s = r.pick(slots(tree));
    s.list[s.index] = nestedNode(r, r.pick([2, 8, 29, 30, 31, 33, 64, 200, 1000]));
  },
  insertRandom(r, tree) {
    const s = r.pick(slots(tree));
    s.list.splice(s.index + r.int(2), 0, randomNode(r));
  },
  remove(r, tree) {
    const s = r.pick(slots(tree));
    if (s.list.length > 1 || r.chance(0.3)) s.list.splice(s.index, 1);
  },
  duplicate(r, tree) {
    const s = r.pick(slots(tree));
    s.list.splice(s.index, 0, cloneTree([s.list[s.index]])[0]);
  },
  swapSiblings(r, tree) {
    const s = r.pick(slots(tree));
    if (s.list.length < 2) return;
    const j = r.int(s.list.length);
    [s.list[s.index], s.list[j]] = [s.list[j], s.list[s.index]];
  },
  retag(r, tree) {
    const s = r.pick(slots(tree));
    const node = s.list[s.index];
    const tag = node.tag.slice();
    tag[0] = r.chance(0.5) ? tag[0] ^ 0x20 : r.chance(0.5) ? r.pick(INTERESTING_BYTES) : r.int(256);
    s.list[s.index] = { ...node, tag };
  },
  /** Real huge content (64 KiB .. 1 MiB) where OpenSSL expects a few bytes. */
  hugeContent(r, tree) {
    const s = r.pick(slots(tree));
    s.list[s.index] = { tag: s.list[s.index].tag, children: null, content: r.bytes(r.pick([65_536, 262_144, 1_048_576])) };
  },
};

/** In-place damage of the bytes: framing breaks (lengths lie, bytes vanish) as it would on a wire. */
type RawEdit = (r: Rng, bytes: Uint8Array, flat: ParsedNode[]) => Uint8Array;
const RAW_EDITS: Record<string, RawEdit> = {
  bitflip(r, bytes) {
    const out = bytes.slice();
    const flips = r.chance(0.7) ? 1 : 2 + r.int(15);
    for (let i = 0; i < flips && out.length > 0; i++) out[r.int(out.length)] ^= 1 << r.int(8);
    return out;
  },
  interestingByte(r, bytes) {
    const out = bytes.slice();
    for (let i = 0, n = 1 + r.int(4); i < n && out.length > 0; i++) out[r.int(out.length)] = r.pick(INTERESTING_BYTES);
    return out;
  },
  truncate(r, bytes) {
    return bytes.slice(0, r.int(bytes.length));
  },
  trailing(r, bytes) {
    return concat(bytes, r.bytes(1 + r.int(64)));
  },
  /** Rewrites one node's length octets: a different value, in minimal or odd forms. */
  lyingLength(r, bytes, flat) {
    if (flat.length === 0) return RAW_EDITS.bitflip(r, bytes, flat);
    const { at } = r.pick(flat);
    const len = at.contentEnd - at.contentStart;
    const value = r.chance(0.8) ? r.pick(LYING_LENGTHS(len)) >>> 0 : r.int(len * 2 + 2);
    const form = r.pick<LengthForm>(['minimal', 'minimal', 'padded', 'indefinite', 'oversized', 'reserved']);
    return concat(bytes.subarray(0, at.lenPos), encodeLength(value, form), bytes.subarray(at.contentStart));
  },
  /** The outer SEQUENCE (or any node) declares gigabytes it does not have. */
  hugeDeclared(r, bytes, flat) {
    if (flat.length === 0) return bytes.slice();
    const { at } = r.chance(0.5) ? flat[flat.length - 1] : r.pick(flat);
    const value = r.pick([0x7fffffff, 0xffffffff, 0x40000000, 0x1000000, 0xfffffff0]);
    return concat(
      bytes.subarray(0, at.lenPos),
      encodeLength(value >>> 0, r.pick<LengthForm>(['minimal', 'padded'])),
      bytes.subarray(at.contentStart),
    );
  },
  /** A slice of the bytes repeated or moved elsewhere. */
  shuffleSlice(r, bytes) {
    if (bytes.length < 4) return bytes.slice();
    const from = r.int(bytes.length);
    const to = Math.min(bytes.length, from + 1 + r.int(64));
    const where = r.int(bytes.length);
    const piece = bytes.slice(from, to);
    return r.chance(0.5)
      ? concat(bytes.subarray(0, where), piece, bytes.subarray(where))
      : concat(bytes.subarray(0, where), piece, bytes.subarray(Math.min(bytes.length, where + piece.length)));
  },
};

/** Weights of the DER mutations (raw edits break framing; tree edits keep it and go deeper). */
const DER_MUTATIONS: Record<string, number> = {
  bitflip: 22,
  interestingByte: 8,
  truncate: 8,
  trailing: 3,
  lyingLength: 14,
  hugeDeclared: 3,
  shuffleSlice: 4,
  garbageContent: 12,
  replaceWithNesting: 3,
  insertRandom: 5,
  remove: 5,
  duplicate: 3,
  swapSiblings: 3,
  retag: 5,
  graft: 6,
  stacked: 8,
  hugeContent: 0.05,
};

function applyDER(r: Rng, name: string, bytes: Uint8Array, corpus: readonly CorpusEntry[]): Uint8Array {
  const raw = RAW_EDITS[name];
  if (raw) return raw(r, bytes, parseDER(bytes).flat);
  if (name === 'graft') {
    // A subtree of another real session replaces one of this one's.
    const tree = cloneTree(parseDER(bytes).roots);
    const donor = parseDER(r.pick(corpus).der).flat;
    if (tree.length === 0 || donor.length === 0) return bytes.slice();
    const s = r.pick(slots(tree));
    s.list[s.index] = cloneTree([r.pick(donor)])[0];
    return serialize(tree);
  }
  if (name === 'stacked') {
    let out = bytes;
    for (let i = 0, n = 2 + r.int(3); i < n; i++)
      out = applyDER(r, r.weighted({ ...DER_MUTATIONS, stacked: 0, hugeContent: 0 }), out, corpus);
    return out;
  }
  const tree = cloneTree(parseDER(bytes).roots);
  if (tree.length === 0) return RAW_EDITS.bitflip(r, bytes, []);
  TREE_EDITS[name](r, tree);
  return serialize(tree);
}

/** PEM damage: the armour, the base64, the line structure, headers (one asks for a password). */
const PEM_EDITS: Record<string, (r: Rng, text: string) => string> = {
  charFlip(r, text) {
    const chars = [...text];
    for (let i = 0, n = 1 + r.int(4); i < n; i++)
      chars[r.int(chars.length)] = r.pick(['A', '/', '+', '=', '-', '\n', '\r', ' ', '\0', '*', 'é', String.fromCharCode(r.int(128))]);
    return chars.join('');
  },
  truncate(r, text) {
    return text.slice(0, r.int(text.length));
  },
  label(r, text) {
    const other = r.pick(['CERTIFICATE', 'SSL SESSION PARAMETERS ', 'ssl session parameters', 'X509 CRL', '', 'SSL SESSION PARAMETERS\0']);
    return r.chance(0.5) ? text.replace(`BEGIN ${PEM_LABEL}`, `BEGIN ${other}`) : text.replace(`END ${PEM_LABEL}`, `END ${other}`);
  },
  encryptedHeader(r, text) {
    const iv = hex(r.bytes(r.pick([8, 16, 0, 3])));
    const header = r.pick([
      `Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,${iv}\n\n`,
      `Proc-Type: 4,ENCRYPTED\nDEK-Info: NO-SUCH-CIPHER,${iv}\n\n`,
      `Proc-Type: 4,ENCRYPTED\n\n`,
      `Proc-Type: 9,MIC-ONLY\nDEK-Info: DES-EDE3-CBC,${iv}\n\n`,
      'Comment: hello\n\n',
      `Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,${'F'.repeat(r.int(300))}\n\n`,
    ]);
    return text.replace('-----\n', `-----\n${header}`);
  },
  lines(r, text) {
    const body = text.split('\n');
    const kind = r.int(5);
    if (kind === 0) return body.join('');
    if (kind === 1) return body.join('\r\n');
    if (kind === 2) return body.join('\n\n');
    if (kind === 3) return text.replace(/([A-Za-z0-9+/=]{64})\n/g, '$1');
    const i = 1 + r.int(Math.max(1, body.length - 2));
    body.splice(i, 0, body[i] ?? '');
    return body.join('\n');
  },
  padding(r, text) {
    return text.replace(/\n-----END/, `${'='.repeat(1 + r.int(5))}\n-----END`);
  },
  twoBlocks(r, text) {
    return r.chance(0.5) ? text + text : text.replace(/-----END[^\n]*\n/, '');
  },
  longLine(r, text) {
    return text.replace('-----\n', `-----\n${'A'.repeat(r.pick([80, 1000, 70_000]))}\n`);
  },
};

const PEM_MUTATIONS: Record<string, number> = {
  mutatedDER: 45,
  charFlip: 15,
  truncate: 8,
  label: 5,
  encryptedHeader: 6,
  lines: 8,
  padding: 4,
  twoBlocks: 4,
  longLine: 1,
  randomBase64: 4,
};

// ---- inputs ------------------------------------------------------------------------------------

/** One hostile input for a parser. */
export interface ParserInput {
  parser: 'd2i' | 'pem';
  mutation: string;
  /** The label of the real session it was made from ('-' for random bytes). */
  source: string;
  bytes: Uint8Array;
}

/**
 * Input number `index` of the stream `seed`: which parser gets it, what was done to which real
 * session, and the bytes. A pure function of (seed, index, corpus).
 */
export function parserInput(seed: number, index: number, corpus: readonly CorpusEntry[]): ParserInput {
  const r = createRng(seed, index);
  const kind = r.weighted({ der: 60, pem: 26, randomDER: 8, randomPEM: 3, original: 3 });
  const source = r.pick(corpus);
  if (kind === 'original') {
    return r.chance(0.5)
      ? { parser: 'd2i', mutation: 'original', source: source.label, bytes: source.der }
      : { parser: 'pem', mutation: 'original', source: source.label, bytes: source.pemBytes };
  }
  if (kind === 'randomDER') {
    const n = r.pick([0, 1, 2, 3, 16, 100, 1000, r.int(4096)]);
    const bytes = r.chance(0.5)
      ? r.bytes(n)
      : concat(Uint8Array.of(0x30), encodeLength(n, r.pick<LengthForm>(['minimal', 'padded'])), r.bytes(n));
    return { parser: 'd2i', mutation: 'random bytes', source: '-', bytes };
  }
  if (kind === 'randomPEM') {
    const noise = r.chance(0.5)
      ? Buffer.from(r.bytes(r.int(2000))).toString('base64')
      : Buffer.from(r.bytes(r.int(2000))).toString('latin1');
    const text = r.chance(0.8) ? `-----BEGIN ${PEM_LABEL}-----\n${noise}\n-----END ${PEM_LABEL}-----\n` : noise;
    return { parser: 'pem', mutation: 'random text', source: '-', bytes: new TextEncoder().encode(text) };
  }
  if (kind === 'der') {
    const mutation = r.weighted(DER_MUTATIONS);
    return { parser: 'd2i', mutation, source: source.label, bytes: applyDER(r, mutation, source.der, corpus) };
  }
  const mutation = r.weighted(PEM_MUTATIONS);
  let text: string;
  if (mutation === 'mutatedDER') text = pemOf(applyDER(r, r.weighted(DER_MUTATIONS), source.der, corpus));
  else if (mutation === 'randomBase64') text = pemOf(r.bytes(r.int(1500)));
  else text = PEM_EDITS[mutation](r, source.pem);
  return {
    parser: 'pem',
    mutation: mutation === 'mutatedDER' ? 'pem(mutated DER)' : `pem ${mutation}`,
    source: source.label,
    bytes: new TextEncoder().encode(text),
  };
}

// ---- the corpus: real sessions ---------------------------------------------------------------------

export const HOSTNAME = 'example.test';

/** One real session of the corpus, in its encodings. */
export interface CorpusEntry {
  label: string;
  der: Uint8Array;
  pem: string;
  pemBytes: Uint8Array;
  masterKey: Uint8Array;
  protocol: number;
  hasTicket: boolean;
  hasPeer: boolean;
}

/**
 * Real sessions from in-memory handshakes: TLS 1.2 and 1.3, client (with tickets, the server's
 * certificate as peer) and server (session IDs, the client's certificate as peer: mutual
 * authentication), resumed ones, and one carrying ALPN, early data and ticket app data.
 * Returns their DER, PEM and master keys; every handle and context is freed again.
 */
export function realSessions(ossl: OpenSSL): CorpusEntry[] {
  const serverId = ossl.generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
  const clientId = ossl.generateCertificate({ commonName: 'client.test', keyType: 'Ed25519' });
  const corpus: CorpusEntry[] = [];
  const add = (label: string, s: Session): void => {
    const der = s.toDER();
    rememberParse(der);
    const pem = s.toPEM();
    corpus.push({
      label,
      der,
      pem,
      pemBytes: new TextEncoder().encode(pem),
      masterKey: s.masterKey,
      protocol: s.protocolVersion,
      hasTicket: s.hasTicket,
      hasPeer: s.peerCertificate !== null,
    });
  };
  for (const protocol of ['TLSv1.2', 'TLSv1.3'] as const) {
    for (const tickets of [true, false]) {
      const server = ossl.createContext({
        role: 'server',
        certificate: serverId.certificate,
        privateKey: serverId.privateKey,
        ca: clientId.certificate, // verification on: the client must present its certificate
        maxVersion: protocol,
        tickets,
        alpn: ['h2', 'http/1.1'],
      });
      const client = ossl.createContext({
        role: 'client',
        ca: serverId.certificate,
        certificate: clientId.certificate,
        privateKey: clientId.privateKey,
        alpn: ['h2'],
        sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL,
      });
      const received: Session[] = [];
      client.onNewSession((s) => {
        received.push(s);
        return true;
      });
      const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
      first.pump(); // a TLS 1.3 client reads its tickets after the handshake
      const serverSession = first.server.get1Session() as Session;
      first.free();
      const how = tickets ? 'ticket' : protocol === 'TLSv1.2' ? 'session id' : 'stateful ticket';
      add(`${protocol} client (${how}, server certificate)`, received[0]);
      add(`${protocol} server (${how}, client certificate)`, serverSession);
      const again = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: received[0] });
      again.pump();
      const resumed = again.client.get1Session() as Session;
      again.free();
      add(`${protocol} client resumed (${how})`, resumed);
      if (protocol === 'TLSv1.3' && tickets) {
        const rich = resumed.dup();
        rich.maxEarlyData = 16_384;
        rich.ticketAppData = new TextEncoder().encode('app data the server asked to keep');
        rich.hostname = 'a-much-longer-hostname.subdomain.example.test';
        add('TLSv1.3 client (early data, ticket app data)', rich);
        rich.free();
      }
      resumed.free();
      serverSession.free();
      for (const s of received) s.free();
      server.free();
      client.free();
    }
  }
  return corpus;
}
