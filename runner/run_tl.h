/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl: one judged migration of a tp-libvirt case with the actions its config runs
 * during it (action_during_mig, migration/mig_act.h), on the timeline engine
 * (migration/mig.h), as avocado-vt's MigrationTest.do_migration does it:
 *
 *  - the domain events of the source, in `virsh event --loop --all`'s text (virsh run
 *    on this machine with the source's client URI, from an argv), collected while the
 *    migration runs when an action waits for one, so the configs' regexes match them
 *    unchanged;
 *  - the migration in its own thread (virt_vms_migrate, bounded by 900 s and the
 *    test's deadline; the test's cancel flag aborts it);
 *  - the destination's state read with `virsh domstate` there;
 *  - the steps vtrun has (run_tl_action_built) run with virsh or ss on a host, from argv
 *    arrays through the host transport;
 *  - the migration judged by status_error / err_msg (run_mig_hop_judge).
 *
 * A step vtrun does not have yet is decided before the case starts (the type's need
 * rows, run_tl_actions_built): such a case is an ERROR naming the func, never a RUN.
 */
#ifndef VTRUN_RUN_TL_H
#define VTRUN_RUN_TL_H

#include <stdbool.h>

#include "runner/run_mig.h"

struct virt_vms;
struct virt_hostops;

/* Whether vtrun runs action a (its step, for its func) during a migration. */
bool run_tl_action_built(const struct mig_action *a);
/* NULL when every action of the param `key` of p can be run (or it is unset / does not
 * read: the type's parse reports that), else the first func vtrun cannot run (static
 * storage of the table). */
const char *run_tl_actions_unbuilt(const struct params *p, const char *key);
/* Whether action_during_mig or action_during_mig_again names a func vtrun cannot run. */
bool run_tl_any_action_unbuilt(const struct params *p);
/* The "not built" need of a type on the engine: with param (the type's first setup
 * vtrun does not build, its value val) -1 with err naming it and the type; else -1
 * with err naming the first action param and func vtrun has no step for; 1 (met)
 * when neither. */
int run_tl_unbuilt_verdict(const char *type, const char *param, const char *val,
                           const struct params *p);

/* avocado-vt's MigrationTest keeps one `ret`: the result of whichever migration of the
 * test finished last, and every check_result of the test reads it.  A migration run as
 * an action of another (do_migration, resume_migration_again: runner/run_tl_nested.c)
 * finishes after the one it recovers, so the outer hop is judged by the nested one's
 * result; the hops of one nest share this record. */
struct run_tl_last;

struct run_tl_hop {
    /* in */
    struct virt_vms *vms;
    size_t vm;
    int from, to;
    unsigned n;                         /* the hop's number in the results */
    const struct mig_expect *expect;
    const struct be_migrate_opts *opts;
    const struct mig_actions *acts;     /* may be NULL / empty */
    /* where steps that change a host record it (a daemon killed: started again by
     * the undo); NULL: such a step is an ERROR */
    struct virt_hostops *ops;
    /* avocado-vt's EventTracker.wait_event around the migration: after it, whatever its
     * result, an event of the source matching this regex (virsh event's text) within
     * wait_event_s seconds, else the test is an ERROR.  NULL: no wait. */
    const char *wait_event;
    double wait_event_s;
    /* the nest's shared last result (NULL: the hop's own; run_tl_nested.c sets it) */
    struct run_tl_last *last;
    /* out: the port libvirt_network.check_established returned last (0: none) */
    long port;
    bool migrated;                      /* the hop itself succeeded */
    int killed;                         /* the host whose daemon a step killed, or -1 */
};

/* The hop with its actions.  1: migrated, go on with the checks; 0: failed as expected;
 * -1: the test's verdict is set (an action's FAIL/ERROR, the hop's). */
int run_tl_hop(struct run_ctx *ctx, struct run_tl_hop *h);

/* base_steps' "if not vm.is_alive(): vm.start()" before a second migration: VM i
 * running on the source, its definition there started when it has one (shut off after
 * a destroy), else defined and started.  0, or -1 with the test's ERROR. */
int run_tl_start_on_source(struct run_ctx *ctx, struct virt_vms *vms, size_t i);

/* `ss -tnpH state established` output as `netstat -tunap` prints the same
 * connections ("tcp 0 0 LOCAL PEER ESTABLISHED PID/PROGRAM" lines), so avocado-vt's
 * check_established patterns read them unchanged; appended to out. */
void run_tl_ss_netstat(const char *ss, struct strbuf *out);

/* avocado-vt's run_stress_in_vm: `tool args` started detached in guest i (the tool,
 * else a shell loop doing the same work: migration/mig.h mig_stress).  0, or -1 with
 * the test's ERROR. */
int run_tl_guest_stress(struct run_ctx *ctx, struct virt_vms *vms, size_t i, const char *tool,
                        const char *args);

/* A step of the engine's table defined in another file (migrate_options_shared's
 * adapter: runner/run_tl_mos.c) reads its run through these. */
