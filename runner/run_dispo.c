/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run_dispo: RUN, CANCEL or ERROR of a case from its params (runner/run_dispo.h). */
#include "runner/run_dispo.h"
#include "runner/run_needs.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "results/res.h"

#include <stdlib.h>
#include <string.h>

static char *known_types(void)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; run_types[i]; i++)
        strbuf_addf(&sb, "%s%s", i ? ", " : "", run_types[i]->name);
    return strbuf_detach(&sb, NULL);
}

static void set(struct run_dispo *d, enum run_status st, const char *fail_type,
                const char *label, const char *reason)
{
    d->status = st;
    d->fail_type = fail_type;
    d->label = label;
    d->reason = xstrdup(reason);
}

void run_dispo_decide(const struct run_type *t, const char *tname, const struct params *p,
                      const struct run_common *c, const char *bad, size_t nhosts,
                      struct run_facts *f, void **opts, struct run_dispo *d)
{
    const char *label;
    memset(d, 0, sizeof(*d));
    d->status = RUN_PASS;
    *opts = NULL;
    if (!t) {
        char *known = known_types();
        char *why = xasprintf("unknown test type '%s' (known: %s)", tname, known);
        set(d, RUN_ERROR, "UnknownTestType", "unknown test type", why);
        free(why);
        free(known);
        /* what the needs of every case would say, once the type exists */
        const struct run_type stub = { .name = tname };
        if (!bad && run_needs_check(&stub, p, c, nhosts, f, &label) == -1)
            d->would_cancel = label;
        return;
    }
    if (bad || run_type_parse(t, p, c, opts) < 0) {
        set(d, RUN_ERROR, "ConfigError", "bad param", bad ? bad : err_msg());
        return;
    }
    int rc = run_needs_check(t, p, c, nhosts, f, &label);
    if (rc == 0)
        return;
    if (rc == -1)
        set(d, RUN_CANCEL, NULL, label, err_msg());
    else
        set(d, RUN_ERROR, "ConfigError", "bad param", err_msg());
    run_type_opts_free(t, *opts);
    *opts = NULL;
}

void run_dispo_release(struct run_dispo *d)
{
    free(d->reason);
    d->reason = NULL;
}

/* ---- counting ------------------------------------------------------------------------- */

struct reason {
    enum run_status status;
    const char *label;          /* static */
    unsigned long n;
    char *example;              /* the first reason, masked */
};

struct run_dispo_counts {
    unsigned long run, cancel, error;
    struct reason *r;
    size_t nr;
    /* cases of types vtrun does not have: how many, of how many types, and the
     * reasons the needs of every case would cancel them for */
    unsigned long unknown;
    char **unknown_types;
    struct reason *w;
    size_t nw;
};

struct run_dispo_counts *run_dispo_counts_new(void)
{
    return xcalloc(1, sizeof(struct run_dispo_counts));
}

/* One more of (status, label) in r[0..*n), keeping the first example. */
static void add_reason(struct reason **r, size_t *n, enum run_status st, const char *label,
                       const char *example)
{
    size_t i;
    for (i = 0; i < *n; i++)
        if ((*r)[i].status == st && !strcmp((*r)[i].label, label))
            break;
    if (i == *n) {
        *r = xrealloc(*r, (*n + 1) * sizeof(**r));
        (*r)[(*n)++] = (struct reason){ st, label, 0, example ? res_mask(example) : NULL };
    }
    (*r)[i].n++;
}

void run_dispo_count(struct run_dispo_counts *k, const struct run_dispo *d, const char *type)
{
    if (d->status == RUN_PASS) {
        k->run++;
        return;
    }
    if (d->status == RUN_CANCEL)
        k->cancel++;
    else
        k->error++;
    add_reason(&k->r, &k->nr, d->status, d->label, d->reason);
    if (!d->fail_type || strcmp(d->fail_type, "UnknownTestType"))
        return;
    k->unknown++;
    size_t n = params_strv_len(k->unknown_types);
    bool seen = false;
    for (size_t i = 0; i < n && !seen; i++)
        seen = !strcmp(k->unknown_types[i], type);
    if (!seen) {
        k->unknown_types = xrealloc(k->unknown_types, (n + 2) * sizeof(char *));
        k->unknown_types[n] = xstrdup(type);
        k->unknown_types[n + 1] = NULL;
    }
    if (d->would_cancel)
        add_reason(&k->w, &k->nw, RUN_CANCEL, d->would_cancel, NULL);
}

/* CANCEL before ERROR, then the most frequent first, then by label. */
static int by_count(const void *a, const void *b)
{
    const struct reason *x = a, *y = b;
    if (x->status != y->status)
        return x->status == RUN_CANCEL ? -1 : 1;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->label, y->label);
}

static struct reason *sorted(const struct reason *r, size_t n)
{
    struct reason *s = xcalloc(n ? n : 1, sizeof(*s));
    if (n) { /* r is NULL before the first reason; memcpy/qsort forbid NULL even for 0 */
        memcpy(s, r, n * sizeof(*s));
        qsort(s, n, sizeof(*s), by_count);
    }
    return s;
}

void run_dispo_counts_print(const struct run_dispo_counts *k, FILE *out)
{
    struct reason *r = sorted(k->r, k->nr);
    fprintf(out, "DRY RUN    : run %lu | cancel %lu | error %lu\n", k->run, k->cancel, k->error);
    for (size_t i = 0; i < k->nr; i++)
        fprintf(out, "%-11s: %6lu %s -- e.g. %s\n", r[i].status == RUN_CANCEL ? "CANCEL" : "ERROR",
                r[i].n, r[i].label, r[i].example);
    free(r);
    if (!k->unknown)
        return;
    unsigned long would = 0;
    for (size_t i = 0; i < k->nw; i++)
        would += k->w[i].n;
    fprintf(out, "UNKNOWN    : %6lu cases of %zu types vtrun does not have; the needs of every "
            "case would CANCEL %lu of them:\n", k->unknown, params_strv_len(k->unknown_types),
            would);
    r = sorted(k->w, k->nw);
    for (size_t i = 0; i < k->nw; i++)
        fprintf(out, "  CANCEL   : %6lu %s\n", r[i].n, r[i].label);
    free(r);
}

void run_dispo_counts_free(struct run_dispo_counts *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->nr; i++)
        free(k->r[i].example);
    free(k->r);
    free(k->w);
    params_strv_free(k->unknown_types);
    free(k);
}
