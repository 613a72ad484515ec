/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Four small MigrationBase cases of tp-libvirt's libvirt/tests/src/
 * migration_with_copy_storage/ that differ only in where the guest's disk is, and
 * what is made on the destination, before run_migration and verify_default
 * (runner/run_base.h):
 *
 *  - target_image_smaller_than_source.py: the guest's disk in the source's own
 *    images_dir; on the destination an empty qcow2 of disk_size made at the same path
 *    (not the copy vtrun makes); the migration must fail with err_msg (QEMU refuses a
 *    mirror target of another size);
 *  - copy_storage_synchronous_writes.py: the guest's disk in the source's images_dir,
 *    its empty copy made on the destination (prepare_disks_remote), the case's words
 *    (--copy-storage-synchronous-writes) must migrate it;
 *  - migration_vm_has_no_disk.py: every disk taken out of the guest's XML, the guest
 *    started (no login: it has no disk to boot from in the reference), migrated with
 *    --copy-storage-*: nothing to copy, it must pass;
 *  - migrate_vm_disk_on_shared_storage.py: the guest's disk on the shared storage (the
 *    reference's NFS mount, the settings' shared_dir here: the lab's GlusterFS over
 *    FUSE), --copy-storage-* must fail with err_msg (QEMU on the destination cannot
 *    export an image the source holds).  Without a shared_dir on both hosts: CANCEL.
 *
 * Not built: the UNIX-socket proxy and TLS transports (RUN_CS_NEED_UNBUILT).
 * no_sufficient_disk_space_on_target is decided only (runner/type_disks_decided.c).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

/* What each type does before the migration. */
enum csd_kind { CSD_SMALLER, CSD_SYNC_WRITES, CSD_NO_DISK, CSD_SHARED };

struct csd_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *disk_size;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct csd_opts, __VA_ARGS__)
/* every type's: run_migration's words and result, verify_default's checks */
#define CSD_COMMON_ROWS                                                                  \
    RUN_BASE_MIG_ROWS(struct csd_opts, mig),                                             \
    { "status_error", AT(BOOL, status_error), .def = "no",                               \
      .doc = "the migration must fail" },                                                \
    { "err_msg", AT(REGEX, err_msg),                                                     \
      .doc = "with status_error: a regex the error text ('error: ...') must match" },    \
    RUN_BASE_POST_ROWS(struct csd_opts)
static const struct run_param csd_params[] = {
    CSD_COMMON_ROWS,
    { NULL },
};
/* target_image_smaller_than_source: the destination image's size too */
static const struct run_param csd_smaller_params[] = {
    CSD_COMMON_ROWS,
    { "disk_size", AT(STR, disk_size), .def = "2G",
      .doc = "the size of the qcow2 made on the destination at the guest disk's path" },
    { NULL },
};
#undef CSD_COMMON_ROWS
#undef AT

static const struct run_need csd_needs_last[] = {
    RUN_CS_NEED_UNBUILT,
    { NULL },
};

