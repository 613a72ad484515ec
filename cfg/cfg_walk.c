/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Expansion: an explicit-stack depth-first walk of the inverted tree, children in item
 * order, yielding a case at the leaf.  Semantics are the simple rule of SYNTAX.md 6.2
 * (filters and conditions evaluated on the final name, operations in textual order);
 * pruning is an optimisation (6.3): when a node is entered, every `only` whose labels
 * can no longer all appear (neither on the path nor below the node) and every `no`
 * already matched by the path cut the subtree.  "Below the node" is a list of ranges of
 * item numbers (cfg_node.rlo/rhi/rup) looked up in per-label occurrence lists.
 *
 * `join` (8.2) runs one sub-walker per term from the join's node, with the term as an
 * extra `only`, and yields the merged product.
 */
#include "cfg/cfg_walk.h"
#include "lib/err.h"

#include <stdlib.h>
#include <string.h>

int cfg_debug_noprune;

struct frame {
    const struct cfg_node *n;
    uint32_t child;
    uint32_t nlab, nsn, ndep, naf, nres;
    size_t namelen, snlen;
    uint64_t yields_at;
    bool leaf_done;
    const uint32_t *vis;     /* children that can pass the `only` filters, or NULL */
    uint32_t nvis;
};

struct afilt {
    const struct cfg_filter *f;
    const struct cfg_cond *cond;     /* CI_COND / CI_NCOND */
    uint8_t kind;                    /* CI_ONLY, CI_NO, CI_COND, CI_NCOND */
    bool only;
    bool resolved;      /* decided for the whole subtree: skip until popped */
};

struct join;

/* A case's operations applied to its dict.  Its snapshot is the dict right after the
 * leaf node's operations, reused while the leaf's conditions pick the same operations
 * (the leaf R0 holds the first statements of the config, e.g. all of base.cfg: most of
 * every case). */
struct cfg_eval {
    struct cfg *c;
    struct cfg_dict dict;
    struct {
        bool valid;
        const struct cfg_node *leaf;
        struct cfg_oprun *runs;
        size_t nruns, aruns;
        struct cfg_ent *e;
        size_t n, a;
        struct strbuf text;
        bool has_tuple;
        uint32_t npf;            /* the dict's npf when taken */
    } snap;
};

struct cfg_walker {
    struct cfg *c;
    bool names_only;
    struct frame *fr;
    size_t nfr, afr, base;
    bool base_join_done;
    uint32_t *lab;
    size_t nlab, alab;
    uint32_t *sn;
    size_t nsn, asn;
    struct strbuf depbuf;
    size_t *depoff;          /* end offsets in depbuf */
    size_t ndep, adep;
    struct afilt *af;
    size_t naf, aaf;
    uint32_t *res;           /* indices of af resolved, in order (undone on pop) */
    size_t nres, ares;
    const struct cfg_filter **extra;
    size_t nextra;
    uint32_t *cnt_val, *cnt_lab;
    uint8_t *fstate;         /* filter id -> 0 unknown, 1 matches the name, 2 cannot */
    uint64_t yields;
    uint64_t steps;
    struct cfg_oprun *ops;   /* the case's operation runs, leaf first */
    size_t nops, aops;
    struct strbuf name, shortname;
    struct join *js;
    bool defer;              /* yield the leaf record only (cfg_walker_defer) */
    const int *stop;         /* ... until this turns non-zero (__atomic loads) */
    struct cfg_leaf rec;
    struct cfg_eval *ev;     /* the dict cases are evaluated into */
    /* container -> viable children, keyed by the state the `only` filters see */
    struct vcache *vc;
    size_t nvc, avc, vc_entries;
};

struct vcache {
    uint64_t sig;
    const struct cfg_node *n;
    uint32_t *vis;
    uint32_t nvis;
};

struct join {
    size_t level;
    size_t nterms;
    struct cfg_filter *terms;       /* one single-term filter per term */
    struct cfg_walker **sub;
    struct cfg_dict *cur;           /* cur[i]: current case of term i (i < n-1) */
    struct cfg_dict *tmp;           /* merge results */
    const char *file;
    int line;
    bool started;
};

static void *grow(void *p, size_t *alloc, size_t need, size_t sz)
{
    if (need <= *alloc)
        return p;
    size_t na = *alloc ? *alloc * 2 : 64;
    while (na < need)
        na *= 2;
    *alloc = na;
    return xrealloc(p, na * sz);
}

struct cfg_walker *cfg_walker_new(struct cfg *c, bool names_only)
{
    struct cfg_walker *w = xcalloc(1, sizeof(*w));
    w->c = c;
    w->names_only = names_only;
    strbuf_init(&w->depbuf, 256);
    strbuf_init(&w->name, 256);
    strbuf_init(&w->shortname, 256);
    w->ev = cfg_eval_new(c);
    w->cnt_val = xcalloc(c->strs.n + 1, sizeof(*w->cnt_val));
    w->cnt_lab = xcalloc(c->nlabels + 1, sizeof(*w->cnt_lab));
    w->fstate = xcalloc(c->nfilters + 1, 1);
    return w;
}

static void join_free(struct join *j);

void cfg_walker_free(struct cfg_walker *w)
{
    if (!w)
        return;
    if (w->js)
        join_free(w->js);
    free(w->fr);
    free(w->lab);
    free(w->sn);
    strbuf_release(&w->depbuf);
    free(w->depoff);
    free(w->af);
    free(w->res);
    for (size_t i = 0; i < w->avc; i++)
        free(w->vc[i].vis);
    free(w->vc);
    free(w->extra);
    free(w->cnt_val);
    free(w->cnt_lab);
    free(w->fstate);
    cfg_eval_free(w->ev);
    free(w->ops);
    strbuf_release(&w->name);
    strbuf_release(&w->shortname);
    free(w);
}

