/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The migration schedule: where VMs start and which move together (migration/mig.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/strbuf.h"
#include "migration/mig.h"

/* "start 0 0 0 | 1: (0>1) (1>1)..." rendered as: each hop on a line, "R" for a back
 * hop, each wave in brackets, each move "vm:from>to". */
static char *render(const struct mig_plan *p)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "start");
    for (size_t i = 0; i < p->nvms; i++)
        strbuf_addf(&sb, " %d", p->start_host[i]);
    for (size_t k = 0; k < p->nhops; k++) {
        const struct mig_hop *h = &p->hops[k];
        strbuf_addf(&sb, "\n%u%s:", h->round, h->back ? "R" : "");
        for (size_t w = 0; w < h->nwaves; w++) {
            strbuf_addstr(&sb, " [");
            for (size_t m = 0; m < h->waves[w].n; m++)
                strbuf_addf(&sb, "%s%zu:%d>%d", m ? " " : "", h->waves[w].moves[m].vm,
                            h->waves[w].moves[m].from, h->waves[w].moves[m].to);
            strbuf_addstr(&sb, "]");
        }
    }
    return strbuf_detach(&sb, NULL);
}

static void assert_plan(size_t n, enum mig_plan_type t, unsigned rounds, bool back,
                        const char *want)
{
    struct mig_plan p;
    ck_assert_msg(mig_plan_build(n, t, rounds, back, &p) == 0, "%s", err_msg());
    char *got = render(&p);
    ck_assert_msg(!strcmp(got, want), "plan:\n%s\nwant:\n%s", got, want);
    free(got);
    mig_plan_free(&p);
}

START_TEST(test_orderly_moves_one_vm_after_another)
{
    assert_plan(3, MIG_ORDERLY, 1, false,
                "start 0 0 0\n"
                "1: [0:0>1] [1:0>1] [2:0>1]");
}
END_TEST

START_TEST(test_simultaneous_moves_every_vm_at_once)
{
    assert_plan(3, MIG_SIMULTANEOUS, 1, false,
                "start 0 0 0\n"
                "1: [0:0>1 1:0>1 2:0>1]");
}
END_TEST

START_TEST(test_compressed_is_scheduled_like_simultaneous)
{
    assert_plan(2, MIG_COMPRESSED, 1, false, "start 0 0\n1: [0:0>1 1:0>1]");
}
END_TEST

START_TEST(test_cross_starts_half_on_each_host_and_swaps_pairwise)
{
    assert_plan(4, MIG_CROSS, 1, false,
                "start 0 0 1 1\n"
                "1: [0:0>1 2:1>0] [1:0>1 3:1>0]");
}
END_TEST

START_TEST(test_cross_with_odd_vms_puts_the_extra_one_on_the_source)
{
    assert_plan(3, MIG_CROSS, 1, false,
                "start 0 0 1\n"
                "1: [0:0>1 2:1>0] [1:0>1]");
}
END_TEST

START_TEST(test_there_and_back_makes_round_trips_that_end_at_the_start)
{
    assert_plan(2, MIG_ORDERLY, 2, true,
                "start 0 0\n"
                "1: [0:0>1] [1:0>1]\n"
                "1R: [0:1>0] [1:1>0]\n"
                "2: [0:0>1] [1:0>1]\n"
                "2R: [0:1>0] [1:1>0]");
}
END_TEST

START_TEST(test_cross_to_and_fro_keeps_every_vm)
{
    /* the reference drops one VM and doubles another here */
    assert_plan(2, MIG_CROSS, 2, true,
                "start 0 1\n"
                "1: [0:0>1 1:1>0]\n"
                "1R: [1:0>1 0:1>0]\n"
                "2: [0:0>1 1:1>0]\n"
                "2R: [1:0>1 0:1>0]");
    struct mig_plan p;
    ck_assert_int_eq(mig_plan_build(6, MIG_CROSS, 5, true, &p), 0);
    for (size_t k = 0; k < p.nhops; k++) {
        int seen[6] = { 0 };
        ck_assert_uint_eq(mig_hop_moves(&p.hops[k]), 6);
        for (size_t w = 0; w < p.hops[k].nwaves; w++)
            for (size_t m = 0; m < p.hops[k].waves[w].n; m++)
                seen[p.hops[k].waves[w].moves[m].vm]++;
        for (size_t i = 0; i < 6; i++)
            ck_assert_int_eq(seen[i], 1);
    }
    mig_plan_free(&p);
}
END_TEST

START_TEST(test_rounds_without_migrate_back_is_one_hop)
{
    struct mig_plan p;
    ck_assert_int_eq(mig_plan_build(2, MIG_SIMULTANEOUS, 5, false, &p), 0);
    ck_assert_uint_eq(p.nhops, 1);
    mig_plan_free(&p);
}
END_TEST

START_TEST(test_too_few_vms_or_rounds_are_errors)
{
    struct mig_plan p;
    ck_assert_int_eq(mig_plan_build(1, MIG_ORDERLY, 1, false, &p), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "at least 2 VMs"));
    ck_assert_int_eq(mig_plan_build(2, MIG_ORDERLY, 0, true, &p), -1);
}
END_TEST

START_TEST(test_type_words)
{
    const struct params_word *w = mig_plan_type_words;
    ck_assert_int_eq(params_word_find(w, "cross")->value, MIG_CROSS);
    ck_assert_int_eq(params_word_find(w, "compressed")->value, MIG_COMPRESSED);
    ck_assert_ptr_null(params_word_find(w, "parallel"));
    ck_assert_str_eq(mig_plan_type_name(MIG_ORDERLY), "orderly");
    ck_assert_str_eq(mig_plan_type_name(MIG_SIMULTANEOUS), "simultaneous");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stress_migplan");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_orderly_moves_one_vm_after_another);
    tcase_add_test(tc, test_simultaneous_moves_every_vm_at_once);
    tcase_add_test(tc, test_compressed_is_scheduled_like_simultaneous);
    tcase_add_test(tc, test_cross_starts_half_on_each_host_and_swaps_pairwise);
    tcase_add_test(tc, test_cross_with_odd_vms_puts_the_extra_one_on_the_source);
    tcase_add_test(tc, test_there_and_back_makes_round_trips_that_end_at_the_start);
    tcase_add_test(tc, test_cross_to_and_fro_keeps_every_vm);
    tcase_add_test(tc, test_rounds_without_migrate_back_is_one_hop);
    tcase_add_test(tc, test_too_few_vms_or_rounds_are_errors);
    tcase_add_test(tc, test_type_words);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
