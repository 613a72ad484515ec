/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vtrun command line, run as a real process: the binary comes from $VTRUN (set by
 * `make check`), configs from tests/cfg/ (tests run from the top of the repository).
 * Every option of --help, each usage error, each config error path, SIGINT during a
 * listing, and the man page against --help.
 */
#include "lib/strbuf.h"
#include "tests/support.h"

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* vtrun ARGS with the extra environment ENV ("K=V", may be NULL); at most the last MiB
 * of a streaming listing's stdout is kept (tests look at its end). */
static struct ts_vtrun run_env(const char *const *args, const char *const *env)
{
    struct ts_vtrun r;
    ts_vtrun_run(&r, args, &(struct ts_vtrun_opts){ .env = env, .keep_tail = 1u << 20 });
    return r;
}

#define RUN(...) run_env(TS_ARGS(__VA_ARGS__), NULL)

/* vtrun ARGS with ENV, all of stdout kept: a kept tail starts wherever the reads of a
 * busy machine happened to split the stream, so two tails of one output can differ. */
static struct ts_vtrun run_whole(const char *const *args, const char *const *env)
{
    struct ts_vtrun r;
    ts_vtrun_run(&r, args, &(struct ts_vtrun_opts){ .env = env });
    return r;
}

static void expect_usage_error(struct ts_vtrun r, const char *mention)
{
    ck_assert_msg(r.status == 2, "exit %d, expected 2 (stderr: %s)", r.status, r.err.buf);
    ck_assert_str_eq(r.out.buf, "");
    ck_assert_msg(strstr(r.err.buf, mention), "stderr '%s' does not mention '%s'",
                  r.err.buf, mention);
    ts_vtrun_release(&r);
}

static bool starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, deduplicated "--option" words of TEXT, one per line. */
static char *long_options(const char *text)
{
    char *words[256];
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, "--")); ) {
        const char *s = p + 2, *e = s;
        while (islower((unsigned char)*e) || (*e == '-' && e > s && islower((unsigned char)e[1])))
            e++;
        if (e > s && (p == text || !isalnum((unsigned char)p[-1]))) {
            char *w = xstrndup(p, (size_t)(e - p));
            bool dup = false;
            for (size_t i = 0; i < n && !dup; i++)
                dup = !strcmp(words[i], w);
            if (dup || n == 256)
                free(w);
            else
                words[n++] = w;
        }
        p = e;
    }
    qsort(words, n, sizeof(*words), cmp_str);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        strbuf_addf(&sb, "%s\n", words[i]);
        free(words[i]);
    }
    return strbuf_detach(&sb, NULL);
}

/* ---- help, version, man page ----------------------------------------------------- */

START_TEST(test_help_prints_usage_and_every_option)
{
    struct ts_vtrun r = RUN("--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "usage: vtrun"));
    static const char *const opts[] = { "--config", "--only", "--no", "--set", "--list",
                                        "--short", "--count", "--dump", "--defaults",
                                        "--expand", "--help", "--version", "cfg-dump" };
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
        ck_assert_msg(strstr(r.out.buf, opts[i]), "--help does not mention %s", opts[i]);
    ck_assert_str_eq(r.err.buf, "");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_help_wins_over_other_options)
{
    struct ts_vtrun r = RUN("--list", "--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "usage: vtrun"));
    ts_vtrun_release(&r);
    r = RUN("-h");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "usage: vtrun"));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_version_prints_one_line)
{
    struct ts_vtrun r = RUN("--version");
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(strncmp(r.out.buf, "vtrun ", 6), 0);
    ck_assert_uint_eq(count_lines(r.out.buf), 1);
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_capital_v_prints_the_version)
{
    struct ts_vtrun a = RUN("--version"), b = RUN("-V");
    ck_assert_int_eq(b.status, 0);
    ck_assert_str_eq(b.out.buf, a.out.buf);
    ts_vtrun_release(&a);
    ts_vtrun_release(&b);
}
END_TEST

START_TEST(test_man_page_documents_exactly_the_options_of_help)
{
    struct ts_vtrun r = RUN("--help");
    ck_assert_int_eq(r.status, 0);
    char *man = ts_read("docs/vtrun.1");
    /* groff writes a literal minus as "\-" */
    struct strbuf plain = STRBUF_INIT;
    for (const char *p = man; *p; p++) {
        if (p[0] == '\\' && p[1] == '-')
            continue;
        strbuf_addch(&plain, *p);
    }
    char *from_help = long_options(r.out.buf);
    char *from_man = long_options(plain.buf);
    ck_assert_msg(strlen(from_help) > 0, "no option found in --help");
    ck_assert_str_eq(from_man, from_help);
    ck_assert_ptr_nonnull(strstr(plain.buf, "cfg-dump"));
    ck_assert_ptr_nonnull(strstr(plain.buf, ".TH VTRUN 1"));
    free(from_help);
    free(from_man);
    free(man);
    strbuf_release(&plain);
    ts_vtrun_release(&r);
}
END_TEST

