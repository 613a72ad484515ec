/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `stress_boot`: tp-qemu's generic/tests/stress_boot.py on avocado-vt's
 * libvirt VM (vm_type = libvirt in the composition).
 *
 * The reference counts the CPUs of the machine it runs on (host_cpu_cnt_cmd, the
 * processors of /proc/cpuinfo) and cancels when they are not more than max_vms ("No
 * enough physical cpus to pin all guests"): vtrun decides that the same way before the
 * case starts (need host_cpus, this machine's online CPUs), which is what the lab's
 * 2-CPU machine gets.  Past it, each guest gets the machine's free memory
 * (host_mem_size_cmd: `free -m`'s free column, MemFree) / max_vms MiB and, as
 * vcpu_maxcpus, the CPUs / max_vms (rounded down to even when above 1).  The first
 * guest boots and is logged into (its failure is the test's ERROR); then guests vm2 ..
 * vm<max_vms>, clones of it, boot one at a time, each logged into, and after each one
 * every guest booted so far must run alive_test_cmd with exit status 0.  Any failure
 * there is the test's FAIL "Expect to boot up N guests.Failed to boot up #K guest with
 * error: ...".
 *
 * What differs: the host's counts are read by vtrun (sysconf, /proc/meminfo), not by
 * the cfg's shell pipelines; each guest runs on its own image clone, as the reference's
 * `-snapshot` (image_snapshot = yes) gives it a throw-away overlay.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/type_qemu_cancel.h"
#include "virt/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SB_CMD_TIMEOUT_S 60

struct sb_opts {
    long max_vms;
    const char *alive_cmd;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct sb_opts, __VA_ARGS__)
static const struct run_param sb_params[] = {
    /* defaults: tp-qemu's stress_boot.cfg (the reference has none) */
    { "max_vms", AT(INT, max_vms), .def = "5", RUN_PARAM_MIN(1),
      .doc = "guests to boot, the first and its clones vm2 .. vmN" },
    { "alive_test_cmd", AT(STR, alive_cmd), .def = "uname -a",
      .doc = "run in every guest booted so far after each boot; must exit 0" },
    { NULL },
};
#undef AT

static long sb_cpus(void)
{
    return sysconf(_SC_NPROCESSORS_ONLN);
}

static int sb_cpus_met(const struct run_need *n, const struct params *p, struct run_facts *f,
                       struct strbuf *why)
{
    (void)n;
    (void)f;
    long max_vms = strtol(params_get_or(p, "max_vms", "0"), NULL, 10);
    if (sb_cpus() > max_vms)
        return 1;
    strbuf_addf(why, "%ld CPUs here, max_vms = %ld", sb_cpus(), max_vms);
    return 0;
}

static const struct run_need sb_needs[] = {
    { "host_cpus", .applies = qc_always, .met = sb_cpus_met,
      .met_doc = "this machine's CPUs > max_vms",
      .text = "more CPUs than max_vms on this machine (the reference cancels: No enough "
              "physical cpus to pin all guests)" },
    { NULL },
};

static int sb_check(const struct run_common *c, void *opts)
{
    struct sb_opts *o = opts;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

/* MemFree of /proc/meminfo in MiB (free -m's free column); -1 unknown. */
static long sb_free_mib(void)
{
    FILE *fp = fopen("/proc/meminfo", "r");
    char line[256];
    long kib = -1;
    if (!fp)
        return -1;
    while (fgets(line, sizeof(line), fp))
        if (sscanf(line, "MemFree: %ld kB", &kib) == 1)
            break;
    fclose(fp);
    return kib < 0 ? -1 : kib / 1024;
}

struct sb_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clones, mem and vcpus */
};

static int sb_setup(struct run_ctx *ctx)
{
    const struct sb_opts *o = ctx->opts;
    struct sb_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    st->params = params_dup(ctx->params);

    char **vms = params_objects(st->params, "vms");
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, vms[o->main_vm]);
    params_strv_free(vms);
    for (long n = 2; n <= o->max_vms; n++)
        strbuf_addf(&sb, " vm%ld", n);
    params_set(st->params, "vms", sb.buf);
    strbuf_reset(&sb);

    long vcpus = sb_cpus() / o->max_vms;
    if (vcpus > 1)
        vcpus = vcpus / 2 * 2;
    strbuf_addf(&sb, "%ld", vcpus);
    params_set(st->params, "vcpu_maxcpus", sb.buf);
    long free_mib = sb_free_mib();
    if (free_mib < 0) {
        strbuf_release(&sb);
        return run_error(ctx, "CmdError", "cannot read MemFree of /proc/meminfo");
    }
    strbuf_reset(&sb);
    strbuf_addf(&sb, "%ld", free_mib / o->max_vms);
    params_set(st->params, "mem", sb.buf);
    run_log(ctx, "%ld guests of %s MiB, vcpu_maxcpus %ld", o->max_vms, sb.buf, vcpus);
    strbuf_release(&sb);
    if (run_vmset_setup_params(ctx, &st->vms, st->params) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void sb_cleanup(struct run_ctx *ctx)
{
    struct sb_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

static int sb_fail(struct run_ctx *ctx, size_t num, const char *why)
{
    const struct sb_opts *o = ctx->opts;
    return run_fail(ctx, "TestFail", "Expect to boot up %ld guests.Failed to boot up #%zu "
                    "guest with error: %s.", o->max_vms, num, why);
}

/* Guest #num (vms index num - 1) booted and logged into; then alive_test_cmd in every
 * guest up to it. */
static int sb_boot_one(struct run_ctx *ctx, struct virt_vms *vms, size_t num)
{
    const struct sb_opts *o = ctx->opts;
    if (virt_vms_start(vms, num - 1, 0) < 0 ||
        virt_vms_wait_login(vms, num - 1, ctx->common->login_timeout) < 0)
        return run_should_stop(ctx) ? -1 : sb_fail(ctx, num, err_msg());
    run_log(ctx, "Guest #%zu booted up successfully", num);
    for (size_t k = 0; k < num; k++) {
        struct strbuf out = STRBUF_INIT;
        int status = -1;
        int rc = virt_vms_exec(vms, k, o->alive_cmd, SB_CMD_TIMEOUT_S, &out, &status);
        if (rc == 0 && status != 0)
            err_set("guest #%zu: '%s' exit %d: %s", k + 1, o->alive_cmd, status, out.buf);
        strbuf_release(&out);
        if (rc < 0 || status != 0)
            return run_should_stop(ctx) ? -1 : sb_fail(ctx, num, err_msg());
    }
    return 0;
}

static int sb_run(struct run_ctx *ctx)
{
    struct sb_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    /* the first guest outside the reference's try: its failure is an ERROR */
    if (run_vmtype_prepare(ctx, vms, 0, true, true) < 0)
        return -1;
    for (size_t num = 2; num <= vms->n; num++)
        if (sb_boot_one(ctx, vms, num) < 0)
            return -1;
    run_log(ctx, "Total number booted: %zu", vms->n);
    return 0;
}

const struct run_type run_type_stress_boot = {
    .name = "stress_boot",
    .summary = "tp-qemu's stress_boot: max_vms clones booted one after another, every "
               "guest answering alive_test_cmd after each (CANCEL without more CPUs than "
               "max_vms, as the reference)",
    .needs = { .vms = 1, .hosts = 1, .rows = sb_needs },
    .params = sb_params,
    .opts_size = sizeof(struct sb_opts),
    .check = sb_check,
    .setup = sb_setup,
    .run = sb_run,
    .cleanup = sb_cleanup,
};
