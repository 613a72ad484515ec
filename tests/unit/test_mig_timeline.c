/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migration/mig_timeline: avocado-vt's order and waits around a migration thread, with
 * a fake migration (a thread that "runs" for a while and emits events on a schedule)
 * instead of VMs: before_pause actions first, the wait for the destination's start
 * state, need_sleep_time, after_event found / not found (ERROR), before_event seen
 * already (ERROR), a failing action cancelling the migration, the join.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "migration/mig.h"

/* The fake: the migration lasts `dur` s unless cancelled; the destination shows
 * "paused" from `paused_at` s on; events[k] appears at times[k] s. */
struct fake {
    double t0, dur, paused_at;
    const char *const *events;
    const double *times;
    atomic_bool cancel;
    atomic_int cancelled;
    pthread_mutex_t lock;
    struct strbuf order;            /* "func@t" of each step run, in order */
    const char *fail_func;          /* this action's step FAILs */
};

static double since(struct fake *f)
{
    return clock_now() - f->t0;
}

static int fake_migrate(void *ud)
{
    struct fake *f = ud;
    while (since(f) < f->dur && !atomic_load(&f->cancel))
        clock_sleep(0.01);
    return atomic_load(&f->cancel) ? -1 : 0;
}

static void fake_cancel(void *ud)
{
    struct fake *f = ud;
    atomic_store(&f->cancel, true);
    atomic_fetch_add(&f->cancelled, 1);
}

static int fake_dest_state(void *ud, const char *state)
{
    struct fake *f = ud;
    return !strcmp(state, "paused") && f->paused_at >= 0 && since(f) >= f->paused_at;
}

static enum mig_tl_verdict fake_step(void *ud, const struct mig_action *a, struct strbuf *why)
{
    struct fake *f = ud;
    pthread_mutex_lock(&f->lock);
    strbuf_addf(&f->order, "%s%s@%.1f", f->order.len ? " " : "", a->func, since(f));
    pthread_mutex_unlock(&f->lock);
    if (f->fail_func && !strcmp(a->func, f->fail_func)) {
        strbuf_addstr(why, "it failed");
        return MIG_TL_FAIL;
    }
    return MIG_TL_OK;
}

static void fake_events(void *ud, struct strbuf *out)
{
    struct fake *f = ud;
    for (size_t k = 0; f->events && f->events[k]; k++)
        if (since(f) >= f->times[k])
            strbuf_addf(out, "%s\n", f->events[k]);
}

static const struct mig_tl_ops fake_ops = {
    .migrate = fake_migrate,
    .cancel = fake_cancel,
    .dest_state = fake_dest_state,
    .step = fake_step,
    .events = fake_events,
};

static const struct mig_tl_conf quick = { .settle_s = 0.3, .start_timeout = 1,
                                          .poll_s = 0.02 };

static struct mig_actions acts_of(const char *text)
{
    struct mig_actions a;
    ck_assert_msg(mig_act_parse(text, &a) == 0, "%s: %s", text, err_msg());
    return a;
}

static void run(struct fake *f, const char *text, struct mig_tl_result *res)
{
    struct mig_actions a = acts_of(text);
    struct mig_tl_ops ops = fake_ops;
    ops.ud = f;
    pthread_mutex_init(&f->lock, NULL);
    strbuf_init(&f->order, 0);
    f->t0 = clock_now();
    ck_assert_int_eq(mig_timeline_run(&quick, &a, &ops, res), 0);
    mig_act_release(&a);
}

static void done(struct fake *f, struct mig_tl_result *res)
{
    strbuf_release(&f->order);
    pthread_mutex_destroy(&f->lock);
    mig_tl_result_release(res);
}

/* Time of func in the order text ("func@t"), or -1. */
static double at(const struct fake *f, const char *func)
{
    char *key = xasprintf("%s@", func);
    const char *p = strstr(f->order.buf, key);
    double t = p ? strtod(p + strlen(key), NULL) : -1;
    free(key);
    return t;
}

static const char *const iter_events[] = {
    "event 'migration-iteration' for domain 'vm1': iteration: '1'",
    "event 'lifecycle' for domain 'vm1': Suspended Migrated", NULL,
};

START_TEST(test_before_pause_first_then_after_start_in_order)
{
    static const double times[] = { 0.1, 5 };
    struct fake f = { .dur = 2, .paused_at = 0.4, .events = iter_events, .times = times };
    struct mig_tl_result res;
    run(&f, "[{\"func\": \"virsh.domjobabort\", \"func_param\": \"'%s' % "
        "params.get('migrate_main_vm')\"}, {\"func\": \"libvirt_network.check_established\", "
        "\"func_param\": \"params\", \"before_pause\": \"yes\"}]", &res);
    ck_assert_int_eq(res.verdict, MIG_TL_OK);
    ck_assert(res.started);
    ck_assert_int_eq(res.ran, 2);
    ck_assert_int_eq(res.mig_rc, 0);
    /* the before_pause action at once, the other after paused (0.4) + settle (0.3) */
    ck_assert_msg(at(&f, "libvirt_network.check_established") < 0.2, "%s", f.order.buf);
    ck_assert_msg(at(&f, "virsh.domjobabort") >= 0.7, "%s", f.order.buf);
    ck_assert_ptr_eq(strstr(f.order.buf, "virsh.domjobabort"),
                     strrchr(f.order.buf, ' ') + 1);
    done(&f, &res);
}
END_TEST

