/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parser of the Cartesian config language (SYNTAX.md 4-5), over the tokens of cfg_lex.c.
 *
 * One function per statement kind; it builds the same inverted tree as the reference
 * (cfg_int.h), plus what pruning needs (item numbers, label occurrences, the filters
 * hoisted to each item, the reachable-item ranges).  Errors longjmp to
 * cfg_parse_into() with "FILE:LINE: message" — like Lua's luaX_syntaxerror, the one
 * error path keeps the recursive descent readable; every allocation made so far is
 * owned by the cfg and freed with it.
 */
#include "cfg/cfg_parse_int.h"
#include "lib/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ tree building */

static struct cfg_node *node_new(struct parser *P)
{
    struct cfg *c = P->c;
    struct cfg_node *n = xcalloc(1, sizeof(*n));
    if (c->nnodes == c->anodes) {
        c->anodes = c->anodes ? c->anodes * 2 : 1024;
        c->nodes = xrealloc(c->nodes, c->anodes * sizeof(*c->nodes));
    }
    c->nodes[c->nnodes++] = n;
    n->rlo = 1;
    n->rhi = 0;
    n->snap_ok = -1;
    return n;
}

struct target {
    struct cfg_node *node;
    struct cfg_cond *cond;      /* non-NULL: a condition body */
};

static void add_item(struct target *t, struct cfg_item it)
{
    struct cfg_item **v;
    size_t *n, *a;
    if (t->cond) {
        v = &t->cond->content; n = &t->cond->n; a = &t->cond->alloc;
    } else {
        v = &t->node->content; n = &t->node->ncontent; a = &t->node->acontent;
        if (it.kind == CI_JOIN)
            t->node->has_join = true;
    }
    if (*n == *a) {
        *a = *a ? *a * 2 : 2;
        *v = xrealloc(*v, *a * sizeof(**v));
    }
    (*v)[(*n)++] = it;
}

static void add_child(struct cfg_node *n, struct cfg_node *ch, bool front)
{
    if (n->nchildren == n->achildren) {
        n->achildren = n->achildren ? n->achildren * 2 : 1;
        n->children = xrealloc(n->children, n->achildren * sizeof(*n->children));
    }
    if (front) {
        memmove(n->children + 1, n->children, n->nchildren * sizeof(*n->children));
        n->children[0] = ch;
    } else
        n->children[n->nchildren] = ch;
    n->nchildren++;
}

/* Grows in arena A (the parse's temporaries): nothing to free one by one. */
static void *grow(struct cfg_arena *A, void *old, size_t oldn, size_t newn, size_t sz);

static void body_add(struct parser *P, struct body *b, struct cfg_node *n)
{
    if (!b)
        return;
    if (b->n == b->alloc) {
        size_t na = b->alloc ? b->alloc * 2 : 4;
        b->nodes = grow(&P->tmp, b->nodes, b->n, na, sizeof(*b->nodes));
        b->alloc = na;
    }
    b->nodes[b->n++] = n;
}

static struct body *body_new(struct parser *P)
{
    return cfg_arena_alloc(&P->tmp, sizeof(struct body));
}

/* The only/no filters and conditions written directly in a body: every case below the
 * body's item goes through all of them, so they can prune at the item (a condition's
 * filters once the path decides the condition). */
static void body_hoist(struct parser *P, struct body *b, struct cfg_node *target)
{
    size_t cnt = 0;
    for (size_t i = 0; i < b->n; i++)
        for (size_t j = 0; j < b->nodes[i]->ncontent; j++)
            if (b->nodes[i]->content[j].kind != CI_OP && b->nodes[i]->content[j].kind != CI_JOIN)
                cnt++;
    if (!cnt)
        return;
    struct cfg_item *h = cfg_arena_alloc(&P->c->arena, (cnt + target->nhoist) * sizeof(*h));
    size_t k = 0;
    for (uint32_t i = 0; i < target->nhoist; i++)
        h[k++] = target->hoist[i];
    for (size_t i = 0; i < b->n; i++)
        for (size_t j = 0; j < b->nodes[i]->ncontent; j++)
            if (b->nodes[i]->content[j].kind != CI_OP && b->nodes[i]->content[j].kind != CI_JOIN)
                h[k++] = b->nodes[i]->content[j];
    target->hoist = h;
    target->nhoist = (uint32_t)k;
}

/* Text of a token as the reference's str(token) gives it (for keys and metas). */
static void tok_text(struct strbuf *sb, struct tok k)
{
    switch (k.t) {
    case T_IDENT: case T_STRING: strbuf_add(sb, k.s, k.len); break;
    case T_WHITE: break;
    case T_DOT: strbuf_addch(sb, '.'); break;
    case T_COLON: strbuf_addch(sb, ':'); break;
    case T_VARIANT: strbuf_addch(sb, '-'); break;
    case T_DEFAULT: strbuf_addch(sb, '@'); break;
    case T_COMMA: strbuf_addch(sb, ','); break;
    case T_LBRACK: strbuf_addch(sb, '['); break;
    case T_RBRACK: strbuf_addch(sb, ']'); break;
    case T_LPAREN: strbuf_addch(sb, '('); break;
    case T_RPAREN: strbuf_addch(sb, ')'); break;
    case T_NOTCOND: strbuf_addch(sb, '!'); break;
    case T_ENDL: strbuf_addstr(sb, "endl"); break;
    default: strbuf_addstr(sb, cfg_tk_name[k.t]); break;
    }
}

/* ------------------------------------------------------------------ filters */

struct tokv {
    struct tok *v;
    size_t n, a;
    struct cfg_arena *A;
};

/* Grows in an arena: nothing to free, nothing leaked by a longjmp. */
static void *grow(struct cfg_arena *A, void *old, size_t oldn, size_t newn, size_t sz)
{
    void *p = cfg_arena_alloc_raw(A, newn * sz);
    if (oldn)
        memcpy(p, old, oldn * sz);
    return p;
}

static void tv_push(struct tokv *tv, struct tok k)
{
    if (tv->n == tv->a) {
        size_t na = tv->a ? tv->a * 2 : 16;
        tv->v = grow(tv->A, tv->v, tv->n, na, sizeof(*tv->v));
        tv->a = na;
    }
    tv->v[tv->n++] = k;
}

struct fb {       /* filter builder (scratch arena) */
    struct cfg_arena *A;
    struct cfg_label *atoms;
    size_t na, aa;
    uint32_t *chain_len;   /* atoms per chain */
    size_t nc, ac;
    uint32_t *term_len;    /* chains per term */
    size_t nt, at;
    size_t cur_chain_atoms, cur_term_chains;
};

