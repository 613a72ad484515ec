/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `autoskipped_disks`: tp-libvirt's
 * libvirt/tests/src/migration_with_copy_storage/autoskipped_disks.py (a MigrationBase
 * case) with base_steps' shared steps (runner/run_base.h).
 *
 * The guest's disk is the source's own (its images_dir, as setup_common moves it to
 * the data dir); the destination's copy is made as the reference makes it (same path,
 * size and format: the copy-storage hop creates it, virt/virt.h).  A second drive,
 * second_disk_dict (runner/run_diskdict.h), is added that libvirt's copy-storage skips:
 *
 *  - disk_with_shareable / disk_with_readonly: a raw file (second_disk_name) made on
 *    the source beside the guest's disk (local_storage) or on the shared storage
 *    (shared_storage: storage_type nfs, the settings' shared_dir);
 *  - cdrom_with_empty_source: an empty cdrom;
 *  - cdrom_with_startuppolicy: a cdrom whose source is an ISO made with mkisofs of 10
 *    MiB of random data, with source.attrs.startupPolicy.
 *
 * The VM starts and is logged into, migrates with the case's words (--copy-storage-all
 * or -inc) and must fail with err_msg (status_error: "Unsafe migration" for a
 * shareable disk not on shared storage, "No such file" for a readonly one or a
 * mandatory cdrom missing on the destination) or succeed; then verify_default (the
 * states on both sides, a line written to the guest's disk on the destination).
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

enum asd_case { ASD_SHAREABLE, ASD_READONLY, ASD_CDROM_EMPTY, ASD_CDROM_POLICY };

static const struct params_word asd_case_words[] = {
    { "disk_with_shareable", ASD_SHAREABLE },
    { "disk_with_readonly", ASD_READONLY },
    { "cdrom_with_empty_source", ASD_CDROM_EMPTY },
    { "cdrom_with_startuppolicy", ASD_CDROM_POLICY },
    { NULL, 0 },
};

/* libvirt_disk.create_disk's default size for the raw second disk */
#define ASD_RAW_SIZE "500M"

struct asd_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg;
    int test_case;                  /* enum asd_case */
    const char *disk_dict, *disk_name, *storage_type;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct asd_opts, __VA_ARGS__)
static const struct run_param asd_params[] = {
    RUN_BASE_MIG_ROWS(struct asd_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "test_case", AT(ENUM, test_case, asd_case_words),
      .doc = "the second drive: disk_with_shareable, disk_with_readonly, "
             "cdrom_with_empty_source, cdrom_with_startuppolicy" },
    { "second_disk_dict", AT(STR, disk_dict),
      .doc = "the second drive as libvirt_vmxml.create_vm_device_by_type reads it "
             "(runner/run_diskdict.h)" },
    { "second_disk_name", AT(STR, disk_name),
      .doc = "the file name of its source (a raw image or an ISO)" },
    { "storage_type", AT(STR, storage_type),
      .doc = "nfs: the second drive's file on the shared storage; else beside the "
             "guest's disk on the source" },
    RUN_BASE_POST_ROWS(struct asd_opts),
    { NULL },
};
#undef AT

static bool asd_no_drive(const struct params *p)
{
    const char *v = params_get(p, "second_disk_dict");
    return !v || !v[strspn(v, " \t")];
}

static int asd_no_drive_met(const struct run_need *n, const struct params *p,
                            struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    err_set("second_disk_dict: not set (the second drive)");
    return -1;
}

static const struct run_need asd_needs_last[] = {
    { "second drive", .applies = asd_no_drive, .met = asd_no_drive_met,
      .met_doc = "never: a case without second_disk_dict is an ERROR",
      .text = "second_disk_dict" },
    RUN_CS_NEED_UNBUILT,
    { NULL },
};

static bool asd_shared(const struct asd_opts *o)
{
    return o->storage_type && !strcmp(o->storage_type, "nfs");
}

