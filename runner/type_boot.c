/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test type `boot`: start each VM of `vms`, log in, check the console for kernel
 * crashes, shut down.  avocado-vt's boot test, on vtrun's VM set. */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>

struct boot_opts {
    long start_vm_host;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct boot_opts, __VA_ARGS__)
static const struct run_param boot_params[] = {
    { "start_vm_host", AT(INT, start_vm_host), .def = "0", RUN_PARAM_MIN(0),
      .doc = "index of the host (settings hosts) the VMs start on" },
    { NULL },
};
#undef AT

static int boot_run(struct run_ctx *ctx)
{
    const struct boot_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    double login = ctx->common->login_timeout;
    int host = (int)o->start_vm_host;
    double t0 = run_now();

    for (size_t i = 0; i < vms->n; i++)
        if (virt_vms_start(vms, i, host) < 0)
            return run_error(ctx, "VMCreateError", "%s", err_msg());
    run_phase(ctx, "start", t0);
    t0 = run_now();
    for (size_t i = 0; i < vms->n && !run_should_stop(ctx); i++) {
        double up;
        if (virt_vms_wait_login(vms, i, login) < 0) {
            int crash = virt_vms_console_crash(vms, i);
            if (crash == 1)
                return run_fail(ctx, "KernelCrash", "%s", err_msg());
            return run_fail(ctx, "LoginError", "%s", err_msg());
        }
        if (virt_vms_uptime(vms, i, &up) < 0)
            return run_fail(ctx, "LoginError", "%s", err_msg());
        run_log(ctx, "%s: logged in, uptime %.2f s", vms->vm[i].name, up);
        if (virt_vms_console_crash(vms, i) != 0)
            return run_fail(ctx, "KernelCrash", "%s", err_msg());
    }
    run_phase(ctx, "login", t0);
    t0 = run_now();
    for (size_t i = 0; i < vms->n && !run_should_stop(ctx); i++)
        if (virt_vms_stop(vms, i) < 0)
            return run_fail(ctx, "VMShutdownError", "%s", err_msg());
    run_phase(ctx, "shutdown", t0);
    return 0;
}

const struct run_type run_type_boot = {
    .name = "boot",
    .summary = "start every VM of vms, log in over SSH, check the console, shut down",
    .needs = { .vms = 1 },
    .params = boot_params,
    .opts_size = sizeof(struct boot_opts),
    .setup = run_vmtype_setup,
    .run = boot_run,
    .cleanup = run_vmtype_cleanup,
};
