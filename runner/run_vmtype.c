/* SPDX-License-Identifier: GPL-2.0-or-later */
/* setup / cleanup of the test types whose whole state is the test's VM set
 * (boot, migrate): one definition instead of a copy per type. */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "runner/run_vms.h"

#include <stdlib.h>

int run_vmtype_setup(struct run_ctx *ctx)
{
    struct run_vms *vms = xcalloc(1, sizeof(*vms));
    ctx->data = vms;
    if (run_vms_setup(ctx, vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

void run_vmtype_cleanup(struct run_ctx *ctx)
{
    struct run_vms *vms = ctx->data;
    if (!vms)
        return;
    run_vms_cleanup(vms);
    free(vms);
    ctx->data = NULL;
}
