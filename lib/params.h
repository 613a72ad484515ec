/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * params: one test case's parameters, an ordered string -> string dict (insertion
 * order kept, like the Python dict avocado-vt hands to tests), with avocado-vt's
 * typed getters and per-object views (utils_params.Params).
 *
 * Every string returned by a getter is owned by the params and valid until the key
 * is changed or the params are freed.  Lists returned by params_objects() are owned by
 * the caller (free with params_strv_free()).
 */
#ifndef VTRUN_PARAMS_H
#define VTRUN_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

struct params;

struct params *params_new(void);
struct params *params_dup(const struct params *p);
void params_free(struct params *p);

/* Set (insert at the end, or replace in place keeping the position). */
void params_set(struct params *p, const char *key, const char *value);
/* Remove; returns true if the key existed. */
bool params_del(struct params *p, const char *key);

const char *params_get(const struct params *p, const char *key);     /* NULL if absent */
const char *params_get_or(const struct params *p, const char *key, const char *def);
bool params_has(const struct params *p, const char *key);

/* Typed getters: the default when absent or empty; *ok (may be NULL) false when the
 * value is present but malformed (then the default is returned too). */
long params_get_int(const struct params *p, const char *key, long def, bool *ok);
double params_get_float(const struct params *p, const char *key, double def, bool *ok);
/* "yes" -> true, "no" -> false (avocado-vt's words; also accepts true/false, 1/0). */
bool params_get_bool(const struct params *p, const char *key, bool def, bool *ok);

/* A word of a closed vocabulary and the value it stands for (migration_type = cross,
 * virsh_migrate_dest_state = shut off ...).  Tables end with a NULL word; several words
 * may share a value (synonyms).  One table serves parsing, messages and --list-types. */
struct params_word {
    const char *word;
    int value;
};

/* The entry of `words` spelled exactly s (case-sensitive, as avocado-vt compares);
 * NULL when none. */
const struct params_word *params_word_find(const struct params_word *words, const char *s);

/* A size with an optional binary unit: "128M", "64k", "1G", "1GiB", "4096", "2T"
 * (k M G T, any case, optional trailing i and B) -> bytes.  -1 with err_msg() "'x' is
 * not a size (e.g. 128M, 1G, 4096)" otherwise (also on overflow). */
int params_size_parse(const char *s, unsigned long long *bytes);

/* Whitespace-split value, duplicates removed, first-occurrence order: avocado-vt's
 * Params.objects().  NULL-terminated; never NULL itself (empty list if absent). */
char **params_objects(const struct params *p, const char *key);
/* The same split of a text (NULL: empty list). */
char **params_split(const char *text);
size_t params_strv_len(char *const *v);
void params_strv_free(char **v);

/* avocado-vt's Params.object_params(name): a copy in which every key ending in
 * "_<name>" gives its value to the key cut at the FIRST "_<name>" (keys visited in
 * order, later ones win; the suffixed keys stay).  Nests: object(object(p, vm), img). */
struct params *params_object(const struct params *p, const char *name);

/* Iteration in insertion order. */
size_t params_count(const struct params *p);
const char *params_key_at(const struct params *p, size_t i);
const char *params_value_at(const struct params *p, size_t i);

#endif