/* ---- usage errors ---------------------------------------------------------------------- */

START_TEST(test_no_arguments_prints_usage_and_exits_2)
{
    struct ts_vtrun r = run_env(TS_ARGS(NULL), NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err.buf, "usage: vtrun"));
    ck_assert_str_eq(r.out.buf, "");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_unknown_option_exits_2)
{
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--bogus", "--list"),
                       "--bogus");
}
END_TEST

START_TEST(test_unknown_option_names_the_closest_one)
{
    expect_usage_error(RUN("--confg", "tests/cfg/basic.cfg", "--list"),
                       "unknown option '--confg'; did you mean '--config'?");
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--lsit"),
                       "did you mean '--list'?");
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--vt-only-fitler", "x"),
                       "did you mean '--vt-only-filter'?");
    /* avocado-vt's options vtrun has no use for: say which it takes */
    expect_usage_error(RUN("--vt-config", "tests/cfg/basic.cfg", "--vt-guest-os", "X"),
                       "vtrun takes --vt-config, --vt-only-filter, --vt-no-filter and "
                       "--vt-extra-params");
    /* nothing close: no wild guess */
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--xyzzy-plugh");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_null(strstr(r.err.buf, "did you mean"));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_unknown_command_names_the_closest_one)
{
    expect_usage_error(RUN("mrege", "a", "--out", "b"), "did you mean 'merge'?");
    expect_usage_error(RUN("lsit", "--config", "tests/cfg/basic.cfg"),
                       "did you mean 'list'?");
}
END_TEST

/* A backend vtrun does not have is one line and exit 2 before settings, results or any
 * test (it used to be an ERROR of every test).  A job: the front execs vtrun-full. */
START_TEST(test_unknown_backend_exits_2_with_one_line)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--backend", "foo");
    ck_assert_str_eq(r.err.buf, "vtrun: --backend: unknown backend (vm_type) 'foo'; known: "
                     "libvirt, qemu\n");
    expect_usage_error(r, "--backend");
}
END_TEST

START_TEST(test_option_without_its_argument_exits_2)
{
    expect_usage_error(RUN("--list", "--config"), "--config");
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--list", "--only"), "--only");
}
END_TEST

START_TEST(test_flag_given_a_value_exits_2)
{
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--list=yes"), "--list");
}
END_TEST

START_TEST(test_positional_argument_exits_2)
{
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--list", "extra"), "extra");
}
END_TEST

START_TEST(test_listing_options_are_exclusive)
{
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--list", "--count"),
                       "--count");
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--dump", "--list"),
                       "--dump");
}
END_TEST

START_TEST(test_short_needs_list)
{
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--count", "--short"),
                       "--short");
}
END_TEST

START_TEST(test_listing_needs_config)
{
    expect_usage_error(RUN("--list"), "--config");
}
END_TEST

START_TEST(test_config_given_twice_exits_2)
{
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--config", "x.cfg", "--list"),
                       "--config");
}
END_TEST

START_TEST(test_empty_expand_exits_2)
{
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--count", "--expand", ","),
                       "--expand");
}
END_TEST

/* Jobs themselves are tested on the lab (tests/e2e/test_runner*.c); here only that
 * the job path is reached and --dry-run runs nothing. */
START_TEST(test_dry_run_lists_the_job_without_running_it)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--dry-run");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "(1/10) "));
    ck_assert_ptr_nonnull(strstr(r.out.buf, "(10/10) "));
    ck_assert_ptr_null(strstr(r.out.buf, "JOB ID"));
    ts_vtrun_release(&r);
}
END_TEST

/* The params --dry-run prints hide secrets: a secret key's value, and one inside
 * another value (tp-libvirt's func_param dicts carry server_pwd). */
START_TEST(test_dry_run_masks_secrets)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--dry-run", "--set",
                            "migrate_dest_pwd = hunter2secret", "--set",
                            "action_during_mig = [{\"func_param\": {\"server_pwd\": "
                            "\"hunter2secret\"}}]");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "    migrate_dest_pwd = ****\n"));
    ck_assert_ptr_nonnull(strstr(r.out.buf, "\"server_pwd\": \"****\""));
    ck_assert_ptr_null(strstr(r.out.buf, "hunter2secret"));
    ts_vtrun_release(&r);
}
END_TEST

/* ---- config errors ---------------------------------------------------------------------- */

