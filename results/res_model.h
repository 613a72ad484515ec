/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * res_model: PRIVATE to results/.  The in-memory report every writer renders.  A live
 * job fills it from events (res_job.c); `vtrun merge` fills it from shards'
 * results.json / results.jsonl (res_merge.c); the writers (res_json.c, res_junit.c,
 * res_html.c) only read it, so a new format is one new writer.
 *
 * A record is immutable once it is in a report, so each writer renders it once into
 * its cache (rec->json, rec->junit, rec->html) and a file is a concatenation: the
 * cost of writing the job's files grows with their size, not with size x tests.
 */
#ifndef VTRUN_RES_MODEL_H
#define VTRUN_RES_MODEL_H

#include "results/res.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct res_check_rec {
    char *name;
    char *severity;
    enum res_status status;
    char *message; /* "" when none */
};

/* A file kept in the test's directory as evidence (res_test_file). */
struct res_file_rec {
    char *path;    /* relative to the test directory */
    char *what;    /* "QEMU log of vm1 on host2" */
};

struct res_hop_rec {
    char *vm;
    unsigned hop;
    char *from, *to;
    double start, wall_s, downtime_ms;
    uint64_t data_bytes;
    unsigned mem_iterations;
    char *mode;
    bool ok;
    char *error; /* "" when none */
};

struct res_phase_rec {
    char *name;
    double start, time_s;
};

/* One finished test. Every string is owned, never NULL ("" when absent). */
struct res_rec {
    unsigned index;
    long gen_index;
    size_t suite;      /* index into res_report.suites */
    char *name, *cartesian_name, *shortname, *classname;
    char *id;          /* test-results/ directory name: "<n>-<shortname>" */
    char *logdir;      /* absolute path of the test directory */
    char *link;        /* href of the test directory relative to the report */
    enum res_status status;
    char *fail_type, *fail_reason;
    double time_s, time_start, time_end;
    char *whiteboard;
    size_t nparams;
    char **pkeys, **pvals; /* the properties (params that matter), masked */
    size_t nchecks;
    struct res_check_rec *checks;
    size_t nfiles;
    struct res_file_rec *files;
    size_t nhops;
    struct res_hop_rec *hops;
    size_t nphases;
    struct res_phase_rec *phases;
    /* Caches, NULL until first rendered: the results.json object (also the journal
     * line), the <testcase> (for rep->flavour), the row of the HTML table. */
    char *json, *junit, *html;
};

/* One testsuite: a job, or one shard of a merged run (testsuite@id: its index). */
struct res_suite {
    char *name, *hostname, *package, *timestamp, *shard, *job_id;
    double job_time;   /* < 0: unknown (job still running) */
};

struct res_report {
    char *job_id;
    char *debuglog;
    char *start;       /* ISO local time of the job start */
    double start_epoch;
    double job_time;   /* < 0 while running */
    int flags;         /* RES_EXIT_* job flags */
    unsigned total_planned;
    char *config;
    char *note;        /* res_job_note(); "" when none */
    enum res_junit_flavour flavour;
    size_t nsuites;
    struct res_suite *suites;
    size_t ntests, atests;
    struct res_rec **tests;
};

void res_rec_free(struct res_rec *r);
void res_report_release(struct res_report *rep); /* frees members, not rep */
void res_report_add(struct res_report *rep, struct res_rec *r);
void res_suite_counts(const struct res_report *rep, long suite, struct res_counts *c);
double res_suite_time(const struct res_report *rep, long suite); /* sum of test times */
/* A copy of s ("" for NULL). */
char *res_str(const char *s);
/* Local ISO-8601 "YYYY-MM-DDTHH:MM:SS" of epoch seconds. */
char *res_iso_time(double epoch);
double res_now(void);
/* Monotonic seconds (render scheduling). */
double res_mono(void);
/* A new random job id: 40 hex digits + NUL. */
void res_new_id(char out[41]);
/* The default failure class for a status ("TestFail", ...). */
const char *res_default_fail_type(enum res_status s);

