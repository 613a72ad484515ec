/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dict: one case's parameters while it is built — avocado-vt's case dict with interned
 * keys (array-indexed), insertion order kept, values in a per-case bump arena.
 */
#ifndef VTRUN_CFG_DICT_H
#define VTRUN_CFG_DICT_H

#include "cfg/cfg_int.h"

enum { V_STR, V_DEP, V_MAP };

struct cfg_ent;
/* Flattened view (suffixes resolved, SYNTAX 8.1): array of (text, entry). */
struct cfg_flat {
    const char *text;
    uint32_t len;
    const struct cfg_ent *v;
};

struct cfg_ent {
    uint32_t key;            /* CFG_NONE: deleted */
    uint8_t type;
    uint32_t len;
    const char *s;
    const struct cfg_op *src;   /* who set it (error messages) */
};

struct cfg_map {             /* _name_map_file / _short_name_map_file */
    uint32_t *file;
    const char **s;
    uint32_t *len;
    size_t n, a;
};

struct cfg_strv {
    const char **s;
    uint32_t *len;
    size_t n, a;
};

struct cfg_bump {
    char **chunk;
    size_t *size;
    size_t nchunk, cur, used;
};

struct cfg_dict {
    struct cfg *c;
    struct cfg_ent *e;
    size_t n, a;
    uint32_t *pos;           /* key id -> entry index + 1, valid iff stamp == cur */
    uint32_t *stamp;
    size_t npos;
    uint32_t cur;
    bool has_tuple;
    /* plain _max/_min/_fixed keys added since the last reset/restore (an upper bound:
     * deletions don't lower it); 0 lets cfg_dict_postfix skip its scan */
    uint32_t npf;
    struct cfg_map map[2];
    struct cfg_strv dep;
    struct cfg_bump bump;
    struct cfg_flat *sflat;      /* ${} lookups in a dict with suffixed keys */
    size_t asflat;
};

void cfg_dict_init(struct cfg_dict *d, struct cfg *c);
void cfg_dict_release(struct cfg_dict *d);
/* Start a new case: {name, dep, shortname} (the reference's initial order). */
void cfg_dict_reset(struct cfg_dict *d, const char *name, size_t nlen,
                    const char *shortname, size_t slen);
void cfg_dict_copy(struct cfg_dict *dst, const struct cfg_dict *src);
/* Replace the entries by E (values must outlive the case); dep and maps untouched.
 * HAS_TUPLE and NPF: the values of the dict E was taken from. */
void cfg_dict_restore(struct cfg_dict *d, const struct cfg_ent *e, size_t n, bool has_tuple,
                      uint32_t npf);
char *cfg_dict_alloc(struct cfg_dict *d, size_t n);
void cfg_dict_dep_add(struct cfg_dict *d, const char *s, size_t len);

/* Apply one operation; -1 on error (err_set with FILE:LINE). */
int cfg_dict_apply(struct cfg_dict *d, const struct cfg_op *op);
/* Size every regex operation's match cache for all of C's keys, so that two threads
 * evaluating cases only fill it (cfg_emit.c). */
void cfg_dict_prepare(struct cfg *c);
/* _max / _min / _fixed; -1 on error. */
int cfg_dict_postfix(struct cfg_dict *d);
/* d = d updated by o (join merge), name and shortname given. */
void cfg_dict_update(struct cfg_dict *d, const struct cfg_dict *o);
void cfg_dict_set_str(struct cfg_dict *d, uint32_t key, const char *s, size_t len,
                      const struct cfg_op *src);
const struct cfg_ent *cfg_dict_get(const struct cfg_dict *d, uint32_t key);


size_t cfg_dict_flatten(struct cfg_dict *d, bool skipdups, struct cfg_flat **out,
                        size_t *alloc);

/* Value text helpers. */
void cfg_json_value(const struct cfg_dict *d, const struct cfg_ent *e, struct strbuf *out);
/* S[0..N) as a JSON string, quotes included. */
void cfg_json_str(struct strbuf *sb, const char *s, size_t n);

#endif
