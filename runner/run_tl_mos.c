/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_mos: the steps of migrate_options_shared's own action words (tp-libvirt's
 * libvirt/tests/src/migration/migrate_options_shared.py, do_actions_during_migrate),
 * run by the timeline engine (runner/run_tl.c's step table) during the migration.
 * Each keeps the reference's check and its words; the type's adapter
 * (runner/type_options_shared.c) names them.
 */
#include "runner/run_tl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

/* a host command of a step (ss, kill): a hang is the step's failure */
#define MOS_CMD_TIMEOUT_S 30

static const char *mos_dom(struct tl_run *t)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    return h->vms->vm[h->vm].domain;
}

/* `virsh W1 DOMAIN W2...` on host h (more: NULL-terminated, may be NULL).  -1 when it
 * could not be run (why set); else r holds its status and output. */
static int mos_virsh(struct tl_run *t, int h, const char *cmd, const char *const *more,
                     struct run_virsh *r, struct strbuf *why)
{
    const char *words[8] = { cmd, mos_dom(t) };
    for (size_t k = 0; more && more[k] && k + 3 < ARRAY_SIZE(words); k++)
        words[k + 2] = more[k];
    if (run_virsh_words(run_tl_run_ctx(t), h, words, r) < 0) {
        strbuf_addf(why, "virsh %s on %s: %s", cmd, run_tl_run_ctx(t)->hosts[h].name,
                    err_msg());
        return -1;
    }
    return 0;
}

/* virsh's stdout without the blanks around it, into buf. */
static void mos_trim(const struct run_virsh *r, char *buf, size_t n)
{
    const char *s = r->out.buf + strspn(r->out.buf, " \t\r\n");
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1]))
        len--;
    snprintf(buf, n, "%.*s", (int)len, s);
}

/* The domain's state on host h as `virsh domstate --reason` prints it ("paused
 * (post-copy)"), split: state and reason ("" when none).  -1 when virsh failed. */
static int mos_state(struct tl_run *t, int h, char *state, size_t n, char *reason, size_t rn)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    struct strbuf why = STRBUF_INIT;
    const char *more[] = { "--reason", NULL };
    int rc = -1;
    state[0] = reason[0] = '\0';
    if (mos_virsh(t, h, "domstate", more, &r, &why) == 0 && r.status == 0) {
        char line[128];
        mos_trim(&r, line, sizeof(line));
        char *open = strchr(line, '(');
        if (open) {
            char *close = strchr(open, ')');
            snprintf(reason, rn, "%.*s", close ? (int)(close - open - 1) : (int)strlen(open + 1),
                     open + 1);
            while (open > line && open[-1] == ' ')
                open--;
            *open = '\0';
        }
        snprintf(state, n, "%.*s", (int)(n - 1), line);
        rc = 0;
    }
    strbuf_release(&why);
    run_virsh_release(&r);
    return rc;
}

/* libvirt.check_vm_state(vm, state[, reason]) on host h, polled every 0.5 s for
 * timeout_s (utils_misc.wait_for). */
static bool mos_wait_state(struct tl_run *t, int h, const char *want, const char *reason,
                           double timeout_s)
{
    double end = clock_now() + timeout_s;
    do {
        char st[64], why[64];
        if (mos_state(t, h, st, sizeof(st), why, sizeof(why)) == 0 && !strcmp(st, want) &&
            (!reason || !strcmp(why, reason)))
            return true;
        if (run_should_stop(run_tl_run_ctx(t)))
            return false;
        clock_sleep(0.5);
    } while (clock_now() < end);
    return false;
}

static bool mos_postcopy_case(struct tl_run *t)
{
    const char *pc = params_get(run_tl_run_params(t), "postcopy_options");
    return pc && *pc;
}

/* set_migratepostcopy(): migrate-postcopy until it succeeds (5 s), then the source
 * paused (post-copy) within 10 s. */
