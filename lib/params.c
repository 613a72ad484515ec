/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ordered dict: entries in insertion order plus an open-addressing index of entry
 * positions, so lookups stay O(1) on the ~300-key cases of real provider configs.
 */
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
    char *key;
    char *value;
    uint32_t hash;
};

struct params {
    struct entry *e;
    size_t n, cap;
    uint32_t *slot;     /* 0 = empty, else entry index + 1 */
    size_t nslot;       /* power of two, > 2 * n */
};

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;      /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void reindex(struct params *p, size_t nslot)
{
    free(p->slot);
    p->nslot = nslot;
    p->slot = xcalloc(nslot, sizeof(*p->slot));
    for (size_t i = 0; i < p->n; i++) {
        size_t j = p->e[i].hash & (nslot - 1);
        while (p->slot[j])
            j = (j + 1) & (nslot - 1);
        p->slot[j] = (uint32_t)(i + 1);
    }
}

static long find(const struct params *p, const char *key, uint32_t h)
{
    if (!p->nslot)
        return -1;
    for (size_t j = h & (p->nslot - 1); p->slot[j]; j = (j + 1) & (p->nslot - 1)) {
        const struct entry *e = &p->e[p->slot[j] - 1];
        if (e->hash == h && strcmp(e->key, key) == 0)
            return (long)(p->slot[j] - 1);
    }
    return -1;
}

struct params *params_new(void)
{
    return xcalloc(1, sizeof(struct params));
}

struct params *params_dup(const struct params *src)
{
    struct params *p = params_new();
    for (size_t i = 0; i < src->n; i++)
        params_set(p, src->e[i].key, src->e[i].value);
    return p;
}

void params_free(struct params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->e[i].key);
        free(p->e[i].value);
    }
    free(p->e);
    free(p->slot);
    free(p);
}

void params_set(struct params *p, const char *key, const char *value)
{
    uint32_t h = hash_str(key);
    long i = find(p, key, h);
    if (i >= 0) {
        char *v = xstrdup(value);       /* value may point into the old one */
        free(p->e[i].value);
        p->e[i].value = v;
        return;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->e = xrealloc(p->e, p->cap * sizeof(*p->e));
    }
    p->e[p->n++] = (struct entry){ xstrdup(key), xstrdup(value), h };
    if (p->nslot < 2 * p->n + 2)
        reindex(p, p->nslot ? p->nslot * 2 : 32);
    else {
        size_t j = h & (p->nslot - 1);
        while (p->slot[j])
            j = (j + 1) & (p->nslot - 1);
        p->slot[j] = (uint32_t)p->n;
    }
}

bool params_del(struct params *p, const char *key)
{
    long i = find(p, key, hash_str(key));
    if (i < 0)
        return false;
    free(p->e[i].key);
    free(p->e[i].value);
    memmove(&p->e[i], &p->e[i + 1], (p->n - (size_t)i - 1) * sizeof(*p->e));
    p->n--;
    reindex(p, p->nslot);
    return true;
}

const char *params_get(const struct params *p, const char *key)
{
    long i = find(p, key, hash_str(key));
    return i < 0 ? NULL : p->e[i].value;
}

const char *params_get_or(const struct params *p, const char *key, const char *def)
{
    const char *v = params_get(p, key);
    return v ? v : def;
}

bool params_has(const struct params *p, const char *key)
{
    return params_get(p, key) != NULL;
}

static const char *typed(const struct params *p, const char *key, bool *ok)
{
    const char *v = params_get(p, key);
    if (ok)
        *ok = true;
    while (v && isspace((unsigned char)*v))
        v++;
    return v && *v ? v : NULL;
}

static bool only_space(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

long params_get_int(const struct params *p, const char *key, long def, bool *ok)
{
    const char *v = typed(p, key, ok);
    if (!v)
        return def;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 0);
    if (errno || end == v || !only_space(end)) {
        if (ok)
            *ok = false;
        return def;
    }
    return n;
}

double params_get_float(const struct params *p, const char *key, double def, bool *ok)
{
    const char *v = typed(p, key, ok);
    if (!v)
        return def;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || !only_space(end)) {
        if (ok)
            *ok = false;
        return def;
    }
    return d;
}

bool params_get_bool(const struct params *p, const char *key, bool def, bool *ok)
{
    static const struct { const char *word; bool val; } words[] = {
        { "yes", true }, { "no", false }, { "true", true }, { "false", false },
        { "on", true }, { "off", false }, { "1", true }, { "0", false },
    };
    const char *v = typed(p, key, ok);
    if (!v)
        return def;
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1]))
        n--;
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (strlen(words[i].word) == n && strncasecmp(v, words[i].word, n) == 0)
            return words[i].val;
    if (ok)
        *ok = false;
    return def;
}

const struct params_word *params_word_find(const struct params_word *words, const char *s)
{
    for (; s && words && words->word; words++)
        if (!strcmp(words->word, s))
            return words;
    return NULL;
}

int params_size_parse(const char *s, unsigned long long *bytes)
{
    if (!s || !isdigit((unsigned char)*s))
        goto bad;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        goto bad;
    unsigned shift = 0;
    switch (tolower((unsigned char)*end)) {
    case 'k': shift = 10; end++; break;
    case 'm': shift = 20; end++; break;
    case 'g': shift = 30; end++; break;
    case 't': shift = 40; end++; break;
    default: break;
    }
    if (shift && *end == 'i')
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end || (shift && v > (~0ULL >> shift)))
        goto bad;
    *bytes = v << shift;
    return 0;
bad:
    err_set("'%s' is not a size (e.g. 128M, 1G, 4096)", s ? s : "");
    return -1;
}

char **params_objects(const struct params *p, const char *key)
{
    return params_split(params_get(p, key));
}

char **params_split(const char *v)
{
    if (!v)
        v = "";
    size_t n = 0, cap = 4;
    char **out = xmalloc(cap * sizeof(*out));
    while (*v) {
        while (*v && isspace((unsigned char)*v))
            v++;
        const char *w = v;
        while (*v && !isspace((unsigned char)*v))
            v++;
        if (v == w)
            break;
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strlen(out[i]) == (size_t)(v - w) && !strncmp(out[i], w, (size_t)(v - w));
        if (dup)
            continue;
        if (n + 2 > cap)
            out = xrealloc(out, (cap *= 2) * sizeof(*out));
        out[n++] = xstrndup(w, (size_t)(v - w));
    }
    out[n] = NULL;
    return out;
}

size_t params_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

void params_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

struct params *params_object(const struct params *p, const char *name)
{
    struct params *o = params_dup(p);
    char *suffix = xasprintf("_%s", name);
    size_t sl = strlen(suffix);
    for (size_t i = 0; i < p->n; i++) {
        const char *k = p->e[i].key;
        size_t kl = strlen(k);
        if (kl < sl || strcmp(k + kl - sl, suffix) != 0)
            continue;
        const char *first = strstr(k, suffix);     /* Python's key.split(suffix)[0] */
        char *base = xstrndup(k, (size_t)(first - k));
        params_set(o, base, p->e[i].value);
        free(base);
    }
    free(suffix);
    return o;
}

size_t params_count(const struct params *p)
{
    return p->n;
}

const char *params_key_at(const struct params *p, size_t i)
{
    return i < p->n ? p->e[i].key : NULL;
}

const char *params_value_at(const struct params *p, size_t i)
{
    return i < p->n ? p->e[i].value : NULL;
}
