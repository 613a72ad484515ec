/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-qemu's clock tests in the composition (cases io-github-autotest-qemu.timerclock.*,
 * .timedrift.* and, by the composition's variants, guest_suspend.*.with_kvmclock.* whose
 * type is clock_getres), on avocado-vt's libvirt VM.  Each needs a guest tool the lab's
 * busybox guest (v1.35) lacks, before anything it could judge:
 *
 *  - clock_getres, monotonic_time, tsc, rtc (generic/tests/): copy a C program from
 *    avocado-vt's deps into the guest and build it there (gcc; make for the
 *    TimeClientTest ones): needs guest_build_tools.
 *  - hwclock (generic/tests/hwclock.py): `/sbin/hwclock --set --date "2/2/80 03:04:00"`
 *    and its date read back: busybox's hwclock has no --set / --date: needs
 *    guest_hwclock (util-linux).
 *  - timedrift, timedrift_with_stop, _with_reboot, _with_migration, _with_cpu_offline
 *    (qemu/tests/): utils_test.get_time parses time_command's `date +'... %N'` with
 *    time_filter_re, which wants the nanoseconds; busybox's date prints "%N" as is, so
 *    the reference's parse fails.  timedrift_monotonicity samples `date +%s%N`: with
 *    busybox its sampler thread dies on the first float() and the case would pass
 *    without a reading.  All need guest_date_ns (GNU date).
 *
 * A lab that declares the capability reaches the steps, which are not built (an ERROR
 * naming the type).  Noted for whoever builds them: on avocado-vt's libvirt VM,
 * vm.migrate() (timedrift_with_migration, timedrift_monotonicity) is virsh migrate
 * with an empty destination URI, which fails without the test checking it; and the
 * kvm-pit extra_params are QEMU words the libvirt VM does not pass.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/type_qemu.h"

#define QT_NEED(nm, tps, txt)                                                            \
    { nm, .types = tps, .applies = qemu_need_always, .capability = nm, .text = txt }

static const struct run_need qt_needs[] = {
    QT_NEED("guest_build_tools", "clock_getres monotonic_time tsc rtc",
            "gcc and make in the guest: the test builds its C program from avocado-vt's "
            "deps there; the lab's busybox guest has no compiler"),
    QT_NEED("guest_hwclock", "hwclock",
            "util-linux hwclock in the guest (hwclock --set --date); busybox's hwclock "
            "cannot set a date"),
    QT_NEED("guest_date_ns", "timedrift timedrift_with_stop timedrift_with_reboot "
            "timedrift_with_migration timedrift_with_cpu_offline timedrift_monotonicity",
            "GNU date in the guest: the guest time is read with date's %N (nanoseconds), "
            "which busybox's date prints as is"),
    { NULL },
};
#undef QT_NEED

static const struct run_need qt_needs_last[] = {
    { "not built", .applies = qemu_need_always, .met = qemu_need_unbuilt,
      .met_doc = "the steps of the reference (ERROR)", .text = "the steps of the reference" },
    { NULL },
};

static int qt_run(struct run_ctx *ctx)
{
    return run_error(ctx, "ConfigError", "the steps of the reference are not built");
}

/* One row per type: they share their shape (needs, then not built). */
#define QT_TYPE(tname, what)                                                             \
    const struct run_type run_type_##tname = {                                           \
        .name = #tname,                                                                  \
        .summary = "tp-qemu's " #tname " on avocado-vt's libvirt VM: " what              \
                   " (CANCEL: the guest tool it needs; its steps are not built)",        \
        .needs = { .vms = 1, .hosts = 1, .rows = qt_needs, .rows_last = qt_needs_last }, \
        .setup = run_vmtype_setup,                                                       \
        .run = qt_run,                                                                   \
        .cleanup = run_vmtype_cleanup,                                                   \
    }
QT_TYPE(clock_getres, "the guest's clock resolution (clock_getres.c)");
QT_TYPE(monotonic_time, "gettimeofday, TSC and CLOCK_MONOTONIC never go back (time_test)");
QT_TYPE(tsc, "TSC synchronization between the guest's CPUs (checktsc)");
QT_TYPE(rtc, "the guest's RTC interrupts, alarm and frequency (rtctest)");
QT_TYPE(hwclock, "the guest's hardware clock set to 1980 and read back");
QT_TYPE(timedrift, "guest time drift under guest and host load");
QT_TYPE(timedrift_with_stop, "guest time drift across stops of the VM");
QT_TYPE(timedrift_with_reboot, "guest time drift across reboots");
QT_TYPE(timedrift_with_migration, "guest time drift across migrations");
QT_TYPE(timedrift_with_cpu_offline, "guest time drift with a vCPU offline");
QT_TYPE(timedrift_monotonicity, "guest time never goes back during a migration");
#undef QT_TYPE
