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
#include "migration/mig.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <math.h>
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

int run_perf_limits_memlock(const char *limits, struct strbuf *hard)
{
    static const char key[] = "Max locked memory";
    for (const char *l = limits; l && *l; l += strcspn(l, "\n"), l += *l == '\n') {
        if (strncmp(l, key, sizeof(key) - 1))
            continue;
        /* the soft limit, then the hard one: numbers or "unlimited" */
        const char *s = l + sizeof(key) - 1;
        s += strspn(s, " \t");
        s += strcspn(s, " \t\n");
        s += strspn(s, " \t");
        size_t n = strcspn(s, " \t\n");
        if (!n)
            break;
        strbuf_add(hard, s, n);
        return 0;
    }
    err_set("no 'Max locked memory' line with soft and hard limits");
    return -1;
}

int run_perf_memlock(struct run_ctx *ctx, int h, const char *dom, struct strbuf *hard)
{
    struct virt_host *link = run_host_link(ctx, h);
    struct strbuf pid = STRBUF_INIT, limits = STRBUF_INIT;
    int status = -1, rc = -1;
    char *pidfile = xasprintf("/run/libvirt/qemu/%s.pid", dom);
    if (!link)
        err_set("no connection to %s", ctx->hosts[h].name);
    else if (virt_host_run(link, (const char *[]){ "cat", "--", pidfile, NULL }, 30, &pid,
                           NULL, &status) < 0 || status)
        err_set("the QEMU of %s on %s: no %s", dom, ctx->hosts[h].name, pidfile);
    else {
        while (pid.len && strchr(" \t\r\n", pid.buf[pid.len - 1]))
            strbuf_setlen(&pid, pid.len - 1);
        char *proc = xasprintf("/proc/%s/limits", pid.buf);
        if (strspn(pid.buf, "0123456789") != pid.len || !pid.len)
            err_set("%s on %s: '%s' is no PID", pidfile, ctx->hosts[h].name, pid.buf);
        else if (virt_host_run(link, (const char *[]){ "cat", "--", proc, NULL }, 30, &limits,
                               NULL, &status) < 0 || status)
            err_set("%s on %s cannot be read", proc, ctx->hosts[h].name);
        else if (run_perf_limits_memlock(limits.buf, hard) == 0) {
            run_log(ctx, "QEMU %s of %s on %s: memlock hard limit %s", pid.buf, dom,
                    ctx->hosts[h].name, hard->buf);
            rc = 0;
        } else
            err_prefix("%s on %s", proc, ctx->hosts[h].name);
        free(proc);
    }
    free(pidfile);
    strbuf_release(&pid);
    strbuf_release(&limits);
    return rc;
}

/* The domain's <currentMemory> (KiB) on host h, as vm_xml's current_mem reads it. */
static int perf_current_mem(struct tl_run *t, int h, unsigned long long *kib,
                            struct strbuf *why)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const char *words[] = { "dumpxml", perf_dom(t), NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = -1;
    if (run_virsh_words(ctx, h, words, &r) < 0 || r.status)
        strbuf_addf(why, "virsh dumpxml on %s: %s", ctx->hosts[h].name,
                    r.status ? r.err.buf : err_msg());
    else {
        const char *s = strstr(r.out.buf, "<currentMemory");
        s = s ? strchr(s, '>') : NULL;
        char *end = NULL;
        *kib = s ? strtoull(s + 1, &end, 10) : 0;
        /* vtrun's domains give the unit as libvirt writes it back: KiB */
        if (!s || end == s + 1 || !strstr(r.out.buf, "<currentMemory unit='KiB'>"))
            strbuf_addf(why, "no <currentMemory unit='KiB'> in the domain XML on %s",
                        ctx->hosts[h].name);
        else
            rc = 0;
    }
    run_virsh_release(&r);
    return rc;
}

/* check_qemu_mem_lock_hard_limit(params): the source QEMU's memlock hard limit is
 * expect_hard_limit KiB (migration_zerocopy's setup: hard_limit with memtune, else the
 * domain's current memory) and is not compared_hard_limit KiB. */
