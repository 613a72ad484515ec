/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_merge: `vtrun merge DIR... --out DIR`: the results of the shards of one run
 * (possibly from several machines) as one report, in the unsharded case order. */
#include "results/res_model.h"

#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A job directory, or a results directory whose `latest` is one. */
static char *resolve_job_dir(const char *dir)
{
    char *p = xasprintf("%s/results.json", dir), *real = NULL;
    struct stat st;
    if (stat(p, &st) < 0) {
        free(p);
        p = xasprintf("%s/latest/results.json", dir);
        if (stat(p, &st) < 0) {
            err_set("%s: no results.json (neither a job directory nor a results "
                    "directory with `latest`)", dir);
            free(p);
            return NULL;
        }
    }
    *strrchr(p, '/') = '\0';
    real = realpath(p, NULL);
    if (!real)
        err_set("%s: %s", p, strerror(errno));
    free(p);
    return real;
}

/* Path of `to` relative to the directory `from` (both absolute, normalised), so
 * the merged report's links survive moving the whole tree (CI artifacts). */
static char *relpath(const char *from, const char *to)
{
    struct strbuf sb = STRBUF_INIT;
    const char *f = from, *t = to;
    /* skip the common leading components */
    for (;;) {
        size_t fl, tl;
        while (*f == '/')
            f++;
        while (*t == '/')
            t++;
        fl = strcspn(f, "/");
        tl = strcspn(t, "/");
        if (!fl || fl != tl || strncmp(f, t, fl))
            break;
        f += fl;
        t += tl;
    }
    while (*f) {
        while (*f == '/')
            f++;
        if (*f) {
            strbuf_addstr(&sb, "../");
            f += strcspn(f, "/");
        }
    }
    strbuf_addstr(&sb, *t ? t : ".");
    return strbuf_detach(&sb, NULL);
}

static int by_generation(const void *a, const void *b)
{
    const struct res_rec *x = *(struct res_rec *const *)a, *y = *(struct res_rec *const *)b;
    /* unknown generation index (< 0) after known ones; then shard, then index */
    bool xu = x->gen_index < 0, yu = y->gen_index < 0;
    if (xu != yu)
        return xu ? 1 : -1;
    if (x->gen_index != y->gen_index)
        return x->gen_index < y->gen_index ? -1 : 1;
    if (x->suite != y->suite)
        return x->suite < y->suite ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int res_merge(const char *const *dirs, size_t n, const char *out_dir)
{
    struct res_report rep = { 0 };
    char id[41], *out = NULL, *p = NULL;
    double earliest = 0;
    int ret = -1;

    if (!n) {
        err_set("merge: no shard directories given");
        return -1;
    }
    if (res_mkdir_p(out_dir) < 0)
        return -1;
    out = realpath(out_dir, NULL);
    if (!out) {
        err_set("%s: %s", out_dir, strerror(errno));
        return -1;
    }
    rep.job_time = 0;
    for (size_t i = 0; i < n; i++) {
        char *job_dir = resolve_job_dir(dirs[i]);
        size_t before = rep.ntests;
        if (!job_dir || res_report_load(&rep, job_dir) < 0) {
            err_prefix("merge");
            free(job_dir);
            goto cleanup;
        }
        if (rep.suites[rep.nsuites - 1].job_time > rep.job_time) /* shards ran side by side */
            rep.job_time = rep.suites[rep.nsuites - 1].job_time;
        for (size_t k = before; k < rep.ntests; k++) {
            char *rel = relpath(out, rep.tests[k]->logdir);
            free(rep.tests[k]->link);
            rep.tests[k]->link = rel;
            if (!earliest || rep.tests[k]->time_start < earliest)
                earliest = rep.tests[k]->time_start;
        }
        free(job_dir);
    }
    qsort(rep.tests, rep.ntests, sizeof(*rep.tests), by_generation);
    for (size_t k = 0; k < rep.ntests; k++)
        rep.tests[k]->index = (unsigned)k + 1;

    res_new_id(id);
    rep.job_id = xstrdup(id);
    rep.debuglog = xstrdup("");
    rep.start = earliest > 0 ? res_iso_time(earliest) : xstrdup(rep.suites[0].timestamp);
    rep.start_epoch = earliest;
    rep.config = xstrdup("");
    rep.total_planned = (unsigned)rep.ntests;

    p = xasprintf("%s/results.json", out);
    if (res_write_json(&rep, p) < 0)
        goto cleanup;
    free(p);
    p = xasprintf("%s/results.xml", out);
    if (res_write_junit(&rep, p) < 0)
        goto cleanup;
    free(p);
    p = xasprintf("%s/results.html", out);
    if (res_write_html(&rep, p) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    free(p);
    free(out);
    res_report_release(&rep);
    return ret;
}
