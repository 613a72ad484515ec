/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forkstuck: children of this process that forked and never exec'd.
 *
 * vtrun never runs a copy of itself: every child it forks (lib/spawn.c) or libvirt
 * forks for it (the ssh of a qemu+ssh URI) execs another program within
 * milliseconds.  A child that is still this very executable seconds later is stuck
 * between fork() and exec() -- in an AddressSanitizer build, on an allocator lock
 * another thread held when it forked (GCC 12's ASan does not lock its allocator
 * around fork).  Nobody waits for it: libvirt's open that forked it hangs, and the
 * child outlives vtrun holding copies of its descriptors.
 */
#ifndef VTRUN_LIB_FORKSTUCK_H
#define VTRUN_LIB_FORKSTUCK_H

/* SIGKILL every child of this process that runs this process's own executable and
 * has for at least older_s seconds; how many.  Never reaps (their forker does). */
int forkstuck_kill(double older_s);

#endif