static void fb_atom(struct fb *b, struct cfg_label a)
{
    if (b->na == b->aa) {
        size_t na = b->aa ? b->aa * 2 : 16;
        b->atoms = grow(b->A, b->atoms, b->na, na, sizeof(*b->atoms));
        b->aa = na;
    }
    b->atoms[b->na++] = a;
    b->cur_chain_atoms++;
}

static void fb_end_chain(struct fb *b)
{
    if (b->nc == b->ac) {
        size_t na = b->ac ? b->ac * 2 : 8;
        b->chain_len = grow(b->A, b->chain_len, b->nc, na, sizeof(*b->chain_len));
        b->ac = na;
    }
    b->chain_len[b->nc++] = (uint32_t)b->cur_chain_atoms;
    b->cur_chain_atoms = 0;
    b->cur_term_chains++;
}

static void fb_end_term(struct fb *b)
{
    if (b->nt == b->at) {
        size_t na = b->at ? b->at * 2 : 8;
        b->term_len = grow(b->A, b->term_len, b->nt, na, sizeof(*b->term_len));
        b->at = na;
    }
    b->term_len[b->nt++] = (uint32_t)b->cur_term_chains;
    b->cur_term_chains = 0;
}

static struct cfg_filter *fb_finish(struct parser *P, struct fb *b, const char *line, size_t len)
{
    struct cfg_arena *A = &P->c->arena;
    struct cfg_filter *f = cfg_arena_alloc(A, sizeof(*f));
    f->id = P->c->nfilters++;
    f->line = cfg_arena_strndup(A, line ? line : "", line ? len : 0);
    f->nterms = (uint32_t)b->nt;
    f->terms = cfg_arena_alloc(A, (b->nt + 1) * sizeof(*f->terms));
    size_t ci = 0, ai = 0;
    for (size_t t = 0; t < b->nt; t++) {
        struct cfg_term *term = &f->terms[t];
        term->nchains = b->term_len[t];
        term->chains = cfg_arena_alloc(A, (term->nchains + 1) * sizeof(*term->chains));
        for (uint32_t k = 0; k < term->nchains; k++, ci++) {
            struct cfg_chain *ch = &term->chains[k];
            ch->natoms = b->chain_len[ci];
            ch->atoms = cfg_arena_alloc(A, (ch->natoms + 1) * sizeof(*ch->atoms));
            memcpy(ch->atoms, b->atoms + ai, ch->natoms * sizeof(*ch->atoms));
            ai += ch->natoms;
        }
    }
    return f;
}

/*
 * parse_filter of the reference, on an already collected token list: blanks and ','
 * separate terms, '..' chains, '.' atoms.  An empty chain (which would crash the
 * reference when evaluated) is reported as a syntax error.
 */
static struct cfg_filter *parse_filter(struct parser *P, struct lexer *lx, struct tokv *tv)
{
    struct fb b = { .A = &P->scratch };
    struct tok endl = { .t = T_ENDL };
    size_t i = 0;
#define NEXT() (i < tv->n ? tv->v[i++] : endl)
#define NEXT_NW() ({ struct tok _k = NEXT(); while (_k.t == T_WHITE) _k = NEXT(); _k; })
    struct tok k = cfg_lx_expect(P, lx, NEXT(), M(T_IDENT) | M(T_LPAREN) | M(T_ENDL) | M(T_WHITE));
    int dots = 1;
    /* and_filter has chains, con_filter is the chain in progress */
    size_t and_chains = 0;      /* chains ended in the current term */
    bool con = false;           /* con_filter non-empty */
    while (k.t != T_ENDL) {
        if (k.t == T_IDENT || k.t == T_LPAREN) {
            struct cfg_label a;
            if (k.t == T_LPAREN) {
                struct tok id = cfg_lx_expect(P, lx, NEXT_NW(), M(T_IDENT));
                struct tok t2 = cfg_lx_expect(P, lx, NEXT_NW(), M(T_SET) | M(T_RPAREN));
                if (t2.t == T_RPAREN) {
                    a.var = CFG_NONE;
                    a.val = cfg_str_intern(&P->c->strs, id.s, id.len);
                    a.lid = cfg_label_id(P->c, a.var, a.val);
                } else {
                    struct tok v = cfg_lx_expect(P, lx, NEXT_NW(), M(T_IDENT) | M(T_STRING));
                    cfg_lx_expect(P, lx, NEXT_NW(), M(T_RPAREN));
                    a.var = cfg_str_intern(&P->c->strs, id.s, id.len);
                    a.val = cfg_str_intern(&P->c->strs, v.s, v.len);
                }
                a.lid = cfg_label_id(P->c, a.var, a.val);
            } else {
                a.var = CFG_NONE;
                a.val = cfg_str_intern(&P->c->strs, k.s, k.len);
                a.lid = cfg_label_id(P->c, a.var, a.val);
            }
            if (dots == 1) {
                fb_atom(&b, a);
                con = true;
            } else if (dots == 2) {
                if (!con)
                    cfg_lerr(P, lx, "syntax error: expected an identifier before '..'");
                fb_end_chain(&b);
                and_chains++;
                fb_atom(&b, a);
                con = true;
            } else
                cfg_lerr(P, lx, "syntax error: expected '.' between identifiers");
            dots = 0;
        } else if (k.t == T_DOT) {
            dots++;
        } else if (k.t == T_COMMA || k.t == T_WHITE) {
            if (dots > 0)
                cfg_lerr(P, lx, "syntax error: expected an identifier between '.' and ','");
            if (and_chains) {
                if (con) {
                    fb_end_chain(&b);
                    con = false;
                }
                fb_end_term(&b);
                and_chains = 0;
            } else if (con) {
                fb_end_chain(&b);
                fb_end_term(&b);
                con = false;
            } else
                cfg_lerr(P, lx, "syntax error: expected ',' between identifiers");
            dots = 1;
            k = NEXT_NW();
            k = cfg_lx_expect(P, lx, k, M(T_IDENT) | M(T_COMMA) | M(T_DOT) | M(T_LPAREN) | M(T_ENDL));
            continue;
        }
        k = cfg_lx_expect(P, lx, NEXT(), M(T_IDENT) | M(T_COMMA) | M(T_DOT) | M(T_LPAREN) | M(T_ENDL) |
                   M(T_WHITE));
    }
    if (and_chains) {
        if (con)
            fb_end_chain(&b);
        fb_end_term(&b);
    } else if (con) {
        fb_end_chain(&b);
        fb_end_term(&b);
    }
#undef NEXT
#undef NEXT_NW
    return fb_finish(P, &b, lx->line, lx->len);
}

