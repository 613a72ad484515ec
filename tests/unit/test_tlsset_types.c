/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * base_steps' setup_connection for a tls transport with qemu_tls (runner/run_tlsconn.h)
 * in abort_job and migration_performance_tuning, without VMs: which params ask for
 * QEMU's certificates, which tls setups stay ERRORs naming qemu_tls, and the
 * dispositions of the with_tls / tls variants as the composition writes them; and
 * migrate_options_shared's native_tls (TLSConnection for --tls, virsh's own refusals
 * of the tls-destination words); check_auto_converge_during_mig's reading of
 * domjobinfo (runner/run_tl_autoconv.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "migration/mig.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tlsconn.h"
#include "runner/type_options_shared.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

/* abort_job.abort_in_memory_copy_phase.with_tls.copy_storage_all.tcp.with_precopy.p2p */
static struct params *aj_tls_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "abort_job");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--copy-storage-all --tls");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "transport_type", "tls");
    params_set(p, "custom_pki_path", "/etc/pki/qemu");
    params_set(p, "qemu_tls", "yes");
    params_set(p, "server_cn", "lab-host2");
    params_set(p, "client_cn", "lab-host1");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    params_set(p, "domjobabort_on_src", "yes");
    params_set(p, "err_msg", "operation aborted: job 'migration out' canceled by client");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"migration-iteration\", \"func_param\": \"params\", "
               "\"wait_for_after_event_timeout\": \"600\"}, {\"func\": \"do_domjobabort\", "
               "\"func_param\": \"params\"}]");
    params_set(p, "action_during_mig_again",
               "[{\"func\": \"libvirt_network.check_established\", \"func_param\": "
               "\"params\", \"need_sleep_time\": \"1\"}]");
    params_set(p, "expected_event_target", "[\"lifecycle.*Stopped Failed\"]");
    return p;
}

/* migration_performance_tuning.migration_parallel_connections.tls.conn_num_0.p2p */
static struct params *pt_tls_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_performance_tuning");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "test_case", "parallel_connections");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--tls");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "migrate_desturi_port", "16509");
    params_set(p, "transport_type", "tls");
    params_set(p, "qemu_tls", "yes");
    params_set(p, "custom_pki_path", "/etc/pki/qemu");
    params_set(p, "status_error", "yes");
    params_set(p, "parallel_conn_options", "--parallel --parallel-connections 0");
    params_set(p, "err_msg", "Parameter 'multifd_channels' expects a value between 1 and 255");
    params_set(p, "stress_package", "stress");
    return p;
}

START_TEST(test_tlsconn_wanted_and_unbuilt)
{
    struct params *p = params_new();
    const char *v = NULL;
    /* no tls transport: nothing to make, nothing unbuilt */
    ck_assert(!run_tlsconn_wanted(p));
    ck_assert_ptr_null(run_tlsconn_unbuilt(p, &v));
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "qemu_tls", "yes");
    ck_assert(!run_tlsconn_wanted(p));
    /* each of setup_connection's three params makes the connection object */
    static const char *const keys[] = {
        "transport_type", "transport_type_again", "migrate_desturi_type",
    };
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        struct params *q = params_new();
        params_set(q, keys[k], "tls");
        params_set(q, "qemu_tls", "yes");
        ck_assert_msg(run_tlsconn_wanted(q), "%s = tls", keys[k]);
        ck_assert_ptr_null(run_tlsconn_unbuilt(q, &v));
        /* the daemons' own TLS (qemu_tls unset or no): not built, named */
        params_set(q, "qemu_tls", "no");
        ck_assert(!run_tlsconn_wanted(q));
        ck_assert_str_eq(run_tlsconn_unbuilt(q, &v), "qemu_tls");
        ck_assert_str_eq(v, "no");
        params_free(q);
    }
    params_set(p, "transport_type", "tls");
    params_set(p, "qemu_tls", "");
    ck_assert_str_eq(run_tlsconn_unbuilt(p, &v), "qemu_tls");
    params_set(p, "transport_type", "unix_proxy");
    ck_assert_ptr_null(run_tlsconn_unbuilt(p, &v));
    params_free(p);
}
END_TEST

