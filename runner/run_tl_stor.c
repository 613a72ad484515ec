/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_stor: migrate_bandwidth's and migrate_storage's steps during a migration
 * (runner/run_tl_stor.h), following tp-libvirt's migrate_bandwidth.py check_bandwidth
 * and avocado-vt's libvirt_domjobinfo.check_domjobinfo.
 */
#include "runner/run_tl_stor.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

/* utils_misc.wait_for(lambda: not migrate_postcopy(...).exit_status, 5): tried at once,
 * then once a second while 5 s have not passed */
#define STOR_POSTCOPY_WAIT_S 5
/* check_bandwidth's time.sleep(5) after the switch to postcopy */
#define STOR_POSTCOPY_SETTLE_S 5

static char *stor_speed_value(const struct pylit *v, const char *key)
{
    if (!v)
        return NULL;
    if (v->kind == PYLIT_STR)
        return *v->s ? xstrdup(v->s) : NULL;
    if (v->kind == PYLIT_INT)
        return v->i ? xasprintf("%lld", v->i) : NULL;
    err_set("exp_migrate_speed: '%s' is a %s, expected a string", key, pylit_kind_name(v->kind));
    return (char *)-1;
}

int run_stor_speeds_read(const char *text, struct run_stor_speeds *s)
{
    static const char *const keys[] = { "precopy_speed", "postcopy_speed" };
    char **fields[] = { &s->pre, &s->post };
    struct pylit d;
    memset(s, 0, sizeof(*s));
    if (!text || !*text)
        return 0;
    if (pylit_parse(text, &d) < 0) {
        err_set("exp_migrate_speed: %s", err_msg());
        return -1;
    }
    int rc = 0;
    if (d.kind != PYLIT_DICT) {
        err_set("exp_migrate_speed: a %s, expected a dict", pylit_kind_name(d.kind));
        rc = -1;
    }
    for (size_t k = 0; rc == 0 && k < ARRAY_SIZE(keys); k++) {
        char *v = stor_speed_value(pylit_get(&d, keys[k]), keys[k]);
        if (v == (char *)-1)
            rc = -1;
        else
            *fields[k] = v;
    }
    pylit_release(&d);
    if (rc < 0)
        run_stor_speeds_release(s);
    return rc;
}

void run_stor_speeds_release(struct run_stor_speeds *s)
{
    free(s->pre);
    free(s->post);
    s->pre = s->post = NULL;
}

/* stdout of `virsh migrate-getspeed DOM [--postcopy]`, stripped, into got. */
static int stor_getspeed(struct run_ctx *ctx, int h, const char *dom, bool postcopy,
                         struct strbuf *got)
{
    const char *words[] = { "migrate-getspeed", dom, postcopy ? "--postcopy" : NULL, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    if (run_virsh_words(ctx, h, words, &r) < 0) {
        run_virsh_release(&r);
        return -1;
    }
    const char *s = r.out.buf + strspn(r.out.buf, " \t\r\n");
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1]))
        len--;
    strbuf_add(got, s, len);
    run_log(ctx, "migrate-getspeed%s: '%s'%s%s", postcopy ? " --postcopy" : "", got->buf,
            r.status ? ", " : "", r.status ? r.err.buf : "");
    run_virsh_release(&r);
    return 0;
}

enum mig_tl_verdict run_stor_get_speed(struct run_ctx *ctx, int h, const char *dom,
                                       const struct run_stor_speeds *s, struct strbuf *why)
{
    static const char *const fmt[] = {
        "Migration speed is expected to be '%s MiB/s', but '%s MiB/s' found!",
        "Prostcopy migration speed is expected to be '%s MiB/s', but '%s MiB/s' found!",
    };
    const char *want[] = { s->pre, s->post };
    enum mig_tl_verdict v = MIG_TL_OK;
    for (size_t k = 0; v == MIG_TL_OK && k < ARRAY_SIZE(want); k++) {
        struct strbuf got = STRBUF_INIT;
        if (!want[k])
            ;
        else if (stor_getspeed(ctx, h, dom, k == 1, &got) < 0) {
            strbuf_addf(why, "virsh migrate-getspeed: %s", err_msg());
            v = MIG_TL_ERROR;
        } else if (strcmp(got.buf, want[k])) {
            strbuf_addf(why, fmt[k], want[k], got.buf);
            v = MIG_TL_FAIL;
        }
        strbuf_release(&got);
    }
    return v;
}

