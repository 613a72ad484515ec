/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_json: results.json in avocado's jsonresult shape (plus vtrun's fields), the
 * per-test hops.json, and the reader `vtrun merge` and --rerun-failed use. */
#include "results/res_model.h"

#include "lib/err.h"
#include "lib/strbuf.h"

#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

static json_t *hop_json(const struct res_hop_rec *h)
{
    return json_pack("{s:s, s:I, s:s, s:s, s:f, s:f, s:f, s:I, s:I, s:s, s:b, s:s}",
                     "vm", h->vm, "hop", (json_int_t)h->hop, "from", h->from, "to", h->to,
                     "start", h->start, "wall_s", h->wall_s, "downtime_ms", h->downtime_ms,
                     "data_bytes", (json_int_t)h->data_bytes, "mem_iterations",
                     (json_int_t)h->mem_iterations, "mode", h->mode, "ok", h->ok,
                     "error", h->error);
}

static json_t *hops_json(const struct res_rec *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nhops; i++)
        json_array_append_new(a, hop_json(&r->hops[i]));
    return a;
}

static json_t *test_json(const struct res_rec *r)
{
    json_t *params = json_object(), *checks = json_array();
    char *logfile = xasprintf("%s/debug.log", r->logdir);
    json_t *o;
    for (size_t i = 0; i < r->nparams; i++)
        json_object_set_new(params, r->pkeys[i], json_string(r->pvals[i]));
    for (size_t i = 0; i < r->nchecks; i++)
        json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s}", "name",
                                                r->checks[i].name, "severity",
                                                r->checks[i].severity, "status",
                                                res_status_name(r->checks[i].status),
                                                "message", r->checks[i].message));
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:s, s:s, s:o,"
                  " s:s, s:s, s:I, s:I, s:s, s:s, s:o, s:o, s:o}",
                  "id", r->id, "name", r->name, "status", res_status_name(r->status),
                  "fail_reason", r->fail_reason, "fail_class", r->fail_type,
                  "time", r->time_s, "time_elapsed", r->time_s, "time_start",
                  r->time_start, "time_end", r->time_end, "actual_time_start",
                  r->time_start, "logdir", r->logdir, "logfile", logfile, "tags",
                  json_object(), "whiteboard", r->whiteboard, "shortname", r->shortname,
                  "index", (json_int_t)r->index, "gen_index", (json_int_t)r->gen_index,
                  "classname", r->classname, "status_openqa",
                  res_status_openqa(r->status), "params", params, "checks", checks,
                  "hops", hops_json(r));
    free(logfile);
    return o;
}

static json_t *suite_json(const struct res_suite *s)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", s->name, "hostname",
                          s->hostname, "package", s->package, "timestamp", s->timestamp,
                          "shard", s->shard, "job_id", s->job_id);
    json_object_set_new(o, "job_time", s->job_time < 0 ? json_null()
                                                       : json_real(s->job_time));
    return o;
}

static int dump_atomic(json_t *root, const char *path)
{
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    int ret;
    if (!text) {
        err_set("%s: cannot encode JSON", path);
        return -1;
    }
    ret = res_write_atomic(path, text, strlen(text));
    free(text);
    return ret;
}

