/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test support library: every unit and end-to-end test includes this one header,
 * and every helper in it is named ts_*.
 *
 *   files      ts_tmpdir, ts_rmtree, ts_write, ts_read, ts_exists, ts_count, ts_now,
 *              ts_free_port, and the per-test temporary directory fixture
 *              ts_setup/ts_teardown (ts_base)
 *   programs   ts_run (argv, output captured), ts_run_files (output to files)
 *   vtrun      ts_vtrun_run(&r, TS_ARGS(...), &opts) -> struct ts_vtrun (status,
 *              stdout, stderr, time); options: binary, --settings, environment,
 *              timeout, SIGINT after N bytes of stdout or N ms, stdout kept as a tail
 *   a job      struct ts_e2e: a private results directory, vtrun to the end
 *              (ts_e2e_vtrun) or in the background (ts_e2e_start / _wait_log / _wait)
 *   results    ts_job_dir, ts_debug_log_has, ts_json_file, ts_results_json,
 *              ts_jint/jstr/jtest, the JUnit schema checks (ts_assert_valid,
 *              ts_assert_junit...)
 *   the lab    its settings (ts_lab, ts_lab_settings, ts_lab_param, ts_lab_env,
 *              ts_lab_host_netns), what a job left (ts_lab_domains, ts_qemu_of,
 *              ts_clones_of, ts_assert_nothing_left, ts_assert_no_password)
 *   guests     ts_guest_file, ts_clone, ts_wait_ready, ts_ssh*, ts_uptime*
 *   cfg DSL    ts_expand("text") then ts_expect_names/ts_expect_val/... over ts_cases
 *   sshd       tests/support_sshd.h (ts_sshd_*), a throwaway sshd; the benchmarks
 *              include that part alone
 *
 * Declared here, defined in tests/support.c, which the Makefile builds once and links
 * into every test binary: the socket headers the helpers need stay in support.c
 * (<sys/socket.h>'s PF_MAX would clash with cfg's private PF_MAX that
 * test_cfg_explain.c uses), and the library is compiled once instead of once per
 * test.  Programs run through lib/spawn, the
 * project's one way to start a process.  Every helper fails the calling check test
 * loudly when a facility is missing.
 */
#ifndef VTRUN_TESTS_SUPPORT_H
#define VTRUN_TESTS_SUPPORT_H

#include "cfg/cfg.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "runner/run_settings.h"
#include "virt/virt.h"

/* What the helpers' declarations need, and what the old helper headers gave the tests
 * (no sockets: see above). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <jansson.h>
#include <libconfig.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- files ------------------------------------------------------------------------ */

double ts_now(void);

/* A fresh /tmp/vtrun-WHAT-XXXXXX; caller frees (and ts_rmtree()s). */
char *ts_tmpdir(const char *what);

void ts_rmtree(const char *dir);

/* The fixture of suites that want a fresh directory per test, in ts_base
 * (tcase_add_checked_fixture(tc, ts_setup, ts_teardown)). */
extern char *ts_base;

void ts_setup(void);

void ts_teardown(void);

/* Write TEXT to PATH (relative or absolute), creating the directories it names. */
void ts_write(const char *path, const char *text);

/* The whole file; the test fails when it cannot be read.  Caller frees. */
char *ts_read(const char *path);
/* The same, binary: its length in *len. */
char *ts_read_len(const char *path, size_t *len);

bool ts_exists(const char *path);

/* Occurrences of needle in hay (not overlapping). */
size_t ts_count(const char *hay, const char *needle);

/* A TCP port on 127.0.0.1 nobody listens on right now. */
unsigned ts_free_port(void);

/* ---- programs ---------------------------------------------------------------------- */

/* How a reaped command ended, as a shell says it: its exit status, 128 + the signal
 * that killed it (SIGKILL for a timeout or a stop), -1 when it did not run. */
int ts_spawn_status(const struct spawn *c);

/* Run argv (PATH lookup) to the end, at most timeout_s, stdin /dev/null, stdout and
 * stderr together into out (NULL: dropped).  The exit status; -1 when it could not
 * run, timed out or died of a signal. */
int ts_run(const char *const *argv, struct strbuf *out, double timeout_s);

/* Run argv with stdout to out_path and stderr to err_path (NULL: dropped; the same
 * path: both, in order), at most timeout_s.  ts_spawn_status(). */
int ts_run_files(char *const argv[], const char *out_path, const char *err_path,
                 int timeout_s);

/* Whether process pid has ended (not reaped: WNOWAIT leaves that to its owner). */
bool ts_ended(pid_t pid);

/* ---- vtrun --------------------------------------------------------------------------- */