START_TEST(test_missing_config_file_exits_2_naming_it)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/no-such.cfg", "--list");
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out.buf, "");
    ck_assert_ptr_nonnull(strstr(r.err.buf, "tests/cfg/no-such.cfg"));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_malformed_config_prints_file_line_and_exits_2)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/errors/syntax.cfg", "--list");
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out.buf, "");
    ck_assert_msg(starts_with(r.err.buf, "tests/cfg/errors/syntax.cfg:4: "),
                  "stderr: %s", r.err.buf);
    ck_assert_uint_eq(count_lines(r.err.buf), 1);
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_malformed_statement_is_reported_as_string)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--set", "only a , b", "--count");
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out.buf, "");
    ck_assert_msg(starts_with(r.err.buf, "<string>:1: "), "stderr: %s", r.err.buf);
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_missing_include_names_path_and_includer)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/errors/missing-include.cfg", "--dump");
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out.buf, "");
    ck_assert_msg(starts_with(r.err.buf, "tests/cfg/errors/missing-include.cfg:3: "),
                  "stderr: %s", r.err.buf);
    ck_assert_ptr_nonnull(strstr(r.err.buf, "no/such/file.cfg"));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_include_cycle_names_the_chain)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/errors/cycle-a.cfg", "--count");
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out.buf, "");
    ck_assert_msg(starts_with(r.err.buf, "tests/cfg/errors/cycle-b.cfg:3: "),
                  "stderr: %s", r.err.buf);
    ck_assert_ptr_nonnull(strstr(strchr(r.err.buf, ' '), "cycle-a.cfg"));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_expansion_error_keeps_printed_cases_and_exits_2)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/errors/postfix.cfg", "--dump");
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(strncmp(r.out.buf, "== good\n", 8), 0);
    ck_assert_ptr_null(strstr(r.out.buf, "== bad"));
    ck_assert_ptr_nonnull(strstr(r.out.buf, "\ntimeout=5\n"));
    ck_assert_msg(starts_with(r.err.buf, "tests/cfg/errors/postfix.cfg:8: "),
                  "stderr: %s", r.err.buf);
    ts_vtrun_release(&r);
}
END_TEST

/* ---- listing --------------------------------------------------------------------------- */

static const char basic_names[] =
    "default.(disk=qcow2).(guest=RHEL).(guest=9)\n"
    "default.(disk=qcow2).(guest=Win)\n"
    "default.(disk=raw).(guest=RHEL).(guest=9)\n"
    "default.(disk=raw).(guest=Win)\n"
    "migrate.(disk=qcow2).(guest=RHEL).(guest=9)\n"
    "migrate.(disk=qcow2).(guest=Win)\n"
    "boot.(disk=qcow2).(guest=RHEL).(guest=9)\n"
    "boot.(disk=qcow2).(guest=Win)\n"
    "boot.(disk=raw).(guest=RHEL).(guest=9)\n"
    "boot.(disk=raw).(guest=Win)\n";

START_TEST(test_list_prints_one_name_per_line)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--list");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, basic_names);
    ck_assert_str_eq(r.err.buf, "");
    ts_vtrun_release(&r);
}
END_TEST

/* avocado-vt's spellings are the same options, not look-alikes. */
START_TEST(test_avocado_vt_spellings_do_what_vtrun_options_do)
{
    struct ts_vtrun a = RUN("--config", "tests/cfg/basic.cfg", "--only", "boot qcow2",
                       "--no", "Win", "--list");
    struct ts_vtrun b = RUN("--vt-config", "tests/cfg/basic.cfg", "--vt-only-filter",
                       "boot qcow2", "--vt-no-filter", "Win", "--list");
    ck_assert_int_eq(a.status, 0);
    ck_assert_int_eq(b.status, 0);
    ck_assert_str_eq(a.out.buf, "boot.(disk=qcow2).(guest=RHEL).(guest=9)\n");
    ck_assert_str_eq(b.out.buf, a.out.buf);
    ts_vtrun_release(&a);
    ts_vtrun_release(&b);

    /* --vt-extra-params k=v is the assignment "k = v", repeatable */
    a = RUN("--config", "tests/cfg/basic.cfg", "--only", "boot..raw..RHEL",
            "--vt-extra-params", "mem=4096", "--vt-extra-params", "note=a=b", "--dump");
    ck_assert_int_eq(a.status, 0);
    ck_assert_ptr_nonnull(strstr(a.out.buf, "\nmem=4096\n"));
    ck_assert_ptr_nonnull(strstr(a.out.buf, "\nnote=a=b\n"));
    ts_vtrun_release(&a);
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--vt-extra-params", "mem",
                           "--list"), "--vt-extra-params wants key=value, got 'mem'");
}
END_TEST

/* `vtrun list`: the names a job reports, avocado-vt's rule: the subtests.cfg part of
 * the name when the config has one, else the shortname. */
