/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Declared params (runner/run_type.h): a table of rows binds a case's params into an
 * options struct.  This file is the one place that turns param text into typed values
 * for the runner and its types, and the one wording of what went wrong; the rows say
 * what each param is.
 */
#include "runner/run_type.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* avocado-vt's Params.get_boolean(): exactly these words, anything else raises. */
static const struct params_word bool_words[] = {
    { "yes", 1 }, { "on", 1 }, { "true", 1 },
    { "no", 0 }, { "off", 0 }, { "false", 0 },
    { NULL, 0 },
};

/* Values longer than this are cut in messages (a Python literal can be kilobytes). */
#define SHOWN_VALUE_MAX 120

static void *field_at(void *opts, const struct run_param *r)
{
    return (char *)opts + r->off;
}

static bool blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return !*s;
}

/* The next of the blank-separated aliases at *a: its length, *a moved to its start
 * (the caller steps over it); 0 at the end. */
static size_t next_alias(const char **a)
{
    if (!*a)
        return 0;
    *a += strspn(*a, " ");
    return strcspn(*a, " ");
}

/* The value of row r in p: its name, then its aliases in order; the first set (not
 * blank) wins.  *key gets the name that was found.  NULL when none is set. */
static const char *lookup(const struct run_param *r, const struct params *p,
                          struct strbuf *key)
{
    const char *v = params_get(p, r->name);
    strbuf_reset(key);
    if (v && (!blank(v) || r->empty_is_value)) {
        strbuf_addstr(key, r->name);
        return v;
    }
    const char *a = r->aliases;
    for (size_t n; (n = next_alias(&a)); a += n) {
        strbuf_reset(key);
        strbuf_add(key, a, n);
        v = params_get(p, key->buf);
        if (v && (!blank(v) || r->empty_is_value))
            return v;
    }
    strbuf_reset(key);
    return NULL;
}

/* ---- what a row accepts ----------------------------------------------------------- */

static void add_bounds(struct strbuf *sb, const struct run_param *r)
{
    if (r->has_min && r->has_max)
        strbuf_addf(sb, " from %g to %g", r->min, r->max);
    else if (r->has_min)
        strbuf_addf(sb, " >= %g", r->min);
    else if (r->has_max)
        strbuf_addf(sb, " <= %g", r->max);
}

static void add_words(struct strbuf *sb, const struct params_word *w)
{
    for (size_t i = 0; w && w[i].word; i++)
        strbuf_addf(sb, "%s%s", i ? ", " : "", w[i].word);
}

char *run_param_expect(const struct run_param *r)
{
    struct strbuf sb = STRBUF_INIT;
    bool seconds = r->unit && !strcmp(r->unit, "seconds");
    if (r->expect) {
        strbuf_addstr(&sb, r->expect);
        return strbuf_detach(&sb, NULL);
    }
    switch (r->kind) {
    case RUN_PARAM_STR:
        strbuf_addstr(&sb, "text");
        break;
    case RUN_PARAM_BOOL:
        strbuf_addstr(&sb, "yes or no (or on/off, true/false)");
        break;
    case RUN_PARAM_INT:
        strbuf_addstr(&sb, "an integer");
        break;
    case RUN_PARAM_FLOAT:
        strbuf_addstr(&sb, seconds ? "a number of seconds" : "a number");
        break;
    case RUN_PARAM_BYTES:
        strbuf_addstr(&sb, "a size (128M, 1G, 4096)");
        break;
    case RUN_PARAM_ENUM:
        strbuf_addstr(&sb, "one of ");
        add_words(&sb, r->words);
        break;
    case RUN_PARAM_LIST:
        strbuf_addstr(&sb, "words");
        break;
    case RUN_PARAM_REGEX:
        strbuf_addstr(&sb, "a PCRE2 regular expression");
        break;
    case RUN_PARAM_CUSTOM:
        strbuf_addstr(&sb, "a value");
        break;
    }
    add_bounds(&sb, r);
    if (r->unit && !seconds)
        strbuf_addf(&sb, " in %s", r->unit);
    return strbuf_detach(&sb, NULL);
}

