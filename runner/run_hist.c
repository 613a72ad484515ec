/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The history on the command line (results/res.h "history"): `vtrun jobs list|show`,
 * `vtrun diff`, `vtrun replay`, `vtrun history`, `vtrun flaky`; what a JOB argument may
 * be (an id or its prefix, a job directory or its results.json, `latest`); the names
 * --rerun-failed takes from a job; and --shard-by time's plan.
 *
 * Every command finds the results directory and the database as a job would: the
 * settings (--settings FILE after the standard files), --job-results-dir DIR over
 * results_dir, and --history FILE over the settings' history.
 */
#include "runner/run.h"
#include "cfg/cfg.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "runner/run_name.h"
#include "runner/run_settings.h"
#include "runner/run_shard.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- options shared by the history commands --------------------------------------- */

enum { O_JSON = 1, O_LAST = 2, O_LIMIT = 4 };

struct hopts {
    const char *settings, *results_dir, *history;
    bool json;
    long last, limit;
    const char *pos[2];
    size_t npos;
};

static const struct {
    const char *name;
    unsigned flag;              /* 0: every command takes it */
    size_t off;                 /* of the const char * or long member */
    bool number;                /* a long, else a string */
} hopt_table[] = {
    { "settings", 0, offsetof(struct hopts, settings), false },
    { "job-results-dir", 0, offsetof(struct hopts, results_dir), false },
    { "history", 0, offsetof(struct hopts, history), false },
    { "last", O_LAST, offsetof(struct hopts, last), true },
    { "limit", O_LIMIT, offsetof(struct hopts, limit), true },
};

#define COMMON_USAGE "[--settings FILE] [--job-results-dir DIR] [--history FILE]"

/* 0 parsed; 1 --help printed; -1 a usage error (printed). */
static int hparse(int argc, char **argv, unsigned allowed, size_t npos, const char *usage,
                  const char *help, struct hopts *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("%s\n%s", usage, help);
            return 1;
        }
        if (!strcmp(a, "--json") && (allowed & O_JSON)) {
            o->json = true;
            continue;
        }
        if (strncmp(a, "--", 2)) {
            if (o->npos == npos) {
                fprintf(stderr, "vtrun %s: unexpected argument '%s'\n%s\n", argv[0], a,
                        usage);
                return -1;
            }
            o->pos[o->npos++] = a;
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '='), *val = NULL;
        size_t len = eq ? (size_t)(eq - name) : strlen(name), k;
        for (k = 0; k < ARRAY_SIZE(hopt_table); k++)
            if (strlen(hopt_table[k].name) == len && !strncmp(hopt_table[k].name, name, len)
                && (!hopt_table[k].flag || (allowed & hopt_table[k].flag)))
                break;
        if (k == ARRAY_SIZE(hopt_table)) {
            fprintf(stderr, "vtrun %s: unknown option '%s'\n%s\n", argv[0], a, usage);
            return -1;
        }
        val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!val || !*val) {
            fprintf(stderr, "vtrun %s: option --%s needs a value\n%s\n", argv[0],
                    hopt_table[k].name, usage);
            return -1;
        }
        void *field = (char *)o + hopt_table[k].off;
        if (hopt_table[k].number) {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1) {
                fprintf(stderr, "vtrun %s: --%s wants a number >= 1, got '%s'\n", argv[0],
                        hopt_table[k].name, val);
                return -1;
            }
            *(long *)field = n;
        } else {
            *(const char **)field = val;
        }
    }
    if (o->npos < npos) {
        fprintf(stderr, "%s\n", usage);
        return -1;
    }
    return 0;
}

/* What a history command works on: the settings, the results directory, the database
 * (NULL when there is none yet: directories still work). */
struct hctx {
    struct run_settings set;
    char *path;                 /* the database; NULL: turned off */
    struct res_hist *h;
};

