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

#endif
