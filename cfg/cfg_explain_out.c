/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The output of explain (cfg_explain.h): the text of vtrun --explain, and its JSON.
 *
 * Text: "LOC  TEXT  NOTE" rows under section headings, locations padded to one width
 * and texts to one width per section, so a long explanation reads as columns.  The
 * params are the case's dump lines, each followed by the statements that made the
 * value (in_history()).
 */
#include "cfg/cfg_explain.h"

#include <stdlib.h>
#include <string.h>

/* Is OP the `NAME = item` of a named block's item (shown as that item)? */
static bool is_named_op(const struct xview *X, const struct cfg_op *op)
{
    return X->nnamed && bsearch(&op, X->named, X->nnamed, sizeof(*X->named), xptr_cmp);
}

/* Where the item of node N is. */
static const struct cfg_src_item *src_item(const struct xview *X, const struct cfg_node *n)
{
    const struct cfg_prov *pv = X->c->prov;
    for (size_t i = 0; i < pv->n; i++)
        if (pv->v[i].node == n)
            return &pv->v[i];
    return NULL;
}

/* The variant items of P's path, root first, in *N; their depth (how many of them
 * enclose each: an item's body holds the items numbered first + 1 to last) in *DEPTH.
 * The caller frees both. */
static const struct cfg_src_item **path_items(const struct xview *X, const struct xpart *p,
                                              size_t *n, int **depth)
{
    const struct cfg_src_item **v = xmalloc((p->npath + 1) * sizeof(*v));
    *n = 0;
    for (size_t i = 0; i < p->npath; i++)
        if ((v[*n] = src_item(X, p->path[i])))
            (*n)++;
    *depth = xcalloc(*n + 1, sizeof(**depth));
    for (size_t i = 0; i < *n; i++)
        for (size_t k = 0; k < *n; k++)
            (*depth)[i] += v[k]->first < v[i]->first && v[i]->first <= v[k]->last;
    return v;
}

/* ---- text ---- */

static const char *const op_sign[] = {
    [OP_SET] = "=", [OP_APPEND] = "+=", [OP_PREPEND] = "<=", [OP_LAZY] = "~=",
    [OP_RSET] = "?=", [OP_RAPPEND] = "?+=", [OP_RPREPEND] = "?<=",
};

/* The statement OP was made from. */
static void op_text(const struct xview *X, const struct cfg_op *op, struct strbuf *sb)
{
    if (!op) {
        strbuf_addstr(sb, "?");
        return;
    }
    switch (op->kind) {
    case OP_DEL:
        strbuf_addf(sb, "del %s", op->keytext);
        break;
    case OP_SUFFIX:
        strbuf_addf(sb, "suffix %s", X->c->strs.s[op->sid]);
        break;
    case OP_FILEMAP:
    case OP_SFILEMAP:
        strbuf_addstr(sb, "(the item's _name_map_file entry)");
        break;
    default:
        if (is_named_op(X, op))
            strbuf_addf(sb, "- %.*s:  (variants %s:)", (int)op->vlen, op->value, op->keytext);
        else
            strbuf_addf(sb, "%.*s %s %.*s", (int)op->keylen, op->keytext, op_sign[op->kind],
                        (int)op->vlen, op->value);
        break;
    }
}

static const char *step_note(const struct xstep *s)
{
    switch (s->kind) {
    case XS_ONLY:
        return s->ok ? "passes: the name matches" : "DROPS the case: the name does not match";
    case XS_NO:
        return s->ok ? "passes: the name does not match" : "DROPS the case: the name matches";
    case XS_TERM:
        return s->ok ? "passes: this part's term of the join matches" :
                       "DROPS the case: the join term does not match";
    case XS_COND:
        return s->ok ? "applies: the name matches" : "does not apply: the name does not match";
    default:
        return s->ok ? "applies: the name does not match" : "does not apply: the name matches";
    }
}

/* Rows of a text explanation: a heading, a raw line, or "LOC  TEXT  NOTE" aligned. */
enum { R_HEAD, R_RAW, R_ROW };
struct row {
    uint8_t kind;
    int indent;
    char *loc, *text, *note;
};
struct rows {
    struct row *v;
    size_t n, a;
};

