/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Explain one case (cfg_explain(), vtrun --explain NAME): the variant items, only/no
 * filters, conditions and statements that made it, FILE:LINE each, and every param's
 * final value.
 *
 * The ordinary parse and walk record nothing for this: their cost must not change.
 * Explain parses the config again with cfg_parse_prov(), which also notes where each
 * variant item and its `variants` line are, and walks it with the ordinary walker,
 * pruned to the cases that can bear NAME's labels by one more `only` hoisted to the
 * root.  For each case named NAME it reads the path the walker leaves in place
 * (cfg_walker_path()) and replays the case's content on a dict of its own, exactly as
 * eval_leaf() and cfg_eval_apply() do (leaf node first, conditions on the final name,
 * then _max/_min/_fixed), noting after each statement which keys it touched and their
 * value.  The final values shown are the engine's own dump of the case; the replay
 * must give the same dict, or explain fails with an internal error (the fuzzer checks
 * it on every input).
 *
 * A NAME no case bears may be a case the filters drop.  A second parse in which every
 * only/no is made a no-op (its terms swapped for ones that always pass, the originals
 * kept aside) is walked the same way, and each only/no on the path of a case named
 * NAME is evaluated with its original terms: those that fail drop it.
 */
#include "cfg/cfg_explain.h"
#include "cfg/cfg_walk.h"
#include "lib/err.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SHOWN 20      /* occurrences explained in full; the others are counted */

struct occ {                /* one explained occurrence */
    char *name;
    struct strbuf body;
};

struct saved_filter {
    const struct cfg_filter *f;
    struct cfg_filter orig;
};

struct explain {
    const char *name;
    unsigned flags;
    struct cfg *c;
    bool listed;            /* the config as given, not the one without filters */
    struct cfg_filter byname;       /* the pruning `only` (cases bearing NAME's labels) */
    struct cfg_term byname_term;
    struct cfg_chain *byname_chains;
    struct cfg_label *byname_atoms;
    struct cfg_term pass;           /* no chain: matches every name */
    struct saved_filter *saved;     /* the neutralised filters' own terms */
    size_t nsaved, asaved;
    const struct cfg_op **named;    /* named blocks' `NAME = item` ops, sorted */
    size_t nnamed;
    /* [0]: cases whose name is NAME, [1]: whose shortname is */
    struct occ *occ[2];
    size_t nocc[2], count[2];
};

/* ---- the pruning filter and the filters made no-ops ---- */

/* An `only` that every case named NAME passes, full name or shortname: each label
 * value of NAME as an atom of its own, all required (a..b..c).  False when a value
 * appears nowhere in the config: no case can bear it. */
static bool add_name_filter(struct explain *X)
{
    struct cfg *c = X->c;
    /* a join merges names, name_fixed replaces them, defaults mode depends on which
     * cases exist: then every case is walked */
    if (c->has_join || c->renames || c->opts.defaults || !*X->name)
        return true;
    size_t n = 1;
    for (const char *p = X->name; *p; p++)
        n += *p == '.';
    X->byname_atoms = xcalloc(n, sizeof(*X->byname_atoms));
    X->byname_chains = xcalloc(n, sizeof(*X->byname_chains));
    size_t k = 0;
    for (const char *p = X->name;;) {
        const char *e = strchr(p, '.');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *v = p;
        size_t vl = len;
        /* a named label "(var=value)" matches by its value */
        const char *eq = memchr(p, '=', len);
        if (len > 2 && p[0] == '(' && p[len - 1] == ')' && eq) {
            v = eq + 1;
            vl = (size_t)(p + len - 1 - v);
        }
        uint32_t id = cfg_str_find(&c->strs, v, vl);
        if (id == CFG_NONE)
            return false;
        X->byname_atoms[k] = (struct cfg_label){ .var = CFG_NONE, .val = id, .lid = CFG_NONE };
        X->byname_chains[k] = (struct cfg_chain){ .natoms = 1, .atoms = &X->byname_atoms[k] };
        k++;
        if (!e)
            break;
        p = e + 1;
    }
    X->byname_term = (struct cfg_term){ .nchains = (uint32_t)k, .chains = X->byname_chains };
    X->byname = (struct cfg_filter){ .id = CFG_NONE, .nterms = 1, .terms = &X->byname_term,
                                     .line = "" };
    /* hoisted to the root: the walk prunes with it as with any top-level `only` */
    struct cfg_node *r = c->root;
    struct cfg_item *h = cfg_arena_alloc(&c->arena, (r->nhoist + 1) * sizeof(*h));
    if (r->nhoist)
        memcpy(h, r->hoist, r->nhoist * sizeof(*h));
    h[r->nhoist] = (struct cfg_item){ .kind = CI_ONLY, .file = "<explain>", .u.f = &X->byname };
    r->hoist = h;
    r->nhoist++;
    return true;
}

