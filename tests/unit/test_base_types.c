/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MigrationBase types on run_base (pause_by_domjobabort_and_recover,
 * abort_precopy_migration) without VMs: their declared params read from cases as the
 * composition writes them, base_steps' migration words, and each case's disposition
 * (RUN, CANCEL for what the hosts lack, ERROR naming what vtrun does not build); and
 * virsh_migrate's vCPU hot-unplug need and live_migration's wait_for_event.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "tests/support.h"

static struct run_facts F;
static char *caps[4];

static void setup(void)
{
    ts_lab_facts(&F, caps, sizeof(caps) / sizeof(caps[0]));
}

static void teardown(void)
{
    run_facts_release(&F);
}

/* pause_by_domjobabort_and_recover.no_options.tcp.p2p's own params */
static struct params *pause_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "pause_by_domjobabort_and_recover");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "postcopy_options", "--timeout 4 --timeout-postcopy --postcopy");
    params_set(p, "virsh_migrate_extra_mig_again",
               "--timeout 4 --timeout-postcopy --postcopy --postcopy-resume");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "migration_options", "no_options");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_speed", "15");
    params_set(p, "migrate_again", "yes");
    params_set(p, "postcopy_resume_migration", "yes");
    params_set(p, "err_msg", "job 'migration in' failed in post-copy phase");
    params_set(p, "dominfo_check", "Persistent:     no");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"virsh.domjobabort\", \"func_param\": \"'%s --postcopy' % "
               "params.get('migrate_main_vm')\", \"need_sleep_time\": \"5\"}, {\"func\": "
               "\"do_common_check\", \"func_param\": \"params\"}]");
    params_set(p, "action_during_mig_again",
               "[{\"func\": \"do_common_check\", \"before_pause\": \"yes\", \"func_param\": "
               "\"params\"}, {\"func\": \"set_migrate_speed_to_high\", \"before_pause\": "
               "\"yes\", \"func_param\": \"params\"}]");
    params_set(p, "expected_event_src", "[\"event 'lifecycle' for domain.*: Stopped Migrated\"]");
    return p;
}

/* abort_precopy_migration.without_multifd.abort_before_vm_downtime.domjobabort.tcp.p2p */
static struct params *abort_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "abort_precopy_migration");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_speed", "15");
    params_set(p, "abort_mig", "abort_before_vm_downtime");
    params_set(p, "abort_method", "domjobabort");
    params_set(p, "expected_dest_state", "nonexist");
    params_set(p, "expected_src_state", "running");
    params_set(p, "job_type_list", "[\"None\", \"Unbounded\", \"Cancelled\", \"None\"]");
    params_set(p, "err_msg", "operation aborted: job 'migration out' canceled by client");
    params_set(p, "action_during_mig",
               "[{\"func\": \"virsh.domjobabort\", \"after_event\": \"migration-iteration\", "
               "\"before_event\": \"Suspended Migrated\", \"func_param\": \"'%s' % "
               "params.get('migrate_main_vm')\"}]");
    return p;
}

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

START_TEST(test_words_as_base_steps_builds_them)
{
    struct run_base_mig m = { .options = "--live --p2p", .extra = "--dname x",
                              .postcopy = "--postcopy", .copy_storage = "--copy-storage-all",
                              .extra_again = NULL };
    char *w = run_base_words(&m, false);
    ck_assert_str_eq(w, "--live --p2p --dname x --postcopy --copy-storage-all");
    free(w);
    /* no extra for the second migration: the same words */
    w = run_base_words(&m, true);
    ck_assert_str_eq(w, "--live --p2p --dname x --postcopy --copy-storage-all");
    free(w);
    m.extra_again = "--postcopy --postcopy-resume";
    w = run_base_words(&m, true);
    ck_assert_str_eq(w, "--live --p2p --postcopy --postcopy-resume --copy-storage-all");
    free(w);
    ck_assert_int_eq(run_base_words_check(&m), 0);
    m.extra = "--no-such-word";
    ck_assert_int_eq(run_base_words_check(&m), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "--no-such-word"));
}
END_TEST

