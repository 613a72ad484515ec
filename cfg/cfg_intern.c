/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interning for the config engine: an arena for parse-time objects, string ids (label
 * values, block names, suffixes, file names), key ids (plain and suffixed keys) and
 * label ids.  Ids let the expansion compare labels and look keys up with array
 * indexing instead of string hashing on the hot path.
 */
#include "cfg/cfg_int.h"

#include <stdlib.h>
#include <string.h>

struct cfg_chunk {
    struct cfg_chunk *next;
    size_t used, size;
    max_align_t data[];
};

#define CHUNK 65536

static void *arena_raw(struct cfg_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct cfg_chunk *ch = a->head;
    if (ch && ch->size - ch->used >= n)
        goto done;
    if (n > CHUNK / 4) {
        /* a big block (a file's text) gets a chunk of its own, behind the current one:
         * the rest of the current chunk stays in use */
        ch = xmalloc(sizeof(*ch) + n);
        ch->size = ch->used = n;
        if (a->head) {
            ch->next = a->head->next;
            a->head->next = ch;
        } else {
            ch->next = NULL;
            a->head = ch;
        }
        return ch->data;
    }
    if (a->spare) {
        ch = a->spare;
        a->spare = ch->next;
    } else {
        ch = xmalloc(sizeof(*ch) + CHUNK);
        ch->size = CHUNK;
    }
    ch->used = 0;
    ch->next = a->head;
    a->head = ch;
done:;
    void *p = (char *)ch->data + ch->used;
    ch->used += n;
    return p;
}

void *cfg_arena_alloc(struct cfg_arena *a, size_t n)
{
    void *p = arena_raw(a, n);
    memset(p, 0, n);
    return p;
}

void *cfg_arena_alloc_raw(struct cfg_arena *a, size_t n)
{
    return arena_raw(a, n);
}

char *cfg_arena_strndup(struct cfg_arena *a, const char *s, size_t n)
{
    char *p = arena_raw(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

struct cfg_arena_mark cfg_arena_mark(const struct cfg_arena *a)
{
    struct cfg_arena_mark m = { a->head, a->head ? a->head->next : NULL,
                                a->head ? a->head->used : 0 };
    return m;
}

void cfg_arena_rewind(struct cfg_arena *a, struct cfg_arena_mark m)
{
    while (a->head && a->head != m.chunk) {
        struct cfg_chunk *n = a->head->next;
        /* keep one ordinary chunk for the next statement; give the rest back */
        if (!a->spare && a->head->size == CHUNK) {
            a->head->next = NULL;
            a->spare = a->head;
        } else
            free(a->head);
        a->head = n;
    }
    if (a->head) {
        /* big blocks allocated since the mark sit between the chunk and m.behind */
        while (a->head->next != m.behind) {
            struct cfg_chunk *n = a->head->next->next;
            free(a->head->next);
            a->head->next = n;
        }
        a->head->used = m.used;
    }
}

void cfg_arena_free(struct cfg_arena *a)
{
    while (a->head) {
        struct cfg_chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
    while (a->spare) {
        struct cfg_chunk *n = a->spare->next;
        free(a->spare);
        a->spare = n;
    }
}

/* Eight bytes at a time (keys and labels are 5-40 bytes): only table positions
 * depend on it, never an order. */
static uint32_t hash_bytes(const char *s, size_t len)
{
    const uint64_t m = 0x9E3779B97F4A7C15ull;
    uint64_t h = len * m;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * m;
        h ^= h >> 29;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, s + i, len - i);
        h = (h ^ w) * m;
        h ^= h >> 29;
    }
    h *= m;
    return (uint32_t)(h >> 32);
}

/* A slot holds hash << 32 | (id + 1), 0 = empty: a probe compares hashes without
 * touching the string arrays. */
static void strtab_reindex(struct cfg_strtab *t)
{
    size_t ns = t->nslot ? t->nslot * 2 : 1024;
    free(t->slot);
    t->slot = xcalloc(ns, sizeof(*t->slot));
    t->nslot = ns;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = t->hash[i] & (ns - 1);
        while (t->slot[j])
            j = (j + 1) & (ns - 1);
        t->slot[j] = (uint64_t)t->hash[i] << 32 | (uint32_t)(i + 1);
    }
}

