/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest's loop-device disk on the shared storage (runner/run_loopdisk.h). */
#include "runner/run_loopdisk.h"

#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

#define LOOPDISK_HOST_TIMEOUT_S 60

/* `losetup -d DEV` on host h; logged, never the test's outcome but a leftover. */
static void loopdisk_detach(struct run_ctx *ctx, struct run_loopdisk *ld, int h)
{
    if (!ld->loop[h])
        return;
    struct virt_host *link = run_host_link(ctx, h);
    const char *argv[] = { "losetup", "-d", ld->loop[h], NULL };
    if (!link || virt_host_run(link, argv, LOOPDISK_HOST_TIMEOUT_S, NULL, NULL, NULL) < 0) {
        char *what = xasprintf("loop device %s on %s", ld->loop[h], ctx->hosts[h].name);
        run_left_behind(ctx, what);
        free(what);
    } else {
        run_log(ctx, "loop device %s on %s detached", ld->loop[h], ctx->hosts[h].name);
    }
    free(ld->loop[h]);
    ld->loop[h] = NULL;
}

void run_loopdisk_cleanup(struct run_ctx *ctx, struct run_loopdisk *ld, struct virt_vms *vms)
{
    for (int h = 0; h < 2; h++)
        loopdisk_detach(ctx, ld, h);
    run_cs_files_remove(ctx, &ld->files, &vms->conf.vctx);
}

/* `losetup --find --show FILE` on host h (the reference's find, then attach, in one
 * call so that another job's losetup cannot take the device in between). */
static int loopdisk_attach(struct run_ctx *ctx, struct run_loopdisk *ld, int h,
                           const char *file)
{
    struct virt_host *link = run_host_link(ctx, h);
    struct strbuf out = STRBUF_INIT;
    const char *argv[] = { "losetup", "--find", "--show", file, NULL };
    int rc = 0;
    if (!link || virt_host_run(link, argv, LOOPDISK_HOST_TIMEOUT_S, &out, NULL, NULL) < 0)
        rc = run_error(ctx, "TestSetupError", "losetup on %s: %s", ctx->hosts[h].name,
                       err_msg());
    else {
        while (out.len && strchr(" \t\r\n", out.buf[out.len - 1]))
            out.buf[--out.len] = '\0';
        ld->loop[h] = strbuf_detach(&out, NULL);
        run_log(ctx, "loop dev: %s on %s", ld->loop[h], ctx->hosts[h].name);
    }
    strbuf_release(&out);
    return rc;
}

int run_loopdisk_setup(struct run_ctx *ctx, struct run_loopdisk *ld, struct virt_vms *vms,
                       size_t i, const char *name, const char *target_dev)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    struct virt_host *link = run_host_link(ctx, 0);
    if (!link)
        return run_error(ctx, "TestSetupError", "%s", err_msg());
    const char *file = run_cs_files_add(ctx, &ld->files, vms, ctx->hosts[0].shared_dir,
                                        base, 1u);
    if (!file)
        return -1;
    if (virt_image_create(link, file, "qcow2", "1G", &vms->conf.vctx) < 0)
        return run_error(ctx, "TestSetupError", "%s on %s: %s", file, ctx->hosts[0].name,
                         err_msg());
    if (loopdisk_attach(ctx, ld, 0, file) < 0 || loopdisk_attach(ctx, ld, 1, file) < 0)
        return -1;
    const char *attach[] = { "attach-disk", vms->vm[i].domain, ld->loop[0], target_dev, NULL };
    if (run_vmconf_virsh(ctx, 0, attach, NULL) < 0)
        return run_fail(ctx, "CmdError", "%s", err_msg());
    return 0;
}
