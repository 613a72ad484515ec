/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `netstress_kill_guest`: tp-qemu's generic/tests/netstress_kill_guest.py
 * on avocado-vt's libvirt VM (vm_type = libvirt, as the composition runs it):
 *
 *  - the guest is logged into (SSH; the reference then keeps a serial session);
 *  - mode = driver: nic_module_cmd in the guest (its failure is the test's ERROR)
 *    names the NIC driver modules (the last path part of each output line); then
 *    repeat_times (10) rounds of `rmmod M` for each, then `modprobe M` for each, their
 *    outcome ignored (cmd_output_safe); then the VM is killed (destroy, not graceful)
 *    and must be dead within 60 s, else FAIL "VM is not dead after destroy operation";
 *  - any mode: the VM is started again and logged into (a login that fails is the
 *    test's ERROR).
 *
 * The reference types the rounds on the serial console, which outlives the NIC.
 * vtrun has no serial-console shell: the same commands run as one detached guest
 * shell started over SSH, which touches a marker when done.  vtrun waits for the
 * marker over SSH (a guest whose modprobe brings the NIC back shows it) for at most
 * NSK_ROUNDS_WAIT_S; a guest left without its NIC (the lab's: busybox modprobe finds
 * no modules.dep) is killed once that time is out, by then long done with its rounds.
 *
 * mode = load CANCELs (guest_netperf): netperf between host and guest, built from its
 * tarball in the guest, which the lab's busybox guest cannot do.
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

#define NSK_CMD_TIMEOUT_S 60
#define NSK_DEAD_S 60                   /* kill_and_check's wait_until_dead */
#define NSK_ROUNDS_WAIT_S 30            /* see the header */
#define NSK_MARKER "/tmp/vtrun-nsk-rounds-done"

struct nsk_opts {
    const char *mode;
    const char *module_cmd;
    long repeat;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct nsk_opts, __VA_ARGS__)
static const struct run_param nsk_params[] = {
    { "mode", AT(STR, mode), .doc = "driver: unload/load the NIC driver, then kill the VM; "
      "load: kill it under netperf load (CANCEL: guest_netperf)" },
    { "nic_module_cmd", AT(STR, module_cmd),
      .doc = "guest command printing the NIC driver module paths, one a line" },
    { "repeat_times", AT(INT, repeat), .def = "10", RUN_PARAM_MIN(0),
      .doc = "rounds of rmmod / modprobe" },
    { NULL },
};
#undef AT

static bool nsk_driver(const char *mode)
{
    return mode && !strcmp(mode, "driver");
}

static int nsk_check(const struct run_common *c, void *opts)
{
    struct nsk_opts *o = opts;
    o->main_vm = run_common_main_vm(c);
    if (o->main_vm < 0)
        return -1;
    if (nsk_driver(o->mode) && (!o->module_cmd || !*o->module_cmd)) {
        err_set("param nic_module_cmd: unset, mode = driver needs it");
        return -1;
    }
    return 0;
}

static const struct run_need nsk_needs[] = {
    { "guest_netperf", .when = { { "mode", .eq = "load" } }, .capability = "guest_netperf",
      .text = "netperf in the guest (mode = load runs it between host and guest, built from "
              "its tarball in the guest; the lab's busybox guest has no toolchain)" },
    { NULL },
};

static bool nsk_load(const struct params *p)
{
    const char *m = params_get(p, "mode");
    return m && !strcmp(m, "load");
}

static int nsk_load_met(const struct run_need *n, const struct params *p, struct run_facts *f,
                        struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    err_set("netstress_kill_guest mode = load: the netperf stress is not built");
    return -1;
}

static const struct run_need nsk_needs_last[] = {
    { "not built", .applies = nsk_load, .met = nsk_load_met,
      .met_doc = "mode = load: never (ERROR)", .text = "the netperf stress of the reference" },
    { NULL },
};

/* The module names in the output of nic_module_cmd: each line's last path part, once
 * each, blank-separated into mods. */
static void nsk_modules(const char *out, struct strbuf *mods)
{
    for (const char *l = out; *l;) {
        size_t n = strcspn(l, "\n");
        const char *name = l;
        for (size_t k = 0; k < n; k++)
            if (l[k] == '/')
                name = l + k + 1;
        size_t len = (size_t)(l + n - name);
        while (len && (name[len - 1] == '\r' || name[len - 1] == ' '))
            len--;
        bool seen = false;
        for (const char *m = mods->buf; len && *m && !seen; m += strcspn(m, " "), m += *m == ' ')
            seen = strcspn(m, " ") == len && !strncmp(m, name, len);
        if (len && !seen)
            strbuf_addf(mods, "%s%.*s", mods->len ? " " : "", (int)len, name);
        l += n + (l[n] == '\n');
    }
}

/* The rounds as one guest shell: rmmod each, modprobe each, repeat times; then the
 * marker.  Module names come from the guest: quoted.  Its output goes to the serial
 * console (the console log shows what rmmod and modprobe said, as the reference's
 * serial session would). */
static void nsk_rounds_cmd(const char *mods, long repeat, struct strbuf *cmd)
{
    struct strbuf sh = STRBUF_INIT, list = STRBUF_INIT;
    for (const char *m = mods; *m; m += strcspn(m, " "), m += *m == ' ') {
        struct strbuf one = STRBUF_INIT;
        strbuf_add(&one, m, strcspn(m, " "));
        if (list.len)
            strbuf_addch(&list, ' ');
        strbuf_add_sq(&list, one.buf);
        strbuf_release(&one);
    }
    /* sleep 1: the SSH command that starts it returns before the NIC goes away */
    strbuf_addf(&sh, "rm -f %s; sleep 1; i=0; while [ $i -lt %ld ]; do echo nsk round $i; for m in %s; do "
                "rmmod $m; done; for m in %s; do modprobe $m; done; i=$((i+1)); done; "
                "touch %s", NSK_MARKER, repeat, list.buf, list.buf, NSK_MARKER);
    strbuf_addstr(cmd, "setsid sh -c ");
    strbuf_add_sq(cmd, sh.buf);
    strbuf_addstr(cmd, " </dev/null >/dev/console 2>&1 &");
    strbuf_release(&sh);
    strbuf_release(&list);
}

/* Until the marker shows over SSH or NSK_ROUNDS_WAIT_S pass. */
static void nsk_wait_rounds(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    double end = clock_now() + NSK_ROUNDS_WAIT_S;
    while (!run_should_stop(ctx) && clock_now() < end) {
        int st = -1;
        if (virt_vms_exec(vms, i, "test -e " NSK_MARKER, 5, NULL, &st) == 0 && st == 0) {
            run_log(ctx, "the rmmod/modprobe rounds are done (the NIC is back)");
            return;
        }
        clock_sleep(2);
    }
    if (!run_should_stop(ctx))
        run_log(ctx, "no marker over SSH after %d s: the guest's NIC stayed down (modprobe "
                "failed); its rounds are long done", NSK_ROUNDS_WAIT_S);
}

/* kill_and_check: destroy, then dead within NSK_DEAD_S. */
static int nsk_kill(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    if (virt_vms_destroy(vms, i) < 0)
        return run_error(ctx, "CmdError", "destroy: %s", err_msg());
    double end = clock_now() + NSK_DEAD_S;
    while (!run_should_stop(ctx)) {
        enum be_state st = BE_STATE_RUNNING;
        if (virt_vms_state(vms, i, 0, &st) < 0)
            return run_error(ctx, "CmdError", "the guest's state: %s", err_msg());
        if (st != BE_STATE_RUNNING && st != BE_STATE_PAUSED) {
            run_log(ctx, "VM is dead as expected");
            return 0;
        }
        if (clock_now() >= end)
            return run_fail(ctx, "VMDeadError", "VM is not dead after destroy operation");
        clock_sleep(1);
    }
    return -1;
}

static int nsk_driver_rounds(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    const struct nsk_opts *o = ctx->opts;
    struct strbuf out = STRBUF_INIT, mods = STRBUF_INIT, cmd = STRBUF_INIT;
    int st = -1, rc = -1;
    if (virt_vms_exec(vms, i, o->module_cmd, NSK_CMD_TIMEOUT_S, &out, &st) < 0) {
        rc = run_error(ctx, "LoginError", "%s", err_msg());
        goto out;
    }
    if (st) {
        rc = run_error(ctx, "ShellCmdError", "Command '%s' failed, status %d: %s",
                       o->module_cmd, st, out.buf);
        goto out;
    }
    nsk_modules(out.buf, &mods);
    run_log(ctx, "Guest network driver(s): %s; %ld rounds of rmmod / modprobe", mods.buf,
            o->repeat);
    if (mods.len && o->repeat > 0) {
        nsk_rounds_cmd(mods.buf, o->repeat, &cmd);
        if (virt_vms_exec(vms, i, cmd.buf, NSK_CMD_TIMEOUT_S, NULL, &st) < 0) {
            rc = run_error(ctx, "LoginError", "%s", err_msg());
            goto out;
        }
        nsk_wait_rounds(ctx, vms, i);
    }
    rc = run_should_stop(ctx) ? -1 : nsk_kill(ctx, vms, i);
out:
    strbuf_release(&out);
    strbuf_release(&mods);
    strbuf_release(&cmd);
    return rc;
}

static int nsk_run(struct run_ctx *ctx)
{
    const struct nsk_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    double login = ctx->common->login_timeout;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (nsk_driver(o->mode)) {
        if (nsk_driver_rounds(ctx, vms, i) < 0)
            return -1;
    } else {
        /* another mode: the reference closes its sessions and restarts the running VM
         * (preprocess_vm finds it alive and keeps it) */
        run_log(ctx, "mode = '%s': neither driver nor load", o->mode ? o->mode : "");
    }
    /* env_process.preprocess_vm: start the VM again, verify_alive, wait_for_login */
    double t0 = run_now();
    enum be_state st = BE_STATE_RUNNING;
    if (virt_vms_state(vms, i, 0, &st) < 0)
        return run_error(ctx, "CmdError", "the guest's state: %s", err_msg());
    if (st != BE_STATE_RUNNING && virt_vms_start_defined(vms, i, 0) < 0)
        return run_error(ctx, "VMCreateError", "start again: %s", err_msg());
    run_phase(ctx, "start", t0);
    t0 = run_now();
    if (virt_vms_wait_login(vms, i, login) < 0)
        return run_should_stop(ctx) ? -1 : run_error(ctx, "LoginTimeoutError",
                                                     "after the restart: %s", err_msg());
    run_phase(ctx, "login", t0);
    return 0;
}

const struct run_type run_type_netstress_kill_guest = {
    .name = "netstress_kill_guest",
    .summary = "tp-qemu's netstress_kill_guest on avocado-vt's libvirt VM: the NIC driver "
               "unloaded and loaded in the guest, the VM killed and started again",
    .needs = { .vms = 1, .hosts = 1, .rows = nsk_needs, .rows_last = nsk_needs_last },
    .params = nsk_params,
    .opts_size = sizeof(struct nsk_opts),
    .check = nsk_check,
    .setup = run_vmtype_setup,
    .run = nsk_run,
    .cleanup = run_vmtype_cleanup,
};