START_TEST(test_pause_case_needs_the_guest_agent)
{
    struct params *p = pause_case();
    /* every action is a step vtrun runs */
    ck_assert(!run_tl_any_action_unbuilt(p));
    /* domtime: the agent in the guest, else CANCEL */
    ASSERT_DISPO(p, "guest_agent");
    /* declared: the domain gets the agent's channel, the case runs */
    caps[0] = "guest_agent";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "migration_options", "dname");
    ASSERT_DISPO(p, "ERROR: migration_options = 'dname'");
    /* the source stays defined after a resume without --undefinesource: no libvirt
     * does what the variant expects */
    params_set(p, "migration_options", "undefinesource");
    ASSERT_DISPO(p, "resume_undefinesource");
    params_set(p, "migration_options", "migrateuri");
    params_set(p, "transport_type", "tls");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "transport_type", "unix_proxy");
    ASSERT_DISPO(p, "ERROR: transport_type = 'unix_proxy'");
    params_free(p);
}
END_TEST

START_TEST(test_pause_case_bad_params)
{
    struct params *p = pause_case();
    params_set(p, "virsh_migrate_extra_mig_again", "--postcopy-resume");
    ASSERT_DISPO(p, "ERROR: virsh migrate words '--live --p2p --verbose --postcopy-resume ");
    params_set(p, "virsh_migrate_extra_mig_again", "--postcopy --postcopy-resume");
    params_set(p, "dominfo_check", "Persistent: (no");
    ASSERT_DISPO(p, "ERROR: param dominfo_check");
    params_set(p, "dominfo_check", "Persistent:     no");
    params_set(p, "migrate_again", "maybe");
    ASSERT_DISPO(p, "ERROR: param migrate_again");
    params_free(p);
}
END_TEST

START_TEST(test_abort_case_dispositions)
{
    struct params *p = abort_case();
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_options", "--live --verbose");
    ASSERT_DISPO(p, "RUN");
    /* the switchover of the lab's guests is too short to abort in */
    params_set(p, "abort_mig", "abort_during_vm_downtime");
    ASSERT_DISPO(p, "downtime_window");
    caps[0] = "downtime_window";
    ASSERT_DISPO(p, "RUN");
    /* Ctrl-C: its err_msg is a substring, not a regex; the variant is not built */
    params_set(p, "abort_method", "ctrl_c");
    params_set(p, "err_msg", "Migration: [");
    ASSERT_DISPO(p, "ERROR: abort_method = 'ctrl_c'");
    params_set(p, "abort_method", "domjobabort");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    ASSERT_DISPO(p, "RUN");     /* the proxies: runner/run_uproxy.h */
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "action_during_mig", "[{\"func\": \"no_such_func\"}]");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
}
END_TEST

/* abort_job.abort_in_storage_copy_phase.without_tls.copy_storage_all.tcp.p2p */
START_TEST(test_abort_job_dispositions)
{
    struct params *p = params_new();
    params_set(p, "type", "abort_job");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--copy-storage-all");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    params_set(p, "domjobabort_on_src", "yes");
    params_set(p, "err_msg", "operation aborted: migration out: canceled by client");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"func_param\": "
               "\"params\", \"need_sleep_time\": \"3\"}, {\"func\": \"do_domjobabort\", "
               "\"func_param\": \"params\"}]");
    params_set(p, "action_during_mig_again",
               "[{\"func\": \"libvirt_network.check_established\", \"func_param\": "
               "\"params\", \"need_sleep_time\": \"1\"}]");
    params_set(p, "expected_event_target", "[\"lifecycle.*Stopped Failed\"]");
    ck_assert(!run_tl_any_action_unbuilt(p));
    /* its actions run during a migration it does not slow down: KVM guests only */
    ASSERT_DISPO(p, "kvm");
    params_set(p, "migrate_speed", "5");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "migrate_speed", "");
    params_set(p, "virsh_migrate_extra", "--copy-storage-inc --tls");
    params_set(p, "transport_type", "tls");
    /* without qemu_tls: the daemons' own TLS, not built (runner/run_tlsconn.h) */
    ASSERT_DISPO(p, "ERROR: qemu_tls = 'no'");
    params_set(p, "transport_type", "");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    ASSERT_DISPO(p, "kvm");     /* built (runner/run_uproxy.h): the kvm need again */
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "virsh_migrate_extra", "--copy-storage-inc --copy-storage-synchronous-writes "
               "--bogus");
    ASSERT_DISPO(p, "ERROR: virsh migrate words");
    params_free(p);
}
END_TEST

