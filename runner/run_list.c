/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Listing actions of vtrun: --list [--short], --count, --dump, --explain, and `vtrun
 * list` (the test names a job reports: avocado-vt's, runner/run_name.h).  Cases stream
 * from the engine straight to stdout; nothing is kept per case (--explain keeps its one
 * case's explanation and writes it at the end).
 *
 * cfg_emit() writes whole records only, so an interrupted or failed listing never
 * leaves half a line or half a case on stdout.  SIGINT sets cfg_cancel (the engine then stops even
 * inside a huge product with no surviving case) and the listing ends with status 130;
 * a second SIGINT kills the process the default way.
 *
 * --shard applies here as in a job (runner/run_shard.h, handed to cfg_emit() as the
 * cases to keep), so `--list --shard I/N` shows exactly what that shard's job runs.
 * --shard-by time needs the history (SQLite): only vtrun-full lists with it (PLAN).
 */
#include "runner/run.h"
#include "cfg/cfg.h"
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_name.h"
#include "runner/run_shard.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_sigint(int sig)
{
    (void)sig;
    cfg_cancel = 1;
}

static void catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;     /* no SA_RESTART: a blocked write returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

static int status_of_failure(void)
{
    if (cfg_cancel) {
        fputs("vtrun: interrupted\n", stderr);
        return RUN_EXIT_INTERRUPTED;
    }
    fprintf(stderr, "%s\n", err_msg());
    return RUN_EXIT_USAGE;
}

int run_list_threads(void)
{
    const char *s = getenv("VTRUN_THREADS");
    return s && *s ? atoi(s) : 0;
}

/* The cases of shard S, counted by name (names-only expansion). */
static long long count_shard(const struct cfg *c, struct run_shard *s)
{
    struct cfg_iter *it = cfg_iter_new_names(c);
    const struct cfg_case *k;
    long long n = 0;
    int r;
    while ((r = cfg_iter_next(it, &k)) == 1) {
        const char *name = cfg_case_name(k);
        n += run_shard_keep(s, name, strlen(name));
    }
    cfg_iter_free(it);
    return r < 0 ? -1 : n;
}

static int count(const struct cfg *c, struct run_shard *s)
{
    long long n = s ? count_shard(c, s) : cfg_count(c);
    if (n < 0)
        return status_of_failure();
    printf("%lld\n", n);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "vtrun: writing the count: %s\n", strerror(errno));
        return RUN_EXIT_USAGE;
    }
    return RUN_EXIT_OK;
}

static bool in_shard(void *s, unsigned long long k, const char *name, size_t len)
{
    (void)k;
    return run_shard_keep(s, name, len);
}

/* The listing or dump, in order (cfg_emit: a dump expands in two threads). */
static int emit(const struct run_opts *o, const struct cfg *c, struct run_shard *s)
{
    enum cfg_emit_what what = o->action == RUN_ACTION_DUMP ? CFG_EMIT_DUMP :
                              o->short_names ? CFG_EMIT_SHORTNAME : CFG_EMIT_NAME;
    struct cfg_emit_opts eo = {
        .threads = run_list_threads(),
        .keep = s ? in_shard : NULL,
        .ctx = s,
    };
    int r = cfg_emit(c, what, &eo, STDOUT_FILENO);
    if (r == -2)
        err_prefix("vtrun: ");
    return r < 0 ? status_of_failure() : RUN_EXIT_OK;
}

/* --explain NAME: cfg_explain() parses the config itself, for this alone. */
static int explain(const struct run_opts *o, const struct cfg_opts *co)
{
    struct strbuf out = STRBUF_INIT;
    int r = cfg_explain(o->config, (const char *const *)o->stmts, o->nstmts, co, o->explain,
                        o->json ? CFG_EXPLAIN_JSON : 0, &out);
    int rc = r < 0 ? status_of_failure() : r ? RUN_EXIT_NOT_LISTED : RUN_EXIT_OK;
    if (r >= 0 && (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout) != 0)) {
        fprintf(stderr, "vtrun: writing the explanation: %s\n", strerror(errno));
        rc = RUN_EXIT_USAGE;
    }
    strbuf_release(&out);
    return rc;
}

