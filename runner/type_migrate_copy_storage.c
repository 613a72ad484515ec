/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `virsh_migrate_copy_storage`: tp-libvirt's
 * libvirt/tests/src/virsh_cmd/domain/virsh_migrate_copy_storage.py on the one migration
 * engine.
 *
 * The guest's disk lives in the source host's private image directory (the settings'
 * images_dir, unless the case says image_clone_dir itself), with added_disks_count - 1
 * more disks beside it, made on both hosts as the reference's RemoteDiskManager does;
 * the guest's own disk is made on the destination by the hop (virt/: an empty image
 * for --copy-storage-all, an overlay on the same master for --copy-storage-inc).  One
 * hop with --live and copy_storage_option, within thread_timeout; on the destination
 * the guest must run, be reached over its network, and read back what it wrote to its
 * disk before the hop (the copy holds the data).
 *
 * error_test: the first hop must fail -- migration_interupted: thread_timeout so short
 * the hop is aborted; not_exist_file: no disk made on the destination for it -- then,
 * repaired, migrate again (within 120 s) and pass the same checks; occupied_disk: the
 * destination's image file system filled (one fallocated file, as the reference's
 * occupy_space) so that half of what the hop copies stays free, removed for the second
 * hop.  The reference leaves half the disk's virtual size in whole GiB (0 for a disk
 * under 1 GiB); vtrun leaves half the data the hop writes (`qemu-img measure` of the
 * chain for --copy-storage-all, the overlay's allocation for -inc), so that a small or
 * sparse guest disk cannot fit and the first hop fails on every guest, as the case
 * means.  Filling a host's file system is destructive to its other users: the hosts
 * must say they allow it (capability fill_images_dir; the lab's image directories are
 * file systems of their own).  lvm disks need an iSCSI target (CANCEL without the
 * hosts' capability).
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cps_abnormal { CPS_NORMAL, CPS_INTERRUPTED, CPS_OCCUPIED, CPS_NO_IMAGE };

static const struct params_word type_words[] = {
    { "file", 0 }, { "lvm", 1 }, { NULL, 0 },
};
static const struct params_word abnormal_words[] = {
    { "migration_interupted", CPS_INTERRUPTED },
    { "occupied_disk", CPS_OCCUPIED },
    { "not_exist_file", CPS_NO_IMAGE },
    { NULL, 0 },
};

/* The reference's second try after migration_interupted: thread_timeout 120. */
#define CPS_AGAIN_TIMEOUT_S 120.0
/* What the guest writes to its disk before the hop and reads back after it. */
#define CPS_MARK_FILE "/mnt/data/vtrun-copy-storage"

struct cps_opts {
    int disk_type;
    const char *option;             /* copy_storage_option */
    long count;
    double size_gib;
    double thread_timeout;
    bool migrate_again, status_error;
    int abnormal;                   /* enum cps_abnormal */
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct cps_opts, __VA_ARGS__)
static const struct run_param cps_params[] = {
    { "copy_storage_type", AT(ENUM, disk_type, type_words), .def = "file",
      .doc = "the added disks: image files, or lvm (volumes on an iSCSI LUN)" },
    { "copy_storage_option", AT(STR, option), .def = "--copy-storage-all",
      .doc = "--copy-storage-all or --copy-storage-inc, after --live" },
    { "added_disks_count", AT(INT, count), .def = "1", RUN_PARAM_RANGE(1, 20),
      .doc = "the disks migrated: the guest's own and count - 1 more (vdb ...)" },
    { "added_disk_size", AT(FLOAT, size_gib), .def = "1", RUN_PARAM_MIN(0.000001),
      .unit = "GiB", .doc = "size of each added disk" },
    { "thread_timeout", AT(FLOAT, thread_timeout), .def = "1200", RUN_PARAM_MIN(0.1),
      .unit = "seconds", .doc = "the most the hop may take, then it is aborted" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no",
      .doc = "the first hop must fail; after the repair a second one must pass" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "with migrate_again: the first hop fails" },
    { "abnormal_type", AT(ENUM, abnormal, abnormal_words),
      .doc = "what makes the first hop fail: migration_interupted (thread_timeout), "
             "not_exist_file (no disk made on the destination); occupied_disk (the "
             "destination's image file system filled)" },
    { NULL },
};
#undef AT

static int cps_check(const struct run_common *c, void *opts)
{
    struct cps_opts *o = opts;
    struct be_migrate_opts mo = { 0 };
    char *words = xasprintf("--live %s", o->option);
    int rc = mig_opts_parse(words, &mo);

    if (rc < 0)
        err_prefix("copy_storage_option = '%s'", o->option);
    else if (!(mo.flags & (BE_MIG_COPY_STORAGE_ALL | BE_MIG_COPY_STORAGE_INC))) {
        err_set("copy_storage_option = '%s': expected --copy-storage-all or "
                "--copy-storage-inc", o->option);
        rc = -1;
    } else if (o->migrate_again && o->abnormal == CPS_NORMAL) {
        err_set("migrate_again without abnormal_type: nothing makes the first hop fail");
        rc = -1;
    }
    mig_opts_release(&mo);
    free(words);
    if (rc < 0)
        return -1;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

static bool lvm_applies(const struct params *p)
{
    const char *v = params_get(p, "copy_storage_type");
    return v && !strcmp(v, "lvm");
}

static bool occupied_applies(const struct params *p)
{
    const char *v = params_get(p, "abnormal_type");
    return v && !strcmp(v, "occupied_disk");
}

/* lvm: the reference makes a volume group on an iSCSI LUN on each host */
static const struct run_need cps_needs[] = {
    { "iscsi", .capability = "iscsi", .applies = lvm_applies,
      .text = "an iSCSI target (copy_storage_type = lvm)" },
    { "fill_images_dir", .capability = "fill_images_dir", .applies = occupied_applies,
      .text = "leave to fill the destination's image file system (abnormal_type = "
              "occupied_disk: tp-libvirt's occupy_space)" },
    { NULL },
};

struct cps_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view of it holds */
    struct params *params;          /* the case's, with the clone in images_dir */
    char **images;                  /* added disks, made on both hosts */
    size_t nimages;
    struct virt_hostops *fill;      /* occupied_disk: the destination's file system */
};

static int cps_setup(struct run_ctx *ctx)
{
    struct cps_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    st->params = params_dup(ctx->params);
    /* the reference's disk is the source's own: copy-storage is the point */
    if (!params_get(st->params, "image_clone_dir"))
        params_set(st->params, "image_clone_dir", "images_dir");
    if (run_vmset_setup_params(ctx, &st->vms, st->params) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void cps_cleanup(struct run_ctx *ctx)
{
    struct cps_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    if (st->fill && virt_hostops_undo(st->fill) < 0)
        run_log(ctx, "cleanup of the filled file system: %s", err_msg());
    virt_hostops_free(st->fill);
    for (int h = 0; h < 2 && st->nimages; h++) {
        struct virt_host *link = run_host_link(ctx, h);
        for (size_t k = 0; k < st->nimages; k++)
            if (!link || virt_image_remove(link, st->images[k], &st->vms.conf.vctx) < 0)
                run_log(ctx, "cleanup of %s on %s: %s", st->images[k], ctx->hosts[h].name,
                        err_msg());
    }
    for (size_t k = 0; k < st->nimages; k++)
        free(st->images[k]);
    free(st->images);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* The added disks: count - 1 qcow2 images beside the guest's, made on both hosts (the
 * hop copies into the destination's), defined with the guest.  0, or -1 with the
 * test's error set. */
static int add_disks(struct run_ctx *ctx, const struct cps_opts *o, struct cps_state *st,
                     struct be_vm_spec *spec, int nhosts)
{
    size_t n = (size_t)o->count - 1;
    if (!n)
        return 0;
    const char *img = spec->ndisks ? spec->disks[0].path : "";
    const char *slash = strrchr(img, '/');
    unsigned long long bytes = (unsigned long long)ceil(o->size_gib * 2097152.0) * 512ULL;
    char size[32];
    struct virt_host *link[2] = { run_host_link(ctx, 0), run_host_link(ctx, 1) };

    if (!link[0] || !link[1])
        return run_error(ctx, "TestSetupError", "%s", err_msg());
    snprintf(size, sizeof(size), "%llu", bytes);
    st->images = xcalloc(n, sizeof(*st->images));
    spec->disks = xrealloc(spec->disks, (spec->ndisks + n) * sizeof(*spec->disks));
    for (size_t k = 0; k < n; k++) {
        char *path = xasprintf("%.*ssmtest-%.7s-%u-%zu.qcow2",
                               slash ? (int)(slash - img + 1) : 0, img, ctx->job_id,
                               ctx->slot, k);
        st->images[st->nimages++] = path;
        for (int h = 0; h < nhosts; h++)
            if (virt_image_create(link[h], path, "qcow2", size, &st->vms.conf.vctx) < 0)
                return run_error(ctx, "TestSetupError", "added disk %s on %s: %s", path,
                                 ctx->hosts[h].name, err_msg());
        spec->disks[spec->ndisks++] = (struct be_disk){
            .path = xstrdup(path), .format = xstrdup("qcow2"), .cache = xstrdup("none") };
    }
    run_log(ctx, "%zu added disk(s) of %s bytes beside %s, made on %s", n, size, img,
            nhosts == 2 ? "both hosts" : ctx->hosts[0].name);
    return 0;
}

/* not_exist_file's repair: the added disks made on the destination too, as the
 * reference's RemoteDiskManager does after the failed hop. */
static int dest_disks(struct run_ctx *ctx, const struct cps_opts *o, struct cps_state *st)
{
    struct virt_host *link = run_host_link(ctx, 1);
    unsigned long long bytes = (unsigned long long)ceil(o->size_gib * 2097152.0) * 512ULL;
    char size[32];

    snprintf(size, sizeof(size), "%llu", bytes);
    for (size_t k = 0; k < st->nimages; k++)
        if (!link || virt_image_create(link, st->images[k], "qcow2", size,
                                       &st->vms.conf.vctx) < 0)
            return run_error(ctx, "TestSetupError", "added disk %s on %s: %s",
                             st->images[k], ctx->hosts[1].name, err_msg());
    return 0;
}

/* What the hop writes to the destination for the guest's disk, in bytes: a qcow2
 * image of its whole chain for --copy-storage-all, the overlay's allocation for -inc
 * (the destination's overlay shares the master). */
static int copy_bytes(struct run_ctx *ctx, const char *disk, bool inc,
                      unsigned long long *out)
{
    struct virt_host *link = run_host_link(ctx, 0);
    const char *measure[] = { "qemu-img", "measure", "-U", "-O", "qcow2", "--", disk, NULL };
    const char *du[] = { "du", "-B1", "--", disk, NULL };
    struct strbuf sb = STRBUF_INIT;
    const char *p = NULL;
    int rc = link ? virt_host_run(link, inc ? du : measure, 60, &sb, NULL, NULL) : -1;
    if (rc == 0) {
        p = inc ? sb.buf : strstr(sb.buf, "required size:");
        if (p && !inc)
            p += strlen("required size:");
        *out = p ? strtoull(p, NULL, 10) : 0;
        if (!*out) {
            err_set("host %s: no size for %s in '%s'", ctx->hosts[0].name, disk, sb.buf);
            rc = -1;
        }
    }
    strbuf_release(&sb);
    return rc;
}

/* occupied_disk: the destination's file system of the guest's disk filled, half of
 * what the hop writes left free; undone (the file removed) as the repair. */
static int occupy(struct run_ctx *ctx, const struct cps_opts *o, struct cps_state *st,
                  const char *disk)
{
    struct virt_host *link = run_host_link(ctx, 1);
    unsigned long long need = 0;
    const char *slash = strrchr(disk, '/');
    char *dir = slash ? xstrndup(disk, (size_t)(slash - disk) + 1) : xstrdup(".");
    char *tag = xasprintf("%.7s-%u", ctx->job_id, ctx->slot);
    char *path = NULL;
    int rc = -1;

    if (!link || copy_bytes(ctx, disk, strstr(o->option, "-inc") != NULL, &need) < 0)
        goto out;
    st->fill = virt_hostops_new(tag, &st->vms.conf.vctx);
    struct virt_res res = { VIRT_RES_FILE, (char *)st->vms.be->name, ctx->hosts[1].uri, NULL };
    rc = virt_hostop_fill(st->fill, link, dir, need / 2, &res, &path);
    if (rc == 0)
        run_log(ctx, "hop 1: %s on %s filled by %s, %llu bytes left free: half of the %llu "
                "the hop writes (occupied_disk)", dir, ctx->hosts[1].name,
                path ? path : "nothing (already short)", need / 2, need);
out:
    free(path);
    free(tag);
    free(dir);
    return rc < 0 ? run_error(ctx, "TestSetupError", "occupied_disk: %s", err_msg()) : 0;
}

/* Run cmd in the guest: 0 with its output in out, or -1 with err set. */
static int guest(struct cps_state *st, size_t i, const char *cmd, struct strbuf *out)
{
    int status = -1;
    if (virt_vms_exec(&st->vms, i, cmd, 60, out, &status) < 0)
        return -1;
    if (status) {
        err_set("'%s' in the guest: exit %d: %s", cmd, status, out->buf);
        return -1;
    }
    return 0;
}

/* One hop within `timeout` seconds, judged by e: as run_mig_hop. */
static int hop(struct run_ctx *ctx, const struct cps_opts *o, struct cps_state *st, size_t i,
               unsigned n, double timeout, const struct mig_expect *e)
{
    struct be_migrate_opts mo = { 0 };
    char *words = xasprintf("--live %s", o->option);
    int rc = mig_opts_parse(words, &mo);

    free(words);
    if (rc < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    mo.cancel = ctx->cancel;
    mo.hard_deadline = clock_now() + timeout;
    if (ctx->deadline && ctx->deadline < mo.hard_deadline)
        mo.hard_deadline = ctx->deadline;
    rc = run_mig_hop(ctx, &st->vms, i, 0, 1, n, e, &mo, NULL);
    mig_opts_release(&mo);
    return rc;
}

static int cps_run(struct run_ctx *ctx)
{
    const struct cps_opts *o = ctx->opts;
    struct cps_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct strbuf out = STRBUF_INIT;
    char *mark = xasprintf("vtrun-%.7s-%u", ctx->job_id, ctx->slot);
    char *cmd = NULL;
    int rc;

    bool no_dest = o->migrate_again && o->abnormal == CPS_NO_IMAGE;
    if (add_disks(ctx, o, st, vms->vm[i].spec, no_dest ? 1 : 2) < 0) {
        rc = -1;
        goto out;
    }
    if (virt_vms_start(vms, i, 0) < 0) {
        rc = run_error(ctx, "VMCreateError", "%s", err_msg());
        goto out;
    }
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0) {
        rc = run_error(ctx, "LoginError", "before migration: %s", err_msg());
        goto out;
    }
    /* the mark is vtrun's own text, never a param's */
    cmd = xasprintf("echo %s > " CPS_MARK_FILE " && sync", mark);
    if (guest(st, i, cmd, &out) < 0) {
        rc = run_error(ctx, "TestSetupError", "writing to the guest's disk: %s", err_msg());
        goto out;
    }
    run_log(ctx, "guest disk %s: %s written to " CPS_MARK_FILE,
            vms->vm[i].spec->disks[0].path, mark);
    if (o->migrate_again) {
        struct mig_expect fail = { .status_error = true, .cancel_unsupported = true };
        if (no_dest)
            run_log(ctx, "hop 1: no disk made on %s for it (not_exist_file)",
                    ctx->hosts[1].name);
        if (o->abnormal == CPS_OCCUPIED &&
            occupy(ctx, o, st, vms->vm[i].spec->disks[0].path) < 0) {
            rc = -1;
            goto out;
        }
        vms->copy_no_dest_disks = no_dest;
        rc = hop(ctx, o, st, i, 1, o->thread_timeout, &fail);
        vms->copy_no_dest_disks = false;
        if (rc <= 0 && ctx->status != RUN_PASS)
            goto out;
        if (rc > 0) {
            rc = run_fail(ctx, "MigrationError", "Migration succeed, but not expected! "
                          "(abnormal_type %s, thread_timeout %g s)",
                          abnormal_words[o->abnormal].word, o->thread_timeout);
            goto out;
        }
        if (no_dest && dest_disks(ctx, o, st) < 0) {
            rc = -1;
            goto out;
        }
        if (st->fill) {
            if (virt_hostops_undo(st->fill) < 0) {
                rc = run_error(ctx, "TestSetupError", "occupied_disk repair: %s", err_msg());
                goto out;
            }
            run_log(ctx, "hop 2: the file filling %s removed", ctx->hosts[1].name);
        }
    }
    struct mig_expect ok = { .cancel_unsupported = true };
    rc = hop(ctx, o, st, i, o->migrate_again ? 2 : 1,
             o->migrate_again ? CPS_AGAIN_TIMEOUT_S : o->thread_timeout, &ok);
    if (rc <= 0)
        goto out;
    rc = run_mig_landed(ctx, vms, i, 1);
    if (rc < 0)
        goto out;
    strbuf_reset(&out);
    if (guest(st, i, "cat " CPS_MARK_FILE, &out) < 0 || !strstr(out.buf, mark)) {
        rc = run_fail(ctx, "PostMigrationCheck", "the guest's disk on %s lost what was "
                      "written before the hop: %s", ctx->hosts[1].name,
                      out.len ? out.buf : err_msg());
        goto out;
    }
    run_log(ctx, "guest disk on %s: %s read back", ctx->hosts[1].name, mark);
    rc = 0;
out:
    strbuf_release(&out);
    free(cmd);
    free(mark);
    return rc < 0 ? -1 : 0;
}

const struct run_type run_type_virsh_migrate_copy_storage = {
    .name = "virsh_migrate_copy_storage",
    .summary = "tp-libvirt's virsh_migrate_copy_storage: the guest's disks in the "
               "source's private directory, copied by a --live --copy-storage-all/-inc "
               "hop, the guest and its data checked on the destination",
    .needs = { .vms = 1, .hosts = 2, .rows = cps_needs },
    .params = cps_params,
    .opts_size = sizeof(struct cps_opts),
    .check = cps_check,
    .setup = cps_setup,
    .run = cps_run,
    .cleanup = cps_cleanup,
};
