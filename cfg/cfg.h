/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg: the Cartesian config engine (avocado-vt compatible), see ../shared/SYNTAX.md.
 *
 *   struct cfg_opts o = { 0 };
 *   struct cfg *c = cfg_parse("tests.cfg", stmts, nstmts, &o);   // NULL: err_msg()
 *   struct cfg_iter *it = cfg_iter_new(c);
 *   const struct cfg_case *k;
 *   int r;
 *   while ((r = cfg_iter_next(it, &k)) == 1)
 *       puts(cfg_case_name(k));
 *   // r == -1: err_msg() says "FILE:LINE: ..." (or "interrupted" after cfg_cancel)
 *   cfg_iter_free(it);
 *   cfg_free(c);
 *
 * Expansion streams: cases are produced one at a time and memory does not grow with
 * the number of cases.  A case handed out by cfg_iter_next() is owned by the iterator
 * and valid until the next cfg_iter_next() / cfg_iter_free() call.
 *
 * Errors (err_msg()) always start with "FILE:LINE: ".  Parsing errors name what was
 * expected and what was found; a missing include names the path and the including
 * FILE:LINE; an include cycle names the chain ("a.cfg:1 -> b.cfg:2 -> a.cfg").
 * Expansion errors (a _max on a non-number, a join of identical names, a value growing
 * past 16 MiB, ...) name the line of the statement responsible.
 *
 * Semantics: exactly avocado-vt's parser as ../shared/SYNTAX.md describes it (the one
 * deliberate difference: a quoted atom value, `only (v="x")`, works as SYNTAX.md 5
 * says).  No statement is added implicitly (no `only qemu`).
 *
 * Threads: a cfg and its iterators must be used by one thread at a time (iterating
 * interns suffixed keys into the cfg), except inside cfg_emit(), which knows when
 * walkers can share it; different cfg objects are independent.  Error
 * text is per thread (lib/err.h); cfg_cancel is process-wide.
 */
#ifndef VTRUN_CFG_H
#define VTRUN_CFG_H

#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/params.h"
#include "lib/strbuf.h"

struct cfg;
struct cfg_iter;
struct cfg_case;

struct cfg_opts {
    /* Defaults mode (reference -d): per block, only the @/[default=] item if it yields. */
    bool defaults;
    /* NULL-terminated names of variants blocks expanded fully in defaults mode (-e). */
    const char *const *expand_defaults;
    /* Keep every suffix (reference -s, "skipdups" off). */
    bool keep_suffixes;
    /* Non-NULL: an include that resolves outside this directory is an error (fuzzing). */
    const char *include_root;
};

/*
 * Parse FILE (relative paths are taken from the CWD; includes relative to the including
 * file's directory), then the NSTMTS statements STMTS (each one string, may hold
 * several lines; relative includes from the CWD; reported as "<string>:LINE").
 * FILE may be NULL: only the statements are parsed.  O may be NULL (all defaults).
 * Returns NULL on error with err_msg() set.
 */
struct cfg *cfg_parse(const char *file, const char *const *stmts, size_t nstmts,
                      const struct cfg_opts *o);
void cfg_free(struct cfg *c);

/* Iteration.  cfg_iter_next(): 1 = *out is the next case, 0 = end, -1 = error
 * (err_msg() names FILE:LINE of the statement responsible) or cancelled. */
struct cfg_iter *cfg_iter_new(const struct cfg *c);
int cfg_iter_next(struct cfg_iter *it, const struct cfg_case **out);
void cfg_iter_free(struct cfg_iter *it);

/*
 * Names-only fast path (listing, counting): like cfg_iter_new() but the cases it yields
 * carry only their name and shortname (no operation is applied, only the filters and
 * conditions that can drop a case are evaluated).  cfg_case_params() on such a case
 * returns NULL and cfg_case_dump() writes "== name\n\n" only.  Expansion errors of
 * the skipped operations (a _max on a non-number) are not reported in this mode.  A
 * config using `join`, or a name_fixed / shortname_fixed (_max, _min) key, is
 * expanded fully anyway: its names come from merged cases or from operations.
 */