/* Text made safe for XML 1.0: valid UTF-8 kept; control characters other than tab,
 * newline and CR, and invalid bytes, become "\xNN" (as avocado's xunit does). */
char *res_xml_clean(const char *s, size_t len);

/* res_mask() then every literal value (of RES_SECRET_MIN+ bytes) replaced: shorter
 * values would mask common words; the key=value rule still covers them. */
#define RES_SECRET_MIN 4
char *res_mask_with(const char *text, char *const *values, size_t n);

/* Files. */
int res_write_atomic(const char *path, const char *data, size_t len);
int res_mkdir_p(const char *path);
/* Whole file, NUL-terminated; NULL (err_set) on failure. */
char *res_read_file(const char *path, size_t *len);
/* Copy the tree src to dst (created), hard-linking files where the file system lets
 * it, copying them otherwise; symbolic links are recreated. */
int res_copy_tree(const char *src, const char *dst);

/* The history's writer (res_hist.c), fed by res_job.c.  Each returns 0, or -1 after
 * saying the first error on stderr (the job goes on unrecorded). */
int res_hist_job_start(struct res_hist *h, const struct res_report *rep, const char *dir,
                       const struct res_job_meta *m, const char *shard);
/* The records RECS (N) of job JOB_ID in one transaction. */
int res_hist_tests(struct res_hist *h, const char *job_id, struct res_rec *const *recs,
                   size_t n);
int res_hist_job_end(struct res_hist *h, const struct res_report *rep, int exit_bits);
/* <job>/jobdata/: cmdline (argv as a JSON array, which avocado's diff reads as a
 * Python literal), pwd, args.json (the meta, with the resolved options as "replay"). */
int res_write_jobdata(const char *job_dir, const struct res_job_meta *m);
/* The "replay" options and "settings_env" of <job>/jobdata/args.json (heap; *replay
 * NULL-terminated).  -1 with err_msg() when there is none. */
int res_read_jobdata(const char *job_dir, char ***replay, char **settings_env);
/* A job of the history as a report (its tests in index order); -1 if H has no ID. */
int res_hist_load_report(struct res_hist *h, const char *id, struct res_report *rep,
                         char **dir);

/* Renderers: the whole file as a string (the caller frees), from the records' caches;
 * the caches of records not rendered yet are filled (so rep is not const). */
char *res_render_json(struct res_report *rep);
char *res_render_junit(struct res_report *rep);
char *res_render_html(struct res_report *rep);
/* The stylesheet results.html links to (a file beside it: CSP-safe). */
extern const char res_html_css[];
#define RES_HTML_CSS "results.css"

/* One record's piece of each file, rendered once into its cache: its results.json
 * object, compact on one line (also the journal's line); its <testcase>; its rows of
 * the HTML table.  NULL if rendering failed. */
const char *res_rec_json(struct res_rec *r);
const char *res_rec_junit(struct res_rec *r, enum res_junit_flavour flavour);
const char *res_rec_html(struct res_rec *r);
int res_write_hops_json(const struct res_rec *r, const char *path);
/* The masked params of a test as <test dir>/params.json. */
int res_write_params_json(char *const *keys, char *const *vals, size_t n, const char *path);
/* JUnit system-out of a record: its debug.log, cut; NULL when the status keeps none. */
char *res_rec_system_out(const struct res_rec *r);
/* Reader for merge: appends the suite and tests of one job directory to rep: the
 * results.json, with the tests of results.jsonl when the journal lists more. */
int res_report_load(struct res_report *rep, const char *job_dir);
/* A fresh rep as the job of job_dir: res_report_load() plus the job's own fields (id,
 * start, time, planned, note), for `vtrun jobs show` and `vtrun diff`. */
int res_report_load_job(struct res_report *rep, const char *job_dir);

#endif
