/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host identity and network transport types (migration_with_host_uuid,
 * migration_with_host_hostname, migrate_with_various_hostname,
 * tcp_migration_port_allocation_port_occupied_by_other_app,
 * migration_network_data_transport, migrate_network) without VMs: their declared
 * params read from cases as the composition writes them, and each case's disposition
 * (RUN, CANCEL for what the hosts lack, ERROR naming what vtrun does not build).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
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

START_TEST(test_host_uuid)
{
    struct params *p = base_case("migration_with_host_uuid", "--live --p2p --verbose");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "Attempt to migrate guest to the same host");
    params_set(p, "libvirtd_conf",
               "{\"host_uuid\": '\"00000000-0000-0000-0000-000000000001\"'}");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "host_uuid"));
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_options", "--live --verbose");
    ASSERT_DISPO(p, "RUN");
    /* a key that is no word, a list: ERRORs naming libvirtd_conf */
    params_set(p, "libvirtd_conf", "{\"host uuid\": '1'}");
    ck_assert_int_eq(ts_type_params(p, &out), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "libvirtd_conf"));
    params_set(p, "libvirtd_conf", "['a']");
    ASSERT_DISPO(p, "ERROR");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

static struct params *hostname_case(const char *type, const char *dest_key, const char *name,
                                    const char *err)
{
    struct params *p = base_case(type, "--live --p2p --verbose");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    params_set(p, "migrate_again_status_error", "no");
    params_set(p, "virsh_migrate_extra_mig_again", "--migrateuri tcp://192.168.126.3");
    params_set(p, "src_hostname", name);
    params_set(p, dest_key, name);
    params_set(p, "err_msg", err);
    return p;
}

START_TEST(test_hostname)
{
    static const char *const types[][2] = {
        { "migration_with_host_hostname", "dest_hostname" },
        { "migrate_with_various_hostname", "dst_hostname" },
    };
    for (size_t k = 0; k < 2; k++) {
        struct strbuf out = STRBUF_INIT;
        struct params *p = hostname_case(types[k][0], types[k][1], "localhost.localdomain",
                                         "hostname on destination resolved to localhost, but "
                                         "migration requires an FQDN");
        ck_assert_int_eq(ts_type_params(p, &out), 0);
        ck_assert_ptr_nonnull(strstr(out.buf, "src_hostname = localhost.localdomain"));
        ASSERT_DISPO(p, "RUN");
        /* short and FQDN names: the lab has no resolver saying they do not exist */
        params_set(p, "src_hostname", "srchostname");
        params_set(p, types[k][1], "desthostname");
        params_set(p, "err_msg", "Name or service not known");
        ASSERT_DISPO(p, "dns");
        caps[0] = "dns";
        ASSERT_DISPO(p, "RUN");
        caps[0] = NULL;
        /* a name `hostname` would take as an option, or a shell word: refused */
        params_set(p, "err_msg", "x");
        params_set(p, "src_hostname", "-x");
        ASSERT_DISPO(p, "ERROR");
        params_set(p, "src_hostname", "a;b");
        ck_assert_int_eq(ts_type_params(p, &out), -1);
        ck_assert_ptr_nonnull(strstr(err_msg(), "src_hostname"));
        strbuf_release(&out);
        params_free(p);
    }
}
END_TEST

START_TEST(test_port_occupied)
{
    struct params *p = base_case("tcp_migration_port_allocation_port_occupied_by_other_app",
                                 "--live --p2p --verbose");
    params_set(p, "migrate_speed", "20");
    params_set(p, "stress_package", "stress");
    params_set(p, "port_to_check", "49153");
    params_set(p, "occupy_port_cmd", "nc -l -p 49152 &");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": \"params\"}, {\"func\": "
               "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "RUN");
    /* another command than nc's listener: not built */
    params_set(p, "occupy_port_cmd", "python3 -m http.server 49152 &");
    ASSERT_DISPO(p, "ERROR: occupy_port_cmd");
    params_set(p, "occupy_port_cmd", "nc -l -p 70000 &");
    ASSERT_DISPO(p, "ERROR: occupy_port_cmd");
    params_free(p);
}
END_TEST

START_TEST(test_data_transport)
{
    struct params *p = base_case("migration_network_data_transport", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--tunnelled");
    params_set(p, "expected_network_conn_num", "0");
    params_set(p, "check_network_accessibility_after_mig", "yes");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "migrate_desturi_type", "ssh");
    params_set(p, "virsh_migrate_desturi", "qemu+ssh://192.168.126.3/system");
    ASSERT_DISPO(p, "RUN");
    /* the daemons' own TLS: an ERROR naming it; the UNIX proxies' socket count is
     * built with --p2p (tests/unit/test_uproxy2_types.c) */
    params_set(p, "migrate_desturi_type", "tls");
    ASSERT_DISPO(p, "ERROR: qemu_tls");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    params_set(p, "transport_type", "unix_proxy");
    params_set(p, "check_socket_num", "yes");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_migrate_network)
{
    struct params *p = base_case("migrate_network", "--live --p2p --verbose");
    params_set(p, "ovs_bridge_name", "ovsbr0");
    ASSERT_DISPO(p, "openvswitch");
    caps[0] = "openvswitch";
    ASSERT_DISPO(p, "internet");
    caps[1] = "internet";
    ASSERT_DISPO(p, "ERROR");
    caps[0] = caps[1] = NULL;
    params_set(p, "ovs_bridge_name", "");
    params_set(p, "direct_mode", "yes");
    ASSERT_DISPO(p, "internet");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nethost_types");
    TCase *tc = tcase_create("nethost_types");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_host_uuid);
    tcase_add_test(tc, test_hostname);
    tcase_add_test(tc, test_port_occupied);
    tcase_add_test(tc, test_data_transport);
    tcase_add_test(tc, test_migrate_network);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
