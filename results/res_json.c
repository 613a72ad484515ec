/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_json: results.json in avocado's jsonresult shape (plus vtrun's fields), the
 * journal's lines (one results.json test object each), the per-test hops.json and
 * params.json, and the reader `vtrun merge` and --rerun-failed use. */
#include "results/res_model.h"

#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static json_t *phases_json(const struct res_rec *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nphases; i++)
        json_array_append_new(a, json_pack("{s:s, s:f, s:f}", "name", r->phases[i].name,
                                           "start", r->phases[i].start, "time",
                                           r->phases[i].time_s));
    return a;
}

static json_t *test_json(const struct res_rec *r)
{
    json_t *params = json_object(), *checks = json_array(), *files = json_array();
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
    for (size_t i = 0; i < r->nfiles; i++)
        json_array_append_new(files, json_pack("{s:s, s:s}", "path", r->files[i].path,
                                               "what", r->files[i].what));
    /* avocado's keys first (jobs show reads id, status, time, end; diff id and
     * status), then vtrun's */
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:s,"
                  " s:s, s:o, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:o, s:o, s:o, s:o}",
                  "id", r->id, "name", r->name, "status", res_status_name(r->status),
                  "fail_reason", r->fail_reason, "fail_class", r->fail_type,
                  "time", r->time_s, "time_elapsed", r->time_s, "time_start",
                  r->time_start, "time_end", r->time_end, "actual_time_start",
                  r->time_start, "actual_time_end", r->time_end, "end", r->time_end,
                  "logdir", r->logdir, "logfile", logfile, "tags",
                  json_object(), "whiteboard", r->whiteboard, "shortname", r->shortname,
                  "cartesian_name", r->cartesian_name,
                  "index", (json_int_t)r->index, "gen_index", (json_int_t)r->gen_index,
                  "classname", r->classname, "status_openqa",
                  res_status_openqa(r->status), "params", params, "checks", checks,
                  "hops", hops_json(r), "phases", phases_json(r));
    json_object_set_new(o, "files", files);
    free(logfile);
    return o;
}

const char *res_rec_json(struct res_rec *r)
{
    json_t *o;
    if (r->json)
        return r->json;
    o = test_json(r);
    /* compact: the journal holds one test per line */
    r->json = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return r->json;
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

/* The job-level object, without "tests" (spliced in by res_render_json). */
static json_t *job_json(const struct res_report *rep)
{
    struct res_counts c;
    json_t *root, *suites = json_array();
    res_suite_counts(rep, -1, &c);
    for (size_t i = 0; i < rep->nsuites; i++)
        json_array_append_new(suites, suite_json(&rep->suites[i]));
    root = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:f,"
                     " s:s, s:I, s:b, s:b, s:s, s:o}",
                     "job_id", rep->job_id, "debuglog", rep->debuglog ? rep->debuglog : "",
                     "total", (json_int_t)c.total, "pass", (json_int_t)c.n[RES_PASS],
                     "errors", (json_int_t)c.n[RES_ERROR], "failures",
                     (json_int_t)c.n[RES_FAIL], "skip", (json_int_t)c.n[RES_SKIP],
                     "cancel", (json_int_t)c.n[RES_CANCEL], "warn",
                     (json_int_t)c.n[RES_WARN], "interrupt",
                     (json_int_t)c.n[RES_INTERRUPTED], "start", rep->start,
                     "start_epoch", rep->start_epoch, "config", rep->config ? rep->config : "",
                     "planned", (json_int_t)rep->total_planned, "interrupted",
                     (rep->flags & RES_EXIT_INTERRUPTED) != 0, "job_error",
                     (rep->flags & RES_EXIT_JOB_ERROR) != 0, "note",
                     rep->note ? rep->note : "", "suites", suites);
    if (!root)
        return NULL;
    /* avocado's "time" is the job time; while running, the sum of test times */
    json_object_set_new(root, "time", json_real(rep->job_time >= 0 ? rep->job_time
                                                                    : res_suite_time(rep, -1)));
    return root;
}

char *res_render_json(struct res_report *rep)
{
    json_t *root = job_json(rep);
    char *head = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    struct strbuf sb = STRBUF_INIT;
    size_t hl;

    json_decref(root);
    if (!head || (hl = strlen(head)) < 2 || head[hl - 1] != '}') {
        free(head);
        return NULL;
    }
    /* "{\n  ...\n}" + ",\n  \"tests\": [...]": every test on its own line, as cached */
    while (hl > 1 && (head[hl - 2] == '\n' || head[hl - 2] == ' '))
        hl--;
    strbuf_add(&sb, head, hl - 1);
    strbuf_addstr(&sb, ",\n  \"tests\": [");
    for (size_t i = 0; i < rep->ntests; i++) {
        const char *t = res_rec_json(rep->tests[i]);
        if (!t) {
            free(head);
            strbuf_release(&sb);
            return NULL;
        }
        strbuf_addstr(&sb, i ? ",\n    " : "\n    ");
        strbuf_addstr(&sb, t);
    }
    strbuf_addstr(&sb, rep->ntests ? "\n  ]\n}\n" : "]\n}\n");
    free(head);
    return strbuf_detach(&sb, NULL);
}

