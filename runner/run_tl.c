/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run_tl: a judged migration with its actions on the timeline engine (runner/run_tl.h). */
#include "runner/run_tl.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_base.h"
#include "runner/run_tl_stor.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* avocado-vt's thread_timeout of a base_steps migration */
#define TL_THREAD_TIMEOUT_S 900
/* a host command of a step (ss): a hang is the step's failure */
#define TL_CMD_TIMEOUT_S 30

struct tl_run {
    struct run_ctx *ctx;
    struct run_tl_hop *h;
    struct params *view;            /* the case's params, main VM names = the domain */
    struct be_migrate_opts mo;      /* the hop's, with the engine's cancel flag */
    atomic_bool stop;
    struct be_hop_metrics m;
    bool ok;
    char *err;                      /* the migration's error (its thread's err_msg) */
    struct spawn *ev;               /* virsh event --loop --all, or NULL */
    struct strbuf ev_out;
    double done_at;                 /* when the migration's call returned */
    struct run_tl_last *last;       /* the nest's last result (run_tl.h) */
};

/* The result of the nest's migration that finished last (run_tl.h).  Written and read
 * by the test's thread only: each hop notes itself after its own thread was joined. */
struct run_tl_last {
    bool set;
    double at;
    unsigned n;
    bool ok;
    struct be_hop_metrics m;
};

/* Hop n's result into last unless one that finished later is there. */
static void tl_last_note(struct run_tl_last *last, double at, unsigned n, bool ok,
                         const struct be_hop_metrics *m)
{
    if (last->set && last->at > at)
        return;
    *last = (struct run_tl_last){ .set = true, .at = at, .n = n, .ok = ok, .m = *m };
}

/* ---- the steps ------------------------------------------------------------------ */

typedef enum mig_tl_verdict (*tl_step_fn)(struct tl_run *t, const struct mig_action *a,
                                          struct strbuf *why);

/* text split at blanks, every word kept (params_split drops repeated words: "0 0"
 * would lose a column).  NULL-terminated; params_strv_free(). */
static char **tl_split(const char *text)
{
    size_t n = 0;
    char **w = xcalloc(strlen(text ? text : "") / 2 + 2, sizeof(*w));
    for (const char *s = text ? text : ""; *s;) {
        s += strspn(s, " \t\r\n");
        size_t len = strcspn(s, " \t\r\n");
        if (len)
            w[n++] = xasprintf("%.*s", (int)len, s);
        s += len;
    }
    return w;
}

/* The argument words of a '%s ...' func_param, the main VM's name filled in. */
static char **tl_words(struct tl_run *t, const struct mig_action *a)
{
    char *text = mig_act_text(a, t->view);
    char **w = tl_split(text);
    free(text);
    return w;
}

/* `virsh CMD ARGS` on host h, its exit status only logged: avocado-vt's virsh.* calls
 * ignore it (ignore_status defaults to True); the migration's verdict says what it did. */
static enum mig_tl_verdict tl_virsh(struct tl_run *t, int h, const char *cmd, char **args,
                                    struct strbuf *why)
{
    size_t n = params_strv_len(args);
    const char **words = xcalloc(n + 2, sizeof(*words));
    struct run_virsh r = RUN_VIRSH_INIT;
    words[0] = cmd;
    for (size_t k = 0; k < n; k++)
        words[k + 1] = args[k];
    int rc = run_virsh_words(t->ctx, h, words, &r);
    if (rc < 0)
        strbuf_addf(why, "virsh %s: %s", cmd, err_msg());
    run_virsh_release(&r);
    free(words);
    return rc < 0 ? MIG_TL_ERROR : MIG_TL_OK;
}

static enum mig_tl_verdict step_virsh_src(struct tl_run *t, const struct mig_action *a,
                                          struct strbuf *why, const char *cmd)
{
    if (a->arg != MIG_ARG_TEXT && a->arg != MIG_ARG_NONE) {
        strbuf_addf(why, "its func_param is not the domain's words");
        return MIG_TL_ERROR;
    }
    char **args = a->arg == MIG_ARG_TEXT ? tl_words(t, a) : NULL;
    char *dom[] = { (char *)t->h->vms->vm[t->h->vm].domain, NULL };
    enum mig_tl_verdict v = tl_virsh(t, t->h->from, cmd, args ? args : dom, why);
    params_strv_free(args);
    return v;
}

/* virsh.domjobabort(vm_name): the source's job. */
static enum mig_tl_verdict step_jobabort(struct tl_run *t, const struct mig_action *a,
                                         struct strbuf *why)
{
    return step_virsh_src(t, a, why, "domjobabort");
}

static enum mig_tl_verdict step_destroy(struct tl_run *t, const struct mig_action *a,
                                        struct strbuf *why)
{
    if (a->arg == MIG_ARG_DICT)
        return run_tl_destroy_dict(t, a, why);
    return step_virsh_src(t, a, why, "destroy");
}

