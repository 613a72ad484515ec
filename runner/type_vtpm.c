/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's vTPM migration types (libvirt/tests/src/migration/migration_with_vtpm/):
 * known to vtrun, each case CANCELs for the first thing the reference needs of the
 * hosts or the guest that the lab lacks, else is an ERROR naming what vtrun does not
 * build -- never "unknown test type" and never a RUN of a weaker test.
 *
 * The hosts themselves can do it: libvirt 9.0 starts an emulated TPM (tpm-crb, swtpm
 * from the Debian packages swtpm / swtpm-tools, deps/debian.txt) and migrates its state
 * to a host with its own /var/lib/libvirt/swtpm.  What every type checks beyond that:
 *
 *  - migration_with_vtpm_dev.py: check_cpu_for_mig; every test_case but
 *    diff_secret_on_src_and_dst cancels when both hosts have the same CPU ("Need to use
 *    machines with different cpu": the migration must fail with "guest CPU doesn't
 *    match specification", then migrate_again after sync_cpu_for_mig succeeds).  A vTPM
 *    secret on each host (diff_secret: different values, the migration must fail with
 *    QEMU's "tpm-emulator: Setting the stateblob ... decryption error", err_msg names
 *    RHEL's qemu-kvm binary).  verify_test then wants svirt_image_t, after a shutdown
 *    virt_log_t, in `ls -lZ` of the swtpm log (SELinux), and after migrate_again
 *    check_vtpm_func runs tpm_cmd (tpm2_getrandom) in the guest after installing
 *    tpm2-tools there.
 *  - migration_with_shared_tpm.py: /var/lib/libvirt/swtpm shared by both hosts (NFS
 *    from the source, or CephFS), the state file's SELinux context (nfs_t /
 *    svirt_image_t) checked before and after, swtpm's --migration
 *    release-lock-outgoing, tpm_cmd in the guest on both hosts, migration back.
 *  - migration_with_external_tpm.py: swtpm / swtpm_setup relabelled with `chcon -t
 *    virtd_exec_t` (an error without SELinux), swtpm started by systemd-run on both
 *    hosts on a unix socket the guest connects to, tpm_cmd in the guest, back again.
 *  - migration_with_vtpm_state_on_block_dev.py: libvirt >= 10.10 (the generic
 *    libvirt_version row cancels first), two iSCSI LUNs with xfs mounted at block_path
 *    on each host, SELinux labels of the state files, tpm_cmd in the guest.
 *
 * vtrun's guest is busybox: it has no tpm2-tools (guest_tpm2_tools), and the lab's hosts
 * run no SELinux, share one machine's CPU and keep /var/lib/libvirt per host.
 *
 * The secret mismatch (diff_secret_on_src_and_dst, migrate_options_shared's negative
 * vtpm_emulator) fails on the lab as the reference wants, but libvirt 9.0 tells the
 * client only "operation failed: job 'migration out' unexpectedly failed"; QEMU's
 * "tpm-emulator: Setting the stateblob (type 1) failed ... decryption error" is in the
 * destination's QEMU log, prefixed qemu-system-x86_64, so err_msg ("qemu-kvm: ...")
 * would not match there either.
 */
#include <stdbool.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

/* ---- what each type does not build: the text of its ERROR ------------------------- */

static const struct {
    const char *type, *missing;
} vt_rows[] = {
    { "migration_with_vtpm_dev",
      "the vTPM secrets on both hosts, the tpm_dict device, the swtpm log's SELinux "
      "labels and tpm_cmd in the guest after migrate_again are not built" },
    { "migration_with_shared_tpm",
      "the shared /var/lib/libvirt/swtpm, the vTPM secrets, the state file's SELinux "
      "context, swtpm's release-lock-outgoing and tpm_cmd in the guest on both hosts are "
      "not built" },
    { "migration_with_external_tpm",
      "swtpm started outside libvirt (swtpm_setup, systemd-run, chcon) on both hosts and "
      "tpm_cmd in the guest are not built" },
    { "migration_with_vtpm_state_on_block_dev",
      "the iSCSI LUNs mounted at block_path, the state files' SELinux labels, the swtpm "
      "lock capability in the daemon's log and tpm_cmd in the guest are not built" },
};

static const char *vt_missing(const char *type)
{
    for (size_t k = 0; k < ARRAY_SIZE(vt_rows); k++)
        if (type && !strcmp(vt_rows[k].type, type))
            return vt_rows[k].missing;
    return NULL;
}

static bool vt_always(const struct params *p)
{
    (void)p;
    return true;
}

static int vt_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *type = params_get(p, "type");
    const char *missing = vt_missing(type);
    (void)n;
    (void)f;
    (void)why;
    err_set("tp-libvirt's %s: %s", type ? type : "?", missing ? missing : "not built");
    return -1;
}

#define VT_NOT_BUILT                                                                   \
    { "not built", .applies = vt_always, .met = vt_unbuilt_met,                        \
      .met_doc = "never: the type's steps are not built (ERROR)",                      \
      .text = "a setup of the reference vtrun does not build yet" }

static const struct run_need vt_needs_last[] = {
    VT_NOT_BUILT,
    { NULL },
};

/* ---- what the hosts and the guest lack: the CANCELs --------------------------------- */

#define VT_GUEST_TPM2(...)                                                             \
    { "guest_tpm2_tools", __VA_ARGS__, .capability = "guest_tpm2_tools",               \
      .text = "tpm2-tools in the guest (check_vtpm_func installs them and runs tpm_cmd, " \
              "tpm2_getrandom, in the guest; vtrun's busybox guest has none)" }

/* migration_with_vtpm_dev cancels every test_case but diff_secret_on_src_and_dst on
 * hosts of one CPU (check_cpu_for_mig). */