/* ---- one value ---------------------------------------------------------------------- */

/* Python's int(): blanks around, an optional sign, decimal digits. */
static int to_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || !blank(end))
        return -1;
    *out = v;
    return 0;
}

/* Python's float() on decimal text; no hex, no inf or nan (never a useful bound). */
static int to_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !blank(end) || !isfinite(v) || strpbrk(s, "xX"))
        return -1;
    *out = v;
    return 0;
}

static int to_bytes(const char *s, unsigned long long *out)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    char *t = xstrndup(s, n);
    int rc = params_size_parse(t, out);
    free(t);
    return rc;
}

static int regex_compiles(const char *s)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
    if (re) {
        pcre2_code_free(re);
        return 0;
    }
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(ec, buf, sizeof(buf));
    err_set("%s at offset %zu", (const char *)buf, (size_t)off);
    return -1;
}

static bool in_bounds(const struct run_param *r, double v)
{
    return (!r->has_min || v >= r->min) && (!r->has_max || v <= r->max);
}

/* Convert text into *field as row r says.  -1 when the text is not what r accepts;
 * *why is set when err_msg() has more to say than the expectation (the message of a
 * regex compiler, a CUSTOM parser or a check). */
static int convert(const struct run_param *r, const char *text, void *field, bool *why)
{
    const struct params_word *w;
    double v = 0;
    *why = false;
    switch (r->kind) {
    case RUN_PARAM_STR:
        *(const char **)field = text;
        break;
    case RUN_PARAM_BOOL:
        if (!(w = params_word_find(bool_words, text)))
            return -1;
        *(bool *)field = w->value;
        break;
    case RUN_PARAM_INT:
        if (to_long(text, (long *)field) < 0)
            return -1;
        v = (double)*(long *)field;
        break;
    case RUN_PARAM_FLOAT:
        if (to_double(text, (double *)field) < 0)
            return -1;
        v = *(double *)field;
        break;
    case RUN_PARAM_BYTES:
        if (to_bytes(text, (unsigned long long *)field) < 0)
            return -1;
        v = (double)*(unsigned long long *)field;
        break;
    case RUN_PARAM_ENUM:
        if (!(w = params_word_find(r->words, text)))
            return -1;
        *(int *)field = w->value;
        break;
    case RUN_PARAM_LIST:
        params_strv_free(*(char ***)field);
        *(char ***)field = params_split(text);
        break;
    case RUN_PARAM_REGEX:
        if (regex_compiles(text) < 0) {
            *why = true;
            return -1;
        }
        *(const char **)field = text;
        break;
    case RUN_PARAM_CUSTOM:
        if (r->parse(text, field) < 0) {
            *why = true;
            return -1;
        }
        break;
    }
    if (!in_bounds(r, v))
        return -1;
    if (r->check && r->check(field) < 0) {
        *why = true;
        return -1;
    }
    return 0;
}

/* err_set() the one message of a bad value; has_why: err_msg() says more. */
static void bad_value(const struct run_param *r, const char *key, const char *text,
                      const char *object, bool has_why)
{
    char *why = has_why ? xstrdup(err_msg()) : NULL;
    char *expect = run_param_expect(r);
    size_t n = strlen(text);
    err_set("param %s = '%.*s%s'%s%s%s: expected %s%s%s%s", key,
            (int)(n > SHOWN_VALUE_MAX ? SHOWN_VALUE_MAX : n), text,
            n > SHOWN_VALUE_MAX ? "..." : "", object ? " (" : "", object ? object : "",
            object ? ")" : "", expect, why ? " (" : "", why ? why : "", why ? ")" : "");
    free(expect);
    free(why);
}

/* Row r from p into field: the value, else the default, else the field stays.
 * object (may be NULL) names the object params p are, for the message. */
