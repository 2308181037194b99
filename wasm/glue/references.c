/*
 * Reference observation: reads OpenSSL's own refcount and cache ownership, and records every
 * refcount change reported by patch 0001 into a buffer the binding drains after each call.
 * Recording never calls back into JavaScript, so C code is never re-entered from here.
 */
#include "internal/refcount.h"
#include "internal/session_ref.h"
#include "ssl/ssl_local.h"

/* The count in OpenSSL's `references` field: the truth the ledger checks itself against. */
int osw_session_references(SSL_SESSION *s)
{
    int n = 0;

    CRYPTO_GET_REF(&s->references, &n);
    return n;
}

/* The SSL_CTX whose internal cache holds s (and one reference to it), or NULL. */
const SSL_CTX *osw_session_owner(const SSL_SESSION *s)
{
    return s->owner;
}

#define OSW_EVENT_CAPACITY 8192
#define OSW_EVENT_WORDS 5
/*
 * Each event is five words: session address, op, refcount after, site, holder (the SSL or SSL_CTX
 * the reference moved for; 0 for a direct call). Ops and sites: internal/session_ref.h (patch 0001).
 */
static int events[OSW_EVENT_CAPACITY * OSW_EVENT_WORDS];
/*
 * [0] events recorded since the last reset, [1] events lost to a full buffer since then. The
 * binding reads and clears both in place (osw_trace_state): a call per JS call to ask for the
 * count cost more than the rest of recording an up_ref.
 */
static int trace_state[2];
#define event_count trace_state[0]
#define events_lost trace_state[1]

static void record(const SSL_SESSION *ss, int op, int references, int site, const void *holder)
{
    int *e;

    if (event_count == OSW_EVENT_CAPACITY) {
        events_lost++;
        return;
    }
    e = events + event_count * OSW_EVENT_WORDS;
    e[0] = (int)(size_t)ss;
    e[1] = op;
    e[2] = references;
    e[3] = site;
    e[4] = (int)(size_t)holder;
    event_count++;
}

void osw_trace_enable(int on)
{
    ossl_ssl_session_ref_observer = on ? record : NULL;
    SESSION_REF_AT(SESSION_REF_SITE_API, NULL);
}

/* The site a call site named and no reference change consumed (0 when none): nonzero after a call is a bug. */
int osw_trace_pending_site(void)
{
    return ossl_ssl_session_ref_site;
}

int *osw_trace_buffer(void)
{
    return events;
}

/* Where the count and the lost count live (two ints), for the binding to read and clear in place. */
int *osw_trace_state(void)
{
    return trace_state;
}

/* Number of recorded events since the last reset; the binding reads them, then resets. */
int osw_trace_count(void)
{
    return event_count;
}

/* Returns how many events were lost to a full buffer since the last reset, and empties the buffer. */
int osw_trace_reset(void)
{
    int lost = events_lost;

    event_count = 0;
    events_lost = 0;
    return lost;
}
