/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * res_model: PRIVATE to results/.  The in-memory report every writer renders.  A live
 * job fills it from events (res_job.c); `vtrun merge` fills it from shards'
 * results.json (res_merge.c); the writers (res_json.c, res_junit.c, res_html.c) only
 * read it, so a new format is one new writer.
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

/* One finished test. Every string is owned, never NULL ("" when absent). */
struct res_rec {
    unsigned index;
    long gen_index;
    size_t suite;      /* index into res_report.suites */
    char *name, *shortname, *classname;
    char *id;          /* test-results/ directory name: "<n>-<shortname>" */
    char *logdir;      /* absolute path of the test directory */
    char *link;        /* href of the test directory relative to the report */
    enum res_status status;
    char *fail_type, *fail_reason;
    double time_s, time_start, time_end;
    char *whiteboard;
    size_t nparams;
    char **pkeys, **pvals; /* masked */
    size_t nchecks;
    struct res_check_rec *checks;
    size_t nhops;
    struct res_hop_rec *hops;
    char *system_out;  /* debug.log cut to RES_SYSTEM_OUT_MAX; "" when not kept */
    char *junit;       /* the rendered <testcase>, cached by res_junit.c (a record is
                          immutable once in a report); NULL until first rendered */
};

/* One testsuite: a job, or one shard of a merged run. */
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

/* Writers: each renders the whole report to a string, then res_write_atomic(). */
int res_write_json(const struct res_report *rep, const char *path);
int res_write_hops_json(const struct res_rec *r, const char *path);
int res_write_junit(const struct res_report *rep, const char *path);
int res_write_html(const struct res_report *rep, const char *path);
/* Reader for merge: appends the suite and tests of one results.json to rep.  Test
 * records get their system_out from <job_dir>/test-results/<id>/debug.log. */
int res_report_load(struct res_report *rep, const char *job_dir);

#endif
