/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration supervisor (backends/be_migrate.c) over a scripted driver: the policy
 * -- deadline and its actions, cancel, postcopy after the first pass, the hard
 * deadline, the figures of every path, the error texts -- checked where a real
 * hypervisor cannot be made to misbehave on cue.  The same behaviours run against
 * the real drivers in tests/e2e/test_be_conformance.c.
 *
 * The fake job is a clock: it completes complete_s after it started, leaves setup at
 * setup_s (controls fail before), starts its second pass at pass2_s, ends abort_lag_s
 * after an accepted abort, finishes postcopy_s after an accepted postcopy switch or
 * suspend; "hang" jobs never end.
 */
#include "backends/be.h"
#include "lib/clock.h"
#include "lib/err.h"

#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NEVER 1e9

struct be_host {
    const char *uri;
};

static struct fake {
    /* the script */
    double setup_s, pass2_s, complete_s, abort_lag_s, postcopy_s;
    bool refuse_start, hang, driver_figures_on_failure, external_abort;
    atomic_bool *cancel_on_postcopy;    /* set once the postcopy switch is in */
    /* what happened, in seconds since the start (-1 never) */
    double t0, abort_at, postcopy_at, suspend_at;
    int aborts, postcopies, suspends, resumes, looks, abandoned;
} F;

static struct be_job {
    int dummy;
} the_job;

static double since(void)
{
    return clock_now() - F.t0;
}

/* When the job ends (seconds since its start). */
static double end_at(void)
{
    if (F.hang)
        return NEVER;
    if (F.abort_at >= 0)
        return F.abort_at + F.abort_lag_s;
    if (F.postcopy_at >= 0)
        return F.postcopy_at + F.postcopy_s;
    if (F.suspend_at >= 0)
        return F.suspend_at + F.postcopy_s;
    return F.complete_s;
}

static struct be_job *fk_start(struct be_host *src, struct be_host *dst, const char *vm,
                               const struct be_migrate_opts *o)
{
    (void)src, (void)dst, (void)vm, (void)o;
    if (F.refuse_start) {
        err_set("fake: destination did not start");
        return NULL;
    }
    F.t0 = clock_now();
    return &the_job;
}

static int fk_wait(struct be_job *j, double timeout_s)
{
    double left = end_at() - since();

    (void)j;
    if (left <= 0)
        return 1;
    clock_sleep(left < timeout_s ? left : timeout_s);
    return end_at() <= since();
}

static int fk_finish(struct be_job *j, struct be_hop_metrics *out)
{
    bool ended = end_at() <= since();

    (void)j;
    *out = (struct be_hop_metrics){ .time_ms = -1, .downtime_ms = -1, .setup_ms = -1 };
    if (!ended) {
        F.abandoned++;
        err_set("fake: abandoned");
        return -1;
    }
    if (F.abort_at >= 0 || F.external_abort) {
        out->aborted = true;
        if (F.driver_figures_on_failure) {
            out->time_ms = 777;
            out->data_bytes = 7;
        }
        err_set("fake: canceled by client");
        return -1;
    }
    out->time_ms = 1234;
    out->downtime_ms = 12;
    out->setup_ms = 3;
    out->data_bytes = out->mem_bytes = 100 << 20;
    out->mem_iterations = 3;
    out->postcopy = F.postcopy_at >= 0;
    return 0;
}

static int fk_job_stats(struct be_host *h, const char *vm, struct be_job_stats *js)
{
    double t = since();

    (void)h, (void)vm;
    F.looks++;
    memset(js, 0, sizeof(*js));
    js->active = end_at() > t;
    js->postcopy = F.postcopy_at >= 0;
    js->elapsed_ms = t * 1000;
    js->data_processed = js->mem_processed = (unsigned long long)(t * 1000) << 10;
    js->mem_iterations = t >= F.pass2_s ? 2 : 1;
    if (F.abort_at >= 0)    /* being cancelled: libvirt reports its counters reset */
        js->elapsed_ms = js->data_processed = js->mem_processed = 0;
    return 0;
}

static int in_setup(const char *what)
{
    if (since() < F.setup_s) {
        err_set("fake: %s: job in setup", what);
        return -1;
    }
    return 0;
}

static int fk_abort(struct be_host *h, const char *vm)
{
    (void)h, (void)vm;
    F.aborts++;
    if (in_setup("abort") < 0)
        return -1;
    if (F.postcopy_at >= 0) {
        err_set("fake: cannot abort in postcopy");
        return -1;
    }
    F.abort_at = since();
    return 0;
}

