/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_cache: what a job keeps from one case to the next, by key (the facts of a host
 * the pre-migration checks read: runner/type_migrate_stress.c).  One per job, shared
 * by its workers (--jobs N), so every call takes the cache's lock.
 *
 * A value is immutable once kept.  Replacing or dropping a key does not free its old
 * value, since another worker may still read it: the value is retired and freed with
 * the cache, at the end of the job (a few per job: a re-read follows only a failed
 * check or a daemon restart).
 *
 *   const struct facts *f = run_cache_get(c, key);
 *   if (!f || stale(f))
 *       f = run_cache_set(c, key, read_facts(), facts_free);
 *   ... use f until the job ends ...
 *   if (a check of f failed) run_cache_drop(c, key);     (read again next time)
 */
#ifndef VTRUN_RUN_CACHE_H
#define VTRUN_RUN_CACHE_H

struct run_cache;

struct run_cache *run_cache_new(void);
/* Frees every value, kept or retired.  NULL is fine. */
void run_cache_free(struct run_cache *c);
/* The value kept under key, or NULL.  Valid until run_cache_free(). */
void *run_cache_get(struct run_cache *c, const char *key);
/* Keep val (owned by the cache from now on, freed with free_fn) under key; an older
 * value is retired.  Returns val. */
void *run_cache_set(struct run_cache *c, const char *key, void *val,
                    void (*free_fn)(void *));
/* Forget key's value (retired): the next get of key is NULL. */
void run_cache_drop(struct run_cache *c, const char *key);

#endif
