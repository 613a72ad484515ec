/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_with_cpu_mode`: tp-libvirt's
 * libvirt/tests/src/migration/migration_misc/migration_with_cpu_mode.py (a
 * MigrationBase case) with base_steps' shared steps (runner/run_base.h,
 * runner/run_vmconf.h).
 *
 * The guest is defined shut off (start_vm = no) and its <cpu> replaced:
 *  - cpu_mode = host_model: by the `cpu` dict of vm_attrs (VMXML.setup_attrs): mode,
 *    check, match and its numa_cell list (libvirt then sizes the guest's memory from
 *    the cells);
 *  - else (custom): base_steps.sync_cpu_for_mig -- `virsh domcapabilities` of the
 *    destination and of the source written one after the other into a file, and the
 *    source's `virsh hypervisor-cpu-baseline FILE --migratable` as the new <cpu>.
 * The guest starts and is logged into; migration_option = with_xml replaces
 * virsh_migrate_extra by `--xml FILE` (the running guest's `dumpxml --migratable`).
 * Then run_migration (status_error / err_msg) and verify_default's
 * post_migration_check.  The lab's CPUs are whatever its hosts' libvirt says for the
 * guests' domain type (TCG): the test asks the same virsh commands the reference does,
 * so host-model and the baseline mean there what they mean to tp-libvirt.
 *
 * Not built: a vm_attrs with keys besides `cpu`, or a cpu dict with keys besides mode,
 * check, match and numa_cell (cells: id, cpus, memory, unit) -- an ERROR naming them.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_cpuxml.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct cm_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg;
    const char *cpu_mode, *vm_attrs, *mig_option;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct cm_opts, __VA_ARGS__)
static const struct run_param cm_params[] = {
    RUN_BASE_MIG_ROWS(struct cm_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "cpu_mode", AT(STR, cpu_mode), .def = "custom",
      .doc = "host_model: the guest's <cpu> from vm_attrs; else the hosts' "
             "hypervisor-cpu-baseline (sync_cpu_for_mig)" },
    { "vm_attrs", AT(STR, vm_attrs), .def = "{}",
      .doc = "host_model: a dict literal whose `cpu` dict becomes the guest's <cpu>" },
    { "migration_option", AT(STR, mig_option),
      .doc = "with_xml: virsh_migrate_extra becomes --xml of the guest's --migratable XML" },
    RUN_BASE_POST_ROWS(struct cm_opts),
    { NULL },
};
#undef AT

static bool cm_host_model(const struct cm_opts *o)
{
    return o->cpu_mode && !strcmp(o->cpu_mode, "host_model");
}

static int cm_check(const struct run_common *c, void *opts)
{
    struct cm_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0)
        return -1;
    o->main_vm = run_common_main_vm(c);
    if (o->main_vm < 0)
        return -1;
    if (!cm_host_model(o))
        return 0;
    /* read now, so that a vm_attrs vtrun cannot build is an ERROR before any VM */
    char *cpu = run_cpuxml_from_attrs(o->vm_attrs);
    free(cpu);
    return cpu ? 0 : -1;
}

static const char *cm_boot_cold(const void *opts)
{
    (void)opts;
    return "the test defines the guest with its own <cpu> and boots it";
}

/* sync_cpu_for_mig: the destination's and the source's domcapabilities, one file on
 * the source (where its virsh reads it), the source's baseline of it (--migratable). */
static char *cm_baseline(struct run_ctx *ctx, const char *dom)
{
    const char *caps[] = { "domcapabilities", NULL };
    char *dst = NULL, *src = NULL, *local = NULL, *out = NULL;
    char *remote = xasprintf("/tmp/vtrun-cpu-%s.xml", dom);
    struct virt_host *link = run_host_link(ctx, 0);
    if (link && run_vmconf_virsh(ctx, 1, caps, &dst) == 0 &&
        run_vmconf_virsh(ctx, 0, caps, &src) == 0) {
        char *both = xasprintf("%s%s", dst, src);
        local = run_vmconf_file(ctx, "cpu_xml", both);
        free(both);
    }
    if (local && virt_host_put(link, local, remote, 0600) == 0) {
        const char *base[] = { "hypervisor-cpu-baseline", remote, "--migratable", NULL };
        const char *rm[] = { "rm", "-f", remote, NULL };
        if (run_vmconf_virsh(ctx, 0, base, &out) < 0)
            out = NULL;
        virt_host_run(link, rm, 30, NULL, NULL, NULL);
    }
    free(dst);
    free(src);
    free(local);
    free(remote);
    return out;
}

/* The guest defined on the source with the case's <cpu>. */
static int cm_define(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    const struct cm_opts *o = ctx->opts;
    const char *dom = vms->vm[i].domain;
    if (run_vmconf_define_vnc(ctx, vms, i) < 0)
        return -1;
    char *cpu = cm_host_model(o) ? run_cpuxml_from_attrs(o->vm_attrs) : cm_baseline(ctx, dom);
    const char *dump[] = { "dumpxml", "--inactive", "--security-info", dom, NULL };
    char *xml = NULL, *edited = NULL;
    int rc = cpu && run_vmconf_virsh(ctx, 0, dump, &xml) == 0 ? 0 : -1;
    if (rc == 0 && !(edited = run_cpuxml_set(xml, cpu)))
        rc = -1;
    if (rc == 0)
        rc = run_vmconf_define(ctx, 0, dom, edited, false);
    if (rc < 0)
        run_error(ctx, "VMCreateError", "the guest with its <cpu> (cpu_mode %s): %s",
                  o->cpu_mode ? o->cpu_mode : "custom", err_msg());
    free(cpu);
    free(xml);
    free(edited);
    return rc;
}

/* with_xml: --xml of the running guest's migratable definition, as the extra words. */
static int cm_extra(struct run_ctx *ctx, const char *dom, struct strbuf *extra)
{
    const struct cm_opts *o = ctx->opts;
    if (!o->mig_option || strcmp(o->mig_option, "with_xml")) {
        strbuf_addstr(extra, o->mig.extra ? o->mig.extra : "");
        return 0;
    }
    const char *dump[] = { "dumpxml", "--migratable", dom, NULL };
    char *xml = NULL, *path = NULL;
    if (run_vmconf_virsh(ctx, 0, dump, &xml) == 0)
        path = run_vmconf_file(ctx, "cpu-mode-migratable.xml", xml);
    free(xml);
    if (!path)
        return run_error(ctx, "TestSetupError", "--xml file: %s", err_msg());
    strbuf_addf(extra, "--xml '%s'", path);     /* split as a shell */
    free(path);
    return 0;
}

static int cm_run(struct run_ctx *ctx)
{
    const struct cm_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    struct strbuf extra = STRBUF_INIT;
    int rc = -1;

    if (cm_define(ctx, vms, i) < 0)
        goto out;
    if (run_vmconf_start_login(ctx, vms, i) < 0 || cm_extra(ctx, dom, &extra) < 0)
        goto out;
    rc = run_vmconf_hop_extra(ctx, vms, i, &o->mig, extra.buf, o->status_error, o->err_msg);
    if (rc == 1)
        rc = run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                 o->network_check, o->disk_check);
out:
    strbuf_release(&extra);
    return rc < 0 ? -1 : 0;
}

const struct run_type run_type_migration_with_cpu_mode = {
    .name = "migration_with_cpu_mode",
    .summary = "tp-libvirt's migration_with_cpu_mode: the guest's <cpu> host-model (with "
               "a NUMA cell) or the hosts' baseline, [--xml], migrated and checked",
    .needs = { .vms = 1, .hosts = 2 },
    .params = cm_params,
    .opts_size = sizeof(struct cm_opts),
    .check = cm_check,
    .setup = run_vmtype_setup,
    .run = cm_run,
    .cleanup = run_vmtype_cleanup,
    .boot_cold = cm_boot_cold,
};
