/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_needs: the needs of a case, decided before anything starts (runner/run_needs.h).
 * The rows are a survey of tp-libvirt's migration configs and sources: how each case
 * says it needs hugepages, Ceph, ... and which cases tp-libvirt cancels itself.
 */
#include "runner/run_needs.h"
#include "runner/type_options_shared.h"
#include "runner/run_port.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void add_version(struct strbuf *sb, unsigned long long v)
{
    strbuf_addf(sb, "%llu.%llu.%llu", v / 1000000, v / 1000 % 1000, v % 1000);
}

/* avocado-vt's "(8, 5, 0)" (a Python tuple it eval()s) -> 8005000. */
static int tuple_version(const char *key, const char *text, unsigned long long *out)
{
    struct strbuf sb = STRBUF_INIT;
    const char *s = text + strspn(text, " ");
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n >= 2 && s[0] == '(' && s[n - 1] == ')') {
        for (size_t i = 1; i + 1 < n; i++)
            if (s[i] != ' ')
                strbuf_addch(&sb, s[i] == ',' ? '.' : s[i]);
        if (sb.len && sb.buf[sb.len - 1] == '.')    /* (9, 0, 0,) */
            sb.buf[--sb.len] = '\0';
    }
    int rc = sb.len ? run_version_parse(sb.buf, out) : -1;
    strbuf_release(&sb);
    if (rc < 0)
        err_set("param %s = '%s': expected a version tuple such as (9, 0, 0)", key, text);
    return rc;
}

/* ---- how a row decides ------------------------------------------------------------------ */

static bool has_capability(const struct run_facts *f, const char *cap)
{
    for (char **c = f->capabilities; c && *c; c++)
        if (!strcmp(*c, cap))
            return true;
    return false;
}

/* The hosts' version of one component, asked for when unknown; 0 still unknown. */
static unsigned long long fact_version(struct run_facts *f, bool qemu)
{
    if (!(qemu ? f->qemu_version : f->libvirt_version))
        run_facts_need_hosts(f);
    return qemu ? f->qemu_version : f->libvirt_version;
}

/* func_supported_since_{libvirt,qemu_kvm}_ver: avocado-vt's is_libvirt_feature_supported
 * and is_qemu_function_supported, against the source host (avocado-vt asks the machine
 * the test runs on), with the case's own *unsupported_err_msg as the reason. */
static int met_version(const struct run_need *n, const struct params *p, struct run_facts *f,
                       struct strbuf *why, bool qemu)
{
    const char *key = qemu ? "func_supported_since_qemu_kvm_ver"
                           : "func_supported_since_libvirt_ver";
    const char *msgkey = qemu ? "qemu_unsupported_err_msg" : "unsupported_err_msg";
    unsigned long long want, have;
    (void)n;
    if (tuple_version(key, params_get(p, key), &want) < 0)
        return -1;
    have = fact_version(f, qemu);
    if (!have || have >= want)
        return 1;
    strbuf_addf(why, "%s >= ", qemu ? "QEMU" : "libvirt");
    add_version(why, want);
    strbuf_addf(why, " (%s), the source host has ", key);
    add_version(why, have);
    strbuf_addf(why, ": %s", params_get_or(p, msgkey, qemu
                 ? "This qemu version doesn't support this function."
                 : "This libvirt version doesn't support this function."));
    return 0;
}

static int met_libvirt(const struct run_need *n, const struct params *p, struct run_facts *f,
                       struct strbuf *why)
{
    return met_version(n, p, f, why, false);
}

static int met_qemu(const struct run_need *n, const struct params *p, struct run_facts *f,
                    struct strbuf *why)
{
    return met_version(n, p, f, why, true);
}

int run_need_libvirt_since(const struct run_need *n, const struct params *p,
                           struct run_facts *f, struct strbuf *why)
{
    unsigned long long want, have = fact_version(f, false);
    (void)p;
    if (run_version_parse(n->since, &want) < 0 || !have || have >= want)
        return 1;
    strbuf_addf(why, "libvirt >= %s, the source host has ", n->since);
    add_version(why, have);
    return 0;
}

