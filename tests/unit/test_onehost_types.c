/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one-host migration command types (virsh_migrate_set_get_speed,
 * setspeed_and_getspeed, virsh_migrate_compcache, virsh_migrate_setmaxdowntime,
 * migrate_compcache, setmaxdowntime_and_getmaxdowntime) and
 * virsh_migrate_multi_vms: their declared params (defaults, tp-libvirt's names, the
 * error naming each bad value), their needs (the cases tp-libvirt itself cancels or
 * skips), and the status_error / err_msg rule of runner/run_virsh.c.  No backend,
 * host or VM; the e2e test (tests/e2e/test_onehost.c) runs them on the lab.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"

static struct params *P;
static struct run_common C;
static const struct run_type *T;
static void *OPTS;
static struct strbuf F;
static struct run_facts FACTS;

static void setup(void)
{
    P = params_new();
    memset(&C, 0, sizeof(C));
    OPTS = NULL;
    strbuf_init(&F, 0);
    run_facts_init(&FACTS);
    FACTS.libvirt_version = 9000000;
    FACTS.qemu_version = 7002000;
    FACTS.arch = "x86_64";
    params_set(P, "vms", "avocado-vt-vm1");
}

static void teardown(void)
{
    if (OPTS)
        run_type_opts_free(T, OPTS);
    run_common_release(&C);
    run_facts_release(&FACTS);
    strbuf_release(&F);
    params_free(P);
}

/* Parse type `name` from the params set so far: 0 or -1; F gets the values. */
static int type_parse(const char *name)
{
    T = run_type_lookup(name);
    ck_assert_msg(T != NULL, "no type %s", name);
    if (OPTS)
        run_type_opts_free(T, OPTS);
    OPTS = NULL;
    run_common_release(&C);
    memset(&C, 0, sizeof(C));
    ck_assert_int_eq(run_common_parse(P, &C), 0);
    int rc = run_type_parse(T, P, &C, &OPTS);
    strbuf_reset(&F);
    if (rc == 0)
        run_param_format(T->params, OPTS, &F);
    return rc;
}

static void assert_has(const char *line)
{
    ck_assert_msg(strstr(F.buf, line), "no '%s' in:\n%s", line, F.buf);
}

/* The needs of the parsed case with nhosts hosts: NULL when met, else the CANCEL. */
static const char *needs(size_t nhosts)
{
    const char *label;
    int rc = run_needs_check(T, P, &C, nhosts, &FACTS, &label);
    ck_assert_int_ne(rc, -2);
    return rc == 0 ? NULL : err_msg();
}

/* ---- virsh_migrate_set_get_speed ---------------------------------------------------- */

START_TEST(test_set_get_speed_defaults_are_the_references)
{
    ck_assert_int_eq(type_parse("virsh_migrate_set_get_speed"), 0);
    assert_has("bandwidth = default\n");
    assert_has("status_error = yes\n");     /* params.get("status_error", "yes") */
    assert_has("start_vm = yes\n");
    ck_assert_ptr_null(needs(1));           /* one host is enough */
}
END_TEST

/* `bandwidth =` leaves virsh's argument out; only an unset one is "default" */
START_TEST(test_set_get_speed_empty_bandwidth_is_a_value)
{
    params_set(P, "bandwidth", "");
    ck_assert_int_eq(type_parse("virsh_migrate_set_get_speed"), 0);
    assert_has("bandwidth = \n");
    params_set(P, "bandwidth", "''");
    ck_assert_int_eq(type_parse("virsh_migrate_set_get_speed"), 0);
    assert_has("bandwidth = ''\n");
    params_set(P, "status_error", "maybe");
    ck_assert_int_eq(type_parse("virsh_migrate_set_get_speed"), -1);
    ck_assert_str_eq(err_msg(), "param status_error = 'maybe': expected yes or no (or "
                     "on/off, true/false)");
}
END_TEST