static void neutralise(struct explain *X, const struct cfg_item *it, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (it[i].kind != CI_ONLY && it[i].kind != CI_NO)
            continue;
        struct cfg_filter *f = it[i].u.f;
        X->saved = xgrow(X->saved, &X->asaved, X->nsaved + 1, sizeof(*X->saved));
        X->saved[X->nsaved++] = (struct saved_filter){ .f = f, .orig = *f };
        /* `only` with a term of no chain always passes; `no` with no term never drops */
        f->nterms = it[i].kind == CI_ONLY;
        f->terms = it[i].kind == CI_ONLY ? &X->pass : NULL;
    }
}

/* Make every only/no of the config a no-op, keeping their terms for orig_filter(). */
static void drop_filters(struct explain *X)
{
    struct cfg *c = X->c;
    for (size_t i = 0; i < c->nnodes; i++)
        neutralise(X, c->nodes[i]->content, c->nodes[i]->ncontent);
    for (size_t i = 0; i < c->nconds; i++)
        neutralise(X, c->conds[i]->content, c->conds[i]->n);
}

static const struct cfg_filter *orig_filter(const struct explain *X, const struct cfg_filter *f)
{
    for (size_t i = 0; i < X->nsaved; i++)
        if (X->saved[i].f == f)
            return &X->saved[i].orig;
    return f;
}

static void index_named(struct explain *X)
{
    const struct cfg_prov *pv = X->c->prov;
    X->named = xmalloc((pv->n + 1) * sizeof(*X->named));
    for (size_t i = 0; i < pv->n; i++)
        if (pv->v[i].named)
            X->named[X->nnamed++] = pv->v[i].named;
    qsort(X->named, X->nnamed, sizeof(*X->named), xptr_cmp);
}

/* ---- the replay ---- */

static void step(struct xpart *p, uint8_t kind, bool ok, int depth, const struct cfg_item *it,
                 const char *text)
{
    p->st = xgrow(p->st, &p->ast, p->nst + 1, sizeof(*p->st));
    p->st[p->nst++] = (struct xstep){ .kind = kind, .ok = ok, .depth = depth,
                                      .file = it->file, .line = it->line, .text = text };
}

static void event(struct xpart *p, uint8_t what, uint32_t key, uint32_t from,
                  const struct cfg_op *op, const struct cfg_ent *e)
{
    p->ev = xgrow(p->ev, &p->aev, p->nev + 1, sizeof(*p->ev));
    p->ev[p->nev++] = (struct xev){
        .what = what, .key = key, .from = from, .rule = CFG_NONE, .op = op,
        .val = e && e->type == V_STR ? e->s : NULL,
        .vlen = e && e->type == V_STR ? e->len : 0,
    };
}