/* Tokens up to (and including) one of END; blanks dropped if NW. */
static void collect(struct parser *P, struct lexer *lx, struct tokv *tv, uint64_t end, bool nw)
{
    for (;;) {
        struct tok k = cfg_lx_next(P, lx);
        if (nw && k.t == T_WHITE)
            continue;
        if (k.t == T_INDENT || k.t == T_ENDBLOCK)   /* cannot happen within a line */
            cfg_lerr(P, lx, "unexpected end of line");
        tv_push(tv, k);
        if (end & M(k.t))
            return;
    }
}

/* ------------------------------------------------------------------ statements */

struct run {               /* keys of avocado's pre_dict batch (SYNTAX 16.17) */
    uint32_t *keys;
    size_t n, a;
    struct cfg_arena *A;
};

static void run_reset(struct run *r) { r->n = 0; }
static bool run_has(const struct run *r, uint32_t key)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->keys[i] == key)
            return true;
    return false;
}
static void run_add(struct run *r, uint32_t key)
{
    if (run_has(r, key))
        return;
    if (r->n == r->a) {
        size_t na = r->a ? r->a * 2 : 16;
        r->keys = grow(r->A, r->keys, r->n, na, sizeof(*r->keys));
        r->a = na;
    }
    r->keys[r->n++] = key;
}

static void register_op(struct parser *P, struct cfg_op *op)
{
    struct cfg *c = P->c;
    if (c->nops == c->aops) {
        c->aops = c->aops ? c->aops * 2 : 64;
        c->ops = xrealloc(c->ops, c->aops * sizeof(*c->ops));
    }
    c->ops[c->nops++] = op;
}

static struct cfg_node *parse_block(struct parser *P, struct lexer *lx, struct target t,
                                    int prev_indent, struct body *body);

static const char *base_name(const char *f)
{
    if (strcmp(f, "<string>") == 0)
        return f;
    const char *s = strrchr(f, '/');
    return s ? s + 1 : f;
}

struct meta_default {
    struct tokv *v;     /* token lists of [default=...] metas */
    size_t n, a;
};

static bool tok_eq(struct tok a, struct tok b)
{
    bool as = a.t == T_IDENT || a.t == T_STRING || a.t == T_WHITE;
    bool bs = b.t == T_IDENT || b.t == T_STRING || b.t == T_WHITE;
    if (as != bs)
        return false;
    if (as)
        return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
    /* the reference compares Token.identifier: '.' for both dot classes */
    return a.t == b.t;
}

static bool cmd_tokens(const struct tokv *a, const struct tok *b, size_t nb)
{
    size_t n = a->n < nb ? a->n : nb;
    for (size_t i = 0; i < n; i++)
        if (!tok_eq(a->v[i], b[i]))
            return false;
    return true;
}

static void parse_include(struct parser *P, struct lexer *lx, struct target *t, int prev_indent,
                          struct body *body);

/* One block: a call of the reference's _parse (file, item body, condition body). */
struct blk {
    struct target t;
    struct body *body;           /* NULL in a condition body */
    int prev_indent;
    uint64_t allowed;            /* statements allowed next ('-' right after a header) */
    /* the last variants header of this block */
    int var_indent;
    const char *var_name;        /* NULL or "" = unnamed */
    size_t var_name_len;
    uint32_t var_sid, var_key;   /* its string and key ids, interned at the first item */
    struct meta_default meta;    /* [default=...] metas not matched yet */
    bool meta_has_default;
    int vline;
    struct cfg_item suffix;      /* kind 255: none; only the last suffix line counts */
    struct run run;
};

static const uint64_t block_allowed = M(T_VARIANTS) | M(T_IDENT) | M(T_ONLY) | M(T_NO) |
                                      M(T_INCLUDE) | M(T_DEL) | M(T_NOTCOND) | M(T_SUFFIX) |
                                      M(T_JOIN);

static struct cfg_op *op_new(struct parser *P, struct lexer *lx, uint8_t kind)
{
    struct cfg_op *op = cfg_arena_alloc(&P->c->arena, sizeof(*op));
    op->kind = kind;
    op->file = lx->filename;
    op->line = lx->linenum;
    return op;
}

static void add_op(struct target *t, struct cfg_op *op)
{
    add_item(t, (struct cfg_item){ .kind = CI_OP, .line = op->line, .file = op->file,
                                   .u.op = op });
}

/* KEY OP VALUE (SYNTAX 4.1); ID holds the tokens after FIRST up to the operator. */
/* name_fixed = x (also _max/_min, and shortname_...) replaces the case's name after
 * its operations: the base of a postfix key is the text before its first
 * _max/_min/_fixed (SYNTAX 9.2), so only these prefixes can reach the names. */
static bool renames_case(const char *key, size_t len)
{
    if (!len || (key[0] != 'n' && key[0] != 's'))
        return false;
    static const char *const prefixes[] = {
        "name_max", "name_min", "name_fixed", "shortname_max", "shortname_min",
        "shortname_fixed",
    };
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (len >= n && !memcmp(key, prefixes[i], n))
            return true;
    }
    return false;
}

static void parse_assignment(struct parser *P, struct lexer *lx, struct blk *B, struct tok first,
                             const struct tokv *id)
{
    struct cfg *c = P->c;
    int opt = id->v[id->n - 1].t;
    const char *kt = first.s;        /* the key: one identifier, or built in P->kb */
    size_t kl = first.len;
    if (id->n > 1) {
        struct strbuf *key = &P->kb;
        strbuf_reset(key);
        tok_text(key, first);
        for (size_t i = 0; i + 1 < id->n; i++)
            tok_text(key, id->v[i]);
        kt = key->buf;
        kl = key->len;
    }
    struct tok v = cfg_lx_next(P, lx);
    if (v.t != T_STRING)
        cfg_lx_unexpected(P, lx, M(T_STRING), v);
    const char *val = v.s;
    size_t vlen = v.len;
    /* one pair of matching outer quotes is removed; a lone quote leaves "" */
    if (vlen && ((val[0] == '"' && val[vlen - 1] == '"') ||
                 (val[0] == '\'' && val[vlen - 1] == '\''))) {
        if (vlen == 1)
            vlen = 0;
        else {
            val++;
            vlen -= 2;
        }
    }
    struct cfg_op *op = op_new(P, lx, (uint8_t)(opt == T_SET ? OP_SET :
                               opt == T_APPEND ? OP_APPEND : opt == T_PREPEND ? OP_PREPEND :
                               opt == T_LAZY ? OP_LAZY : opt == T_RSET ? OP_RSET :
                               opt == T_RAPPEND ? OP_RAPPEND : OP_RPREPEND));
    op->value = cfg_arena_strndup(&c->arena, val, vlen);
    op->vlen = (uint32_t)vlen;
    op->has_dollar = memchr(val, '$', vlen) != NULL;
    op->key = cfg_key_plain(&c->keys, kt, kl);
    op->keytext = c->keys.k[op->key].text;      /* the interned copy */
    op->keylen = (uint32_t)kl;
    if (renames_case(kt, kl))
        c->renames = true;
    if (op->kind >= OP_RSET) {
        char eb[300];
        op->re = cfg_regex_compile(op->keytext, op->keylen, true, eb, sizeof(eb));
        if (!op->re)
            cfg_lerr(P, lx, "bad regular expression '%s': %s", op->keytext, eb);
        register_op(P, op);
    }
    /* avocado batches plain '=' without '$' (pre_dict); an operator on a key of the
     * batch is applied to the batch only (SYNTAX 16.17) */
    struct run *run = &B->run;
    if (op->kind == OP_SET && !op->has_dollar) {
        if (op->key >= K_NRESERVED)
            run_add(run, op->key);
    } else if (run->n && run_has(run, op->key) && !op->has_dollar) {
        if (op->kind >= OP_RSET) {
            op->scoped = true;
            op->nscope = (uint32_t)run->n;
            op->scope = cfg_arena_alloc(&c->arena, run->n * sizeof(uint32_t));
            memcpy(op->scope, run->keys, run->n * sizeof(uint32_t));
        }
    } else
        run_reset(run);
    add_op(&B->t, op);
    cfg_lx_expect(P, lx, cfg_lx_next(P, lx), M(T_ENDL));
}

