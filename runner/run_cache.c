/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run_cache: a job's values kept between cases, by key (runner/run_cache.h).  A
 * handful of keys per job (one per host): a list searched in order is enough. */
#include "runner/run_cache.h"
#include "lib/strbuf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cache_val {
    void *val;
    void (*free_fn)(void *);
};

struct cache_entry {
    char *key;
    struct cache_val cur;           /* val NULL: dropped */
};

struct run_cache {
    pthread_mutex_t lock;
    struct cache_entry *e;
    size_t n;
    struct cache_val *retired;      /* replaced or dropped, freed with the cache */
    size_t nretired;
};

struct run_cache *run_cache_new(void)
{
    struct run_cache *c = xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void val_free(struct cache_val *v)
{
    if (v->val && v->free_fn)
        v->free_fn(v->val);
}

void run_cache_free(struct run_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        val_free(&c->e[i].cur);
        free(c->e[i].key);
    }
    for (size_t i = 0; i < c->nretired; i++)
        val_free(&c->retired[i]);
    free(c->e);
    free(c->retired);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Under the lock. */
static struct cache_entry *find(struct run_cache *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].key, key))
            return &c->e[i];
    return NULL;
}

/* Under the lock: e's value goes to the retired ones. */
static void retire(struct run_cache *c, struct cache_entry *e)
{
    if (!e || !e->cur.val)
        return;
    c->retired = xrealloc(c->retired, (c->nretired + 1) * sizeof(*c->retired));
    c->retired[c->nretired++] = e->cur;
    e->cur = (struct cache_val){ NULL, NULL };
}

void *run_cache_get(struct run_cache *c, const char *key)
{
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = find(c, key);
    void *v = e ? e->cur.val : NULL;
    pthread_mutex_unlock(&c->lock);
    return v;
}

void *run_cache_set(struct run_cache *c, const char *key, void *val,
                    void (*free_fn)(void *))
{
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = find(c, key);
    if (!e) {
        c->e = xrealloc(c->e, (c->n + 1) * sizeof(*c->e));
        e = &c->e[c->n++];
        *e = (struct cache_entry){ xstrdup(key), { NULL, NULL } };
    }
    retire(c, e);
    e->cur = (struct cache_val){ val, free_fn };
    pthread_mutex_unlock(&c->lock);
    return val;
}

void run_cache_drop(struct run_cache *c, const char *key)
{
    pthread_mutex_lock(&c->lock);
    retire(c, find(c, key));
    pthread_mutex_unlock(&c->lock);
}
