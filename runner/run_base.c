/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run_base: base_steps' shared steps for types on the timeline engine (runner/run_base.h). */
#include "runner/run_base.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/spawn.h"
#include "runner/run_mig.h"
#include "runner/run_tl.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

char *run_base_words(const struct run_base_mig *m, bool again)
{
    const char *opts = m->options ? m->options : "";
    const char *cs = m->copy_storage ? m->copy_storage : "";
    if (again && m->extra_again && *m->extra_again)
        return xasprintf("%s %s %s", opts, m->extra_again, cs);
    return xasprintf("%s %s %s %s", opts, m->extra ? m->extra : "",
                     m->postcopy ? m->postcopy : "", cs);
}

int run_base_words_check(const struct run_base_mig *m)
{
    for (int again = 0; again < 2; again++) {
        struct be_migrate_opts mo = { 0 };
        char *words = run_base_words(m, again);
        int rc = mig_opts_parse(words, &mo);
        if (rc < 0)
            err_prefix("virsh migrate words '%s'", words);
        mig_opts_release(&mo);
        free(words);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int run_base_check(const struct run_common *c, const struct run_base_mig *m, long *main_vm)
{
    if (run_base_words_check(m) < 0)
        return -1;
    *main_vm = run_common_main_vm(c);
    return *main_vm < 0 ? -1 : 0;
}

int run_base_actions_read(const struct params *p)
{
    static const char *const keys[] = { "action_during_mig", "action_during_mig_again" };
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        struct mig_actions acts;
        if (mig_act_parse(params_get(p, keys[k]), &acts) < 0) {
            err_prefix("%s", keys[k]);
            return -1;
        }
        mig_act_release(&acts);
    }
    return 0;
}

/* `virsh WORDS` on host: 0 with r filled when virsh ran, -1 (err) when it could not. */
static int base_virsh(struct run_ctx *ctx, int host, const char *const *words,
                      struct run_virsh *r)
{
    run_virsh_release(r);
    *r = (struct run_virsh)RUN_VIRSH_INIT;
    return run_virsh_words(ctx, host, words, r);
}

int run_base_setspeed(struct run_ctx *ctx, int host, const char *dom, const char *speed,
                      bool both)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    for (int post = 0; post <= (both ? 1 : 0) && rc == 0; post++) {
        const char *words[] = { "migrate-setspeed", dom, speed, post ? "--postcopy" : NULL,
                                NULL };
        if (base_virsh(ctx, host, words, &r) < 0)
            rc = run_error(ctx, "CmdError", "virsh migrate-setspeed: %s", err_msg());
        else if (r.status)
            rc = run_error(ctx, "CmdError", "virsh migrate-setspeed %s %s%s: exit %d: %s",
                           dom, speed, post ? " --postcopy" : "", r.status, r.err.buf);
    }
    if (rc == 0)
        run_log(ctx, "migration speed %s MiB/s (%s)", speed, both ? "precopy and postcopy"
                                                                  : "precopy");
    run_virsh_release(&r);
    return rc;
}

/* ---- events ------------------------------------------------------------------------ */

/* ---- what is not built: an ERROR before any VM starts ------------------------------- */

const char *run_base_unbuilt_param(const struct run_base_unbuilt *rows, size_t n,
                                   const struct params *p, const char **val)
{
    for (size_t k = 0; k < n; k++) {
        const char *v = params_get(p, rows[k].param);
        if (v && !strcmp(v, rows[k].value)) {
            *val = v;
            return rows[k].param;
        }
    }
    return NULL;
}

bool run_base_actions_unbuilt(const struct params *p)
{
    return run_tl_any_action_unbuilt(p) || run_base_actions_read(p) < 0;
}

int run_base_unbuilt_verdict(const char *type, const char *param, const char *val,
                             const struct params *p)
{
    if (run_base_actions_read(p) < 0)
        return -1;
    return run_tl_unbuilt_verdict(type, param, val, p);
}