static void row(struct rows *r, uint8_t kind, char *loc, int indent, char *text, char *note)
{
    r->v = xgrow(r->v, &r->a, r->n + 1, sizeof(*r->v));
    r->v[r->n++] = (struct row){ kind, indent, loc, text, note };
}

static char *locs(const char *file, int line)
{
    return xasprintf("%s:%d", file, line);
}

static char *dupsb(struct strbuf *sb)
{
    char *s = xstrndup(sb->buf, sb->len);
    strbuf_reset(sb);
    return s;
}

/* Print R: locations padded to one width, texts to one width per section (at most 56
 * columns, so a long statement does not push every note off the screen). */
static void rows_print(struct rows *r, struct strbuf *out)
{
    size_t lw = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].kind == R_ROW && strlen(r->v[i].loc) > lw)
            lw = strlen(r->v[i].loc);
    size_t tw = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct row *x = &r->v[i];
        if (x->kind == R_HEAD) {
            tw = 0;
            for (size_t j = i + 1; j < r->n && r->v[j].kind != R_HEAD; j++)
                if (r->v[j].kind == R_ROW && r->v[j].note) {
                    size_t w = (size_t)r->v[j].indent + strlen(r->v[j].text);
                    if (w > tw)
                        tw = w > 56 ? 56 : w;
                }
            strbuf_addf(out, "%s\n", x->text);
        } else if (x->kind == R_RAW) {
            strbuf_addf(out, "%s\n", x->text);
        } else {
            size_t w = (size_t)x->indent + strlen(x->text);
            strbuf_addf(out, "  %-*s  %*s%s", (int)lw, x->loc, x->indent, "", x->text);
            if (x->note)
                strbuf_addf(out, "%*s  %s", w < tw ? (int)(tw - w) : 0, "", x->note);
            strbuf_addch(out, '\n');
        }
    }
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].loc);
        free(r->v[i].text);
        free(r->v[i].note);
    }
    free(r->v);
    *r = (struct rows){ 0 };
}

static void text_variants(const struct xview *X, const struct xpart *p, struct rows *r)
{
    row(r, R_HEAD, NULL, 0, xstrdup("variants (outermost block first, as in the name):"),
        NULL);
    size_t n;
    int *depth;
    const struct cfg_src_item **v = path_items(X, p, &n, &depth);
    for (size_t i = 0; i < n; i++) {
        const struct cfg_src_item *s = v[i];
        row(r, R_ROW, locs(s->file, s->vline), 4 * depth[i],
            *s->block ? xasprintf("variants %s:", s->block) : xstrdup("variants:"), NULL);
        row(r, R_ROW, locs(s->file, s->line), 4 * depth[i] + 2,
            xasprintf("- %s%s:", s->at ? "@" : "", s->text), NULL);
    }
    if (!n)
        row(r, R_RAW, NULL, 0, xstrdup("  (none: the config has no variants block)"), NULL);
    free(v);
    free(depth);
}

static void text_steps(const struct xpart *p, struct rows *r, bool conditions, bool failed)
{
    size_t shown = 0;
    for (size_t i = 0; i < p->nst; i++) {
        const struct xstep *s = &p->st[i];
        bool cond = s->kind == XS_COND || s->kind == XS_NCOND;
        if (cond != conditions || (failed && (cond || s->ok)))
            continue;
        row(r, R_ROW, locs(s->file, s->line), 2 * s->depth, xstrdup(s->text),
            xstrdup(step_note(s)));
        shown++;
    }
    if (!shown && !failed)
        row(r, R_RAW, NULL, 0, xstrdup("  (none)"), NULL);
}

static bool chain_has(const struct cfg_keytab *kt, uint32_t key, uint32_t k)
{
    for (uint32_t q = key; q != CFG_NONE; q = kt->k[q].parent)
        if (q == k)
            return true;
    return false;
}

