/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_main: the vtrun command line as two binaries, the way git dispatches to its
 * helpers.  build/vtrun (runner/main.c) is the lean front: it links only cfg/, lib/,
 * the option table and the listing code, so PCRE2 and libc are the only shared
 * libraries it loads.  build/vtrun-full (runner/main_full.c) links everything (libvirt,
 * libssh, libxml2, libconfig, jansson) and runs every action.  Both read the command
 * line with run_main(); the front hands what it cannot do to vtrun-full with execv()
 * and the same argv, so the pid, argv[0], signals and the exit status are those of
 * the one process the user started.
 */
#ifndef VTRUN_RUN_MAIN_H
#define VTRUN_RUN_MAIN_H

#include <stdio.h>

#include "runner/run.h"
#include "runner/run_opts.h"

/* The name of the full binary, looked up in the directory of the running executable. */
#define RUN_FULL_NAME "vtrun-full"

/* The actions that need the heavy libraries; only vtrun-full fills this. */
struct run_full {
    int (*job)(const struct run_opts *o);       /* no listing option: run a job */
    void (*list_types)(FILE *out);              /* --list-types */
    /* vtrun merge, config, jobs, diff, replay, history, flaky (argv[0] names it) */
    int (*command)(int argc, char **argv);
    run_shard_planner plan_shards;              /* --shard-by time (listings) */
};

/* Run the command line ARGV and return the process exit status.  FULL is NULL in the
 * front: then the actions of struct run_full are handed to vtrun-full (run_exec_full),
 * everything else (--help, --version, usage errors, --list, --count, --dump, cfg-dump)
 * is done here. */
int run_main(int argc, char **argv, const struct run_full *full);

/* Replace this process by RUN_FULL_NAME from the directory of /proc/self/exe, with
 * ARGV unchanged.  Returns only on failure, after printing one line naming the path:
 * RUN_EXIT_USAGE (2, also avocado's "job error" bit). */
int run_exec_full(char **argv);

#endif
