/* twin.h: what twin.c and primitives.c share (the figure record and failing loudly). */
#ifndef TWIN_H
#define TWIN_H

/* One measured figure.  run() performs n operations; unit is "handshakes/s" (a rate), "ns/op" or
 * "ns/KB" (times: for ns/KB one operation processes PRIM_BULK bytes and the value is per 1024). */
struct figure {
    const char *name;
    const char *unit;
    void (*run)(void *arg, long n);
    void *arg;
    const char *detail;             /* borrowed; may be NULL */
    long batch;                     /* iterations per trial, after calibration */
    double value, low, high;        /* median, slowest and fastest trial, in unit */
};

#define PRIM_BULK 16384             /* bytes per bulk operation: one full TLS record */

/* Prints the message and OpenSSL's error queue, then exits 1. */
void fail(const char *fmt, ...);

/* Appends the per-primitive figures (primitives.c) to figs[*count]; never beyond max. */
void add_primitive_figures(struct figure *figs, int *count, int max);

#endif
