/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mig_timeline: a migration in its own thread and the actions a tp-libvirt case runs
 * around it (migration/mig_act.h), with avocado-vt's order and waits
 * (virttest/migration.py MigrationTest.do_migration, _do_orderly_migration):
 *
 *   1. the migration starts in a thread of its own;
 *   2. the actions marked before_pause run, in order;
 *   3. the engine waits up to start_timeout (60 s) for the destination domain to reach
 *      start_state (migrate_start_state, default "paused": the incoming domain), then
 *      settle_s (3 s); a migration that never shows there runs no more actions
 *      (avocado-vt logs "Migration failed to start" and goes on to the join);
 *   4. the other actions, in order: each sleeps need_sleep_time, waits up to
 *      wait_for_after_event_timeout (30 s) for its after_event regex to be found in the
 *      events seen so far (not found: ERROR "Unable to find event"), is an ERROR when
 *      its before_event regex is found already, then runs;
 *   5. the migration thread is joined; while it runs on, a test that must stop
 *      (should_stop: SIGINT, its timeout) tells it to (ops->cancel).
 *
 * An action that fails or errs ends the timeline there: the migration is told to stop
 * (ops->cancel) and joined, and the action's verdict is the timeline's.
 *
 * The engine knows no host or VM: what it runs comes through struct mig_tl_ops, so
 * the order and the waits are tested without VMs (tests/unit/test_mig_timeline.c).
 * The migrate callback must bound itself (the caller's thread_timeout, 900 s in
 * avocado-vt): the engine joins it, it never abandons a thread.
 */
#ifndef VTRUN_MIG_TIMELINE_H
#define VTRUN_MIG_TIMELINE_H

#include <stdbool.h>

#include "migration/mig_act.h"

struct strbuf;

/* What an action's step returns. */
enum mig_tl_verdict {
    MIG_TL_OK,
    MIG_TL_FAIL,        /* the check failed: the test FAILs (test.fail) */
    MIG_TL_ERROR,       /* it could not be run: the test ERRORs (test.error) */
};

struct mig_tl_ops {
    void *ud;
    /* The migration, blocking, in the engine's thread; 0 migrated, -1 failed (the
     * callback keeps its own record of why). */
    int (*migrate)(void *ud);
    /* Ask the migration to stop soon (an action failed); may be NULL. */
    void (*cancel)(void *ud);
    /* 1 when the migrated domain is in state (virsh's words: "paused", "running")
     * on the destination, 0 not (or no such domain yet). */
    int (*dest_state)(void *ud, const char *state);
    /* Run action a (its waits done); why gets the reason of FAIL and ERROR. */
    enum mig_tl_verdict (*step)(void *ud, const struct mig_action *a, struct strbuf *why);
    /* The events seen so far, in virsh event --loop --all's text, appended to out;
     * NULL when the case has none to wait for. */
    void (*events)(void *ud, struct strbuf *out);
    /* True when the test must stop (cancel, test timeout): waits end early. */
    bool (*should_stop)(void *ud);
    /* A line for the test's log; may be NULL. */
    void (*log)(void *ud, const char *line);
};

struct mig_tl_conf {
    const char *start_state;    /* NULL: "paused" */
    double start_timeout;       /* <= 0: 60 */
    double settle_s;            /* after the start was seen; < 0: 3 */
    double poll_s;              /* <= 0: 0.2 */
};

struct mig_tl_result {
    int mig_rc;                 /* the migrate callback's */
    bool started;               /* the destination domain reached start_state */
    enum mig_tl_verdict verdict;    /* of the actions */
    char *why;                  /* owned; with FAIL / ERROR */
    size_t ran;                 /* actions run (their step called) */
};

/* Run the timeline of acts (may be empty) around ops->migrate.  0 when the engine ran
 * (the verdicts are in *res), -1 with err_set() when the migration thread could not
 * be started. */
int mig_timeline_run(const struct mig_tl_conf *conf, const struct mig_actions *acts,
                     const struct mig_tl_ops *ops, struct mig_tl_result *res);
void mig_tl_result_release(struct mig_tl_result *res);

/* 1 when regex re is found in text (Python's re.findall non-empty), 0 not, -1 (err)
 * when it does not compile. */
int mig_tl_search(const char *re, const char *text);

#endif
