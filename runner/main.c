/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * build/vtrun: the lean front (runner/run_main.h).  Lists and dumps configs itself and
 * hands jobs, merge, config and --list-types to vtrun-full, so the config commands
 * start without loading libvirt, libssh, libxml2, libconfig or jansson.
 */
#include "runner/run_main.h"

int main(int argc, char **argv)
{
    return run_main(argc, argv, NULL);
}