int res_write_json(const struct res_report *rep, const char *path)
{
    struct res_counts c;
    json_t *root, *tests = json_array(), *suites = json_array();
    int ret;
    res_suite_counts(rep, -1, &c);
    for (size_t i = 0; i < rep->ntests; i++)
        json_array_append_new(tests, test_json(rep->tests[i]));
    for (size_t i = 0; i < rep->nsuites; i++)
        json_array_append_new(suites, suite_json(&rep->suites[i]));
    root = json_pack("{s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:f,"
                     " s:s, s:I, s:b, s:b, s:o}",
                     "job_id", rep->job_id, "debuglog", rep->debuglog, "tests", tests,
                     "total", (json_int_t)c.total, "pass", (json_int_t)c.n[RES_PASS],
                     "errors", (json_int_t)c.n[RES_ERROR], "failures",
                     (json_int_t)c.n[RES_FAIL], "skip", (json_int_t)c.n[RES_SKIP],
                     "cancel", (json_int_t)c.n[RES_CANCEL], "warn",
                     (json_int_t)c.n[RES_WARN], "interrupt",
                     (json_int_t)c.n[RES_INTERRUPTED], "start", rep->start,
                     "start_epoch", rep->start_epoch, "config", rep->config ? rep->config : "",
                     "planned", (json_int_t)rep->total_planned, "interrupted",
                     (rep->flags & RES_EXIT_INTERRUPTED) != 0, "job_error",
                     (rep->flags & RES_EXIT_JOB_ERROR) != 0, "suites", suites);
    if (!root) {
        err_set("%s: cannot build JSON", path);
        return -1;
    }
    /* avocado's "time" is the job time; while running, the sum of test times */
    json_object_set_new(root, "time", json_real(rep->job_time >= 0 ? rep->job_time
                                                                    : res_suite_time(rep, -1)));
    ret = dump_atomic(root, path);
    json_decref(root);
    return ret;
}

int res_write_hops_json(const struct res_rec *r, const char *path)
{
    json_t *root = json_pack("{s:s, s:o}", "test", r->name, "hops", hops_json(r));
    int ret = dump_atomic(root, path);
    json_decref(root);
    return ret;
}

/* ---- reading ------------------------------------------------------------------- */

static char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return xstrdup(s ? s : "");
}

static double jnum(json_t *o, const char *key, double def)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : def;
}

static struct res_rec *rec_from_json(json_t *t, const char *job_dir, size_t suite)
{
    struct res_rec *r = xcalloc(1, sizeof(*r));
    json_t *params = json_object_get(t, "params"), *a, *v;
    const char *key;
    char *p, *log;
    size_t i, len;
    int st = res_status_parse(json_string_value(json_object_get(t, "status")));

    r->suite = suite;
    r->name = jstr(t, "name");
    r->shortname = jstr(t, "shortname");
    r->classname = jstr(t, "classname");
    if (!*r->classname) {
        free(r->classname);
        r->classname = xstrdup("vtrun");
    }
    r->id = jstr(t, "id");
    r->index = (unsigned)jnum(t, "index", 0);
    r->gen_index = (long)jnum(t, "gen_index", -1);
    r->status = st < 0 ? RES_ERROR : (enum res_status)st;
    r->fail_type = jstr(t, "fail_class");
    r->fail_reason = jstr(t, "fail_reason");
    r->time_s = jnum(t, "time", jnum(t, "time_elapsed", 0));
    r->time_start = jnum(t, "time_start", 0);
    r->time_end = jnum(t, "time_end", 0);
    r->whiteboard = jstr(t, "whiteboard");
    /* the shard may come from another machine: its logs are where the copy is now */
    r->logdir = xasprintf("%s/test-results/%s", job_dir, r->id);
    r->link = xstrdup(r->logdir);
    r->system_out = xstrdup("");
    p = xasprintf("%s/debug.log", r->logdir);
    log = res_read_file(p, &len);
    if (log) {
        char *clean = res_xml_clean(log, len);
        free(r->system_out);
        r->system_out = res_cut_middle(clean, strlen(clean), RES_SYSTEM_OUT_MAX);
        free(clean);
        free(log);
    }
    free(p);

