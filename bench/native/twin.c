/*
 * twin.c: the native twin of the WebAssembly benchmarks.
 *
 * Does natively what the wasm build does: complete TLS handshakes between a client and a server
 * inside one process, bytes moved by hand between memory BIOs (as the JS host moves them), and
 * SSL_SESSION operations on a session taken from a real handshake.  Linked statically against
 * OpenSSL 3.5.7 built from the same verified tarball with the same patches (bench/native/build.sh),
 * once with assembly and once with no-asm.
 *
 *   twin [--quick] [--json]
 *
 * Every figure is the median of N trials; a trial times one batch in process CPU time.  The batch
 * size is calibrated per figure so that a trial lasts about TRIAL_SECONDS, which bounds the run time
 * on any machine (--quick: under 5 s; default: under 60 s).  Times are process CPU time (see cpu_seconds).  Every handshake is checked as it runs
 * (completion, protocol version, cipher, whether it resumed): the program exits 1 with a message
 * rather than time a failure.
 *
 * Ownership follows OpenSSL's naming: get0 borrows, get1/new/dup return a reference the caller
 * must free; each function below says what it returns and who frees it.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "twin.h"

#define TLS12_CIPHER "ECDHE-ECDSA-AES128-GCM-SHA256"

#ifdef __EMSCRIPTEN__
#define PLATFORM "wasm32"     /* the same source, compiled with emcc against the wasm libraries */
#else
#define PLATFORM "native"
#endif

/* ---- failing loudly ----------------------------------------------------------------------- */

static int print_error_line(const char *str, size_t len, void *unused)
{
    (void)unused;
    fprintf(stderr, "  openssl: %.*s", (int)len, str);
    return 1;
}

/* Prints the message and OpenSSL's error queue, then exits 1: a figure that timed a failure is worthless. */
void fail(const char *fmt, ...)
{
    va_list ap;

    fputs("twin: FAILED: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    ERR_print_errors_cb(print_error_line, NULL);
    exit(1);
}

/* ---- the certificate and the contexts ----------------------------------------------------- */

/* A key of |type| ("P-256", "Ed25519" or "RSA-2048") and a self-signed certificate for it, valid
 * for a day either side of now.  Both are returned with one reference each, owned by the caller. */
static void make_identity(const char *type, EVP_PKEY **key_out, X509 **cert_out)
{
    int ed = strcmp(type, "Ed25519") == 0;
    EVP_PKEY *key = ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
                    : strcmp(type, "RSA-2048") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
                    : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = X509_new();
    X509_NAME *name;    /* borrowed from cert */

    if (key == NULL || cert == NULL)
        fail("%s key or X509 allocation", type);
    name = X509_get_subject_name(cert);
    if (!X509_set_version(cert, X509_VERSION_3)
        || !ASN1_INTEGER_set(X509_get_serialNumber(cert), 1)
        || X509_gmtime_adj(X509_getm_notBefore(cert), -86400L) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(cert), 86400L) == NULL
        || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"twin.invalid", -1, -1, 0)
        || !X509_set_issuer_name(cert, name)     /* copies the name */
        || !X509_set_pubkey(cert, key)           /* takes its own reference to key */
        || X509_sign(cert, key, ed ? NULL : EVP_sha256()) <= 0)   /* Ed25519 signs without a digest */
        fail("building the self-signed certificate");
    *key_out = key;
    *cert_out = cert;
}

/* A server and a client context with OpenSSL's defaults (groups, ciphersuites, tickets), except:
 * tls12 caps both at TLS 1.2 with the single cipher TLS12_CIPHER and turns the server's session-ID
 * cache off, so a TLS 1.2 resumption can only come from a ticket.  The client does not verify the
 * server (SSL_VERIFY_NONE, the default).  Both contexts are owned by the caller (SSL_CTX_free);
 * they hold their own references to key and cert. */
