/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_again: base_steps' do_migration action (do_migration_during_mig = yes), as
 * an engine step (runner/run_tl.h): while the case's migration runs, the same
 * migration is started again with `virsh migrate` on the source, with the case's
 * options and extra words (postcopy_options and copy_storage_option appended, as
 * run_migration builds them) to the destination's migrate URI, and judged by
 * status_error_during_mig / err_msg_during_mig (libvirt.check_result: a failure whose
 * stderr matches, or a success).  What that does to the first migration is the
 * hop's judgement.  Not built: action_during_do_mig and postcopy_options_during_mig
 * (the types that use this step make them an ERROR).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_tl.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

/* options DOMAIN DESTURI extra... as virsh.migrate orders them */
static char **again_words(const struct params *p, const char *dom, const char *desturi)
{
    static const char *const extra_keys[] = { "virsh_migrate_extra", "postcopy_options",
                                              "copy_storage_option" };
    char **opts = params_split(params_get_or(p, "virsh_migrate_options", "--live --verbose"));
    struct strbuf extra = STRBUF_INIT;
    for (size_t k = 0; k < ARRAY_SIZE(extra_keys); k++)
        strbuf_addf(&extra, " %s", params_get_or(p, extra_keys[k], ""));
    char **more = params_split(extra.buf);
    size_t n = params_strv_len(opts), m = params_strv_len(more);
    char **w = xcalloc(n + m + 4, sizeof(*w));
    w[0] = xstrdup("migrate");
    for (size_t k = 0; k < n; k++)
        w[k + 1] = xstrdup(opts[k]);
    w[n + 1] = xstrdup(dom);
    w[n + 2] = xstrdup(desturi);
    for (size_t k = 0; k < m; k++)
        w[n + 3 + k] = xstrdup(more[k]);
    params_strv_free(opts);
    params_strv_free(more);
    strbuf_release(&extra);
    return w;
}

enum mig_tl_verdict run_tl_migrate_again(struct tl_run *t, const struct mig_action *a,
                                         struct strbuf *why)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const struct params *p = run_tl_run_params(t);
    const char *desturi = ctx->hosts[h->to].migrate_desturi;
    bool status_error = !strcmp(params_get_or(p, "status_error_during_mig", "no"), "yes");
    (void)a;
    if (!desturi) {
        strbuf_addf(why, "do_migration: the destination has no migrate URI");
        return MIG_TL_ERROR;
    }
    char **words = again_words(p, h->vms->vm[h->vm].domain, desturi);
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    if (run_virsh_words(ctx, h->from, (const char *const *)words, &r) < 0) {
        strbuf_addf(why, "do_migration: virsh migrate: %s", err_msg());
        v = MIG_TL_ERROR;
    } else if (run_virsh_expect("the migration during the migration", &r, status_error,
                                params_get(p, "err_msg_during_mig")) < 0) {
        strbuf_addf(why, "%s", err_msg());
        v = MIG_TL_FAIL;
    } else {
        run_log(ctx, "the migration during the migration: exit %d, as expected", r.status);
    }
    run_virsh_release(&r);
    params_strv_free(words);
    return v;
}