static int fk_postcopy(struct be_host *h, const char *vm)
{
    (void)h, (void)vm;
    F.postcopies++;
    if (in_setup("postcopy") < 0)
        return -1;
    if (F.postcopy_at < 0)
        F.postcopy_at = since();
    if (F.cancel_on_postcopy)
        atomic_store(F.cancel_on_postcopy, true);
    return 0;
}

static int fk_suspend(struct be_host *h, const char *vm)
{
    (void)h, (void)vm;
    F.suspends++;
    F.suspend_at = since();
    return 0;
}

static int fk_resume(struct be_host *h, const char *vm)
{
    (void)h, (void)vm;
    F.resumes++;
    return 0;
}

static const char *fk_uri(struct be_host *h)
{
    return h->uri;
}

static const struct be_ops fake_ops = {
    .name = "fake",
    .migrate_start = fk_start,
    .migrate_wait = fk_wait,
    .migrate_finish = fk_finish,
    .job_stats = fk_job_stats,
    .abort_job = fk_abort,
    .start_postcopy = fk_postcopy,
    .suspend = fk_suspend,
    .resume = fk_resume,
    .uri = fk_uri,
};

static struct be_host A = { "fake://a" }, B = { "fake://b" };

static void setup(void)
{
    F = (struct fake){ .setup_s = 0.05, .pass2_s = 0.15, .complete_s = 0.3,
                       .abort_lag_s = 0.05, .postcopy_s = 0.05,
                       .abort_at = -1, .postcopy_at = -1, .suspend_at = -1 };
    err_clear();
}

static int hop(const struct be_migrate_opts *o, struct be_hop_metrics *m)
{
    memset(m, 0x5a, sizeof(*m));    /* every field must be written */
    return be_migrate(&fake_ops, &A, &B, "vm1", o, m);
}

START_TEST(test_completed_hop_has_the_drivers_figures_and_vtruns_wall_time)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE };
    struct be_hop_metrics m;
    double before = clock_wall();

    ck_assert_int_eq(hop(&o, &m), 0);
    ck_assert(m.time_ms == 1234 && m.downtime_ms == 12 && m.setup_ms == 3);
    ck_assert(m.data_bytes == 100 << 20 && m.mem_iterations == 3);
    ck_assert(!m.postcopy && !m.aborted && !m.timed_out && !m.suspended);
    ck_assert(m.wall_s >= 0.3 && m.wall_s < 1.0);
    ck_assert(m.start >= before - 0.01 && m.start <= clock_wall());
    ck_assert_int_eq(F.aborts + F.postcopies + F.suspends, 0);
}
END_TEST

START_TEST(test_deadline_aborts_and_the_hop_keeps_its_last_figures)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE, .timeout_s = 0.1 };
    struct be_hop_metrics m;

    F.complete_s = NEVER;
    F.abort_lag_s = 0.3;    /* looks while it is being cancelled */
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert_msg(strstr(err_msg(), "VM vm1: migration timeout: fake://a -> fake://b not "
                         "done within 0.1 s, aborted (fake: canceled by client)"), "%s",
                  err_msg());
    ck_assert(m.aborted && m.timed_out);
    ck_assert(F.abort_at >= 0.1 && F.abort_at < 0.2);
    /* the last look before the abort, since the driver has no figures of its own */
    ck_assert_msg(m.time_ms >= 100 && m.time_ms < 200, "time %.0f", m.time_ms);
    ck_assert(m.data_bytes > 0 && m.mem_bytes == m.data_bytes && m.mem_iterations == 1);
}
END_TEST

START_TEST(test_drivers_figures_of_a_failed_job_win_when_it_has_them)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE, .timeout_s = 0.1 };
    struct be_hop_metrics m;

    F.complete_s = NEVER;
    F.driver_figures_on_failure = true;
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert(m.time_ms == 777 && m.data_bytes == 7);
}
END_TEST

START_TEST(test_controls_are_retried_while_the_job_is_in_setup)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE, .timeout_s = 0.01 };
    struct be_hop_metrics m;

    F.setup_s = 0.1;
    F.complete_s = NEVER;
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert_int_gt(F.aborts, 1);
    ck_assert(F.abort_at >= 0.1);
    ck_assert_str_eq(err_msg() + strlen(err_msg()) - strlen("(fake: canceled by client)"),
                     "(fake: canceled by client)");
}
END_TEST

START_TEST(test_deadline_with_postcopy_switches_and_the_hop_completes)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE | BE_MIG_POSTCOPY, .timeout_s = 0.1 };
    struct be_hop_metrics m;

    F.complete_s = NEVER;
    ck_assert_msg(hop(&o, &m) == 0, "%s", err_msg());
    ck_assert(m.postcopy && !m.aborted && !m.timed_out);
    ck_assert(F.postcopy_at >= 0.1 && F.postcopy_at < 0.2);
    ck_assert_int_eq(F.aborts, 0);
}
END_TEST

