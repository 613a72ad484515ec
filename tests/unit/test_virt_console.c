/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt_console (crash scan) and virt_err (VMError vocabulary). */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "virt/virt.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[] = "/tmp/vtrun-console-XXXXXX";

static void setup(void)
{
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static void teardown(void)
{
    unlink(path);
    strcpy(path, "/tmp/vtrun-console-XXXXXX");
}

static void append(const char *s)
{
    FILE *f = fopen(path, "a");
    fputs(s, f);
    fclose(f);
}

START_TEST(test_clean_log_has_no_crash_and_offset_reaches_end)
{
    struct virt_crash c;
    long long off = 0;
    unsigned ln = 0;
    const char *log = "[    0.000000] Linux version 6.1.0\nvtrun: ready\n";
    append(log);
    ck_assert_int_eq(virt_console_scan(path, &off, &ln, &c), 0);
    ck_assert_int_eq(off, (long long)strlen(log));
    ck_assert_uint_eq(ln, 2);
}
END_TEST

START_TEST(test_oops_found_with_line_and_context)
{
    struct virt_crash c;
    long long off = 0;
    append("line one\nline two\n"
           "[   12.1] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
           "[   12.1] #PF: supervisor read access in kernel mode\n"
           "[   12.1] Call Trace:\n"
           "[   12.1]  <TASK>\n"
           "[   12.1] ---[ end trace 0000000000000000 ]---\n"
           "after\n");
    ck_assert_int_eq(virt_console_scan(path, &off, NULL, &c), 1);
    ck_assert_str_eq(c.pattern, "BUG:");
    ck_assert_uint_eq(c.line, 3);
    ck_assert_int_eq(c.offset, 18);
    ck_assert_ptr_nonnull(strstr(c.text, "line two\n[   12.1] BUG: kernel NULL"));
    ck_assert_ptr_nonnull(strstr(c.text, "end trace"));
    ck_assert_ptr_null(strstr(c.text, "after"));
    virt_crash_free(&c);
    /* The trace was consumed with its hit: its Call Trace is not reported again. */
    ck_assert_int_eq(virt_console_scan(path, &off, NULL, &c), 0);
}
END_TEST

START_TEST(test_each_marker_is_recognised)
{
    const char *lines[] = { "Oops: 0002 [#1] SMP\n", "Call Trace:\n",
                            "Kernel panic - not syncing: VFS\n", "---[ end trace 1 ]---\n" };
    const char *want[] = { "Oops", "Call Trace", "Kernel panic", "---[ end trace" };
    for (size_t i = 0; i < 4; i++) {
        struct virt_crash c;
        long long off = 0;
        FILE *f = fopen(path, "w");
        fprintf(f, "boot\n%s", lines[i]);
        fclose(f);
        ck_assert_int_eq(virt_console_scan(path, &off, NULL, &c), 1);
        ck_assert_str_eq(c.pattern, want[i]);
        ck_assert_uint_eq(c.line, 2);
        virt_crash_free(&c);
    }
}
END_TEST

START_TEST(test_incremental_scan_reports_new_crash_only_after_hop)
{
    struct virt_crash c;
    long long off = 0;
    unsigned ln = 0;
    append("boot ok\nhop 1 ok\n");
    ck_assert_int_eq(virt_console_scan(path, &off, &ln, &c), 0);
    /* A partly written line is not consumed ... */
    append("[  30.0] Kernel pa");
    ck_assert_int_eq(virt_console_scan(path, &off, &ln, &c), 0);
    ck_assert_int_eq(off, 17);
    /* ... and is found whole once QEMU finished writing it. */
    append("nic - not syncing: Fatal exception\n");
    ck_assert_int_eq(virt_console_scan(path, &off, &ln, &c), 1);
    ck_assert_str_eq(c.pattern, "Kernel panic");
    ck_assert_uint_eq(c.line, 3);
    ck_assert_int_eq(c.offset, 17);
    virt_crash_free(&c);
}
END_TEST

START_TEST(test_missing_log_is_an_error)
{
    struct virt_crash c;
    long long off = 0;
    ck_assert_int_eq(virt_console_scan("/nonexistent/serial.log", &off, NULL, &c), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "/nonexistent/serial.log"));
}
END_TEST

START_TEST(test_error_formatter_prints_context)
{
    struct strbuf sb = STRBUF_INIT;
    struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_CREATE);
    e.vm = "vm1";
    e.host = "hostA";
    e.command = "virsh start vm1";
    e.status = 1;
    e.output = "error: failed to start\n";
    virt_err_format(&e, &sb);
    ck_assert_str_eq(sb.buf, "VMCreateError: VM creation failed (vm vm1, host hostA); "
                             "command `virsh start vm1` exited 1; output:\n"
                             "error: failed to start");
    strbuf_release(&sb);
}
END_TEST

START_TEST(test_error_output_keeps_only_tail)
{
    struct strbuf out = STRBUF_INIT, sb = STRBUF_INIT;
    struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_COMMAND);
    for (int i = 0; i < 500; i++)
        strbuf_addf(&out, "line %d\n", i);
    e.output = out.buf;
    virt_err_format(&e, &sb);
    ck_assert_ptr_null(strstr(sb.buf, "line 1\n"));
    ck_assert_ptr_nonnull(strstr(sb.buf, "output (tail):\nline "));
    ck_assert_ptr_nonnull(strstr(sb.buf, "line 499"));
    ck_assert_uint_lt(sb.len, 1200);
    strbuf_release(&out);
    strbuf_release(&sb);
}
END_TEST

START_TEST(test_every_kind_has_autotest_name_and_fail_records_kind)
{
    for (int k = 0; k < VIRT_ERR__COUNT; k++)
        ck_assert_ptr_nonnull(virt_err_name(k));
    ck_assert_str_eq(virt_err_name(VIRT_ERR_IMAGE_CHECK), "VMImageCheckError");
    ck_assert_str_eq(virt_err_name(VIRT_ERR_MIGRATE_STATE), "VMMigrateStateMismatchError");
    ck_assert_int_eq(virt_failf(VIRT_ERR_MIGRATE_TIMEOUT, "vm2", "after %d s", 30), -1);
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_MIGRATE_TIMEOUT);
    ck_assert_str_eq(err_msg(), "VMMigrateTimeoutError: migration timed out (vm vm2): after 30 s");
    virt_err_clear();
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_NONE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virt_console");
    TCase *tc = tcase_create("console");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_clean_log_has_no_crash_and_offset_reaches_end);
    tcase_add_test(tc, test_oops_found_with_line_and_context);
    tcase_add_test(tc, test_each_marker_is_recognised);
    tcase_add_test(tc, test_incremental_scan_reports_new_crash_only_after_hop);
    tcase_add_test(tc, test_missing_log_is_an_error);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_test(te, test_error_formatter_prints_context);
    tcase_add_test(te, test_error_output_keeps_only_tail);
    tcase_add_test(te, test_every_kind_has_autotest_name_and_fail_records_kind);
    suite_add_tcase(s, te);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
