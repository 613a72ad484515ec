/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_explain: what explain learns of one case (cfg_explain.c: the search and the
 * replay) and how it is shown (cfg_explain_out.c: text and JSON).  Private to cfg/.
 */
#ifndef VTRUN_CFG_EXPLAIN_H
#define VTRUN_CFG_EXPLAIN_H

#include "cfg/cfg_dict.h"

enum { XS_ONLY, XS_NO, XS_TERM, XS_COND, XS_NCOND };
struct xstep {              /* a filter or condition met on the path */
    uint8_t kind;
    bool ok;                /* ONLY, NO, TERM: passes; COND, NCOND: applies */
    int depth;              /* condition bodies around it */
    const char *file;
    int line;
    const char *text;       /* its source line */
};

enum { XE_SET, XE_KEPT, XE_RESERVED, XE_DEL, XE_SUFFIX, XE_POSTFIX };
struct xev {                /* what one statement did to one key */
    uint8_t what;
    uint32_t key;           /* the key it leaves (XE_SUFFIX: the suffixed key) */
    uint32_t from;          /* XE_SUFFIX: the key renamed; else key */
    uint32_t rule;          /* XE_POSTFIX: the _max/_min/_fixed key applied */
    const struct cfg_op *op;    /* XE_POSTFIX: the statement that set the rule key */
    const char *val;        /* the value after it (in the part's dict), NULL if none */
    uint32_t vlen;
};

/* A plain case, or one part of a join: its path and its replay. */
struct xpart {
    const struct cfg_node **path;   /* root first */
    size_t npath;
    uint32_t *lab;
    size_t nlab;
    char *name, *shortname;
    struct xstep *st;
    size_t nst, ast;
    struct xev *ev;
    size_t nev, aev;
    struct cfg_dict dict;
    bool has_dict;
    bool ops;               /* apply the statements (not for a dropped case) */
    bool dropped;
};

struct xjoin {
    const char *file;
    int line;
    size_t n;
};

struct xterm {              /* a join's term, and where the join is */
    const struct cfg_filter *f;
    const char *file;
    int line;
};

struct xcase {
    const char *shortname;  /* the engine's (a join's is merged) */
    struct xpart *part;     /* one, or a join's parts in merge order */
    size_t npart, apart;
    struct xjoin *join;
    size_t njoin, ajoin;
    struct xterm *term;
    size_t nterm, aterm;
};

struct xfin {               /* one line of the case's dump */
    const char *line;       /* "key=value" (not NUL-terminated) */
    size_t len, keylen;
    uint32_t key;           /* the dict entry's key id */
    size_t part;            /* the part whose value it is */
};


/* P grown (doubling) to hold NEED elements of SZ bytes; *ALLOC is its capacity. */
static inline void *xgrow(void *p, size_t *alloc, size_t need, size_t sz)
{
    if (need <= *alloc)
        return p;
    size_t na = *alloc ? *alloc * 2 : 16;
    while (na < need)
        na *= 2;
    *alloc = na;
    return xrealloc(p, na * sz);
}

/* qsort/bsearch order of pointers (to pointers). */
static inline int xptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;
    return x < y ? -1 : x > y;
}

/* What the output needs besides the case: the config (its keys, strings and item
 * records), whether the case is listed, and the named blocks' `NAME = item` ops
 * (sorted by address). */
struct xview {
    const struct cfg *c;
    bool listed;
    const struct cfg_op *const *named;
    size_t nnamed;
};

/* The explanation of XC (FV: its dump lines, none for a case the filters drop), as
 * text or as one JSON object, appended to OUT. */
void cfg_explain_text(const struct xview *v, const struct xcase *xc, const struct xfin *fv,
                      size_t nfv, struct strbuf *out);
void cfg_explain_json(const struct xview *v, const struct xcase *xc, const struct xfin *fv,
                      size_t nfv, struct strbuf *out);

#endif
