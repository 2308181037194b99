/*
 * primitives.c: the cryptography inside a handshake and a record, one primitive at a time, through
 * the same EVP calls libssl makes, so a handshake's gap between wasm and native can be located.
 * Keys, contexts and peers are made once here (outside the timing); each run() repeats only the
 * operation its name says.  Everything made here lives until the process exits.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "twin.h"

/* What one primitive works on: a key, a context prepared for the operation, scratch buffers. */
struct prim {
    const char *kind;               /* key type for keygen, e.g. "X25519", "EC", "ML-KEM-768" */
    EVP_PKEY *key, *peer;           /* ours */
    EVP_PKEY_CTX *ctx;              /* ours: initialised for the operation */
    const EVP_CIPHER *cipher;       /* bulk AEADs */
    const EVP_MD *md;               /* digests */
    EVP_CIPHER_CTX *cctx;
    EVP_MD_CTX *mctx;
    unsigned char sig[512], msg[32], ct[2048], ss[64];
    size_t sig_len, ct_len;
};

static unsigned char bulk_in[PRIM_BULK], bulk_out[PRIM_BULK + 16];

static EVP_PKEY *keygen(const char *alg, const char *param)
{
    EVP_PKEY *k = param != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, alg, param) : EVP_PKEY_Q_keygen(NULL, NULL, alg);

    if (k == NULL)
        fail("keygen %s %s", alg, param != NULL ? param : "");
    return k;
}

static void run_keygen(void *arg, long n)
{
    struct prim *p = arg;

    while (n-- > 0) {
        EVP_PKEY *k = NULL;

        if (EVP_PKEY_keygen(p->ctx, &k) <= 0)
            fail("EVP_PKEY_keygen %s", p->kind);
        EVP_PKEY_free(k);
    }
}

static void run_derive(void *arg, long n)
{
    struct prim *p = arg;

    while (n-- > 0) {
        size_t len = sizeof(p->ss);

        if (EVP_PKEY_derive(p->ctx, p->ss, &len) <= 0)
            fail("EVP_PKEY_derive %s", p->kind);
    }
}

static void run_sign(void *arg, long n)
{
    struct prim *p = arg;

    while (n-- > 0) {
        size_t len = sizeof(p->sig);

        if (EVP_PKEY_sign(p->ctx, p->sig, &len, p->msg, sizeof(p->msg)) <= 0)
            fail("EVP_PKEY_sign %s", p->kind);
    }
}

static void run_verify(void *arg, long n)
{
    struct prim *p = arg;

    while (n-- > 0)
        if (EVP_PKEY_verify(p->ctx, p->sig, p->sig_len, p->msg, sizeof(p->msg)) != 1)
            fail("EVP_PKEY_verify %s", p->kind);
}

/* Ed25519 signs the message itself (no pre-hash): one EVP_DigestSign per operation, as TLS does. */
static void run_ed_sign(void *arg, long n)
{
    struct prim *p = arg;

    while (n-- > 0) {
        size_t len = sizeof(p->sig);

        if (EVP_DigestSignInit_ex(p->mctx, NULL, NULL, NULL, NULL, p->key, NULL) != 1
            || EVP_DigestSign(p->mctx, p->sig, &len, p->msg, sizeof(p->msg)) != 1)
            fail("Ed25519 sign");
    }
}

static void run_ed_verify(void *arg, long n)
{
    struct prim *p = arg;

    while (n-- > 0)
        if (EVP_DigestVerifyInit_ex(p->mctx, NULL, NULL, NULL, NULL, p->key, NULL) != 1
            || EVP_DigestVerify(p->mctx, p->sig, p->sig_len, p->msg, sizeof(p->msg)) != 1)
            fail("Ed25519 verify");
}

static void run_encaps(void *arg, long n)
{
    struct prim *p = arg;

    while (n-- > 0) {
        size_t ct_len = sizeof(p->ct), ss_len = sizeof(p->ss);

        if (EVP_PKEY_encapsulate(p->ctx, p->ct, &ct_len, p->ss, &ss_len) <= 0)
            fail("EVP_PKEY_encapsulate %s", p->kind);
    }
}

static void run_decaps(void *arg, long n)
{
    struct prim *p = arg;

    while (n-- > 0) {
        size_t ss_len = sizeof(p->ss);

        if (EVP_PKEY_decapsulate(p->ctx, p->ss, &ss_len, p->ct, p->ct_len) <= 0)
            fail("EVP_PKEY_decapsulate %s", p->kind);
    }
}