static int hctx_open(struct hctx *c, const struct hopts *o)
{
    memset(c, 0, sizeof(*c));
    run_settings_init(&c->set);
    if (run_settings_load_all(&c->set, o->settings) < 0) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        return -1;
    }
    if (o->results_dir) {
        free(c->set.results_dir);
        c->set.results_dir = xstrdup(o->results_dir);
    }
    c->path = o->history ? xstrdup(o->history) : run_settings_history(&c->set);
    if (c->path && access(c->path, F_OK) == 0) {
        c->h = res_hist_open(c->path, false);
        if (!c->h) {
            fprintf(stderr, "vtrun: %s\n", err_msg());
            return -1;
        }
    }
    return 0;
}

static void hctx_close(struct hctx *c)
{
    res_hist_close(c->h);
    free(c->path);
    run_settings_free(&c->set);
}

static bool needs_db(struct hctx *c, const char *cmd)
{
    if (c->h)
        return true;
    if (c->path)
        fprintf(stderr, "vtrun %s: no history at %s yet (a job records it there)\n", cmd,
                c->path);
    else
        fprintf(stderr, "vtrun %s: the settings turn the history off (history = \"\")\n",
                cmd);
    return false;
}

/* ---- JOB --------------------------------------------------------------------------- */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool has(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    bool ok = access(p, F_OK) == 0;
    free(p);
    return ok;
}

/* The `id` of a job directory (heap), NULL when it has none. */
static char *dir_id(const char *dir)
{
    char *p = xasprintf("%s/id", dir), *id = NULL;
    FILE *f = fopen(p, "r");
    char buf[64];
    if (f && fgets(buf, sizeof(buf), f)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        if (*buf)
            id = xstrdup(buf);
    }
    if (f)
        fclose(f);
    free(p);
    return id;
}

/* A job directory under the results directory whose id starts with PREFIX (a job the
 * history does not record). */
static char *scan_prefix(const char *results_dir, const char *prefix, char **id)
{
    struct res_hist_job *v;
    size_t n;
    char *dir = NULL;
    if (res_hist_jobs(NULL, results_dir, &v, &n) < 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!dir && !strncmp(v[i].id, prefix, strlen(prefix))) {
            dir = xstrdup(v[i].dir);
            *id = xstrdup(v[i].id);
        }
        res_hist_job_release(&v[i]);
    }
    free(v);
    return dir;
}

/* latest~N: the N-th job of the results directory before `latest`, by start time (the
 * history's jobs there and the directories it does not record). */
static int back_from_latest(struct hctx *c, unsigned long n, char **dir, char **id)
{
    char *p = xasprintf("%s/latest", c->set.results_dir), *latest = realpath(p, NULL);
    char *base = realpath(c->set.results_dir, NULL);
    struct res_hist_job *v = NULL;
    size_t nv = 0, *mine = NULL, k = 0, at = (size_t)-1;
    int ret = -1;
    free(p);
    if (!latest || !base) {
        err_set("%s has no `latest` job", c->set.results_dir);
        goto out;
    }
    if (res_hist_jobs(c->h, c->set.results_dir, &v, &nv) < 0)
        goto out;
    /* the jobs of this results directory, oldest first; where `latest` is */
    mine = xcalloc(nv + 1, sizeof(*mine));
    size_t bl = strlen(base);
    for (size_t i = 0; i < nv; i++) {
        if (strncmp(v[i].dir, base, bl) || v[i].dir[bl] != '/')
            continue;
        if (!strcmp(v[i].dir, latest))
            at = k;
        mine[k++] = i;
    }
    if (at == (size_t)-1 || at < n) {
        err_set("%s has %zu job%s before `latest`", c->set.results_dir,
                at == (size_t)-1 ? 0 : at, at == 1 ? "" : "s");
        goto out;
    }
    *dir = xstrdup(v[mine[at - n]].dir);
    *id = xstrdup(v[mine[at - n]].id);
    ret = 0;
out:
    for (size_t i = 0; i < nv; i++)
        res_hist_job_release(&v[i]);
    free(v);
    free(mine);
    free(latest);
    free(base);
    return ret;
}

