/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The case dict and the operations applied to it (SYNTAX.md 4.1, 7, 8, 9): set,
 * append, prepend, lazy set, regex operators, del, suffix, the file-map updates,
 * ${key} substitution, _max/_min/_fixed, and suffix flattening.
 */
#include "cfg/cfg_dict.h"
#include "lib/err.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bump arena: values of the current case ---- */

static char *bump(struct cfg_bump *b, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    while (b->cur < b->nchunk) {
        if (b->size[b->cur] - b->used >= n) {
            char *p = b->chunk[b->cur] + b->used;
            b->used += n;
            return p;
        }
        b->cur++;
        b->used = 0;
    }
    size_t sz = n > 262144 ? n : 262144;
    b->chunk = xrealloc(b->chunk, (b->nchunk + 1) * sizeof(*b->chunk));
    b->size = xrealloc(b->size, (b->nchunk + 1) * sizeof(*b->size));
    b->chunk[b->nchunk] = xmalloc(sz);
    b->size[b->nchunk] = sz;
    b->cur = b->nchunk++;
    b->used = n;
    return b->chunk[b->cur];
}

char *cfg_dict_alloc(struct cfg_dict *d, size_t n)
{
    return bump(&d->bump, n);
}

static const char *bump_dup(struct cfg_dict *d, const char *s, size_t n)
{
    char *p = bump(&d->bump, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void cfg_dict_init(struct cfg_dict *d, struct cfg *c)
{
    memset(d, 0, sizeof(*d));
    d->c = c;
    d->cur = 1;
}

void cfg_dict_release(struct cfg_dict *d)
{
    free(d->e);
    free(d->pos);
    free(d->stamp);
    for (int i = 0; i < 2; i++) {
        free(d->map[i].file);
        free(d->map[i].s);
        free(d->map[i].len);
    }
    free(d->dep.s);
    free(d->dep.len);
    free(d->sflat);
    for (size_t i = 0; i < d->bump.nchunk; i++)
        free(d->bump.chunk[i]);
    free(d->bump.chunk);
    free(d->bump.size);
    memset(d, 0, sizeof(*d));
}

static void ensure_pos(struct cfg_dict *d, uint32_t key)
{
    if (key < d->npos)
        return;
    size_t nn = d->npos ? d->npos : 1024;
    while (nn <= key)
        nn *= 2;
    d->pos = xrealloc(d->pos, nn * sizeof(*d->pos));
    d->stamp = xrealloc(d->stamp, nn * sizeof(*d->stamp));
    memset(d->stamp + d->npos, 0, (nn - d->npos) * sizeof(*d->stamp));
    d->npos = nn;
}

static inline struct cfg_ent *find(const struct cfg_dict *d, uint32_t key)
{
    if (key >= d->npos || d->stamp[key] != d->cur)
        return NULL;
    return &d->e[d->pos[key] - 1];
}

const struct cfg_ent *cfg_dict_get(const struct cfg_dict *d, uint32_t key)
{
    return find(d, key);
}

static struct cfg_ent *append(struct cfg_dict *d, uint32_t key)
{
    ensure_pos(d, key);
    if (d->n == d->a) {
        d->a = d->a ? d->a * 2 : 512;
        d->e = xrealloc(d->e, d->a * sizeof(*d->e));
    }
    struct cfg_ent *e = &d->e[d->n++];
    e->key = key;
    d->pos[key] = (uint32_t)d->n;
    d->stamp[key] = d->cur;
    const struct cfg_key *k = &d->c->keys.k[key];
    if (k->parent != CFG_NONE)
        d->has_tuple = true;
    else if (k->pf_kind != PF_NONE)
        d->npf++;
    return e;
}

static void remove_key(struct cfg_dict *d, uint32_t key)
{
    struct cfg_ent *e = find(d, key);
    if (!e)
        return;
    e->key = CFG_NONE;
    d->stamp[key] = 0;
}

/* Drop deleted entries when they pile up (suffix moves every key). */
static void compact(struct cfg_dict *d)
{
    size_t j = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->e[i].key == CFG_NONE)
            continue;
        d->e[j] = d->e[i];
        d->pos[d->e[j].key] = (uint32_t)j + 1;
        j++;
    }
    d->n = j;
}

void cfg_dict_set_str(struct cfg_dict *d, uint32_t key, const char *s, size_t len,
                      const struct cfg_op *src)
{
    struct cfg_ent *e = find(d, key);
    if (!e)
        e = append(d, key);
    e->type = V_STR;
    e->s = s;
    e->len = (uint32_t)len;
    e->src = src;
}

static void set_special(struct cfg_dict *d, uint32_t key, uint8_t type)
{
    struct cfg_ent *e = find(d, key);
    if (!e)
        e = append(d, key);
    e->type = type;
    e->s = NULL;
    e->len = 0;
    e->src = NULL;
}

