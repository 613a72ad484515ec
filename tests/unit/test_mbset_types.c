/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MigrationBase setups and steps built for issue 12, without VMs:
 * libvirt_monitor.check_domjobinfo_output's judgement of domjobinfo texts
 * (runner/run_tl_jobinfo.c), and the dispositions of the cases that use it,
 * live_migration's check_port, destroy_dest_vm, pause_by_domjobabort_and_recover's
 * postcopy_bandwidth, migration_zerocopy's TLS / unix_proxy combinations and the ipv6
 * need.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

/* A precopy source's domjobinfo during the migration, as virsh prints it. */
static const char *const JOB_SRC =
    "Job type:         Unbounded   \n"
    "Operation:        Outgoing migration\n"
    "Time elapsed:     5120         ms\n"
    "Data processed:   60.128 MiB\n"
    "Data remaining:   70.000 MiB\n"
    "Data total:       130.128 MiB\n"
    "Memory processed: 60.128 MiB\n"
    "Memory remaining: 70.000 MiB\n"
    "Memory total:     130.128 MiB\n"
    "Memory bandwidth: 15.020 MiB/s\n"
    "Dirty rate:       0            pages/s\n"
    "Page size:        4096         bytes\n"
    "Iteration:        1            \n"
    "Postcopy requests: 0            \n"
    "Constant pages:   1000         \n"
    "Normal pages:     15000        \n"
    "Normal data:      58.594 MiB\n"
    "Expected downtime: 300          ms\n"
    "Setup time:       12           ms\n";

static enum mig_tl_verdict judge(const char *exp, const char *out, const char *err,
                                 bool drop, struct strbuf *why)
{
    struct pylit v;
    ck_assert_int_eq(pylit_parse(exp, &v), 0);
    strbuf_reset(why);
    enum mig_tl_verdict r = run_jobinfo_judge(&v, out, err, drop, why);
    pylit_release(&v);
    return r;
}

START_TEST(test_jobinfo_items)
{
    struct strbuf why = STRBUF_INIT;
    const char *all = "{\"str_items\": {\"Job type\": \"Unbounded\", \"Operation\": "
                      "\"Outgoing migration\"}, \"int_items\": {\"Postcopy requests\": \"0\"}, "
                      "\"all_items\": [\"Time elapsed\", \"Data processed\", \"Memory "
                      "bandwidth\", \"Dirty rate\", \"Page size\", \"Expected downtime\", "
                      "\"Setup time\"]}";
    ck_assert_int_eq(judge(all, JOB_SRC, "", false, &why), MIG_TL_OK);
    /* a value that differs */
    ck_assert_int_eq(judge("{\"str_items\": {\"Job type\": \"Completed\"}}", JOB_SRC, "", false,
                           &why), MIG_TL_FAIL);
    ck_assert_ptr_nonnull(strstr(why.buf, "'Unbounded' is not matched expect 'Completed'"));
    ck_assert_int_eq(judge("{\"int_items\": {\"Iteration\": \"2\"}}", JOB_SRC, "", false, &why),
                     MIG_TL_FAIL);
    /* an item out of order stays unmatched: Missing item */
    ck_assert_int_eq(judge("{\"all_items\": [\"Setup time\", \"Time elapsed\"]}", JOB_SRC, "",
                           false, &why), MIG_TL_FAIL);
    /* the list used up before the output's last line: the reference's IndexError */
    ck_assert_int_eq(judge("{\"all_items\": [\"Time elapsed\"]}", JOB_SRC, "", false, &why),
                     MIG_TL_ERROR);
    ck_assert_int_eq(judge("{\"all_items\": [\"Time elapsed\", \"Total downtime\"]}", JOB_SRC,
                           "", false, &why), MIG_TL_FAIL);
    ck_assert_ptr_nonnull(strstr(why.buf, "Missing item"));
    /* a zero where a positive number is wanted ("Dirty rate" may be 0) */
    ck_assert_int_eq(judge("{\"all_items\": [\"Postcopy requests\", \"Setup time\"]}", JOB_SRC,
                           "", false, &why), MIG_TL_FAIL);
    ck_assert_ptr_nonnull(strstr(why.buf, "The 'Postcopy requests' should not be 0."));
    /* a key the reference does not know is left over */
    ck_assert_int_eq(judge("{\"other\": 1}", JOB_SRC, "", false, &why), MIG_TL_FAIL);
    strbuf_release(&why);
}
END_TEST

