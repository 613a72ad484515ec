/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * type_migrate_vm: tp-libvirt's migrate_vm (libvirt/tests/src/migration/migrate_vm.py),
 * the pure parts the unit tests read: the migration's words, the destination URI and
 * the first setup of the reference vtrun does not build.
 */
#ifndef VTRUN_TYPE_MIGRATE_VM_H
#define VTRUN_TYPE_MIGRATE_VM_H

#include <stdbool.h>
#include <stddef.h>

struct params;
struct strbuf;

/* virsh_options, then postcopy_options unless virsh_options holds it already (the
 * reference's str.count).  Caller frees. */
char *mvm_words(const char *options, const char *postcopy);
/* DRIVER+TRANSPORT://HOST[uri_port]URI_PATH, HOST being target_ip, else server_cn,
 * else server_ip.  Caller frees. */
char *mvm_desturi(const char *driver, const char *transport, const char *target_ip,
                  const char *server_cn, const char *server_ip, const char *uri_port,
                  const char *uri_path);
/* The first param of p naming a setup vtrun does not build (its value in *val), or
 * NULL. */
const char *mvm_unbuilt_param(const struct params *p, const char **val);

/* The reference's check_domjobinfo_on_complete over `virsh domjobinfo --completed`
 * of the source (src) and the destination (dst): every field of src but the job type
 * and the expected downtime is in dst, with the same value but the times elapsed and
 * the operation.  0, or -1 with why (the reference's words). */
int mvm_jobinfo_compare(const char *src, const char *dst, struct strbuf *why);

/* ---- type_migrate_vm_xml.c: the guest XML edits ---------------------------------- */

#define MVM_FEATURES_MAX 16
/* cpu_feature_dict, a Python dict literal of quoted names to quoted policies. */
struct mvm_features {
    char *name[MVM_FEATURES_MAX], *policy[MVM_FEATURES_MAX];
    size_t n;
};
/* 0, or -1 + err (NULL text: none). */
int mvm_feature_dict(const char *text, struct mvm_features *out);
void mvm_features_release(struct mvm_features *f);

/* custom_cpu(): cpu_mode, cpu_match, cpu_model_name, cpu_model_fallback, cpu_vendor. */
struct mvm_cpu {
    const char *mode, *match, *model, *fallback, *vendor;
    struct mvm_features features;
};
/* xml with its <cpu> replaced by c's (as VMCPUXML sets vmxml['cpu']).  NULL + err
 * when xml does not parse.  Caller frees. */
char *mvm_xml_cpu(const char *xml, const struct mvm_cpu *c);
/* xml with add_disk_xml()'s disk added: device cdrom (scsi sdb) or floppy (fdc fda,
 * cache none), driver qemu, its source the file (disk_type block: the device) source
 * with startupPolicy policy (NULL/empty: none).  NULL + err for another device or an
 * xml that does not parse.  Caller frees. */
char *mvm_xml_disk(const char *xml, const char *device, const char *source,
                   const char *policy, const char *disk_type);
/* The domain's virt type (<domain type=...>, default kvm); NULL + err when xml does
 * not parse.  Caller frees. */
char *mvm_xml_virt_type(const char *xml);
/* Whether `virsh domcapabilities` text lists CPU model as usable: 1 yes, 0 no
 * (usable='no'), -1 not listed with a usable flag. */
int mvm_cpu_usable(const char *dcaps, const char *model);

/* ---- type_migrate_vm_io.c: with_io_throttling ---------------------------------- */

/* Whether p asks for the reference's blkdeviotune (blkdevio_device and a limit). */
bool mvm_blkdevio_wanted(const struct params *p);
/* virsh.blkdeviotune's words for domain dom: blkdeviotune DOM [blkdevio_options]
 * --device DEV and the limits the reference's params dict holds.  NULL-terminated;
 * params_strv_free(). */
char **mvm_blkdevio_argv(const struct params *p, const char *dom);
/* The greps of target_qemu_filter "ps ... | grep A | grep B" (NULL-terminated,
 * params_strv_free()), or NULL + err for a filter of another shape. */
char **mvm_filter_parse(const char *filter);
/* The lines of ps text all greps keep ("qemu-kvm": the hypervisor's, by any name),
 * appended to out; their count, or -1 + err for a regex that does not compile. */
int mvm_filter_apply(const char *ps, char *const *greps, struct strbuf *out);

/* ---- type_migrate_vm_stor.c: create_target_image, stress_on_host ---------------- */

struct run_ctx;
struct virt_vms;
struct virt_ctx;
/* What the case made on the hosts, undone by mvm_extra_cleanup. */
struct mvm_extra {
    char *image;                /* the destination's image (remote_image_list) */
    bool image_made;
    char *pool;                 /* the transient pool made on the destination */
    bool stress;                /* stress started on the source host */
    unsigned long stress_note;  /* its leftover handle */
    char *user;                 /* su_user added on the source */
};
/* Whether p's key is "yes". */
bool mvm_yes(const struct params *p, const char *key);
/* Whether p's create_target_image / enable_stress_test is a setup vtrun builds. */
bool mvm_stor_built(const struct params *p);
bool mvm_stress_built(const struct params *p);
/* Before the migration: the target pool or image (create_target_image); stress on
 * the source host.  0, or -1 with the test's verdict. */
int mvm_stor_prepare(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                     struct mvm_extra *x);
int mvm_stress_start(struct run_ctx *ctx, struct mvm_extra *x);
struct virt_hostops;
/* stop_libvirtd_remotely: 0, or -1 with the test's verdict; *ops undone at cleanup. */
int mvm_stop_remote_daemon(struct run_ctx *ctx, struct virt_vms *vms,
                           struct virt_hostops **ops);
struct mig_expect;
bool mvm_su_user_built(const struct params *p);
/* su_user: virsh migrate WORDS DOM URI as that user on the source (added first),
 * judged by e.  0, or -1 with the verdict. */
int mvm_su_user_migrate(struct run_ctx *ctx, const char *dom, const char *words,
                        const char *uri, const struct mig_expect *e, struct mvm_extra *x);
/* Every path: stress stopped, pool destroyed, the destination's image removed. */
void mvm_extra_cleanup(struct run_ctx *ctx, const struct virt_ctx *vctx, struct mvm_extra *x);

#endif