struct cfg_iter *cfg_iter_new_names(const struct cfg *c);

/* Count every case (names-only mode, memory flat in the count).  -1 on error/cancel. */
long long cfg_count(const struct cfg *c);

const char *cfg_case_name(const struct cfg_case *k);       /* "" with no variants */
const char *cfg_case_shortname(const struct cfg_case *k);
/* A new dict (caller frees with params_free()) in the case's key order (avocado's dict
 * order); non-string values (dep, _name_map_file, _short_name_map_file) as their JSON
 * text, exactly as in the dump. */
struct params *cfg_case_params(const struct cfg_case *k);
/* Append the canonical dump block: "== name\n", "key=value\n" sorted by key (byte
 * order = code point order), non-string values as JSON, then "\n". */
void cfg_case_dump(const struct cfg_case *k, struct strbuf *out);

/*
 * Write every case's record to FD in walk order: its name or shortname and a newline,
 * or its dump block (cfg_case_dump(); names-only expansion for the others), with
 * write(2) calls of whole records only.  O may be NULL (all cases, one thread per CPU).
 * A dump with more than one thread runs in two, a walk thread and the calling one
 * (cfg/cfg_emit.c); configs with `join`, and names, are expanded in the calling thread
 * alone (the walk is most of a names listing's work).  The output is the same.
 * Returns 0; -1 with err_msg() for an expansion error (the records of every case
 * before it are written, as a plain cfg_iter_next() loop would) or "interrupted" after
 * cfg_cancel (nothing more is written then); -2 with err_msg() when writing fails.
 */
enum cfg_emit_what { CFG_EMIT_NAME, CFG_EMIT_SHORTNAME, CFG_EMIT_DUMP };
struct cfg_emit_opts {
    int threads;            /* <= 0: the number of online CPUs */
    /* If set, only the cases it keeps are written: it is called once per case, in
     * order, with K counting every case from 0 and the case's name (NAME, LEN bytes,
     * not NUL-terminated); it may run in another thread (one at a time). */
    bool (*keep)(void *ctx, unsigned long long k, const char *name, size_t len);
    void *ctx;
};
int cfg_emit(const struct cfg *c, enum cfg_emit_what what, const struct cfg_emit_opts *o,
             int fd);

/*
 * Explain one case (vtrun --explain NAME): the variant items of its path with their
 * `variants` lines, every only/no it passed, every condition on its path and whether
 * it applied, every statement that touched each param in order with the value after
 * it, and each param's final value exactly as cfg_case_dump() prints it -- FILE:LINE
 * for each.  NAME is a name as cfg_case_name() gives it or, failing that, a shortname;
 * every case bearing it is explained (in walk order, the first 20 in full, the rest
 * counted).  The config is parsed here, for this alone (FILE, STMTS, NSTMTS and O as
 * for cfg_parse()): the ordinary parse and walk record nothing for it.
 * FLAGS: CFG_EXPLAIN_JSON writes one JSON object instead of the text.
 * Returns 0: OUT explains the case(s); 1: no case is named NAME, but one would be
 * without the only/no filters and OUT says which filter at which FILE:LINE drops it;
 * -1: err_msg() (a config or expansion error, or no such case at all).
 */
enum { CFG_EXPLAIN_JSON = 1 };
int cfg_explain(const char *file, const char *const *stmts, size_t nstmts,
                const struct cfg_opts *o, const char *name, unsigned flags,
                struct strbuf *out);

/* Set to non-zero (e.g. by a SIGINT handler) to make cfg_iter_next() return -1 promptly
 * (err_msg() "interrupted"), even inside a huge product with few or no surviving cases.
 * It stays set until the caller clears it. */
extern atomic_bool cfg_cancel;

/* Debugging aid: non-zero disables every pruning shortcut of the walk (the output must
 * not change; differential tests compare both: VTRUN_CFG_NOPRUNE). */
extern int cfg_debug_noprune;

#endif
