/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_emit(): the listing and dump writer; a dump runs as a two-thread pipeline (walk,
 * then evaluation and output).  Its output must be byte for byte what one
 * cfg_iter_next() loop writes, in every mode and on every path (an error in the
 * evaluation, cancel, write error), whatever the thread count and whichever stage
 * evaluated a case (the walk helps when the evaluation lags: the tests run with the
 * default lag and with the walk evaluating every case).
 * One test dumps enough cases to fill the ring between the stages many times over.
 */
#include "cfg/cfg_int.h"
#include "tests/support.h"

#include <fcntl.h>
#include <signal.h>

/* What one iterator writes: the reference output; *RC the loop's end (0 or -1) and
 * *ERR its message. */
static void serial(const struct cfg *c, enum cfg_emit_what what, struct strbuf *out,
                   int *rc, char **err)
{
    struct cfg_iter *it = what == CFG_EMIT_DUMP ? cfg_iter_new(c) : cfg_iter_new_names(c);
    const struct cfg_case *k;
    int r;
    while ((r = cfg_iter_next(it, &k)) == 1) {
        if (what == CFG_EMIT_DUMP)
            cfg_case_dump(k, out);
        else {
            strbuf_addstr(out, what == CFG_EMIT_NAME ? cfg_case_name(k) :
                               cfg_case_shortname(k));
            strbuf_addch(out, '\n');
        }
    }
    *rc = r;
    *err = r < 0 ? xstrdup(err_msg()) : NULL;
    cfg_iter_free(it);
}

/* cfg_emit() with O into a file; returns its result, the file's bytes in OUT. */
static int emit_with(const struct cfg *c, enum cfg_emit_what what,
                     const struct cfg_emit_opts *o, struct strbuf *out)
{
    int fd = open("out", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    int r = cfg_emit(c, what, o, fd);
    char buf[65536];
    ssize_t n;
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        strbuf_add(out, buf, (size_t)n);
    close(fd);
    return r;
}

static int emit(const struct cfg *c, enum cfg_emit_what what, int threads, struct strbuf *out)
{
    struct cfg_emit_opts o = { .threads = threads };
    return emit_with(c, what, &o, out);
}

/* Every mode and thread count writes what one iterator writes; *PARALLEL: whether the
 * pipeline ran the dumps for every thread count above 1 (and, when it was to evaluate
 * every case, the walk did). */
static void same_as_serial_lag(const char *cfgfile, const char *const *stmts, size_t n,
                               bool *parallel, int lag)
{
    static const int threads[] = { 1, 2, 3, 8 };
    cfg_debug_help_lag = lag;
    struct cfg *c = cfg_parse(cfgfile, stmts, n, NULL);
    ck_assert_msg(c != NULL, "%s", err_msg());
    *parallel = true;
    for (int what = CFG_EMIT_NAME; what <= CFG_EMIT_DUMP; what++) {
        struct strbuf want = STRBUF_INIT;
        int wrc;
        char *werr;
        serial(c, (enum cfg_emit_what)what, &want, &wrc, &werr);
        for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
            struct strbuf got = STRBUF_INIT;
            int r = emit(c, (enum cfg_emit_what)what, threads[i], &got);
            ck_assert_int_eq(r, wrc);
            if (werr)
                ck_assert_str_eq(err_msg(), werr);
            ck_assert_msg(got.len == want.len && memcmp(got.buf, want.buf, got.len) == 0,
                          "mode %d, %d threads, lag %d: %zu bytes differ from the %zu of "
                          "one walk", what, threads[i], lag, got.len, want.len);
            if (what == CFG_EMIT_DUMP && threads[i] > 1 &&
                (cfg_emit_last.threads != 2 || (lag < 0 && !cfg_emit_last.helped)))
                *parallel = false;
            strbuf_release(&got);
        }
        free(werr);
        strbuf_release(&want);
    }
    cfg_debug_help_lag = 0;
    cfg_free(c);
}

static void same_as_serial(const char *cfgfile, const char *const *stmts, size_t n,
                           bool *parallel)
{
    same_as_serial_lag(cfgfile, stmts, n, parallel, 0);
    bool helped;
    same_as_serial_lag(cfgfile, stmts, n, &helped, -1);
    *parallel = *parallel && helped;
}