static int met_ppc64(const struct run_need *n, const struct params *p, struct run_facts *f,
                     struct strbuf *why)
{
    (void)n, (void)p;
    if (!f->arch)
        run_facts_need_hosts(f);
    if (!f->arch || !strncmp(f->arch, "ppc64", 5))
        return 1;
    strbuf_addf(why, "the hosts are %s", f->arch);
    return 0;
}

/* migrate_options_shared: on libvirt >= 5.6 with QEMU >= 4.0 every cache mode is safe,
 * so the negative cases cancel. */
static int met_cache_unsafe(const struct run_need *n, const struct params *p,
                            struct run_facts *f, struct strbuf *why)
{
    unsigned long long lv = fact_version(f, false), qv = fact_version(f, true);
    (void)n, (void)p;
    if (!lv || !qv || lv < 5006000 || qv < 4000000)
        return 1;
    strbuf_addstr(why, "libvirt ");
    add_version(why, lv);
    strbuf_addstr(why, ", QEMU ");
    add_version(why, qv);
    return 0;
}

static bool yes(const struct params *p, const char *key)
{
    return !strcmp(params_get_or(p, key, ""), "yes");
}

/* virsh_migrate.py: numatune with memory_mode preferred over the two guest NUMA cells
 * it makes when the guest has more than one vCPU (with vCPU hotplug: its maximum,
 * virsh_migrate_vcpus). */
static bool numatune_preferred(const struct params *p)
{
    long vcpus = yes(p, "virsh_migrate_cpu_hotplug") ?
        params_get_int(p, "virsh_migrate_vcpus", 64, NULL) : params_get_int(p, "smp", 1, NULL);
    return yes(p, "virsh_migrate_with_numa_pin")
        && !strcmp(params_get_or(p, "memory_mode", "strict"), "preferred")
        && vcpus > 1;
}

/* migrate_options_shared.py: a negative case of an unsafe cache mode. */
static bool cache_negative(const struct params *p)
{
    const char *cache = params_get(p, "cache");
    return yes(p, "status_error")
        && (yes(p, "remove_cache")
            || (cache && *cache && strcmp(cache, "none") && strcmp(cache, "directsync")));
}

/* migrate_options_shared: action words run during a migration the case does not slow
 * down (no low_speed): only a guest that dirties its memory faster than the hosts' link
 * (KVM, under the case's stress) keeps the migration going past the reference's 3 s
 * settle; a TCG guest's migration is over before the first word runs. */
static bool mos_unthrottled_actions(const struct params *p)
{
    const char *acts = params_get(p, "actions_during_migration");
    const char *low = params_get(p, "low_speed");
    struct strbuf why = STRBUF_INIT;
    /* what vtrun does not build stays an ERROR (the type's row), never hidden here */
    bool built = run_mos_unbuilt(p, &why) == 0;
    strbuf_release(&why);
    return built && yes(p, "asynch_migrate") && acts && *acts && (!low || !*low);
}

/* migrate_options_shared's negative xbzrle + --parallel: a refusal libvirt has since 9.4 */
static bool mos_xbzrle_parallel(const struct params *p)
{
    const char *extra = params_get(p, "virsh_migrate_extra");
    return yes(p, "status_error") && extra && strstr(extra, "xbzrle") && strstr(extra, "parallel");
}

/* ---- the rows ------------------------------------------------------------------------ */

#define ANY "*"

