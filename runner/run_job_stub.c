/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placeholder for the job runner: the command line already selects it, so the
 * listing options can be used and tested before tests can be run. */
#include "runner/run.h"

#include <stdio.h>

int run_job(const struct run_opts *o)
{
    (void)o;
    fprintf(stderr, "vtrun: running tests is not implemented yet "
                    "(use --list, --count or --dump)\n");
    return 2;
}
