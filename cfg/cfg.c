/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Public API of the config engine (cfg.h): parse, iterate, and present cases (names,
 * params, the canonical dump).
 */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "cfg/cfg_walk.h"
#include "lib/err.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

atomic_bool cfg_cancel;

struct cfg_case {
    struct cfg_iter *it;
    struct cfg_dict *d;
};

struct cfg_iter {
    struct cfg *c;
    struct cfg_walker *w;
    bool names_only;
    struct cfg_case k;
    struct cfg_flat *flat;
    size_t nflat, aflat;
    bool flat_valid;
    uint64_t *bits;          /* dump: present ranks */
    uint32_t *at;            /* rank -> entry index */
    /* the last dump's order: its dict's key ids in entry order, and the lines in key
     * order (entry index, key text); consecutive cases mostly have the same keys */
    uint32_t *okeys;
    struct oline { uint32_t i, kl; const char *k; } *order;
    size_t norder, nokeys, aorder;
    size_t nbits;
};

static int key_cmp_text(const struct cfg *c, uint32_t a, uint32_t b)
{
    const struct cfg_key *x = &c->keys.k[a], *y = &c->keys.k[b];
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->text, y->text, n);
    if (r)
        return r;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int rank_cmp(const void *a, const void *b, void *c)
{
    return key_cmp_text(c, *(const uint32_t *)a, *(const uint32_t *)b);
}

static void compute_ranks(struct cfg *c)
{
    size_t n = c->keys.n;
    uint32_t *ids = xmalloc((n + 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = (uint32_t)i;
    qsort_r(ids, n, sizeof(*ids), rank_cmp, c);
    c->key_rank = xmalloc((n + 1) * sizeof(*c->key_rank));
    for (size_t i = 0; i < n; i++)
        c->key_rank[ids[i]] = (uint32_t)i;
    c->nkey_rank = n;
    free(ids);
}

static void compute_label_text(struct cfg *c)
{
    c->llong = xcalloc(c->nlabels + 1, sizeof(*c->llong));
    c->llong_len = xcalloc(c->nlabels + 1, sizeof(*c->llong_len));
    for (size_t i = 0; i < c->nlabels; i++) {
        const struct cfg_label *l = &c->labels[i];
        struct strbuf sb = STRBUF_INIT;
        if (l->var != CFG_NONE) {
            strbuf_addch(&sb, '(');
            strbuf_add(&sb, c->strs.s[l->var], c->strs.len[l->var]);
            strbuf_addch(&sb, '=');
            strbuf_add(&sb, c->strs.s[l->val], c->strs.len[l->val]);
            strbuf_addch(&sb, ')');
        } else
            strbuf_add(&sb, c->strs.s[l->val], c->strs.len[l->val]);
        c->llong_len[i] = (uint32_t)sb.len;
        c->llong[i] = cfg_arena_strndup(&c->arena, sb.buf, sb.len);
        strbuf_release(&sb);
    }
}

static bool cond_has_filter(struct cfg_cond *cd, int depth)
{
    if (cd->has_filter >= 0)
        return cd->has_filter;
    bool r = false;
    for (size_t i = 0; i < cd->n && !r; i++) {
        uint8_t k = cd->content[i].kind;
        if (k == CI_ONLY || k == CI_NO || k == CI_JOIN)
            r = true;
        else if ((k == CI_COND || k == CI_NCOND) && depth < 10000)
            r = cond_has_filter(cd->content[i].u.cond, depth + 1);
    }
    cd->has_filter = r;
    return r;
}

/* Consecutive operations become one run, so the leaf collects a pointer and a length. */
static void compute_runs(struct cfg *c, struct cfg_item *it, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (it[i].kind != CI_OP) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && it[j].kind == CI_OP)
            j++;
        const struct cfg_op **v = cfg_arena_alloc(&c->arena, (j - i) * sizeof(*v));
        for (size_t k = i; k < j; k++)
            v[k - i] = it[k].u.op;
        it[i].runv = v;
        it[i].runlen = (uint32_t)(j - i);
        i = j;
    }
}

/* The content items a names-only walk must look at. */
static void compute_filter_content(struct cfg *c)
{
    for (size_t i = 0; i < c->nnodes; i++) {
        struct cfg_node *n = c->nodes[i];
        size_t cnt = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (size_t j = 0; j < n->ncontent; j++) {
                const struct cfg_item *it = &n->content[j];
                bool keep = it->kind == CI_ONLY || it->kind == CI_NO ||
                            ((it->kind == CI_COND || it->kind == CI_NCOND) &&
                             cond_has_filter(it->u.cond, 0));
                if (!keep)
                    continue;
                if (pass)
                    n->fcontent[n->nfcontent++] = *it;
                else
                    cnt++;
            }
            if (!pass) {
                if (!cnt)
                    break;
                n->fcontent = cfg_arena_alloc(&c->arena, cnt * sizeof(*n->fcontent));
            }
        }
    }
}

