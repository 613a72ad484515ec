/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run: the runner's public API — the vtrun command line (struct run_opts) and the
 * actions it selects: listing the cases of a config and running a job.
 */
#ifndef VTRUN_RUN_H
#define VTRUN_RUN_H

#include "runner/run_opts.h"

/* List the cases of o->config (--list, --count, --dump) on stdout.  Returns the
 * process exit status: 0, 2 for a config or I/O error (message already printed on
 * stderr), 130 when interrupted by SIGINT. */
int run_list(const struct run_opts *o);

/* Run the selected cases as a job.  Returns the process exit status. */
int run_job(const struct run_opts *o);

#endif