static void make_contexts(int tls12, EVP_PKEY *key, X509 *cert, SSL_CTX **server_out, SSL_CTX **client_out)
{
    SSL_CTX *server = SSL_CTX_new(TLS_server_method());
    SSL_CTX *client = SSL_CTX_new(TLS_client_method());

    if (server == NULL || client == NULL)
        fail("SSL_CTX_new");
    if (!SSL_CTX_use_certificate(server, cert) || !SSL_CTX_use_PrivateKey(server, key)
        || !SSL_CTX_check_private_key(server))
        fail("installing the server certificate");
    if (tls12) {
        if (!SSL_CTX_set_max_proto_version(server, TLS1_2_VERSION)
            || !SSL_CTX_set_max_proto_version(client, TLS1_2_VERSION)
            || !SSL_CTX_set_cipher_list(server, TLS12_CIPHER)
            || !SSL_CTX_set_cipher_list(client, TLS12_CIPHER))
            fail("configuring TLS 1.2 with %s", TLS12_CIPHER);
        SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_OFF);
    }
    *server_out = server;
    *client_out = client;
}

/* ---- one connection in memory ------------------------------------------------------------- */

/* One side of a connection: the SSL owns both BIOs; in and out are borrowed pointers to them. */
struct endpoint {
    SSL *ssl;
    BIO *in;    /* what the peer sent, for this side to read */
    BIO *out;   /* what this side wrote, for the peer */
};

static void endpoint_open(struct endpoint *e, SSL_CTX *ctx, int server)
{
    e->ssl = SSL_new(ctx);
    e->in = BIO_new(BIO_s_mem());
    e->out = BIO_new(BIO_s_mem());
    if (e->ssl == NULL || e->in == NULL || e->out == NULL)
        fail("SSL_new/BIO_new");
    /* An empty memory BIO means "no bytes yet, retry", not end of file. */
    BIO_set_mem_eof_return(e->in, -1);
    BIO_set_mem_eof_return(e->out, -1);
    SSL_set_bio(e->ssl, e->in, e->out);     /* the SSL takes over our reference to each BIO */
    if (server)
        SSL_set_accept_state(e->ssl);
    else
        SSL_set_connect_state(e->ssl);
}

/* Moves every byte |from| has written into |to|'s input, as the host's transport does; returns the count. */
static size_t pump(struct endpoint *from, struct endpoint *to)
{
    unsigned char buf[16384];
    size_t moved = 0;
    int n;

    while ((n = BIO_read(from->out, buf, sizeof(buf))) > 0) {
        if (BIO_write(to->in, buf, n) != n)
            fail("BIO_write to the peer");
        moved += (size_t)n;
    }
    return moved;
}

/* One SSL_do_handshake step: 1 when this side is done, 0 when it waits for the peer. */
static int handshake_step(SSL *ssl, const char *who)
{
    int r = SSL_do_handshake(ssl);
    int err;

    if (r == 1)
        return 1;
    err = SSL_get_error(ssl, r);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
        fail("%s handshake: SSL_do_handshake=%d, SSL_get_error=%d", who, r, err);
    return 0;
}

/* What a scenario expects of every connection, and what it resumes from. */
struct scenario {
    SSL_CTX *server_ctx, *client_ctx;   /* borrowed */
    int version;                        /* TLS1_3_VERSION or TLS1_2_VERSION */
    const SSL_CIPHER *cipher;           /* NULL: learnt from the first connection, then required */
    SSL_SESSION *resume;                /* borrowed; NULL for full handshakes */
    char negotiated[160];               /* version, cipher, group: filled by the first connection */
};

/*
 * One complete connection: handshake, one application byte from server to client (so that the
 * client's SSL_read processes the TLS 1.3 NewSessionTickets, which arrive after the handshake),
 * SSL_get1_session on the client, a bidirectional close_notify, SSL_free of both sides.
 * Checks the version, the cipher and that resumption happened exactly when sc->resume is set.
 * Returns the client's session with one reference owned by the caller, or NULL (after freeing it)
 * when keep is 0.
 */
