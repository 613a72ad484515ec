/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A migration run as an action of the running one, as steps of the timeline engine
 * (runner/run_tl.h):
 *
 *  - do_migration: tp-libvirt's provider/migration/base_steps.py run_migration with
 *    do_migration_during_mig = yes hands the action `do_migration` the arguments of
 *    migration_base.do_migration: the words options + virsh_migrate_extra +
 *    postcopy_options (+ copy_storage_option) + postcopy_options_during_mig (with
 *    second_bandwidth: postcopy_options' "--postcopy-bandwidth initiating_bandwidth"
 *    made second_bandwidth's, no copy_storage_option), the actions of
 *    action_during_do_mig, judged by status_error_during_mig and err_msg_during_mig
 *    (else err_msg: update_virsh_migrate_extra_args).
 *  - resume_migration_again: migration_base.resume_migration_again(params): options +
 *    virsh_migrate_extra + postcopy_options + postcopy_options_during_mig, no actions,
 *    judged by status_error_during_mig_twice and err_msg.
 *
 * Each is avocado-vt's MigrationTest.do_migration called from inside another's
 * action: a hop of its own (run_tl_hop) in the step's thread, the next hop number,
 * its failure against its expectation the test's verdict (TestFail raised in the
 * action ends the test).  The MigrationTest is the outer one: its `ret` is the
 * result of the migration that finished last, so the nest shares run_tl_hop's
 * record of it.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"

#include <stdlib.h>
#include <string.h>

static bool nested_yes(const struct params *p, const char *key)
{
    return !strcmp(params_get_or(p, key, "no"), "yes");
}

/* A param's value, NULL when unset or empty (an empty regex would match any error). */
static const char *nested_param(const struct params *p, const char *key)
{
    const char *v = params_get(p, key);
    return v && *v ? v : NULL;
}

/* postcopy_options with "--postcopy-bandwidth FROM" made "--postcopy-bandwidth TO"
 * (Python's str.replace: every occurrence). */
static char *nested_bandwidth(const char *pc, const char *from, const char *to)
{
    char *old = xasprintf("--postcopy-bandwidth %s", from);
    struct strbuf sb = STRBUF_INIT;
    size_t n = strlen(old);
    const char *s = pc;
    for (const char *hit; n && (hit = strstr(s, old)); s = hit + n)
        strbuf_addf(&sb, "%.*s--postcopy-bandwidth %s", (int)(hit - s), s, to);
    strbuf_addstr(&sb, s);
    free(old);
    return strbuf_detach(&sb, NULL);
}

/* run_migration's extra_during_mig after the options. */
static char *nested_words(const struct params *p)
{
    const char *opts = params_get_or(p, "virsh_migrate_options", "--live --verbose");
    const char *extra = params_get_or(p, "virsh_migrate_extra", "");
    const char *pc = params_get_or(p, "postcopy_options", "");
    const char *cs = params_get_or(p, "copy_storage_option", "");
    const char *during = params_get_or(p, "postcopy_options_during_mig", "");
    const char *second = params_get_or(p, "second_bandwidth", "");
    if (*during && *second) {
        char *pc2 = nested_bandwidth(pc, params_get_or(p, "initiating_bandwidth", ""),
                                     second);
        char *w = xasprintf("%s %s %s %s", opts, extra, pc2, during);
        free(pc2);
        return w;
    }
    return xasprintf("%s %s %s %s %s", opts, extra, pc, cs, during);
}

/* One nested hop of the running hop's VM with words, actions (the param acts_key, or
 * none) and expectation e; the step's verdict. */
static enum mig_tl_verdict nested_hop(struct tl_run *t, const char *what, char *words,
                                      const char *acts_key, const struct mig_expect *e,
                                      struct strbuf *why)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *outer = run_tl_run_hop(t);
    const struct params *p = run_tl_run_params(t);
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    enum mig_tl_verdict v = MIG_TL_OK;

    if (mig_opts_parse(words, &mo) < 0) {
        strbuf_addf(why, "%s: virsh migrate words '%s': %s", what, words, err_msg());
        v = MIG_TL_ERROR;
        goto out;
    }
    if (acts_key && mig_act_parse(params_get(p, acts_key), &acts) < 0) {
        strbuf_addf(why, "%s: %s", acts_key, err_msg());
        v = MIG_TL_ERROR;
        goto out;
    }
    struct run_tl_hop h = {
        .vms = outer->vms, .vm = outer->vm, .from = outer->from, .to = outer->to,
        .n = outer->n + 1, .expect = e, .opts = &mo, .acts = &acts, .ops = outer->ops,
        .last = run_tl_run_last(t),
    };
    run_log(ctx, "%s: a migration during hop %u", what, outer->n);
    if (run_tl_hop(ctx, &h) < 0) {
        /* its verdict is the test's already (the first one stays) */
        strbuf_addf(why, "%s: %s", what, ctx->reason ? ctx->reason : "failed");
        v = ctx->status == RUN_FAIL ? MIG_TL_FAIL : MIG_TL_ERROR;
    }
    if (h.killed >= 0)
        outer->killed = h.killed;
out:
    mig_act_release(&acts);
    mig_opts_release(&mo);
    free(words);
    return v;
}

RUN_TL_MOS_STEP(run_tl_nested_migrate)
{
    const struct params *p = run_tl_run_params(t);
    (void)a;
    if (!nested_yes(p, "do_migration_during_mig")) {
        strbuf_addstr(why, "do_migration without do_migration_during_mig = yes: base_steps "
                      "gives it no migration arguments");
        return MIG_TL_ERROR;
    }
    const char *err = nested_param(p, "err_msg_during_mig");
    struct mig_expect e = { .status_error = nested_yes(p, "status_error_during_mig"),
                            .err_msg = err ? err : nested_param(p, "err_msg"),
                            .err_msg_name = err ? "err_msg_during_mig" : NULL,
                            .cancel_unsupported = true };
    return nested_hop(t, "do_migration", nested_words(p), "action_during_do_mig", &e, why);
}

RUN_TL_MOS_STEP(run_tl_nested_resume_again)
{
    const struct params *p = run_tl_run_params(t);
    (void)a;
    struct mig_expect e = { .status_error = nested_yes(p, "status_error_during_mig_twice"),
                            .err_msg = nested_param(p, "err_msg"),
                            .cancel_unsupported = true };
    char *words = xasprintf("%s %s %s %s",
                            params_get_or(p, "virsh_migrate_options", "--live --verbose"),
                            params_get_or(p, "virsh_migrate_extra", ""),
                            params_get_or(p, "postcopy_options", ""),
                            params_get_or(p, "postcopy_options_during_mig", ""));
    return nested_hop(t, "resume_migration_again", words, NULL, &e, why);
}