static enum mig_tl_verdict step_postcopy(struct tl_run *t, const struct mig_action *a,
                                         struct strbuf *why)
{
    return step_virsh_src(t, a, why, "migrate-postcopy");
}

/* `virsh CMD DOMAIN WORDS...` on the source, its exit status and stdout back (-1: it
 * could not be run, why set). */
static int tl_virsh_dom(struct tl_run *t, const char *cmd, const char *const *more,
                        struct run_virsh *r, struct strbuf *why)
{
    const char *words[8] = { cmd, t->h->vms->vm[t->h->vm].domain };
    for (size_t k = 0; more && more[k] && k + 3 < ARRAY_SIZE(words); k++)
        words[k + 2] = more[k];
    if (run_virsh_words(t->ctx, t->h->from, words, r) < 0) {
        strbuf_addf(why, "virsh %s: %s", cmd, err_msg());
        return -1;
    }
    return 0;
}

/* virsh migrate-setspeed DOMAIN SPEED [--postcopy], ignore_status=False as
 * avocado-vt's control_migrate_speed and tp-libvirt's set_bandwidth call it: a
 * refusal is the test's ERROR (CmdError). */
static enum mig_tl_verdict tl_setspeed(struct tl_run *t, const char *speed, bool postcopy,
                                       struct strbuf *why)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *more[] = { speed, postcopy ? "--postcopy" : NULL, NULL };
    enum mig_tl_verdict v = MIG_TL_OK;
    if (tl_virsh_dom(t, "migrate-setspeed", more, &r, why) < 0)
        v = MIG_TL_ERROR;
    else if (r.status) {
        strbuf_addf(why, "virsh migrate-setspeed %s%s: exit %d: %s", speed,
                    postcopy ? " --postcopy" : "", r.status, r.err.buf);
        v = MIG_TL_ERROR;
    }
    run_virsh_release(&r);
    return v;
}

/* tp-libvirt's set_migrate_speed_to_high(params): migrate_speed_high (precopy, and
 * postcopy too when the case has postcopy_options). */
static enum mig_tl_verdict step_speed_high(struct tl_run *t, const struct mig_action *a,
                                           struct strbuf *why)
{
    const char *high = params_get_or(t->view, "migrate_speed_high", "8796093022207");
    const char *pc = params_get(t->view, "postcopy_options");
    (void)a;
    enum mig_tl_verdict v = tl_setspeed(t, high, false, why);
    if (v == MIG_TL_OK && pc && *pc)
        v = tl_setspeed(t, high, true, why);
    return v;
}

/* tp-libvirt's set_bandwidth(params): postcopy_bandwidth (--postcopy), then
 * precopy_bandwidth. */
static enum mig_tl_verdict step_set_speed(struct tl_run *t, const struct mig_action *a,
                                          struct strbuf *why)
{
    const char *post = params_get(t->view, "postcopy_bandwidth");
    const char *pre = params_get(t->view, "precopy_bandwidth");
    enum mig_tl_verdict v = MIG_TL_OK;
    if (a->arg != MIG_ARG_PARAMS && a->arg != MIG_ARG_NONE) {
        strbuf_addf(why, "its func_param is not params");
        return MIG_TL_ERROR;
    }
    if (post && *post)
        v = tl_setspeed(t, post, true, why);
    if (v == MIG_TL_OK && pre && *pre)
        v = tl_setspeed(t, pre, false, why);
    return v;
}

/* tp-libvirt's set_maxdowntime_during_mig(params): migrate-setmaxdowntime to
 * compared_value, read back with migrate-getmaxdowntime; either not so is a FAIL. */
static enum mig_tl_verdict step_maxdowntime(struct tl_run *t, const struct mig_action *a,
                                            struct strbuf *why)
{
    const char *value = params_get_or(t->view, "compared_value", "");
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *more[] = { value, NULL };
    enum mig_tl_verdict v = MIG_TL_OK;
    (void)a;
    if (tl_virsh_dom(t, "migrate-setmaxdowntime", more, &r, why) < 0)
        v = MIG_TL_ERROR;
    else if (r.status) {
        strbuf_addstr(why, "Set maxdowntime during migration failed.");
        v = MIG_TL_FAIL;
    } else if (tl_virsh_dom(t, "migrate-getmaxdowntime", NULL, &r, why) < 0)
        v = MIG_TL_ERROR;
    else {
        size_t len = r.out.len;
        while (len && strchr(" \t\r\n", r.out.buf[len - 1]))
            len--;
        const char *s = r.out.buf + strspn(r.out.buf, " \t\r\n");
        len -= (size_t)(s - r.out.buf);
        if (len != strlen(value) || strncmp(s, value, len)) {
            strbuf_addf(why, "Get maxdowntime error: %.*s", (int)len, s);
            v = MIG_TL_FAIL;
        }
    }
    run_virsh_release(&r);
    return v;
}

/* The capture group 1 of re in the first line of text that matches (*cap gets it, may
 * be NULL), or the count of matching lines: netstat's lines searched as avocado-vt does
 * (Python's '.' stops at a newline). */