/* tcp.tcp_disks_uri.tcp.ipv4_addr_and_port.without_migrateuri_and_listen_addr.
 * copy_storage_all.non_p2p, its placeholders filled */
static struct params *tcp_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "tcp");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --verbose");
    params_set(p, "virsh_migrate_extra", "--disks-uri tcp://192.168.126.3:49160");
    params_set(p, "copy_storage_option", "--copy-storage-all");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "status_error", "no");
    params_set(p, "check_patterns", "[r'ESTAB .*192.168.126.3:49160', "
               "r'LISTEN .*192.168.126.3:49160']");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_sockets_statistics\", \"func_param\": "
               "{\"server_ip\": \"192.168.126.3\", \"server_user\": \"root\", \"server_pwd\": "
               "\"x\", \"check_patterns\": \"[r'ESTAB .*192.168.126.3:49160', "
               "r'LISTEN .*192.168.126.3:49160']\"}, \"need_sleep_time\": \"5\"}]");
    return p;
}

START_TEST(test_tcp_dispositions)
{
    struct params *p = tcp_case();
    ck_assert(!run_tl_any_action_unbuilt(p));
    /* the ss check 5 s into a migration not slowed down: KVM guests */
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    /* after the block-job event (tcp_migrateuri_and_disks_port): the same, unless the
     * migration is slowed down */
    caps[0] = NULL;
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_sockets_statistics\", \"after_event\": "
               "\"block-job\", \"func_param\": {\"server_ip\": \"192.168.126.3\", "
               "\"check_patterns\": \"[r'ESTAB .*192.168.126.3\\]:49777']\"}, "
               "\"wait_for_after_event_timeout\": \"600\"}]");
    ASSERT_DISPO(p, "kvm");
    params_set(p, "migrate_speed", "20");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "migrate_speed", "");
    /* a check_patterns that is not a list of regexes, a func_param without the host */
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_sockets_statistics\", \"func_param\": "
               "{\"server_ip\": \"192.168.126.3\", \"check_patterns\": \"[r'ESTAB (']\"}}]");
    ASSERT_DISPO(p, "ERROR: action_during_mig: check_patterns");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_sockets_statistics\", \"func_param\": "
               "'params'}]");
    ASSERT_DISPO(p, "ERROR: action_during_mig: libvirt_network.check_sockets_statistics: "
                 "expected func_param to be a dict");
    params_set(p, "action_during_mig", "");
    /* invalid_hostname: a resolver that answers */
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "address resolution failed for .*: Name or service not known");
    ASSERT_DISPO(p, "dns");
    params_set(p, "err_msg", "Failed to bind socket: Cannot assign requested address");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    ASSERT_DISPO(p, "ERROR: migrate_desturi_type = 'unix_proxy'");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "virsh_migrate_extra", "--no-such-word");
    ASSERT_DISPO(p, "ERROR: virsh migrate words");
    params_free(p);
}
END_TEST

/* `ss -tnap | grep qemu-kvm` as a Debian host's QEMU is named */
START_TEST(test_tcp_qemu_lines)
{
    struct strbuf out = STRBUF_INIT;
    run_tl_tcp_qemu_lines(
        "State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
        "LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=5,fd=3))\n"
        "LISTEN 0 1 *:49777 *:* users:((\"qemu-system-x86\",pid=631,fd=11))\n"
        "ESTAB 0 0 [::ffff:10.0.0.3]:49777 [::ffff:10.0.0.2]:5 users:((\"qemu-kvm\",pid=7,fd=1))",
        &out);
    ck_assert_str_eq(out.buf,
        "LISTEN 0 1 *:49777 *:* users:((\"qemu-system-x86\",pid=631,fd=11))\n"
        "ESTAB 0 0 [::ffff:10.0.0.3]:49777 [::ffff:10.0.0.2]:5 users:((\"qemu-kvm\",pid=7,fd=1))\n");
    ck_assert_int_eq(mig_tl_search("ESTAB .*10.0.0.3\\]:49777", out.buf), 1);
    ck_assert_int_eq(mig_tl_search("LISTEN .*\\*", out.buf), 1);
    ck_assert_int_eq(mig_tl_search("ESTAB .*10.0.0.3:49777", out.buf), 0);
    strbuf_release(&out);
}
END_TEST

