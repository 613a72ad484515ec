/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `precreate_none_target_disk`: tp-libvirt's
 * libvirt/tests/src/migration_with_copy_storage/precreate_none_target_disk.py (a
 * MigrationBase case) with base_steps' shared steps (runner/run_base.h): no disk is
 * made on the destination, libvirt must make it itself in the storage pool whose
 * target is the disk's directory.
 *
 * The guest's disk (a clone in the source's images_dir) is converted to disk_format
 * into disk_source_name's directory on the source, and the guest runs from that copy;
 * `qemu-img info -U` of it is kept.  On the destination a `dir` pool
 * (target_pool_name, target_pool_type) is created over that directory with
 * `virsh pool-create-as`.  Pool, directory and file carry the job and slot in their
 * names (parallel tests on the same hosts; libvirt refuses two pools on one target
 * path).  The VM migrates with the case's words and no destination disk made
 * (--copy-storage-all: libvirt pre-creates it; -inc: refused, status_error with
 * err_msg); then verify_default and, for --copy-storage-all, check_image_info: every
 * line of the source's `qemu-img info` (but its disk size; for qcow2 its file length,
 * for raw its format specific lines; sizes without their byte counts in parentheses)
 * searched as a regex in the destination's.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_virsh.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct pn_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *disk_format, *disk_source_name;
    const char *pool_name, *pool_type, *pool_target;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct pn_opts, __VA_ARGS__)
static const struct run_param pn_params[] = {
    RUN_BASE_MIG_ROWS(struct pn_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "disk_format", AT(STR, disk_format), .def = "qcow2",
      .doc = "raw or qcow2: the format the guest's disk is converted to" },
    { "disk_source_name", AT(STR, disk_source_name),
      .def = "/var/lib/libvirt/migrate/no_precreate_target_disk.img",
      .doc = "where the guest's disk goes (an absolute path; its directory is the pool's)" },
    { "target_pool_name", AT(STR, pool_name), .def = "no_precreate_target_disk_pool",
      .doc = "the destination's pool" },
    { "target_pool_type", AT(STR, pool_type), .def = "dir", .doc = "its type: dir" },
    { "target_pool_target", AT(STR, pool_target), .def = "/var/lib/libvirt/migrate/",
      .doc = "its target path: disk_source_name's directory" },
    RUN_BASE_POST_ROWS(struct pn_opts),
    { NULL },
};
#undef AT

static const struct run_need pn_needs_last[] = {
    RUN_CS_NEED_UNBUILT,
    { NULL },
};

/* dirname of an absolute path without trailing slashes: its length, 0 when none */
static size_t pn_dirlen(const char *path)
{
    const char *slash = path[0] == '/' ? strrchr(path, '/') : NULL;
    return slash ? (size_t)(slash - path) : 0;
}

static size_t pn_trimmed(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return n;
}