void cfg_dict_dep_add(struct cfg_dict *d, const char *s, size_t len)
{
    struct cfg_strv *v = &d->dep;
    if (v->n == v->a) {
        v->a = v->a ? v->a * 2 : 8;
        v->s = xrealloc(v->s, v->a * sizeof(*v->s));
        v->len = xrealloc(v->len, v->a * sizeof(*v->len));
    }
    v->s[v->n] = s;
    v->len[v->n++] = (uint32_t)len;
}

void cfg_dict_reset(struct cfg_dict *d, const char *name, size_t nlen,
                    const char *shortname, size_t slen)
{
    d->cur++;
    if (d->cur == 0) {
        memset(d->stamp, 0, d->npos * sizeof(*d->stamp));
        d->cur = 1;
    }
    d->n = 0;
    d->has_tuple = false;
    d->npf = 0;
    d->map[0].n = d->map[1].n = 0;
    d->dep.n = 0;
    d->bump.cur = 0;
    d->bump.used = 0;
    cfg_dict_set_str(d, K_NAME, name, nlen, NULL);
    set_special(d, K_DEP, V_DEP);
    cfg_dict_set_str(d, K_SHORTNAME, shortname, slen, NULL);
}

void cfg_dict_copy(struct cfg_dict *dst, const struct cfg_dict *src)
{
    cfg_dict_reset(dst, "", 0, "", 0);
    dst->n = 0;
    for (size_t i = 0; i < src->n; i++) {
        const struct cfg_ent *s = &src->e[i];
        if (s->key == CFG_NONE)
            continue;
        struct cfg_ent *e = append(dst, s->key);
        *e = *s;
        if (s->type == V_STR)
            e->s = bump_dup(dst, s->s, s->len);
    }
    for (int m = 0; m < 2; m++) {
        dst->map[m].n = 0;
        for (size_t i = 0; i < src->map[m].n; i++) {
            struct cfg_map *M = &dst->map[m];
            if (M->n == M->a) {
                M->a = M->a ? M->a * 2 : 8;
                M->file = xrealloc(M->file, M->a * sizeof(*M->file));
                M->s = xrealloc(M->s, M->a * sizeof(*M->s));
                M->len = xrealloc(M->len, M->a * sizeof(*M->len));
            }
            M->file[M->n] = src->map[m].file[i];
            M->s[M->n] = bump_dup(dst, src->map[m].s[i], src->map[m].len[i]);
            M->len[M->n++] = src->map[m].len[i];
        }
    }
    dst->dep.n = 0;
    for (size_t i = 0; i < src->dep.n; i++)
        cfg_dict_dep_add(dst, bump_dup(dst, src->dep.s[i], src->dep.len[i]), src->dep.len[i]);
}

void cfg_dict_restore(struct cfg_dict *d, const struct cfg_ent *e, size_t n, bool has_tuple,
                      uint32_t npf)
{
    /* a new stamp forgets every current entry at once */
    d->cur++;
    if (d->cur == 0) {
        memset(d->stamp, 0, d->npos * sizeof(*d->stamp));
        d->cur = 1;
    }
    /* every key of the snapshot exists already: size the index once */
    if (d->c->keys.n >= d->npos)
        ensure_pos(d, (uint32_t)d->c->keys.n);
    d->n = 0;
    if (d->a < n) {
        d->a = n + 64;
        d->e = xrealloc(d->e, d->a * sizeof(*d->e));
    }
    memcpy(d->e, e, n * sizeof(*e));
    d->n = n;
    d->npf = npf;
    for (size_t i = 0; i < n; i++) {
        uint32_t k = e[i].key;
        d->pos[k] = (uint32_t)i + 1;
        d->stamp[k] = d->cur;
    }
    d->has_tuple = has_tuple;
}

/* d.update(o): maps and dep are whole values, so o's replace d's. */
void cfg_dict_update(struct cfg_dict *d, const struct cfg_dict *o)
{
    for (size_t i = 0; i < o->n; i++) {
        const struct cfg_ent *s = &o->e[i];
        if (s->key == CFG_NONE)
            continue;
        struct cfg_ent *e = find(d, s->key);
        if (!e)
            e = append(d, s->key);
        *e = *s;
        if (s->type == V_STR)
            e->s = bump_dup(d, s->s, s->len);
        if (s->type == V_MAP) {
            int m = s->key == K_NAMEMAP ? 0 : 1;
            d->map[m].n = 0;
            for (size_t k = 0; k < o->map[m].n; k++) {
                struct cfg_map *M = &d->map[m];
                if (M->n == M->a) {
                    M->a = M->a ? M->a * 2 : 8;
                    M->file = xrealloc(M->file, M->a * sizeof(*M->file));
                    M->s = xrealloc(M->s, M->a * sizeof(*M->s));
                    M->len = xrealloc(M->len, M->a * sizeof(*M->len));
                }
                M->file[M->n] = o->map[m].file[k];
                M->s[M->n] = bump_dup(d, o->map[m].s[k], o->map[m].len[k]);
                M->len[M->n++] = o->map[m].len[k];
            }
        }
        if (s->type == V_DEP) {
            d->dep.n = 0;
            for (size_t k = 0; k < o->dep.n; k++)
                cfg_dict_dep_add(d, bump_dup(d, o->dep.s[k], o->dep.len[k]), o->dep.len[k]);
        }
    }
}