/* migration_performance_tuning's cases as the composition writes them */
static struct params *perf_case(const char *test_case)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_performance_tuning");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "status_error", "no");
    params_set(p, "test_case", test_case);
    return p;
}

START_TEST(test_perf_parallel_connections)
{
    struct params *p = perf_case("parallel_connections");
    params_set(p, "stress_package", "stress");
    params_set(p, "parallel_conn_options", "--parallel --parallel-connections 100");
    params_set(p, "expected_network_conn_num", "101");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}]");
    ck_assert(!run_tl_any_action_unbuilt(p));
    /* counted after the first iteration of a migration it does not slow down */
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    /* the refused counts: no action, RUN */
    params_set(p, "action_during_mig", "");
    params_set(p, "status_error", "yes");
    params_set(p, "parallel_conn_options", "--parallel --parallel-connections 0");
    ASSERT_DISPO(p, "RUN");
    /* its words are read with parallel_conn_options after the extra ones */
    params_set(p, "parallel_conn_options", "--parallel --no-such-word");
    ASSERT_DISPO(p, "ERROR: virsh migrate words");
    params_set(p, "parallel_conn_options", "--parallel");
    params_set(p, "transport_type", "tls");
    /* without qemu_tls: the daemons' own TLS, not built (runner/run_tlsconn.h) */
    ASSERT_DISPO(p, "ERROR: qemu_tls = 'no'");
    params_set(p, "transport_type", "unix_proxy");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    ASSERT_DISPO(p, "RUN");     /* the proxies: runner/run_uproxy.h */
    params_free(p);
}
END_TEST

START_TEST(test_perf_compression_and_timeout)
{
    struct params *p = perf_case("memory_compression");
    params_set(p, "virsh_migrate_extra", "--compressed --comp-methods xbzrle");
    params_set(p, "postcopy_options", "--postcopy --timeout 10 --timeout-postcopy");
    params_set(p, "cache_size", "536870912");
    params_set(p, "check_compression_list", "[\"Compression cache\", \"Compressed data\"]");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "cache_size", "512M");
    ASSERT_DISPO(p, "ERROR: cache_size = '512M'");
    params_set(p, "cache_size", "536870912");
    /* migrate-compcache during the migration, slowed down by migrate_speed */
    params_set(p, "migrate_speed", "15");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"virsh.migrate_compcache\", \"func_param\": \"'%s --size 536870912' % "
               "params.get('migrate_main_vm')\"}]");
    ck_assert(!run_tl_any_action_unbuilt(p));
    ASSERT_DISPO(p, "RUN");
    params_free(p);

    p = perf_case("");
    params_set(p, "virsh_migrate_extra", "--timeout 8 --timeout-suspend");
    params_set(p, "migrate_speed", "5");
    params_set(p, "action_during_mig",
               "[{\"func\": \"check_vm_status_during_mig\", \"after_event\": \"iteration: "
               "'1'\", \"func_param\": {\"vm_name\": \"avocado-vt-vm1\", \"dest_state\": "
               "\"paused\", \"src_state\":\"paused\"}, \"need_sleep_time\": \"8\"}]");
    ck_assert(!run_tl_any_action_unbuilt(p));
    ASSERT_DISPO(p, "RUN");
    /* a func the engine has no step for: an ERROR naming it */
    params_set(p, "action_during_mig",
               "[{\"func\": \"utils_test.run_file_transfer\", \"func_param\": 'params'}]");
    ASSERT_DISPO(p, "ERROR: action_during_mig: vtrun has no step for func "
                    "'utils_test.run_file_transfer'");
    params_free(p);
}
END_TEST