static struct cfg *parse(const char *file, const char *const *stmts, size_t nstmts,
                         const struct cfg_opts *o, bool prov)
{
    struct cfg *c = xcalloc(1, sizeof(*c));
    if (o)
        c->opts = *o;
    if (prov)
        c->prov = xcalloc(1, sizeof(*c->prov));
    if (o && o->expand_defaults) {
        size_t n = 0;
        while (o->expand_defaults[n])
            n++;
        c->expand = xcalloc(n + 1, sizeof(*c->expand));
        for (size_t i = 0; i < n; i++)
            c->expand[i] = xstrdup(o->expand_defaults[i]);
    }
    if (c->opts.include_root)
        c->opts.include_root = cfg_arena_strndup(&c->arena, o->include_root,
                                                 strlen(o->include_root));
    static const char *const reserved[] = { "name", "shortname", "dep", "_name_map_file",
                                            "_short_name_map_file" };
    for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
        cfg_key_plain(&c->keys, reserved[i], strlen(reserved[i]));
    if (cfg_parse_into(c, file, stmts, nstmts) < 0) {
        cfg_free(c);
        return NULL;
    }
    compute_ranks(c);
    compute_label_text(c);
    compute_filter_content(c);
    for (size_t i = 0; i < c->nnodes; i++)
        compute_runs(c, c->nodes[i]->content, c->nodes[i]->ncontent);
    for (size_t i = 0; i < c->nconds; i++)
        compute_runs(c, c->conds[i]->content, c->conds[i]->n);
    return c;
}

struct cfg *cfg_parse(const char *file, const char *const *stmts, size_t nstmts,
                      const struct cfg_opts *o)
{
    return parse(file, stmts, nstmts, o, false);
}

struct cfg *cfg_parse_prov(const char *file, const char *const *stmts, size_t nstmts,
                           const struct cfg_opts *o)
{
    return parse(file, stmts, nstmts, o, true);
}

void cfg_free(struct cfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nnodes; i++) {
        free(c->nodes[i]->content);
        free(c->nodes[i]->children);
        free(c->nodes[i]);
    }
    free(c->nodes);
    for (size_t i = 0; i < c->nconds; i++)
        free(c->conds[i]->content);
    free(c->conds);
    for (size_t i = 0; i < c->nops; i++) {
        pcre2_code_free(c->ops[i]->re);
        free(c->ops[i]->mcache);
    }
    free(c->ops);
    for (size_t i = 0; i < c->nocc_valtab; i++)
        free(c->occ_val[i]);
    free(c->occ_val);
    free(c->nocc_val);
    free(c->aocc_val);
    for (size_t i = 0; i < c->nocc_labtab; i++)
        free(c->occ_lab[i]);
    free(c->occ_lab);
    free(c->nocc_lab);
    free(c->aocc_lab);
    if (c->expand)
        for (char **e = c->expand; *e; e++)
            free(*e);
    free(c->expand);
    free(c->labels);
    free(c->lslot);
    free(c->key_rank);
    free(c->llong);
    free(c->llong_len);
    if (c->prov)
        free(c->prov->v);
    free(c->prov);
    cfg_strtab_free(&c->strs);
    cfg_strtab_free(&c->keys.text);
    free(c->keys.k);
    free(c->keys.by_text);
    free(c->keys.tslot);
    free(c->keys.tid);
    cfg_arena_free(&c->keys.arena);
    cfg_arena_free(&c->arena);
    free(c);
}

static struct cfg_iter *iter_new(const struct cfg *cc, bool names_only)
{
    /* the key table grows with suffixed keys while expanding: the cfg is logically const */
    struct cfg *c = (struct cfg *)cc;
    struct cfg_iter *it = xcalloc(1, sizeof(*it));
    it->c = c;
    it->names_only = names_only && !c->has_join && !c->renames;
    it->w = cfg_walker_new(c, it->names_only);
    it->k.it = it;
    return it;
}

struct cfg_iter *cfg_iter_new(const struct cfg *c)
{
    return iter_new(c, false);
}

struct cfg_iter *cfg_iter_new_names(const struct cfg *c)
{
    return iter_new(c, true);
}

int cfg_iter_next(struct cfg_iter *it, const struct cfg_case **out)
{
    struct cfg_dict *d;
    int r = cfg_walker_next(it->w, &d);
    if (r != 1)
        return r;
    it->k.d = d;
    it->flat_valid = false;
    *out = &it->k;
    return 1;
}

struct cfg_walker *cfg_iter_walker(struct cfg_iter *it)
{
    return it->w;
}