/* Is E in the history of KEY's value?  The statements on the key's name, from the plain
 * key down the suffixes that made KEY (*CUR: the key followed so far); a suffix that
 * renames the key followed away is shown too (that value is gone from that name). */
static bool in_history(const struct cfg_keytab *kt, uint32_t key, const struct xev *e,
                       uint32_t *cur)
{
    if (e->what != XE_SUFFIX)
        return e->key == *cur;
    if (e->from != *cur)
        return false;
    if (chain_has(kt, key, e->key))
        *cur = e->key;
    return true;
}

/* The statements that made KEY's value in part P (in_history()). */
static void text_history(const struct xview *X, const struct xcase *xc, size_t pi,
                         uint32_t key, struct rows *r)
{
    const struct xpart *p = &xc->part[pi];
    const struct cfg_keytab *kt = &X->c->keys;
    struct strbuf sb = STRBUF_INIT;
    size_t shown = 0;
    uint32_t cur = kt->k[key].base;
    for (size_t i = 0; i < p->nev; i++) {
        const struct xev *e = &p->ev[i];
        if (!in_history(kt, key, e, &cur))
            continue;
        const struct cfg_op *op = e->op;
        char *note;
        if (e->what == XE_POSTFIX) {
            strbuf_addf(&sb, "%s applied after every statement",
                        e->rule != CFG_NONE ? kt->k[e->rule].text : "_max/_min/_fixed");
            note = xasprintf("-> %.*s", (int)e->vlen, e->val ? e->val : "");
        } else {
            op_text(X, op, &sb);
            switch (e->what) {
            case XE_KEPT: note = xstrdup("not applied: the key is already set"); break;
            case XE_RESERVED: note = xstrdup("no effect: a reserved key"); break;
            case XE_DEL: note = xstrdup("deleted"); break;
            case XE_SUFFIX:
                note = chain_has(kt, key, e->key) ?
                           xasprintf("-> %s = %.*s", kt->k[e->key].text, (int)e->vlen,
                                     e->val ? e->val : "") :
                           xasprintf("renamed %s: this key is unset", kt->k[e->key].text);
                break;
            default: note = xasprintf("-> %.*s", (int)e->vlen, e->val ? e->val : ""); break;
            }
        }
        if (xc->npart > 1) {
            char *n2 = xasprintf("%s  (part %zu)", note, pi + 1);
            free(note);
            note = n2;
        }
        row(r, R_ROW, op ? locs(op->file, op->line) : xstrdup("?"), 0, dupsb(&sb), note);
        shown++;
    }
    if (!shown || key < K_NRESERVED) {
        const char *why = key == K_NAME || key == K_SHORTNAME ?
                              (xc->njoin ? "the join's merge of its parts' names" :
                                           "the labels of the variant items above") :
                          key == K_DEP ? "the dependencies of the variant items above" :
                          key < K_NRESERVED ? "the variant items above and their files" :
                                              "(no statement: set by the engine)";
        row(r, R_ROW, xstrdup("-"), 0, xasprintf("from %s", why), NULL);
    }
    strbuf_release(&sb);
}

