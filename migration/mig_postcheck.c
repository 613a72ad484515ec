/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Post-migration checks, one table run in order (migration/mig.h). */
#include "migration/mig.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "virt/virt.h"


/* Our own names (be.h's state_name() is newer than this file's base). */
static const char *state_name(enum be_state s)
{
    switch (s) {
    case BE_STATE_NONE: return "gone";
    case BE_STATE_RUNNING: return "running";
    case BE_STATE_PAUSED: return "paused";
    case BE_STATE_SHUTOFF: return "shut off";
    case BE_STATE_CRASHED: return "crashed";
    default: return "in another state";
    }
}

void mig_pc_opts_default(struct mig_pc_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->dest_state = BE_STATE_RUNNING;
    o->check_dmesg = true;
    o->check_ping = true;
    o->ping_count = 3;
    o->check_disk = true;
    o->disk_file = "/tmp/vtrun_disk_check";
    o->retries = 3;
    o->retry_delay_s = 1.0;
    o->login_timeout_s = 60;
    o->cmd_timeout_s = 30;
}

const struct params_word mig_pc_state_words[] = {
    { "running", BE_STATE_RUNNING },
    { "paused", BE_STATE_PAUSED },
    { "shut off", BE_STATE_SHUTOFF },
    { "shutoff", BE_STATE_SHUTOFF },
    { NULL, 0 },
};

int mig_dmesg_scan(const char *text, int max_level, const char *expected_re,
                    struct strbuf *bad)
{
    pcre2_code *re = NULL;
    pcre2_match_data *md = NULL;
    int n = 0;
    if (expected_re && *expected_re) {
        int ec;
        PCRE2_SIZE off;
        re = pcre2_compile((PCRE2_SPTR)expected_re, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
        if (!re) {
            PCRE2_UCHAR buf[256];
            pcre2_get_error_message(ec, buf, sizeof(buf));
            err_set("expected_guest_dmesg: bad regex at %zu: %s", (size_t)off, (char *)buf);
            return -1;
        }
        md = pcre2_match_data_create_from_pattern(re, NULL);
    }
    const char *line = text;
    char *prev = NULL;          /* the line before, body only */
    bool prev_added = false;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *l = xstrndup(line, len);
        const char *body = l;
        int level = -1;
        if (l[0] == '<') {
            char *end;
            long v = strtol(l + 1, &end, 10);
            if (*end == '>') {
                level = (int)(v & 7);   /* facility * 8 + level */
                body = end + 1;
            }
        }
        bool crash = false;
        /* the console scan's markers: one definition of what a crash looks like
         * ("BUG:" also covers "watchdog: BUG: soft lockup") */
        for (size_t i = 0; virt_crash_markers[i] && !crash; i++)
            crash = strstr(body, virt_crash_markers[i]) != NULL;
        if (crash && max_level > 0 && level >= max_level)
            crash = false;
        if (crash && re && pcre2_match(re, (PCRE2_SPTR)body, strlen(body), 0, 0, md, NULL) >= 0)
            crash = false;
        if (crash) {
            /* a trace says what it is in the line before it ("WARNING: CPU: 0 PID: 1
             * at ...", "rcu: INFO: rcu_sched self-detected stall"): keep it as context */
            if (strstr(body, "Call Trace") && prev && !prev_added && *prev)
                strbuf_addf(bad, "%s\n", prev);
            strbuf_addf(bad, "%s\n", body);
            n++;
        }
        free(prev);
        prev = xstrdup(body);
        prev_added = crash;
        free(l);
        line = nl ? nl + 1 : NULL;
    }
    free(prev);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return n;
}

/* ---- the checks ------------------------------------------------------------------ */