const struct run_need run_needs_generic[] = {
    { "libvirt_version", .when = { { "func_supported_since_libvirt_ver" } },
      .met = met_libvirt, .met_doc = "the source host's libvirt (settings' libvirt_version, "
      "else asked)", .text = "the source host's libvirt is older than the case needs" },
    { "qemu_version", .when = { { "func_supported_since_qemu_kvm_ver" } },
      .met = met_qemu, .met_doc = "the source host's QEMU (settings' qemu_version, else "
      "asked)", .text = "the source host's QEMU is older than the case needs" },
    /* virsh options newer than some hosts' libvirt: virsh itself refuses them there */
    { "detect_zeroes",
      .when = { { "virsh_migrate_options", .has = "--migrate-disks-detect-zeroes" },
                { "virsh_migrate_extra", .has = "--migrate-disks-detect-zeroes" } },
      .met = run_need_libvirt_since, .since = "10.9.0",
      .met_doc = "the source host's libvirt >= 10.9.0",
      .text = "virsh migrate --migrate-disks-detect-zeroes (libvirt 10.9.0)" },
    /* cases tp-libvirt cancels itself, in the order its sources check them */
    { "direct", .types = "virsh_migrate",
      .when = { { "virsh_migrate_options", .has = "direct" },
                { "virsh_migrate_extra", .has = "direct" } },
      .text = "Direct migration is supported only for Xen in libvirt (tp-libvirt cancels it)" },
    { "numatune_preferred", .types = "virsh_migrate", .applies = numatune_preferred,
      .text = "NUMA memory tuning in preferred mode only supports single node (tp-libvirt "
              "cancels memory_mode = preferred with two guest cells, smp > 1)" },
    { "ppc64", .types = "migrate_options_shared",
      .when = { { "hpt_resize" }, { "htm_state" }, { "new_contrl_index" } },
      .met = met_ppc64, .met_doc = "ppc64 hosts (settings' arch, else asked)", .text = "The case is PPC only (HPT, HTM, PHBs)" },
    { "cache_negative", .types = "migrate_options_shared", .applies = cache_negative,
      .met = met_cache_unsafe, .met_doc = "libvirt < 5.6 or QEMU < 4.0",
      .text = "All the cache modes are safe on current libvirtd & qemu version, skip "
              "negative tests (tp-libvirt cancels them)" },
    /* what the hosts have or not */
    { "hugepages", .capability = "hugepages",
      .when = { { "virsh_migrate_with_HP", .eq = "yes" },
                { "virsh_migrate_with_HP_pin", .eq = "yes" },
                { "setup_hugepages", .eq = "yes" },
                { "mem_backing", .eq = "hugepage" }, { "mem_pagesize", .eq = "hugepage" },
                { ANY, .has = "'hugepages' \"hugepages\"" } },
      .text = "hugepages on the hosts" },
    /* a pool is not all: of the setups on it vtrun builds virsh_migrate_with_HP and
     * _HP_pin (runner/type_virsh_migrate.c); a case that reserves or mounts them
     * itself, or backs the guest from a memory_backing dict, would run without */
    { "hugepages_setup",
      .when = { { "setup_hugepages", .eq = "yes" },
                { "mem_backing", .eq = "hugepage" }, { "mem_pagesize", .eq = "hugepage" },
                { ANY, .has = "'hugepages' \"hugepages\"" } },
      .text = "hugepages the test sets up itself (vtrun builds only virsh_migrate's "
              "virsh_migrate_with_HP and virsh_migrate_with_HP_pin)" },
    { "ceph", .capability = "ceph", .when = { { ANY, .eq = "rbd ceph" } },
      .text = "a Ceph cluster (rbd disks)" },
    { "gluster", .capability = "gluster",
      .when = { { ANY, .eq = "gluster" }, { "gluster_disk", .eq = "yes" } },
      .text = "a GlusterFS volume (gluster:// disks)" },
    { "iscsi", .capability = "iscsi",
      .when = { { ANY, .eq = "iscsi" }, { "iscsi_setup", .eq = "yes" } },
      .text = "an iSCSI target" },
    { "rdma", .capability = "rdma",
      .when = { { ANY, .has = "rdma:// --rdma-pin-all" }, { ANY, .eq = "rdma" } },
      .text = "RDMA between the hosts" },
    { "vdpa", .capability = "vdpa", .when = { { ANY, .has = "vhostvdpa vhost-vdpa vhost_vdpa" } },
      .text = "vDPA devices on the hosts" },
    { "vhost_user", .capability = "vhost_user",
      .when = { { ANY, .has = "vhostuser vhost-user vhost_user" } },
      .text = "a vhost-user backend on the hosts" },
    { "virtiofs", .capability = "virtiofs", .when = { { ANY, .has = "virtiofs" } },
      .text = "virtiofsd on the hosts" },
    /* virtqemud maps to libvirtd (avocado-vt does the same); virtproxyd has no
     * monolithic equivalent: its config file and socket are another daemon's */
    { "modular_daemons", .capability = "modular_daemons",
      .when = { { ANY, .eq = "virtproxyd" }, { ANY, .has = "_virtproxyd" } },
      .text = "libvirt's modular daemons (virtproxyd); the hosts run a monolithic libvirtd" },
    { "kvm", .types = "migrate_options_shared", .applies = mos_unthrottled_actions,
      .capability = "kvm",
      .text = "KVM guests: its action words run during a migration it does not slow down "
              "(no low_speed), which only a guest dirtying memory faster than the link "
              "(KVM, under stress) keeps going past the first 3 s" },
    { "xbzrle_parallel_refused", .types = "migrate_options_shared",
      .applies = mos_xbzrle_parallel, .met = run_need_libvirt_since, .since = "9.4.0",
      .met_doc = "the source host's libvirt >= 9.4.0",
      .text = "libvirt's refusal of xbzrle with parallel migration (libvirt 9.4.0), the "
              "error the case expects" },
    /* with tpm_args the test installs tpm2-tools in the guest (test.error when it cannot)
     * and runs cmd_in_vm_after_migration (tpm2_getrandom) there */
    { "guest_tpm2_tools", .types = "migrate_options_shared", .when = { { "tpm_args" } },
      .capability = "guest_tpm2_tools",
      .text = "tpm2-tools in the guest (with tpm_args the case installs them in the guest "
              "and runs tpm2_getrandom there; vtrun's busybox guest has none)" },
    /* ipv6_config: check_established looks for the migration's connection on the
     * destination's IPv6 address (ipv6_addr_des) */
    { "ipv6", .capability = "ipv6", .when = { { "ipv6_config", .eq = "yes" } },
      .text = "hosts with IPv6 addresses between them (ipv6_config: the migration's "
              "connection checked on the destination's IPv6 address)" },
    { NULL },
};

