/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner/run_tl without VMs: ss's established connections read as netstat prints them
 * (so avocado-vt's check_established patterns match them), and which actions of a case
 * vtrun runs -- a func it has no step for, or a func of a built step that reads its
 * argument otherwise, is named (the case is then an ERROR before it starts).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_tl.h"

/* as `ss -tnpH state established` prints them on a lab host */
static const char ss_text[] =
    "0      0      192.168.127.2:22    192.168.127.254:60114 users:((\"sshd\",pid=279,fd=4))     \n"
    "0      0      192.168.127.2:45610 192.168.127.3:49152 users:((\"qemu-system-x86\",pid=233,fd=24))\n"
    "0      2571   192.168.127.2:49151   192.168.127.1:24007 users:((\"glusterfs\",pid=141,fd=8))\n"
    "0      0      [::ffff:192.168.127.2]:49152 [::ffff:192.168.127.3]:49136 "
    "users:((\"qemu-system-x86\",pid=739,fd=30))\n";

START_TEST(test_ss_reads_as_netstat)
{
    struct strbuf out = STRBUF_INIT;
    run_tl_ss_netstat(ss_text, &out);
    ck_assert_str_eq(out.buf,
        "tcp 0 0 192.168.127.2:22 192.168.127.254:60114 ESTABLISHED 279/sshd\n"
        "tcp 0 0 192.168.127.2:45610 192.168.127.3:49152 ESTABLISHED 233/qemu-system-x86\n"
        "tcp 0 0 192.168.127.2:49151 192.168.127.1:24007 ESTABLISHED 141/glusterfs\n"
        "tcp6 0 0 ::ffff:192.168.127.2:49152 ::ffff:192.168.127.3:49136 ESTABLISHED "
        "739/qemu-system-x86\n");
    /* avocado-vt's pattern for the port used, with vtrun's name of the QEMU */
    ck_assert_int_eq(mig_tl_search(".*192.168.127.3:(\\d*).*ESTABLISHED.*"
                                   "(?:qemu-kvm|qemu-system).*", out.buf), 1);
    ck_assert_int_eq(mig_tl_search(".*192.168.127.3:(\\d*).*ESTABLISHED.*glusterfs.*",
                                   out.buf), 0);
    /* the incoming side of a dual-stack socket, as the destination sees it */
    ck_assert_int_eq(mig_tl_search(".*192.168.127.2:(\\d*).*ESTABLISHED.*"
                                   "(?:qemu-kvm|qemu-system).*", strstr(out.buf, "tcp6")), 1);
    strbuf_release(&out);
}
END_TEST

START_TEST(test_ss_without_process_or_columns)
{
    struct strbuf out = STRBUF_INIT;
    run_tl_ss_netstat("0 0 10.0.0.1:5 10.0.0.2:6\n\njunk\n", &out);
    ck_assert_str_eq(out.buf, "tcp 0 0 10.0.0.1:5 10.0.0.2:6 ESTABLISHED 0/\n");
    strbuf_release(&out);
}
END_TEST

static const char *unbuilt(const char *value)
{
    struct params *p = params_new();
    if (value)
        params_set(p, "action_during_mig", value);
    const char *f = run_tl_actions_unbuilt(p, "action_during_mig");
    params_free(p);
    return f;
}

START_TEST(test_which_actions_run)
{
    ck_assert_ptr_null(unbuilt(NULL));
    ck_assert_ptr_null(unbuilt(""));
    ck_assert_ptr_null(unbuilt("[{\"func\": \"libvirt_network.check_established\", "
                               "\"after_event\": \"iteration: '1'\", \"func_param\": 'params'}, "
                               "{\"func\": \"virsh.domjobabort\", \"func_param\": \"'%s' % "
                               "params.get('migrate_main_vm')\"}]"));
    ck_assert_ptr_null(unbuilt("[{\"func\": \"libvirt_service.kill_service\", "
                               "\"func_param\": \"params\"}]"));
    ck_assert_ptr_null(unbuilt("[{\"func\": \"set_maxdowntime_during_mig\", "
                               "\"func_param\": \"params\"}]"));
    ck_assert_str_eq(unbuilt("[{\"func\": \"utils_test.run_file_transfer\", "
                             "\"func_param\": 'params'}, {\"func\": "
                             "\"libvirt_service.kill_service\", \"func_param\": \"params\"}]"),
                     "utils_test.run_file_transfer");
    /* the same step as a built func, another reading of its argument: not built */
    ck_assert_str_eq(unbuilt("[{\"func\": \"virsh.migrate_setmaxdowntime\", "
                             "\"func_param\": \"'%s 100' % params.get('main_vm')\"}]"),
                     "virsh.migrate_setmaxdowntime");
    ck_assert_str_eq(unbuilt("[{\"func\": \"check_established\", \"func_param\": 'params'}]"),
                     "check_established");
    /* a value that does not read is the type's parse error, not an unbuilt func */
    ck_assert_ptr_null(unbuilt("[{\"func\": "));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run_tl");
    TCase *tc = tcase_create("run_tl");
    tcase_add_test(tc, test_ss_reads_as_netstat);
    tcase_add_test(tc, test_ss_without_process_or_columns);
    tcase_add_test(tc, test_which_actions_run);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
