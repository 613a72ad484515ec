/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `offline_migration`: tp-libvirt's libvirt/tests/src/migration/
 * offline_migration/offline_migration.py (a MigrationBase case) on the timeline engine
 * with base_steps' shared steps (runner/run_base.h).
 *
 * The guest's disk is on the shared storage (storage_type nfs: the settings'
 * shared_dir); the guest runs (start_vm = yes) or is only defined.  Its inactive
 * migratable XML (`virsh dumpxml --migratable --inactive`) is read on the source, then
 * it migrates with virsh_migrate_options (--offline --persistent [--p2p]) and
 * virsh_migrate_extra (--undefinesource or none), judged by status_error.  Verified
 * as the reference does:
 *  - virsh_migrate_src_state "failed to get domain": after a migration that
 *    succeeded, post_migration_check (the destination virsh_migrate_dest_state; it
 *    is given no source URI there) and `virsh domstate --reason` on the source must fail with it;
 *    otherwise verify_default (post_migration_check after a migration that succeeded);
 *  - src_vm_persistency_state: `virsh list --all --persistent` on the source does not
 *    name the domain ("nonexist"), else shows "DOMAIN.*STATE";
 *  - the destination's `virsh dumpxml --migratable --inactive` is the source's one,
 *    character for character (blanks around it aside).
 *
 * The reference's setup_connection (tcp, its firewall port) is the lab hosts'; the
 * p2p migration dials the destination's URI of the settings.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

#define OFFL_NO_DOMAIN "failed to get domain"

struct offl_opts {
    struct run_base_mig mig;
    bool status_error, start_vm, network_check, disk_check;
    const char *err_msg, *dest_state, *src_state, *persistency, *storage_type;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct offl_opts, __VA_ARGS__)
static const struct run_param offl_params[] = {
    RUN_BASE_MIG_ROWS(struct offl_opts, mig),
    RUN_BASE_POST_ROWS(struct offl_opts),
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "start_vm", AT(BOOL, start_vm), .def = "yes",
      .doc = "the guest runs on the source (no: only defined there)" },
    { "src_vm_persistency_state", AT(STR, persistency),
      .doc = "the source's `virsh list --all --persistent`: 'nonexist' (not named), else "
             "the state shown after the domain's name" },
    { "storage_type", AT(STR, storage_type),
      .doc = "nfs: the guest's disk on the shared storage (the settings' shared_dir)" },
    { NULL },
};
#undef AT