/* Apply OP to the part's dict and note the keys it touched. */
static int replay_op(struct explain *X, struct xpart *p, const struct cfg_op *op)
{
    struct cfg_dict *d = &p->dict;
    const struct cfg_keytab *kt = &X->c->keys;
    uint32_t *before = NULL;
    size_t nb = 0;
    int rc = -1;
    if (op->kind == OP_DEL || op->kind == OP_SUFFIX) {
        /* the keys it may remove: present now (del: with its text) */
        before = xmalloc((d->n + 1) * sizeof(*before));
        for (size_t i = 0; i < d->n; i++) {
            uint32_t k = d->e[i].key;
            if (k == CFG_NONE || k < K_NRESERVED)
                continue;
            if (op->kind == OP_DEL &&
                (kt->k[k].len != op->keylen || memcmp(kt->k[k].text, op->keytext, op->keylen)))
                continue;
            before[nb++] = k;
        }
    }
    if (cfg_dict_apply(d, op) < 0)
        goto out;
    switch (op->kind) {
    case OP_SET: case OP_APPEND: case OP_PREPEND: case OP_LAZY: {
        const struct cfg_ent *e = cfg_dict_get(d, op->key);
        if (op->key < K_NRESERVED)
            event(p, XE_RESERVED, op->key, op->key, op, NULL);
        else
            event(p, e && e->src == op ? XE_SET : XE_KEPT, op->key, op->key, op, e);
        break;
    }
    case OP_RSET: case OP_RAPPEND: case OP_RPREPEND:
        for (size_t i = 0; i < d->n; i++)
            if (d->e[i].key != CFG_NONE && d->e[i].src == op)
                event(p, XE_SET, d->e[i].key, d->e[i].key, op, &d->e[i]);
        break;
    case OP_DEL:
        for (size_t i = 0; i < nb; i++)
            event(p, XE_DEL, before[i], before[i], op, NULL);
        break;
    case OP_SUFFIX:
        for (size_t i = 0; i < nb; i++) {
            uint32_t nk = cfg_key_tuple(&X->c->keys, before[i], op->sid, &X->c->strs);
            event(p, XE_SUFFIX, nk, before[i], op, cfg_dict_get(d, nk));
        }
        break;
    default:                /* the _name_map_file updates of the items */
        break;
    }
    rc = 0;
out:
    free(before);
    return rc;
}

/* _max / _min / _fixed, noting the keys they changed. */
static int replay_postfix(struct xpart *p)
{
    struct cfg_dict *d = &p->dict;
    const struct cfg_keytab *kt = &d->c->keys;
    size_t n = d->n;
    struct cfg_ent *was = xmalloc((n + 1) * sizeof(*was));
    if (n)
        memcpy(was, d->e, n * sizeof(*was));
    if (cfg_dict_postfix(d) < 0) {
        free(was);
        return -1;
    }
    /* it changes entries in place and appends the keys it creates */
    for (size_t i = 0; i < d->n; i++) {
        const struct cfg_ent *e = &d->e[i];
        if (e->key == CFG_NONE || (i < n && was[i].s == e->s && was[i].len == e->len &&
                                   was[i].key == e->key))
            continue;
        event(p, XE_POSTFIX, e->key, e->key, e->src, e);
        for (size_t j = 0; j < d->n; j++) {
            const struct cfg_ent *r = &d->e[j];
            if (r->key != CFG_NONE && kt->k[r->key].parent == CFG_NONE &&
                kt->k[r->key].pf_kind != PF_NONE && kt->k[r->key].pf_base == e->key &&
                r->src == e->src && r->s == e->s) {
                p->ev[p->nev - 1].rule = r->key;
                break;
            }
        }
    }
    free(was);
    return 0;
}

/* collect() of cfg_walk.c on one content list, noting every filter and condition. */
static int replay_content(struct explain *X, struct xpart *p, const struct cfg_item *it,
                          size_t n, int depth)
{
    const struct cfg *c = X->c;
    for (size_t i = 0; i < n; i++) {
        switch (it[i].kind) {
        case CI_OP:
            if (p->ops && replay_op(X, p, it[i].u.op) < 0)
                return -1;
            break;
        case CI_ONLY:
        case CI_NO: {
            const struct cfg_filter *f = orig_filter(X, it[i].u.f);
            bool m = cfg_filter_match(c, f, p->lab, p->nlab);
            bool ok = it[i].kind == CI_ONLY ? m : !m;
            step(p, it[i].kind == CI_ONLY ? XS_ONLY : XS_NO, ok, depth, &it[i], f->line);
            if (!ok) {
                /* the walk stops here; the other filters are still shown */
                p->dropped = true;
                p->ops = false;
            }
            break;
        }
        case CI_COND:
        case CI_NCOND: {
            const struct cfg_cond *cd = it[i].u.cond;
            bool m = cfg_filter_match(c, cd->f, p->lab, p->nlab);
            bool applies = m == (it[i].kind == CI_COND);
            step(p, it[i].kind == CI_COND ? XS_COND : XS_NCOND, applies, depth, &it[i],
                 cd->f->line);
            if (applies && replay_content(X, p, cd->content, cd->n, depth + 1) < 0)
                return -1;
            break;
        }
        default:            /* join: its parts are the case's parts */
            break;
        }
    }
    return 0;
}

