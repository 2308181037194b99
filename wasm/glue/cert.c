/* Self-signed certificates made inside the module, so a browser needs no files. */
#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "codes.h"
#include "osw.h"

static EVP_PKEY *make_key(int type)
{
    switch (type) {
    case OSW_KEY_TYPE_P256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case OSW_KEY_TYPE_ED25519:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    case OSW_KEY_TYPE_RSA2048:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    default:
        return NULL;
    }
}

static int add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return 0;
    ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/*
 * Makes a key (0 P-256, 1 Ed25519, 2 RSA-2048) and a self-signed certificate for common_name (also
 * its DNS subjectAltName), valid for `days`. Returns the certificate PEM followed by the private key
 * PEM (PKCS#8) in one fresh buffer (caller frees); *cert_len is where the key starts.
 */
unsigned char *osw_generate_certificate(int key_type, const char *common_name, int days,
                                        size_t *outlen, size_t *cert_len)
{
    EVP_PKEY *key = make_key(key_type);
    X509 *cert = X509_new();
    X509_NAME *name;
    BIO *bio = BIO_new(BIO_s_mem());
    unsigned char serial[16];
    ASN1_INTEGER *sn = NULL;
    BIGNUM *bn = NULL;
    char san[300];
    unsigned char *result = NULL;

    *outlen = 0;
    *cert_len = 0;
    if (key == NULL || cert == NULL || bio == NULL || strlen(common_name) > 255)
        goto done;
    if (RAND_bytes(serial, sizeof(serial)) != 1)
        goto done;
    serial[0] &= 0x7f;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    sn = BN_to_ASN1_INTEGER(bn, NULL);
    if (sn == NULL || !X509_set_version(cert, X509_VERSION_3) || !X509_set_serialNumber(cert, sn))
        goto done;
    if (X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL
        || X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) == NULL)
        goto done;
    name = X509_get_subject_name(cert);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0)
        || !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key))
        goto done;
    snprintf(san, sizeof(san), "DNS:%s", common_name);
    if (!add_ext(cert, NID_subject_alt_name, san) || !add_ext(cert, NID_basic_constraints, "critical,CA:TRUE")
        || !add_ext(cert, NID_subject_key_identifier, "hash"))
        goto done;
    /* Ed25519 signs without a separate digest. */
    if (X509_sign(cert, key, key_type == OSW_KEY_TYPE_ED25519 ? NULL : EVP_sha256()) <= 0)
        goto done;
    if (!PEM_write_bio_X509(bio, cert))
        goto done;
    *cert_len = (size_t)BIO_pending(bio);
    if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
        goto done;
    result = osw_bio_take(bio, outlen);
    bio = NULL;
done:
    BIO_free(bio);
    ASN1_INTEGER_free(sn);
    BN_free(bn);
    X509_free(cert);
    EVP_PKEY_free(key);
    return result;
}