/* Keys a "*" never looks at: the case's own names (a name is no need). */
static bool name_key(const char *k)
{
    return k[0] == '_' || !strcmp(k, "name") || !strcmp(k, "shortname") || !strcmp(k, "subtest");
}

static bool key_matches(const char *pat, const char *key)
{
    size_t lp = strlen(pat), lk = strlen(key);
    if (!strcmp(pat, ANY))
        return !name_key(key);
    if (pat[0] == '*')
        return lk >= lp - 1 && !strcmp(key + lk - (lp - 1), pat + 1);
    if (lp && pat[lp - 1] == '*')
        return !strncmp(key, pat, lp - 1);
    return !strcmp(pat, key);
}

/* Whether v is (eq) / contains (has) one of the blank-separated words. */
static bool words_match(const char *words, const char *v, bool whole)
{
    for (const char *w = words; *w;) {
        size_t n = strcspn(w, " ");
        if (n && (whole ? strlen(v) == n && !strncmp(v, w, n) : !!memmem(v, strlen(v), w, n)))
            return true;
        w += n;
        w += strspn(w, " ");
    }
    return false;
}

static bool value_matches(const struct run_need_when *w, const char *v)
{
    if (w->eq)
        return words_match(w->eq, v, true);
    if (w->has)
        return words_match(w->has, v, false);
    return v[strspn(v, " \t")] != '\0';
}

/* The first param that shows the need (*key, *value), or false. */
static bool when_matches(const struct run_need *n, const struct params *p, const char **key,
                         const char **value)
{
    for (const struct run_need_when *w = n->when; w < n->when + ARRAY_SIZE(n->when) && w->key;
         w++) {
        if (!strchr(w->key, '*')) {
            const char *v = params_get(p, w->key);
            if (v && value_matches(w, v)) {
                *key = w->key;
                *value = v;
                return true;
            }
            continue;
        }
        for (size_t i = 0; i < params_count(p); i++) {
            const char *k = params_key_at(p, i), *v = params_value_at(p, i);
            if (key_matches(w->key, k) && value_matches(w, v)) {
                *key = k;
                *value = v;
                return true;
            }
        }
    }
    return false;
}

