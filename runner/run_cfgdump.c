/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runner/run_cfgdump.h"
#include "runner/run.h"
#include "cfg/cfg.h"
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
    /* a write error (closed pipe...) exits 1, an expansion error 2 */
    struct cfg_emit_opts eo = { .threads = run_list_threads() };
    int r = cfg_emit(c, CFG_EMIT_DUMP, &eo, STDOUT_FILENO);
    if (r == -1) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        rc = 2;
    } else if (r == -2)
        rc = 1;
    cfg_free(c);
out:
    free(ev);
    free(exp);
    return rc;
}