/* A NULL-terminated argv literal: TS_ARGS("--config", "x.cfg"). */
#define TS_ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* $VTRUN (set by `make check`, tests/run, tests/e2e/run); tests run from the top of
 * the repository. */
const char *ts_vtrun_bin(void);

struct ts_vtrun_opts {
    const char *bin;                /* the program; NULL: $VTRUN */
    const char *settings;           /* --settings FILE before the arguments */
    const char *const *env;         /* more environment, "K=V" ("K=" sets it empty) */
    double timeout_s;               /* then the test fails; 0: 60 s */
    bool merge;                     /* stderr into out, in order */
    size_t sigint_after_bytes;      /* SIGINT once stdout holds this much */
    int sigint_after_ms;            /* SIGINT this long after the start */
    size_t keep_tail;               /* once stdout holds more, drop it up to its last
                                       newline (a streaming listing's memory) */
    const char *results;            /* its results_dir: a hang prints its debug.log */
};

struct ts_vtrun {
    int status;                     /* exit status, or 128 + signal */
    int signal;                     /* the signal that killed it; 0 when it exited */
    struct strbuf out, err;         /* stdout, stderr (empty with merge) */
    double secs;                    /* from start to exit */
    double sigint_secs;             /* from SIGINT to exit; -1 when none was sent */
};

void ts_vtrun_release(struct ts_vtrun *r);

/* A process that did not end in time (before it is stopped), on stderr: its process
 * tree with each one's state and wait channel, its threads' stacks (gdb), and the tail
 * of the newest debug.log under results (NULL: none) -- the CI log keeps why it hung. */
void ts_dump_stuck(pid_t pid, const char *results);

struct run_facts;
/* Host facts as the lab's hosts give them (libvirt 9.0.0, QEMU 7.2, x86_64), with
 * capabilities caps (ncaps slots, emptied: a test sets caps[k] to grant one).  Release
 * f with run_facts_release(). */
void ts_lab_facts(struct run_facts *f, char **caps, size_t ncaps);
/* A case's disposition as --dry-run decides it, with host facts f: "RUN", the label
 * of the CANCEL's need, or "ERROR: why".  Caller frees. */
char *ts_dispo(const struct params *p, struct run_facts *f);
/* The case's type's declared params parsed from p (run_type_parse) and formatted
 * ("name = value" lines, run_param_format) into out: 0, or -1 with err_msg() naming the
 * param. */
struct strbuf;
int ts_type_params(const struct params *p, struct strbuf *out);
/* The disposition starts with want. */
#define TS_ASSERT_DISPO(p, f, want)                                                    \
    do {                                                                               \
        char *got_ = ts_dispo(p, f);                                                   \
        ck_assert_msg(strstr(got_, want) == got_, "want '%s', got '%s'", want, got_);  \
        free(got_);                                                                    \
    } while (0)

/* A dispositions test's fixture: the lab's host facts F with NCAPS capability slots
 * caps[] (ts_lab_facts), setup() and teardown() for tcase_add_checked_fixture; a test
 * file then defines ASSERT_DISPO(p, want) as TS_ASSERT_DISPO(p, &F, want). */
#define TS_DISPO_FIXTURE(NCAPS)                                                        \
    static struct run_facts F;                                                         \
    static char *caps[NCAPS];                                                          \
    static void setup(void)                                                            \
    {                                                                                  \
        ts_lab_facts(&F, caps, sizeof(caps) / sizeof(caps[0]));                        \
    }                                                                                  \
    static void teardown(void)                                                         \
    {                                                                                  \
        run_facts_release(&F);                                                         \
    }

/* Run vtrun with args (argv[0] excluded) to its end: the one way a test runs it. */
int ts_vtrun_run(struct ts_vtrun *r, const char *const *args,
                 const struct ts_vtrun_opts *o);

/* ---- a job: its own results directory, vtrun to the end or in the background ------- */

/* One test's world: a temporary directory holding a settings file whose only key is
 * results_dir (the lab's settings come first, from $VTRUN_SETTINGS, which vtrun reads
 * before --settings), and the outputs of the last run. */
struct ts_e2e {
    char *dir;
    char *settings;     /* dir/vtrun.conf */
    char *results;      /* dir/results */
    char *out_path, *err_path;      /* dir/stdout, dir/stderr: free for other programs */
    int status;         /* exit status of the last run */
    char *out, *err;    /* its stdout and stderr */
    struct spawn *bg;   /* the vtrun of ts_e2e_start() */
    struct strbuf bg_out, bg_err;
};

void ts_e2e_init(struct ts_e2e *e);

void ts_e2e_free(struct ts_e2e *e);