/* Three blocks of eight, with filters, conditions, dependencies and substitutions. */
static const char product[] =
    "x = base\n"
    "variants:\n"
    "    - @a1:\n"
    "        x += _a1\n"
    "    - a2:\n"
    "        only b3, b4, b5\n"
    "    - a3:\n    - a4:\n    - a5:\n    - a6:\n    - a7:\n    - a8:\n"
    "        no c1\n"
    "variants bb:\n"
    "    - b1:\n"
    "        y = ${x}_b1\n"
    "    - b2:\n    - b3:\n    - b4:\n    - b5:\n    - b6:\n    - b7:\n    - b8:\n"
    "variants:\n"
    "    - c1:\n"
    "        a2:\n"
    "            z = in_a2\n"
    "    - c2: c1\n"
    "    - c3:\n    - c4:\n    - c5:\n    - c6:\n    - c7:\n    - c8:\n"
    "a3..b2:\n"
    "    w = cond\n"
    "!b4:\n"
    "    v = not_b4\n"
    "no a5.b5\n";

START_TEST(test_parallel_output_is_the_single_walk_output)
{
    bool parallel;
    ts_write("t.cfg", product);
    same_as_serial("t.cfg", NULL, 0, &parallel);
    ck_assert_msg(parallel, "the pipeline did not run");
}
END_TEST

START_TEST(test_parallel_expansion_error_keeps_the_cases_before_it)
{
    /* c7.b3's cases (late in the walk) hold a _max on a non-number: the evaluation
     * fails there, and the cases before it are written, then the error */
    bool parallel;
    ts_write("t.cfg", product);
    const char *stmts[] = { "c7.b3:\n    n = lots\nn_max = 10\n" };
    same_as_serial("t.cfg", stmts, 1, &parallel);
    ck_assert_msg(parallel, "the pipeline did not run");
}
END_TEST

/* Keeps the cases k = first, first + 3, ...; checks that each call names the k-th
 * case of the serial listing (a shard by name decides from it). */
struct third {
    unsigned first;
    const char *names;      /* the serial listing, one name per line */
    const char *next;       /* the line of the next case */
};

static bool every_third(void *ctx, unsigned long long k, const char *name, size_t len)
{
    struct third *t = ctx;
    const char *e = strchr(t->next, '\n');
    ck_assert_ptr_nonnull(e);
    ck_assert_msg((size_t)(e - t->next) == len && !memcmp(t->next, name, len),
                  "case %llu is '%.*s', keep() got '%.*s'", k, (int)(e - t->next), t->next,
                  (int)len, name);
    t->next = e + 1;
    return k % 3 == t->first;
}

START_TEST(test_keep_writes_only_the_cases_it_keeps)
{
    ts_write("t.cfg", product);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    struct strbuf names = STRBUF_INIT;
    int nrc;
    char *nerr;
    serial(c, CFG_EMIT_NAME, &names, &nrc, &nerr);
    ck_assert_int_eq(nrc, 0);
    for (int what = CFG_EMIT_NAME; what <= CFG_EMIT_DUMP; what++) {
        struct strbuf all = STRBUF_INIT;
        int wrc;
        char *werr;
        serial(c, (enum cfg_emit_what)what, &all, &wrc, &werr);
        ck_assert_int_eq(wrc, 0);
        for (unsigned first = 0; first < 3; first++) {
            /* the serial records whose index is FIRST mod 3: names are one line each,
             * dump blocks end with a blank line */
            struct strbuf want = STRBUF_INIT;
            const char *sep = what == CFG_EMIT_DUMP ? "\n\n" : "\n";
            size_t step = strlen(sep);
            unsigned long long k = 0;
            for (const char *p = all.buf; *p; k++) {
                const char *e = strstr(p, sep) + step;
                if (k % 3 == first)
                    strbuf_add(&want, p, (size_t)(e - p));
                p = e;
            }
            for (int threads = 1; threads <= 2; threads++) {
                struct third t = { first, names.buf, names.buf };
                struct cfg_emit_opts o = { .threads = threads, .keep = every_third,
                                           .ctx = &t };
                struct strbuf got = STRBUF_INIT;
                ck_assert_int_eq(emit_with(c, (enum cfg_emit_what)what, &o, &got), 0);
                ck_assert_uint_gt(want.len, 0);
                ck_assert_str_eq(got.buf, want.buf);
                strbuf_release(&got);
            }
            strbuf_release(&want);
        }
        strbuf_release(&all);
    }
    strbuf_release(&names);
    cfg_free(c);
}
END_TEST

