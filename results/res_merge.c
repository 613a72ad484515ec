/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_merge: `vtrun merge DIR... --out DIR`: the results of the shards of one run
 * (possibly from several machines) as one report, in the unsharded case order, with
 * the tests' directories copied in so the merged directory is whole on its own (a CI
 * artifact), and an `id`, so avocado's tools read it as a job. */
#include "results/res_model.h"

#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
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

/* Shards in shard order (1/N, 2/N, ...; unsharded ones after, as given), so
 * testsuite@id is the shard index - 1 whatever order the directories came in. */
static unsigned shard_of(const struct res_suite *s)
{
    unsigned i = 0;
    return *s->shard && sscanf(s->shard, "%u", &i) == 1 ? i : ~0u;
}

static void sort_suites(struct res_report *rep)
{
    size_t n = rep->nsuites, *to = xcalloc(n ? n : 1, sizeof(*to));
    struct res_suite *sorted = xcalloc(n ? n : 1, sizeof(*sorted));
    bool *used = xcalloc(n ? n : 1, sizeof(*used));
    for (size_t k = 0; k < n; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!used[i] && (best == n || shard_of(&rep->suites[i]) <
                                              shard_of(&rep->suites[best])))
                best = i;
        used[best] = true;
        sorted[k] = rep->suites[best];
        to[best] = k;
    }
    memcpy(rep->suites, sorted, n * sizeof(*sorted));
    for (size_t t = 0; t < rep->ntests; t++)
        rep->tests[t]->suite = to[rep->tests[t]->suite];
    free(to);
    free(sorted);
    free(used);
}

/* Each test's directory into out/test-results/<merged index>-<name>. */
static int copy_tests(struct res_report *rep, const char *out)
{
    char *base = xasprintf("%s/test-results", out);
    int ret = -1;
    if (res_mkdir_p(base) < 0)
        goto cleanup;
    for (size_t k = 0; k < rep->ntests; k++) {
        struct res_rec *r = rep->tests[k];
        char *id = res_test_dirname(r->index, r->name);
        char *dst = xasprintf("%s/%s", base, id);
        struct stat st;
        int rc = 0;
        if (stat(r->logdir, &st) == 0 && S_ISDIR(st.st_mode))
            rc = res_copy_tree(r->logdir, dst);
        else
            rc = res_mkdir_p(dst); /* a shard copied without its logs */
        free(r->id);
        free(r->logdir);
        free(r->link);
        r->id = id;
        r->logdir = dst;
        r->link = xasprintf("test-results/%s", id);
        if (rc < 0)
            goto cleanup;
    }
    ret = 0;
cleanup:
    free(base);
    return ret;
}

static int write_text(const char *dir, const char *name, char *text)
{
    char *p = xasprintf("%s/%s", dir, name);
    int ret = text ? res_write_atomic(p, text, strlen(text)) : -1;
    if (!text)
        err_set("%s: rendering failed", p);
    free(p);
    free(text);
    return ret;
}

static int write_job_files(struct res_report *rep, const char *out,
                           const char *const *dirs, size_t n)
{
    struct strbuf log = STRBUF_INIT;
    char *ts = res_iso_time(res_now());
    char *idline = xasprintf("%s\n", rep->job_id);
    int ret = -1;
    strbuf_addf(&log, "%s | Merged job %s from %zu result directories:\n", ts,
                rep->job_id, n);
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&log, "%s |   %s\n", ts, dirs[i]);
    for (size_t i = 0; i < rep->nsuites; i++)
        strbuf_addf(&log, "%s | testsuite %zu: %s (job %s, shard %s) on %s\n", ts, i,
                    rep->suites[i].name, rep->suites[i].job_id,
                    *rep->suites[i].shard ? rep->suites[i].shard : "-",
                    rep->suites[i].hostname);
    if (write_text(out, "id", idline) < 0 ||
        write_text(out, "job.log", strbuf_detach(&log, NULL)) < 0 ||
        write_text(out, RES_HTML_CSS, xstrdup(res_html_css)) < 0 ||
        write_text(out, "results.json", res_render_json(rep)) < 0 ||
        write_text(out, "results.xml", res_render_junit(rep)) < 0 ||
        write_text(out, "results.html", res_render_html(rep)) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    strbuf_release(&log);
    free(ts);
    return ret;
}

int res_merge(const char *const *dirs, size_t n, const char *out_dir,
              enum res_junit_flavour flavour)
{
    struct res_report rep = { 0 };
    char id[41], *out = NULL;
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
    rep.flavour = flavour;
    for (size_t i = 0; i < n; i++) {
        char *job_dir = resolve_job_dir(dirs[i]);
        if (job_dir && !strcmp(job_dir, out)) {
            err_set("%s is the output directory", dirs[i]);
            free(job_dir);
            job_dir = NULL;
        }
        if (!job_dir || res_report_load(&rep, job_dir) < 0) {
            err_prefix("merge");
            free(job_dir);
            goto cleanup;
        }
        if (rep.suites[rep.nsuites - 1].job_time > rep.job_time) /* shards ran side by side */
            rep.job_time = rep.suites[rep.nsuites - 1].job_time;
        free(job_dir);
    }
    for (size_t k = 0; k < rep.ntests; k++)
        if (!earliest || rep.tests[k]->time_start < earliest)
            earliest = rep.tests[k]->time_start;
    sort_suites(&rep);
    qsort(rep.tests, rep.ntests, sizeof(*rep.tests), by_generation);
    for (size_t k = 0; k < rep.ntests; k++)
        rep.tests[k]->index = (unsigned)k + 1;
    if (copy_tests(&rep, out) < 0) {
        err_prefix("merge");
        goto cleanup;
    }

    res_new_id(id);
    rep.job_id = xstrdup(id);
    rep.debuglog = xasprintf("%s/job.log", out);
    rep.start = earliest > 0 ? res_iso_time(earliest) : xstrdup(rep.suites[0].timestamp);
    rep.start_epoch = earliest;
    if (!rep.config)
        rep.config = xstrdup("");
    rep.note = xstrdup("");
    rep.total_planned = (unsigned)rep.ntests;
    if (write_job_files(&rep, out, dirs, n) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    free(out);
    res_report_release(&rep);
    return ret;
}
