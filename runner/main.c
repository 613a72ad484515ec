/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtrun: entry point.  A first argument naming a sub-command (table below) hands the
 * rest of the command line to it; anything else is the main command line
 * (runner/run_opts.c), which lists cases or runs a job.
 */
#include "runner/run.h"
#include "runner/run_cfgdump.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);     /* argv[0] is the sub-command's name */
} commands[] = {
    { "cfg-dump", run_cfg_dump },
    { NULL, NULL },
};

int main(int argc, char **argv)
{
    struct run_opts o;
    int rc;

    for (size_t i = 0; argc > 1 && commands[i].name; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].main(argc - 1, argv + 1);
    if (argc < 2) {
        run_opts_help(stderr);
        return RUN_EXIT_USAGE;
    }
    if (run_opts_parse(&o, argc, argv) < 0) {
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
        rc = run_list(&o);
        break;
    default:
        rc = run_job(&o);
        break;
    }
cleanup:
    run_opts_release(&o);
    return rc;
}