/* ---- pruning ---- */

static bool occ_in(const uint32_t *v, uint32_t n, uint32_t lo, uint32_t hi)
{
    uint32_t a = 0, b = n;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (v[m] < lo)
            a = m + 1;
        else
            b = m;
    }
    return a < n && v[a] <= hi;
}

/* Can atom A appear strictly below node N (occurrence lists over N's item ranges)? */
static bool atom_below(const struct cfg_walker *w, const struct cfg_node *n,
                       const struct cfg_label *a)
{
    const struct cfg *c = w->c;
    const uint32_t *occ;
    uint32_t nocc;
    if (a->var == CFG_NONE) {
        if (a->val >= c->nocc_valtab)
            return false;
        occ = c->occ_val[a->val];
        nocc = c->nocc_val[a->val];
    } else {
        if (a->lid >= c->nocc_labtab)
            return false;
        occ = c->occ_lab[a->lid];
        nocc = c->nocc_lab[a->lid];
    }
    if (!nocc)
        return false;
    for (const struct cfg_node *r = n; r; r = r->rup)
        if (r->rlo <= r->rhi && occ_in(occ, nocc, r->rlo, r->rhi))
            return true;
    return false;
}

/* Can atom A be in the final name: on the path so far, or below N? */
static bool atom_possible(const struct cfg_walker *w, const struct cfg_node *n,
                          const struct cfg_label *a)
{
    if (a->var == CFG_NONE ? w->cnt_val[a->val] : w->cnt_lab[a->lid])
        return true;
    return atom_below(w, n, a);
}

static inline bool label_is(const struct cfg *c, uint32_t label, const struct cfg_label *a)
{
    const struct cfg_label *l = &c->labels[label];
    return l->val == a->val && (a->var == CFG_NONE || l->var == a->var);
}

/* Can chain CH (adjacent atoms) be in the final name?  The path only grows at its end,
 * so the chain is either on the path already, or it starts with the path's last K
 * labels (K >= 0) and its other atoms are all still to come below N.  Checking each
 * atom alone is weaker: "RHEL.9.devel" looks possible under CentOS-Stream.9.devel when
 * a Host.RHEL block lies below, and the whole CentOS subtree would be walked for no
 * case. */
static bool chain_possible(const struct cfg_walker *w, const struct cfg_node *n,
                           const struct cfg_chain *ch)
{
    const struct cfg *c = w->c;
    for (uint32_t k = 0; k <= ch->natoms && k <= w->nlab; k++) {
        bool ok = true;
        for (uint32_t i = 0; i < k && ok; i++)
            ok = label_is(c, w->lab[w->nlab - k + i], &ch->atoms[i]);
        for (uint32_t i = k; i < ch->natoms && ok; i++)
            ok = atom_below(w, n, &ch->atoms[i]);
        if (ok)
            return true;
    }
    for (uint32_t i = 0; i < ch->natoms; i++)
        if (!atom_possible(w, n, &ch->atoms[i]))
            return false;
    struct cfg_term one = { .nchains = 1, .chains = (struct cfg_chain *)ch };
    struct cfg_filter f = { .nterms = 1, .terms = &one };
    return cfg_filter_match(c, &f, w->lab, w->nlab);
}

static bool only_possible(const struct cfg_walker *w, const struct cfg_node *n,
                          const struct cfg_filter *f)
{
    for (uint32_t t = 0; t < f->nterms; t++) {
        const struct cfg_term *term = &f->terms[t];
        bool ok = true;
        for (uint32_t k = 0; k < term->nchains && ok; k++)
            ok = chain_possible(w, n, &term->chains[k]);
        if (ok)
            return true;
    }
    return false;
}

/* Does the path so far match F?  Counts rule out most chains without a scan. */
static bool prefix_match(const struct cfg_walker *w, const struct cfg_filter *f)
{
    for (uint32_t t = 0; t < f->nterms; t++) {
        const struct cfg_term *term = &f->terms[t];
        bool ok = true;
        for (uint32_t k = 0; k < term->nchains && ok; k++) {
            const struct cfg_chain *ch = &term->chains[k];
            for (uint32_t i = 0; i < ch->natoms && ok; i++) {
                const struct cfg_label *a = &ch->atoms[i];
                ok = a->var == CFG_NONE ? w->cnt_val[a->val] != 0 : w->cnt_lab[a->lid] != 0;
            }
        }
        if (!ok)
            continue;
        struct cfg_filter one = { .nterms = 1, .terms = (struct cfg_term *)term };
        if (cfg_filter_match(w->c, &one, w->lab, w->nlab))
            return true;
    }
    return false;
}

/* Af entry I is decided for the subtree; MATCH: whether its filter matches the name. */
static void resolve(struct cfg_walker *w, size_t i, bool match)
{
    w->af[i].resolved = true;
    if (w->af[i].f->id != CFG_NONE)
        w->fstate[w->af[i].f->id] = match ? 1 : 2;
    w->res = grow(w->res, &w->ares, w->nres + 1, sizeof(*w->res));
    w->res[w->nres++] = (uint32_t)i;
}

static void af_add(struct cfg_walker *w, const struct cfg_item *it)
{
    w->af = grow(w->af, &w->aaf, w->naf + 1, sizeof(*w->af));
    struct afilt *a = &w->af[w->naf++];
    a->kind = it->kind;
    a->only = it->kind == CI_ONLY;
    a->resolved = false;
    if (it->kind == CI_COND || it->kind == CI_NCOND) {
        a->cond = it->u.cond;
        a->f = it->u.cond->f;
    } else {
        a->cond = NULL;
        a->f = it->u.f;
    }
}