static enum mig_tl_verdict mos_switch_postcopy(struct tl_run *t, struct strbuf *why)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    double end = clock_now() + 5;
    bool ok = false;
    do {
        struct run_virsh r = RUN_VIRSH_INIT;
        struct strbuf e = STRBUF_INIT;
        ok = mos_virsh(t, h->from, "migrate-postcopy", NULL, &r, &e) == 0 && r.status == 0;
        strbuf_release(&e);
        run_virsh_release(&r);
        if (!ok)
            clock_sleep(0.5);
    } while (!ok && clock_now() < end);
    if (!ok) {
        strbuf_addstr(why, "Failed to set migration postcopy.");
        return MIG_TL_FAIL;
    }
    if (!mos_wait_state(t, h->from, "paused", "post-copy", 10)) {
        strbuf_addstr(why, "vm status is expected to 'paused (post-copy)'");
        return MIG_TL_FAIL;
    }
    run_log(run_tl_run_ctx(t), "switched to postcopy: the source is paused (post-copy)");
    return MIG_TL_OK;
}

RUN_TL_MOS_STEP(run_tl_mos_postcopy)
{
    (void)a;
    return mos_switch_postcopy(t, why);
}

/* The connections the reference expects: parallel_cn_nums + 1 with --parallel
 * (libvirt's default is 2 channels: 3), else 0. */
static long mos_conn_num(const struct params *p)
{
    const char *n = params_get(p, "parallel_cn_nums");
    const char *extra = params_get_or(p, "virsh_migrate_extra", "");
    if (n && *n)
        return strtol(n, NULL, 10) + 1;
    return strstr(extra, "parallel") ? 3 : 0;
}

/* check_established(expConnNum): with postcopy first the switch; then the lines of
 * `netstat -tunap` on the destination with 49152 and ESTABLISHED must be that many
 * (ss's lines written as netstat's: run_tl_ss_netstat). */
RUN_TL_MOS_STEP(run_tl_mos_established)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    struct run_ctx *ctx = run_tl_run_ctx(t);
    long want = mos_conn_num(run_tl_run_params(t));
    (void)a;
    if (mos_postcopy_case(t)) {
        enum mig_tl_verdict v = mos_switch_postcopy(t, why);
        if (v != MIG_TL_OK)
            return v;
    }
    struct virt_host *link = run_host_link(ctx, h->to);
    struct strbuf ss = STRBUF_INIT, net = STRBUF_INIT;
    int status = -1;
    if (!link || virt_host_run(link, (const char *[]){ "ss", "-tnpH", "state", "established",
                               NULL }, MOS_CMD_TIMEOUT_S, &ss, NULL, &status) < 0 || status) {
        strbuf_addf(why, "ss on %s: %s", ctx->hosts[h->to].name,
                    status > 0 ? "failed" : err_msg());
        strbuf_release(&ss);
        return MIG_TL_ERROR;
    }
    run_tl_ss_netstat(ss.buf, &net);
    long n = 0;
    for (const char *l = net.buf; *l;) {
        size_t len = strcspn(l, "\n");
        char *line = xasprintf("%.*s", (int)len, l);
        if (strstr(line, "49152") && strstr(line, "ESTABLISHED"))
            n++;
        free(line);
        l += len + (l[len] == '\n');
    }
    run_log(ctx, "established connections on %s with 49152: %ld (expected %ld)\n%s",
            ctx->hosts[h->to].name, n, want, net.buf);
    strbuf_release(&ss);
    strbuf_release(&net);
    if (n != want) {
        strbuf_addf(why, "The number of established connections is unexpected: %ld", n);
        return MIG_TL_FAIL;
    }
    return MIG_TL_OK;
}

/* migrate-getmaxdowntime's value in ms (ERROR when virsh refuses: ignore_status=False). */
static enum mig_tl_verdict mos_getmaxdowntime(struct tl_run *t, long *out, struct strbuf *why)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    char val[64];
    if (mos_virsh(t, run_tl_run_hop(t)->from, "migrate-getmaxdowntime", NULL, &r, why) < 0)
        v = MIG_TL_ERROR;
    else if (r.status) {
        strbuf_addf(why, "virsh migrate-getmaxdowntime: %s", r.err.buf);
        v = MIG_TL_ERROR;
    } else {
        mos_trim(&r, val, sizeof(val));
        *out = strtol(val, NULL, 10);
    }
    run_virsh_release(&r);
    return v;
}

/* check_maxdowntime(params): migrate_maxdowntime (s) * 1000 set with
 * migrate-setmaxdowntime and read back; compare_to_value becomes it. */