START_TEST(test_set_get_speed_with_migration_cancels_as_tp_libvirt)
{
    params_set(P, "twice_migration", "yes");
    ck_assert_int_eq(type_parse("virsh_migrate_set_get_speed"), 0);
    const char *why = needs(2);
    ck_assert_msg(why && strstr(why, "Please provide migrate_vms for test."), "%s",
                  why ? why : "met");
}
END_TEST

/* ---- setspeed_and_getspeed ------------------------------------------------------------ */

START_TEST(test_setspeed_and_getspeed_params)
{
    ck_assert_int_eq(type_parse("setspeed_and_getspeed"), 0);
    assert_has("status_error = no\n");
    assert_has("vm_status = vm_running\n");
    params_set(P, "bandwidth", "17592186044416");
    params_set(P, "postcopy_options", "--postcopy");
    params_set(P, "vm_status", "vm_shutoff");
    params_set(P, "err_msg", "numerical overflow: bandwidth must be less than");
    ck_assert_int_eq(type_parse("setspeed_and_getspeed"), 0);
    assert_has("vm_status = vm_shutoff\n");
    params_set(P, "err_msg_1", "domain is (not running");
    ck_assert_int_eq(type_parse("setspeed_and_getspeed"), -1);
    ck_assert_msg(strstr(err_msg(), "param err_msg_1 = 'domain is (not running': expected "
                         "a PCRE2 regular expression"), "%s", err_msg());
    params_del(P, "err_msg_1");
    params_set(P, "vm_status", "vm_paused");
    ck_assert_int_eq(type_parse("setspeed_and_getspeed"), -1);
    ck_assert_str_eq(err_msg(), "param vm_status = 'vm_paused': expected one of vm_running, "
                     "vm_shutoff");
}
END_TEST

/* ---- virsh_migrate_compcache ---------------------------------------------------------- */

START_TEST(test_compcache_params)
{
    ck_assert_int_eq(type_parse("virsh_migrate_compcache"), 0);
    assert_has("compcache_action = get\n");
    assert_has("expect_succeed = yes\n");
    assert_has("paused_after_start_vm = no\n");
    /* the reference's own spelling pauses too */
    params_set(P, "pause_after_start_vm", "yes");
    ck_assert_int_eq(type_parse("virsh_migrate_compcache"), 0);
    assert_has("paused_after_start_vm = yes\n");
    params_set(P, "compcache_action", "reset");
    ck_assert_int_eq(type_parse("virsh_migrate_compcache"), -1);
    ck_assert_str_eq(err_msg(), "param compcache_action = 'reset': expected one of get, set");
}
END_TEST

/* ---- virsh_migrate_setmaxdowntime ------------------------------------------------------- */

START_TEST(test_setmaxdowntime_params_and_needs)
{
    ck_assert_int_eq(type_parse("virsh_migrate_setmaxdowntime"), 0);
    assert_has("migrate_maxdowntime = 1.000\n");
    assert_has("setmmdt_vm_ref = domname\n");
    assert_has("do_migrate = yes\n");
    ck_assert_ptr_nonnull(needs(1));        /* it migrates: a destination */
    ck_assert_ptr_null(needs(2));
    params_set(P, "migrate_maxdowntime", "");   /* none_downtime: no argument */
    ck_assert_int_eq(type_parse("virsh_migrate_setmaxdowntime"), 0);
    params_set(P, "migrate_maxdowntime", "soon");
    ck_assert_int_eq(type_parse("virsh_migrate_setmaxdowntime"), -1);
    ck_assert_str_eq(err_msg(), "param migrate_maxdowntime = 'soon': expected a number "
                     "of seconds");
    params_set(P, "migrate_maxdowntime", "0");
    params_set(P, "postcopy_options", "--postcopy --bogus");
    ck_assert_int_eq(type_parse("virsh_migrate_setmaxdowntime"), -1);
    ck_assert_msg(strstr(err_msg(), "param postcopy_options") &&
                  strstr(err_msg(), "'--bogus'"), "%s", err_msg());
    params_set(P, "pre_vm_state", "crashed");
    ck_assert_int_eq(type_parse("virsh_migrate_setmaxdowntime"), -1);
    ck_assert_str_eq(err_msg(), "param pre_vm_state = 'crashed': expected one of running, "
                     "paused, shutoff");
}
END_TEST