RUN_TL_MOS_STEP(run_tl_perf_memlock)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const struct params *p = run_tl_run_params(t);
    const char *hard_limit = params_get(p, "hard_limit");
    const char *compared = params_get(p, "compared_hard_limit");
    struct strbuf hard = STRBUF_INIT;
    unsigned long long expect = 0;
    enum mig_tl_verdict v = MIG_TL_OK;
    (void)a;
    if (hard_limit && *hard_limit && !strcmp(params_get_or(p, "test_case", ""), "with_memtune"))
        expect = strtoull(hard_limit, NULL, 10);
    else if (perf_current_mem(t, h->from, &expect, why) < 0)
        return MIG_TL_ERROR;
    if (run_perf_memlock(ctx, h->from, perf_dom(t), &hard) < 0) {
        strbuf_addstr(why, err_msg());
        strbuf_release(&hard);
        return MIG_TL_ERROR;
    }
    unsigned long long got = strtoull(hard.buf, NULL, 10);
    if (!strcmp(hard.buf, "unlimited") || got != expect * 1024) {
        strbuf_addf(why, "'%s' is not matched expect hard limit '%llu'", hard.buf, expect);
        v = MIG_TL_FAIL;
    } else if (compared && *compared && got == strtoull(compared, NULL, 10) * 1024) {
        strbuf_addf(why, "'%s' is matched hard limit '%s'", hard.buf, compared);
        v = MIG_TL_FAIL;
    }
    strbuf_release(&hard);
    return v;
}

int run_perf_jobinfo_judge(const char *jobinfo, const char *item, const char *compare,
                           double diff_rate, struct strbuf *why)
{
    for (const char *l = jobinfo; l && *l; l += strcspn(l, "\n"), l += *l == '\n') {
        size_t len = strcspn(l, "\n");
        char *line = xstrndup(l, len);
        if (!strstr(line, item)) {
            free(line);
            continue;
        }
        /* the first run of digits and dots on the line, as re.findall('[0-9.]+') */
        const char *num = line + strcspn(line, "0123456789.");
        double got = strtod(num, NULL), want = strtod(compare, NULL);
        int rc = 0;
        if (!*num || want == 0)
            rc = -1;
        else if (floor(fabs(got - want) / want) > diff_rate)
            rc = 1;
        if (rc)
            strbuf_addf(why, "%s %.*s has too much difference from %s", item,
                        (int)strspn(num, "0123456789."), num, compare);
        free(line);
        return rc;
    }
    return 0;   /* the item absent: the reference's loop finds nothing to judge */
}

/* check_domjobinfo_during_mig(params) (avocado-vt's check_domjobinfo): `virsh
 * domjobinfo` on the source, jobinfo_item's number against compare_to_value
 * (diff_rate); with domjob_ignore_status set (any text, as Python reads it) a
 * difference is logged, not failed. */
enum mig_tl_verdict run_perf_jobinfo_check(struct run_ctx *ctx, int host, const char *dom,
                                           const struct params *p, struct strbuf *why)
{
    const char *item = params_get(p, "jobinfo_item");
    const char *cmp = params_get(p, "compare_to_value");
    const char *ignore = params_get(p, "domjob_ignore_status");
    double rate = strtod(params_get_or(p, "diff_rate", "0"), NULL);
    const char *words[] = { "domjobinfo", dom, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    if (!item || !*item || !cmp || !*cmp)
        return MIG_TL_OK;
    if (run_virsh_words(ctx, host, words, &r) < 0) {
        strbuf_addf(why, "virsh domjobinfo: %s", err_msg());
        run_virsh_release(&r);
        return MIG_TL_ERROR;
    }
    run_log(ctx, "domjobinfo on %s:\n%s%s", ctx->hosts[host].name, r.out.buf, r.err.buf);
    struct strbuf off = STRBUF_INIT;
    int rc = run_perf_jobinfo_judge(r.out.buf, item, cmp, rate, &off);
    if (rc < 0) {
        strbuf_addf(why, "compare_to_value = '%s': %s", cmp, off.buf);
        v = MIG_TL_ERROR;
    } else if (rc > 0 && ignore && *ignore)
        run_log(ctx, "%s (domjob_ignore_status: logged only)", off.buf);
    else if (rc > 0) {
        strbuf_addstr(why, off.buf);
        v = MIG_TL_FAIL;
    } else
        run_log(ctx, "domjobinfo %s within %g of %s", item, rate, cmp);
    strbuf_release(&off);
    run_virsh_release(&r);
    return v;
}

RUN_TL_MOS_STEP(run_tl_perf_jobinfo)
{
    (void)a;
    return run_perf_jobinfo_check(run_tl_run_ctx(t), run_tl_run_hop(t)->from, perf_dom(t),
                                  run_tl_run_params(t), why);
}
