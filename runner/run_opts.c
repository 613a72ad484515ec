/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vtrun option table and the parser that reads it.  Each row names an option, its
 * argument (NULL for a flag), its one-line help and the function that stores it; the
 * same rows print --help.  Cross-option rules (one listing action, --short needs
 * --list, listing needs --config) are checked once, after the whole line is read.
 */
#include "runner/run_opts.h"
#include "runner/run_shard.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VTRUN_VERSION
#define VTRUN_VERSION "0.1.0"
#endif

struct run_opt {
    const char *name;       /* long name, without the leading "--" */
    const char *arg;        /* argument name in --help, NULL for a flag */
    const char *help;
    int (*set)(struct run_opts *o, const struct run_opt *opt, const char *arg);
    int action;             /* for set_action: the enum run_action it selects */
};

static void add_stmt(struct run_opts *o, char *stmt)
{
    o->stmts = xrealloc(o->stmts, (o->nstmts + 1) * sizeof(*o->stmts));
    o->stmts[o->nstmts++] = stmt;
}

/* "--only 'A B'" -> "only A", "only B": one statement per whitespace-separated word,
 * exactly like avocado-vt's --vt-only-filter (Python str.split()). */
static void add_words(struct run_opts *o, const char *keyword, const char *arg)
{
    const char *p = arg;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        add_stmt(o, xasprintf("%s %.*s", keyword, (int)(p - w), w));
    }
}

static int set_config(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    if (o->config) {
        err_set("--%s given twice ('%s' and '%s')", opt->name, o->config, arg);
        return -1;
    }
    if (!*arg) {
        err_set("--%s needs a file name", opt->name);
        return -1;
    }
    o->config = arg;
    return 0;
}

static int set_only(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    (void)opt;
    add_words(o, "only", arg);
    return 0;
}

static int set_no(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    (void)opt;
    add_words(o, "no", arg);
    return 0;
}

static int set_stmt(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    (void)opt;
    add_stmt(o, xstrdup(arg));
    return 0;
}

/* --vt-extra-params k=v: avocado-vt splits at the first '=' and parses "k = v". */
static int set_extra(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        err_set("--%s wants key=value, got '%s'", opt->name, arg);
        return -1;
    }
    add_stmt(o, xasprintf("%.*s = %s", (int)(eq - arg), arg, eq + 1));
    return 0;
}

/* A word out of a fixed set (--junit-params, --junit-flavour); the row's arg names
 * them as "a|b". */
static int set_choice(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    const char **field = (const char **)((char *)o + opt->action);
    const char *c = opt->arg;
    size_t n = strlen(arg);
    for (;;) {
        size_t len = strcspn(c, "|");
        if (len == n && !strncmp(c, arg, n)) {
            *field = arg;
            return 0;
        }
        if (!c[len])
            break;
        c += len + 1;
    }
    err_set("--%s wants one of %s, got '%s'", opt->name, opt->arg, arg);
    return -1;
}

static int set_action(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    (void)arg;
    /* `vtrun list --count`: the listing option given wins over the sub-command's */
    if (o->action == RUN_ACTION_TESTS)
        o->action = RUN_ACTION_JOB;
    if (o->action != RUN_ACTION_JOB && o->action != (enum run_action)opt->action) {
        err_set("--list, --count, --dump and --explain cannot be combined");
        return -1;
    }
    o->action = (enum run_action)opt->action;
    return 0;
}

static int set_explain(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    if (set_action(o, opt, arg) < 0)
        return -1;
    if (o->explain) {
        err_set("--%s given twice ('%s' and '%s')", opt->name, o->explain, arg);
        return -1;
    }
    o->explain = arg;
    return 0;
}

/* --help and --version win over whatever came before them. */
static int set_stop(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    (void)arg;
    o->action = (enum run_action)opt->action;
    return 0;
}

static int set_short(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    (void)opt;
    (void)arg;
    o->short_names = true;
    return 0;
}

static int set_defaults(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    (void)opt;
    (void)arg;
    o->defaults = true;
    return 0;
}

/* --expand a,b: like the reference's -e "a,b" (which only matters with -d, so it
 * implies --defaults here rather than being silently ignored). */