static long tl_lines_match(const char *re, const char *text, char **cap)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &ec, &off,
                                     NULL);
    if (!code)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    long count = 0;
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n");
        if (pcre2_match(code, (PCRE2_SPTR)line, len, 0, 0, md, NULL) >= 0) {
            if (cap && !count) {
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                *cap = pcre2_get_ovector_count(md) > 1 && ov[2] != PCRE2_UNSET
                       ? xasprintf("%.*s", (int)(ov[3] - ov[2]), line + ov[2]) : NULL;
            }
            count++;
        }
        line += len + (line[len] == '\n');
    }
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    return count;
}

/* ss's "[::ffff:1.2.3.4]:49152" as netstat prints it, "::ffff:1.2.3.4:49152" (the
 * configs' patterns look for "IP:PORT"); "1.2.3.4:22" as is. */
static void tl_netstat_addr(const char *w, struct strbuf *out)
{
    const char *close = w[0] == '[' ? strstr(w, "]:") : NULL;
    if (close)
        strbuf_addf(out, "%.*s%s", (int)(close - w - 1), w + 1, close + 1);
    else
        strbuf_addstr(out, w);
}

void run_tl_ss_netstat(const char *ss, struct strbuf *out)
{
    /* ss -H with a state filter: Recv-Q Send-Q Local Peer [users:(("prog",pid=N,fd=M))] */
    for (const char *l = ss; *l;) {
        size_t len = strcspn(l, "\n");
        char *line = xasprintf("%.*s", (int)len, l);
        char **w = tl_split(line);
        if (params_strv_len(w) >= 4) {
            const char *users = params_strv_len(w) >= 5 ? w[4] : "";
            const char *q = strstr(users, "((\"");
            const char *pid = strstr(users, "pid=");
            size_t plen = q ? strcspn(q + 3, "\"") : 0;
            bool v6 = w[2][0] == '[';
            strbuf_addstr(out, v6 ? "tcp6 0 0 " : "tcp 0 0 ");
            tl_netstat_addr(w[2], out);
            strbuf_addch(out, ' ');
            tl_netstat_addr(w[3], out);
            strbuf_addf(out, " ESTABLISHED %ld/%.*s\n", pid ? strtol(pid + 4, NULL, 10) : 0L,
                        (int)plen, q ? q + 3 : "");
        }
        params_strv_free(w);
        free(line);
        l += len + (l[len] == '\n');
    }
}

/* The host's established TCP connections as netstat -tunap prints them ("LOCAL PEER
 * ESTABLISHED PID/PROGRAM"), from ss (netstat is not on every host), so avocado-vt's
 * patterns read them unchanged. */
static int tl_established(struct tl_run *t, int host, struct strbuf *out)
{
    struct virt_host *link = run_host_link(t->ctx, host);
    struct strbuf ss = STRBUF_INIT;
    if (!link || virt_host_run(link, (const char *[]){ "ss", "-tnpH", "state", "established",
                               NULL }, TL_CMD_TIMEOUT_S, &ss, NULL, NULL) < 0) {
        strbuf_release(&ss);
        return -1;
    }
    run_tl_ss_netstat(ss.buf, out);
    strbuf_release(&ss);
    run_log(t->ctx, "established TCP connections on %s:\n%s", t->ctx->hosts[host].name,
            out->buf);
    return 0;
}

/* avocado-vt's libvirt_network.check_established(params): a connection of the
 * hypervisor's process to the destination's address on the migration port, on the
 * destination or (check_local_port) the source; returns the port. */
static enum mig_tl_verdict step_established(struct tl_run *t, const struct mig_action *a,
                                            struct strbuf *why)
{
    const struct params *p = t->view;
    const char *port = params_get_or(p, "port_to_check", "4915");
    bool local = !strcmp(params_get_or(p, "check_local_port", "no"), "yes");
    const char *svc = params_get_or(p, "service_to_check", "qemu-kvm");
    const char *want_n = params_get(p, "expected_network_conn_num");
    const struct run_host *dst = &t->ctx->hosts[t->h->to];
    const char *ip = dst->address ? dst->address : dst->name;
    struct strbuf out = STRBUF_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    char *re = NULL, *cap = NULL;