/* The plain case walker W just yielded, replayed into P. */
static int replay_part(struct explain *X, const struct xcase *xc, struct xpart *p,
                       struct cfg_walker *w)
{
    const struct cfg_leaf *l = cfg_walker_leaf(w);
    p->npath = cfg_walker_path(w);
    p->path = xmalloc((p->npath + 1) * sizeof(*p->path));
    size_t nlab = 0;
    for (size_t i = 0; i < p->npath; i++) {
        p->path[i] = cfg_walker_node(w, i);
        nlab += p->path[i]->nname;
    }
    p->lab = xmalloc((nlab + 1) * sizeof(*p->lab));
    for (size_t i = 0; i < p->npath; i++)
        for (uint32_t k = 0; k < p->path[i]->nname; k++)
            p->lab[p->nlab++] = p->path[i]->name[k];
    p->name = xstrndup(l->name, l->namelen);
    p->shortname = xstrndup(l->shortname, l->snlen);
    /* the case's first entries, as eval_names() and cfg_eval_apply() make them */
    struct cfg_dict *d = &p->dict;
    cfg_dict_init(d, X->c);
    p->has_dict = true;
    cfg_dict_reset(d, "", 0, "", 0);
    char *nm = cfg_dict_alloc(d, l->namelen + 1), *sn = cfg_dict_alloc(d, l->snlen + 1);
    memcpy(nm, p->name, l->namelen + 1);
    memcpy(sn, p->shortname, l->snlen + 1);
    cfg_dict_set_str(d, K_NAME, nm, l->namelen, NULL);
    cfg_dict_set_str(d, K_SHORTNAME, sn, l->snlen, NULL);
    size_t prev = 0;
    for (size_t i = 0; i < l->ndep; i++) {
        size_t len = l->depoff[i] - prev;
        char *dep = cfg_dict_alloc(d, len + 1);
        memcpy(dep, l->deps + prev, len);
        dep[len] = '\0';
        cfg_dict_dep_add(d, dep, len);
        prev = l->depoff[i];
    }
    p->ops = true;
    for (size_t i = p->npath; i-- > 0;)
        if (replay_content(X, p, p->path[i]->content, p->path[i]->ncontent, 0) < 0)
            return -1;
    const struct cfg_filter *const *extra;
    size_t nextra = cfg_walker_extra(w, &extra);
    for (size_t i = 0; i < nextra; i++) {
        bool ok = cfg_filter_match(X->c, extra[i], p->lab, p->nlab);
        struct cfg_item at = { .file = "?", .line = 0 };
        for (size_t k = 0; k < xc->nterm; k++)
            if (xc->term[k].f == extra[i]) {
                at.file = xc->term[k].file;
                at.line = xc->term[k].line;
            }
        step(p, XS_TERM, ok, 0, &at, extra[i]->line);
        p->dropped |= !ok;
    }
    return p->ops ? replay_postfix(p) : 0;
}

