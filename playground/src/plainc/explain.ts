// Reads an AddressSanitizer report as printed by the sacrificial instance and says, line by line,
// what each part means for the program that ran. The report itself is shown as ASan printed it;
// nothing here invents a frame: unknown functions are named and described as "inside OpenSSL".

export interface Frame {
  n: number;
  fn: string;
  /** A frame of the page's JavaScript (the call into C), not of C. */
  js: boolean;
}

export interface ParsedReport {
  kind: string;
  /** "READ of size 8" */
  access: string | null;
  address: string | null;
  /** "704 bytes inside of 800-byte region" */
  region: string | null;
  stacks: { access: Frame[]; freed: Frame[]; allocated: Frame[] };
}

const FRAME = /^\s*#(\d+)\s+0x([0-9a-f]+)\s+(?:in\s+(\S+?)(?:\+0x[0-9a-f]+)?(?:\s|$))?/i;
/** Emscripten numbers JavaScript frames from 0x80000000 up, above every wasm code offset. */
const JS_FRAMES = 0x80000000;

/** The part of stderr from ASan's first "ERROR:" line on, or null when ASan said nothing. */
export function reportLines(stderr: string[]): string[] | null {
  const start = stderr.findIndex((l) => l.includes('ERROR: AddressSanitizer'));
  if (start < 0) return null;
  const from = start > 0 && /^=+$/.test(stderr[start - 1].trim()) ? start - 1 : start;
  return stderr.slice(from);
}

export function parseReport(lines: string[]): ParsedReport {
  const report: ParsedReport = { kind: '?', access: null, address: null, region: null, stacks: { access: [], freed: [], allocated: [] } };
  let section: keyof ParsedReport['stacks'] | null = null;
  for (const line of lines) {
    const error = /ERROR: AddressSanitizer: ([\w-]+)(?: on address (0x[0-9a-f]+))?/i.exec(line);
    if (error) {
      report.kind = error[1];
      report.address = error[2] ?? null;
      section = 'access';
      continue;
    }
    const access = /^(READ|WRITE) of size (\d+)/.exec(line);
    if (access) {
      report.access = `${access[1]} of size ${access[2]}`;
      continue;
    }
    const region = /is located (.+? region)/.exec(line);
    if (region) report.region = region[1];
    if (/^freed by thread/.test(line)) section = 'freed';
    else if (/^previously allocated by thread/.test(line)) section = 'allocated';
    else if (/^SUMMARY:|^Shadow bytes/.test(line)) section = null;
    const frame = FRAME.exec(line);
    if (frame && section) {
      const js = Number.parseInt(frame[2], 16) >= JS_FRAMES;
      report.stacks[section].push({ n: Number(frame[1]), fn: frame[3] ?? '(JavaScript)', js });
    }
  }
  return report;
}

/** What a function in a stack does, for a student who has read SSL_SESSION_free(3) and no OpenSSL source. */
const FUNCTIONS: Record<string, string> = {
  SSL_CTX_flush_sessions_ex: 'OpenSSL walking the context’s session cache to drop expired sessions: it reads each cached session’s timeout',
  SSL_CTX_flush_sessions: 'OpenSSL walking the context’s session cache to drop expired sessions',
  osw_ctx_flush_sessions: 'our glue for SSL_CTX_flush_sessions(ctx, t): it only converts the time and calls OpenSSL',
  SSL_SESSION_free:
    'SSL_SESSION_free: it first decrements the count inside the session (so it must read the session), and frees the memory at 0',
  SSL_SESSION_get_time_ex: 'SSL_SESSION_get_time: a plain read of a field inside the session',
  osw_session_get_time: 'our glue for SSL_SESSION_get_time (seconds as a number)',
  CRYPTO_clear_free: 'OpenSSL’s free that wipes the block first (sessions hold secrets)',
  CRYPTO_free: 'OpenSSL’s wrapper around free()',
  free: 'the C library’s free(): the block goes back to the allocator (ASan keeps it poisoned)',
  malloc: 'the C library’s malloc()',
  CRYPTO_malloc: 'OpenSSL’s wrapper around malloc()',
  CRYPTO_zalloc: 'OpenSSL’s malloc that zeroes the block',
  SSL_SESSION_new: 'SSL_SESSION_new: a new session, count 1',
  ssl_get_new_session: 'the handshake making the connection’s session',
  tls_post_process_client_hello: 'the server, having read the ClientHello, deciding on a new session',
  tls_construct_client_hello: 'the client building its ClientHello, with a new session',
  ossl_ssl_connection_free: 'the inside of SSL_free: it releases the connection’s reference to its session',
  SSL_free: 'SSL_free(ssl): the connection goes, and with it its reference to the session',
  SSL_do_handshake: 'the handshake',
  ossl_statem_accept: 'the server side of the handshake state machine',
  ossl_statem_connect: 'the client side of the handshake state machine',
  state_machine: 'the handshake state machine',
  ossl_statem_server_post_process_message: 'the server handling a handshake message',
};

export function describe(frame: Frame): string {
  if (frame.fn.startsWith('Module._')) return `the JavaScript entry of the export ${frame.fn.slice(8)}: your program line called it`;
  if (frame.js) return 'the page’s JavaScript running your program line';
  return FUNCTIONS[frame.fn] ?? 'a function inside OpenSSL';
}

/** The C frames of a stack, innermost first (JavaScript frames below the first one folded away). */
export function cFrames(frames: Frame[]): Frame[] {
  const at = frames.findIndex((f) => f.js);
  return at < 0 ? frames : frames.slice(0, at);
}

export const KINDS: Record<string, string> = {
  'heap-use-after-free':
    'memory was read or written after free() gave it back. ASan keeps freed blocks poisoned for a while, so the very first touch is caught; without ASan the read would return whatever the allocator put there since.',
  'double-free': 'free() was called on a block that was already free.',
  'attempting double-free': 'free() was called on a block that was already free.',
};