START_TEST(test_list_command_prints_avocado_vt_names)
{
    struct ts_vtrun r = RUN("list", "--config", "tests/cfg/avt/top.cfg");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "type_specific.io-github-autotest-libvirt.boot\n"
                                "type_specific.io-github-autotest-libvirt.migrate.precopy\n"
                                "type_specific.io-github-autotest-libvirt.migrate.postcopy\n"
                                "type_specific.io-github-autotest-libvirt.boot\n"
                                "type_specific.io-github-autotest-libvirt.migrate.precopy\n"
                                "type_specific.io-github-autotest-libvirt.migrate.postcopy\n");
    ts_vtrun_release(&r);
    /* no subtests.cfg: the shortname, as avocado-vt with a config of one's own */
    r = RUN("list", "--vt-config", "tests/cfg/basic.cfg", "--vt-only-filter", "boot");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "boot.qcow2\nboot.qcow2.Win\nboot.raw\nboot.raw.Win\n");
    ts_vtrun_release(&r);
    /* references keep the cases matching any of them; --full-names the Cartesian ones */
    r = RUN("list", "--config", "tests/cfg/avt/top.cfg", "--full-names", "raw..precopy",
            "qcow2..boot");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf,
                     "qcow2.(subtest=type_specific).(subtest=io-github-autotest-libvirt).boot\n"
                     "raw.(subtest=type_specific).(subtest=io-github-autotest-libvirt)."
                     "migrate.precopy\n");
    ts_vtrun_release(&r);
    /* a listing option wins over the sub-command's */
    r = RUN("list", "--config", "tests/cfg/avt/top.cfg", "--count");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "6\n");
    ts_vtrun_release(&r);
}
END_TEST

/* A job on settings without hosts: every case CANCELs before starting anything. */
static struct ts_vtrun empty_night(const char *results, bool allow)
{
    char *conf = xasprintf("%s.conf", results);
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs("hosts = ();\n", f);
    fclose(f);
    /* the lab's settings, if any, must not lend their hosts */
    struct ts_vtrun r = run_env(TS_ARGS("run", "--settings", conf, "--config",
                                        "tests/cfg/avt/top.cfg", "--only", "qcow2",
                                        "--job-results-dir", results,
                                        allow ? "--allow-empty" : NULL),
                                TS_ARGS("VTRUN_SETTINGS="));
    free(conf);
    return r;
}

START_TEST(test_a_job_where_no_case_ran_says_so_and_exits_2)
{
    char tmpl[] = "/tmp/vtrun-cli-XXXXXX", *dir = mkdtemp(tmpl);
    char *results = xasprintf("%s/results", dir), *latest;
    struct ts_vtrun r = empty_night(results, false);
    ck_assert_msg(r.status == 2, "exit %d\n%s%s", r.status, r.out.buf, r.err.buf);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "CANCEL 3\nEMPTY JOB  : no case ran: all 3 "
                                            "cases stopped before starting anything"));
    ck_assert_ptr_nonnull(strstr(r.out.buf, "(the first: test type 'boot' needs VMs"));
    /* the job went where --job-results-dir said, and its results.json says it too */
    latest = xasprintf("%s/latest/results.json", results);
    char *json = ts_read(latest);
    ck_assert_ptr_nonnull(strstr(json, "\"job_error\": true"));
    ck_assert_ptr_nonnull(strstr(json, "\"note\": \"no case ran"));
    free(json);
    ts_vtrun_release(&r);
    /* --allow-empty: still said, exit 0 */
    r = empty_night(results, true);
    ck_assert_msg(r.status == 0, "exit %d\n%s%s", r.status, r.out.buf, r.err.buf);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "EMPTY JOB  : no case ran"));
    ck_assert_ptr_nonnull(strstr(r.out.buf, "allowed by --allow-empty"));
    ck_assert_ptr_null(strstr(r.out.buf, "NAMES "));
    ts_vtrun_release(&r);
    /* qcow2 and raw cases share avocado-vt's names: said, since CI keeps one each */
    char *conf = xasprintf("%s.conf", results);
    r = run_env(TS_ARGS("run", "--settings", conf, "--config", "tests/cfg/avt/top.cfg",
                        "--job-results-dir", results, "--allow-empty"),
                TS_ARGS("VTRUN_SETTINGS="));
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "NAMES      : 3 of 6 cases have a test name "
                                            "another case has"));
    ts_vtrun_release(&r);
    free(conf);
    free(latest);
    free(results);
    ts_rmtree(dir);
}
END_TEST

START_TEST(test_list_short_prints_shortnames)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--list", "--short");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "qcow2\nqcow2.Win\nraw\nraw.Win\n"
                                "migrate.qcow2\nmigrate.qcow2.Win\n"
                                "boot.qcow2\nboot.qcow2.Win\nboot.raw\nboot.raw.Win\n");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_count_prints_number_of_cases)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--count");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "10\n");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_dump_prints_canonical_dump)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--only", "migrate..RHEL", "--dump");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf,
        "== migrate.(disk=qcow2).(guest=RHEL).(guest=9)\n"
        "_name_map_file={\"basic.cfg\": \"migrate.(disk=qcow2)\", "
        "\"guests.cfg\": \"(guest=RHEL).(guest=9)\"}\n"
        "_short_name_map_file={\"basic.cfg\": \"migrate.qcow2\", \"guests.cfg\": \"RHEL.9\"}\n"
        "dep=[]\n"
        "disk=qcow2\n"
        "guest=RHEL.9\n"
        "image_format=qcow2\n"
        "mem=1024\n"
        "mem_vm2=2048\n"
        "migrate_speed=1G\n"
        "name=migrate.(disk=qcow2).(guest=RHEL).(guest=9)\n"
        "os=linux\n"
        "shortname=migrate.qcow2\n"
        "type=migrate\n"
        "vms=vm1 vm2\n"
        "\n");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_list_names_match_dump_headers)
{
    /* --list takes the engine's names-only path, --dump the full one: same cases */
    static const char *const sets[] = { "x = 1", "no Win", "join boot, migrate" };
    for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
        struct ts_vtrun l = RUN("--config", "tests/cfg/basic.cfg", "--set", sets[i], "--list");
        struct ts_vtrun d = RUN("--config", "tests/cfg/basic.cfg", "--set", sets[i], "--dump");
        ck_assert_int_eq(l.status, 0);
        ck_assert_int_eq(d.status, 0);
        struct strbuf heads = STRBUF_INIT;
        for (const char *p = d.out.buf; (p = strstr(p, "== ")); p++) {
            if (p != d.out.buf && p[-1] != '\n')
                continue;
            const char *e = strchr(p, '\n');
            strbuf_add(&heads, p + 3, (size_t)(e - p - 2));
        }
        ck_assert_msg(l.out.len > 0, "no case for '%s'", sets[i]);
        ck_assert_str_eq(l.out.buf, heads.buf);
        strbuf_release(&heads);
        ts_vtrun_release(&l);
        ts_vtrun_release(&d);
    }
}
END_TEST