static int resolve(struct hctx *c, const char *ref, char **dir, char **id)
{
    char *p = NULL;
    *dir = *id = NULL;
    if (!strncmp(ref, "latest~", 7)) {
        char *end;
        unsigned long n = strtoul(ref + 7, &end, 10);
        if (*end || end == ref + 7) {
            err_set("'%s': latest~N wants a number of jobs back (latest~1: the one before)",
                    ref);
            return -1;
        }
        return back_from_latest(c, n, dir, id);
    }
    if (!strcmp(ref, "latest")) {
        p = xasprintf("%s/latest", c->set.results_dir);
    } else if (is_dir(ref)) {
        /* a job directory, or a results directory whose `latest` is one */
        p = has(ref, "results.json") || has(ref, "id") ? xstrdup(ref)
                                                       : xasprintf("%s/latest", ref);
    } else if (access(ref, R_OK) == 0) {
        /* a results.json (what --rerun-failed took before it took jobs) */
        p = xstrdup(ref);
        char *slash = strrchr(p, '/');
        if (slash)
            *slash = '\0';
        else
            strcpy(p, ".");
    }
    if (p) {
        *dir = realpath(p, NULL);
        if (!*dir) {
            err_set("%s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        free(p);
        *id = dir_id(*dir);
        return 0;
    }
    if (c->h) {
        struct res_hist_job j;
        int r = res_hist_find(c->h, ref, &j);
        if (r < 0)
            return -1;
        if (r > 0) {
            *dir = *j.dir ? xstrdup(j.dir) : NULL;
            *id = xstrdup(j.id);
            res_hist_job_release(&j);
            return 0;
        }
    }
    if (strspn(ref, "0123456789abcdef") == strlen(ref) && *ref) {
        *dir = scan_prefix(c->set.results_dir, ref, id);
        if (*dir)
            return 0;
    }
    err_set("no job '%s': not `latest`, a job directory, a results.json, nor a job id (or "
            "its prefix) in %s or under %s", ref, c->path ? c->path : "(no history)",
            c->set.results_dir);
    return -1;
}

/* The context of a job's own settings (its results_dir, its history). */
static void hctx_from(struct hctx *c, const struct run_settings *set)
{
    memset(c, 0, sizeof(*c));
    run_settings_init(&c->set);
    free(c->set.results_dir);
    c->set.results_dir = xstrdup(set->results_dir);
    c->path = run_settings_history(set);
    if (c->path && access(c->path, F_OK) == 0)
        c->h = res_hist_open(c->path, false);
}

int run_hist_resolve(const struct run_settings *set, const char *job, char **dir, char **id)
{
    struct hctx c;
    hctx_from(&c, set);
    int r = resolve(&c, job, dir, id);
    hctx_close(&c);
    return r;
}

char **run_hist_job_names(const struct run_settings *set, const char *job, unsigned mask)
{
    struct hctx c;
    char *dir = NULL, *id = NULL, **names = NULL;
    struct res_view *v = NULL;
    hctx_from(&c, set);
    if (resolve(&c, job, &dir, &id) == 0 && (v = res_view_load(c.h, dir, id)))
        names = res_view_names(v, mask);
    res_view_free(v);
    free(dir);
    free(id);
    hctx_close(&c);
    return names;
}

static struct res_view *load_job(struct hctx *c, const char *ref)
{
    char *dir, *id;
    struct res_view *v = NULL;
    if (resolve(c, ref, &dir, &id) == 0)
        v = res_view_load(c->h, dir, id);
    if (!v)
        err_prefix("%s", ref);
    free(dir);
    free(id);
    return v;
}

/* ---- vtrun jobs --------------------------------------------------------------------- */

#define JOBS_USAGE "usage: vtrun jobs list [--json] " COMMON_USAGE "\n" \
                   "       vtrun jobs show JOB [--json] " COMMON_USAGE
#define JOB_HELP \
    "JOB: a job id or its first characters, a job directory (or its results.json),\n" \
    "`latest`, or `latest~N` (the N-th job of the results directory before it).  Jobs\n" \
    "come from the history (settings `history`, default <results_dir>/history.sqlite)\n" \
    "and from the job directories under results_dir.\n"

int run_cmd_jobs(int argc, char **argv)
{
    struct hopts o;
    struct hctx c;
    int rc = RUN_EXIT_USAGE, r;
    const char *sub = argc > 1 ? argv[1] : "";
    bool show = !strcmp(sub, "show");
    if (!show && strcmp(sub, "list")) {
        if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
            printf("%s\n%s", JOBS_USAGE, JOB_HELP);
            return 0;
        }
        fprintf(stderr, "%s\n", JOBS_USAGE);
        return RUN_EXIT_USAGE;
    }
    r = hparse(argc - 1, argv + 1, O_JSON, show ? 1 : 0, JOBS_USAGE, JOB_HELP, &o);
    if (r)
        return r > 0 ? 0 : RUN_EXIT_USAGE;
    if (hctx_open(&c, &o) < 0)
        goto out;
    if (show) {
        struct res_view *v = load_job(&c, o.pos[0]);
        if (!v) {
            fprintf(stderr, "vtrun jobs show: %s\n", err_msg());
            goto out;
        }
        res_view_print(v, o.json, stdout);
        res_view_free(v);
    } else {
        struct res_hist_job *v;
        size_t n;
        if (res_hist_jobs(c.h, c.set.results_dir, &v, &n) < 0) {
            fprintf(stderr, "vtrun jobs list: %s\n", err_msg());
            goto out;
        }
        res_hist_print_jobs(v, n, o.json, stdout);
        for (size_t i = 0; i < n; i++)
            res_hist_job_release(&v[i]);
        free(v);
    }
    rc = 0;
out:
    hctx_close(&c);
    return rc;
}

/* ---- vtrun diff ----------------------------------------------------------------------- */

#define DIFF_USAGE "usage: vtrun diff JOB_A JOB_B [--json] " COMMON_USAGE
#define DIFF_HELP \
    "Compare two jobs case by case (matched by Cartesian name): new failures, fixed,\n" \
    "still failing, other status changes, cases in one job only, and time regressions\n" \
    "(more than 50% and 5 s slower).  Exit status 0: the same cases with the same\n" \
    "statuses and no regression; 1: they differ; 2: error.\n" JOB_HELP

int run_cmd_diff(int argc, char **argv)
{
    struct hopts o;
    struct hctx c;
    struct res_view *a = NULL, *b = NULL;
    int rc = RUN_EXIT_USAGE, r = hparse(argc, argv, O_JSON, 2, DIFF_USAGE, DIFF_HELP, &o);
    if (r)
        return r > 0 ? 0 : RUN_EXIT_USAGE;
    if (hctx_open(&c, &o) < 0)
        goto out;
    if (!(a = load_job(&c, o.pos[0])) || !(b = load_job(&c, o.pos[1]))) {
        fprintf(stderr, "vtrun diff: %s\n", err_msg());
        goto out;
    }
    rc = res_view_diff(a, b, o.json, stdout);
out:
    res_view_free(a);
    res_view_free(b);
    hctx_close(&c);
    return rc;
}

/* ---- vtrun history, vtrun flaky --------------------------------------------------------- */

#define HISTORY_USAGE "usage: vtrun history NAME [--limit N] [--json] " COMMON_USAGE
#define HISTORY_HELP \
    "The runs of the tests named NAME (the reported name or the Cartesian name) in the\n" \
    "history: pass rate (PASS and WARN of the runs that ran: SKIP and CANCEL left out),\n" \
    "the last pass, the last failure and the last N statuses (--limit, default 20).\n" \
    "Exit status 1 when the history has no such test.\n"

int run_cmd_history(int argc, char **argv)
{
    struct hopts o;
    struct hctx c;
    int rc = RUN_EXIT_USAGE;
    int r = hparse(argc, argv, O_JSON | O_LIMIT, 1, HISTORY_USAGE, HISTORY_HELP, &o);
    if (r)
        return r > 0 ? 0 : RUN_EXIT_USAGE;
    if (hctx_open(&c, &o) < 0 || !needs_db(&c, "history"))
        goto out;
    r = res_hist_print_test(c.h, o.pos[0], o.limit ? (size_t)o.limit : 20, o.json, stdout);
    if (r < 0)
        fprintf(stderr, "vtrun history: %s\n", err_msg());
    else if (r > 0)
        fprintf(stderr, "vtrun history: no test named '%s' in %s\n", o.pos[0], c.path);
    rc = r < 0 ? RUN_EXIT_USAGE : r;
out:
    hctx_close(&c);
    return rc;
}

#define FLAKY_USAGE "usage: vtrun flaky [--last N] [--json] " COMMON_USAGE
#define FLAKY_HELP \
    "The cases whose outcome flipped between PASS (or WARN) and FAIL, ERROR or\n" \
    "INTERRUPTED within the last N ended jobs of the history (--last, default 10), with\n" \
    "the number of flips and their statuses in job order.  SKIP and CANCEL (nothing ran)\n" \
    "are left out.\n"

int run_cmd_flaky(int argc, char **argv)
{
    struct hopts o;
    struct hctx c;
    int rc = RUN_EXIT_USAGE;
    int r = hparse(argc, argv, O_JSON | O_LAST, 0, FLAKY_USAGE, FLAKY_HELP, &o);
    if (r)
        return r > 0 ? 0 : RUN_EXIT_USAGE;
    if (hctx_open(&c, &o) < 0 || !needs_db(&c, "flaky"))
        goto out;
    if (res_hist_print_flaky(c.h, o.last ? (size_t)o.last : 10, o.json, stdout) < 0) {
        fprintf(stderr, "vtrun flaky: %s\n", err_msg());
        goto out;
    }
    rc = 0;
out:
    hctx_close(&c);
    return rc;
}

/* ---- vtrun replay ---------------------------------------------------------------------- */

#define REPLAY_USAGE "usage: vtrun replay JOB " COMMON_USAGE
#define REPLAY_HELP \
    "Run job JOB again: the same config, filters (--only, --no, --set), settings file\n" \
    "and $VTRUN_SETTINGS, backend, shard, --jobs and results options, into the same\n" \
    "results directory; as recorded in its jobdata/args.json or in the history.  A job\n" \
    "sharded by time runs the cases it ran (today's history would plan another split).\n" \
    "--settings, --job-results-dir and --history only say where to find JOB.\n" JOB_HELP

int run_cmd_replay(int argc, char **argv)
{
    struct hopts o;
    struct hctx c;
    struct run_opts ro = { 0 };
    struct res_view *v = NULL;
    char *dir = NULL, *id = NULL, **args = NULL, *env = NULL, **av = NULL;
    int rc = RUN_EXIT_USAGE, n = 0;
    int r = hparse(argc, argv, 0, 1, REPLAY_USAGE, REPLAY_HELP, &o);
    if (r)
        return r > 0 ? 0 : RUN_EXIT_USAGE;
    if (hctx_open(&c, &o) < 0)
        goto out;
    if (resolve(&c, o.pos[0], &dir, &id) < 0 ||
        res_job_replay_args(c.h, dir, id, &args, &env) < 0) {
        fprintf(stderr, "vtrun replay: %s\n", err_msg());
        goto out;
    }
    while (args[n])
        n++;
    av = xcalloc((size_t)n + 2, sizeof(*av));
    av[0] = "vtrun";
    memcpy(av + 1, args, (size_t)n * sizeof(*av));
    if (run_opts_parse(&ro, n + 1, av, RUN_SUB_NONE) < 0) {
        fprintf(stderr, "vtrun replay: the recorded options do not parse: %s\n", err_msg());
        goto out;
    }
    if (ro.action != RUN_ACTION_JOB) {
        fprintf(stderr, "vtrun replay: job %s recorded no job options\n", o.pos[0]);
        goto out;
    }
    if (ro.shard_by == RUN_SHARD_BY_TIME) {
        /* the plan came from that night's history: run what it ran */
        v = res_view_load(c.h, dir, id);
        if (!v) {
            fprintf(stderr, "vtrun replay: %s\n", err_msg());
            goto out;
        }
        ro.only_names = res_view_names(v, ~0u);
        ro.shard_count = ro.shard_index = 0;
        ro.shard_by = RUN_SHARD_BY_NAME;
    }
    if (env)
        setenv("VTRUN_SETTINGS", env, 1);
    else
        unsetenv("VTRUN_SETTINGS");
    printf("REPLAY     : job %s%s%s\n", id ? id : o.pos[0], dir ? " in " : "", dir ? dir : "");
    fflush(stdout);
    rc = run_job(&ro);
out:
    res_view_free(v);
    run_opts_release(&ro);
    params_strv_free(args);
    free(av);
    free(env);
    free(dir);
    free(id);
    hctx_close(&c);
    return rc;
}

/* ---- --shard-by time -------------------------------------------------------------------- */

struct dur {
    char *name;
    double t;
};

struct durs {
    struct dur *v;
    size_t n;
};

static void add_dur(void *ctx, const char *name, double t)
{
    struct durs *d = ctx;
    d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
    d->v[d->n++] = (struct dur){ xstrdup(name ? name : ""), t };
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct dur *)a)->name, ((const struct dur *)b)->name);
}