/* The parts of the case W just yielded: itself, or its join's parts (recursively). */
static int gather(struct explain *X, struct xcase *xc, struct cfg_walker *w)
{
    struct cfg_walk_join j;
    if (cfg_walker_join(w, &j)) {
        xc->join = xgrow(xc->join, &xc->ajoin, xc->njoin + 1, sizeof(*xc->join));
        xc->join[xc->njoin++] = (struct xjoin){ .file = j.file, .line = j.line, .n = j.n };
        xc->term = xgrow(xc->term, &xc->aterm, xc->nterm + j.n, sizeof(*xc->term));
        for (size_t i = 0; i < j.n; i++)
            xc->term[xc->nterm++] = (struct xterm){ &j.terms[i], j.file, j.line };
        for (size_t i = 0; i < j.n; i++)
            if (gather(X, xc, j.part[i]) < 0)
                return -1;
        return 0;
    }
    xc->part = xgrow(xc->part, &xc->apart, xc->npart + 1, sizeof(*xc->part));
    struct xpart *p = &xc->part[xc->npart++];
    *p = (struct xpart){ 0 };
    return replay_part(X, xc, p, w);
}

static void xcase_free(struct xcase *xc)
{
    for (size_t i = 0; i < xc->npart; i++) {
        struct xpart *p = &xc->part[i];
        free(p->path);
        free(p->lab);
        free(p->name);
        free(p->shortname);
        free(p->st);
        free(p->ev);
        if (p->has_dict)
            cfg_dict_release(&p->dict);
    }
    free(xc->part);
    free(xc->join);
    free(xc->term);
}

/* ---- final values ---- */

static int flat_cmp(const void *a, const void *b)
{
    const struct cfg_flat *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->text, y->text, n);
    return r ? r : (x->len < y->len ? -1 : x->len > y->len);
}

/* D flattened as the dump flattens it, sorted by key: the dump's line order. */
static size_t flat_sorted(const struct cfg *c, struct cfg_dict *d, struct cfg_flat **f,
                          size_t *af)
{
    size_t n = cfg_dict_flatten(d, !c->opts.keep_suffixes, f, af);
    qsort(*f, n, sizeof(**f), flat_cmp);
    return n;
}

/* The last part that has KEY: a join's merge lets a later part's value win. */
static size_t part_of(const struct xcase *xc, uint32_t key)
{
    for (size_t i = xc->npart; i-- > 0;)
        if (cfg_dict_get(&xc->part[i].dict, key))
            return i;
    return 0;
}

/* Pair each dump line of the engine's case (DUMP, after its "== name" line) with its
 * key, and check the replay gave the same value (a join's name and shortname are
 * merged, not replayed). */
static int final_values(struct explain *X, const struct xcase *xc, struct cfg_dict *d,
                        const struct strbuf *dump, struct xfin **out, size_t *nout)
{
    struct cfg_flat *f = NULL, *g = NULL;
    size_t af = 0, ag = 0;
    size_t n = flat_sorted(X->c, d, &f, &af);
    struct xfin *v = xcalloc(n + 1, sizeof(*v));
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    int rc = -1;
    const char *p = memchr(dump->buf, '\n', dump->len);
    p = p ? p + 1 : dump->buf + dump->len;
    for (size_t i = 0; i < n; i++) {
        const char *e = memchr(p, '\n', (size_t)(dump->buf + dump->len - p));
        if (!e || (size_t)(e - p) <= f[i].len || memcmp(p, f[i].text, f[i].len) ||
            p[f[i].len] != '=') {
            err_set("explain: internal error: the dump's line %zu is not key '%.*s'", i + 1,
                    (int)f[i].len, f[i].text);
            goto out;
        }
        v[i] = (struct xfin){ .line = p, .len = (size_t)(e - p), .keylen = f[i].len,
                             .key = f[i].v->key, .part = part_of(xc, f[i].v->key) };
        p = e + 1;
    }
    /* the replay's own flattening must give the same lines */
    if (xc->npart == 1) {
        struct xpart *pt = &xc->part[0];
        size_t m = flat_sorted(X->c, &pt->dict, &g, &ag);
        for (size_t i = 0; i < n || i < m; i++) {
            strbuf_reset(&a);
            strbuf_reset(&b);
            if (i < n) {
                strbuf_add(&a, f[i].text, f[i].len);
                strbuf_addch(&a, '=');
                cfg_json_value(d, f[i].v, &a);
            }
            if (i < m) {
                strbuf_add(&b, g[i].text, g[i].len);
                strbuf_addch(&b, '=');
                cfg_json_value(&pt->dict, g[i].v, &b);
            }
            if (strcmp(a.buf, b.buf)) {
                err_set("explain: internal error: the replay of '%s' gives '%.200s' where "
                        "the expansion gives '%.200s'", pt->name, b.buf, a.buf);
                goto out;
            }
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            uint32_t k = v[i].key;
            if (k == K_NAME || k == K_SHORTNAME)
                continue;
            const struct cfg_ent *r = cfg_dict_get(&xc->part[v[i].part].dict, k);
            strbuf_reset(&a);
            strbuf_reset(&b);
            cfg_json_value(d, f[i].v, &a);
            if (r)
                cfg_json_value(&xc->part[v[i].part].dict, r, &b);
            if (!r || strcmp(a.buf, b.buf)) {
                err_set("explain: internal error: the replay of the join's part %zu gives "
                        "%.*s='%.200s' where the expansion gives '%.200s'", v[i].part + 1,
                        (int)f[i].len, f[i].text, b.buf, a.buf);
                goto out;
            }
        }
    }
    *out = v;
    *nout = n;
    v = NULL;
    rc = 0;
out:
    free(v);
    free(f);
    free(g);
    strbuf_release(&a);
    strbuf_release(&b);
    return rc;
}