RUN_TL_MOS_STEP(run_tl_mos_maxdowntime)
{
    struct params *p = run_tl_run_params(t);
    long want = (long)(strtod(params_get_or(p, "migrate_maxdowntime", "0.3"), NULL) * 1000);
    long old = 0, got = 0;
    char val[32];
    (void)a;
    enum mig_tl_verdict v = mos_getmaxdowntime(t, &old, why);
    if (v != MIG_TL_OK)
        return v;
    snprintf(val, sizeof(val), "%ld", want);
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *more[] = { val, NULL };
    if (mos_virsh(t, run_tl_run_hop(t)->from, "migrate-setmaxdowntime", more, &r, why) < 0)
        v = MIG_TL_ERROR;
    else if (r.status) {
        strbuf_addf(why, "virsh migrate-setmaxdowntime %s: %s", val, r.err.buf);
        v = MIG_TL_ERROR;
    }
    run_virsh_release(&r);
    if (v == MIG_TL_OK)
        v = mos_getmaxdowntime(t, &got, why);
    if (v != MIG_TL_OK)
        return v;
    run_log(run_tl_run_ctx(t), "maxdowntime %ld ms -> %ld ms", old, got);
    if (got != want) {
        strbuf_addf(why, "Migration maxdowntime is expected to be '%ld ms', but '%ld ms' "
                    "found", want, got);
        return MIG_TL_FAIL;
    }
    params_set(p, "compare_to_value", val);
    return MIG_TL_OK;
}

/* migrate-getspeed's value (MiB/s). */
static enum mig_tl_verdict mos_getspeed(struct tl_run *t, long *out, struct strbuf *why)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    char val[64];
    if (mos_virsh(t, run_tl_run_hop(t)->from, "migrate-getspeed", NULL, &r, why) < 0)
        v = MIG_TL_ERROR;
    else if (r.status) {
        strbuf_addf(why, "virsh migrate-getspeed: %s", r.err.buf);
        v = MIG_TL_ERROR;
    } else {
        mos_trim(&r, val, sizeof(val));
        *out = strtol(val, NULL, 10);
    }
    run_virsh_release(&r);
    return v;
}

/* check_setspeed(params): migrate_speed (bytes/s) // MiB set with migrate-setspeed and
 * read back; compare_to_value becomes it. */
RUN_TL_MOS_STEP(run_tl_mos_setspeed)
{
    struct params *p = run_tl_run_params(t);
    long want = strtol(params_get_or(p, "migrate_speed", "41943040"), NULL, 10) / (1024 * 1024);
    long old = 0, got = 0;
    char val[32];
    (void)a;
    enum mig_tl_verdict v = mos_getspeed(t, &old, why);
    if (v != MIG_TL_OK)
        return v;
    snprintf(val, sizeof(val), "%ld", want);
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *more[] = { val, NULL };
    if (mos_virsh(t, run_tl_run_hop(t)->from, "migrate-setspeed", more, &r, why) < 0)
        v = MIG_TL_ERROR;
    else if (r.status) {
        strbuf_addf(why, "virsh migrate-setspeed %s: %s", val, r.err.buf);
        v = MIG_TL_ERROR;
    }
    run_virsh_release(&r);
    if (v == MIG_TL_OK)
        v = mos_getspeed(t, &got, why);
    if (v != MIG_TL_OK)
        return v;
    run_log(run_tl_run_ctx(t), "migration speed %ld MiB/s -> %ld MiB/s", old, got);
    snprintf(val, sizeof(val), "%ld", got);
    params_set(p, "compare_to_value", val);
    if (got != want) {
        strbuf_addf(why, "Migration speed is expected to be '%ld MiB/s', but '%ld MiB/s' "
                    "found", want, got);
        return MIG_TL_FAIL;
    }
    return MIG_TL_OK;
}

void run_tl_mos_jobinfo_look(struct run_ctx *ctx, const char *jobinfo, const char *item,
                             const char *compare, double diff_rate)
{
    /* tp-libvirt's search_jobinfo leaves its loop after the first line ("Job type:"),
     * which never holds the item: the reference never fails here.  The item is
     * looked for all the same and what the intended comparison says is logged. */
    for (const char *l = jobinfo; *l;) {
        size_t len = strcspn(l, "\n");
        char *line = xasprintf("%.*s", (int)len, l);
        l += len + (l[len] == '\n');
        if (!strstr(line, item)) {
            free(line);
            continue;
        }
        const char *num = line + strlen(item) + (size_t)(strstr(line, item) - line);
        num += strcspn(num, "0123456789.");
        double got = strtod(num, NULL), want = strtod(compare, NULL);
        bool off = want != 0 && floor(fabs(got - want) / want) > diff_rate;
        run_log(ctx, "domjobinfo %s %g, compared to %s (diff_rate %g): %s", item, got,
                compare, diff_rate, off ? "too far (tp-libvirt does not judge it: its loop "
                "reads only the first line)" : "within the rate");
        free(line);
        return;
    }
    run_log(ctx, "domjobinfo has no '%s'", item);
}

