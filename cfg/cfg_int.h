/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_int: structures shared by the files of cfg/ (not part of the public API).
 *
 * The parser builds the same inverted tree ("DAG") as avocado-vt's Parser: a node per
 * variant item, a container per variants block, the statements of each stretch of a
 * block in the node that is current when they are read (SYNTAX.md 6.1).  Expansion
 * walks that DAG depth first (cfg_walk.c) and applies the collected operations to a
 * case dict whose keys are interned ids (cfg_dict.c).
 */
#ifndef VTRUN_CFG_INT_H
#define VTRUN_CFG_INT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cfg/cfg.h"
#include "lib/strbuf.h"

#define CFG_NONE UINT32_MAX

/* ---- arena: parse-time objects, freed all at once with the cfg ---- */
struct cfg_arena {
    struct cfg_chunk *head;
    struct cfg_chunk *spare;     /* chunks given back by a rewind, reused first */
};
void *cfg_arena_alloc(struct cfg_arena *a, size_t n);
void *cfg_arena_alloc_raw(struct cfg_arena *a, size_t n);   /* not zeroed */
char *cfg_arena_strndup(struct cfg_arena *a, const char *s, size_t n);
void cfg_arena_free(struct cfg_arena *a);
/* Stack discipline for temporaries: rewind frees everything allocated after the mark. */
struct cfg_arena_mark {
    struct cfg_chunk *chunk;
    struct cfg_chunk *behind;    /* chunk->next then: big blocks go in between */
    size_t used;
};
struct cfg_arena_mark cfg_arena_mark(const struct cfg_arena *a);
void cfg_arena_rewind(struct cfg_arena *a, struct cfg_arena_mark m);

/* ---- string interning: id <-> bytes ---- */
struct cfg_strtab {
    char **s;
    uint32_t *len;
    uint32_t *hash;
    size_t n, alloc;
    uint64_t *slot;     /* 0 = empty, else hash << 32 | (id + 1) */
    size_t nslot;
    struct cfg_arena arena;
};
uint32_t cfg_str_intern(struct cfg_strtab *t, const char *s, size_t len);
uint32_t cfg_str_find(const struct cfg_strtab *t, const char *s, size_t len);
void cfg_strtab_free(struct cfg_strtab *t);

/* ---- keys of a case dict: plain keys and suffixed (tuple) keys ---- */
enum { K_NAME, K_SHORTNAME, K_DEP, K_NAMEMAP, K_SNAMEMAP, K_NRESERVED };
enum { PF_NONE, PF_MAX, PF_MIN, PF_FIXED };
struct cfg_key {
    const char *text;     /* tuple keys: base + suffixes in application order */
    uint32_t len;
    uint32_t parent;      /* CFG_NONE for a plain key */
    uint32_t suffix;      /* suffix string id (tuple keys) */
    uint32_t base;        /* plain key at the root of the tuple (self if plain) */
    uint32_t depth;       /* number of suffixes */
    uint32_t pf_base;     /* plain keys ending in _max/_min/_fixed: the base key */
    uint8_t pf_kind;
};
struct cfg_keytab {
    struct cfg_key *k;
    size_t n, alloc;
    struct cfg_strtab text;   /* plain key text -> string id */
    uint32_t *by_text;        /* string id -> key id */
    size_t nby_text;
    uint64_t *tslot;          /* tuple index: (parent << 32 | suffix) + 1, 0 = empty */
    uint32_t *tid;
    size_t ntslot, ntuples;
    struct cfg_arena arena;
};
uint32_t cfg_key_plain(struct cfg_keytab *t, const char *s, size_t len);
uint32_t cfg_key_find_plain(const struct cfg_keytab *t, const char *s, size_t len);
uint32_t cfg_key_tuple(struct cfg_keytab *t, uint32_t parent, uint32_t suffix,
                       const struct cfg_strtab *strs);

