/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the cfg/ check suites (test_cfg*.c): each test runs in its own forked
 * process inside a fresh temporary directory (the fixture), writes its config there
 * as "t.cfg" (plus any included files) and expands it with the real engine; the cases
 * are kept in R for the assertions.
 *
 * Tests run from inside the directory with relative file names, as the reference's
 * golden files were made, so error messages read "t.cfg:LINE: ..." and
 * _name_map_file keys are "t.cfg".
 */
#ifndef VTRUN_TESTS_CFGTEST_H
#define VTRUN_TESTS_CFGTEST_H

#include "cfg/cfg.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { STAGE_NONE, STAGE_PARSE, STAGE_EXPAND };

struct result {
    size_t n;
    char **names;
    char **shorts;
    struct params **params;
    struct strbuf dump;
    int stage;      /* where the error happened, STAGE_NONE if none */
    char *err;
};

static struct result R;
static char tmpdir[] = "/tmp/vtrun-cfgtest-XXXXXX";

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

static inline void tmp_setup(void)
{
    strcpy(tmpdir, "/tmp/vtrun-cfgtest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    ck_assert_int_eq(chdir(tmpdir), 0);
    strbuf_init(&R.dump, 0);
}

static inline void tmp_teardown(void)
{
    if (chdir("/") == 0)
        nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write TEXT to PATH (relative to the test directory), creating directories. */
static inline void write_file(const char *path, const char *text)
{
    char *dir = xstrdup(path);
    for (char *s = strchr(dir, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(dir, 0755);
        *s = '/';
    }
    free(dir);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    fwrite(text, 1, strlen(text), f);
    ck_assert_int_eq(fclose(f), 0);
}

static inline void result_reset(void)
{
    for (size_t i = 0; i < R.n; i++) {
        free(R.names[i]);
        free(R.shorts[i]);
        params_free(R.params[i]);
    }
    free(R.names);
    free(R.shorts);
    free(R.params);
    free(R.err);
    strbuf_release(&R.dump);
    R = (struct result){ .stage = STAGE_NONE };
    strbuf_init(&R.dump, 0);
}

/* Parse FILE (may be NULL) plus statements, expand every case into R. */
static inline void expand_with(const char *file, const char *const *stmts, size_t nstmts,
                        const struct cfg_opts *o)
{
    result_reset();
    struct cfg *c = cfg_parse(file, stmts, nstmts, o);
    if (!c) {
        R.stage = STAGE_PARSE;
        R.err = xstrdup(err_msg());
        return;
    }
    struct cfg_iter *it = cfg_iter_new(c);
    const struct cfg_case *k;
    int r;
    while ((r = cfg_iter_next(it, &k)) == 1) {
        R.names = xrealloc(R.names, (R.n + 1) * sizeof(*R.names));
        R.shorts = xrealloc(R.shorts, (R.n + 1) * sizeof(*R.shorts));
        R.params = xrealloc(R.params, (R.n + 1) * sizeof(*R.params));
        R.names[R.n] = xstrdup(cfg_case_name(k));
        R.shorts[R.n] = xstrdup(cfg_case_shortname(k));
        R.params[R.n] = cfg_case_params(k);
        ck_assert_ptr_nonnull(R.params[R.n]);
        cfg_case_dump(k, &R.dump);
        R.n++;
    }
    if (r < 0) {
        R.stage = STAGE_EXPAND;
        R.err = xstrdup(err_msg());
    }
    cfg_iter_free(it);
    cfg_free(c);
}

/* Write TEXT as t.cfg and expand it, followed by the NULL-terminated statements. */
static inline void expand_stmts(const char *text, ...)
{
    const char *stmts[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, text);
    for (const char *s; (s = va_arg(ap, const char *)) && n < 16;)
        stmts[n++] = s;
    va_end(ap);
    write_file("t.cfg", text);
    expand_with("t.cfg", stmts, n, NULL);
}

#define expand(text) expand_stmts(text, (const char *)NULL)

static inline void expand_defaults(const char *text, const char *const *expand_blocks)
{
    struct cfg_opts o = { .defaults = true, .expand_defaults = expand_blocks };
    write_file("t.cfg", text);
    expand_with("t.cfg", NULL, 0, &o);
}

static inline void no_error(void)
{
    ck_assert_msg(R.stage == STAGE_NONE, "unexpected %s error: %s",
                  R.stage == STAGE_PARSE ? "parse" : "expansion", R.err);
}

/* The names of the cases, in order, are exactly the NULL-terminated list. */
static inline void expect_names(const char *first, ...)
{
    va_list ap;
    size_t i = 0;
    no_error();
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *), i++) {
        ck_assert_msg(i < R.n, "only %zu cases, expected more (next: '%s')", R.n, s);
        ck_assert_str_eq(R.names[i], s);
    }
    va_end(ap);
    ck_assert_msg(i == R.n, "%zu cases, expected %zu (extra: '%s')", R.n, i,
                  R.n > i ? R.names[i] : "");
}

static inline void expect_no_cases(void)
{
    no_error();
    ck_assert_msg(R.n == 0, "%zu cases, expected none (first: '%s')", R.n,
                  R.n ? R.names[0] : "");
}

/* Value of KEY in case I, NULL if absent. */
static inline const char *val(size_t i, const char *key)
{
    no_error();
    ck_assert_msg(i < R.n, "no case %zu (only %zu)", i, R.n);
    return params_get(R.params[i], key);
}

#define expect_val(i, key, want) ck_assert_str_eq(val((i), (key)) ? val((i), (key)) \
                                                  : "<absent>", (want))
#define expect_absent(i, key) ck_assert_msg(val((i), (key)) == NULL, \
        "case %zu: key '%s' should be absent, is '%s'", (size_t)(i), (key), val((i), (key)))

/* Parsing failed and the message starts with PREFIX ("t.cfg:5:"). */
static inline void expect_parse_error(const char *prefix)
{
    ck_assert_msg(R.stage == STAGE_PARSE, "expected a parse error '%s...', got %s (%zu cases)",
                  prefix, R.stage == STAGE_EXPAND ? R.err : "success", R.n);
    ck_assert_msg(!strncmp(R.err, prefix, strlen(prefix)),
                  "error '%s' does not start with '%s'", R.err, prefix);
}

/* Expansion failed after NCASES cases, message starts with PREFIX. */
static inline void expect_expand_error(size_t ncases, const char *prefix)
{
    ck_assert_msg(R.stage == STAGE_EXPAND, "expected an expansion error '%s...', got %s",
                  prefix, R.stage == STAGE_PARSE ? R.err : "success");
    ck_assert_msg(!strncmp(R.err, prefix, strlen(prefix)),
                  "error '%s' does not start with '%s'", R.err, prefix);
    ck_assert_uint_eq(R.n, ncases);
}

/* Either stage failed; the message starts with PREFIX and has "FILE:LINE: ". */
static inline void expect_error(const char *prefix)
{
    ck_assert_msg(R.stage != STAGE_NONE, "expected an error '%s...', got %zu cases",
                  prefix, R.n);
    ck_assert_msg(!strncmp(R.err, prefix, strlen(prefix)),
                  "error '%s' does not start with '%s'", R.err, prefix);
}

/* The error message mentions NEEDLE somewhere. */
static inline void expect_error_mentions(const char *needle)
{
    ck_assert_ptr_nonnull(R.err);
    ck_assert_msg(strstr(R.err, needle) != NULL, "error '%s' does not mention '%s'",
                  R.err, needle);
}

static inline void expect_dump(const char *want)
{
    no_error();
    ck_assert_str_eq(R.dump.buf, want);
}

#endif