/* ---- one case ---- */

/* Explain the case the walker just yielded (its dict D, of iterator IT). */
static int explain_one(struct explain *X, struct cfg_iter *it, struct cfg_dict *d,
                       struct strbuf *out)
{
    struct xcase xc = { .shortname = cfg_case_shortname(cfg_iter_case(it, d)) };
    struct xfin *fv = NULL;
    size_t nfv = 0;
    struct strbuf dump = STRBUF_INIT;
    int rc = -1;
    if (gather(X, &xc, cfg_iter_walker(it)) < 0)
        goto out;
    if (X->listed) {
        bool dropped = false;
        for (size_t i = 0; i < xc.npart; i++)
            dropped |= xc.part[i].dropped;
        if (dropped) {
            err_set("explain: internal error: a filter drops the listed case '%s'",
                    xc.part[0].name);
            goto out;
        }
        cfg_case_dump(cfg_iter_case(it, d), &dump);
        if (final_values(X, &xc, d, &dump, &fv, &nfv) < 0)
            goto out;
    }
    struct xview v = { X->c, X->listed, X->named, X->nnamed };
    if (X->flags & CFG_EXPLAIN_JSON)
        cfg_explain_json(&v, &xc, fv, nfv, out);
    else
        cfg_explain_text(&v, &xc, fv, nfv, out);
    rc = 0;
out:
    xcase_free(&xc);
    free(fv);
    strbuf_release(&dump);
    return rc;
}

/* ---- how many labels a name can have ---- */

struct span {
    uint32_t lo[2], hi[2];      /* [0]: labels of the name, [1]: of the shortname */
};

struct spans {
    const struct cfg_node **node;   /* sorted */
    struct span *v;
    bool *done;
    size_t n;
};

/* The fewest and most labels of the names (and shortnames) of the cases below N, N's own
 * included, whatever the filters keep. */
static struct span span_of(struct spans *S, const struct cfg_node *n, int depth)
{
    const struct cfg_node **at = bsearch(&n, S->node, S->n, sizeof(*S->node), xptr_cmp);
    size_t i = (size_t)(at - S->node);
    if (S->done[i])
        return S->v[i];
    struct span sp = { { 0, 0 }, { 0, 0 } };
    if (n->nchildren && depth < 100000) {
        sp = span_of(S, n->children[0], depth + 1);
        for (size_t k = 1; k < n->nchildren; k++) {
            struct span x = span_of(S, n->children[k], depth + 1);
            for (int w = 0; w < 2; w++) {
                if (x.lo[w] < sp.lo[w])
                    sp.lo[w] = x.lo[w];
                if (x.hi[w] > sp.hi[w])
                    sp.hi[w] = x.hi[w];
            }
        }
    }
    for (int w = 0; w < 2; w++) {
        uint32_t own = w == 0 || n->append_to_shortname ? n->nname : 0;
        sp.lo[w] += own;
        sp.hi[w] += own;
    }
    S->v[i] = sp;
    S->done[i] = true;
    return sp;
}

