/**
 * The FFI, declared once: every function the module exports, with its C result and argument types.
 * From this one table come the binding's `Exports` type, `EXPORT_NAMES` (checked at load) and the
 * linker's export list (wasm/export-list.mjs prints it; build.sh links with it and hands it to
 * wasm/asan.sh). Adding an export is one row here (plus C glue in wasm/glue/ where OpenSSL has no
 * such function); test/build.test.ts checks every row against the built modules' own signatures.
 * Pointers are branded numbers, so a session pointer cannot be passed where a context is expected.
 * This file has no runtime imports: the build reads it before anything is compiled.
 */

declare const ctype: unique symbol;
/** A C pointer into one instance's linear memory. */
export type Ptr<T extends string> = number & { readonly [ctype]: T };

export type SessionPtr = Ptr<'SSL_SESSION*'>;
export type CipherPtr = Ptr<'const SSL_CIPHER*'>;
export type CtxPtr = Ptr<'SSL_CTX*'>;
export type SslPtr = Ptr<'SSL*'>;
export type BytePtr = Ptr<'unsigned char*'>;
export type CharPtr = Ptr<'const char*'>;
/** Pointer to a 32-bit out-parameter slot (size_t*, unsigned int*, pointer*). */
export type OutPtr = Ptr<'out*'>;
/** Pointer to an X509 or EVP_PKEY inside the module. */
export type X509Ptr = Ptr<'X509*'>;
export type PkeyPtr = Ptr<'EVP_PKEY*'>;

export const NULL = 0 as Ptr<never>;

/**
 * How a C argument type crosses from JS. On wasm32 every pointer, `int`, `long` and `size_t` is a
 * 32-bit number; `uint64_t` is a BigInt (the link uses WASM_BIGINT); `double` is a number.
 * A data pointer argument (`void*`, `char*`, `unsigned char*`) is a heap buffer the binding copied
 * in or allocated; a pointer-to-scalar or pointer-to-pointer argument is an out slot (Binding.out).
 */
interface ArgTypes {
  int: number;
  'unsigned int': number;
  long: number;
  'unsigned long': number;
  size_t: number;
  uint32_t: number;
  uint64_t: bigint;
  double: number;
  'SSL_SESSION*': SessionPtr;
  'const SSL_SESSION*': SessionPtr;
  'SSL_CTX*': CtxPtr;
  'const SSL_CTX*': CtxPtr;
  'SSL*': SslPtr;
  'const SSL*': SslPtr;
  'const SSL_CIPHER*': CipherPtr;
  'void*': BytePtr;
  'const void*': BytePtr;
  'char*': BytePtr;
  'const char*': BytePtr;
  'unsigned char*': BytePtr;
  'const unsigned char*': BytePtr;
  'int*': OutPtr;
  'unsigned int*': OutPtr;
  'size_t*': OutPtr;
  'void**': OutPtr;
  'const char**': OutPtr;
  'const unsigned char**': OutPtr;
  /** Always NULL from JS. */
  'const OPENSSL_INIT_SETTINGS*': number;
  /** A function-table index; the binding passes 0 (no callback). */
  SSL_verify_cb: number;
}

/**
 * How a C result type crosses into JS. A `const char*` result is a C string the module owns (read
 * it with Binding.cstring); a data pointer result is a buffer (glue-allocated ones are freed with
 * osw_free, OpenSSL's own `get0`/`get` ones are borrowed).
 */
interface ResultTypes {
  /** A wasm function without a result returns undefined to JS. */
  void: undefined;
  int: number;
  'unsigned int': number;
  long: number;
  'unsigned long': number;
  size_t: number;
  uint8_t: number;
  uint32_t: number;
  double: number;
  'SSL_SESSION*': SessionPtr;
  'SSL_CTX*': CtxPtr;
  'const SSL_CTX*': CtxPtr;
  'SSL*': SslPtr;
  'const SSL_CIPHER*': CipherPtr;
  'void*': BytePtr;
  'unsigned char*': BytePtr;
  'const unsigned char*': BytePtr;
  'const char*': CharPtr;
  'int*': Ptr<'int*'>;
}

/** One row: `[C result type, ...C argument types]`, as in sqlite's bindingSignatures. */
type Signature = readonly [keyof ResultTypes, ...(keyof ArgTypes)[]];

