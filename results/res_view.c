/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * res_view: a job read back, for `vtrun jobs show` and `vtrun diff`.  From its
 * directory whenever it has one (results.json, or the journal when a killed job's
 * lists more): that works for a job the history never saw (copied from another
 * machine, a merged directory) and says what avocado's tools would; else from the
 * history, whose rows outlive a deleted directory.
 */
#include "results/res_model.h"

#include "lib/err.h"
#include "lib/strbuf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct res_view {
    struct res_report rep;
    char *dir;                  /* "" when read from the history and the dir is gone */
};

struct res_view *res_view_load(struct res_hist *h, const char *dir, const char *id)
{
    struct res_view *v = xcalloc(1, sizeof(*v));
    char *json = dir ? xasprintf("%s/results.json", dir) : NULL;
    if (json && access(json, R_OK) == 0) {
        if (res_report_load_job(&v->rep, dir) < 0)
            goto fail;
        v->dir = xstrdup(dir);
    } else if (h && id) {
        char *hdir = NULL;
        if (res_hist_load_report(h, id, &v->rep, &hdir) < 0) {
            free(hdir);
            goto fail;
        }
        free(hdir);
        v->dir = xstrdup("");
    } else {
        err_set("%s: no results.json%s", dir ? dir : id ? id : "?",
                h ? " and no such job in the history" : "");
        goto fail;
    }
    free(json);
    return v;
fail:
    free(json);
    res_view_free(v);
    return NULL;
}

void res_view_free(struct res_view *v)
{
    if (!v)
        return;
    res_report_release(&v->rep);
    free(v->dir);
    free(v);
}

const char *res_view_id(const struct res_view *v)
{
    return v->rep.job_id ? v->rep.job_id : "";
}

const char *res_view_dir(const struct res_view *v)
{
    return v->dir;
}

char **res_view_names(const struct res_view *v, unsigned mask)
{
    char **names = xcalloc(2 * v->rep.ntests + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < v->rep.ntests; i++) {
        const struct res_rec *r = v->rep.tests[i];
        if (!(mask & (1u << r->status)))
            continue;
        names[n++] = xstrdup(r->name);
        if (strcmp(r->cartesian_name, r->name))
            names[n++] = xstrdup(r->cartesian_name);
    }
    return names;
}

/* "2026/11/22 01:27:03", avocado's `jobs show` format. */
static void end_time(double epoch, char *buf, size_t len)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y/%m/%d %H:%M:%S", &tm);
}

/* Shards of the job: "2/3", or "merged: 1/3 2/3 3/3". */
static char *shards(const struct res_report *rep)
{
    struct strbuf sb = STRBUF_INIT;
    if (rep->nsuites > 1)
        strbuf_addstr(&sb, "merged:");
    for (size_t i = 0; i < rep->nsuites; i++)
        if (*rep->suites[i].shard)
            strbuf_addf(&sb, "%s%s", rep->nsuites > 1 || sb.len ? " " : "",
                        rep->suites[i].shard);
    if (!sb.len)
        strbuf_addstr(&sb, "-");
    return strbuf_detach(&sb, NULL);
}

static json_t *counts_json(const struct res_counts *c)
{
    json_t *o = json_object();
    for (int s = 0; s < RES_NSTATUS; s++)
        json_object_set_new(o, res_status_name((enum res_status)s),
                            json_integer(c->n[s]));
    return o;
}

