/* SSL_SESSION helpers. None of these takes or drops a reference unless its comment says so. */
#include <openssl/ssl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/err.h>
#include "osw.h"

/* Times cross the boundary as doubles (seconds): time_t is 64-bit and JS has no cheap int64. */
double osw_session_get_time(const SSL_SESSION *s)
{
    return (double)SSL_SESSION_get_time_ex(s);
}

/* 1 on success. (SSL_SESSION_set_time_ex returns the time it set, which may itself be 0.) */
int osw_session_set_time(SSL_SESSION *s, double t)
{
    if (s == NULL)
        return 0;
    SSL_SESSION_set_time_ex(s, (time_t)t);
    return 1;
}

/* DER encoding in a fresh buffer (caller frees). */
unsigned char *osw_session_to_der(const SSL_SESSION *s, size_t *outlen)
{
    unsigned char *der = NULL;
    int n = i2d_SSL_SESSION(s, &der);

    *outlen = n > 0 ? (size_t)n : 0;
    return n > 0 ? der : NULL;
}

/* A new session with one reference, owned by the caller; NULL (and an error queued) on bad input. */
SSL_SESSION *osw_session_from_der(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    SSL_SESSION *s;

    if (len > 0x7fffffff)
        return NULL;
    s = d2i_SSL_SESSION(NULL, &p, (long)len);
    /* Trailing bytes after one complete session are refused rather than silently ignored. */
    if (s != NULL && p != der + len) {
        SSL_SESSION_free(s);
        ERR_raise_data(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT, "%zu trailing bytes after the session",
                       (size_t)(der + len - p));
        return NULL;
    }
    return s;
}

/* PEM text ("-----BEGIN SSL SESSION PARAMETERS-----") in a fresh buffer (caller frees). */
unsigned char *osw_session_to_pem(SSL_SESSION *s, size_t *outlen)
{
    BIO *bio = BIO_new(BIO_s_mem());

    if (bio == NULL || !PEM_write_bio_SSL_SESSION(bio, s)) {
        BIO_free(bio);
        *outlen = 0;
        return NULL;
    }
    return osw_bio_take(bio, outlen);
}

/* A new session with one reference, owned by the caller. */
SSL_SESSION *osw_session_from_pem(const unsigned char *pem, size_t len)
{
    BIO *bio;
    SSL_SESSION *s;

    if (len > 0x7fffffff)
        return NULL;
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return NULL;
    s = PEM_read_bio_SSL_SESSION(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return s;
}

/* SSL_SESSION_print's text in a fresh buffer (caller frees). */
unsigned char *osw_session_print(const SSL_SESSION *s, size_t *outlen)
{
    BIO *bio = BIO_new(BIO_s_mem());

    if (bio == NULL || !SSL_SESSION_print(bio, s)) {
        BIO_free(bio);
        *outlen = 0;
        return NULL;
    }
    return osw_bio_take(bio, outlen);
}

/* SSL_SESSION_print_keylog's NSS key log line in a fresh buffer (caller frees). A secret. */
unsigned char *osw_session_print_keylog(const SSL_SESSION *s, size_t *outlen)
{
    BIO *bio = BIO_new(BIO_s_mem());

    if (bio == NULL || !SSL_SESSION_print_keylog(bio, s)) {
        BIO_free(bio);
        *outlen = 0;
        return NULL;
    }
    return osw_bio_take(bio, outlen);
}

unsigned char *osw_x509_der(X509 *cert, size_t *outlen)
{
    unsigned char *der = NULL;
    int n = cert != NULL ? i2d_X509(cert, &der) : 0;

    *outlen = n > 0 ? (size_t)n : 0;
    return n > 0 ? der : NULL;
}

/* The peer certificate as DER in a fresh buffer (caller frees); NULL when there is none. */
unsigned char *osw_session_peer_der(SSL_SESSION *s, size_t *outlen)
{
    return osw_x509_der(SSL_SESSION_get0_peer(s), outlen);
}