static bool type_listed(const char *types, const char *type)
{
    return !types || (type && words_match(types, type, true));
}

bool run_need_wanted(const struct run_need *n, const char *type, const struct params *p)
{
    const char *k, *v;
    return type_listed(n->types, type)
        && (when_matches(n, p, &k, &v) || (n->applies && n->applies(p)));
}

/* 1 met, 0 not (err_set: the CANCEL), -1 a bad param (err_set: the ERROR); for a case
 * that needs n. */
static int decide(const struct run_need *n, const struct params *p, struct run_facts *f)
{
    struct strbuf why = STRBUF_INIT;
    const char *k = NULL, *v = NULL;
    int met = 0;
    when_matches(n, p, &k, &v);
    if (n->capability && has_capability(f, n->capability))
        met = 1;
    else if (n->met)
        met = n->met(n, p, f, &why);
    if (met == 0) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "needs %s: %s", n->name, n->text);
        if (k)
            strbuf_addf(&sb, " [%s = '%.60s%s']", k, v, strlen(v) > 60 ? "..." : "");
        if (why.len)
            strbuf_addf(&sb, " (%s)", why.buf);
        else if (n->capability)
            strbuf_addf(&sb, " (the settings' capabilities do not list '%s')", n->capability);
        err_set("%s", sb.buf);
        strbuf_release(&sb);
    }
    strbuf_release(&why);
    return met;
}

/* The value a row of a params table reads (its name, else the first alias set). */
static const char *row_value(const struct run_param *r, const struct params *p,
                             struct strbuf *key)
{
    const char *v = params_get(p, r->name);
    strbuf_reset(key);
    if (v && v[strspn(v, " \t")]) {
        strbuf_addstr(key, r->name);
        return v;
    }
    for (const char *a = r->aliases; a && *a;) {
        size_t n = strcspn(a, " ");
        strbuf_reset(key);
        strbuf_add(key, a, n);
        v = n ? params_get(p, key->buf) : NULL;
        if (v && v[strspn(v, " \t")])
            return v;
        a += n;
        a += strspn(a, " ");
    }
    return NULL;
}

/* The runner's host params: a placeholder in them matters to a two-host type only. */
static bool host_row(const struct run_param *r)
{
    return !strncmp(r->name, "virsh_migrate_", 14) || !strncmp(r->name, "migrate_", 8);
}

/* A placeholder left in a param the type reads: CANCEL naming it (avocado-vt's
 * check_parameters, tp-libvirt's "Please set real value for"). */
static int check_placeholders(const struct run_param *table, bool hosts,
                              const struct params *p)
{
    struct strbuf key = STRBUF_INIT;
    int rc = 0;
    for (const struct run_param *r = table; r && r->name && !rc; r++) {
        if (r->scope != RUN_PARAM_CASE || (!hosts && host_row(r)))
            continue;
        const char *v = row_value(r, p, &key);
        char *ph = v ? run_port_placeholder(v) : NULL;
        if (!ph)
            continue;
        char *src = run_port_placeholder_source(ph);
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "needs placeholder: param %s = '%.80s%s' still holds %s: ", key.buf,
                    v, strlen(v) > 80 ? "..." : "", ph);
        if (src)
            strbuf_addf(&sb, "the settings do not give %s", src);
        else
            strbuf_addf(&sb, "no host fact fills it; set %s in the settings' params or "
                        "override", key.buf);
        err_set("%s", sb.buf);
        strbuf_release(&sb);
        free(src);
        free(ph);
        rc = -1;
    }
    strbuf_release(&key);
    return rc;
}

static int check_rows(const struct run_need *rows, const char *type, const struct params *p,
                      struct run_facts *f, const char **label)
{
    for (const struct run_need *n = rows; n && n->name; n++) {
        if (!run_need_wanted(n, type, p))
            continue;
        int met = decide(n, p, f);
        if (met == 1)
            continue;
        *label = n->name;
        return met == 0 ? -1 : -2;
    }
    return 0;
}