/* ---- Python text forms ---- */

static void py_repr_str(struct strbuf *sb, const char *s, size_t n)
{
    bool sq = memchr(s, '\'', n) != NULL, dq = memchr(s, '"', n) != NULL;
    char q = sq && !dq ? '"' : '\'';
    strbuf_addch(sb, q);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\\')
            strbuf_addstr(sb, "\\\\");
        else if (ch == (unsigned char)q) {
            strbuf_addch(sb, '\\');
            strbuf_addch(sb, q);
        } else if (ch == '\n')
            strbuf_addstr(sb, "\\n");
        else if (ch == '\r')
            strbuf_addstr(sb, "\\r");
        else if (ch == '\t')
            strbuf_addstr(sb, "\\t");
        else if (ch < 0x20 || ch == 0x7f)
            strbuf_addf(sb, "\\x%02x", ch);
        else
            strbuf_addch(sb, (char)ch);
    }
    strbuf_addch(sb, q);
}

/* str(value) as ${} substitution writes it. */
static void py_str(const struct cfg_dict *d, const struct cfg_ent *e, struct strbuf *sb)
{
    const struct cfg *c = d->c;
    if (e->type == V_STR) {
        strbuf_add(sb, e->s, e->len);
    } else if (e->type == V_DEP) {
        strbuf_addch(sb, '[');
        for (size_t i = 0; i < d->dep.n; i++) {
            if (i)
                strbuf_addstr(sb, ", ");
            py_repr_str(sb, d->dep.s[i], d->dep.len[i]);
        }
        strbuf_addch(sb, ']');
    } else {
        const struct cfg_map *m = &d->map[e->key == K_NAMEMAP ? 0 : 1];
        strbuf_addch(sb, '{');
        for (size_t i = 0; i < m->n; i++) {
            if (i)
                strbuf_addstr(sb, ", ");
            py_repr_str(sb, c->strs.s[m->file[i]], c->strs.len[m->file[i]]);
            strbuf_addstr(sb, ": ");
            py_repr_str(sb, m->s[i], m->len[i]);
        }
        strbuf_addch(sb, '}');
    }
}

/* Bytes JSON must escape: controls, '"' and backslash. */
static inline bool json_plain8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t lt20 = (x - ones * 0x20) & ~x & high;          /* byte < 0x20 */
    uint64_t q = x ^ (ones * 0x22), b = x ^ (ones * 0x5C);
    uint64_t isq = (q - ones) & ~q & high, isb = (b - ones) & ~b & high;
    return !(lt20 | isq | isb);
}

static void json_str(struct strbuf *sb, const char *s, size_t n)
{
    strbuf_grow(sb, n * 6 + 2);
    char *p = sb->buf + sb->len;
    *p++ = '"';
    size_t i = 0;
    while (i < n) {
        /* copy the stretch that needs no escape, 8 bytes at a time */
        size_t j = i;
        while (j + 8 <= n) {
            uint64_t x;
            memcpy(&x, s + j, 8);
            if (!json_plain8(x))
                break;
            j += 8;
        }
        /* the last partial word: re-check the final 8 bytes (they overlap checked
         * ones) instead of going byte by byte */
        if (j < n && n >= 8 && j + 8 > n) {
            uint64_t x;
            memcpy(&x, s + n - 8, 8);
            if (json_plain8(x))
                j = n;
        }
        while (j < n && (unsigned char)s[j] >= 0x20 && s[j] != '"' && s[j] != '\\')
            j++;
        memcpy(p, s + i, j - i);
        p += j - i;
        i = j;
        if (i >= n)
            break;
        unsigned char ch = (unsigned char)s[i++];
        *p++ = '\\';
        switch (ch) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        default:
            p += sprintf(p, "u%04x", ch);
            break;
        }
    }
    *p++ = '"';
    strbuf_setlen(sb, (size_t)(p - sb->buf));
}

void cfg_json_str(struct strbuf *sb, const char *s, size_t n)
{
    json_str(sb, s, n);
}

struct mapent {
    const char *k;
    size_t kl;
    const char *v;
    size_t vl;
};