static int parse_row(const struct run_param *r, const struct params *p, void *field,
                     const char *object)
{
    struct strbuf key = STRBUF_INIT;
    const char *text = lookup(r, p, &key);
    bool why;
    int rc = 0;
    if (!text && r->def) {
        text = r->def;
        strbuf_addf(&key, "%s (default)", r->name);
    }
    if (text && convert(r, text, field, &why) < 0) {
        bad_value(r, key.buf, text, object, why);
        rc = -1;
    } else if (!text && r->kind == RUN_PARAM_LIST && !*(char ***)field) {
        *(char ***)field = params_split(NULL);      /* never NULL */
    }
    strbuf_release(&key);
    return rc;
}

int run_param_parse(const struct run_param *table, const struct params *p, void *opts)
{
    for (const struct run_param *r = table; r && r->name; r++)
        if (r->scope == RUN_PARAM_CASE && parse_row(r, p, field_at(opts, r), NULL) < 0)
            return -1;
    return 0;
}

/* ---- rows checked in object params --------------------------------------------------- */

/* A field for a value that is only checked.  Object rows are of the plain kinds
 * (tests/unit/test_type_params.c holds every table to that). */
union scratch {
    const char *s;
    bool b;
    long l;
    double d;
    unsigned long long u;
    int e;
    char **v;
};