START_TEST(test_only_words_become_separate_statements)
{
    /* "only boot Win" would be an OR; two statements are an AND */
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--only", " boot\tWin ", "--list");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "boot.(disk=qcow2).(guest=Win)\nboot.(disk=raw).(guest=Win)\n");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_no_words_become_separate_statements)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--no", "default boot", "--no",
                       "Win", "--list");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "migrate.(disk=qcow2).(guest=RHEL).(guest=9)\n");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_repeated_only_options_all_apply)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--only", "boot", "--only=raw",
                       "--count");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "2\n");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_set_appends_statement_verbatim)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--set", "mem <= 4x",
                       "--set", "variants extra:\n    - e1:\n    - e2:",
                       "--only", "migrate..Win", "--dump");
    ck_assert_int_eq(r.status, 0);
    ck_assert_uint_eq(count_lines(r.out.buf) > 0, 1);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "== (extra=e1).migrate.(disk=qcow2).(guest=Win)\n"));
    ck_assert_ptr_nonnull(strstr(r.out.buf, "== (extra=e2).migrate.(disk=qcow2).(guest=Win)\n"));
    ck_assert_ptr_nonnull(strstr(r.out.buf, "\nmem=4x1024\n"));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_statements_apply_in_command_line_order)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--set", "x = 1", "--only", "boot",
                       "--set", "x += 2", "--no", "raw", "--set", "x += ${type}",
                       "--list", "--short");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "boot.qcow2\nboot.qcow2.Win\n");
    ts_vtrun_release(&r);
    r = RUN("--config", "tests/cfg/basic.cfg", "--set", "x = 1", "--only", "boot",
            "--set", "x += 2", "--no", "raw", "--set", "x += ${type}", "--set", "mem = ${x}",
            "--dump");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out.buf, "\nx=12boot\n"));
    ck_assert_ptr_nonnull(strstr(r.out.buf, "\nmem=12boot\n"));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_defaults_selects_defaults_mode)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/defaults.cfg", "--defaults", "--list");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "(machine=q35).(os=lin)\n");
    ts_vtrun_release(&r);
    r = RUN("--config", "tests/cfg/defaults.cfg", "--count");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "4\n");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_expand_implies_defaults_and_expands_named_blocks)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/defaults.cfg", "--expand", "os", "--list");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "(machine=q35).(os=win)\n(machine=q35).(os=lin)\n");
    ts_vtrun_release(&r);
    r = RUN("--config", "tests/cfg/defaults.cfg", "--defaults", "--expand=os,machine",
            "--count");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out.buf, "4\n");
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_cfg_dump_matches_dump_option)
{
    struct ts_vtrun a = RUN("--config", "tests/cfg/basic.cfg", "--only", "boot", "--set", "k = v",
                       "--dump");
    struct ts_vtrun b = RUN("cfg-dump", "tests/cfg/basic.cfg", "only boot", "k = v");
    ck_assert_int_eq(a.status, 0);
    ck_assert_int_eq(b.status, 0);
    ck_assert_str_eq(a.out.buf, b.out.buf);
    ts_vtrun_release(&a);
    ts_vtrun_release(&b);
    a = RUN("--config", "tests/cfg/defaults.cfg", "--expand", "os", "--dump");
    b = run_env(TS_ARGS("cfg-dump", "tests/cfg/defaults.cfg"),
                TS_ARGS("CC_DEFAULTS=1", "CC_EXPAND=os"));
    ck_assert_int_eq(a.status, 0);
    ck_assert_int_eq(b.status, 0);
    ck_assert_str_eq(a.out.buf, b.out.buf);
    ts_vtrun_release(&a);
    ts_vtrun_release(&b);
}
END_TEST

