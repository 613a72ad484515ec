/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type virsh_migrate_compcache: tp-libvirt's virsh.migrate_compcache
 * (virsh_migrate_compcache.py), `virsh migrate-compcache <domain> [--size N]` on one
 * host: get or set the XBZRLE compression cache of a running, paused or shut off VM,
 * sizes from one page to past 2^64 - 1.  virsh is the tool under test (its size
 * parsing, its errors), run from argv arrays on the source host (runner/run_virsh.h).
 *
 * The reference also migrates a VM whose cache was set and reads "Compression cache"
 * from domjobinfo while the job runs, when a destination is configured; vtrun reads the
 * size back with migrate-compcache instead (the value the API holds), see size_check().
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <errno.h>
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

/* After a set that succeeded: migrate-compcache reads the cache back (in virsh's
 * units: "Compression cache: 4.000 KiB"); it must be the size set. */
static int size_check(struct run_ctx *ctx, const char *ref, const char *size)
{
    const char *words[] = { "migrate-compcache", ref, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = -1;
    double v;
    char unit[8];
    if (run_virsh_words(ctx, 0, words, &r) < 0 || r.status) {
        run_fail(ctx, "CmdError", "migrate-compcache (get) after set: %s%s", r.err.buf,
                 r.status ? "" : err_msg());
        goto out;
    }
    const char *p = strstr(r.out.buf, "Compression cache:");
    if (!p || sscanf(p, "Compression cache: %lf %7s", &v, unit) != 2) {
        run_fail(ctx, "CmdError", "migrate-compcache printed '%s'", r.out.buf);
        goto out;
    }
    static const struct { const char *unit; double mul; } units[] = {
        { "B", 1 }, { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
        { "TiB", 1099511627776.0 },
    };
    double want = strtod(size, NULL), got = -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcmp(unit, units[i].unit))
            got = v * units[i].mul;
    /* virsh prints 3 decimals of the unit it picks */
    if (got < 0 || (got > want ? got - want : want - got) > want / 1000.0 + 1) {
        run_fail(ctx, "CompcacheMismatch", "compression cache set to %s bytes, virsh "
                 "says '%s'", size, r.out.buf);
        goto out;
    }
    rc = 0;
out:
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
