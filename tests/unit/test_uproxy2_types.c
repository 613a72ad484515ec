/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migration_network_data_transport's unix_proxy cases (runner/type_net_transport.c
 * with runner/run_uproxy.h and check_established's check_socket_num,
 * runner/run_tl_socknum.c) without VMs: they RUN; a proxy param vtrun cannot hand to
 * socat is an ERROR naming it; the socket count reads ss's connected UNIX lines.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

/* network_data_transport.unix_proxy.default.with_precopy.p2p */
static struct params *nt_unix_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_network_data_transport");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "storage_type", "nfs");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "transport_type", "unix_proxy");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    params_set(p, "virsh_migrate_desturi", "qemu+unix:///system?socket=/tmp/desturi-socket");
    params_set(p, "virsh_migrate_extra",
               "--migrateuri unix:///var/lib/libvirt/qemu/migrateuri-socket");
    params_set(p, "check_socket_num", "yes");
    params_set(p, "expected_socket_num", "2");
    params_set(p, "check_port_or_network_conn_num", "no");
    params_set(p, "migrate_speed", "10");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}]");
    return p;
}

START_TEST(test_nt_unix_proxy_runs)
{
    struct params *p = nt_unix_case();
    ASSERT_DISPO(p, "RUN");
    params_set(p, "postcopy_options", "--postcopy --timeout 10 --timeout-postcopy");
    ASSERT_DISPO(p, "RUN");
    /* without --p2p the socket the reference's virsh makes is not there */
    params_set(p, "virsh_migrate_options", "--live --verbose");
    ASSERT_DISPO(p, "ERROR: check_socket_num = 'yes' without --p2p");
    params_free(p);
}
END_TEST

START_TEST(test_nt_unix_proxy_bad_param)
{
    struct params *p = nt_unix_case();
    /* a port socat cannot listen on: the proxy's param named */
    params_set(p, "migrateuri_port", "70000");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "migrateuri_port", "33333");
    /* the daemons' own TLS stays not built */
    params_set(p, "migrate_desturi_type", "tls");
    params_set(p, "transport_type", "");
    ASSERT_DISPO(p, "ERROR: qemu_tls = 'no'");
    params_free(p);
}
END_TEST

/* check_socket: ss -xanp's ESTAB lines on the proxies' sockets are netstat's
 * CONNECTED ones; listeners and other sockets do not count. */
START_TEST(test_socket_count)
{
    const char *ss =
        "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
        "u_str LISTEN 0 5 /tmp/desturi-socket 1001 * 0 users:((\"socat\",pid=1,fd=5))\n"
        "u_str ESTAB 0 0 /tmp/desturi-socket 1002 * 1003 users:((\"socat\",pid=2,fd=6))\n"
        "u_str ESTAB 0 0 /var/lib/libvirt/qemu/migrateuri-socket 1004 * 1005 "
        "users:((\"socat\",pid=3,fd=6))\n"
        "u_str ESTAB 0 0 /run/libvirt/libvirt-sock 1006 * 1007 users:((\"libvirtd\"))\n";
    ck_assert_uint_eq(run_tl_unix_connected(ss), 2);
    ck_assert_uint_eq(run_tl_unix_connected(""), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("uproxy2_types");
    TCase *tc = tcase_create("uproxy2_types");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_nt_unix_proxy_runs);
    tcase_add_test(tc, test_nt_unix_proxy_bad_param);
    tcase_add_test(tc, test_socket_count);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
