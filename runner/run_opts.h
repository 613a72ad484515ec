/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_opts: the vtrun command line, parsed from one table of options (run_opts.c) into
 * struct run_opts.  The same table prints --help, so the two cannot drift; the man page
 * docs/vtrun.1 is checked against --help by tests/unit/test_cli.c.
 *
 * Adding an option = one row in the table plus its field here; the parser does the
 * rest (--name VALUE and --name=VALUE, missing-argument and unknown-option errors).
 */
#ifndef VTRUN_RUN_OPTS_H
#define VTRUN_RUN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Process exit statuses of vtrun. */
enum {
    RUN_EXIT_OK = 0,
    RUN_EXIT_NOT_LISTED = 1,    /* --explain: the filters drop the case */
    RUN_EXIT_USAGE = 2,         /* bad command line, config error, I/O error */
    RUN_EXIT_INTERRUPTED = 130, /* SIGINT while listing (128 + SIGINT, as shells do) */
};

enum run_action {
    RUN_ACTION_JOB = 0,     /* no listing option: run the selected cases */
    RUN_ACTION_LIST,        /* --list [--short] */
    RUN_ACTION_COUNT,       /* --count */
    RUN_ACTION_DUMP,        /* --dump */
    RUN_ACTION_HELP,        /* --help */
    RUN_ACTION_VERSION,     /* --version */
    RUN_ACTION_LIST_TYPES,  /* --list-types */
    RUN_ACTION_EXPLAIN,     /* --explain NAME [--json] */
    RUN_ACTION_TESTS,       /* `vtrun list`: the test names a job reports */
};

struct run_opts {
    enum run_action action;
    const char *config;     /* --config FILE (points into argv) */
    /* Statements parsed after the file, in command-line order: "only A" for each word
     * of --only, "no A" for --no, --set verbatim (avocado-vt's --vt-only-filter,
     * --vt-no-filter, --vt-extra-params).  Owned. */
    char **stmts;
    size_t nstmts;
    bool short_names;       /* --short: shortnames instead of names */
    const char *explain;    /* --explain NAME: the case to explain (points into argv) */
    bool json;              /* --json: --explain writes JSON */
    bool defaults;          /* --defaults, or implied by --expand */
    char **expand;          /* --expand a,b: block names expanded fully; owned */
    size_t nexpand;
    /* job options */
    const char *settings;   /* --settings FILE, after the standard settings files */
    const char *backend;    /* --backend NAME, over the case's vm_type */
    unsigned shard_index;   /* --shard I/N: 1-based I; 0 = no sharding */
    unsigned shard_count;
    bool shard_auto;        /* --shard auto: I/N from the CI engine (run_shard.h) */
    unsigned shard_total;   /* --shard-total N: for engines without a total variable */
    int shard_by;           /* --shard-by name|time: enum run_shard_by */
    char *shard_said;       /* --shard auto: which engine and variables gave I/N; owned */
    long jobs;              /* --jobs N; 0 = the settings' value */
    bool dry_run;           /* --dry-run: list what would run, touch nothing */
    bool failfast;          /* --failfast: stop after the first test that did not pass */
    const char *rerun_failed; /* --rerun-failed JOB (an id, a directory, latest...) */
    const char *results_dir;  /* --job-results-dir DIR, over the settings' */
    bool full_names;        /* --full-names: report Cartesian names, not avocado-vt's */
    bool allow_empty;       /* --allow-empty: a job where no case ran exits 0 */
    bool keep_leftovers;    /* --keep-leftovers: dead jobs' resources reported, kept */
    const char *junit_params; /* --junit-params relevant|all; NULL: the settings' */
    const char *junit_flavour; /* --junit-flavour full|strict; NULL: the settings' */
    /* `vtrun run|list REF...`: avocado's test references, kept as one statement
     * "only REF1, REF2" (a case matching any of them) after the others.  Owned. */
    char *refs;
    /* `vtrun replay` of a job sharded by time: the cases it ran (their names, as
     * --rerun-failed keeps them) instead of a plan from today's history.  Owned. */
    char **only_names;
    /* The command line parsed (points into the caller's argv), for the history. */
    char **argv;
    int argc;
};

/* `vtrun run` / `vtrun list`: avocado's sub-commands.  The rest of the line is the main
 * command line, plus test references (positional words). */
enum run_sub { RUN_SUB_NONE, RUN_SUB_RUN, RUN_SUB_LIST };

/* Parse argv[1..argc-1] into *o (which it initialises).  Returns 0, or -1 with the
 * message in err_msg() (a usage error: the caller prints it and exits 2; an unknown
 * option gets "did you mean" the closest known one).  --help and --version stop the
 * parsing where they appear.  SUB allows test references (and for RUN_SUB_LIST makes
 * the default action RUN_ACTION_TESTS).  Release *o in both cases. */
int run_opts_parse(struct run_opts *o, int argc, char **argv, enum run_sub sub);
/* The closest of CANDIDATES (NULL-terminated) to WORD, or NULL when none is close
 * enough to be a typo (edit distance at most 2, and under a third of its length). */
const char *run_opts_closest(const char *word, const char *const *candidates);
/* The selection of --shard (runner/run_shard.h), NULL without it.  Listing and running
 * share it, so `--list --shard` shows exactly what `--shard` runs. */
struct run_shard *run_opts_shard(const struct run_opts *o);
/* "2/3" or "2/3 by time", then " (GitLab: CI_NODE_INDEX=2 ...)" after --shard auto: what
 * a job's header and a listing's stderr say.  A heap string. */
char *run_opts_shard_text(const struct run_opts *o);
void run_opts_release(struct run_opts *o);

/* The --help text (usage, then one line per option of the table). */
void run_opts_help(FILE *out);
const char *run_opts_version(void);

#endif