static enum mig_pc_verdict pc_state(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                                     struct mig_pc_vm *vm, struct strbuf *msg)
{
    enum be_state dst, src;
    bool offline = o->mig_flags & BE_MIG_OFFLINE;
    enum be_state want = offline ? BE_STATE_SHUTOFF : o->dest_state;
    if (env->state(env->ud, vm->vm, vm->dst, &dst) < 0) {
        strbuf_addf(msg, "target state: %s", err_msg());
        return MIG_PC_RETRY;
    }
    if (dst != want) {
        strbuf_addf(msg, "%s on the target, expected %s", state_name(dst),
                    state_name(want));
        return MIG_PC_RETRY;
    }
    if (offline)
        return MIG_PC_PASS;    /* an offline migration copies the definition only */
    if (env->state(env->ud, vm->vm, vm->src, &src) < 0) {
        strbuf_addf(msg, "source state: %s", err_msg());
        return MIG_PC_RETRY;
    }
    bool ok = src == BE_STATE_NONE
              || (src == BE_STATE_SHUTOFF && !(o->mig_flags & BE_MIG_UNDEFINE_SOURCE));
    if (!ok) {
        strbuf_addf(msg, "%s on the source, expected %s", state_name(src),
                    o->mig_flags & BE_MIG_UNDEFINE_SOURCE ? "gone" : "gone or shut off");
        return MIG_PC_RETRY;
    }
    return MIG_PC_PASS;
}

static enum mig_pc_verdict pc_console(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                                       struct mig_pc_vm *vm, struct strbuf *msg)
{
    (void)o;
    int r = env->console_crash(env->ud, vm->vm);
    if (r == 1) {
        strbuf_addstr(msg, err_msg());
        return MIG_PC_FAIL;
    }
    if (r < 0) {
        strbuf_addf(msg, "cannot read the console: %s", err_msg());
        return MIG_PC_RETRY;
    }
    return MIG_PC_PASS;
}

static bool guest_checks(const struct mig_pc_opts *o)
{
    return !(o->mig_flags & BE_MIG_OFFLINE) && o->dest_state == BE_STATE_RUNNING;
}

static enum mig_pc_verdict pc_ssh(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                                   struct mig_pc_vm *vm, struct strbuf *msg)
{
    if (!guest_checks(o))
        return MIG_PC_SKIP;
    if (env->login(env->ud, vm->vm, o->login_timeout_s) == 0)
        return MIG_PC_PASS;
    char *why = xstrdup(err_msg());
    /* the console tells a dead guest from a broken network */
    int r = env->console_crash(env->ud, vm->vm);
    if (r == 1)
        strbuf_addf(msg, "no login, the guest died: %s", err_msg());
    else
        strbuf_addf(msg, "no login, the network failed (console shows no crash): %s", why);
    free(why);
    return MIG_PC_FAIL;        /* login already waited login_timeout_s */
}

static enum mig_pc_verdict pc_uptime(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                                      struct mig_pc_vm *vm, struct strbuf *msg)
{
    double up;
    if (!guest_checks(o))
        return MIG_PC_SKIP;
    if (env->uptime(env->ud, vm->vm, &up) < 0) {
        strbuf_addf(msg, "cannot read uptime: %s", err_msg());
        return MIG_PC_RETRY;
    }
    if (vm->uptime_before >= 0 && up < vm->uptime_before) {
        strbuf_addf(msg, "uptime %.2f s < %.2f s before the hop: the guest rebooted", up,
                    vm->uptime_before);
        return MIG_PC_FAIL;
    }
    vm->uptime_before = up;
    return MIG_PC_PASS;
}

static enum mig_pc_verdict pc_dmesg(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                                     struct mig_pc_vm *vm, struct strbuf *msg)
{
    struct strbuf out = STRBUF_INIT, bad = STRBUF_INIT;
    int status = -1;
    enum mig_pc_verdict v = MIG_PC_PASS;
    if (!o->check_dmesg || !guest_checks(o))
        return MIG_PC_SKIP;
    /* -r keeps the level, -c clears so the next hop judges only new lines */
    if (env->exec(env->ud, vm->vm, "dmesg -r -c 2>/dev/null || dmesg -c", o->cmd_timeout_s,
                  &out, &status) < 0 || status != 0) {
        strbuf_addf(msg, "cannot read dmesg: %s", status != 0 && status != -1
                    ? "dmesg failed" : err_msg());
        v = MIG_PC_RETRY;
        goto cleanup;
    }
    int n = mig_dmesg_scan(out.buf, o->dmesg_level, o->expected_dmesg, &bad);
    if (n < 0) {
        strbuf_addstr(msg, err_msg());
        v = MIG_PC_FAIL;
    } else if (n > 0) {
        strbuf_setlen(&bad, bad.len - 1);
        strbuf_addf(msg, "%d kernel crash line(s): %s", n, bad.buf);
        v = MIG_PC_FAIL;
    }
cleanup:
    strbuf_release(&out);
    strbuf_release(&bad);
    return v;
}