static int mapent_cmp(const void *a, const void *b)
{
    const struct mapent *x = a, *y = b;
    size_t n = x->kl < y->kl ? x->kl : y->kl;
    int r = memcmp(x->k, y->k, n);
    if (r)
        return r;
    return x->kl < y->kl ? -1 : x->kl > y->kl;
}

void cfg_json_value(const struct cfg_dict *d, const struct cfg_ent *e, struct strbuf *out)
{
    const struct cfg *c = d->c;
    if (e->type == V_STR) {
        strbuf_add(out, e->s, e->len);
    } else if (e->type == V_DEP) {
        strbuf_addch(out, '[');
        for (size_t i = 0; i < d->dep.n; i++) {
            if (i)
                strbuf_add(out, ", ", 2);
            json_str(out, d->dep.s[i], d->dep.len[i]);
        }
        strbuf_addch(out, ']');
    } else {
        const struct cfg_map *m = &d->map[e->key == K_NAMEMAP ? 0 : 1];
        struct mapent stackv[16], *v = m->n <= 16 ? stackv : xmalloc(m->n * sizeof(*v));
        for (size_t i = 0; i < m->n; i++) {
            v[i].k = c->strs.s[m->file[i]];
            v[i].kl = c->strs.len[m->file[i]];
            v[i].v = m->s[i];
            v[i].vl = m->len[i];
        }
        /* one entry per file, a handful: insertion sort (glibc's qsort allocates) */
        if (m->n > 16)
            qsort(v, m->n, sizeof(*v), mapent_cmp);
        else
            for (size_t i = 1; i < m->n; i++) {
                struct mapent x = v[i];
                size_t j = i;
                for (; j > 0 && mapent_cmp(&v[j - 1], &x) > 0; j--)
                    v[j] = v[j - 1];
                v[j] = x;
            }
        strbuf_addch(out, '{');
        if (!c->maps_escape) {
            /* every map text was checked at parse time: copy them between quotes */
            size_t sz = 0;
            for (size_t i = 0; i < m->n; i++)
                sz += v[i].kl + v[i].vl + 8;
            strbuf_grow(out, sz);
            char *p = out->buf + out->len;
            for (size_t i = 0; i < m->n; i++) {
                if (i) {
                    memcpy(p, ", ", 2);
                    p += 2;
                }
                *p++ = '"';
                memcpy(p, v[i].k, v[i].kl);
                p += v[i].kl;
                memcpy(p, "\": \"", 4);
                p += 4;
                memcpy(p, v[i].v, v[i].vl);
                p += v[i].vl;
                *p++ = '"';
            }
            strbuf_setlen(out, (size_t)(p - out->buf));
        } else
            for (size_t i = 0; i < m->n; i++) {
                if (i)
                    strbuf_add(out, ", ", 2);
                json_str(out, v[i].k, v[i].kl);
                strbuf_add(out, ": ", 2);
                json_str(out, v[i].v, v[i].vl);
            }
        strbuf_addch(out, '}');
        if (v != stackv)
            free(v);
    }
}

/* ---- flattening (avocado's _drop_suffixes) ---- */

static bool ent_eq(const struct cfg_dict *d, const struct cfg_ent *a, const struct cfg_ent *b)
{
    (void)d;
    if (a->type != b->type)
        return false;
    if (a->type == V_STR)
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    return a->key == b->key;
}

size_t cfg_dict_flatten(struct cfg_dict *d, bool skipdups, struct cfg_flat **out,
                        size_t *alloc)
{
    const struct cfg_keytab *kt = &d->c->keys;
    size_t n = 0;
    struct cfg_flat *f = *out;
#define PUSH(T, L, V) do { \
        if (n == *alloc) { *alloc = *alloc ? *alloc * 2 : 512; f = xrealloc(f, *alloc * sizeof(*f)); } \
        f[n].text = (T); f[n].len = (uint32_t)(L); f[n].v = (V); n++; } while (0)
    for (size_t i = 0; i < d->n; i++)
        if (d->e[i].key != CFG_NONE)
            PUSH(kt->k[d->e[i].key].parent == CFG_NONE ? kt->k[d->e[i].key].text : NULL, 0,
                 &d->e[i]);
    for (size_t i = 0; i < n; i++)
        if (f[i].text)
            f[i].len = kt->k[f[i].v->key].len;
    if (!d->has_tuple) {
        *out = f;
        return n;
    }
    size_t norig = n;
    for (size_t i = 0; i < norig; i++) {
        const struct cfg_ent *e = f[i].v;
        if (f[i].text || !e)
            continue;
        const struct cfg_key *k = &kt->k[e->key];
        uint32_t gen = k->base;
        bool drop_all = false;
        if (skipdups) {
            const struct cfg_ent *g = find(d, gen);
            if (g && ent_eq(d, g, e)) {
                f[i].v = NULL;      /* popped */
                continue;
            }
            drop_all = true;
            for (size_t j = 0; j < d->n && drop_all; j++) {
                const struct cfg_ent *o = &d->e[j];
                if (o->key == CFG_NONE || kt->k[o->key].base != gen)
                    continue;
                if (!ent_eq(d, o, e))
                    drop_all = false;
            }
        }
        const char *txt;
        size_t tl;
        if (drop_all) {
            txt = kt->k[gen].text;
            tl = kt->k[gen].len;
        } else {
            tl = kt->k[gen].len;
            for (uint32_t q = e->key; kt->k[q].parent != CFG_NONE; q = kt->k[q].parent)
                tl += d->c->strs.len[kt->k[q].suffix];
            char *b = cfg_dict_alloc(d, tl + 1);
            size_t p = kt->k[gen].len;
            memcpy(b, kt->k[gen].text, p);
            for (uint32_t q = e->key; kt->k[q].parent != CFG_NONE; q = kt->k[q].parent) {
                uint32_t sl = d->c->strs.len[kt->k[q].suffix];
                memcpy(b + p, d->c->strs.s[kt->k[q].suffix], sl);
                p += sl;
            }
            b[tl] = '\0';
            txt = b;
        }
        f[i].v = NULL;
        size_t j;
        for (j = 0; j < n; j++)
            if (f[j].v && f[j].text && f[j].len == tl && memcmp(f[j].text, txt, tl) == 0)
                break;
        if (j < n)
            f[j].v = e;
        else
            PUSH(txt, tl, e);
    }
    /* squeeze out popped entries */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (f[i].v)
            f[m++] = f[i];
