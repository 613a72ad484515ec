/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runner/run_cs.h"

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *param, *value;
} cs_unbuilt_rows[] = {
    { "migrate_desturi_type", "unix_proxy" },
    { "migrate_desturi_type", "tls" },
    { "transport_type", "tls" },
    { "transport_type", "unix_proxy" },
};

static const char *cs_unbuilt_param(const struct params *p, const char **val)
{
    for (size_t k = 0; k < ARRAY_SIZE(cs_unbuilt_rows); k++) {
        const char *v = params_get(p, cs_unbuilt_rows[k].param);
        if (v && !strcmp(v, cs_unbuilt_rows[k].value)) {
            *val = v;
            return cs_unbuilt_rows[k].param;
        }
    }
    return NULL;
}

bool run_cs_unbuilt_applies(const struct params *p)
{
    const char *v;
    return cs_unbuilt_param(p, &v) || run_tl_any_action_unbuilt(p) ||
           run_base_actions_read(p) < 0;
}

int run_cs_unbuilt_met(const struct run_need *n, const struct params *p, struct run_facts *f,
                       struct strbuf *why)
{
    const char *v = NULL, *param = cs_unbuilt_param(p, &v);
    const char *type = params_get(p, "type");
    (void)n;
    (void)f;
    (void)why;
    if (run_base_actions_read(p) < 0)
        return -1;
    return run_tl_unbuilt_verdict(type ? type : "?", param, v, p);
}

int run_cs_vmset_setup(struct run_ctx *ctx, struct virt_vms *vms, struct params **owned)
{
    *owned = params_dup(ctx->params);
    if (!params_get(*owned, "image_clone_dir"))
        params_set(*owned, "image_clone_dir", "images_dir");
    if (run_vmset_setup_params(ctx, vms, *owned) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

const char *run_cs_files_add(struct run_ctx *ctx, struct run_cs_files *f, const char *dir,
                             const char *name, unsigned mask)
{
    f->path = xrealloc(f->path, (f->n + 1) * sizeof(*f->path));
    f->hosts = xrealloc(f->hosts, (f->n + 1) * sizeof(*f->hosts));
    f->path[f->n] = xasprintf("%s/%.7s-%u-%s", dir, ctx->job_id, ctx->slot, name);
    f->hosts[f->n] = mask;
    return f->path[f->n++];
}

void run_cs_files_remove(struct run_ctx *ctx, struct run_cs_files *f,
                         const struct virt_ctx *vctx)
{
    for (size_t k = 0; k < f->n; k++) {
        for (int h = 0; h < 2; h++) {
            if (!(f->hosts[k] & (1u << h)))
                continue;
            struct virt_host *link = run_host_link(ctx, h);
            if (!link || virt_image_remove(link, f->path[k], vctx) < 0)
                run_log(ctx, "cleanup of %s on %s: %s", f->path[k], ctx->hosts[h].name,
                        err_msg());
        }
        free(f->path[k]);
    }
    free(f->path);
    free(f->hosts);
    memset(f, 0, sizeof(*f));
}
