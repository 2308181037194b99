// Shared by the hostile-* suites (issue 9): the seed every stream of hostile inputs derives from,
// the settled heap reading, and the allocator's slack between two such readings.

// @ts-expect-error -- a plain ES module shared with bench/ (no declarations)
import { heapBook, settledHeap } from '../../bench/hostile-heap.mjs';
import type { OpenSSL } from '../../dist/index.js';

/**
 * The seed of every hostile stream: fixed, so a failure names the input to replay; override with
 * HOSTILE_SEED=<n> to explore other streams.
 */
export const SEED = Number(process.env.HOSTILE_SEED ?? 20_261_122);

/**
 * How far two settled heap readings may differ with nothing kept in between. dlmalloc counts whole
 * chunks: an allocation placed in a free chunk whose remainder is too small to split off (< 16
 * bytes) is counted with that remainder, so memory OpenSSL re-allocates between two readings (its
 * error-ring buffers, session caches rebuilt by new contexts) moves the total in 8-byte steps.
 * Measured: nearly every batch of work ends within ±64 bytes of where it began; over the 2,441
 * batches of a 10,000,000-input run, 9 went beyond ±128 (at most 208), and their replays did not.
 * Growth beyond half the tolerance is therefore replayed before it counts (HeapBook): one-time
 * state does not grow the heap twice, a leak does. A leak shows above the tolerance: one 16-byte
 * chunk kept by 1% of 5,000 cases is 800 bytes.
 */
export const HEAP_SLACK = 128;

/** The books of bench/hostile-heap.mjs: batches that grew the heap are replayed; only repeated growth counts. */
export interface HeapBook {
  book: {
    baseline: number;
    final: number;
    oneTime: number;
    suspects: { label: string; drift: number; replayDrift: number }[];
    unexplained: number;
    maxDrift: number;
  };
  batch(label: string, replay: () => void): void;
}

/** Starts the books at the settled heap now (with `slack` as the allocator's rounding). */
export function books(ossl: OpenSSL, slack = HEAP_SLACK): HeapBook {
  return heapBook(ossl, slack) as HeapBook;
}

/** C heap bytes with OpenSSL's fetch caches emptied and its error ring normalized (bench/hostile-heap.mjs). */
export function heap(ossl: OpenSSL): number {
  return settledHeap(ossl) as number;
}