/* argv for vtrun: $VTRUN [--settings <ours>] ARGS...; free() the array only. */
char **ts_e2e_argv(struct ts_e2e *e, const char *const *args, bool settings);

/* Read e->out_path and e->err_path (another program's output) into e->out, e->err. */
void ts_e2e_collect(struct ts_e2e *e);

/* Run vtrun to the end (at most timeout_s, then the test fails); the exit status,
 * stdout, stderr in *e.  Sub-commands (merge, config) must come first: settings =
 * false for them. */
int ts_e2e_run(struct ts_e2e *e, bool settings, int timeout_s,
               const char *const *args);
#define ts_e2e_vtrun(e, timeout_s, ...) ts_e2e_run((e), true, (timeout_s), TS_ARGS(__VA_ARGS__))

/* Start vtrun in the background (its own process group, so only we signal it). */
pid_t ts_e2e_start(struct ts_e2e *e, const char *const *args);

/* Wait for the background vtrun; killed (group) after timeout_s: the test then fails. */
int ts_e2e_wait(struct ts_e2e *e, pid_t pid, double timeout_s);

/* ---- results ------------------------------------------------------------------------- */

/* The job directory `latest` points at (absolute), NULL while there is none. */
char *ts_job_dir(const struct ts_e2e *e);

/* Does some test-results/<n>-<name>/debug.log of the latest job contain `needle`? */
bool ts_debug_log_has(const struct ts_e2e *e, const char *needle);

/* Poll until ts_debug_log_has(needle), the background vtrun exited or timeout_s;
 * true if seen. */
bool ts_e2e_wait_log(struct ts_e2e *e, pid_t pid, const char *needle,
                     double timeout_s);

/* A JSON file, parsed (the test fails if it does not parse); json_decref() it. */
json_t *ts_json_file(const char *path);

/* results.json of a job, parsed (the test fails if it does not parse). */
json_t *ts_results_json(const char *job);

/* The one test of e's latest job (the test fails unless the job has exactly one);
 * its results.json in *r, json_decref() it. */
json_t *ts_only_test(const struct ts_e2e *e, json_t **r);

long ts_jint(const json_t *o, const char *key);

const char *ts_jstr(const json_t *o, const char *key);

/* The test of results.json named `name` (NULL when absent). */
json_t *ts_jtest(const json_t *r, const char *name);

/* xmllint --schema XSD: 0 when xml validates, else xmllint's status, its message in
 * *msg (NULL: dropped). */
int ts_xsd_check(const char *xsd, const char *xml, char **msg);

/* Fails the test with xmllint's message unless xml validates against xsd. */
void ts_assert_valid(const char *xsd, const char *xml);

/* vtrun's own schema (results.xml as written by default). */
void ts_assert_junit_valid(const char *xml);

/* The job's results.xml against vtrun's JUnit schema. */
void ts_assert_junit(const char *job);

/* ---- the lab ($VTRUN_SETTINGS, written by tests/lab/lab up) -------------------------- */

/* The lab's settings as vtrun reads them (run_settings_free() them). */
void ts_lab(struct run_settings *s);

/* The settings as a backend test reads them: into *cfg (config_destroy() it) and the
 * first two hosts into hc; returns the settings path. */
const char *ts_lab_settings(config_t *cfg, struct be_host_conf hc[2]);

/* params.<name> of the settings, which must be there. */
const char *ts_lab_param(const config_t *cfg, const char *name);

/* KEY=value of lab.env beside the settings (the last one), NULL when absent; caller
 * frees. */
char *ts_lab_env(const char *settings_file, const char *key);

/* The network namespace of lab host i (1-based): where its daemon creates a guest's
 * tap and where QEMU's user-mode forwards listen.  Each host of a lab v2 has its own
 * (hostI_netns=); a lab v1 put every host in its one netns=.  Caller frees. */
char *ts_lab_host_netns(const char *settings_file, int i);

/* Every domain (any state) on every lab host, one "URI NAME" per line. */
char *ts_lab_domains(void);

/* Destroy and undefine the lab's domains whose names hold `id7` (one job's). */
void ts_lab_scrub(const char *id7);

/* Processes (but the tests' own) whose command line holds a and, when given, b: their
 * number, and "pid N: cmdline" lines into out (may be NULL). */
int ts_procs(const char *a, const char *b, struct strbuf *out);

/* Number of processes whose command line contains needle (e.g. "guest=vm1"). */
int ts_count_procs(const char *needle);

/* Command lines of running qemu-system processes that mention `id7`. */
char *ts_qemu_of(const char *id7);

/* Image files under the lab's image directory whose name holds `id7` (clones). */
char *ts_clones_of(const char *id7);

