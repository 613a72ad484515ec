/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_base: what tp-libvirt's provider/migration/base_steps.py (MigrationBase) and
 * migration_base.py give every type built on them, for vtrun's types on the timeline
 * engine (runner/run_tl.h) that are not live_migration / migration_kill_libvirt_daemon:
 *
 *  - the migration words of run_migration / run_migration_again (options, extra,
 *    postcopy_options, copy_storage_option; virsh_migrate_extra_mig_again);
 *  - control_migrate_speed: `virsh migrate-setspeed` before the migration, precopy
 *    and (postcopy_options set) postcopy too, as the domain keeps them;
 *  - monitor_event / check_event_output: `virsh event --loop --all` on the source and
 *    the destination for the whole test, the lists of expected_event_src /
 *    expected_event_target searched in what they printed;
 *  - do_common_check (an action): domjobinfo on the source (Job type Unbounded,
 *    Operation Outgoing migration), the states on both sides (expected_*_state), the
 *    statistics commands on the source;
 *  - verify_default's post_migration_check: virsh_migrate_dest_state on the
 *    destination, virsh_migrate_src_state on the source, the guest reached over its
 *    network and a line written to its disk where it runs.
 */
#ifndef VTRUN_RUN_BASE_H
#define VTRUN_RUN_BASE_H

#include <stdbool.h>

#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_type.h"

struct virt_vms;
struct params;

/* The words of base_steps' migrations, bound from the case's params (RUN_BASE_MIG_ROWS
 * in a type's param table, on a `struct run_base_mig` field of its options). */
struct run_base_mig {
    const char *options, *extra, *postcopy, *copy_storage, *extra_again;
};
#define RUN_BASE_MIG_ROWS(T, f)                                                         \
    { "virsh_migrate_options", RUN_PARAM_STR_AT(T, f.options), .def = "--live --verbose", \
      .doc = "virsh migrate option words (migration/mig.h)" },                            \
    { "virsh_migrate_extra", RUN_PARAM_STR_AT(T, f.extra),                                \
      .doc = "more words after the options" },                                            \
    { "postcopy_options", RUN_PARAM_STR_AT(T, f.postcopy),                                \
      .doc = "more words after the extra ones (and migrate_speed for postcopy too)" },    \
    { "copy_storage_option", RUN_PARAM_STR_AT(T, f.copy_storage),                         \
      .doc = "more words, last" },                                                        \
    { "virsh_migrate_extra_mig_again", RUN_PARAM_STR_AT(T, f.extra_again),                \
      .doc = "the second migration's words after the options (+ copy_storage_option)" }

/* verify_default's post_migration_check params, bound by field name: T has
 * const char *dest_state, *src_state and bool network_check, disk_check. */
#define RUN_BASE_POST_ROWS(T)                                                             \
    { "virsh_migrate_dest_state", RUN_PARAM_STR_AT(T, dest_state), .def = "running",      \
      .doc = "the destination's state after a migration that succeeded" },                \
    { "virsh_migrate_src_state", RUN_PARAM_STR_AT(T, src_state), .def = "shut off",       \
      .doc = "the source's state after it" },                                             \
    { "check_network_accessibility_after_mig", RUN_PARAM_BOOL_AT(T, network_check),       \
      .def = "no", .doc = "the guest reached over its network after the migration" },     \
    { "simple_disk_check_after_mig", RUN_PARAM_BOOL_AT(T, disk_check), .def = "yes",      \
      .doc = "a line written to the guest's disk after the migration" }

/* base_steps' words of a migration: again with extra_again set, that (+ copy_storage);
 * else options + extra + postcopy + copy_storage.  Caller frees. */
char *run_base_words(const struct run_base_mig *m, bool again);
/* Both migrations' words read (mig_opts_parse): 0, or -1 with err naming them. */
int run_base_words_check(const struct run_base_mig *m);
/* A MigrationBase type's .check: both migrations' words read and the main VM's index
 * in vms found (*main_vm): 0, or -1 with err naming what is wrong. */
int run_base_check(const struct run_common *c, const struct run_base_mig *m, long *main_vm);

/* run_migration / run_migration_again of VM i, source (host 0) to destination (host
 * 1), on the timeline engine: the words of m, the actions of action_during_mig (again:
 * action_during_mig_again), judged by status_error and expected, err_msg's regex (an "unsupported
 * configuration" error CANCELs).  run_tl_hop's returns. */