struct run_base_events {
    struct spawn *sp;
    struct strbuf out;
    const char *host;
};

struct run_base_events *run_base_events_start(struct run_ctx *ctx, int host)
{
    struct run_base_events *ev = xcalloc(1, sizeof(*ev));
    strbuf_init(&ev->out, 0);
    ev->host = ctx->hosts[host].name;
    /* line-buffered so each event is read as it comes, from this machine with the
     * host's client URI (avocado-vt: a virsh session there) */
    ev->sp = spawn_newv((const char *[]){ "stdbuf", "-oL", "virsh", "-c", ctx->hosts[host].uri,
                                          "event", "--loop", "--all", NULL });
    spawn_set_output(ev->sp, &ev->out, NULL);
    spawn_set_pdeathsig(ev->sp, SIGKILL);
    if (spawn_start(ev->sp) < 0) {
        run_error(ctx, "TestSetupError", "virsh event on %s: %s", ev->host, err_msg());
        run_base_events_free(ev);
        return NULL;
    }
    /* connected before anything happens: events are not replayed */
    for (int k = 0; k < 10; k++)
        spawn_pump(ev->sp, 100);
    return ev;
}

int run_base_events_check(struct run_ctx *ctx, struct run_base_events *ev, const char *param,
                          const char *list)
{
    struct pylit l;
    int rc = 0;
    if (!list || !*list)
        return 0;
    if (pylit_parse(list, &l) < 0 || l.kind != PYLIT_LIST) {
        rc = run_error(ctx, "ConfigError", "%s = '%s': expected a list of regexes", param,
                       list);
        pylit_release(&l);
        return rc;
    }
    spawn_pump(ev->sp, 500);
    run_log(ctx, "events on %s:\n%s", ev->host, ev->out.buf);
    for (size_t k = 0; k < l.n && rc == 0; k++) {
        const struct pylit *re = &l.items[k];
        int seen = re->kind == PYLIT_STR ? mig_tl_search(re->s, ev->out.buf) : -1;
        if (seen < 0)
            rc = run_error(ctx, "ConfigError", "%s: item %zu is no regex", param, k);
        else if (!seen)
            rc = run_fail(ctx, "EventCheck", "Unable to find %s", re->s);
        else
            run_log(ctx, "event '%s' seen on %s", re->s, ev->host);
    }
    pylit_release(&l);
    return rc;
}

void run_base_events_free(struct run_base_events *ev)
{
    if (!ev)
        return;
    if (ev->sp) {
        spawn_stop(ev->sp, 1);
        spawn_free(ev->sp);
    }
    strbuf_release(&ev->out);
    free(ev);
}

static void base_trim(const char *s, struct strbuf *out);

/* ---- domjobinfo polled ------------------------------------------------------------------ */

struct run_base_jobpoll {
    struct spawn *sp;
    struct strbuf out;
    /* its output read as it comes (a full pipe would stall virsh and the samples):
     * by this thread alone until stopped */
    pthread_t tid;
    bool running;
    atomic_bool stop;
};

static void *base_jobpoll_main(void *arg)
{
    struct run_base_jobpoll *jp = arg;
    while (!atomic_load(&jp->stop))
        spawn_pump(jp->sp, 50);
    return NULL;
}

/* The pump thread ended: the output is the caller's again. */
static void base_jobpoll_join(struct run_base_jobpoll *jp)
{
    if (!jp->running)
        return;
    atomic_store(&jp->stop, true);
    pthread_join(jp->tid, NULL);
    jp->running = false;
}