static double lookup(const struct durs *d, const char *name)
{
    struct dur key = { (char *)name, 0 };
    const struct dur *f = bsearch(&key, d->v, d->n, sizeof(*d->v), by_name);
    return f ? f->t : -1;
}

static const char *env_get(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

int run_hist_plan_with(const struct run_settings *set, const struct run_opts *o,
                       const struct cfg *c, struct run_shard *s, char **said)
{
    struct durs d = { 0 };
    struct run_shard_case *cases = NULL;
    size_t n = 0, alloc = 0;
    char *path = run_settings_history(set), *run = run_shard_run_id(env_get, NULL);
    char *stem = run_name_stem(o->config);
    struct res_hist *h = NULL;
    struct cfg_iter *it = NULL;
    const struct cfg_case *k;
    int r, ret = -1;

    if (!path) {
        err_set("--shard-by time needs the history, and the settings turn it off "
                "(history = \"\")");
        goto out;
    }
    if (access(path, F_OK) == 0) {
        h = res_hist_open(path, false);
        if (!h || res_hist_durations(h, run, add_dur, &d) < 0)
            goto out;
        qsort(d.v, d.n, sizeof(*d.v), by_name);
    }
    it = cfg_iter_new(c);
    while ((r = cfg_iter_next(it, &k)) == 1) {
        struct params *p = cfg_case_params(k);
        const char *name = cfg_case_name(k), *type = params_get(p, "type");
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 256;
            cases = xrealloc(cases, alloc * sizeof(*cases));
        }
        /* the history knows a case by its results' name: the stem for a config
         * without variants */
        cases[n++] = (struct run_shard_case){ xstrdup(name), type ? xstrdup(type) : NULL,
                                              lookup(&d, *name ? name : stem) };
        params_free(p);
    }
    if (r < 0)
        goto out;
    run_shard_plan_time(s, cases, n);
    {
        struct strbuf sb = STRBUF_INIT;
        size_t unknown = 0, total_unknown = 0;
        for (size_t i = 0; i < n; i++)
            total_unknown += cases[i].time_s < 0;
        strbuf_addf(&sb, "planned from %s%s (%zu of %zu cases with a known duration%s%s)"
                    "; the shards' estimated times:", path, h ? "" : ", which has no jobs yet",
                    n - total_unknown, n, run ? ", leaving out this run's jobs " : "",
                    run ? run : "");
        for (unsigned i = 1; i <= o->shard_count; i++) {
            char *t = res_format_duration((double)run_shard_load_ms(s, i, &unknown) / 1000);
            strbuf_addf(&sb, " %s%s", t, i == o->shard_index ? " (this one)" : "");
            free(t);
        }
        *said = strbuf_detach(&sb, NULL);
    }
    ret = 0;
out:
    cfg_iter_free(it);
    for (size_t i = 0; i < n; i++) {
        free((char *)cases[i].name);
        free((char *)cases[i].type);
    }
    free(cases);
    for (size_t i = 0; i < d.n; i++)
        free(d.v[i].name);
    free(d.v);
    res_hist_close(h);
    free(path);
    free(run);
    free(stem);
    return ret;
}

int run_hist_plan(const struct run_opts *o, const struct cfg *c, struct run_shard *s,
                  char **said)
{
    struct run_settings set;
    int r = -1;
    run_settings_init(&set);
    if (run_settings_load_all(&set, o->settings) == 0) {
        if (o->results_dir) {
            free(set.results_dir);
            set.results_dir = xstrdup(o->results_dir);
        }
        r = run_hist_plan_with(&set, o, c, s, said);
    }
    run_settings_free(&set);
    return r;
}