int run_base_hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                 const struct run_base_mig *m, bool again, bool status_error,
                 const char *expected);

/* run_base_hop with the host record its actions change hosts in (a daemon stopped or
 * killed: started again by the record's undo); NULL: such an action is an ERROR. */
struct virt_hostops;
int run_base_hop_ops(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                     const struct run_base_mig *m, bool again, bool status_error,
                     const char *expected, struct virt_hostops *ops);

/* base_steps.run_migration_back of VM i: `virsh migrate DOM OPTIONS SRC EXTRA` from the
 * destination (host 1) back to the source (host 0), m's options and extra words only
 * (no postcopy words, no actions), which must succeed.  run_tl_hop's returns: 1
 * migrated, 0 not, -1 outcome set. */
int run_base_migrate_back(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                          const struct run_base_mig *m);

/* action_during_mig and action_during_mig_again read (mig_act_parse): 0, or -1 with err
 * naming the param and what is wrong, so such a case is an ERROR before it starts. */
int run_base_actions_read(const struct params *p);

/* The setups of the reference a base_steps type does not build (param = value rows):
 * the first one p sets, or NULL; *val its value. */
struct run_base_unbuilt {
    const char *param, *value;
};
const char *run_base_unbuilt_param(const struct run_base_unbuilt *rows, size_t n,
                                   const struct params *p, const char **val);
/* Whether a case of such a type is an ERROR for its actions: a func without a step, or
 * an action list that does not read. */
bool run_base_actions_unbuilt(const struct params *p);
/* The "not built" need's verdict for a case of `type` whose first unbuilt setup is
 * param = val (NULL: none): -1 with err naming what is not built, else 1. */
int run_base_unbuilt_verdict(const char *type, const char *param, const char *val,
                             const struct params *p);

/* control_migrate_speed(vm, speed, mode): `virsh migrate-setspeed DOM SPEED` on host,
 * and with --postcopy too when both.  0, or -1 with the test's ERROR (ignore_status
 * is False there). */
int run_base_setspeed(struct run_ctx *ctx, int host, const char *dom, const char *speed,
                      bool both);

/* `virsh event --loop --all` on a host for the whole test (monitor_event). */
struct run_base_events;
struct run_base_events *run_base_events_start(struct run_ctx *ctx, int host);
/* check_event_output: every regex of list (a Python list literal of strings, the
 * param's value) found in what was printed so far, else the test's FAIL "Unable to
 * find X".  0, or -1 with the outcome set. */
int run_base_events_check(struct run_ctx *ctx, struct run_base_events *ev, const char *param,
                          const char *list);
void run_base_events_free(struct run_base_events *ev);

/* abort_precopy_migration's `while true; do virsh domjobinfo VM; sleep 0.1; done` on
 * the source: one virsh session (this machine, the host's client URI) fed a domjobinfo
 * every 0.1 s, so the job types are seen as they change. */
struct run_base_jobpoll;
struct run_base_jobpoll *run_base_jobpoll_start(struct run_ctx *ctx, int host, const char *dom);
/* check_job_type_list: the words of list (a Python list literal) found in this order
 * in the lines printed so far, else the test's FAIL.  0, or -1 with the outcome set. */
int run_base_jobpoll_check(struct run_ctx *ctx, struct run_base_jobpoll *jp, const char *list);
void run_base_jobpoll_free(struct run_base_jobpoll *jp);

/* `virsh domstate DOM` on host: the state's words ("running", "shut off"), or "" when
 * the domain does not exist there (*gone true).  -1 with err when virsh cannot run. */
int run_base_domstate(struct run_ctx *ctx, int host, const char *dom, struct strbuf *state,
                      bool *gone);

/* migration_base.do_common_check(params) during a hop from -> to of domain dom:
 * MIG_TL_OK, or FAIL / ERROR with why. */
enum mig_tl_verdict run_base_common_check(struct run_ctx *ctx, int from, int to,
                                          const char *dom, const struct params *p,
                                          struct strbuf *why);

/* post_migration_check after a migration of VM i that succeeded: dest_state
 * (virsh_migrate_dest_state words, "nonexist" none) on the destination, src_state on
 * the source ("failed to get domain": none), then where the guest runs: reached over
 * its network (network) and a line written to its disk (disk).  0, or -1 with the
 * outcome set. */
int run_base_post_check(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int from, int to,
                        const char *dest_state, const char *src_state, bool network,
                        bool disk);

#endif