START_TEST(test_perf_memlock_limits_line)
{
    static const char limits[] =
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max processes             63619                63619                processes \n"
        "Max locked memory         1074790400           10737418240          bytes     \n";
    struct strbuf hard = STRBUF_INIT;
    ck_assert_int_eq(run_perf_limits_memlock(limits, &hard), 0);
    ck_assert_str_eq(hard.buf, "10737418240");
    strbuf_reset(&hard);
    ck_assert_int_eq(run_perf_limits_memlock("Max locked memory unlimited unlimited bytes",
                                             &hard), 0);
    ck_assert_str_eq(hard.buf, "unlimited");
    strbuf_reset(&hard);
    ck_assert_int_eq(run_perf_limits_memlock("Max locked memory 65536\n", &hard), -1);
    ck_assert_int_eq(run_perf_limits_memlock("Max processes 1 1 processes\n", &hard), -1);
    ck_assert_int_eq(run_perf_limits_memlock("", &hard), -1);
    strbuf_release(&hard);
}
END_TEST

/* migration_zerocopy_abort.with_memtune.with_precopy.p2p and the refused combinations */
START_TEST(test_zerocopy_dispositions)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_zerocopy");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--zerocopy --parallel");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    params_set(p, "check_hard_limit", "yes");
    params_set(p, "migrate_speed", "5");
    params_set(p, "test_case", "with_memtune");
    params_set(p, "hard_limit", "10485760");
    params_set(p, "memtune_options", "--hard-limit 10485760");
    params_set(p, "func_supported_since_libvirt_ver", "(8, 0, 0)");
    params_set(p, "check_str_local_log", "['\"capability\":\"zero-copy-send\",\"state\":true']");
    params_set(p, "action_during_mig",
               "[{\"func\": \"check_qemu_mem_lock_hard_limit\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"virsh.domjobabort\", \"func_param\": \"'%s' % "
               "params.get('migrate_main_vm')\"}]");
    ck_assert(!run_tl_any_action_unbuilt(p));
    /* hosts that may raise a QEMU's memlock limit, with a memory cgroup: RUN */
    ASSERT_DISPO(p, "memory_cgroup");
    caps[0] = "memory_cgroup";
    ASSERT_DISPO(p, "memlock");
    caps[1] = "memlock";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "check_str_local_log", "['(']");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "check_str_local_log", "[]");
    /* setup_connection's TLS (transport_type tls) is built: the refused combination runs */
    params_set(p, "virsh_migrate_extra", "--zerocopy --parallel --tls");
    params_set(p, "transport_type", "tls");
    ASSERT_DISPO(p, "RUN");
    params_del(p, "transport_type");
    params_set(p, "virsh_migrate_extra", "--zerocopy --parallel --compressed --comp-methods zlib");
    params_set(p, "func_supported_since_libvirt_ver", "(9, 4, 0)");
    ASSERT_DISPO(p, "libvirt_version");
    params_free(p);
}
END_TEST

START_TEST(test_perf_jobinfo_judge)
{
    static const char info[] = "Job type:         Unbounded\n"
                               "Memory bandwidth: 9.751 MiB/s\n"
                               "Dirty rate:       0 pages/s\n";
    struct strbuf why = STRBUF_INIT;
    ck_assert_int_eq(run_perf_jobinfo_judge(info, "Memory bandwidth:", "10", 0.5, &why), 0);
    /* floor(|9.751 - 20| / 20) = 0: within any rate, as the reference's // reads it */
    ck_assert_int_eq(run_perf_jobinfo_judge(info, "Memory bandwidth:", "20", 0, &why), 0);
    ck_assert_int_eq(run_perf_jobinfo_judge(info, "Memory bandwidth:", "4", 0.5, &why), 1);
    ck_assert_ptr_nonnull(strstr(why.buf, "Memory bandwidth: 9.751 has too much difference "
                                 "from 4"));
    ck_assert_int_eq(run_perf_jobinfo_judge(info, "Auto converge throttle:", "4", 0, &why), 0);
    ck_assert_int_eq(run_perf_jobinfo_judge(info, "Memory bandwidth:", "0", 0, &why), -1);
    strbuf_release(&why);
}
END_TEST

/* migration_precopy_bandwidth's five test cases */
/* virsh_migrate's vCPU hot-unplug CANCELs without KVM guests (QEMU 7.2 under TCG never
 * reports the vCPU deleted); the hotplug alone, or a KVM lab, RUNs. */
