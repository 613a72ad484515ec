/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the results tests (tests/unit/test_res*.c): temporary directories,
 * running a program from an argv array with a time limit, reading files, and the
 * JUnit schema check with xmllint.
 */
#ifndef VTRUN_TESTS_RES_UTIL_H
#define VTRUN_TESTS_RES_UTIL_H

#include "lib/strbuf.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline char *ru_tmpdir(void)
{
    char tmpl[] = "/tmp/vtrun-res-XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert_msg(d != NULL, "mkdtemp failed");
    return xstrdup(d);
}

static inline int ru_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

static inline void ru_rmtree(const char *dir)
{
    nftw(dir, ru_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The results suites' fixture: a fresh temporary directory per test in ru_base
 * (tcase_add_checked_fixture(tc, ru_setup, ru_teardown)). */
static char *ru_base __attribute__((unused));

static inline void ru_setup(void)
{
    ru_base = ru_tmpdir();
}

static inline void ru_teardown(void)
{
    ru_rmtree(ru_base);
    free(ru_base);
}

static inline char *ru_read(const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    ck_assert_msg(strbuf_read_file(&sb, path, 0) >= 0, "cannot open %s", path);
    return strbuf_detach(&sb, NULL);
}

static inline size_t ru_count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Run argv with stdout to out_path (NULL: /dev/null) and stderr to err_path (NULL:
 * /dev/null), killing its process group after timeout_s.  Returns the exit status,
 * 128+signal when killed by a signal, -1 if it could not start. */
static inline int ru_run(char *const argv[], const char *out_path, const char *err_path,
                         int timeout_s)
{
    pid_t pid = fork();
    int status;
    struct timespec start, now;
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                       0644);
        int err = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                       0644);
        setpgid(0, 0);
        dup2(out, 1);
        dup2(err, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    setpgid(pid, pid);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= timeout_s) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        usleep(20000);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

/* xmllint --schema XSD: 0 when xml validates, else xmllint's status, its message in
 * *msg (NULL: dropped). */
static inline int ru_xsd_check(const char *xsd, const char *xml, char **msg)
{
    char errf[] = "/tmp/vtrun-res-xmllint-XXXXXX";
    int fd = mkstemp(errf);
    char *argv[] = { "xmllint", "--noout", "--schema", (char *)xsd, (char *)xml, NULL };
    int rc;
    ck_assert(fd >= 0);
    close(fd);
    rc = ru_run(argv, NULL, errf, 60);
    if (msg)
        *msg = ru_read(errf);
    unlink(errf);
    return rc;
}

/* Fails the test with xmllint's message unless xml validates against xsd. */
static inline void ru_assert_valid(const char *xsd, const char *xml)
{
    char *msg;
    int rc = ru_xsd_check(xsd, xml, &msg);
    if (rc != 0)
        ck_abort_msg("%s does not validate against %s (rc %d): %.2000s", xml, xsd, rc, msg);
    free(msg);
}

/* vtrun's own schema (results.xml as written by default). */
static inline void ru_assert_junit_valid(const char *xml)
{
    ru_assert_valid("tests/vtrun-junit.xsd", xml);
}

#endif