void cfg_explain_text(const struct xview *X, const struct xcase *xc, const struct xfin *fv,
                      size_t nfv, struct strbuf *out)
{
    struct rows r = { 0 };
    if (X->listed)
        row(&r, R_RAW, NULL, 0, xasprintf("shortname: %s", xc->shortname), NULL);
    for (size_t i = 0; i < xc->njoin; i++)
        row(&r, R_RAW, NULL, 0, xasprintf("join %s:%d: the case merges %zu parts, a later "
                                          "part's value wins", xc->join[i].file,
                                          xc->join[i].line, xc->join[i].n), NULL);
    if (!X->listed) {
        bool any = false;
        for (size_t i = 0; i < xc->npart; i++)
            for (size_t k = 0; k < xc->part[i].nst; k++)
                any |= !xc->part[i].st[k].ok && xc->part[i].st[k].kind != XS_COND &&
                       xc->part[i].st[k].kind != XS_NCOND;
        row(&r, R_RAW, NULL, 0, xstrdup(any ? "not listed: the filters drop it" :
                                        "not listed: no only/no drops it (defaults mode "
                                        "keeps only the default item of each block)"), NULL);
        if (any) {
            row(&r, R_HEAD, NULL, 0, xstrdup("dropped by:"), NULL);
            for (size_t i = 0; i < xc->npart; i++)
                text_steps(&xc->part[i], &r, false, true);
        }
    }
    for (size_t i = 0; i < xc->npart; i++) {
        const struct xpart *p = &xc->part[i];
        if (xc->npart > 1)
            row(&r, R_RAW, NULL, 0, xasprintf("part %zu of %zu: %s", i + 1, xc->npart,
                                              p->name), NULL);
        text_variants(X, p, &r);
        row(&r, R_HEAD, NULL, 0,
            xstrdup("filters (only and no on the path, in the order of the statements):"),
            NULL);
        text_steps(p, &r, false, false);
        row(&r, R_HEAD, NULL, 0,
            xstrdup("conditions (on the path, in order; a nested one is indented):"), NULL);
        text_steps(p, &r, true, false);
    }
    if (X->listed) {
        row(&r, R_HEAD, NULL, 0, xstrdup("params (each line as --dump prints it, then every "
                                        "statement on the key, in order):"), NULL);
        for (size_t i = 0; i < nfv; i++) {
            row(&r, R_RAW, NULL, 0, xstrndup(fv[i].line, fv[i].len), NULL);
            text_history(X, xc, fv[i].part, fv[i].key, &r);
        }
    }
    rows_print(&r, out);
}

/* ---- JSON ---- */

static void jstr(struct strbuf *sb, const char *s)
{
    cfg_json_str(sb, s ? s : "", s ? strlen(s) : 0);
}

static void jloc(struct strbuf *sb, const char *file, int line)
{
    strbuf_addstr(sb, "\"file\": ");
    jstr(sb, file);
    strbuf_addf(sb, ", \"line\": %d", line);
}

static const char *const step_kind[] = {
    [XS_ONLY] = "only", [XS_NO] = "no", [XS_TERM] = "join term", [XS_COND] = "condition",
    [XS_NCOND] = "negated condition",
};

static void json_part(const struct xview *X, const struct xpart *p, struct strbuf *sb)
{
    strbuf_addstr(sb, "{\"name\": ");
    jstr(sb, p->name);
    strbuf_addstr(sb, ", \"variants\": [");
    size_t n;
    int *depth;
    const struct cfg_src_item **v = path_items(X, p, &n, &depth);
    for (size_t i = 0; i < n; i++) {
        const struct cfg_src_item *s = v[i];
        strbuf_addstr(sb, i ? ", {" : "{");
        jloc(sb, s->file, s->line);
        strbuf_addf(sb, ", \"variants_line\": %d, \"block\": ", s->vline);
        jstr(sb, s->block);
        strbuf_addstr(sb, ", \"item\": ");
        jstr(sb, s->text);
        strbuf_addf(sb, ", \"default\": %s, \"depth\": %d}", s->at ? "true" : "false",
                    depth[i]);
    }
    free(v);
    free(depth);
    for (int pass = 0; pass < 2; pass++) {
        strbuf_addstr(sb, pass ? "], \"conditions\": [" : "], \"filters\": [");
        bool first = true;
        for (size_t i = 0; i < p->nst; i++) {
            const struct xstep *s = &p->st[i];
            if ((s->kind == XS_COND || s->kind == XS_NCOND) != (pass == 1))
                continue;
            strbuf_addstr(sb, first ? "{" : ", {");
            first = false;
            jloc(sb, s->file, s->line);
            strbuf_addstr(sb, ", \"kind\": ");
            jstr(sb, step_kind[s->kind]);
            strbuf_addstr(sb, ", \"statement\": ");
            jstr(sb, s->text);
            strbuf_addf(sb, ", \"%s\": %s, \"depth\": %d}", pass ? "applies" : "passes",
                        s->ok ? "true" : "false", s->depth);
        }
    }
    strbuf_addstr(sb, "]}");
}

