/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * res: the results sink of vtrun.  The runner and the tests emit events (job opened,
 * test started, log line, check result, migration hop finished, test ended, job
 * ended); this module turns them into the avocado-shaped results directory:
 *
 *   <results_dir>/job-<YYYY-MM-DDTHH.MM>-<id7>/
 *       id  job.log  results.json  results.xml (JUnit)  results.html
 *       test-results/<n>-<shortname>/debug.log  hops.json  (+ whatever the test
 *                                                          puts in res_test_dir())
 *   <results_dir>/latest -> job-...            (replaced atomically)
 *
 *   results.jsonl      the journal: one line per finished test (the object of
 *                      results.json's tests[]), appended and fdatasync'ed when the
 *                      test ends, so a job killed at any moment loses no finished test
 *   results.css        the stylesheet of results.html (no inline style: CI viewers
 *                      such as Jenkins serve reports under a CSP that blocks it)
 *
 * The aggregate files (results.json, results.xml, results.html) are rendered from the
 * in-memory report: when the job opens, at most every RES_RENDER_INTERVAL seconds
 * while tests end (by a thread of the job, so a test's end never waits for them), and
 * at the end.  Each is replaced atomically (temp file + rename): at every moment they
 * parse and validate, listing the tests finished up to their last render; the journal
 * lists all.  A test's end costs the same for the 1st and the 10,000th test: its
 * record is rendered once (JSON line, <testcase>, HTML row) and only concatenated
 * afterwards.
 *
 * Threads: every function taking a res_job or res_test may be called from any thread;
 * one mutex per job guards all shared state and file writes.  A res_test must not be
 * used after res_test_end(); a res_job not after res_job_free().
 *
 * Secrets: values of params whose key has a word (split on '_', '-', '.') equal to
 * password, passwd, pwd, passphrase, secret or token are written as "****" in every
 * file; log lines are masked both by key=value pattern and by the literal secret
 * values of the params of every test started in the job (values of 4+ characters).
 *
 * Errors: functions returning int give 0 / -1 and pointers NULL on failure, with the
 * reason in err_msg() (lib/err.h).  Formatting functions return heap strings the
 * caller frees.
 */
#ifndef VTRUN_RES_H
#define VTRUN_RES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct res_job;
struct res_test;

/* avocado's statuses, same meaning (avocado/core/teststatus.py). */
enum res_status {
    RES_PASS,
    RES_FAIL,        /* the test's assertion failed */
    RES_ERROR,       /* setup or infrastructure error, unexpected failure */
    RES_SKIP,        /* skipped before running (requirement missing) */
    RES_WARN,        /* passed with warnings */
    RES_INTERRUPTED, /* timeout or user interrupt */
    RES_CANCEL,      /* the test cancelled itself */
    RES_NSTATUS
};

const char *res_status_name(enum res_status s);       /* "PASS", ..., "INTERRUPTED" */
/* -1 if unknown; accepts the summary word "INTERRUPT" too. */
int res_status_parse(const char *name);
/* openQA's testcase@status word: success, failure, error, skipped, softfail,
 * timeout_exceeded. */
const char *res_status_openqa(enum res_status s);
/* PASS, WARN, SKIP, CANCEL do not fail the job (avocado's "OK" set). */
bool res_status_ok(enum res_status s);

struct res_counts {
    unsigned n[RES_NSTATUS]; /* indexed by enum res_status */
    unsigned total;
    double time_s;           /* sum of the finished tests' times (for res_eta) */
};

/* Exit status bits, OR'ed (avocado/core/exit_codes.py). */
enum {
    RES_EXIT_TESTS_FAILED = 1, /* some test FAIL / ERROR / INTERRUPTED */
    RES_EXIT_JOB_ERROR = 2,    /* config or settings error, results not writable ... */
    RES_EXIT_CRASH = 4,        /* vtrun itself crashed / usage error */
    RES_EXIT_INTERRUPTED = 8,  /* the job was interrupted (SIGINT / SIGTERM) */
};
/* (any not-OK count ? 1 : 0) | (job_flags & (2|4|8)). */
int res_exit_bits(const struct res_counts *c, int job_flags);

/* ---- job ---------------------------------------------------------------------- */

/* What results.xml may carry.  FULL: openQA's testcase@status words, testcase
 * properties, skipped@message, testsuites@skipped (vtrun's schema,
 * tests/vtrun-junit.xsd).  STRICT: only what both Jenkins' xunit junit-10.xsd and the
 * dtkit junit-4.xsd accept (tests/junit-strict.xsd): none of those. */
enum res_junit_flavour { RES_JUNIT_FULL, RES_JUNIT_STRICT };
/* "full" / "strict" -> the flavour; -1 if unknown. */
int res_junit_flavour_parse(const char *s);

/* Aggregate files are rendered at most this often while the job runs (seconds). */
#define RES_RENDER_INTERVAL 3.0

/* What a job was run with, as plain strings (results/ knows nothing of the command
 * line's meaning): recorded in the history and in <job>/jobdata/ (avocado's place for
 * it: cmdline, pwd, args.json), so `vtrun replay` can run the job again.  Arrays are
 * NULL-terminated; any member may be NULL. */
struct res_job_meta {
    const char *const *argv;    /* the command line as typed */
    const char *const *replay;  /* the options resolved (absolute paths, --shard I/N) */
    const char *cwd;
    const char *const *filters; /* the statements after the config (--only, --no, --set) */
    const char *settings;       /* --settings FILE */
    const char *settings_env;   /* $VTRUN_SETTINGS */
    const char *shard_by;       /* "name", "time" */
    const char *run_id;         /* the CI run the job is part of (its shards share it) */
    const char *hosts;          /* the settings' hosts, "src -> dst" */
    const char *version;        /* vtrun's */
};

struct res_job_info {
    const char *results_dir; /* base directory, created if missing (required) */
    /* The history database the job is recorded in (res_hist_*), created if missing;
     * NULL or "": none. */
    const char *history;
    const struct res_job_meta *meta;
    /* The job's name: testsuite@name, stable across nights so CI engines can follow
     * a case (GitLab keys a test by suite + classname + name).  The runner gives the
     * config's file stem; ".shard<I>" is appended when shard is set.  NULL: "vtrun". */
    const char *name;
    const char *config;      /* the --config file, recorded in job.log / results.json */
    const char *shard;       /* "I/N" or NULL */
    const char *hostname;    /* NULL: gethostname() */
    /* testsuite@package: openQA's parser takes the module's category from what is
     * before the first '.' and its name from the rest, so every shard needs its own.
     * NULL: "vtrun.<testsuite@name>". */
    const char *package;
    const char *job_id;      /* 40 hex digits to reuse; NULL: a new random one */
    unsigned total;          /* number of tests planned (ETA, html); 0 = unknown */
    enum res_junit_flavour junit_flavour;
    double render_interval;  /* seconds between renders while running; 0: default */
};

/* Create the job directory with `id`, `job.log`, empty-but-valid results files and
 * the `latest` symlink.  NULL (err_msg()) if the directory cannot be made. */
struct res_job *res_job_open(const struct res_job_info *info);

const char *res_job_id(const struct res_job *job);  /* 40 hex */
const char *res_job_dir(const struct res_job *job); /* absolute job directory */
/* A timestamped line in job.log, masked. */
void res_job_log(struct res_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void res_job_counts(struct res_job *job, struct res_counts *out);
/* Record job-level flags (RES_EXIT_JOB_ERROR / _CRASH / _INTERRUPTED); they are
 * written to results.json ("interrupted", "job_error") and OR'ed into
 * res_job_exit_bits(). */
void res_job_set_flags(struct res_job *job, int flags);
int res_job_exit_bits(struct res_job *job);
/* A line the job wants said beside its RESULTS line (a night that tested nothing):
 * logged to job.log, stored in results.json "note", and printed by
 * res_job_closing_lines() right after RESULTS as "EMPTY JOB  : <text>". */
void res_job_note(struct res_job *job, const char *text);
/* Final render of every results file with the job time (the render thread stops);
 * logs the RESULTS line into job.log.  Tests still open are NOT ended: end them first
 * (as INTERRUPTED). */
int res_job_end(struct res_job *job, double job_time_s);
void res_job_free(struct res_job *job);

/* "JOB ID     : <id>\nJOB LOG    : <dir>/job.log\n" (print at start). */
char *res_job_header_lines(struct res_job *job);
/* "RESULTS    : PASS n | ERROR n | FAIL n | SKIP n | WARN n | INTERRUPT n | CANCEL n\n"
 * ("EMPTY JOB  : <note>\n" when res_job_note() was called)
 * "JOB HTML   : <dir>/results.html\n"
 * "JOB TIME   : 12.34 s\n"
 * "JOB LOG    : <dir>/job.log\n" */
char *res_job_closing_lines(struct res_job *job, double job_time_s);
char *res_results_line(const struct res_counts *c); /* the RESULTS line, no '\n' */

/* ---- tests -------------------------------------------------------------------- */

/* One param of a case, as plain strings (results/ knows nothing of the config). */
struct res_param {
    const char *key;
    const char *value;
};

struct res_test_info {
    unsigned index;      /* 1-based position in this job: <n> of the dir, (n/N) */
    long gen_index;      /* k: position in generation order after filters, before
                            sharding (merge sorts by it); < 0: index - 1 */
    /* The test's name everywhere: testcase@name, results.json name, the directory
     * test-results/<n>-<name>.  The runner gives avocado-vt's name (see runner/). */
    const char *name;
    const char *cartesian_name; /* the full Cartesian name; NULL: name */
    const char *shortname;  /* the Cartesian shortname (results.json); NULL: name */
    const char *classname;  /* testcase@classname; NULL: param "type", else "vtrun" */
    /* Every param of the case (may be NULL): the values of secret keys are learnt
     * from them (see Secrets), and they are written, masked, to <test dir>/params.json. */
    const struct res_param *params;
    size_t nparams;
    /* What results.json "params" and the JUnit properties list (masked): the params
     * that matter.  NULL: every param of params. */
    const struct res_param *props;
    size_t nprops;
};

/* Create test-results/<n>-<name>/, its debug.log and params.json.  NULL (err_msg())
 * on failure. */
struct res_test *res_test_start(struct res_job *job, const struct res_test_info *info);

/* The directory for the test's own files (console logs, domain XMLs). */
const char *res_test_dir(const struct res_test *t);

/* A timestamped line to debug.log and job.log, secrets masked. */
void res_test_log(struct res_test *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void res_test_vlog(struct res_test *t, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* A check result (pre-migration checks, console checks...): logged to debug.log,
 * listed in results.json "checks" and as JUnit property "check.<name>".
 * severity: free word ("error", "warning", "info"); status: usually PASS, FAIL,
 * WARN or SKIP; message may be NULL. */
void res_test_check(struct res_test *t, const char *name, const char *severity,
                    enum res_status status, const char *message);

/* A file the test kept in its directory (path relative to it) as evidence of a
 * failure: listed in debug.log, results.json "files" and linked from the HTML. */
void res_test_file(struct res_test *t, const char *path, const char *what);
/* text with the job's secrets masked (res_job_mask); caller frees. */
char *res_test_mask(struct res_test *t, const char *text);

/* Free text shown in results.json "whiteboard" (avocado's whiteboard). */
void res_test_whiteboard(struct res_test *t, const char *text);

/* One migration hop finished (or failed).  Strings are copied. */
struct res_hop {
    const char *vm;
    unsigned hop;          /* 1-based hop number for this VM */
    const char *from;      /* source host name */
    const char *to;        /* destination host name */
    double start;          /* epoch seconds when the migration started */
    double wall_s;         /* duration of the migration */
    double downtime_ms;    /* guest downtime reported by the hypervisor; < 0 unknown */
    uint64_t data_bytes;   /* memory data transferred */
    unsigned mem_iterations; /* pre-copy iterations */
    const char *mode;      /* "precopy" or "postcopy" (NULL: precopy) */
    bool ok;
    const char *error;     /* why it failed, NULL if ok */
};
/* Recorded in <test dir>/hops.json (rewritten atomically at each hop), in
 * results.json and in the HTML timeline; a line in debug.log. */
void res_test_hop(struct res_test *t, const struct res_hop *hop);

/* One phase of a test finished: where its time went (issue: a case should cost its VM
 * work and little else).  Phases do not overlap; a name may repeat ("post-checks"
 * after every hop).  Names the runner uses: setup, clone, start, login, pre-checks,
 * stress, hop N, post-checks, cleanup.  Recorded in results.json ("phases"), as bars
 * in the HTML timeline and summed per name over the job in job.log ("PHASES").  The
 * name is copied. */
struct res_phase {
    const char *name;
    double start;          /* epoch seconds */
    double time_s;
};
void res_test_phase(struct res_test *t, const struct res_phase *p);

/* Close the test: status, failure class (JUnit failure/error@type; NULL: "TestFail",
 * "TestError", "TestInterrupted", "TestSkip" or "TestCancel" by status), reason
 * (fail_reason / message / skip reason; may be NULL) and duration.  Appends the test
 * to results.jsonl (fdatasync), schedules a render of the aggregate files, frees t. */
void res_test_end(struct res_test *t, enum res_status status, const char *fail_type,
                  const char *reason, double time_s);

/* ---- names and masking -------------------------------------------------------- */

/* "<index>-<name>" made filesystem-safe ('/' and control characters become
 * '_'); if longer than 200 bytes: cut to 191 bytes (at a UTF-8 boundary) + '-' +
 * 8 hex digits of a 32-bit FNV-1a hash of the whole uncut name. */
char *res_test_dirname(unsigned index, const char *name);

/* true if one of the key's words (split on '_', '-', '.'; any case) is password,
 * passwd, pwd, passphrase, secret or token. */
bool res_key_is_secret(const char *key);
/* Copy of text with the value of every secret key=value, key: value, key value-in-
 * quotes, "key": "value" and --key value replaced by "****". */
char *res_mask(const char *text);
/* res_mask() plus the literal secret values known to the job. */
char *res_job_mask(struct res_job *job, const char *text);

/* debug.log for JUnit system-out (tests that did not pass, and WARN, as avocado): at
 * most max bytes; longer text keeps its head and tail around the line
 * "\n--[ CUT DUE TO XML PER TEST LIMIT ]--\n". */
#define RES_SYSTEM_OUT_MAX 100000
char *res_cut_middle(const char *text, size_t len, size_t max);

/* ---- progress ------------------------------------------------------------------ */

/* avocado's plain line, no '\n': "(3/12) name: PASS (4.21 s)",
 * "(3/12) name: FAIL: reason (4.21 s)" (reason: first line-escaped 255 chars),
 * "(3/12) name: SKIP: reason" (no duration, like avocado). */
char *res_progress_line(unsigned i, unsigned n, const char *name, enum res_status s,
                        const char *reason, double time_s);
/* The TTY live line, no '\n', at most width columns (0 = 80), the name cut in the
 * middle with "...": "(3/12) name 1m04s ETA 12m30s" (eta_s < 0: "ETA ?"). */
char *res_progress_live(unsigned i, unsigned n, const char *name, double elapsed_s,
                        double eta_s, unsigned width);
/* Remaining job time: mean of the done tests' times for each test not done, minus
 * what the current one has already run; -1 when nothing is done yet. */
double res_eta(double done_time_s, unsigned done, unsigned total, double cur_elapsed_s);
/* "1h02m", "4m05s", "12.3s" */
char *res_format_duration(double s);

/* ---- merge and reading back ---------------------------------------------------- */

/* Combine the results of shard job directories (each with a results.json, and the
 * journal results.jsonl of a job that was killed; a `latest` symlink is fine) into
 * out_dir: id, job.log, results.json, results.xml (one testsuite per shard, in shard
 * order, testsuite@id 0, 1, ...), results.html and test-results/ (each test's
 * directory copied, hard links where possible, so the merged report's links stay
 * inside out_dir); tests ordered by generation index, so merging every shard of a run
 * lists the cases in the unsharded order.  out_dir is created; it is an avocado job
 * directory (`avocado jobs show` / `avocado diff` read it). */
int res_merge(const char *const *dirs, size_t n, const char *out_dir,
              enum res_junit_flavour flavour);
/* Record the job of directory DIR (a merged one: the night of a CI run whose shards
 * ran on machines of their own) in the history HISTORY, created if missing: the
 * history a pipeline keeps and hands its next shards (--shard-by time). */
int res_hist_record_dir(const char *history, const char *dir);

/* Names of the tests of a results.json (or of its job's journal when that lists
 * more: a killed job) whose status bit (1u << status) is in mask, in file order; each
 * test gives its name and, when different, its Cartesian name.  NULL-terminated,
 * free with params_strv_free() (lib/params.h).  Example: --rerun-failed uses mask
 * (1u<<RES_FAIL)|(1u<<RES_ERROR)|(1u<<RES_INTERRUPTED). */
char **res_read_names(const char *results_json, unsigned mask);

/* ---- history (res_hist.c, SQLite) and reading jobs back (res_view.c) ------------ */

/*
 * The history: every job and every finished test, in one SQLite database (by default
 * <results_dir>/history.sqlite).  Tables: jobs (id, dir, config, filters, settings,
 * shard, run id, host pair, version, start/end/time, counts, exit bits), tests (job,
 * index, name, Cartesian name, type, status, fail type, reason, start/end/time, hosts,
 * logdir), hops (per test: vm, hop, hosts, times, downtime, bytes, iterations, mode).
 * A job writes it through res_job_info.history; a test's end is one transaction.
 */
struct res_hist;
/* CREATE: make the file and its tables if missing.  NULL with err_msg() otherwise. */
struct res_hist *res_hist_open(const char *path, bool create);
void res_hist_close(struct res_hist *h);
const char *res_hist_path(const struct res_hist *h);

/* A job as `vtrun jobs list` shows it: from the history, or read from its directory
 * (a job not recorded: copied from another machine, merged). */
struct res_hist_job {
    char *id, *dir, *name, *config, *shard, *run_id;
    double start;           /* epoch s */
    double time;            /* < 0: not ended (running, or killed) */
    struct res_counts counts;
    bool recorded;          /* in the history */
};
void res_hist_job_release(struct res_hist_job *j);
/* The jobs of H (may be NULL) and those under RESULTS_DIR (may be NULL) it does not
 * record, oldest first. */
int res_hist_jobs(struct res_hist *h, const char *results_dir, struct res_hist_job **out,
                  size_t *n);
/* `vtrun jobs list`: a table, or a JSON array. */
void res_hist_print_jobs(const struct res_hist_job *v, size_t n, bool json, FILE *out);
/* The job of H whose id starts with PREFIX: 1 found (*out), 0 none, -1 error (an
 * ambiguous prefix: err_msg() names the candidates). */
int res_hist_find(struct res_hist *h, const char *prefix, struct res_hist_job *out);
/* The last duration of each Cartesian name (SKIP and CANCEL left out: they say
 * nothing of how long a case runs), jobs of the CI run EXCLUDE_RUN (may be NULL) left
 * out: a run's own shards must not change its plan while it runs. */
int res_hist_durations(struct res_hist *h, const char *exclude_run,
                       void (*cb)(void *ctx, const char *full_name, double time_s),
                       void *ctx);
/* `vtrun history NAME`: the runs of the tests named NAME (reported or Cartesian name):
 * pass rate, last pass, last fail, the last LIMIT statuses.  0, 1 when the history
 * has no such test, -1 error. */
int res_hist_print_test(struct res_hist *h, const char *name, size_t limit, bool json,
                        FILE *out);
/* `vtrun flaky`: the cases whose outcome (PASS/WARN against FAIL/ERROR/INTERRUPTED;
 * SKIP and CANCEL say nothing) flipped within the last LAST ended jobs. */
int res_hist_print_flaky(struct res_hist *h, size_t last, bool json, FILE *out);

/* A job read back: from its directory (results.json, the journal when it has more)
 * when DIR has one, else from the history by ID.  NULL with err_msg(). */
struct res_view;
struct res_view *res_view_load(struct res_hist *h, const char *dir, const char *id);
void res_view_free(struct res_view *v);
const char *res_view_id(const struct res_view *v);
const char *res_view_dir(const struct res_view *v);     /* "" when only in the history */
/* `vtrun jobs show`: the job's fields, its tests (avocado's columns) and RESULTS. */
void res_view_print(const struct res_view *v, bool json, FILE *out);
/* `vtrun diff A B`: new failures (not failing in A, FAIL/ERROR/INTERRUPTED in B),
 * fixed (failing in A, PASS/WARN in B), other status changes, cases in one job only,
 * time regressions (PASS/WARN in both, B more than RES_DIFF_SLOWER_RATIO times and
 * RES_DIFF_SLOWER_S seconds slower), and what still fails with the same status (no
 * difference: listed when the jobs differ otherwise, and in the JSON); tests are
 * matched by Cartesian name (and occurrence).  0: the same cases with the same
 * statuses and no regression; 1: they differ. */
#define RES_DIFF_SLOWER_RATIO 1.5
#define RES_DIFF_SLOWER_S 5.0
int res_view_diff(const struct res_view *a, const struct res_view *b, bool json, FILE *out);
/* Names of the tests whose status bit is in MASK (as res_read_names()). */
char **res_view_names(const struct res_view *v, unsigned mask);
/* What job ID (with directory DIR, may be NULL or gone) was run with, for `vtrun
 * replay`: its options resolved (config, filters, settings, shard..., heap and
 * NULL-terminated) and its $VTRUN_SETTINGS (heap, may be NULL); from DIR/jobdata,
 * else from the history H.  -1 with err_msg(). */
int res_job_replay_args(struct res_hist *h, const char *dir, const char *id, char ***argv,
                        char **settings_env);

#endif