#undef PUSH
    *out = f;
    return m;
}

/* ---- ${key} substitution ---- */

static const struct cfg_ent *lookup(struct cfg_dict *d, const char *name, size_t len)
{
    if (!d->has_tuple) {
        uint32_t k = cfg_key_find_plain(&d->c->keys, name, len);
        return k == CFG_NONE ? NULL : find(d, k);
    }
    size_t n = cfg_dict_flatten(d, true, &d->sflat, &d->asflat);
    for (size_t i = 0; i < n; i++)
        if (d->sflat[i].len == len && memcmp(d->sflat[i].text, name, len) == 0)
            return d->sflat[i].v;
    return NULL;
}

/* Values beyond this are a runaway config (x += ${x} doubling), not a real parameter. */
#define MAX_VALUE (16u << 20)

static int too_long(const struct cfg_op *op, size_t len)
{
    if (len <= MAX_VALUE)
        return 0;
    err_set("%s:%d: the value of '%s' grows beyond %u MiB", op->file, op->line,
            op->keytext ? op->keytext : "?", MAX_VALUE >> 20);
    return -1;
}

static int subst(struct cfg_dict *d, const struct cfg_op *op, const char **out, size_t *outlen)
{
    const char *v = op->value;
    size_t n = op->vlen;
    if (!op->has_dollar) {
        *out = v;
        *outlen = n;
        return 0;
    }
    struct strbuf sb = STRBUF_INIT;
    size_t start = 0;
    for (;;) {
        /* leftmost "${" with a "}" at least one character later: \$\{(.+?)\} */
        size_t p = start, close = 0;
        bool found = false;
        while (p + 3 < n + 1) {
            const char *q = memchr(v + p, '$', n - p);
            if (!q)
                break;
            p = (size_t)(q - v);
            if (p + 1 < n && v[p + 1] == '{' && p + 3 < n) {
                const char *r = memchr(v + p + 3, '}', n - (p + 3));
                if (r) {
                    close = (size_t)(r - v);
                    found = true;
                }
                break;      /* no '}' after this one: none after later ones either */
            }
            p++;
        }
        if (!found)
            break;
        const struct cfg_ent *e = lookup(d, v + p + 2, close - (p + 2));
        if (!e)
            break;
        strbuf_add(&sb, v + start, p - start);
        py_str(d, e, &sb);
        start = close + 1;
        if (sb.len > MAX_VALUE) {
            strbuf_release(&sb);
            return too_long(op, MAX_VALUE + 1);
        }
    }
    strbuf_add(&sb, v + start, n - start);
    char *o = cfg_dict_alloc(d, sb.len + 1);
    memcpy(o, sb.buf, sb.len + 1);
    *out = o;
    *outlen = sb.len;
    strbuf_release(&sb);
    return 0;
}

/* ---- operations ---- */

/* The match cache of a regex op (0 unknown, 1 no, 2 yes per key id).  Two threads
 * may evaluate cases at once (cfg_emit.c): they fill the same entry with the same
 * value, and relaxed atomic bytes make that well defined.  cfg_dict_prepare() sized
 * the cache beforehand; only a single evaluating thread grows it here. */