struct tl_run;
struct strbuf;
struct mig_action;
struct run_ctx *run_tl_run_ctx(struct tl_run *t);
struct run_tl_hop *run_tl_run_hop(struct tl_run *t);
/* the case's params with the main VM's names set to the domain; a step may set more */
struct params *run_tl_run_params(struct tl_run *t);
/* the record of the nest's last finished migration the run shares */
struct run_tl_last *run_tl_run_last(struct tl_run *t);

/* migrate_options_shared's action words as engine steps (runner/run_tl_mos.c); their
 * returns are enum mig_tl_verdict. */
#define RUN_TL_MOS_STEP(name)                                                             \
    enum mig_tl_verdict name(struct tl_run *t, const struct mig_action *a, struct strbuf *why)
RUN_TL_MOS_STEP(run_tl_mos_established);
RUN_TL_MOS_STEP(run_tl_mos_maxdowntime);
RUN_TL_MOS_STEP(run_tl_mos_jobinfo);
RUN_TL_MOS_STEP(run_tl_mos_setspeed);
RUN_TL_MOS_STEP(run_tl_mos_postcopy);
RUN_TL_MOS_STEP(run_tl_mos_domstats);
RUN_TL_MOS_STEP(run_tl_mos_suspend);
RUN_TL_MOS_STEP(run_tl_mos_kill_qemu);
RUN_TL_MOS_STEP(run_tl_mos_timeout_postcopy);
/* drop_network_connection (runner/run_tl_mos_net.c) */
RUN_TL_MOS_STEP(run_tl_mos_drop_network);
/* libvirt_network.check_sockets_statistics (runner/run_tl_tcp.c) */
RUN_TL_MOS_STEP(run_tl_tcp_sockets);
/* Its func_param read (a dict with server_ip and check_patterns, a list of regexes):
 * 0 (also for an action of another step), or -1 with err naming what is wrong. */
int run_tl_tcp_sockets_arg_check(const struct mig_action *a);
/* The lines of `ss -tnap` output of the hypervisor's process (qemu-kvm,
 * qemu-system-ARCH), as `grep qemu-kvm` keeps them on a RHEL host; appended to out. */
void run_tl_tcp_qemu_lines(const char *ss, struct strbuf *out);
/* migrate_over_unix's check_socket (runner/run_tl_unix.c) */
RUN_TL_MOS_STEP(run_tl_unix_sockets);
/* check_established's check_socket_num part first (runner/run_tl_socknum.c): *done
 * when its verdict is the step's (a FAIL, or nothing else to look at). */
enum mig_tl_verdict run_tl_socknum_pre(struct tl_run *t, const struct mig_action *a,
                                       struct strbuf *why, bool *done);
/* The connected UNIX sockets of the unix_proxy's desturi-socket or migrateuri-socket in
 * `ss -xanp` output (netstat -xanp's CONNECTED lines of those paths). */
size_t run_tl_unix_connected(const char *ss);
/* migration_performance_tuning's actions (runner/run_tl_perf.c) */
RUN_TL_MOS_STEP(run_tl_perf_vm_status);
RUN_TL_MOS_STEP(run_tl_perf_compcache);
RUN_TL_MOS_STEP(run_tl_perf_memlock);
RUN_TL_MOS_STEP(run_tl_perf_jobinfo);
/* check_auto_converge_during_mig (runner/run_tl_autoconv.c) */
RUN_TL_MOS_STEP(run_tl_autoconv_check);
/* Its state between two looks at `virsh domjobinfo`. */
struct run_autoconv {
    int initial, increment, max_converge;   /* initial_throttle, increment, max_converge */
    int throttle;                           /* the last "Auto converge throttle", 0 none */
    char jobtype[32];                       /* the last "Job type" ("None" before any) */
};
/* Its params read (max_converge 99 by default): 0, or -1 with err naming one. */
int run_autoconv_init(struct run_autoconv *ac, const struct params *p);
enum run_autoconv_state { RUN_AUTOCONV_GO_ON, RUN_AUTOCONV_DONE, RUN_AUTOCONV_FAIL };
/* One domjobinfo text read into ac: look again, done, or FAIL with why. */
enum run_autoconv_state run_autoconv_read(struct run_autoconv *ac, const char *jobinfo,
                                          struct strbuf *why);
/* avocado-vt's check_domjobinfo judgement of a `virsh domjobinfo` text: the first number
 * of item's first line against compare, floor(|got - compare| / compare) > diff_rate is
 * 1 (why says it), else 0 (the item absent too); -1 when compare is 0 or the line has
 * no number. */
int run_perf_jobinfo_judge(const char *jobinfo, const char *item, const char *compare,
                           double diff_rate, struct strbuf *why);
/* avocado-vt's check_domjobinfo(vm, params) on host for domain dom: jobinfo_item's
 * number in `virsh domjobinfo` against compare_to_value (diff_rate), a difference
 * the test's FAIL unless domjob_ignore_status; nothing when either is unset. */
enum mig_tl_verdict run_perf_jobinfo_check(struct run_ctx *ctx, int host, const char *dom,
                                           const struct params *p, struct strbuf *why);
/* The hard limit of the "Max locked memory" line of a /proc/PID/limits text appended to
 * hard (a number of bytes or "unlimited"): 0, else -1 with err. */
