/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_vmconf: what tp-libvirt's vm_configuration_and_status and migration_uri cases
 * (change_dst_vm_conf, persist_target_vm_and_undefine_src_vm[_and_abort],
 * migration_desturi) share on top of run_base:
 *
 *  - the guest's display as avocado-vt's `display = vnc` gives it (vtrun's guests have
 *    none), and the edits the cases make to it (autoport = no with a fixed port);
 *  - a domain XML defined (or created: transient) on a host from a file put there;
 *  - virsh on a host whose failure is an error (tp-libvirt's ignore_status=False);
 *  - base_steps.run_migration with the words' files loaded as virsh loads them
 *    (--xml / --persistent-xml: a missing file is the migration's failure, judged by
 *    status_error / err_msg) and, peer to peer, the case's virsh_migrate_desturi as the
 *    URI the source daemon dials (its transport: tcp, tls, ssh, or a wrong one).
 */
#ifndef VTRUN_RUN_VMCONF_H
#define VTRUN_RUN_VMCONF_H

#include <stdbool.h>
#include <stddef.h>

struct run_ctx;
struct run_host;
struct virt_vms;

/* The domain XML edits' libxml2 steps, one copy for every type that edits a guest's
 * XML as text: xml parsed (no network, no messages) with a root element, or NULL with
 * err set; the document's text, the document freed; n's first element child named
 * name, or NULL. */
struct _xmlDoc;
struct _xmlNode;
struct _xmlDoc *run_vmconf_xml_read(const char *xml);
char *run_vmconf_xml_take(struct _xmlDoc *d);
struct _xmlNode *run_vmconf_xml_child(struct _xmlNode *n, const char *name);

/* xml with its first <devices>/<graphics> given autoport (and port when non-NULL, else
 * its port removed); with none, a VNC one with them is added.  NULL + err when xml
 * does not parse.  Caller frees. */
char *run_vmconf_xml_graphics(const char *xml, const char *autoport, const char *port);

/* `virsh words...` on host h: 0 (stdout into *out when out is non-NULL, caller frees),
 * -1 + err naming the command and virsh's error when it fails. */
int run_vmconf_virsh(struct run_ctx *ctx, int h, const char *const *words, char **out);

/* `virsh define` (create: `virsh create`) of xml on host h, from a file put there. */
int run_vmconf_define(struct run_ctx *ctx, int h, const char *dom, const char *xml,
                      bool create);

/* Domain dom's inactive XML on host h (`virsh dumpxml --inactive --security-info`)
 * through edit (a new document, caller frees; NULL + err), defined again: 0, -1 +
 * err. */
int run_vmconf_redefine(struct run_ctx *ctx, int h, const char *dom,
                        char *(*edit)(const void *arg, const char *xml), const void *arg);

/* VM i defined on the source with avocado-vt's VNC display (autoport), shut off; the
 * VM set's cleanup undefines it.  0, or -1 with the test's ERROR. */
int run_vmconf_define_vnc(struct run_ctx *ctx, struct virt_vms *vms, size_t i);

/* Write text to the test's result directory as name; its path (caller frees), NULL +
 * err. */
char *run_vmconf_file(struct run_ctx *ctx, const char *name, const char *text);

/* base_steps.run_migration of VM i from host 0 to 1 with these virsh migrate words and
 * action_during_mig (again: action_during_mig_again), judged by status_error and
 * err_msg.  Peer to peer, the source daemon dials desturi (NULL: the host's).
 * run_tl_hop's returns: 1 migrated, 0 failed as expected, -1 outcome set. */
int run_vmconf_hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i, const char *words,
                   bool again, bool status_error, const char *err_msg, const char *desturi);

/* VM i, defined on the source, started there and logged into (avocado-vt's vm.start();
 * vm.wait_for_login()).  0, or -1 with the test's ERROR (none when it was stopped). */
int run_vmconf_start_login(struct run_ctx *ctx, struct virt_vms *vms, size_t i);

/* run_migration of VM i with the case's words m and extra in place of m's extra,
 * judged by status_error / err_msg, peer to peer to the case's virsh_migrate_desturi
 * (run_vmconf_hop's returns). */
struct run_base_mig;
int run_vmconf_hop_extra(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                         const struct run_base_mig *m, const char *extra, bool status_error,
                         const char *err_msg);

/* libvirt.check_result(virsh ..., expected_match=want): `virsh words` on host h must
 * exit 0 with want in its stdout (the cases' patterns are plain text: autoport='no', Persistent:     yes); else the test's FAIL saying what. */
int run_vmconf_expect_out(struct run_ctx *ctx, int h, const char *const *words,
                          const char *want, const char *what);

/* libvirt.check_vm_state(name, want, uri): the state of domain name on host h is want
 * ("shut off", "running"), else the test's FAIL "what: NAME is STATE, expected WANT". */
int run_vmconf_state_is(struct run_ctx *ctx, int h, const char *name, const char *want,
                        const char *what);

/* Whether domain dom exists on host h (virsh domstate): 1, 0, -1 + err. */
int run_vmconf_exists(struct run_ctx *ctx, int h, const char *dom);

/* The case's virsh_migrate_desturi (qemu+tls://, qemu+ssh://, a wrong one) is what the
 * source daemon dials; vtrun's own connection to the destination (its checks, a
 * non-p2p hop) stays one this machine can open: the host's SSH login
 * (qemu+ssh://USER@ADDRESS/system with its key).  swap points ctx->hosts at such a
 * copy when the case's URI replaced the destination's (run before the VM set is
 * made); restore puts the runner's back (after it is torn down). */
struct run_vmconf_hosts {
    const struct run_host *orig;
    struct run_host *copy;
    size_t n;
};
void run_vmconf_hosts_swap(struct run_ctx *ctx, struct run_vmconf_hosts *save);
void run_vmconf_hosts_restore(struct run_ctx *ctx, struct run_vmconf_hosts *save);

#endif
