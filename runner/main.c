/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vtrun: entry point.  Placeholder until the command line lands. */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "vtrun: not implemented yet\n");
    return 2;
}