/* check_domjobinfo(params): domjobinfo on the source (and the destination with
 * check_domjobinfo_remote), its jobinfo_item read against compare_to_value. */
RUN_TL_MOS_STEP(run_tl_mos_jobinfo)
{
    struct params *p = run_tl_run_params(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const char *item = params_get(p, "jobinfo_item");
    const char *cmp = params_get(p, "compare_to_value");
    double rate = strtod(params_get_or(p, "diff_rate", "0"), NULL);
    (void)a;
    if (!item || !*item || !cmp || !*cmp)
        return MIG_TL_OK;
    int hosts[2] = { h->from, params_get(p, "check_domjobinfo_remote") ? h->to : -1 };
    for (size_t k = 0; k < 2 && hosts[k] >= 0; k++) {
        struct run_virsh r = RUN_VIRSH_INIT;
        if (mos_virsh(t, hosts[k], "domjobinfo", NULL, &r, why) < 0) {
            run_virsh_release(&r);
            return MIG_TL_ERROR;
        }
        run_log(run_tl_run_ctx(t), "domjobinfo on %s:\n%s%s",
                run_tl_run_ctx(t)->hosts[hosts[k]].name, r.out.buf, r.err.buf);
        run_tl_mos_jobinfo_look(run_tl_run_ctx(t), r.out.buf, item, cmp, rate);
        run_virsh_release(&r);
    }
    return MIG_TL_OK;
}

/* run_domstats(vm_name): precopy: the source paused or running, the destination
 * paused within 10 s; postcopy (postcopy_options): the switch first, the source
 * paused, the destination running.  domstats on the source must answer within 2 s. */
RUN_TL_MOS_STEP(run_tl_mos_domstats)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    bool pc = mos_postcopy_case(t);
    (void)a;
    if (pc) {
        enum mig_tl_verdict v = mos_switch_postcopy(t, why);
        if (v != MIG_TL_OK)
            return v;
    }
    struct run_virsh r = RUN_VIRSH_INIT;
    double t0 = clock_now();
    int rc = mos_virsh(t, h->from, "domstats", NULL, &r, why);
    double took = clock_now() - t0;
    run_virsh_release(&r);
    if (rc < 0)
        return MIG_TL_ERROR;
    if (took > 2) {
        strbuf_addf(why, "It takes too long to check domstats in source. The duration is "
                    "%.1fs which should be less than 2s", took);
        return MIG_TL_FAIL;
    }
    char st[64], reason[64];
    if (mos_state(t, h->from, st, sizeof(st), reason, sizeof(reason)) < 0 ||
        (strcmp(st, "paused") && (pc || strcmp(st, "running")))) {
        strbuf_addf(why, "Incorrect VM stat on source machine: %s", st);
        return MIG_TL_FAIL;
    }
    const char *dst = pc ? "running" : "paused";
    if (!mos_wait_state(t, h->to, dst, NULL, 10)) {
        strbuf_addstr(why, "Unable to get expected domstate on destination machine in 10s!");
        return MIG_TL_FAIL;
    }
    if (pc && (mos_state(t, h->from, st, sizeof(st), reason, sizeof(reason)) < 0 ||
               strcmp(st, "paused"))) {
        strbuf_addf(why, "Incorrect VM stat on source machine: %s", st);
        return MIG_TL_FAIL;
    }
    run_log(run_tl_run_ctx(t), "domstats answered in %.2fs; source %s, destination %s", took,
            st, dst);
    return MIG_TL_OK;
}

/* suspend_vm(vm): virsh suspend on the source, paused within 10 s. */
RUN_TL_MOS_STEP(run_tl_mos_suspend)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    struct run_virsh r = RUN_VIRSH_INIT;
    (void)a;
    if (mos_virsh(t, h->from, "suspend", NULL, &r, why) < 0) {
        run_virsh_release(&r);
        return MIG_TL_ERROR;
    }
    bool ok = r.status == 0;
    run_virsh_release(&r);
    if (!ok) {
        strbuf_addstr(why, "Failed to suspend vm.");
        return MIG_TL_FAIL;
    }
    if (!mos_wait_state(t, h->from, "paused", NULL, 10)) {
        strbuf_addstr(why, "vm statue is expected to 'paused'");
        return MIG_TL_FAIL;
    }
    return MIG_TL_OK;
}