static int set_expand(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    const char *p = arg;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n) {
            o->expand = xrealloc(o->expand, (o->nexpand + 2) * sizeof(*o->expand));
            o->expand[o->nexpand++] = xstrndup(p, n);
            o->expand[o->nexpand] = NULL;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (!o->nexpand) {
        err_set("--%s needs block names (--%s a,b)", opt->name, opt->name);
        return -1;
    }
    o->defaults = true;
    return 0;
}

static int set_str(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    /* the row's action field holds the offset of the const char * member */
    const char **field = (const char **)((char *)o + opt->action);
    if (!*arg) {
        err_set("--%s needs a value (%s)", opt->name, opt->arg);
        return -1;
    }
    *field = arg;
    return 0;
}

static int set_flag(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    (void)arg;
    *(bool *)((char *)o + opt->action) = true;
    return 0;
}

/* --shard I/N, 1-based, as GitLab numbers its parallel jobs (CI_NODE_INDEX); or
 * --shard auto: the CI engine's variables, read once the whole line is (check()). */
static int set_shard(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    unsigned i, n;
    char end;
    o->shard_auto = !strcmp(arg, "auto");
    if (o->shard_auto)
        return 0;
    if (sscanf(arg, "%u/%u%c", &i, &n, &end) != 2 || n < 1 || i < 1 || i > n) {
        err_set("--%s wants I/N with 1 <= I <= N (e.g. 2/4) or auto, got '%s'", opt->name,
                arg);
        return -1;
    }
    o->shard_index = i;
    o->shard_count = n;
    return 0;
}

static int set_shard_total(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (*end || end == arg || n < 1 || n > 1000000) {
        err_set("--%s wants a number of shards >= 1, got '%s'", opt->name, arg);
        return -1;
    }
    o->shard_total = (unsigned)n;
    return 0;
}

static int set_shard_by(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    if (strcmp(arg, "name") && strcmp(arg, "time")) {
        err_set("--%s wants one of %s, got '%s'", opt->name, opt->arg, arg);
        return -1;
    }
    o->shard_by = !strcmp(arg, "time") ? RUN_SHARD_BY_TIME : RUN_SHARD_BY_NAME;
    return 0;
}

static int set_jobs(struct run_opts *o, const struct run_opt *opt, const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (*end || end == arg || n < 1 || n > 256) {
        err_set("--%s wants a number of parallel tests from 1 to 256, got '%s'",
                opt->name, arg);
        return -1;
    }
    o->jobs = n;
    return 0;
}

#define FIELD(m) ((int)offsetof(struct run_opts, m))