    bool sock_done;
    enum mig_tl_verdict sv = run_tl_socknum_pre(t, a, why, &sock_done);
    if (sock_done)
        return sv;
    /* the QEMU of a RHEL host is qemu-kvm; Debian's is qemu-system-<arch> */
    char *svc_re = !strcmp(svc, "qemu-kvm") ? xstrdup("(?:qemu-kvm|qemu-system)")
                                            : xstrdup(svc);
    if (tl_established(t, local ? t->h->from : t->h->to, &out) < 0) {
        strbuf_addf(why, "%s", err_msg());
        v = MIG_TL_ERROR;
        goto out;
    }
    if (want_n) {
        re = xasprintf(".*%s.*%s.*ESTABLISHED.*%s.*", ip, port, svc_re);
        long n = tl_lines_match(re, out.buf, NULL);
        if (n != strtol(want_n, NULL, 10)) {
            strbuf_addf(why, "Failed to check network connection between src qemu and "
                        "target qemu: %ld found, %s expected", n, want_n);
            v = MIG_TL_FAIL;
            goto out;
        }
        if (n == 0)
            goto out;
        free(re);
    }
    if (strcmp(port, "4915"))
        re = xasprintf(".*%s.*%s.*ESTABLISHED.*%s.*", ip, port, svc_re);
    else
        re = xasprintf(".*%s:(\\d*).*ESTABLISHED.*%s.*", ip, svc_re);
    if (tl_lines_match(re, out.buf, &cap) <= 0) {
        strbuf_addf(why, "Pattern '%s' is not matched in '%s'", re, out.buf);
        v = MIG_TL_FAIL;
        goto out;
    }
    t->h->port = strtol(cap ? cap : port, NULL, 10);
    run_log(t->ctx, "check_established: port %ld", t->h->port);
out:
    free(cap);
    free(re);
    free(svc_re);
    strbuf_release(&out);
    return v;
}

/* avocado-vt's libvirt_service.kill_service(params): kill -9 of the daemon on the
 * source, or the destination with service_on_dst.  The lab's hosts run the monolithic
 * libvirtd, which is what virtqemud's jobs are on a modular host. */
static enum mig_tl_verdict step_kill_daemon(struct tl_run *t, const struct mig_action *a,
                                            struct strbuf *why)
{
    const char *svc = params_get_or(t->view, "service_name", "libvirtd");
    bool dst = !strcmp(params_get_or(t->view, "service_on_dst", "no"), "yes");
    int host = dst ? t->h->to : t->h->from;
    (void)a;
    if (!strcmp(svc, "qemu-kvm"))
        return run_tl_kill_qemu_service(t, a, why);
    if (strcmp(svc, "libvirtd") && strcmp(svc, "virtqemud")) {
        strbuf_addf(why, "service_name = '%s': only libvirtd (virtqemud) is built", svc);
        return MIG_TL_ERROR;
    }
    struct virt_host *link = t->h->ops ? run_host_link(t->ctx, host) : NULL;
    if (!link) {
        strbuf_addf(why, "%s", t->h->ops ? err_msg() : "no host record for a daemon kill");
        return MIG_TL_ERROR;
    }
    if (virt_hostop_daemon(t->h->ops, link, "libvirtd", VIRT_DAEMON_KILL, "KILL") < 0) {
        strbuf_addf(why, "%s", err_msg());
        return MIG_TL_ERROR;
    }
    t->h->killed = host;
    run_log(t->ctx, "libvirtd killed (SIGKILL) on %s", t->ctx->hosts[host].name);
    return MIG_TL_OK;
}

/* migration_base.do_common_check(params): job info, states, statistics
 * (runner/run_base.h). */
static enum mig_tl_verdict step_common_check(struct tl_run *t, const struct mig_action *a,
                                             struct strbuf *why)
{
    (void)a;
    return run_base_common_check(t->ctx, t->h->from, t->h->to,
                                 t->h->vms->vm[t->h->vm].domain, t->view, why);
}

/* migration_base.do_domjobabort(params): virsh domjobabort [domjobabort_options] on the
 * source (domjobabort_on_src) or the destination; it must succeed, or fail with
 * domjobabort_err_msg when that is set (libvirt.check_result). */
static enum mig_tl_verdict step_jobabort_params(struct tl_run *t, const struct mig_action *a,
                                                struct strbuf *why)
{
    const struct params *p = t->view;
    bool src = !strcmp(params_get_or(p, "domjobabort_on_src", "no"), "yes");
    const char *want_err = params_get(p, "domjobabort_err_msg");
    char **extra = tl_split(params_get_or(p, "domjobabort_options", ""));
    size_t n = params_strv_len(extra);
    const char **words = xcalloc(n + 3, sizeof(*words));
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    (void)a;
    words[0] = "domjobabort";
    words[1] = t->h->vms->vm[t->h->vm].domain;
    for (size_t k = 0; k < n; k++)
        words[k + 2] = extra[k];
    if (run_virsh_words(t->ctx, src ? t->h->from : t->h->to, words, &r) < 0) {
        strbuf_addf(why, "virsh domjobabort: %s", err_msg());
        v = MIG_TL_ERROR;
    } else if (want_err && *want_err ? !r.status || !strstr(r.err.buf, want_err) : r.status) {
        strbuf_addf(why, "virsh domjobabort on the %s: exit %d: %s%s", src ? "source"
                    : "destination", r.status, r.err.buf,
                    want_err && *want_err ? " (expected to fail with that)" : "");
        v = MIG_TL_FAIL;
    }
    run_virsh_release(&r);
    free(words);
    params_strv_free(extra);
    return v;
}

