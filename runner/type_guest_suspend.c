/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `guest_suspend`: tp-qemu's generic/tests/guest_suspend.py (not a
 * tp-libvirt test: the composed libvirt config takes tp-qemu's generic tests too) with
 * avocado-vt's utils_test.qemu.GuestSuspend, for a guest of avocado-vt's libvirt VM
 * (vm_type = libvirt), which is what the case runs under in the composition:
 *
 *  - negative_test = yes (GuestSuspendNegativeTest): the support check command
 *    (s3_/s4_support_chk_cmd) in the guest must fail, else the test's FAIL "Guest
 *    reports support Suspend even if it's disabled in qemu".
 *  - guest_suspend_type = disk: the support check must pass (else the test's ERROR
 *    "Guest doesn't support suspend."); services_up_timeout s later the background
 *    program (s4_bg_program_setup_cmd) started and checked (s4_bg_program_chk_cmd:
 *    else FAIL "Background program is dead"); s4_start_cmd sent; 10 s later the
 *    domain must shut off within 240 + 60 * smp s (else FAIL "VM refuses to go
 *    down"); started again (vm.create); the background program checked again; the
 *    log check (s4_log_chk_cmd) must pass, else ERROR "Could not find suspend log";
 *    the program killed (its errors only logged).
 *
 * extra_params (-global PIIX4_PM.disable_s3/s4) and cpu_model_flags are QEMU command
 * line words avocado-vt's libvirt VM does not read, and neither does vtrun: the
 * negative cases check the guest as it boots.  With vtrun's qemu backend (avocado-vt's
 * qemu VM would pass them) a case is an ERROR.
 *
 * Not built (ERROR): guest_suspend_type = mem without negative_test, whose resume is
 * vm.monitor.system_wakeup(): avocado-vt's libvirt VM monitor has no such method, so
 * the reference ends in an AttributeError there; vtrun does not imitate that.
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

#define GS_CMD_TIMEOUT_S 60
/* GuestSuspend.action_during_suspend's sleep before resuming */
#define GS_DURING_S 10

/* 0: unset (the reference's test.error) */
enum gs_type { GS_MEM = 1, GS_DISK };
static const struct params_word gs_type_words[] = {
    { "mem", GS_MEM }, { "disk", GS_DISK }, { NULL, 0 },
};

