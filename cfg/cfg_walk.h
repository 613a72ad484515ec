/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * walk: depth-first expansion of the parsed tree, one case at a time (SYNTAX.md 6).
 */
#ifndef VTRUN_CFG_WALK_H
#define VTRUN_CFG_WALK_H

#include "cfg/cfg_dict.h"

struct cfg_walker;
struct cfg_eval;

/* A run of consecutive operations of one content list. */
struct cfg_oprun {
    const struct cfg_op *const *v;
    size_t n;
};

/* What the walk decides about a case: its names, its dependencies and the operations
 * to apply, leaf node first.  Everything points into the walker (or, for a copy, into
 * its owner) and into the parse tree. */
struct cfg_leaf {
    const char *name, *shortname;
    size_t namelen, snlen;
    const char *deps;            /* the dependency names, back to back */
    const size_t *depoff;        /* their end offsets in deps */
    size_t ndep;
    const struct cfg_oprun *ops;
    size_t nops;
    struct cfg_node *leaf;       /* the leaf node and how many runs are its own */
    size_t nleafruns;
};

struct cfg_walker *cfg_walker_new(struct cfg *c, bool names_only);
/* 1: *out is the next case (valid until the next call), 0: end, -1: error/cancel. */
int cfg_walker_next(struct cfg_walker *w, struct cfg_dict **out);
void cfg_walker_free(struct cfg_walker *w);

/*
 * Split evaluation (cfg_emit.c runs the two halves in two threads).  After
 * cfg_walker_defer(), cfg_walker_next() yields with *out == NULL and the case's record
 * in cfg_walker_leaf() (valid until the next call), and returns -1 ("stopped") soon
 * after *STOP turns non-zero (it is read with __atomic loads); cfg_eval_apply() turns a record
 * into the case's dict (valid until the next apply), as the walker itself does
 * otherwise.  An eval only writes the cfg's lazily filled caches (key table, regex
 * match caches, the leaf snapshot flags), which the walk never reads.
 */
void cfg_walker_defer(struct cfg_walker *w, const int *stop);
const struct cfg_leaf *cfg_walker_leaf(const struct cfg_walker *w);
struct cfg_eval *cfg_eval_new(struct cfg *c);
void cfg_eval_free(struct cfg_eval *ev);
int cfg_eval_apply(struct cfg_eval *ev, const struct cfg_leaf *l, struct cfg_dict **out);
/* Make C's cases evaluable by two threads at once: fill the caches evaluation would
 * fill lazily.  False if C has a `suffix`, whose evaluation grows the key table that
 * every evaluation and dump reads. */
bool cfg_eval_shareable(struct cfg *c);
/*
 * What cfg_explain() reads of the case cfg_walker_next() just yielded.  The walk leaves
 * all of it in place until its next call (the leaf's frame is popped, not overwritten),
 * so reading it costs the walk nothing.
 *   cfg_walker_path(): the number of nodes of the case's path and the I-th (root 0,
 *     the leaf last); 0 for a case of a `join`, whose parts cfg_walker_join() gives.
 *   cfg_walker_join(): false for a plain case; else the join's parts, one walker per
 *     term in merge order (each at the part it last yielded), the terms, the join line.
 *   cfg_walker_extra(): the `only` terms this walker checks besides the config's (a
 *     join part's term).
 * Names, shortname and dependencies of a plain case are in cfg_walker_leaf().
 */
size_t cfg_walker_path(const struct cfg_walker *w);
const struct cfg_node *cfg_walker_node(const struct cfg_walker *w, size_t i);
struct cfg_walk_join {
    size_t n;
    struct cfg_walker *const *part;
    const struct cfg_filter *terms;
    const char *file;
    int line;
};
bool cfg_walker_join(const struct cfg_walker *w, struct cfg_walk_join *out);
size_t cfg_walker_extra(const struct cfg_walker *w, const struct cfg_filter *const **out);
/* The walker behind an iterator, and a case of that iterator made from dict D (cfg.c). */
struct cfg_walker *cfg_iter_walker(struct cfg_iter *it);
const struct cfg_case *cfg_iter_case(struct cfg_iter *it, struct cfg_dict *d);

#endif
