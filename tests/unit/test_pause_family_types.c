/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The postcopy pause/recover and unattended types of
 * pause_postcopy_migration_and_recover/ without VMs: pause_by_network_and_recover and
 * no_paused_during_recover_migration's declared params and dispositions, the firewall
 * rules of libvirt_network.setup_firewall_rule as vtrun reads them, and the types vtrun
 * knows but does not build (an ERROR naming why, virtproxyd a CANCEL).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "tests/support.h"
#include "virt/virt.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

static struct params *base_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "migrate_desturi_type", "tcp");
    return p;
}

/* pause_by_network_and_recover.qemu_layer.tcp.p2p as the composition writes it */
static struct params *network_case(void)
{
    struct params *p = base_case("pause_by_network_and_recover");
    params_set(p, "virsh_migrate_extra", "--migrateuri tcp://192.168.1.3:49155 "
               "--listen-address 192.168.1.3");
    params_set(p, "postcopy_options", "--timeout 4 --timeout-postcopy --postcopy "
               "--postcopy-bandwidth 5");
    params_set(p, "virsh_migrate_extra_mig_again",
               "--timeout 4 --timeout-postcopy --postcopy --postcopy-resume");
    params_set(p, "transport_type", "tcp");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    params_set(p, "postcopy_resume_migration", "yes");
    params_set(p, "err_msg", "job 'migration in' failed in post-copy phase");
    params_set(p, "firewall_rule_on_dest", "ipv4 filter INPUT 0 -p tcp --dport 49155 -j DROP");
    params_set(p, "firewall_rule_on_src", "ipv4 filter INPUT 0 -p tcp --sport 49155 -j DROP");
    params_set(p, "tcp_config_list", "{\"tcp_keepalive_probes\": \"3\", "
               "\"tcp_keepalive_intvl\": \"3\", \"tcp_retries1\": \"1\", "
               "\"tcp_retries2\": \"1\", \"tcp_fin_timeout\": \"2\"}");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"libvirt_network.setup_firewall_rule\", \"func_param\": \"params\", "
               "\"need_sleep_time\": \"5\"}]");
    params_set(p, "action_during_mig_again",
               "[{\"func\": \"do_common_check\", \"before_pause\": \"yes\", \"func_param\": "
               "\"params\"}, {\"func\": \"set_migrate_speed_to_high\", \"before_pause\": "
               "\"yes\", \"func_param\": \"params\"}]");
    return p;
}

START_TEST(test_network_case_dispositions)
{
    struct params *p = network_case();
    /* the firewall steps are steps of the engine now */
    ck_assert(!run_tl_any_action_unbuilt(p));
    /* verify_test's domtime: the guest agent, else CANCEL */
    ASSERT_DISPO(p, "guest_agent");
    caps[0] = "guest_agent";
    /* qemu_layer (QEMU's stream port dropped) leaves a job on the lab: not built */
    ASSERT_DISPO(p, "ERROR: firewall_rule_on_dest");
    /* libvirt_layer: the daemons' port */
    params_set(p, "firewall_rule_on_dest", "ipv4 filter INPUT 0 -p tcp --dport 16509 -j DROP");
    params_set(p, "firewall_rule_on_src", "ipv4 filter INPUT 0 -p tcp --sport 16509 -j DROP");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "transport_type", "tls");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "transport_type", "unix_proxy");
    ASSERT_DISPO(p, "ERROR: transport_type = 'unix_proxy'");
    params_set(p, "transport_type", "tcp");
    /* a rule vtrun cannot read is an ERROR before anything starts */
    params_set(p, "firewall_rule_on_src", "ipv4 filter INPUT 0 -m state --state NEW -j DROP");
    ASSERT_DISPO(p, "ERROR: firewall_rule_on_src");
    params_set(p, "firewall_rule_on_src", "ipv4 filter INPUT 0 -p tcp --sport 16509 -j DROP");
    /* tcp_config_list must be a dict of numbers */
    params_set(p, "tcp_config_list", "{\"tcp_retries2\": \"many\"}");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "tcp_config_list", "[1, 2]");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "tcp_config_list", "{\"tcp_retries2\": \"1\"}");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_firewall_rule_parse)
{
    struct virt_fw_rule r;
    ck_assert_int_eq(run_tl_fw_rule_parse("ipv4 filter INPUT 0 -p tcp --dport 49155 -j DROP",
                                          &r), 0);
    ck_assert_str_eq(r.chain, "input");
    ck_assert_str_eq(r.proto, "tcp");
    ck_assert_uint_eq(r.port_min, 49155);
    ck_assert_uint_eq(r.sport, 0);
    ck_assert(!r.reject);
    ck_assert_int_eq(run_tl_fw_rule_parse("ipv4 filter INPUT 0 -p tcp --sport 16509 -j DROP",
                                          &r), 0);
    ck_assert_uint_eq(r.port_min, 0);
    ck_assert_uint_eq(r.sport, 16509);
    ck_assert_int_eq(run_tl_fw_rule_parse("ipv6 filter OUTPUT 1 -p udp --dport 5 -j REJECT",
                                          &r), 0);
    ck_assert_str_eq(r.chain, "output");
    ck_assert_str_eq(r.proto, "udp");
    ck_assert(r.reject);
    /* what vtrun does not read: another table, a match, no port, a bad port */
    const char *bad[] = {
        "ipv4 nat PREROUTING 0 -p tcp --dport 1 -j DROP",
        "ipv4 filter INPUT 0 -p tcp -m state --state NEW -j DROP",
        "ipv4 filter INPUT 0 -p tcp -j DROP",
        "ipv4 filter INPUT 0 -p tcp --dport 70000 -j DROP",
        "ipv4 filter INPUT 0 -p tcp --dport",
        "",
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++)
        ck_assert_msg(run_tl_fw_rule_parse(bad[k], &r) < 0, "'%s' read", bad[k]);
}
END_TEST