struct run_base_jobpoll *run_base_jobpoll_start(struct run_ctx *ctx, int host, const char *dom)
{
    struct run_base_jobpoll *jp = xcalloc(1, sizeof(*jp));
    strbuf_init(&jp->out, 0);
    /* the domain's name and the URI are arguments of the shell, never its text */
    jp->sp = spawn_newv((const char *[]){
        "sh", "-c", "while :; do echo \"domjobinfo $1\"; sleep 0.02; done | "
        "stdbuf -oL virsh -q -c \"$2\"", "sh", dom, ctx->hosts[host].uri, NULL });
    spawn_set_output(jp->sp, &jp->out, NULL);
    spawn_set_pdeathsig(jp->sp, SIGKILL);
    if (spawn_start(jp->sp) < 0) {
        run_error(ctx, "TestSetupError", "virsh domjobinfo loop on %s: %s",
                  ctx->hosts[host].name, err_msg());
        run_base_jobpoll_free(jp);
        return NULL;
    }
    for (int k = 0; k < 10; k++)
        spawn_pump(jp->sp, 100);
    atomic_init(&jp->stop, false);
    jp->running = pthread_create(&jp->tid, NULL, base_jobpoll_main, jp) == 0;
    return jp;
}

int run_base_jobpoll_check(struct run_ctx *ctx, struct run_base_jobpoll *jp, const char *list)
{
    struct pylit l;
    int rc = 0;
    if (!list || !*list)
        return 0;
    if (pylit_parse(list, &l) < 0 || l.kind != PYLIT_LIST) {
        rc = run_error(ctx, "ConfigError", "job_type_list = '%s': expected a list", list);
        pylit_release(&l);
        return rc;
    }
    clock_sleep(0.3);
    base_jobpoll_join(jp);
    spawn_pump(jp->sp, 100);
    /* each word in a line after the line of the one before, as the reference reads
     * its log */
    size_t i = 0;
    struct strbuf types = STRBUF_INIT, last = STRBUF_INIT;
    for (const char *line = jp->out.buf; *line && i < l.n;) {
        size_t len = strcspn(line, "\n");
        if (!strncmp(line, "Job type:", 9)) {
            /* the types in the order seen, each once per run of samples */
            char *t = xasprintf("%.*s", (int)(len - 9), line + 9);
            struct strbuf w = STRBUF_INIT;
            base_trim(t, &w);
            if (strcmp(last.buf, w.buf)) {
                strbuf_addf(&types, " %s", w.buf);
                strbuf_reset(&last);
                strbuf_addstr(&last, w.buf);
            }
            strbuf_release(&w);
            free(t);
        }
        const struct pylit *w = &l.items[i];
        if (w->kind == PYLIT_STR && memmem(line, len, w->s, strlen(w->s)))
            i++;
        line += len + (line[len] == '\n');
    }
    if (i < l.n)
        rc = run_fail(ctx, "JobTypeCheck", "Not get all expected job type: %zu of %s seen "
                      "(domjobinfo showed:%s)", i, list, types.buf);
    else
        run_log(ctx, "Got all expected job type: %s (domjobinfo showed:%s)", list, types.buf);
    strbuf_release(&types);
    strbuf_release(&last);
    pylit_release(&l);
    return rc;
}

void run_base_jobpoll_free(struct run_base_jobpoll *jp)
{
    if (!jp)
        return;
    base_jobpoll_join(jp);
    if (jp->sp) {
        spawn_stop(jp->sp, 1);
        spawn_free(jp->sp);
    }
    strbuf_release(&jp->out);
    free(jp);
}

/* ---- states -------------------------------------------------------------------------- */

/* s without the blanks around it, into out. */
static void base_trim(const char *s, struct strbuf *out)
{
    s += strspn(s, " \t\r\n");
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1]))
        len--;
    strbuf_add(out, s, len);
}

int run_base_domstate(struct run_ctx *ctx, int host, const char *dom, struct strbuf *state,
                      bool *gone)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *words[] = { "domstate", dom, NULL };
    strbuf_reset(state);
    *gone = false;
    if (run_virsh_words(ctx, host, words, &r) < 0) {
        run_virsh_release(&r);
        return -1;
    }
    if (r.status)
        *gone = strstr(r.err.buf, "failed to get domain") != NULL;
    else
        base_trim(r.out.buf, state);
    int rc = r.status && !*gone ? -1 : 0;
    if (rc < 0)
        err_set("virsh domstate %s: exit %d: %s", dom, r.status, r.err.buf);
    run_virsh_release(&r);
    return rc;
}

