/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shards by name and by time, and --shard auto (runner/run_shard.h).  A case is known
 * by the 64-bit FNV-1a hash of its Cartesian name and its occurrence (how many cases
 * before it bore the same name); one open-addressing table counts occurrences, another
 * holds a plan by time.  Integer arithmetic only, so every machine agrees.
 */
#include "runner/run_shard.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- --shard auto ---------------------------------------------------------------- */

/* The CI engines' parallel-job variables.  BASE is the index of their first job. */
static const struct engine {
    const char *name;
    const char *index_var;
    const char *total_var;      /* NULL: --shard-total N or VTRUN_SHARD_TOTAL */
    unsigned base;
} engines[] = {
    { "GitLab", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1 },
    { "Kubernetes", "JOB_COMPLETION_INDEX", NULL, 0 },
    { "Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0 },
    { "CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0 },
};

#define TOTAL_VAR "VTRUN_SHARD_TOTAL"

/* A whole decimal number in 0..1,000,000; -1 otherwise. */
static long number(const char *s)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    return *end || errno || v > 1000000 ? -1 : v;
}

int run_shard_detect(run_shard_getenv get, void *ctx, unsigned total, unsigned *index,
                     unsigned *count, char **said)
{
    const struct engine *e = NULL;
    const char *iv = NULL, *tv = NULL;
    const char *total_from = "--shard-total";
    long i, n;

    for (size_t k = 0; k < ARRAY_SIZE(engines) && !e; k++)
        if ((iv = get(ctx, engines[k].index_var)) && *iv)
            e = &engines[k];
    if (!e) {
        struct strbuf sb = STRBUF_INIT;
        for (size_t k = 0; k < ARRAY_SIZE(engines); k++)
            strbuf_addf(&sb, "%s%s (%s)", k ? ", " : "", engines[k].index_var,
                        engines[k].name);
        err_set("--shard auto: no CI engine's parallel-job variable is set (looked for %s);"
                " give --shard I/N", sb.buf);
        strbuf_release(&sb);
        return -1;
    }
    i = number(iv);
    if (i < (long)e->base) {
        err_set("--shard auto: %s=%s (%s) is not a job index (%u-based)", e->index_var, iv,
                e->name, e->base);
        return -1;
    }
    if (!total) {
        const char *t = get(ctx, TOTAL_VAR);
        if (t && *t) {
            long v = number(t);
            if (v < 1) {
                err_set("--shard auto: %s=%s is not a number of shards >= 1", TOTAL_VAR, t);
                return -1;
            }
            total = (unsigned)v;
            total_from = TOTAL_VAR;
        }
    }
    if (e->total_var) {
        tv = get(ctx, e->total_var);
        n = number(tv);
        if (n < 1) {
            err_set("--shard auto: %s=%s (%s) is not a number of jobs >= 1", e->total_var,
                    tv ? tv : "(unset)", e->name);
            return -1;
        }
        if (total && (long)total != n) {
            err_set("--shard auto: %s %u contradicts %s=%ld (%s)", total_from, total,
                    e->total_var, n, e->name);
            return -1;
        }
    } else if (total) {
        n = total;
    } else {
        err_set("--shard auto: %s (%s) has no variable for the number of jobs: give "
                "--shard-total N or %s=N", e->index_var, e->name, TOTAL_VAR);
        return -1;
    }
    if (i - (long)e->base >= n) {
        err_set("--shard auto: %s=%ld is past the last of %ld jobs (%s, %u-based)",
                e->index_var, i, n, e->name, e->base);
        return -1;
    }
    *index = (unsigned)(i - (long)e->base) + 1;
    *count = (unsigned)n;
    if (e->total_var)
        *said = xasprintf("%s: %s=%s %s=%s", e->name, e->index_var, iv, e->total_var, tv);
    else
        *said = xasprintf("%s: %s=%s %s%s%ld", e->name, e->index_var, iv, total_from,
                          strcmp(total_from, TOTAL_VAR) ? " " : "=", n);
    return 0;
}

static const char *const run_vars[] = {
    "VTRUN_RUN_ID", "CI_PIPELINE_ID", "BUILDKITE_BUILD_ID", "CIRCLE_WORKFLOW_ID",
    "GITHUB_RUN_ID", "BUILD_TAG",
};

char *run_shard_run_id(run_shard_getenv get, void *ctx)
{
    for (size_t k = 0; k < ARRAY_SIZE(run_vars); k++) {
        const char *v = get(ctx, run_vars[k]);
        if (!v || !*v)
            continue;
        /* a re-run of a GitHub workflow keeps its id and counts attempts */
        const char *attempt = strcmp(run_vars[k], "GITHUB_RUN_ID") ? NULL
                              : get(ctx, "GITHUB_RUN_ATTEMPT");
        return xasprintf("%s=%s%s%s", run_vars[k], v, attempt ? "." : "",
                         attempt ? attempt : "");
    }
    return NULL;
}

/* ---- hashing ---------------------------------------------------------------------- */

static uint64_t fnv1a64(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* splitmix64's finaliser: FNV's low bits are weak for a modulo. */
static uint64_t mix(uint64_t h, unsigned occurrence)
{
    uint64_t z = h ^ ((uint64_t)occurrence * 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

unsigned run_shard_of_name(const char *name, size_t len, unsigned occurrence,
                           unsigned count)
{
    return (unsigned)(mix(fnv1a64(name, len), occurrence) % count) + 1;
}

/* ---- tables keyed by (name hash, occurrence) -------------------------------------- */

struct slot {
    uint64_t h;
    uint32_t occ;
    uint32_t val;           /* occurrences seen, or the planned shard */
    bool used;
};

struct table {
    struct slot *v;
    size_t cap, n;          /* cap: a power of two */
};

static struct slot *find(struct table *t, uint64_t h, uint32_t occ)
{
    size_t m = t->cap - 1, i = (size_t)mix(h, occ) & m;
    while (t->v[i].used && (t->v[i].h != h || t->v[i].occ != occ))
        i = (i + 1) & m;
    return &t->v[i];
}

static void grow(struct table *t)
{
    struct table old = *t;
    t->cap = old.cap ? old.cap * 2 : 64;
    t->v = xcalloc(t->cap, sizeof(*t->v));
    for (size_t i = 0; i < old.cap; i++)
        if (old.v[i].used)
            *find(t, old.v[i].h, old.v[i].occ) = old.v[i];
    free(old.v);
}

/* The slot of (h, occ), added with val 0 when new. */
static struct slot *get(struct table *t, uint64_t h, uint32_t occ)
{
    if ((t->n + 1) * 4 > t->cap * 3)
        grow(t);
    struct slot *s = find(t, h, occ);
    if (!s->used) {
        *s = (struct slot){ .h = h, .occ = occ, .used = true };
        t->n++;
    }
    return s;
}

static void table_clear(struct table *t)
{
    free(t->v);
    *t = (struct table){ 0 };
}

/* ---- selection -------------------------------------------------------------------- */

struct run_shard {
    unsigned index, count;
    struct table seen;          /* name hash -> occurrences so far (occ 0) */
    struct table plan;          /* (name hash, occurrence) -> shard; empty: by name */
    uint64_t *load;             /* per shard, after a plan: milliseconds */
    size_t *unknown;            /* per shard, after a plan: cases without a duration */
};

struct run_shard *run_shard_new(unsigned index, unsigned count)
{
    struct run_shard *s = xcalloc(1, sizeof(*s));
    s->index = index;
    s->count = count;
    return s;
}

void run_shard_free(struct run_shard *s)
{
    if (!s)
        return;
    table_clear(&s->seen);
    table_clear(&s->plan);
    free(s->load);
    free(s->unknown);
    free(s);
}

void run_shard_rewind(struct run_shard *s)
{
    table_clear(&s->seen);
}

/* The occurrence of the next case named (h): 0 for the first. */
static uint32_t next_occurrence(struct table *seen, uint64_t h)
{
    return get(seen, h, 0)->val++;
}

bool run_shard_keep(struct run_shard *s, const char *name, size_t len)
{
    uint64_t h = fnv1a64(name, len);
    uint32_t occ = next_occurrence(&s->seen, h);
    if (s->plan.n) {
        struct slot *p = find(&s->plan, h, occ);
        if (p->used)
            return p->val == s->index;
    }
    return (unsigned)(mix(h, occ) % s->count) + 1 == s->index;
}

/* ---- plan by time ----------------------------------------------------------------- */

struct item {
    uint64_t h;
    uint32_t occ;
    int64_t ms;                 /* known, or the estimate */
    bool known;
    const char *name, *type;
};

static int by_type_then_ms(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = strcmp(x->type, y->type);
    return c ? c : (x->ms > y->ms) - (x->ms < y->ms);
}

/* Longest first; equal times in a fixed order that does not depend on where the case
 * is in the config: its hash, occurrence, then name. */
static int longest_first(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->ms != y->ms)
        return x->ms > y->ms ? -1 : 1;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    if (x->occ != y->occ)
        return x->occ < y->occ ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int64_t median_of(const struct item *v, size_t n)
{
    return n % 2 ? v[n / 2].ms : (v[n / 2 - 1].ms + v[n / 2].ms) / 2;
}

static int cmp_ms(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Estimate the unknown durations: the median of the known ones of the same type, else
 * of all known ones, else one second (all equal: the plan balances counts). */
static void estimate(struct item *items, size_t n)
{
    struct item *known = xcalloc(n ? n : 1, sizeof(*known));
    int64_t *all = xcalloc(n ? n : 1, sizeof(*all));
    size_t nk = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].known) {
            known[nk] = items[i];
            all[nk++] = items[i].ms;
        }
    qsort(known, nk, sizeof(*known), by_type_then_ms);
    qsort(all, nk, sizeof(*all), cmp_ms);
    int64_t overall = nk ? (nk % 2 ? all[nk / 2] : (all[nk / 2 - 1] + all[nk / 2]) / 2)
                         : 1000;
    for (size_t i = 0; i < n; i++) {
        if (items[i].known)
            continue;
        /* the run of known cases of this type in `known` */
        size_t lo = 0, hi = nk;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(known[mid].type, items[i].type) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t end = lo;
        while (end < nk && !strcmp(known[end].type, items[i].type))
            end++;
        items[i].ms = end > lo ? median_of(known + lo, end - lo) : overall;
    }
    free(all);
    free(known);
}

void run_shard_plan_time(struct run_shard *s, const struct run_shard_case *cases, size_t n)
{
    struct item *items = xcalloc(n ? n : 1, sizeof(*items));
    struct table seen = { 0 };
    table_clear(&s->plan);
    free(s->load);
    free(s->unknown);
    s->load = xcalloc(s->count, sizeof(*s->load));
    s->unknown = xcalloc(s->count, sizeof(*s->unknown));
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];
        it->name = cases[i].name;
        it->type = cases[i].type ? cases[i].type : "";
        it->h = fnv1a64(it->name, strlen(it->name));
        it->occ = next_occurrence(&seen, it->h);
        it->known = cases[i].time_s >= 0 && isfinite(cases[i].time_s);
        it->ms = it->known ? llround(cases[i].time_s * 1000) : 0;
    }
    table_clear(&seen);
    estimate(items, n);
    qsort(items, n, sizeof(*items), longest_first);
    for (size_t i = 0; i < n; i++) {
        unsigned best = 0;
        for (unsigned k = 1; k < s->count; k++)
            if (s->load[k] < s->load[best])
                best = k;
        s->load[best] += (uint64_t)items[i].ms;
        if (!items[i].known)
            s->unknown[best]++;
        get(&s->plan, items[i].h, items[i].occ)->val = best + 1;
    }
    free(items);
}

uint64_t run_shard_load_ms(const struct run_shard *s, unsigned i, size_t *unknown)
{
    if (unknown)
        *unknown = s->unknown && i >= 1 && i <= s->count ? s->unknown[i - 1] : 0;
    return s->load && i >= 1 && i <= s->count ? s->load[i - 1] : 0;
}