START_TEST(test_jobinfo_error_sum_and_postcopy)
{
    struct strbuf why = STRBUF_INIT;
    const char *dest = "{\"error_msg\": \"migration statistics are available only on the "
                       "source host\"}";
    ck_assert_int_eq(judge(dest, "", "error: Operation not supported: migration statistics "
                           "are available only on the source host\n", false, &why), MIG_TL_OK);
    ck_assert_int_eq(judge(dest, JOB_SRC, "", false, &why), MIG_TL_FAIL);
    ck_assert_int_eq(judge("{\"sum_items\": {\"Data total\": \"Memory total+Data processed\"}}",
                           JOB_SRC, "", false, &why), MIG_TL_FAIL);
    const char *sum = "Memory processed: 2048.000 MiB\nFile processed:   1.000 GiB\n"
                      "Data processed:   3.000 GiB\n";
    ck_assert_int_eq(judge("{\"sum_items\": {\"Data processed\": \"Memory processed+File "
                           "processed\"}}", sum, "", false, &why), MIG_TL_OK);
    /* libvirt >= 9.3 prints no "Expected downtime" during a postcopy */
    const char *pc = "Time elapsed:     5120         ms\nSetup time:       12           ms\n";
    const char *exp = "{\"all_items\": [\"Time elapsed\", \"Expected downtime\", \"Setup "
                      "time\"]}";
    ck_assert_int_eq(judge(exp, pc, "", true, &why), MIG_TL_OK);
    ck_assert_int_eq(judge(exp, pc, "", false, &why), MIG_TL_FAIL);
    strbuf_release(&why);
}
END_TEST

/* What every case of these cfgs sets (migration_setup, tcp desturi, nfs storage). */
static struct params *base_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "storage_type", "nfs");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "status_error", "no");
    return p;
}

START_TEST(test_domjobinfo_cases_run)
{
    struct params *p = base_case("migration_domjobinfo");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_monitor.check_domjobinfo_output\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": {\"vm_name\": \"avocado-vt-vm1\", "
               "\"expected_domjobinfo\": {\"src_items\": {\"str_items\": {\"Job type\": "
               "\"Unbounded\"}}}, \"remote_ip\": \"192.0.2.3\"}, \"need_sleep_time\": \"5\"}, "
               "{\"func\": \"set_migrate_speed_to_high\", \"func_param\": \"params\"}]");
    params_set(p, "expected_domjobinfo_complete", "{\"src_items\": {\"str_items\": "
               "{\"Job type\": \"Completed\"}}}");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_live_migration_check_port)
{
    struct params *p = base_case("live_migration");
    params_set(p, "migrate_speed", "10");
    params_set(p, "check_port", "yes");
    params_set(p, "min_port", "49152");
    params_set(p, "qemu_conf_list", "[\"migration_port_min\", \"migration_port_max\"]");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}]");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "qemu_conf_list", "[\"migration port\"]");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
}
END_TEST

START_TEST(test_destroy_dest_and_postcopy_bandwidth)
{
    struct params *p = base_case("pause_and_disruptive_and_recover");
    params_set(p, "postcopy_options", "--timeout 4 --timeout-postcopy --postcopy");
    params_set(p, "do_migration_during_mig", "yes");
    params_set(p, "postcopy_options_during_mig", "--postcopy-resume");
    params_set(p, "status_error", "yes");
    params_set(p, "status_error_during_mig", "yes");
    params_set(p, "action_during_mig",
               "[{\"func\": \"virsh.domjobabort\", \"func_param\": \"'%s --postcopy' % "
               "params.get('migrate_main_vm')\", \"need_sleep_time\": \"5\"}, {\"func\": "
               "\"destroy_dest_vm\", \"func_param\": \"params\", \"need_sleep_time\": \"3\"}, "
               "{\"func\": \"do_migration\", \"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_zerocopy_transports_and_ipv6)
{
    struct params *p = base_case("migration_zerocopy");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    params_set(p, "virsh_migrate_extra_mig_again", "--zerocopy --parallel");
    params_set(p, "transport_type", "unix_proxy");
    params_set(p, "virsh_migrate_extra", "--zerocopy --parallel --migrateuri "
               "unix:///var/lib/libvirt/qemu/migrateuri-socket");
    /* the lab's daemon may not raise the locked-memory limit a zero-copy needs */
    ASSERT_DISPO(p, "memlock");
    caps[0] = "memlock";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "transport_type", "tls");
    params_set(p, "virsh_migrate_extra", "--zerocopy --parallel --tls");
    ASSERT_DISPO(p, "RUN");
    params_free(p);

    p = base_case("tcp_migration_address");
    params_set(p, "default_qemu_conf", "yes");
    params_set(p, "ipv6_config", "yes");
    params_set(p, "ipv6_addr_des", "fd00::3");
    params_set(p, "virsh_migrate_extra", "--migrateuri tcp://192.0.2.3");
    ASSERT_DISPO(p, "ipv6");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mbset_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_jobinfo_items);
    tcase_add_test(tc, test_jobinfo_error_sum_and_postcopy);
    tcase_add_test(tc, test_domjobinfo_cases_run);
    tcase_add_test(tc, test_live_migration_check_port);
    tcase_add_test(tc, test_destroy_dest_and_postcopy_bandwidth);
    tcase_add_test(tc, test_zerocopy_transports_and_ipv6);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