/* Nothing of job `id` (40 hex) is left: no domain, no QEMU, no clone. */
void ts_assert_nothing_left(const char *id);

/* No file under `dir` holds the lab's password (secrets are masked everywhere vtrun
 * writes: logs, results, params in JUnit properties, domain XMLs). */

void ts_assert_no_password(const char *dir);

/* ---- guests (the contract: tests/lab/README.md) -------------------------------------- */

/* ${VTRUN_CACHE:-/var/cache/vtrun}/guest/<file>, which must exist. */
char *ts_guest_file(const char *file);

/* A linked qcow2 clone of base in dir (absolute backing path, as libvirt needs). */
char *ts_clone(const char *dir, const char *name, const char *base);

/* Wait until the console log holds the guest's readiness line. */
void ts_wait_ready(const char *console_log, double timeout_s);


/* Run cmd in the guest as root over SSH (virt/'s libssh sessions, key auth, host
 * key accepted into a per-process known_hosts on first use and checked after every
 * hop); retries the login until timeout_s.  With netns, the calling thread enters
 * that network namespace (/run/netns/NAME) for the session and comes back: a
 * user-mode NIC's forward of a lab daemon's QEMU exists only there.  Returns the
 * command's stdout, or NULL with *why. */
char *ts_ssh_try(const char *netns, const char *addr, unsigned port,
                 const char *key, const char *cmd, double timeout_s,
                 char **why);

/* ts_ssh_try() that fails the test (never while in another namespace). */
char *ts_ssh_in(const char *netns, const char *addr, unsigned port,
                const char *key, const char *cmd, double timeout_s);

char *ts_ssh(const char *addr, unsigned port, const char *key, const char *cmd,
             double timeout_s);

/* Seconds of guest uptime (first field of /proc/uptime). */
double ts_uptime_in(const char *netns, const char *addr, unsigned port,
                    const char *key);

double ts_uptime(const char *addr, unsigned port, const char *key);

/* ---- the cfg DSL (test_cfg*.c) ------------------------------------------------------ */
/*
 * Each test runs in its own forked process inside a fresh temporary directory
 * (ts_tmp_setup/ts_tmp_teardown as the checked fixture), writes its config there as
 * "t.cfg" (plus any included files) and expands it with the real engine; the cases
 * are kept in ts_cases for the assertions.  Tests run from inside the directory with
 * relative file names, as the reference's golden files were made, so error messages
 * read "t.cfg:LINE: ..." and _name_map_file keys are "t.cfg".
 */

enum { TS_STAGE_NONE, TS_STAGE_PARSE, TS_STAGE_EXPAND };

struct ts_cases {
    size_t n;
    char **names;
    char **shorts;
    struct params **params;
    struct strbuf dump;
    int stage;      /* where the error happened, TS_STAGE_NONE if none */
    char *err;
};

extern struct ts_cases ts_cases;
extern char ts_cfg_dir[];

void ts_tmp_setup(void);

void ts_tmp_teardown(void);

void ts_result_reset(void);

/* Parse FILE (may be NULL) plus statements, expand every case into ts_cases. */
void ts_expand_with(const char *file, const char *const *stmts, size_t nstmts,
                    const struct cfg_opts *o);

/* Write TEXT as t.cfg and expand it, followed by the NULL-terminated statements. */
void ts_expand_stmts(const char *text, ...);

#define ts_expand(text) ts_expand_stmts(text, (const char *)NULL)

void ts_expand_defaults(const char *text, const char *const *expand_blocks);

void ts_no_error(void);

/* The names of the cases, in order, are exactly the NULL-terminated list. */
void ts_expect_names(const char *first, ...);

void ts_expect_no_cases(void);

/* Value of KEY in case I, NULL if absent. */
const char *ts_val(size_t i, const char *key);

#define ts_expect_val(i, key, want) ck_assert_str_eq(ts_val((i), (key)) ? \
        ts_val((i), (key)) : "<absent>", (want))
#define ts_expect_absent(i, key) ck_assert_msg(ts_val((i), (key)) == NULL, \
        "case %zu: key '%s' should be absent, is '%s'", (size_t)(i), (key), ts_val((i), (key)))

/* Parsing failed and the message starts with PREFIX ("t.cfg:5:"). */
void ts_expect_parse_error(const char *prefix);

/* Expansion failed after NCASES cases, message starts with PREFIX. */
void ts_expect_expand_error(size_t ncases, const char *prefix);

/* Either stage failed; the message starts with PREFIX and has "FILE:LINE: ". */
void ts_expect_error(const char *prefix);

/* The error message mentions NEEDLE somewhere. */
void ts_expect_error_mentions(const char *needle);

void ts_expect_dump(const char *want);

#endif