static void mcache_grow(struct cfg_op *mop, size_t key)
{
    size_t nn = mop->nmcache ? mop->nmcache : 256;
    while (nn <= key)
        nn *= 2;
    mop->mcache = xrealloc(mop->mcache, nn);
    memset(mop->mcache + mop->nmcache, 0, nn - mop->nmcache);
    mop->nmcache = (uint32_t)nn;
}

void cfg_dict_prepare(struct cfg *c)
{
    for (size_t i = 0; i < c->nops; i++)
        if (c->ops[i]->nmcache <= c->keys.n)
            mcache_grow(c->ops[i], c->keys.n);
}

static bool key_matches(struct cfg_dict *d, const struct cfg_op *op, uint32_t key)
{
    struct cfg_op *mop = (struct cfg_op *)op;   /* the match cache is logically const */
    if (key >= mop->nmcache)
        mcache_grow(mop, key);
    uint8_t m = __atomic_load_n(&mop->mcache[key], __ATOMIC_RELAXED);
    if (!m) {
        const struct cfg_key *k = &d->c->keys.k[key];
        m = cfg_regex_match(op->re, k->text, k->len) ? 2 : 1;
        __atomic_store_n(&mop->mcache[key], m, __ATOMIC_RELAXED);
    }
    return m == 2;
}

static int regex_apply(struct cfg_dict *d, const struct cfg_op *op, struct cfg_ent *e,
                       const char *v, size_t vl)
{
    if (e->type != V_STR)
        return 0;
    if (op->kind == OP_RSET) {
        e->s = v;
        e->len = (uint32_t)vl;
    } else {
        if (too_long(op, (size_t)e->len + vl))
            return -1;
        char *b = cfg_dict_alloc(d, e->len + vl + 1);
        if (op->kind == OP_RAPPEND) {
            memcpy(b, e->s, e->len);
            memcpy(b + e->len, v, vl);
        } else {
            memcpy(b, v, vl);
            memcpy(b + vl, e->s, e->len);
        }
        b[e->len + vl] = '\0';
        e->s = b;
        e->len += (uint32_t)vl;
    }
    e->src = op;
    return 0;
}

int cfg_dict_apply(struct cfg_dict *d, const struct cfg_op *op)
{
    const char *v;
    size_t vl;
    switch (op->kind) {
    case OP_SET:
        if (op->key < K_NRESERVED)
            return 0;
        if (subst(d, op, &v, &vl) < 0)
            return -1;
        cfg_dict_set_str(d, op->key, v, vl, op);
        return 0;
    case OP_LAZY:
        if (op->key < K_NRESERVED || find(d, op->key))
            return 0;
        if (subst(d, op, &v, &vl) < 0)
            return -1;
        cfg_dict_set_str(d, op->key, v, vl, op);
        return 0;
    case OP_APPEND:
    case OP_PREPEND: {
        if (op->key < K_NRESERVED)
            return 0;
        if (subst(d, op, &v, &vl) < 0)
            return -1;
        struct cfg_ent *e = find(d, op->key);
        if (!e) {
            cfg_dict_set_str(d, op->key, v, vl, op);
            return 0;
        }
        if (e->type != V_STR)
            return 0;
        if (too_long(op, (size_t)e->len + vl))
            return -1;
        char *b = cfg_dict_alloc(d, e->len + vl + 1);
        if (op->kind == OP_APPEND) {
            memcpy(b, e->s, e->len);
            memcpy(b + e->len, v, vl);
        } else {
            memcpy(b, v, vl);
            memcpy(b + vl, e->s, e->len);
        }
        b[e->len + vl] = '\0';
        e->s = b;
        e->len += (uint32_t)vl;
        e->src = op;
        return 0;
    }
    case OP_RSET:
    case OP_RAPPEND:
    case OP_RPREPEND:
        if (subst(d, op, &v, &vl) < 0)
            return -1;
        if (op->scoped) {
            for (uint32_t i = 0; i < op->nscope; i++) {
                struct cfg_ent *e = find(d, op->scope[i]);
                if (e && key_matches(d, op, op->scope[i]))
                    if (regex_apply(d, op, e, v, vl) < 0)
                    return -1;
            }
            return 0;
        }
        for (size_t i = 0; i < d->n; i++) {
            struct cfg_ent *e = &d->e[i];
            if (e->key == CFG_NONE || e->key < K_NRESERVED)
                continue;
            if (key_matches(d, op, e->key))
                if (regex_apply(d, op, e, v, vl) < 0)
                    return -1;
        }
        return 0;
    case OP_DEL:
        for (size_t i = 0; i < d->n; i++) {
            struct cfg_ent *e = &d->e[i];
            if (e->key == CFG_NONE || e->key < K_NRESERVED)
                continue;
            const struct cfg_key *k = &d->c->keys.k[e->key];
            if (k->len == op->keylen && memcmp(k->text, op->keytext, k->len) == 0)
                remove_key(d, e->key);
        }
        return 0;
    case OP_SUFFIX: {
        size_t n = d->n;
        for (size_t i = 0; i < n; i++) {
            struct cfg_ent e = d->e[i];
            if (e.key == CFG_NONE || e.key < K_NRESERVED)
                continue;
            uint32_t nk = cfg_key_tuple(&d->c->keys, e.key, op->sid, &d->c->strs);
            remove_key(d, e.key);
            struct cfg_ent *x = find(d, nk);
            if (!x)
                x = append(d, nk);
            uint32_t kk = x->key;
            *x = e;
            x->key = kk;
        }
        if (d->n > 64 && d->n > 2 * n)
            compact(d);
        else if (d->n >= 2 * (n ? n : 1) && d->n > 8)
            compact(d);
        return 0;
    }
    case OP_FILEMAP:
    case OP_SFILEMAP: {
        int m = op->kind == OP_FILEMAP ? 0 : 1;
        struct cfg_ent *e = find(d, op->key);
        if (!e) {
            set_special(d, op->key, V_MAP);
            d->map[m].n = 0;
        } else if (e->type != V_MAP)
            return 0;
        struct cfg_map *M = &d->map[m];
        for (size_t i = 0; i < M->n; i++) {
            if (M->file[i] != op->sid)
                continue;
            size_t nl = op->vlen + 1 + M->len[i];
            char *b = cfg_dict_alloc(d, nl + 1);
            memcpy(b, op->value, op->vlen);
            b[op->vlen] = '.';
            memcpy(b + op->vlen + 1, M->s[i], M->len[i]);
            b[nl] = '\0';
            M->s[i] = b;
            M->len[i] = (uint32_t)nl;
            return 0;
        }
        if (M->n == M->a) {
            M->a = M->a ? M->a * 2 : 8;
            M->file = xrealloc(M->file, M->a * sizeof(*M->file));
            M->s = xrealloc(M->s, M->a * sizeof(*M->s));
            M->len = xrealloc(M->len, M->a * sizeof(*M->len));
        }
        M->file[M->n] = op->sid;
        M->s[M->n] = op->value;
        M->len[M->n++] = op->vlen;
        return 0;
    }
    }
    return 0;
}

