// Permalinks: the URL's fragment names the state on screen, so a teacher can share any of them.
// A scenario at a step (#scenario=2&step=3), or your program and how many of its lines ran
// (#program=<base64url of the text>&ran=4). Opening the link replays it in a fresh instance;
// nothing but the calls is stored, so the same link gives the same counts in any browser.

export type AppState = { kind: 'scenario'; scenario: number; step: number } | { kind: 'program'; code: string[]; ran: number };

const MAX_PROGRAM = 16 * 1024;

function toBase64Url(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string | null {
  try {
    const binary = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

export function writeHash(state: AppState): string {
  if (state.kind === 'scenario') return `#scenario=${state.scenario}&step=${state.step}`;
  return `#program=${toBase64Url(state.code.join('\n'))}&ran=${state.ran}`;
}

/** The state a fragment names, or null for none (or one this page cannot read: it opens as usual). */
export function readHash(hash: string): AppState | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const count = (name: string): number | null => {
    const v = params.get(name);
    return v !== null && /^\d{1,4}$/.test(v) ? Number(v) : null;
  };
  const scenario = count('scenario');
  if (scenario !== null) return { kind: 'scenario', scenario, step: count('step') ?? 1 };
  const program = params.get('program');
  if (program !== null && program.length <= MAX_PROGRAM) {
    const text = fromBase64Url(program);
    if (text === null) return null;
    const code = text.split('\n');
    return { kind: 'program', code, ran: Math.min(count('ran') ?? code.length, code.length) };
  }
  return null;
}
