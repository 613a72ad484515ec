/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate_options_shared without VMs (runner/type_options_shared.c): its declared
 * params as a case writes them (the words assembled as the reference does, bad values
 * named), the adapter of its action words onto the engine's funcs (every word of
 * do_actions_during_migrate has a row; which run), the literal the engine reads, and
 * what is not built named before anything starts.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/type_options_shared.h"

static struct params *P;
static struct run_common C;

static void setup(void)
{
    P = params_new();
    params_set(P, "vms", "avocado-vt-vm1");
    params_set(P, "main_vm", "avocado-vt-vm1");
    memset(&C, 0, sizeof(C));
}

static void teardown(void)
{
    run_common_release(&C);
    params_free(P);
}

/* The case's params parsed as the runner does: 0 or -1 (err_msg()). */
static int parse(void)
{
    const struct run_type *t = run_type_lookup("migrate_options_shared");
    void *opts = NULL;
    ck_assert_ptr_nonnull(t);
    run_common_release(&C);
    ck_assert_int_eq(run_common_parse(P, &C), 0);
    int rc = run_type_parse(t, P, &C, &opts);
    if (opts)
        run_type_opts_free(t, opts);
    return rc;
}

START_TEST(test_words_as_the_reference_assembles_them)
{
    /* parallel_cn_nums goes after --parallel-connections, postcopy_options last */
    params_set(P, "virsh_migrate_options", "--live --verbose");
    params_set(P, "virsh_migrate_extra", "--parallel --parallel-connections");
    params_set(P, "parallel_cn_nums", "4");
    params_set(P, "postcopy_options", "--postcopy");
    ck_assert_int_eq(parse(), 0);
    /* --comp-xbzrle-cache gets its value from the page size */
    params_set(P, "virsh_migrate_extra", "--comp-methods xbzrle --comp-xbzrle-cache");
    params_set(P, "parallel_cn_nums", "");
    ck_assert_int_eq(parse(), 0);
    /* an unknown word is named */
    params_set(P, "virsh_migrate_extra", "--no-such-word");
    ck_assert_int_eq(parse(), -1);
    ck_assert_msg(strstr(err_msg(), "--no-such-word"), "%s", err_msg());
}
END_TEST

START_TEST(test_bad_values_are_named)
{
    params_set(P, "parallel_cn_nums", "four");
    ck_assert_int_eq(parse(), -1);
    ck_assert_str_eq(err_msg(), "parallel_cn_nums = 'four': expected an integer");
    params_set(P, "parallel_cn_nums", "");
    params_set(P, "vcpu_num", "8x");
    ck_assert_int_eq(parse(), -1);
    ck_assert_str_eq(err_msg(), "vcpu_num = '8x': expected an integer");
    params_set(P, "vcpu_num", "8");
    params_set(P, "asynch_migrate", "maybe");
    ck_assert_int_eq(parse(), -1);
    ck_assert_msg(strstr(err_msg(), "asynch_migrate"), "%s", err_msg());
}
END_TEST

/* Whether the engine runs word's func (a one-action literal of it). */
static bool word_built(const char *word)
{
    const char *func = run_mos_word_func(word);
    struct mig_actions acts;
    ck_assert_ptr_nonnull(func);
    ck_assert_int_ge(mig_act_step_of(func), 0);
    char *lit = xasprintf("[{\"func\": \"%s\", \"func_param\": \"params\"}]", func);
    ck_assert_int_eq(mig_act_parse(lit, &acts), 0);
    free(lit);
    bool built = run_tl_action_built(&acts.a[0]);
    mig_act_release(&acts);
    return built;
}