static int check_rows(const struct run_param *table, enum run_param_scope scope,
                      const struct params *p, const char *object)
{
    for (const struct run_param *r = table; r && r->name; r++) {
        if (r->scope < scope || r->kind == RUN_PARAM_CUSTOM)
            continue;
        union scratch f = { 0 };
        int rc = parse_row(r, p, &f, object);
        if (r->kind == RUN_PARAM_LIST)
            params_strv_free(f.v);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int check_images(const struct run_param *table, const struct params *vp,
                        const char *vm)
{
    char **images = params_objects(vp, "images");
    int rc = 0;
    for (size_t i = 0; images[i] && rc == 0; i++) {
        struct params *ip = params_object(vp, images[i]);
        char *object = xasprintf("VM %s, image %s", vm, images[i]);
        rc = check_rows(table, RUN_PARAM_IMAGE, ip, object);
        free(object);
        params_free(ip);
    }
    params_strv_free(images);
    return rc;
}

int run_param_check_objects(const struct run_param *table, const struct params *p)
{
    /* the case's own values first: a bad one is named without an object */
    if (check_rows(table, RUN_PARAM_VM, p, NULL) < 0)
        return -1;
    char **vms = params_objects(p, "vms");
    int rc = 0;
    for (size_t i = 0; vms[i] && rc == 0; i++) {
        struct params *vp = params_object(p, vms[i]);
        char *object = xasprintf("VM %s", vms[i]);
        rc = check_rows(table, RUN_PARAM_VM, vp, object);
        if (rc == 0)
            rc = check_images(table, vp, vms[i]);
        free(object);
        params_free(vp);
    }
    params_strv_free(vms);
    return rc;
}

void run_param_release(const struct run_param *table, void *opts)
{
    if (!opts)
        return;
    for (const struct run_param *r = table; r && r->name; r++) {
        if (r->scope != RUN_PARAM_CASE)
            continue;
        void *field = field_at(opts, r);
        if (r->kind == RUN_PARAM_LIST) {
            params_strv_free(*(char ***)field);
            *(char ***)field = NULL;
        } else if (r->kind == RUN_PARAM_CUSTOM && r->release) {
            r->release(field);
        }
    }
}

/* ---- the listing and the values ------------------------------------------------------ */

static void add_names(struct strbuf *sb, const struct run_param *r)
{
    strbuf_addstr(sb, r->name);
    const char *a = r->aliases;
    for (size_t n; (n = next_alias(&a)); a += n)
        strbuf_addf(sb, ", %.*s", (int)n, a);
}

void run_param_print(const struct run_param *table, FILE *out)
{
    static const char *const scope_note[] = {
        [RUN_PARAM_CASE] = "", [RUN_PARAM_VM] = " (per VM)",
        [RUN_PARAM_IMAGE] = " (per VM and image)",
    };
    for (const struct run_param *r = table; r && r->name; r++) {
        struct strbuf names = STRBUF_INIT;
        add_names(&names, r);
        char *expect = run_param_expect(r);
        fprintf(out, "    %s%s: %s%s%s%s\n        %s\n", names.buf, scope_note[r->scope],
                expect, r->def ? " [default: " : "", r->def ? r->def : "",
                r->def ? "]" : "", r->doc);
        free(expect);
        strbuf_release(&names);
    }
}

/* The first word of value (a synonym spells it the way the table lists first). */
static const char *word_of(const struct params_word *w, int value)
{
    for (; w && w->word; w++)
        if (w->value == value)
            return w->word;
    return NULL;
}

static void format_value(const struct run_param *r, const void *field, struct strbuf *out)
{
    const char *s;
    switch (r->kind) {
    case RUN_PARAM_STR:
    case RUN_PARAM_REGEX:
        s = *(const char *const *)field;
        strbuf_addstr(out, s ? s : "");
        break;
    case RUN_PARAM_BOOL:
        strbuf_addstr(out, *(const bool *)field ? "yes" : "no");
        break;
    case RUN_PARAM_INT:
        strbuf_addf(out, "%ld", *(const long *)field);
        break;
    case RUN_PARAM_FLOAT:
        strbuf_addf(out, "%g", *(const double *)field);
        break;
    case RUN_PARAM_BYTES:
        strbuf_addf(out, "%llu", *(const unsigned long long *)field);
        break;
    case RUN_PARAM_ENUM:
        /* an unset enum without a default is 0, which may be no word: then nothing */
        s = word_of(r->words, *(const int *)field);
        strbuf_addstr(out, s ? s : "");
        break;
    case RUN_PARAM_LIST:
        for (char *const *v = *(char *const *const *)field; v && *v; v++)
            strbuf_addf(out, "%s%s", v == *(char *const *const *)field ? "" : " ", *v);
        break;
    case RUN_PARAM_CUSTOM:
        r->format(field, out);
        break;
    }
}

void run_param_format(const struct run_param *table, const void *opts, struct strbuf *out)
{
    for (const struct run_param *r = table; r && r->name; r++) {
        if (r->scope != RUN_PARAM_CASE)
            continue;
        strbuf_addf(out, "%s = ", r->name);
        format_value(r, (const char *)opts + r->off, out);
        strbuf_addch(out, '\n');
    }
}

/* ---- a type's params and needs -------------------------------------------------------- */

int run_type_parse(const struct run_type *t, const struct params *p,
                   const struct run_common *c, void **opts)
{
    void *o = xcalloc(1, t->opts_size ? t->opts_size : 1);
    if (run_param_parse(t->params, p, o) < 0 || (t->check && t->check(c, o) < 0)) {
        run_type_opts_free(t, o);
        *opts = NULL;
        return -1;
    }
    *opts = o;
    return 0;
}

void run_type_opts_free(const struct run_type *t, void *opts)
{
    run_param_release(t->params, opts);
    free(opts);
}

int run_type_check_needs(const struct run_type *t, const struct run_common *c,
                         size_t nhosts)
{
    size_t nvms = params_strv_len(c->vms);
    if (nvms < t->needs.vms) {
        struct strbuf vms = STRBUF_INIT;
        for (size_t i = 0; i < nvms; i++)
            strbuf_addf(&vms, "%s%s", i ? " " : "", c->vms[i]);
        if (t->needs.vms == 1)
            err_set("test type '%s' needs VMs: 'vms' is empty", t->name);
        else
            err_set("test type '%s' needs at least %u VMs in 'vms', got %zu (vms = '%s')",
                    t->name, t->needs.vms, nvms, vms.buf);
        strbuf_release(&vms);
        return -1;
    }
    if (nhosts < t->needs.hosts) {
        if (t->needs.hosts == 2)
            err_set("test type '%s' needs a source and a destination host; name them in "
                    "the settings' hosts or with virsh_migrate_desturi", t->name);
        else
            err_set("test type '%s' needs %u hosts, got %zu", t->name, t->needs.hosts, nhosts);
        return -1;
    }
    return 0;
}