START_TEST(test_timeout_actions_override_the_default)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE | BE_MIG_POSTCOPY, .timeout_s = 0.1,
                                 .timeout_action = BE_TIMEOUT_ABORT };
    struct be_hop_metrics m;

    F.complete_s = NEVER;
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert(m.timed_out && F.postcopies == 0);

    setup();
    F.complete_s = NEVER;
    o = (struct be_migrate_opts){ .flags = BE_MIG_LIVE, .timeout_s = 0.1,
                                  .timeout_action = BE_TIMEOUT_SUSPEND };
    ck_assert_msg(hop(&o, &m) == 0, "%s", err_msg());
    ck_assert(m.suspended && !m.aborted && !m.timed_out);
    ck_assert_int_eq(F.suspends, 1);
    ck_assert_int_eq(F.resumes, 0);     /* the destination runs it: the driver's part */
}
END_TEST

START_TEST(test_a_suspended_guest_is_resumed_when_the_hop_fails)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE, .timeout_s = 0.1,
                                 .timeout_action = BE_TIMEOUT_SUSPEND };
    struct be_hop_metrics m;

    F.complete_s = NEVER;
    F.external_abort = true;    /* the job fails after the suspend */
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert(m.suspended);
    ck_assert_int_eq(F.resumes, 1);
    ck_assert_msg(strstr(err_msg(), "migration failed"), "%s", err_msg());
}
END_TEST

START_TEST(test_postcopy_after_precopy_switches_once_the_second_pass_begins)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE | BE_MIG_POSTCOPY,
                                 .postcopy_after_precopy = true };
    struct be_hop_metrics m;

    F.complete_s = NEVER;
    ck_assert_msg(hop(&o, &m) == 0, "%s", err_msg());
    ck_assert(m.postcopy);
    ck_assert_msg(F.postcopy_at >= 0.15 && F.postcopy_at < 0.15 + 0.05,
                  "switched at %.3f s", F.postcopy_at);
    ck_assert_int_eq(F.postcopies, 1);
}
END_TEST

START_TEST(test_postcopy_after_precopy_needs_the_postcopy_flag)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE, .postcopy_after_precopy = true };
    struct be_hop_metrics m;

    ck_assert_int_eq(hop(&o, &m), 0);
    ck_assert(!m.postcopy && F.postcopies == 0);
}
END_TEST

START_TEST(test_cancel_flag_aborts_the_job)
{
    static atomic_bool cancel = true;
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE, .timeout_s = 5, .cancel = &cancel };
    struct be_hop_metrics m;

    F.complete_s = NEVER;
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert_msg(strstr(err_msg(), "VM vm1: migration cancelled: fake://a -> fake://b "
                         "(fake: canceled by client)"), "%s", err_msg());
    ck_assert(m.aborted && !m.timed_out);
    ck_assert(m.wall_s < 0.5);
}
END_TEST

START_TEST(test_a_job_in_postcopy_is_never_aborted)
{
    static atomic_bool cancel;
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE | BE_MIG_POSTCOPY,
                                 .postcopy_after_precopy = true, .cancel = &cancel };
    struct be_hop_metrics m;

    F.complete_s = NEVER;
    F.postcopy_s = 0.3;
    atomic_store(&cancel, false);
    F.cancel_on_postcopy = &cancel;     /* cancelled once the switch is in */
    o.timeout_s = 0.25;                 /* a deadline in postcopy is no abort either */
    ck_assert_msg(hop(&o, &m) == 0, "%s", err_msg());
    ck_assert(m.postcopy && !m.aborted && !m.timed_out);
    ck_assert_int_eq(F.aborts, 0);
}
END_TEST

START_TEST(test_an_abort_from_elsewhere_is_a_failed_aborted_hop)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE };
    struct be_hop_metrics m;

    F.external_abort = true;
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert_msg(strstr(err_msg(), "VM vm1: migration failed: fake://a -> fake://b: fake: "
                         "canceled by client"), "%s", err_msg());
    ck_assert(m.aborted && !m.timed_out);
}
END_TEST

START_TEST(test_a_job_that_cannot_start_fails_naming_both_hosts)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE };
    struct be_hop_metrics m;

    F.refuse_start = true;
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert_str_eq(err_msg(), "VM vm1: migration failed: fake://a -> fake://b: fake: "
                     "destination did not start");
    ck_assert(m.time_ms == -1 && m.downtime_ms == -1 && m.data_bytes == 0);
    ck_assert(!m.aborted && !m.timed_out && !m.postcopy && m.wall_s >= 0);
}
END_TEST

