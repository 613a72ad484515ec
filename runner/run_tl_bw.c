/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_bw: the timeline engine's steps for the bandwidth types' actions
 * (runner/type_bw_limit.c, runner/type_mig_bandwidth.c):
 *
 *  - libvirt_disk.check_item_by_blockjob(params) (avocado-vt): `virsh blockjob DOM
 *    TARGET --info` on the source until check_item has check_item_value, for
 *    wait_for_timeout seconds (default 10), else the test's FAIL "Check 'ITEM' failed.";
 *    utils_test.libvirt.check_blockjob's reading: none, no job text on stderr;
 *    progress, "VALUE %" on stderr; bandwidth, the first "N UNIT/s" of stdout equal to
 *    the value (bytes, or MiB when the unit is not bytes);
 *  - virsh.blockjob({"name", "path", "options"}): `virsh blockjob DOM PATH OPTIONS` on
 *    the source (ignore_status: its exit is logged);
 *  - migration_base.check_domjobinfo_precopy(params): compare_to_value set to
 *    precopy_bandwidth in the case's params (the later checks see it, as the Python's
 *    params.update does), then check_domjobinfo_during_mig.
 *
 * The domain is always the hop's: the configs name it by ${main_vm}, which vtrun's
 * domain of that VM stands for.
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

static const char *bw_dom(struct tl_run *t)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    return h->vms->vm[h->vm].domain;
}

int run_bw_blockjob_judge(const char *out, const char *err, const char *item,
                          const char *value)
{
    if (!strcmp(item, "none"))
        return !*err;
    if (!strcmp(item, "progress")) {
        char *want = xasprintf("%s %%", value);
        int ok = strstr(err, want) != NULL;
        free(want);
        return ok;
    }
    if (strcmp(item, "bandwidth"))
        return -1;
    /* re.findall(r'(\d+) (\w+)/s', output)[0] */
    regex_t re;
    regmatch_t m[3];
    int ok = 0;
    if (regcomp(&re, "([0-9]+) ([A-Za-z0-9_]+)/s", REG_EXTENDED))
        return -1;
    if (regexec(&re, out, 3, m, 0) == 0) {
        double got = strtod(out + m[1].rm_so, NULL);
        bool bytes = m[2].rm_eo - m[2].rm_so == 5 && !strncmp(out + m[2].rm_so, "bytes", 5);
        /* normalize_data_size(value, 'B' or 'M'): the value is a number of bytes */
        double want = strtod(value, NULL) / (bytes ? 1.0 : 1024.0 * 1024.0);
        ok = got == want;
    }
    regfree(&re);
    return ok;
}

RUN_TL_MOS_STEP(run_tl_bw_blockjob_check)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const struct params *p = run_tl_run_params(t);
    const char *item = params_get_or(p, "check_item", "none");
    const char *value = params_get_or(p, "check_item_value", "0");
    const char *target = params_get_or(p, "target_disk", "vda");
    double limit = strtod(params_get_or(p, "wait_for_timeout", "10"), NULL);
    const char *words[] = { "blockjob", bw_dom(t), target, "--info", NULL };
    (void)a;
    if (strcmp(item, "none") && strcmp(item, "progress") && strcmp(item, "bandwidth")) {
        strbuf_addf(why, "check_item = '%s': none, progress or bandwidth", item);
        return MIG_TL_ERROR;
    }
    double t0 = run_now();
    for (;;) {
        struct run_virsh r = RUN_VIRSH_INIT;
        int ok = 0;
        if (run_virsh_words(ctx, h->from, words, &r) < 0) {
            strbuf_addf(why, "virsh blockjob: %s", err_msg());
            run_virsh_release(&r);
            return MIG_TL_ERROR;
        }
        run_log(ctx, "blockjob %s --info: exit %d: %s%s", target, r.status, r.out.buf,
                r.err.buf);
        if (!r.status)
            ok = run_bw_blockjob_judge(r.out.buf, r.err.buf, item, value);
        run_virsh_release(&r);
        if (ok > 0) {
            run_log(ctx, "block job %s: %s is %s", target, item, value);
            return MIG_TL_OK;
        }
        /* utils_misc.wait_for: a try a second until the timeout */
        if (run_now() - t0 + 1.0 > limit || run_should_stop(ctx))
            break;
        clock_sleep(1.0);
    }
    strbuf_addf(why, "Check '%s' failed.", item);
    return MIG_TL_FAIL;
}

/* The value of key in the action's dict func_param, NULL when absent/empty. */
static const char *bw_dict_str(const struct mig_action *a, const char *key)
{
    const struct pylit *v = a->arg == MIG_ARG_DICT ? pylit_get(&a->dict, key) : NULL;
    return v && v->kind == PYLIT_STR && *v->s ? v->s : NULL;
}

RUN_TL_MOS_STEP(run_tl_bw_blockjob)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const char *path = bw_dict_str(a, "path");
    const char *options = bw_dict_str(a, "options");
    if (!path) {
        strbuf_addstr(why, "virsh.blockjob: its func_param has no \"path\"");
        return MIG_TL_ERROR;
    }
    char **opt = params_split(options);
    size_t n = params_strv_len(opt);
    const char **words = xcalloc(n + 4, sizeof(*words));
    words[0] = "blockjob";
    words[1] = bw_dom(t);
    words[2] = path;
    for (size_t k = 0; k < n; k++)
        words[k + 3] = opt[k];
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    if (run_virsh_words(ctx, h->from, words, &r) < 0) {
        strbuf_addf(why, "virsh blockjob: %s", err_msg());
        v = MIG_TL_ERROR;
    } else
        run_log(ctx, "virsh blockjob %s %s: exit %d %s%s", path, options ? options : "",
                r.status, r.out.buf, r.err.buf);
    run_virsh_release(&r);
    free(words);
    params_strv_free(opt);
    return v;
}

RUN_TL_MOS_STEP(run_tl_bw_jobinfo_precopy)
{
    struct params *p = run_tl_run_params(t);
    const char *pre = params_get(p, "precopy_bandwidth");
    if (pre)
        params_set(p, "compare_to_value", pre);
    else
        params_del(p, "compare_to_value");
    return run_tl_perf_jobinfo(t, a, why);
}