START_TEST(test_dump_is_the_same_in_any_number_of_threads)
{
    const char *cmds[][8] = {
        { "--config", "tests/cfg/basic.cfg", "--dump", NULL },
        /* 2^10 cases: blocks 0..29 pinned */
        { "--config", "tests/cfg/huge.cfg", "--only",
          "a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15 a16 a17 a18 a19 a20 a21 a22 a23 a24 a25 a26 a27 a28 a29",
          "--dump", NULL },
        { "cfg-dump", "tests/cfg/basic.cfg", "only boot", NULL },
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        struct ts_vtrun one = run_whole(cmds[i], TS_ARGS("VTRUN_THREADS=1"));
        struct ts_vtrun two = run_whole(cmds[i], TS_ARGS("VTRUN_THREADS=2"));
        ck_assert_int_eq(one.status, 0);
        ck_assert_int_eq(two.status, 0);
        ck_assert_msg(one.out.len > 100, "%s: %zu bytes", cmds[i][1], one.out.len);
        /* not ck_assert_str_eq: check cannot carry a message of a MiB */
        ck_assert_msg(one.out.len == two.out.len && !memcmp(one.out.buf, two.out.buf, one.out.len),
                      "%s: the dump differs in 1 and 2 threads (%zu and %zu bytes)",
                      cmds[i][1], one.out.len, two.out.len);
        ts_vtrun_release(&one);
        ts_vtrun_release(&two);
    }
}
END_TEST

/* ---- streaming memory ------------------------------------------------------------- */

/* Peak RSS in KiB of `vtrun --config tests/cfg/huge.cfg --only ... --list` with blocks
 * FIXED..39 pinned to their a-item (2^FIXED cases), stdout to /dev/null. */
static long list_huge_peak_kib(int fixed)
{
    struct strbuf f = STRBUF_INIT;
    strbuf_addf(&f, "a%d", fixed);
    for (int i = fixed + 1; i < 40; i++)
        strbuf_addf(&f, "..a%d", i);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execl(ts_vtrun_bin(), "vtrun", "--config", "tests/cfg/huge.cfg", "--only", f.buf, "--list",
              (char *)NULL);
        _exit(127);
    }
    int st;
    struct rusage ru;
    ck_assert_int_eq(wait4(pid, &st, 0, &ru), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    strbuf_release(&f);
    return ru.ru_maxrss;
}

START_TEST(test_listing_memory_does_not_grow_with_cases)
{
    long small = list_huge_peak_kib(8);     /* 256 cases */
    long big = list_huge_peak_kib(20);      /* 1,048,576 cases */
    ck_assert_msg(big < small + 4096, "peak RSS %ld KiB for 2^20 cases, %ld KiB for 2^8",
                  big, small);
}
END_TEST

/* ---- SIGINT ---------------------------------------------------------------------------- */

static void expect_prompt_interrupt(const char *action)
{
    struct ts_vtrun r;
    ts_vtrun_run(&r, TS_ARGS("--config", "tests/cfg/huge.cfg", action),
                 &(struct ts_vtrun_opts){ .sigint_after_bytes = 200000,
                                          .keep_tail = 1u << 20 });
    double secs = r.sigint_secs;
    ck_assert_msg(r.status == 130, "exit %d after SIGINT, expected 130", r.status);
    ck_assert_msg(secs >= 0 && secs < 2.0, "took %.2f s to stop", secs);
    ck_assert_msg(r.out.len > 0 && r.out.buf[r.out.len - 1] == '\n',
                  "output ends with half a line");
    if (!strcmp(action, "--dump")) {
        ck_assert_msg(r.out.len >= 2 && r.out.buf[r.out.len - 2] == '\n',
                      "output ends with half a case");
    }
    ck_assert_ptr_nonnull(strstr(r.err.buf, "interrupted"));
    ts_vtrun_release(&r);
}

START_TEST(test_sigint_stops_list_at_once_without_half_lines)
{
    expect_prompt_interrupt("--list");
}
END_TEST

START_TEST(test_sigint_stops_dump_at_once_without_half_cases)
{
    expect_prompt_interrupt("--dump");
}
END_TEST

START_TEST(test_sigint_stops_count_of_huge_product)
{
    struct ts_vtrun r;
    ts_vtrun_run(&r, TS_ARGS("--config", "tests/cfg/huge.cfg", "--count"),
                 &(struct ts_vtrun_opts){ .sigint_after_ms = 500 });
    ck_assert_msg(r.sigint_secs < 2.0, "took %.2f s to stop", r.sigint_secs);
    ck_assert(r.signal == 0);
    /* an engine may count this product before the signal arrives: then it must be right */
    if (r.status == 0)
        ck_assert_str_eq(r.out.buf, "1099511627776\n");
    else {
        ck_assert_int_eq(r.status, 130);
        ck_assert_str_eq(r.out.buf, "");
    }
    ts_vtrun_release(&r);
}
END_TEST

/* ---- --explain ------------------------------------------------------------------------- */

/* The unindented lines after "params (" of the first case explained in TEXT, up to the
 * empty line that ends it. */