void res_view_print(const struct res_view *v, bool json, FILE *out)
{
    const struct res_report *rep = &v->rep;
    struct res_counts c;
    char *sh = shards(rep);
    res_suite_counts(rep, -1, &c);
    if (json) {
        json_t *tests = json_array();
        for (size_t i = 0; i < rep->ntests; i++) {
            const struct res_rec *r = rep->tests[i];
            json_array_append_new(tests, json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:s}",
                                                   "id", r->id, "name", r->name,
                                                   "cartesian_name", r->cartesian_name,
                                                   "status", res_status_name(r->status),
                                                   "time", r->time_s, "end", r->time_end,
                                                   "fail_reason", r->fail_reason));
        }
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:o, s:o}", "job_id",
                              res_view_id(v), "dir", v->dir, "config",
                              rep->config ? rep->config : "", "shard", sh, "start",
                              rep->start_epoch, "time",
                              rep->job_time >= 0 ? json_real(rep->job_time) : json_null(),
                              "counts", counts_json(&c), "tests", tests);
        json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        json_decref(o);
        free(sh);
        return;
    }
    char *start = res_iso_time(rep->start_epoch);
    fprintf(out, "%-11s: %s\n", "JOB ID", res_view_id(v));
    fprintf(out, "%-11s: %s\n", "JOB DIR", *v->dir ? v->dir : "(gone: read from the history)");
    if (*v->dir)
        fprintf(out, "%-11s: %s/job.log\n", "JOB LOG", v->dir);
    fprintf(out, "%-11s: %s\n", "CONFIG", rep->config && *rep->config ? rep->config : "-");
    fprintf(out, "%-11s: %s\n", "SHARD", sh);
    fprintf(out, "%-11s: %s\n", "START", start);
    if (rep->job_time >= 0)
        fprintf(out, "%-11s: %.2f s\n", "TIME", rep->job_time);
    else
        fprintf(out, "%-11s: not ended (running, or killed)\n", "TIME");
    free(start);
    free(sh);
    /* avocado's columns: Test ID, End Time, Run Time, Status */
    int w = (int)strlen("Test ID");
    for (size_t i = 0; i < rep->ntests; i++)
        if ((int)strlen(rep->tests[i]->id) > w)
            w = (int)strlen(rep->tests[i]->id);
    fprintf(out, "\n%-*s  %-19s  %10s  %s\n", w, "Test ID", "End Time", "Run Time", "Status");
    for (size_t i = 0; i < rep->ntests; i++) {
        const struct res_rec *r = rep->tests[i];
        char end[32];
        end_time(r->time_end, end, sizeof(end));
        fprintf(out, "%-*s  %-19s  %10.3f  %s%s%s\n", w, r->id, end, r->time_s,
                res_status_name(r->status), *r->fail_reason ? ": " : "",
                *r->fail_reason ? r->fail_reason : "");
    }
    char *line = res_results_line(&c);
    fprintf(out, "\n%s\n", line);
    free(line);
}

/* ---- diff ------------------------------------------------------------------------- */

/* A test with its matching key: the Cartesian name and its occurrence. */
struct keyed {
    const struct res_rec *r;
    unsigned occ;
};

static int by_key(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->r->cartesian_name, y->r->cartesian_name);
    if (c)
        return c;
    return (x->occ > y->occ) - (x->occ < y->occ);
}

/* Cartesian name, then position in the job: equal names in job order. */
static int by_name_index(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->r->cartesian_name, y->r->cartesian_name);
    if (c)
        return c;
    return (x->r->index > y->r->index) - (x->r->index < y->r->index);
}

/* The tests keyed and sorted by (Cartesian name, occurrence). */
static struct keyed *keyed_tests(const struct res_report *rep)
{
    struct keyed *k = xcalloc(rep->ntests + 1, sizeof(*k));
    for (size_t i = 0; i < rep->ntests; i++)
        k[i].r = rep->tests[i];
    qsort(k, rep->ntests, sizeof(*k), by_name_index);
    for (size_t i = 1; i < rep->ntests; i++)
        if (!strcmp(k[i - 1].r->cartesian_name, k[i].r->cartesian_name))
            k[i].occ = k[i - 1].occ + 1;
    return k;
}

enum section { S_NEW_FAIL, S_FIXED, S_STILL, S_CHANGED, S_ONLY_A, S_ONLY_B, S_SLOWER, S_N };

static const struct {
    const char *title, *json;
} sections[S_N] = {
    [S_NEW_FAIL] = { "NEW FAILURES", "new_failures" },
    [S_FIXED] = { "FIXED", "fixed" },
    [S_STILL] = { "STILL FAILING (the same status)", "still_failing" },
    [S_CHANGED] = { "STATUS CHANGES", "status_changes" },
    [S_ONLY_A] = { "ONLY IN A", "only_in_a" },
    [S_ONLY_B] = { "ONLY IN B", "only_in_b" },
    [S_SLOWER] = { "TIME REGRESSIONS", "time_regressions" },
};

struct pair {
    const struct res_rec *a, *b;    /* either may be NULL (only in one job) */
};

static bool is_failed(enum res_status s)
{
    return !res_status_ok(s);
}

