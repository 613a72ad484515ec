/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run: the runner's public API — the vtrun command line (struct run_opts) and the
 * actions it selects: listing the cases of a config and running a job.
 */
#ifndef VTRUN_RUN_H
#define VTRUN_RUN_H

#include <stdio.h>

#include "runner/run_opts.h"

/* List the cases of o->config (--list, --count, --dump) on stdout.  Returns the
 * process exit status: 0, 2 for a config or I/O error (message already printed on
 * stderr), 130 when interrupted by SIGINT. */
int run_list(const struct run_opts *o);
/* VTRUN_THREADS: how many threads expand a dump (--dump, cfg-dump); 0 = one per CPU. */
int run_list_threads(void);

/* Run the selected cases as a job.  Returns the process exit status (avocado's bits:
 * 1 a test did not pass, 2 job error, 4 crash, 8 interrupted). */
int run_job(const struct run_opts *o);

/* Sub-commands (runner/run_cmds.c); argv[0] is the sub-command's name. */
int run_cmd_merge(int argc, char **argv);
int run_cmd_config(int argc, char **argv);
/* --list-types: the test-type table with each type's params. */
void run_list_types(FILE *out);

#endif
