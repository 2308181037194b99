// Feeds hostile inputs (inputs.ts) to d2i_SSL_SESSION and PEM_read_SSL_SESSION and keeps the
// books: decoded or refused (and why), anything else (a trap, a wrong error class), the slowest
// input, and the C heap. Shared by parsers.test.ts and run-fuzz.ts.
import { type OpenSSL, OpenSSLError, type Session } from '../../dist/index.js';
import { HEAP_SLACK, type HeapBookFigures, heapBook } from './heap.js';
import { type CorpusEntry, describeError, hex, type ParserInput, parserInput } from './inputs.js';

type Encoding = 're-encoded' | 'not re-encodable' | 'time wraps' | 'unstable';
type Fed =
  | { outcome: 'decoded'; encoding: Encoding }
  | { outcome: 'refused'; error: OpenSSLError }
  | { outcome: 'unexpected'; error: unknown };

/** Reads every field of a decoded session, re-encodes it and checks the re-encoding is stable. */
function exercise(ossl: OpenSSL, s: Session): Encoding {
  void [s.protocolVersion, s.cipher, s.id, s.idContext, s.time, s.timeout, s.hostname, s.alpnSelected];
  void [s.hasTicket, s.ticket, s.ticketLifetimeHint, s.maxEarlyData, s.ticketAppData, s.peerCertificate, s.isResumable, s.masterKey];
  let der: Uint8Array;
  try {
    der = s.toDER();
  } catch (error) {
    if (error instanceof OpenSSLError) return 'not re-encodable';
    throw error;
  }
  const again = ossl.d2i_SSL_SESSION(der);
  try {
    const der2 = again.toDER();
    if (der2.length === der.length && der2.every((b, i) => b === der[i])) return 're-encoded';
    // OpenSSL keeps times as unsigned nanoseconds: a negative or huge decoded time (or timeout)
    // wraps, so the re-decoded time differs. Anything else differing would be unexplained.
    const untimed = (x: Session): string => x.print().replace(/^ *(Start Time|Timeout) *:.*$/gm, '');
    return untimed(s) === untimed(again) ? 'time wraps' : 'unstable';
  } finally {
    again.free();
  }
}

/** One input: 'decoded' (and freed), 'refused' (an OpenSSLError), or 'unexpected' with the error. */
function feed(ossl: OpenSSL, input: ParserInput): Fed {
  let s: Session;
  try {
    s = input.parser === 'd2i' ? ossl.d2i_SSL_SESSION(input.bytes) : ossl.PEM_read_SSL_SESSION(input.bytes);
  } catch (error) {
    if (error instanceof OpenSSLError) return { outcome: 'refused', error };
    return { outcome: 'unexpected', error };
  }
  try {
    return { outcome: 'decoded', encoding: exercise(ossl, s) };
  } catch (error) {
    return { outcome: 'unexpected', error };
  } finally {
    s.free();
  }
}

function reasonOf(error: OpenSSLError): string {
  const first = error.queue[0];
  return first ? `${first.library}: ${first.reason}` : '(no queued error)';
}

/** The figures of a parser run. */
export interface ParserStats {
  seed: number;
  start: number;
  inputs: number;
  decoded: number;
  refused: number;
  reencoded: number;
  notReencodable: number;
  timeWraps: number;
  unstable: { seed: number; index: number; mutation: string }[];
  originalsRefused: { index: number; reason: string }[];
  byParser: Record<ParserInput['parser'], { decoded: number; refused: number }>;
  byMutation: Record<string, { decoded: number; refused: number }>;
  reasons: Record<string, number>;
  unexpected: { seed: number; index: number; parser: string; mutation: string; source: string; error: string; bytes: string }[];
  slowest: { ms: number; index: number; mutation: string; bytes: number };
  heap: HeapBookFigures;
  failed: boolean;
  ms: number;
}

export interface ParserRun {
  seed: number;
  inputs: number;
  start?: number;
  batch?: number;
  slack?: number;
  /** Called after each batch with the figures so far and the index reached. */
  onBatch?: (stats: ParserStats, to: number) => void;
}

/**
 * Runs inputs [start, start + inputs) of stream `seed` in batches, keeping the heap's books
 * (heapBook: every batch ends where it began, or its replay does). A first batch of another stream
 * (seed + 1), not counted, warms OpenSSL's one-time state up. Returns the figures; never throws for
 * an input (failures are listed in `unexpected`, heap suspects in `heap.suspects`).
 */
export function fuzzParsers(
  ossl: OpenSSL,
  corpus: readonly CorpusEntry[],
  { seed, inputs, start = 0, batch = 4096, slack = HEAP_SLACK, onBatch }: ParserRun,
): ParserStats {
  for (let index = 0; index < batch; index++) feed(ossl, parserInput(seed + 1, index, corpus));
  const heap = heapBook(ossl, slack);
  const stats: ParserStats = {
    seed,
    start,
    inputs: 0,
    decoded: 0,
    refused: 0,
    reencoded: 0,
    notReencodable: 0,
    timeWraps: 0,
    unstable: [],
    originalsRefused: [],
    byParser: { d2i: { decoded: 0, refused: 0 }, pem: { decoded: 0, refused: 0 } },
    byMutation: {},
    reasons: {},
    unexpected: [],
    slowest: { ms: 0, index: -1, mutation: '', bytes: 0 },
    heap: heap.book,
    failed: false,
    ms: 0,
  };
  let ms = 0;
  for (let from = start; from < start + inputs; from += batch) {
    const to = Math.min(start + inputs, from + batch);
    const t0 = performance.now();
    for (let index = from; index < to; index++) {
      const input = parserInput(seed, index, corpus);
      const t1 = performance.now();
      const result = feed(ossl, input);
      const took = performance.now() - t1;
      if (took > stats.slowest.ms) stats.slowest = { ms: took, index, mutation: input.mutation, bytes: input.bytes.length };
      stats.inputs++;
      stats.byMutation[input.mutation] ??= { decoded: 0, refused: 0 };
      const m = stats.byMutation[input.mutation];
      if (result.outcome === 'decoded') {
        stats.decoded++;
        m.decoded++;
        stats.byParser[input.parser].decoded++;
        if (result.encoding === 're-encoded') stats.reencoded++;
        else if (result.encoding === 'not re-encodable') stats.notReencodable++;
        else if (result.encoding === 'time wraps') stats.timeWraps++;
        else if (stats.unstable.length < 10) stats.unstable.push({ seed, index, mutation: input.mutation });
      } else if (result.outcome === 'refused') {
        stats.refused++;
        m.refused++;
        stats.byParser[input.parser].refused++;
        const reason = reasonOf(result.error);
        stats.reasons[reason] = (stats.reasons[reason] ?? 0) + 1;
        if (input.mutation === 'original') stats.originalsRefused.push({ index, reason });
      } else if (result.outcome === 'unexpected' && stats.unexpected.length < 10) {
        stats.unexpected.push({
          seed,
          index,
          parser: input.parser,
          mutation: input.mutation,
          source: input.source,
          error: describeError(result.error),
          bytes: hex(input.bytes.subarray(0, 4096)),
        });
      }
      if (ossl.failed) break;
    }
    ms += performance.now() - t0;
    stats.ms = ms;
    if (ossl.failed) break;
    heap.batch(`inputs ${from}..${to - 1}`, () => {
      for (let index = from; index < to; index++) feed(ossl, parserInput(seed, index, corpus));
    });
    onBatch?.(stats, to);
  }
  stats.ms = ms;
  stats.failed = ossl.failed;
  return stats;
}