static SSL_SESSION *connect_once(struct scenario *sc, int keep)
{
    struct endpoint c, s;
    int c_done = 0, s_done = 0, rounds, c_shut = 0, s_shut = 0;
    unsigned char byte = 0x5a, got = 0;
    SSL_SESSION *session;
    const SSL_CIPHER *cipher;

    endpoint_open(&c, sc->client_ctx, 0);
    endpoint_open(&s, sc->server_ctx, 1);
    /* SSL_set_session takes its own reference: sc->resume stays ours. */
    if (sc->resume != NULL && !SSL_set_session(c.ssl, sc->resume))
        fail("SSL_set_session");

    for (rounds = 0; !(c_done && s_done); rounds++) {
        size_t moved;

        if (!c_done)
            c_done = handshake_step(c.ssl, "client");
        if (!s_done)
            s_done = handshake_step(s.ssl, "server");
        moved = pump(&c, &s) + pump(&s, &c);
        if (!(c_done && s_done) && (moved == 0 || rounds > 16))
            fail("handshake stalled (client done %d, server done %d, round %d)", c_done, s_done, rounds);
    }

    if (SSL_version(c.ssl) != sc->version || SSL_version(s.ssl) != sc->version)
        fail("negotiated %s, expected 0x%04x", SSL_get_version(c.ssl), sc->version);
    cipher = SSL_get_current_cipher(c.ssl);  /* ciphers are static tables: comparable by address */
    if (cipher == NULL || (sc->cipher != NULL && cipher != sc->cipher))
        fail("negotiated cipher %s", cipher != NULL ? SSL_CIPHER_get_name(cipher) : "(none)");
    if (SSL_session_reused(c.ssl) != (sc->resume != NULL) || SSL_session_reused(s.ssl) != (sc->resume != NULL))
        fail("%s: SSL_session_reused client=%d server=%d", sc->resume != NULL ? "resumption did not resume"
             : "a full handshake resumed", SSL_session_reused(c.ssl), SSL_session_reused(s.ssl));
    if (sc->negotiated[0] == '\0') {
        /* Borrowed.  A TLS 1.2 resumption has no key exchange (the name would be the original
         * session's group); a TLS 1.3 one does (psk_dhe_ke, OpenSSL's default). */
        const char *group = SSL_get0_group_name(c.ssl);

        if (sc->resume != NULL && sc->version == TLS1_2_VERSION)
            group = NULL;
        sc->cipher = cipher;
        snprintf(sc->negotiated, sizeof(sc->negotiated), "%s %s %s%s", SSL_get_version(c.ssl),
                 SSL_CIPHER_get_name(cipher), group != NULL ? group : "no-key-exchange",
                 sc->resume != NULL ? " resumed-from-ticket" : "");
    }

    /* One byte from the server; the client's read first consumes any NewSessionTickets. */
    if (SSL_write(s.ssl, &byte, 1) != 1)
        fail("server SSL_write");
    pump(&s, &c);
    if (SSL_read(c.ssl, &got, 1) != 1 || got != byte)
        fail("client SSL_read of the server's byte");

    session = SSL_get1_session(c.ssl);       /* ours: one reference */
    if (session == NULL || !SSL_SESSION_is_resumable(session))
        fail("the client has no resumable session after the handshake");

    /* close_notify both ways: the first SSL_shutdown sends, the second reads the peer's. */
    for (rounds = 0; !(c_shut == 1 && s_shut == 1); rounds++) {
        if (rounds > 4)
            fail("shutdown did not complete (client %d, server %d)", c_shut, s_shut);
        if (c_shut != 1)
            c_shut = SSL_shutdown(c.ssl);
        pump(&c, &s);
        if (s_shut != 1)
            s_shut = SSL_shutdown(s.ssl);
        pump(&s, &c);
        if (c_shut < 0 && SSL_get_error(c.ssl, c_shut) != SSL_ERROR_WANT_READ)
            fail("client SSL_shutdown");
        if (s_shut < 0 && SSL_get_error(s.ssl, s_shut) != SSL_ERROR_WANT_READ)
            fail("server SSL_shutdown");
    }
    SSL_free(c.ssl);    /* frees its BIOs and its own reference to the session */
    SSL_free(s.ssl);

    if (!keep) {
        SSL_SESSION_free(session);
        return NULL;
    }
    return session;
}

/* ---- the measured operations: each runs n iterations ------------------------------------------ */

