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
};

struct run_dispo_counts *run_dispo_counts_new(void)
{
    return xcalloc(1, sizeof(struct run_dispo_counts));
}

void run_dispo_count(struct run_dispo_counts *k, const struct run_dispo *d)
{
    if (d->status == RUN_PASS) {
        k->run++;
        return;
    }
    if (d->status == RUN_CANCEL)
        k->cancel++;
    else
        k->error++;
    size_t i;
    for (i = 0; i < k->nr; i++)
        if (k->r[i].status == d->status && !strcmp(k->r[i].label, d->label))
            break;
    if (i == k->nr) {
        k->r = xrealloc(k->r, (k->nr + 1) * sizeof(*k->r));
        k->r[k->nr++] = (struct reason){ d->status, d->label, 0, res_mask(d->reason) };
    }
    k->r[i].n++;
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

void run_dispo_counts_print(const struct run_dispo_counts *k, FILE *out)
{
    struct reason *r = xcalloc(k->nr ? k->nr : 1, sizeof(*r));
    memcpy(r, k->r, k->nr * sizeof(*r));
    qsort(r, k->nr, sizeof(*r), by_count);
    fprintf(out, "DRY RUN    : run %lu | cancel %lu | error %lu\n", k->run, k->cancel, k->error);
    for (size_t i = 0; i < k->nr; i++)
        fprintf(out, "%-11s: %6lu %s -- e.g. %s\n", r[i].status == RUN_CANCEL ? "CANCEL" : "ERROR",
                r[i].n, r[i].label, r[i].example);
    free(r);
}

void run_dispo_counts_free(struct run_dispo_counts *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->nr; i++)
        free(k->r[i].example);
    free(k->r);
    free(k);
}