    len = json_object_size(params);
    r->pkeys = xcalloc(len ? len : 1, sizeof(char *));
    r->pvals = xcalloc(len ? len : 1, sizeof(char *));
    json_object_foreach(params, key, v) {
        const char *s = json_string_value(v);
        r->pkeys[r->nparams] = xstrdup(key);
        r->pvals[r->nparams++] = xstrdup(s ? s : "");
    }
    a = json_object_get(t, "checks");
    r->checks = xcalloc(json_array_size(a) + 1, sizeof(*r->checks));
    json_array_foreach(a, i, v) {
        struct res_check_rec *c = &r->checks[r->nchecks++];
        int cs = res_status_parse(json_string_value(json_object_get(v, "status")));
        c->name = jstr(v, "name");
        c->severity = jstr(v, "severity");
        c->status = cs < 0 ? RES_ERROR : (enum res_status)cs;
        c->message = jstr(v, "message");
    }
    a = json_object_get(t, "hops");
    r->hops = xcalloc(json_array_size(a) + 1, sizeof(*r->hops));
    json_array_foreach(a, i, v) {
        struct res_hop_rec *h = &r->hops[r->nhops++];
        h->vm = jstr(v, "vm");
        h->hop = (unsigned)jnum(v, "hop", 0);
        h->from = jstr(v, "from");
        h->to = jstr(v, "to");
        h->start = jnum(v, "start", 0);
        h->wall_s = jnum(v, "wall_s", 0);
        h->downtime_ms = jnum(v, "downtime_ms", -1);
        h->data_bytes = (uint64_t)jnum(v, "data_bytes", 0);
        h->mem_iterations = (unsigned)jnum(v, "mem_iterations", 0);
        h->mode = jstr(v, "mode");
        h->ok = json_is_true(json_object_get(v, "ok"));
        h->error = jstr(v, "error");
    }
    return r;
}

static json_t *load_json(const char *path)
{
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    if (!root) {
        err_set("%s:%d: %s", path, e.line, e.text);
        return NULL;
    }
    if (!json_is_array(json_object_get(root, "tests"))) {
        err_set("%s: not a results.json (no \"tests\" array)", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

int res_report_load(struct res_report *rep, const char *job_dir)
{
    char *path = xasprintf("%s/results.json", job_dir);
    json_t *root = load_json(path), *tests, *t, *s;
    struct res_suite *suite;
    size_t i, idx;

    free(path);
    if (!root)
        return -1;
    idx = rep->nsuites;
    rep->suites = xrealloc(rep->suites, (idx + 1) * sizeof(*rep->suites));
    suite = &rep->suites[rep->nsuites++];
    s = json_array_get(json_object_get(root, "suites"), 0);
    suite->name = jstr(s, "name");
    suite->hostname = jstr(s, "hostname");
    suite->package = jstr(s, "package");
    suite->timestamp = jstr(s, "timestamp");
    suite->shard = jstr(s, "shard");
    suite->job_id = jstr(root, "job_id");
    suite->job_time = jnum(root, "time", -1);
    if (!*suite->name) {
        free(suite->name);
        suite->name = xstrdup(job_dir);
    }
    if (!*suite->package) {
        free(suite->package);
        suite->package = xstrdup("vtrun");
    }
    if (!*suite->timestamp) {
        free(suite->timestamp);
        suite->timestamp = jstr(root, "start");
    }
    if (json_is_true(json_object_get(root, "interrupted")))
        rep->flags |= RES_EXIT_INTERRUPTED;
    if (json_is_true(json_object_get(root, "job_error")))
        rep->flags |= RES_EXIT_JOB_ERROR;
    tests = json_object_get(root, "tests");
    json_array_foreach(tests, i, t)
        res_report_add(rep, rec_from_json(t, job_dir, idx));
    json_decref(root);
    return 0;
}

char **res_read_names(const char *results_json, unsigned mask)
{
    json_t *root = load_json(results_json), *t;
    char **names;
    size_t i, n = 0;
    if (!root)
        return NULL;
    names = xcalloc(json_array_size(json_object_get(root, "tests")) + 1, sizeof(char *));
    json_array_foreach(json_object_get(root, "tests"), i, t) {
        int st = res_status_parse(json_string_value(json_object_get(t, "status")));
        const char *name = json_string_value(json_object_get(t, "name"));
        if (st >= 0 && name && (mask & (1u << st)))
            names[n++] = xstrdup(name);
    }
    json_decref(root);
    return names;
}