/* `F: [statement]` or `!F: [statement]` (SYNTAX 4.3): the rest of the line becomes
 * the first line of the body, one column deeper. */
static void parse_condition(struct parser *P, struct lexer *lx, struct blk *B,
                            struct tokv *ftoks, int indent, uint8_t kind)
{
    struct cfg *c = P->c;
    struct cfg_filter *f = parse_filter(P, lx, ftoks);
    struct tok rest = cfg_lx_rest(P, lx);
    int ln = lx->linenum;
    if (rest.len) {
        lx->rd->has_stored = true;
        lx->rd->stored.s = rest.s;
        lx->rd->stored.len = cfg_rstrip_len(rest.s, rest.len);
        lx->rd->stored.indent = indent + 1;
        lx->rd->stored.num = ln;
    }
    cfg_lx_expect(P, lx, cfg_lx_next(P, lx), M(T_ENDL));
    struct cfg_cond *cond = cfg_arena_alloc(&c->arena, sizeof(*cond));
    cond->f = f;
    cond->has_filter = -1;
    if (c->nconds == c->aconds) {
        c->aconds = c->aconds ? c->aconds * 2 : 64;
        c->conds = xrealloc(c->conds, c->aconds * sizeof(*c->conds));
    }
    c->conds[c->nconds++] = cond;
    parse_block(P, lx, (struct target){ .node = B->t.node, .cond = cond }, indent, NULL);
    run_reset(&B->run);
    add_item(&B->t, (struct cfg_item){ .kind = kind, .line = ln, .file = lx->filename,
                                       .u.cond = cond });
}

/* A line starting with an identifier: an assignment or a condition. */
static void parse_ident_line(struct parser *P, struct lexer *lx, struct blk *B, struct tok first,
                             int indent)
{
    if (cfg_lx_peek(lx) >= 0 && (M(cfg_lx_peek(lx)) & M_OPS)) {
        /* the assignment fast path queued KEY OP VALUE: what collect() would gather */
        struct tok opk = cfg_lx_next(P, lx);
        struct tokv one = { .v = &opk, .n = 1, .a = 1 };
        parse_assignment(P, lx, B, first, &one);
        return;
    }
    struct tokv id = { .A = &P->scratch };
    collect(P, lx, &id, M_OPS | M(T_COLON) | M(T_ENDL), true);
    struct tok last = id.v[id.n - 1];
    if (M(last.t) & M_OPS) {
        parse_assignment(P, lx, B, first, &id);
    } else if (last.t == T_COLON) {
        struct tokv ft = { .A = &P->scratch };
        tv_push(&ft, first);
        for (size_t i = 0; i + 1 < id.n; i++)
            tv_push(&ft, id.v[i]);
        parse_condition(P, lx, B, &ft, indent, CI_COND);
    } else
        cfg_lerr(P, lx, "syntax error: expected ':' or an operator after '%.*s'",
             (int)(first.len > 80 ? 80 : first.len), first.s);
}

static void occ_add(uint32_t ***occ, uint32_t **nocc, uint32_t **aocc, size_t *ntab,
                    uint32_t id, uint32_t item)
{
    if (id >= *ntab) {
        size_t nn = *ntab ? *ntab : 256;
        while (nn <= id)
            nn *= 2;
        *occ = xrealloc(*occ, nn * sizeof(**occ));
        *nocc = xrealloc(*nocc, nn * sizeof(**nocc));
        *aocc = xrealloc(*aocc, nn * sizeof(**aocc));
        for (size_t z = *ntab; z < nn; z++)
            (*occ)[z] = NULL, (*nocc)[z] = 0, (*aocc)[z] = 0;
        *ntab = nn;
    }
    uint32_t n = (*nocc)[id];
    if (n && (*occ)[id][n - 1] == item)
        return;
    if (n == (*aocc)[id]) {
        (*aocc)[id] = n ? n * 2 : 4;
        (*occ)[id] = xrealloc((*occ)[id], (*aocc)[id] * sizeof(uint32_t));
    }
    (*occ)[id][(*nocc)[id]++] = item;
}

/* Does JSON escape a byte of S (a control, '"', '\\')? */
static bool json_escapes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
            return true;
    return false;
}

/* The map updates at the end of every item (SYNTAX 7): long and short dotted names. */
static void add_filemaps(struct parser *P, struct cfg_node *node3, const char *file, int line)
{
    struct cfg *c = P->c;
    struct strbuf *ln = &P->ln, *sn = &P->sn;
    strbuf_reset(ln);
    strbuf_reset(sn);
    for (uint32_t i = 0; i < node3->nname; i++) {
        const struct cfg_label *L = &c->labels[node3->name[i]];
        if (i) {
            strbuf_addch(ln, '.');
            strbuf_addch(sn, '.');
        }
        if (L->var != CFG_NONE) {
            /* "(var=val)" without printf: this runs for every variant item */
            strbuf_addch(ln, '(');
            strbuf_add(ln, c->strs.s[L->var], c->strs.len[L->var]);
            strbuf_addch(ln, '=');
            strbuf_add(ln, c->strs.s[L->val], c->strs.len[L->val]);
            strbuf_addch(ln, ')');
        } else
            strbuf_add(ln, c->strs.s[L->val], c->strs.len[L->val]);
        strbuf_add(sn, c->strs.s[L->val], c->strs.len[L->val]);
    }
    if (file != P->map_file) {      /* the items of one file come in a row */
        const char *bn = base_name(file);
        P->map_file = file;
        P->map_fsid = cfg_str_intern(&c->strs, bn, strlen(bn));
        if (json_escapes(bn, strlen(bn)))
            c->maps_escape = true;
    }
    /* every byte of the short name is in the long one */
    if (!c->maps_escape && json_escapes(ln->buf, ln->len))
        c->maps_escape = true;
    struct cfg_op *ops = cfg_arena_alloc(&c->arena, 2 * sizeof(*ops));
    for (int w = 0; w < 2; w++) {
        struct cfg_op *op = &ops[w];
        struct strbuf *s = w ? sn : ln;
        op->kind = (uint8_t)(w ? OP_SFILEMAP : OP_FILEMAP);
        op->key = w ? K_SNAMEMAP : K_NAMEMAP;
        op->sid = P->map_fsid;
        /* the short name is the long one when no label has a block name */
        op->value = w && ops[0].vlen == s->len ? ops[0].value :
                    cfg_arena_strndup(&c->arena, s->buf, s->len);
        op->vlen = (uint32_t)s->len;
        op->file = file;
        op->line = line;
        add_op(&(struct target){ .node = node3 }, op);
    }
}

