/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test type `boot`: start each VM of `vms`, log in, check the console for kernel
 * crashes, shut down.  avocado-vt's boot test, on vtrun's VM set. */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "virt/virt.h"
#include "lib/params.h"

#include <stdlib.h>

static const struct run_param_doc boot_params[] = {
    { "vms", "vm1", "VMs to start; per-VM keys with the _<vm> suffix (image_name_vm2)" },
    { "login_timeout", "240", "seconds to wait for an SSH login after start" },
    { "start_vm_host", "0", "index of the host (settings hosts) the VMs start on" },
    { NULL, NULL, NULL },
};

static int boot_run(struct run_ctx *ctx)
{
    struct virt_vms *vms = ctx->data;
    double login = params_get_float(ctx->params, "login_timeout", 240, NULL);
    int host = (int)params_get_int(ctx->params, "start_vm_host", 0, NULL);

    for (size_t i = 0; i < vms->n; i++)
        if (virt_vms_start(vms, i, host) < 0)
            return run_error(ctx, "VMCreateError", "%s", err_msg());
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
    for (size_t i = 0; i < vms->n && !run_should_stop(ctx); i++)
        if (virt_vms_stop(vms, i) < 0)
            return run_fail(ctx, "VMShutdownError", "%s", err_msg());
    return 0;
}

const struct run_type run_type_boot = {
    .name = "boot",
    .summary = "start every VM of vms, log in over SSH, check the console, shut down",
    .needs = RUN_NEEDS_VMS,
    .params = boot_params,
    .setup = run_vmtype_setup,
    .run = boot_run,
    .cleanup = run_vmtype_cleanup,
};