static bool vd_wants_other_cpu(const struct params *p)
{
    return strcmp(params_get_or(p, "test_case", ""), "diff_secret_on_src_and_dst") != 0;
}

static const struct run_need vd_needs[] = {
    { "different_host_cpus", .applies = vd_wants_other_cpu,
      .capability = "different_host_cpus",
      .text = "hosts of different CPU models (tp-libvirt cancels when check_cpu_for_mig "
              "finds the same CPU on both: \"Need to use machines with different cpu\"; "
              "the lab's hosts share one machine's CPU)" },
    { "selinux", .applies = vt_always, .capability = "selinux",
      .text = "SELinux on the hosts (verify_test wants svirt_image_t, then virt_log_t, in "
              "`ls -lZ` of the swtpm log; without SELinux the reference FAILs)" },
    VT_GUEST_TPM2(.when = { { "migrate_again", .eq = "yes" } }),
    { NULL },
};

static const struct run_need st_needs[] = {
    /* before the others: the case mounts CephFS at /var/lib/libvirt/swtpm first */
    { "ceph", .capability = "ceph", .when = { { "shared_storage_type", .eq = "ceph" } },
      .text = "a Ceph cluster (CephFS mounted at /var/lib/libvirt/swtpm on both hosts, "
              "rbd disk)" },
    { "nfs_swtpm", .capability = "nfs_swtpm",
      .when = { { "shared_storage_type", .eq = "nfs" } },
      .text = "/var/lib/libvirt/swtpm on NFS shared by both hosts (the TPM state is not "
              "migrated but shared; the lab's /var/lib/libvirt is each host's own)" },
    { "selinux", .applies = vt_always, .capability = "selinux",
      .text = "SELinux on the hosts (check_tpm_security_context wants "
              "tpm_security_contexts in `ls -hZR` of the state file; without it the "
              "reference FAILs)" },
    VT_GUEST_TPM2(.applies = vt_always),
    { NULL },
};

static const struct run_need et_needs[] = {
    { "selinux", .applies = vt_always, .capability = "selinux",
      .text = "SELinux on the hosts (launch_external_swtpm runs `chcon -t virtd_exec_t` on "
              "swtpm and swtpm_setup and errors when it fails)" },
    VT_GUEST_TPM2(.applies = vt_always),
    { NULL },
};

/* block_dev: its own needs after the generic ones, so that libvirt_version (10.10.0,
 * what the test checks first) decides before them. */
static const struct run_need bd_needs_last[] = {
    { "iscsi", .applies = vt_always, .capability = "iscsi",
      .text = "an iSCSI target (two emulated LUNs, xfs on each, mounted at block_path on "
              "each host)" },
    { "selinux", .applies = vt_always, .capability = "selinux",
      .text = "SELinux on the hosts (semanage fcontext, restorecon and the state files' "
              "labels checked by regex in `ls -alZ`)" },
    VT_GUEST_TPM2(.applies = vt_always),
    VT_NOT_BUILT,
    { NULL },
};

/* ---- params: what the reference reads first, for --list-types and the dumps -------- */

struct vt_opts {
    const char *options, *tpm_dict, *tpm_cmd, *test_case, *storage;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct vt_opts, __VA_ARGS__)
static const struct run_param vt_params[] = {
    { "virsh_migrate_options", AT(STR, options), .def = "",
      .doc = "virsh migrate option words" },
    { "tpm_dict", AT(STR, tpm_dict), .def = "{}",
      .doc = "the <tpm> device (libvirt_vmxml.modify_vm_device dict: model, backend)" },
    { "tpm_cmd", AT(STR, tpm_cmd), .def = "",
      .doc = "what check_vtpm_func runs in the guest (tpm2_getrandom)" },
    { "test_case", AT(STR, test_case), .def = "",
      .doc = "the variant the test branches on" },
    { "shared_storage_type", AT(STR, storage), .def = "",
      .doc = "migration_with_shared_tpm: nfs or ceph under /var/lib/libvirt/swtpm" },
    { NULL },
};

/* Never reached (a need above makes every case a CANCEL or an ERROR); a guard. */
static int vt_run(struct run_ctx *ctx)
{
    const char *missing = vt_missing(ctx->type ? ctx->type->name : NULL);
    return run_error(ctx, "NotBuilt", "%s", missing ? missing : "not built");
}

#define VT_TYPE(id, own, last, text)                                                     \
    const struct run_type run_type_##id = {                                              \
        .name = #id,                                                                     \
        .summary = text " (not built yet: a case CANCELs for its need or is an ERROR)",  \
        .needs = { .vms = 1, .hosts = 2, .rows = (own), .rows_last = (last) },            \
        .params = vt_params,                                                             \
        .opts_size = sizeof(struct vt_opts),                                             \
        .run = vt_run,                                                                   \
    }

VT_TYPE(migration_with_vtpm_dev, vd_needs, vt_needs_last,
        "tp-libvirt's migration_with_vtpm_dev: a guest with an emulated vTPM whose state "
        "is encrypted with a secret on each host migrates between hosts of different CPUs");
VT_TYPE(migration_with_shared_tpm, st_needs, vt_needs_last,
        "tp-libvirt's migration_with_shared_tpm: a vTPM guest migrates and back with its "
        "TPM state on storage both hosts share (NFS, CephFS)");
VT_TYPE(migration_with_external_tpm, et_needs, vt_needs_last,
        "tp-libvirt's migration_with_external_tpm: a guest connected to a swtpm started "
        "outside libvirt on each host migrates and back");
VT_TYPE(migration_with_vtpm_state_on_block_dev, NULL, bd_needs_last,
        "tp-libvirt's migration_with_vtpm_state_on_block_dev: a vTPM guest whose state "
        "dir or file is on an iSCSI disk mounted on each host migrates and back");