static bool filters_ok(struct cfg_walker *w, const struct cfg_node *n)
{
    for (size_t i = 0; i < w->naf; i++) {
        const struct afilt *a = &w->af[i];
        if (a->resolved)
            continue;
        switch (a->kind) {
        case CI_ONLY:
            if (!only_possible(w, n, a->f))
                return false;
            if (prefix_match(w, a->f))
                resolve(w, i, true);
            break;
        case CI_NO:
            if (prefix_match(w, a->f))
                return false;
            if (!only_possible(w, n, a->f))
                resolve(w, i, false);
            break;
        default: {
            /* a condition: once the path decides it, its body's filters apply */
            const struct cfg_cond *cd = a->cond;
            bool active;
            bool m;
            if (prefix_match(w, a->f))
                m = true;
            else if (!only_possible(w, n, a->f))
                m = false;
            else
                break;
            active = m == (a->kind == CI_COND);
            resolve(w, i, m);
            if (!cd->has_filter)
                break;
            if (active)
                for (size_t k = 0; k < cd->n; k++)
                    if (cd->content[k].kind != CI_OP && cd->content[k].kind != CI_JOIN)
                        af_add(w, &cd->content[k]);
            break;
        }
        }
    }
    return true;
}

/* ---- viable children of a wide container ---- */

#define VC_MIN_CHILDREN 12
#define VC_MAX_ENTRIES 200000

static bool atom_possible_child(const struct cfg_walker *w, const struct cfg_node *x,
                                const struct cfg_label *a)
{
    for (uint32_t i = 0; i < x->nname; i++) {
        const struct cfg_label *l = &w->c->labels[x->name[i]];
        if (l->val == a->val && (a->var == CFG_NONE || l->var == a->var))
            return true;
    }
    return atom_possible(w, x, a);
}

static bool child_possible(const struct cfg_walker *w, const struct cfg_node *x,
                           const struct cfg_filter *f)
{
    for (uint32_t t = 0; t < f->nterms; t++) {
        const struct cfg_term *term = &f->terms[t];
        bool ok = true;
        for (uint32_t k = 0; k < term->nchains && ok; k++) {
            const struct cfg_chain *ch = &term->chains[k];
            for (uint32_t i = 0; i < ch->natoms && ok; i++)
                ok = atom_possible_child(w, x, &ch->atoms[i]);
        }
        if (ok)
            return true;
    }
    return false;
}

/* The state the unresolved `only` filters see at N: which filters, and which of their
 * atoms the path already has.  Children's fate under them depends on nothing else. */
static uint64_t only_sig(const struct cfg_walker *w, const struct cfg_node *n, bool *any)
{
    uint64_t h = (uint64_t)(uintptr_t)n * 0x9E3779B97F4A7C15ull;
    *any = false;
    for (size_t i = 0; i < w->naf; i++) {
        const struct afilt *a = &w->af[i];
        if (a->resolved || !a->only)
            continue;
        *any = true;
        h = (h ^ (uint64_t)(uintptr_t)a->f) * 0x100000001B3ull;
        uint64_t idx = 0;
        for (uint32_t t = 0; t < a->f->nterms; t++)
            for (uint32_t k = 0; k < a->f->terms[t].nchains; k++) {
                const struct cfg_chain *ch = &a->f->terms[t].chains[k];
                for (uint32_t j = 0; j < ch->natoms; j++, idx++) {
                    const struct cfg_label *at = &ch->atoms[j];
                    if (at->var == CFG_NONE ? w->cnt_val[at->val] : w->cnt_lab[at->lid])
                        h = (h ^ (idx + 1)) * 0x100000001B3ull;
                }
            }
        h = (h ^ idx) * 0x100000001B3ull;
        h ^= h >> 29;
    }
    return h;
}

static void viable_children(struct cfg_walker *w, struct frame *f)
{
    const struct cfg_node *n = f->n;
    f->vis = NULL;
    f->nvis = 0;
    if (n->nchildren < VC_MIN_CHILDREN)
        return;
    bool any;
    uint64_t sig = only_sig(w, n, &any);
    if (!any)
        return;
    if (w->nvc * 2 >= w->avc) {
        if (w->vc_entries >= VC_MAX_ENTRIES)
            return;
        size_t na = w->avc ? w->avc * 2 : 1024;
        struct vcache *nv = xcalloc(na, sizeof(*nv));
        for (size_t i = 0; i < w->avc; i++) {
            if (!w->vc[i].n)
                continue;
            size_t j = (size_t)(w->vc[i].sig >> 7) & (na - 1);
            while (nv[j].n)
                j = (j + 1) & (na - 1);
            nv[j] = w->vc[i];
        }
        free(w->vc);
        w->vc = nv;
        w->avc = na;
    }
    size_t j = (size_t)(sig >> 7) & (w->avc - 1);
    while (w->vc[j].n) {
        if (w->vc[j].sig == sig && w->vc[j].n == n) {
            f->vis = w->vc[j].vis;
            f->nvis = w->vc[j].nvis;
            return;
        }
        j = (j + 1) & (w->avc - 1);
    }
    uint32_t *vis = xmalloc((n->nchildren + 1) * sizeof(*vis));
    uint32_t nv = 0;
    for (size_t c = 0; c < n->nchildren; c++) {
        const struct cfg_node *x = n->children[c];
        bool ok = true;
        for (size_t i = 0; i < w->naf && ok; i++) {
            const struct afilt *a = &w->af[i];
            if (!a->resolved && a->only)
                ok = child_possible(w, x, a->f);
        }
        if (ok)
            vis[nv++] = (uint32_t)c;
    }
    w->vc[j].sig = sig;
    w->vc[j].n = n;
    w->vc[j].vis = vis;
    w->vc[j].nvis = nv;
    w->nvc++;
    w->vc_entries++;
    f->vis = vis;
    f->nvis = nv;
}

