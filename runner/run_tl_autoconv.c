/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_autoconv: tp-libvirt's provider/migration/migration_base.py
 * check_auto_converge_during_mig(params) as a step of the timeline engine
 * (runner/run_tl.h): `virsh domjobinfo` on the source every 5 s while the migration
 * runs, its "Auto converge throttle" one of initial_throttle + k * increment (below
 * 100) or max_converge (99), until the throttle reaches max_converge or the job ends;
 * a job that ended (Job type None or Completed) without any throttle seen FAILs.
 * A source whose domain is gone ("domain is not running") is read with --completed.
 */
#include "runner/run_tl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

/* the reference's time.sleep(5) between two looks */
#define AUTOCONV_POLL_S 5.0

/* Whether throttle is one the reference allows. */
static bool autoconv_allowed(const struct run_autoconv *ac, int throttle)
{
    if (throttle == ac->max_converge)
        return true;
    if (ac->increment <= 0)
        return throttle == ac->initial;
    for (int v = ac->initial; v < 100; v += ac->increment)
        if (v == throttle)
            return true;
    return false;
}

/* The value after the last ':' of a line, blanks trimmed, into buf. */
static void autoconv_value(const char *line, size_t len, char *buf, size_t n)
{
    const char *colon = NULL;
    for (size_t k = 0; k < len; k++)
        if (line[k] == ':')
            colon = line + k;
    const char *s = colon ? colon + 1 : line + len;
    size_t l = (size_t)(line + len - s);
    while (l && strchr(" \t\r", *s))
        s++, l--;
    while (l && strchr(" \t\r", s[l - 1]))
        l--;
    snprintf(buf, n, "%.*s", (int)l, s);
}

enum run_autoconv_state run_autoconv_read(struct run_autoconv *ac, const char *jobinfo,
                                          struct strbuf *why)
{
    for (const char *l = jobinfo; l && *l; l += strcspn(l, "\n"), l += *l == '\n') {
        size_t len = strcspn(l, "\n");
        size_t klen = strcspn(l, ":\n");
        char key[64], val[64];
        snprintf(key, sizeof(key), "%.*s", (int)(klen < len ? klen : len), l);
        autoconv_value(l, len, val, sizeof(val));
        if (strstr(key, "Job type"))
            snprintf(ac->jobtype, sizeof(ac->jobtype), "%.31s", val);
        else if (strstr(key, "Auto converge throttle"))
            ac->throttle = atoi(val);
    }
    if (ac->throttle && !autoconv_allowed(ac, ac->throttle)) {
        strbuf_addf(why, "Invalid auto converge throttle value '%d'", ac->throttle);
        return RUN_AUTOCONV_FAIL;
    }
    if (ac->throttle == 99)
        return RUN_AUTOCONV_DONE;
    if (!strcmp(ac->jobtype, "None") || !strcmp(ac->jobtype, "Completed")) {
        if (ac->throttle == 0) {
            strbuf_addstr(why, "'Auto converge throttle' is not found in the domjobinfo");
            return RUN_AUTOCONV_FAIL;
        }
        return RUN_AUTOCONV_DONE;
    }
    return ac->throttle < ac->max_converge ? RUN_AUTOCONV_GO_ON : RUN_AUTOCONV_DONE;
}

int run_autoconv_init(struct run_autoconv *ac, const struct params *p)
{
    static const char *const keys[] = { "initial_throttle", "increment", "max_converge" };
    const char *defs[] = { NULL, NULL, "99" };
    int *vals[] = { &ac->initial, &ac->increment, &ac->max_converge };
    *ac = (struct run_autoconv){ .jobtype = "None" };
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        const char *v = params_get_or(p, keys[k], defs[k]);
        char *end = NULL;
        long n = v && *v ? strtol(v, &end, 10) : -1;
        if (!v || !*v || *end || n < 0 || n > 100) {
            err_set("%s = '%s': expected an integer 0-100", keys[k], v ? v : "");
            return -1;
        }
        *vals[k] = (int)n;
    }
    return 0;
}

/* `virsh domjobinfo DOM [--completed]` on the source: 0 with the text in r, else -1
 * with why (the reference's FAIL words). */
static int autoconv_jobinfo(struct tl_run *t, struct run_virsh *r, struct strbuf *why)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const char *dom = h->vms->vm[h->vm].domain;
    const char *words[] = { "domjobinfo", dom, NULL, NULL };
    if (run_virsh_words(ctx, h->from, words, r) < 0) {
        strbuf_addf(why, "virsh domjobinfo: %s", err_msg());
        return -1;
    }
    if (!r->status)
        return 0;
    if (!strstr(r->err.buf, "domain is not running")) {
        strbuf_addf(why, "Failed to get domjobinfo: %s", r->err.buf);
        return -1;
    }
    run_virsh_release(r);
    *r = (struct run_virsh)RUN_VIRSH_INIT;
    words[2] = "--completed";
    if (run_virsh_words(ctx, h->from, words, r) < 0 || r->status) {
        strbuf_addf(why, "Failed to get domjobinfo and domjobinfo --completed: %s",
                    r->status ? r->err.buf : err_msg());
        return -1;
    }
    return 0;
}

RUN_TL_MOS_STEP(run_tl_autoconv_check)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_autoconv ac;
    (void)a;
    if (run_autoconv_init(&ac, run_tl_run_params(t)) < 0) {
        strbuf_addstr(why, err_msg());
        return MIG_TL_ERROR;
    }
    for (;;) {
        struct run_virsh r = RUN_VIRSH_INIT;
        enum run_autoconv_state s = RUN_AUTOCONV_FAIL;
        if (autoconv_jobinfo(t, &r, why) == 0)
            s = run_autoconv_read(&ac, r.out.buf, why);
        run_virsh_release(&r);
        if (s == RUN_AUTOCONV_FAIL)
            return MIG_TL_FAIL;
        if (s == RUN_AUTOCONV_DONE)
            break;
        if (run_should_stop(ctx)) {
            strbuf_addstr(why, "stopped while checking the auto converge throttle");
            return MIG_TL_ERROR;
        }
        clock_sleep(AUTOCONV_POLL_S);
    }
    run_log(ctx, "auto converge throttle %d (job type %s): as expected", ac.throttle,
            ac.jobtype);
    return MIG_TL_OK;
}