static const char *const ev_kind[] = {
    [XE_SET] = "set", [XE_KEPT] = "not applied", [XE_RESERVED] = "reserved",
    [XE_DEL] = "deleted", [XE_SUFFIX] = "suffixed", [XE_POSTFIX] = "postfix",
};

static void json_history(const struct xview *X, const struct xcase *xc, size_t pi,
                         uint32_t key, struct strbuf *sb)
{
    const struct xpart *p = &xc->part[pi];
    const struct cfg_keytab *kt = &X->c->keys;
    struct strbuf st = STRBUF_INIT;
    uint32_t cur = kt->k[key].base;
    bool first = true;
    for (size_t i = 0; i < p->nev; i++) {
        const struct xev *e = &p->ev[i];
        if (!in_history(kt, key, e, &cur))
            continue;
        strbuf_addstr(sb, first ? "{" : ", {");
        first = false;
        jloc(sb, e->op ? e->op->file : "?", e->op ? e->op->line : 0);
        strbuf_reset(&st);
        op_text(X, e->op, &st);
        strbuf_addstr(sb, ", \"statement\": ");
        jstr(sb, st.buf);
        strbuf_addstr(sb, ", \"effect\": ");
        jstr(sb, ev_kind[e->what]);
        if (e->what == XE_SUFFIX) {
            strbuf_addstr(sb, ", \"key\": ");
            jstr(sb, kt->k[e->key].text);
        }
        if (e->what == XE_POSTFIX && e->rule != CFG_NONE) {
            strbuf_addstr(sb, ", \"rule\": ");
            jstr(sb, kt->k[e->rule].text);
        }
        if (e->val) {
            strbuf_addstr(sb, ", \"value\": ");
            cfg_json_str(sb, e->val, e->vlen);
        }
        strbuf_addf(sb, ", \"part\": %zu}", pi + 1);
    }
    strbuf_release(&st);
}

void cfg_explain_json(const struct xview *X, const struct xcase *xc, const struct xfin *fv,
                      size_t nfv, struct strbuf *out)
{
    strbuf_addstr(out, "{\"join\": [");
    for (size_t i = 0; i < xc->njoin; i++) {
        strbuf_addstr(out, i ? ", {" : "{");
        jloc(out, xc->join[i].file, xc->join[i].line);
        strbuf_addf(out, ", \"parts\": %zu}", xc->join[i].n);
    }
    strbuf_addstr(out, "], \"parts\": [");
    for (size_t i = 0; i < xc->npart; i++) {
        if (i)
            strbuf_addstr(out, ", ");
        json_part(X, &xc->part[i], out);
    }
    strbuf_addstr(out, "], \"dropped_by\": [");
    bool first = true;
    for (size_t i = 0; i < xc->npart; i++)
        for (size_t k = 0; k < xc->part[i].nst; k++) {
            const struct xstep *s = &xc->part[i].st[k];
            if (s->ok || s->kind == XS_COND || s->kind == XS_NCOND)
                continue;
            strbuf_addstr(out, first ? "{" : ", {");
            first = false;
            jloc(out, s->file, s->line);
            strbuf_addstr(out, ", \"kind\": ");
            jstr(out, step_kind[s->kind]);
            strbuf_addstr(out, ", \"statement\": ");
            jstr(out, s->text);
            strbuf_addf(out, ", \"part\": %zu}", i + 1);
        }
    strbuf_addstr(out, "], \"params\": [");
    for (size_t i = 0; i < nfv; i++) {
        strbuf_addstr(out, i ? ", {\"key\": " : "{\"key\": ");
        cfg_json_str(out, fv[i].line, fv[i].keylen);
        strbuf_addstr(out, ", \"value\": ");
        cfg_json_str(out, fv[i].line + fv[i].keylen + 1, fv[i].len - fv[i].keylen - 1);
        strbuf_addstr(out, ", \"history\": [");
        json_history(X, xc, fv[i].part, fv[i].key, out);
        strbuf_addstr(out, "]}");
    }
    strbuf_addstr(out, "]}");
}