/** The table. Rows are in link order; the comment above a row or a group says who owns what. */
export const FFI = {
  // ---- memory: scratch space for arguments
  malloc: ['void*', 'size_t'],
  free: ['void', 'void*'],
  /** glue: OPENSSL_malloc */
  osw_malloc: ['void*', 'size_t'],
  /** glue: OPENSSL_free for buffers handed to JS */
  osw_free: ['void', 'void*'],

  // ---- library, RNG, error queue
  /** version text */
  OpenSSL_version: ['const char*', 'int'],
  /** `opts` is a uint64_t: with WASM_BIGINT every i64 argument or result is a BigInt. */
  OPENSSL_init_ssl: ['int', 'uint64_t', 'const OPENSSL_INIT_SETTINGS*'],
  RAND_status: ['int'],
  RAND_bytes: ['int', 'unsigned char*', 'int'],
  /** error queue (code, file, line, func, data, flags) */
  ERR_get_error_all: ['unsigned long', 'const char**', 'int*', 'const char**', 'const char**', 'int*'],
  ERR_error_string_n: ['void', 'unsigned long', 'char*', 'size_t'],
  ERR_lib_error_string: ['const char*', 'unsigned long'],
  ERR_reason_error_string: ['const char*', 'unsigned long'],
  ERR_clear_error: ['void'],
  /** cheap check before clearing (clearing walks all 16 slots) */
  ERR_peek_error: ['unsigned long'],

  // ---- the four functions of SSL_SESSION_new(3)
  SSL_SESSION_new: ['SSL_SESSION*'],
  SSL_SESSION_dup: ['SSL_SESSION*', 'const SSL_SESSION*'],
  SSL_SESSION_up_ref: ['int', 'SSL_SESSION*'],
  SSL_SESSION_free: ['void', 'SSL_SESSION*'],
  /** glue: OpenSSL's own count of a session (its `references` field) */
  osw_session_references: ['int', 'SSL_SESSION*'],
  /** glue: the SSL_CTX whose cache holds a session */
  osw_session_owner: ['const SSL_CTX*', 'const SSL_SESSION*'],
  /** glue: reference observation (patch 0001) */
  osw_trace_enable: ['void', 'int'],
  osw_trace_buffer: ['int*'],
  osw_trace_count: ['int'],
  osw_trace_reset: ['int'],
  /** glue: the trace's count and lost count (two ints), read and cleared in place */
  osw_trace_state: ['int*'],
  /** glue: i2d_SSL_SESSION */
  osw_session_to_der: ['unsigned char*', 'const SSL_SESSION*', 'size_t*'],
  /** glue: d2i_SSL_SESSION */
  osw_session_from_der: ['SSL_SESSION*', 'const unsigned char*', 'size_t'],
  /** glue: PEM_write_bio_SSL_SESSION */
  osw_session_to_pem: ['unsigned char*', 'SSL_SESSION*', 'size_t*'],
  /** glue: PEM_read_bio_SSL_SESSION */
  osw_session_from_pem: ['SSL_SESSION*', 'const unsigned char*', 'size_t'],
  /** glue: SSL_SESSION_print */
  osw_session_print: ['unsigned char*', 'const SSL_SESSION*', 'size_t*'],
  /** glue: SSL_SESSION_print_keylog */
  osw_session_print_keylog: ['unsigned char*', 'const SSL_SESSION*', 'size_t*'],
  /** glue: SSL_SESSION_get0_peer as DER */
  osw_session_peer_der: ['unsigned char*', 'SSL_SESSION*', 'size_t*'],
  /** glue: SSL_SESSION_get_time_ex (seconds as double) */
  osw_session_get_time: ['double', 'const SSL_SESSION*'],
  /** glue: SSL_SESSION_set_time_ex */
  osw_session_set_time: ['int', 'SSL_SESSION*', 'double'],

  // ---- accessors of SSL_SESSION, called directly (../core/fields.ts)
  SSL_SESSION_get_id: ['const unsigned char*', 'const SSL_SESSION*', 'unsigned int*'],
  SSL_SESSION_set1_id: ['int', 'SSL_SESSION*', 'const unsigned char*', 'unsigned int'],
  SSL_SESSION_get0_id_context: ['const unsigned char*', 'const SSL_SESSION*', 'unsigned int*'],
  SSL_SESSION_set1_id_context: ['int', 'SSL_SESSION*', 'const unsigned char*', 'unsigned int'],
  SSL_SESSION_get_timeout: ['long', 'const SSL_SESSION*'],
  SSL_SESSION_set_timeout: ['long', 'SSL_SESSION*', 'long'],
  SSL_SESSION_get_protocol_version: ['int', 'const SSL_SESSION*'],
  SSL_SESSION_set_protocol_version: ['int', 'SSL_SESSION*', 'int'],
  SSL_SESSION_get0_cipher: ['const SSL_CIPHER*', 'const SSL_SESSION*'],
  SSL_SESSION_set_cipher: ['int', 'SSL_SESSION*', 'const SSL_CIPHER*'],
  SSL_SESSION_get0_hostname: ['const char*', 'const SSL_SESSION*'],
  SSL_SESSION_set1_hostname: ['int', 'SSL_SESSION*', 'const char*'],
  SSL_SESSION_get0_alpn_selected: ['void', 'const SSL_SESSION*', 'const unsigned char**', 'size_t*'],
  SSL_SESSION_set1_alpn_selected: ['int', 'SSL_SESSION*', 'const unsigned char*', 'size_t'],
  SSL_SESSION_get_master_key: ['size_t', 'const SSL_SESSION*', 'unsigned char*', 'size_t'],
  SSL_SESSION_set1_master_key: ['int', 'SSL_SESSION*', 'const unsigned char*', 'size_t'],
  SSL_SESSION_get_max_early_data: ['uint32_t', 'const SSL_SESSION*'],
  SSL_SESSION_set_max_early_data: ['int', 'SSL_SESSION*', 'uint32_t'],
  SSL_SESSION_get0_ticket_appdata: ['int', 'SSL_SESSION*', 'void**', 'size_t*'],
  SSL_SESSION_set1_ticket_appdata: ['int', 'SSL_SESSION*', 'const void*', 'size_t'],
  SSL_SESSION_is_resumable: ['int', 'const SSL_SESSION*'],
  SSL_SESSION_has_ticket: ['int', 'const SSL_SESSION*'],
  SSL_SESSION_get0_ticket: ['void', 'const SSL_SESSION*', 'const unsigned char**', 'size_t*'],
  SSL_SESSION_get_ticket_lifetime_hint: ['unsigned long', 'const SSL_SESSION*'],
  /** RFC 6066 mode of the session (a uint8_t) */
  SSL_SESSION_get_max_fragment_length: ['uint8_t', 'const SSL_SESSION*'],
  /** the session's compression method id (0: none; this build has no compression, no-comp) */
  SSL_SESSION_get_compress_id: ['unsigned int', 'const SSL_SESSION*'],
  /** SSL_CIPHER of a session */
  SSL_CIPHER_get_name: ['const char*', 'const SSL_CIPHER*'],
  SSL_CIPHER_standard_name: ['const char*', 'const SSL_CIPHER*'],
  SSL_CIPHER_get_id: ['uint32_t', 'const SSL_CIPHER*'],
  SSL_CIPHER_get_version: ['const char*', 'const SSL_CIPHER*'],

  // ---- the instance
  /** glue: C heap bytes in use (mallinfo) */
  osw_heap_in_use: ['size_t'],
  /** glue: empties OpenSSL's method-store and decoder caches (heap readings) */
  osw_flush_fetch_caches: ['int'],
  /** glue: builds every algorithm table at load (a failure under memory pressure would lose algorithms for good) */
  osw_prefetch: ['void'],
  /** glue: self-signed certificate + key (PEM) in one buffer; the key starts at *cert_len */
  osw_generate_certificate: ['unsigned char*', 'int', 'const char*', 'int', 'size_t*', 'size_t*'],

  // ---- contexts
  SSL_CTX_free: ['void', 'SSL_CTX*'],
  /** glue: SSL_CTX_new(TLS_{client,server}_method()) */
  osw_ctx_new: ['SSL_CTX*', 'int'],
  osw_ctx_set_versions: ['int', 'SSL_CTX*', 'int', 'int'],
  osw_ctx_set_groups: ['int', 'SSL_CTX*', 'const char*'],
  osw_ctx_use_certificate_pem: ['int', 'SSL_CTX*', 'const unsigned char*', 'size_t'],
  osw_ctx_use_private_key_pem: ['int', 'SSL_CTX*', 'const unsigned char*', 'size_t'],
  osw_ctx_add_ca_pem: ['int', 'SSL_CTX*', 'const unsigned char*', 'size_t'],
  /** glue: SSL_CTX_ctrl without a pointer argument (cache mode, size, counters) */
  osw_ctx_ctrl: ['long', 'SSL_CTX*', 'int', 'long'],
  osw_ctx_set_session_callbacks: ['void', 'SSL_CTX*', 'int'],
  /** glue: SSL_CTX_flush_sessions_ex (64-bit time as double) */
  osw_ctx_flush_sessions: ['double', 'SSL_CTX*', 'double'],
  osw_ctx_set_alpn_select: ['void', 'SSL_CTX*', 'int'],
  osw_ctx_set_options: ['void', 'SSL_CTX*', 'unsigned int'],
  osw_ctx_clear_options: ['void', 'SSL_CTX*', 'unsigned int'],
  SSL_CTX_set_cipher_list: ['int', 'SSL_CTX*', 'const char*'],
  SSL_CTX_set_ciphersuites: ['int', 'SSL_CTX*', 'const char*'],
  SSL_CTX_set_alpn_protos: ['int', 'SSL_CTX*', 'const unsigned char*', 'unsigned int'],
  SSL_CTX_set_verify: ['void', 'SSL_CTX*', 'int', 'SSL_verify_cb'],
  SSL_CTX_set_timeout: ['long', 'SSL_CTX*', 'long'],
  SSL_CTX_get_timeout: ['long', 'const SSL_CTX*'],
  SSL_CTX_add_session: ['int', 'SSL_CTX*', 'SSL_SESSION*'],
  SSL_CTX_remove_session: ['int', 'SSL_CTX*', 'SSL_SESSION*'],
  SSL_CTX_set_num_tickets: ['int', 'SSL_CTX*', 'size_t'],
  SSL_CTX_set_session_id_context: ['int', 'SSL_CTX*', 'const unsigned char*', 'unsigned int'],

  // ---- connections over memory BIOs
  osw_ssl_new: ['SSL*', 'SSL_CTX*', 'int'],
  osw_ssl_set_hostname: ['int', 'SSL*', 'const char*', 'int'],
  osw_ssl_write_encrypted: ['int', 'SSL*', 'const unsigned char*', 'int'],
  osw_ssl_pending_encrypted: ['int', 'SSL*'],
  osw_ssl_read_encrypted: ['int', 'SSL*', 'unsigned char*', 'int'],
  osw_ssl_encrypted_eof: ['void', 'SSL*'],
  osw_ssl_peer_der: ['unsigned char*', 'SSL*', 'size_t*'],
  SSL_free: ['void', 'SSL*'],
  SSL_do_handshake: ['int', 'SSL*'],
  SSL_get_error: ['int', 'const SSL*', 'int'],
  SSL_read_ex: ['int', 'SSL*', 'void*', 'size_t', 'size_t*'],
  SSL_write_ex: ['int', 'SSL*', 'const void*', 'size_t', 'size_t*'],
  SSL_shutdown: ['int', 'SSL*'],
  SSL_get_shutdown: ['int', 'const SSL*'],
  SSL_is_init_finished: ['int', 'const SSL*'],
  SSL_session_reused: ['int', 'const SSL*'],
  SSL_get_session: ['SSL_SESSION*', 'const SSL*'],
  SSL_get1_session: ['SSL_SESSION*', 'SSL*'],
  SSL_set_session: ['int', 'SSL*', 'SSL_SESSION*'],
  SSL_get_version: ['const char*', 'const SSL*'],
  SSL_get_current_cipher: ['const SSL_CIPHER*', 'const SSL*'],
  SSL_get0_alpn_selected: ['void', 'const SSL*', 'const unsigned char**', 'unsigned int*'],
  SSL_get_verify_result: ['long', 'const SSL*'],
  SSL_set_alpn_protos: ['int', 'SSL*', 'const unsigned char*', 'unsigned int'],
  SSL_pending: ['int', 'const SSL*'],
  X509_verify_cert_error_string: ['const char*', 'long'],
  /** buffered record bytes (a transport ending mid-record) */
  SSL_has_pending: ['int', 'const SSL*'],
  /** the negotiated key exchange group */
  SSL_get0_group_name: ['const char*', 'SSL*'],
  /** glue: the peer's certificate chain as DER, one by one */
  osw_ssl_peer_chain_der: ['unsigned char*', 'SSL*', 'int', 'size_t*'],
  /** glue: SSL_CTX_set_keylog_callback into JS */
  osw_ctx_set_keylog: ['void', 'SSL_CTX*', 'int'],
  /** glue: a site patch 0001 named and no reference change consumed (a bug when nonzero) */
  osw_trace_pending_site: ['int'],
  /** 0-RTT: a client's early data */
  SSL_write_early_data: ['int', 'SSL*', 'const void*', 'size_t', 'size_t*'],
  /** 0-RTT: a server reads early data before the handshake completes */
  SSL_read_early_data: ['int', 'SSL*', 'void*', 'size_t', 'size_t*'],
  SSL_get_early_data_status: ['int', 'const SSL*'],
  /** 0-RTT: a server offers early data in its tickets */
  SSL_CTX_set_max_early_data: ['int', 'SSL_CTX*', 'uint32_t'],
} as const satisfies Record<string, Signature>;

export type ExportName = keyof typeof FFI;

/** The JS function type of one row. */
type JsFunction<S> = S extends readonly [infer R extends keyof ResultTypes, ...infer A extends readonly (keyof ArgTypes)[]]
  ? (...args: { -readonly [I in keyof A]: ArgTypes[A[I]] }) => ResultTypes[R]
  : never;

/** The module's exports as the binding calls them, typed from the table. */
export type Exports = { readonly [K in ExportName]: JsFunction<(typeof FFI)[K]> } & {
  /**
   * The instance's WebAssembly.Memory: imported, not exported (the loader makes it and hands it
   * over). Typed by what is read, so the published types need no WebAssembly lib.
   */
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
};

/** Every exported function's name, in link order. */
export const EXPORT_NAMES = Object.keys(FFI) as ExportName[];