/* ---- migration_cmd: migrate_compcache, setmaxdowntime_and_getmaxdowntime ----------- */

START_TEST(test_migration_cmd_params)
{
    ck_assert_int_eq(type_parse("migrate_compcache"), 0);
    assert_has("vm_status = vm_running\n");
    assert_has("status_error = no\n");
    assert_has("start_vm = yes\n");
    ck_assert_ptr_null(needs(1));           /* one host: no migration */
    params_set(P, "compression_cache", "18446744073709551616");
    params_set(P, "err_msg", "for <size> option is malformed or out of range");
    ck_assert_int_eq(type_parse("migrate_compcache"), 0);
    assert_has("compression_cache = 18446744073709551616\n");
    params_set(P, "vm_status", "vm_paused");
    ck_assert_int_eq(type_parse("migrate_compcache"), -1);
    ck_assert_str_eq(err_msg(), "param vm_status = 'vm_paused': expected one of vm_running, "
                     "vm_shutoff");
    params_del(P, "vm_status");
    params_set(P, "downtime", "100");
    ck_assert_int_eq(type_parse("setmaxdowntime_and_getmaxdowntime"), 0);
    assert_has("downtime = 100\n");
    ck_assert_ptr_null(needs(1));
    params_set(P, "err_msg", "migrate: (Invalid downtime");
    ck_assert_int_eq(type_parse("setmaxdowntime_and_getmaxdowntime"), -1);
    ck_assert_msg(strstr(err_msg(), "param err_msg = 'migrate: (Invalid downtime': expected "
                         "a PCRE2 regular expression"), "%s", err_msg());
}
END_TEST

/* ---- virsh_migrate_multi_vms ------------------------------------------------------------ */

/* tp-libvirt's cfg leaves migrate_vms empty; the test skips "No multi vms provided."
 * before it reads a word of the options */
START_TEST(test_multi_vms_without_migrate_vms_cancels)
{
    params_set(P, "migrate_vms", "");
    params_set(P, "virsh_migrate_method", "direct");
    ck_assert_int_eq(type_parse("virsh_migrate_multi_vms"), 0);
    const char *why = needs(2);
    ck_assert_msg(why && strstr(why, "No multi vms provided."), "%s", why ? why : "met");
    params_set(P, "migrate_vms", "avocado-vt-vm1");
    ck_assert_int_eq(type_parse("virsh_migrate_multi_vms"), 0);
    ck_assert_ptr_nonnull(needs(2));
}
END_TEST

START_TEST(test_multi_vms_vms_and_option_words)
{
    params_set(P, "vms", "avocado-vt-vm1 vm2");
    params_set(P, "migrate_vms", "avocado-vt-vm1 vm3");
    ck_assert_int_eq(type_parse("virsh_migrate_multi_vms"), -1);
    ck_assert_str_eq(err_msg(), "param migrate_vms: VM 'vm3' is not one of vms");
    params_set(P, "migrate_vms", "avocado-vt-vm1 vm2");
    params_set(P, "virsh_migrate_options", "live timeout unsafe auto-converge");
    params_set(P, "virsh_migrate_method", "p2p_tunnelled");
    ck_assert_int_eq(type_parse("virsh_migrate_multi_vms"), 0);
    ck_assert_ptr_null(needs(2));
    assert_has("virsh_migration_type = simultaneous\n");
    assert_has("virsh_migrate_timeout = 60\n");
    /* "timeout" is virsh's --timeout, which needs --live */
    params_set(P, "virsh_migrate_options", "timeout unsafe");
    ck_assert_int_eq(type_parse("virsh_migrate_multi_vms"), -1);
    ck_assert_msg(strstr(err_msg(), "--timeout"), "%s", err_msg());
    /* words the reference does not know are ignored, as it does */
    params_set(P, "virsh_migrate_options", "online frobnicate");
    ck_assert_int_eq(type_parse("virsh_migrate_multi_vms"), 0);
    params_set(P, "virsh_migration_type", "cross");
    ck_assert_int_eq(type_parse("virsh_migrate_multi_vms"), -1);
    ck_assert_str_eq(err_msg(), "param virsh_migration_type = 'cross': expected one of "
                     "simultaneous, orderly");
}
END_TEST

