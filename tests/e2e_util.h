/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the end-to-end tests of vtrun jobs (tests/e2e/test_runner*.c): run the
 * real binary ($VTRUN) from argv arrays with a private results directory, start it in
 * the background to signal it, read its results with jansson, and look at the lab
 * ($VTRUN_SETTINGS: its hosts) for what a job left behind.  Builds on tests/res_util.h.
 */
#ifndef VTRUN_TESTS_E2E_UTIL_H
#define VTRUN_TESTS_E2E_UTIL_H

#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_settings.h"
#include "tests/res_util.h"

#include <check.h>
#include <dirent.h>
#include <glob.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>

/* One test's world: a temporary directory holding a settings file whose only key is
 * results_dir (the lab's settings come first, from $VTRUN_SETTINGS, which vtrun reads
 * before --settings), and the outputs of the last run. */
struct eu {
    char *dir;
    char *settings;     /* dir/vtrun.conf */
    char *results;      /* dir/results */
    char *out_path, *err_path;
    int status;         /* exit status of the last eu_vtrun() */
    char *out, *err;    /* its stdout and stderr */
};

static inline const char *eu_bin(void)
{
    const char *v = getenv("VTRUN");
    ck_assert_msg(v && *v, "VTRUN is not set: run through `make check` / tests/e2e/run");
    ck_assert_msg(access("examples/boot.cfg", R_OK) == 0,
                  "examples/boot.cfg not found: run from the top of the repository");
    return v;
}

static inline void eu_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static inline void eu_init(struct eu *e)
{
    memset(e, 0, sizeof(*e));
    e->dir = ru_tmpdir();
    e->settings = xasprintf("%s/vtrun.conf", e->dir);
    e->results = xasprintf("%s/results", e->dir);
    e->out_path = xasprintf("%s/stdout", e->dir);
    e->err_path = xasprintf("%s/stderr", e->dir);
    char *text = xasprintf("results_dir = \"%s\";\n", e->results);
    eu_write(e->settings, text);
    free(text);
}

static inline void eu_free(struct eu *e)
{
    ru_rmtree(e->dir);
    free(e->dir);
    free(e->settings);
    free(e->results);
    free(e->out_path);
    free(e->err_path);
    free(e->out);
    free(e->err);
    memset(e, 0, sizeof(*e));
}

/* argv for vtrun: $VTRUN --settings <ours> ARGS... (NULL-terminated ARGS). */
static inline char **eu_argv(struct eu *e, const char *const *args, bool settings)
{
    size_t n = 0;
    while (args[n])
        n++;
    char **argv = xcalloc(n + 4, sizeof(*argv));
    size_t k = 0;
    argv[k++] = (char *)eu_bin();
    if (settings) {
        argv[k++] = "--settings";
        argv[k++] = e->settings;
    }
    for (size_t i = 0; i < n; i++)
        argv[k++] = (char *)args[i];
    return argv;
}

static inline void eu_collect(struct eu *e)
{
    free(e->out);
    free(e->err);
    e->out = ru_read(e->out_path);
    e->err = ru_read(e->err_path);
}

/* Run vtrun to the end (at most timeout_s); the exit status, stdout, stderr in *e.
 * Sub-commands (merge, config) must come first: settings = false for them. */
static inline int eu_run(struct eu *e, bool settings, int timeout_s, const char *const *args)
{
    char **argv = eu_argv(e, args, settings);
    e->status = ru_run(argv, e->out_path, e->err_path, timeout_s);
    free(argv);
    eu_collect(e);
    return e->status;
}
#define EU_ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define eu_vtrun(e, timeout_s, ...) eu_run((e), true, (timeout_s), EU_ARGS(__VA_ARGS__))

/* Start vtrun in the background (own process group, so only we signal it). */
static inline pid_t eu_start(struct eu *e, const char *const *args)
{
    char **argv = eu_argv(e, args, true);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int out = open(e->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(e->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        setpgid(0, 0);
        dup2(out, 1);
        dup2(err, 2);
        signal(SIGINT, SIG_DFL);
        execv(argv[0], argv);
        _exit(127);
    }
    setpgid(pid, pid);
    free(argv);
    return pid;
}

static inline double eu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for a background vtrun; killed (group) after timeout_s: the test then fails. */
static inline int eu_wait(struct eu *e, pid_t pid, double timeout_s)
{
    double end = eu_now() + timeout_s;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (eu_now() > end) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            eu_collect(e);
            ck_abort_msg("vtrun did not exit within %g s; stdout:\n%s\nstderr:\n%s",
                         timeout_s, e->out, e->err);
        }
        usleep(20000);
    }
    e->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    eu_collect(e);
    return e->status;
}

