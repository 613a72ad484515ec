/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migrate_options_shared`: tp-libvirt's legacy grab-bag
 * libvirt/tests/src/migration/migrate_options_shared.py on the timeline engine
 * (runner/run_tl.h).
 *
 * One VM (its disk's cache mode `cache` / `remove_cache`, `vcpu_num` vCPUs) starts on
 * the source and is logged into.  Before the migration, as the reference does:
 * check_default_maxdowntime, set_maxdowntime_before_migration, stress in the guest
 * (stress_in_vm, stress_args), low_speed (migrate-setspeed, --postcopy too with
 * postcopy_options), pause_vm_before_migration.  The words are virsh_migrate_options
 * + virsh_migrate_extra (with --comp-xbzrle-cache: the smallest power of two above the
 * page size; parallel_cn_nums after it) + postcopy_options (+ --unsafe for an unsafe
 * cache mode on libvirt < 5.6 or QEMU < 4.0).  With asynch_migrate the words of
 * actions_during_migration run during the migration, each through the adapter table
 * below onto an engine step (runner/run_tl_mos.c), 3 s after each as the reference
 * sleeps; a --timeout-postcopy case without words checks the destination runs after
 * the timeout.  The migration is judged by status_error / err_msg (libvirt >= 9.4
 * refuses xbzrle with --parallel; QEMU >= 8.1 postcopy with --parallel: the reference
 * then expects the failure).  After it: the guest on the destination, domjobinfo
 * --completed (check_complete_job), the vCPUs in the destination's XML
 * (guest_xml_check_after_mig with vcpu_num), actions_after_migration (checkdomstate),
 * migrate_vm_back (virsh_migrate_options from the destination back).
 *
 * native_tls: with --tls in the extra words, TLSConnection(params)'s certificates
 * (qemu_tls: QEMU's, server_cn / client_cn, into custom_pki_path on both hosts, the
 * hosts' own put back afterwards; runner/run_tl_tls.h) before the daemons' edits; the
 * words virsh itself refuses (an empty --tls-destination, --tls-destination without
 * --tls) fail with virsh's text, before any call, as under avocado-vt.
 *
 * What vtrun does not build yet -- the daemons' own TLS (--tls without qemu_tls),
 * vTPM, the pty channel, events, the timer check, compcache, concurrent migrations,
 * a dropped network, and the words without a step -- is an ERROR naming the param or
 * word, decided before any VM starts.  The ppc-only cases and the cache negatives
 * tp-libvirt cancels on libvirt >= 5.6 & QEMU >= 4.0 are CANCELs (runner/run_needs.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_tl.h"
#include "runner/run_tlsconn.h"
#include "runner/run_type.h"
#include "runner/run_needs.h"
#include "runner/run_virsh.h"
#include "runner/type_options_shared.h"
#include "virt/virt.h"

struct mos_opts {
    const char *options, *extra, *postcopy, *err_msg;
    bool status_error, asynch, stress, migrate_back, complete_job, pause_before;
    bool maxdowntime_before, remove_cache;
    const char *parallel_n, *vcpu_num, *low_speed, *cache, *stress_args;
    const char *actions, *after, *default_maxdowntime, *xml_check;
    const char *jobinfo_item, *compare_to_value, *migrate_maxdowntime, *migrate_speed;
    double diff_rate;
    bool jobinfo_remote;
    const char *confs[6];               /* mos_conf_params' values, in its order */
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct mos_opts, __VA_ARGS__)
static const struct run_param mos_params[] = {
    { "virsh_migrate_options", AT(STR, options), .def = "",
      .doc = "virsh migrate option words (migration/mig.h)" },
    { "virsh_migrate_extra", AT(STR, extra), .def = "", .doc = "more words after them" },
    { "postcopy_options", AT(STR, postcopy), .def = "", .doc = "more words, last" },
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text must match" },
    { "asynch_migrate", AT(BOOL, asynch), .def = "no",
      .doc = "migrate in the engine's thread with actions_during_migration around it" },
    { "actions_during_migration", AT(STR, actions),
      .doc = "comma-separated action words (the adapter table)" },
    { "actions_after_migration", AT(STR, after),
      .doc = "comma-separated words after it: checkdomstate (save_restore not built)" },
    { "parallel_cn_nums", AT(STR, parallel_n),
      .doc = "appended to the extra words; the expected connections are it + 1" },
    { "vcpu_num", AT(STR, vcpu_num), .doc = "the guest's vCPUs; checked in the "
      "destination's XML (guest_xml_check_after_mig)" },
    { "guest_xml_check_after_mig", AT(STR, xml_check),
      .doc = "with vcpu_num: the regex prefix of <vcpu ...>N</vcpu> on the destination" },
    { "cache", AT(STR, cache), .doc = "the cache mode of the guest's disk" },
    { "remove_cache", AT(BOOL, remove_cache), .def = "no",
      .doc = "the guest's disk without a cache mode" },
    { "stress_in_vm", AT(BOOL, stress), .def = "no", .doc = "stress in the guest first" },
    { "stress_args", AT(STR, stress_args), .doc = "stress's arguments" },
    { "low_speed", AT(STR, low_speed), .unit = "MiB/s",
      .doc = "migrate-setspeed before the migration (--postcopy too with postcopy_options)" },
    { "pause_vm_before_migration", AT(BOOL, pause_before), .def = "no",
      .doc = "suspend the guest before migrating" },
    { "check_default_maxdowntime", AT(STR, default_maxdowntime),
      .doc = "migrate-getmaxdowntime before the migration must print it" },
    { "set_maxdowntime_before_migration", AT(BOOL, maxdowntime_before), .def = "no",
      .doc = "set and read back migrate_maxdowntime before the migration" },
    { "migrate_maxdowntime", AT(STR, migrate_maxdowntime), .def = "0.3", .unit = "s",
      .doc = "setmaxdowntime's value" },
    { "migrate_speed", AT(STR, migrate_speed), .def = "41943040", .unit = "bytes/s",
      .doc = "setspeed's value" },
    { "check_complete_job", AT(BOOL, complete_job), .def = "no",
      .doc = "domjobinfo --completed after the migration (jobinfo_item)" },
    { "jobinfo_item", AT(STR, jobinfo_item), .doc = "the domjobinfo line looked at" },
    { "compare_to_value", AT(STR, compare_to_value), .doc = "its expected value" },
    { "diff_rate", AT(FLOAT, diff_rate), .def = "0", .doc = "the difference allowed" },
    { "check_domjobinfo_remote", AT(BOOL, jobinfo_remote), .def = "no",
      .doc = "domjobinfo on the destination too" },
    { "libvirtd_conf_dict", AT(STR, confs[0]),
      .doc = "the source's libvirtd.conf: {\"key\": \"value as the file writes it\"}" },
    { "log_conf_dict", AT(STR, confs[1]), .doc = "the same (the log settings)" },
    { "libvirtd_conf_dest_dict", AT(STR, confs[2]),
      .doc = "the destination's: {r\"key\\s*=.*\": 'key=value'}" },
    { "log_conf_dest_dict", AT(STR, confs[3]), .doc = "the same (the log settings)" },
    { "qemu_conf_dict", AT(STR, confs[4]),
      .doc = "the source's qemu.conf: {\"key\": \"value as the file writes it\"}" },
    { "qemu_conf_dest_dict", AT(STR, confs[5]),
      .doc = "the destination's qemu.conf: {r\"key\\s*=.*\": 'key=value'}" },
    { "migrate_vm_back", AT(BOOL, migrate_back), .def = "no",
      .doc = "migrate back with virsh_migrate_options after a migration that succeeded" },
    { NULL },
};
#undef AT

/* A comma-separated list's words, blanks around them dropped, empty ones skipped
 * (Python's split(",") would keep them: a word '' is no action there either).
 * NULL-terminated; params_strv_free(). */
static char **mos_split(const char *text)
{
    size_t n = 0;
    char **w = xcalloc(strlen(text ? text : "") + 2, sizeof(*w));
    for (const char *s = text ? text : ""; *s;) {
        size_t len = strcspn(s, ",");
        const char *b = s;
        size_t l = len;
        while (l && strchr(" \t", *b))
            b++, l--;
        while (l && strchr(" \t", b[l - 1]))
            l--;
        if (l)
            w[n++] = xasprintf("%.*s", (int)l, b);
        s += len + (s[len] == ',');
    }
    return w;
}

/* ---- the adapter: actions_during_migration's words -> engine funcs --------------- */

/* One row per word of do_actions_during_migrate; the func is the engine's
 * (migration/mig_act.c), its step runs when runner/run_tl.c's table has it. */
static const struct mos_word {
    const char *word, *func;
} mos_words[] = {
    { "checkestablished", "mos.checkestablished" },
    { "setmaxdowntime", "mos.setmaxdowntime" },
    { "domjobinfo", "mos.domjobinfo" },
    { "setspeed", "mos.setspeed" },
    { "converge", "mos.converge" },
    { "domjobinfo_output_all", "mos.domjobinfo_output_all" },
    { "setmigratepostcopy", "mos.setmigratepostcopy" },
    { "checkdomstats", "mos.checkdomstats" },
    { "drop_network_connection", "mos.drop_network_connection" },
    { "suspendvm", "mos.suspendvm" },
    { "cancel_concurrent_migration", "mos.cancel_concurrent_migration" },
    { "killqemutarget", "mos.killqemutarget" },
};

const char *run_mos_word_func(const char *word)
{
    for (size_t k = 0; k < ARRAY_SIZE(mos_words); k++)
        if (!strcmp(mos_words[k].word, word))
            return mos_words[k].func;
    return NULL;
}

/* The action list of words (comma-separated) as the engine reads it (a literal of
 * mig_act), each after the first 3 s later (the reference's sleep after each), or a
 * timeout-postcopy check.  NULL with err naming an unknown word. */
char *run_mos_actions_literal(const char *words, const char *extra)
{
    struct strbuf lit = STRBUF_INIT;
    strbuf_addch(&lit, '[');
    if (words && *words) {
        char **w = mos_split(words);
        for (size_t k = 0; w[k]; k++) {
            const char *func = run_mos_word_func(w[k]);
            if (!func) {
                err_set("actions_during_migration: unknown word '%s'", w[k]);
                params_strv_free(w);
                strbuf_release(&lit);
                return NULL;
            }
            strbuf_addf(&lit, "%s{\"func\": \"%s\", \"func_param\": \"params\"%s}",
                        k ? ", " : "", func, k ? ", \"need_sleep_time\": 3" : "");
        }
        params_strv_free(w);
    } else if (extra && strstr(extra, "timeout-postcopy"))
        strbuf_addstr(&lit, "{\"func\": \"mos.timeout_postcopy\", \"func_param\": \"params\"}");
    strbuf_addch(&lit, ']');
    return strbuf_detach(&lit, NULL);
}

/* ---- what is not built ------------------------------------------------------------ */

/* The reference's setups vtrun does not build: a case with one set is an ERROR naming
 * it.  `unless`: the value that asks for nothing (NULL: "no"). */
static const struct {
    const char *param, *unless;
} mos_unbuilt_rows[] = {
    { "tpm_args", "{}" },
    { "add_channel", NULL },
    { "check_event_output", NULL },
    { "timer_migration", NULL },
    { "concurrent_migration", NULL },
    { "check_domjobinfo_results", NULL },
    { "cmd_in_vm_after_migration", "" },
};

static const char *mos_unbuilt_param(const struct params *p, const char **val)
{
    for (size_t k = 0; k < ARRAY_SIZE(mos_unbuilt_rows); k++) {
        const char *v = params_get(p, mos_unbuilt_rows[k].param);
        const char *unless = mos_unbuilt_rows[k].unless ? mos_unbuilt_rows[k].unless : "no";
        if (!v || !*v || !strcmp(v, unless))
            continue;
        *val = v;
        return mos_unbuilt_rows[k].param;
    }
    return NULL;
}

/* The first word of a comma-separated list (actions_during_migration) whose func has
 * no step, or that the adapter does not know (*known false); NULL when all run. */
static char *mos_unbuilt_word(const char *words, bool *known)
{
    char *bad = NULL;
    char **w = mos_split(words);
    for (size_t k = 0; w[k] && !bad; k++) {
        const char *func = run_mos_word_func(w[k]);
        struct mig_action a = { .func = func };
        int row = func ? mig_act_step_of(func) : -1;
        *known = func != NULL;
        if (row >= 0) {
            struct mig_actions acts;
            char *lit = xasprintf("[{\"func\": \"%s\", \"func_param\": \"params\"}]", func);
            if (mig_act_parse(lit, &acts) == 0 && acts.n == 1)
                a = acts.a[0];
            free(lit);
            bool built = acts.n == 1 && run_tl_action_built(&a);
            mig_act_release(&acts);
            if (built)
                continue;
        }
        bad = xstrdup(w[k]);
    }
    params_strv_free(w);
    return bad;
}

/* The first after-migration word vtrun does not build, or NULL. */
static char *mos_unbuilt_after(const char *words)
{
    char *bad = NULL;
    char **w = mos_split(words);
    for (size_t k = 0; w[k] && !bad; k++)
        if (strcmp(w[k], "checkdomstate"))
            bad = xstrdup(w[k]);
    params_strv_free(w);
    return bad;
}

/* The reference makes TLSConnection(params) for an extra with --tls (a word starting
 * so: --tls-destination too), unless tls_auto_recovery = no. */
static bool mos_tls(const struct params *p)
{
    return strstr(params_get_or(p, "virsh_migrate_extra", ""), "--tls") &&
           strcmp(params_get_or(p, "tls_auto_recovery", "yes"), "yes") == 0;
}

int run_mos_unbuilt(const struct params *p, struct strbuf *why)
{
    const char *v = NULL, *param = mos_unbuilt_param(p, &v);
    bool known = true;
    char *word;
    if (param) {
        strbuf_addf(why, "%s = '%s': vtrun does not build this setup of tp-libvirt's "
                    "migrate_options_shared yet", param, v);
        return -1;
    }
    if (mos_tls(p) && strcmp(params_get_or(p, "qemu_tls", "no"), "yes")) {
        strbuf_addf(why, "qemu_tls = '%s' with --tls: vtrun does not build TLSConnection's "
                    "TLS of the daemons' connection for migrate_options_shared yet",
                    params_get_or(p, "qemu_tls", "no"));
        return -1;
    }
    if (params_get(p, "hpt_resize") || params_get(p, "htm_state") ||
        params_get(p, "new_contrl_index")) {
        strbuf_addstr(why, "hpt_resize / htm_state / new_contrl_index: the ppc64 setups are "
                      "not built");
        return -1;
    }
    if ((word = mos_unbuilt_word(params_get(p, "actions_during_migration"), &known))) {
        strbuf_addf(why, "actions_during_migration: %s '%s'", known
                    ? "vtrun has no step for the word" : "tp-libvirt has no action word",
                    word);
        free(word);
        return -1;
    }
    if ((word = mos_unbuilt_after(params_get(p, "actions_after_migration")))) {
        strbuf_addf(why, "actions_after_migration: vtrun does not build '%s' yet", word);
        free(word);
        return -1;
    }
    return 0;
}

static bool mos_unbuilt_applies(const struct params *p)
{
    struct strbuf why = STRBUF_INIT;
    int rc = run_mos_unbuilt(p, &why);
    strbuf_release(&why);
    return rc < 0;
}

static int mos_unbuilt_met(const struct run_need *n, const struct params *p,
                           struct run_facts *f, struct strbuf *why)
{
    struct strbuf w = STRBUF_INIT;
    (void)n;
    (void)why;
    /* the ppc64-only cases: off ppc64 the generic ppc64 row cancels them (after the
     * type's rows), so this one is met there */
    if (params_get(p, "hpt_resize") || params_get(p, "htm_state") ||
        params_get(p, "new_contrl_index")) {
        if (!f->arch)
            run_facts_need_hosts(f);
        if (f->arch && strncmp(f->arch, "ppc64", 5))
            return 1;
    }
    run_mos_unbuilt(p, &w);
    err_set("%s", w.buf);
    strbuf_release(&w);
    return -1;
}

static const struct run_need mos_needs_last[] = {
    { "not built", .applies = mos_unbuilt_applies, .met = mos_unbuilt_met,
      .met_doc = "a setup or an action word vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

/* ---- the run ---------------------------------------------------------------------- */

/* The hosts' versions as `virsh version` on the source prints them (libvirt's
 * encoding, 0 unknown). */
static void mos_versions(struct run_ctx *ctx, unsigned long long *lv, unsigned long long *qv)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *words[] = { "version", NULL };
    *lv = *qv = 0;
    if (run_virsh_words(ctx, 0, words, &r) == 0 && r.status == 0) {
        static const char *const keys[] = { "Using library: libvirt ",
                                            "Running hypervisor: QEMU " };
        for (int k = 0; k < 2; k++) {
            const char *s = strstr(r.out.buf, keys[k]);
            unsigned a = 0, b = 0, c = 0;
            if (s && sscanf(s + strlen(keys[k]), "%u.%u.%u", &a, &b, &c) >= 2)
                *(k ? qv : lv) = a * 1000000ULL + b * 1000ULL + c;
        }
    }
    run_virsh_release(&r);
}

/* get_usable_compress_cache: the smallest power of two above the page size. */
static long mos_xbzrle_cache(void)
{
    long page = sysconf(_SC_PAGESIZE), c = 1;
    while (c <= page)
        c <<= 1;
    return c;
}

/* The reference's words: options, extra (--comp-xbzrle-cache's value after it),
 * parallel_cn_nums, postcopy_options. */
static void mos_cmd_words(const struct mos_opts *o, struct strbuf *w)
{
    strbuf_addf(w, "%s %s", o->options, o->extra);
    if (strstr(o->extra, "comp-xbzrle-cache"))
        strbuf_addf(w, " %ld", mos_xbzrle_cache());
    if (o->parallel_n && *o->parallel_n)
        strbuf_addf(w, " %s", o->parallel_n);
    if (*o->postcopy)
        strbuf_addf(w, " %s", o->postcopy);
}

struct mos_run {
    char *words;                /* the migration's words */
    bool status_error;
    const char *err_msg;
    bool no_actions;            /* postcopy + multifd on QEMU >= 8.1 */
    long cache_kib;             /* --comp-xbzrle-cache's value in KiB, or 0 */
};

static bool mos_unsafe_cache(const struct mos_opts *o)
{
    return o->remove_cache ||
           (o->cache && *o->cache && strcmp(o->cache, "none") && strcmp(o->cache, "directsync"));
}

/* The reference's assembly of the words and of what it expects. */
static void mos_plan(struct run_ctx *ctx, const struct mos_opts *o, struct mos_run *r)
{
    unsigned long long lv, qv;
    struct strbuf w = STRBUF_INIT;
    mos_versions(ctx, &lv, &qv);
    r->status_error = o->status_error;
    r->err_msg = o->err_msg;
    mos_cmd_words(o, &w);
    if (strstr(o->extra, "comp-xbzrle-cache"))
        r->cache_kib = mos_xbzrle_cache() / 1024;
    bool new_enough = lv >= 5006000 && qv >= 4000000;
    if (mos_unsafe_cache(o) && !o->status_error && !new_enough)
        strbuf_addstr(&w, " --unsafe");
    if (strstr(w.buf, "xbzrle") && strstr(w.buf, "parallel") && lv >= 9004000)
        r->status_error = true;
    if (strstr(w.buf, "postcopy") && strstr(w.buf, "parallel") && qv >= 8001000) {
        r->status_error = true;
        r->err_msg = "Postcopy is not yet compatible with multifd";
        r->no_actions = true;
    }
    r->words = strbuf_detach(&w, NULL);
}

/* The conf dicts read (mos_confs), before anything starts.  0 or -1 with err. */
static int mos_check_confs(const struct mos_opts *o);

static int mos_check(const struct run_common *c, void *opts)
{
    struct mos_opts *o = opts;
    static const char *const ints[] = { "parallel_cn_nums", "vcpu_num", "low_speed" };
    const char *vals[] = { o->parallel_n, o->vcpu_num, o->low_speed };
    for (size_t k = 0; k < ARRAY_SIZE(ints); k++) {
        char *end = NULL;
        if (vals[k] && *vals[k] && (strtol(vals[k], &end, 10), *end)) {
            err_set("%s = '%s': expected an integer", ints[k], vals[k]);
            return -1;
        }
    }
    struct be_migrate_opts mo = { 0 };
    struct strbuf w = STRBUF_INIT;
    mos_cmd_words(o, &w);
    int rc = mig_opts_parse(w.buf, &mo);
    if (rc < 0)
        err_prefix("virsh migrate words '%s'", w.buf);
    mig_opts_release(&mo);
    strbuf_release(&w);
    if (rc < 0 || mos_check_confs(o) < 0)
        return -1;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

/* The reference's edits of the guest before it starts: the disk's cache mode
 * (set_vm_disk's driver_cache, or none with remove_cache) and its vCPUs. */
static void mos_edits(struct run_ctx *ctx, const struct mos_opts *o, struct be_vm_spec *spec)
{
    if (spec->ndisks && (o->remove_cache || (o->cache && *o->cache))) {
        free(spec->disks[0].cache);
        spec->disks[0].cache = o->remove_cache ? NULL : xstrdup(o->cache);
        run_log(ctx, "disk %s: cache %s", spec->disks[0].path,
                o->remove_cache ? "(none given)" : o->cache);
    }
    if (o->vcpu_num && *o->vcpu_num) {
        spec->smp = (unsigned)strtoul(o->vcpu_num, NULL, 10);
        if (spec->max_vcpus && spec->max_vcpus < spec->smp)
            spec->max_vcpus = spec->smp;
        run_log(ctx, "vCPUs: %u", spec->smp);
    }
}

/* `virsh CMD DOMAIN MORE` on host h; stdout trimmed into out.  -1 with the test's
 * ERROR when it fails (ignore_status=False). */
static int mos_virsh(struct run_ctx *ctx, int h, const char *dom, const char *cmd,
                     const char *more, char *out, size_t n)
{
    const char *words[] = { cmd, dom, more, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, h, words, &r) < 0 || r.status) {
        rc = run_error(ctx, "CmdError", "virsh %s %s%s%s on %s: %s", cmd, dom, more ? " " : "",
                       more ? more : "", ctx->hosts[h].name, r.status > 0 ? r.err.buf : err_msg());
    } else if (out) {
        const char *s = r.out.buf + strspn(r.out.buf, " \t\r\n");
        size_t len = strlen(s);
        while (len && strchr(" \t\r\n", s[len - 1]))
            len--;
        snprintf(out, n, "%.*s", (int)len, s);
    }
    run_virsh_release(&r);
    return rc;
}

/* check_maxdowntime before the migration. */
static int mos_maxdowntime_before(struct run_ctx *ctx, const struct mos_opts *o, const char *dom)
{
    long want = (long)(strtod(o->migrate_maxdowntime, NULL) * 1000);
    char val[32], got[64];
    snprintf(val, sizeof(val), "%ld", want);
    if (mos_virsh(ctx, 0, dom, "migrate-setmaxdowntime", val, NULL, 0) < 0 ||
        mos_virsh(ctx, 0, dom, "migrate-getmaxdowntime", NULL, got, sizeof(got)) < 0)
        return -1;
    if (strtol(got, NULL, 10) != want)
        return run_fail(ctx, "MaxDowntime", "Migration maxdowntime is expected to be '%ld "
                        "ms', but '%s ms' found", want, got);
    run_log(ctx, "maxdowntime set to %s ms before the migration", got);
    return 0;
}

/* What the reference does before the migration, in its order. */
static int mos_before(struct run_ctx *ctx, const struct mos_opts *o, struct virt_vms *vms,
                      size_t i)
{
    const char *dom = vms->vm[i].domain;
    char got[64];
    if (o->default_maxdowntime && *o->default_maxdowntime) {
        if (mos_virsh(ctx, 0, dom, "migrate-getmaxdowntime", NULL, got, sizeof(got)) < 0)
            return -1;
        if (strcmp(got, o->default_maxdowntime))
            return run_fail(ctx, "MaxDowntime", "Unable to get expected maxdowntime! "
                            "Expected: %s,Actual: %s.", o->default_maxdowntime, got);
    }
    if (o->maxdowntime_before && mos_maxdowntime_before(ctx, o, dom) < 0)
        return -1;
    if (o->stress && run_tl_guest_stress(ctx, vms, i, "stress", o->stress_args) < 0)
        return -1;
    if (o->low_speed && *o->low_speed) {
        if (mos_virsh(ctx, 0, dom, "migrate-setspeed", o->low_speed, NULL, 0) < 0)
            return -1;
        if (*o->postcopy) {
            const char *words[] = { "migrate-setspeed", dom, o->low_speed, "--postcopy", NULL };
            struct run_virsh r = RUN_VIRSH_INIT;
            int rc = run_virsh_words(ctx, 0, words, &r);
            bool bad = rc < 0 || r.status;
            if (bad)
                run_error(ctx, "CmdError", "virsh migrate-setspeed --postcopy: %s",
                          rc < 0 ? err_msg() : r.err.buf);
            run_virsh_release(&r);
            if (bad)
                return -1;
        }
        run_log(ctx, "migration speed %s MiB/s before the migration", o->low_speed);
    }
    if (o->pause_before) {
        if (mos_virsh(ctx, 0, dom, "suspend", NULL, NULL, 0) < 0)
            return -1;
        run_log(ctx, "%s suspended before the migration", dom);
    }
    return 0;
}

/* virsh's own checks: an empty --tls-destination (vshCommandOptStringReq),
 * --tls-destination without --tls (VSH_REQUIRE_OPTION); every text starts "error: ". */
const char *run_mos_virsh_refusal(const struct be_migrate_opts *mo)
{
    const char *td = mig_opts_param_value(mo, BE_MP_TLS_DESTINATION);
    if (td && !*td)
        return "error: Failed to get option 'tls-destination': Option argument is empty";
    if (td && !(mo->flags & BE_MIG_TLS))
        return "error: Option --tls is required by option --tls-destination";
    return NULL;
}

/* The migration with its actions: run_tl_hop's returns. */
static int mos_hop(struct run_ctx *ctx, const struct mos_opts *o, const struct mos_run *r,
                   struct virt_vms *vms, size_t i)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    struct mig_expect e = { .status_error = r->status_error, .err_msg = r->err_msg,
                            .cancel_unsupported = true };
    int rc;
    if (mig_opts_parse(r->words, &mo) < 0) {
        rc = run_error(ctx, "ConfigError", "virsh migrate words '%s': %s", r->words, err_msg());
        goto out;
    }
    mo.cancel = ctx->cancel;
    mo.hard_deadline = ctx->deadline;
    const char *refused = run_mos_virsh_refusal(&mo);
    if (refused) {
        /* judged as a failed hop: virsh's text is the whole error */
        struct be_hop_metrics m = { 0 };
        run_log(ctx, "virsh migrate refuses its words: %s", refused);
        snprintf(m.hv_error, sizeof(m.hv_error), "%s", refused + strlen("error: "));
        rc = run_mig_hop_judge(ctx, vms, i, 0, 1, 1, &e, false, &m);
        goto out;
    }
    if (o->asynch && !r->no_actions) {
        char *lit = run_mos_actions_literal(o->actions, o->extra);
        rc = lit ? mig_act_parse(lit, &acts) : -1;
        free(lit);
        if (rc < 0) {
            rc = run_error(ctx, "ConfigError", "actions_during_migration: %s", err_msg());
            goto out;
        }
    }
    struct run_tl_hop h = { .vms = vms, .vm = i, .from = 0, .to = 1, .n = 1, .expect = &e,
                            .opts = &mo, .acts = &acts };
    rc = run_tl_hop(ctx, &h);
out:
    mig_act_release(&acts);
    mig_opts_release(&mo);
    return rc;
}

/* check_complete_job: domjobinfo --completed on the source (and the destination with
 * check_domjobinfo_remote), jobinfo_item against compare_to_value. */
static int mos_complete_job(struct run_ctx *ctx, const struct mos_opts *o, const struct mos_run *r,
                            const char *dom)
{
    const char *item = o->jobinfo_item;
    char cmp[32] = "";
    if (item && !strcmp(item, "Expected downtime:"))
        item = "Total downtime:";
    if (r->cache_kib)
        snprintf(cmp, sizeof(cmp), "%ld", r->cache_kib);
    else if (o->actions && strstr(o->actions, "setmaxdowntime"))
        snprintf(cmp, sizeof(cmp), "%ld", (long)(strtod(o->migrate_maxdowntime, NULL) * 1000));
    else if (o->actions && strstr(o->actions, "setspeed"))
        snprintf(cmp, sizeof(cmp), "%ld", strtol(o->migrate_speed, NULL, 10) / (1024 * 1024));
    else if (o->compare_to_value)
        snprintf(cmp, sizeof(cmp), "%s", o->compare_to_value);
    for (int h = 0; h < (o->jobinfo_remote ? 2 : 1); h++) {
        const char *words[] = { "domjobinfo", dom, "--completed", NULL };
        struct run_virsh v = RUN_VIRSH_INIT;
        if (run_virsh_words(ctx, h, words, &v) < 0) {
            run_virsh_release(&v);
            return run_error(ctx, "CmdError", "virsh domjobinfo --completed on %s: %s",
                             ctx->hosts[h].name, err_msg());
        }
        run_log(ctx, "domjobinfo --completed on %s:\n%s%s", ctx->hosts[h].name, v.out.buf,
                v.err.buf);
        if (item && *cmp)
            run_tl_mos_jobinfo_look(ctx, v.out.buf, item, cmp, o->diff_rate);
        run_virsh_release(&v);
    }
    return 0;
}

/* After a migration that succeeded: the guest there (running, or paused when it was
 * suspended), the XML's vCPUs, the after-words, the way back. */
static int mos_after(struct run_ctx *ctx, const struct mos_opts *o, const struct mos_run *r,
                     struct virt_vms *vms, size_t i)
{
    const char *dom = vms->vm[i].domain;
    /* suspended during the migration: paused there after precopy, running after a
     * switch to postcopy (the reference checks neither) */
    bool suspended = o->actions && strstr(o->actions, "suspendvm");
    enum be_state st;
    bool persistent;
    if (virt_vms_domain(vms, 1, dom, &st, &persistent) < 0)
        return run_error(ctx, "PostMigrationCheck", "destination: %s", err_msg());
    bool ok = o->pause_before ? st == BE_STATE_PAUSED
            : suspended ? st == BE_STATE_PAUSED || st == BE_STATE_RUNNING
            : st == BE_STATE_RUNNING;
    if (!ok)
        return run_fail(ctx, "PostMigrationCheck", "VM is %s on destination, expected %s",
                        be_state_name(st), o->pause_before ? "paused" : "running");
    run_log(ctx, "the guest is %s on the destination", be_state_name(st));
    if (st == BE_STATE_RUNNING && run_mig_landed(ctx, vms, i, 1) < 0)
        return -1;
    if (o->complete_job && mos_complete_job(ctx, o, r, dom) < 0)
        return -1;
    if (o->vcpu_num && *o->vcpu_num && o->xml_check) {
        const char *words[] = { "dumpxml", dom, NULL };
        struct run_virsh v = RUN_VIRSH_INIT;
        char *re = xasprintf("%s%s</vcpu>", o->xml_check, o->vcpu_num);
        int rc = run_virsh_words(ctx, 1, words, &v);
        bool found = rc == 0 && v.status == 0 && strstr(v.out.buf, re);
        if (rc < 0 || v.status)
            rc = run_error(ctx, "CmdError", "virsh dumpxml on the destination: %s",
                           rc < 0 ? err_msg() : v.err.buf);
        else if (!found)
            rc = run_fail(ctx, "PostMigrationCheck", "Fail to search '%s' in target guest "
                          "XML:\n%s", re, v.out.buf);
        else
            run_log(ctx, "destination XML has %s", re);
        free(re);
        run_virsh_release(&v);
        if (rc < 0)
            return -1;
    }
    if (o->after && strstr(o->after, "checkdomstate")) {
        char got[64];
        const char *want = o->pause_before ? "paused" : "running";
        if (mos_virsh(ctx, 1, dom, "domstate", NULL, got, sizeof(got)) < 0)
            return -1;
        if (strcmp(got, want))
            return run_fail(ctx, "PostMigrationCheck", "The vm state on target host should "
                            "be '%s', but '%s' found", want, got);
    }
    if (o->migrate_back) {
        struct be_migrate_opts mo = { 0 };
        struct be_hop_metrics m = { 0 };
        if (mig_opts_parse(o->options, &mo) < 0) {
            mig_opts_release(&mo);
            return run_error(ctx, "ConfigError", "virsh_migrate_options: %s", err_msg());
        }
        mo.cancel = ctx->cancel;
        mo.hard_deadline = ctx->deadline;
        int rc = virt_vms_migrate(vms, i, 0, &mo, &m);
        virt_vms_record_hop(vms, i, 2, 1, 0, &m, rc == 0, rc == 0 ? NULL : err_msg());
        mig_opts_release(&mo);
        if (rc < 0)
            return run_fail(ctx, "MigrationBackFailed", "Failed to run 'virsh migrate %s %s' "
                            "on remote: %s", dom, o->options, err_msg());
        run_log(ctx, "%s migrated back to %s", dom, ctx->hosts[0].name);
    }
    return 0;
}

/* The test's VMs and what it changed on the hosts (daemon config files). */
struct mos_state {
    struct virt_vms vms;            /* first: run_vmtype_prepare's view */
    struct virt_hostops *ops;
};

static int mos_setup(struct run_ctx *ctx)
{
    struct mos_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    st->ops = virt_hostops_new("mos", &st->vms.conf.vctx);
    return 0;
}

static void mos_cleanup(struct run_ctx *ctx)
{
    struct mos_state *st = ctx->data;
    if (!st)
        return;
    if (st->ops) {
        /* the files back, the daemons restarted in place when they read the edit */
        if (virt_hostops_undo(st->ops) < 0)
            run_error(ctx, "TestSetupError", "restore the daemons' config: %s", err_msg());
        for (int h = 0; h < 2; h++)
            virt_vms_reconnect(&st->vms, h);
        virt_hostops_free(st->ops);
    }
    run_vmset_cleanup(ctx, &st->vms);
    free(st);
    ctx->data = NULL;
}

/* The daemon's config edits of the case, per host: libvirtd_conf_dict, log_conf_dict
 * and qemu_conf_dict on the source ({"key": "value as the file writes it"}), their
 * _dest_ forms on the destination ({r"key\s*=.*": 'key=value'}, the reference's
 * substitute-else-add); a modular daemon's file is the monolithic libvirtd.conf here,
 * as avocado-vt maps it.  The daemon restarted in place on each host edited, as the
 * reference's update_conf_on_local_and_remote does. */
static const struct {
    const char *param;
    int host;
    bool regex_keys;
    const char *path;
} mos_conf_params[] = {
    { "libvirtd_conf_dict", 0, false, "/etc/libvirt/libvirtd.conf" },
    { "log_conf_dict", 0, false, "/etc/libvirt/libvirtd.conf" },
    { "libvirtd_conf_dest_dict", 1, true, "/etc/libvirt/libvirtd.conf" },
    { "log_conf_dest_dict", 1, true, "/etc/libvirt/libvirtd.conf" },
    { "qemu_conf_dict", 0, false, "/etc/libvirt/qemu.conf" },
    { "qemu_conf_dest_dict", 1, true, "/etc/libvirt/qemu.conf" },
};

/* One pair of a conf dict as a key and the value the file gets; -1 when it does not
 * read so. */
static int mos_conf_pair(const struct pylit *k, const struct pylit *v, bool regex_keys,
                         char **key, char **val)
{
    if (k->kind != PYLIT_STR || v->kind != PYLIT_STR)
        return -1;
    if (!regex_keys) {
        *key = xstrdup(k->s);
        *val = xstrdup(v->s);
        return 0;
    }
    size_t n = strspn(k->s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    const char *eq = strchr(v->s, '=');
    if (!n || !eq || strncmp(v->s, k->s, n))
        return -1;
    *key = xasprintf("%.*s", (int)n, k->s);
    *val = xstrdup(eq + 1);
    return 0;
}

int run_mos_conf_edits(const char *param, const char *text, bool regex_keys,
                       char ***keys, char ***vals)
{
    struct pylit d;
    size_t n = 0;
    *keys = *vals = NULL;
    if (pylit_parse(text, &d) < 0) {
        err_prefix("%s", param);
        return -1;
    }
    if (d.kind != PYLIT_DICT) {
        pylit_release(&d);
        err_set("%s = '%s': expected a dict", param, text);
        return -1;
    }
    *keys = xcalloc(d.n + 1, sizeof(char *));
    *vals = xcalloc(d.n + 1, sizeof(char *));
    for (size_t k = 0; k < d.n; k++) {
        if (mos_conf_pair(&d.items[2 * k], &d.items[2 * k + 1], regex_keys, &(*keys)[n],
                          &(*vals)[n]) < 0) {
            err_set("%s = '%s': pair %zu is not %s", param, text, k + 1, regex_keys
                    ? "r\"KEY\\s*=.*\": 'KEY=VALUE'" : "\"KEY\": \"VALUE\"");
            params_strv_free(*keys);
            params_strv_free(*vals);
            *keys = *vals = NULL;
            pylit_release(&d);
            return -1;
        }
        n++;
    }
    pylit_release(&d);
    return 0;
}

static int mos_check_confs(const struct mos_opts *o)
{
    for (size_t k = 0; k < ARRAY_SIZE(mos_conf_params); k++) {
        const char *text = o->confs[k];
        char **keys, **vals;
        if (!text || !*text || !strcmp(text, "{}"))
            continue;
        if (run_mos_conf_edits(mos_conf_params[k].param, text, mos_conf_params[k].regex_keys,
                               &keys, &vals) < 0)
            return -1;
        params_strv_free(keys);
        params_strv_free(vals);
    }
    return 0;
}

static const char *mos_log_file(const struct run_ctx *ctx)
{
    return params_get_or(ctx->params, "libvirt_log", "/var/log/libvirt/libvirtd.log");
}

/* cleanup_libvirtd_log, then the edits and the restarts. */
static int mos_confs(struct run_ctx *ctx, struct mos_state *st)
{
    bool edited[2] = { false, false };
    static const char *const greps[] = { "grep_str_local_log", "grep_str_local_log_1",
                                         "grep_str_not_in_local_log", "grep_str_remote_log",
                                         "grep_str_not_in_remote_log" };
    bool checks_log = false;
    for (size_t k = 0; k < ARRAY_SIZE(greps); k++) {
        const char *v = params_get(ctx->params, greps[k]);
        checks_log = checks_log || (v && *v);
    }
    /* the reference empties the logs of every case; only a case that reads them needs
     * it, and the others keep the daemon's log for the evidence of a failure */
    for (int h = 0; h < 2 && checks_log; h++) {
        struct virt_host *link = run_host_link(ctx, h);
        int status = -1;
        if (!link || virt_host_run(link, (const char *[]){ "rm", "-f", mos_log_file(ctx), NULL },
                                   30, NULL, NULL, &status) < 0 || status)
            return run_error(ctx, "TestSetupError", "rm -f %s on %s: %s", mos_log_file(ctx),
                             ctx->hosts[h].name, status > 0 ? "failed" : err_msg());
    }
    for (size_t k = 0; k < ARRAY_SIZE(mos_conf_params); k++) {
        const char *text = params_get(ctx->params, mos_conf_params[k].param);
        char **keys, **vals;
        int h = mos_conf_params[k].host;
        if (!text || !*text || !strcmp(text, "{}"))
            continue;
        if (run_mos_conf_edits(mos_conf_params[k].param, text, mos_conf_params[k].regex_keys,
                               &keys, &vals) < 0)
            return run_error(ctx, "ConfigError", "%s", err_msg());
        struct virt_host *link = run_host_link(ctx, h);
        int rc = link ? 0 : -1;
        for (size_t j = 0; keys[j] && rc == 0; j++) {
            rc = virt_hostop_conf_set(st->ops, link, "libvirtd", mos_conf_params[k].path,
                                      keys[j], vals[j]);
            if (rc == 0)
                run_log(ctx, "%s: %s %s = %s", ctx->hosts[h].name, mos_conf_params[k].path,
                        keys[j], vals[j]);
        }
        params_strv_free(keys);
        params_strv_free(vals);
        if (rc < 0)
            return run_error(ctx, "TestSetupError", "%s on %s: %s", mos_conf_params[k].param,
                             ctx->hosts[h].name, err_msg());
        edited[h] = true;
    }
    for (int h = 0; h < 2; h++) {
        if (!edited[h])
            continue;
        if (virt_hostop_daemon(st->ops, run_host_link(ctx, h), "libvirtd", VIRT_DAEMON_RESTART,
                               NULL) < 0)
            return run_error(ctx, "TestSetupError", "restart libvirtd on %s: %s",
                             ctx->hosts[h].name, err_msg());
        virt_vms_reconnect(&st->vms, h);
        run_log(ctx, "libvirtd restarted on %s", ctx->hosts[h].name);
    }
    return 0;
}

/* libvirt.check_logfile: the daemon's log on host h has (or has not) a match of the
 * regex (grep -P: Perl's syntax, as Python's re reads these patterns). */
static int mos_log_check(struct run_ctx *ctx, int h, const char *re, bool want)
{
    struct virt_host *link = run_host_link(ctx, h);
    int status = -1;
    if (!link || virt_host_run(link, (const char *[]){ "grep", "-P", "-q", "-e", re,
                               mos_log_file(ctx), NULL }, 60, NULL, NULL, &status) < 0 ||
        status > 1)
        return run_error(ctx, "LogCheck", "grep %s on %s: %s", mos_log_file(ctx),
                         ctx->hosts[h].name, status > 1 ? "failed" : err_msg());
    if ((status == 0) != want)
        return run_fail(ctx, "LogCheck", "'%s' %s in %s on %s", re,
                        want ? "not found" : "found", mos_log_file(ctx), ctx->hosts[h].name);
    run_log(ctx, "%s on %s: '%s' %s, as expected", mos_log_file(ctx), ctx->hosts[h].name, re,
            want ? "found" : "absent");
    return 0;
}

static int mos_logs(struct run_ctx *ctx)
{
    static const struct {
        const char *param;
        int host;
        bool want;
    } rows[] = {
        { "grep_str_local_log", 0, true }, { "grep_str_local_log_1", 0, true },
        { "grep_str_not_in_local_log", 0, false }, { "grep_str_remote_log", 1, true },
        { "grep_str_not_in_remote_log", 1, false },
    };
    for (size_t k = 0; k < ARRAY_SIZE(rows); k++) {
        const char *re = params_get(ctx->params, rows[k].param);
        if (re && *re && mos_log_check(ctx, rows[k].host, re, rows[k].want) < 0)
            return -1;
    }
    return 0;
}

/* comp_cache_size: migrate-compcache --size before the migration, its answer checked
 * ("Compression cache: %.3f M"). */
static int mos_compcache(struct run_ctx *ctx, const char *size, const char *dom)
{
    char *end = NULL;
    unsigned long long n = strtoull(size, &end, 10);
    if (*end || !n || (n & (n - 1)) || n <= (unsigned long long)sysconf(_SC_PAGESIZE))
        return run_error(ctx, "ConfigError", "%s is not power of 2 or smaller than default "
                         "pagesize.", size);
    const char *words[] = { "migrate-compcache", dom, "--size", size, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = run_virsh_words(ctx, 0, words, &r);
    char *want = xasprintf("Compression cache: %.3f M", (double)n / (1024 * 1024));
    if (rc < 0 || r.status)
        rc = run_error(ctx, "CmdError", "virsh migrate-compcache: %s",
                       rc < 0 ? err_msg() : r.err.buf);
    else if (!strstr(r.out.buf, want))
        rc = run_fail(ctx, "CompCache", "Failed to find '%s' in '%s'.", want, r.out.buf);
    else
        run_log(ctx, "%s", want);
    free(want);
    run_virsh_release(&r);
    return rc;
}

static int mos_run(struct run_ctx *ctx)
{
    const struct mos_opts *o = ctx->opts;
    struct mos_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct mos_run r = { 0 };
    int rc;

    /* TLSConnection(params).conn_setup(): QEMU's certificates, undone with the rest */
    if (mos_tls(ctx->params) && run_tlsconn_pki(ctx, st->ops) < 0)
        return -1;
    if (mos_confs(ctx, st) < 0)
        return -1;
    mos_edits(ctx, o, vms->vm[i].spec);
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    const char *cc = params_get(ctx->params, "comp_cache_size");
    if (cc && *cc && mos_compcache(ctx, cc, vms->vm[i].domain) < 0)
        return -1;
    if (mos_before(ctx, o, vms, i) < 0)
        return -1;
    mos_plan(ctx, o, &r);
    rc = mos_hop(ctx, o, &r, vms, i);
    /* the reference checks the logs whatever the migration did */
    if (rc >= 0 && mos_logs(ctx) < 0)
        rc = -1;
    if (rc == 1)
        rc = mos_after(ctx, o, &r, vms, i);
    free(r.words);
    return rc < 0 ? -1 : 0;
}

const struct run_type run_type_migrate_options_shared = {
    .name = "migrate_options_shared",
    .summary = "tp-libvirt's migrate_options_shared: one VM migrates with option words "
               "(multifd, compression, postcopy, cache modes ...) and the legacy action words "
               "during it (checkestablished, setmaxdowntime, suspendvm ...), optionally back",
    .needs = { .vms = 1, .hosts = 2, .rows_last = mos_needs_last },
    .params = mos_params,
    .opts_size = sizeof(struct mos_opts),
    .check = mos_check,
    .setup = mos_setup,
    .run = mos_run,
    .cleanup = mos_cleanup,
};
