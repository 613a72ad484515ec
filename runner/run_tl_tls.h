/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_tls: the host setups of tp-libvirt's TLS migration cases, each recorded in the
 * test's struct virt_hostops so that its undo restores the hosts on every path:
 *
 *  - avocado-vt's TLSConnection with qemu_tls (utils_conn.py): a CA, a server
 *    certificate (CN and DNS name server_cn, the server's IP unless set_ip_addr = no)
 *    and a client certificate (client_cn) made here with GnuTLS certtool, put into
 *    custom_pki_path on the destination (scp_list_server) and the source
 *    (scp_list_client) as QEMU names them (ca-cert.pem ...); the hosts' own directory
 *    is moved aside meanwhile, so only the listed files are there, as the reference
 *    leaves them;
 *  - qemu.conf keys set or removed on a host, libvirtd restarted in place (running
 *    domains stay), the test's connections to it opened again;
 *  - the source daemon's debug log (libvirtd_debug_level / libvirtd_debug_filters) and
 *    base_steps' check_local_and_remote_log over what it wrote during the test.
 */
#ifndef VTRUN_RUN_TL_TLS_H
#define VTRUN_RUN_TL_TLS_H

#include <stdbool.h>

struct run_ctx;
struct params;
struct virt_vms;
struct virt_hostops;
struct virt_log_mark;

/* What TLSConnection(qemu_tls) makes; NULL fields take its defaults. */
struct run_tls_pki {
    const char *server_cn, *client_cn, *ca_cn;
    const char *server_ip;          /* the server certificate's IP address */
    bool set_ip_addr;
    const char *dir;                /* custom_pki_path */
    const char *scp_server, *scp_client;    /* "cacert,cakey,servercert,serverkey" ... */
    bool keep_dir;                  /* put the files beside those there (a second CA's
                                       server certificate: signed_by_diff_cert) */
};

/* The pki of the case's params: server_cn, client_cn, ca_cn, server_ip (else
 * migrate_dest_host), set_ip_addr, custom_pki_path, scp_list_server, scp_list_client
 * (scp_client: instead of the latter when non-NULL). */
void run_tls_pki_of(const struct params *p, const char *scp_client, struct run_tls_pki *k);
/* A comma list of the credential names TLSConnection knows: 0, else -1 with err. */
int run_tls_scp_list_check(const char *list);

/* Make the certificates and install them: client on host 0, server on host 1.  0, or
 * -1 with the test's ERROR set. */
int run_tls_pki_setup(struct run_ctx *ctx, struct virt_hostops *ops, const struct run_tls_pki *k);

/* qemu.conf of host h: key set to value (NULL: its lines removed, libvirt's default). */
int run_tls_qemu_conf(struct run_ctx *ctx, struct virt_hostops *ops, int h, const char *key,
                      const char *value);
/* The lines of a dict literal as tp-libvirt's configs write them: `{"key": "value"}`
 * (customize_libvirt_config) or `{r".*key\s*=.*": "key=value"}` (update_remote_file,
 * regex_form: the replacement line is read).  Each pair set in qemu.conf of host h.
 * 0, or -1 with err naming the text (nothing changed) / the test's ERROR. */
int run_tls_conf_dict_check(const char *text, bool regex_form);
int run_tls_qemu_conf_dict(struct run_ctx *ctx, struct virt_hostops *ops, int h,
                           const char *text, bool regex_form);
/* A list literal of qemu.conf keys (remove_key_in_conf's value_list): 0, else -1. */
int run_tls_key_list_check(const char *text);
/* Each key of the list removed from qemu.conf of host h. */
int run_tls_qemu_conf_keys_unset(struct run_ctx *ctx, struct virt_hostops *ops, int h,
                                 const char *text);
/* libvirtd restarted in place on host h, the VM set's connection to it reopened. */
int run_tls_restart(struct run_ctx *ctx, struct virt_hostops *ops, struct virt_vms *vms, int h);

/* The source daemon's debug log: log_filters / log_outputs of libvirtd.conf (level,
 * filters as libvirtd_debug_level / libvirtd_debug_filters say), restarted; *m marks
 * the log's end. */
int run_tls_debug_log(struct run_ctx *ctx, struct virt_hostops *ops, struct virt_vms *vms,
                      int h, struct virt_log_mark *m);
/* check_str_SIDE_log / check_no_str_SIDE_log of p (side "local" or "remote"): each
 * regex of the list literal found (absent) in what the log of host h got since m.
 * 0, or -1 with FAIL/ERROR. */
int run_tls_log_check(struct run_ctx *ctx, int h, const char *side,
                      const struct virt_log_mark *m);
/* Whether a list literal of regexes reads: 0, else -1 with err. */
int run_tls_regex_list_check(const char *what, const char *text);

#endif
