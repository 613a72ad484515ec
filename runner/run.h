/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run: the runner's public API — the vtrun command line (struct run_opts) and the
 * actions it selects: listing the cases of a config and running a job.
 */
#ifndef VTRUN_RUN_H
#define VTRUN_RUN_H

#include <stdio.h>

#include "runner/run_opts.h"

struct cfg;
struct run_shard;
/* --shard-by time: plan shard S over the cases of C (after o's filters) from the
 * history the settings name; *SAID (heap) says what it planned, for a listing's stderr
 * or a job's header.  0, or -1 with err_msg().  Only vtrun-full has one
 * (runner/run_hist.c): it needs SQLite. */
typedef int (*run_shard_planner)(const struct run_opts *o, const struct cfg *c,
                                 struct run_shard *s, char **said);

/* List the cases of o->config (--list, --count, --dump) on stdout.  PLAN plans
 * --shard-by time (NULL in the front, which hands such listings to vtrun-full).
 * Returns the process exit status: 0, 2 for a config or I/O error (message already
 * printed on stderr), 130 when interrupted by SIGINT. */
int run_list(const struct run_opts *o, run_shard_planner plan);
/* VTRUN_THREADS: how many threads expand a dump (--dump, cfg-dump); 0 = one per CPU. */
int run_list_threads(void);

/* Run the selected cases as a job.  Returns the process exit status (avocado's bits:
 * 1 a test did not pass, 2 job error, 4 crash, 8 interrupted). */
int run_job(const struct run_opts *o);

/* Sub-commands (runner/run_cmds.c, runner/run_hist.c); argv[0] is the sub-command's
 * name. */
int run_cmd_merge(int argc, char **argv);
int run_cmd_config(int argc, char **argv);
int run_cmd_jobs(int argc, char **argv);      /* vtrun jobs list | show JOB */
int run_cmd_diff(int argc, char **argv);      /* vtrun diff JOB_A JOB_B */
int run_cmd_replay(int argc, char **argv);    /* vtrun replay JOB */
int run_cmd_history(int argc, char **argv);   /* vtrun history NAME */
int run_cmd_flaky(int argc, char **argv);     /* vtrun flaky [--last N] */

/* --shard-by time from the history (runner/run_hist.c): a run_shard_planner that reads
 * the settings (--settings, --job-results-dir of o) itself. */
int run_hist_plan(const struct run_opts *o, const struct cfg *c, struct run_shard *s,
                  char **said);
struct run_settings;
/* The same with the job's settings already read. */
int run_hist_plan_with(const struct run_settings *set, const struct run_opts *o,
                       const struct cfg *c, struct run_shard *s, char **said);
/* --rerun-failed JOB: the names of the tests of JOB (an id or its prefix, a job
 * directory or its results.json, `latest` of set's results_dir) whose status bit is in
 * MASK, as res_read_names() gives them.  NULL with err_msg(). */
char **run_hist_job_names(const struct run_settings *set, const char *job, unsigned mask);

/* A JOB (as run_hist_job_names() takes it): its job directory (heap, NULL when only
 * the history has it) and id (heap, NULL when unknown).  -1 with err_msg(). */
int run_hist_resolve(const struct run_settings *set, const char *job, char **dir,
                     char **id);

/* --list-types: the test-type table with each type's params. */
void run_list_types(FILE *out);

#endif