static void run_handshakes(void *arg, long n)
{
    struct scenario *sc = arg;

    while (n-- > 0)
        connect_once(sc, 0);
}

/* The session under test (borrowed, one reference held by main) and its DER encoding. */
struct session_fixture {
    SSL_SESSION *session;
    const unsigned char *der;
    int der_len;
};

static void run_upref_free(void *arg, long n)
{
    SSL_SESSION *s = ((struct session_fixture *)arg)->session;

    while (n-- > 0) {
        if (!SSL_SESSION_up_ref(s))
            fail("SSL_SESSION_up_ref");
        SSL_SESSION_free(s);    /* drops the reference just taken, never the fixture's own */
    }
}

static void run_new_free(void *arg, long n)
{
    (void)arg;
    while (n-- > 0) {
        SSL_SESSION *s = SSL_SESSION_new();     /* ours: one reference */

        if (s == NULL)
            fail("SSL_SESSION_new");
        SSL_SESSION_free(s);
    }
}

static void run_dup(void *arg, long n)
{
    SSL_SESSION *s = ((struct session_fixture *)arg)->session;

    while (n-- > 0) {
        SSL_SESSION *d = SSL_SESSION_dup(s);    /* ours: a deep copy with one reference */

        if (d == NULL)
            fail("SSL_SESSION_dup");
        SSL_SESSION_free(d);
    }
}

/* i2d into a buffer OpenSSL allocates, as the wasm glue does (osw_session_to_der); we free it. */
static void run_i2d(void *arg, long n)
{
    const struct session_fixture *f = arg;

    while (n-- > 0) {
        unsigned char *der = NULL;
        int len = i2d_SSL_SESSION(f->session, &der);

        if (len != f->der_len || der == NULL)
            fail("i2d_SSL_SESSION returned %d", len);
        OPENSSL_free(der);
    }
}

/* d2i of the whole encoding, as the wasm glue does (osw_session_from_der), then free. */
static void run_d2i(void *arg, long n)
{
    const struct session_fixture *f = arg;

    while (n-- > 0) {
        const unsigned char *p = f->der;
        SSL_SESSION *s = d2i_SSL_SESSION(NULL, &p, f->der_len);     /* ours: one reference */

        if (s == NULL || p != f->der + f->der_len)
            fail("d2i_SSL_SESSION");
        SSL_SESSION_free(s);
    }
}

static void run_getter(void *arg, long n)
{
    const SSL_SESSION *s = ((struct session_fixture *)arg)->session;
    unsigned long sum = 0, want = (unsigned long)n * TLS1_3_VERSION;

    while (n-- > 0)
        sum += (unsigned long)SSL_SESSION_get_protocol_version(s);
    if (sum != want)    /* also keeps the calls from being optimised away */
        fail("SSL_SESSION_get_protocol_version");
}

/* ---- timing ----------------------------------------------------------------------------------- */

/* Process CPU time, not wall time: on a shared machine the time other processes run is not ours.
 * Natively CLOCK_PROCESS_CPUTIME_ID (one thread); in wasm, Node's process.cpuUsage() (user + system,
 * microseconds), which the JS host counts for the whole Node process. */