/* ---- path stack ---- */

static void label_text(const struct cfg *c, uint32_t l, struct strbuf *sb)
{
    strbuf_add(sb, c->llong[l], c->llong_len[l]);
}

static void pop(struct cfg_walker *w)
{
    struct frame *f = &w->fr[--w->nfr];
    for (size_t i = f->nlab; i < w->nlab; i++) {
        const struct cfg_label *L = &w->c->labels[w->lab[i]];
        w->cnt_val[L->val]--;
        w->cnt_lab[w->lab[i]]--;
    }
    w->nlab = f->nlab;
    w->nsn = f->nsn;
    strbuf_setlen(&w->name, f->namelen);
    strbuf_setlen(&w->shortname, f->snlen);
    w->ndep = f->ndep;
    strbuf_setlen(&w->depbuf, f->ndep ? w->depoff[f->ndep - 1] : 0);
    while (w->nres > f->nres) {
        struct afilt *a = &w->af[w->res[--w->nres]];
        a->resolved = false;
        if (a->f->id != CFG_NONE)
            w->fstate[a->f->id] = 0;
    }
    w->naf = f->naf;
}

static int join_start(struct cfg_walker *w, size_t level);

/* Enter node N; false if its subtree cannot yield a case. */
static int push(struct cfg_walker *w, const struct cfg_node *n)
{
    const struct cfg *c = w->c;
    w->fr = grow(w->fr, &w->afr, w->nfr + 1, sizeof(*w->fr));
    struct frame *f = &w->fr[w->nfr++];
    f->n = n;
    f->child = 0;
    f->nlab = (uint32_t)w->nlab;
    f->nsn = (uint32_t)w->nsn;
    f->ndep = (uint32_t)w->ndep;
    f->naf = (uint32_t)w->naf;
    f->nres = (uint32_t)w->nres;
    f->namelen = w->name.len;
    f->snlen = w->shortname.len;
    f->yields_at = w->yields;
    f->leaf_done = false;
    f->vis = NULL;
    f->nvis = 0;
    /* the filters see labels only: the texts are built once the node is in */
    if (n->nname) {
        w->lab = grow(w->lab, &w->alab, w->nlab + n->nname, sizeof(*w->lab));
        for (uint32_t i = 0; i < n->nname; i++) {
            uint32_t l = n->name[i];
            w->lab[w->nlab++] = l;
            w->cnt_val[c->labels[l].val]++;
            w->cnt_lab[l]++;
        }
    }
    for (uint32_t i = 0; i < n->nhoist; i++)
        af_add(w, &n->hoist[i]);
    if ((n->nname || n->nhoist) && !cfg_debug_noprune && !filters_ok(w, n)) {
        pop(w);
        return 0;
    }
    if (n->dep) {
        /* "<labels above>.<chain>" for every chain of the dependency filter */
        for (uint32_t t = 0; t < n->dep->nterms; t++)
            for (uint32_t k = 0; k < n->dep->terms[t].nchains; k++) {
                const struct cfg_chain *ch = &n->dep->terms[t].chains[k];
                size_t st = w->depbuf.len;
                for (size_t i = 0; i < f->nlab; i++) {
                    if (w->depbuf.len > st)
                        strbuf_addch(&w->depbuf, '.');
                    label_text(c, w->lab[i], &w->depbuf);
                }
                for (uint32_t i = 0; i < ch->natoms; i++) {
                    if (w->depbuf.len > st)
                        strbuf_addch(&w->depbuf, '.');
                    const struct cfg_label *a = &ch->atoms[i];
                    if (a->var != CFG_NONE)
                        strbuf_addf(&w->depbuf, "(%s=%s)", c->strs.s[a->var], c->strs.s[a->val]);
                    else
                        strbuf_add(&w->depbuf, c->strs.s[a->val], c->strs.len[a->val]);
                }
                w->depoff = grow(w->depoff, &w->adep, w->ndep + 1, sizeof(*w->depoff));
                w->depoff[w->ndep++] = w->depbuf.len;
            }
    }
    if (n->nname) {
        for (uint32_t i = 0; i < n->nname; i++) {
            if (f->nlab + i)
                strbuf_addch(&w->name, '.');
            label_text(c, n->name[i], &w->name);
        }
        if (n->append_to_shortname) {
            w->sn = grow(w->sn, &w->asn, w->nsn + n->nname, sizeof(*w->sn));
            for (uint32_t i = 0; i < n->nname; i++) {
                uint32_t v = c->labels[n->name[i]].val;
                if (w->nsn)
                    strbuf_addch(&w->shortname, '.');
                strbuf_add(&w->shortname, c->strs.s[v], c->strs.len[v]);
                w->sn[w->nsn++] = n->name[i];
            }
        }
    }
    if (n->has_join && !(w->nfr - 1 == w->base && w->base_join_done))
        return join_start(w, w->nfr - 1);
    if (!cfg_debug_noprune)
        viable_children(w, &w->fr[w->nfr - 1]);
    return 1;
}

/* ---- the leaf ---- */

/* Match on the complete name, from what the walk already decided when it can. */
static inline bool leaf_match(const struct cfg_walker *w, const struct cfg_filter *f)
{
    uint8_t st = f->id != CFG_NONE ? w->fstate[f->id] : 0;
    return st ? st == 1 : prefix_match(w, f);
}

