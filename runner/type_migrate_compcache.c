/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type virsh_migrate_compcache: tp-libvirt's virsh.migrate_compcache
 * (virsh_migrate_compcache.py), `virsh migrate-compcache <domain> [--size N]` on one
 * host: get or set the XBZRLE compression cache of a running, paused or shut off VM,
 * sizes from one page to past 2^64 - 1.  virsh is the tool under test (its size
 * parsing, its errors), run from argv arrays on the source host (runner/run_virsh.h).
 *
 * A size that was set is read back with migrate-compcache, and, as the reference does
 * when a destination is configured, in the job of a --compressed migration
 * (job_check()).
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum cc_action { CC_GET, CC_SET };
static const struct params_word cc_action_words[] = {
    { "get", CC_GET },
    { "set", CC_SET },
    { NULL, 0 },
};

struct cc_opts {
    const char *vm_ref;
    bool start_vm;
    bool paused;
    bool expect_succeed;
    const char *size_option;
    int action;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct cc_opts, __VA_ARGS__)
static const struct run_param cc_params[] = {
    { "vm_ref", AT(STR, vm_ref), .def = "name",
      .doc = "the domain argument: domname (the VM's name), else this text" },
    { "start_vm", AT(BOOL, start_vm), .def = "yes",
      .doc = "start the VM first (else it is only defined)" },
    /* avocado-vt pauses a VM after its start on paused_after_start_vm; the reference
     * reads pause_after_start_vm */
    { "paused_after_start_vm", .aliases = "pause_after_start_vm", AT(BOOL, paused),
      .def = "no", .doc = "pause the VM after it started" },
    { "expect_succeed", AT(BOOL, expect_succeed), .def = "yes",
      .doc = "migrate-compcache must succeed (else fail)" },
    { "size_option", AT(STR, size_option), .def = "valid",
      .doc = "--size: minimal (a page), maximal (the VM's memory), small (a page - 1), "
             "large (memory + 50 MB), huge (2^64 - 1), empty or '\"\"' (an empty "
             "argument), else the text" },
    { "compcache_action", AT(ENUM, action, cc_action_words), .def = "get",
      .doc = "get (no --size) or set" },
    { NULL },
};
#undef AT

/* The VM's maximum memory in bytes, from virsh dominfo ("Max memory: N KiB"). */
static int max_mem_bytes(struct run_ctx *ctx, const char *domain, unsigned long long *out)
{
    const char *words[] = { "dominfo", domain, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = -1;
    if (run_virsh_words(ctx, 0, words, &r) == 0 && r.status == 0) {
        const char *m = strstr(r.out.buf, "Max memory:");
        if (m && sscanf(m, "Max memory: %llu KiB", out) == 1) {
            *out *= 1024;
            rc = 0;
        }
    }
    if (rc < 0)
        err_set("virsh dominfo %s: no 'Max memory' (exit %d): %s", domain, r.status,
                r.err.buf);
    run_virsh_release(&r);
    return rc;
}

/* --size's value for size_option (the reference's table); caller frees. */
static char *size_value(struct run_ctx *ctx, const char *opt, const char *domain)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long mem;
    if (page <= 0)
        page = 4096;
    if (!strcmp(opt, "minimal"))
        return xasprintf("%ld", page);
    if (!strcmp(opt, "small"))
        return xasprintf("%ld", page - 1);
    if (!strcmp(opt, "huge"))
        return xasprintf("%" PRIu64, UINT64_MAX);
    if (!strcmp(opt, "empty") || !strcmp(opt, "\"\"") || !strcmp(opt, "''"))
        return xstrdup("");
    if (!strcmp(opt, "maximal") || !strcmp(opt, "large")) {
        if (max_mem_bytes(ctx, domain, &mem) < 0)
            return NULL;
        return xasprintf("%llu", mem + (strcmp(opt, "large") ? 0 : 50000000ULL));
    }
    return xstrdup(opt);
}

/* Whether virsh's "Compression cache: 4.000 KiB" line in text is size bytes: 1 yes,
 * 0 no, -1 no such line. */