#ifdef __EMSCRIPTEN__
#include <emscripten.h>
EM_JS(double, cpu_seconds, (void), {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
});
#else
static double cpu_seconds(void)
{
    struct timespec t;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
#endif

static double seconds_of(void (*run)(void *, long), void *arg, long n)
{
    double t0 = cpu_seconds();

    run(arg, n);
    return cpu_seconds() - t0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Calibrates the batch (doubling until a batch takes a quarter of trial_seconds, which also warms
 * up caches and OpenSSL's lazily built tables), then times `trials` batches and keeps the median. */
static void measure(struct figure *f, int trials, double trial_seconds)
{
    double t, per_op[16];   /* seconds per operation, one per trial (trials <= 16) */
    long n = 1;
    int i;

    for (;;) {
        t = seconds_of(f->run, f->arg, n);
        if (t >= trial_seconds / 4 || n > (1L << 30))
            break;
        n *= 2;
    }
    f->batch = (long)((double)n * trial_seconds / (t > 0 ? t : 1e-9));
    if (f->batch < 1)
        f->batch = 1;
    for (i = 0; i < trials; i++)
        per_op[i] = seconds_of(f->run, f->arg, f->batch) / (double)f->batch;
    qsort(per_op, (size_t)trials, sizeof(per_op[0]), compare_doubles);
    if (f->unit[0] == 'n') {
        /* ns/op, or ns/KB for an operation on PRIM_BULK bytes */
        double scale = strcmp(f->unit, "ns/KB") == 0 ? 1e9 * 1024 / PRIM_BULK : 1e9;

        f->value = per_op[trials / 2] * scale;
        f->low = per_op[trials - 1] * scale;
        f->high = per_op[0] * scale;
    } else {
        f->value = 1.0 / per_op[trials / 2];
        f->low = 1.0 / per_op[trials - 1];
        f->high = 1.0 / per_op[0];
    }
}

/* ---- output ----------------------------------------------------------------------------------- */

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void print_json(const struct figure *figs, int count, int asm_build, int quick, int trials)
{
    int i, first = 1;

    printf("{\"openssl\": ");
    print_json_string(OpenSSL_version(OPENSSL_VERSION));
    printf(", \"platform\": \"%s\", \"asm\": %s, \"quick\": %s, \"trials\": %d, \"figures\": {", PLATFORM,
           asm_build ? "true" : "false", quick ? "true" : "false", trials);
    for (i = 0; i < count; i++)
        printf("%s\n  \"%s\": {\"unit\": \"%s\", \"value\": %.*f, \"best\": %.*f}", i ? "," : "", figs[i].name,
               figs[i].unit, figs[i].unit[0] == 'n' ? 2 : 1, figs[i].value, figs[i].unit[0] == 'n' ? 2 : 1, figs[i].high);
    printf("\n}, \"negotiated\": {");
    for (i = 0; i < count; i++) {
        if (figs[i].detail == NULL)
            continue;
        printf("%s\"%s\": ", first ? "" : ", ", figs[i].name);
        print_json_string(figs[i].detail);
        first = 0;
    }
    printf("}}\n");
}

static void print_row(const struct figure *f, int trials)
{
    int digits = f->unit[0] == 'n' ? 2 : 1;

    printf("%-44s %12.*f %-12s [%.*f .. %.*f] %d x %ld%s%s\n", f->name, digits, f->value, f->unit,
           digits, f->low, digits, f->high, trials, f->batch, f->detail ? "  " : "", f->detail ? f->detail : "");
    fflush(stdout);
}

/* ---- selection: --only takes comma-separated name prefixes ------------------------------------- */

static int selected(const char *name, const char *only)
{
    const char *p = only;

    if (only == NULL)
        return 1;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");

        if (len > 0 && strncmp(name, p, len) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* Whether any name starting with |family| can be selected (a prefix may name the family or a member). */
static int family_selected(const char *family, const char *only)
{
    const char *p = only;

    if (only == NULL)
        return 1;
    while (*p != '\0') {
        size_t len = strcspn(p, ","), f = strlen(family);

        if (len > 0 && strncmp(p, family, len < f ? len : f) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* ---- the handshake split: key-exchange group x certificate type --------------------------------- */

/* TLS 1.3 full handshakes for one group and one certificate type; contexts and identity live for
 * the process.  group NULL keeps OpenSSL's default list (X25519MLKEM768 first) and checks that it is
 * what was negotiated. */
static struct scenario *split_scenario(const char *group, const char *expect, const char *cert_type)
{
    struct scenario *sc = calloc(1, sizeof(*sc));
    SSL_CTX *ctx[2];
    EVP_PKEY *key;
    X509 *cert;
    SSL_SESSION *s;

    if (sc == NULL)
        fail("calloc");
    make_identity(cert_type, &key, &cert);
    make_contexts(0, key, cert, &ctx[0], &ctx[1]);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (group != NULL && (!SSL_CTX_set1_groups_list(ctx[0], group) || !SSL_CTX_set1_groups_list(ctx[1], group)))
        fail("groups %s", group);
    sc->server_ctx = ctx[0];
    sc->client_ctx = ctx[1];
    sc->version = TLS1_3_VERSION;
    s = connect_once(sc, 1);
    SSL_SESSION_free(s);
    if (strstr(sc->negotiated, expect) == NULL)
        fail("%s with a %s certificate negotiated %s", expect, cert_type, sc->negotiated);
    return sc;
}

/* ---- main ------------------------------------------------------------------------------------- */

#define MAX_FIGURES 64

int main(int argc, char **argv)
{
    int quick = 0, json = 0, i, trials, count = 0, asm_build;
    const char *only = NULL;
    double trial_seconds;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    SSL_CTX *ctx13[2], *ctx12[2];       /* [0] server, [1] client; ours */
    struct scenario full13, resumed13, full12, resumed12;
    SSL_SESSION *saved13, *saved12;     /* ours: one reference each */
    unsigned char *der = NULL;          /* ours (OPENSSL_free) */
    struct session_fixture fixture;
    static struct figure figs[MAX_FIGURES];
    /* { SSL_CTX_set1_groups_list (NULL: OpenSSL's default list), label, name SSL_get0_group_name gives } */
    static const char *const groups[][3] = { { NULL, "X25519MLKEM768", "X25519MLKEM768" }, { "X25519", "X25519", "x25519" },
                                             { "P-256", "P-256", "secp256r1" } };
    static const char *const cert_types[] = { "P-256", "Ed25519", "RSA-2048" };
    static char split_names[9][80];

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--drbg") == 0 && i + 2 < argc) {
            /* e.g. --drbg HASH-DRBG SHA256: the primary DRBG type, set before anything draws from it */
            const char *type = argv[++i], *alg = argv[++i];
            int cipher = strcmp(type, "CTR-DRBG") == 0;

            if (!RAND_set_DRBG_type(NULL, type, NULL, cipher ? alg : NULL, cipher ? NULL : alg))
                fail("RAND_set_DRBG_type %s %s", type, alg);
        } else {
            fprintf(stderr, "usage: %s [--quick] [--json] [--only PREFIX[,PREFIX...]] [--drbg TYPE ALG]\n", argv[0]);
            return 2;
        }
    }
    /* --quick: 5 trials of 30 ms per figure; default: 11 trials of 250 ms (about 3 s a figure). */
    trials = quick ? 5 : 11;
    trial_seconds = quick ? 0.03 : 0.25;
#ifdef OPENSSL_NO_ASM
    asm_build = 0;
#else
    asm_build = 1;
#endif
    /* The headers we compiled against must be the library we run. */
    if (OpenSSL_version_num() != OPENSSL_VERSION_NUMBER)
        fail("runtime %s differs from the headers (0x%lx)", OpenSSL_version(OPENSSL_VERSION),
             (unsigned long)OPENSSL_VERSION_NUMBER);
    if (!OPENSSL_init_ssl(0, NULL))
        fail("OPENSSL_init_ssl");
    make_identity("P-256", &key, &cert);
    make_contexts(0, key, cert, &ctx13[0], &ctx13[1]);
    make_contexts(1, key, cert, &ctx12[0], &ctx12[1]);
    X509_free(cert);        /* the server contexts hold their own references */
    EVP_PKEY_free(key);

    /* One full handshake per version, outside any timing: it checks the setup, learns the cipher
     * and yields the session that the resumption figures reuse and the session figures work on. */
    memset(&full13, 0, sizeof(full13));
    full13.server_ctx = ctx13[0];
    full13.client_ctx = ctx13[1];
    full13.version = TLS1_3_VERSION;
    saved13 = connect_once(&full13, 1);
    resumed13 = full13;
    resumed13.resume = saved13;
    resumed13.negotiated[0] = '\0';
    connect_once(&resumed13, 0);

    memset(&full12, 0, sizeof(full12));
    full12.server_ctx = ctx12[0];
    full12.client_ctx = ctx12[1];
    full12.version = TLS1_2_VERSION;
    saved12 = connect_once(&full12, 1);
    if (strcmp(SSL_CIPHER_get_name(full12.cipher), TLS12_CIPHER) != 0)
        fail("TLS 1.2 negotiated %s", SSL_CIPHER_get_name(full12.cipher));
    if (!SSL_SESSION_has_ticket(saved12) || !SSL_SESSION_has_ticket(saved13))
        fail("the server issued no session ticket");
    resumed12 = full12;
    resumed12.resume = saved12;
    resumed12.negotiated[0] = '\0';
    connect_once(&resumed12, 0);

    /* The session figures use the TLS 1.3 client session: a ticket, a peer certificate, a cipher. */
    fixture.session = saved13;
    fixture.der_len = i2d_SSL_SESSION(saved13, &der);
    fixture.der = der;
    if (fixture.der_len <= 0 || der == NULL)
        fail("i2d_SSL_SESSION of the handshake session");

    {
        struct figure base[] = {
            { "handshake.tls13.full", "handshakes/s", run_handshakes, &full13, full13.negotiated, 0, 0, 0, 0 },
            { "handshake.tls13.resumed", "handshakes/s", run_handshakes, &resumed13, resumed13.negotiated, 0, 0, 0, 0 },
            { "handshake.tls12.full", "handshakes/s", run_handshakes, &full12, full12.negotiated, 0, 0, 0, 0 },
            { "handshake.tls12.resumed", "handshakes/s", run_handshakes, &resumed12, resumed12.negotiated, 0, 0, 0, 0 },
            { "session.upref_free", "ns/op", run_upref_free, &fixture, NULL, 0, 0, 0, 0 },
            { "session.new_free", "ns/op", run_new_free, &fixture, NULL, 0, 0, 0, 0 },
            { "session.dup", "ns/op", run_dup, &fixture, NULL, 0, 0, 0, 0 },
            { "session.i2d", "ns/op", run_i2d, &fixture, NULL, 0, 0, 0, 0 },
            { "session.d2i", "ns/op", run_d2i, &fixture, NULL, 0, 0, 0, 0 },
            { "session.getter", "ns/op", run_getter, &fixture, NULL, 0, 0, 0, 0 },
        };
        int g, c;

        for (i = 0; i < (int)(sizeof(base) / sizeof(base[0])); i++)
            figs[count++] = base[i];
        /* handshake.tls13.full.<group>.<certificate>: made only when selected (RSA keys take a while) */
        for (g = 0; g < 3; g++) {
            for (c = 0; c < 3; c++) {
                char *name = split_names[g * 3 + c];
                struct scenario *sc;

                snprintf(name, sizeof(split_names[0]), "handshake.tls13.full.%s.%s", groups[g][1], cert_types[c]);
                if (!selected(name, only))
                    continue;
                sc = split_scenario(groups[g][0], groups[g][2], cert_types[c]);
                figs[count] = base[0];
                figs[count].name = name;
                figs[count].arg = sc;
                figs[count++].detail = sc->negotiated;
            }
        }
        if (family_selected("prim.", only))
            add_primitive_figures(figs, &count, MAX_FIGURES);

        if (!json) {
            printf("%s (%s, %s), %s: median of %d trials of ~%.0f ms; [slowest .. fastest] trials x batch\n",
                   OpenSSL_version(OPENSSL_VERSION), PLATFORM, asm_build ? "asm" : "no-asm", quick ? "quick" : "full",
                   trials, trial_seconds * 1000);
            printf("session figures use a %d-byte TLS 1.3 client session\n", fixture.der_len);
        }
        {
            int kept = 0;

            for (i = 0; i < count; i++) {
                if (!selected(figs[i].name, only))
                    continue;
                figs[kept] = figs[i];
                measure(&figs[kept], trials, trial_seconds);
                if (!json)
                    print_row(&figs[kept], trials);
                kept++;
            }
            count = kept;
        }
        if (json)
            print_json(figs, count, asm_build, quick, trials);
    }

    OPENSSL_free(der);
    SSL_SESSION_free(saved13);
    SSL_SESSION_free(saved12);
    for (i = 0; i < 2; i++) {
        SSL_CTX_free(ctx13[i]);
        SSL_CTX_free(ctx12[i]);
    }
    return 0;
}