static uint32_t strtab_find(const struct cfg_strtab *t, const char *s, size_t len, uint32_t h)
{
    uint64_t hh = (uint64_t)h << 32;
    for (size_t j = h & (t->nslot - 1); t->slot[j]; j = (j + 1) & (t->nslot - 1)) {
        uint64_t v = t->slot[j];
        if ((v & 0xFFFFFFFF00000000ull) != hh)
            continue;
        uint32_t id = (uint32_t)v - 1;
        if (t->len[id] == len && memcmp(t->s[id], s, len) == 0)
            return id;
    }
    return CFG_NONE;
}

uint32_t cfg_str_find(const struct cfg_strtab *t, const char *s, size_t len)
{
    if (!t->nslot)
        return CFG_NONE;
    return strtab_find(t, s, len, hash_bytes(s, len));
}

uint32_t cfg_str_intern(struct cfg_strtab *t, const char *s, size_t len)
{
    uint32_t h = hash_bytes(s, len);
    if (t->nslot) {
        uint32_t id = strtab_find(t, s, len, h);
        if (id != CFG_NONE)
            return id;
    }
    if (t->n == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 256;
        t->s = xrealloc(t->s, t->alloc * sizeof(*t->s));
        t->len = xrealloc(t->len, t->alloc * sizeof(*t->len));
        t->hash = xrealloc(t->hash, t->alloc * sizeof(*t->hash));
    }
    uint32_t id = (uint32_t)t->n++;
    t->s[id] = cfg_arena_strndup(&t->arena, s, len);
    t->len[id] = (uint32_t)len;
    t->hash[id] = h;
    if (t->n * 2 > t->nslot)
        strtab_reindex(t);
    else {
        size_t j = h & (t->nslot - 1);
        while (t->slot[j])
            j = (j + 1) & (t->nslot - 1);
        t->slot[j] = (uint64_t)h << 32 | (id + 1);
    }
    return id;
}

void cfg_strtab_free(struct cfg_strtab *t)
{
    free(t->s);
    free(t->len);
    free(t->hash);
    free(t->slot);
    cfg_arena_free(&t->arena);
    memset(t, 0, sizeof(*t));
}

/* ---- keys ---- */

static uint32_t key_new(struct cfg_keytab *t)
{
    if (t->n == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 1024;
        t->k = xrealloc(t->k, t->alloc * sizeof(*t->k));
    }
    uint32_t id = (uint32_t)t->n++;
    memset(&t->k[id], 0, sizeof(t->k[id]));
    t->k[id].pf_base = CFG_NONE;
    return id;
}

uint32_t cfg_key_find_plain(const struct cfg_keytab *t, const char *s, size_t len)
{
    uint32_t sid = cfg_str_find(&t->text, s, len);
    return sid == CFG_NONE ? CFG_NONE : t->by_text[sid];
}

/* Text before the first occurrence of MARK in S (Python key.split(mark)[0]). */
static size_t split_first(const char *s, size_t len, const char *mark)
{
    size_t ml = strlen(mark);
    for (size_t i = 0; i + ml <= len; i++)
        if (memcmp(s + i, mark, ml) == 0)
            return i;
    return len;
}

static bool ends_with(const char *s, size_t len, const char *suf)
{
    size_t l = strlen(suf);
    return len >= l && memcmp(s + len - l, suf, l) == 0;
}

uint32_t cfg_key_plain(struct cfg_keytab *t, const char *s, size_t len)
{
    uint32_t sid = cfg_str_intern(&t->text, s, len);
    if (sid < t->nby_text && t->by_text[sid] != CFG_NONE)
        return t->by_text[sid];
    if (sid >= t->nby_text) {
        size_t nn = t->nby_text ? t->nby_text * 2 : 1024;
        while (nn <= sid)
            nn *= 2;
        t->by_text = xrealloc(t->by_text, nn * sizeof(*t->by_text));
        for (size_t i = t->nby_text; i < nn; i++)
            t->by_text[i] = CFG_NONE;
        t->nby_text = nn;
    }
    uint32_t id = key_new(t);
    t->by_text[sid] = id;
    struct cfg_key *k = &t->k[id];
    k->text = t->text.s[sid];
    k->len = (uint32_t)len;
    k->parent = CFG_NONE;
    k->suffix = CFG_NONE;
    k->base = id;
    /* postfix rules: the same test order as avocado's postfix_parse */
    const char *marks[] = { NULL, "_max", "_min", "_fixed" };
    for (int kind = PF_MAX; kind <= PF_FIXED; kind++) {
        if (ends_with(s, len, marks[kind])) {
            size_t bl = split_first(s, len, marks[kind]);
            uint32_t b = cfg_key_plain(t, s, bl);
            t->k[id].pf_kind = (uint8_t)kind;
            t->k[id].pf_base = b;
            break;
        }
    }
    return id;
}