static int offl_check(const struct run_common *c, void *opts)
{
    struct offl_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

static const struct run_need offl_needs_last[] = {
    RUN_CS_NEED_UNBUILT,
    { NULL },
};

/* `virsh dumpxml --migratable --inactive DOM` on host h, trimmed, into *xml. */
static int offl_xml(struct run_ctx *ctx, int h, const char *dom, char **xml)
{
    const char *words[] = { "dumpxml", dom, "--migratable", "--inactive", NULL };
    char *out = NULL;
    if (run_vmconf_virsh(ctx, h, words, &out) < 0)
        return -1;
    size_t len = strlen(out);
    while (len && strchr(" \t\r\n", out[len - 1]))
        out[--len] = '\0';
    size_t lead = strspn(out, " \t\r\n");
    *xml = xstrdup(out + lead);
    free(out);
    return 0;
}

/* The source's `virsh domstate --reason` fails with "failed to get domain"
 * (libvirt.check_result expected_fails). */
static int offl_src_gone(struct run_ctx *ctx, const char *dom)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *words[] = { "domstate", dom, "--reason", NULL };
    int rc = 0;
    if (run_virsh_words(ctx, 0, words, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh domstate: %s", err_msg());
    else if (!r.status)
        rc = run_fail(ctx, "CheckError", "Expect should fail with %s, but run successfully:"
                      " %s", OFFL_NO_DOMAIN, r.out.buf);
    else if (!strstr(r.err.buf, OFFL_NO_DOMAIN))
        rc = run_fail(ctx, "CheckError", "Expect should fail with %s, but get %s",
                      OFFL_NO_DOMAIN, r.err.buf);
    run_virsh_release(&r);
    return rc;
}

/* The source's persistent domains: dom not named (nonexist), else "dom.*state". */
static int offl_persistency(struct run_ctx *ctx, const char *dom, const char *want)
{
    const char *words[] = { "list", "--all", "--persistent", NULL };
    char *out = NULL;
    int rc = 0;
    if (run_vmconf_virsh(ctx, 0, words, &out) < 0)
        return run_error(ctx, "CmdError", "%s", err_msg());
    if (!strcmp(want, "nonexist")) {
        if (strstr(out, dom))
            rc = run_fail(ctx, "CheckError", "%s should not exist.", dom);
    } else {
        char *re = xasprintf("%s.*%s", dom, want);
        int seen = mig_tl_search(re, out);
        if (seen < 0)
            rc = run_error(ctx, "ConfigError", "src_vm_persistency_state: %s", err_msg());
        else if (!seen)
            rc = run_fail(ctx, "CheckError", "'%s' not found in the source's persistent "
                          "domains: %s", re, out);
        free(re);
    }
    if (rc == 0)
        run_log(ctx, "source's persistent domains as expected (%s)", want);
    free(out);
    return rc;
}

static int offl_verify(struct run_ctx *ctx, struct virt_vms *vms, size_t i, bool migrated,
                       const char *src_xml)
{
    const struct offl_opts *o = ctx->opts;
    const char *dom = vms->vm[i].domain;
    bool gone = o->src_state && strstr(o->src_state, OFFL_NO_DOMAIN);
    /* that branch's post_migration_check is given no source URI: no source state */
    if (migrated && (run_base_post_check(ctx, vms, i, 0, 1, o->dest_state,
                                         gone ? NULL : o->src_state, o->network_check,
                                         o->disk_check) < 0 ||
                     (gone && offl_src_gone(ctx, dom) < 0)))
        return -1;
    if (o->persistency && *o->persistency && offl_persistency(ctx, dom, o->persistency) < 0)
        return -1;
    char *dst_xml = NULL;
    if (offl_xml(ctx, 1, dom, &dst_xml) < 0)
        return run_fail(ctx, "CheckError", "the destination's XML: %s", err_msg());
    int rc = 0;
    if (strcmp(dst_xml, src_xml)) {
        run_log(ctx, "source's XML:\n%s\ndestination's XML:\n%s", src_xml, dst_xml);
        rc = run_fail(ctx, "CheckError", "Check source and target vm xml failed.");
    } else {
        run_log(ctx, "the destination's inactive XML is the source's");
    }
    free(dst_xml);
    return rc;
}

static int offl_run(struct run_ctx *ctx)
{
    const struct offl_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    bool nfs = o->storage_type && !strcmp(o->storage_type, "nfs");

    if (nfs && !ctx->hosts[0].shared_dir)
        return run_cancel(ctx, "shared storage (storage_type = nfs): the settings give host "
                          "%s no shared_dir", ctx->hosts[0].name);
    if (run_vmtype_prepare(ctx, vms, i, o->start_vm, o->start_vm) < 0)
        return -1;
    vms->vm[i].host = 0;            /* defined there, running or not: what migrates */
    char *src_xml = NULL;
    if (offl_xml(ctx, 0, vms->vm[i].domain, &src_xml) < 0)
        return run_error(ctx, "CmdError", "the source's XML: %s", err_msg());
    int rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (rc >= 0)
        rc = offl_verify(ctx, vms, i, rc == 1, src_xml);
    free(src_xml);
    return rc < 0 ? -1 : 0;
}

const struct run_type run_type_offline_migration = {
    .name = "offline_migration",
    .summary = "tp-libvirt's offline_migration: --offline --persistent [--undefinesource] "
               "of a running or shut off guest; states, the source's persistent list, the "
               "inactive XML on both sides",
    .needs = { .vms = 1, .hosts = 2, .rows_last = offl_needs_last },
    .params = offl_params,
    .opts_size = sizeof(struct offl_opts),
    .check = offl_check,
    .setup = run_vmtype_setup,
    .run = offl_run,
    .cleanup = run_vmtype_cleanup,
};
