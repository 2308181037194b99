// The man pages at hand: short quotes from OpenSSL 3.5's manual (verbatim, attributed) and our own
// summaries. Quotes: © The OpenSSL Project Authors, Apache License 2.0.

export interface Quote {
  /** The sentence(s), verbatim from the page (markup removed). */
  text: string;
  /** "SSL_SESSION_free(3)" */
  page: string;
}

const FREE = 'SSL_SESSION_free(3)';
const GET = 'SSL_get_session(3)';

export const QUOTES = {
  new: { page: FREE, text: 'SSL_SESSION_new() creates a new SSL_SESSION structure and returns a pointer to it.' },
  dup: {
    page: FREE,
    text: 'SSL_SESSION_dup() creates a new SSL_SESSION structure that is a copy of src. The copy is not owned by any cache that src may have been in.',
  },
  upRef: { page: FREE, text: 'SSL_SESSION_up_ref() increments the reference count on the given SSL_SESSION structure.' },
  decrement: {
    page: FREE,
    text:
      'SSL_SESSION_free() decrements the reference count of session and removes the SSL_SESSION structure pointed to by ' +
      'session and frees up the allocated memory, if the reference count has reached 0.',
  },
  holders: {
    page: FREE,
    text:
      'SSL objects may be using the SSL_SESSION object; as a session may be reused, several SSL objects may be using one ' +
      'SSL_SESSION object at the same time.',
  },
  crucial: {
    page: FREE,
    text:
      'It is therefore crucial to keep the reference count (usage information) correct and not delete an SSL_SESSION ' +
      'object that is still used, as this may lead to program failures due to dangling pointers.',
  },
  delayed: {
    page: FREE,
    text:
      'These failures may also appear delayed, e.g. when an SSL_SESSION object was completely freed as the reference ' +
      'count incorrectly became 0, but it is still referenced in the internal session cache and the cache list is ' +
      'processed during a SSL_CTX_flush_sessions(3) operation.',
  },
  mustOnly: {
    page: FREE,
    text:
      'SSL_SESSION_free() must only be called for SSL_SESSION objects, for which the reference count was explicitly ' +
      'incremented (e.g. by calling SSL_get1_session(), see SSL_get_session(3)) or when the SSL_SESSION object was ' +
      'generated outside a TLS handshake operation, e.g. by using d2i_SSL_SESSION(3).',
  },
  mustNot: {
    page: FREE,
    text:
      'It must not be called on other SSL_SESSION objects, as this would cause incorrect reference counts and therefore ' +
      'program failures.',
  },
  get0: {
    page: GET,
    text:
      'As the reference counter is not incremented, the pointer is only valid while the connection is in use. If ' +
      'SSL_clear(3) or SSL_free(3) is called, the session may be removed completely (if considered bad), and the pointer ' +
      'obtained will become invalid.',
  },
  get1: {
    page: GET,
    text:
      'If the data is to be kept, SSL_get1_session() will increment the reference count, so that the session will not be ' +
      'implicitly removed by other operations but stays in memory. In order to remove the session SSL_SESSION_free(3) ' +
      'must be explicitly called once to decrement the reference count again.',
  },
  tls13Later: {
    page: GET,
    text: 'In TLSv1.3 the same is true, but sessions are established after the main handshake has occurred.',
  },
  newCallback: {
    page: GET,
    text:
      'The preferred way for applications to obtain a resumable SSL_SESSION object is to use a new session callback as ' +
      'described in SSL_CTX_sess_set_new_cb(3).',
  },
  tls13Once: { page: GET, text: 'In TLSv1.3 it is recommended that each SSL_SESSION object is only used for resumption once.' },
  set: {
    page: 'SSL_set_session(3)',
    text:
      'When the session is set, the reference count of session is incremented by 1. If the session is not reused, the ' +
      'reference count is decremented again during SSL_connect().',
  },
  add: {
    page: 'SSL_CTX_add_session(3)',
    text:
      'SSL_CTX_add_session() adds the session c to the context ctx. The reference count for session c is incremented by ' +
      '1. If a session with the same session id already exists, the old session is removed by calling SSL_SESSION_free(3).',
  },
  remove: {
    page: 'SSL_CTX_add_session(3)',
    text:
      'SSL_CTX_remove_session() removes the session c from the context ctx and marks it as non-resumable. ' +
      'SSL_SESSION_free(3) is called once for c.',
  },
  flush: {
    page: 'SSL_CTX_flush_sessions(3)',
    text: 'SSL_CTX_flush_sessions_ex() causes a run through the session cache of ctx to remove sessions expired at time tm.',
  },
} satisfies Record<string, Quote>;

/** One manual page: our own short summary, then the quotes that carry its rules. */
export interface ManPage {
  page: string;
  summary: string;
  quotes: Quote[];
}

export const MAN_PAGES: ManPage[] = [
  {
    page: 'SSL_SESSION_new(3), SSL_SESSION_free(3)',
    summary:
      'One page covers new, dup, up_ref and free. new and dup hand you a session with one reference, which is yours. ' +
      'up_ref adds one reference; free removes one, and the memory goes when the count reaches 0. Free only what you ' +
      'took: a pointer you merely looked at (SSL_get_session) is not yours to free.',
    quotes: [QUOTES.new, QUOTES.dup, QUOTES.upRef, QUOTES.decrement, QUOTES.crucial, QUOTES.delayed, QUOTES.mustOnly, QUOTES.mustNot],
  },
  {
    page: 'SSL_get_session(3)',
    summary:
      'SSL_get_session (and get0) lend you the connection’s session without a reference: it is valid only while the ' +
      'connection keeps it. SSL_get1_session gives you a reference of your own, to free exactly once. In TLS 1.3 the ' +
      'resumable session arrives after the handshake, so clients collect sessions in the new-session callback.',
    quotes: [QUOTES.get0, QUOTES.get1, QUOTES.tls13Later, QUOTES.newCallback, QUOTES.tls13Once],
  },
  {
    page: 'SSL_set_session(3)',
    summary:
      'A client offers a saved session for resumption. The connection takes its own reference; yours is untouched and ' +
      'still yours to free.',
    quotes: [QUOTES.set],
  },
  {
    page: 'SSL_CTX_add_session(3)',
    summary:
      'The context’s cache holds its own reference to every session in it. Adding takes one (and drops the reference of ' +
      'an older session with the same id); removing drops one and marks the session not resumable.',
    quotes: [QUOTES.add, QUOTES.remove],
  },
  {
    page: 'SSL_CTX_flush_sessions(3)',
    summary:
      'Walks the cache and drops the reference of every session expired at the given time. It touches every cached ' +
      'session, which is where a session freed by mistake is finally read, long after the mistake.',
    quotes: [QUOTES.flush],
  },
];

export const ATTRIBUTION = 'OpenSSL';
export const LICENSE_NOTE =
  'Quotations from the OpenSSL 3.5 manual pages, © The OpenSSL Project Authors, licensed under the Apache License 2.0.';