/* Whole lines only, so an interrupted listing ends at a line's end. */
static int write_lines(struct strbuf *sb)
{
    size_t off = 0;
    while (off < sb->len) {
        ssize_t n = write(STDOUT_FILENO, sb->buf + off, sb->len - off);
        if (n < 0 && errno == EINTR && !cfg_cancel)
            continue;
        if (n < 0) {
            err_set("vtrun: writing the list: %s", strerror(errno));
            return -1;
        }
        off += (size_t)n;
    }
    strbuf_reset(sb);
    return 0;
}

/* `vtrun list`: the names of avocado-vt's rule need the case's params (its
 * _short_name_map_file), so the cases are expanded fully. */
static int test_names(const struct run_opts *o, const struct cfg *c, struct run_shard *s)
{
    struct cfg_iter *it = cfg_iter_new(c);
    const struct cfg_case *k;
    struct strbuf sb = STRBUF_INIT;
    char *stem = run_name_stem(o->config);
    int r, rc = RUN_EXIT_OK;
    while ((r = cfg_iter_next(it, &k)) == 1) {
        struct params *p;
        char *name;
        const char *cname = cfg_case_name(k);
        if (s && !run_shard_keep(s, cname, strlen(cname)))
            continue;
        p = o->full_names ? NULL : cfg_case_params(k);
        name = run_name_case(p, cfg_case_name(k), cfg_case_shortname(k), o->full_names,
                             stem);
        strbuf_addf(&sb, "%s\n", name);
        free(name);
        params_free(p);
        if (sb.len >= 65536 && write_lines(&sb) < 0) {
            r = -2;
            break;
        }
    }
    if (r == 0 && write_lines(&sb) < 0)
        r = -2;
    if (r < 0)
        rc = status_of_failure();
    cfg_iter_free(it);
    strbuf_release(&sb);
    free(stem);
    return rc;
}

/* The shard's selection (NULL: not sharded), planned by time with PLAN; what an
 * automatic or timed shard is, on stderr (stdout is the listing). */
static int shard_for(const struct run_opts *o, const struct cfg *c, run_shard_planner plan,
                     struct run_shard **out)
{
    char *text, *said = NULL;
    *out = run_opts_shard(o);
    if (!*out)
        return 0;
    if (o->shard_by == RUN_SHARD_BY_TIME) {
        if (!plan)
            err_set("--shard-by time needs the history (vtrun-full)");
        if (!plan || plan(o, c, *out, &said) < 0) {
            err_prefix("vtrun: ");
            return -1;
        }
    }
    if (said || o->shard_said) {
        text = run_opts_shard_text(o);
        fprintf(stderr, "vtrun: shard %s%s%s\n", text, said ? ": " : "", said ? said : "");
        free(text);
    }
    free(said);
    return 0;
}

int run_list(const struct run_opts *o, run_shard_planner plan)
{
    struct cfg_opts co = {
        .defaults = o->defaults,
        .expand_defaults = (const char *const *)o->expand,
    };
    struct run_shard *s = NULL;
    int rc;
    catch_sigint();
    if (o->action == RUN_ACTION_EXPLAIN)
        return explain(o, &co);
    struct cfg *c = cfg_parse(o->config, (const char *const *)o->stmts, o->nstmts, &co);
    if (!c)
        return status_of_failure();
    if (shard_for(o, c, plan, &s) < 0)
        rc = status_of_failure();
    else
        rc = o->action == RUN_ACTION_COUNT ? count(c, s)
             : o->action == RUN_ACTION_TESTS ? test_names(o, c, s) : emit(o, c, s);
    run_shard_free(s);
    cfg_free(c);
    return rc;
}