int run_needs_check(const struct run_type *t, const struct params *p,
                    const struct run_common *c, size_t nhosts, struct run_facts *f,
                    const char **label)
{
    if (run_type_check_needs(t, c, nhosts) < 0) {
        *label = params_strv_len(c->vms) < t->needs.vms ? "vms" : "hosts";
        return -1;
    }
    *label = "placeholder";
    if (check_placeholders(t->params, true, p) < 0
        || check_placeholders(run_common_params, t->needs.hosts >= 2, p) < 0)
        return -1;
    int rc = check_rows(t->needs.rows, t->name, p, f, label);
    if (rc == 0)
        rc = check_rows(run_needs_generic, t->name, p, f, label);
    if (rc == 0)
        rc = check_rows(t->needs.rows_last, t->name, p, f, label);
    return rc;
}

/* ---- capabilities and the listing --------------------------------------------------------- */

/* Every row: the generic ones, then each type's own. */
static const struct run_need *row_table(size_t i)
{
    if (i == 0)
        return run_needs_generic;
    for (size_t t = 0; run_types[t]; t++)
        if (run_types[t]->needs.rows && --i == 0)
            return run_types[t]->needs.rows;
    return NULL;
}

bool run_needs_capability_known(const char *word)
{
    const struct run_need *rows;
    for (size_t i = 0; (rows = row_table(i)); i++)
        for (const struct run_need *n = rows; n->name; n++)
            if (n->capability && !strcmp(n->capability, word))
                return true;
    return false;
}

char *run_needs_capability_words(void)
{
    struct strbuf sb = STRBUF_INIT;
    const struct run_need *rows;
    for (size_t i = 0; (rows = row_table(i)); i++)
        for (const struct run_need *n = rows; n->name; n++)
            /* once each: rows may share one (the list is "a, b": no word in it twice) */
            if (n->capability && !words_match(sb.buf, n->capability, true))
                strbuf_addf(&sb, "%s%s", sb.len ? " " : "", n->capability);
    char *list = strbuf_detach(&sb, NULL);
    struct strbuf out = STRBUF_INIT;
    for (const char *w = list; *w;) {
        size_t n = strcspn(w, " ");
        strbuf_addf(&out, "%s%.*s", out.len ? ", " : "", (int)n, w);
        w += n;
        w += strspn(w, " ");
    }
    free(list);
    return strbuf_detach(&out, NULL);
}

/* "a", "b" -> "a or b" */
static void add_words_or(struct strbuf *sb, const char *words)
{
    for (const char *w = words; *w;) {
        size_t n = strcspn(w, " ");
        strbuf_addf(sb, "%s%.*s", w == words ? "" : " or ", (int)n, w);
        w += n;
        w += strspn(w, " ");
    }
}

void run_needs_print(const struct run_need *rows, FILE *out)
{
    for (const struct run_need *n = rows; n && n->name; n++) {
        struct strbuf when = STRBUF_INIT;
        for (const struct run_need_when *w = n->when;
             w < n->when + ARRAY_SIZE(n->when) && w->key; w++) {
            strbuf_addf(&when, "%s%s", when.len ? " | " : "",
                        strcmp(w->key, ANY) ? w->key : "a param");
            if (w->eq || w->has) {
                strbuf_addstr(&when, w->eq ? " = " : " has ");
                add_words_or(&when, w->eq ? w->eq : w->has);
            } else {
                strbuf_addstr(&when, " is set");
            }
        }
        if (n->applies)
            strbuf_addf(&when, "%sthe test's own condition", when.len ? " | " : "");
        fprintf(out, "    %s: %s\n        when: %s%s%s%s\n        met by: %s%s\n", n->name,
                n->text, when.buf, n->types ? " (types: " : "", n->types ? n->types : "",
                n->types ? ")" : "",
                n->capability ? "the settings' capability " : n->met_doc ? n->met_doc
                                                                  : "nothing: CANCEL",
                n->capability ? n->capability : "");
        strbuf_release(&when);
    }
}