START_TEST(test_abort_job_with_tls)
{
    struct params *p = aj_tls_case();
    /* built now: the TCG lab's CANCEL of the unslowed migration, as without_tls */
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "qemu_tls", "no");
    ASSERT_DISPO(p, "ERROR: qemu_tls = 'no'");
    params_free(p);
}
END_TEST

START_TEST(test_perf_tuning_tls)
{
    struct params *p = pt_tls_case();
    /* the refused connection counts: no action, RUN on the TCG lab */
    ASSERT_DISPO(p, "RUN");
    params_set(p, "parallel_conn_options", "--parallel --parallel-connections 256");
    ASSERT_DISPO(p, "RUN");
    /* counted after the first iteration of a migration it does not slow down */
    params_set(p, "status_error", "no");
    params_set(p, "parallel_conn_options", "--parallel --parallel-connections 1");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "qemu_tls", "no");
    ASSERT_DISPO(p, "ERROR: qemu_tls = 'no'");
    /* migration_vm_cpu_auto_converge.default_throttle: its step is built, the
     * migration slowed down (migrate_speed) */
    caps[0] = NULL;
    params_set(p, "transport_type", "");
    params_set(p, "virsh_migrate_extra", "--auto-converge");
    params_set(p, "test_case", "auto_converge");
    params_set(p, "parallel_conn_options", "");
    params_set(p, "migrate_speed", "50");
    params_set(p, "initial_throttle", "20");
    params_set(p, "increment", "10");
    params_set(p, "action_during_mig",
               "[{\"func\": \"check_auto_converge_during_mig\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}]");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

/* migrate_options_shared.positive_test.native_tls.verify_client.no_post_after_precopy.
 * without_postcopy, its placeholders filled */
static struct params *mos_tls_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migrate_options_shared");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --verbose");
    params_set(p, "virsh_migrate_extra", "--tls");
    params_set(p, "custom_pki_path", "/etc/pki/qemu");
    params_set(p, "qemu_tls", "yes");
    params_set(p, "server_cn", "lab-host2");
    params_set(p, "client_cn", "lab-host1");
    params_set(p, "log_conf_dict", "{\"log_level\": \"1\", \"log_outputs\": "
               "\"\\\"1:file:/var/log/libvirt/libvirtd.log\\\"\"}");
    params_set(p, "log_conf_type", "virtqemud");
    params_set(p, "log_conf_dest_dict", "{r\"log_level\\s*=.*\": 'log_level=1', "
               "r\"log_outputs\\s*=.*\": 'log_outputs=\"1:file:/var/log/libvirt/"
               "libvirtd.log\"'}");
    params_set(p, "qemu_conf_dest_dict",
               "{r\"migrate_tls_x509_verify\\s*=.*\": 'migrate_tls_x509_verify=1'}");
    params_set(p, "grep_str_local_log",
               "\"dir\":\"/etc/pki/qemu\",\"endpoint\":\"client\",\"verify-peer\":true");
    params_set(p, "grep_str_remote_log",
               "\"dir\":\"/etc/pki/qemu\",\"endpoint\":\"server\",\"verify-peer\":true");
    return p;
}

START_TEST(test_options_shared_native_tls)
{
    struct params *p = mos_tls_case();
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_extra", "--tls --tls-destination lab-host2");
    params_set(p, "check_tls_destination", "yes");
    ASSERT_DISPO(p, "RUN");
    /* the daemons' own TLS: not built */
    params_set(p, "qemu_tls", "no");
    ASSERT_DISPO(p, "ERROR: qemu_tls = 'no' with --tls");
    /* no TLSConnection at all without auto recovery: nothing to build */
    params_set(p, "tls_auto_recovery", "no");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

/* The words virsh refuses before any call, with virsh's text. */
START_TEST(test_options_shared_virsh_refusals)
{
    static const struct {
        const char *words, *refusal;
    } rows[] = {
        { "--live --verbose --tls", NULL },
        { "--live --verbose --tls --tls-destination lab-host2", NULL },
        { "--live --verbose --tls --tls-destination ''",
          "error: Failed to get option 'tls-destination': Option argument is empty" },
        { "--live --verbose --tls-destination lab-host2",
          "error: Option --tls is required by option --tls-destination" },
    };
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct be_migrate_opts mo = { 0 };
        ck_assert_int_eq(mig_opts_parse(rows[k].words, &mo), 0);
        const char *got = run_mos_virsh_refusal(&mo);
        if (rows[k].refusal)
            ck_assert_msg(got && !strcmp(got, rows[k].refusal), "%s: got '%s'",
                          rows[k].words, got ? got : "(none)");
        else
            ck_assert_msg(!got, "%s: refused '%s'", rows[k].words, got);
        mig_opts_release(&mo);
    }
}
END_TEST