static enum mig_pc_verdict pc_ping(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                                    struct mig_pc_vm *vm, struct strbuf *msg)
{
    if (!o->check_ping || !env->ping || !guest_checks(o))
        return MIG_PC_SKIP;
    if (env->ping(env->ud, vm->vm, vm->dst, o->ping_count ? o->ping_count : 1) == 0)
        return MIG_PC_PASS;
    strbuf_addf(msg, "no answer to ping from the target host: %s", err_msg());
    return MIG_PC_RETRY;
}

static enum mig_pc_verdict pc_disk(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                                    struct mig_pc_vm *vm, struct strbuf *msg)
{
    if (!o->check_disk || !guest_checks(o))
        return MIG_PC_SKIP;
    struct strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;
    enum mig_pc_verdict v = MIG_PC_PASS;
    int status = -1;
    char *token = xasprintf("vtrun-disk-check-%s-%u-%ld", vm->name ? vm->name : "vm",
                            vm->serial, (long)time(NULL));
    /* the file name comes from params: single-quote it for the guest shell */
    strbuf_addstr(&cmd, "f=");
    strbuf_add_sq(&cmd, o->disk_file);
    /* the token holds the VM name, which comes from params too */
    strbuf_addstr(&cmd, "; echo ");
    strbuf_add_sq(&cmd, token);
    strbuf_addstr(&cmd, " >>\"$f\" && sync && "
                  "{ echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; tail -n 1 \"$f\"");
    if (env->exec(env->ud, vm->vm, cmd.buf, o->cmd_timeout_s, &out, &status) < 0) {
        strbuf_addf(msg, "cannot write %s: %s", o->disk_file, err_msg());
        v = MIG_PC_RETRY;
        goto cleanup;
    }
    while (out.len && (out.buf[out.len - 1] == '\n' || out.buf[out.len - 1] == '\r'))
        strbuf_setlen(&out, out.len - 1);
    if (status != 0 || strcmp(out.buf, token)) {
        strbuf_addf(msg, "wrote '%s' to %s, read back '%s' (exit %d)", token, o->disk_file,
                    out.buf, status);
        v = MIG_PC_FAIL;
    }
cleanup:
    free(token);
    strbuf_release(&cmd);
    strbuf_release(&out);
    return v;
}

/* The guest reaches out, not only the host in (openQA's test_guest_network): ping
 * from inside, to the gateway it routes through.  Bounded by ping's own -c and -W.
 * 0.2 s apart, as the host's ping check: ping's default second between packets made
 * this check 2 s of waiting per VM and hop (0.2 s is allowed to any user by iputils
 * and busybox). */
static enum mig_pc_verdict pc_gateway(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                                      struct mig_pc_vm *vm, struct strbuf *msg)
{
    if (!o->check_gateway || !guest_checks(o))
        return MIG_PC_SKIP;
    unsigned n = o->ping_count ? o->ping_count : 1;
    struct strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;
    int status = -1;
    enum mig_pc_verdict v = MIG_PC_PASS;
    if (o->gateway) {
        /* from params: single-quoted for the guest shell */
        strbuf_addstr(&cmd, "gw=");
        strbuf_add_sq(&cmd, o->gateway);
    } else {
        strbuf_addstr(&cmd, "gw=$(ip route 2>/dev/null | sed -n 's/^default via \\([^ ]*\\).*/\\1/p'"
                            " | head -n 1)");
    }
    strbuf_addf(&cmd, "; [ -n \"$gw\" ] || { echo 'no default route'; exit 2; };"
                " o=$(ping -c %u -i 0.2 -W 2 \"$gw\" 2>&1); r=$?; echo \"$gw: $o\" | tail -n 2;"
                " exit $r", n);
    if (env->exec(env->ud, vm->vm, cmd.buf, 5.0 + 3.0 * n, &out, &status) < 0) {
        strbuf_addf(msg, "cannot ping the gateway from the guest: %s", err_msg());
        v = MIG_PC_RETRY;
    } else if (status != 0) {
        while (out.len && strchr("\r\n", out.buf[out.len - 1]))
            strbuf_setlen(&out, out.len - 1);
        strbuf_addf(msg, "the guest does not reach its gateway %s: %s",
                    o->gateway ? o->gateway : "(default route)", out.buf);
        v = MIG_PC_RETRY;
    }
    strbuf_release(&cmd);
    strbuf_release(&out);
    return v;
}