/* Explain's record of an item (cfg.prov): where it and its block's header are.  NODE2
 * is its body's first node, whose first operation is a named block's `NAME = item`.
 * Cold and out of line: an ordinary parse only tests cfg.prov. */
__attribute__((cold, noinline))
static void prov_item(struct parser *P, const struct blk *B, const struct cfg_node *node2,
                      const struct cfg_node *node, uint32_t item_no, const char *file,
                      int line, bool at, const char *text)
{
    struct cfg_prov *pv = P->c->prov;
    bool named = B->var_name && B->var_name_len;
    if (pv->n == pv->a) {
        pv->a = pv->a ? pv->a * 2 : 256;
        pv->v = xrealloc(pv->v, pv->a * sizeof(*pv->v));
    }
    pv->v[pv->n++] = (struct cfg_src_item){
        .node = node, .file = file, .line = line, .vline = B->vline,
        .first = item_no, .last = P->c->nitems - 1, .at = at,
        .block = named ? B->var_name : "", .text = text,
        .named = named ? node2->content[0].u.op : NULL,
    };
}

struct items {              /* one variants block being read */
    struct cfg_node *node4;  /* the container */
    struct cfg_node *prevcur;
    bool expand;             /* named in expand_defaults: no default item */
    bool already_default;
};

/* `- [@]NAME[.NAME2]: [DEPS]` and its body (SYNTAX 4.4); NT is the token after '-'. */
static void parse_item(struct parser *P, struct lexer *lx, struct blk *B, struct items *I,
                       struct tok nt, int indent)
{
    struct cfg *c = P->c;
    bool is_default = nt.t == T_DEFAULT;
    struct tokv nm = { .A = &P->scratch };      /* raw name, dots included */
    if (!is_default)
        tv_push(&nm, nt);
    for (;;) {
        struct tok x = cfg_lx_next(P, lx);
        if (x.t == T_COLON)
            break;
        if (x.t != T_IDENT && x.t != T_DOT)
            cfg_lx_unexpected(P, lx, M(T_IDENT) | M(T_DOT) | M(T_COLON), x);
        tv_push(&nm, x);
    }
    /* each identifier is a label; a named block's variable gets them dotted */
    uint32_t nlab = 0;
    for (size_t i = 0; i < nm.n; i++)
        nlab += nm.v[i].t == T_IDENT;
    uint32_t *vals = cfg_arena_alloc(&P->scratch, (nlab + 1) * sizeof(uint32_t));
    struct strbuf dotted = STRBUF_INIT;
    nlab = 0;
    for (size_t i = 0; i < nm.n; i++)
        if (nm.v[i].t == T_IDENT) {
            vals[nlab++] = cfg_str_intern(&c->strs, nm.v[i].s, nm.v[i].len);
            if (dotted.len)
                strbuf_addch(&dotted, '.');
            strbuf_add(&dotted, nm.v[i].s, nm.v[i].len);
        }
    size_t dotted_len = dotted.len;
    char *dotted_s = cfg_arena_strndup(&c->arena, dotted.buf, dotted.len);
    strbuf_release(&dotted);
    int item_line = lx->linenum;
    const char *item_file = lx->filename;
    struct tok d = cfg_lx_next_nw(P, lx);
    struct cfg_filter *deps = NULL;
    if (d.t != T_ENDL) {
        struct tokv dt = { .A = &P->scratch };
        tv_push(&dt, d);
        collect(P, lx, &dt, M(T_ENDL), false);
        deps = parse_filter(P, lx, &dt);
    }
    /* item number (pre-order) and label occurrences: what pruning looks up */
    uint32_t item_no = c->nitems++;
    bool named = B->var_name && B->var_name_len;
    if (named && B->var_sid == CFG_NONE)
        B->var_sid = cfg_str_intern(&c->strs, B->var_name, B->var_name_len);
    uint32_t var_sid = named ? B->var_sid : CFG_NONE;
    uint32_t *labs = cfg_arena_alloc(&c->arena, (nlab + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < nlab; i++) {
        labs[i] = cfg_label_id(c, var_sid, vals[i]);
        occ_add(&c->occ_val, &c->nocc_val, &c->aocc_val, &c->nocc_valtab, vals[i], item_no);
        occ_add(&c->occ_lab, &c->nocc_lab, &c->aocc_lab, &c->nocc_labtab, labs[i], item_no);
    }
    /* node2: the body's first node, above the current node of the enclosing block */
    struct cfg_node *node2 = node_new(P);
    add_child(node2, B->t.node, false);
    node2->rup = I->prevcur;
    if (named) {
        struct cfg_op *op = op_new(P, lx, OP_SET);
        if (B->var_key == CFG_NONE)
            B->var_key = cfg_key_plain(&c->keys, B->var_name, B->var_name_len);
        op->key = B->var_key;
        op->keytext = c->keys.k[op->key].text;
        op->keylen = (uint32_t)B->var_name_len;
        op->value = dotted_s;
        op->vlen = (uint32_t)dotted_len;
        op->line = item_line;
        add_op(&(struct target){ .node = node2 }, op);
    }
    /* the body's node list dies with the item: everything after the mark is this
     * item's (nested items rewind theirs before the enclosing list grows again) */
    struct cfg_arena_mark body_mark = cfg_arena_mark(&P->tmp);
    struct body *ib = body_new(P);
    body_add(P, ib, node2);
    struct cfg_node *node3 = parse_block(P, lx, (struct target){ .node = node2 }, indent, ib);
    node3->name = labs;
    node3->nname = nlab;
    node3->dep = deps;
    if (B->meta_has_default) {
        struct meta_default *m = &B->meta;
        for (size_t i = 0; i < m->n; i++) {
            if (cmd_tokens(&m->v[i], nm.v, nm.n)) {
                is_default = true;
                memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
                m->n--;
                /* removed while iterating, as the reference does: the next is skipped */
            }
        }
    }
    if (is_default && !I->already_default && !I->expand) {
        node3->is_default = true;
        I->already_default = true;
    }
    node3->append_to_shortname = !is_default;
    body_hoist(P, ib, node3);
    cfg_arena_rewind(&P->tmp, body_mark);
    /* labels reachable below the item: its nested items, then below the block */
    if (node3 != node2) {
        node3->rlo = item_no + 1;
        node3->rhi = c->nitems - 1;
        node3->rup = node2->rup;
    }
    add_filemaps(P, node3, item_file, item_line);
    add_child(I->node4, node3, node3->is_default && c->opts.defaults);
    if (c->prov)
        prov_item(P, B, node2, node3, item_no, item_file, item_line, nt.t == T_DEFAULT,
                  dotted_s);
}

/* The items of a variants block; the first '-' token was just read. */
static void parse_items(struct parser *P, struct lexer *lx, struct blk *B, int indent)
{
    struct cfg *c = P->c;
    struct items I = { .node4 = node_new(P), .prevcur = B->t.node };
    run_reset(&B->run);
    for (char **e = c->expand; e && *e; e++)
        if (B->var_name && strlen(*e) == B->var_name_len &&
            memcmp(*e, B->var_name, B->var_name_len) == 0)
            I.expand = true;
    uint32_t first_item = c->nitems;
    struct cfg_arena_mark item_mark = cfg_arena_mark(&P->scratch);
    for (bool first = true;; first = false) {
        cfg_arena_rewind(&P->scratch, item_mark);
        lx->prev_indent = B->var_indent;
        struct tok nt;
        if (first)
            nt = cfg_lx_expect(P, lx, cfg_lx_next_nw(P, lx), M(T_IDENT) | M(T_DEFAULT));
        else {
            nt = cfg_lx_next_nw(P, lx);
            cfg_lx_expect(P, lx, nt, M(T_IDENT) | M(T_DEFAULT) | M(T_INDENT) | M(T_ENDBLOCK));
            if (nt.t == T_ENDBLOCK)
                break;
            if (nt.t == T_INDENT) {
                cfg_lx_expect(P, lx, cfg_lx_next_nw(P, lx), M(T_VARIANT));
                nt = cfg_lx_expect(P, lx, cfg_lx_next_nw(P, lx), M(T_IDENT) | M(T_DEFAULT));
            }
        }
        /* every item's body is what is indented deeper than the FIRST item */
        parse_item(P, lx, B, &I, nt, indent);
    }
    if (B->meta_has_default && B->meta.n) {
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < B->meta.n; i++) {
            strbuf_addstr(&sb, i ? ", '" : "'");
            for (size_t j = 0; j < B->meta.v[i].n; j++)
                tok_text(&sb, B->meta.v[i].v[j]);
            strbuf_addch(&sb, '\'');
        }
        char *m = cfg_arena_strndup(&c->arena, sb.buf, sb.len);
        strbuf_release(&sb);
        cfg_perr(P, lx->filename, B->vline, "missing default variant %s: no item of this "
             "block has that name", m);
    }
    B->meta.n = 0;
    B->allowed = block_allowed;
    I.node4->rlo = first_item;
    I.node4->rhi = c->nitems - 1;
    I.node4->rup = I.prevcur;
    B->t.node = I.node4;
    body_add(P, B->body, I.node4);
}