/* The steps vtrun runs, by the vocabulary of migration/mig_act.h; a row with a func
 * runs only that func of the step (the others of the step read their argument
 * otherwise and are not built). */
static const struct {
    enum mig_step step;
    tl_step_fn fn;
    const char *func;
} tl_steps[] = {
    { MIG_STEP_CHECK_ESTABLISHED, step_established, "libvirt_network.check_established" },
    { MIG_STEP_JOB_ABORT, step_jobabort, NULL },
    { MIG_STEP_DESTROY, step_destroy, NULL },
    { MIG_STEP_SWITCH_POSTCOPY, step_postcopy, NULL },
    { MIG_STEP_KILL_DAEMON, step_kill_daemon, NULL },
    { MIG_STEP_SPEED_HIGH, step_speed_high, NULL },
    { MIG_STEP_SET_SPEED, step_set_speed, "set_bandwidth" },
    { MIG_STEP_SET_MAXDOWNTIME, step_maxdowntime, "set_maxdowntime_during_mig" },
    /* migrate_options_shared's action words (runner/run_tl_mos.c) */
    { MIG_STEP_CHECK_ESTABLISHED, run_tl_mos_established, "mos.checkestablished" },
    { MIG_STEP_SET_MAXDOWNTIME, run_tl_mos_maxdowntime, "mos.setmaxdowntime" },
    { MIG_STEP_JOBINFO_CHECK, run_tl_mos_jobinfo, "mos.domjobinfo" },
    { MIG_STEP_SET_SPEED, run_tl_mos_setspeed, "mos.setspeed" },
    { MIG_STEP_SWITCH_POSTCOPY_WAIT, run_tl_mos_postcopy, "mos.setmigratepostcopy" },
    { MIG_STEP_STATISTICS, run_tl_mos_domstats, "mos.checkdomstats" },
    { MIG_STEP_SUSPEND, run_tl_mos_suspend, "mos.suspendvm" },
    { MIG_STEP_KILL_QEMU, run_tl_mos_kill_qemu, "mos.killqemutarget" },
    { MIG_STEP_STATE_CHECK, run_tl_mos_timeout_postcopy, "mos.timeout_postcopy" },
    { MIG_STEP_FIREWALL_ADD, run_tl_mos_drop_network, "mos.drop_network_connection" },
    { MIG_STEP_COMMON_CHECK, step_common_check, "do_common_check" },
    { MIG_STEP_JOB_ABORT_PARAMS, step_jobabort_params, "do_domjobabort" },
    { MIG_STEP_CHECK_SOCKETS, run_tl_tcp_sockets, NULL },
    { MIG_STEP_STATE_CHECK, run_tl_perf_vm_status, "check_vm_status_during_mig" },
    { MIG_STEP_COMPCACHE, run_tl_perf_compcache, "virsh.migrate_compcache" },
    { MIG_STEP_MEMLOCK_CHECK, run_tl_perf_memlock, "check_qemu_mem_lock_hard_limit" },
    { MIG_STEP_JOBINFO_CHECK, run_tl_perf_jobinfo, "check_domjobinfo_during_mig" },
    { MIG_STEP_AUTOCONVERGE_CHECK, run_tl_autoconv_check, "check_auto_converge_during_mig" },
    { MIG_STEP_CHECK_LISTEN, run_tl_unix_sockets, "check_socket" },
    { MIG_STEP_BLOCKJOB_CHECK, run_tl_bw_blockjob_check, "libvirt_disk.check_item_by_blockjob" },
    { MIG_STEP_BLOCKJOB, run_tl_bw_blockjob, "virsh.blockjob" },
    { MIG_STEP_JOBINFO_PRECOPY, run_tl_bw_jobinfo_precopy, "check_domjobinfo_precopy" },
    /* migrate_bandwidth's and migrate_storage's funcs (runner/run_tl_stor.c) */
    { MIG_STEP_JOBINFO_CHECK, run_tl_stor_check_bandwidth, "stor.check_bandwidth" },
    /* libvirt_network's firewall rules (runner/run_tl_fw.c) */
    { MIG_STEP_FIREWALL_ADD, run_tl_fw_setup, "libvirt_network.setup_firewall_rule" },
    { MIG_STEP_FIREWALL_REMOVE, run_tl_fw_cleanup, "libvirt_network.cleanup_firewall_rule" },
    /* migration_base's guest poweroff and statistics commands (runner/run_tl_guest.c) */
    { MIG_STEP_POWEROFF, run_tl_guest_poweroff, "poweroff_vm" },
    { MIG_STEP_STATISTICS, run_tl_guest_statistics, "execute_statistics_command" },
    /* pause_resume_vm_during_migration's suspend and resumes (runner/run_tl_pause.c) */
    { MIG_STEP_SUSPEND, run_tl_pause_suspend, "virsh.suspend" },
    { MIG_STEP_CHECK_RESUME, run_tl_pause_check_resume, "check_resume" },
    /* a migration as an action of the running one (runner/run_tl_nested.c) */
    { MIG_STEP_MIGRATE, run_tl_nested_migrate, "do_migration" },
    { MIG_STEP_RESUME_AGAIN, run_tl_nested_resume_again, "resume_migration_again" },
    /* libvirt_service.control_service (runner/run_tl_daemon.c) */
    { MIG_STEP_CONTROL_DAEMON, run_tl_control_service, "libvirt_service.control_service" },
    /* libvirt_monitor.check_domjobinfo_output (runner/run_tl_jobinfo.c) */
    { MIG_STEP_JOBINFO_OUTPUT, run_tl_jobinfo_output, "libvirt_monitor.check_domjobinfo_output" },
    /* migration_base.destroy_dest_vm (runner/run_tl_dest.c) */
    { MIG_STEP_DESTROY_DEST, run_tl_destroy_dest, "destroy_dest_vm" },
};