static int csd_check(const struct run_common *c, void *opts)
{
    struct csd_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (o->disk_size && (!o->disk_size[0] || strchr(o->disk_size, ' '))) {
        err_set("disk_size = '%s': expected a qemu-img size", o->disk_size);
        return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct csd_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clone in images_dir */
    char *dest_image;               /* made on the destination by the test, or NULL */
    unsigned long dest_noted;       /* its ledger handle (a killed job's reaping) */
};

static int csd_setup_kind(struct run_ctx *ctx, bool own_dir)
{
    struct csd_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (own_dir)
        return run_cs_vmset_setup(ctx, &st->vms, &st->params);
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

/* the guest's disk in the source's own images_dir: copied by the migration */
static int csd_setup_local(struct run_ctx *ctx)
{
    return csd_setup_kind(ctx, true);
}

/* the guest's disk where the settings put it: the shared storage */
static int csd_setup_shared(struct run_ctx *ctx)
{
    return csd_setup_kind(ctx, false);
}

static void csd_cleanup(struct run_ctx *ctx)
{
    struct csd_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    if (st->dest_image) {
        /* cleanup_disks_remote */
        struct virt_host *link = run_host_link(ctx, 1);
        if (!link || virt_image_remove(link, st->dest_image, &st->vms.conf.vctx) < 0)
            run_log(ctx, "cleanup of %s on %s: %s", st->dest_image, ctx->hosts[1].name,
                    err_msg());
        else if (st->dest_noted)
            virt_leftover_drop(st->dest_noted);
        free(st->dest_image);
    }
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* migration_vm_has_no_disk: every disk out of the guest's definition */
static void csd_drop_disks(struct be_vm_spec *spec)
{
    for (size_t d = 0; d < spec->ndisks; d++) {
        struct be_disk *k = &spec->disks[d];
        free(k->path);
        free(k->format);
        free(k->bus);
        free(k->target);
        free(k->cache);
        free(k->device);
        free(k->startup_policy);
    }
    spec->ndisks = 0;
}

/* target_image_smaller_than_source: a qcow2 of disk_size at the guest disk's path on
 * the destination (its directory made first), in place of vtrun's copy. */
static int csd_make_smaller(struct run_ctx *ctx, const struct csd_opts *o,
                            struct csd_state *st, const char *path)
{
    struct virt_host *link = run_host_link(ctx, 1);
    const char *slash = strrchr(path, '/');
    char *dir = xstrndup(path, slash && slash > path ? (size_t)(slash - path) : 1);
    const char *mk[] = { "mkdir", "-p", "--", dir, NULL };
    int rc = 0;

    if (!link || virt_host_run(link, mk, 60, NULL, NULL, NULL) < 0)
        rc = run_error(ctx, "TestSetupError", "mkdir %s on %s: %s", dir, ctx->hosts[1].name,
                       err_msg());
    free(dir);
    if (rc < 0)
        return -1;
    /* in the job's ledger before it is made: a job killed before its cleanup leaves it
     * to the next job's reaping */
    struct virt_res r = { VIRT_RES_FILE, (char *)st->vms.be->name, ctx->hosts[1].uri,
                          (char *)path };
    char *what = xasprintf("file %s on host %s", path, ctx->hosts[1].name);
    char *how = xasprintf("rm -f %s", path);
    st->dest_noted = virt_leftover_add_res(&r, what, how);
    free(what);
    free(how);
    if (!st->dest_noted)
        return run_error(ctx, "TestSetupError", "%s", err_msg());
    st->dest_image = xstrdup(path);
    if (virt_image_create(link, path, "qcow2", o->disk_size, &st->vms.conf.vctx) < 0)
        return run_error(ctx, "TestSetupError", "%s on %s: %s", path, ctx->hosts[1].name,
                         err_msg());
    run_log(ctx, "qcow2 %s of %s made on %s: the copy's target", path, o->disk_size,
            ctx->hosts[1].name);
    return 0;
}

/* migrate_vm_disk_on_shared_storage: the guest's disk must be under both hosts'
 * shared_dir, else the case cannot mean what it tests. */
static int csd_on_shared(struct run_ctx *ctx, const char *path)
{
    for (int h = 0; h < 2; h++) {
        const char *sd = ctx->hosts[h].shared_dir;
        size_t n = sd ? strlen(sd) : 0;
        if (!n || strncmp(path, sd, n) || (path[n] != '/' && sd[n - 1] != '/'))
            return run_cancel(ctx, "shared storage (the guest's disk on an NFS mount): "
                              "%s is not under host %s's shared_dir", path,
                              ctx->hosts[h].name);
    }
    return 0;
}

static int csd_run_kind(struct run_ctx *ctx, enum csd_kind kind)
{
    const struct csd_opts *o = ctx->opts;
    struct csd_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct be_vm_spec *spec = vms->vm[i].spec;
    bool own_dest = kind == CSD_SMALLER;

    if (kind == CSD_NO_DISK)
        csd_drop_disks(spec);
    else if (!spec->ndisks || !spec->disks[0].path)
        return run_error(ctx, "TestSetupError", "the guest has no disk");
    if (kind == CSD_SHARED && csd_on_shared(ctx, spec->disks[0].path) < 0)
        return -1;
    if (own_dest && csd_make_smaller(ctx, o, st, spec->disks[0].path) < 0)
        return -1;
    /* the reference starts the disk-less guest and waits 10 s, no login */
    if (run_vmtype_prepare(ctx, vms, i, true, kind != CSD_NO_DISK) < 0)
        return -1;
    vms->copy_no_dest_disks = own_dest;
    int rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    vms->copy_no_dest_disks = false;
    if (rc < 0)
        return -1;
    /* verify_default */
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

static int csd_run_smaller(struct run_ctx *ctx)
{
    return csd_run_kind(ctx, CSD_SMALLER);
}

static int csd_run_sync(struct run_ctx *ctx)
{
    return csd_run_kind(ctx, CSD_SYNC_WRITES);
}

static int csd_run_no_disk(struct run_ctx *ctx)
{
    return csd_run_kind(ctx, CSD_NO_DISK);
}

static int csd_run_shared(struct run_ctx *ctx)
{
    return csd_run_kind(ctx, CSD_SHARED);
}

#define CSD_TYPE(var, tname, sum, prm, setupf, runf)                                     \
    const struct run_type var = {                                                        \
        .name = tname, .summary = sum,                                                   \
        .needs = { .vms = 1, .hosts = 2, .rows_last = csd_needs_last },                  \
        .params = prm, .opts_size = sizeof(struct csd_opts), .check = csd_check,         \
        .setup = setupf, .run = runf, .cleanup = csd_cleanup,                            \
    }

CSD_TYPE(run_type_target_image_smaller_than_source, "target_image_smaller_than_source",
         "tp-libvirt's target_image_smaller_than_source: a copy-storage migration into a "
         "destination image of another size (disk_size) must fail",
         csd_smaller_params, csd_setup_local, csd_run_smaller);
CSD_TYPE(run_type_copy_storage_synchronous_writes, "copy_storage_synchronous_writes",
         "tp-libvirt's copy_storage_synchronous_writes: a copy-storage migration with "
         "--copy-storage-synchronous-writes",
         csd_params, csd_setup_local, csd_run_sync);
CSD_TYPE(run_type_migration_vm_has_no_disk, "migration_vm_has_no_disk",
         "tp-libvirt's migration_vm_has_no_disk: a copy-storage migration of a guest "
         "without disks",
         csd_params, csd_setup_local, csd_run_no_disk);
CSD_TYPE(run_type_migrate_vm_disk_on_shared_storage, "migrate_vm_disk_on_shared_storage",
         "tp-libvirt's migrate_vm_disk_on_shared_storage: a copy-storage migration of a "
         "guest whose disk is on the shared storage must fail",
         csd_params, csd_setup_shared, csd_run_shared);
