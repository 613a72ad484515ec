/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the composed libvirt config (vm_type = libvirt) whose reference does
 * little beyond avocado-vt's own pre- and post-processing of the VM and its image, so
 * vtrun runs them on its libvirt guest:
 *
 *  - remove_guest (tp-libvirt's libvirt/tests/src/remove_guest.py): the test body is
 *    empty; with start_vm = no the guest is only defined, and post-processing
 *    (force_remove_vm = yes) undefines it, removing its image too when remove_image =
 *    yes.  vtrun defines the VM and PASSes; its cleanup undefines the domain and
 *    removes the case's own image clone in both variants (it never removes the base
 *    image the lab's guests share, which the with_disk variant's reference would).
 *  - module_probe (tp-qemu's generic/tests/module_probe.py): destroys the VMs, then
 *    unloads and loads avocado-vt's NoopInstaller module_list load_count times on the
 *    host.  The composition's case has no VM (vms empty) and leaves module_list unset:
 *    the list is empty, the first load raises NoModuleError, which the test only
 *    logs, so it PASSes having done nothing; so does vtrun.  A case that sets
 *    module_list CANCELs (host_kernel_modules): the lab's hosts share this machine's
 *    kernel.
 *  - downgrade_qcow2_version (tp-qemu's generic/tests/downgrade_qcow2_version.py): the
 *    first image's compat (qemu-img info, "compat: X", else 0.10) amended to
 *    lower_version_qcow2 (qemu-img amend -o compat=...) when it differs, then read
 *    again: another value is the test's FAIL.  The reference amends the data dir's
 *    image; vtrun amends the case's clone of it (start_vm = no: defined, not booted),
 *    on the source host.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/type_qemu_cancel.h"
#include "virt/virt.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define QV_IMG_TIMEOUT_S 120

static const struct run_need qv_needs[] = {
    { "host_kernel_modules", .types = "module_probe", .when = { { "module_list" } },
      .text = "hosts whose kernel modules the test may unload and load load_count times "
              "(module_list): the lab's hosts share this machine's kernel" },
    { NULL },
};

struct qv_opts {
    const char *ver_to;
    const char *qemu_img;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct qv_opts, __VA_ARGS__)
static const struct run_param qv_dq_params[] = {
    { "lower_version_qcow2", AT(STR, ver_to), .def = "0.10",
      .doc = "the qcow2 compat level the image is amended to" },
    { "qemu_img_binary", AT(STR, qemu_img), .def = "qemu-img",
      .doc = "qemu-img on the source host" },
    { NULL },
};
#undef AT

static int qv_check(const struct run_common *c, void *opts)
{
    struct qv_opts *o = opts;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

/* remove_guest: defined (start_vm = no), nothing else; cleanup removes it. */
static int qv_remove_guest_run(struct run_ctx *ctx)
{
    const struct qv_opts *o = ctx->opts;
    return run_vmtype_prepare(ctx, ctx->data, (size_t)o->main_vm, false, false);
}

/* module_probe: the composition's case has no VM (vms empty) and no module_list (a
 * case with one CANCELs first): the reference's loop loads an empty list, logs the
 * NoModuleError and passes. */
static int qv_module_probe_run(struct run_ctx *ctx)
{
    run_log(ctx, "module_list is empty: NoModuleError on the first load, logged; nothing "
            "unloaded or loaded");
    return 0;
}

/* utils_test.get_image_version: the first "compat: X" of qemu-img info, else 0.10. */
static int qv_image_version(struct run_ctx *ctx, struct virt_host *h, const char *qemu_img,
                            const char *path, char **ver)
{
    const char *argv[] = { qemu_img, "info", path, NULL };
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    regex_t re;
    regmatch_t m[2];
    int rc = -1;

    if (virt_host_run(h, argv, QV_IMG_TIMEOUT_S, &out, &err, NULL) < 0) {
        run_error(ctx, "CmdError", "%s: %s", err_msg(), err.buf);
        goto out;
    }
    if (regcomp(&re, "compat: +([^\n]*)", REG_EXTENDED) != 0) {
        run_error(ctx, "CmdError", "compat regex");
        goto out;
    }
    if (regexec(&re, out.buf, 2, m, 0) == 0)
        *ver = strndup(out.buf + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
    else
        *ver = strdup("0.10");
    regfree(&re);
    run_log(ctx, "%s: compat %s", path, *ver);
    rc = 0;
out:
    strbuf_release(&out);
    strbuf_release(&err);
    return rc;
}

static int qv_amend(struct run_ctx *ctx, struct virt_host *h, const char *qemu_img,
                    const char *path, const char *ver_to)
{
    struct strbuf opt = STRBUF_INIT, err = STRBUF_INIT;
    strbuf_addf(&opt, "compat=%s", ver_to);
    const char *argv[] = { qemu_img, "amend", "-f", "qcow2", "-o", opt.buf, path, NULL };
    int rc = 0;
    if (virt_host_run(h, argv, QV_IMG_TIMEOUT_S, NULL, &err, NULL) < 0)
        rc = run_error(ctx, "CmdError", "%s: %s", err_msg(), err.buf);
    strbuf_release(&opt);
    strbuf_release(&err);
    return rc;
}

static int qv_downgrade_run(struct run_ctx *ctx)
{
    const struct qv_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    char *from = NULL, *now = NULL;
    int rc = -1;

    if (run_vmtype_prepare(ctx, vms, i, false, false) < 0)
        return -1;
    const struct be_vm_spec *sp = vms->vm[i].spec;
    if (!sp || !sp->ndisks)
        return run_error(ctx, "ConfigError", "the VM has no image");
    if (strcmp(sp->disks[0].format, "qcow2"))
        return run_error(ctx, "ConfigError", "image format %s: not qcow2", sp->disks[0].format);
    struct virt_host *h = run_host_link(ctx, 0);
    if (!h)
        return run_error(ctx, "CmdError", "%s", err_msg());
    const char *path = sp->disks[0].path;
    if (qv_image_version(ctx, h, o->qemu_img, path, &from) < 0)
        goto out;
    if (strcmp(from, o->ver_to) && qv_amend(ctx, h, o->qemu_img, path, o->ver_to) < 0)
        goto out;
    if (qv_image_version(ctx, h, o->qemu_img, path, &now) < 0)
        goto out;
    rc = strcmp(now, o->ver_to)
        ? run_fail(ctx, "TestFail", "Fail to downgrade qcow2 image version!Actual: %s, "
                   "expect: %s", now, o->ver_to)
        : 0;
out:
    free(from);
    free(now);
    return rc;
}

#define QV_TYPE(id, summ, prm, run_fn)                                                    \
    const struct run_type run_type_##id = {                                               \
        .name = #id,                                                                      \
        .summary = summ,                                                                  \
        .needs = { .vms = 1, .hosts = 1, .rows = qv_needs },                              \
        .params = prm,                                                                    \
        .opts_size = sizeof(struct qv_opts),                                              \
        .check = qv_check,                                                                \
        .setup = run_vmtype_setup,                                                        \
        .run = run_fn,                                                                    \
        .cleanup = run_vmtype_cleanup,                                                    \
    }

QV_TYPE(remove_guest, "tp-libvirt's remove_guest: a defined guest removed by "
                      "post-processing (the test body is empty)", NULL, qv_remove_guest_run);
const struct run_type run_type_module_probe = {
    .name = "module_probe",
    .summary = "tp-qemu's module_probe: the host's module_list unloaded and loaded "
               "load_count times (empty in the composition: a PASS doing nothing; CANCEL "
               "when set)",
    .needs = { .vms = 0, .hosts = 1, .rows = qv_needs },
    .run = qv_module_probe_run,
};
QV_TYPE(downgrade_qcow2_version, "tp-qemu's downgrade_qcow2_version: the image's qcow2 compat "
                                 "amended to lower_version_qcow2 and read back",
        qv_dq_params, qv_downgrade_run);
