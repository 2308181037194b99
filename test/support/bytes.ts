// Byte helpers shared by the suites and the hostile engines (no vitest here: the long runs import it too).

/** The parts one after the other, in a fresh Uint8Array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
