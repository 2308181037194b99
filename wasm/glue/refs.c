/*
 * Reference observation: reads OpenSSL's own refcount and cache ownership, and records every
 * refcount change reported by patch 0001 into a buffer the binding drains after each call.
 * Recording never calls back into JavaScript, so C code is never re-entered from here.
 */
#include "internal/refcount.h"
#include "ssl/ssl_local.h"

/* The count in OpenSSL's `references` field: the truth the ledger checks itself against. */
int osw_session_refs(SSL_SESSION *s)
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

extern void (*ossl_ssl_session_ref_observer)(const SSL_SESSION *ss, int op, int refs);

#define OSW_EVENT_CAPACITY 8192
/* Each event is three words: session address, op (0 new, 1 up_ref, 2 free), refcount after. */
static int events[OSW_EVENT_CAPACITY * 3];
static int event_count;
static int events_lost;

static void record(const SSL_SESSION *ss, int op, int refs)
{
    if (event_count == OSW_EVENT_CAPACITY) {
        events_lost++;
        return;
    }
    events[event_count * 3] = (int)(size_t)ss;
    events[event_count * 3 + 1] = op;
    events[event_count * 3 + 2] = refs;
    event_count++;
}

void osw_trace_enable(int on)
{
    ossl_ssl_session_ref_observer = on ? record : NULL;
}

int *osw_trace_buffer(void)
{
    return events;
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
