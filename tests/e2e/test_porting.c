/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A case of tp-libvirt's own migration composition on the lab, with the lab's settings
 * file (docs/porting.md): its placeholder hosts filled from the settings' hosts, the
 * lab's guest over avocado-vt's (override), the emulator left to libvirt.  The case is
 * tests/e2e/tp-libvirt/virsh_migrate_stress.cfg, the composition's own (make
 * conformance checks it still is).
 * Run by tests/e2e/run (VTRUN, VTRUN_SETTINGS set); from the top of the repository.
 */
#include "tests/support.h"

#include <check.h>

#define CASE "tests/e2e/tp-libvirt/virsh_migrate_stress.cfg"

static struct ts_e2e E;

static void setup(void)
{
    ts_e2e_init(&E);
}

static void teardown(void)
{
    ts_e2e_free(&E);
}


/* Every param the test ran with (its params.json: results.json keeps the ones that
 * matter); caller frees. */
static json_t *test_params(json_t *t)
{
    char *path = xasprintf("%s/params.json", ts_jstr(t, "logdir"));
    json_error_t e;
    json_t *p = json_load_file(path, 0, &e);
    ck_assert_msg(p != NULL, "%s: %s", path, e.text);
    free(path);
    return p;
}

static const char *param(json_t *params, const char *key)
{
    const char *v = json_string_value(json_object_get(params, key));
    ck_assert_msg(v != NULL, "no param %s", key);
    return v;
}

/* The settings alone: tp-libvirt's case has one VM in `vms`, and tp-libvirt cancels
 * it ("Provide enough vms for migration"); so does vtrun, before anything starts, with
 * its placeholders already filled from the lab's hosts. */
START_TEST(test_the_compositions_case_cancels_as_tp_libvirt_does)
{
    ts_e2e_vtrun(&E, 120, "--config", CASE);
    /* a job of nothing but a CANCEL: 0, or 2 where such a night is a job error */
    ck_assert_msg(E.status == 0 || E.status == 2, "exit %d:\n%s%s", E.status, E.out, E.err);
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_str_eq(ts_jstr(t, "status"), "CANCEL");
    ck_assert_msg(strstr(ts_jstr(t, "fail_reason"), "needs at least 2 VMs in 'vms', got 1 "
                         "(vms = 'avocado-vt-vm1')"), "%s", ts_jstr(t, "fail_reason"));
    ck_assert_msg(json_number_value(json_object_get(t, "time")) < 10,
                  "a CANCEL decided from the params took long");
    /* the case's placeholders filled, the lab's guest over avocado-vt's */
    struct run_settings lab;
    json_t *p = test_params(t);
    ts_lab(&lab);
    ck_assert_msg(strcmp(param(p, "migrate_dest_host"), "ENTER.YOUR.DEST.EXAMPLE.COM"),
                  "migrate_dest_host not filled");
    ck_assert_str_eq(param(p, "netdst"), params_get(lab.override, "netdst"));
    ck_assert_str_eq(param(p, "image_name"), params_get(lab.override, "image_name"));
    ck_assert_str_eq(param(p, "mem"), "1024");          /* the case's, not the lab's 128 */
    run_settings_free(&lab);
    json_decref(p);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

/* With the VMs tp-libvirt's config says to add ("Add migration vms if you want to test
 * them"), the case runs to PASS on the lab's guest: the override's image (a clone per
 * VM), login and bridge, the case's mem 1024 and smp 2, no <emulator> from its
 * qemu_binary = qemu; its own migrate_options (no --unsafe: the disks are on the lab's
 * shared volume).  Kept lean: one round trip instead of the case's five. */
START_TEST(test_the_compositions_case_passes_with_its_vms)
{
    ts_e2e_vtrun(&E, 600, "--config", CASE, "--set", "vms = avocado-vt-vm1 vm2",
             "--set", "virsh_migrate_there_and_back = 1");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"), "exit %d, %s: %s\n%s",
                  E.status, ts_jstr(t, "status"), ts_jstr(t, "fail_reason"), E.out);
    char *job = ts_job_dir(&E);
    char *pat = xasprintf("%s/test-results/1-*/vm2-*.xml", job);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    char *xml = ts_read(g.gl_pathv[0]);
    ck_assert_msg(!strstr(xml, "<emulator>"), "an <emulator> in the domain:\n%s", xml);
    ck_assert_msg(strstr(xml, "<memory unit=\"MiB\">1024</memory>"), "not 1024 MiB:\n%s", xml);
    ck_assert_msg(strstr(xml, "<vcpu>2</vcpu>"), "not 2 vCPUs:\n%s", xml);
    ck_assert_msg(strstr(xml, "_vm2-"), "vm2 boots no clone of its own:\n%s", xml);
    free(xml);
    globfree(&g);
    free(pat);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    ts_assert_no_password(job);
    free(job);
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("porting");
    TCase *tc = tcase_create("porting");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 700);
    tcase_add_test(tc, test_the_compositions_case_cancels_as_tp_libvirt_does);
    tcase_add_test(tc, test_the_compositions_case_passes_with_its_vms);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