static char *explained_params(const char *text)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p = strstr(text, "\nparams (");
    ck_assert_msg(p != NULL, "no params in:\n%s", text);
    for (p = strchr(p + 1, '\n') + 1; *p && *p != '\n';) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
        if (*p != ' ')
            strbuf_add(&sb, p, len);
        p += len;
    }
    return strbuf_detach(&sb, NULL);
}

/* --explain of every case of CFG (with FLAG, e.g. --defaults, or NULL) prints its --dump
 * block as its params. */
static void explain_every_case(const char *cfg, const char *flag)
{
    const char *argv[8];
    size_t n = 0;
    argv[n++] = "--config";
    argv[n++] = cfg;
    if (flag)
        argv[n++] = flag;
    argv[n++] = "--dump";
    argv[n] = NULL;
    struct ts_vtrun d = run_env(argv, NULL);
    ck_assert_int_eq(d.status, 0);
    argv[n - 1] = "--explain";
    size_t cases = 0;
    for (const char *p = d.out.buf; (p = strstr(p, "== ")); cases++) {
        const char *e = strchr(p, '\n'), *end = strstr(e, "\n\n");
        char *name = xstrndup(p + 3, (size_t)(e - p - 3));
        char *want = xstrndup(e + 1, (size_t)(end - e));
        argv[n] = name;
        argv[n + 1] = NULL;
        struct ts_vtrun x = run_env(argv, NULL);
        ck_assert_msg(x.status == 0, "--explain '%s': exit %d: %s", name, x.status, x.err.buf);
        char *got = explained_params(x.out.buf);
        ck_assert_msg(!strcmp(got, want), "--explain '%s' params:\n%s\n--dump:\n%s", name, got,
                      want);
        free(got);
        free(want);
        free(name);
        ts_vtrun_release(&x);
        p = end + 2;
    }
    ck_assert_uint_gt(cases, 0);
    ts_vtrun_release(&d);
}

/* TEXT has a line "  LOC  ...WHAT..." (the location column is padded). */
static bool has_row(const char *text, const char *loc, const char *what)
{
    for (const char *p = text; (p = strstr(p, loc)); p++) {
        const char *bol = p;
        while (bol > text && bol[-1] != '\n')
            bol--;
        const char *eol = strchr(p, '\n');
        char *line = xstrndup(bol, eol ? (size_t)(eol - bol) : strlen(bol));
        bool ok = p - bol == 2 && p[strlen(loc)] == ' ' && strstr(line, what);
        free(line);
        if (ok)
            return true;
    }
    return false;
}

#define expect_row(text, loc, what) \
    ck_assert_msg(has_row((text), (loc), (what)), "no row '%s ... %s' in:\n%s", (loc), \
                  (what), (text))

START_TEST(test_explain_prints_the_dump_of_every_case_of_the_test_configs)
{
    explain_every_case("tests/cfg/basic.cfg", NULL);
    explain_every_case("tests/cfg/defaults.cfg", "--defaults");
}
END_TEST

START_TEST(test_explain_names_the_included_file_and_its_lines)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--explain",
                       "migrate.(disk=qcow2).(guest=RHEL).(guest=9)");
    ck_assert_int_eq(r.status, 0);
    expect_row(r.out.buf, "tests/cfg/inc/guests.cfg:3", "variants guest:");
    expect_row(r.out.buf, "tests/cfg/inc/guests.cfg:4", "- @RHEL.9:");
    expect_row(r.out.buf, "tests/cfg/inc/guests.cfg:4", "- RHEL.9:  (variants guest:)");
    expect_row(r.out.buf, "tests/cfg/inc/guests.cfg:5", "os = linux");
    expect_row(r.out.buf, "tests/cfg/basic.cfg:17", "only qcow2");
    expect_row(r.out.buf, "tests/cfg/basic.cfg:20", "migrate..RHEL:");
    ck_assert_ptr_nonnull(strstr(r.out.buf, "\nmigrate_speed=1G\n  tests/cfg/basic.cfg:21 "));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_explain_of_a_case_the_filters_drop_exits_1_naming_the_filter)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--only", "boot", "--explain",
                       "migrate.qcow2");
    ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err.buf);
    ck_assert_str_eq(r.err.buf, "");
    const char *drop = strstr(r.out.buf, "not listed: the filters drop it\ndropped by:\n");
    ck_assert_ptr_nonnull(drop);
    expect_row(drop, "<string>:1", "only boot");
    ck_assert(starts_with(strstr(drop, "\n  ") + 3, "<string>:1 "));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_explain_of_an_unknown_name_exits_2_with_one_error)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--explain", "nosuch.case");
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out.buf, "");
    ck_assert_uint_eq(count_lines(r.err.buf), 1);
    ck_assert_ptr_nonnull(strstr(r.err.buf, "'nosuch.case'"));
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_explain_json_is_one_object)
{
    struct ts_vtrun r = RUN("--config", "tests/cfg/basic.cfg", "--explain", "boot.raw", "--json");
    ck_assert_int_eq(r.status, 0);
    ck_assert(starts_with(r.out.buf, "{\"query\": \"boot.raw\", \"listed\": true, "
                                     "\"matched_by\": \"shortname\", \"count\": 1,"));
    ck_assert_uint_eq(count_lines(r.out.buf), 1);
    ts_vtrun_release(&r);
}
END_TEST