static int asd_check(const struct run_common *c, void *opts)
{
    struct asd_opts *o = opts;
    struct be_disk d;

    if (run_base_words_check(&o->mig) < 0)
        return -1;
    /* unset: the "second drive" need below (a type parses with nothing set) */
    if (!o->disk_dict)
        return 0;
    if (run_diskdict_parse(o->disk_dict, &d) < 0) {
        err_prefix("second_disk_dict");
        return -1;
    }
    run_diskdict_release(&d);
    if (o->test_case != ASD_CDROM_EMPTY && (!o->disk_name || strchr(o->disk_name, '/'))) {
        err_set("second_disk_name = '%s': expected a file name (test_case %s)",
                o->disk_name ? o->disk_name : "", asd_case_words[o->test_case].word);
        return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct asd_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clone in images_dir */
    struct run_cs_files files;      /* made on the source: the drive's file, the ISO's data */
};

static int asd_setup(struct run_ctx *ctx)
{
    struct asd_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    return run_cs_vmset_setup(ctx, &st->vms, &st->params);
}

static void asd_cleanup(struct run_ctx *ctx)
{
    struct asd_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    run_cs_files_remove(ctx, &st->files, &st->vms.conf.vctx);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* Run argv on the source: 0, or -1 with the test's ERROR. */
static int asd_host(struct run_ctx *ctx, struct virt_host *link, const char *const *argv)
{
    if (virt_host_run(link, argv, 120, NULL, NULL, NULL) < 0)
        return run_error(ctx, "TestSetupError", "%s", err_msg());
    return 0;
}

/* The second drive's source on the source host, as setup_test makes it: a raw image,
 * or an ISO (mkisofs of 10 MiB of random data).  path: where (owned by st). */
static int asd_make_source(struct run_ctx *ctx, const struct asd_opts *o,
                           struct asd_state *st, const char *dir, const char **path)
{
    struct virt_host *link = run_host_link(ctx, 0);
    if (!link)
        return run_error(ctx, "TestSetupError", "%s", err_msg());
    const char *file = run_cs_files_add(ctx, &st->files, &st->vms, dir, o->disk_name, 1u);
    if (!file)
        return -1;
    *path = file;
    if (o->test_case != ASD_CDROM_POLICY) {
        if (virt_image_create(link, file, "raw", ASD_RAW_SIZE, &st->vms.conf.vctx) < 0)
            return run_error(ctx, "TestSetupError", "second disk %s on %s: %s", file,
                             ctx->hosts[0].name, err_msg());
        run_log(ctx, "second disk: raw %s of " ASD_RAW_SIZE " on %s", file,
                ctx->hosts[0].name);
        return 0;
    }
    const char *data = run_cs_files_add(ctx, &st->files, &st->vms, dir, "test.iso", 1u);
    if (!data)
        return -1;
    char *of = xasprintf("of=%s", data);
    const char *dd[] = { "dd", "if=/dev/urandom", of, "bs=1M", "count=10", NULL };
    const char *iso[] = { "mkisofs", "-quiet", "-o", file, data, NULL };
    int rc = asd_host(ctx, link, dd) < 0 || asd_host(ctx, link, iso) < 0 ? -1 : 0;
    free(of);
    if (rc == 0)
        run_log(ctx, "cdrom source: ISO %s (mkisofs of %s) on %s", file,
                data, ctx->hosts[0].name);
    return rc;
}

/* mkisofs on the source, asked before the VM starts: the ISO of
 * cdrom_with_startuppolicy is the reference's own (process.run("mkisofs ...")). */
static int asd_need_mkisofs(struct run_ctx *ctx)
{
    struct virt_host *link = run_host_link(ctx, 0);
    const char *argv[] = { "mkisofs", "-version", NULL };
    int status = -1;
    if (!link)
        return run_error(ctx, "TestSetupError", "%s", err_msg());
    if (virt_host_run(link, argv, 30, NULL, NULL, &status) < 0 || status != 0)
        return run_cancel(ctx, "mkisofs on the source host %s (cdrom_with_startuppolicy "
                          "makes its ISO with it; Debian: genisoimage)", ctx->hosts[0].name);
    return 0;
}

/* The second drive appended to the guest's spec: second_disk_dict with the source
 * made for it. */
static int asd_add_drive(struct run_ctx *ctx, const struct asd_opts *o, struct asd_state *st,
                         struct be_vm_spec *spec)
{
    const char *first = spec->ndisks ? spec->disks[0].path : NULL;
    const char *dir = asd_shared(o) ? ctx->hosts[0].shared_dir : NULL;
    char *own = NULL;
    const char *path = NULL;

    if (asd_shared(o) && !dir)
        return run_cancel(ctx, "shared storage (storage_type = nfs): the settings give "
                          "host %s no shared_dir", ctx->hosts[0].name);
    if (!dir && o->test_case != ASD_CDROM_EMPTY) {
        const char *slash = first ? strrchr(first, '/') : NULL;
        if (!slash)
            return run_error(ctx, "TestSetupError", "the guest has no disk to put %s beside",
                             o->disk_name);
        dir = own = xstrndup(first, (size_t)(slash - first));
    }
    if (o->test_case == ASD_CDROM_POLICY && asd_need_mkisofs(ctx) < 0) {
        free(own);
        return -1;
    }
    int rc = o->test_case == ASD_CDROM_EMPTY ? 0 : asd_make_source(ctx, o, st, dir, &path);
    free(own);
    if (rc < 0)
        return -1;
    return run_diskdict_add(ctx, spec, "second_disk_dict", o->disk_dict, path);
}

static int asd_run(struct run_ctx *ctx)
{
    const struct asd_opts *o = ctx->opts;
    struct asd_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;

    if (asd_add_drive(ctx, o, st, vms->vm[i].spec) < 0)
        return -1;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    int rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (rc < 0)
        return -1;
    /* verify_default */
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_autoskipped_disks = {
    .name = "autoskipped_disks",
    .summary = "tp-libvirt's autoskipped_disks: a copy-storage migration of a guest with "
               "a drive libvirt does not copy (shareable, readonly, empty or "
               "startupPolicy cdrom), on private or shared storage",
    .needs = { .vms = 1, .hosts = 2, .rows_last = asd_needs_last },
    .params = asd_params,
    .opts_size = sizeof(struct asd_opts),
    .check = asd_check,
    .setup = asd_setup,
    .run = asd_run,
    .cleanup = asd_cleanup,
};