static tl_step_fn tl_step_fn_of(const struct mig_action *a)
{
    for (size_t k = 0; k < ARRAY_SIZE(tl_steps); k++)
        if (tl_steps[k].step == a->step &&
            (!tl_steps[k].func || !strcmp(tl_steps[k].func, a->func)))
            return tl_steps[k].fn;
    return NULL;
}

bool run_tl_action_built(const struct mig_action *a)
{
    return tl_step_fn_of(a) != NULL;
}

const char *run_tl_actions_unbuilt(const struct params *p, const char *key)
{
    struct mig_actions acts;
    const char *bad = NULL;
    if (mig_act_parse(params_get(p, key), &acts) < 0)
        return NULL;
    for (size_t k = 0; k < acts.n && !bad; k++)
        if (!run_tl_action_built(&acts.a[k]))
            bad = acts.a[k].func;
    mig_act_release(&acts);
    return bad;
}

static const char *const tl_action_params[] = { "action_during_mig",
                                                "action_during_mig_again",
                                                "action_during_do_mig" };

bool run_tl_any_action_unbuilt(const struct params *p)
{
    for (size_t k = 0; k < ARRAY_SIZE(tl_action_params); k++)
        if (run_tl_actions_unbuilt(p, tl_action_params[k]))
            return true;
    return false;
}

int run_tl_unbuilt_verdict(const char *type, const char *param, const char *val,
                           const struct params *p)
{
    if (param) {
        err_set("%s = '%s': vtrun does not build this setup of tp-libvirt's %s yet", param,
                val, type);
        return -1;
    }
    for (size_t k = 0; k < ARRAY_SIZE(tl_action_params); k++) {
        const char *func = run_tl_actions_unbuilt(p, tl_action_params[k]);
        if (func) {
            err_set("%s: vtrun has no step for func '%s' during a migration yet",
                    tl_action_params[k], func);
            return -1;
        }
    }
    return 1;
}

/* What a step of another file reads of its run (runner/run_tl.h). */
struct run_ctx *run_tl_run_ctx(struct tl_run *t)
{
    return t->ctx;
}

struct run_tl_hop *run_tl_run_hop(struct tl_run *t)
{
    return t->h;
}

struct params *run_tl_run_params(struct tl_run *t)
{
    return t->view;
}

struct run_tl_last *run_tl_run_last(struct tl_run *t)
{
    return t->last;
}

/* ---- the engine's callbacks ------------------------------------------------------ */

static int cb_migrate(void *ud)
{
    struct tl_run *t = ud;
    t->ok = virt_vms_migrate(t->h->vms, t->h->vm, t->h->to, &t->mo, &t->m) == 0;
    t->done_at = clock_now();
    if (!t->ok)
        t->err = xstrdup(err_msg());
    return t->ok ? 0 : -1;
}

static void cb_cancel(void *ud)
{
    struct tl_run *t = ud;
    atomic_store(&t->stop, true);
}