START_TEST(test_hard_deadline_aborts_a_running_job)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE };
    struct be_hop_metrics m;

    F.complete_s = NEVER;
    o.hard_deadline = clock_now() + 0.1;
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert_msg(strstr(err_msg(), "migration interrupted: fake://a -> fake://b aborted at "
                         "the hard deadline"), "%s", err_msg());
    ck_assert(m.aborted && !m.timed_out && F.abandoned == 0);
}
END_TEST

START_TEST(test_hard_deadline_abandons_a_job_that_does_not_end)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE };
    struct be_hop_metrics m;

    F.hang = true;
    o.hard_deadline = clock_now() + 0.1;
    ck_assert_int_eq(hop(&o, &m), -1);
    ck_assert_msg(strstr(err_msg(), "migration abandoned: fake://a -> fake://b still running"),
                  "%s", err_msg());
    ck_assert_int_eq(F.abandoned, 1);
    ck_assert(m.aborted);
    ck_assert(m.wall_s >= BE_ABANDON_GRACE_S && m.wall_s < BE_ABANDON_GRACE_S + 1);
}
END_TEST

START_TEST(test_looks_are_routine_only_every_half_second)
{
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE };
    struct be_hop_metrics m;

    F.complete_s = 1.0;
    ck_assert_int_eq(hop(&o, &m), 0);
    /* 1 s at one look per 0.5 s: a hypervisor round trip every 20 ms would be 50 */
    ck_assert_msg(F.looks >= 2 && F.looks <= 3, "%d looks", F.looks);
}
END_TEST

/* A driver whose events tell the pass (libvirt's migration-iteration event). */
static long fk_iteration(struct be_job *j)
{
    (void)j;
    return since() >= F.pass2_s ? 2 : 1;
}

START_TEST(test_postcopy_after_precopy_follows_the_pass_events_without_looking)
{
    struct be_ops ev = fake_ops;
    struct be_migrate_opts o = { .flags = BE_MIG_LIVE | BE_MIG_POSTCOPY,
                                 .postcopy_after_precopy = true };
    struct be_hop_metrics m;

    ev.migrate_iteration = fk_iteration;
    F.complete_s = NEVER;
    memset(&m, 0x5a, sizeof(m));
    ck_assert_msg(be_migrate(&ev, &A, &B, "vm1", &o, &m) == 0, "%s", err_msg());
    ck_assert(m.postcopy);
    ck_assert_msg(F.postcopy_at >= 0.15 && F.postcopy_at < 0.15 + 0.05,
                  "switched at %.3f s", F.postcopy_at);
    ck_assert_int_eq(F.postcopies, 1);
    /* the routine ones only: not one every slice until the second pass */
    ck_assert_msg(F.looks <= 1, "%d looks", F.looks);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("be_migrate");
    TCase *tc = tcase_create("supervisor");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_completed_hop_has_the_drivers_figures_and_vtruns_wall_time);
    tcase_add_test(tc, test_deadline_aborts_and_the_hop_keeps_its_last_figures);
    tcase_add_test(tc, test_drivers_figures_of_a_failed_job_win_when_it_has_them);
    tcase_add_test(tc, test_controls_are_retried_while_the_job_is_in_setup);
    tcase_add_test(tc, test_deadline_with_postcopy_switches_and_the_hop_completes);
    tcase_add_test(tc, test_timeout_actions_override_the_default);
    tcase_add_test(tc, test_a_suspended_guest_is_resumed_when_the_hop_fails);
    tcase_add_test(tc, test_postcopy_after_precopy_switches_once_the_second_pass_begins);
    tcase_add_test(tc, test_postcopy_after_precopy_needs_the_postcopy_flag);
    tcase_add_test(tc, test_cancel_flag_aborts_the_job);
    tcase_add_test(tc, test_a_job_in_postcopy_is_never_aborted);
    tcase_add_test(tc, test_an_abort_from_elsewhere_is_a_failed_aborted_hop);
    tcase_add_test(tc, test_a_job_that_cannot_start_fails_naming_both_hosts);
    tcase_add_test(tc, test_hard_deadline_aborts_a_running_job);
    tcase_add_test(tc, test_hard_deadline_abandons_a_job_that_does_not_end);
    tcase_add_test(tc, test_looks_are_routine_only_every_half_second);
    tcase_add_test(tc, test_postcopy_after_precopy_follows_the_pass_events_without_looking);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