/* The domjobinfo lines the step reads, as virsh prints them. */
static const char *jobinfo(const char *type, const char *throttle)
{
    static char buf[256];
    snprintf(buf, sizeof(buf), "Job type:         %s\nOperation:        Outgoing migration\n"
             "%s%s%s", type, throttle ? "Auto converge throttle: " : "",
             throttle ? throttle : "", throttle ? "\n" : "");
    return buf;
}

START_TEST(test_autoconverge_reading)
{
    struct params *p = params_new();
    struct run_autoconv ac;
    struct strbuf why = STRBUF_INIT;
    /* default_throttle: 20, 30 ... 90 and 99 allowed */
    params_set(p, "initial_throttle", "20");
    params_set(p, "increment", "10");
    ck_assert_int_eq(run_autoconv_init(&ac, p), 0);
    ck_assert_int_eq(ac.max_converge, 99);
    ck_assert_int_eq(run_autoconv_read(&ac, jobinfo("Unbounded", NULL), &why),
                     RUN_AUTOCONV_GO_ON);
    ck_assert_int_eq(run_autoconv_read(&ac, jobinfo("Unbounded", "20"), &why),
                     RUN_AUTOCONV_GO_ON);
    ck_assert_int_eq(run_autoconv_read(&ac, jobinfo("Unbounded", "90"), &why),
                     RUN_AUTOCONV_GO_ON);
    /* the throttle seen is kept when the job ends: done */
    ck_assert_int_eq(run_autoconv_read(&ac, jobinfo("Completed", NULL), &why),
                     RUN_AUTOCONV_DONE);
    ck_assert_int_eq(run_autoconv_init(&ac, p), 0);
    ck_assert_int_eq(run_autoconv_read(&ac, jobinfo("Unbounded", "99"), &why),
                     RUN_AUTOCONV_DONE);
    /* a value off the sequence */
    ck_assert_int_eq(run_autoconv_init(&ac, p), 0);
    ck_assert_int_eq(run_autoconv_read(&ac, jobinfo("Unbounded", "25"), &why),
                     RUN_AUTOCONV_FAIL);
    ck_assert_str_eq(why.buf, "Invalid auto converge throttle value '25'");
    strbuf_reset(&why);
    /* the job over without any throttle: FAIL */
    ck_assert_int_eq(run_autoconv_init(&ac, p), 0);
    ck_assert_int_eq(run_autoconv_read(&ac, jobinfo("None", NULL), &why), RUN_AUTOCONV_FAIL);
    ck_assert_str_eq(why.buf, "'Auto converge throttle' is not found in the domjobinfo");
    strbuf_reset(&why);
    /* specified_initial_throttle_and_incremental: 30, 45, 60, 75, 90, 99 */
    params_set(p, "initial_throttle", "30");
    params_set(p, "increment", "15");
    ck_assert_int_eq(run_autoconv_init(&ac, p), 0);
    ck_assert_int_eq(run_autoconv_read(&ac, jobinfo("Unbounded", "75"), &why),
                     RUN_AUTOCONV_GO_ON);
    ck_assert_int_eq(run_autoconv_read(&ac, jobinfo("Unbounded", "80"), &why),
                     RUN_AUTOCONV_FAIL);
    params_set(p, "increment", "ten");
    ck_assert_int_eq(run_autoconv_init(&ac, p), -1);
    strbuf_release(&why);
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tlsset_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_tlsconn_wanted_and_unbuilt);
    tcase_add_test(tc, test_abort_job_with_tls);
    tcase_add_test(tc, test_perf_tuning_tls);
    tcase_add_test(tc, test_options_shared_native_tls);
    tcase_add_test(tc, test_options_shared_virsh_refusals);
    tcase_add_test(tc, test_autoconverge_reading);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
