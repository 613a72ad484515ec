/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vtrun command line: a first argument naming a sub-command (table below) hands
 * the rest of the line to it; anything else is the main command line
 * (runner/run_opts.c), which lists cases or runs a job.  Shared by the lean front and
 * vtrun-full (runner/run_main.h); this file must not reference anything heavier than
 * cfg/ and lib/, or the front would link it.
 */
#include "runner/run_main.h"
#include "runner/run.h"
#include "runner/run_cfgdump.h"
#include "runner/run_shard.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The sub-commands.  MAIN runs in the front; the others need vtrun-full's libraries
 * (results, SQLite, libconfig) and are handed to it (struct run_full's command). */
static const struct {
    const char *name;
    int (*main)(int argc, char **argv);     /* argv[0] is the sub-command's name */
} commands[] = {
    { "cfg-dump", run_cfg_dump },
    { "merge", NULL },
    { "config", NULL },
    { "jobs", NULL },
    { "diff", NULL },
    { "replay", NULL },
    { "history", NULL },
    { "flaky", NULL },
};

static int run_command(size_t i, int argc, char **argv, const struct run_full *full)
{
    if (commands[i].main)
        return commands[i].main(argc - 1, argv + 1);
    return full ? full->command(argc - 1, argv + 1) : run_exec_full(argv);
}

/* avocado's sub-commands: the main command line after them, plus test references. */
static const struct {
    const char *name;
    enum run_sub sub;
} avocado_subs[] = {
    { "run", RUN_SUB_RUN },
    { "list", RUN_SUB_LIST },
};

/* A first word that is no command: name the closest one if it looks like a typo. */
static int unknown_command(const char *word)
{
    const char *names[ARRAY_SIZE(commands) + ARRAY_SIZE(avocado_subs) + 1];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        names[n++] = commands[i].name;
    for (size_t i = 0; i < ARRAY_SIZE(avocado_subs); i++)
        names[n++] = avocado_subs[i].name;
    names[n] = NULL;
    const char *close = run_opts_closest(word, names);
    if (close)
        fprintf(stderr, "vtrun: unknown command '%s'; did you mean '%s'?\n", word, close);
    else
        fprintf(stderr, "vtrun: unexpected argument '%s'\n", word);
    fputs("Try 'vtrun --help'.\n", stderr);
    return RUN_EXIT_USAGE;
}

int run_main(int argc, char **argv, const struct run_full *full)
{
    struct run_opts o;
    enum run_sub sub = RUN_SUB_NONE;
    int rc;

    for (size_t i = 0; argc > 1 && i < ARRAY_SIZE(commands); i++)
        if (!strcmp(argv[1], commands[i].name))
            return run_command(i, argc, argv, full);
    if (argc < 2) {
        run_opts_help(stderr);
        return RUN_EXIT_USAGE;
    }
    for (size_t i = 0; i < ARRAY_SIZE(avocado_subs); i++)
        if (!strcmp(argv[1], avocado_subs[i].name))
            sub = avocado_subs[i].sub;
    if (sub == RUN_SUB_NONE && argv[1][0] && argv[1][0] != '-')
        return unknown_command(argv[1]);
    /* the sub-command's words are dropped: run_opts_parse reads from argv[1] */
    if (run_opts_parse(&o, sub ? argc - 1 : argc, sub ? argv + 1 : argv, sub) < 0) {
        fprintf(stderr, "vtrun: %s\nTry 'vtrun --help'.\n", err_msg());
        rc = RUN_EXIT_USAGE;
        goto cleanup;
    }
    switch (o.action) {
    case RUN_ACTION_HELP:
        run_opts_help(stdout);
        rc = RUN_EXIT_OK;
        break;
    case RUN_ACTION_VERSION:
        printf("vtrun %s\n", run_opts_version());
        rc = RUN_EXIT_OK;
        break;
    case RUN_ACTION_LIST:
    case RUN_ACTION_COUNT:
    case RUN_ACTION_DUMP:
    case RUN_ACTION_EXPLAIN:
    case RUN_ACTION_TESTS:
        /* a plan by time reads the history: SQLite is vtrun-full's */
        if (o.shard_by == RUN_SHARD_BY_TIME && !full)
            rc = run_exec_full(argv);
        else
            rc = run_list(&o, full ? full->plan_shards : NULL);
        break;
    case RUN_ACTION_LIST_TYPES:
        if (!full) {
            rc = run_exec_full(argv);
            break;
        }
        full->list_types(stdout);
        rc = RUN_EXIT_OK;
        break;
    default:
        rc = full ? full->job(&o) : run_exec_full(argv);
        break;
    }
cleanup:
    run_opts_release(&o);
    return rc;
}

int run_exec_full(char **argv)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0 || (size_t)n >= sizeof(self) - 1) {
        fprintf(stderr, "vtrun: cannot find the directory of %s: readlink /proc/self/exe: %s\n",
                RUN_FULL_NAME, n < 0 ? strerror(errno) : "path too long");
        return RUN_EXIT_USAGE;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    struct strbuf path = STRBUF_INIT;
    strbuf_addf(&path, "%.*s/%s", slash ? (int)(slash - self) : 1, slash ? self : ".",
                RUN_FULL_NAME);
    fflush(NULL);
    execv(path.buf, argv);
    fprintf(stderr, "vtrun: cannot run %s: %s (jobs, merge, config and --list-types need "
            "it; `make` builds it next to vtrun)\n", path.buf, strerror(errno));
    strbuf_release(&path);
    return RUN_EXIT_USAGE;
}