START_TEST(test_virsh_migrate_vcpu_unplug_needs_kvm)
{
    struct params *p = params_new();
    params_set(p, "type", "virsh_migrate");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_cpu_hotplug", "yes");
    params_set(p, "virsh_hotplug_cpu_before", "yes");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_cpu_hotunplug", "yes");
    ASSERT_DISPO(p, "RUN");             /* neither before nor after: no unplug */
    params_set(p, "virsh_hotunplug_cpu_after", "yes");
    ASSERT_DISPO(p, "vcpu_unplug");
    params_set(p, "virsh_hotunplug_cpu_after", "no");
    params_set(p, "virsh_hotunplug_cpu_before", "yes");
    ASSERT_DISPO(p, "vcpu_unplug");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

/* live_migration's wait_for_event: a migration that is to fail is waited for as
 * avocado-vt waits (RUN; its ERROR then is the reference's), one that is to succeed
 * needs a precopy still running at --timeout (KVM guests); a bad event_type is the
 * case's ERROR. */
START_TEST(test_live_migration_wait_for_event)
{
    struct params *p = params_new();
    params_set(p, "type", "live_migration");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "postcopy_options", "--postcopy --timeout 10 --timeout-postcopy");
    params_set(p, "event_type", "Post-copy");
    params_set(p, "wait_for_event", "True");
    ASSERT_DISPO(p, "kvm");
    params_set(p, "migrate_speed", "20");
    ASSERT_DISPO(p, "kvm");
    params_set(p, "stress_package", "stress");    /* keeps the precopy going */
    ASSERT_DISPO(p, "RUN");
    params_set(p, "stress_package", "");
    params_set(p, "status_error", "yes");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "event_timeout", "0");
    ASSERT_DISPO(p, "ERROR: param event_timeout = '0'");
    params_set(p, "event_timeout", "7");
    params_set(p, "wait_for_event", "False");
    params_set(p, "status_error", "no");
    ASSERT_DISPO(p, "RUN");
    caps[0] = "kvm";
    params_set(p, "wait_for_event", "True");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_precopy_bandwidth_dispositions)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_precopy_bandwidth");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "precopy_bandwidth", "10");
    params_set(p, "check_str_local_log", "['migrate-set-parameters.*\"max-bandwidth\":10485760']");
    params_set(p, "action_during_mig",
               "[{\"func\": \"check_domjobinfo_during_mig\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}]");
    ck_assert(!run_tl_any_action_unbuilt(p));
    params_set(p, "test_case", "default_bandwidth");
    ASSERT_DISPO(p, "kvm");
    params_set(p, "test_case", "set_bandwidth_when_vm_shutoff");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "precopy_bandwidth", "");
    ASSERT_DISPO(p, "ERROR: test_case = 'set_bandwidth_when_vm_shutoff' needs");
    params_set(p, "precopy_bandwidth", "10");
    params_set(p, "test_case", "set_bandwidth_when_vm_running");
    params_set(p, "migrate_speed", "10");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "migrate_speed", "");
    params_set(p, "test_case", "set_bandwidth_when_initiating_live_migration");
    params_set(p, "virsh_migrate_extra", "--bandwidth 10");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "test_case", "set_bandwidth_during_live_migration");
    ASSERT_DISPO(p, "kvm");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("base_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_words_as_base_steps_builds_them);
    tcase_add_test(tc, test_pause_case_needs_the_guest_agent);
    tcase_add_test(tc, test_pause_case_bad_params);
    tcase_add_test(tc, test_abort_case_dispositions);
    tcase_add_test(tc, test_abort_job_dispositions);
    tcase_add_test(tc, test_tcp_dispositions);
    tcase_add_test(tc, test_tcp_qemu_lines);
    tcase_add_test(tc, test_perf_parallel_connections);
    tcase_add_test(tc, test_perf_compression_and_timeout);
    tcase_add_test(tc, test_perf_memlock_limits_line);
    tcase_add_test(tc, test_zerocopy_dispositions);
    tcase_add_test(tc, test_perf_jobinfo_judge);
    tcase_add_test(tc, test_precopy_bandwidth_dispositions);
    tcase_add_test(tc, test_virsh_migrate_vcpu_unplug_needs_kvm);
    tcase_add_test(tc, test_live_migration_wait_for_event);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
