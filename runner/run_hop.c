/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run_hop: one judged virsh migrate of a tp-libvirt case and the checks after it that
 * every such case makes (runner/run_mig.h). */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

int run_mig_hop_judge(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int from, int to,
                      unsigned n, const struct mig_expect *e, bool ok,
                      const struct be_hop_metrics *m)
{
    struct strbuf text = STRBUF_INIT, why = STRBUF_INIT;
    int rc;

    if (!ok)
        mig_virsh_error(m->hv_error, &text);
    virt_vms_record_hop(vms, i, n, from, to, m, ok, ok ? NULL : text.buf);
    switch (mig_result_judge(e, ok, text.buf, &why)) {
    case MIG_V_OK:
        rc = 1;
        break;
    case MIG_V_EXPECTED_FAILURE:
        run_log(ctx, "hop %u failed as expected: %s", n, text.buf);
        rc = 0;
        break;
    case MIG_V_CANCEL:
        rc = run_cancel(ctx, "%s", why.buf);
        break;
    case MIG_V_ERROR:
        rc = run_error(ctx, "ConfigError", "%s", why.buf);
        break;
    default:
        /* a daemon that went away is the lab's failure, not the migration's */
        if (m->conn_lost)
            rc = run_error(ctx, "ConnectionLost", "%s", why.buf);
        else
            rc = run_fail(ctx, m->timed_out ? "MigrationTimeout" : "MigrationError", "%s",
                          why.buf);
        break;
    }
    strbuf_release(&text);
    strbuf_release(&why);
    return rc;
}

int run_mig_refused(struct run_ctx *ctx, const struct mig_expect *e, const char *what,
                    const char *msg)
{
    struct strbuf text = STRBUF_INIT, why = STRBUF_INIT;
    int rc;

    if (strncmp(msg, "error: ", 7))
        strbuf_addstr(&text, "error: ");
    strbuf_addstr(&text, msg);
    run_log(ctx, "%s: %s", what, text.buf);
    switch (mig_result_judge(e, false, text.buf, &why)) {
    case MIG_V_EXPECTED_FAILURE:
        run_log(ctx, "hop 1 failed as expected: %s", text.buf);
        rc = 0;
        break;
    case MIG_V_CANCEL:
        rc = run_cancel(ctx, "%s", why.buf);
        break;
    case MIG_V_ERROR:
        rc = run_error(ctx, "ConfigError", "%s", why.buf);
        break;
    default:
        rc = run_fail(ctx, "MigrationError", "%s", why.buf);
        break;
    }
    strbuf_release(&text);
    strbuf_release(&why);
    return rc < 0 ? -1 : 0;
}

int run_mig_hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int from, int to,
                unsigned n, const struct mig_expect *e, const struct be_migrate_opts *mo,
                struct be_hop_metrics *out)
{
    struct be_hop_metrics m;
    char *fmt = mig_opts_format(mo);

    memset(&m, 0, sizeof(m));
    run_log(ctx, "hop %u: virsh migrate %s %s (%s -> %s)", n, vms->vm[i].name, fmt,
            ctx->hosts[from].name, ctx->hosts[to].name);
    free(fmt);
    bool ok = virt_vms_migrate(vms, i, to, mo, &m) == 0;
    if (!ok)
        run_log(ctx, "hop %u: %s", n, err_msg());
    int rc = run_mig_hop_judge(ctx, vms, i, from, to, n, e, ok, &m);
    if (out)
        *out = m;
    return rc;
}

int run_mig_landed(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int to)
{
    enum be_state state = BE_STATE_NONE;
    bool persistent = false;

    if (virt_vms_domain(vms, to, vms->vm[i].domain, &state, &persistent) < 0)
        return run_error(ctx, virt_vms_host_lost(vms, to) ? "ConnectionLost"
                                                           : "PostMigrationCheck",
                         "domain state: %s", err_msg());
    if (state != BE_STATE_RUNNING)
        return run_fail(ctx, "PostMigrationCheck", "%s is %s on %s after the hop, not "
                        "running", vms->vm[i].domain, be_state_name(state),
                        ctx->hosts[to].name);
    if (virt_vms_console_crash(vms, i) != 0)
        return run_fail(ctx, "PostMigrationCheck", "console: %s", err_msg());
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_fail(ctx, "PostMigrationCheck", "login on %s after the hop: %s",
                        ctx->hosts[to].name, err_msg());
    run_log(ctx, "%s running on %s, guest reached over its network", vms->vm[i].domain,
            ctx->hosts[to].name);
    return 0;
}
