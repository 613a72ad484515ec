/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The unix_proxy transport (runner/run_uproxy.h) and the types on it, without hosts:
 * which cases want the proxies, their params read, the check_socket count of `ss -xanp`
 * output, and the dispositions of unix_proxy and migrate_over_unix cases as the
 * composition writes them (RUN; ERROR naming what vtrun does not build).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_uproxy.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

START_TEST(test_wanted_by_any_transport_param)
{
    struct params *p = params_new();
    ck_assert(!run_uproxy_wanted(p));
    params_set(p, "migrate_desturi_type", "tcp");
    ck_assert(!run_uproxy_wanted(p));
    const char *keys[] = { "migrate_desturi_type", "transport_type", "transport_type_again" };
    for (size_t k = 0; k < 3; k++) {
        struct params *q = params_new();
        params_set(q, keys[k], "unix_proxy");
        ck_assert_msg(run_uproxy_wanted(q), "%s", keys[k]);
        params_free(q);
    }
    params_free(p);
}
END_TEST

START_TEST(test_params_checked)
{
    struct params *p = params_new();
    /* UNIXSocketConnection's defaults read */
    ck_assert_int_eq(run_uproxy_check(p), 0);
    params_set(p, "desturi_port", "70000");
    ck_assert_int_eq(run_uproxy_check(p), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "desturi_port"));
    params_set(p, "desturi_port", "22222");
    /* socat's address syntax would split these */
    params_set(p, "migrateuri_sock", "/tmp/a,fork");
    ck_assert_int_eq(run_uproxy_check(p), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "migrateuri_sock"));
    params_set(p, "migrateuri_sock", "relative/sock");
    ck_assert_int_eq(run_uproxy_check(p), -1);
    params_set(p, "migrateuri_sock", "/var/lib/libvirt/qemu/m");
    params_set(p, "desturi_sock_conn", "/run/x:y");
    ck_assert_int_eq(run_uproxy_check(p), -1);
    params_set(p, "desturi_sock_conn", "/run/libvirt/libvirt-sock");
    ck_assert_int_eq(run_uproxy_check(p), 0);
    params_free(p);
}
END_TEST

/* `ss -xanp` on the source during a multifd migration through the proxies */
START_TEST(test_connected_sockets_counted)
{
    const char *ss =
        "Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n"
        "u_str LISTEN 0 5 /tmp/desturi-socket 1001 * 0 users:((\"socat\",pid=10,fd=5))\n"
        "u_str ESTAB 0 0 /tmp/desturi-socket 1002 * 1003 users:((\"socat\",pid=11,fd=6))\n"
        "u_str ESTAB 0 0 * 1003 * 1002 users:((\"libvirtd\",pid=5,fd=30))\n"
        "u_str LISTEN 0 5 /var/lib/libvirt/qemu/migrateuri-socket 2001 * 0\n"
        "u_str ESTAB 0 0 /var/lib/libvirt/qemu/migrateuri-socket 2002 * 2003\n"
        "u_str ESTAB 0 0 /var/lib/libvirt/qemu/migrateuri-socket 2004 * 2005\n"
        "u_str ESTAB 0 0 /var/lib/libvirt/qemu/disks-uri-socket 3002 * 3003\n"
        "u_str ESTAB 0 0 /run/libvirt/libvirt-sock 4002 * 4003";
    ck_assert_uint_eq(run_tl_unix_connected(ss), 3);
    ck_assert_uint_eq(run_tl_unix_connected(""), 0);
    ck_assert_uint_eq(run_tl_unix_connected(NULL), 0);
}
END_TEST

/* network_data_transport.unix_proxy.unix_socket_path_exist.copy_storage_all.p2p */
static struct params *unix_proxy_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "unix_proxy");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "transport_type", "unix_proxy");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    params_set(p, "virsh_migrate_desturi", "qemu+unix:///system?socket=/tmp/desturi-socket");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "copy_storage_option", "--copy-storage-all");
    params_set(p, "virsh_migrate_extra",
               "--migrateuri unix:///var/lib/libvirt/qemu/migrateuri-socket "
               "--disks-uri unix:///var/lib/libvirt/qemu/disks-uri-socket");
    params_set(p, "status_error", "no");
    params_set(p, "disk_num", "3");
    return p;
}

