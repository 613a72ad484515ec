/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_uproxy: tp-libvirt's unix_proxy transport (base_steps' setup_connection with
 * migrate_desturi_type / transport_type / transport_type_again = unix_proxy), which
 * is avocado-vt's utils_conn.UNIXSocketConnection, built with socat:
 *
 *  - on the source (its "client"), three listeners on UNIX sockets, each bridged to a
 *    TCP port of the destination: desturi_sock_listen (/tmp/desturi-socket) to
 *    desturi_port (22222), migrateuri_sock (/var/lib/libvirt/qemu/migrateuri-socket)
 *    to migrateuri_port (33333), disks_uri_sock (.../disks-uri-socket) to
 *    disks_uri_port (44444);
 *  - on the destination (its "server"), three TCP listeners on those ports, each
 *    bridged to a UNIX socket there: desturi_sock_conn (/var/run/libvirt/libvirt-sock,
 *    the daemon), and the same migrateuri_sock / disks_uri_sock paths, where the
 *    destination's QEMU listens for --migrateuri unix://... / --disks-uri unix://...
 *
 * so virsh_migrate_desturi = qemu+unix:///system?socket=/tmp/desturi-socket reaches
 * the destination's daemon, and QEMU's streams go through the proxies.
 *
 * Not built (nothing to build on the lab's hosts): the SELinux context of the source's
 * listeners (svirt_socket_t) and the qemu-kvm policy module, the firewalld ports (the
 * hosts run none: their ports are open).  Every socat runs detached with a pidfile in
 * the host's /run; cleanup ends each one and its per-connection children and removes
 * the source's sockets, on every path.
 */
#ifndef VTRUN_RUN_UPROXY_H
#define VTRUN_RUN_UPROXY_H

#include <stdbool.h>

struct params;
struct run_ctx;
struct run_uproxy;

/* Whether the case's connection setup asks for the proxy: migrate_desturi_type,
 * transport_type or transport_type_again is unix_proxy. */
bool run_uproxy_wanted(const struct params *p);

/* The proxy's params read: 0, or -1 with err naming the param (a port that is no
 * port, a socket path that is not absolute or has a character socat's address syntax
 * reads: , : ! and spaces). */
int run_uproxy_check(const struct params *p);

/* setup_connection's proxies between host 0 (source) and host 1 (destination) when
 * the case wants them (*out NULL otherwise): 0, or -1 with the test's ERROR set
 * (what was started is stopped again). */
int run_uproxy_setup(struct run_ctx *ctx, const struct params *p, struct run_uproxy **out);

/* The same proxies whatever the case's transport params say (migrate_over_unix makes
 * its UNIXSocketConnection itself): 0 with *out, or -1 with the test's ERROR set. */
int run_uproxy_start(struct run_ctx *ctx, const struct params *p, struct run_uproxy **out);

/* cleanup_connection: every proxy stopped, the source's sockets removed; px freed
 * (NULL: nothing). */
void run_uproxy_cleanup(struct run_ctx *ctx, struct run_uproxy *px);

#endif
