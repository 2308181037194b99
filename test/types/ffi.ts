// Type-level tests of the binding's Exports, derived from the FFI table (src/binding/abi.ts): the C
// types become branded pointers, so a row's types are enforced at every call site.
import type { BytePtr, CharPtr, CipherPtr, CtxPtr, ExportName, Exports, OutPtr, SessionPtr, SslPtr } from '../../src/binding/abi.js';

declare const x: Exports;
declare const session: SessionPtr;
declare const ctx: CtxPtr;
declare const ssl: SslPtr;
declare const bytes: BytePtr;
declare const out: OutPtr;

// SSL_SESSION* is a SessionPtr, SSL_CTX* a CtxPtr, SSL* an SslPtr: one is never passed for another.
x.SSL_SESSION_up_ref(session);
// @ts-expect-error a context is not a session
x.SSL_SESSION_up_ref(ctx);
// @ts-expect-error a connection is not a session
x.SSL_SESSION_free(ssl);
// @ts-expect-error a raw number is not a session
x.SSL_SESSION_free(4096);
x.SSL_CTX_add_session(ctx, session);
// @ts-expect-error the arguments are in C's order
x.SSL_CTX_add_session(session, ctx);

// The argument count is the row's.
// @ts-expect-error SSL_SESSION_set1_id takes (session, id, length)
x.SSL_SESSION_set1_id(session, bytes);
// @ts-expect-error SSL_SESSION_get_id takes (session, out slot for the length)
x.SSL_SESSION_get_id(session, out, out);

// A size_t* or pointer-to-pointer argument is an out slot, a data pointer a heap buffer.
x.SSL_SESSION_get0_alpn_selected(session, out, out);
// @ts-expect-error a heap buffer is not an out slot
x.SSL_SESSION_get0_alpn_selected(session, bytes, out);

// uint64_t crosses as a BigInt (WASM_BIGINT); everything else 32-bit as a number.
x.OPENSSL_init_ssl(0n, 0);
// @ts-expect-error a uint64_t is a bigint
x.OPENSSL_init_ssl(0, 0);

// Results: a C string the module owns, a buffer, a cipher, a number, nothing.
const name: CharPtr = x.SSL_SESSION_get0_hostname(session);
// @ts-expect-error a const char* result is a C string, not a buffer of ours
const notBytes: BytePtr = x.SSL_SESSION_get0_hostname(session);
const der: BytePtr = x.osw_session_to_der(session, out);
const cipher: CipherPtr = x.SSL_SESSION_get0_cipher(session);
const seconds: number = x.osw_session_get_time(session);
const nothing: undefined = x.SSL_SESSION_free(session);
// @ts-expect-error a function without a result gives nothing to read
const count: number = x.SSL_SESSION_free(session);

// Only the table's names exist.
const known: ExportName = 'SSL_get1_session';
// @ts-expect-error not a row of the table
const unknown: ExportName = 'SSL_SESSION_get_master_key_unchecked';
// @ts-expect-error not a row of the table
x.SSL_SESSION_set_time(session, 0);

export { cipher, count, der, known, name, notBytes, nothing, seconds, unknown };
