/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers of the tp-qemu types on avocado-vt's libvirt VM (runner/type_qemu.h). */
#include "runner/type_qemu.h"

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"

#include <stdlib.h>

int qemu_guest_exec(struct run_ctx *ctx, size_t i, const char *cmd, double timeout_s,
                    int *status, struct strbuf *out)
{
    struct virt_vms *vms = ctx->data;
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0 ||
        virt_vms_exec(vms, i, cmd, timeout_s, out, status) < 0)
        return run_should_stop(ctx) ? -1 : run_error(ctx, "LoginError", "%s", err_msg());
    run_log(ctx, "guest: %s: exit %d", cmd, *status);
    return 0;
}

int qemu_guest_cmd(struct run_ctx *ctx, size_t i, const char *cmd, double timeout_s,
                   struct strbuf *out)
{
    int status = -1;
    if (qemu_guest_exec(ctx, i, cmd, timeout_s, &status, out) < 0)
        return -1;
    if (status)
        return run_error(ctx, "ShellCmdError", "Shell command failed: '%s' (status: %d)",
                         cmd, status);
    return 0;
}

int qemu_guest_send(struct run_ctx *ctx, size_t i, const char *cmd, long *pid)
{
    struct strbuf bg = STRBUF_INIT, out = STRBUF_INIT;
    /* its own session, so that it outlives the login (the reference keeps the shell) */
    strbuf_addstr(&bg, "setsid sh -c ");
    strbuf_add_sq(&bg, cmd);
    strbuf_addstr(&bg, " </dev/null >/dev/null 2>&1 & echo $!");
    int status = -1;
    int rc = qemu_guest_exec(ctx, i, bg.buf, 60, &status, &out);
    if (rc == 0 && pid)
        *pid = strtol(out.buf, NULL, 10);
    strbuf_release(&bg);
    strbuf_release(&out);
    return rc;
}

int qemu_verify_state(struct run_ctx *ctx, size_t i, enum be_state want)
{
    struct virt_vms *vms = ctx->data;
    enum be_state st = BE_STATE_RUNNING;
    if (virt_vms_state(vms, i, 0, &st) < 0)
        return run_error(ctx, "CmdError", "the guest's state: %s", err_msg());
    if (st != want)
        return run_error(ctx, "VMStatusError", "VM status is unexpected (%s is %s, not %s)",
                         vms->vm[i].name, be_state_name(st), be_state_name(want));
    return 0;
}

int qemu_wait_down(struct run_ctx *ctx, size_t i, double timeout_s)
{
    struct virt_vms *vms = ctx->data;
    double end = clock_now() + timeout_s;
    while (!run_should_stop(ctx)) {
        enum be_state st = BE_STATE_RUNNING;
        if (virt_vms_state(vms, i, 0, &st) < 0)
            return run_error(ctx, "CmdError", "the guest's state: %s", err_msg());
        if (st != BE_STATE_RUNNING && st != BE_STATE_PAUSED)
            return 1;
        if (clock_now() >= end)
            return 0;
        clock_sleep(1);
    }
    return -1;
}

int qemu_verify_no_crash(struct run_ctx *ctx, size_t i)
{
    if (virt_vms_console_crash(ctx->data, i) == 1)
        return run_error(ctx, "KernelCrashError", "%s", err_msg());
    return 0;
}

void qemu_host_remove(struct run_ctx *ctx, const char *path)
{
    struct virt_host *link = run_host_link(ctx, 0);
    const char *argv[] = { "rm", "-f", "--", path, NULL };
    if (!link || virt_host_run(link, argv, 30, NULL, NULL, NULL) < 0)
        run_log(ctx, "could not remove %s on the source host: %s", path, err_msg());
}

bool qemu_need_always(const struct params *p)
{
    (void)p;
    return true;
}

int qemu_need_unbuilt(const struct run_need *n, const struct params *p, struct run_facts *f,
                      struct strbuf *why)
{
    (void)f;
    (void)why;
    err_set("type %s: not built: %s", params_get_or(p, "type", "?"), n->text);
    return -1;
}
