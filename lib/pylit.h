/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pylit: the subset of Python literals tp-libvirt writes inside config values and then
 * eval()s — `action_during_mig = '[{"func": "virsh.domjobabort", "after_event":
 * "iteration: \'1\'", "func_param": "\'%s\' % params.get(\'migrate_main_vm\')"}]'`,
 * `expected_event_src = ["migration-iteration", ...]`.
 *
 * Read, never evaluated: strings (single, double, adjacent ones joined, Python's
 * escapes), integers, floats, True/False/None, lists, tuples, dicts, dotted names
 * (`signal.SIGTSTP`, `params`), calls of a dotted name (`params.get('k', 'd')`,
 * `MigrationTest().do_cancel` is a name with a call in it) and one `%` of a string by a
 * value.  Anything else is an error naming the offset and what was expected.  Nesting
 * is bounded (PYLIT_MAX_DEPTH) so a hostile value cannot exhaust the stack.
 */
#ifndef VTRUN_PYLIT_H
#define VTRUN_PYLIT_H

#include <stdbool.h>
#include <stddef.h>

#define PYLIT_MAX_DEPTH 32

enum pylit_kind {
    PYLIT_NONE,
    PYLIT_BOOL,
    PYLIT_INT,
    PYLIT_FLOAT,
    PYLIT_STR,      /* .s: the string's value, escapes resolved */
    PYLIT_NAME,     /* .s: a dotted name as written, "signal.SIGTSTP" */
    PYLIT_LIST,     /* .items[0..n) (a tuple too) */
    PYLIT_DICT,     /* .items: key, value, key, value ... (n is the number of pairs) */
    PYLIT_CALL,     /* .s: the callee as written ("params.get"); .items: the arguments */
    PYLIT_FORMAT,   /* .items[0] % .items[1] */
};

struct pylit {
    enum pylit_kind kind;
    bool b;
    long long i;
    double f;
    char *s;
    struct pylit *items;
    size_t n;
};

/* Parse all of TEXT as one value into *OUT (released with pylit_release).  On error:
 * -1, err_set("at offset N: expected ..."), *OUT is left empty (PYLIT_NONE). */
int pylit_parse(const char *text, struct pylit *out);
void pylit_release(struct pylit *v);
/* A deep copy of V into *OUT (released with pylit_release). */
void pylit_dup(const struct pylit *v, struct pylit *out);

/* The value of KEY in dict D, or NULL (also when D is not a dict or KEY's key is not a
 * string). */
const struct pylit *pylit_get(const struct pylit *d, const char *key);
/* The name of a kind, for errors: "string", "dict" ... */
const char *pylit_kind_name(enum pylit_kind k);

#endif