static int collect(struct cfg_walker *w, const struct cfg_item *it, size_t n, bool in_cond)
{
    for (size_t i = 0; i < n; i++) {
        switch (it[i].kind) {
        case CI_OP:
            if (!w->names_only) {
                w->ops = grow(w->ops, &w->aops, w->nops + 1, sizeof(*w->ops));
                w->ops[w->nops].v = it[i].runv;
                w->ops[w->nops++].n = it[i].runlen;
            }
            i += it[i].runlen - 1;
            break;
        case CI_ONLY:
            if (!leaf_match(w, it[i].u.f))
                return 0;
            break;
        case CI_NO:
            if (leaf_match(w, it[i].u.f))
                return 0;
            break;
        case CI_COND:
        case CI_NCOND: {
            const struct cfg_cond *cd = it[i].u.cond;
            if (w->names_only && !cd->has_filter)
                break;
            bool m = leaf_match(w, cd->f);
            if (m == (it[i].kind == CI_COND)) {
                int r = collect(w, cd->content, cd->n, true);
                if (r <= 0)
                    return r;
            }
            break;
        }
        case CI_JOIN:
            if (in_cond) {
                err_set("%s:%d: 'join' is not allowed inside a conditional block",
                        it[i].file, it[i].line);
                return -1;
            }
            break;
        }
    }
    return 1;
}

static bool reads_reserved(const struct cfg_item *it, size_t n, int depth)
{
    static const char *const pat[] = { "${name}", "${shortname}", "${dep}" };
    for (size_t i = 0; i < n; i++) {
        if (it[i].kind == CI_OP) {
            const struct cfg_op *op = it[i].u.op;
            if (op->has_dollar)
                for (size_t k = 0; k < ARRAY_SIZE(pat); k++)
                    if (memmem(op->value, op->vlen, pat[k], strlen(pat[k])))
                        return true;
        } else if ((it[i].kind == CI_COND || it[i].kind == CI_NCOND) &&
                   (depth > 1000 ||
                    reads_reserved(it[i].u.cond->content, it[i].u.cond->n, depth + 1)))
            return true;
    }
    return false;
}

struct cfg_eval *cfg_eval_new(struct cfg *c)
{
    struct cfg_eval *ev = xcalloc(1, sizeof(*ev));
    ev->c = c;
    cfg_dict_init(&ev->dict, c);
    strbuf_init(&ev->snap.text, 0);
    return ev;
}

void cfg_eval_free(struct cfg_eval *ev)
{
    if (!ev)
        return;
    cfg_dict_release(&ev->dict);
    free(ev->snap.runs);
    free(ev->snap.e);
    strbuf_release(&ev->snap.text);
    free(ev);
}

static void snap_save(struct cfg_eval *w, const struct cfg_oprun *ops,
                      const struct cfg_node *leaf, size_t nruns)
{
    const struct cfg_dict *d = &w->dict;
    w->snap.valid = false;
    w->snap.leaf = leaf;
    w->snap.runs = grow(w->snap.runs, &w->snap.aruns, nruns + 1, sizeof(*w->snap.runs));
    if (nruns)
        memcpy(w->snap.runs, ops, nruns * sizeof(*ops));
    w->snap.nruns = nruns;
    w->snap.n = 0;
    strbuf_reset(&w->snap.text);
    for (size_t i = 0; i < d->n; i++) {
        if (d->e[i].key == CFG_NONE)
            continue;
        if (d->e[i].type != V_STR && d->e[i].key != K_DEP)
            return;     /* a map already: not a leaf we can replay */
        w->snap.e = grow(w->snap.e, &w->snap.a, w->snap.n + 1, sizeof(*w->snap.e));
        struct cfg_ent *e = &w->snap.e[w->snap.n++];
        *e = d->e[i];
        if (e->type == V_STR) {
            /* offset for now: the buffer may still move */
            size_t off = w->snap.text.len;
            strbuf_add(&w->snap.text, e->s, e->len);
            strbuf_addch(&w->snap.text, '\0');
            e->s = (const char *)(uintptr_t)off;
        }
    }
    for (size_t i = 0; i < w->snap.n; i++)
        if (w->snap.e[i].type == V_STR)
            w->snap.e[i].s = w->snap.text.buf + (uintptr_t)w->snap.e[i].s;
    w->snap.has_tuple = d->has_tuple;
    w->snap.npf = d->npf;
    w->snap.valid = true;
}

static bool snap_match(const struct cfg_eval *w, const struct cfg_oprun *ops,
                       const struct cfg_node *leaf, size_t nruns)
{
    return w->snap.valid && w->snap.leaf == leaf && w->snap.nruns == nruns &&
           (!nruns || memcmp(w->snap.runs, ops, nruns * sizeof(*ops)) == 0);
}

