/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migrate_storage`: tp-libvirt's legacy grab-bag
 * libvirt/tests/src/migration/migrate_storage.py (avocado-vt's MigrationTest) on the
 * timeline engine (runner/run_tl.h): copy-storage migrations over NBD.
 *
 * The guest's disk is the source's own (its images_dir).  backingfile_type = nfs
 * (prepare_nfs_backingfile): the disk converted to a qcow2 image on the shared storage
 * (the lab's NFS mount, source_dist_img), and the guest's disk becomes img_name beside
 * its old one, a qcow2 over it; with precreation the same overlay is made on the
 * destination.  --copy-storage-all with precreation: the destination's disk is an empty
 * image of the source's virtual size (made by the hop).  daemon_conf_dict's debug log
 * on the source when check_str_local_log is set.  --tls: avocado-vt's TLSConnection
 * (qemu_tls) certificates in custom_pki_path on both hosts (runner/run_tl_tls.h), the
 * server's for server_info_ip's address when the case gives one.  The
 * guest starts and is logged into (ping_vm before: the login is over its network), then
 * migrates with virsh_migrate_options, virsh_migrate_extra + copy_storage_option, with
 * check_disks_port libvirt_network.check_established during it (port_to_check on the
 * destination).  check_result (status_error, err_msg); after a migration that
 * succeeded post_migration_check on the destination (virsh_migrate_dest_state, the
 * guest pinged there with check_network_accessibility_after_mig, a line written to its
 * disk); check_str_local_log's regex in the source daemon's log.
 *
 * Not built yet, an ERROR naming it: cancel_migration (do_cancel: SIGKILL to the
 * `virsh migrate` client; vtrun migrates through the API, there is no client to kill),
 * migrate_again, another backingfile_type than nfs, virsh_options.  CANCEL kvm: check_disks_port during
 * a migration at 200 MiB/s, which a TCG guest ends before the check runs.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_stor.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct ms_opts {
    struct run_base_mig mig;
    bool status_error, precreation, check_disks_port;
    const char *err_msg, *backingfile, *img_name, *dist_img, *disk_format, *str_log;
    const char *dest_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct ms_opts, __VA_ARGS__)
static const struct run_param ms_params[] = {
    RUN_BASE_MIG_ROWS(struct ms_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail (check_result)" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "backingfile_type", AT(STR, backingfile),
      .doc = "nfs: the guest's disk an overlay over a copy of it on the shared storage" },
    { "precreation", AT(BOOL, precreation), .def = "yes",
      .doc = "the destination's disk made before the migration" },
    { "img_name", AT(STR, img_name), .def = "test.img",
      .doc = "the overlay's file name, beside the guest's disk" },
    { "source_dist_img", AT(STR, dist_img), .def = "nfs-img",
      .doc = "the backing file's name on the shared storage" },
    { "disk_format", AT(STR, disk_format), .def = "qcow2", .doc = "their format" },
    { "check_disks_port", AT(BOOL, check_disks_port), .def = "no",
      .doc = "libvirt_network.check_established during the migration (port_to_check)" },
    { "check_str_local_log", AT(REGEX, str_log),
      .doc = "a regex the source daemon's debug log must show after the migration" },
    { "virsh_migrate_dest_state", AT(STR, dest_state), .def = "running",
      .doc = "the destination's state after a migration that succeeded" },
    { "check_network_accessibility_after_mig", AT(BOOL, network_check), .def = "no",
      .doc = "the guest reached over its network on the destination after it" },
    { "simple_disk_check_after_mig", AT(BOOL, disk_check), .def = "yes",
      .doc = "a line written to the guest's disk after it" },
    { NULL },
};
#undef AT

/* ---- dispositions ---------------------------------------------------------------- */

/* The setups of the reference vtrun does not build (a value that asks for nothing:
 * unless, NULL "no"). */
static const struct {
    const char *param, *unless;
} ms_unbuilt_rows[] = {
    { "cancel_migration", NULL },
    { "migrate_again", NULL },
    { "virsh_options", "" },
};

static const char *ms_unbuilt_param(const struct params *p, const char **val)
{
    for (size_t k = 0; k < ARRAY_SIZE(ms_unbuilt_rows); k++) {
        const char *v = params_get(p, ms_unbuilt_rows[k].param);
        const char *unless = ms_unbuilt_rows[k].unless ? ms_unbuilt_rows[k].unless : "no";
        if (v && *v && strcmp(v, unless)) {
            *val = v;
            return ms_unbuilt_rows[k].param;
        }
    }
    const char *b = params_get(p, "backingfile_type");
    if (b && *b && strcmp(b, "nfs")) {
        *val = b;
        return "backingfile_type";
    }
    return NULL;
}

RUN_STOR_UNBUILT_FNS(ms, "migrate_storage", ms_unbuilt_param)

static bool ms_check_outrun(const struct params *p)
{
    return !ms_unbuilt_applies(p) &&
           !strcmp(params_get_or(p, "check_disks_port", "no"), "yes");
}

static const struct run_need ms_needs[] = {
    { "kvm", .applies = ms_check_outrun, .capability = "kvm",
      .text = "KVM guests: check_established runs 3 s after the migration starts, at "
              "--bandwidth 200, which a TCG guest's migration ends before" },
    { NULL },
};

static const struct run_need ms_needs_last[] = {
    { "not built", .applies = ms_unbuilt_applies, .met = ms_unbuilt_met,
      .met_doc = "a setup vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int ms_check(const struct run_common *c, void *opts)
{
    struct ms_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (strchr(o->img_name, '/') || strchr(o->dist_img, '/')) {
        err_set("img_name = '%s', source_dist_img = '%s': expected file names", o->img_name,
                o->dist_img);
        return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

/* ---- the test ------------------------------------------------------------------- */

struct ms_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clone in images_dir */
    struct run_cs_files files;      /* the NFS backing file, the overlays */
    struct virt_hostops *ops;       /* certificates, the daemon's log */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
};

static int ms_setup(struct run_ctx *ctx)
{
    struct ms_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_cs_vmset_setup(ctx, &st->vms, &st->params) < 0)
        return -1;
    char *tag = xasprintf("ms%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
    st->vctx = st->vms.conf.vctx;
    st->ops = virt_hostops_new(tag, &st->vctx);
    free(tag);
    return 0;
}

static void ms_cleanup(struct run_ctx *ctx)
{
    struct ms_state *st = ctx->data;
    if (!st)
        return;
    /* the guests first: a daemon restarted by the restore reconnects to them */
    run_vmset_cleanup(ctx, &st->vms);
    run_cs_files_remove(ctx, &st->files, &st->vctx);
    if (st->ops) {
        if (virt_hostops_undo(st->ops) < 0)
            run_error(ctx, "CleanupError", "restoring the hosts: %s", err_msg());
        virt_hostops_free(st->ops);
    }
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* prepare_nfs_backingfile: the guest's disk converted onto the shared storage, an
 * overlay over that copy beside the disk (and on the destination with precreation),
 * the guest's drive pointed at it. */
static int ms_nfs_backing(struct run_ctx *ctx, const struct ms_opts *o, struct ms_state *st,
                          struct be_vm_spec *spec)
{
    const char *shared = ctx->hosts[0].shared_dir;
    struct be_disk *d = &spec->disks[0];
    const char *slash = strrchr(d->path, '/');
    struct virt_host *src = run_host_link(ctx, 0);
    if (!shared)
        return run_cancel(ctx, "shared storage: the settings give host %s no shared_dir "
                          "(the NFS backing file)", ctx->hosts[0].name);
    if (!slash || !src)
        return run_error(ctx, "TestSetupError", "the guest's disk: %s",
                         src ? "no directory" : err_msg());
    char *beside = xstrndup(d->path, (size_t)(slash - d->path));
    const char *back = run_cs_files_add(ctx, &st->files, &st->vms, shared, o->dist_img, 1u);
    const char *top = back ? run_cs_files_add(ctx, &st->files, &st->vms, beside, o->img_name,
                                              o->precreation ? 3u : 1u) : NULL;
    free(beside);
    if (!top)
        return -1;
    const char *fmt = o->disk_format;
    const char *conv[] = { "qemu-img", "convert", "-f", d->format ? d->format : "qcow2",
                           "-O", fmt, d->path, back, NULL };
    const char *over[] = { "qemu-img", "create", "-q", "-f", fmt, "-F", fmt, "-b", back, top,
                           NULL };
    if (virt_host_run(src, conv, 600, NULL, NULL, NULL) < 0)
        return run_error(ctx, "TestSetupError", "qemu-img convert: %s", err_msg());
    for (int h = 0; h < (o->precreation ? 2 : 1); h++) {
        struct virt_host *link = run_host_link(ctx, h);
        if (!link || virt_host_run(link, over, 120, NULL, NULL, NULL) < 0)
            return run_error(ctx, "TestSetupError", "qemu-img create %s on %s: %s", top,
                             ctx->hosts[h].name, err_msg());
    }
    run_log(ctx, "the guest's disk is %s over %s (shared)%s", top, back,
            o->precreation ? ", made on both hosts" : "");
    free(d->path);
    d->path = xstrdup(top);
    free(d->format);
    d->format = xstrdup(fmt);
    return 0;
}

static bool ms_words_have(const struct ms_opts *o, const char *word)
{
    const char *w[] = { o->mig.options, o->mig.extra, o->mig.copy_storage };
    for (size_t k = 0; k < ARRAY_SIZE(w); k++)
        if (w[k] && strstr(w[k], word))
            return true;
    return false;
}

static int ms_run(struct run_ctx *ctx)
{
    const struct ms_opts *o = ctx->opts;
    struct ms_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct virt_log_mark mark = { 0 };
    bool logs = o->str_log && *o->str_log;
    int rc = -1;

    if (virt_vms_prepare_disks(vms, i, 0) < 0) {
        run_error(ctx, "VMCreateError", "%s", err_msg());
        goto out;
    }
    if (o->backingfile && ms_nfs_backing(ctx, o, st, vms->vm[i].spec) < 0)
        goto out;
    if (logs && run_tls_debug_log(ctx, st->ops, vms, 0, &mark) < 0)
        goto out;
    if (ms_words_have(o, "--tls")) {
        struct run_tls_pki k;
        run_tls_pki_of(ctx->params, NULL, &k);
        /* TLSConnection's server_info_ip: the server certificate's address instead */
        const char *info_ip = params_get(ctx->params, "server_info_ip");
        if (info_ip && *info_ip)
            k.server_ip = info_ip;
        if (!k.dir)
            k.dir = "/etc/pki/qemu";
        if (run_tls_pki_setup(ctx, st->ops, &k) < 0)
            goto out;
    }
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        goto out;
    /* do_migration(func=check_established when check_disks_port) */
    int hop = run_stor_hop(ctx, &o->mig, o->status_error, o->err_msg,
                           o->check_disks_port ? "[{'func': 'libvirt_network.check_established', "
                           "'func_param': 'params'}]" : NULL, vms, i);
    if (hop < 0)
        goto out;
    /* post_migration_check([vm], params, dest_uri=dest_uri): the source is not looked at */
    if (hop == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, NULL,
                                        o->network_check, o->disk_check) < 0)
        goto out;
    if (logs && run_stor_log_check(ctx, 0, o->str_log, &mark) < 0)
        goto out;
    rc = 0;
out:
    virt_log_mark_free(&mark);
    return rc;
}

const struct run_type run_type_migrate_storage = {
    .name = "migrate_storage",
    .summary = "tp-libvirt's legacy migrate_storage: copy-storage migrations (inc over an "
               "NFS backing file, all into a precreated disk), over native TLS, with "
               "--migrateuri / --disks-port / --disks-uri, synchronous writes",
    .needs = { .vms = 1, .hosts = 2, .rows = ms_needs, .rows_last = ms_needs_last },
    .params = ms_params,
    .opts_size = sizeof(struct ms_opts),
    .check = ms_check,
    .setup = ms_setup,
    .run = ms_run,
    .cleanup = ms_cleanup,
};