/* ---- labels and filters ---- */
struct cfg_label {
    uint32_t var;         /* string id of the block name, CFG_NONE for plain labels */
    uint32_t val;         /* string id of the value */
    uint32_t lid;         /* filter atoms: the label id of (var, val) */
};
/* filter = OR of terms; term = AND of chains; chain = adjacent atoms */
struct cfg_chain {
    uint32_t natoms;
    struct cfg_label *atoms;
};
struct cfg_term {
    uint32_t nchains;
    struct cfg_chain *chains;
};
struct cfg_filter {
    uint32_t id;          /* index for per-walk caches; CFG_NONE for synthetic ones */
    uint32_t nterms;
    struct cfg_term *terms;
    const char *line;     /* the source line, for messages */
};

/* ---- operations ---- */
enum cfg_opkind {
    OP_SET, OP_APPEND, OP_PREPEND, OP_LAZY, OP_RSET, OP_RAPPEND, OP_RPREPEND,
    OP_DEL, OP_SUFFIX, OP_FILEMAP, OP_SFILEMAP,
};
struct cfg_subst_piece;
/* Fields ordered so that the struct has no padding: one per statement (80 bytes). */
struct cfg_op {
    uint8_t kind;
    bool has_dollar;
    bool scoped;
    uint32_t key;         /* plain key id (SET..LAZY), the map key (FILEMAP) */
    uint32_t keylen;
    uint32_t vlen;
    uint32_t sid;         /* SUFFIX: suffix string id; FILEMAP: file basename id */
    uint32_t nscope;
    int line;
    uint32_t nmcache;
    const char *keytext;  /* regex ops / del: the key text */
    const char *value;
    pcre2_code *re;       /* regex ops */
    uint8_t *mcache;      /* regex ops: per key id, 0 unknown 1 no 2 yes */
    uint32_t *scope;      /* regex op folded into avocado's pre_dict: only these keys */
    const char *file;
};

enum cfg_ckind { CI_OP, CI_ONLY, CI_NO, CI_COND, CI_NCOND, CI_JOIN };
struct cfg_item;
struct cfg_cond {
    struct cfg_filter *f;
    struct cfg_item *content;
    size_t n, alloc;
    int8_t has_filter;      /* -1 unknown; does the body hold only/no/join? */
};
struct cfg_item {
    uint8_t kind;
    uint32_t runlen;      /* CI_OP starting a run of ops: its length (after parsing) */
    const struct cfg_op *const *runv;   /* ... and the run's ops, contiguous */
    int line;
    const char *file;
    union {
        struct cfg_op *op;
        struct cfg_filter *f;
        struct cfg_cond *cond;
    } u;
};

struct cfg_node {
    struct cfg_item *content;
    size_t ncontent, acontent;
    struct cfg_node **children;
    size_t nchildren, achildren;
    uint32_t *name;          /* label ids */
    uint32_t nname;
    bool append_to_shortname;
    bool is_default;
    bool has_join;
    struct cfg_filter *dep;  /* NULL if none */
    /* labels reachable strictly below: items [rlo, rhi] then rup's set */
    uint32_t rlo, rhi;
    struct cfg_node *rup;
    /* only/no filters of the whole item body (or root), checked early for pruning */
    struct cfg_item *hoist;   /* copies: content arrays move */
    uint32_t nhoist;
    /* the leaf's operations read no name/shortname/dep (1), or do (0), unknown (-1) */
    int8_t snap_ok;
    /* names-only expansion: the content items that can drop a case */
    struct cfg_item *fcontent;
    size_t nfcontent;
};

/*
 * Where each variant item came from, for cfg_explain() only: a parse for explain
 * (cfg_parse_prov()) fills it, every other parse leaves cfg.prov NULL and records
 * nothing, so the walk and the dump never see it.
 */
