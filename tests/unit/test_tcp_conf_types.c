/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tcp migration_uri family without VMs (tcp_common, tcp_migration_address,
 * tcp_migration_host, tcp_migration_port_reuse, tcp_port_reuse): their declared params
 * read from cases as the composition writes them, bad values an ERROR naming the
 * param, and each case's disposition (RUN, CANCEL for what the hosts lack, ERROR
 * naming what vtrun does not build).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

#define ESTABLISHED_AND_HIGH                                                             \
    "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "               \
    "\"iteration: '1'\", \"func_param\": \"params\"}, {\"func\": "                       \
    "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}]"

/* The params every case of the family has (tcp_common.cfg and its siblings). */
static struct params *tcp_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "virsh_migrate_desturi", "qemu+tcp://192.168.127.3/system");
    params_set(p, "status_error", "no");
    params_set(p, "check_network_accessibility_after_mig", "yes");
    return p;
}

START_TEST(test_tcp_common_runs)
{
    struct params *p = tcp_case("tcp_common");
    params_set(p, "migrate_speed", "10");
    params_set(p, "test_case", "tcp_common");
    params_set(p, "check_no_str_local_log", "[\"Cannot open log file\"]");
    params_set(p, "action_during_mig", ESTABLISHED_AND_HIGH);
    ASSERT_DISPO(p, "RUN");
    params_set(p, "postcopy_options", "--postcopy --timeout 10 --timeout-postcopy");
    ASSERT_DISPO(p, "RUN");
    /* migrateuri / listen_address words */
    params_set(p, "virsh_migrate_extra",
               "--migrateuri tcp://192.168.127.3 --listen-address 0.0.0.0");
    params_set(p, "stress_package", "stress");
    ASSERT_DISPO(p, "RUN");
    /* invalid ones: refused by libvirt, judged by err_msg */
    params_set(p, "virsh_migrate_extra", "--listen-address 01.3.4.4");
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "Failed to bind socket: Cannot assign requested address");
    params_set(p, "action_during_mig", "");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_tcp_common_ipv6_cancels_or_errs)
{
    struct params *p = tcp_case("tcp_common");
    /* no address6 in the settings: the placeholder stays, a CANCEL naming it */
    params_set(p, "ipv6_addr_des", "ENTER.YOUR.IPv6.DESTINATION");
    params_set(p, "virsh_migrate_extra", "--migrateuri tcp://[ENTER.YOUR.IPv6.DESTINATION]");
    ASSERT_DISPO(p, "placeholder");
    /* an address: ipv6_config needs hosts declared with IPv6, then its check on it is
     * not built */
    params_set(p, "virsh_migrate_extra", "--migrateuri tcp://[fd00::3]");
    params_set(p, "ipv6_config", "yes");
    ASSERT_DISPO(p, "ipv6");
    caps[0] = "ipv6";
    ASSERT_DISPO(p, "ERROR: ipv6_config = 'yes'");
    params_free(p);
}
END_TEST

START_TEST(test_bad_params_are_errors)
{
    struct params *p = tcp_case("tcp_common");
    params_set(p, "virsh_migrate_extra", "--no-such-word");
    ASSERT_DISPO(p, "ERROR: ");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "check_no_str_local_log", "not a list");
    ASSERT_DISPO(p, "ERROR: ");
    params_set(p, "check_no_str_local_log", "");
    params_set(p, "type", "tcp_migration_address");
    params_set(p, "qemu_conf_dest", "{r\".*migration_address\\s*=.*\": 3}");
    ASSERT_DISPO(p, "ERROR: qemu_conf_dest");
    params_set(p, "qemu_conf_dest", "{r\".*migration_address\\s*=.*\": "
               "\"migration_address='0.0.0.0'\"}");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "action_during_mig", "[{\"func\": \"no_such_func\"}]");
    ASSERT_DISPO(p, "ERROR: ");
    params_free(p);
}
END_TEST