static int cache_is(const char *text, const char *size)
{
    static const struct { const char *unit; double mul; } units[] = {
        { "B", 1 }, { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
        { "TiB", 1099511627776.0 },
    };
    const char *p = strstr(text, "Compression cache:");
    double v, want = strtod(size, NULL), got = -1;
    char unit[8];
    if (!p || sscanf(p, "Compression cache: %lf %7s", &v, unit) != 2)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcmp(unit, units[i].unit))
            got = v * units[i].mul;
    /* virsh prints 3 decimals of the unit it picks */
    return got >= 0 && (got > want ? got - want : want - got) <= want / 1000.0 + 1;
}

/* After a set that succeeded: migrate-compcache reads the cache back. */
static int size_check(struct run_ctx *ctx, const char *ref, const char *size)
{
    const char *words[] = { "migrate-compcache", ref, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = -1;
    if (run_virsh_words(ctx, 0, words, &r) < 0 || r.status)
        run_fail(ctx, "CmdError", "migrate-compcache (get) after set: %s%s", r.err.buf,
                 r.status ? "" : err_msg());
    else if (cache_is(r.out.buf, size) != 1)
        run_fail(ctx, "CompcacheMismatch", "compression cache set to %s bytes, "
                 "migrate-compcache says '%s'", size, r.out.buf);
    else
        rc = 0;
    run_virsh_release(&r);
    return rc;
}

/* The reference's check in a migration: the VM (resumed, logged into) migrates with
 * --compressed --unsafe through the supervisor; for up to 5 s virsh domjobinfo on the
 * source must show the cache that was set; then the job is aborted.  A job whose
 * figures never show (it ended first) is logged, as the reference does. */
/* MiB/s of the checking migration: its ~50-100 MiB of used guest memory take seconds */
#define CC_PACE_MIB 16

struct cc_mig {
    struct virt_vms *vms;
    size_t vm;
    struct be_migrate_opts mo;
    struct be_hop_metrics m;
    atomic_bool abort;
    int rc;
    char *err;                  /* why it failed (aborted, once the figures were read) */
};

static void *cc_mig_main(void *arg)
{
    struct cc_mig *cm = arg;
    cm->rc = virt_vms_migrate(cm->vms, cm->vm, 1, &cm->mo, &cm->m);
    if (cm->rc < 0)
        cm->err = xstrdup(err_msg());
    return NULL;
}

static int job_check(struct run_ctx *ctx, struct virt_vms *vms, size_t i, bool paused,
                     const char *size)
{
    struct cc_mig cm = { .vms = vms, .vm = i, .rc = -1 };
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *words[] = { "domjobinfo", vms->vm[i].domain, NULL };
    pthread_t tid;
    int seen = -1;

    if (paused && virt_vms_resume(vms, i) < 0)
        return run_error(ctx, "VMResumeError", "%s", err_msg());
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_error(ctx, "LoginError", "%s", err_msg());
    cm.mo.flags = BE_MIG_LIVE | BE_MIG_COMPRESSED | BE_MIG_UNSAFE;
    /* paced, so the job is still there when its figures are read: an idle guest under
     * TCG moves over loopback in about a second (seen: gone before the first look) */
    cm.mo.bandwidth_mib = CC_PACE_MIB;
    cm.mo.dest_uri = ctx->common->virsh_migrate_desturi;
    cm.mo.cancel = &cm.abort;
    atomic_init(&cm.abort, false);
    if (pthread_create(&tid, NULL, cc_mig_main, &cm) != 0)
        return run_error(ctx, "ThreadError", "cannot start the migration thread");
    for (int t = 0; t < 25 && seen < 0 && !run_should_stop(ctx); t++) {
        clock_sleep(0.2);
        if (run_virsh_words(ctx, 0, words, &r) == 0 && r.status == 0)
            seen = cache_is(r.out.buf, size);
    }
    atomic_store(&cm.abort, true);
    pthread_join(tid, NULL);
    virt_vms_record_hop(vms, i, 1, 0, 1, &cm.m, cm.rc == 0, cm.err);
    free(cm.err);
    int rc = 0;
    if (seen == 0)
        rc = run_fail(ctx, "CompcacheMismatch", "compression cache set to %s bytes, the "
                      "migration job says '%s'", size, r.out.buf);
    else if (seen > 0)
        run_log(ctx, "the migration job shows the compression cache set: %s bytes", size);
    else
        run_log(ctx, "the migration job showed no compression cache: not verified in a "
                "migration");
    run_virsh_release(&r);
    return rc;
}

static int cc_run(struct run_ctx *ctx)
{
    const struct cc_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)run_common_main_vm(ctx->common);
    const char *domain = vms->vm[i].domain;
    const char *ref = !strcmp(o->vm_ref, "domname") ? domain : o->vm_ref;
    struct run_virsh r = RUN_VIRSH_INIT;
    char *size = NULL;
    int rc = -1;

    if (run_vmtype_prepare(ctx, vms, i, o->start_vm, false) < 0)
        return -1;
    if (o->start_vm && o->paused && virt_vms_suspend(vms, i) < 0)
        return run_error(ctx, "VMPauseError", "%s", err_msg());
    if (o->action == CC_SET && !(size = size_value(ctx, o->size_option, domain)))
        return run_error(ctx, "CmdError", "%s", err_msg());
    const char *words[] = { "migrate-compcache", ref, size ? "--size" : NULL, size, NULL };
    if (run_virsh_words(ctx, 0, words, &r) < 0) {
        run_error(ctx, "CmdError", "%s", err_msg());
        goto out;
    }
    if (o->expect_succeed && r.status) {
        run_fail(ctx, "CmdError", "migrate-compcache: expected to succeed, exit %d: %s",
                 r.status, r.err.buf);
        goto out;
    }
    if (!o->expect_succeed && !r.status) {
        run_fail(ctx, "CmdError", "migrate-compcache: expected to fail, but it succeeded: %s",
                 r.out.buf);
        goto out;
    }
    if (o->expect_succeed && size && size_check(ctx, ref, size) < 0)
        goto out;
    if (o->expect_succeed && size && ctx->nhosts >= 2
        && job_check(ctx, vms, i, o->paused, size) < 0)
        goto out;
    rc = 0;
out:
    run_virsh_release(&r);
    free(size);
    return rc;
}

