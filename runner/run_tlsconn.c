/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tlsconn: setup_connection's TLSConnection(qemu_tls) for base_steps types
 * (runner/run_tlsconn.h), on run_tl_tls's certificates and virt_hostops' undo.
 */
#include "runner/run_tlsconn.h"

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct run_tlsconn {
    struct virt_hostops *ops;       /* the certificates' directories, put back by undo */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
};

/* The params setup_connection makes a connection object of (setup_conn_obj). */
static const char *const transports[] = {
    "migrate_desturi_type", "transport_type", "transport_type_again",
};

static bool tls_transport(const struct params *p)
{
    for (size_t k = 0; k < ARRAY_SIZE(transports); k++) {
        const char *t = params_get(p, transports[k]);
        if (t && !strcmp(t, "tls"))
            return true;
    }
    return false;
}

static bool qemu_tls(const struct params *p)
{
    const char *v = params_get(p, "qemu_tls");
    return v && !strcmp(v, "yes");
}

bool run_tlsconn_wanted(const struct params *p)
{
    return tls_transport(p) && qemu_tls(p);
}

const char *run_tlsconn_unbuilt(const struct params *p, const char **val)
{
    if (!tls_transport(p) || qemu_tls(p))
        return NULL;
    *val = params_get_or(p, "qemu_tls", "no");
    return "qemu_tls";
}

int run_tlsconn_setup(struct run_ctx *ctx, const struct virt_vms *vms,
                      struct run_tlsconn **out)
{
    *out = NULL;
    if (!run_tlsconn_wanted(ctx->params))
        return 0;
    struct run_tlsconn *c = xcalloc(1, sizeof(*c));
    char *tag = xasprintf("tc%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
    c->vctx = vms->conf.vctx;
    c->ops = virt_hostops_new(tag, &c->vctx);
    free(tag);
    *out = c;
    return run_tlsconn_pki(ctx, c->ops);
}

int run_tlsconn_pki(struct run_ctx *ctx, struct virt_hostops *ops)
{
    struct run_tls_pki k;
    /* TLSConnection's defaults: server_cn, client_cn, custom_pki_path /etc/pki/qemu */
    run_tls_pki_of(ctx->params, NULL, &k);
    if (!k.dir)
        k.dir = "/etc/pki/qemu";
    if (run_tls_scp_list_check(k.scp_server) < 0 || run_tls_scp_list_check(k.scp_client) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    return run_tls_pki_setup(ctx, ops, &k);
}

void run_tlsconn_cleanup(struct run_ctx *ctx, struct run_tlsconn *c)
{
    if (!c)
        return;
    if (virt_hostops_undo(c->ops) < 0)
        run_error(ctx, "CleanupError", "restoring the hosts' TLS certificates: %s", err_msg());
    virt_hostops_free(c->ops);
    free(c);
}