static int cb_dest_state(void *ud, const char *state)
{
    struct tl_run *t = ud;
    const char *name = mig_opts_param_value(&t->mo, BE_MP_DEST_NAME);
    const char *words[] = { "domstate", name ? name : t->h->vms->vm[t->h->vm].domain, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int is = 0;
    if (run_virsh_words(t->ctx, t->h->to, words, &r) == 0 && r.status == 0) {
        size_t len = r.out.len;
        while (len && strchr(" \t\r\n", r.out.buf[len - 1]))
            len--;
        is = len == strlen(state) && !strncmp(r.out.buf, state, len);
    }
    run_virsh_release(&r);
    return is;
}

static enum mig_tl_verdict cb_step(void *ud, const struct mig_action *a, struct strbuf *why)
{
    struct tl_run *t = ud;
    tl_step_fn fn = tl_step_fn_of(a);
    if (!fn) {
        strbuf_addf(why, "step %s: not built yet", mig_act_step_name(a->step));
        return MIG_TL_ERROR;
    }
    return fn(t, a, why);
}

static void cb_events(void *ud, struct strbuf *out)
{
    struct tl_run *t = ud;
    if (t->ev)
        spawn_pump(t->ev, 0);
    strbuf_add(out, t->ev_out.buf, t->ev_out.len);
}

static bool cb_should_stop(void *ud)
{
    struct tl_run *t = ud;
    return run_should_stop(t->ctx);
}

static void cb_log(void *ud, const char *line)
{
    struct tl_run *t = ud;
    run_log(t->ctx, "%s", line);
}

/* ---- the hop ------------------------------------------------------------------- */

static bool tl_wants_events(const struct mig_actions *acts)
{
    for (size_t k = 0; acts && k < acts->n; k++)
        if (acts->a[k].after_event || acts->a[k].before_event)
            return true;
    return false;
}

/* avocado-vt's virsh event --loop --all session on the source (its client URI, from
 * this machine), line-buffered so each event is read as it comes. */
static int tl_events_start(struct tl_run *t)
{
    t->ev = spawn_newv((const char *[]){ "stdbuf", "-oL", "virsh", "-c",
                                         t->ctx->hosts[t->h->from].uri, "event", "--loop",
                                         "--all", NULL });
    spawn_set_output(t->ev, &t->ev_out, NULL);
    spawn_set_pdeathsig(t->ev, SIGKILL);
    if (spawn_start(t->ev) < 0) {
        spawn_free(t->ev);
        t->ev = NULL;
        return -1;
    }
    /* its connection is made before the migration starts: events are not replayed */
    for (int k = 0; k < 10; k++)
        spawn_pump(t->ev, 100);
    return 0;
}

static void tl_events_stop(struct tl_run *t)
{
    if (!t->ev)
        return;
    spawn_pump(t->ev, 200);
    spawn_stop(t->ev, 1);
    spawn_free(t->ev);
    t->ev = NULL;
    run_log(t->ctx, "events on %s during hop %u:\n%s", t->ctx->hosts[t->h->from].name,
            t->h->n, t->ev_out.buf);
}

/* EventTracker.wait_event's wait: 1 when re matched the source's events within
 * seconds, 0 not, -1 (err) a bad regex. */
static int tl_wait_event(struct tl_run *t, const char *re, double seconds)
{
    double end = clock_now() + seconds;
    for (;;) {
        int seen = mig_tl_search(re, t->ev_out.buf ? t->ev_out.buf : "");
        if (seen != 0 || clock_now() >= end || run_should_stop(t->ctx))
            return seen;
        spawn_pump(t->ev, 200);
    }
}

/* A failed peer-to-peer hop in the lab reports libvirt's last error, the dropped
 * connection between the daemons ("End of file while reading data"), where two real
 * hosts report why the job ended ("operation aborted: job 'migration out' canceled by
 * client"); virt_vms_migrate put the source daemon's first error in its message as
 * "(libvirtd on HOST: WHY)".  WHY goes to the error text too, as a second "error: "
 * line, so err_msg is matched against both. */
static void tl_daemon_error(struct tl_run *t)
{
    const char *p = t->err ? strstr(t->err, "(libvirtd on ") : NULL;
    const char *why = p ? strstr(p, ": ") : NULL;
    if (!why || strstr(t->m.hv_error, why + 2))
        return;
    size_t len = strlen(why + 2);
    if (len && why[2 + len - 1] == ')')
        len--;
    size_t used = strlen(t->m.hv_error);
    snprintf(t->m.hv_error + used, sizeof(t->m.hv_error) - used, "\nerror: %.*s", (int)len,
             why + 2);
}

int run_tl_hop(struct run_ctx *ctx, struct run_tl_hop *h)
{
    struct run_tl_last own = { 0 };
    struct tl_run t = { .ctx = ctx, .h = h, .ev_out = STRBUF_INIT,
                        .last = h->last ? h->last : &own };
    const char *dom = h->vms->vm[h->vm].domain;
    struct mig_tl_result res;
    int rc;

    h->port = 0;
    h->migrated = false;
    h->killed = -1;
    t.view = params_dup(ctx->params);
    params_set(t.view, "migrate_main_vm", dom);
    params_set(t.view, "main_vm", dom);
    t.mo = *h->opts;
    /* the words are virsh's: its --timeout alone suspends the guest (virsh's default
     * action), where vtrun's own default aborts (backends/be.h) */
    if (t.mo.timeout_s > 0 && t.mo.timeout_action == BE_TIMEOUT_DEFAULT)
        t.mo.timeout_action = BE_TIMEOUT_SUSPEND;
    atomic_init(&t.stop, false);
    t.mo.cancel = &t.stop;
    double bound = clock_now() + TL_THREAD_TIMEOUT_S;
    t.mo.hard_deadline = ctx->deadline > 0 && ctx->deadline < bound ? ctx->deadline : bound;

    char *fmt = mig_opts_format(&t.mo);
    run_log(ctx, "hop %u: virsh migrate %s %s (%s -> %s), %zu action(s) during it", h->n,
            h->vms->vm[h->vm].name, fmt, ctx->hosts[h->from].name, ctx->hosts[h->to].name,
            h->acts ? h->acts->n : 0);
    free(fmt);
    if ((tl_wants_events(h->acts) || h->wait_event) && tl_events_start(&t) < 0) {
        rc = run_error(ctx, "TestSetupError", "virsh event on %s: %s",
                       ctx->hosts[h->from].name, err_msg());
        goto out;
    }
    const struct mig_tl_ops ops = {
        .ud = &t, .migrate = cb_migrate, .cancel = cb_cancel, .dest_state = cb_dest_state,
        .step = cb_step, .events = t.ev ? cb_events : NULL, .should_stop = cb_should_stop,
        .log = cb_log,
    };
    const struct mig_tl_conf conf = {
        .start_state = params_get_or(ctx->params, "migrate_start_state", "paused"),
        .settle_s = -1, .poll_s = 0.5,
    };
    if (mig_timeline_run(&conf, h->acts, &ops, &res) < 0) {
        tl_events_stop(&t);
        rc = run_error(ctx, "ThreadError", "%s", err_msg());
        goto out;
    }
    int seen = h->wait_event ? tl_wait_event(&t, h->wait_event, h->wait_event_s) : 1;
    tl_events_stop(&t);
    /* the wait wraps the migration: its ERROR comes before the hop is judged */
    if (seen < 0)
        run_error(ctx, "ConfigError", "event_type: %s", err_msg());
    else if (seen == 0)
        run_error(ctx, "TestError", "Not found event %s after %g seconds", h->wait_event,
                  h->wait_event_s);
    if (!t.ok) {
        run_log(ctx, "hop %u: %s", h->n, t.err ? t.err : "failed");
        tl_daemon_error(&t);
    }
    h->migrated = t.ok;
    if (res.verdict != MIG_TL_OK) {
        /* the action's verdict is the test's; the hop is recorded as it went */
        rc = res.verdict == MIG_TL_FAIL ? run_fail(ctx, "MigrationActionFailed", "%s", res.why)
                                        : run_error(ctx, "MigrationActionError", "%s", res.why);
        struct strbuf text = STRBUF_INIT;
        if (!t.ok)
            mig_virsh_error(t.m.hv_error, &text);
        virt_vms_record_hop(h->vms, h->vm, h->n, h->from, h->to, &t.m, t.ok,
                            t.ok ? NULL : text.buf);
        strbuf_release(&text);
    } else {
        /* check_result reads MigrationTest.ret: the nest's last migration's result */
        const struct run_tl_last *last = t.last;
        bool later = last->set && last->at > t.done_at;
        if (later)
            run_log(ctx, "hop %u is judged by hop %u's result (%s): it finished later, and "
                    "avocado-vt's MigrationTest.ret is the last migration's", h->n, last->n,
                    last->ok ? "migrated" : "failed");
        rc = run_mig_hop_judge(ctx, h->vms, h->vm, h->from, h->to, h->n, h->expect,
                               later ? last->ok : t.ok, later ? &last->m : &t.m);
    }
    tl_last_note(t.last, t.done_at, h->n, t.ok, &t.m);
    mig_tl_result_release(&res);
    if (seen <= 0)
        rc = -1;
out:
    free(t.err);
    strbuf_release(&t.ev_out);
    params_free(t.view);
    return rc;
}

int run_tl_guest_stress(struct run_ctx *ctx, struct virt_vms *vms, size_t i, const char *tool,
                        const char *args)
{
    struct mig_meminfo mi = { 0 };
    struct strbuf out = STRBUF_INIT;
    char *script = NULL;
    int status = -1, rc;

    char **argv = mig_stress_argv(tool, args, NULL, &mi, 0, true);
    if (argv)
        script = mig_stress_start_script(argv, "vtrun-tl");
    if (!script || virt_vms_exec(vms, i, script, 60, &out, &status) < 0)
        rc = run_error(ctx, "StressError", "stress in the guest: %s", err_msg());
    else if (status || !strstr(out.buf, "started"))
        rc = run_error(ctx, "StressError", "stress in the guest: exit %d: %s", status,
                       out.buf);
    else {
        run_log(ctx, "stress in the guest: %s %s", tool, args ? args : "");
        rc = 0;
    }
    mig_stress_argv_free(argv);
    free(script);
    strbuf_release(&out);
    return rc;
}

int run_tl_start_on_source(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    enum be_state st = BE_STATE_NONE;
    bool persistent = false;
    if (virt_vms_domain(vms, 0, vms->vm[i].domain, &st, &persistent) < 0)
        return run_error(ctx, "VMCreateError", "the source's domain: %s", err_msg());
    if (st == BE_STATE_RUNNING)
        return 0;
    int rc = st == BE_STATE_NONE ? virt_vms_start(vms, i, 0) : virt_vms_start_defined(vms, i, 0);
    if (rc < 0)
        return run_error(ctx, "VMCreateError", "start again on the source: %s", err_msg());
    run_log(ctx, "%s started again on %s", vms->vm[i].domain, ctx->hosts[0].name);
    return 0;
}