const struct mig_postcheck mig_postchecks[] = {
    { "state",   pc_state,    NULL },
    { "console", pc_console,  NULL },
    { "ssh",     pc_ssh,      NULL },
    { "uptime",  pc_uptime,   NULL },
    { "dmesg",   pc_dmesg,    NULL },
    { "ping",    pc_ping,     "ssh" },
    { "gateway", pc_gateway,  NULL },
    { "disk",    pc_disk,     NULL },
    { NULL, NULL, NULL },
};


/* A check started ahead of its turn (mig_postcheck.early_after). */
struct early {
    const struct mig_postcheck *c;
    const struct mig_pc_env *env;
    const struct mig_pc_opts *o;
    struct mig_pc_vm *vm;
    enum mig_pc_verdict v;
    struct strbuf msg;
    pthread_t th;
    bool started;
};

static void *early_main(void *arg)
{
    struct early *e = arg;
    e->v = e->c->run(e->env, e->o, e->vm, &e->msg);
    return NULL;
}

/* The checks that may start once check `after` passed, started. */
static void start_early(struct early *early, const char *after)
{
    for (size_t i = 0; mig_postchecks[i].name; i++) {
        struct early *e = &early[i];
        if (mig_postchecks[i].early_after && !strcmp(mig_postchecks[i].early_after, after))
            e->started = pthread_create(&e->th, NULL, early_main, e) == 0;
    }
}

/* One attempt at check i: the early one's verdict when it started early. */
static enum mig_pc_verdict attempt_check(struct early *e, unsigned attempt, struct strbuf *msg)
{
    if (attempt == 0 && e->started) {
        pthread_join(e->th, NULL);
        e->started = false;
        strbuf_addstr(msg, e->msg.buf);
        return e->v;
    }
    return e->c->run(e->env, e->o, e->vm, msg);
}

int mig_postcheck_run(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                       struct mig_pc_vm *vm, struct strbuf *why,
                       void (*log)(void *ud, const char *line), void *log_ud)
{
    size_t n = 0;
    while (mig_postchecks[n].name)
        n++;
    struct early *early = xcalloc(n, sizeof(*early));
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        early[i] = (struct early){ .c = &mig_postchecks[i], .env = env, .o = o, .vm = vm };
        strbuf_init(&early[i].msg, 0);
    }
    for (size_t i = 0; i < n; i++) {
        const struct mig_postcheck *c = &mig_postchecks[i];
        struct strbuf msg = STRBUF_INIT;
        enum mig_pc_verdict v;
        unsigned attempt = 0;
        for (;;) {
            strbuf_reset(&msg);
            v = attempt_check(&early[i], attempt, &msg);
            if (v != MIG_PC_RETRY || attempt >= o->retries
                || (env->should_stop && env->should_stop(env->ud)))
                break;
            attempt++;
            clock_sleep(o->retry_delay_s);
        }
        if (log) {
            char *line = xasprintf("post-check %s %s: %s%s%s", vm->name ? vm->name : "",
                                   c->name, v == MIG_PC_PASS ? "PASS"
                                   : v == MIG_PC_SKIP ? "skipped" : "FAIL",
                                   msg.len ? " - " : "", msg.buf);
            log(log_ud, line);
            free(line);
        }
        if (v != MIG_PC_PASS && v != MIG_PC_SKIP) {
            strbuf_addf(why, "%s: %s", c->name, msg.buf);
            strbuf_release(&msg);
            rc = -1;
            break;
        }
        strbuf_release(&msg);
        if (v == MIG_PC_PASS)
            start_early(early, c->name);
    }
    /* a check started early whose turn did not come (an earlier one failed) ends
     * before the VM's state goes: its verdict is not used */
    for (size_t i = 0; i < n; i++) {
        if (early[i].started)
            pthread_join(early[i].th, NULL);
        strbuf_release(&early[i].msg);
    }
    free(early);
    return rc;
}
