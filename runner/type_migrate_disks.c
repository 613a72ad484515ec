/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migrate_disks`: tp-libvirt's
 * libvirt/tests/src/migration_with_copy_storage/migrate_disks.py (a MigrationBase case)
 * with base_steps' shared steps (runner/run_base.h): --migrate-disks names which disks
 * a copy-storage migration copies.
 *
 * The guest's disk is the source's own (its images_dir); disk2 (disk2_name, a
 * disk_format image, disk2_dict) is made beside it, and both are made on the
 * destination too, empty, of the same size and format (prepare_disk_remote).  The
 * `disks` variants add disk3 (shareable) or disk4 (readonly), files on the shared
 * storage (the settings' shared_dir: the reference's NFS mount), or disk5 (an empty
 * cdrom).  The VM starts and is logged into, migrates with the case's words
 * (--migrate-disks LIST, copy_storage_option) and must fail with err_msg (status_error:
 * a local disk left out is unsafe, a readonly or empty one or an unknown target is
 * refused) or succeed; then verify_default (the states on both sides, a line written
 * to the guest's disk on the destination).
 *
 * Not built yet, an ERROR naming it: the UNIX-socket proxy and TLS transports.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_diskdict.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

/* libvirt_disk.create_disk's default size */
#define MD_DISK_SIZE "500M"

/* Where a diskN's file is made: beside the guest's disk on both hosts (disk2), on the
 * shared storage (disk3, disk4), none (disk5: an empty drive). */
enum md_where { MD_BESIDE, MD_SHARED, MD_NONE };

struct md_disk {
    const char *name, *dict;
};

struct md_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *disk_format;
    struct md_disk disk[4];         /* disk2 .. disk5 */
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

static const enum md_where md_where_of[4] = { MD_BESIDE, MD_SHARED, MD_SHARED, MD_NONE };

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct md_opts, __VA_ARGS__)
#define MD_DISK_ROWS(n, k, where)                                                        \
    { "disk" #n "_dict", AT(STR, disk[k].dict),                                          \
      .doc = "disk" #n ", " where ", as create_vm_device_by_type reads it" },             \
    { "disk" #n "_name", AT(STR, disk[k].name), .doc = "the file name of disk" #n }
static const struct run_param md_params[] = {
    RUN_BASE_MIG_ROWS(struct md_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "disk_format", AT(STR, disk_format), .def = "qcow2",
      .doc = "the format the added disks' files are made in" },
    MD_DISK_ROWS(2, 0, "beside the guest's disk, made on both hosts"),
    MD_DISK_ROWS(3, 1, "on the shared storage"),
    MD_DISK_ROWS(4, 2, "on the shared storage"),
    { "disk5_dict", AT(STR, disk[3].dict),
      .doc = "disk5, an empty drive, as create_vm_device_by_type reads it" },
    RUN_BASE_POST_ROWS(struct md_opts),
    { NULL },
};
#undef MD_DISK_ROWS
#undef AT

static bool md_no_disk2(const struct params *p)
{
    const char *v = params_get(p, "disk2_dict");
    return !v || !v[strspn(v, " \t")];
}

static int md_no_disk2_met(const struct run_need *n, const struct params *p,
                           struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    err_set("disk2_dict: not set (every case adds disk2)");
    return -1;
}

static const struct run_need md_needs_last[] = {
    { "disk2", .applies = md_no_disk2, .met = md_no_disk2_met,
      .met_doc = "never: a case without disk2_dict is an ERROR", .text = "disk2_dict" },
    RUN_CS_NEED_UNBUILT,
    { NULL },
};

static int md_check(const struct run_common *c, void *opts)
{
    struct md_opts *o = opts;

    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (strcmp(o->disk_format, "qcow2") && strcmp(o->disk_format, "raw")) {
        err_set("disk_format = '%s': expected qcow2 or raw", o->disk_format);
        return -1;
    }
    for (int k = 0; k < 4; k++) {
        struct be_disk d;
        const struct md_disk *m = &o->disk[k];
        if (!m->dict)
            continue;
        if (run_diskdict_parse(m->dict, &d) < 0) {
            err_prefix("disk%d_dict", k + 2);
            return -1;
        }
        run_diskdict_release(&d);
        if (md_where_of[k] != MD_NONE && (!m->name || strchr(m->name, '/'))) {
            err_set("disk%d_name = '%s': expected a file name", k + 2, m->name ? m->name : "");
            return -1;
        }
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct md_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clone in images_dir */
    struct run_cs_files files;      /* disk2 (both hosts), disk3, disk4 (the source) */
};

static int md_setup(struct run_ctx *ctx)
{
    struct md_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    return run_cs_vmset_setup(ctx, &st->vms, &st->params);
}

static void md_cleanup(struct run_ctx *ctx)
{
    struct md_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    run_cs_files_remove(ctx, &st->files, &st->vms.conf.vctx);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* diskN's file (k = N - 2) made where it belongs, then its drive added. */
static int md_add(struct run_ctx *ctx, const struct md_opts *o, struct md_state *st,
                  struct be_vm_spec *spec, int k, const char *beside)
{
    const struct md_disk *m = &o->disk[k];
    enum md_where w = md_where_of[k];
    const char *dir = w == MD_SHARED ? ctx->hosts[0].shared_dir : beside;
    char *param = xasprintf("disk%d_dict", k + 2);
    int rc = -1;

    if (w == MD_NONE) {
        rc = run_diskdict_add(ctx, spec, param, m->dict, NULL);
        goto out;
    }
    if (!dir) {
        rc = run_cancel(ctx, "shared storage (disk%d on the NFS mount): the settings give "
                        "host %s no shared_dir", k + 2, ctx->hosts[0].name);
        goto out;
    }
    bool both = w == MD_BESIDE;
    const char *file = run_cs_files_add(ctx, &st->files, &st->vms, dir, m->name,
                                        both ? 3u : 1u);
    if (!file)
        goto out;
    for (int h = 0; h < (both ? 2 : 1); h++) {
        struct virt_host *link = run_host_link(ctx, h);
        if (!link || virt_image_create(link, file, o->disk_format, MD_DISK_SIZE,
                                       &st->vms.conf.vctx) < 0) {
            rc = run_error(ctx, "TestSetupError", "disk%d %s on %s: %s", k + 2, file,
                           ctx->hosts[h].name, err_msg());
            goto out;
        }
    }
    run_log(ctx, "disk%d: %s %s of " MD_DISK_SIZE " made on %s", k + 2, o->disk_format,
            file, both ? "both hosts" : ctx->hosts[0].name);
    rc = run_diskdict_add(ctx, spec, param, m->dict, file);
out:
    free(param);
    return rc;
}

static int md_run(struct run_ctx *ctx)
{
    const struct md_opts *o = ctx->opts;
    struct md_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct be_vm_spec *spec = vms->vm[i].spec;
    const char *first = spec->ndisks ? spec->disks[0].path : NULL;
    const char *slash = first ? strrchr(first, '/') : NULL;

    if (!slash)
        return run_error(ctx, "TestSetupError", "the guest has no disk to put disk2 beside");
    char *beside = xstrndup(first, (size_t)(slash - first));
    int rc = 0;
    for (int k = 0; k < 4 && rc == 0; k++)
        if (o->disk[k].dict)
            rc = md_add(ctx, o, st, spec, k, beside);
    free(beside);
    if (rc < 0 || run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (rc < 0)
        return -1;
    /* verify_default */
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_migrate_disks = {
    .name = "migrate_disks",
    .summary = "tp-libvirt's migrate_disks: a copy-storage migration of a guest with "
               "added disks, --migrate-disks naming which are copied",
    .needs = { .vms = 1, .hosts = 2, .rows_last = md_needs_last },
    .params = md_params,
    .opts_size = sizeof(struct md_opts),
    .check = md_check,
    .setup = md_setup,
    .run = md_run,
    .cleanup = md_cleanup,
};
