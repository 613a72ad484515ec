/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_dispo: the disposition of a case -- RUN, CANCEL or ERROR -- decided from its
 * params alone, before anything of it starts: the type exists (run_types[]), the
 * params every case has and the type's own parse (its declared tables and check
 * hook), its needs are met (runner/run_needs.h).  A job decides each case with it
 * before setup; --dry-run decides every case with it and counts the reasons.
 */
#ifndef VTRUN_RUN_DISPO_H
#define VTRUN_RUN_DISPO_H

#include <stddef.h>
#include <stdio.h>

#include "runner/run_type.h"

struct params;
struct run_facts;

struct run_dispo {
    enum run_status status;     /* RUN_PASS: it runs; RUN_CANCEL; RUN_ERROR */
    const char *fail_type;      /* ERROR: "UnknownTestType", "ConfigError" (static) */
    const char *label;          /* what the counts group by: the need, the error's kind */
    char *reason;               /* owned; NULL when it runs */
    /* of a type vtrun does not have: the need of every case it would CANCEL for, or
     * NULL (a preview for --dry-run: the type's own needs are unknown) */
    const char *would_cancel;
};

/*
 * The disposition of case p of type t (NULL: tname is no type): `bad` is the error of
 * the common params (run_common_parse), NULL when they parsed into *c.  On RUN, *opts
 * gets the type's parsed options (run_type_opts_free); else *opts is NULL.
 */
void run_dispo_decide(const struct run_type *t, const char *tname, const struct params *p,
                      const struct run_common *c, const char *bad, size_t nhosts,
                      struct run_facts *f, void **opts, struct run_dispo *d);
void run_dispo_release(struct run_dispo *d);

/* The counts of a dry run: per disposition, per reason label (the first reason of
 * each label kept as its example). */
struct run_dispo_counts;
struct run_dispo_counts *run_dispo_counts_new(void);
void run_dispo_count(struct run_dispo_counts *k, const struct run_dispo *d, const char *type);
/* "DRY RUN    : run N | cancel M | error K", then one line per reason, most first:
 * "CANCEL     :    479 hugepages -- e.g. needs hugepages: ..." (the first such reason);
 * then the cases of unknown types and what the needs of every case say of them. */
void run_dispo_counts_print(const struct run_dispo_counts *k, FILE *out);
void run_dispo_counts_free(struct run_dispo_counts *k);

#endif