/* Can a case's name or shortname have as many labels as NAME?  A partial name (a few
 * labels) would otherwise make the walk look at every case that has them. */
static bool count_possible(const struct explain *X)
{
    const struct cfg *c = X->c;
    if (c->has_join || c->renames)
        return true;
    uint32_t k = 1;
    for (const char *p = X->name; *p; p++)
        k += *p == '.';
    if (!*X->name)
        k = 0;
    struct spans S = { .n = c->nnodes };
    S.node = xmalloc((S.n + 1) * sizeof(*S.node));
    memcpy(S.node, c->nodes, S.n * sizeof(*S.node));
    qsort(S.node, S.n, sizeof(*S.node), xptr_cmp);
    S.v = xmalloc((S.n + 1) * sizeof(*S.v));
    S.done = xcalloc(S.n + 1, sizeof(*S.done));
    struct span sp = span_of(&S, c->root, 0);
    free(S.node);
    free(S.v);
    free(S.done);
    return (k >= sp.lo[0] && k <= sp.hi[0]) || (k >= sp.lo[1] && k <= sp.hi[1]);
}

/* ---- the search ---- */

/* Is the case the walker just yielded named (0) or shortnamed (1) NAME?  -1: neither. */
static int named(const struct explain *X, const char *name, size_t nl, const char *sn,
                 size_t sl)
{
    size_t n = strlen(X->name);
    if (nl == n && !memcmp(name, X->name, n))
        return 0;
    return sl == n && !memcmp(sn, X->name, n) ? 1 : -1;
}

/* Walk the cfg and explain every case named (then shortnamed) NAME.  The walk only
 * names the cases (cfg_walker_defer) and the ones named NAME are evaluated; a config
 * whose names come from merged or evaluated cases (join, name_fixed) is walked fully. */
static int search(struct explain *X)
{
    static const int never = 0;
    if (!count_possible(X) || !add_name_filter(X))
        return 0;
    struct cfg *c = X->c;
    struct cfg_iter *it = cfg_iter_new(c);
    struct cfg_walker *w = cfg_iter_walker(it);
    bool defer = !c->has_join && !c->renames;
    struct cfg_eval *ev = defer ? cfg_eval_new(c) : NULL;
    struct cfg_dict *d;
    int r;
    if (defer)
        cfg_walker_defer(w, &never);
    while ((r = cfg_walker_next(w, &d)) == 1) {
        int which;
        if (defer) {
            const struct cfg_leaf *l = cfg_walker_leaf(w);
            which = named(X, l->name, l->namelen, l->shortname, l->snlen);
            if (which < 0)
                continue;
            if (cfg_eval_apply(ev, l, &d) < 0) {
                r = -1;
                break;
            }
        } else {
            const struct cfg_case *k = cfg_iter_case(it, d);
            const char *nm = cfg_case_name(k), *sn = cfg_case_shortname(k);
            which = named(X, nm, strlen(nm), sn, strlen(sn));
            if (which < 0)
                continue;
        }
        if (X->count[which]++ >= MAX_SHOWN || (which == 1 && X->count[0]))
            continue;
        X->occ[which] = xrealloc(X->occ[which], (X->nocc[which] + 1) * sizeof(struct occ));
        struct occ *o = &X->occ[which][X->nocc[which]++];
        o->name = xstrdup(cfg_case_name(cfg_iter_case(it, d)));
        strbuf_init(&o->body, 0);
        if (explain_one(X, it, d, &o->body) < 0) {
            r = -1;
            break;
        }
    }
    cfg_eval_free(ev);
    cfg_iter_free(it);
    return r < 0 ? -1 : 0;
}