static const struct run_opt opts[] = {
    { "config", "FILE", "the Cartesian config to read", set_config, 0 },
    { "vt-config", "FILE", "avocado-vt's spelling of --config", set_config, 0 },
    { "only", "F", "keep cases matching F; one 'only' per word of F",
      set_only, 0 },
    { "vt-only-filter", "F", "avocado-vt's spelling of --only", set_only, 0 },
    { "no", "F", "drop cases matching F; one 'no' per word of F",
      set_no, 0 },
    { "vt-no-filter", "F", "avocado-vt's spelling of --no", set_no, 0 },
    { "set", "STATEMENT", "append STATEMENT verbatim ('mem = 2048', any operator)",
      set_stmt, 0 },
    { "vt-extra-params", "K=V", "append 'K = V' (avocado-vt's extra params)",
      set_extra, 0 },
    { "list", NULL, "print one case name per line", set_action, RUN_ACTION_LIST },
    { "short", NULL, "with --list: print shortnames instead of names", set_short, 0 },
    { "count", NULL, "print the number of cases", set_action, RUN_ACTION_COUNT },
    { "dump", NULL, "print every case's params in the canonical dump",
      set_action, RUN_ACTION_DUMP },
    { "explain", "NAME", "show what made case NAME (or shortname), FILE:LINE each",
      set_explain, RUN_ACTION_EXPLAIN },
    { "json", NULL, "with --explain: write JSON", set_flag, FIELD(json) },
    { "defaults", NULL, "defaults mode: only the default item of each block",
      set_defaults, 0 },
    { "expand", "NAMES", "defaults mode, blocks NAMES (a,b) fully expanded", set_expand, 0 },
    { "settings", "FILE", "settings read after the standard ones (vtrun config)", set_str, FIELD(settings) },
    { "backend", "NAME", "backend, libvirt or qemu (over the case's vm_type)",
      set_str, FIELD(backend) },
    { "shard", "I/N|auto", "run or list shard I of N (auto: from the CI engine's variables)",
      set_shard, 0 },
    { "shard-total", "N", "with --shard auto: N shards (Kubernetes' indexed Jobs)",
      set_shard_total, 0 },
    { "shard-by", "name|time", "split by a hash of the names, or by past durations",
      set_shard_by, 0 },
    { "jobs", "N", "run N cases in parallel (default: settings, 1)",
      set_jobs, 0 },
    { "dry-run", NULL, "each case: RUN, CANCEL or ERROR and why, its params; touch nothing",
      set_flag, FIELD(dry_run) },
    { "failfast", NULL, "stop after the first test that does not pass", set_flag,
      FIELD(failfast) },
    { "rerun-failed", "JOB", "rerun what did not pass in JOB (SKIP included)",
      set_str, FIELD(rerun_failed) },
    { "job-results-dir", "DIR", "write the job under DIR (over the settings' results_dir)",
      set_str, FIELD(results_dir) },
    { "full-names", NULL, "report tests by their Cartesian name, not avocado-vt's",
      set_flag, FIELD(full_names) },
    { "allow-empty", NULL, "exit 0 even when no case ran (all CANCEL/SKIP)",
      set_flag, FIELD(allow_empty) },
    { "keep-leftovers", NULL, "report what dead vtrun jobs left (their ledgers) and "
      "avoid it, instead of removing it", set_flag, FIELD(keep_leftovers) },
    { "junit-params", "relevant|all", "JUnit properties: the params that matter, or all",
      set_choice, FIELD(junit_params) },
    { "junit-flavour", "full|strict", "results.xml for openQA/GitLab, or strict xunit",
      set_choice, FIELD(junit_flavour) },
    { "list-types", NULL, "print the test types and their params", set_stop,
      RUN_ACTION_LIST_TYPES },
    { "help", NULL, "print this help and exit", set_stop, RUN_ACTION_HELP },
    { "version", NULL, "print the version and exit", set_stop, RUN_ACTION_VERSION },
};

static const struct run_opt *lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
        if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
            return &opts[i];
    return NULL;
}

/* Optimal string alignment distance (a transposition counts one edit, as typos do). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d;
    size_t *prev2 = xcalloc(lb + 1, sizeof(size_t)), *prev = xcalloc(lb + 1, sizeof(size_t));
    size_t *cur = xcalloc(lb + 1, sizeof(size_t));
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1], v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    d = prev[lb];
    free(prev2);
    free(prev);
    free(cur);
    return d;
}

const char *run_opts_closest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(word);
    for (size_t i = 0; candidates[i]; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best && best_d <= 2 && best_d * 3 < len ? best : NULL;
}

static void unknown_option(const char *name, size_t len)
{
    const char *names[ARRAY_SIZE(opts) + 1];
    char *word = xstrndup(name, len);
    const char *close;
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
        names[i] = opts[i].name;
    names[ARRAY_SIZE(opts)] = NULL;
    close = run_opts_closest(word, names);
    if (close)
        err_set("unknown option '--%s'; did you mean '--%s'?", word, close);
    else if (!strncmp(word, "vt-", 3))
        err_set("unknown option '--%s' (of avocado-vt's options vtrun takes --vt-config, "
                "--vt-only-filter, --vt-no-filter and --vt-extra-params)", word);
    else
        err_set("unknown option '--%s'", word);
    free(word);
}

/* avocado's test references: "only a, b" keeps the cases matching any of them, as
 * avocado-vt resolves each reference into the cases it names. */
static void add_ref(struct run_opts *o, const char *ref)
{
    char *old = o->refs;
    o->refs = old ? xasprintf("%s, %s", old, ref) : xasprintf("only %s", ref);
    free(old);
}

