/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `make install`, as a packager and a user do it: DESTDIR and PREFIX place vtrun,
 * vtrun-full and the man page; the installed front finds vtrun-full beside itself
 * (called by its path, through PATH, through a symbolic link elsewhere); uninstall
 * removes what install put.  The build directory is the one of $VTRUN (`make check`).
 */
#include "lib/strbuf.h"
#include "tests/support.h"

#include <check.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

static void setup(void)
{
    dir = ts_tmpdir("res");
}

static void teardown(void)
{
    ts_rmtree(dir);
    free(dir);
}

/* make -s TARGET BUILD=... DESTDIR=dir PREFIX=/usr, for the build $VTRUN is from
 * (build-san is BUILD=build SANITIZE=1: the Makefile adds the suffix itself). */
static int make(const char *target)
{
    const char *v = getenv("VTRUN");
    ck_assert_msg(v && *v, "VTRUN is not set: run the tests with `make check`");
    char *copy = xstrdup(v), *build = xstrdup(dirname(copy));
    size_t n = strlen(build);
    bool san = n > 4 && !strcmp(build + n - 4, "-san");
    if (san)
        build[n - 4] = '\0';
    char *b = xasprintf("BUILD=%s", build), *d = xasprintf("DESTDIR=%s", dir);
    char *out = xasprintf("%s/make.out", dir);
    /* a make run by `make check` must not use the parent's job server */
    char *argv[] = { "env", "-u", "MAKEFLAGS", "-u", "MFLAGS", "-u", "MAKELEVEL", "make",
                     "-s", (char *)target, b, d, "PREFIX=/usr",
                     san ? "SANITIZE=1" : "SANITIZE=0", NULL };
    int rc = ts_run_files(argv, out, out, 300);
    if (rc != 0) {
        char *text = ts_read(out);
        ck_abort_msg("make %s exited %d: %.2000s", target, rc, text);
    }
    free(out);
    free(b);
    free(d);
    free(copy);
    free(build);
    return rc;
}

static void assert_mode(const char *rel, mode_t mode)
{
    char *p = xasprintf("%s%s", dir, rel);
    struct stat st;
    ck_assert_msg(stat(p, &st) == 0, "%s was not installed", p);
    ck_assert_msg((st.st_mode & 0777) == mode, "%s has mode %o, want %o", p,
                  st.st_mode & 0777, mode);
    free(p);
}

/* Run the installed vtrun as ARGV0 (a path, or a name looked up in PATH=path). */
static char *run_installed(const char *argv0, const char *path, const char *arg, int *rc)
{
    char *out = xasprintf("%s/run.out", dir), *text;
    char *p = xasprintf("PATH=%s", path);
    char *argv[] = { "env", p, (char *)argv0, (char *)arg, NULL };
    *rc = ts_run_files(argv, out, out, 60);
    text = ts_read(out);
    free(out);
    free(p);
    return text;
}

START_TEST(test_install_places_both_binaries_and_the_man_page)
{
    char *man, *bin, *link, *out;
    int rc;
    make("install");
    assert_mode("/usr/bin/vtrun", 0755);
    assert_mode("/usr/bin/vtrun-full", 0755);
    assert_mode("/usr/share/man/man1/vtrun.1", 0644);
    man = xasprintf("%s/usr/share/man/man1/vtrun.1", dir);
    out = ts_read(man);
    ck_assert_ptr_nonnull(strstr(out, ".TH VTRUN 1"));
    free(out);
    free(man);

    /* by its path: the front itself, then what it hands to vtrun-full */
    bin = xasprintf("%s/usr/bin/vtrun", dir);
    out = run_installed(bin, "/usr/bin:/bin", "--version", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(strncmp(out, "vtrun ", 6), 0);
    free(out);
    out = run_installed(bin, "/usr/bin:/bin", "--list-types", &rc);
    ck_assert_msg(rc == 0, "installed vtrun --list-types: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "virsh_migrate_stress"));
    free(out);

    /* on PATH, and through a symbolic link in another directory */
    free(bin);
    bin = xasprintf("%s/usr/bin:/usr/bin:/bin", dir);
    out = run_installed("vtrun", bin, "--list-types", &rc);
    ck_assert_msg(rc == 0, "vtrun from PATH: %s", out);
    free(out);
    link = xasprintf("%s/elsewhere", dir);
    ck_assert_int_eq(mkdir(link, 0755), 0);
    free(link);
    link = xasprintf("%s/elsewhere/vtrun", dir);
    free(bin);
    bin = xasprintf("%s/usr/bin/vtrun", dir);
    ck_assert_int_eq(symlink(bin, link), 0);
    out = run_installed(link, "/usr/bin:/bin", "--list-types", &rc);
    ck_assert_msg(rc == 0, "vtrun through a symbolic link: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "virsh_migrate_stress"));
    free(out);
    free(link);
    free(bin);

    make("uninstall");
    bin = xasprintf("%s/usr/bin/vtrun", dir);
    ck_assert_int_ne(access(bin, F_OK), 0);
    free(bin);
    bin = xasprintf("%s/usr/bin/vtrun-full", dir);
    ck_assert_int_ne(access(bin, F_OK), 0);
    free(bin);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("install");
    TCase *tc = tcase_create("install");
    SRunner *sr;
    int failed;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_install_places_both_binaries_and_the_man_page);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