int res_write_hops_json(const struct res_rec *r, const char *path)
{
    json_t *root = json_pack("{s:s, s:o}", "test", r->name, "hops", hops_json(r));
    int ret = dump_atomic(root, path);
    json_decref(root);
    return ret;
}

int res_write_params_json(char *const *keys, char *const *vals, size_t n, const char *path)
{
    json_t *o = json_object();
    char *text;
    FILE *f;
    int ret = -1;
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, keys[i], json_string(vals[i]));
    text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    /* not atomic, not synced: written once when the test starts, and only for people */
    f = text ? fopen(path, "we") : NULL;
    if (!f) {
        err_set("%s: %s", path, text ? strerror(errno) : "cannot encode JSON");
        free(text);
        return -1;
    }
    if (fputs(text, f) >= 0 && fputc('\n', f) != EOF)
        ret = 0;
    if (fclose(f) != 0 || ret < 0) {
        err_set("%s: write error", path);
        ret = -1;
    }
    free(text);
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
    size_t i, len;
    int st = res_status_parse(json_string_value(json_object_get(t, "status")));

    r->suite = suite;
    r->name = jstr(t, "name");
    r->cartesian_name = jstr(t, "cartesian_name");
    if (!*r->cartesian_name) {
        free(r->cartesian_name);
        r->cartesian_name = xstrdup(r->name);
    }
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
    a = json_object_get(t, "files");
    r->files = xcalloc(json_array_size(a) + 1, sizeof(*r->files));
    json_array_foreach(a, i, v) {
        struct res_file_rec *f = &r->files[r->nfiles++];
        f->path = jstr(v, "path");
        f->what = jstr(v, "what");
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
    a = json_object_get(t, "phases");
    r->phases = xcalloc(json_array_size(a) + 1, sizeof(*r->phases));
    json_array_foreach(a, i, v) {
        struct res_phase_rec *p = &r->phases[r->nphases++];
        p->name = jstr(v, "name");
        p->start = jnum(v, "start", 0);
        p->time_s = jnum(v, "time", 0);
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

/* The tests of the journal beside results_json, when it lists more than results.json
 * does (a job killed between two renders); NULL otherwise.  A last line cut by the
 * kill is not a test. */
static json_t *journal_tests(const char *results_json, size_t have)
{
    char *dir = xstrdup(results_json), *slash = strrchr(dir, '/');
    char *path, *text, *line, *next;
    json_t *tests = NULL;
    if (slash)
        *slash = '\0';
    path = slash ? xasprintf("%s/results.jsonl", dir) : xstrdup("results.jsonl");
    text = access(path, R_OK) == 0 ? res_read_file(path, NULL) : NULL;
    free(path);
    free(dir);
    if (!text)
        return NULL;
    tests = json_array();
    for (line = text; *line; line = next) {
        json_t *t;
        next = strchr(line, '\n');
        if (!next)
            break;
        *next++ = '\0';
        t = json_loads(line, 0, NULL);
        if (json_is_object(t))
            json_array_append_new(tests, t);
        else
            json_decref(t);
    }
    free(text);
    if (json_array_size(tests) <= have) {
        json_decref(tests);
        return NULL;
    }
    return tests;
}

/* results.json of path, its "tests" replaced by the journal's when that has more. */
static json_t *load_results(const char *path)
{
    json_t *root = load_json(path), *more;
    if (!root)
        return NULL;
    more = journal_tests(path, json_array_size(json_object_get(root, "tests")));
    if (more)
        json_object_set_new(root, "tests", more);
    return root;
}

int res_report_load(struct res_report *rep, const char *job_dir)
{
    char *path = xasprintf("%s/results.json", job_dir);
    json_t *root = load_results(path), *tests, *t, *s;
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
        suite->name = xstrdup("vtrun");
    }
    if (!*suite->package) {
        free(suite->package);
        suite->package = xasprintf("vtrun.%s", suite->name);
    }
    if (!*suite->timestamp) {
        free(suite->timestamp);
        suite->timestamp = jstr(root, "start");
    }
    if (!rep->config)
        rep->config = jstr(root, "config");
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

int res_report_load_job(struct res_report *rep, const char *job_dir)
{
    char *path = xasprintf("%s/results.json", job_dir);
    json_t *root = load_json(path);
    free(path);
    if (!root)
        return -1;
    if (res_report_load(rep, job_dir) < 0) {
        json_decref(root);
        return -1;
    }
    /* the `id` file is what avocado reads; results.json's job_id says the same */
    path = xasprintf("%s/id", job_dir);
    char *id = access(path, R_OK) == 0 ? res_read_file(path, NULL) : NULL;
    free(path);
    if (id)
        id[strcspn(id, "\r\n")] = '\0';
    rep->job_id = id && *id ? id : jstr(root, "job_id");
    if (rep->job_id != id)
        free(id);
    rep->debuglog = jstr(root, "debuglog");
    rep->start = jstr(root, "start");
    rep->start_epoch = jnum(root, "start_epoch", 0);
    rep->job_time = jnum(root, "time", -1);
    rep->total_planned = (unsigned)jnum(root, "planned", 0);
    rep->note = jstr(root, "note");
    /* a merged job's other shards (res_report_load took its first suite) */
    json_t *suites = json_object_get(root, "suites"), *s;
    size_t k;
    json_array_foreach(suites, k, s) {
        if (!k)
            continue;
        rep->suites = xrealloc(rep->suites, (rep->nsuites + 1) * sizeof(*rep->suites));
        rep->suites[rep->nsuites++] = (struct res_suite){
            .name = jstr(s, "name"), .hostname = jstr(s, "hostname"),
            .package = jstr(s, "package"), .timestamp = jstr(s, "timestamp"),
            .shard = jstr(s, "shard"), .job_id = jstr(s, "job_id"),
            .job_time = jnum(s, "job_time", -1),
        };
    }
    if (!rep->start_epoch)      /* avocado's own results.json: its first test's start */
        for (size_t i = 0; i < rep->ntests; i++)
            if (rep->tests[i]->time_start > 0 && (!rep->start_epoch ||
                                                   rep->tests[i]->time_start < rep->start_epoch))
                rep->start_epoch = rep->tests[i]->time_start;
    json_decref(root);
    return 0;
}

char **res_read_names(const char *results_json, unsigned mask)
{
    json_t *root = load_results(results_json), *t;
    char **names;
    size_t i, n = 0;
    if (!root)
        return NULL;
    names = xcalloc(2 * json_array_size(json_object_get(root, "tests")) + 1, sizeof(char *));
    json_array_foreach(json_object_get(root, "tests"), i, t) {
        int st = res_status_parse(json_string_value(json_object_get(t, "status")));
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *full = json_string_value(json_object_get(t, "cartesian_name"));
        if (st < 0 || !name || !(mask & (1u << st)))
            continue;
        names[n++] = xstrdup(name);
        if (full && strcmp(full, name))
            names[n++] = xstrdup(full);
    }
    json_decref(root);
    return names;
}

/* ---- jobdata/: what the job was run with (avocado keeps it there too) ------------ */

static json_t *strv_json(const char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

int res_write_jobdata(const char *job_dir, const struct res_job_meta *m)
{
    char *dir = xasprintf("%s/jobdata", job_dir), *p = NULL, *text = NULL;
    json_t *args = NULL;
    int ret = -1;
    if (res_mkdir_p(dir) < 0)
        goto out;
    /* cmdline: avocado's `diff` reads it with ast.literal_eval: a JSON array of strings
     * is a Python list literal */
    {
        json_t *argv = strv_json(m->argv);
        text = json_dumps(argv, JSON_COMPACT);
        json_decref(argv);
    }
    p = xasprintf("%s/cmdline", dir);
    if (!text || res_write_atomic(p, text, strlen(text)) < 0)
        goto out;
    free(p);
    p = xasprintf("%s/pwd", dir);
    if (res_write_atomic(p, m->cwd ? m->cwd : "", m->cwd ? strlen(m->cwd) : 0) < 0)
        goto out;
    args = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "replay", strv_json(m->replay), "filters", strv_json(m->filters),
                     "settings", str_or_null(m->settings),
                     "settings_env", str_or_null(m->settings_env),
                     "shard_by", str_or_null(m->shard_by), "run_id", str_or_null(m->run_id),
                     "hosts", str_or_null(m->hosts), "version", str_or_null(m->version),
                     "cwd", str_or_null(m->cwd));
    free(p);
    p = xasprintf("%s/args.json", dir);
    ret = dump_atomic(args, p);
out:
    json_decref(args);
    free(text);
    free(p);
    free(dir);
    return ret;
}

int res_read_jobdata(const char *job_dir, char ***replay, char **settings_env)
{
    char *p = xasprintf("%s/jobdata/args.json", job_dir);
    json_error_t e;
    json_t *root = json_load_file(p, 0, &e), *a, *v;
    size_t i;
    *replay = NULL;
    *settings_env = NULL;
    if (!root) {
        err_set("%s: %s (a job of vtrun before its history, or not vtrun's)", p, e.text);
        free(p);
        return -1;
    }
    free(p);
    a = json_object_get(root, "replay");
    *replay = xcalloc(json_array_size(a) + 1, sizeof(char *));
    json_array_foreach(a, i, v)
        (*replay)[i] = xstrdup(json_string_value(v) ? json_string_value(v) : "");
    v = json_object_get(root, "settings_env");
    if (json_is_string(v))
        *settings_env = xstrdup(json_string_value(v));
    json_decref(root);
    return 0;
}
