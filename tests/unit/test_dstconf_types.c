/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vm_configuration_and_status and migration_uri types (change_dst_vm_conf,
 * migration_desturi, persist_target_vm_and_undefine_src_vm[_and_abort]) without VMs:
 * their declared params read from cases as the composition writes them, each case's
 * disposition (RUN, CANCEL for what the hosts lack, ERROR naming what vtrun does not
 * build), and the display edit of run_vmconf.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

static struct params *base_case(const char *type, const char *options)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", options);
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "virsh_migrate_desturi", "qemu+tcp://192.168.126.3/system");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "status_error", "no");
    return p;
}

/* change_dst_vm_conf.with_dname.with_xml.xml_exist.with_persistent.with_persistent_xml.
 * persistent_xml_exist.p2p */
START_TEST(test_change_dst_conf)
{
    struct params *p = base_case("change_dst_vm_conf", "--live --p2p --verbose");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "persistent_option", "--persistent");
    params_set(p, "persistent_xml_path", "persistent_xml_exist");
    params_set(p, "xml_title", "Update xml title to test persistent xml");
    params_set(p, "xml_path", "xml_exist");
    params_set(p, "dname", "change_dst_name");
    params_set(p, "check_network_accessibility_after_mig", "yes");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "dname = change_dst_name"));
    ck_assert_ptr_nonnull(strstr(out.buf, "virsh_migrate_src_state = shut off"));
    ck_assert_ptr_nonnull(strstr(out.buf, "check_network_accessibility_after_mig = yes"));
    ASSERT_DISPO(p, "RUN");
    /* the missing-file negatives and non_p2p run too */
    params_set(p, "xml_path", "xml_not_exist");
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "No such file or directory");
    params_set(p, "virsh_migrate_options", "--live --verbose");
    ASSERT_DISPO(p, "RUN");
    /* a regex that does not compile, a word virsh does not know: ERRORs naming them */
    params_set(p, "err_msg", "(");
    ck_assert_int_eq(ts_type_params(p, &out), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "err_msg"));
    params_set(p, "err_msg", "No such file");
    params_set(p, "virsh_migrate_extra", "--bogus");
    ASSERT_DISPO(p, "ERROR");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

static struct params *desturi_case(const char *transport, const char *host, bool p2p)
{
    struct params *p = base_case("migration_desturi", p2p ? "--live --p2p --verbose"
                                                          : "--live --verbose");
    char *uri = xasprintf("qemu+%s://%s/system", transport, host);
    params_set(p, "migrate_desturi_type", transport);
    params_set(p, "virsh_migrate_desturi", uri);
    params_set(p, "migrate_speed", "5");
    params_set(p, "test_case", "desturi");
    params_set(p, "check_local_port", "yes");
    params_set(p, "stress_package", "stress");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": \"params\"}]");
    free(uri);
    return p;
}

START_TEST(test_desturi_forms)
{
    static const char *const transports[] = { "tcp", "tls", "ssh" };
    for (size_t k = 0; k < 3; k++) {
        struct params *p = desturi_case(transports[k], "192.168.126.3", true);
        ASSERT_DISPO(p, "RUN");
        params_free(p);
        p = desturi_case(transports[k], "lab3-host2", true);
        ASSERT_DISPO(p, "RUN");
        params_free(p);
        /* without --p2p check_established looks on the source for virsh's own
         * connection, which vtrun's client (on its own machine) never makes there */
        p = desturi_case(transports[k], "192.168.126.3", false);
        ASSERT_DISPO(p, "client_on_source");
        params_free(p);
    }
    /* ... and a transport the client refuses, without --p2p: its own open fails */
    struct params *p = desturi_case("aaa", "192.168.126.3", false);
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "error: invalid argument: remote_open: transport in URL not "
               "recognised");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
    {
    }
}
END_TEST

START_TEST(test_desturi_negatives)
{
    /* wrong_hostname: the resolver's "Name or service not known" */
    struct params *p = desturi_case("tcp", "for_test_hostname", true);
    params_set(p, "status_error", "yes");
    params_set(p, "virsh_migrate_src_state", "running");
    params_set(p, "err_msg", "error: Unable to resolve address 'for_test_hostname'.*Name or "
               "service not known|error: invalid argument: remote_open: transport in URL not "
               "recognised");
    ASSERT_DISPO(p, "dns");
    caps[0] = "dns";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    /* a transport libvirt does not know fails before any name is resolved */
    params_set(p, "migrate_desturi_type", "aaa");
    params_set(p, "virsh_migrate_desturi", "qemu+aaa://for_test_hostname/system");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
    /* wrong_ip_addr: the connection must time out */
    p = desturi_case("ssh", "192.168.10.1", true);
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "Connection timed out|error: invalid argument: remote_open: "
               "transport in URL not recognised");
    ASSERT_DISPO(p, "silent_drop_route");
    caps[0] = "silent_drop_route";
    ASSERT_DISPO(p, "RUN");
    /* without --p2p: what vtrun does not build, once the hosts meet the case */
    params_set(p, "virsh_migrate_options", "--live --verbose");
    ASSERT_DISPO(p, "ERROR: virsh_migrate_options");
    caps[0] = NULL;
    ASSERT_DISPO(p, "silent_drop_route");
    params_free(p);
}
END_TEST

START_TEST(test_persist_target)
{
    struct params *p = base_case("persist_target_vm_and_undefine_src_vm",
                                 "--live --p2p --verbose");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "virsh_migrate_extra", "--undefinesource");
    params_set(p, "persistent_option", "--persistent");
    params_set(p, "src_config", "transient");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "src_config = transient"));
    ASSERT_DISPO(p, "RUN");
    params_set(p, "src_config", "paused");
    ck_assert_int_eq(ts_type_params(p, &out), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "src_config"));
    params_free(p);

    p = base_case("persist_target_vm_and_undefine_src_vm_and_abort", "--live --verbose");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    params_set(p, "migrate_speed", "20");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"virsh.domjobabort\", \"func_param\": \"'%s' % "
               "params.get('migrate_main_vm')\", \"need_sleep_time\": \"5\"}]");
    strbuf_reset(&out);
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "migrate_again_status_error = no"));
    ASSERT_DISPO(p, "RUN");
    /* a func vtrun has no step for: ERROR naming it */
    params_set(p, "action_during_mig", "[{\"func\": \"no_such_func\", \"func_param\": "
               "\"params\"}]");
    ASSERT_DISPO(p, "ERROR");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

START_TEST(test_xml_graphics)
{
    char *x = run_vmconf_xml_graphics("<domain><name>d</name><devices><disk/></devices>"
                                      "</domain>", "yes", NULL);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(strstr(x, "<graphics type=\"vnc\" autoport=\"yes\"/>"));
    char *y = run_vmconf_xml_graphics(x, "no", "6666");
    ck_assert_ptr_nonnull(strstr(y, "autoport=\"no\" port=\"6666\""));
    free(x);
    x = run_vmconf_xml_graphics(y, "yes", NULL);
    ck_assert_ptr_null(strstr(x, "port=\"6666\""));
    ck_assert_ptr_null(strstr(strstr(x, "<graphics") + 1, "<graphics"));  /* still one */
    free(x);
    free(y);
    ck_assert_ptr_null(run_vmconf_xml_graphics("<domain", "yes", NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dstconf_types");
    TCase *tc = tcase_create("dstconf_types");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_change_dst_conf);
    tcase_add_test(tc, test_desturi_forms);
    tcase_add_test(tc, test_desturi_negatives);
    tcase_add_test(tc, test_persist_target);
    tcase_add_test(tc, test_xml_graphics);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