/* `variants [NAME] [META]...:` (SYNTAX 4.4). */
static void parse_variants_header(struct parser *P, struct lexer *lx, struct blk *B, int indent)
{
    struct cfg *c = P->c;
    if (B->t.cond)
        cfg_lerr(P, lx, "'variants' is not allowed inside a conditional block");
    lx->fast = false;
    B->vline = lx->linenum;
    struct tokv tv = { .A = &P->scratch };
    collect(P, lx, &tv, M(T_LBRACK) | M(T_COLON) | M(T_IDENT) | M(T_ENDL), true);
    int vt = tv.v[tv.n - 1].t;
    B->var_name = "";
    B->var_name_len = 0;
    B->var_sid = B->var_key = CFG_NONE;
    B->meta.n = 0;
    B->meta_has_default = false;
    bool meta_default_bad = false;
    while (vt != T_COLON && vt != T_ENDL) {
        if (vt == T_IDENT) {
            if (B->var_name_len)
                cfg_lerr(P, lx, "syntax error: expected '[' or ':' after the block name");
            struct strbuf vn = STRBUF_INIT;
            tok_text(&vn, tv.v[0]);
            B->var_name = cfg_arena_strndup(&c->arena, vn.buf, vn.len);
            B->var_name_len = vn.len;
            strbuf_release(&vn);
        } else if (vt == T_LBRACK) {
            struct tok ident = cfg_lx_expect(P, lx, cfg_lx_next_nw(P, lx), M(T_IDENT));
            struct tok t2 = cfg_lx_expect(P, lx, cfg_lx_next_nw(P, lx), M(T_SET) | M(T_RBRACK));
            bool is_def = ident.len == 7 && memcmp(ident.s, "default", 7) == 0;
            if (t2.t == T_RBRACK) {
                if (is_def) {
                    B->meta_has_default = true;
                    meta_default_bad = true;
                }
            } else {
                struct tokv mv = { .A = &P->scratch };
                collect(P, lx, &mv, M(T_RBRACK) | M(T_ENDL), true);
                if (mv.v[mv.n - 1].t != T_RBRACK)
                    cfg_lerr(P, lx, "syntax error: expected ']'");
                mv.n--;
                if (is_def) {
                    struct meta_default *m = &B->meta;
                    B->meta_has_default = true;
                    if (m->n == m->a) {
                        size_t na = m->a ? m->a * 2 : 4;
                        m->v = grow(&P->keep, m->v, m->n, na, sizeof(*m->v));
                        m->a = na;
                    }
                    /* the tokens outlive this statement: copy them out of scratch */
                    struct tok *kv = grow(&P->keep, NULL, 0, mv.n + 1, sizeof(*kv));
                    memcpy(kv, mv.v, mv.n * sizeof(*kv));
                    for (size_t z = 0; z < mv.n; z++)
                        if (kv[z].s)
                            kv[z].s = cfg_arena_strndup(&P->keep, kv[z].s, kv[z].len);
                    mv.v = kv;
                    m->v[m->n++] = mv;
                }
            }
        }
        struct tok nk = cfg_lx_expect(P, lx, cfg_lx_next_nw(P, lx),
                               M(T_LBRACK) | M(T_COLON) | M(T_IDENT) | M(T_ENDL));
        tv.n = 0;
        tv_push(&tv, nk);
        vt = nk.t;
    }
    if (meta_default_bad)
        cfg_lerr(P, lx, "syntax error: expected [default=ITEM]");
    if (vt == T_ENDL)
        cfg_lerr(P, lx, "syntax error: expected ':' at the end of the variants line");
    cfg_lx_expect(P, lx, cfg_lx_next_nw(P, lx), M(T_ENDL));
    B->allowed = M(T_VARIANT);
    B->var_indent = indent;
}

