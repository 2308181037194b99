/*
 * Contexts and connections over memory BIOs, and the session-cache callbacks. The callbacks call
 * JavaScript (wasm/host.js), which catches every exception itself: nothing unwinds through C.
 */
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "codes.h"
#include "osw.h"

/* Implemented in wasm/host.js. Each returns a plain value and never throws. */
extern int osw_host_new_session(SSL_CTX *ctx, SSL *ssl, SSL_SESSION *sess);
extern void osw_host_remove_session(SSL_CTX *ctx, SSL_SESSION *sess);
extern SSL_SESSION *osw_host_get_session(SSL_CTX *ctx, SSL *ssl, const unsigned char *id, int len);
extern int osw_host_alpn_select(SSL *ssl, const unsigned char *in, unsigned int inlen);

/* Acknowledges the client's SNI name, so OpenSSL records it in the server's session (hostname). */
static int on_servername(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    (void)arg;
    return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) != NULL ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
}

/* A new context (0 client, 1 server), one reference owned by the caller (free with SSL_CTX_free). */
SSL_CTX *osw_ctx_new(int server)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

    if (ctx != NULL && server)
        SSL_CTX_set_tlsext_servername_callback(ctx, on_servername);
    return ctx;
}

int osw_ctx_set_versions(SSL_CTX *ctx, int min, int max)
{
    return SSL_CTX_set_min_proto_version(ctx, min) && SSL_CTX_set_max_proto_version(ctx, max);
}

int osw_ctx_set_groups(SSL_CTX *ctx, const char *groups)
{
    return SSL_CTX_set1_groups_list(ctx, groups);
}

/* Certificate chain from PEM: the first certificate is the leaf, the rest its chain. */
int osw_ctx_use_certificate_pem(SSL_CTX *ctx, const unsigned char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *leaf, *extra;
    int ok = 0;

    if (bio == NULL)
        return 0;
    leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (leaf != NULL && SSL_CTX_use_certificate(ctx, leaf) == 1) {
        ok = 1;
        SSL_CTX_clear_chain_certs(ctx);
        while ((extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            if (!SSL_CTX_add0_chain_cert(ctx, extra)) { /* add0 takes the reference on success */
                X509_free(extra);
                ok = 0;
                break;
            }
        }
        if (ok) /* running out of certificates is the normal end */
            ERR_clear_error();
    }
    X509_free(leaf);
    BIO_free(bio);
    return ok;
}

int osw_ctx_use_private_key_pem(SSL_CTX *ctx, const unsigned char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    int ok = key != NULL && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;

    EVP_PKEY_free(key);
    BIO_free(bio);
    return ok;
}

/* Adds every certificate in the PEM to the context's trust store; returns how many (0: error). */
int osw_ctx_add_ca_pem(SSL_CTX *ctx, const unsigned char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    X509 *cert;
    int n = 0;

    if (bio == NULL)
        return 0;
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (!X509_STORE_add_cert(store, cert)) { /* takes its own reference */
            X509_free(cert);
            n = 0;
            break;
        }
        X509_free(cert);
        n++;
    }
    if (n > 0)
        ERR_clear_error();
    BIO_free(bio);
    return n;
}

long osw_ctx_ctrl(SSL_CTX *ctx, int cmd, long larg)
{
    return SSL_CTX_ctrl(ctx, cmd, larg, NULL);
}

static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    /* OpenSSL took a reference for us before the call; returning 1 keeps it, 0 lets OpenSSL drop it. */
    return osw_host_new_session(SSL_get_SSL_CTX(ssl), ssl, sess);
}

static void on_remove_session(SSL_CTX *ctx, SSL_SESSION *sess)
{
    osw_host_remove_session(ctx, sess);
}

static SSL_SESSION *on_get_session(SSL *ssl, const unsigned char *id, int len, int *copy)
{
    /* JS keeps its own reference to what it returns; copy=1 makes OpenSSL take one more for itself. */
    *copy = 1;
    return osw_host_get_session(SSL_get_SSL_CTX(ssl), ssl, id, len);
}

/* Installs (1) or removes (0) the JS callbacks: bit 0 new, bit 1 remove, bit 2 get. */
void osw_ctx_set_session_callbacks(SSL_CTX *ctx, int which)
{
    SSL_CTX_sess_set_new_cb(ctx, (which & OSW_CALLBACK_NEW_SESSION) ? on_new_session : NULL);
    SSL_CTX_sess_set_remove_cb(ctx, (which & OSW_CALLBACK_REMOVE_SESSION) ? on_remove_session : NULL);
    SSL_CTX_sess_set_get_cb(ctx, (which & OSW_CALLBACK_GET_SESSION) ? on_get_session : NULL);
}

