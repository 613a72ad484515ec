/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `virsh_migrate_virtio_scsi`: tp-libvirt's
 * libvirt/tests/src/virsh_cmd/domain/virsh_migrate_virtio_scsi.py on the one migration
 * engine.
 *
 * The guest gets added_disks_count more disks (sda, sdb ...) on a virtio-scsi
 * controller, images of disk_format_type made on the storage both hosts see (the
 * settings' shared_dir, else beside the guest's image as the reference does), defined
 * with the guest before it starts; it migrates once with --live --unsafe; on the
 * destination it must run and be reached over its network, and every added disk must
 * take a write in the guest (dd of 1024 bytes, as the reference's check).
 *
 * disk_device_type = lun over a file is refused by libvirt: the reference expects
 * that failure (status_error), and so does vtrun -- a case expecting a failure that
 * does not come FAILs.  disk_source_type = block needs an iSCSI target (a need: CANCEL
 * without the hosts' capability).
 *
 * migrate_in_advance: the guest starts without the added disks, the hop runs in the
 * background, and the disks are attached to the running domain (virsh attach-disk,
 * live) while it migrates: libvirt must refuse (the case says status_error).  The
 * reference sleeps 2 s and attaches; vtrun paces the hop and attaches once the source
 * shows the migration job, so the attach meets a migration in progress rather than a
 * domain already gone.  An attach that works and a hop that lands FAIL ("Migration
 * before attaching successfully, but not expected"), as the reference's.
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum vsm_source { VSM_FILE, VSM_BLOCK };
enum vsm_device { VSM_DISK, VSM_LUN };

static const struct params_word source_words[] = {
    { "file", VSM_FILE }, { "block", VSM_BLOCK }, { NULL, 0 },
};
static const struct params_word device_words[] = {
    { "disk", VSM_DISK }, { "lun", VSM_LUN }, { NULL, 0 },
};
static const struct params_word format_words[] = {
    { "raw", 0 }, { "qcow2", 1 }, { NULL, 0 },
};

/* The reference's migration options, always these. */
#define VSM_OPTIONS "--live --unsafe"
/* More disks than this cannot be named sdX / sdXY (libvirt's names go further, the
 * reference's largest case has 257). */
#define VSM_MAX_DISKS (26 + 26 * 26)

struct vsm_opts {
    int source, device, format;
    long count;
    double size_gib;
    long checked_count;
    bool in_advance, status_error;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct vsm_opts, __VA_ARGS__)
static const struct run_param vsm_params[] = {
    { "disk_source_type", AT(ENUM, source, source_words), .def = "file",
      .doc = "the added disks' source: image files, or block (an iSCSI LUN)" },
    { "disk_device_type", AT(ENUM, device, device_words), .def = "disk",
      .doc = "disk, or lun (SCSI passthrough: over a file, a failure expected)" },
    { "disk_format_type", AT(ENUM, format, format_words), .def = "raw",
      .doc = "the added images' format" },
    { "added_disks_count", AT(INT, count), .def = "1", RUN_PARAM_RANGE(1, VSM_MAX_DISKS),
      .doc = "how many SCSI disks the guest gets (sda, sdb ...)" },
    { "added_disk_size", AT(FLOAT, size_gib), .def = "1", RUN_PARAM_MIN(0.000001),
      .unit = "GiB", .doc = "size of each added disk" },
    { "checked_count", AT(INT, checked_count), .def = "0", RUN_PARAM_MIN(0),
      .doc = "the reference's subset of disks it writes to; vtrun writes to all of them" },
    { "migrate_in_advance", AT(BOOL, in_advance), .def = "no",
      .doc = "attach the disks (live) while the migration runs: libvirt must refuse" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the setup or the migration must fail (implied by lun over a file)" },
    { NULL },
};
#undef AT

static int vsm_check(const struct run_common *c, void *opts)
{
    struct vsm_opts *o = opts;
    /* the reference: a LUN needs a block device, so libvirt must refuse it */
    if (o->source == VSM_FILE && o->device == VSM_LUN)
        o->status_error = true;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

static bool block_applies(const struct params *p)
{
    const char *v = params_get(p, "disk_source_type");
    return v && !strcmp(v, "block");
}

/* block sources: the reference logs both hosts into an iSCSI target it makes */
static const struct run_need vsm_needs[] = {
    { "iscsi", .capability = "iscsi", .applies = block_applies,
      .text = "an iSCSI target (disk_source_type = block)" },
    { NULL },
};

struct vsm_state {
    struct virt_vms vms;
    char **images;                  /* the added images, removed in cleanup */
    size_t nimages;
};

static int vsm_setup(struct run_ctx *ctx)
{
    struct vsm_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void vsm_cleanup(struct run_ctx *ctx)
{
    struct vsm_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);       /* the guest first: it holds the images */
    struct virt_host *link = st->nimages ? run_host_link(ctx, 0) : NULL;
    for (size_t k = 0; k < st->nimages; k++) {
        if (!link || virt_image_remove(link, st->images[k], &st->vms.conf.vctx) < 0)
            run_log(ctx, "cleanup of %s: %s", st->images[k], err_msg());
        free(st->images[k]);
    }
    free(st->images);
    free(st);
    ctx->data = NULL;
}

/* The k-th SCSI target: sda .. sdz, sdaa .. sdzz (libvirt's and the guest's order). */
static char *scsi_target(size_t k)
{
    if (k < 26)
        return xasprintf("sd%c", (char)('a' + k));
    k -= 26;
    return xasprintf("sd%c%c", (char)('a' + k / 26), (char)('a' + k % 26));
}

/* The added disks: images made on the shared storage and (define) defined with the
 * guest on its virtio-scsi controller.  0, or -1 with the test's error set. */
static int add_disks(struct run_ctx *ctx, const struct vsm_opts *o, struct vsm_state *st,
                     struct be_vm_spec *spec, bool define)
{
    const char *fmt = format_words[o->format].word;
    const char *img = spec->ndisks ? spec->disks[0].path : "";
    const char *slash = strrchr(img, '/');
    struct virt_host *link = run_host_link(ctx, 0);
    char *dir = ctx->hosts[0].shared_dir ? xstrdup(ctx->hosts[0].shared_dir) :
                xasprintf("%.*s", slash ? (int)(slash - img) : 1, slash ? img : ".");
    /* whole 512-byte sectors, as qemu-img wants them */
    unsigned long long bytes = (unsigned long long)ceil(o->size_gib * 2097152.0) * 512ULL;
    char size[32];
    int rc = 0;

    if (!link) {
        free(dir);
        return run_error(ctx, "TestSetupError", "source host: %s", err_msg());
    }
    snprintf(size, sizeof(size), "%llu", bytes);
    st->images = xcalloc((size_t)o->count, sizeof(*st->images));
    spec->disks = xrealloc(spec->disks, (spec->ndisks + (size_t)o->count) *
                                        sizeof(*spec->disks));
    spec->virtio_scsi = true;       /* the controller, even when the disks come later */
    for (size_t k = 0; k < (size_t)o->count && rc == 0; k++) {
        char *path = xasprintf("%s/vsmtest-%.7s-%u-%zu.%s", dir, ctx->job_id, ctx->slot, k,
                               fmt);
        if (virt_image_create(link, path, fmt, size, &st->vms.conf.vctx) < 0) {
            rc = run_error(ctx, "TestSetupError", "added disk %s: %s", path, err_msg());
            free(path);
            break;
        }
        st->images[st->nimages++] = path;
        if (define)
            spec->disks[spec->ndisks++] = (struct be_disk){
                .path = xstrdup(path), .format = xstrdup(fmt), .bus = xstrdup("scsi"),
                .target = scsi_target(k), .cache = xstrdup("none"),
                .device = xstrdup(device_words[o->device].word) };
    }
    if (rc == 0)
        run_log(ctx, "%ld added disk(s), device %s, %s bytes (%s, %s) on virtio-scsi in %s%s",
                o->count, device_words[o->device].word, size, fmt,
                source_words[o->source].word, dir,
                define ? "" : ": attached while the migration runs");
    free(dir);
    return rc;
}

/* The reference's check after the hop: a write of 1024 bytes into each added disk,
 * from the guest.  0, or -1 with the test failed naming the disks that took none. */
static int check_disks(struct run_ctx *ctx, const struct vsm_opts *o, struct vsm_state *st,
                       size_t i)
{
    struct strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;
    int status = -1, rc = 0;

    /* the names are vtrun's own (scsi_target), never a param's text */
    strbuf_addstr(&cmd, "for d in");
    for (size_t k = 0; k < (size_t)o->count; k++) {
        char *t = scsi_target(k);
        strbuf_addf(&cmd, " /dev/%s", t);
        free(t);
    }
    /* a block device, or dd would make a plain file of that name and succeed */
    strbuf_addstr(&cmd, "; do { [ -b $d ] && dd if=/dev/urandom of=$d bs=1 count=1024 "
                        "2>/dev/null; } || echo \"failed: $d\"; done; echo checked");
    if (virt_vms_exec(&st->vms, i, cmd.buf, 120, &out, &status) < 0)
        rc = run_fail(ctx, "PostMigrationCheck", "checking the disks: %s", err_msg());
    else if (status || !strstr(out.buf, "checked") || strstr(out.buf, "failed:"))
        rc = run_fail(ctx, "PostMigrationCheck", "Checking attached devices failed: %s",
                      out.buf);
    else
        run_log(ctx, "%ld added disk(s) written to in the guest on %s", o->count,
                ctx->hosts[1].name);
    strbuf_release(&cmd);
    strbuf_release(&out);
    return rc;
}

/* A step the case expected to fail did: PASS, logged. */
static int expected(struct run_ctx *ctx, const char *what)
{
    run_log(ctx, "expected failure: %s: %s", what, err_msg());
    return 0;
}

/* ---- migrate_in_advance: the disks attached while the hop runs ------------------ */

/* MiB/s of the background hop: an idle TCG guest's ~50-100 MiB take seconds, so the
 * attach meets the migration still running (unpaced it can be over in one second). */
#define VSM_PACE_MIB 16
/* How long the source may take to show the migration job. */
#define VSM_JOB_WAIT_S 10.0

struct vsm_mig {
    struct virt_vms *vms;
    size_t vm;
    struct be_migrate_opts mo;
    struct be_hop_metrics m;
    int rc;
    char *err;
};

static void *vsm_mig_main(void *arg)
{
    struct vsm_mig *bg = arg;
    bg->rc = virt_vms_migrate(bg->vms, bg->vm, 1, &bg->mo, &bg->m);
    if (bg->rc < 0)
        bg->err = xstrdup(err_msg());
    return NULL;
}

/* Until the source shows the domain's migration job (domjobinfo "Unbounded"), at most
 * VSM_JOB_WAIT_S: true when seen. */
static bool job_seen(struct run_ctx *ctx, const char *domain)
{
    const char *words[] = { "domjobinfo", domain, NULL };
    bool seen = false;
    for (double end = clock_now() + VSM_JOB_WAIT_S; !seen && clock_now() < end &&
                                                    !run_should_stop(ctx);) {
        struct run_virsh r = RUN_VIRSH_INIT;
        seen = run_virsh_words(ctx, 0, words, &r) == 0 && r.status == 0 &&
               strstr(r.out.buf, "Unbounded");
        run_virsh_release(&r);
        if (!seen)
            clock_sleep(0.2);
    }
    return seen;
}

/* virsh attach-disk of every added image to the running domain (live, as the
 * reference's attach_disks with attach_disk_config = no).  0 when all attached, 1 when
 * one was refused (its error in err_msg()), -1 when virsh could not run. */
static int attach_live(struct run_ctx *ctx, const struct vsm_opts *o, struct vsm_state *st,
                       const char *domain)
{
    for (size_t k = 0; k < st->nimages; k++) {
        struct run_virsh r = RUN_VIRSH_INIT;
        char *target = scsi_target(k);
        const char *words[] = { "attach-disk", domain, st->images[k], target,
                                "--targetbus", "scsi", "--subdriver",
                                format_words[o->format].word,
                                o->device == VSM_LUN ? "--type" : NULL, "lun", NULL };
        int rc = run_virsh_words(ctx, 0, words, &r);
        if (rc == 0 && r.status) {
            err_set("virsh attach-disk %s %s: exit %d: %s", target, st->images[k], r.status,
                    r.err.buf);
            rc = 1;
        }
        free(target);
        run_virsh_release(&r);
        if (rc)
            return rc;
    }
    return 0;
}

static int vsm_run_in_advance(struct run_ctx *ctx, const struct vsm_opts *o,
                              struct vsm_state *st, size_t i)
{
    struct virt_vms *vms = &st->vms;
    struct vsm_mig bg = { .vms = vms, .vm = i, .rc = -1 };
    pthread_t tid;

    if (mig_opts_parse(VSM_OPTIONS, &bg.mo) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    bg.mo.cancel = ctx->cancel;
    bg.mo.hard_deadline = ctx->deadline;
    bg.mo.bandwidth_mib = VSM_PACE_MIB;
    bg.mo.dest_uri = ctx->common->virsh_migrate_desturi;
    if (pthread_create(&tid, NULL, vsm_mig_main, &bg) != 0) {
        mig_opts_release(&bg.mo);
        return run_error(ctx, "ThreadError", "cannot start the migration thread");
    }
    run_log(ctx, "hop 1: virsh migrate %s " VSM_OPTIONS " (host %s -> %s) in the background, "
            "paced at %d MiB/s", vms->vm[i].name, ctx->hosts[0].name, ctx->hosts[1].name,
            VSM_PACE_MIB);
    bool running = job_seen(ctx, vms->vm[i].domain);
    if (!running)
        run_log(ctx, "the source showed no migration job within %g s: attaching anyway",
                VSM_JOB_WAIT_S);
    int att = attach_live(ctx, o, st, vms->vm[i].domain);
    char *att_err = att ? xstrdup(err_msg()) : NULL;
    pthread_join(tid, NULL);
    virt_vms_record_hop(vms, i, 1, 0, 1, &bg.m, bg.rc == 0, bg.err);
    mig_opts_release(&bg.mo);

    int rc = 0;
    if (att < 0) {
        rc = run_error(ctx, "CmdError", "%s", att_err);
    } else if (att > 0 && o->status_error) {
        run_log(ctx, "expected failure: attaching while %s: %s",
                running ? "the migration runs" : "the domain migrates", att_err);
    } else if (att > 0) {
        rc = run_fail(ctx, "AttachError", "%s", att_err);
    } else if (bg.rc < 0 && o->status_error) {
        run_log(ctx, "expected failure: the hop: %s", bg.err);
    } else if (bg.rc < 0) {
        rc = run_fail(ctx, "MigrationError", "%s", bg.err);
    } else if (run_mig_landed(ctx, vms, i, 1) < 0 || check_disks(ctx, o, st, i) < 0) {
        rc = -1;
    } else {
        rc = run_fail(ctx, "MigrationError", "Migration before attaching successfully, but "
                      "not expected: the disks were attached during the hop");
    }
    free(att_err);
    free(bg.err);
    return rc;
}

static int vsm_run(struct run_ctx *ctx)
{
    const struct vsm_opts *o = ctx->opts;
    struct vsm_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct mig_expect e = { .status_error = o->status_error, .cancel_unsupported = true };
    struct be_migrate_opts mo = { 0 };
    int rc;

    if (add_disks(ctx, o, st, vms->vm[i].spec, !o->in_advance) < 0)
        return -1;
    if (virt_vms_start(vms, i, 0) < 0)
        return o->status_error ? expected(ctx, "start with the added disks") :
               run_error(ctx, "VMCreateError", "%s", err_msg());
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_fail(ctx, "LoginError", "%s did not respond after attaching new "
                        "devices: %s", vms->vm[i].name, err_msg());
    if (o->in_advance)
        return vsm_run_in_advance(ctx, o, st, i);
    if (mig_opts_parse(VSM_OPTIONS, &mo) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    mo.cancel = ctx->cancel;
    mo.hard_deadline = ctx->deadline;
    rc = run_mig_hop(ctx, vms, i, 0, 1, 1, &e, &mo, NULL);
    mig_opts_release(&mo);
    if (rc <= 0)
        return rc;
    if (run_mig_landed(ctx, vms, i, 1) < 0 || check_disks(ctx, o, st, i) < 0)
        return -1;
    if (o->status_error)
        return run_fail(ctx, "MigrationError", "the disks were attached and migrated, "
                        "a failure was expected (status_error)");
    return 0;
}

const struct run_type run_type_virsh_migrate_virtio_scsi = {
    .name = "virsh_migrate_virtio_scsi",
    .summary = "tp-libvirt's virsh_migrate_virtio_scsi: the guest's added virtio-scsi "
               "disks on shared storage, one --live --unsafe hop, each disk written to "
               "on the destination",
    .needs = { .vms = 1, .hosts = 2, .rows = vsm_needs },
    .params = vsm_params,
    .opts_size = sizeof(struct vsm_opts),
    .check = vsm_check,
    .setup = vsm_setup,
    .run = vsm_run,
    .cleanup = vsm_cleanup,
};
