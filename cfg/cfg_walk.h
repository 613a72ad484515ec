/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * walk: depth-first expansion of the parsed tree, one case at a time (SYNTAX.md 6).
 */
#ifndef VTRUN_CFG_WALK_H
#define VTRUN_CFG_WALK_H

#include "cfg/cfg_dict.h"

struct cfg_walker;

struct cfg_walker *cfg_walker_new(struct cfg *c, bool names_only);
/* 1: *out is the next case (valid until the next call), 0: end, -1: error/cancel. */
int cfg_walker_next(struct cfg_walker *w, struct cfg_dict **out);
void cfg_walker_free(struct cfg_walker *w);

/*
 * Parallel expansion (cfg_emit.c).  Walkers that share a split each expand only the
 * units they claim: a unit is a node entered at frame depth DEPTH, or a leaf entered
 * above it, numbered in walk order (the same for every walker, since pruning depends on
 * the path only).  CLAIM runs in the walker's thread at every unit it reaches and says
 * whether this walker expands it; a walker that passes a unit has finished the previous
 * one.  STOP (set by any thread) makes the walkers return -1 ("stopped") promptly.
 */
struct cfg_split {
    size_t depth;
    bool (*claim)(struct cfg_split *s, uint64_t unit, void *ctx);
    int stop;       /* read and written with __atomic builtins */
};
void cfg_walker_set_split(struct cfg_walker *w, struct cfg_split *s, void *ctx);
/* The walker behind an iterator (cfg.c). */
struct cfg_walker *cfg_iter_walker(struct cfg_iter *it);

/* Can walkers share C from several threads?  Not with `join` (sub-walkers merge
 * across units), defaults mode (a block's default depends on its siblings' yields) or
 * `suffix` (it interns new keys into the shared key table). */
bool cfg_walk_parallel_ok(const struct cfg *c);
/* The depth for a split of C's walk into units (0: too few cases to be worth it). */
size_t cfg_walk_split_depth(struct cfg *c, size_t *cases_per_unit);
/* Fill the tree's lazily computed caches, so that walkers in several threads only
 * read it.  Call before the threads start. */
void cfg_walk_prepare(struct cfg *c);

#endif
