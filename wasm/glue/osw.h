/*
 * openssl-session-wasm C glue: tiny functions the TypeScript binding calls where OpenSSL's own
 * exports need help crossing the boundary (64-bit times, BIO-based text, out-parameters).
 * Ownership convention: a function returning `unsigned char *` with an `outlen` hands the caller
 * a fresh OPENSSL_malloc'd buffer, which the caller releases with osw_free() after copying it.
 */
#ifndef OSW_H
#define OSW_H
#include <stddef.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

/* Moves a memory BIO's contents into a fresh buffer (caller frees with osw_free), frees the BIO. */
unsigned char *osw_bio_take(BIO *bio, size_t *outlen);

/* A certificate's DER encoding in a fresh buffer (caller frees); NULL (outlen 0) for NULL or on error. */
unsigned char *osw_x509_der(X509 *cert, size_t *outlen);

#endif
