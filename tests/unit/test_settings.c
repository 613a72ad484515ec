/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runner/run_settings: vtrun's libconfig settings file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/params.h"
#include "lib/err.h"
#include "runner/run_settings.h"
#include "tests/support.h"

static char dir[] = "/tmp/vtrun-settings-XXXXXX";

static char *write_file(const char *name, const char *text)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        abort();
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void setup(void)
{
    strcpy(dir, "/tmp/vtrun-settings-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    ts_rmtree(dir);
}

START_TEST(test_defaults_without_any_file)
{
    struct run_settings s;
    run_settings_init(&s);
    ck_assert_str_eq(s.backend, "libvirt");
    ck_assert_int_eq(s.jobs, 1);
    ck_assert_double_eq(s.test_timeout, 1800);
    ck_assert_uint_eq(s.nhosts, 0);
    ck_assert_str_eq(s.src[0], "default");
    run_settings_free(&s);
}
END_TEST

START_TEST(test_full_file_is_read_with_sources)
{
    char *p = write_file("a.conf",
        "results_dir = \"/tmp/r\";\n"
        "jobs = 3;\n"
        "test_timeout = 12.5;\n"
        "hosts = ( { name = \"a\"; uri = \"qemu:///a\"; migrate_uri = \"tcp://127.0.0.1\"; },\n"
        "          { name = \"b\"; uri = \"qemu:///b\"; ssh_port = 2222; } );\n"
        "params = { mem = \"256\"; smp = 2; };\n");
    struct run_settings s;
    run_settings_init(&s);
    ck_assert_int_eq(run_settings_load(&s, p, 0), 0);
    ck_assert_str_eq(s.results_dir, "/tmp/r");
    ck_assert_int_eq(s.jobs, 3);
    ck_assert_double_eq(s.test_timeout, 12.5);
    ck_assert_uint_eq(s.nhosts, 2);
    ck_assert_str_eq(s.hosts[0].migrate_uri, "tcp://127.0.0.1");
    ck_assert_int_eq(s.hosts[1].ssh_port, 2222);
    ck_assert_int_eq(s.hosts[0].ssh_port, 22);
    ck_assert_str_eq(params_get(s.params, "smp"), "2");
    ck_assert(run_settings_is_set(&s, "jobs"));
    ck_assert(!run_settings_is_set(&s, "backend"));
    char *want = NULL;
    ck_assert_int_ge(asprintf(&want, "%s:2", p), 0);
    ck_assert_str_eq(s.src[4], want);   /* jobs */
    free(want);
    run_settings_free(&s);
    free(p);
}
END_TEST

START_TEST(test_later_file_overrides_single_keys)
{
    char *a = write_file("a.conf", "jobs = 3;\nbackend = \"qemu\";\n");
    char *b = write_file("b.conf", "jobs = 5;\n");
    struct run_settings s;
    run_settings_init(&s);
    ck_assert_int_eq(run_settings_load(&s, a, 0), 0);
    ck_assert_int_eq(run_settings_load(&s, b, 0), 0);
    ck_assert_int_eq(s.jobs, 5);
    ck_assert_str_eq(s.backend, "qemu");
    run_settings_free(&s);
    free(a);
    free(b);
}
END_TEST

static void expect_error(const char *text, const char *needle)
{
    char *p = write_file("bad.conf", text);
    struct run_settings s;
    run_settings_init(&s);
    ck_assert_int_eq(run_settings_load(&s, p, 0), -1);
    ck_assert_msg(strstr(err_msg(), needle), "error '%s' lacks '%s'", err_msg(), needle);
    ck_assert_msg(strstr(err_msg(), p), "error '%s' does not name the file", err_msg());
    run_settings_free(&s);
    free(p);
}

START_TEST(test_unknown_key_is_an_error_with_file_and_line)
{
    expect_error("jobs = 1;\n\nfrobnicate = 2;\n", "bad.conf:3: unknown setting 'frobnicate'");
}
END_TEST

START_TEST(test_wrong_type_is_an_error_with_file_and_line)
{
    expect_error("jobs = \"many\";\n", "bad.conf:1: 'jobs' must be an integer");
}
END_TEST

/* Values that used to fall back (or fail each test later) are errors FILE:LINE. */
START_TEST(test_bad_values_are_errors_with_file_and_line)
{
    expect_error("jobs = 1;\nbackend = \"foo\";\n", "bad.conf:2: 'backend': unknown backend "
                 "(vm_type) 'foo'; known: libvirt, qemu");
    expect_error("test_timeout = -3;\n", "bad.conf:1: 'test_timeout': expected a number of "
                 "seconds >= 0 (0: no limit)");
    expect_error("jobs = 0;\n", "bad.conf:1: 'jobs': expected a number of parallel tests "
                 "from 1 to 256");
}
END_TEST

START_TEST(test_syntax_error_names_the_line)
{
    expect_error("jobs = 1;\nresults_dir = ;\n", "bad.conf:2:");
}
END_TEST

START_TEST(test_junit_settings_take_only_their_words)
{
    struct run_settings s;
    char *p = write_file("j.conf", "junit_flavour = \"strict\";\njunit_params = \"all\";\n");
    run_settings_init(&s);
    ck_assert_str_eq(s.junit_flavour, "full");
    ck_assert_str_eq(s.junit_params, "relevant");
    ck_assert_int_eq(run_settings_load(&s, p, 0), 0);
    ck_assert_str_eq(s.junit_flavour, "strict");
    ck_assert_str_eq(s.junit_params, "all");
    run_settings_free(&s);
    free(p);
    expect_error("\njunit_flavour = \"xunit\";\n",
                 "bad.conf:2: 'junit_flavour': expected \"full\" or \"strict\", not \"xunit\"");
    expect_error("junit_params = \"some\";\n",
                 "bad.conf:1: 'junit_params': expected \"relevant\" or \"all\"");
}
END_TEST

/* The history lives in the results directory unless the settings name another place;
 * "" records nothing. */
START_TEST(test_history_defaults_to_the_results_dir_and_empty_turns_it_off)
{
    struct run_settings s;
    char *h;
    char *a = write_file("r.conf", "results_dir = \"/srv/r\";\n");
    char *b = write_file("h.conf", "history = \"/srv/h.sqlite\";\n");
    char *c = write_file("off.conf", "history = \"\";\n");
    run_settings_init(&s);
    ck_assert_int_eq(run_settings_load(&s, a, 0), 0);
    h = run_settings_history(&s);
    ck_assert_str_eq(h, "/srv/r/history.sqlite");
    free(h);
    ck_assert_int_eq(run_settings_load(&s, b, 0), 0);
    h = run_settings_history(&s);
    ck_assert_str_eq(h, "/srv/h.sqlite");
    free(h);
    ck_assert_int_eq(run_settings_load(&s, c, 0), 0);
    ck_assert_ptr_null(run_settings_history(&s));
    run_settings_free(&s);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(test_host_without_uri_is_an_error)
{
    expect_error("hosts = ( { name = \"a\"; } );\n", "needs at least 'name' and 'uri'");
}
END_TEST

START_TEST(test_unknown_host_key_is_an_error)
{
    expect_error("hosts = ( {\n name = \"a\";\n uri = \"x\";\n colour = \"red\"; } );\n",
                 "bad.conf:4: unknown host key 'colour'");
}
END_TEST

START_TEST(test_host_ssh_keys_are_read_and_the_password_is_never_printed)
{
    char *p = write_file("ssh.conf",
        "hosts = ( { name = \"a\"; uri = \"qemu+ssh://root@a/system\";\n"
        "  ssh_user = \"tester\"; ssh_key = \"/k\"; ssh_port = 2022;\n"
        "  ssh_password = \"hEXO-secret\"; ssh_password_file = \"/pw\";\n"
        "  ssh_known_hosts = \"strict\"; ssh_known_hosts_file = \"/kh\";\n"
        "  ssh_connect_timeout = 2.5; } );\n");
    struct run_settings s;
    run_settings_init(&s);
    ck_assert_msg(run_settings_load(&s, p, 0) == 0, "%s", err_msg());
    const struct run_host *h = &s.hosts[0];
    ck_assert_str_eq(h->ssh_user, "tester");
    ck_assert_int_eq(h->ssh_port, 2022);
    ck_assert_str_eq(h->ssh_password, "hEXO-secret");
    ck_assert_str_eq(h->ssh_password_file, "/pw");
    ck_assert_str_eq(h->ssh_known_hosts, "strict");
    ck_assert_str_eq(h->ssh_known_hosts_file, "/kh");
    ck_assert_double_eq(h->ssh_connect_timeout, 2.5);
    struct run_host copy;
    run_host_copy(&copy, h);
    ck_assert_ptr_ne(copy.ssh_password, h->ssh_password);
    ck_assert_str_eq(copy.ssh_password, "hEXO-secret");
    run_host_free(&copy);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    run_settings_print(&s, f);
    fclose(f);
    ck_assert_msg(!strstr(buf, "hEXO") && strstr(buf, "ssh_password = \"****\";"), "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "ssh_connect_timeout = 2.5;"));
    free(buf);
    run_settings_free(&s);
    free(p);
}
END_TEST

START_TEST(test_bad_host_ssh_values_are_errors_with_file_and_line)
{
    expect_error("hosts = ( { name = \"a\"; uri = \"x\";\n ssh_known_hosts = \"maybe\"; } );\n",
                 "bad.conf:2: host key 'ssh_known_hosts': known-hosts policy 'maybe' is not "
                 "one of accept-new, strict, off");
    expect_error("hosts = ( { name = \"a\"; uri = \"x\";\n ssh_port = 70000; } );\n",
                 "bad.conf:2: 'ssh_port' must be a port number");
    expect_error("hosts = ( { name = \"a\"; uri = \"x\";\n ssh_connect_timeout = -1; } );\n",
                 "bad.conf:2: 'ssh_connect_timeout' must be a number of seconds");
}
END_TEST

START_TEST(test_missing_explicit_file_is_an_error)
{
    struct run_settings s;
    run_settings_init(&s);
    ck_assert_int_eq(run_settings_load(&s, "/nonexistent/vtrun.conf", 0), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "/nonexistent/vtrun.conf"));
    ck_assert_int_eq(run_settings_load(&s, "/nonexistent/vtrun.conf", 1), 0);
    run_settings_free(&s);
}
END_TEST

START_TEST(test_print_names_the_source_of_each_setting)
{
    char *p = write_file("a.conf", "jobs = 4;\n");
    struct run_settings s;
    run_settings_init(&s);
    ck_assert_int_eq(run_settings_load(&s, p, 0), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    run_settings_print(&s, f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "jobs             = 4;    # "));
    ck_assert_ptr_nonnull(strstr(buf, "a.conf:1"));
    ck_assert_ptr_nonnull(strstr(buf, "backend          = \"libvirt\";    # default"));
    free(buf);
    run_settings_free(&s);
    free(p);
}
END_TEST

/* The porting groups: override over the cases, capabilities, the hosts' facts. */
START_TEST(test_override_capabilities_and_host_facts_are_read)
{
    char *p = write_file("a.conf",
        "hosts = ( { name = \"a\"; uri = \"qemu:///a\"; address = \"192.0.2.1\";\n"
        "            address6 = \"2001:db8::1\"; hostname = \"a.example.org\";\n"
        "            ssh_password = \"pw1\"; ssh_password_file = \"/x\"; } );\n"
        "override = { image_name = \"/lab/base\"; mem = 256; };\n"
        "capabilities = [ \"hugepages\", \"gluster\" ];\n"
        "libvirt_version = \"9.0.0\";\nqemu_version = \"7.2\";\narch = \"x86_64\";\n");
    struct run_settings s;
    run_settings_init(&s);
    ck_assert_int_eq(params_count(s.override), 0);
    ck_assert_ptr_null(s.capabilities[0]);
    ck_assert_msg(run_settings_load(&s, p, 0) == 0, "%s", err_msg());
    ck_assert_str_eq(s.hosts[0].address, "192.0.2.1");
    ck_assert_str_eq(s.hosts[0].address6, "2001:db8::1");
    ck_assert_str_eq(s.hosts[0].hostname, "a.example.org");
    ck_assert_str_eq(s.hosts[0].ssh_password, "pw1");
    ck_assert_str_eq(params_get(s.override, "image_name"), "/lab/base");
    ck_assert_str_eq(params_get(s.override, "mem"), "256");
    ck_assert_str_eq(s.capabilities[0], "hugepages");
    ck_assert_str_eq(s.capabilities[1], "gluster");
    ck_assert_ptr_null(s.capabilities[2]);
    ck_assert_str_eq(s.libvirt_version, "9.0.0");
    ck_assert_str_eq(s.arch, "x86_64");
    struct run_host copy;
    run_host_copy(&copy, &s.hosts[0]);
    ck_assert_str_eq(copy.hostname, "a.example.org");
    ck_assert_ptr_ne(copy.hostname, s.hosts[0].hostname);
    run_host_free(&copy);
    /* vtrun config: the password shows as ****, the groups with their source */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    run_settings_print(&s, f);
    fclose(f);
    ck_assert_msg(strstr(buf, " ssh_password = \"****\";") && !strstr(buf, "pw1"), "%s", buf);
    ck_assert_msg(strstr(buf, "override = {    # "), "%s", buf);
    ck_assert_msg(strstr(buf, "  image_name = \"/lab/base\";\n"), "%s", buf);
    ck_assert_msg(strstr(buf, "capabilities = [ \"hugepages\", \"gluster\" ];    # "), "%s", buf);
    free(buf);
    run_settings_free(&s);
    free(p);
}
END_TEST

START_TEST(test_bad_porting_settings_are_errors_with_file_and_line)
{
    expect_error("capabilities = [ \"hugepages\",\n \"hugepage\" ];\n",
                 "bad.conf:2: capabilities: 'hugepage' is not a capability (known: hugepages, ");
    expect_error("capabilities = \"hugepages\";\n", "bad.conf:1: 'capabilities' must be a list");
    expect_error("override = ( 1 );\n", "bad.conf:1: 'override' must be a group");
    expect_error("override = { mem = 1.5; };\n",
                 "bad.conf:1: override value 'mem' must be a string or an integer");
    expect_error("libvirt_version = \"nine\";\n", "bad.conf:1: 'libvirt_version': 'nine' is "
                 "not a version (expected MAJOR.MINOR[.MICRO], e.g. 9.0.0)");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("settings");
    TCase *tc = tcase_create("settings");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_defaults_without_any_file);
    tcase_add_test(tc, test_full_file_is_read_with_sources);
    tcase_add_test(tc, test_later_file_overrides_single_keys);
    tcase_add_test(tc, test_unknown_key_is_an_error_with_file_and_line);
    tcase_add_test(tc, test_wrong_type_is_an_error_with_file_and_line);
    tcase_add_test(tc, test_bad_values_are_errors_with_file_and_line);
    tcase_add_test(tc, test_syntax_error_names_the_line);
    tcase_add_test(tc, test_junit_settings_take_only_their_words);
    tcase_add_test(tc, test_history_defaults_to_the_results_dir_and_empty_turns_it_off);
    tcase_add_test(tc, test_host_without_uri_is_an_error);
    tcase_add_test(tc, test_unknown_host_key_is_an_error);
    tcase_add_test(tc, test_missing_explicit_file_is_an_error);
    tcase_add_test(tc, test_print_names_the_source_of_each_setting);
    tcase_add_test(tc, test_host_ssh_keys_are_read_and_the_password_is_never_printed);
    tcase_add_test(tc, test_bad_host_ssh_values_are_errors_with_file_and_line);
    tcase_add_test(tc, test_override_capabilities_and_host_facts_are_read);
    tcase_add_test(tc, test_bad_porting_settings_are_errors_with_file_and_line);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
