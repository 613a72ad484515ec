/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runner/run_cs.h"

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_base.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

static const struct run_base_unbuilt cs_unbuilt_rows[] = {
    { "migrate_desturi_type", "unix_proxy" },
    { "migrate_desturi_type", "tls" },
    { "transport_type", "tls" },
    { "transport_type", "unix_proxy" },
};

static const char *cs_unbuilt_param(const struct params *p, const char **val)
{
    return run_base_unbuilt_param(cs_unbuilt_rows, ARRAY_SIZE(cs_unbuilt_rows), p, val);
}

bool run_cs_unbuilt_applies(const struct params *p)
{
    const char *v;
    return cs_unbuilt_param(p, &v) || run_base_actions_unbuilt(p);
}

int run_cs_unbuilt_met(const struct run_need *n, const struct params *p, struct run_facts *f,
                       struct strbuf *why)
{
    const char *v = NULL, *param = cs_unbuilt_param(p, &v);
    const char *type = params_get(p, "type");
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict(type ? type : "?", param, v, p);
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

const char *run_cs_files_add(struct run_ctx *ctx, struct run_cs_files *f,
                             const struct virt_vms *vms, const char *dir, const char *name,
                             unsigned mask)
{
    f->path = xrealloc(f->path, (f->n + 1) * sizeof(*f->path));
    f->hosts = xrealloc(f->hosts, (f->n + 1) * sizeof(*f->hosts));
    f->noted = xrealloc(f->noted, (f->n + 1) * sizeof(*f->noted));
    char *path = xasprintf("%s/%.7s-%u-%s", dir, ctx->job_id, ctx->slot, name);
    f->path[f->n] = path;
    f->hosts[f->n] = mask;
    f->noted[f->n][0] = f->noted[f->n][1] = 0;
    f->n++;
    for (int h = 0; h < 2; h++) {
        if (!(mask & (1u << h)))
            continue;
        struct virt_res r = { VIRT_RES_FILE, (char *)vms->be->name, ctx->hosts[h].uri, path };
        char *what = xasprintf("file %s on host %s", path, ctx->hosts[h].name);
        char *how = xasprintf("rm -f %s", path);
        unsigned long noted = virt_leftover_add_res(&r, what, how);
        free(what);
        free(how);
        if (!noted) {
            /* nothing is made: nothing to remove, nothing left noted */
            run_error(ctx, "TestSetupError", "%s", err_msg());
            if (f->noted[f->n - 1][0])
                virt_leftover_drop(f->noted[f->n - 1][0]);
            f->noted[f->n - 1][0] = 0;
            f->hosts[f->n - 1] = 0;
            return NULL;
        }
        f->noted[f->n - 1][h] = noted;
    }
    return path;
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
            else if (f->noted[k][h])
                virt_leftover_drop(f->noted[k][h]);
        }
        free(f->path[k]);
    }
    free(f->path);
    free(f->hosts);
    free(f->noted);
    memset(f, 0, sizeof(*f));
}

/* The line without its "(...)" parts (re.sub('\(.*?\)', '', line)). */
static char *cs_unparen(const char *line)
{
    struct strbuf sb = STRBUF_INIT;
    for (const char *p = line; *p;) {
        const char *close = *p == '(' ? strchr(p, ')') : NULL;
        if (close) {
            p = close + 1;
            continue;
        }
        strbuf_addch(&sb, *p++);
    }
    return strbuf_detach(&sb, NULL);
}

/* check_image_info (see run_cs.h): 1 when every line of src (but those the reference skips) is found
 * as a regex in dst, else 0 with the first missing in *missing (caller frees). */
int run_cs_image_info_match(const char *src, const char *dst, bool qcow2, char **missing)
{
    char *copy = xstrdup(src), *save = NULL;
    int ok = 1;
    for (char *l = strtok_r(copy, "\n", &save); l && ok; l = strtok_r(NULL, "\n", &save)) {
        if (strstr(l, "disk size:") || (qcow2 && strstr(l, "file length:")) ||
            (!qcow2 && (strstr(l, "Format specific information:") ||
                        strstr(l, "extent size hint"))))
            continue;
        bool sized = strstr(l, "virtual size:") || strstr(l, "file length:");
        char *re = sized ? cs_unparen(l) : xstrdup(l);
        int m = mig_tl_search(re, dst);
        /* a line that is no regex (Python's re would raise): its text, literally */
        if (m < 0)
            m = strstr(dst, re) != NULL;
        if (!m) {
            *missing = re;
            ok = 0;
        } else {
            free(re);
        }
    }
    free(copy);
    return ok;
}
