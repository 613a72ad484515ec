/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_shard: which cases shard I of N runs (--shard I/N, --shard auto, --shard-by).
 *
 * One rule for listing and running (`--list --shard` shows what `--shard` runs), and
 * every machine computes it alone, from the same config, with no coordinator:
 *
 *   by name (default)  a case's shard is a hash of its Cartesian name and of how many
 *                      cases before it bore the same name (real compositions repeat
 *                      names), so adding or removing variants moves only those cases;
 *   by time            longest-first greedy over the cases' last known durations (the
 *                      history, results/res_hist), new cases at their type's median
 *                      (else the median of all known ones): the shards' summed times
 *                      differ by at most the longest case.  The plan depends only on
 *                      the cases and their durations, in milliseconds, with fixed
 *                      tie-breaks, so every shard computes the same one.
 *
 * --shard auto reads the CI engine's own variables (table in run_shard.c): GitLab
 * CI_NODE_INDEX/CI_NODE_TOTAL (1-based), Kubernetes JOB_COMPLETION_INDEX (0-based,
 * with --shard-total N or VTRUN_SHARD_TOTAL), Buildkite BUILDKITE_PARALLEL_JOB/_COUNT
 * and CircleCI CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL (0-based).
 *
 * This file is part of the lean front (no SQLite): durations come in as plain numbers.
 */
#ifndef VTRUN_RUN_SHARD_H
#define VTRUN_RUN_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum run_shard_by { RUN_SHARD_BY_NAME, RUN_SHARD_BY_TIME };

/* A variable of the environment; NULL when unset (getenv, or a table in tests). */
typedef const char *(*run_shard_getenv)(void *ctx, const char *name);

/*
 * --shard auto: the first engine of the table whose index variable GET finds.  TOTAL
 * is --shard-total (0: none; then VTRUN_SHARD_TOTAL is read), needed by engines
 * without a total variable and otherwise checked against theirs.  On success *INDEX
 * (1-based) and *COUNT are set and *SAID (heap) names the engine and the variables,
 * e.g. "GitLab: CI_NODE_INDEX=2 CI_NODE_TOTAL=3"; -1 with err_msg() naming the
 * variables looked for or the one with a bad value.
 */
int run_shard_detect(run_shard_getenv get, void *ctx, unsigned total, unsigned *index,
                     unsigned *count, char **said);

/* The CI run the job is part of, which every shard of it shares: VTRUN_RUN_ID, else
 * the engine's pipeline or build variable (GitLab CI_PIPELINE_ID, Buildkite
 * BUILDKITE_BUILD_ID, CircleCI CIRCLE_WORKFLOW_ID, GitHub GITHUB_RUN_ID and
 * GITHUB_RUN_ATTEMPT, Jenkins BUILD_TAG), as "VAR=value" (heap); NULL outside CI.
 * A plan by time leaves the run's own jobs out of the durations, so a shard that
 * starts after another ended plans as it did. */
char *run_shard_run_id(run_shard_getenv get, void *ctx);

/* The shard (1..COUNT) of the OCCURRENCE-th case (0 for the first) named NAME. */
unsigned run_shard_of_name(const char *name, size_t len, unsigned occurrence,
                           unsigned count);

/* The selection of one shard over one pass of the cases, in generation order. */
struct run_shard;
struct run_shard *run_shard_new(unsigned index, unsigned count);
void run_shard_free(struct run_shard *s);
/* Is the next case, named NAME (the Cartesian name, LEN bytes), in the shard?  Call
 * it once per case after the filters, in order. */
bool run_shard_keep(struct run_shard *s, const char *name, size_t len);
/* Start a new pass over the same cases (occurrences count from 0 again). */
void run_shard_rewind(struct run_shard *s);

/* One case for a plan by time, in generation order. */
struct run_shard_case {
    const char *name;       /* the Cartesian name, as run_shard_keep() gets it */
    const char *type;       /* its test type (the `type` param); NULL: none */
    double time_s;          /* last known duration; < 0: unknown */
};
/* Plan the shards by time over CASES (every case after the filters): afterwards
 * run_shard_keep() follows the plan.  Durations are taken in whole milliseconds. */
void run_shard_plan_time(struct run_shard *s, const struct run_shard_case *cases, size_t n);
/* After a plan: the summed (estimated) milliseconds of shard I (1-based), and how
 * many of its cases had no known duration. */
uint64_t run_shard_load_ms(const struct run_shard *s, unsigned i, size_t *unknown);

#endif