START_TEST(test_join_expands_in_one_thread_and_defaults_in_two)
{
    bool parallel;
    ts_write("t.cfg", "variants:\n    - a:\n    - b:\nvariants:\n    - c:\n    - d:\n"
                 "join a b\n");
    same_as_serial("t.cfg", NULL, 0, &parallel);
    ck_assert_int_eq(cfg_emit_last.threads, 1);
    /* defaults mode decides a block's default by its siblings' yields, in the walk */
    ts_write("d.cfg", product);
    struct cfg_opts o = { .defaults = true };
    struct cfg *c = cfg_parse("d.cfg", NULL, 0, &o);
    ck_assert_ptr_nonnull(c);
    struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
    int wrc;
    char *werr;
    serial(c, CFG_EMIT_DUMP, &want, &wrc, &werr);
    ck_assert_int_eq(emit(c, CFG_EMIT_DUMP, 2, &got), 0);
    ck_assert_int_eq(cfg_emit_last.threads, 2);
    ck_assert_str_eq(got.buf, want.buf);
    ck_assert_ptr_nonnull(strstr(got.buf, "== c1.(bb=b1).a1\n"));
    ck_assert_ptr_null(strstr(got.buf, "a2"));
    strbuf_release(&got);
    strbuf_release(&want);
    cfg_free(c);
}
END_TEST

START_TEST(test_big_dump_fills_the_ring_and_stays_in_order)
{
    /* ~20,000 cases, ~10 MB of dump: the ring between the stages fills many times */
    struct strbuf cfgtext = STRBUF_INIT;
    strbuf_addstr(&cfgtext, "long = ");
    for (int i = 0; i < 40; i++)
        strbuf_addstr(&cfgtext, "0123456789");
    strbuf_addch(&cfgtext, '\n');
    for (int b = 0; b < 4; b++) {
        strbuf_addf(&cfgtext, "variants:\n");
        for (int i = 0; i < 12; i++)
            strbuf_addf(&cfgtext, "    - v%d_%d:\n        k%d = %d\n", b, i, b, i);
    }
    ts_write("t.cfg", cfgtext.buf);
    strbuf_release(&cfgtext);
    bool parallel;
    same_as_serial("t.cfg", NULL, 0, &parallel);
    ck_assert_msg(parallel, "the pipeline did not run");
}
END_TEST

START_TEST(test_cancel_writes_nothing_more)
{
    ts_write("t.cfg", product);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    cfg_cancel = 1;
    for (int threads = 1; threads <= 2; threads++) {
        struct strbuf got = STRBUF_INIT;
        ck_assert_int_eq(emit(c, CFG_EMIT_DUMP, threads, &got), -1);
        ck_assert_str_eq(err_msg(), "interrupted");
        ck_assert_uint_eq(got.len, 0);
        strbuf_release(&got);
    }
    cfg_cancel = 0;
    cfg_free(c);
}
END_TEST

START_TEST(test_write_error_is_its_own_result)
{
    ts_write("t.cfg", product);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    signal(SIGPIPE, SIG_IGN);
    for (int threads = 1; threads <= 2; threads++) {
        int p[2];
        ck_assert_int_eq(pipe(p), 0);
        close(p[0]);
        struct cfg_emit_opts o = { .threads = threads };
        ck_assert_int_eq(cfg_emit(c, CFG_EMIT_DUMP, &o, p[1]), -2);
        ck_assert_msg(strstr(err_msg(), "writing the output") != NULL, "%s", err_msg());
        close(p[1]);
    }
    cfg_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cfg_emit");
    TCase *tc = tcase_create("emit");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_parallel_output_is_the_single_walk_output);
    tcase_add_test(tc, test_parallel_expansion_error_keeps_the_cases_before_it);
    tcase_add_test(tc, test_keep_writes_only_the_cases_it_keeps);
    tcase_add_test(tc, test_join_expands_in_one_thread_and_defaults_in_two);
    tcase_add_test(tc, test_big_dump_fills_the_ring_and_stays_in_order);
    tcase_add_test(tc, test_cancel_writes_nothing_more);
    tcase_add_test(tc, test_write_error_is_its_own_result);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