START_TEST(test_unix_proxy_dispositions)
{
    struct params *p = unix_proxy_case();
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_options", "--live --verbose");
    ASSERT_DISPO(p, "RUN");
    /* unix_socket_path_non_exist: fails with a regex */
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "unable to stat: /var/lib/libvirt/qemu/non-exist>: No such file");
    ASSERT_DISPO(p, "RUN");
    /* the composition's: only SELinux's alternative can match */
    params_set(p, "err_msg", "unable to stat: /q/n>: No such file or directory|unable to set "
               "security context.*on '/q/n': No such file or directory");
    ASSERT_DISPO(p, "selinux");
    caps[0] = "selinux";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    params_set(p, "transport_type", "tls");
    ASSERT_DISPO(p, "ERROR: transport_type = 'tls'");
    params_set(p, "transport_type", "unix_proxy");
    params_set(p, "desturi_port", "x");
    ASSERT_DISPO(p, "ERROR: desturi_port = 'x'");
    params_set(p, "desturi_port", "22222");
    params_set(p, "virsh_migrate_extra", "--no-such-word");
    ASSERT_DISPO(p, "ERROR: virsh migrate words");
    params_free(p);
}
END_TEST

/* virsh.migrate_over_unix.positive_testing.without_copy_storage.multifd.
 * p2p_live_migration.without_postcopy */
static struct params *over_unix_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migrate_over_unix");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_desturi", "qemu+unix:///system?socket=/tmp/desturi-socket");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra",
               "--migrateuri unix:///var/lib/libvirt/qemu/migrateuri-socket --bandwidth 50 "
               "--parallel --parallel-connections 4");
    params_set(p, "postcopy_options", "");
    params_set(p, "status_error", "no");
    params_set(p, "storage_type", "nfs");
    params_set(p, "action_during_mig", "check_socket");
    params_set(p, "action_during_mig_params_exists", "yes");
    params_set(p, "expected_socket_num", "6");
    return p;
}

START_TEST(test_over_unix_dispositions)
{
    struct params *p = over_unix_case();
    /* its check during a migration at 50 MiB/s: over first on a TCG guest */
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    /* migrate_uri: at 20 MiB/s */
    params_set(p, "virsh_migrate_extra",
               "--migrateuri unix:///var/lib/libvirt/qemu/migrateuri-socket --bandwidth 20");
    params_set(p, "expected_socket_num", "");
    ASSERT_DISPO(p, "RUN");
    /* check_socket counts virsh's own desturi connection without --p2p */
    params_set(p, "virsh_migrate_options", "--live --verbose");
    ASSERT_DISPO(p, "ERROR: virsh_migrate_options = '--live --verbose'");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "postcopy_options", "--postcopy");
    ASSERT_DISPO(p, "ERROR: postcopy_options = '--postcopy'");
    params_set(p, "postcopy_options", "");
    params_set(p, "action_during_mig", "no_such_func");
    ASSERT_DISPO(p, "ERROR: action_during_mig = 'no_such_func'");
    /* negative_test.domjobabort.normal_migration */
    params_set(p, "action_during_mig", "virsh.domjobabort");
    params_set(p, "virsh_migrate_extra",
               "--migrateuri unix:///var/lib/libvirt/qemu/migrateuri-socket --bandwidth 50");
    params_set(p, "action_during_mig_params", "'%s' % params.get('migrate_main_vm')");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    /* storage_migration: update_disk's extra disks */
    params_set(p, "storage_type", "");
    params_set(p, "disk_num", "3");
    ASSERT_DISPO(p, "ERROR: disk_num = '3'");
    params_set(p, "disk_num", "1");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("uproxy_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_wanted_by_any_transport_param);
    tcase_add_test(tc, test_params_checked);
    tcase_add_test(tc, test_connected_sockets_counted);
    tcase_add_test(tc, test_unix_proxy_dispositions);
    tcase_add_test(tc, test_over_unix_dispositions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
