#include <openssl/crypto.h>
#include <string.h>
#include "osw.h"

/* Releases a buffer this glue or OpenSSL allocated (OPENSSL_malloc) and handed to the caller. */
void osw_free(void *p)
{
    OPENSSL_free(p);
}

/* Allocates scratch space for the binding's arguments; the binding owns it and frees it with osw_free. */
void *osw_malloc(size_t n)
{
    return OPENSSL_malloc(n);
}

unsigned char *osw_bio_take(BIO *bio, size_t *outlen)
{
    char *data = NULL;
    long n;
    unsigned char *copy;

    *outlen = 0;
    if (bio == NULL)
        return NULL;
    n = BIO_get_mem_data(bio, &data);
    copy = OPENSSL_malloc(n > 0 ? (size_t)n : 1);
    if (copy != NULL && n > 0) {
        memcpy(copy, data, (size_t)n);
        *outlen = (size_t)n;
    }
    BIO_free(bio);
    return copy;
}

#include <malloc.h>

/* Bytes of the C heap in use right now (the allocator's count): catches leaks refcounts cannot see. */
size_t osw_heap_in_use(void)
{
    struct mallinfo mi = mallinfo();

    return (size_t)mi.uordblks;
}

#include <openssl/evp.h>

/*
 * Empties OpenSSL's fetch caches: the method store's query cache and the decoder templates, both
 * refilled on demand. Re-setting the (empty) default properties is OpenSSL's own way to flush them.
 * They hold an entry for every algorithm name OpenSSL was asked to look up, including names from
 * input: each distinct public-key OID in a certificate keeps a decoder template (~125 bytes) for
 * the life of the instance. Flushing before two heap readings makes them compare like with like.
 */
int osw_flush_fetch_caches(void)
{
    return EVP_set_default_properties(NULL, "");
}