/* One digest of PRIM_BULK bytes per operation. */
static void run_digest(void *arg, long n)
{
    struct prim *p = arg;
    unsigned int len;

    while (n-- > 0)
        if (EVP_DigestInit_ex2(p->mctx, p->md, NULL) != 1 || EVP_DigestUpdate(p->mctx, bulk_in, PRIM_BULK) != 1
            || EVP_DigestFinal_ex(p->mctx, p->ss, &len) != 1)
            fail("digest %s", p->kind);
}

/* One sealed TLS record of PRIM_BULK bytes per operation: new nonce, AAD, encrypt, tag. */
static void run_seal(void *arg, long n)
{
    struct prim *p = arg;
    static const unsigned char aad[13] = { 0x17, 0x03, 0x03 };
    int len;

    while (n-- > 0) {
        p->msg[11]++;   /* the nonce changes per record, as TLS's sequence number makes it */
        if (EVP_EncryptInit_ex2(p->cctx, NULL, NULL, p->msg, NULL) != 1
            || EVP_EncryptUpdate(p->cctx, NULL, &len, aad, sizeof(aad)) != 1
            || EVP_EncryptUpdate(p->cctx, bulk_out, &len, bulk_in, PRIM_BULK) != 1
            || EVP_EncryptFinal_ex(p->cctx, bulk_out + len, &len) != 1
            || EVP_CIPHER_CTX_ctrl(p->cctx, EVP_CTRL_AEAD_GET_TAG, 16, p->ss) != 1)
            fail("seal %s", p->kind);
    }
}

static struct prim prims[20];
static int nprims;

static struct prim *prim(const char *kind)
{
    struct prim *p;

    if (nprims == (int)(sizeof(prims) / sizeof(prims[0])))
        fail("too many primitives");
    p = &prims[nprims++];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    memset(p->msg, 0x42, sizeof(p->msg));
    return p;
}

static EVP_PKEY_CTX *ctx_of(EVP_PKEY *key)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);

    if (c == NULL)
        fail("EVP_PKEY_CTX_new_from_pkey");
    return c;
}

static struct prim *keygen_prim(const char *alg, const char *param)
{
    struct prim *p = prim(alg);

    p->ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    if (p->ctx == NULL || EVP_PKEY_keygen_init(p->ctx) <= 0)
        fail("keygen init %s", alg);
    if (param != NULL && EVP_PKEY_CTX_set_group_name(p->ctx, param) <= 0)
        fail("group %s", param);
    return p;
}

static struct prim *derive_prim(const char *alg, const char *param)
{
    struct prim *p = prim(alg);

    p->key = keygen(alg, param);
    p->peer = keygen(alg, param);
    p->ctx = ctx_of(p->key);
    if (EVP_PKEY_derive_init(p->ctx) <= 0 || EVP_PKEY_derive_set_peer(p->ctx, p->peer) <= 0)
        fail("derive init %s", alg);
    return p;
}

/* A signature prim for EVP_PKEY_sign/verify over a 32-byte digest (ECDSA, RSA-PSS as TLS 1.3 uses). */
static struct prim *sig_prim(const char *alg, EVP_PKEY *key, int verify, int pss)
{
    struct prim *p = prim(alg);
    EVP_PKEY_CTX *signer = ctx_of(key);

    p->key = key;
    if (EVP_PKEY_sign_init(signer) <= 0 || (pss && (EVP_PKEY_CTX_set_rsa_padding(signer, RSA_PKCS1_PSS_PADDING) <= 0
                                                    || EVP_PKEY_CTX_set_signature_md(signer, EVP_sha256()) <= 0)))
        fail("sign init %s", alg);
    p->sig_len = sizeof(p->sig);
    if (EVP_PKEY_sign(signer, p->sig, &p->sig_len, p->msg, sizeof(p->msg)) <= 0)
        fail("sign %s", alg);
    if (!verify) {
        p->ctx = signer;
        return p;
    }
    EVP_PKEY_CTX_free(signer);
    p->ctx = ctx_of(key);
    if (EVP_PKEY_verify_init(p->ctx) <= 0 || (pss && (EVP_PKEY_CTX_set_rsa_padding(p->ctx, RSA_PKCS1_PSS_PADDING) <= 0
                                                      || EVP_PKEY_CTX_set_signature_md(p->ctx, EVP_sha256()) <= 0)))
        fail("verify init %s", alg);
    return p;
}

static struct prim *ed_prim(EVP_PKEY *key)
{
    struct prim *p = prim("Ed25519");

    p->key = key;
    p->mctx = EVP_MD_CTX_new();
    p->sig_len = sizeof(p->sig);
    if (p->mctx == NULL || EVP_DigestSignInit_ex(p->mctx, NULL, NULL, NULL, NULL, key, NULL) != 1
        || EVP_DigestSign(p->mctx, p->sig, &p->sig_len, p->msg, sizeof(p->msg)) != 1)
        fail("Ed25519 setup");
    return p;
}

