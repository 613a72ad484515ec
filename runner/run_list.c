/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Listing actions of vtrun: --list [--short], --count and --dump.  Cases stream from
 * the engine straight to stdout; nothing is kept per case.
 *
 * Output goes through one buffer that only ever holds whole records and is written
 * with write(2) when it fills, so an interrupted or failed listing never leaves half a
 * line or half a case on stdout.  SIGINT sets cfg_cancel (the engine then stops even
 * inside a huge product with no surviving case) and the listing ends with status 130;
 * a second SIGINT kills the process the default way.
 *
 * --shard I/N applies here as in a job (the k-th case, k from 0, is shard k mod N + 1),
 * so `--list --shard I/N` shows exactly what that shard's job runs.
 */
#include "runner/run.h"
#include "cfg/cfg.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLUSH_AT (64 * 1024)

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

/* Write the whole buffer out (whole records only, so finishing it on SIGINT is right:
 * a second SIGINT kills us if the reader is stuck).  0, or -1 with err_msg(). */
static int flush(struct strbuf *out)
{
    size_t off = 0;
    while (off < out->len) {
        ssize_t n = write(STDOUT_FILENO, out->buf + off, out->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set("vtrun: writing the listing: %s", strerror(errno));
            strbuf_reset(out);
            return -1;
        }
        off += (size_t)n;
    }
    strbuf_reset(out);
    return 0;
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

static int count(const struct run_opts *o, const struct cfg *c)
{
    long long n = cfg_count(c);
    if (n < 0)
        return status_of_failure();
    if (o->shard_count)     /* k = I-1, I-1+N, ... below n */
        n = n >= o->shard_index ? (n - o->shard_index) / o->shard_count + 1 : 0;
    printf("%lld\n", n);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "vtrun: writing the count: %s\n", strerror(errno));
        return RUN_EXIT_USAGE;
    }
    return RUN_EXIT_OK;
}

/* The whole listing, in order, expanded on every CPU (cfg_emit). */
static int emit(const struct run_opts *o, const struct cfg *c)
{
    enum cfg_emit_what what = o->action == RUN_ACTION_DUMP ? CFG_EMIT_DUMP :
                              o->short_names ? CFG_EMIT_SHORTNAME : CFG_EMIT_NAME;
    int r = cfg_emit(c, what, run_list_threads(), STDOUT_FILENO);
    if (r == -2)
        err_prefix("vtrun: ");
    return r < 0 ? status_of_failure() : RUN_EXIT_OK;
}

/* One shard's cases: the case index decides, so one walker in this thread. */
static int stream(const struct run_opts *o, const struct cfg *c)
{
    struct strbuf out = STRBUF_INIT;
    bool dump = o->action == RUN_ACTION_DUMP;
    struct cfg_iter *it = dump ? cfg_iter_new(c) : cfg_iter_new_names(c);
    const struct cfg_case *k;
    long long gen = 0;
    int r;

    strbuf_grow(&out, FLUSH_AT + 4096);
    while ((r = cfg_iter_next(it, &k)) == 1) {
        if (!run_opts_in_shard(o, (unsigned long long)gen++))
            continue;
        if (dump)
            cfg_case_dump(k, &out);
        else {
            strbuf_addstr(&out, o->short_names ? cfg_case_shortname(k) : cfg_case_name(k));
            strbuf_addch(&out, '\n');
        }
        if (out.len >= FLUSH_AT && flush(&out) < 0) {
            r = -1;
            break;
        }
    }
    /* Cases produced before an expansion error stay on stdout, as with the
     * reference; the error follows on stderr. */
    if (r == 0 && flush(&out) < 0)
        r = -1;
    else if (r < 0 && !cfg_cancel)
        flush(&out);
    int rc = r < 0 ? status_of_failure() : RUN_EXIT_OK;
    cfg_iter_free(it);
    strbuf_release(&out);
    return rc;
}

int run_list(const struct run_opts *o)
{
    struct cfg_opts co = {
        .defaults = o->defaults,
        .expand_defaults = (const char *const *)o->expand,
    };
    catch_sigint();
    struct cfg *c = cfg_parse(o->config, (const char *const *)o->stmts, o->nstmts, &co);
    if (!c)
        return status_of_failure();
    int rc = o->action == RUN_ACTION_COUNT ? count(o, c) :
             o->shard_count ? stream(o, c) : emit(o, c);
    cfg_free(c);
    return rc;
}
