/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_after_hotplug`: tp-libvirt's
 * libvirt/tests/src/migration/migration_with_disk/migration_after_hotplug.py (a
 * MigrationBase case) with base_steps' shared steps (runner/run_base.h).
 *
 * The guest (start_vm = yes, its disk on the shared storage) runs and is logged into.
 * setup_test: a raw image (`qemu-img create -f raw PATH 10G`, libvirt.create_local_disk)
 * on the shared storage, hot-plugged with `virsh attach-device` of disk_dict's disk (a
 * file disk, driver qemu raw cache none, target disk_target on virtio); the guest's
 * block devices (`virsh domblklist`) must then hold disk_target, else the test's FAIL.
 * run_migration (migrate_speed, the words, action_during_mig, status_error / err_msg),
 * verify_default's post_migration_check after a migration that succeeded; then `virsh
 * detach-disk DOM TARGET` on the destination (its failure an ERROR: ignore_status=False)
 * and run_migration_back (migrate_vm_back): the destination's `virsh migrate DOM
 * OPTIONS SRC EXTRA`, whose failure is the test's FAIL; the source's guest must no
 * longer have disk_target (FAIL "Disk X still exists after migration back.").
 * Cleanup: the VM set torn down, the image removed.
 *
 * Differences kept small on purpose:
 *  - the image is the shared storage's (the settings' shared_dir, the reference's
 *    mount_path_name = nfs_mount_dir, which the composition leaves a placeholder) and
 *    named after the domain (DOM-test.img, the reference's test.img) so that cases in
 *    parallel on one storage do not share it;
 *  - base_steps.sync_cpu_for_mig rewrites only the inactive definition of the running
 *    guest with the hosts' baseline <cpu>; nothing boots from it afterwards and the
 *    migration carries the live definition, so it is not done.
 *
 * Not built (an ERROR naming the param): a disk_type other than file, a disk_dict with
 * another driver, bus or device than the cfg's, the setups run_base does not build.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct ah_opts {
    struct run_base_mig mig;
    bool status_error, migrate_back;
    const char *err_msg, *speed, *disk_type, *disk_target, *disk_dict;
    const char *dest_state, *src_state;     /* RUN_BASE_POST_ROWS */
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct ah_opts, __VA_ARGS__)
static const struct run_param ah_params[] = {
    RUN_BASE_MIG_ROWS(struct ah_opts, mig),
    RUN_BASE_POST_ROWS(struct ah_opts),
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "disk_type", AT(STR, disk_type), .def = "file",
      .doc = "the hot-plugged disk's type (file: a raw image on the shared storage)" },
    { "disk_target", AT(STR, disk_target), .def = "vdb",
      .doc = "its target, checked in the guest's block devices" },
    { "disk_dict", AT(STR, disk_dict), .def = "{}",
      .doc = "its <disk> (driver qemu raw cache none, virtio bus: what vtrun builds)" },
    { "migrate_vm_back", AT(BOOL, migrate_back), .def = "yes",
      .doc = "after the detach on the destination, migrate the guest back" },
    { NULL },
};
#undef AT

/* disk_dict's words vtrun's <disk> has; another dict is not built. */
static const char *const ah_dict_words[] = { "\"device\": \"disk\"", "\"name\": \"qemu\"",
                                             "\"type\": \"raw\"", "\"cache\": \"none\"",
                                             "\"bus\": \"virtio\"" };

static bool ah_dict_built(const char *dict)
{
    for (size_t k = 0; k < ARRAY_SIZE(ah_dict_words); k++)
        if (!dict || !strstr(dict, ah_dict_words[k]))
            return false;
    return true;
}

static const char *ah_unbuilt_param(const struct params *p, const char **val)
{
    const char *type = params_get(p, "disk_type"), *dict = params_get(p, "disk_dict");
    if (type && *type && strcmp(type, "file")) {
        *val = type;
        return "disk_type";
    }
    if (!ah_dict_built(dict)) {
        *val = dict ? dict : "";
        return "disk_dict";
    }
    return NULL;
}

static bool ah_unbuilt_applies(const struct params *p)
{
    const char *v;
    return ah_unbuilt_param(p, &v) || run_base_actions_unbuilt(p);
}

static int ah_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = ah_unbuilt_param(p, &v);
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict(n->types, param, v, p);
}

static const struct run_need ah_needs_last[] = {
    { "not built", .types = "migration_after_hotplug", .applies = ah_unbuilt_applies,
      .met = ah_unbuilt_met, .met_doc = "a disk or an action vtrun does not build (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int ah_check(const struct run_common *c, void *opts)
{
    struct ah_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

/* The image's path on the shared storage (caller frees); NULL: no shared_dir. */
static char *ah_image(const struct run_ctx *ctx, const char *dom)
{
    const char *dir = ctx->hosts[0].shared_dir;
    return dir ? xasprintf("%s/%s-test.img", dir, dom) : NULL;
}

/* `argv` on host h through its link: 0, or -1 with err naming it. */
static int ah_host_run(struct run_ctx *ctx, int h, const char *const *argv)
{
    struct virt_host *link = run_host_link(ctx, h);
    struct strbuf err = STRBUF_INIT;
    int status = -1;
    int rc = link ? virt_host_run(link, argv, 120, NULL, &err, &status) : -1;
    if (link && rc == 0 && status != 0) {
        err_set("%s: exit %d: %s", argv[0], status, err.buf ? err.buf : "");
        rc = -1;
    }
    strbuf_release(&err);
    return rc;
}

/* setup_test: the image created, its <disk> hot-plugged, seen in domblklist. */
static int ah_hotplug(struct run_ctx *ctx, const char *dom, const char *image)
{
    const struct ah_opts *o = ctx->opts;
    const char *create[] = { "qemu-img", "create", "-f", "raw", image, "10G", NULL };
    if (ah_host_run(ctx, 0, create) < 0)
        return run_fail(ctx, "TestFail", "Create image '%s' on local host failed: %s", image,
                        err_msg());
    char *xml = xasprintf("<disk type='file' device='disk'><driver name='qemu' type='raw' "
                          "cache='none'/><source file='%s'/><target dev='%s' bus='virtio'/>"
                          "</disk>\n", image, o->disk_target);
    char *local = run_vmconf_file(ctx, "hotplug-disk.xml", xml);
    char *remote = xasprintf("/tmp/vtrun-hotplug-%s.xml", dom);
    struct virt_host *link = run_host_link(ctx, 0);
    int rc = local && link && virt_host_put(link, local, remote, 0600) == 0 ? 0 : -1;
    if (rc == 0) {
        const char *attach[] = { "attach-device", dom, remote, NULL };
        const char *rm[] = { "rm", "-f", remote, NULL };
        rc = run_vmconf_virsh(ctx, 0, attach, NULL);
        ah_host_run(ctx, 0, rm);
    }
    free(xml);
    free(local);
    free(remote);
    if (rc < 0)
        return run_error(ctx, "CmdError", "attach-device: %s", err_msg());
    return 0;
}

/* vm.get_blk_devices() on host h holds the target (1), not (0), -1 with the ERROR. */
static int ah_has_target(struct run_ctx *ctx, int h, const char *dom, const char *target)
{
    const char *list[] = { "domblklist", dom, NULL };
    char *out = NULL;
    if (run_vmconf_virsh(ctx, h, list, &out) < 0)
        return run_error(ctx, "CmdError", "%s", err_msg());
    int found = 0;
    for (char *line = strtok(out, "\n"); line && !found; line = strtok(NULL, "\n")) {
        line += strspn(line, " \t");
        size_t n = strcspn(line, " \t");
        found = n == strlen(target) && !strncmp(line, target, n);
    }
    free(out);
    return found;
}

/* After verify_default: the disk detached on the destination, the guest migrated
 * back without it. */
static int ah_back(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    const struct ah_opts *o = ctx->opts;
    const char *dom = vms->vm[i].domain;
    const char *detach[] = { "detach-disk", dom, o->disk_target, NULL };
    if (run_vmconf_virsh(ctx, 1, detach, NULL) < 0)
        return run_error(ctx, "CmdError", "%s", err_msg());
    if (o->migrate_back) {
        int rc = run_base_migrate_back(ctx, vms, i, &o->mig);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return run_fail(ctx, "MigrationError", "Failed to migrate %s back", dom);
    }
    int has = ah_has_target(ctx, 0, dom, o->disk_target);
    if (has < 0)
        return -1;
    if (has)
        return run_fail(ctx, "TestFail", "Disk %s still exists after migration back.",
                        o->disk_target);
    return 0;
}

static int ah_run(struct run_ctx *ctx)
{
    const struct ah_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    char *image = ah_image(ctx, dom);
    int rc = -1;

    if (!image) {
        rc = run_cancel(ctx, "shared storage (storage_type = nfs, the hot-plugged image on "
                        "it): the settings give host %s no shared_dir", ctx->hosts[0].name);
        goto out;
    }
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0 || ah_hotplug(ctx, dom, image) < 0)
        goto out;
    int has = ah_has_target(ctx, 0, dom, o->disk_target);
    if (has <= 0) {
        if (has == 0)
            run_fail(ctx, "TestFail", "Failed to hotplug disk %s to VM", o->disk_target);
        goto out;
    }
    if (o->speed && *o->speed &&
        run_base_setspeed(ctx, 0, dom, o->speed, o->mig.postcopy && *o->mig.postcopy) < 0)
        goto out;
    int hop = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (hop < 0)
        goto out;
    if (hop == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        goto out;
    rc = ah_back(ctx, vms, i);
out:
    free(image);
    return rc;
}

/* The VM set torn down first (the image is the guest's until then), then the image. */
static void ah_cleanup(struct run_ctx *ctx)
{
    const struct ah_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    char *image = vms && o ? ah_image(ctx, vms->vm[o->main_vm].domain) : NULL;
    run_vmtype_cleanup(ctx);
    if (image) {
        const char *rm[] = { "rm", "-f", image, NULL };
        if (ah_host_run(ctx, 0, rm) < 0)
            run_log(ctx, "cleanup: %s left behind: %s", image, err_msg());
    }
    free(image);
}

const struct run_type run_type_migration_after_hotplug = {
    .name = "migration_after_hotplug",
    .summary = "tp-libvirt's migration_after_hotplug: a disk hot-plugged before the "
               "migration, detached on the destination, the guest migrated back without it",
    .needs = { .vms = 1, .hosts = 2, .rows_last = ah_needs_last },
    .params = ah_params,
    .opts_size = sizeof(struct ah_opts),
    .check = ah_check,
    .setup = run_vmtype_setup,
    .run = ah_run,
    .cleanup = ah_cleanup,
};