const struct cfg_case *cfg_iter_case(struct cfg_iter *it, struct cfg_dict *d)
{
    it->k.d = d;
    it->flat_valid = false;
    return &it->k;
}

void cfg_iter_free(struct cfg_iter *it)
{
    if (!it)
        return;
    cfg_walker_free(it->w);
    free(it->flat);
    free(it->bits);
    free(it->at);
    free(it->okeys);
    free(it->order);
    free(it);
}

long long cfg_count(const struct cfg *c)
{
    struct cfg_iter *it = cfg_iter_new_names(c);
    const struct cfg_case *k;
    long long n = 0;
    int r;
    while ((r = cfg_iter_next(it, &k)) == 1)
        n++;
    cfg_iter_free(it);
    return r < 0 ? -1 : n;
}

static const struct cfg_flat *flat(const struct cfg_case *k, size_t *n)
{
    struct cfg_iter *it = k->it;
    if (!it->flat_valid) {
        it->nflat = cfg_dict_flatten(k->d, !it->c->opts.keep_suffixes, &it->flat, &it->aflat);
        it->flat_valid = true;
    }
    *n = it->nflat;
    return it->flat;
}

static const struct cfg_ent *flat_get(const struct cfg_case *k, const char *key)
{
    size_t n, l = strlen(key);
    const struct cfg_flat *f = flat(k, &n);
    for (size_t i = 0; i < n; i++)
        if (f[i].len == l && memcmp(f[i].text, key, l) == 0)
            return f[i].v;
    return NULL;
}

const char *cfg_case_name(const struct cfg_case *k)
{
    const struct cfg_ent *e = k->d->has_tuple ? flat_get(k, "name") : cfg_dict_get(k->d, K_NAME);
    return e && e->type == V_STR ? e->s : "";
}

const char *cfg_case_shortname(const struct cfg_case *k)
{
    const struct cfg_ent *e = k->d->has_tuple ? flat_get(k, "shortname") :
                              cfg_dict_get(k->d, K_SHORTNAME);
    return e && e->type == V_STR ? e->s : "";
}

struct params *cfg_case_params(const struct cfg_case *k)
{
    if (k->it->names_only)
        return NULL;
    size_t n;
    const struct cfg_flat *f = flat(k, &n);
    struct params *p = params_new();
    struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        strbuf_reset(&key);
        strbuf_reset(&val);
        strbuf_add(&key, f[i].text, f[i].len);
        cfg_json_value(k->d, f[i].v, &val);
        params_set(p, key.buf, val.buf);
    }
    strbuf_release(&key);
    strbuf_release(&val);
    return p;
}

static int flat_cmp(const void *a, const void *b)
{
    const struct cfg_flat *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->text, y->text, n);
    if (r)
        return r;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Copy N bytes to P, returning the end.  Keys and most values are a few bytes: copying
 * them with two overlapping loads/stores avoids a libc call per string. */
static inline char *put(char *p, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(p, &a, 8);
        memcpy(p + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(p, &a, 4);
        memcpy(p + n - 4, &b, 4);
    } else if (n > 0 && n < 4) {
        /* 1 to 3 bytes without a loop: first, middle and last (some the same) */
        p[0] = s[0];
        p[n >> 1] = s[n >> 1];
        p[n - 1] = s[n - 1];
    } else if (n >= 4)
        memcpy(p, s, n);
    return p + n;
}

/* One "key=value" line; the caller reserved room for string values. */
static inline char *dump_line(char *p, struct strbuf *out, const struct cfg_dict *d,
                              const struct cfg_flat *f, size_t reserve)
{
    p = put(p, f->text, f->len);
    *p++ = '=';
    if (f->v->type == V_STR) {
        p = put(p, f->v->s, f->v->len);
    } else {
        /* JSON values are rare (3 per case): go through the strbuf */
        strbuf_setlen(out, (size_t)(p - out->buf));
        cfg_json_value(d, f->v, out);
        strbuf_grow(out, reserve);
        p = out->buf + out->len;
    }
    *p++ = '\n';
    return p;
}

/* Room for every line of the case except JSON values (dump_line re-grows for those). */
static size_t dump_size(const struct cfg_flat *f, size_t n)
{
    size_t sz = 1;
    for (size_t i = 0; i < n; i++)
        sz += f[i].len + 2 + (f[i].v->type == V_STR ? f[i].v->len : 0);
    return sz;
}

/* The common case: no suffixed key, every key interned at parse time.  Sort by the
 * precomputed rank with a bitmap instead of comparing strings, and read the entries in
 * place (no flattened copy). */
/* Sort the dict's lines by key rank with a bitmap (no string comparisons) into
 * it->order; false if a key has no rank (interned while expanding). */