/* Rules that involve several options, checked once everything is read. */
static int check(const struct run_opts *o)
{
    if (o->short_names && o->action != RUN_ACTION_LIST) {
        err_set("--short only applies to --list");
        return -1;
    }
    if (o->json && o->action != RUN_ACTION_EXPLAIN) {
        err_set("--json only applies to --explain");
        return -1;
    }
    if (o->action != RUN_ACTION_JOB && !o->config) {
        err_set("--config FILE is required");
        return -1;
    }
    if (o->shard_total && !o->shard_auto) {
        err_set("--shard-total only applies to --shard auto");
        return -1;
    }
    if (o->shard_by == RUN_SHARD_BY_TIME && !o->shard_count && !o->shard_auto) {
        err_set("--shard-by only applies with --shard");
        return -1;
    }
    if (o->shard_by == RUN_SHARD_BY_TIME && o->action != RUN_ACTION_JOB
        && o->action != RUN_ACTION_LIST && o->action != RUN_ACTION_COUNT
        && o->action != RUN_ACTION_TESTS) {
        err_set("--shard-by time applies to a job, --list, --count and `vtrun list`");
        return -1;
    }
    return 0;
}

static const char *env_get(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

/* --shard auto: I/N from the environment, once the line is read (--shard-total may
 * come after it). */
static int resolve_auto(struct run_opts *o)
{
    if (!o->shard_auto)
        return 0;
    return run_shard_detect(env_get, NULL, o->shard_total, &o->shard_index,
                            &o->shard_count, &o->shard_said);
}

int run_opts_parse(struct run_opts *o, int argc, char **argv, enum run_sub sub)
{
    *o = (struct run_opts){ .argv = argv, .argc = argc };
    if (sub == RUN_SUB_LIST)
        o->action = RUN_ACTION_TESTS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h"))
            a = "--help";
        else if (!strcmp(a, "-V"))
            a = "--version";
        if (sub != RUN_SUB_NONE && a[0] && a[0] != '-') {
            add_ref(o, a);
            continue;
        }
        if (strncmp(a, "--", 2) || !a[2]) {
            err_set("unexpected argument '%s'", a);
            return -1;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct run_opt *opt = lookup(name, len);
        if (!opt) {
            unknown_option(name, len);
            return -1;
        }
        const char *arg = NULL;
        if (opt->arg) {
            if (eq)
                arg = eq + 1;
            else if (i + 1 < argc)
                arg = argv[++i];
            else {
                err_set("option --%s needs an argument (%s)", opt->name, opt->arg);
                return -1;
            }
        } else if (eq) {
            err_set("option --%s takes no argument", opt->name);
            return -1;
        }
        if (opt->set(o, opt, arg) < 0)
            return -1;
        if (o->action == RUN_ACTION_HELP || o->action == RUN_ACTION_VERSION
            || o->action == RUN_ACTION_LIST_TYPES)
            return 0;
    }
    if (o->refs)
        add_stmt(o, xstrdup(o->refs));
    return check(o) < 0 ? -1 : resolve_auto(o);
}

struct run_shard *run_opts_shard(const struct run_opts *o)
{
    return o->shard_count ? run_shard_new(o->shard_index, o->shard_count) : NULL;
}

char *run_opts_shard_text(const struct run_opts *o)
{
    return xasprintf("%u/%u%s%s%s%s", o->shard_index, o->shard_count,
                     o->shard_by == RUN_SHARD_BY_TIME ? " by time" : "",
                     o->shard_said ? " (" : "", o->shard_said ? o->shard_said : "",
                     o->shard_said ? ")" : "");
}

void run_opts_release(struct run_opts *o)
{
    for (size_t i = 0; i < o->nstmts; i++)
        free(o->stmts[i]);
    free(o->stmts);
    for (size_t i = 0; i < o->nexpand; i++)
        free(o->expand[i]);
    free(o->expand);
    free(o->refs);
    free(o->shard_said);
    if (o->only_names) {
        for (size_t i = 0; o->only_names[i]; i++)
            free(o->only_names[i]);
        free(o->only_names);
    }
    *o = (struct run_opts){ 0 };
}

void run_opts_help(FILE *out)
{
    fputs("usage: vtrun --config FILE [--only F]... [--no F]... [--set STATEMENT]...\n"
          "             (--list [--short] | --count | --dump | --explain NAME [--json])\n"
          "             [--defaults] [--expand NAMES]\n"
          "       vtrun --config FILE [--only F]... [--no F]... [--set STATEMENT]...\n"
          "             [--settings FILE] [--shard I/N|auto [--shard-total N]]\n"
          "             [--shard-by name|time] [--jobs N] [--dry-run] [--failfast]\n"
          "             [--rerun-failed JOB] [--backend NAME] [--job-results-dir DIR]\n"
          "             [--full-names] [--allow-empty] [--junit-params relevant|all]\n"
          "             [--junit-flavour full|strict] [--keep-leftovers]\n"
          "       vtrun run [OPTIONS] [REF]...       (avocado's spelling of a job)\n"
          "       vtrun list [OPTIONS] [REF]...      (the test names a job would report)\n"
          "       vtrun --list-types\n"
          "       vtrun merge DIR... --out DIR [--junit-flavour full|strict] [--history FILE]\n"
          "       vtrun jobs list [--json] [H]        vtrun jobs show JOB [--json] [H]\n"
          "       vtrun diff JOB_A JOB_B [--json] [H] vtrun replay JOB [H]\n"
          "       vtrun history NAME [--limit N] [--json] [H]\n"
          "       vtrun flaky [--last N] [--json] [H]\n"
          "             H: [--settings FILE] [--job-results-dir DIR] [--history FILE]\n"
          "       vtrun config [--settings FILE]\n"
          "       vtrun cfg-dump CFG [STATEMENT]...\n"
          "       vtrun --help | --version | -V\n"
          "\n"
          "Expands an avocado-vt Cartesian config into test cases; --only, --no and --set\n"
          "apply after the file, in command-line order.  Without --list, --count, --dump or\n"
          "--explain the selected cases are run.  Tests are named as avocado-vt names them\n"
          "(the subtests.cfg part of the name, else the shortname).  A REF (avocado's test\n"
          "reference) keeps the cases matching it: all REFs as one 'only REF1, REF2'.\n"
          "cfg-dump prints the dump of CFG with STATEMENTs appended (CC_DEFAULTS=1 and\n"
          "CC_EXPAND=a,b select defaults mode).\n"
          "--explain NAME prints, for each case named NAME (as --list prints it, or its\n"
          "shortname), the variant items of its path with their 'variants' lines, every\n"
          "only/no it passed, every condition on its path and whether it applied, and\n"
          "each param as --dump prints it followed by every statement that touched it,\n"
          "in order, with the value after it -- FILE:LINE for each.  A case the filters\n"
          "drop is explained too: which only/no at which FILE:LINE drops it.\n"
          "--shard I/N: a case's shard is a hash of its name (adding or removing a variant\n"
          "moves only its cases); auto reads GitLab's CI_NODE_INDEX/CI_NODE_TOTAL,\n"
          "Kubernetes' JOB_COMPLETION_INDEX (with --shard-total N or VTRUN_SHARD_TOTAL),\n"
          "Buildkite's BUILDKITE_PARALLEL_JOB/_COUNT, CircleCI's CIRCLE_NODE_INDEX/_TOTAL.\n"
          "--shard-by time balances the shards' durations from the history.\n"
          "Every job is recorded in the history (settings `history`, default\n"
          "<results_dir>/history.sqlite).  A JOB is a job id or its prefix, a job\n"
          "directory (or its results.json), `latest` or `latest~N` (N jobs before it);\n"
          "diff exits 0 when both jobs have the same cases with the same statuses, 1 when\n"
          "they differ.\n"
          "\n"
          "options:\n", out);
    int w = 0;
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
        int n = (int)strlen(opts[i].name) + (opts[i].arg ? 1 + (int)strlen(opts[i].arg) : 0);
        if (n > w)
            w = n;
    }
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, opts[i].name);
        if (opts[i].arg)
            strbuf_addf(&sb, " %s", opts[i].arg);
        fprintf(out, "  --%-*s  %s\n", w, sb.buf, opts[i].help);
        strbuf_release(&sb);
    }
    fputs("\nexit status of a listing: 0 success, 2 usage or config error, 130 interrupted;\n"
          "of --explain: 0 explained, 1 the filters drop the case, 2 no such case or error;\n"
          "of a job, avocado's bits OR'ed: 1 a test did not pass, 2 job error (config,\n"
          "settings, or no case ran: all CANCEL/SKIP, unless --allow-empty), 4 crash,\n"
          "8 interrupted\n", out);
}

const char *run_opts_version(void)
{
    return VTRUN_VERSION;
}