/* The PID of the QEMU on host h that holds the incoming migration's connection (ss's
 * users), 0 when none. */
static long mos_incoming_qemu(struct tl_run *t, int h)
{
    struct virt_host *link = run_host_link(run_tl_run_ctx(t), h);
    struct strbuf ss = STRBUF_INIT, net = STRBUF_INIT;
    long pid = 0;
    int status = -1;
    if (!link || virt_host_run(link, (const char *[]){ "ss", "-tnpH", "state", "established",
                               NULL }, MOS_CMD_TIMEOUT_S, &ss, NULL, &status) < 0 || status) {
        strbuf_release(&ss);
        return 0;
    }
    run_tl_ss_netstat(ss.buf, &net);
    for (const char *l = net.buf; *l && !pid;) {
        size_t len = strcspn(l, "\n");
        char *line = xasprintf("%.*s", (int)len, l);
        const char *slash = strstr(line, " ESTABLISHED ");
        if (slash && strstr(line, "qemu") && strstr(line, ":49152 "))
            pid = strtol(slash + strlen(" ESTABLISHED "), NULL, 10);
        free(line);
        l += len + (l[len] == '\n');
    }
    strbuf_release(&ss);
    strbuf_release(&net);
    return pid;
}

/* kill_qemu_target(): the switch to postcopy, then the destination's QEMU killed
 * (SIGKILL); the source must become paused (post-copy failed) within 60 s.  The
 * reference pkills the emulator's name on the target, where it is the only QEMU; on
 * hosts that share a machine only the one QEMU holding the incoming migration is. */
RUN_TL_MOS_STEP(run_tl_mos_kill_qemu)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    struct run_ctx *ctx = run_tl_run_ctx(t);
    (void)a;
    enum mig_tl_verdict v = mos_switch_postcopy(t, why);
    if (v != MIG_TL_OK)
        return v;
    long pid = mos_incoming_qemu(t, h->to);
    if (pid <= 0) {
        strbuf_addf(why, "no QEMU with the incoming migration on %s", ctx->hosts[h->to].name);
        return MIG_TL_ERROR;
    }
    char spid[32];
    snprintf(spid, sizeof(spid), "%ld", pid);
    struct virt_host *link = run_host_link(ctx, h->to);
    int status = -1;
    if (!link || virt_host_run(link, (const char *[]){ "kill", "-9", spid, NULL },
                               MOS_CMD_TIMEOUT_S, NULL, NULL, &status) < 0 || status) {
        strbuf_addf(why, "kill -9 %s on %s: %s", spid, ctx->hosts[h->to].name,
                    status > 0 ? "failed" : err_msg());
        return MIG_TL_ERROR;
    }
    run_log(ctx, "QEMU %ld killed (SIGKILL) on %s", pid, ctx->hosts[h->to].name);
    if (!mos_wait_state(t, h->from, "paused", "post-copy failed", 60)) {
        strbuf_addstr(why, "vm status is expected to 'paused (post-copy failed)'");
        return MIG_TL_FAIL;
    }
    return MIG_TL_OK;
}

/* check_timeout_postcopy(params): timeout_postcopy + 1 s later the destination's
 * domain is running. */
RUN_TL_MOS_STEP(run_tl_mos_timeout_postcopy)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    long timeout = strtol(params_get_or(run_tl_run_params(t), "timeout_postcopy", "10"), NULL,
                          10);
    char st[64], reason[64];
    (void)a;
    for (double end = clock_now() + (double)timeout + 1; clock_now() < end;) {
        if (run_should_stop(run_tl_run_ctx(t)))
            return MIG_TL_ERROR;
        clock_sleep(0.5);
    }
    if (mos_state(t, h->to, st, sizeof(st), reason, sizeof(reason)) < 0 || strcmp(st, "running")) {
        strbuf_addf(why, "After timeout '%ld' seconds, the vm state on target host should be "
                    "'running', but '%s' found", timeout, st);
        return MIG_TL_FAIL;
    }
    return MIG_TL_OK;
}