/* libvirt.check_vm_state(dom, want, uri): the state's words are want's. */
static enum mig_tl_verdict base_state_is(struct run_ctx *ctx, int host, const char *dom,
                                         const char *want, const char *side,
                                         struct strbuf *why)
{
    struct strbuf st = STRBUF_INIT;
    bool gone;
    enum mig_tl_verdict v = MIG_TL_OK;
    if (run_base_domstate(ctx, host, dom, &st, &gone) < 0) {
        strbuf_addf(why, "%s", err_msg());
        v = MIG_TL_ERROR;
    } else if (strcmp(st.buf, want)) {
        strbuf_addf(why, "Migrated VM failed to be in %s state at %s (it is %s)", want, side,
                    gone ? "absent" : st.buf);
        v = MIG_TL_FAIL;
    } else {
        run_log(ctx, "Guest state is '%s' at %s as expected", want, side);
    }
    strbuf_release(&st);
    return v;
}

/* ---- do_common_check ------------------------------------------------------------------- */

/* check_domjobinfo_output's str_items on the source: each "Key: value" line of
 * domjobinfo whose key is one of keys has the value of vals; every key seen. */
static enum mig_tl_verdict base_jobinfo(struct run_ctx *ctx, int host, const char *dom,
                                        const char *const *keys, const char *const *vals,
                                        struct strbuf *why)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *words[] = { "domjobinfo", dom, NULL };
    enum mig_tl_verdict v = MIG_TL_OK;
    bool seen[4] = { false };
    if (run_virsh_words(ctx, host, words, &r) < 0) {
        strbuf_addf(why, "virsh domjobinfo: %s", err_msg());
        run_virsh_release(&r);
        return MIG_TL_ERROR;
    }
    for (const char *l = r.out.buf; *l && v == MIG_TL_OK;) {
        size_t len = strcspn(l, "\n");
        const char *colon = memchr(l, ':', len);
        for (size_t k = 0; keys[k] && colon && k < ARRAY_SIZE(seen); k++) {
            if ((size_t)(colon - l) != strlen(keys[k]) || strncmp(l, keys[k], strlen(keys[k])))
                continue;
            char *line = xasprintf("%.*s", (int)(len - (size_t)(colon - l) - 1), colon + 1);
            struct strbuf val = STRBUF_INIT;
            base_trim(line, &val);
            seen[k] = true;
            if (strcmp(val.buf, vals[k])) {
                strbuf_addf(why, "domjobinfo: '%s' is '%s', expected '%s'", keys[k], val.buf,
                            vals[k]);
                v = MIG_TL_FAIL;
            }
            strbuf_release(&val);
            free(line);
        }
        l += len + (l[len] == '\n');
    }
    for (size_t k = 0; keys[k] && v == MIG_TL_OK && k < ARRAY_SIZE(seen); k++)
        if (!seen[k]) {
            strbuf_addf(why, "Missing item: {'%s': '%s'} in domjobinfo: %s%s", keys[k], vals[k],
                        r.out.buf, r.err.buf);
            v = MIG_TL_FAIL;
        }
    if (v == MIG_TL_OK)
        run_log(ctx, "domjobinfo of %s as expected", dom);
    run_virsh_release(&r);
    return v;
}

/* execute_statistics_command: for each file disk of the domain on host (domblklist),
 * domblkstat and domblkinfo, then domstats and dommemstat; any failing is an ERROR
 * (ignore_status False). */