START_TEST(test_migration_address_and_host)
{
    struct params *p = tcp_case("tcp_migration_address");
    params_set(p, "qemu_conf_dest", "{r\".*migration_address\\s*=.*\": "
               "\"migration_address='01.3.4.4'\"}");
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "Failed to bind socket: Cannot assign requested address");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "status_error", "no");
    params_set(p, "qemu_conf_dest", "");
    params_set(p, "default_qemu_conf", "yes");
    ASSERT_DISPO(p, "RUN");
    /* NetworkManager stopped and the IPv6 addresses removed: not built */
    params_set(p, "ipv4_env_on_target", "yes");
    params_set(p, "server_ifname", "eno1");
    ASSERT_DISPO(p, "ERROR: ipv4_env_on_target = 'yes'");
    params_free(p);

    p = tcp_case("tcp_migration_host");
    params_set(p, "migrate_speed", "10");
    params_set(p, "action_during_mig", ESTABLISHED_AND_HIGH);
    params_set(p, "qemu_conf_dest", "{r\".*migration_host\\s*=.*\": "
               "\"migration_host='192.168.127.3'\"}");
    ASSERT_DISPO(p, "RUN");
    /* the source's /etc/hosts mapped (run_etchosts); an IPv6 address the settings do
     * not give CANCELs; a pair that is no hostname / address is an ERROR */
    params_set(p, "qemu_conf_dest", "");
    params_set(p, "set_migration_host", "yes");
    params_set(p, "src_hosts_conf", "{\"host2\": \"192.168.127.3\"}");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "src_hosts_conf", "{\"host2\": \"ENTER.YOUR.IPv6.DESTINATION\"}");
    ASSERT_DISPO(p, "placeholder");
    params_set(p, "src_hosts_conf", "{\"host2\": \"1.2.3.4; reboot\"}");
    ASSERT_DISPO(p, "ERROR: src_hosts_conf");
    params_free(p);
}
END_TEST

START_TEST(test_port_reuse)
{
    struct params *p = tcp_case("tcp_migration_port_reuse");
    params_set(p, "migrate_speed", "20");
    params_set(p, "migrate_again", "yes");
    params_set(p, "test_case", "abort_migration");
    params_set(p, "status_error", "yes");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": \"params\"}, {\"func\": "
               "\"virsh.domjobabort\", \"func_param\": \"'%s' % "
               "params.get('migrate_main_vm')\", \"need_sleep_time\": \"3\"}]");
    params_set(p, "action_during_mig_again",
               "[{\"func\": \"libvirt_network.check_established\", \"before_pause\": "
               "\"yes\", \"func_param\": \"params\"}]");
    /* the second migration's check before the destination pauses: run at once by the
     * engine, before QEMU's connection exists */
    ASSERT_DISPO(p, "ERROR: action_during_mig_again: libvirt_network.check_established "
                    "before_pause");
    params_set(p, "action_during_mig_again", "");
    ASSERT_DISPO(p, "RUN");
    params_free(p);

    p = tcp_case("tcp_port_reuse");
    params_set(p, "migrate_again", "yes");
    params_set(p, "copy_storage_option", "--copy-storage-all");
    const char *check = "[{\"func\": \"libvirt_network.check_sockets_statistics\", "
                        "\"after_event\": \"block-job\", \"func_param\": {\"server_ip\": "
                        "\"192.168.127.3\", \"check_patterns\": \"[r'ESTAB .*:49152']\"}}]";
    params_set(p, "action_during_mig", check);
    params_set(p, "action_during_mig_again", check);
    /* unthrottled copy storage: a TCG guest's is over before ss looks */
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    /* a port --disks-port names, reserved by libvirt 9.0 after the first */
    params_set(p, "virsh_migrate_extra", "--disks-port 49666");
    ASSERT_DISPO(p, "disks_port_release");
    caps[1] = "disks_port_release";
    ASSERT_DISPO(p, "RUN");
    /* a check without its dict */
    params_set(p, "action_during_mig_again",
               "[{\"func\": \"libvirt_network.check_sockets_statistics\", "
               "\"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "ERROR: ");
    params_free(p);
}
END_TEST

START_TEST(test_p2p_keepalive_names_what_is_not_built)
{
    struct params *p = tcp_case("p2p_keepalive");
    params_set(p, "virsh_migrate_options", "--live --p2p --timeout 2 --timeout-suspend --verbose");
    params_set(p, "virsh_migrate_extra", "--bandwidth 10");
    params_set(p, "default_conf_on_src", "[\"keepalive_interval\", \"keepalive_count\"]");
    params_set(p, "src_conf_type", "qemu");
    params_set(p, "status_error", "yes");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.setup_firewall_rule\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": \"params\", \"need_sleep_time\": \"5\"}]");
    /* desturi_ssh: a second sshd port first */
    params_set(p, "new_ssh_port", "6666");
    ASSERT_DISPO(p, "ERROR: new_ssh_port = '6666'");
    /* desturi_tcp on a monolithic daemon's host: the firewall step is the engine's
     * (runner/run_tl_fw.c), the keepalive checks are still named */
    params_set(p, "new_ssh_port", "");
    ASSERT_DISPO(p, "ERROR: p2p_keepalive: the keepalive checks");
    params_set(p, "action_during_mig", "");
    ASSERT_DISPO(p, "ERROR: p2p_keepalive: the keepalive checks");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_conf_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_tcp_common_runs);
    tcase_add_test(tc, test_tcp_common_ipv6_cancels_or_errs);
    tcase_add_test(tc, test_bad_params_are_errors);
    tcase_add_test(tc, test_migration_address_and_host);
    tcase_add_test(tc, test_port_reuse);
    tcase_add_test(tc, test_p2p_keepalive_names_what_is_not_built);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
