/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_virsh: virsh as the tool under test (tp-libvirt's one-host command tests:
 * migrate-setspeed, migrate-compcache, migrate-setmaxdowntime ...).  Where a case
 * expects virsh's own command-line errors (a bad number, an overflow, an extra word),
 * only virsh can answer, so it is run, from an argv array, on the source host through
 * the host transport (run_host_link), never from a shell string.  Plus the one
 * status_error / err_msg rule these types share (tp-libvirt's libvirt.check_result),
 * kept local to them until the migration vocabulary's own lands.
 */
#ifndef VTRUN_RUN_VIRSH_H
#define VTRUN_RUN_VIRSH_H

#include <stdbool.h>

#include "lib/strbuf.h"
#include "runner/run_type.h"

struct run_virsh {
    int status;                 /* virsh's exit status */
    struct strbuf out, err;     /* its stdout and stderr */
};
#define RUN_VIRSH_INIT { .status = -1, .out = STRBUF_INIT, .err = STRBUF_INIT }

/* The URI virsh uses on host h: the host's own, or on a host reached over SSH that
 * host's local one (qemu+ssh://root@b/system -> qemu:///system).  Caller frees. */
char *run_virsh_uri(const struct run_ctx *ctx, int h);

/* `virsh -c URI words...` on host h (words NULL-terminated; an empty word is an empty
 * argument, as a shell's '' is).  0 when virsh ran (any exit status, in r), -1 with
 * err_msg() when it could not be run.  The command line and what it printed go to the
 * test's log. */
int run_virsh_words(struct run_ctx *ctx, int h, const char *const *words,
                    struct run_virsh *r);
void run_virsh_release(struct run_virsh *r);

/* tp-libvirt's rule for a command's result: status_error expects a non-zero exit whose
 * stderr matches err_msg (a PCRE2 pattern, searched; NULL: any error), else exit 0.
 * 0 when the result is what the case expects; else -1 with err_set(why). */
int run_virsh_expect(const char *what, const struct run_virsh *r, bool status_error,
                     const char *err_msg);

#endif
