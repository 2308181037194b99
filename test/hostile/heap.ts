// The C heap, read so that two readings compare like with like, and the book kept over batches of
// hostile work: shared by the engines (parsers.ts, wire.ts, soak.ts) and the hostile suites.
import { type OpenSSL, OpenSSLError } from '../../dist/index.js';
import * as internals from '../../dist/openssl.js';

/** The package's internals (coreOf is @internal: not in the declarations): the raw exports, bypassing the facade. */
const { coreOf } = internals as unknown as { coreOf(ossl: OpenSSL): { b: { x: { osw_flush_fetch_caches(): void } } } };

/**
 * How far two settled heap readings may differ with nothing kept in between. dlmalloc counts whole
 * chunks: an allocation placed in a free chunk whose remainder is too small to split off (< 16
 * bytes) is counted with that remainder, so memory OpenSSL re-allocates between two readings (its
 * error-ring buffers, session caches rebuilt by new contexts) moves the total in 8-byte steps.
 * Measured: nearly every batch of work ends within ±64 bytes of where it began; over the 2,441
 * batches of a 10,000,000-input run, 9 went beyond ±128 (at most 208), and their replays did not.
 * Growth beyond half the tolerance is therefore replayed before it counts (heapBook): one-time
 * state does not grow the heap twice, a leak does. A leak shows above the tolerance: one 16-byte
 * chunk kept by 1% of 5,000 cases is 800 bytes.
 */
export const HEAP_SLACK = 128;

/**
 * A minimal SSL_SESSION (version 1, TLS 1.3, TLS_AES_128_GCM_SHA256, a 32-byte id, a 48-byte master
 * key) followed by one trailing byte: d2i decodes it without fetching any algorithm, then the glue
 * refuses the trailing byte with exactly one error carrying data.
 */
const TRAILING = Uint8Array.from([
  0x30,
  0x5a,
  0x02,
  0x01,
  0x01,
  0x02,
  0x02,
  0x03,
  0x04,
  0x04,
  0x02,
  0x13,
  0x01,
  0x04,
  0x20,
  ...new Array<number>(32).fill(0xab),
  0x04,
  0x30,
  ...new Array<number>(48).fill(0x07),
  0x00,
]);

/**
 * C heap bytes in use, read so that two readings compare like with like:
 * - OpenSSL's fetch caches are emptied first (osw_flush_fetch_caches): they keep an entry for every
 *   algorithm name OpenSSL looked up, and hostile input names new ones (each distinct public-key
 *   OID in a certificate leaves a decoder template of ~190 bytes for the life of the instance);
 * - OpenSSL's error state keeps one data buffer per slot of its 16-entry ring, sized for the last
 *   message with data that slot held ("Field=..., Type=..."); sixteen identical one-error failures
 *   put the same buffer in every slot. They decode a session without a certificate, so nothing is
 *   fetched (and cached) again after the flush.
 */
export function settledHeap(ossl: OpenSSL): number {
  coreOf(ossl).b.x.osw_flush_fetch_caches();
  for (let i = 0; i < 16; i++) {
    try {
      ossl.d2i_SSL_SESSION(TRAILING).free();
      throw new Error('settledHeap: a session with a trailing byte was accepted');
    } catch (error) {
      if (!(error instanceof OpenSSLError)) throw error;
    }
  }
  return ossl.ledger.heapBytes();
}

/** A batch whose heap growth was replayed: its first drift and its replay's. */
export interface HeapBatch {
  label: string;
  drift: number;
  replayDrift: number;
}

/** The heap's books over batches of work (bytes). */
export interface HeapBookFigures {
  baseline: number;
  final: number;
  slack: number;
  /** Growth explained as OpenSSL's one-time state: kept by a batch and not grown again by its replay. */
  oneTime: number;
  oneTimeBatches: HeapBatch[];
  /** Batches whose replay grew the heap again: leaks. */
  suspects: HeapBatch[];
  maxDrift: number;
  /** What the one-time state does not explain. */
  unexplained: number;
}

export interface HeapBook {
  book: HeapBookFigures;
  /** Call after each batch; `replay` runs the same batch again. */
  batch(label: string, replay: () => void): void;
}

/**
 * Keeps the heap's books over batches of work. After each batch the settled heap must be where it
 * was before, within `slack` bytes (the allocator's rounding). A batch that grew it by more than
 * half that is run again (`replay`): hostile input makes OpenSSL take paths that create one-time state the first
 * time (an algorithm fetched for the first time, structures its fetch caches create and keep
 * through a flush: 100-300 bytes each), and a second run of the same work adds nothing; a leak
 * repeats. Batches whose replay grows the heap again are `suspects`. `unexplained` is what the
 * one-time state does not explain. (Measured over the 2,441 batches of a 10,000,000-input run: 9
 * first passes moved beyond ±128 bytes, by at most 208, and every replay stayed within ±64.)
 */
export function heapBook(ossl: OpenSSL, slack: number = HEAP_SLACK): HeapBook {
  const baseline = settledHeap(ossl);
  const book: HeapBookFigures = {
    baseline,
    final: baseline,
    slack,
    oneTime: 0,
    oneTimeBatches: [],
    suspects: [],
    maxDrift: 0,
    unexplained: 0,
  };
  return {
    book,
    batch(label, replay) {
      const before = book.final;
      const after = settledHeap(ossl);
      const drift = after - before;
      if (Math.abs(drift) > Math.abs(book.maxDrift)) book.maxDrift = drift;
      book.final = after;
      // Only growth can be a leak; a reading below the last one is the allocator's rounding. Growth
      // beyond half the slack is replayed, so one-time state does not pile up as unexplained.
      if (drift > slack / 2) {
        replay();
        const again = settledHeap(ossl);
        const replayDrift = again - after;
        if (replayDrift > slack) book.suspects.push({ label, drift, replayDrift });
        else {
          // What the two runs kept together: the one-time state (a first reading that was high
          // by the allocator's rounding comes back down in the replay's).
          book.oneTime += again - before;
          book.oneTimeBatches.push({ label, drift, replayDrift });
        }
        book.final = again;
      }
      book.unexplained = book.final - book.baseline - book.oneTime;
    },
  };
}