static bool dump_order(struct cfg_iter *it, const struct cfg_dict *d)
{
    const struct cfg *c = it->c;
    size_t nk = c->nkey_rank, words = (nk + 63) / 64;
    if (it->nbits < words) {
        free(it->bits);
        free(it->at);
        it->bits = xcalloc(words, sizeof(*it->bits));
        it->at = xmalloc(words * 64 * sizeof(*it->at));
        it->nbits = words;
    }
    size_t lo = words, hi = 0;
    for (size_t i = 0; i < d->n; i++) {
        const struct cfg_ent *e = &d->e[i];
        if (e->key == CFG_NONE)
            continue;
        if (e->key >= nk) {
            for (size_t wd = lo; wd < hi; wd++)
                it->bits[wd] = 0;
            return false;
        }
        uint32_t r = c->key_rank[e->key];
        it->bits[r >> 6] |= 1ull << (r & 63);
        it->at[r] = (uint32_t)i;
        if ((r >> 6) < lo)
            lo = r >> 6;
        if ((r >> 6) + 1 > hi)
            hi = (r >> 6) + 1;
    }
    if (d->n > it->aorder) {
        it->aorder = d->n;
        it->order = xrealloc(it->order, it->aorder * sizeof(*it->order));
        it->okeys = xrealloc(it->okeys, it->aorder * sizeof(*it->okeys));
    }
    size_t n = 0;
    for (size_t wd = lo; wd < hi; wd++) {
        uint64_t b = it->bits[wd];
        it->bits[wd] = 0;
        while (b) {
            int bit = __builtin_ctzll(b);
            b &= b - 1;
            uint32_t i = it->at[wd * 64 + (size_t)bit];
            const struct cfg_key *key = &c->keys.k[d->e[i].key];
            it->order[n++] = (struct oline){ i, key->len, key->text };
        }
    }
    it->norder = n;
    for (size_t i = 0; i < d->n; i++)
        it->okeys[i] = d->e[i].key;
    it->nokeys = d->n;
    return true;
}

/* The common case: no suffixed key, every key interned at parse time.  The order of
 * the lines depends only on the keys in entry order, which the next case mostly
 * shares: then the last order serves again. */
static bool dump_plain(const struct cfg_case *k, struct strbuf *out)
{
    struct cfg_iter *it = k->it;
    const struct cfg_dict *d = k->d;
    bool same = d->n == it->nokeys;
    for (size_t i = 0; i < d->n && same; i++)
        same = d->e[i].key == it->okeys[i];
    if (!same && !dump_order(it, d)) {
        it->nokeys = 0;
        return false;
    }
    /* room is checked per line (one pass over the lines, not two) */
    char *p = out->buf + out->len, *end = out->buf + out->alloc;
    for (size_t j = 0; j < it->norder; j++) {
        const struct oline *o = &it->order[j];
        struct cfg_flat f = { o->k, o->kl, &d->e[o->i] };
        size_t need = o->kl + 3 + (f.v->type == V_STR ? f.v->len : 0);
        if ((size_t)(end - p) < need) {
            strbuf_setlen(out, (size_t)(p - out->buf));
            strbuf_grow(out, need + (out->len >> 1));
            p = out->buf + out->len;
            end = out->buf + out->alloc;
        }
        p = dump_line(p, out, d, &f, need);
        end = out->buf + out->alloc;
    }
    if (end - p < 2) {      /* the block's blank line and the strbuf's NUL */
        strbuf_setlen(out, (size_t)(p - out->buf));
        strbuf_grow(out, 2);
        p = out->buf + out->len;
    }
    *p++ = '\n';
    strbuf_setlen(out, (size_t)(p - out->buf));
    return true;
}

void cfg_case_dump(const struct cfg_case *k, struct strbuf *out)
{
    struct cfg_iter *it = k->it;
    strbuf_addstr(out, "== ");
    strbuf_addstr(out, cfg_case_name(k));
    strbuf_addch(out, '\n');
    if (it->names_only) {
        strbuf_addch(out, '\n');
        return;
    }
    if (!k->d->has_tuple && dump_plain(k, out))
        return;
    size_t n;
    const struct cfg_flat *f = flat(k, &n);
    /* dump_line writes JSON through the strbuf, which may move: it re-reserves */
    size_t reserve = dump_size(f, n);
    strbuf_grow(out, reserve);
    char *p = out->buf + out->len;
    struct cfg_flat *s = xmalloc((n + 1) * sizeof(*s));
    memcpy(s, f, n * sizeof(*s));
    qsort(s, n, sizeof(*s), flat_cmp);
    for (size_t i = 0; i < n; i++)
        p = dump_line(p, out, k->d, &s[i], reserve);
    free(s);
    *p++ = '\n';
    strbuf_setlen(out, (size_t)(p - out->buf));
}
