/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_perf: the timeline engine's steps for migration_performance_tuning's actions
 * (runner/type_perf_tuning.c):
 *
 *  - check_vm_status_during_mig(vm_name, dest_state, src_state, dest_uri, src_reason)
 *    (provider/migration/migration_base.py): `virsh domstate` of the migrating domain
 *    on the destination is dest_state, on the source src_state (with src_reason: the
 *    reason `domstate --reason` prints in parentheses), else the test's FAIL;
 *  - virsh.migrate_compcache('DOM --size N'): `virsh migrate-compcache DOM --size N`
 *    on the source while the job runs (ignore_status: its exit is logged, not judged,
 *    as virsh.migrate_compcache's default).
 *
 * The domain is always the hop's: the configs name it by ${main_vm}, which vtrun's
 * domain of that VM stands for.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "migration/mig_act.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

static const char *perf_dom(struct tl_run *t)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    return h->vms->vm[h->vm].domain;
}

/* The string value of key in the action's dict func_param, NULL when absent/empty. */
static const char *perf_dict_str(const struct mig_action *a, const char *key)
{
    const struct pylit *v = a->arg == MIG_ARG_DICT ? pylit_get(&a->dict, key) : NULL;
    return v && v->kind == PYLIT_STR && *v->s ? v->s : NULL;
}

/* `virsh domstate DOM [--reason]` on host h, its first line trimmed into state.  -1 with
 * why when virsh could not run or failed. */
static int perf_domstate(struct tl_run *t, int h, bool reason, struct strbuf *state,
                         struct strbuf *why)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const char *words[] = { "domstate", perf_dom(t), reason ? "--reason" : NULL, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, h, words, &r) < 0) {
        strbuf_addf(why, "virsh domstate on %s: %s", ctx->hosts[h].name, err_msg());
        rc = -1;
    } else if (r.status) {
        strbuf_addf(why, "virsh domstate on %s: exit %d: %s", ctx->hosts[h].name, r.status,
                    r.err.buf);
        rc = -1;
    } else {
        const char *s = r.out.buf + strspn(r.out.buf, " \t\r\n");
        size_t len = strcspn(s, "\r\n");
        while (len && strchr(" \t", s[len - 1]))
            len--;
        strbuf_add(state, s, len);
    }
    run_virsh_release(&r);
    return rc;
}

/* libvirt.check_vm_state: the state (with reason: "state (reason)") equal to what
 * domstate prints.  MIG_TL_OK, FAIL (why: the reference's message), ERROR. */
static enum mig_tl_verdict perf_state_is(struct tl_run *t, int h, const char *want,
                                         const char *reason, const char *side,
                                         struct strbuf *why)
{
    struct strbuf state = STRBUF_INIT, expect = STRBUF_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    strbuf_addstr(&expect, want);
    if (reason)
        strbuf_addf(&expect, " (%s)", reason);
    if (perf_domstate(t, h, reason != NULL, &state, why) < 0)
        v = MIG_TL_FAIL;    /* the reference's check is False when virsh fails */
    else if (strcmp(state.buf, expect.buf)) {
        strbuf_addf(why, "VM status is not '%s' during migration on %s (it is '%s').", want,
                    side, state.buf);
        v = MIG_TL_FAIL;
    } else
        run_log(run_tl_run_ctx(t), "during the migration the domain is %s on the %s",
                state.buf, side);
    strbuf_release(&state);
    strbuf_release(&expect);
    return v;
}

RUN_TL_MOS_STEP(run_tl_perf_vm_status)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    const char *dest = perf_dict_str(a, "dest_state"), *src = perf_dict_str(a, "src_state");
    enum mig_tl_verdict v = MIG_TL_OK;
    if (a->arg != MIG_ARG_DICT) {
        strbuf_addstr(why, "check_vm_status_during_mig: its func_param is not a dict");
        return MIG_TL_ERROR;
    }
    if (dest)
        v = perf_state_is(t, h->to, dest, NULL, "target", why);
    if (v == MIG_TL_OK && src)
        v = perf_state_is(t, h->from, src, perf_dict_str(a, "src_reason"), "source", why);
    return v;
}

RUN_TL_MOS_STEP(run_tl_perf_compcache)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    char *text = a->arg == MIG_ARG_TEXT ? mig_act_text(a, run_tl_run_params(t)) : NULL;
    char **w = text ? params_split(text) : NULL;
    enum mig_tl_verdict v = MIG_TL_OK;
    /* 'DOM --size N': the domain is the hop's, the rest as written */
    if (!w || !w[0] || !w[1] || strcmp(w[1], "--size") || !w[2] || w[3]) {
        strbuf_addf(why, "virsh.migrate_compcache: expected 'DOMAIN --size N', got '%s'",
                    text ? text : "");
        v = MIG_TL_ERROR;
    } else {
        const char *words[] = { "migrate-compcache", perf_dom(t), "--size", w[2], NULL };
        struct run_virsh r = RUN_VIRSH_INIT;
        if (run_virsh_words(ctx, h->from, words, &r) < 0) {
            strbuf_addf(why, "virsh migrate-compcache: %s", err_msg());
            v = MIG_TL_ERROR;
        } else
            run_log(ctx, "virsh migrate-compcache --size %s during the migration: exit %d %s",
                    w[2], r.status, r.err.buf);
        run_virsh_release(&r);
    }
    params_strv_free(w);
    free(text);
    return v;
}