static enum mig_tl_verdict base_statistics(struct run_ctx *ctx, int host, const char *dom,
                                           long loops, struct strbuf *why)
{
    struct run_virsh r = RUN_VIRSH_INIT, c = RUN_VIRSH_INIT;
    const char *list[] = { "domblklist", dom, "--details", NULL };
    enum mig_tl_verdict v = MIG_TL_OK;
    if (base_virsh(ctx, host, list, &r) < 0 || r.status) {
        strbuf_addf(why, "virsh domblklist: %s", r.status > 0 ? r.err.buf : err_msg());
        v = MIG_TL_ERROR;
        goto out;
    }
    for (long n = 0; n < loops && v == MIG_TL_OK; n++) {
        const char *cmds[16][4];
        size_t ncmd = 0;
        char *copy = xstrdup(r.out.buf), *save = NULL;
        /* "Type Device Target Source" rows after the header and its dashes */
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *w[4] = { NULL }, *s2 = NULL;
            size_t k = 0;
            for (char *t = strtok_r(line, " \t", &s2); t && k < 4; t = strtok_r(NULL, " \t", &s2))
                w[k++] = t;
            if (k < 4 || strcmp(w[0], "file") || strcmp(w[1], "disk") || ncmd + 2 > 14)
                continue;
            cmds[ncmd][0] = "domblkstat", cmds[ncmd][1] = dom, cmds[ncmd][2] = w[2];
            cmds[ncmd++][3] = NULL;
            cmds[ncmd][0] = "domblkinfo", cmds[ncmd][1] = dom, cmds[ncmd][2] = w[3];
            cmds[ncmd++][3] = NULL;
        }
        cmds[ncmd][0] = "domstats", cmds[ncmd][1] = dom, cmds[ncmd++][2] = NULL;
        cmds[ncmd][0] = "dommemstat", cmds[ncmd][1] = dom, cmds[ncmd++][2] = NULL;
        for (size_t k = 0; k < ncmd && v == MIG_TL_OK; k++) {
            if (base_virsh(ctx, host, cmds[k], &c) < 0 || c.status) {
                strbuf_addf(why, "virsh %s: %s", cmds[k][0],
                            c.status > 0 ? c.err.buf : err_msg());
                v = MIG_TL_ERROR;
            }
        }
        free(copy);
    }
out:
    run_virsh_release(&r);
    run_virsh_release(&c);
    return v;
}

enum mig_tl_verdict run_base_common_check(struct run_ctx *ctx, int from, int to,
                                          const char *dom, const struct params *p,
                                          struct strbuf *why)
{
    const char *opt = params_get_or(p, "migration_options", "");
    /* the postcopy bandwidth: jobinfo_item against compare_to_value (second_bandwidth) */
    if (!strcmp(opt, "postcopy_bandwidth") && params_get(p, "second_bandwidth")) {
        enum mig_tl_verdict bw = run_perf_jobinfo_check(ctx, from, dom, p, why);
        if (bw != MIG_TL_OK)
            return bw;
    }
    if (params_get(p, "loop_disk_type")) {
        strbuf_addstr(why, "loop_disk_type: statistics of block disks not built yet");
        return MIG_TL_ERROR;
    }
    static const char *const keys[] = { "Job type", "Operation", NULL };
    static const char *const vals[] = { "Unbounded", "Outgoing migration", NULL };
    enum mig_tl_verdict v = base_jobinfo(ctx, from, dom, keys, vals, why);
    const char *dst_want = params_get(p, "expected_dest_state");
    const char *src_want = params_get(p, "expected_src_state");
    const char *dname = !strcmp(opt, "dname") ? params_get(p, "dname_value") : NULL;
    if (v == MIG_TL_OK && (dname || (dst_want && *dst_want)))
        v = base_state_is(ctx, to, dname ? dname : dom, dst_want ? dst_want : "", "destination",
                          why);
    if (v == MIG_TL_OK && !dname && src_want && *src_want)
        v = base_state_is(ctx, from, dom, src_want, "source", why);
    long loops = strtol(params_get_or(p, "loop_time", "1"), NULL, 10);
    if (v == MIG_TL_OK)
        v = base_statistics(ctx, from, dom, loops, why);
    return v;
}