/* ---- _max / _min / _fixed (avocado's postfix_parse and compare_string) ---- */

static bool is_unit(char ch)
{
    return ch && strchr("BbKkMmGgTt", ch) != NULL;
}

/* Python float(): blanks, sign, digits with single underscores, '.', exponent, inf/nan. */
static bool py_float(const char *s, size_t n, double *out)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    while (n > i && isspace((unsigned char)s[n - 1]))
        n--;
    char buf[128];
    size_t b = 0;
    if (n - i >= sizeof(buf) - 1)
        return false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        buf[b++] = s[i++];
    const char *w = s + i;
    size_t wl = n - i;
    if ((wl == 3 && strncasecmp(w, "inf", 3) == 0) || (wl == 8 && strncasecmp(w, "infinity", 8) == 0)) {
        *out = buf[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    if (wl == 3 && strncasecmp(w, "nan", 3) == 0) {
        *out = NAN;
        return true;
    }
    int digits = 0;
    char prev = 0;
    bool dot = false, exp = false;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch >= '0' && ch <= '9') {
            buf[b++] = ch;
            if (!exp)
                digits++;
        } else if (ch == '_') {
            if (!(prev >= '0' && prev <= '9') || i + 1 >= n || !(s[i + 1] >= '0' && s[i + 1] <= '9'))
                return false;
        } else if (ch == '.' && !dot && !exp) {
            dot = true;
            buf[b++] = ch;
        } else if ((ch == 'e' || ch == 'E') && !exp && digits) {
            exp = true;
            buf[b++] = ch;
            if (i + 1 < n && (s[i + 1] == '+' || s[i + 1] == '-'))
                buf[b++] = s[++i];
            if (i + 1 >= n || !(s[i + 1] >= '0' && s[i + 1] <= '9'))
                return false;
        } else
            return false;
        prev = ch;
    }
    if (!digits)
        return false;
    buf[b] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

/* Python int(): returns normalised sign and digits. */
static bool py_int(const char *s, size_t n, bool *neg, const char **dig, size_t *dl,
                   char *buf, size_t bufsz)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    while (n > i && isspace((unsigned char)s[n - 1]))
        n--;
    *neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        *neg = s[i++] == '-';
    if (i >= n)
        return false;
    size_t b = 0;
    for (size_t j = i; j < n; j++) {
        char ch = s[j];
        if (ch >= '0' && ch <= '9') {
            if (b + 1 >= bufsz)
                return false;
            buf[b++] = ch;
        } else if (ch == '_' && j > i && j + 1 < n && s[j - 1] != '_' && s[j + 1] >= '0' &&
                   s[j + 1] <= '9')
            continue;
        else
            return false;
    }
    size_t z = 0;
    while (z + 1 < b && buf[z] == '0')
        z++;
    *dig = buf + z;
    *dl = b - z;
    if (*dl == 1 && (*dig)[0] == '0')
        *neg = false;
    return true;
}