const struct run_type run_type_migrate_compcache = {
    .name = "virsh_migrate_compcache",
    .summary = "virsh migrate-compcache on one host: get and set the compression cache "
               "of a running, paused or shut off VM; virsh's own size errors",
    .needs = { .vms = 1, .hosts = 1 },
    .params = cc_params,
    .opts_size = sizeof(struct cc_opts),
    .setup = run_vmtype_setup,
    .run = cc_run,
    .cleanup = run_vmtype_cleanup,
};

/* ===================================================================================
 * migrate_compcache: tp-libvirt's migration_cmd/migrate_compcache.py
 * =================================================================================== */
/*
 * Get the cache, set compression_cache, get it again, on a running or shut off VM:
 * a set that fails must fail with err_msg (status_error) and leave the cache as it
 * was; a set that works must read back as the size given.  On a shut off VM both
 * commands must fail with err_msg.
 */

enum mc_status { MC_RUNNING, MC_SHUTOFF };
static const struct params_word mc_status_words[] = {
    { "vm_running", MC_RUNNING },
    { "vm_shutoff", MC_SHUTOFF },
    { NULL, 0 },
};

struct mc_opts {
    const char *size;
    bool status_error;
    const char *err_msg;
    int vm_status;
    bool start_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct mc_opts, __VA_ARGS__)