static int pn_check(const struct run_common *c, void *opts)
{
    struct pn_opts *o = opts;
    const char *src = o->disk_source_name;
    size_t dl = pn_dirlen(src);

    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (strcmp(o->disk_format, "qcow2") && strcmp(o->disk_format, "raw")) {
        err_set("disk_format = '%s': expected qcow2 or raw", o->disk_format);
        return -1;
    }
    if (strcmp(o->pool_type, "dir")) {
        err_set("target_pool_type = '%s': vtrun builds dir pools only", o->pool_type);
        return -1;
    }
    if (!dl || !src[dl + 1] || strchr(src, '\n')) {
        err_set("disk_source_name = '%s': expected an absolute path of a file", src);
        return -1;
    }
    if (dl != pn_trimmed(o->pool_target) || strncmp(src, o->pool_target, dl)) {
        err_set("target_pool_target = '%s': expected disk_source_name's directory (%.*s)",
                o->pool_target, (int)dl, src);
        return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct pn_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;
    char *dir, *disk, *pool;        /* this test's: directory (both hosts), file, pool */
    bool dir_made[2], pool_made;
};

static int pn_setup(struct run_ctx *ctx)
{
    struct pn_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    return run_cs_vmset_setup(ctx, &st->vms, &st->params);
}

static void pn_cleanup(struct run_ctx *ctx)
{
    struct pn_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    if (st->pool_made) {
        struct run_virsh r = RUN_VIRSH_INIT;
        const char *w[] = { "pool-destroy", st->pool, NULL };
        if (run_virsh_words(ctx, 1, w, &r) < 0 || r.status)
            run_log(ctx, "cleanup of pool %s on %s: %s", st->pool, ctx->hosts[1].name,
                    r.err.len ? r.err.buf : err_msg());
        run_virsh_release(&r);
    }
    for (int h = 0; h < 2; h++) {
        struct virt_host *link = st->dir_made[h] ? run_host_link(ctx, h) : NULL;
        const char *rm[] = { "rm", "-rf", "--", st->dir, NULL };
        if (st->dir_made[h] && (!link || virt_host_run(link, rm, 60, NULL, NULL, NULL) < 0))
            run_log(ctx, "cleanup of %s on %s: %s", st->dir, ctx->hosts[h].name, err_msg());
    }
    free(st->dir);
    free(st->disk);
    free(st->pool);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* argv on host h: 0 with its stdout in out (may be NULL), or -1 with the test's ERROR */
static int pn_host(struct run_ctx *ctx, int h, const char *const *argv, struct strbuf *out)
{
    struct virt_host *link = run_host_link(ctx, h);
    if (!link || virt_host_run(link, argv, 300, out, NULL, NULL) < 0)
        return run_error(ctx, "TestSetupError", "%s", err_msg());
    return 0;
}

/* The guest's disk converted into this test's directory on the source; the
 * destination's directory made and a pool created over it. */
static int pn_prepare(struct run_ctx *ctx, const struct pn_opts *o, struct pn_state *st,
                      struct be_disk *disk, struct strbuf *info)
{
    const char *base = strrchr(o->disk_source_name, '/') + 1;
    size_t dl = pn_dirlen(o->disk_source_name);

    st->dir = xasprintf("%.*s/vtrun-%.7s-%u", (int)dl, o->disk_source_name, ctx->job_id,
                        ctx->slot);
    st->disk = xasprintf("%s/%s", st->dir, base);
    st->pool = xasprintf("%s-%.7s-%u", o->pool_name, ctx->job_id, ctx->slot);
    for (int h = 0; h < 2; h++) {
        const char *mk[] = { "mkdir", "-p", "--", st->dir, NULL };
        st->dir_made[h] = true;
        if (pn_host(ctx, h, mk, NULL) < 0)
            return -1;
    }
    const char *conv[] = { "qemu-img", "convert", "-f", disk->format ? disk->format : "qcow2",
                           "-O", o->disk_format, disk->path, st->disk, NULL };
    const char *qinfo[] = { "qemu-img", "info", st->disk, "-U", NULL };
    if (pn_host(ctx, 0, conv, NULL) < 0 || pn_host(ctx, 0, qinfo, info) < 0)
        return -1;
    run_log(ctx, "guest disk %s converted to %s %s on %s:\n%s", disk->path, o->disk_format,
            st->disk, ctx->hosts[0].name, info->buf);
    free(disk->path);
    free(disk->format);
    disk->path = xstrdup(st->disk);
    disk->format = xstrdup(o->disk_format);

    struct run_virsh r = RUN_VIRSH_INIT;
    const char *w[] = { "pool-create-as", st->pool, o->pool_type, "--target", st->dir, NULL };
    int rc = run_virsh_words(ctx, 1, w, &r);
    if (rc == 0 && r.status == 0)
        st->pool_made = true;
    else
        rc = run_error(ctx, "TestSetupError", "pool %s on %s: %s", st->pool,
                       ctx->hosts[1].name, rc < 0 ? err_msg() : r.err.buf);
    run_virsh_release(&r);
    return rc < 0 ? -1 : 0;
}

static int pn_run(struct run_ctx *ctx)
{
    const struct pn_opts *o = ctx->opts;
    struct pn_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct strbuf src_info = STRBUF_INIT, dst_info = STRBUF_INIT;
    int rc = -1;

    if (!vms->vm[i].spec->ndisks) {
        rc = run_error(ctx, "TestSetupError", "the guest has no disk to convert");
        goto out;
    }
    /* the clone made first: what is converted (setup_test's blk_source) */
    if (virt_vms_prepare_disks(vms, i, 0) < 0) {
        rc = run_error(ctx, "VMCreateError", "%s", err_msg());
        goto out;
    }
    if (pn_prepare(ctx, o, st, &vms->vm[i].spec->disks[0], &src_info) < 0 ||
        run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        goto out;
    /* what the case tests: no disk made on the destination, libvirt makes it */
    vms->copy_no_dest_disks = true;
    rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    vms->copy_no_dest_disks = false;
    if (rc != 1) {
        rc = rc < 0 ? -1 : 0;
        goto out;
    }
    rc = -1;
    if (run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state, o->network_check,
                            o->disk_check) < 0)
        goto out;
    char *words = run_base_words(&o->mig, false);
    bool all = strstr(words, "copy-storage-all") != NULL;
    free(words);
    if (all) {
        const char *qinfo[] = { "qemu-img", "info", st->disk, "-U", NULL };
        char *missing = NULL;
        if (pn_host(ctx, 1, qinfo, &dst_info) < 0)
            goto out;
        if (!run_cs_image_info_match(src_info.buf, dst_info.buf,
                                     !strcmp(o->disk_format, "qcow2"), &missing)) {
            run_fail(ctx, "ImageCheck", "Not found '%s' in %s", missing, dst_info.buf);
            free(missing);
            goto out;
        }
        run_log(ctx, "check_image_info: the image libvirt made on %s matches the source's:"
                "\n%s", ctx->hosts[1].name, dst_info.buf);
    }
    rc = 0;
out:
    strbuf_release(&src_info);
    strbuf_release(&dst_info);
    return rc;
}

const struct run_type run_type_precreate_none_target_disk = {
    .name = "precreate_none_target_disk",
    .summary = "tp-libvirt's precreate_none_target_disk: a copy-storage migration with no "
               "disk made on the destination, libvirt making it in a pool; its qemu-img "
               "info compared with the source's",
    .needs = { .vms = 1, .hosts = 2, .rows_last = pn_needs_last },
    .params = pn_params,
    .opts_size = sizeof(struct pn_opts),
    .check = pn_check,
    .setup = pn_setup,
    .run = pn_run,
    .cleanup = pn_cleanup,
};
