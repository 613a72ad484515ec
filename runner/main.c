/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vtrun: entry point.  Placeholder until the command line lands. */
#include <stdio.h>
#include <string.h>

#include "runner/run_cfgdump.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "cfg-dump") == 0)
        return run_cfg_dump(argc - 1, argv + 1);
    fprintf(stderr, "vtrun: not implemented yet\n");
    return 2;
}
