/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * build/vtrun-full: every vtrun action, linked with every library.  The front
 * (build/vtrun) execs it with the user's argv for jobs, the sub-commands that need
 * results, settings or the history, --list-types and --shard-by time; run directly it
 * behaves exactly like vtrun.
 */
#include "runner/run.h"
#include "runner/run_main.h"
#include "lib/forkstuck.h"

#include <signal.h>
#include <string.h>

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} commands[] = {
    { "merge", run_cmd_merge },
    { "config", run_cmd_config },
    { "jobs", run_cmd_jobs },
    { "diff", run_cmd_diff },
    { "replay", run_cmd_replay },
    { "history", run_cmd_history },
    { "flaky", run_cmd_flaky },
};

static int command(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[0], commands[i].name))
            return commands[i].main(argc, argv);
    return RUN_EXIT_USAGE;      /* run_main() knows no other names */
}

static const struct run_full full = {
    .job = run_job,
    .list_types = run_list_types,
    .command = command,
    .plan_shards = run_hist_plan,
};

int main(int argc, char **argv)
{
    /* A write to a peer that went away is an error to handle (EPIPE), never the end
     * of the job: libvirt's qemu+ssh connections write into an ssh child that exits
     * when the remote daemon restarts, and that SIGPIPE killed vtrun (exit 141, no
     * results; test_faults daemon_restarted).  virsh ignores it the same way; the
     * programs vtrun starts get the default back (lib/spawn.c). */
    signal(SIGPIPE, SIG_IGN);
    int rc = run_main(argc, argv, &full);
    /* A child still this executable a second on is stuck before its exec (libvirt's
     * hung open left it, lib/forkstuck.h): it must not outlive the job. */
    forkstuck_kill(1.0);
    return rc;
}