int run_stor_setspeed(struct run_ctx *ctx, int h, const char *dom, const char *speed,
                      bool postcopy)
{
    const char *words[] = { "migrate-setspeed", dom, speed, postcopy ? "--postcopy" : NULL,
                            NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = run_virsh_words(ctx, h, words, &r);
    if (rc == 0)
        run_log(ctx, "migrate-setspeed %s%s: exit %d %s", speed, postcopy ? " --postcopy" : "",
                r.status, r.err.buf);
    run_virsh_release(&r);
    return rc;
}

/* libvirt_domjobinfo.check_domjobinfo(vm, params): nothing unless jobinfo_item and
 * compare_to_value are set; then domjobinfo's item against compare_to_value within
 * diff_rate, a FAIL unless domjob_ignore_status (then logged). */
static enum mig_tl_verdict stor_jobinfo(struct run_ctx *ctx, int h, const char *dom,
                                        const struct params *p, const char *compare,
                                        bool ignore, struct strbuf *why)
{
    const char *item = params_get(p, "jobinfo_item");
    const char *words[] = { "domjobinfo", dom, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    if (!item || !*item || !compare || !*compare)
        return MIG_TL_OK;
    if (run_virsh_words(ctx, h, words, &r) < 0) {
        strbuf_addf(why, "virsh domjobinfo: %s", err_msg());
        v = MIG_TL_ERROR;
    } else {
        double rate = strtod(params_get_or(p, "diff_rate", "0"), NULL);
        struct strbuf off = STRBUF_INIT;
        int far = run_perf_jobinfo_judge(r.out.buf, item, compare, rate, &off);
        if (far == 1 && !ignore) {
            strbuf_add(why, off.buf, off.len);
            v = MIG_TL_FAIL;
        } else if (far == 1)
            run_log(ctx, "%s (ignored: domjob_ignore_status)", off.buf);
        strbuf_release(&off);
    }
    run_virsh_release(&r);
    return v;
}

/* `virsh migrate-postcopy DOM` until it exits 0, for STOR_POSTCOPY_WAIT_S. */
static bool stor_postcopy(struct tl_run *t, const char *dom)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const char *words[] = { "migrate-postcopy", dom, NULL };
    double end = clock_now() + STOR_POSTCOPY_WAIT_S;
    for (;;) {
        struct run_virsh r = RUN_VIRSH_INIT;
        int rc = run_virsh_words(ctx, run_tl_run_hop(t)->from, words, &r);
        bool ok = rc == 0 && r.status == 0;
        run_log(ctx, "migrate-postcopy: %s", ok ? "ok" : rc < 0 ? err_msg() : r.err.buf);
        run_virsh_release(&r);
        if (ok)
            return true;
        if (clock_now() >= end || run_should_stop(ctx))
            return false;
        clock_sleep(1);
    }
}

/* set_postcopy_in_PHASE: `migrate-setspeed DOM N --postcopy`, then get_speed. */
static enum mig_tl_verdict stor_set_post(struct tl_run *t, const char *dom, const char *key,
                                         const struct run_stor_speeds *s, struct strbuf *why)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const char *speed = params_get(run_tl_run_params(t), key);
    int h = run_tl_run_hop(t)->from;
    if (!speed || !*speed)
        return MIG_TL_OK;
    if (run_stor_setspeed(ctx, h, dom, speed, true) < 0) {
        strbuf_addf(why, "virsh migrate-setspeed: %s", err_msg());
        return MIG_TL_ERROR;
    }
    return run_stor_get_speed(ctx, h, dom, s, why);
}

