/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-qemu's guest life-cycle tests `stop_continue` (qemu/tests/stop_continue.py),
 * `shutdown`, `save_restore` and `boot_savevm` (generic/tests/), on avocado-vt's libvirt
 * VM (vm_type = libvirt: virsh suspend / resume / save / restore), as the composition
 * runs them:
 *
 *  - stop_continue: login; prepare_op (a failing one the ERROR of session.cmd); pause;
 *    the domain must be paused (else ERROR VMStatusError) and the guest must not answer
 *    (else FAIL "Session is still responsive after stop"); pause_time; resume; running;
 *    login again; check_op must exit 0 (else FAIL "Something wrong after stop
 *    continue..."); clean_op, its errors ignored.  Not built: start_bg_process
 *    (BackgroundTest's command during the pause), an ERROR naming it;
 *    with_file_copy CANCELs first (needs guest_space: its 1 GiB file in the guest).
 *  - shutdown: login; shutdown_method = shell sends shutdown_command; the guest must
 *    be off within 360 s (else FAIL "Guest refuses to go down"); shutdown_count times.
 *    Not built: system_powerdown, setup_runlevel, disable_shutdown (params ERRORs).
 *  - save_restore: save_restore_bg_command started in the guest; then, until
 *    save_restore_repeat cycles or save_restore_duration s: a login within 120 s
 *    (else FAIL "VM check timed out and/or VM non-responsive"), start_delay, pause,
 *    save to a file of save_restore_path on the host, restore_delay, restore, resume,
 *    the console checked for a kernel crash (ERROR) at each step; FAIL when the
 *    duration ran out with cycles left.
 *  - boot_savevm, save_method = save_to_file: from the start of the boot, every
 *    savevm_delay s pause, save, restore, resume, then a login within
 *    savevm_login_delay s ends it; none within savevm_timeout s is the FAIL "Can't
 *    log on ...".  save_to_tag calls vm.savevm / vm.loadvm, which avocado-vt's libvirt
 *    VM does not have (the reference ends in an AttributeError): CANCEL, needs qemu_vm.
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/type_qemu.h"

#include <stdlib.h>
#include <string.h>

/* aexpect's is_responsive(): an answer within 5 s */
#define QL_RESPONSIVE_S 5

static int ql_check_main_vm(const struct run_common *c, long *main_vm)
{
    *main_vm = run_common_main_vm(c);
    return *main_vm < 0 ? -1 : 0;
}

/* ---- stop_continue ------------------------------------------------------------------- */

struct sc_opts {
    const char *prepare_op, *check_op, *clean_op;
    double prepare_timeout, check_timeout, clean_timeout, pause_time;
    bool bg;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct sc_opts, __VA_ARGS__)
static const struct run_param sc_params[] = {
    { "prepare_op", AT(STR, prepare_op), .def = "", .doc = "guest command before the stop" },
    { "prepare_op_timeout", AT(FLOAT, prepare_timeout), .def = "60", RUN_PARAM_MIN(1),
      .unit = "seconds", .doc = "prepare_op's time limit" },
    { "check_op", AT(STR, check_op), .def = "",
      .doc = "guest command after the resume: non-zero exit fails" },
    { "check_op_timeout", AT(FLOAT, check_timeout), .def = "60", RUN_PARAM_MIN(1),
      .unit = "seconds", .doc = "check_op's time limit" },
    { "clean_op", AT(STR, clean_op), .def = "", .doc = "guest command at the end" },
    { "clean_op_timeout", AT(FLOAT, clean_timeout), .def = "60", RUN_PARAM_MIN(1),
      .unit = "seconds", .doc = "clean_op's time limit" },
    { "pause_time", AT(FLOAT, pause_time), .def = "0", RUN_PARAM_MIN(0), .unit = "seconds",
      .doc = "how long the guest stays stopped" },
    { "start_bg_process", AT(BOOL, bg), .def = "no",
      .doc = "bg_cmd in a second session during the stop (not built: ERROR)" },
    { NULL },
};
#undef AT

static int sc_check(const struct run_common *c, void *opts)
{
    struct sc_opts *o = opts;
    return ql_check_main_vm(c, &o->main_vm);
}

/* stop_continue.with_file_copy: dd of 1 GiB into the guest's /tmp */
static bool sc_big_file(const struct params *p)
{
    const char *op = params_get_or(p, "prepare_op", "");
    return strstr(op, "count=1024") && strstr(op, "bs=1M");
}

static bool sc_bg(const struct params *p)
{
    return !strcmp(params_get_or(p, "start_bg_process", "no"), "yes");
}

static const struct run_need sc_needs[] = {
    { "guest_space", .applies = sc_big_file, .capability = "guest_space",
      .text = "1 GiB free in the guest's /tmp for prepare_op's file (twice, with its "
              "copy); the lab's busybox guest has 128 MiB" },
    { NULL },
};

static const struct run_need sc_needs_last[] = {
    { "not built", .applies = sc_bg, .met = qemu_need_unbuilt,
      .met_doc = "start_bg_process of the reference (ERROR)",
      .text = "start_bg_process = yes (bg_cmd in a second session during the stop, "
              "utils_test.BackgroundTest)" },
    { NULL },
};

static int sc_stopped(struct run_ctx *ctx, size_t i)
{
    struct virt_vms *vms = ctx->data;
    int status = -1;
    if (virt_vms_suspend(vms, i) < 0)
        return run_error(ctx, "VMError", "pause: %s", err_msg());
    if (qemu_verify_state(ctx, i, BE_STATE_PAUSED) < 0)
        return -1;
    /* the guest must not answer: an exec that returns is a responsive session */
    if (virt_vms_exec(vms, i, "true", QL_RESPONSIVE_S, NULL, &status) == 0)
        return run_fail(ctx, "TestFail", "Session is still responsive after stop");
    run_log(ctx, "the stopped guest does not answer: %s", err_msg());
    return 0;
}

static int sc_run(struct run_ctx *ctx)
{
    const struct sc_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    int rc = 0;
    if (*o->prepare_op)
        rc = qemu_guest_cmd(ctx, i, o->prepare_op, o->prepare_timeout, NULL);
    if (rc == 0)
        rc = sc_stopped(ctx, i);
    if (rc == 0) {
        clock_sleep(o->pause_time);
        if (virt_vms_resume(vms, i) < 0)
            rc = run_error(ctx, "VMError", "resume: %s", err_msg());
    }
    if (rc == 0)
        rc = qemu_verify_state(ctx, i, BE_STATE_RUNNING);
    if (rc == 0 && virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        rc = run_should_stop(ctx) ? -1 : run_error(ctx, "LoginError", "%s", err_msg());
    if (rc == 0 && *o->check_op) {
        struct strbuf out = STRBUF_INIT;
        int status = -1;
        rc = qemu_guest_exec(ctx, i, o->check_op, o->check_timeout, &status, &out);
        if (rc == 0 && status)
            rc = run_fail(ctx, "TestFail", "Something wrong after stop continue, check "
                          "command report: %s", out.buf);
        strbuf_release(&out);
    }
    /* the finally: clean_op, whatever happened (its errors only logged) */
    int st = -1;
    if (*o->clean_op && virt_vms_wait_login(vms, i, ctx->common->login_timeout) == 0 &&
        virt_vms_exec(vms, i, o->clean_op, o->clean_timeout, NULL, &st) < 0)
        run_log(ctx, "Exception occur when clean test environment: %s", err_msg());
    return rc;
}

const struct run_type run_type_stop_continue = {
    .name = "stop_continue",
    .summary = "tp-qemu's stop_continue on avocado-vt's libvirt VM: pause, the guest must "
               "not answer, resume, log in again, check_op",
    .needs = { .vms = 1, .hosts = 1, .rows = sc_needs, .rows_last = sc_needs_last },
    .params = sc_params,
    .opts_size = sizeof(struct sc_opts),
    .check = sc_check,
    .setup = run_vmtype_setup,
    .run = sc_run,
    .cleanup = run_vmtype_cleanup,
};

/* ---- shutdown ------------------------------------------------------------------------ */

/* vm.wait_for_shutdown(360) */
#define SD_DOWN_S 360

enum sd_method { SD_SHELL = 1 };
static const struct params_word sd_methods[] = { { "shell", SD_SHELL }, { NULL, 0 } };

struct sd_opts {
    long count;
    int method;
    const char *command;
    bool runlevel, disable;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct sd_opts, __VA_ARGS__)
static const struct run_param sd_params[] = {
    { "shutdown_count", AT(INT, count), .def = "1", RUN_PARAM_MIN(1),
      .doc = "shutdowns, the guest started again between them" },
    { "shutdown_method", AT(ENUM, method, sd_methods), .def = "shell",
      .doc = "shell: shutdown_command in the guest (system_powerdown is not built)" },
    { "shutdown_command", AT(STR, command), .def = "poweroff",
      .doc = "the guest's shutdown command" },
    { "setup_runlevel", AT(BOOL, runlevel), .def = "no", .doc = "not built: yes is an ERROR" },
    { "disable_shutdown", AT(BOOL, disable), .def = "no", .doc = "not built: yes is an ERROR" },
    { NULL },
};
#undef AT

static int sd_check(const struct run_common *c, void *opts)
{
    struct sd_opts *o = opts;
    if (o->runlevel || o->disable) {
        err_set("param %s = yes is not built", o->runlevel ? "setup_runlevel"
                                                           : "disable_shutdown");
        return -1;
    }
    return ql_check_main_vm(c, &o->main_vm);
}

static int sd_run(struct run_ctx *ctx)
{
    const struct sd_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    for (long k = 0; k < o->count; k++) {
        /* avocado-vt's preprocess_vm between the shutdowns: the VM started again */
        if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
            return -1;
        run_log(ctx, "shutting down the VM %ld/%ld", k + 1, o->count);
        /* session.sendline: nothing waited for; the guest may drop the session
         * before the command returns, which is no error */
        struct strbuf bg = STRBUF_INIT;
        int status = -1;
        strbuf_addstr(&bg, "setsid sh -c ");
        strbuf_add_sq(&bg, o->command);
        strbuf_addstr(&bg, " </dev/null >/dev/null 2>&1 &");
        if (virt_vms_exec(vms, i, bg.buf, 30, NULL, &status) < 0)
            run_log(ctx, "guest: %s: %s", o->command, err_msg());
        strbuf_release(&bg);
        int down = qemu_wait_down(ctx, i, SD_DOWN_S);
        if (down < 0)
            return -1;
        if (!down)
            return run_fail(ctx, "TestFail", "Guest refuses to go down");
    }
    return 0;
}

const struct run_type run_type_shutdown = {
    .name = "shutdown",
    .summary = "tp-qemu's generic shutdown on avocado-vt's libvirt VM: shutdown_command "
               "in the guest, off within 360 s",
    .needs = { .vms = 1, .hosts = 1 },
    .params = sd_params,
    .opts_size = sizeof(struct sd_opts),
    .check = sd_check,
    .setup = run_vmtype_setup,
    .run = sd_run,
    .cleanup = run_vmtype_cleanup,
};

/* ---- save / restore cycles (save_restore, boot_savevm) ---------------------------------- */

/* pause, save to path, delay, restore, resume (when restored paused), the console
 * checked after each step as the references do. */
static int ql_cycle(struct run_ctx *ctx, size_t i, const char *path, double restore_delay)
{
    struct virt_vms *vms = ctx->data;
    enum be_state st = BE_STATE_RUNNING;
    if (virt_vms_suspend(vms, i) < 0)
        return run_error(ctx, "VMError", "pause: %s", err_msg());
    if (qemu_verify_no_crash(ctx, i) < 0)
        return -1;
    int rc = virt_vms_save(vms, i, path);
    if (rc < 0)
        rc = run_error(ctx, "VMError", "save_to_file: %s", err_msg());
    if (rc == 0)
        rc = qemu_verify_no_crash(ctx, i);
    if (rc == 0) {
        clock_sleep(restore_delay);
        if (virt_vms_restore(vms, i, path) < 0)
            rc = run_error(ctx, "VMError", "restore_from_file: %s", err_msg());
    }
    qemu_host_remove(ctx, path);
    if (rc == 0)
        rc = qemu_verify_no_crash(ctx, i);
    /* vm.resume(): the restored guest is paused as it was saved */
    if (rc == 0 && virt_vms_state(vms, i, 0, &st) == 0 && st == BE_STATE_PAUSED &&
        virt_vms_resume(vms, i) < 0)
        rc = run_error(ctx, "VMError", "resume: %s", err_msg());
    return rc == 0 ? qemu_verify_no_crash(ctx, i) : rc;
}

/* The save file of VM i in dir: one name per domain, so that cleanup finds it again. */
static char *ql_save_path(struct run_ctx *ctx, const char *dir, long i, const char *suffix)
{
    struct virt_vms *vms = ctx->data;
    return xasprintf("%s/%s%s", dir, vms->vm[i].domain, suffix);
}

/* cleanup: a save file an interrupted cycle left (its own removal is refused once the
 * test is cancelled; cleanup runs with the flag cleared), then the VM set's. */
static void ql_cleanup(struct run_ctx *ctx, const char *dir, long i, const char *suffix)
{
    if (ctx->data && ctx->opts) {
        char *path = ql_save_path(ctx, dir, i, suffix);
        qemu_host_remove(ctx, path);
        free(path);
    }
    run_vmtype_cleanup(ctx);
}

/* ---- save_restore --------------------------------------------------------------------- */

#define SR_SUFFIX "-vtrun.save"

/* check_system's login */
#define SR_CHECK_S 120

struct sr_opts {
    long repeat;
    double start_delay, restore_delay, duration;
    const char *path, *bg;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct sr_opts, __VA_ARGS__)
static const struct run_param sr_params[] = {
    { "save_restore_repeat", AT(INT, repeat), .def = "1", RUN_PARAM_MIN(1),
      .doc = "save / restore cycles" },
    { "save_restore_start_delay", AT(FLOAT, start_delay), .def = "10.0", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "wait before each pause" },
    { "save_restore_delay", AT(FLOAT, restore_delay), .def = "0.0", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "wait between save and restore" },
    { "save_restore_duration", AT(FLOAT, duration), .def = "60.0", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "cycles left when it runs out: FAIL" },
    { "save_restore_path", AT(STR, path), .def = "/tmp",
      .doc = "directory of the save files on the host" },
    { "save_restore_bg_command", AT(STR, bg), .def = "",
      .doc = "guest command running in the background meanwhile" },
    { NULL },
};
#undef AT

static int sr_check(const struct run_common *c, void *opts)
{
    struct sr_opts *o = opts;
    return ql_check_main_vm(c, &o->main_vm);
}

static int sr_system(struct run_ctx *ctx, size_t i)
{
    if (virt_vms_wait_login(ctx->data, i, SR_CHECK_S) < 0)
        return run_should_stop(ctx) ? -1 : run_fail(ctx, "TestFail", "VM check timed out "
                                                    "and/or VM non-responsive");
    return 0;
}

static int sr_run(struct run_ctx *ctx)
{
    const struct sr_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    long pid = 0, repeat = o->repeat;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (*o->bg && qemu_guest_send(ctx, i, o->bg, &pid) < 0)
        return -1;
    char *path = ql_save_path(ctx, o->path, o->main_vm, SR_SUFFIX);
    double now = clock_now(), stop = now + o->duration;
    int rc = 0;
    while (rc == 0 && !run_should_stop(ctx)) {
        rc = qemu_verify_no_crash(ctx, i);
        if (rc == 0)
            rc = sr_system(ctx, i);
        if (rc < 0)
            break;
        run_log(ctx, "Save/restores left: %ld (or %.4f more seconds)", repeat,
                stop - clock_now());
        clock_sleep(o->start_delay);
        rc = ql_cycle(ctx, i, path, o->restore_delay);
        now = clock_now();
        if (--repeat <= 0 || now >= stop)
            break;
    }
    free(path);
    if (rc == 0)
        rc = sr_system(ctx, i);
    if (rc == 0 && pid > 0) {
        char *kill = xasprintf("kill %ld", pid);
        int status = -1;
        if (qemu_guest_exec(ctx, i, kill, 60, &status, NULL) == 0 && status)
            run_log(ctx, "Background guest command kill %ld failed", pid);
        free(kill);
    }
    if (rc == 0 && repeat > 0)
        rc = run_fail(ctx, "TestFail", "Save/Restore save_restore_duration exceeded by "
                      "%.4f seconds with %ld itterations remaining.", now - stop, repeat + 1);
    return rc;
}

static void sr_cleanup(struct run_ctx *ctx)
{
    const struct sr_opts *o = ctx->opts;
    ql_cleanup(ctx, o->path, o->main_vm, SR_SUFFIX);
}

const struct run_type run_type_save_restore = {
    .name = "save_restore",
    .summary = "tp-qemu's generic save_restore on avocado-vt's libvirt VM: virsh save / "
               "restore cycles with a guest program running",
    .needs = { .vms = 1, .hosts = 1 },
    .params = sr_params,
    .opts_size = sizeof(struct sr_opts),
    .check = sr_check,
    .setup = run_vmtype_setup,
    .run = sr_run,
    .cleanup = sr_cleanup,
};

/* ---- boot_savevm ----------------------------------------------------------------------- */

#define BS_SUFFIX "-vtrun-savevm.img"

struct bs_opts {
    double delay, login_delay, timeout;
    const char *statedir;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct bs_opts, __VA_ARGS__)
/* The reference reads params[key] (a KeyError when unset); vtrun's types parse with
 * nothing set, so the defaults are tp-qemu's boot_savevm.cfg values. */
static const struct run_param bs_params[] = {
    { "savevm_delay", AT(FLOAT, delay), .def = "0.3", RUN_PARAM_MIN(0), .unit = "seconds",
      .doc = "run time before each pause" },
    { "savevm_login_delay", AT(FLOAT, login_delay), .def = "5", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "a login within it ends the test" },
    { "savevm_timeout", AT(FLOAT, timeout), .def = "2000", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "no login by then: FAIL" },
    { "savevm_statedir", AT(STR, statedir), .def = "/tmp",
      .doc = "directory of the save file on the host" },
    { NULL },
};
#undef AT

static int bs_check(const struct run_common *c, void *opts)
{
    struct bs_opts *o = opts;
    return ql_check_main_vm(c, &o->main_vm);
}

static bool bs_to_tag(const struct params *p)
{
    return strcmp(params_get_or(p, "save_method", ""), "save_to_file") != 0;
}

static const struct run_need bs_needs[] = {
    { "qemu_vm", .applies = bs_to_tag,
      .text = "vm.savevm / vm.loadvm (save_method = save_to_tag): avocado-vt's libvirt VM "
              "has neither, the reference ends in an AttributeError there" },
    { NULL },
};

static void bs_cleanup(struct run_ctx *ctx)
{
    const struct bs_opts *o = ctx->opts;
    ql_cleanup(ctx, o->statedir, o->main_vm, BS_SUFFIX);
}

static int bs_run(struct run_ctx *ctx)
{
    const struct bs_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    if (run_vmtype_prepare(ctx, vms, i, true, false) < 0)
        return -1;
    char *path = ql_save_path(ctx, o->statedir, o->main_vm, BS_SUFFIX);
    double start = clock_now();
    long cycles = 0;
    bool in = false;
    int rc = 0;
    while (rc == 0 && !in && clock_now() - start < o->timeout && !run_should_stop(ctx)) {
        run_log(ctx, "Save/Restore cycle %ld", cycles + 1);
        clock_sleep(o->delay);
        rc = ql_cycle(ctx, i, path, 0);
        if (rc == 0 && virt_vms_wait_login(vms, i, o->login_delay) == 0)
            in = true;
        else
            cycles++;
    }
    free(path);
    if (rc < 0 || run_should_stop(ctx))
        return -1;
    if (!in)
        return run_fail(ctx, "TestFail", "Can't log on '%s' after %d s, %ld load/save "
                        "cycles", vms->vm[i].name, (int)(clock_now() - start), cycles + 1);
    run_log(ctx, "Test ended after %d s, %ld load/save cycles", (int)(clock_now() - start),
            cycles + 1);
    return 0;
}

const struct run_type run_type_boot_savevm = {
    .name = "boot_savevm",
    .summary = "tp-qemu's generic boot_savevm on avocado-vt's libvirt VM: virsh save / "
               "restore cycles through the boot until a login",
    .needs = { .vms = 1, .hosts = 1, .rows = bs_needs },
    .params = bs_params,
    .opts_size = sizeof(struct bs_opts),
    .check = bs_check,
    .setup = run_vmtype_setup,
    .run = bs_run,
    .cleanup = bs_cleanup,
};