struct gs_opts {
    int type;
    bool negative;
    double services_up_s;
    const char *os_type;
    /* the s3_ ([0]) / s4_ ([1]) commands */
    const char *support_chk[2], *bg_setup[2], *bg_chk[2], *bg_kill[2], *start[2], *log_chk[2];
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct gs_opts, __VA_ARGS__)
#define GS_CMD_ROWS(n, i)                                                                 \
    { "s" #n "_support_chk_cmd", AT(STR, support_chk[i]),                                 \
      .doc = "S" #n ": exits 0 in a guest that supports it" },                            \
    { "s" #n "_bg_program_setup_cmd", AT(STR, bg_setup[i]),                                \
      .doc = "S" #n ": starts the background program" },                                  \
    { "s" #n "_bg_program_chk_cmd", AT(STR, bg_chk[i]),                                   \
      .doc = "S" #n ": exits 0 while it runs" },                                          \
    { "s" #n "_bg_program_kill_cmd", AT(STR, bg_kill[i]), .doc = "S" #n ": ends it" },    \
    { "s" #n "_start_cmd", AT(STR, start[i]), .doc = "S" #n ": suspends the guest" },     \
    { "s" #n "_log_chk_cmd", AT(STR, log_chk[i]),                                         \
      .doc = "S" #n ": exits 0 when the guest's log shows the resume" }
static const struct run_param gs_params[] = {
    { "guest_suspend_type", AT(ENUM, type, gs_type_words),
      .doc = "mem (S3) or disk (S4)" },
    { "negative_test", AT(BOOL, negative), .def = "no",
      .doc = "the guest must not support it (only the support check runs)" },
    { "services_up_timeout", AT(FLOAT, services_up_s), .def = "30", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "wait before the background program starts" },
    { "os_type", AT(STR, os_type), .def = "linux",
      .doc = "windows: 50 s more before resuming" },
    GS_CMD_ROWS(3, 0),
    GS_CMD_ROWS(4, 1),
    { NULL },
};
#undef GS_CMD_ROWS
#undef AT

static int gs_check(const struct run_common *c, void *opts)
{
    struct gs_opts *o = opts;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

static bool gs_mem_resume(const struct params *p)
{
    const char *t = params_get(p, "guest_suspend_type");
    const char *neg = params_get(p, "negative_test");
    return t && !strcmp(t, "mem") && !(neg && !strcmp(neg, "yes"));
}

static int gs_mem_resume_met(const struct run_need *n, const struct params *p,
                             struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    err_set("guest_suspend_type = mem: resume_guest_mem (vm.monitor.system_wakeup) is not "
            "built: avocado-vt's libvirt VM monitor has no system_wakeup, the reference "
            "ends in an AttributeError there");
    return -1;
}

static const struct run_need gs_needs_last[] = {
    { "not built", .applies = gs_mem_resume, .met = gs_mem_resume_met,
      .met_doc = "the S3 resume of the reference (ERROR)",
      .text = "the S3 resume of the reference" },
    { NULL },
};

/* cmd in the guest: its exit status (*status) and output; -1 with the test's ERROR
 * when the guest cannot be reached. */
static int gs_exec(struct run_ctx *ctx, struct virt_vms *vms, size_t i, const char *cmd,
                   int *status, struct strbuf *out)
{
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0 ||
        virt_vms_exec(vms, i, cmd, GS_CMD_TIMEOUT_S, out, status) < 0)
        return run_should_stop(ctx) ? -1 : run_error(ctx, "LoginError", "%s", err_msg());
    run_log(ctx, "guest: %s: exit %d", cmd, *status);
    return 0;
}

/* session.sendline(cmd): started and left running in the guest, in its own session
 * so that it outlives the login (the reference keeps that session open). */
static int gs_send(struct run_ctx *ctx, struct virt_vms *vms, size_t i, const char *cmd)
{
    struct strbuf bg = STRBUF_INIT;
    strbuf_addstr(&bg, "setsid sh -c ");
    strbuf_add_sq(&bg, cmd);
    strbuf_addstr(&bg, " </dev/null >/dev/null 2>&1 &");
    int status = -1;
    int rc = gs_exec(ctx, vms, i, bg.buf, &status, NULL);
    strbuf_release(&bg);
    return rc;
}

static int gs_bg_alive(struct run_ctx *ctx, struct virt_vms *vms, size_t i, const char *chk)
{
    int status = -1;
    if (gs_exec(ctx, vms, i, chk, &status, NULL) < 0)
        return -1;
    if (status)
        return run_fail(ctx, "SuspendError", "Background program is dead. Suspend failed.");
    return 0;
}

/* verify_guest_down: the domain shut off within 240 + 60 * smp s. */
static int gs_wait_down(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    /* smp: the VM model's param (run_vm_params), 240 + 60 s per vCPU */
    long smp = strtol(params_get_or(ctx->params, "smp", "1"), NULL, 10);
    double end = clock_now() + 240 + 60.0 * (double)(smp > 0 ? smp : 1);
    while (!run_should_stop(ctx)) {
        enum be_state st = BE_STATE_RUNNING;
        if (virt_vms_state(vms, i, 0, &st) < 0)
            return run_error(ctx, "CmdError", "the guest's state: %s", err_msg());
        if (st != BE_STATE_RUNNING && st != BE_STATE_PAUSED)
            return 0;
        if (clock_now() >= end)
            return run_fail(ctx, "SuspendError", "VM refuses to go down. Suspend failed.");
        clock_sleep(2);
    }
    return -1;
}

static int gs_run(struct run_ctx *ctx)
{
    const struct gs_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    int t = o->type - 1, status = -1;
    struct strbuf out = STRBUF_INIT;

    if (strcmp(ctx->backend, "libvirt"))
        return run_error(ctx, "ConfigError", "guest_suspend under the %s backend: the "
                         "reference's qemu VM passes extra_params, vtrun does not",
                         ctx->backend);
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    /* the reference's test.error, once the guest is up */
    if (!o->type)
        return run_error(ctx, "ConfigError", "Unknown guest suspend type, Check your "
                         "'guest_suspend_type' config.");
    int rc = gs_exec(ctx, vms, i, o->support_chk[t], &status, &out);
    if (rc == 0 && o->negative && !status)
        rc = run_fail(ctx, "SuspendError", "Guest reports support Suspend even if it's "
                      "disabled in qemu. Output:\n '%s'", out.buf);
    strbuf_release(&out);
    if (rc < 0 || o->negative)
        return rc;
    if (status)
        return run_error(ctx, "SuspendError", "Guest doesn't support suspend.");
    clock_sleep(o->services_up_s);
    if (gs_send(ctx, vms, i, o->bg_setup[t]) < 0 || gs_bg_alive(ctx, vms, i, o->bg_chk[t]) < 0 ||
        gs_send(ctx, vms, i, o->start[t]) < 0)
        return -1;
    clock_sleep(GS_DURING_S + (o->os_type && !strcmp(o->os_type, "windows") ? 50 : 0));
    /* disk: mem is refused before the case starts (gs_needs_last) */
    if (gs_wait_down(ctx, vms, i) < 0)
        return -1;
    if (virt_vms_start_defined(vms, i, 0) < 0)
        return run_error(ctx, "VMCreateError", "start again: %s", err_msg());
    if (gs_bg_alive(ctx, vms, i, o->bg_chk[t]) < 0)
        return -1;
    if (gs_exec(ctx, vms, i, o->log_chk[t], &status, &out) < 0)
        return -1;
    if (status)
        rc = run_error(ctx, "SuspendError", "Could not find suspend log. [%s]", out.buf);
    strbuf_release(&out);
    int kst = -1;
    if (rc == 0 && gs_exec(ctx, vms, i, o->bg_kill[t], &kst, NULL) < 0)
        return -1;
    return rc;
}

const struct run_type run_type_guest_suspend = {
    .name = "guest_suspend",
    .summary = "tp-qemu's guest_suspend on avocado-vt's libvirt VM: S3/S4 support checked "
               "in the guest (negative cases), suspend to disk and resume with a background "
               "program",
    .needs = { .vms = 1, .hosts = 1, .rows_last = gs_needs_last },
    .params = gs_params,
    .opts_size = sizeof(struct gs_opts),
    .check = gs_check,
    .setup = run_vmtype_setup,
    .run = gs_run,
    .cleanup = run_vmtype_cleanup,
};