/* The job directory `latest` points at (absolute), NULL while there is none. */
static inline char *eu_job_dir(const struct eu *e)
{
    char *latest = xasprintf("%s/latest", e->results);
    char buf[PATH_MAX];
    ssize_t n = readlink(latest, buf, sizeof(buf) - 1);
    free(latest);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return buf[0] == '/' ? xstrdup(buf) : xasprintf("%s/%s", e->results, buf);
}

static inline bool eu_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Does some test-results/<n>-<name>/debug.log of the latest job contain `needle`? */
static inline bool eu_debug_log_has(const struct eu *e, const char *needle)
{
    char *job = eu_job_dir(e);
    bool found = false;
    if (!job)
        return false;
    char *pat = xasprintf("%s/test-results/*/debug.log", job);
    glob_t g;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !found; i++) {
            FILE *f = fopen(g.gl_pathv[i], "r");
            char line[4096];
            while (f && !found && fgets(line, sizeof(line), f))
                found = strstr(line, needle) != NULL;
            if (f)
                fclose(f);
        }
        globfree(&g);
    }
    free(pat);
    free(job);
    return found;
}

/* Poll until eu_debug_log_has(needle) or the process exited / timeout; true if seen. */
static inline bool eu_wait_log(const struct eu *e, pid_t pid, const char *needle,
                               double timeout_s)
{
    double end = eu_now() + timeout_s;
    while (eu_now() < end) {
        if (eu_debug_log_has(e, needle))
            return true;
        /* exited? (WNOWAIT: eu_wait still reaps it) */
        siginfo_t si = { 0 };
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
            return false;
        usleep(20000);
    }
    return false;
}

/* results.json of the latest job, parsed (the test fails if it does not parse). */
static inline json_t *eu_results_json(const char *job)
{
    char *path = xasprintf("%s/results.json", job);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s does not parse: %s:%d: %s", path, je.source, je.line,
                  je.text);
    ck_assert(json_is_object(j));
    free(path);
    return j;
}

static inline long eu_jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "results.json: '%s' is not an integer", key);
    return (long)json_integer_value(v);
}

static inline const char *eu_jstr(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "results.json: '%s' is not a string", key);
    return json_string_value(v);
}

/* The test of results.json named `name` (NULL when absent). */
static inline json_t *eu_jtest(const json_t *r, const char *name)
{
    json_t *tests = json_object_get(r, "tests"), *t;
    size_t i;
    json_array_foreach(tests, i, t) {
        if (!strcmp(eu_jstr(t, "name"), name))
            return t;
    }
    return NULL;
}

/* Assert the job's results.xml against the JUnit 4 schema. */
static inline void eu_assert_junit(const char *job)
{
    char *xml = xasprintf("%s/results.xml", job);
    ru_assert_junit_valid(xml);
    free(xml);
}

/* ---- the lab ---- */

/* The lab's settings ($VTRUN_SETTINGS), for its host URIs. */
static inline void eu_lab(struct run_settings *s)
{
    const char *path = getenv("VTRUN_SETTINGS");
    ck_assert_msg(path && *path, "VTRUN_SETTINGS is not set: run through tests/e2e/run");
    run_settings_init(s);
    ck_assert_msg(run_settings_load(s, path, 0) == 0, "lab settings: %s", err_msg());
    ck_assert_msg(s->nhosts >= 2, "the lab settings name %zu hosts, need 2", s->nhosts);
}

/* Every domain (any state) on every lab host, one "URI NAME" per line. */
static inline char *eu_lab_domains(void)
{
    struct run_settings s;
    struct strbuf sb = STRBUF_INIT;
    char outf[] = "/tmp/vtrun-e2e-virsh-XXXXXX";
    int fd = mkstemp(outf);
    ck_assert(fd >= 0);
    close(fd);
    eu_lab(&s);
    for (size_t h = 0; h < s.nhosts; h++) {
        char *argv[] = { "virsh", "-q", "-c", s.hosts[h].uri, "list", "--all", "--name",
                         NULL };
        int rc = ru_run(argv, outf, NULL, 60);
        ck_assert_msg(rc == 0, "virsh -c %s list failed (%d)", s.hosts[h].uri, rc);
        char *out = ru_read(outf);
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
            if (*line)
                strbuf_addf(&sb, "%s %s\n", s.hosts[h].uri, line);
        free(out);
    }
    unlink(outf);
    run_settings_free(&s);
    return strbuf_detach(&sb, NULL);
}