/* ---- post_migration_check ----------------------------------------------------------------- */

/* The domain dom on host is `want` (virsh's words; "nonexist" and "failed to get
 * domain": none there). */
static int base_expect(struct run_ctx *ctx, int host, const char *dom, const char *want,
                       const char *side)
{
    struct strbuf st = STRBUF_INIT;
    bool gone;
    bool none = !strcmp(want, "nonexist") || !strcmp(want, "failed to get domain");
    int rc = 0;
    if (run_base_domstate(ctx, host, dom, &st, &gone) < 0)
        rc = run_error(ctx, "PostMigrationCheck", "%s: %s", side, err_msg());
    else if (none ? !gone : gone || strcmp(st.buf, want))
        rc = run_fail(ctx, "PostMigrationCheck", "the guest is %s on the %s, expected %s",
                      gone ? "absent" : st.buf, side, want);
    else
        run_log(ctx, "the guest is %s on the %s, as expected", gone ? "absent" : st.buf, side);
    strbuf_release(&st);
    return rc;
}

int run_base_post_check(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int from, int to,
                        const char *dest_state, const char *src_state, bool network,
                        bool disk)
{
    const char *dom = vms->vm[i].domain;
    if ((dest_state && base_expect(ctx, to, dom, dest_state, "destination") < 0) ||
        (src_state && base_expect(ctx, from, dom, src_state, "source") < 0))
        return -1;
    if (!dest_state || strcmp(dest_state, "running"))
        return 0;
    if (network && run_mig_landed(ctx, vms, i, to) < 0)
        return -1;
    if (disk) {
        int status = -1;
        if (virt_vms_exec(vms, i, "echo libvirt_simple_disk_check >> "
                          "/tmp/libvirt_simple_disk_check", 60, NULL, &status) < 0 || status)
            return run_fail(ctx, "PostMigrationCheck", "simple disk check: %s",
                            status > 0 ? "the write failed" : err_msg());
        run_log(ctx, "simple disk check: a line written to the guest's disk");
    }
    return 0;
}

int run_base_hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                 const struct run_base_mig *m, bool again, bool status_error,
                 const char *expected)
{
    return run_base_hop_ops(ctx, vms, i, m, again, status_error, expected, NULL);
}

int run_base_hop_ops(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                     const struct run_base_mig *m, bool again, bool status_error,
                     const char *expected, struct virt_hostops *ops)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    const char *key = again ? "action_during_mig_again" : "action_during_mig";
    struct mig_expect e = { .status_error = status_error, .err_msg = expected,
                            .cancel_unsupported = true };
    char *words = run_base_words(m, again);
    int rc = mig_opts_parse(words, &mo);
    free(words);
    if (rc < 0) {
        rc = run_error(ctx, "ConfigError", "%s", err_msg());
        goto out;
    }
    if (mig_act_parse(params_get(ctx->params, key), &acts) < 0) {
        rc = run_error(ctx, "ConfigError", "%s: %s", key, err_msg());
        goto out;
    }
    struct run_tl_hop h = { .vms = vms, .vm = i, .from = 0, .to = 1, .n = again ? 2 : 1,
                            .expect = &e, .opts = &mo, .acts = &acts, .ops = ops };
    rc = run_tl_hop(ctx, &h);
out:
    mig_act_release(&acts);
    mig_opts_release(&mo);
    return rc;
}

int run_base_migrate_back(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                          const struct run_base_mig *m)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    struct mig_expect e = { .status_error = false, .cancel_unsupported = false };
    char *words = xasprintf("%s %s", m->options ? m->options : "", m->extra ? m->extra : "");
    int rc = mig_opts_parse(words, &mo);
    free(words);
    if (rc < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    struct run_tl_hop h = { .vms = vms, .vm = i, .from = 1, .to = 0, .n = 2,
                            .expect = &e, .opts = &mo, .acts = &acts };
    rc = run_tl_hop(ctx, &h);
    mig_opts_release(&mo);
    return rc;
}
