/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runner/run_cfgdump.h"
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "lib/err.h"
#include "lib/strbuf.h"

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

/* Write and empty SB; false on a write error (closed pipe...). */
static int flush_out(struct strbuf *sb)
{
    size_t off = 0;
    while (off < sb->len) {
        ssize_t w = write(STDOUT_FILENO, sb->buf + off, sb->len - off);
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    strbuf_reset(sb);
    return 0;
}

int run_cfg_dump(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: vtrun cfg-dump CFG [STATEMENT]...\n");
        return 2;
    }
    struct cfg_opts o = { 0 };
    const char *dflt = getenv("CC_DEFAULTS");
    o.defaults = dflt && *dflt && strcmp(dflt, "0") != 0;
    char *exp = NULL;
    const char **ev = NULL;
    const char *e = getenv("CC_EXPAND");
    if (e && *e) {
        /* like the reference's -e: only meaningful together with defaults mode */
        exp = xstrdup(e);
        size_t n = 1;
        for (char *p = exp; *p; p++)
            n += *p == ',';
        ev = xcalloc(n + 1, sizeof(*ev));
        size_t k = 0;
        for (char *tok = strtok(exp, ","); tok; tok = strtok(NULL, ","))
            ev[k++] = tok;
        o.expand_defaults = ev;
    }
    /* debugging aid: expand without any pruning shortcut (differential tests) */
    const char *np = getenv("VTRUN_CFG_NOPRUNE");
    cfg_debug_noprune = np && *np && strcmp(np, "0") != 0;
    signal(SIGINT, on_sigint);
    signal(SIGPIPE, SIG_IGN);
    int rc = 0;
    struct cfg *c = cfg_parse(argv[1], (const char *const *)argv + 2, (size_t)(argc - 2), &o);
    if (!c) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        rc = 2;
        goto out;
    }
    struct cfg_iter *it = cfg_iter_new(c);
    struct strbuf sb = STRBUF_INIT;
    strbuf_grow(&sb, 1 << 20);
    const struct cfg_case *k;
    int r;
    while ((r = cfg_iter_next(it, &k)) == 1) {
        cfg_case_dump(k, &sb);
        if (sb.len >= (1 << 20) && flush_out(&sb) < 0) {
            r = 0;
            rc = 1;
            break;
        }
    }
    if (flush_out(&sb) < 0)
        rc = 1;
    if (r < 0) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        rc = 2;
    }
    strbuf_release(&sb);
    cfg_iter_free(it);
    cfg_free(c);
out:
    free(ev);
    free(exp);
    return rc;
}