START_TEST(test_every_word_has_a_row)
{
    static const char *const built[] = { "checkestablished", "setmaxdowntime", "domjobinfo",
                                         "setspeed", "setmigratepostcopy", "checkdomstats",
                                         "suspendvm", "killqemutarget",
                                         "drop_network_connection" };
    static const char *const unbuilt[] = { "converge", "domjobinfo_output_all",
                                           "cancel_concurrent_migration" };
    for (size_t k = 0; k < sizeof(built) / sizeof(*built); k++)
        ck_assert_msg(word_built(built[k]), "%s", built[k]);
    for (size_t k = 0; k < sizeof(unbuilt) / sizeof(*unbuilt); k++)
        ck_assert_msg(!word_built(unbuilt[k]), "%s", unbuilt[k]);
    ck_assert_ptr_null(run_mos_word_func("setspeeds"));
    /* the word's own step, not virsh.migrate_postcopy's (which reads a domain arg) */
    struct mig_actions acts;
    char *lit = run_mos_actions_literal("setmigratepostcopy", NULL);
    ck_assert_int_eq(mig_act_parse(lit, &acts), 0);
    ck_assert_int_eq(acts.a[0].step, MIG_STEP_SWITCH_POSTCOPY_WAIT);
    mig_act_release(&acts);
    free(lit);
}
END_TEST

START_TEST(test_literal_the_engine_reads)
{
    struct mig_actions acts;
    char *lit = run_mos_actions_literal("setmaxdowntime, checkdomstats", NULL);
    ck_assert_ptr_nonnull(lit);
    ck_assert_int_eq(mig_act_parse(lit, &acts), 0);
    ck_assert_uint_eq(acts.n, 2);
    ck_assert_int_eq(acts.a[0].step, MIG_STEP_SET_MAXDOWNTIME);
    ck_assert_int_eq(acts.a[1].step, MIG_STEP_STATISTICS);
    /* the reference sleeps 3 s after each word: before the next one here */
    ck_assert(acts.a[0].sleep_s == 0);
    ck_assert(acts.a[1].sleep_s == 3);
    ck_assert_int_eq(acts.a[0].arg, MIG_ARG_PARAMS);
    mig_act_release(&acts);
    free(lit);

    /* no words: a --timeout-postcopy case checks the destination after the timeout */
    lit = run_mos_actions_literal("", "--timeout 10 --timeout-postcopy");
    ck_assert_int_eq(mig_act_parse(lit, &acts), 0);
    ck_assert_uint_eq(acts.n, 1);
    ck_assert_int_eq(acts.a[0].step, MIG_STEP_STATE_CHECK);
    ck_assert(run_tl_action_built(&acts.a[0]));
    mig_act_release(&acts);
    free(lit);
    lit = run_mos_actions_literal(NULL, "--parallel");
    ck_assert_str_eq(lit, "[]");
    free(lit);

    ck_assert_ptr_null(run_mos_actions_literal("setspeed,speedup", NULL));
    ck_assert_str_eq(err_msg(), "actions_during_migration: unknown word 'speedup'");
}
END_TEST

/* run_mos_unbuilt's verdict on the params set: NULL (built) or its reason. */
static char *unbuilt(void)
{
    struct strbuf why = STRBUF_INIT;
    if (run_mos_unbuilt(P, &why) == 0) {
        strbuf_release(&why);
        return NULL;
    }
    return strbuf_detach(&why, NULL);
}

#define ASSERT_UNBUILT(sub)                                                              \
    do {                                                                                 \
        char *w_ = unbuilt();                                                            \
        ck_assert_msg(w_ && strstr(w_, sub), "'%s' not in '%s'", sub, w_ ? w_ : "(built)"); \
        free(w_);                                                                        \
    } while (0)