START_TEST(test_json_and_explain_usage_errors_exit_2)
{
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--list", "--json"), "--json");
    expect_usage_error(RUN("--config", "tests/cfg/basic.cfg", "--explain", "a", "--list"),
                       "--explain");
    expect_usage_error(RUN("--explain", "a"), "--config");
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    /* check's default is 4 s per test: a job or a 1,024-case dump under ASan on a
     * busy 2-core CI machine can take longer; a hang still fails, at 60 s */
    TCase *tc = tcase_create("help");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_help_prints_usage_and_every_option);
    tcase_add_test(tc, test_help_wins_over_other_options);
    tcase_add_test(tc, test_version_prints_one_line);
    tcase_add_test(tc, test_capital_v_prints_the_version);
    tcase_add_test(tc, test_man_page_documents_exactly_the_options_of_help);
    suite_add_tcase(s, tc);

    tc = tcase_create("usage");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_no_arguments_prints_usage_and_exits_2);
    tcase_add_test(tc, test_unknown_option_exits_2);
    tcase_add_test(tc, test_unknown_option_names_the_closest_one);
    tcase_add_test(tc, test_unknown_command_names_the_closest_one);
    tcase_add_test(tc, test_unknown_backend_exits_2_with_one_line);
    tcase_add_test(tc, test_option_without_its_argument_exits_2);
    tcase_add_test(tc, test_flag_given_a_value_exits_2);
    tcase_add_test(tc, test_positional_argument_exits_2);
    tcase_add_test(tc, test_listing_options_are_exclusive);
    tcase_add_test(tc, test_short_needs_list);
    tcase_add_test(tc, test_listing_needs_config);
    tcase_add_test(tc, test_config_given_twice_exits_2);
    tcase_add_test(tc, test_empty_expand_exits_2);
    tcase_add_test(tc, test_dry_run_lists_the_job_without_running_it);
    tcase_add_test(tc, test_dry_run_masks_secrets);
    suite_add_tcase(s, tc);

    tc = tcase_create("config_errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_missing_config_file_exits_2_naming_it);
    tcase_add_test(tc, test_malformed_config_prints_file_line_and_exits_2);
    tcase_add_test(tc, test_malformed_statement_is_reported_as_string);
    tcase_add_test(tc, test_missing_include_names_path_and_includer);
    tcase_add_test(tc, test_include_cycle_names_the_chain);
    tcase_add_test(tc, test_expansion_error_keeps_printed_cases_and_exits_2);
    suite_add_tcase(s, tc);

    tc = tcase_create("listing");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_list_prints_one_name_per_line);
    tcase_add_test(tc, test_list_short_prints_shortnames);
    tcase_add_test(tc, test_avocado_vt_spellings_do_what_vtrun_options_do);
    tcase_add_test(tc, test_list_command_prints_avocado_vt_names);
    tcase_add_test(tc, test_a_job_where_no_case_ran_says_so_and_exits_2);
    tcase_add_test(tc, test_count_prints_number_of_cases);
    tcase_add_test(tc, test_dump_prints_canonical_dump);
    tcase_add_test(tc, test_list_names_match_dump_headers);
    tcase_add_test(tc, test_only_words_become_separate_statements);
    tcase_add_test(tc, test_no_words_become_separate_statements);
    tcase_add_test(tc, test_repeated_only_options_all_apply);
    tcase_add_test(tc, test_set_appends_statement_verbatim);
    tcase_add_test(tc, test_statements_apply_in_command_line_order);
    tcase_add_test(tc, test_defaults_selects_defaults_mode);
    tcase_add_test(tc, test_expand_implies_defaults_and_expands_named_blocks);
    tcase_add_test(tc, test_cfg_dump_matches_dump_option);
    tcase_add_test(tc, test_dump_is_the_same_in_any_number_of_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("explain");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_explain_prints_the_dump_of_every_case_of_the_test_configs);
    tcase_add_test(tc, test_explain_names_the_included_file_and_its_lines);
    tcase_add_test(tc, test_explain_of_a_case_the_filters_drop_exits_1_naming_the_filter);
    tcase_add_test(tc, test_explain_of_an_unknown_name_exits_2_with_one_error);
    tcase_add_test(tc, test_explain_json_is_one_object);
    tcase_add_test(tc, test_json_and_explain_usage_errors_exit_2);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_listing_memory_does_not_grow_with_cases);
    suite_add_tcase(s, tc);

    tc = tcase_create("sigint");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_sigint_stops_list_at_once_without_half_lines);
    tcase_add_test(tc, test_sigint_stops_dump_at_once_without_half_cases);
    tcase_add_test(tc, test_sigint_stops_count_of_huge_product);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