static bool data_size(const char *s, size_t n, double *out)
{
    if (!n)
        return false;
    double mult = 1024.0 * 1024.0;
    size_t numlen = n;
    if (is_unit(s[n - 1])) {
        switch (s[n - 1] | 0x20) {
        case 'b': mult = 1; break;
        case 'k': mult = 1024.0; break;
        case 'm': mult = 1024.0 * 1024.0; break;
        case 'g': mult = 1024.0 * 1024.0 * 1024.0; break;
        case 't': mult = 1024.0 * 1024.0 * 1024.0 * 1024.0; break;
        }
        numlen = n - 1;
    }
    double v;
    if (!py_float(s, numlen, &v))
        return false;
    v *= mult;
    if (isinf(v) || isnan(v))
        return false;
    *out = trunc(v);
    return true;
}

static bool has_unit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_unit(s[i]))
            return true;
    return false;
}

static bool compare_string(const char *a, size_t al, const char *b, size_t bl, int *res)
{
    if (has_unit(a, al) || has_unit(b, bl)) {
        double x, y;
        if (!data_size(a, al, &x) || !data_size(b, bl, &y))
            return false;
        *res = x < y ? -1 : x > y;
        return true;
    }
    char b1[256], b2[256];
    bool n1, n2;
    const char *d1, *d2;
    size_t l1, l2;
    if (!py_int(a, al, &n1, &d1, &l1, b1, sizeof(b1)) || !py_int(b, bl, &n2, &d2, &l2, b2, sizeof(b2)))
        return false;
    int mag = l1 != l2 ? (l1 < l2 ? -1 : 1) : memcmp(d1, d2, l1);
    mag = mag < 0 ? -1 : mag > 0;
    if (n1 != n2)
        *res = n1 ? -1 : 1;
    else
        *res = n1 ? -mag : mag;
    return true;
}

int cfg_dict_postfix(struct cfg_dict *d)
{
    const struct cfg_keytab *kt = &d->c->keys;
    struct pf { uint32_t base; struct cfg_ent v; } stackv[32], *tmp = stackv;
    size_t nt = 0, at = 32;
    int rc = 0;
    if (!d->npf)        /* most cases have no such key: skip the scan */
        return 0;
    for (size_t i = 0; i < d->n; i++) {
        const struct cfg_ent *e = &d->e[i];
        if (e->key == CFG_NONE)
            continue;
        const struct cfg_key *k = &kt->k[e->key];
        if (k->parent != CFG_NONE || k->pf_kind == PF_NONE)
            continue;
        bool take = true;
        if (k->pf_kind != PF_FIXED) {
            const struct cfg_ent *b = find(d, k->pf_base);
            if (b) {
                int r;
                if (b->type != V_STR || e->type != V_STR ||
                    !compare_string(b->s, b->len, e->s, e->len, &r)) {
                    const struct cfg_op *src = e->src;
                    err_set("%s:%d: %s: cannot compare '%.*s' with '%.*s' as numbers "
                            "(optionally with a B/K/M/G/T unit)",
                            src ? src->file : "<unknown>", src ? src->line : 0, k->text,
                            b->type == V_STR ? (int)(b->len > 100 ? 100 : b->len) : 6,
                            b->type == V_STR ? b->s : "<list>",
                            e->type == V_STR ? (int)(e->len > 100 ? 100 : e->len) : 6,
                            e->type == V_STR ? e->s : "<list>");
                    rc = -1;
                    goto out;
                }
                take = k->pf_kind == PF_MAX ? r > 0 : r < 0;
            }
        }
        if (!take)
            continue;
        size_t j;
        for (j = 0; j < nt; j++)
            if (tmp[j].base == k->pf_base)
                break;
        if (j == nt) {
            if (nt == at) {
                struct pf *n2 = xmalloc(2 * at * sizeof(*n2));
                memcpy(n2, tmp, nt * sizeof(*n2));
                if (tmp != stackv)
                    free(tmp);
                tmp = n2;
                at *= 2;
            }
            tmp[nt].base = k->pf_base;
            nt++;
        }
        tmp[j].v = *e;
    }
    for (size_t j = 0; j < nt; j++) {
        struct cfg_ent v = tmp[j].v;
        struct cfg_ent *t = find(d, tmp[j].base);
        if (!t)
            t = append(d, tmp[j].base);
        uint32_t kk = t->key;
        *t = v;
        t->key = kk;
    }
out:
    if (tmp != stackv)
        free(tmp);
    return rc;
}