START_TEST(test_what_is_not_built_is_named)
{
    ck_assert_ptr_null(unbuilt());
    params_set(P, "actions_during_migration", "setmaxdowntime,checkdomstats");
    params_set(P, "actions_after_migration", "checkdomstate");
    params_set(P, "qemu_conf_dict", "{}");
    ck_assert_ptr_null(unbuilt());

    params_set(P, "actions_during_migration", "setmaxdowntime,converge");
    ASSERT_UNBUILT("vtrun has no step for the word 'converge'");
    params_set(P, "actions_during_migration", "setmaxdowntime,speedup");
    ASSERT_UNBUILT("tp-libvirt has no action word 'speedup'");
    params_set(P, "actions_during_migration", "suspendvm");
    params_set(P, "actions_after_migration", "save_restore");
    ASSERT_UNBUILT("actions_after_migration: vtrun does not build 'save_restore'");
    params_set(P, "actions_after_migration", "");
    params_set(P, "grep_str_local_log", "qemuProcessHandleMigrationStatus");
    params_set(P, "log_conf_dict", "{\"log_level\": \"1\"}");
    ck_assert_ptr_null(unbuilt());
    params_set(P, "tpm_args", "{\"tpm_model\": \"tpm-crb\"}");
    ASSERT_UNBUILT("tpm_args = '{\"tpm_model\": \"tpm-crb\"}'");
    params_set(P, "tpm_args", "");
    params_set(P, "virsh_migrate_extra", "--tls --tls-destination x");
    ASSERT_UNBUILT("--tls");
    params_set(P, "virsh_migrate_extra", "");
    params_set(P, "concurrent_migration", "yes");
    ASSERT_UNBUILT("concurrent_migration = 'yes'");
}
END_TEST

START_TEST(test_conf_dicts_as_the_reference_writes_them)
{
    char **k, **v;
    /* the source's form: keys, values as the file writes them */
    ck_assert_int_eq(run_mos_conf_edits("libvirtd_conf_dict", "{\"log_level\": \"1\", "
                                        "\"log_outputs\": \"\\\"1:file:/var/log/l.log\\\"\"}",
                                        false, &k, &v), 0);
    ck_assert_str_eq(k[0], "log_level");
    ck_assert_str_eq(v[0], "1");
    ck_assert_str_eq(k[1], "log_outputs");
    ck_assert_str_eq(v[1], "\"1:file:/var/log/l.log\"");
    ck_assert_ptr_null(k[2]);
    params_strv_free(k);
    params_strv_free(v);
    /* the destination's: a regex per key, 'key=value' */
    ck_assert_int_eq(run_mos_conf_edits("log_conf_dest_dict", "{r\"log_level\\s*=.*\": "
                                        "'log_level=1', r\"log_outputs\\s*=.*\": "
                                        "'log_outputs=\"1:file:/x.log\"'}", true, &k, &v), 0);
    ck_assert_str_eq(k[0], "log_level");
    ck_assert_str_eq(v[0], "1");
    ck_assert_str_eq(k[1], "log_outputs");
    ck_assert_str_eq(v[1], "\"1:file:/x.log\"");
    params_strv_free(k);
    params_strv_free(v);
    /* a value for another key, or not a dict, is named */
    ck_assert_int_eq(run_mos_conf_edits("log_conf_dest_dict", "{r\"log_level\\s*=.*\": "
                                        "'level=1'}", true, &k, &v), -1);
    ck_assert_msg(strstr(err_msg(), "log_conf_dest_dict"), "%s", err_msg());
    ck_assert_int_eq(run_mos_conf_edits("libvirtd_conf_dict", "[1]", false, &k, &v), -1);
    ck_assert_msg(strstr(err_msg(), "expected a dict"), "%s", err_msg());
    /* and a case with one does not parse */
    params_set(P, "libvirtd_conf_dict", "{\"log_level\": 1}");
    ck_assert_int_eq(parse(), -1);
    ck_assert_msg(strstr(err_msg(), "libvirtd_conf_dict"), "%s", err_msg());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options_shared");
    TCase *tc = tcase_create("options_shared");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_words_as_the_reference_assembles_them);
    tcase_add_test(tc, test_bad_values_are_named);
    tcase_add_test(tc, test_every_word_has_a_row);
    tcase_add_test(tc, test_literal_the_engine_reads);
    tcase_add_test(tc, test_what_is_not_built_is_named);
    tcase_add_test(tc, test_conf_dicts_as_the_reference_writes_them);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
