/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * build/vtrun-full: every vtrun action, linked with every library.  The front
 * (build/vtrun) execs it with the user's argv for jobs, merge, config and --list-types;
 * run directly it behaves exactly like vtrun.
 */
#include "runner/run.h"
#include "runner/run_main.h"

static const struct run_full full = {
    .job = run_job,
    .list_types = run_list_types,
    .merge = run_cmd_merge,
    .config = run_cmd_config,
};

int main(int argc, char **argv)
{
    return run_main(argc, argv, &full);
}