int run_perf_limits_memlock(const char *limits, struct strbuf *hard);
/* avocado-vt's get_qemu_process_memlock_hard_limit for domain dom on host h (its QEMU's
 * /proc/PID/limits): 0 with hard set, else -1 with err. */
int run_perf_memlock(struct run_ctx *ctx, int h, const char *dom, struct strbuf *hard);
/* the bandwidth types' actions (runner/run_tl_bw.c) */
RUN_TL_MOS_STEP(run_tl_bw_blockjob_check);
RUN_TL_MOS_STEP(run_tl_bw_blockjob);
RUN_TL_MOS_STEP(run_tl_bw_jobinfo_precopy);
/* utils_test.libvirt.check_blockjob's reading of `virsh blockjob DOM DEV --info`
 * (stdout out, stderr err) for item none / progress / bandwidth against value: 1 when
 * it holds, 0 when not, -1 for another item. */
int run_bw_blockjob_judge(const char *out, const char *err, const char *item,
                          const char *value);
/* check_domjobinfo's reading of `virsh domjobinfo` text: item's number against
 * compare (diff_rate), logged (the reference never fails on it: see the source). */
void run_tl_mos_jobinfo_look(struct run_ctx *ctx, const char *jobinfo, const char *item,
                             const char *compare, double diff_rate);

/* the PerformPhase cases' destructive steps (runner/run_tl_perform.c): kill_service of
 * service_name qemu-kvm (the domain's QEMU killed on a host), virsh.destroy with a dict
 * func_param ({"name": ..., "uri": desturi}: on the host the URI names) */
RUN_TL_MOS_STEP(run_tl_kill_qemu_service);
RUN_TL_MOS_STEP(run_tl_destroy_dict);
/* base_steps' do_migration_during_mig and migration_base.resume_migration_again: a
 * migration run as an action of the running one (runner/run_tl_nested.c) */
RUN_TL_MOS_STEP(run_tl_nested_migrate);
RUN_TL_MOS_STEP(run_tl_nested_resume_again);
/* libvirt_service.control_service: service_operations on service_name (virtqemud:
 * libvirtd) of the source or (service_on_dst) the destination (runner/run_tl_daemon.c) */
RUN_TL_MOS_STEP(run_tl_control_service);
/* migration_base.poweroff_vm and execute_statistics_command (runner/run_tl_guest.c) */
RUN_TL_MOS_STEP(run_tl_guest_poweroff);
RUN_TL_MOS_STEP(run_tl_guest_statistics);
/* virsh.suspend and migration_base.check_resume (runner/run_tl_pause.c) */
RUN_TL_MOS_STEP(run_tl_pause_suspend);
RUN_TL_MOS_STEP(run_tl_pause_check_resume);

/* libvirt_network.setup_firewall_rule / cleanup_firewall_rule (runner/run_tl_fw.c):
 * firewall_rule_on_dest on the destination, firewall_rule_on_src on the source, in the
 * record the type attached to its test (else the steps are an ERROR). */
RUN_TL_MOS_STEP(run_tl_fw_setup);
RUN_TL_MOS_STEP(run_tl_fw_cleanup);
struct virt_fw_rule;
/* A rule as firewall-cmd --direct takes it ("ipv4 filter INPUT 0 -p tcp --dport 49155
 * -j DROP"): 0, or -1 with err naming what vtrun does not read. */
int run_tl_fw_rule_parse(const char *text, struct virt_fw_rule *out);
/* firewall_rule_on_dest and firewall_rule_on_src of p read: 0, or -1 with err. */
int run_tl_fw_params_check(const struct params *p);
/* The test's record of host rules the steps add to (its undo removes them), until
 * detached; ops stays the caller's.  -1 with err when too many tests hold one. */
int run_tl_fw_attach(const struct run_ctx *ctx, struct virt_hostops *ops);
void run_tl_fw_detach(const struct run_ctx *ctx);

/* libvirt_monitor.check_domjobinfo_output (runner/run_tl_jobinfo.c) */
RUN_TL_MOS_STEP(run_tl_jobinfo_output);
/* migration_base.destroy_dest_vm (runner/run_tl_dest.c) */
RUN_TL_MOS_STEP(run_tl_destroy_dest);
struct pylit;
/* Its judgement of one side's `virsh domjobinfo` (stdout out, stderr err) against that
 * side's expected items (a dict: error_msg, all_items, str_items, int_items,
 * sum_items); drop_downtime: a postcopy case on libvirt >= 9.3.0.  MIG_TL_OK, FAIL or
 * ERROR (where the reference raises other than TestFail) with why. */
enum mig_tl_verdict run_jobinfo_judge(const struct pylit *exp, const char *out, const char *err,
                                      bool drop_downtime, struct strbuf *why);
/* The whole check: domjobinfo DOM OPTIONS on host from for exp's src_items, on host to
 * for its dest_items; postcopy_options as the reference's (NULL: none). */
enum mig_tl_verdict run_jobinfo_check(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                                      int from, int to, const struct pylit *exp,
                                      const char *options, const char *postcopy_options,
                                      struct strbuf *why);

#endif
