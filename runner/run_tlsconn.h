/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tlsconn: base_steps' setup_connection for a tls transport (transport_type,
 * transport_type_again or migrate_desturi_type = tls) with qemu_tls = yes, as
 * tp-libvirt's provider/migration/migration_base.setup_conn_obj makes it: avocado-vt's
 * TLSConnection(params) puts QEMU's certificates (server_cn, client_cn) into
 * custom_pki_path on both hosts (runner/run_tl_tls.h makes them), the hosts' own moved
 * aside until the cleanup puts them back (cleanup_conn_obj).
 *
 * Not built: a tls transport without qemu_tls = yes (TLSConnection then sets up the
 * daemons' own TLS, libvirtd's listen_tls with /etc/pki/libvirt): such a case is an
 * ERROR naming qemu_tls.
 */
#ifndef VTRUN_RUN_TLSCONN_H
#define VTRUN_RUN_TLSCONN_H

#include <stdbool.h>

struct params;
struct run_ctx;
struct virt_vms;
struct run_tlsconn;

/* Whether p asks for QEMU's TLS certificates: a tls transport and qemu_tls = yes. */
bool run_tlsconn_wanted(const struct params *p);
/* A tls transport whose setup vtrun does not build (qemu_tls not yes): "qemu_tls",
 * *val its value ("no" when unset); else NULL. */
const char *run_tlsconn_unbuilt(const struct params *p, const char **val);

/* The certificates made and installed when the case's params ask for them (*out then
 * holds what undoes it; NULL when they do not).  Run after the VM set is made (its
 * host links).  0, or -1 with the test's ERROR (*out set: clean it up). */
int run_tlsconn_setup(struct run_ctx *ctx, const struct virt_vms *vms,
                      struct run_tlsconn **out);
/* The certificates of the case's params (TLSConnection's: server_cn, client_cn,
 * custom_pki_path else /etc/pki/qemu, scp_list_server / scp_list_client) made and
 * installed on both hosts, recorded in ops.  0, or -1 with the test's ERROR. */
struct virt_hostops;
int run_tlsconn_pki(struct run_ctx *ctx, struct virt_hostops *ops);
/* The hosts' own certificates back (an ERROR "CleanupError" when that fails); NULL is
 * fine.  After the VM set's cleanup. */
void run_tlsconn_cleanup(struct run_ctx *ctx, struct run_tlsconn *c);

#endif