/* ---- the result rule ---------------------------------------------------------------- */

static void result(struct run_virsh *r, int status, const char *err)
{
    r->status = status;
    strbuf_reset(&r->err);
    strbuf_addstr(&r->err, err);
}

START_TEST(test_status_error_and_err_msg)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    result(&r, 0, "");
    ck_assert_int_eq(run_virsh_expect("cmd", &r, false, NULL), 0);
    ck_assert_int_eq(run_virsh_expect("cmd", &r, true, "overflow"), -1);
    ck_assert_str_eq(err_msg(), "cmd: expected to fail with overflow, but it succeeded");
    result(&r, 1, "error: numerical overflow: bandwidth must be less than 8796093022208\n");
    ck_assert_int_eq(run_virsh_expect("cmd", &r, false, NULL), -1);
    ck_assert_msg(strstr(err_msg(), "cmd: expected to succeed, exit 1: error: numerical"),
                  "%s", err_msg());
    ck_assert_int_eq(run_virsh_expect("cmd", &r, true, NULL), 0);
    ck_assert_int_eq(run_virsh_expect("cmd", &r, true,
                                      "numerical overflow: bandwidth must be less than"), 0);
    ck_assert_int_eq(run_virsh_expect("cmd", &r, true, "less than [0-9]+$"), 0);
    ck_assert_int_eq(run_virsh_expect("cmd", &r, true, "domain is not running"), -1);
    ck_assert_msg(strstr(err_msg(), "expected to fail with 'domain is not running', but it "
                         "failed with: error: numerical"), "%s", err_msg());
    ck_assert_int_eq(run_virsh_expect("cmd", &r, true, "("), -1);
    run_virsh_release(&r);
}
END_TEST

START_TEST(test_virsh_runs_with_the_hosts_local_uri)
{
    struct run_host hosts[2] = {
        { .name = "a", .uri = "qemu+unix:///system?socket=/run/x/libvirt-sock" },
        { .name = "b", .uri = "qemu+ssh://root@hostB:2222/system" },
    };
    struct run_ctx ctx = { .hosts = hosts, .nhosts = 2 };
    char *u = run_virsh_uri(&ctx, 0);
    ck_assert_str_eq(u, "qemu+unix:///system?socket=/run/x/libvirt-sock");
    free(u);
    u = run_virsh_uri(&ctx, 1);
    ck_assert_str_eq(u, "qemu:///system");
    free(u);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("onehost_types");
    TCase *tc = tcase_create("types");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_set_get_speed_defaults_are_the_references);
    tcase_add_test(tc, test_set_get_speed_empty_bandwidth_is_a_value);
    tcase_add_test(tc, test_set_get_speed_with_migration_cancels_as_tp_libvirt);
    tcase_add_test(tc, test_setspeed_and_getspeed_params);
    tcase_add_test(tc, test_compcache_params);
    tcase_add_test(tc, test_setmaxdowntime_params_and_needs);
    tcase_add_test(tc, test_migration_cmd_params);
    tcase_add_test(tc, test_multi_vms_without_migrate_vms_cancels);
    tcase_add_test(tc, test_multi_vms_vms_and_option_words);
    tcase_add_test(tc, test_status_error_and_err_msg);
    tcase_add_test(tc, test_virsh_runs_with_the_hosts_local_uri);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