static void assemble(const struct explain *X, struct strbuf *out)
{
    int which = X->count[0] ? 0 : 1;
    size_t n = X->count[which];
    bool json = X->flags & CFG_EXPLAIN_JSON;
    if (json) {
        strbuf_addstr(out, "{\"query\": ");
        cfg_json_str(out, X->name, strlen(X->name));
        strbuf_addf(out, ", \"listed\": %s, \"matched_by\": \"%s\", \"count\": %zu, "
                    "\"cases\": [", X->listed ? "true" : "false", which ? "shortname" : "name",
                    n);
    }
    for (size_t i = 0; i < X->nocc[which]; i++) {
        const struct occ *o = &X->occ[which][i];
        if (json) {
            strbuf_addstr(out, i ? ", {\"name\": " : "{\"name\": ");
            cfg_json_str(out, o->name, strlen(o->name));
            strbuf_addf(out, ", \"occurrence\": %zu, \"explanation\": ", i + 1);
            strbuf_add(out, o->body.buf, o->body.len);
            strbuf_addch(out, '}');
            continue;
        }
        if (i)
            strbuf_addch(out, '\n');
        strbuf_addf(out, "== %s\n", o->name);
        if (which)
            strbuf_addf(out, "(matched by its shortname%s%s)\n", X->listed ? "" : " ",
                        X->listed ? "" : X->name);
        if (n > 1)
            strbuf_addf(out, "occurrence %zu of %zu cases with this %s, in --list order\n",
                        i + 1, n, which ? "shortname" : "name");
        strbuf_add(out, o->body.buf, o->body.len);
    }
    if (json)
        strbuf_addstr(out, "]}\n");
    else if (n > X->nocc[which])
        strbuf_addf(out, "\n... and %zu more cases with this %s (the first %d are "
                    "explained)\n", n - X->nocc[which], which ? "shortname" : "name",
                    MAX_SHOWN);
}

static void explain_reset(struct explain *X)
{
    for (int w = 0; w < 2; w++) {
        for (size_t i = 0; i < X->nocc[w]; i++) {
            free(X->occ[w][i].name);
            strbuf_release(&X->occ[w][i].body);
        }
        free(X->occ[w]);
        X->occ[w] = NULL;
        X->nocc[w] = X->count[w] = 0;
    }
    free(X->byname_atoms);
    free(X->byname_chains);
    X->byname_atoms = NULL;
    X->byname_chains = NULL;
    free(X->saved);
    X->saved = NULL;
    X->nsaved = X->asaved = 0;
    free(X->named);
    X->named = NULL;
    X->nnamed = 0;
    cfg_free(X->c);
    X->c = NULL;
}

/* One search over the config as given (LISTED) or without its only/no filters. */
static int pass(struct explain *X, const char *file, const char *const *stmts, size_t n,
                const struct cfg_opts *o, bool listed)
{
    X->c = cfg_parse_prov(file, stmts, n, o);
    if (!X->c)
        return -1;
    X->listed = listed;
    index_named(X);
    if (!listed)
        drop_filters(X);
    return search(X);
}

int cfg_explain(const char *file, const char *const *stmts, size_t nstmts,
                const struct cfg_opts *o, const char *name, unsigned flags,
                struct strbuf *out)
{
    struct explain X = { .name = name, .flags = flags };
    int rc = -1;
    if (pass(&X, file, stmts, nstmts, o, true) < 0)
        goto out;
    if (X.count[0] || X.count[1]) {
        assemble(&X, out);
        rc = 0;
        goto out;
    }
    explain_reset(&X);
    /* not listed: would it be without the filters (and without defaults mode)? */
    struct cfg_opts all = o ? *o : (struct cfg_opts){ 0 };
    all.defaults = false;
    all.expand_defaults = NULL;
    if (pass(&X, file, stmts, nstmts, &all, false) < 0)
        goto out;
    if (X.count[0] || X.count[1]) {
        assemble(&X, out);
        rc = 1;
        goto out;
    }
    err_set("no case of %s is named '%s' (neither a name nor a shortname, with or without "
            "the only/no filters; --list prints the names)", file ? file : "<string>", name);
out:
    explain_reset(&X);
    return rc;
}
