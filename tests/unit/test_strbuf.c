/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/strbuf: shell quoting read back by a real sh, whole-file reads of real files. */
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const hostile[] = {
    "plain", "", "it's", "'", "''", "a b\tc", "x;id;", "$(id)", "`id`", "${HOME}",
    "line1\nline2", "\n", "!", "a!b!!", "\\", "\\'", "-e", "*", "\"q\"", "'\\''",
    "&& reboot", "|cat", "> /tmp/x", "\x01\x7f", "é",
};

START_TEST(test_add_sq_wraps_in_single_quotes_git_style)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_add_sq(&sb, "it's");
    ck_assert_str_eq(sb.buf, "'it'\\''s'");
    strbuf_reset(&sb);
    strbuf_add_sq(&sb, "a!b");
    ck_assert_str_eq(sb.buf, "'a'\\!'b'");
    strbuf_reset(&sb);
    strbuf_add_sq(&sb, "");
    ck_assert_str_eq(sb.buf, "''");
    strbuf_release(&sb);
}
END_TEST

/* Every hostile word, quoted, is read back by sh as exactly that one word. */
START_TEST(test_add_sq_words_arrive_verbatim_through_sh)
{
    struct strbuf script = STRBUF_INIT, out = STRBUF_INIT, want = STRBUF_INIT;
    strbuf_addstr(&script, "for w in");
    for (size_t i = 0; i < ARRAY_SIZE(hostile); i++) {
        strbuf_addch(&script, ' ');
        strbuf_add_sq(&script, hostile[i]);
        strbuf_add(&want, hostile[i], strlen(hostile[i]));
        strbuf_addch(&want, '\0');
    }
    strbuf_addstr(&script, "; do printf '%s\\0' \"$w\"; done");
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", script.buf, NULL);
    spawn_set_output(c, &out, NULL);
    ck_assert_msg(spawn_run(c, NULL) == 0, "%s", err_msg());
    ck_assert_uint_eq(out.len, want.len);
    ck_assert(memcmp(out.buf, want.buf, want.len) == 0);
    spawn_free(c);
    strbuf_release(&script);
    strbuf_release(&out);
    strbuf_release(&want);
}
END_TEST

START_TEST(test_read_file_appends_whole_file_or_at_most_max)
{
    char path[] = "/tmp/vtrun-test-strbuf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t n = 200000;
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    close(fd);

    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, ">");
    ck_assert_int_eq(strbuf_read_file(&sb, path, 0), (ssize_t)n);
    ck_assert_uint_eq(sb.len, n + 1);
    ck_assert(memcmp(sb.buf + 1, data, n) == 0);
    ck_assert_int_eq(sb.buf[sb.len], '\0');
    strbuf_reset(&sb);
    ck_assert_int_eq(strbuf_read_file(&sb, path, 10), 10);
    ck_assert_str_eq(sb.buf, "abcdefghij");
    unlink(path);
    free(data);
    strbuf_release(&sb);
}
END_TEST

START_TEST(test_read_file_reads_proc_files_of_unknown_size)
{
    struct strbuf sb = STRBUF_INIT;
    ck_assert_int_gt(strbuf_read_file(&sb, "/proc/self/status", 0), 0);
    ck_assert_ptr_nonnull(strstr(sb.buf, "Pid:"));
    strbuf_release(&sb);
}
END_TEST

START_TEST(test_read_file_error_sets_errno_and_leaves_the_error_message)
{
    struct strbuf sb = STRBUF_INIT;
    err_set("the caller's error");
    ck_assert_int_eq(strbuf_read_file(&sb, "/nonexistent/vtrun-file", 0), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_str_eq(err_msg(), "the caller's error");
    ck_assert_uint_eq(sb.len, 0);
    strbuf_release(&sb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("strbuf");
    TCase *tc = tcase_create("strbuf");
    tcase_add_test(tc, test_add_sq_wraps_in_single_quotes_git_style);
    tcase_add_test(tc, test_add_sq_words_arrive_verbatim_through_sh);
    tcase_add_test(tc, test_read_file_appends_whole_file_or_at_most_max);
    tcase_add_test(tc, test_read_file_reads_proc_files_of_unknown_size);
    tcase_add_test(tc, test_read_file_error_sets_errno_and_leaves_the_error_message);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
