/*
 * What an instance sets up while its memory is plentiful. OpenSSL builds its algorithm tables
 * lazily, one operation type at a time, on the first fetch of that type, and then marks the type
 * as built (core_algorithm.c: the provider's operation bit). An algorithm whose construction fails
 * on the way (malloc returns NULL at the memory cap) is silently left out and never retried: the
 * instance reports "unsupported algorithm" for it for the rest of its life, and when it is the
 * DRBG every later RAND_bytes, key generation and handshake fails. Building every table once at
 * load, while memory is plentiful, takes that risk out of later memory pressure. (The generators
 * themselves stay lazy: their creation is retried after a failure, and they seed on first use.)
 */
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include "osw.h"

static void cipher(EVP_CIPHER *m, void *arg) { (void)m; (void)arg; }
static void md(EVP_MD *m, void *arg) { (void)m; (void)arg; }
static void mac(EVP_MAC *m, void *arg) { (void)m; (void)arg; }
static void kdf(EVP_KDF *m, void *arg) { (void)m; (void)arg; }
static void rand_(EVP_RAND *m, void *arg) { (void)m; (void)arg; }
static void keymgmt(EVP_KEYMGMT *m, void *arg) { (void)m; (void)arg; }
static void skeymgmt(EVP_SKEYMGMT *m, void *arg) { (void)m; (void)arg; }
static void signature(EVP_SIGNATURE *m, void *arg) { (void)m; (void)arg; }
static void asym(EVP_ASYM_CIPHER *m, void *arg) { (void)m; (void)arg; }
static void kem(EVP_KEM *m, void *arg) { (void)m; (void)arg; }
static void keyexch(EVP_KEYEXCH *m, void *arg) { (void)m; (void)arg; }
static void encoder(OSSL_ENCODER *m, void *arg) { (void)m; (void)arg; }
static void decoder(OSSL_DECODER *m, void *arg) { (void)m; (void)arg; }

/* Builds every algorithm table of the default provider. */
void osw_prefetch(void)
{
    EVP_CIPHER_do_all_provided(NULL, cipher, NULL);
    EVP_MD_do_all_provided(NULL, md, NULL);
    EVP_MAC_do_all_provided(NULL, mac, NULL);
    EVP_KDF_do_all_provided(NULL, kdf, NULL);
    EVP_RAND_do_all_provided(NULL, rand_, NULL);
    EVP_KEYMGMT_do_all_provided(NULL, keymgmt, NULL);
    EVP_SKEYMGMT_do_all_provided(NULL, skeymgmt, NULL);
    EVP_SIGNATURE_do_all_provided(NULL, signature, NULL);
    EVP_ASYM_CIPHER_do_all_provided(NULL, asym, NULL);
    EVP_KEM_do_all_provided(NULL, kem, NULL);
    EVP_KEYEXCH_do_all_provided(NULL, keyexch, NULL);
    OSSL_ENCODER_do_all_provided(NULL, encoder, NULL);
    OSSL_DECODER_do_all_provided(NULL, decoder, NULL);
}