static void tuple_reindex(struct cfg_keytab *t)
{
    size_t ns = t->ntslot ? t->ntslot * 2 : 256;
    uint64_t *slot = xcalloc(ns, sizeof(*slot));
    uint32_t *tid = xcalloc(ns, sizeof(*tid));
    for (size_t i = 0; i < t->ntslot; i++) {
        if (!t->tslot[i])
            continue;
        size_t j = (size_t)((t->tslot[i] * 0x9E3779B97F4A7C15ull) >> 20) & (ns - 1);
        while (slot[j])
            j = (j + 1) & (ns - 1);
        slot[j] = t->tslot[i];
        tid[j] = t->tid[i];
    }
    free(t->tslot);
    free(t->tid);
    t->tslot = slot;
    t->tid = tid;
    t->ntslot = ns;
}

uint32_t cfg_key_tuple(struct cfg_keytab *t, uint32_t parent, uint32_t suffix,
                       const struct cfg_strtab *strs)
{
    uint64_t kv = (((uint64_t)parent << 32) | suffix) + 1;
    if ((t->ntuples + 1) * 2 > t->ntslot)
        tuple_reindex(t);
    size_t j = (size_t)((kv * 0x9E3779B97F4A7C15ull) >> 20) & (t->ntslot - 1);
    while (t->tslot[j]) {
        if (t->tslot[j] == kv)
            return t->tid[j];
        j = (j + 1) & (t->ntslot - 1);
    }
    uint32_t id = key_new(t);
    t->tslot[j] = kv;
    t->tid[j] = id;
    t->ntuples++;
    const struct cfg_key *p = &t->k[parent];
    size_t sl = strs->len[suffix];
    char *txt = cfg_arena_alloc(&t->arena, p->len + sl + 1);
    memcpy(txt, p->text, p->len);
    memcpy(txt + p->len, strs->s[suffix], sl);
    struct cfg_key *k = &t->k[id];
    k->text = txt;
    k->len = (uint32_t)(p->len + sl);
    k->parent = parent;
    k->suffix = suffix;
    k->base = p->base;
    k->depth = p->depth + 1;
    return id;
}

/* ---- labels ---- */

uint32_t cfg_label_id(struct cfg *c, uint32_t var, uint32_t val)
{
    uint64_t kv = ((uint64_t)var << 32) | val;
    uint32_t h = (uint32_t)((kv * 0x9E3779B97F4A7C15ull) >> 32);
    if ((c->nlabels + 1) * 2 > c->nlslot) {
        size_t ns = c->nlslot ? c->nlslot * 2 : 1024;
        uint32_t *sl = xcalloc(ns, sizeof(*sl));
        for (size_t i = 0; i < c->nlabels; i++) {
            uint64_t k2 = ((uint64_t)c->labels[i].var << 32) | c->labels[i].val;
            size_t j = (uint32_t)((k2 * 0x9E3779B97F4A7C15ull) >> 32) & (ns - 1);
            while (sl[j])
                j = (j + 1) & (ns - 1);
            sl[j] = (uint32_t)i + 1;
        }
        free(c->lslot);
        c->lslot = sl;
        c->nlslot = ns;
    }
    size_t j = h & (c->nlslot - 1);
    while (c->lslot[j]) {
        const struct cfg_label *l = &c->labels[c->lslot[j] - 1];
        if (l->var == var && l->val == val)
            return c->lslot[j] - 1;
        j = (j + 1) & (c->nlslot - 1);
    }
    if (c->nlabels == c->alabels) {
        c->alabels = c->alabels ? c->alabels * 2 : 1024;
        c->labels = xrealloc(c->labels, c->alabels * sizeof(*c->labels));
    }
    uint32_t id = (uint32_t)c->nlabels++;
    c->labels[id].var = var;
    c->labels[id].val = val;
    c->labels[id].lid = id;
    c->lslot[j] = id + 1;
    return id;
}
