/**
 * The codes of the reference trace, as patch 0001 declares them in include/internal/session_ref.h
 * (a test checks that the two agree): what happened to a session's count, and where OpenSSL did it.
 * Each trace record (binding's TRACE_WORDS) carries an op, a site and a holder (SSL or SSL_CTX).
 */

/** SESSION_REF_OP_*: index = code. */
export const TRACE_OPS = ['new', 'up_ref', 'free'] as const;

/**
 * SESSION_REF_SITE_*: index = code. `holder` says what the record's holder pointer is: the
 * context whose cache moved the reference, the connection it moved for, or the host's side (a
 * handle: the reference is the caller's, as for a direct call, d2i, dup, get1, the callback's).
 */
export const SITES = Object.freeze([
  { site: 'api', holder: 'handle', what: 'a direct call (SSL_SESSION_new, up_ref, free)' },
  { site: 'cache-insert', holder: 'cache', what: 'SSL_CTX_add_session, also from a handshake (ssl_update_cache)' },
  { site: 'cache-replace', holder: 'cache', what: 'another session with the same id dropped from the cache on insert' },
  { site: 'cache-remove', holder: 'cache', what: 'SSL_CTX_remove_session' },
  { site: 'cache-timeout', holder: 'cache', what: 'an expired session removed (a lookup found it expired, the automatic flush)' },
  { site: 'cache-flush', holder: 'cache', what: 'SSL_CTX_flush_sessions' },
  { site: 'cache-evict', holder: 'cache', what: 'the oldest session evicted from a full cache' },
  { site: 'cache-bad', holder: 'cache', what: 'a connection ended without shutdown: its session leaves the cache' },
  { site: 'cache-alert', holder: 'cache', what: 'a fatal alert sent or received: the session leaves the cache' },
  { site: 'cache-single-use', holder: 'cache', what: 'a used TLS 1.3 ticket, a superseded TLS 1.2 ticket, anti-replay' },
  { site: 'context-free', holder: 'cache', what: 'SSL_CTX_free empties the cache' },
  { site: 'set-session', holder: 'connection', what: 'SSL_set_session: the connection takes its reference, drops the old one' },
  { site: 'copy-session-id', holder: 'connection', what: 'SSL_copy_session_id' },
  { site: 'connection-free', holder: 'connection', what: "SSL_free releases the connection's session" },
  { site: 'connection-clear', holder: 'connection', what: "SSL_clear releases the connection's session" },
  { site: 'handshake-new', holder: 'connection', what: "a handshake's fresh session (and the one it replaces)" },
  { site: 'lookup', holder: 'connection', what: 'a server resuming: the session it found in the cache or a ticket, or drops' },
  { site: 'lookup-callback', holder: 'connection', what: 'the session get_session_cb returned' },
  { site: 'new-session-cb', holder: 'handle', what: 'the reference handed to new_session_cb (handed back when it returns 0)' },
  { site: 'ticket-replace', holder: 'connection', what: "a ticket replaces the connection's session with a copy (ssl_session_dup)" },
  { site: 'session-replace', holder: 'connection', what: 'a copy replaces it otherwise (HelloRetryRequest group, client certificate)' },
  { site: 'ticket-decrypt', holder: 'connection', what: 'a session decoded from a ticket' },
  { site: 'ticket-encrypt', holder: 'connection', what: 'the private copy encoded into a ticket' },
  { site: 'psk', holder: 'connection', what: "an external PSK's session" },
  { site: 'dup', holder: 'handle', what: 'SSL_SESSION_dup' },
  { site: 'd2i', holder: 'handle', what: 'd2i_SSL_SESSION (also PEM_read_SSL_SESSION)' },
  { site: 'get1', holder: 'handle', what: 'SSL_get1_session' },
] as const);
for (const entry of SITES) Object.freeze(entry);

export type Site = (typeof SITES)[number]['site'];
export type SiteHolder = (typeof SITES)[number]['holder'];

/** The site of a trace record's code ('api' for a code this build does not know). */
export function siteOf(code: number): (typeof SITES)[number] {
  return SITES[code] ?? SITES[0];
}

/** The site names by code, for the ledger's hot path ('api' for a code this build does not know: siteName). */
const SITE_NAMES: readonly Site[] = Object.freeze(SITES.map((s) => s.site));

/** siteOf(code).site without the entry. */
export function siteName(code: number): Site {
  return SITE_NAMES[code] ?? 'api';
}
