/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_occupy: tp-libvirt's `nc -l -p PORT &` on the destination (a port taken by
 * another program, so libvirt's migration port allocation must skip it), as socat's
 * TCP-LISTEN detached with a pidfile (the lab's hosts have no nc), registered as a
 * leftover until stopped.  Used by tcp_migration_port_allocation_port_occupied_by_
 * other_app (occupy_port_cmd) and live_migration (check_port's min_port).
 */
#ifndef VTRUN_RUN_OCCUPY_H
#define VTRUN_RUN_OCCUPY_H

struct run_ctx;

struct run_occupy {
    char *pidfile;                  /* the listener's on the host (NULL: none) */
    unsigned long leftover;
    int host;
};

/* A listener on port of host h, then seen listening: 0, or -1 with the test's ERROR. */
int run_occupy_port(struct run_ctx *ctx, struct run_occupy *o, int h, unsigned port);
/* The listener stopped and its pidfile removed (nothing when none): 0, or -1 with err. */
int run_occupy_release(struct run_ctx *ctx, struct run_occupy *o);

#endif