static const struct run_param mc_params[] = {
    { "compression_cache", AT(STR, size), .def = "",
      .doc = "bytes for --size, as virsh takes them (virsh's own range errors included)" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the set must fail with err_msg" },
    { "err_msg", AT(REGEX, err_msg), .doc = "the error a failing command must print" },
    { "vm_status", AT(ENUM, vm_status, mc_status_words), .def = "vm_running",
      .doc = "the VM's state the case is about" },
    { "start_vm", AT(BOOL, start_vm), .def = "yes",
      .doc = "start the VM first (and log in), else only define it" },
    { NULL },
};
#undef AT

/* The number before the unit of "Compression cache: 64.000 MiB", as text. */
static char *cache_number(const char *text)
{
    const char *p = strstr(text, "Compression cache:");
    if (!p)
        return NULL;
    p += strlen("Compression cache:");
    p += strspn(p, " \t");
    return xstrndup(p, strcspn(p, " \t\n"));
}

/* migrate-compcache domain [--size N] into r; -1 with the outcome set when virsh
 * could not run. */
static int mc_cmd(struct run_ctx *ctx, const char *domain, const char *size,
                  struct run_virsh *r)
{
    const char *words[] = { "migrate-compcache", domain, size ? "--size" : NULL, size, NULL };
    if (run_virsh_words(ctx, 0, words, r) < 0)
        return run_error(ctx, "CmdError", "%s", err_msg());
    return 0;
}

static int mc_run(struct run_ctx *ctx)
{
    const struct mc_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)run_common_main_vm(ctx->common);
    const char *domain = vms->vm[i].domain;
    struct run_virsh get = RUN_VIRSH_INIT, set = RUN_VIRSH_INIT, again = RUN_VIRSH_INIT;
    char *orig = NULL, *now = NULL;
    int rc = -1;

    if (run_vmtype_prepare(ctx, vms, i, o->start_vm, o->start_vm) < 0)
        return -1;
    if (mc_cmd(ctx, domain, NULL, &get) < 0)
        goto out;
    if (get.status && o->vm_status != MC_SHUTOFF) {
        run_fail(ctx, "CmdError", "Get compression cache fail: %s", get.err.buf);
        goto out;
    }
    if (get.status && run_virsh_expect("migrate-compcache", &get, true, o->err_msg) < 0) {
        run_fail(ctx, "CmdError", "%s", err_msg());
        goto out;
    }
    orig = get.status ? NULL : cache_number(get.out.buf);
    if (mc_cmd(ctx, domain, o->size, &set) < 0)
        goto out;
    if (set.status && !o->status_error) {
        run_fail(ctx, "CmdError", "Set compression cache fail: %s", set.err.buf);
        goto out;
    }
    if (set.status && run_virsh_expect("migrate-compcache --size", &set, true, o->err_msg) < 0) {
        run_fail(ctx, "CmdError", "%s", err_msg());
        goto out;
    }
    if (o->vm_status == MC_SHUTOFF) {
        rc = 0;
        goto out;
    }
    if (mc_cmd(ctx, domain, NULL, &again) < 0)
        goto out;
    now = again.status ? NULL : cache_number(again.out.buf);
    if (o->status_error && (!orig || !now || strcmp(orig, now)))
        run_fail(ctx, "CompcacheMismatch", "For failed setting, compression cache is not "
                 "match with orig size: %s before, %s after", orig ? orig : "?",
                 now ? now : again.err.buf);
    else if (!o->status_error && cache_is(again.out.buf, o->size) != 1)
        run_fail(ctx, "CompcacheMismatch", "For successful setting, compression cache is "
                 "not match with set: %s bytes set, migrate-compcache says '%s'", o->size,
                 again.status ? again.err.buf : again.out.buf);
    else
        rc = 0;
out:
    free(orig);
    free(now);
    run_virsh_release(&get);
    run_virsh_release(&set);
    run_virsh_release(&again);
    return rc;
}

const struct run_type run_type_migrate_compcache_cmd = {
    .name = "migrate_compcache",
    .summary = "virsh migrate-compcache get, set, get again on a running or shut off VM "
               "(tp-libvirt's migration_cmd)",
    .needs = { .vms = 1, .hosts = 1 },
    .params = mc_params,
    .opts_size = sizeof(struct mc_opts),
    .setup = run_vmtype_setup,
    .run = mc_run,
    .cleanup = run_vmtype_cleanup,
};