START_TEST(test_firewall_steps_need_a_record)
{
    struct params *p = params_new();
    /* the params' check names the param */
    params_set(p, "firewall_rule_on_dest", "ipv4 filter INPUT 0 -p tcp --dport x -j DROP");
    ck_assert_int_lt(run_tl_fw_params_check(p), 0);
    ck_assert_ptr_nonnull(strstr(err_msg(), "firewall_rule_on_dest"));
    params_free(p);
    /* a record attached and detached by the test that holds it */
    struct run_ctx a = { 0 }, b = { 0 };
    struct virt_hostops *ops = (struct virt_hostops *)&b;   /* never dereferenced */
    ck_assert_int_eq(run_tl_fw_attach(&a, ops), 0);
    run_tl_fw_detach(&a);
    run_tl_fw_detach(&b);       /* none: nothing happens */
}
END_TEST

/* no_paused_during_recover_migration.no_vm_migration.p2p */
START_TEST(test_no_paused_dispositions)
{
    struct params *p = base_case("no_paused_during_recover_migration");
    params_set(p, "virsh_migrate_extra", "--postcopy --postcopy-resume");
    params_set(p, "virsh_migrate_extra_mig_again", " ");
    params_set(p, "err_msg", "not being migrated");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again_status_error", "no");
    params_set(p, "migrate_again", "yes");
    /* no domtime here: no guest agent needed */
    ASSERT_DISPO(p, "RUN");
    /* vm_migration_running: the resume is a nested migration (run_tl_nested.c) */
    params_set(p, "do_migration_during_mig", "yes");
    params_set(p, "action_during_mig",
               "[{\"func\": \"do_migration\", \"after_event\": \"iteration: '1'\", "
               "\"func_param\": 'params'}, {\"func\": \"set_migrate_speed_to_high\", "
               "\"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "RUN");
    /* not peer to peer the lab's timing misses the client's Perform call */
    params_set(p, "virsh_migrate_options", "--live --verbose");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    params_free(p);
}
END_TEST

START_TEST(test_unbuilt_types_say_why)
{
    static const struct {
        const char *type, *want;
    } rows[] = {
        { "unattended_migration_and_disruptive", "ERROR: tp-libvirt's "
          "unattended_migration_and_disruptive: the type's steps" },
        { "pause_and_recover_twice", "ERROR: tp-libvirt's pause_and_recover_twice: " },
        { "unattended_migration", "ERROR: tp-libvirt's unattended_migration: " },
    };
    for (size_t k = 0; k < sizeof(rows) / sizeof(*rows); k++) {
        struct params *p = base_case(rows[k].type);
        ck_assert_ptr_nonnull(run_type_lookup(rows[k].type));
        ASSERT_DISPO(p, rows[k].want);
        /* virtproxyd: the generic need decides first */
        params_set(p, "service_name", "virtproxyd");
        ASSERT_DISPO(p, "modular_daemons");
        params_free(p);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pause_family_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_network_case_dispositions);
    tcase_add_test(tc, test_firewall_rule_parse);
    tcase_add_test(tc, test_firewall_steps_need_a_record);
    tcase_add_test(tc, test_no_paused_dispositions);
    tcase_add_test(tc, test_unbuilt_types_say_why);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