/* Destroy and undefine the lab's domains whose names hold `id7` (one job's). */
static inline void eu_lab_scrub(const char *id7)
{
    struct run_settings s;
    eu_lab(&s);
    char *doms = eu_lab_domains();
    for (char *line = strtok(doms, "\n"); line; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = '\0';
        if (!strstr(sp + 1, id7))
            continue;
        char *d1[] = { "virsh", "-q", "-c", line, "destroy", sp + 1, NULL };
        char *d2[] = { "virsh", "-q", "-c", line, "undefine", sp + 1, NULL };
        ru_run(d1, NULL, NULL, 60);
        ru_run(d2, NULL, NULL, 60);
    }
    free(doms);
    run_settings_free(&s);
}

/* Command lines of running qemu-system processes that mention `id7`. */
static inline char *eu_qemu_of(const char *id7)
{
    struct strbuf sb = STRBUF_INIT;
    DIR *d = opendir("/proc");
    struct dirent *de;
    ck_assert(d != NULL);
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        char buf[16384];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (!buf[i])
                buf[i] = ' ';
        buf[n] = '\0';
        if (strstr(buf, "qemu-system") && strstr(buf, id7))
            strbuf_addf(&sb, "pid %s: %.200s\n", de->d_name, buf);
    }
    closedir(d);
    return strbuf_detach(&sb, NULL);
}

/* Image files under the lab's image directory whose name holds `id7` (clones). */
static inline char *eu_clones_of(const char *id7)
{
    struct run_settings s;
    struct strbuf sb = STRBUF_INIT;
    eu_lab(&s);
    const char *img = params_get(s.params, "image_name");
    ck_assert_msg(img != NULL, "lab settings have no image_name");
    char *dir = xstrdup(img);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    char *pat = xasprintf("%s/*%s*", dir, id7);
    glob_t g;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            strbuf_addf(&sb, "%s\n", g.gl_pathv[i]);
        globfree(&g);
    }
    free(pat);
    free(dir);
    run_settings_free(&s);
    return strbuf_detach(&sb, NULL);
}

/* Nothing of job `id` (40 hex) is left: no domain, no QEMU, no clone. */
static inline void eu_assert_nothing_left(const char *id)
{
    char id7[8];
    snprintf(id7, sizeof(id7), "%.7s", id);
    char *doms = eu_lab_domains();
    ck_assert_msg(!strstr(doms, id7), "domains of job %s left on the lab:\n%s", id7, doms);
    free(doms);
    char *q = eu_qemu_of(id7);
    ck_assert_msg(!*q, "QEMU processes of job %s left:\n%s", id7, q);
    free(q);
    char *c = eu_clones_of(id7);
    ck_assert_msg(!*c, "image clones of job %s left:\n%s", id7, c);
    free(c);
}

/* No file under `dir` holds the lab's password (secrets are masked everywhere vtrun
 * writes: logs, results, params in JUnit properties, domain XMLs). */
static const char *eu_secret;
static char *eu_secret_hit;

static inline int eu_scan_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)f;
    if (flag != FTW_F || sb->st_size > 64 * 1024 * 1024)
        return 0;
    char *text = ru_read(p);
    if (memmem(text, (size_t)sb->st_size, eu_secret, strlen(eu_secret)) && !eu_secret_hit)
        eu_secret_hit = xstrdup(p);
    free(text);
    return 0;
}

static inline void eu_assert_no_password(const char *dir)
{
    struct run_settings s;
    eu_lab(&s);
    const char *pw = params_get(s.params, "password");
    ck_assert_msg(pw && strlen(pw) >= 6, "the lab settings have no password to look for");
    eu_secret = pw;
    eu_secret_hit = NULL;
    nftw(dir, eu_scan_one, 16, FTW_PHYS);
    ck_assert_msg(!eu_secret_hit, "the lab password is written in clear in %s", eu_secret_hit);
    run_settings_free(&s);
}

#endif
