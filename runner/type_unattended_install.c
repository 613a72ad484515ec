/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `unattended_install`: avocado-vt's virttest/tests/unattended_install.py
 * for what a lab with pre-installed guest images can run, medium = import.
 *
 * As the reference does for import: the VM is created from its existing image (libvirt
 * starts it at once), then vtrun waits up to install_timeout for a login (the reference
 * loops vm.login() until it works); with migrate_background the VM migrates between
 * the source and the destination host while it waits (the reference migrates it in
 * the same loop); then, with shutdown_cleanly, the guest shuts down and must be gone
 * within shutdown_cleanly_timeout.
 *
 * The other media (cdrom, url, nfs, pxe, kernel_initrd, remote_ks) install an OS from
 * an installation source: an install tree, an ISO, an NFS export, PXE boot files and a
 * kickstart server.  A case of them CANCELs naming that need, decided before any VM
 * starts; a settings file that lists the capability `install_media` gets an ERROR
 * instead, since vtrun does not drive an installer yet.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <string.h>

struct ui_opts {
    const char *medium;
    long install_timeout;           /* s */
    bool shutdown_cleanly;
    long shutdown_timeout;          /* s */
    bool migrate_background;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct ui_opts, __VA_ARGS__)
static const struct run_param ui_params[] = {
    { "medium", AT(STR, medium), .def = "cdrom",
      .doc = "where the OS comes from: import (the image is installed already), cdrom, "
             "url, nfs, pxe, kernel_initrd, remote_ks" },
    { "install_timeout", AT(INT, install_timeout), .def = "4800", RUN_PARAM_MIN(1),
      .unit = "s", .doc = "how long the guest may take until it can be logged into" },
    { "shutdown_cleanly", AT(BOOL, shutdown_cleanly), .def = "yes",
      .doc = "shut the guest down afterwards; it must be gone in time" },
    { "shutdown_cleanly_timeout", AT(INT, shutdown_timeout), .def = "120",
      RUN_PARAM_MIN(1), .unit = "s", .doc = "how long the clean shutdown may take" },
    { "migrate_background", AT(BOOL, migrate_background), .def = "no",
      .doc = "migrate the VM between the hosts while waiting for it" },
    { NULL },
};
#undef AT

static bool ui_installs(const struct params *p)
{
    const char *m = params_get(p, "medium");
    return !m || strcmp(m, "import");
}

static int ui_installer_met(const struct run_need *n, const struct params *p,
                            struct run_facts *f, struct strbuf *why)
{
    const char *m = params_get(p, "medium");
    (void)n;
    (void)f;
    (void)why;
    err_set("medium = '%s': vtrun does not drive an OS installer yet (it runs "
            "unattended_install with medium = import)", m ? m : "cdrom");
    return -1;
}

static const struct run_need ui_needs[] = {
    { "install_media", .applies = ui_installs, .capability = "install_media",
      .text = "an OS installation source for this medium (install tree, ISO, NFS export "
              "or PXE files, kickstart); the lab's guests are installed images" },
    { NULL },
};

static const struct run_need ui_needs_last[] = {
    { "not built", .applies = ui_installs, .met = ui_installer_met,
      .met_doc = "an install from a medium other than import (ERROR)",
      .text = "an OS install vtrun does not drive yet" },
    { NULL },
};

/* Wait for a login, migrating VM i to the other host between tries when asked. */
static int ui_wait(struct run_ctx *ctx, const struct ui_opts *o, struct virt_vms *vms,
                   size_t i)
{
    double end = run_now() + (double)o->install_timeout;
    static const struct mig_expect must_pass = { .status_error = false };
    int at = 0;
    unsigned hop = 0;
    struct be_migrate_opts mo = { 0 };

    if (!o->migrate_background)
        return virt_vms_wait_login(vms, i, (double)o->install_timeout);
    if (ctx->nhosts < 2) {
        run_cancel(ctx, "needs 2 hosts: migrate_background migrates the VM while it boots");
        return 1;
    }
    if (mig_opts_parse("--live", &mo) < 0)
        return -1;
    while (run_now() < end && !run_should_stop(ctx)) {
        if (virt_vms_wait_login(vms, i, 2.0) == 0)
            break;
        int rc = run_mig_hop(ctx, vms, i, at, 1 - at, ++hop, &must_pass, &mo, NULL);
        if (rc != 1)
            break;
        at = 1 - at;
    }
    mig_opts_release(&mo);
    if (ctx->status != RUN_PASS)
        return 1;
    if (run_now() >= end)
        return virt_vms_wait_login(vms, i, 1.0);
    return 0;
}

static int ui_run(struct run_ctx *ctx)
{
    const struct ui_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    double t0 = run_now();

    if (virt_vms_start(vms, 0, 0) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    run_phase(ctx, "start", t0);
    t0 = run_now();
    int rc = ui_wait(ctx, o, vms, 0);
    if (rc == 1)
        return -1;
    if (rc < 0) {
        if (virt_vms_console_crash(vms, 0) == 1)
            return run_fail(ctx, "KernelCrash", "%s", err_msg());
        return run_fail(ctx, "InstallTimeout", "Timeout elapsed while waiting for install "
                        "to finish: %s", err_msg());
    }
    run_phase(ctx, "login", t0);
    run_log(ctx, "Guest reported successful installation after %.0f s", run_now() - t0);
    if (!o->shutdown_cleanly)
        return 0;
    t0 = run_now();
    /* the reference waits for vm.is_dead after a clean shutdown request; virt_vms_stop
     * destroys a guest still running after shutdown_timeout, so a stop that took that
     * long was no clean one */
    double forced = params_get_float(vms->vm[0].params, "shutdown_timeout",
                                     VIRT_SHUTDOWN_TIMEOUT_DEFAULT, NULL);
    if (virt_vms_stop(vms, 0) < 0)
        return run_fail(ctx, "VMShutdownError", "%s", err_msg());
    double took = run_now() - t0;
    if (took >= forced || took > (double)o->shutdown_timeout)
        return run_fail(ctx, "VMShutdownError", "the guest did not shut down cleanly within "
                        "%.0f s (shutdown_cleanly_timeout = %ld)", took, o->shutdown_timeout);
    run_log(ctx, "Guest managed to shutdown cleanly");
    run_phase(ctx, "shutdown", t0);
    return 0;
}

const struct run_type run_type_unattended_install = {
    .name = "unattended_install",
    .summary = "avocado-vt's unattended_install with medium = import: start the installed "
               "image, wait for a login (migrating it meanwhile with migrate_background), "
               "shut it down cleanly",
    .needs = { .vms = 1, .rows = ui_needs, .rows_last = ui_needs_last },
    .params = ui_params,
    .opts_size = sizeof(struct ui_opts),
    .setup = run_vmtype_setup,
    .run = ui_run,
    .cleanup = run_vmtype_cleanup,
};