static bool is_passed(enum res_status s)
{
    return s == RES_PASS || s == RES_WARN;
}

/* Which section a matched pair belongs to; S_N when the same. */
static enum section classify(const struct pair *p)
{
    if (!p->a)
        return is_failed(p->b->status) ? S_NEW_FAIL : S_ONLY_B;
    if (!p->b)
        return S_ONLY_A;
    enum res_status a = p->a->status, b = p->b->status;
    if (is_failed(b) && !is_failed(a))
        return S_NEW_FAIL;
    if (is_failed(a) && is_passed(b))
        return S_FIXED;
    if (a != b)
        return S_CHANGED;
    if (is_failed(a))
        return S_STILL;
    if (is_passed(a) && is_passed(b) && p->b->time_s > p->a->time_s * RES_DIFF_SLOWER_RATIO
        && p->b->time_s - p->a->time_s > RES_DIFF_SLOWER_S)
        return S_SLOWER;
    return S_N;
}

static void print_pair(enum section s, const struct pair *p, FILE *out)
{
    const struct res_rec *any = p->b ? p->b : p->a;
    fprintf(out, "  %s", any->name);
    if (strcmp(any->name, any->cartesian_name))
        fprintf(out, " (%s)", any->cartesian_name);
    if (s == S_SLOWER) {
        fprintf(out, ": %.2f s -> %.2f s (+%.0f%%)\n", p->a->time_s, p->b->time_s,
                p->a->time_s > 0 ? 100.0 * (p->b->time_s / p->a->time_s - 1) : 100.0);
        return;
    }
    fprintf(out, ": %s -> %s", p->a ? res_status_name(p->a->status) : "-",
            p->b ? res_status_name(p->b->status) : "-");
    if (p->b && *p->b->fail_reason && is_failed(p->b->status))
        fprintf(out, ": %s", p->b->fail_reason);
    fputc('\n', out);
}

static json_t *pair_json(const struct pair *p)
{
    const struct res_rec *any = p->b ? p->b : p->a;
    json_t *o = json_pack("{s:s, s:s}", "name", any->name, "cartesian_name",
                          any->cartesian_name);
    json_object_set_new(o, "a", p->a ? json_string(res_status_name(p->a->status))
                                     : json_null());
    json_object_set_new(o, "b", p->b ? json_string(res_status_name(p->b->status))
                                     : json_null());
    json_object_set_new(o, "a_time", p->a ? json_real(p->a->time_s) : json_null());
    json_object_set_new(o, "b_time", p->b ? json_real(p->b->time_s) : json_null());
    json_object_set_new(o, "reason", json_string(p->b ? p->b->fail_reason : ""));
    return o;
}

static json_t *side_json(const struct res_view *v)
{
    struct res_counts c;
    res_suite_counts(&v->rep, -1, &c);
    return json_pack("{s:s, s:s, s:f, s:o}", "job_id", res_view_id(v), "dir", v->dir,
                     "start", v->rep.start_epoch, "counts", counts_json(&c));
}

static void print_side(const char *label, const struct res_view *v, FILE *out)
{
    struct res_counts c;
    res_suite_counts(&v->rep, -1, &c);
    char *line = res_results_line(&c), *start = res_iso_time(v->rep.start_epoch);
    fprintf(out, "%s: %s  %s  %s\n   %s\n", label, res_view_id(v), start,
            *v->dir ? v->dir : "(from the history)", line);
    free(start);
    free(line);
}