static struct prim *kem_prim(EVP_PKEY *key, int decaps)
{
    struct prim *p = prim("ML-KEM-768");
    EVP_PKEY_CTX *enc = ctx_of(key);
    size_t ss_len = sizeof(p->ss);

    p->key = key;
    p->ct_len = sizeof(p->ct);
    if (EVP_PKEY_encapsulate_init(enc, NULL) <= 0 || EVP_PKEY_encapsulate(enc, p->ct, &p->ct_len, p->ss, &ss_len) <= 0)
        fail("ML-KEM-768 encapsulate setup");
    if (!decaps) {
        p->ctx = enc;
        return p;
    }
    EVP_PKEY_CTX_free(enc);
    p->ctx = ctx_of(key);
    if (EVP_PKEY_decapsulate_init(p->ctx, NULL) <= 0)
        fail("ML-KEM-768 decapsulate setup");
    return p;
}

static struct prim *digest_prim(const char *name)
{
    struct prim *p = prim(name);

    p->md = EVP_get_digestbyname(name);
    p->mctx = EVP_MD_CTX_new();
    if (p->md == NULL || p->mctx == NULL)
        fail("digest %s", name);
    return p;
}

static struct prim *seal_prim(const char *name)
{
    struct prim *p = prim(name);
    unsigned char key[32] = { 1 };

    p->cipher = EVP_get_cipherbyname(name);
    p->cctx = EVP_CIPHER_CTX_new();
    if (p->cipher == NULL || p->cctx == NULL || EVP_EncryptInit_ex2(p->cctx, p->cipher, key, p->msg, NULL) != 1)
        fail("cipher %s", name);
    return p;
}

void add_primitive_figures(struct figure *figs, int *count, int max)
{
    EVP_PKEY *p256 = keygen("EC", "P-256"), *ed = keygen("ED25519", NULL), *mlkem = keygen("ML-KEM-768", NULL);
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    struct {
        const char *name, *unit;
        void (*run)(void *, long);
        struct prim *p;
    } list[] = {
        { "prim.x25519.keygen", "ns/op", run_keygen, keygen_prim("X25519", NULL) },
        { "prim.x25519.derive", "ns/op", run_derive, derive_prim("X25519", NULL) },
        { "prim.p256.keygen", "ns/op", run_keygen, keygen_prim("EC", "P-256") },
        { "prim.p256.ecdh", "ns/op", run_derive, derive_prim("EC", "P-256") },
        { "prim.ecdsa_p256.sign", "ns/op", run_sign, sig_prim("ECDSA P-256", p256, 0, 0) },
        { "prim.ecdsa_p256.verify", "ns/op", run_verify, sig_prim("ECDSA P-256", p256, 1, 0) },
        { "prim.ed25519.sign", "ns/op", run_ed_sign, ed_prim(ed) },
        { "prim.ed25519.verify", "ns/op", run_ed_verify, ed_prim(ed) },
        { "prim.rsa2048_pss.sign", "ns/op", run_sign, sig_prim("RSA-2048", rsa, 0, 1) },
        { "prim.rsa2048_pss.verify", "ns/op", run_verify, sig_prim("RSA-2048", rsa, 1, 1) },
        { "prim.mlkem768.keygen", "ns/op", run_keygen, keygen_prim("ML-KEM-768", NULL) },
        { "prim.mlkem768.encaps", "ns/op", run_encaps, kem_prim(mlkem, 0) },
        { "prim.mlkem768.decaps", "ns/op", run_decaps, kem_prim(mlkem, 1) },
        { "prim.sha256", "ns/KB", run_digest, digest_prim("SHA256") },
        { "prim.sha384", "ns/KB", run_digest, digest_prim("SHA384") },
        { "prim.aes128gcm", "ns/KB", run_seal, seal_prim("AES-128-GCM") },
        { "prim.chacha20poly1305", "ns/KB", run_seal, seal_prim("ChaCha20-Poly1305") },
    };
    size_t i;

    if (rsa == NULL)
        fail("RSA-2048 keygen");
    memset(bulk_in, 0x17, sizeof(bulk_in));
    for (i = 0; i < sizeof(list) / sizeof(list[0]) && *count < max; i++) {
        struct figure *f = &figs[(*count)++];

        memset(f, 0, sizeof(*f));
        f->name = list[i].name;
        f->unit = list[i].unit;
        f->run = list[i].run;
        f->arg = list[i].p;
    }
}