/* `only F`, `no F`, `join F` (SYNTAX 4.2, 8.2). */
static void parse_filter_stmt(struct parser *P, struct lexer *lx, struct blk *B, int kw)
{
    struct tokv tv = { .A = &P->scratch };
    collect(P, lx, &tv, M(T_ENDL), false);
    tv.n--;     /* parse_filter adds its own end */
    struct cfg_filter *f = parse_filter(P, lx, &tv);
    run_reset(&B->run);
    if (kw == T_JOIN)
        P->c->has_join = true;
    add_item(&B->t, (struct cfg_item){ .kind = (uint8_t)(kw == T_ONLY ? CI_ONLY :
                                                         kw == T_NO ? CI_NO : CI_JOIN),
                                       .line = lx->linenum, .file = lx->filename, .u.f = f });
}

/* `suffix S`: applied when the block ends (SYNTAX 8.1). */
static void parse_suffix(struct parser *P, struct lexer *lx, struct blk *B)
{
    run_reset(&B->run);
    struct tok id = cfg_lx_expect(P, lx, cfg_lx_next(P, lx), M(T_IDENT));
    cfg_lx_expect(P, lx, cfg_lx_next(P, lx), M(T_ENDL));
    struct cfg_op *op = op_new(P, lx, OP_SUFFIX);
    op->sid = cfg_str_intern(&P->c->strs, id.s, id.len);
    B->suffix = (struct cfg_item){ .kind = CI_OP, .line = op->line, .file = op->file,
                                   .u.op = op };
}

/* `del KEY` (one identifier; a comment may follow). */
static void parse_del(struct parser *P, struct lexer *lx, struct blk *B)
{
    struct tok id = cfg_lx_expect(P, lx, cfg_lx_next_nw(P, lx), M(T_IDENT));
    cfg_lx_expect(P, lx, cfg_lx_next_nw(P, lx), M(T_ENDL));
    struct cfg_op *op = op_new(P, lx, OP_DEL);
    op->key = cfg_key_plain(&P->c->keys, id.s, id.len);
    op->keytext = P->c->keys.k[op->key].text;
    op->keylen = (uint32_t)id.len;
    run_reset(&B->run);
    add_op(&B->t, op);
}

/* `!F: [statement]`. */
static void parse_negative_condition(struct parser *P, struct lexer *lx, struct blk *B,
                                     int indent)
{
    struct tokv tv = { .A = &P->scratch };
    collect(P, lx, &tv, M(T_COLON) | M(T_ENDL), true);
    if (tv.v[tv.n - 1].t != T_COLON)
        cfg_lerr(P, lx, "syntax error: expected ':' after a '!' condition");
    tv.n--;
    parse_condition(P, lx, B, &tv, indent, CI_NCOND);
}

/* The statements of one block, until a line indented at most PREV_INDENT. */
static struct cfg_node *parse_block(struct parser *P, struct lexer *lx, struct target t,
                                    int prev_indent, struct body *body)
{
    struct blk B = {
        .t = t, .body = body, .prev_indent = prev_indent, .allowed = block_allowed,
        .suffix = { .kind = 255 }, .run = { .A = &P->keep },
        .var_sid = CFG_NONE, .var_key = CFG_NONE,
    };
    if (++P->depth > MAX_DEPTH)
        cfg_lerr(P, lx, "blocks nested deeper than %d levels", MAX_DEPTH);
    /* what this block keeps across statements (its run, its [default=] metas) dies with
     * it; nested blocks rewind theirs before this one allocates again */
    struct cfg_arena_mark keep_mark = cfg_arena_mark(&P->keep);
    struct cfg_arena_mark stmt_mark = cfg_arena_mark(&P->scratch);
    lx->fast = true;
    for (;;) {
        /* statement temporaries die with the statement (nested blocks rewind theirs) */
        cfg_arena_rewind(&P->scratch, stmt_mark);
        lx->prev_indent = prev_indent;
        struct tok k = cfg_lx_next(P, lx);
        if (k.t == T_ENDBLOCK)
            break;
        cfg_lx_expect(P, lx, k, M(T_INDENT));
        int indent = k.indent;
        k = cfg_lx_expect(P, lx, cfg_lx_next(P, lx), B.allowed);
        switch (k.t) {
        case T_IDENT: parse_ident_line(P, lx, &B, k, indent); break;
        case T_VARIANT: parse_items(P, lx, &B, indent); break;
        case T_VARIANTS: parse_variants_header(P, lx, &B, indent); break;
        case T_ONLY: case T_NO: case T_JOIN: parse_filter_stmt(P, lx, &B, k.t); break;
        case T_SUFFIX: parse_suffix(P, lx, &B); break;
        case T_INCLUDE:
            run_reset(&B.run);
            parse_include(P, lx, &B.t, prev_indent, body);
            break;
        case T_DEL: parse_del(P, lx, &B); break;
        case T_NOTCOND: parse_negative_condition(P, lx, &B, indent); break;
        }
    }
    if (B.suffix.kind != 255)
        add_item(&B.t, B.suffix);
    cfg_arena_rewind(&P->keep, keep_mark);
    P->depth--;
    return B.t.node;
}

/*
 * A reader of the whole file, read once into the parse's arena (lines and tokens point
 * into it until the parse ends).
 */