struct cfg_src_item {
    const struct cfg_node *node;     /* the item's node: the one carrying its labels */
    const char *file;
    int line;                        /* the `- name:` line */
    int vline;                       /* its block's `variants` line (same file) */
    uint32_t first, last;            /* its item number, and the last one of its body */
    bool at;                         /* written `- @name:` */
    const char *block;               /* the block's name, "" if unnamed */
    const char *text;                /* the item's name as written, dotted */
    const struct cfg_op *named;      /* a named block's `NAME = item` op, or NULL */
};
struct cfg_prov {
    struct cfg_src_item *v;
    size_t n, a;
};

struct cfg {
    struct cfg_opts opts;
    char **expand;
    struct cfg_arena arena;
    struct cfg_strtab strs;          /* label values, var names, suffixes, files */
    struct cfg_keytab keys;
    struct cfg_label *labels;        /* label id -> (var, val) */
    size_t nlabels, alabels;
    uint32_t *lslot;                 /* label index */
    size_t nlslot;
    struct cfg_node *root;
    struct cfg_node **nodes;         /* every node, to free */
    size_t nnodes, anodes;
    struct cfg_cond **conds;
    size_t nconds, aconds;
    struct cfg_op **ops;             /* every op owning a regex */
    size_t nops, aops;
    /* occurrence lists for pruning: per value id / per label id, item numbers */
    uint32_t **occ_val, *nocc_val, *aocc_val;
    size_t nocc_valtab;
    uint32_t **occ_lab, *nocc_lab, *aocc_lab;
    size_t nocc_labtab;
    uint32_t nitems;
    uint32_t nfilters;
    bool has_join;
    /* some key's _max/_min/_fixed rule targets name or shortname (SYNTAX 16.19): the
     * names then depend on the operations, so names-only walks are full walks */
    bool renames;
    /* some _name_map_file text (a file basename, an item's dotted name) has a byte JSON
     * escapes ('"', '\\', a control): otherwise the dump copies map texts as they are */
    bool maps_escape;
    uint32_t *key_rank;              /* key id -> sort rank (static keys) */
    size_t nkey_rank;
    char **llong;                    /* label id -> "(var=val)" or "val" */
    uint32_t *llong_len;
    /* last, so the fields the walk reads keep their places */
    struct cfg_prov *prov;           /* NULL but in a parse for cfg_explain() */
};

uint32_t cfg_label_id(struct cfg *c, uint32_t var, uint32_t val);

/* Tests: what the last cfg_emit() did, and how far the evaluation may lag before the
 * walk helps (0: the default, 64 records; -1: the walk evaluates every case). */
struct cfg_emit_stats {
    int threads;            /* 2: the walk/evaluation pipeline, 1: one walker */
    unsigned long helped;   /* records the walk evaluated itself */
};
extern struct cfg_emit_stats cfg_emit_last;
extern int cfg_debug_help_lag;

/* filters */
bool cfg_filter_match(const struct cfg *c, const struct cfg_filter *f,
                      const uint32_t *labels, size_t n);

/* regex helpers (Python re.match(key + "$") semantics) */
pcre2_code *cfg_regex_compile(const char *pat, size_t len, bool anchor_end, char *errbuf,
                              size_t errlen);
bool cfg_regex_match(const pcre2_code *re, const char *s, size_t len);
/* Free the calling thread's match data (a thread that matched is about to end). */
void cfg_regex_thread_done(void);

/* utf-8 helpers */
bool cfg_unicode_isalnum(uint32_t cp);
bool cfg_unicode_isspace(uint32_t cp);
size_t cfg_utf8_decode(const char *s, size_t len, uint32_t *cp);  /* bytes used, 0 bad */

/* parser entry */
int cfg_parse_into(struct cfg *c, const char *file, const char *const *stmts, size_t n);
/* cfg_parse() that also records where each variant item came from (cfg.prov). */
struct cfg *cfg_parse_prov(const char *file, const char *const *stmts, size_t nstmts,
                           const struct cfg_opts *o);

#endif