/* A NUL-terminated copy of S[0..N) in D's storage. */
static char *dict_strndup(struct cfg_dict *d, const char *s, size_t n)
{
    char *c = cfg_dict_alloc(d, n + 1);
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* Empty D but for L's name and shortname (their copies in *NM, *SN). */
static void eval_names(struct cfg_dict *d, const struct cfg_leaf *l, char **nm, char **sn)
{
    cfg_dict_reset(d, "", 0, "", 0);
    *nm = dict_strndup(d, l->name, l->namelen);
    *sn = dict_strndup(d, l->shortname, l->snlen);
    cfg_dict_set_str(d, K_NAME, *nm, l->namelen, NULL);
    cfg_dict_set_str(d, K_SHORTNAME, *sn, l->snlen, NULL);
}

int cfg_eval_apply(struct cfg_eval *ev, const struct cfg_leaf *l, struct cfg_dict **out)
{
    struct cfg_dict *d = &ev->dict;
    char *nm, *sn;
    eval_names(d, l, &nm, &sn);
    size_t prev = 0;
    for (size_t i = 0; i < l->ndep; i++) {
        cfg_dict_dep_add(d, dict_strndup(d, l->deps + prev, l->depoff[i] - prev),
                         l->depoff[i] - prev);
        prev = l->depoff[i];
    }
    struct cfg_node *leaf = l->leaf;
    if (leaf->snap_ok < 0)      /* computed once; the tree is otherwise immutable */
        leaf->snap_ok = !reads_reserved(leaf->content, leaf->ncontent, 0);
    size_t start = 0;
    if (leaf->snap_ok && snap_match(ev, l->ops, leaf, l->nleafruns)) {
        cfg_dict_restore(d, ev->snap.e, ev->snap.n, ev->snap.has_tuple, ev->snap.npf);
        cfg_dict_set_str(d, K_NAME, nm, l->namelen, NULL);
        cfg_dict_set_str(d, K_SHORTNAME, sn, l->snlen, NULL);
        start = l->nleafruns;
    }
    for (size_t i = start; i < l->nops; i++) {
        for (size_t k = 0; k < l->ops[i].n; k++)
            if (cfg_dict_apply(d, l->ops[i].v[k]) < 0)
                return -1;
        if (i + 1 == l->nleafruns && leaf->snap_ok)
            snap_save(ev, l->ops, leaf, l->nleafruns);
    }
    if (cfg_dict_postfix(d) < 0)
        return -1;
    *out = d;
    return 0;
}

static bool has_suffix(const struct cfg_item *it, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (it[i].kind == CI_OP && it[i].u.op->kind == OP_SUFFIX)
            return true;
    return false;
}

bool cfg_eval_shareable(struct cfg *c)
{
    for (size_t i = 0; i < c->nnodes; i++)
        if (has_suffix(c->nodes[i]->content, c->nodes[i]->ncontent))
            return false;
    for (size_t i = 0; i < c->nconds; i++)
        if (has_suffix(c->conds[i]->content, c->conds[i]->n))
            return false;
    for (size_t i = 0; i < c->nnodes; i++) {
        struct cfg_node *n = c->nodes[i];
        if (!n->nchildren && n->snap_ok < 0)
            n->snap_ok = !reads_reserved(n->content, n->ncontent, 0);
    }
    cfg_dict_prepare(c);
    return true;
}

void cfg_walker_defer(struct cfg_walker *w, const int *stop)
{
    w->defer = true;
    w->stop = stop;
}

const struct cfg_leaf *cfg_walker_leaf(const struct cfg_walker *w)
{
    return &w->rec;
}

/* The case at the leaf: 1 = it exists (the dict, or the record when deferred, is
 * ready), 0 = a filter drops it, -1 = error. */
static int eval_leaf(struct cfg_walker *w)
{
    w->nops = 0;
    size_t nleafruns = 0;
    for (size_t i = w->nfr; i-- > 0;) {
        const struct cfg_node *n = w->fr[i].n;
        int r = w->names_only ? collect(w, n->fcontent, n->nfcontent, false) :
                                collect(w, n->content, n->ncontent, false);
        if (r <= 0)
            return r;
        if (i == w->nfr - 1)
            nleafruns = w->nops;
    }
    for (size_t i = 0; i < w->nextra; i++)
        if (!prefix_match(w, w->extra[i]))
            return 0;
    w->rec = (struct cfg_leaf){
        .name = w->name.buf, .namelen = w->name.len,
        .shortname = w->shortname.buf, .snlen = w->shortname.len,
        .deps = w->depbuf.buf, .depoff = w->depoff, .ndep = w->ndep,
        .ops = w->ops, .nops = w->nops,
        .leaf = (struct cfg_node *)w->fr[w->nfr - 1].n, .nleafruns = nleafruns,
    };
    if (w->names_only) {
        char *nm, *sn;
        eval_names(&w->ev->dict, &w->rec, &nm, &sn);
        return 1;
    }
    if (w->defer)
        return 1;
    struct cfg_dict *d;
    return cfg_eval_apply(w->ev, &w->rec, &d) < 0 ? -1 : 1;
}

/* ---- join ---- */

static struct cfg_walker *sub_walker(struct cfg_walker *w, size_t level,
                                     const struct cfg_filter *term)
{
    struct cfg_walker *s = cfg_walker_new(w->c, w->names_only);
    s->fr = xmalloc((level + 1) * sizeof(*s->fr));
    s->afr = level + 1;
    memcpy(s->fr, w->fr, (level + 1) * sizeof(*s->fr));
    s->nfr = level + 1;
    s->base = level;
    s->base_join_done = true;
    struct frame *f = &s->fr[level];
    f->child = 0;
    f->leaf_done = false;
    f->yields_at = 0;
    f->vis = NULL;     /* the term filter is new: consider every child */
    f->nvis = 0;
    s->lab = xmalloc((w->nlab + 1) * sizeof(*s->lab));
    if (w->nlab)
        memcpy(s->lab, w->lab, w->nlab * sizeof(*s->lab));
    s->nlab = s->alab = w->nlab;
    for (size_t i = 0; i < s->nlab; i++) {
        s->cnt_val[w->c->labels[s->lab[i]].val]++;
        s->cnt_lab[s->lab[i]]++;
    }
    s->sn = xmalloc((w->nsn + 1) * sizeof(*s->sn));
    if (w->nsn)
        memcpy(s->sn, w->sn, w->nsn * sizeof(*s->sn));
    s->nsn = s->asn = w->nsn;
    if (w->depbuf.len)
        strbuf_add(&s->depbuf, w->depbuf.buf, w->depbuf.len);
    strbuf_add(&s->name, w->name.buf, w->name.len);
    strbuf_add(&s->shortname, w->shortname.buf, w->shortname.len);
    s->depoff = xmalloc((w->ndep + 1) * sizeof(*s->depoff));
    if (w->ndep)
        memcpy(s->depoff, w->depoff, w->ndep * sizeof(*s->depoff));
    s->ndep = s->adep = w->ndep;
    s->af = xmalloc((w->naf + 1) * sizeof(*s->af));
    if (w->naf)
        memcpy(s->af, w->af, w->naf * sizeof(*s->af));
    s->naf = s->aaf = w->naf;
    memcpy(s->fstate, w->fstate, w->c->nfilters);
    s->af = grow(s->af, &s->aaf, s->naf + 1, sizeof(*s->af));
    s->af[s->naf].f = term;
    s->af[s->naf].cond = NULL;
    s->af[s->naf].kind = CI_ONLY;
    s->af[s->naf].only = true;
    s->af[s->naf].resolved = false;
    s->naf++;
    /* the parent's resolutions hold for the whole prefix */
    for (size_t i = 0; i < w->nres; i++) {
        s->res = grow(s->res, &s->ares, s->nres + 1, sizeof(*s->res));
        s->res[s->nres++] = w->res[i];
    }
    s->extra = xmalloc((w->nextra + 1) * sizeof(*s->extra));
    if (w->nextra)
        memcpy(s->extra, w->extra, w->nextra * sizeof(*s->extra));
    s->extra[w->nextra] = term;
    s->nextra = w->nextra + 1;
    /* the frames' stack marks stay valid: the copied stacks are the same up to level */
    return s;
}

static void join_free(struct join *j)
{
    for (size_t i = 0; i < j->nterms; i++) {
        cfg_walker_free(j->sub[i]);
        cfg_dict_release(&j->cur[i]);
        cfg_dict_release(&j->tmp[i]);
    }
    free(j->sub);
    free(j->cur);
    free(j->tmp);
    free(j->terms);
    free(j);
}

static int join_start(struct cfg_walker *w, size_t level)
{
    const struct cfg_node *n = w->fr[level].n;
    struct join *j = xcalloc(1, sizeof(*j));
    j->level = level;
    for (size_t i = 0; i < n->ncontent; i++)
        if (n->content[i].kind == CI_JOIN) {
            if (!j->file) {
                j->file = n->content[i].file;
                j->line = n->content[i].line;
            }
            j->nterms += n->content[i].u.f->nterms;
        }
    if (!j->nterms) {
        /* `join` with an empty filter multiplies nothing: a plain expansion */
        free(j);
        return 1;
    }
    j->terms = xcalloc(j->nterms + 1, sizeof(*j->terms));
    size_t k = 0;
    for (size_t i = 0; i < n->ncontent; i++)
        if (n->content[i].kind == CI_JOIN) {
            const struct cfg_filter *f = n->content[i].u.f;
            for (uint32_t t = 0; t < f->nterms; t++) {
                j->terms[k].id = CFG_NONE;
                j->terms[k].nterms = 1;
                j->terms[k].terms = &f->terms[t];
                j->terms[k].line = f->line;
                k++;
            }
        }
    j->sub = xcalloc(j->nterms + 1, sizeof(*j->sub));
    j->cur = xcalloc(j->nterms + 1, sizeof(*j->cur));
    j->tmp = xcalloc(j->nterms + 1, sizeof(*j->tmp));
    for (size_t i = 0; i < j->nterms; i++) {
        cfg_dict_init(&j->cur[i], w->c);
        cfg_dict_init(&j->tmp[i], w->c);
    }
    w->js = j;
    return 1;
}

/* avocado's mk_name: strip the common dotted prefix, which is used as a regex. */
static int mk_name(const struct join *j, const char *a, size_t al, const char *b, size_t bl,
                   struct strbuf *out)
{
    size_t i = 0;
    while (i < al && i < bl && a[i] == b[i])
        i++;
    if (i == al || i == bl) {
        err_set("%s:%d: join: the names '%.*s' and '%.*s' have no differing part "
                "(identical names cannot be joined)", j->file, j->line,
                (int)(al > 200 ? 200 : al), a, (int)(bl > 200 ? 200 : bl), b);
        return -1;
    }
    size_t cpl = 0;
    for (size_t k = 0; k < i; k++)
        if (a[k] == '.')
            cpl = k;
    if (cpl == 0) {
        strbuf_add(out, a, al);
        strbuf_addch(out, '.');
        strbuf_add(out, b, bl);
        return 0;
    }
    struct strbuf pat = STRBUF_INIT;
    strbuf_addch(&pat, '^');
    strbuf_add(&pat, a, cpl);
    char eb[300];
    pcre2_code *re = cfg_regex_compile(pat.buf, pat.len, false, eb, sizeof(eb));
    strbuf_release(&pat);
    if (!re) {
        err_set("%s:%d: join: bad name prefix '%.*s': %s", j->file, j->line, (int)cpl, a, eb);
        return -1;
    }
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    size_t s1 = 0, s2 = 0;
    if (pcre2_match(re, (PCRE2_SPTR)a, al, 0, 0, md, NULL) >= 0)
        s1 = pcre2_get_ovector_pointer(md)[1];
    if (pcre2_match(re, (PCRE2_SPTR)b, bl, 0, 0, md, NULL) >= 0)
        s2 = pcre2_get_ovector_pointer(md)[1];
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    strbuf_add(out, a, cpl);
    strbuf_add(out, a + s1, al - s1);
    strbuf_add(out, b + s2, bl - s2);
    return 0;
}

static int merge(const struct join *j, struct cfg_dict *dst, const struct cfg_dict *d1,
                 const struct cfg_dict *d2)
{
    struct strbuf n = STRBUF_INIT, s = STRBUF_INIT;
    const struct cfg_ent *n1 = cfg_dict_get(d1, K_NAME), *n2 = cfg_dict_get(d2, K_NAME);
    const struct cfg_ent *s1 = cfg_dict_get(d1, K_SHORTNAME), *s2 = cfg_dict_get(d2, K_SHORTNAME);
    int rc = -1;
    if (!n1 || !n2 || !s1 || !s2 || n1->type != V_STR || n2->type != V_STR ||
        s1->type != V_STR || s2->type != V_STR) {
        err_set("%s:%d: join: a case has no name", j->file, j->line);
        goto out;
    }
    if (mk_name(j, n1->s, n1->len, n2->s, n2->len, &n) < 0 ||
        mk_name(j, s1->s, s1->len, s2->s, s2->len, &s) < 0)
        goto out;
    cfg_dict_copy(dst, d1);
    cfg_dict_update(dst, d2);
    char *a = cfg_dict_alloc(dst, n.len + 1);
    memcpy(a, n.buf, n.len + 1);
    cfg_dict_set_str(dst, K_NAME, a, n.len, NULL);
    char *b = cfg_dict_alloc(dst, s.len + 1);
    memcpy(b, s.buf, s.len + 1);
    cfg_dict_set_str(dst, K_SHORTNAME, b, s.len, NULL);
    rc = 0;
out:
    strbuf_release(&n);
    strbuf_release(&s);
    return rc;
}

/* Next case of the product; 0 when exhausted. */
static int join_next(struct cfg_walker *w, struct cfg_dict **out)
{
    struct join *j = w->js;
    size_t n = j->nterms;
    struct cfg_dict *d;
    int r;
    if (!j->started) {
        j->started = true;
        for (size_t i = 0; i < n; i++) {
            j->sub[i] = sub_walker(w, j->level, &j->terms[i]);
            if (i + 1 == n)
                break;
            r = cfg_walker_next(j->sub[i], &d);
            if (r <= 0)
                return r;
            cfg_dict_copy(&j->cur[i], d);
        }
    }
    for (;;) {
        r = cfg_walker_next(j->sub[n - 1], &d);
        if (r < 0)
            return r;
        if (r == 1)
            break;
        /* odometer: advance the first level that still has cases */
        size_t i = n - 1;
        for (;;) {
            if (i == 0)
                return 0;
            i--;
            r = cfg_walker_next(j->sub[i], &d);
            if (r < 0)
                return r;
            if (r == 1) {
                cfg_dict_copy(&j->cur[i], d);
                break;
            }
        }
        for (size_t k = i + 1; k < n; k++) {
            cfg_walker_free(j->sub[k]);
            j->sub[k] = sub_walker(w, j->level, &j->terms[k]);
            if (k + 1 == n)
                break;
            r = cfg_walker_next(j->sub[k], &d);
            if (r <= 0)
                return r;
            cfg_dict_copy(&j->cur[k], d);
        }
    }
    if (n == 1) {
        *out = d;
        return 1;
    }
    /* merge(cur[0], merge(cur[1], ... merge(cur[n-2], d))) */
    const struct cfg_dict *right = d;
    for (size_t i = n - 1; i-- > 0;) {
        if (merge(j, &j->tmp[i], &j->cur[i], right) < 0)
            return -1;
        right = &j->tmp[i];
    }
    *out = &j->tmp[0];
    return 1;
}

/* ---- the walk ---- */

int cfg_walker_next(struct cfg_walker *w, struct cfg_dict **out)
{
    if (!w->nfr && !w->yields && !w->steps) {
        w->steps = 1;
        int r = push(w, w->c->root);
        (void)r;
    }
    for (;;) {
        if ((++w->steps & 1023) == 0 &&
            (cfg_cancel || (w->stop && __atomic_load_n(w->stop, __ATOMIC_RELAXED)))) {
            err_set(cfg_cancel ? "interrupted" : "stopped");
            return -1;
        }
        if (w->js) {
            int r = join_next(w, out);
            if (r < 0)
                return -1;
            if (r == 1) {
                w->yields++;
                return 1;
            }
            join_free(w->js);
            w->js = NULL;
            if (w->nfr > w->base)
                pop(w);
            continue;
        }
        if (w->nfr <= w->base)
            return 0;
        struct frame *f = &w->fr[w->nfr - 1];
        const struct cfg_node *n = f->n;
        if (!n->nchildren) {
            if (f->leaf_done) {
                pop(w);
                continue;
            }
            f->leaf_done = true;
            int r = eval_leaf(w);
            pop(w);
            if (r < 0)
                return -1;
            if (r == 1) {
                w->yields++;
                *out = w->defer ? NULL : &w->ev->dict;
                return 1;
            }
            continue;
        }
        uint32_t lim = f->vis ? f->nvis : (uint32_t)n->nchildren;
        if (f->child < lim) {
            uint32_t prev = f->child ? (f->vis ? f->vis[f->child - 1] : f->child - 1) : 0;
            if (w->c->opts.defaults && f->child > 0 && n->children[prev]->is_default &&
                w->yields > f->yields_at) {
                f->child = lim;
                continue;
            }
            uint32_t ci = f->vis ? f->vis[f->child] : f->child;
            f->child++;
            push(w, n->children[ci]);
            continue;
        }
        pop(w);
    }
}

/* ---- what explain reads (cfg_walk.h) ---- */

size_t cfg_walker_path(const struct cfg_walker *w)
{
    return w->js ? 0 : w->nfr + 1;
}

const struct cfg_node *cfg_walker_node(const struct cfg_walker *w, size_t i)
{
    return w->fr[i].n;
}

bool cfg_walker_join(const struct cfg_walker *w, struct cfg_walk_join *out)
{
    if (!w->js)
        return false;
    *out = (struct cfg_walk_join){
        .n = w->js->nterms, .part = w->js->sub, .terms = w->js->terms,
        .file = w->js->file, .line = w->js->line,
    };
    return true;
}

size_t cfg_walker_extra(const struct cfg_walker *w, const struct cfg_filter *const **out)
{
    *out = w->extra;
    return w->nextra;
}