static struct reader *open_file(struct parser *P, const char *path, const char *from,
                                int fromline)
{
    struct stat st;
    int serr = stat(path, &st) != 0 ? errno : 0;
    if (serr || !S_ISREG(st.st_mode)) {
        if (from)
            cfg_perr(P, from, fromline, "include %s: file does not exist or is not a regular file",
                 path);
        cfg_perr(P, path, 0, "cannot read the config: %s",
             serr ? strerror(serr) : "not a regular file");
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (from)
            cfg_perr(P, from, fromline, "include %s: %s", path, strerror(errno));
        cfg_perr(P, path, 0, "cannot open the config: %s", strerror(errno));
    }
    /* Read, not mapped: a mapped file that shrinks while it is parsed (an editor saving
     * it) would kill vtrun with SIGBUS. */
    size_t cap = (size_t)st.st_size, len = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        cap = (size_t)st.st_size;
    char *buf = cfg_arena_alloc_raw(&P->lines, cap + 1);
    for (;;) {
        if (len == cap) {
            /* the size was wrong (the file grew, or /proc): read on into a bigger buffer */
            char c1;
            ssize_t m;
            while ((m = read(fd, &c1, 1)) < 0 && errno == EINTR)
                ;
            if (m <= 0)
                break;
            char *nb = cfg_arena_alloc_raw(&P->lines, 2 * cap + 4096);
            memcpy(nb, buf, len);
            nb[len++] = c1;
            buf = nb;
            cap = 2 * cap + 4095;
            continue;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)     /* a read error ends the text, as fread's loop did */
            break;
        len += (size_t)n;
    }
    close(fd);
    return cfg_reader_new(P, path, true, buf, len);
}

static void parse_include(struct parser *P, struct lexer *lx, struct target *t, int prev_indent,
                          struct body *body)
{
    struct cfg *c = P->c;
    struct tok rest = cfg_lx_rest(P, lx);
    int line = lx->linenum;
    struct strbuf path = STRBUF_INIT;
    /* os.path.expanduser */
    if (rest.len && rest.s[0] == '~' && (rest.len == 1 || rest.s[1] == '/')) {
        const char *home = getenv("HOME");
        strbuf_addstr(&path, home ? home : "");
        strbuf_add(&path, rest.s + 1, rest.len - 1);
    } else
        strbuf_add(&path, rest.s, rest.len);
    if (lx->rd->is_file && path.buf[0] != '/') {
        /* os.path.join(os.path.dirname(including file), path) */
        const char *slash = strrchr(lx->filename, '/');
        if (slash) {
            struct strbuf j = STRBUF_INIT;
            strbuf_add(&j, lx->filename, (size_t)(slash - lx->filename) + 1);
            strbuf_add(&j, path.buf, path.len);
            strbuf_release(&path);
            path = j;
        }
    }
    char *p = cfg_arena_strndup(&c->arena, path.buf, path.len);
    strbuf_release(&path);
    cfg_lx_expect(P, lx, cfg_lx_next(P, lx), M(T_ENDL));
    if (c->opts.include_root) {
        char *rp = realpath(p, NULL);
        char *rr = realpath(c->opts.include_root, NULL);
        size_t rl = rr ? strlen(rr) : 0;
        bool ok = rp && rr && strncmp(rp, rr, rl) == 0 && (rp[rl] == '/' || rp[rl] == '\0');
        free(rp);
        free(rr);
        if (!ok)
            cfg_perr(P, lx->filename, line, "include %s: outside the allowed directory %s", p,
                 c->opts.include_root);
    }
    /* cycle: the same file already being parsed */
    char *rp = realpath(p, NULL);
    for (int i = 0; rp && i < P->ninc; i++) {
        char *other = realpath(P->incstack[i], NULL);
        bool same = other && strcmp(other, rp) == 0;
        free(other);
        if (same) {
            struct strbuf sb = STRBUF_INIT;
            for (int j = i; j < P->ninc; j++)
                strbuf_addf(&sb, "%s:%d -> ", P->incstack[j], j + 1 < P->ninc ? P->incline[j + 1] : line);
            strbuf_addstr(&sb, p);
            char *m = cfg_arena_strndup(&c->arena, sb.buf, sb.len);
            strbuf_release(&sb);
            free(rp);
            cfg_perr(P, lx->filename, line, "include cycle: %s", m);
        }
    }
    free(rp);
    if (P->ninc >= MAX_INCLUDE_DEPTH)
        cfg_perr(P, lx->filename, line, "includes nested deeper than %d files", MAX_INCLUDE_DEPTH);
    struct reader *rd = open_file(P, p, lx->filename, line);
    struct lexer *sub = cfg_lexer_new(P, rd);
    P->incstack[P->ninc] = p;
    P->incline[P->ninc] = line;
    P->incfrom[P->ninc] = lx->filename;
    P->ninc++;
    t->node = parse_block(P, sub, *t, -1, body);
    P->ninc--;
    lx->prev_indent = prev_indent;
    (void)lx;
}

static void compress_ranges(struct cfg *c)
{
    /* skip nodes without a range of their own, so membership walks stay short */
    for (size_t i = 0; i < c->nnodes; i++) {
        struct cfg_node *n = c->nodes[i];
        int guard = 0;
        while (n->rup && n->rup->rlo > n->rup->rhi && guard++ < 100000)
            n->rup = n->rup->rup;
        if (n->rup && n->rlo <= n->rhi && n->rup->rlo <= n->rup->rhi &&
            n->rup->rhi + 1 == n->rlo) {
            n->rlo = n->rup->rlo;
            n->rup = n->rup->rup;
        }
    }
}

int cfg_parse_into(struct cfg *c, const char *file, const char *const *stmts, size_t n)
{
    struct parser *P = xcalloc(1, sizeof(*P));
    volatile int rc = 0;
    P->c = c;
    strbuf_init(&P->kb, 64);
    strbuf_init(&P->ln, 256);
    strbuf_init(&P->sn, 256);
    struct cfg_node *root = node_new(P);
    c->root = root;
    struct body *rb = body_new(P);
    body_add(P, rb, root);
    if (setjmp(P->jb) == 0) {
        if (file) {
            struct reader *rd = open_file(P, file, NULL, 0);
            struct lexer *lx = cfg_lexer_new(P, rd);
            P->incstack[0] = rd->filename;
            P->incline[0] = 0;
            P->ninc = 1;
            root = parse_block(P, lx, (struct target){ .node = root }, -1, rb);
            P->ninc = 0;
        }
        for (size_t i = 0; i < n; i++) {
            struct reader *rd = cfg_reader_new(P, "<string>", false, stmts[i],
                                               strlen(stmts[i]));
            struct lexer *lx = cfg_lexer_new(P, rd);
            P->depth = 0;
            root = parse_block(P, lx, (struct target){ .node = root }, -1, rb);
        }
        c->root = root;
        body_hoist(P, rb, root);
        compress_ranges(c);
    } else
        rc = -1;
    for (size_t i = 0; i < P->nreaders; i++)
        free(P->readers[i]);
    for (size_t i = 0; i < P->nlexers; i++) {
        free(P->lexers[i]);
    }
    free(P->readers);
    free(P->lexers);
    cfg_arena_free(&P->scratch);
    cfg_arena_free(&P->keep);
    cfg_arena_free(&P->tmp);
    cfg_arena_free(&P->lines);
    strbuf_release(&P->kb);
    strbuf_release(&P->ln);
    strbuf_release(&P->sn);
    free(P);
    return rc;
}