enum mig_tl_verdict run_tl_stor_check_bandwidth(struct tl_run *t, const struct mig_action *a,
                                                struct strbuf *why)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const struct params *p = run_tl_run_params(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const char *dom = h->vms->vm[h->vm].domain;
    struct run_stor_speeds s;
    (void)a;
    if (run_stor_speeds_read(params_get(p, "exp_migrate_speed"), &s) < 0) {
        strbuf_addf(why, "%s", err_msg());
        return MIG_TL_ERROR;
    }
    /* the reference's extra: virsh_migrate_extra with postcopy_options after it */
    char *extra = xasprintf("%s %s", params_get_or(p, "virsh_migrate_extra", ""),
                            params_get_or(p, "postcopy_options", ""));
    bool postcopy_cmd = strcmp(params_get_or(p, "migrate_postcopy_cmd", "yes"), "yes") == 0;
    const char *pre = s.pre ? s.pre : "8796093022207";
    enum mig_tl_verdict v = MIG_TL_OK;

    if (strstr(extra, "bandwidth"))
        v = run_stor_get_speed(ctx, h->from, dom, &s, why);
    if (v == MIG_TL_OK)
        v = stor_set_post(t, dom, "set_postcopy_in_precopy_phase", &s, why);
    if (v == MIG_TL_OK)
        v = stor_jobinfo(ctx, h->from, dom, p, pre, !strcmp(pre, "8796093022207"), why);
    if (v == MIG_TL_OK && postcopy_cmd) {
        if (!stor_postcopy(t, dom)) {
            strbuf_addstr(why, "Failed to set migration postcopy.");
            v = MIG_TL_FAIL;
        }
        if (v == MIG_TL_OK)
            v = stor_set_post(t, dom, "set_postcopy_in_postcopy_phase", &s, why);
        if (v == MIG_TL_OK) {
            for (double end = clock_now() + STOR_POSTCOPY_SETTLE_S;
                 clock_now() < end && !run_should_stop(ctx);)
                clock_sleep(0.2);
            /* with postcopy_speed the compare is it and a difference fails */
            bool ignore = !s.post && !strcmp(pre, "8796093022207");
            v = stor_jobinfo(ctx, h->from, dom, p, s.post ? s.post : pre, ignore, why);
        }
    }
    free(extra);
    run_stor_speeds_release(&s);
    return v;
}

int run_stor_log_check(struct run_ctx *ctx, int h, const char *re,
                       const struct virt_log_mark *m)
{
    struct strbuf log = STRBUF_INIT;
    struct virt_host *link = run_host_link(ctx, h);
    int rc = 0, ec;
    PCRE2_SIZE off;
    if (!link || virt_hostop_log_read(link, m, &log) < 0) {
        rc = run_error(ctx, "TestSetupError", "the daemon log of %s: %s", ctx->hosts[h].name,
                       err_msg());
        strbuf_release(&log);
        return rc;
    }
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE,
                                     &ec, &off, NULL);
    pcre2_match_data *md = code ? pcre2_match_data_create_from_pattern(code, NULL) : NULL;
    if (!code)
        rc = run_error(ctx, "ConfigError", "'%s' is no regex", re);
    else if (pcre2_match(code, (PCRE2_SPTR)log.buf, log.len, 0, 0, md, NULL) < 0)
        rc = run_fail(ctx, "LogCheck", "Failed to find expected string '%s' in the daemon "
                      "log of %s (%s)", re, ctx->hosts[h].name, m->path);
    else
        run_log(ctx, "daemon log of %s: '%s' found", ctx->hosts[h].name, re);
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    strbuf_release(&log);
    return rc;
}

int run_stor_hop(struct run_ctx *ctx, const struct run_base_mig *m, bool status_error,
                 const char *err_msg_re, const char *acts_lit, struct virt_vms *vms, size_t i)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    struct mig_expect e = { .status_error = status_error, .err_msg = err_msg_re };
    char *words = run_base_words(m, false);
    int rc;
    if (mig_opts_parse(words, &mo) < 0 || mig_act_parse(acts_lit, &acts) < 0) {
        rc = run_error(ctx, "ConfigError", "'%s': %s", words, err_msg());
        goto out;
    }
    struct run_tl_hop h = { .vms = vms, .vm = i, .from = 0, .to = 1, .n = 1, .expect = &e,
                            .opts = &mo, .acts = &acts };
    rc = run_tl_hop(ctx, &h);
out:
    free(words);
    mig_act_release(&acts);
    mig_opts_release(&mo);
    return rc;
}
