/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_bw: what the bandwidth-family base_steps types (migration_bandwidth_limit,
 * migration_bandwidth, migration_maxdowntime, memory_copy_mode) share:
 *
 *  - setup_connection's transports vtrun does not build for them (unix_proxy, tls):
 *    the case is an ERROR naming the param, as are actions the engine has no step for;
 *  - the state of a type that reads the source daemon's debug log and watches the
 *    events of both sides (monitor_event / check_event_output).
 */
#ifndef VTRUN_RUN_BW_H
#define VTRUN_RUN_BW_H

#include <stdbool.h>

#include "runner/run_base.h"
#include "runner/run_type.h"
#include "virt/virt.h"

struct params;

/* The first transport param naming one vtrun does not build here (*val its value),
 * or NULL. */
const char *run_bw_unbuilt_param(const struct params *p, const char **val);
/* Such a param, or an action without a step. */
bool run_bw_unbuilt_applies(const struct params *p);
/* The "not built" need's verdict for a case of type: -1 with err naming what is not
 * built, else 1. */
int run_bw_unbuilt_verdict(const char *type, const struct params *p);

/* A test's VMs, the hosts' changes (the debug log) and its event sessions. */
struct run_bw_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct virt_hostops *ops;       /* the daemon's log configuration */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
    struct run_base_events *ev_src, *ev_dst;
};
/* ctx->data set to a new state with the case's VMs: 0, or -1 with the test's ERROR. */
int run_bw_setup(struct run_ctx *ctx, const char *tag);
/* The events sessions, the guests, then the hosts' changes undone. */
void run_bw_cleanup(struct run_ctx *ctx);
/* monitor_event: a session on the source when src is set, on the destination when dst
 * is.  0, or -1 with the test's ERROR. */
int run_bw_events_start(struct run_ctx *ctx, struct run_bw_state *st, const char *src,
                        const char *dst);
/* check_event_output for the sessions started: 0, or -1 with the outcome set. */
int run_bw_events_check(struct run_ctx *ctx, struct run_bw_state *st, const char *src,
                        const char *dst);

#endif