int res_view_diff(const struct res_view *a, const struct res_view *b, bool json, FILE *out)
{
    struct keyed *ka = keyed_tests(&a->rep), *kb = keyed_tests(&b->rep);
    size_t na = a->rep.ntests, nb = b->rep.ntests, i = 0, j = 0, np = 0, same = 0;
    struct pair *pairs = xcalloc(na + nb + 1, sizeof(*pairs));
    enum section *sec = xcalloc(na + nb + 1, sizeof(*sec));
    size_t count[S_N] = { 0 };
    bool differ = false;

    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : by_key(&ka[i], &kb[j]);
        pairs[np] = (struct pair){ c <= 0 ? ka[i].r : NULL, c >= 0 ? kb[j].r : NULL };
        i += c <= 0;
        j += c >= 0;
        sec[np] = classify(&pairs[np]);
        if (sec[np] == S_N || sec[np] == S_STILL)
            same++;
        if (sec[np] != S_N)
            count[sec[np]]++;
        np++;
    }
    /* the same failure in both is no difference: listed, it does not change the exit */
    for (int s = 0; s < S_N; s++)
        differ = differ || (count[s] && s != S_STILL);
    if (json) {
        json_t *o = json_pack("{s:o, s:o, s:b, s:I}", "a", side_json(a), "b", side_json(b),
                              "equal", !differ, "same", (json_int_t)same);
        for (int s = 0; s < S_N; s++) {
            json_t *arr = json_array();
            for (size_t k = 0; k < np; k++)
                if (sec[k] == (enum section)s)
                    json_array_append_new(arr, pair_json(&pairs[k]));
            json_object_set_new(o, sections[s].json, arr);
        }
        json_object_set_new(o, "slower_ratio", json_real(RES_DIFF_SLOWER_RATIO));
        json_object_set_new(o, "slower_s", json_real(RES_DIFF_SLOWER_S));
        json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        json_decref(o);
    } else {
        print_side("A", a, out);
        print_side("B", b, out);
        for (int s = 0; s < S_N; s++) {
            if (!count[s] || (s == S_STILL && !differ))
                continue;
            fprintf(out, "\n%s (%zu):\n", sections[s].title, count[s]);
            if (s == S_SLOWER)
                fprintf(out, "  (more than %.0f%% and %.0f s slower)\n",
                        (RES_DIFF_SLOWER_RATIO - 1) * 100, RES_DIFF_SLOWER_S);
            for (size_t k = 0; k < np; k++)
                if (sec[k] == (enum section)s)
                    print_pair((enum section)s, &pairs[k], out);
        }
        if (differ)
            fprintf(out, "\n%zu case%s the same\n", same, same == 1 ? "" : "s");
        else
            fprintf(out, "\nno difference: %zu case%s, the same statuses (%zu failing in "
                    "both)\n", same, same == 1 ? "" : "s", count[S_STILL]);
    }
    free(sec);
    free(pairs);
    free(ka);
    free(kb);
    return differ ? 1 : 0;
}

/* ---- jobs list ----------------------------------------------------------------------- */

void res_hist_print_jobs(const struct res_hist_job *v, size_t n, bool json, FILE *out)
{
    if (json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            const struct res_hist_job *j = &v[i];
            json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:I, s:o, s:b}", "job_id",
                                  j->id, "dir", j->dir, "config", j->config, "shard",
                                  j->shard, "start", j->start, "time",
                                  j->time >= 0 ? json_real(j->time) : json_null(), "total",
                                  (json_int_t)j->counts.total, "counts",
                                  counts_json(&j->counts), "recorded", j->recorded);
            json_array_append_new(a, o);
        }
        json_dumpf(a, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        json_decref(a);
        return;
    }
    fprintf(out, "%-40s  %-19s  %9s  %5s  %4s %4s %5s %4s %4s %4s %6s  %s\n", "JOB ID",
            "START", "TIME", "TESTS", "PASS", "FAIL", "ERROR", "SKIP", "WARN", "INTR",
            "CANCEL", "CONFIG");
    for (size_t i = 0; i < n; i++) {
        const struct res_hist_job *j = &v[i];
        char *start = res_iso_time(j->start), *t = strchr(start, 'T'), time[32];
        const char *cfg = strrchr(j->config, '/');
        const struct res_counts *c = &j->counts;
        if (t)
            *t = ' ';
        if (j->time >= 0)
            snprintf(time, sizeof(time), "%.1f s", j->time);
        else
            snprintf(time, sizeof(time), "not ended");
        fprintf(out, "%-40s  %-19s  %9s  %5u  %4u %4u %5u %4u %4u %4u %6u  %s%s%s%s\n", j->id,
                start, time, c->total, c->n[RES_PASS], c->n[RES_FAIL], c->n[RES_ERROR],
                c->n[RES_SKIP], c->n[RES_WARN], c->n[RES_INTERRUPTED], c->n[RES_CANCEL],
                cfg ? cfg + 1 : *j->config ? j->config : "-", *j->shard ? " shard " : "",
                j->shard, j->recorded ? "" : " (not in the history)");
        free(start);
    }
}