START_TEST(test_sleep_and_after_event_wait)
{
    static const double times[] = { 1.2, 5 };
    struct fake f = { .dur = 2, .paused_at = 0, .events = iter_events, .times = times };
    struct mig_tl_result res;
    run(&f, "[{\"func\": \"virsh.domjobabort\", \"need_sleep_time\": \"0.2\"}, "
        "{\"func\": \"virsh.migrate_postcopy\", \"after_event\": \"iteration: '1'\"}]", &res);
    ck_assert_int_eq(res.verdict, MIG_TL_OK);
    double t1 = at(&f, "virsh.domjobabort"), t2 = at(&f, "virsh.migrate_postcopy");
    ck_assert_msg(t1 >= 0.5 && t1 < 1.0, "%s", f.order.buf);     /* settle + sleep */
    ck_assert_msg(t2 >= 1.2, "%s", f.order.buf);                 /* the event */
    done(&f, &res);
}
END_TEST

START_TEST(test_after_event_not_found_is_error_and_cancels)
{
    static const double times[] = { 9, 9 };
    struct fake f = { .dur = 30, .paused_at = 0, .events = iter_events, .times = times };
    struct mig_tl_result res;
    run(&f, "[{\"func\": \"virsh.domjobabort\", \"after_event\": \"block-job\", "
        "\"wait_for_after_event_timeout\": \"0.3\"}]", &res);
    ck_assert_int_eq(res.verdict, MIG_TL_ERROR);
    ck_assert_str_eq(res.why, "Unable to find event block-job");
    ck_assert_int_eq(res.ran, 0);
    ck_assert_int_eq(atomic_load(&f.cancelled), 1);
    ck_assert_int_eq(res.mig_rc, -1);       /* joined, cancelled: not 30 s */
    done(&f, &res);
}
END_TEST

START_TEST(test_before_event_seen_is_error)
{
    static const double times[] = { 0, 0 };
    struct fake f = { .dur = 1, .paused_at = 0, .events = iter_events, .times = times };
    struct mig_tl_result res;
    run(&f, "[{\"func\": \"virsh.domjobabort\", \"after_event\": \"iteration\", "
        "\"before_event\": \"Suspended Migrated\"}]", &res);
    ck_assert_int_eq(res.verdict, MIG_TL_ERROR);
    ck_assert_msg(strstr(res.why, "should be run before the event 'Suspended Migrated'"),
                  "%s", res.why);
    ck_assert_int_eq(res.ran, 0);
    done(&f, &res);
}
END_TEST

START_TEST(test_never_started_runs_no_more_actions)
{
    struct fake f = { .dur = 1.5, .paused_at = -1 };
    struct mig_tl_result res;
    run(&f, "[{\"func\": \"virsh.domjobabort\"}]", &res);
    ck_assert(!res.started);
    ck_assert_int_eq(res.verdict, MIG_TL_OK);
    ck_assert_int_eq(res.ran, 0);
    ck_assert_int_eq(res.mig_rc, 0);
    done(&f, &res);
}
END_TEST

START_TEST(test_failing_action_stops_the_rest)
{
    struct fake f = { .dur = 30, .paused_at = 0, .fail_func = "virsh.domjobabort" };
    struct mig_tl_result res;
    run(&f, "[{\"func\": \"virsh.domjobabort\"}, {\"func\": \"virsh.migrate_postcopy\"}]",
        &res);
    ck_assert_int_eq(res.verdict, MIG_TL_FAIL);
    ck_assert_str_eq(res.why, "action virsh.domjobabort: it failed");
    ck_assert_int_eq(res.ran, 1);
    ck_assert_ptr_null(strstr(f.order.buf, "postcopy"));
    ck_assert_int_eq(atomic_load(&f.cancelled), 1);
    done(&f, &res);
}
END_TEST

START_TEST(test_no_actions_just_joins)
{
    struct fake f = { .dur = 0.3, .paused_at = -1 };
    struct mig_tl_result res;
    run(&f, "", &res);
    ck_assert_int_eq(res.mig_rc, 0);
    ck_assert_int_eq(res.ran, 0);
    ck_assert(!res.started);
    done(&f, &res);
}
END_TEST

START_TEST(test_search_is_python_search)
{
    ck_assert_int_eq(mig_tl_search("iteration: '1'", "x iteration: '1' y"), 1);
    ck_assert_int_eq(mig_tl_search("^Stopped", "a\nStopped"), 0);   /* not MULTILINE */
    ck_assert_int_eq(mig_tl_search("lifecycle.*Stopped Failed",
                                   "event 'lifecycle' for domain 'v': Stopped Failed"), 1);
    ck_assert_int_eq(mig_tl_search("(", "x"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mig_timeline");
    TCase *tc = tcase_create("timeline");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_before_pause_first_then_after_start_in_order);
    tcase_add_test(tc, test_sleep_and_after_event_wait);
    tcase_add_test(tc, test_after_event_not_found_is_error_and_cancels);
    tcase_add_test(tc, test_before_event_seen_is_error);
    tcase_add_test(tc, test_never_started_runs_no_more_actions);
    tcase_add_test(tc, test_failing_action_stops_the_rest);
    tcase_add_test(tc, test_no_actions_just_joins);
    tcase_add_test(tc, test_search_is_python_search);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
