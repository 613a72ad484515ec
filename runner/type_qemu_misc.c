/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-qemu's generic tests `fail`, `skip`, `warning`, `ping` and `file_transfer` (not
 * tp-libvirt tests: the composed libvirt config takes tp-qemu's generic tests too), on
 * avocado-vt's libvirt VM (vm_type = libvirt), as the composition runs them:
 *
 *  - fail (generic/tests/fail.py): test.fail("Fail test is failing!"): FAIL.
 *  - skip (generic/tests/skip.py): test.cancel("Skip test is canceling a test!"):
 *    avocado's CANCEL (test.cancel raises TestCancel; SKIP is only for tests avocado
 *    never starts, which is not this one: the case runs, its outcome is CANCEL).
 *  - warning: tp-qemu removed generic/tests/warning.py in f88abf516 (2018; it raised
 *    autotest's TestWarn, avocado's WARN) and kept cfg/warning_test.cfg, so avocado-vt's
 *    find_test_modules ends the case in TestError "Could not find test file
 *    warning.py ...": the case runs and its outcome is that ERROR.  vtrun's WARN (a
 *    PASS with a warning) would be the 2018 test, not the composition's.
 *  - ping (generic/tests/ping.py, utils_net.ping): for each NIC address of the guest,
 *    from the host, `ping ADDR -c ping_counts -i INTERVAL -s SIZE` for every
 *    packet_size x interval_time, each within ping_counts * 1.5 s, a non-zero exit
 *    the FAIL "Ping failed"; with ping_ext_host the same from the guest to the host's
 *    ext_host_get_cmd answer (ext_host only when that command fails: an empty answer,
 *    a host without a default route, is utils_net.ping's localhost); strict_check:
 *    any loss a FAIL.
 *    Not built: flood_ping (raw_ping's flood for flood_minutes; ERROR naming it);
 *    multi_nics CANCELs (needs multi_nics: a second NIC and dhclient in the guest).
 *  - file_transfer (utils_test.run_file_transfer): a filesize MB file host -> guest
 *    -> host, md5 compared.  The composition's 4000 MB cannot fit the lab's 128 MiB
 *    busybox guest: CANCEL (needs guest_space); where a lab declares it, the copy is
 *    not built (ERROR).
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/type_qemu.h"

#include <stdlib.h>
#include <string.h>

/* ---- fail, skip, warning: no VM ------------------------------------------------------ */

static int fail_run(struct run_ctx *ctx)
{
    return run_fail(ctx, "TestFail", "Fail test is failing!");
}

static int skip_run(struct run_ctx *ctx)
{
    return run_cancel(ctx, "Skip test is canceling a test!");
}

static int warning_run(struct run_ctx *ctx)
{
    return run_error(ctx, "TestError", "Could not find test file warning.py on test dirs "
                     "(tp-qemu removed generic/tests/warning.py in f88abf516 and kept "
                     "warning_test.cfg)");
}

#define QM_TRIVIAL(tname, fn, what)                                                      \
    const struct run_type run_type_##tname = {                                           \
        .name = #tname,                                                                  \
        .summary = "tp-qemu's generic " #tname " test: " what,                           \
        .run = fn,                                                                       \
    }
QM_TRIVIAL(fail, fail_run, "FAIL");
QM_TRIVIAL(skip, skip_run, "test.cancel: CANCEL");
QM_TRIVIAL(warning, warning_run, "its module is gone from tp-qemu: avocado-vt's ERROR");
#undef QM_TRIVIAL

/* ---- ping ------------------------------------------------------------------------------ */

struct ping_opts {
    long counts;
    char **sizes, **intervals;
    bool ext_host, strict, flood;
    const char *ext_host_name, *ext_host_get_cmd;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct ping_opts, __VA_ARGS__)
static const struct run_param ping_params[] = {
    { "ping_counts", AT(INT, counts), .def = "30", RUN_PARAM_MIN(1),
      .doc = "echo requests per ping (ping -c); the ping's timeout is 1.5 s each" },
    { "packet_size", AT(LIST, sizes), .def = "", .doc = "ping -s values, each pinged" },
    { "interval_time", AT(LIST, intervals), .def = "1",
      .doc = "ping -i values, each pinged with each size" },
    { "ping_ext_host", AT(BOOL, ext_host), .def = "no",
      .doc = "ping from the guest to an external host instead of host -> guest" },
    { "ext_host", AT(STR, ext_host_name), .def = "",
      .doc = "that host, when ext_host_get_cmd is unset or fails" },
    { "ext_host_get_cmd", AT(STR, ext_host_get_cmd), .def = "",
      .doc = "host shell command printing that host" },
    { "strict_check", AT(BOOL, strict), .def = "no", .doc = "any packet loss fails" },
    { "flood_ping", AT(BOOL, flood), .def = "no",
      .doc = "also flood pings (not built: ERROR)" },
    { NULL },
};
#undef AT

static int ping_check(const struct run_common *c, void *opts)
{
    struct ping_opts *o = opts;
    o->main_vm = run_common_main_vm(c);
    if (o->main_vm < 0)
        return -1;
    if (o->flood) {
        err_set("param flood_ping = yes: the flood ping (utils_net.raw_ping for "
                "flood_minutes) is not built");
        return -1;
    }
    return 0;
}

/* nics names two or more */
static bool ping_multi_nics(const struct params *p)
{
    const char *s = params_get_or(p, "nics", "");
    unsigned words = 0;
    for (s += strspn(s, " "); *s; s += strspn(s, " ")) {
        words++;
        s += strcspn(s, " ");
    }
    return words > 1;
}

static const struct run_need ping_needs[] = {
    { "multi_nics", .applies = ping_multi_nics, .capability = "multi_nics",
      .text = "a second NIC in the guest, addressed by the case's pre_cmd (dhclient); the "
              "lab's busybox guest has one NIC and no dhclient" },
    { NULL },
};

/* utils_test.get_loss_ratio: "N% packet loss" */
static int loss_ratio(const char *out)
{
    const char *m = strstr(out, "% packet loss");
    if (!m)
        return -1;
    while (m > out && (m[-1] == '.' || (m[-1] >= '0' && m[-1] <= '9')))
        m--;
    return atoi(m);
}

static int ping_judge(struct run_ctx *ctx, const struct ping_opts *o, int status,
                      const char *out)
{
    if (status)
        return run_fail(ctx, "TestFail", "Ping failed, status: %d, output: %s", status, out);
    int ratio = loss_ratio(out);
    if (o->strict && ratio != 0)
        return run_fail(ctx, "TestFail", "Loss ratio is %d", ratio);
    return 0;
}

/* One ping from the host (guest < 0) or from guest i. */
static int ping_once(struct run_ctx *ctx, const struct ping_opts *o, long guest,
                     const char *dest, const char *size, const char *interval)
{
    char count[24];
    double timeout = (double)o->counts * 1.5;
    struct strbuf out = STRBUF_INIT;
    int status = -1, rc;
    snprintf(count, sizeof(count), "%ld", o->counts);
    run_log(ctx, "Ping with packet size: %s and interval: %s", size, interval);
    if (!*dest)     /* utils_net.ping without a destination */
        dest = "localhost";
    if (guest >= 0) {
        char *cmd = xasprintf("ping %s -c %s -i %s -s %s", dest, count, interval, size);
        rc = qemu_guest_exec(ctx, (size_t)guest, cmd, timeout, &status, &out);
        free(cmd);
    } else {
        const char *argv[] = { "ping", dest, "-c", count, "-i", interval, "-s", size, NULL };
        struct virt_host *link = run_host_link(ctx, 0);
        rc = link ? virt_host_run(link, argv, timeout, &out, &out, &status) : -1;
        if (rc < 0) {   /* a timeout too: utils_net.ping's non-zero status */
            status = 1;
            strbuf_addstr(&out, err_msg());
            rc = 0;
        }
    }
    if (rc == 0)
        rc = ping_judge(ctx, o, status, out.buf);
    strbuf_release(&out);
    return rc;
}

/* ext_host_get_cmd on the host (process.system_output: its output, even empty), else
 * (no command, or it failed) ext_host. */
static char *ping_ext_dest(struct run_ctx *ctx, const struct ping_opts *o)
{
    struct strbuf out = STRBUF_INIT;
    if (*o->ext_host_get_cmd) {
        const char *argv[] = { "sh", "-c", o->ext_host_get_cmd, NULL };
        struct virt_host *link = run_host_link(ctx, 0);
        if (link && virt_host_run(link, argv, 60, &out, NULL, NULL) == 0) {
            while (out.len && strchr(" \t\r\n", out.buf[out.len - 1]))
                out.buf[--out.len] = '\0';
            run_log(ctx, "ext_host_get_cmd: '%s'", out.buf);
            return strbuf_detach(&out, NULL);
        }
        run_warn(ctx, "Can't get specified host with cmd '%s', Fallback to default "
                 "host '%s'", o->ext_host_get_cmd, o->ext_host_name);
    }
    strbuf_release(&out);
    return xstrdup(o->ext_host_name);
}

static int ping_run(struct run_ctx *ctx)
{
    const struct ping_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    const char *addr = vms->vm[i].address;
    char *dest = o->ext_host ? ping_ext_dest(ctx, o) : xstrdup(addr ? addr : "");
    int rc = 0;
    if (!o->ext_host && !*dest)
        rc = run_fail(ctx, "TestFail", "Could not get the ip of nic index 0");
    for (char **s = o->sizes; rc == 0 && s && *s; s++)
        for (char **iv = o->intervals; rc == 0 && iv && *iv; iv++)
            rc = ping_once(ctx, o, o->ext_host ? (long)i : -1, dest, *s, *iv);
    free(dest);
    return rc;
}

const struct run_type run_type_ping = {
    .name = "ping",
    .summary = "tp-qemu's generic ping on avocado-vt's libvirt VM: host -> guest (or guest "
               "-> external host) pings of every packet size and interval",
    .needs = { .vms = 1, .hosts = 1, .rows = ping_needs },
    .params = ping_params,
    .opts_size = sizeof(struct ping_opts),
    .check = ping_check,
    .setup = run_vmtype_setup,
    .run = ping_run,
    .cleanup = run_vmtype_cleanup,
};

/* ---- file_transfer ----------------------------------------------------------------------- */

static const struct run_need ft_needs[] = {
    { "guest_space", .types = "file_transfer", .applies = qemu_need_always,
      .capability = "guest_space",
      .text = "room in the guest for the case's file (filesize MB in tmp_dir, 4000 MB in "
              "the composition); the lab's busybox guest has 128 MiB" },
    { NULL },
};

static const struct run_need ft_needs_last[] = {
    { "not built", .applies = qemu_need_always, .met = qemu_need_unbuilt,
      .met_doc = "the copy of the reference (ERROR)",
      .text = "the host <-> guest copy (vm.copy_files_to / copy_files_from)" },
    { NULL },
};

static int ft_run(struct run_ctx *ctx)
{
    return run_error(ctx, "ConfigError", "file_transfer: the host <-> guest copy is not built");
}

const struct run_type run_type_file_transfer = {
    .name = "file_transfer",
    .summary = "tp-qemu's generic file_transfer: a filesize MB file host -> guest -> host "
               "(CANCEL: the lab's guest has no room; the copy is not built)",
    .needs = { .vms = 1, .hosts = 1, .rows = ft_needs, .rows_last = ft_needs_last },
    .setup = run_vmtype_setup,
    .run = ft_run,
    .cleanup = run_vmtype_cleanup,
};
