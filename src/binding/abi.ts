/**
 * The module's exports with their C types: the one list the binding is typed from.
 * Pointers are branded numbers, so a session pointer cannot be passed where a context is expected.
 * wasm/exports.txt names the same symbols for the linker; a test checks that both agree.
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

export interface Exports {
  /** The instance's WebAssembly.Memory (typed by what is read, so the published types need no WebAssembly lib). */
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  malloc(n: number): BytePtr;
  free(p: number): void;
  osw_malloc(n: number): BytePtr;
  osw_free(p: number): void;

  OpenSSL_version(type: number): CharPtr;
  /** `opts` is a uint64_t: with WASM_BIGINT every i64 argument or result is a BigInt. */
  OPENSSL_init_ssl(opts: bigint, settings: number): number;
  RAND_status(): number;
  RAND_bytes(buf: BytePtr, n: number): number;
  ERR_get_error_all(file: OutPtr, line: OutPtr, func: OutPtr, data: OutPtr, flags: OutPtr): number;
  ERR_error_string_n(code: number, buf: BytePtr, len: number): void;
  ERR_lib_error_string(code: number): CharPtr;
  ERR_reason_error_string(code: number): CharPtr;
  ERR_clear_error(): void;
  ERR_peek_error(): number;

  SSL_SESSION_new(): SessionPtr;
  SSL_SESSION_dup(s: SessionPtr): SessionPtr;
  SSL_SESSION_up_ref(s: SessionPtr): number;
  SSL_SESSION_free(s: SessionPtr): void;
  osw_session_refs(s: SessionPtr): number;
  osw_session_owner(s: SessionPtr): CtxPtr;
  osw_trace_enable(on: number): void;
  osw_trace_buffer(): Ptr<'int*'>;
  osw_trace_count(): number;
  osw_trace_reset(): number;
  osw_session_to_der(s: SessionPtr, outlen: OutPtr): BytePtr;
  osw_session_from_der(der: BytePtr, len: number): SessionPtr;
  osw_session_to_pem(s: SessionPtr, outlen: OutPtr): BytePtr;
  osw_session_from_pem(pem: BytePtr, len: number): SessionPtr;
  osw_session_print(s: SessionPtr, outlen: OutPtr): BytePtr;
  osw_session_print_keylog(s: SessionPtr, outlen: OutPtr): BytePtr;
  osw_session_peer_der(s: SessionPtr, outlen: OutPtr): BytePtr;
  osw_session_get_time(s: SessionPtr): number;
  osw_session_set_time(s: SessionPtr, t: number): number;

  SSL_SESSION_get_id(s: SessionPtr, len: OutPtr): BytePtr;
  SSL_SESSION_set1_id(s: SessionPtr, id: BytePtr, len: number): number;
  SSL_SESSION_get0_id_context(s: SessionPtr, len: OutPtr): BytePtr;
  SSL_SESSION_set1_id_context(s: SessionPtr, ctx: BytePtr, len: number): number;
  SSL_SESSION_get_timeout(s: SessionPtr): number;
  SSL_SESSION_set_timeout(s: SessionPtr, t: number): number;
  SSL_SESSION_get_protocol_version(s: SessionPtr): number;
  SSL_SESSION_set_protocol_version(s: SessionPtr, v: number): number;
  SSL_SESSION_get0_cipher(s: SessionPtr): CipherPtr;
  SSL_SESSION_set_cipher(s: SessionPtr, c: CipherPtr): number;
  SSL_SESSION_get0_hostname(s: SessionPtr): CharPtr;
  SSL_SESSION_set1_hostname(s: SessionPtr, name: BytePtr): number;
  SSL_SESSION_get0_alpn_selected(s: SessionPtr, alpn: OutPtr, len: OutPtr): void;
  SSL_SESSION_set1_alpn_selected(s: SessionPtr, alpn: BytePtr, len: number): number;
  SSL_SESSION_get_master_key(s: SessionPtr, out: BytePtr, outlen: number): number;
  SSL_SESSION_set1_master_key(s: SessionPtr, key: BytePtr, len: number): number;
  SSL_SESSION_get_max_early_data(s: SessionPtr): number;
  SSL_SESSION_set_max_early_data(s: SessionPtr, n: number): number;
  SSL_SESSION_get0_ticket_appdata(s: SessionPtr, data: OutPtr, len: OutPtr): number;
  SSL_SESSION_set1_ticket_appdata(s: SessionPtr, data: BytePtr, len: number): number;
  SSL_SESSION_is_resumable(s: SessionPtr): number;
  SSL_SESSION_has_ticket(s: SessionPtr): number;
  SSL_SESSION_get0_ticket(s: SessionPtr, tick: OutPtr, len: OutPtr): void;
  SSL_SESSION_get_ticket_lifetime_hint(s: SessionPtr): number;
  SSL_SESSION_get_max_fragment_length(s: SessionPtr): number;
  SSL_CIPHER_get_name(c: CipherPtr): CharPtr;
  SSL_CIPHER_standard_name(c: CipherPtr): CharPtr;
  SSL_CIPHER_get_id(c: CipherPtr): number;
  SSL_CIPHER_get_version(c: CipherPtr): CharPtr;

  osw_heap_in_use(): number;
  osw_flush_fetch_caches(): number;
  osw_prefetch(): void;
  osw_generate_certificate(keyType: number, cn: BytePtr, days: number, outlen: OutPtr, certLen: OutPtr): BytePtr;
  SSL_CTX_free(ctx: CtxPtr): void;
  osw_ctx_new(server: number): CtxPtr;
  osw_ctx_set_versions(ctx: CtxPtr, min: number, max: number): number;
  osw_ctx_set_groups(ctx: CtxPtr, groups: BytePtr): number;
  osw_ctx_use_certificate_pem(ctx: CtxPtr, pem: BytePtr, len: number): number;
  osw_ctx_use_private_key_pem(ctx: CtxPtr, pem: BytePtr, len: number): number;
  osw_ctx_add_ca_pem(ctx: CtxPtr, pem: BytePtr, len: number): number;
  osw_ctx_ctrl(ctx: CtxPtr, cmd: number, larg: number): number;
  osw_ctx_set_session_callbacks(ctx: CtxPtr, which: number): void;
  osw_ctx_flush_sessions(ctx: CtxPtr, t: number): number;
  osw_ctx_set_alpn_select(ctx: CtxPtr, on: number): void;
  osw_ctx_set_options(ctx: CtxPtr, opts: number): void;
  osw_ctx_clear_options(ctx: CtxPtr, opts: number): void;
  SSL_CTX_set_cipher_list(ctx: CtxPtr, list: BytePtr): number;
  SSL_CTX_set_ciphersuites(ctx: CtxPtr, list: BytePtr): number;
  SSL_CTX_set_alpn_protos(ctx: CtxPtr, protos: BytePtr, len: number): number;
  SSL_CTX_set_verify(ctx: CtxPtr, mode: number, cb: number): void;
  SSL_CTX_set_timeout(ctx: CtxPtr, t: number): number;
  SSL_CTX_get_timeout(ctx: CtxPtr): number;
  SSL_CTX_add_session(ctx: CtxPtr, s: SessionPtr): number;
  SSL_CTX_remove_session(ctx: CtxPtr, s: SessionPtr): number;
  SSL_CTX_set_num_tickets(ctx: CtxPtr, n: number): number;
  SSL_CTX_set_session_id_context(ctx: CtxPtr, sid: BytePtr, len: number): number;
  osw_ssl_new(ctx: CtxPtr, server: number): SslPtr;
  osw_ssl_set_hostname(ssl: SslPtr, name: BytePtr, verify: number): number;
  osw_ssl_write_encrypted(ssl: SslPtr, data: BytePtr, len: number): number;
  osw_ssl_pending_encrypted(ssl: SslPtr): number;
  osw_ssl_read_encrypted(ssl: SslPtr, buf: BytePtr, len: number): number;
  osw_ssl_encrypted_eof(ssl: SslPtr): void;
  osw_ssl_peer_der(ssl: SslPtr, outlen: OutPtr): BytePtr;
  SSL_free(ssl: SslPtr): void;
  SSL_do_handshake(ssl: SslPtr): number;
  SSL_get_error(ssl: SslPtr, ret: number): number;
  SSL_read_ex(ssl: SslPtr, buf: BytePtr, len: number, read: OutPtr): number;
  SSL_write_ex(ssl: SslPtr, buf: BytePtr, len: number, written: OutPtr): number;
  SSL_shutdown(ssl: SslPtr): number;
  SSL_get_shutdown(ssl: SslPtr): number;
  SSL_is_init_finished(ssl: SslPtr): number;
  SSL_session_reused(ssl: SslPtr): number;
  SSL_get_session(ssl: SslPtr): SessionPtr;
  SSL_get1_session(ssl: SslPtr): SessionPtr;
  SSL_set_session(ssl: SslPtr, s: SessionPtr): number;
  SSL_get_version(ssl: SslPtr): CharPtr;
  SSL_get_current_cipher(ssl: SslPtr): CipherPtr;
  SSL_get0_alpn_selected(ssl: SslPtr, data: OutPtr, len: OutPtr): void;
  SSL_get_verify_result(ssl: SslPtr): number;
  SSL_set_alpn_protos(ssl: SslPtr, protos: BytePtr, len: number): number;
  SSL_pending(ssl: SslPtr): number;
  X509_verify_cert_error_string(code: number): CharPtr;
  SSL_has_pending(ssl: SslPtr): number;
  SSL_get0_group_name(ssl: SslPtr): CharPtr;
  osw_ssl_peer_chain_der(ssl: SslPtr, i: number, outlen: OutPtr): BytePtr;
  osw_ctx_set_keylog(ctx: CtxPtr, on: number): void;
  osw_trace_pending_site(): number;
  SSL_write_early_data(ssl: SslPtr, buf: BytePtr, n: number, written: OutPtr): number;
  SSL_read_early_data(ssl: SslPtr, buf: BytePtr, n: number, read: OutPtr): number;
  SSL_get_early_data_status(ssl: SslPtr): number;
  SSL_CTX_set_max_early_data(ctx: CtxPtr, n: number): number;
}

