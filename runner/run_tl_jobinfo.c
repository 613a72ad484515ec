/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * avocado-vt's libvirt_monitor.check_domjobinfo_output (virttest/utils_libvirt/
 * libvirt_monitor.py) as a step of the timeline engine (runner/run_tl.h) and as the
 * --completed check migration_domjobinfo's and query_domain_job_info's verify_test run
 * after the migration.
 *
 * `virsh domjobinfo DOM [--completed]` on the source when the expectation has
 * src_items, on the destination when it has dest_items (the reference's
 * qemu+ssh://remote_ip/system is the destination host), each output judged line by
 * line as the reference does:
 *
 *  - error_msg: a substring of virsh's stderr, nothing else read;
 *  - sum_items {"A": "B+C"}: B's and C's values (MiB read as /1024, rounded to
 *    thousandths) must sum to A's within 0.01;
 *  - all_items: consumed in order, the list's first item against each line's key;
 *    "Dirty rate" must be >= 0, any other > 0; a postcopy case (postcopy_options) on
 *    libvirt >= 9.3.0 drops a leading "Expected downtime" (libvirt no longer prints it);
 *  - str_items / int_items: the line's value equal to the expected text / number;
 *  - anything left unmatched is the test's FAIL ("Missing item").
 *
 * Where the Python raises other than TestFail (a line without a value where a number
 * is read, all_items read after it is used up) the test ERRORs, as avocado does.
 */
#include "lib/err.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* libvirt 9.3.0 in libvirt's version encoding */
#define JI_LIBVIRT_NO_POSTCOPY_DOWNTIME 9003000ULL

/* The expectation's lists and dicts as mutable working sets (the Python deletes what
 * it has matched). */
struct ji_set {
    const struct pylit *v;      /* the list or dict, NULL when absent */
    bool *done;                 /* per item */
    size_t next;                /* all_items: the first item not yet matched */
};

static void ji_set_init(struct ji_set *s, const struct pylit *exp, const char *key)
{
    s->v = pylit_get(exp, key);
    s->done = s->v ? calloc(s->v->n + 1, sizeof(bool)) : NULL;
    s->next = 0;
}

static size_t ji_set_left(const struct ji_set *s)
{
    size_t left = 0;
    for (size_t k = 0; s->v && k < s->v->n; k++)
        left += !s->done[k];
    return left;
}

/* The item of dict set s whose key is key, or -1. */
static long ji_dict_find(const struct ji_set *s, const char *key)
{
    if (!s->v || s->v->kind != PYLIT_DICT)
        return -1;
    for (size_t k = 0; k < s->v->n; k++) {
        const struct pylit *kk = &s->v->items[2 * k];
        if (!s->done[k] && kk->kind == PYLIT_STR && !strcmp(kk->s, key))
            return (long)k;
    }
    return -1;
}

/* A pylit scalar as text (the cfg writes "0", sometimes 0). */
static char *ji_scalar(const struct pylit *v)
{
    switch (v->kind) {
    case PYLIT_STR: return xstrdup(v->s);
    case PYLIT_INT: return xasprintf("%lld", v->i);
    case PYLIT_FLOAT: return xasprintf("%g", v->f);
    default: return xstrdup("");
    }
}

/* The text after the line's first ':' up to a second one, trimmed
 * (line.split(":")[1].strip()); NULL when the line has no ':'. */
static char *ji_value(const char *line)
{
    const char *c = strchr(line, ':');
    if (!c)
        return NULL;
    c++;
    size_t n = strcspn(c, ":");
    while (n && (*c == ' ' || *c == '\t'))
        c++, n--;
    while (n && (c[n - 1] == ' ' || c[n - 1] == '\t' || c[n - 1] == '\r'))
        n--;
    return xasprintf("%.*s", (int)n, c);
}

/* float(text.split(" ")[0]): 0, or -1 when Python's float() would raise. */
static int ji_float(const char *text, double *out)
{
    char *word = xasprintf("%.*s", (int)strcspn(text, " "), text);
    char *end;
    *out = strtod(word, &end);
    int rc = *word && !*end ? 0 : -1;
    free(word);
    return rc;
}

/* _get_value: the number of key's line, MiB as /1024 rounded to thousandths.
 * 1 found, 0 absent, -1 when the value is not "NUMBER UNIT". */
static int ji_get_value(const char *out, const char *key, double *v)
{
    size_t klen = strlen(key);
    for (const char *l = out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
        if (strncmp(l, key, klen) || l[klen] != ':')
            continue;
        char *line = xasprintf("%.*s", (int)strcspn(l, "\n"), l);
        char *val = ji_value(line);
        free(line);
        char *sp = val ? strchr(val, ' ') : NULL;
        int rc = -1;
        if (sp && !strchr(sp + 1, ' ')) {
            *sp = '\0';
            char *end;
            *v = strtod(val, &end);
            if (*val && !*end) {
                if (!strcmp(sp + 1, "MiB"))
                    *v = round(*v / 1024 * 1000) / 1000;
                rc = 1;
            }
        }
        free(val);
        return rc;
    }
    return 0;
}

struct ji_judge {
    struct ji_set all, str, num, sum;
    bool drop_downtime;
    struct strbuf *why;
};

/* One line against sum_items; MIG_TL_OK, or the verdict with why. */
static enum mig_tl_verdict ji_line_sum(struct ji_judge *j, const char *key, const char *out)
{
    long k = ji_dict_find(&j->sum, key);
    if (k < 0)
        return MIG_TL_OK;
    const struct pylit *expr = &j->sum.v->items[2 * k + 1];
    const char *plus = expr->kind == PYLIT_STR ? strchr(expr->s, '+') : NULL;
    if (!plus) {
        strbuf_addf(j->why, "sum_items '%s': not 'A+B'", key);
        return MIG_TL_ERROR;
    }
    char *left = xasprintf("%.*s", (int)(plus - expr->s), expr->s);
    double a, b, v;
    int ra = ji_get_value(out, left, &a), rb = ji_get_value(out, plus + 1, &b);
    int rv = ji_get_value(out, key, &v);
    free(left);
    if (ra != 1 || rb != 1 || rv != 1) {
        strbuf_addf(j->why, "sum_items '%s' = '%s': a value is missing or not 'NUMBER UNIT' "
                    "(the reference raises there)", key, expr->s);
        return MIG_TL_ERROR;
    }
    double s = round((a + b) * 1000) / 1000;
    if (fabs(s - v) > 0.01) {
        strbuf_addf(j->why, "'%g' is not matched expect '%g'", s, v);
        return MIG_TL_FAIL;
    }
    j->sum.done[k] = true;
    return MIG_TL_OK;
}

/* One line against all_items' first item left. */
static enum mig_tl_verdict ji_line_all(struct ji_judge *j, const char *key, const char *line)
{
    struct ji_set *s = &j->all;
    if (!s->v || !*key)
        return MIG_TL_OK;
    if (s->v->kind != PYLIT_LIST || s->next >= s->v->n) {
        strbuf_addf(j->why, "all_items used up before the line '%s' (the reference's "
                    "IndexError)", line);
        return MIG_TL_ERROR;
    }
    const struct pylit *first = &s->v->items[s->next];
    if (j->drop_downtime && first->kind == PYLIT_STR && !strcmp(first->s, "Expected downtime")) {
        s->done[s->next++] = true;
        if (s->next >= s->v->n) {
            strbuf_addf(j->why, "all_items used up before the line '%s' (the reference's "
                        "IndexError)", line);
            return MIG_TL_ERROR;
        }
        first = &s->v->items[s->next];
    }
    if (first->kind != PYLIT_STR || strcmp(first->s, key))
        return MIG_TL_OK;
    char *val = ji_value(line);
    double f;
    int rc = val ? ji_float(val, &f) : -1;
    free(val);
    if (rc < 0) {
        strbuf_addf(j->why, "'%s': no number in '%s' (the reference's ValueError)", key, line);
        return MIG_TL_ERROR;
    }
    if (!strcmp(key, "Dirty rate") ? f < 0 : f <= 0) {
        if (!strcmp(key, "Dirty rate"))
            strbuf_addstr(j->why, "Wrong value for 'Dirty rate'.");
        else
            strbuf_addf(j->why, "The '%s' should not be 0.", key);
        return MIG_TL_FAIL;
    }
    s->done[s->next++] = true;
    return MIG_TL_OK;
}

/* _compare_value for str_items (numeric false) or int_items (true). */
static enum mig_tl_verdict ji_line_compare(struct ji_judge *j, struct ji_set *s, bool numeric,
                                           const char *key, const char *line)
{
    long k = ji_dict_find(s, key);
    if (k < 0)
        return MIG_TL_OK;
    char *want = ji_scalar(&s->v->items[2 * k + 1]);
    char *got = ji_value(line);
    enum mig_tl_verdict v = MIG_TL_OK;
    if (!numeric) {
        if (!got || strcmp(got, want)) {
            strbuf_addf(j->why, "'%s' is not matched expect '%s'", got ? got : "", want);
            v = MIG_TL_FAIL;
        }
    } else {
        double g, w;
        if (!got || ji_float(got, &g) < 0 || ji_float(want, &w) < 0) {
            strbuf_addf(j->why, "int_items '%s': '%s' or '%s' is not a number (the "
                        "reference's ValueError)", key, got ? got : "", want);
            v = MIG_TL_ERROR;
        } else if (g != w) {
            strbuf_addf(j->why, "'%g' is not matched expect '%g'", g, w);
            v = MIG_TL_FAIL;
        }
    }
    if (v == MIG_TL_OK)
        s->done[k] = true;
    free(want);
    free(got);
    return v;
}

static enum mig_tl_verdict ji_line(struct ji_judge *j, const char *line, const char *out)
{
    char *key = xasprintf("%.*s", (int)strcspn(line, ":"), line);
    enum mig_tl_verdict v = ji_line_sum(j, key, out);
    if (v == MIG_TL_OK)
        v = ji_line_all(j, key, line);
    if (v == MIG_TL_OK)
        v = ji_line_compare(j, &j->str, false, key, line);
    if (v == MIG_TL_OK)
        v = ji_line_compare(j, &j->num, true, key, line);
    free(key);
    return v;
}

/* The items left over, in the reference's order of checks. */
static enum mig_tl_verdict ji_leftovers(struct ji_judge *j, const struct pylit *exp)
{
    static const char *const names[] = { "all_items", "str_items", "int_items", "sum_items" };
    struct ji_set *sets[] = { &j->all, &j->str, &j->num, &j->sum };
    for (size_t k = 0; k < ARRAY_SIZE(sets); k++)
        if (ji_set_left(sets[k])) {
            strbuf_addf(j->why, "Missing item: %zu of %s left unmatched:", ji_set_left(sets[k]),
                        names[k]);
            for (size_t i = 0; i < sets[k]->v->n; i++) {
                const struct pylit *it = sets[k]->v->kind == PYLIT_DICT
                                         ? &sets[k]->v->items[2 * i] : &sets[k]->v->items[i];
                if (!sets[k]->done[i] && it->kind == PYLIT_STR)
                    strbuf_addf(j->why, " '%s'", it->s);
            }
            return MIG_TL_FAIL;
        }
    for (size_t k = 0; k < exp->n; k++) {
        const struct pylit *key = &exp->items[2 * k];
        bool known = false;
        for (size_t n = 0; n < ARRAY_SIZE(names); n++)
            known |= key->kind == PYLIT_STR && !strcmp(key->s, names[n]);
        if (!known) {
            strbuf_addf(j->why, "Missing item: {'%s': ...}",
                        key->kind == PYLIT_STR ? key->s : "?");
            return MIG_TL_FAIL;
        }
    }
    return MIG_TL_OK;
}

enum mig_tl_verdict run_jobinfo_judge(const struct pylit *exp, const char *out, const char *err,
                                      bool drop_downtime, struct strbuf *why)
{
    if (!exp || exp->kind != PYLIT_DICT) {
        strbuf_addstr(why, "the expected domjobinfo items are not a dict");
        return MIG_TL_ERROR;
    }
    const struct pylit *em = pylit_get(exp, "error_msg");
    if (em) {
        if (em->kind != PYLIT_STR || !strstr(err ? err : "", em->s)) {
            strbuf_addf(why, "Not found '%s' in '%s'", em->kind == PYLIT_STR ? em->s : "?",
                        err ? err : "");
            return MIG_TL_FAIL;
        }
        return MIG_TL_OK;
    }
    struct ji_judge j = { .drop_downtime = drop_downtime, .why = why };
    ji_set_init(&j.all, exp, "all_items");
    ji_set_init(&j.str, exp, "str_items");
    ji_set_init(&j.num, exp, "int_items");
    ji_set_init(&j.sum, exp, "sum_items");
    enum mig_tl_verdict v = MIG_TL_OK;
    for (const char *l = out ? out : ""; *l && v == MIG_TL_OK;) {
        size_t n = strcspn(l, "\n");
        char *line = xasprintf("%.*s", (int)n, l);
        v = ji_line(&j, line, out);
        free(line);
        l += n + (l[n] == '\n');
    }
    if (v == MIG_TL_OK)
        v = ji_leftovers(&j, exp);
    free(j.all.done);
    free(j.str.done);
    free(j.num.done);
    free(j.sum.done);
    return v;
}

/* One side's domjobinfo judged against side's items of exp. */
static enum mig_tl_verdict ji_side(struct run_ctx *ctx, int host, const char *dom,
                                   const char *options, const struct pylit *items,
                                   bool drop_downtime, struct strbuf *why)
{
    const char *words[] = { "domjobinfo", dom, options && *options ? options : NULL, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v;
    if (run_virsh_words(ctx, host, words, &r) < 0) {
        strbuf_addf(why, "virsh domjobinfo: %s", err_msg());
        v = MIG_TL_ERROR;
    } else {
        v = run_jobinfo_judge(items, r.out.buf, r.err.buf, drop_downtime, why);
        if (v != MIG_TL_OK)
            strbuf_addf(why, " (domjobinfo on %s)", ctx->hosts[host].name);
    }
    run_virsh_release(&r);
    return v;
}

enum mig_tl_verdict run_jobinfo_check(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                                      int from, int to, const struct pylit *exp,
                                      const char *options, const char *postcopy_options,
                                      struct strbuf *why)
{
    bool drop = false;
    if (postcopy_options && *postcopy_options) {
        struct be_host_info info = { 0 };
        if (virt_vms_host_info(vms, from, &info) < 0) {
            strbuf_addf(why, "libvirt's version: %s", err_msg());
            return MIG_TL_ERROR;
        }
        drop = info.libvirt_version >= JI_LIBVIRT_NO_POSTCOPY_DOWNTIME;
        be_host_info_free(&info);
    }
    static const char *const sides[] = { "src_items", "dest_items" };
    int hosts[] = { from, to };
    for (size_t k = 0; k < 2; k++) {
        const struct pylit *items = pylit_get(exp, sides[k]);
        if (!items)
            continue;
        enum mig_tl_verdict v = ji_side(ctx, hosts[k], vms->vm[i].domain, options, items,
                                        drop, why);
        if (v != MIG_TL_OK)
            return v;
    }
    return MIG_TL_OK;
}

/* The step: func_param {"vm_name", "expected_domjobinfo", "postcopy_options",
 * "remote_ip"}; the domain is the hop's (the cfg's ${main_vm} names the same VM). */
RUN_TL_MOS_STEP(run_tl_jobinfo_output)
{
    struct run_tl_hop *h = run_tl_run_hop(t);
    const struct pylit *exp = pylit_get(&a->dict, "expected_domjobinfo");
    const struct pylit *pc = pylit_get(&a->dict, "postcopy_options");
    if (!exp || exp->kind != PYLIT_DICT) {
        strbuf_addstr(why, "check_domjobinfo_output: no expected_domjobinfo dict");
        return MIG_TL_ERROR;
    }
    return run_jobinfo_check(run_tl_run_ctx(t), h->vms, h->vm, h->from, h->to, exp, "",
                             pc && pc->kind == PYLIT_STR ? pc->s : NULL, why);
}