double osw_ctx_flush_sessions(SSL_CTX *ctx, double t)
{
    SSL_CTX_flush_sessions_ex(ctx, (time_t)t);
    return t;
}

/* Server ALPN: JS picks from the client's list (wire format); returns the index chosen or -1. */
static int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg)
{
    int at = osw_host_alpn_select(ssl, in, inlen);

    (void)arg;
    if (at < 0 || (unsigned int)at >= inlen || at + 1 + in[at] > (int)inlen)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = in + at + 1;
    *outlen = in[at];
    return SSL_TLSEXT_ERR_OK;
}

void osw_ctx_set_alpn_select(SSL_CTX *ctx, int on)
{
    SSL_CTX_set_alpn_select_cb(ctx, on ? on_alpn_select : NULL, NULL);
}

/*
 * A new connection with two memory BIOs: what the peer sent is written into the read BIO, what
 * OpenSSL sends is read from the write BIO. One reference owned by the caller (SSL_free).
 */
SSL *osw_ssl_new(SSL_CTX *ctx, int server)
{
    SSL *ssl = SSL_new(ctx);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());

    if (ssl == NULL || in == NULL || out == NULL) {
        SSL_free(ssl);
        BIO_free(in);
        BIO_free(out);
        return NULL;
    }
    /* An empty read BIO means "no data yet", not end of file. */
    BIO_set_mem_eof_return(in, -1);
    BIO_set_mem_eof_return(out, -1);
    SSL_set_bio(ssl, in, out); /* the SSL owns both BIOs from here */
    if (server)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    return ssl;
}

/* SNI and, with verify_hostname, the name the peer certificate must match. */
int osw_ssl_set_hostname(SSL *ssl, const char *name, int verify_hostname)
{
    if (!SSL_set_tlsext_host_name(ssl, name))
        return 0;
    return verify_hostname ? SSL_set1_host(ssl, name) : 1;
}

int osw_ssl_write_encrypted(SSL *ssl, const unsigned char *data, int len)
{
    return BIO_write(SSL_get_rbio(ssl), data, len);
}

int osw_ssl_pending_encrypted(SSL *ssl)
{
    return (int)BIO_ctrl_pending(SSL_get_wbio(ssl));
}

int osw_ssl_read_encrypted(SSL *ssl, unsigned char *buf, int len)
{
    return BIO_read(SSL_get_wbio(ssl), buf, len);
}

/* Marks the peer's end of the stream (a closed transport): OpenSSL then sees EOF, not "retry". */
void osw_ssl_encrypted_eof(SSL *ssl)
{
    BIO_set_mem_eof_return(SSL_get_rbio(ssl), 0);
}

/* The peer certificate as DER in a fresh buffer (caller frees); NULL when there is none. */
unsigned char *osw_ssl_peer_der(SSL *ssl, size_t *outlen)
{
    return osw_x509_der(SSL_get0_peer_certificate(ssl), outlen);
}

/* SSL_set_options / SSL_CTX_set_options take 64-bit masks; these take the low 32 bits. */
void osw_ctx_set_options(SSL_CTX *ctx, unsigned int opts)
{
    SSL_CTX_set_options(ctx, (uint64_t)opts);
}

void osw_ctx_clear_options(SSL_CTX *ctx, unsigned int opts)
{
    SSL_CTX_clear_options(ctx, (uint64_t)opts);
}

/* The i-th certificate the peer sent (0 = its leaf), DER in a fresh buffer; NULL past the end. */
unsigned char *osw_ssl_peer_chain_der(SSL *ssl, int i, size_t *outlen)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);

    if (chain == NULL || i < 0 || i >= sk_X509_num(chain))
        return NULL;
    return osw_x509_der(sk_X509_value(chain, i), outlen);
}

extern void osw_host_keylog(SSL *ssl, const char *line);

static void on_keylog(const SSL *ssl, const char *line)
{
    osw_host_keylog((SSL *)ssl, line);
}

/* Key log lines (SSLKEYLOGFILE format) to JS: on (1) or off (0). */
void osw_ctx_set_keylog(SSL_CTX *ctx, int on)
{
    SSL_CTX_set_keylog_callback(ctx, on ? on_keylog : NULL);
}
