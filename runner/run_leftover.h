/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_leftover: what a running job has created outside its results directory
 * (domains on hosts, image clones, processes), so that when the user chooses to skip
 * cleanup (a second SIGINT) vtrun can print exactly what was left behind and how to
 * remove it.  Modules register a resource when they create it and drop it when they
 * removed it.  Thread-safe.
 */
#ifndef VTRUN_RUN_LEFTOVER_H
#define VTRUN_RUN_LEFTOVER_H

#include <stdio.h>

/* what: "domain vm1-3f2a on qemu+unix:///...", how: "virsh -c URI destroy vm1-3f2a".
 * Returns a handle for run_leftover_drop() (0 never is one). */
unsigned long run_leftover_add(const char *what, const char *how);
void run_leftover_drop(unsigned long handle);
/* Print every registered resource with its removal hint; returns their number. */
unsigned run_leftover_print(FILE *out);

#endif
