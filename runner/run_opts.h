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
    long jobs;              /* --jobs N; 0 = the settings' value */
    bool dry_run;           /* --dry-run: list what would run, touch nothing */
    bool failfast;          /* --failfast: stop after the first test that did not pass */
    const char *rerun_failed; /* --rerun-failed results.json */
};

/* Parse argv[1..argc-1] into *o (which it initialises).  Returns 0, or -1 with the
 * message in err_msg() (a usage error: the caller prints it and exits 2).  --help and
 * --version stop the parsing where they appear.  Release *o in both cases. */
int run_opts_parse(struct run_opts *o, int argc, char **argv);
/* --shard I/N: is the k-th selected case (generation order, from 0) in shard I, i.e.
 * k mod N == I - 1?  Always true without --shard.  Listing and running share it, so
 * `--list --shard` shows exactly what `--shard` runs. */
bool run_opts_in_shard(const struct run_opts *o, unsigned long long k);
void run_opts_release(struct run_opts *o);

/* The --help text (usage, then one line per option of the table). */
void run_opts_help(FILE *out);
const char *run_opts_version(void);

#endif