/** Every export name, checked against `Exports` by the compiler in both directions. */
export const EXPORT_NAMES = Object.keys({
  memory: 1,
  malloc: 1,
  free: 1,
  osw_malloc: 1,
  osw_free: 1,
  OpenSSL_version: 1,
  OPENSSL_init_ssl: 1,
  RAND_status: 1,
  RAND_bytes: 1,
  ERR_get_error_all: 1,
  ERR_error_string_n: 1,
  ERR_lib_error_string: 1,
  ERR_reason_error_string: 1,
  ERR_clear_error: 1,
  ERR_peek_error: 1,
  SSL_SESSION_new: 1,
  SSL_SESSION_dup: 1,
  SSL_SESSION_up_ref: 1,
  SSL_SESSION_free: 1,
  osw_session_refs: 1,
  osw_session_owner: 1,
  osw_trace_enable: 1,
  osw_trace_buffer: 1,
  osw_trace_count: 1,
  osw_trace_reset: 1,
  osw_session_to_der: 1,
  osw_session_from_der: 1,
  osw_session_to_pem: 1,
  osw_session_from_pem: 1,
  osw_session_print: 1,
  osw_session_print_keylog: 1,
  osw_session_peer_der: 1,
  osw_session_get_time: 1,
  osw_session_set_time: 1,
  SSL_SESSION_get_id: 1,
  SSL_SESSION_set1_id: 1,
  SSL_SESSION_get0_id_context: 1,
  SSL_SESSION_set1_id_context: 1,
  SSL_SESSION_get_timeout: 1,
  SSL_SESSION_set_timeout: 1,
  SSL_SESSION_get_protocol_version: 1,
  SSL_SESSION_set_protocol_version: 1,
  SSL_SESSION_get0_cipher: 1,
  SSL_SESSION_set_cipher: 1,
  SSL_SESSION_get0_hostname: 1,
  SSL_SESSION_set1_hostname: 1,
  SSL_SESSION_get0_alpn_selected: 1,
  SSL_SESSION_set1_alpn_selected: 1,
  SSL_SESSION_get_master_key: 1,
  SSL_SESSION_set1_master_key: 1,
  SSL_SESSION_get_max_early_data: 1,
  SSL_SESSION_set_max_early_data: 1,
  SSL_SESSION_get0_ticket_appdata: 1,
  SSL_SESSION_set1_ticket_appdata: 1,
  SSL_SESSION_is_resumable: 1,
  SSL_SESSION_has_ticket: 1,
  SSL_SESSION_get0_ticket: 1,
  SSL_SESSION_get_ticket_lifetime_hint: 1,
  SSL_SESSION_get_max_fragment_length: 1,
  SSL_CIPHER_get_name: 1,
  SSL_CIPHER_standard_name: 1,
  SSL_CIPHER_get_id: 1,
  SSL_CIPHER_get_version: 1,
  osw_heap_in_use: 1,
  osw_flush_fetch_caches: 1,
  osw_prefetch: 1,
  osw_generate_certificate: 1,
  SSL_CTX_free: 1,
  osw_ctx_new: 1,
  osw_ctx_set_versions: 1,
  osw_ctx_set_groups: 1,
  osw_ctx_use_certificate_pem: 1,
  osw_ctx_use_private_key_pem: 1,
  osw_ctx_add_ca_pem: 1,
  osw_ctx_ctrl: 1,
  osw_ctx_set_session_callbacks: 1,
  osw_ctx_flush_sessions: 1,
  osw_ctx_set_alpn_select: 1,
  osw_ctx_set_options: 1,
  osw_ctx_clear_options: 1,
  SSL_CTX_set_cipher_list: 1,
  SSL_CTX_set_ciphersuites: 1,
  SSL_CTX_set_alpn_protos: 1,
  SSL_CTX_set_verify: 1,
  SSL_CTX_set_timeout: 1,
  SSL_CTX_get_timeout: 1,
  SSL_CTX_add_session: 1,
  SSL_CTX_remove_session: 1,
  SSL_CTX_set_num_tickets: 1,
  SSL_CTX_set_session_id_context: 1,
  osw_ssl_new: 1,
  osw_ssl_set_hostname: 1,
  osw_ssl_write_encrypted: 1,
  osw_ssl_pending_encrypted: 1,
  osw_ssl_read_encrypted: 1,
  osw_ssl_encrypted_eof: 1,
  osw_ssl_peer_der: 1,
  SSL_free: 1,
  SSL_do_handshake: 1,
  SSL_get_error: 1,
  SSL_read_ex: 1,
  SSL_write_ex: 1,
  SSL_shutdown: 1,
  SSL_get_shutdown: 1,
  SSL_is_init_finished: 1,
  SSL_session_reused: 1,
  SSL_get_session: 1,
  SSL_get1_session: 1,
  SSL_set_session: 1,
  SSL_get_version: 1,
  SSL_get_current_cipher: 1,
  SSL_get0_alpn_selected: 1,
  SSL_get_verify_result: 1,
  SSL_set_alpn_protos: 1,
  SSL_pending: 1,
  X509_verify_cert_error_string: 1,
  SSL_has_pending: 1,
  SSL_get0_group_name: 1,
  osw_ssl_peer_chain_der: 1,
  osw_ctx_set_keylog: 1,
  osw_trace_pending_site: 1,
  SSL_write_early_data: 1,
  SSL_read_early_data: 1,
  SSL_get_early_data_status: 1,
  SSL_CTX_set_max_early_data: 1,
} satisfies Record<keyof Exports, 1>) as (keyof Exports)[];
