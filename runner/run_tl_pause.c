/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two actions of tp-libvirt's pause_resume_vm_during_migration as steps of the timeline
 * engine (runner/run_tl.h):
 *
 *  - virsh.suspend({"name": DOM}): `virsh suspend DOM` on the source; avocado-vt's
 *    virsh wrappers ignore the status by default, so its result is only logged;
 *  - migration_base.check_resume(params): `virsh resume DOM` on the source, then on
 *    the destination, each judged as libvirt.check_result(expected_fails=...,
 *    check_both_on_error=True): with resume_err_msg_src / resume_err_msg_target set
 *    the command must fail and its stderr or stdout match that regex, else it must
 *    succeed; anything else is the test's FAIL.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <pcre2.h>
#include <string.h>

RUN_TL_MOS_STEP(run_tl_pause_suspend)
{
    (void)a;
    (void)why;
    struct run_tl_hop *h = run_tl_run_hop(t);
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const char *words[] = { "suspend", h->vms->vm[h->vm].domain, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    if (run_virsh_words(ctx, h->from, words, &r) < 0)
        run_log(ctx, "virsh suspend: %s", err_msg());
    else
        run_log(ctx, "virsh suspend: exit %d %s%s", r.status, r.out.buf, r.err.buf);
    run_virsh_release(&r);
    return MIG_TL_OK;
}

/* Python's re.search(re, text): 1 found, 0 not, -1 re does not compile. */
static int pause_search(const char *re, const char *text)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &ec, &off,
                                     NULL);
    if (!code)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    int rc = pcre2_match(code, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL) >= 0;
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    return rc;
}

/* `virsh resume DOM` on host judged by check_result with expected_fails = want. */
static enum mig_tl_verdict pause_resume_on(struct run_ctx *ctx, int host, const char *side,
                                           const char *dom, const char *want,
                                           struct strbuf *why)
{
    const char *words[] = { "resume", dom, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    if (run_virsh_words(ctx, host, words, &r) < 0) {
        strbuf_addf(why, "virsh resume on the %s: %s", side, err_msg());
        v = MIG_TL_ERROR;
    } else if (!want || !*want) {
        if (r.status) {
            strbuf_addf(why, "virsh resume on the %s: exit %d: %s", side, r.status, r.err.buf);
            v = MIG_TL_FAIL;
        }
    } else if (!r.status) {
        strbuf_addf(why, "virsh resume on the %s succeeded, expected to fail with '%s'",
                    side, want);
        v = MIG_TL_FAIL;
    } else {
        int in_err = pause_search(want, r.err.buf), in_out = pause_search(want, r.out.buf);
        if (in_err < 0) {
            strbuf_addf(why, "resume_err_msg '%s': not a regex", want);
            v = MIG_TL_ERROR;
        } else if (!in_err && !in_out) {
            strbuf_addf(why, "virsh resume on the %s: '%s' not found in: %s", side, want,
                        r.err.buf);
            v = MIG_TL_FAIL;
        }
    }
    run_log(ctx, "virsh resume on the %s: exit %d %s", side, r.status, r.err.buf);
    run_virsh_release(&r);
    return v;
}

RUN_TL_MOS_STEP(run_tl_pause_check_resume)
{
    (void)a;
    struct run_tl_hop *h = run_tl_run_hop(t);
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const struct params *p = run_tl_run_params(t);
    const char *dom = h->vms->vm[h->vm].domain;
    enum mig_tl_verdict v = pause_resume_on(ctx, h->from, "source", dom,
                                            params_get(p, "resume_err_msg_src"), why);
    if (v == MIG_TL_OK)
        v = pause_resume_on(ctx, h->to, "destination", dom,
                            params_get(p, "resume_err_msg_target"), why);
    return v;
}
