/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pylit: a recursive-descent reader of Python literals (lib/pylit.h). */
#include "lib/pylit.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/strbuf.h"

struct rd {
    const char *s;
    size_t pos;
    int depth;
};

static int value(struct rd *r, struct pylit *out);

static void skip_space(struct rd *r)
{
    while (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' || r->s[r->pos] == '\n' ||
           r->s[r->pos] == '\r')
        r->pos++;
}

static int expected(const struct rd *r, const char *what)
{
    char c = r->s[r->pos];
    if (!c)
        err_set("at offset %zu: expected %s, got the end of the text", r->pos, what);
    else if (isprint((unsigned char)c))
        err_set("at offset %zu: expected %s, got '%c'", r->pos, what, c);
    else
        err_set("at offset %zu: expected %s, got byte 0x%02x", r->pos, what,
                (unsigned char)c);
    return -1;
}

/* Next non-space character is C: consume it. */
static bool accept(struct rd *r, char c)
{
    skip_space(r);
    if (r->s[r->pos] != c)
        return false;
    r->pos++;
    return true;
}

static bool is_name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static void add_utf8(struct strbuf *sb, unsigned long cp)
{
    if (cp < 0x80) {
        strbuf_addch(sb, (char)cp);
    } else if (cp < 0x800) {
        strbuf_addch(sb, (char)(0xc0 | (cp >> 6)));
        strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        strbuf_addch(sb, (char)(0xe0 | (cp >> 12)));
        strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
        strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
    } else {
        strbuf_addch(sb, (char)(0xf0 | (cp >> 18)));
        strbuf_addch(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
        strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
        strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
    }
}

/* An escaped character: a NUL would end the C string that carries the value, so the
 * value would silently be cut there. */
static int code_point(struct rd *r, struct strbuf *sb, unsigned long cp)
{
    if (!cp) {
        err_set("at offset %zu: a NUL character in a string is not supported", r->pos);
        return -1;
    }
    add_utf8(sb, cp);
    return 0;
}

/* N hex digits at P into *CP. */
static bool hex_digits(const char *p, int n, unsigned long *cp)
{
    *cp = 0;
    for (int i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)p[i]))
            return false;
        *cp = *cp * 16 + (unsigned long)(isdigit((unsigned char)p[i]) ? p[i] - '0'
                                                  : (tolower((unsigned char)p[i]) - 'a' + 10));
    }
    return true;
}

/* Python's escapes after a backslash at r->pos (which points past it).  Unknown ones
 * stay as written, backslash included, as Python keeps them. */
static int escape(struct rd *r, struct strbuf *sb)
{
    static const char simple[] = "\\\\''\"\"n\nt\tr\ra\ab\bf\fv\v";
    char c = r->s[r->pos];
    for (const char *p = simple; *p; p += 2) {
        if (c == p[0]) {
            strbuf_addch(sb, p[1]);
            r->pos++;
            return 0;
        }
    }
    if (c == '\n') {                    /* a continued line */
        r->pos++;
        return 0;
    }
    if (c >= '0' && c <= '7') {
        unsigned v = 0;
        for (int i = 0; i < 3 && r->s[r->pos] >= '0' && r->s[r->pos] <= '7'; i++)
            v = v * 8 + (unsigned)(r->s[r->pos++] - '0');
        return code_point(r, sb, v);
    }
    int n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (n) {
        unsigned long cp;
        if (!hex_digits(r->s + r->pos + 1, n, &cp) || cp > 0x10ffff) {
            r->pos++;
            return expected(r, n == 2 ? "two hex digits after \\x" : "a code point");
        }
        r->pos += 1 + (size_t)n;
        return code_point(r, sb, cp);
    }
    if (!c)
        return expected(r, "a character after '\\'");
    strbuf_addch(sb, '\\');
    return 0;
}

/* One quoted string at r->pos (after its optional r/u prefix), appended to SB. */
static int quoted(struct rd *r, struct strbuf *sb, bool raw)
{
    char q = r->s[r->pos++];
    bool triple = r->s[r->pos] == q && r->s[r->pos + 1] == q;
    if (triple)
        r->pos += 2;
    for (;;) {
        char c = r->s[r->pos];
        if (!c || (c == '\n' && !triple))
            return expected(r, triple ? "the end of a triple-quoted string"
                                      : "the closing quote of a string");
        if (c == q && (!triple || (r->s[r->pos + 1] == q && r->s[r->pos + 2] == q))) {
            r->pos += triple ? 3 : 1;
            return 0;
        }
        r->pos++;
        if (c != '\\') {
            strbuf_addch(sb, c);
        } else if (raw) {
            strbuf_addch(sb, '\\');
            if (r->s[r->pos])
                strbuf_addch(sb, r->s[r->pos++]);
        } else if (escape(r, sb) < 0) {
            return -1;
        }
    }
}

/* The length of a string prefix (r, u, R, U) before a quote at P, or -1. */
static int string_prefix(const char *p, bool *raw)
{
    *raw = false;
    if (*p == '\'' || *p == '"')
        return 0;
    if (*p && strchr("rRuU", *p) && (p[1] == '\'' || p[1] == '"')) {
        *raw = *p == 'r' || *p == 'R';
        return 1;
    }
    return -1;
}

/* Adjacent strings are one, as in Python: 'a' "b" is "ab". */
static int string(struct rd *r, struct pylit *out)
{
    struct strbuf sb = STRBUF_INIT;
    bool raw;
    do {
        r->pos += (size_t)string_prefix(r->s + r->pos, &raw);
        if (quoted(r, &sb, raw) < 0) {
            strbuf_release(&sb);
            return -1;
        }
        skip_space(r);
    } while (string_prefix(r->s + r->pos, &raw) >= 0);
    out->kind = PYLIT_STR;
    out->s = strbuf_detach(&sb, NULL);
    return 0;
}

static int number(struct rd *r, struct pylit *out)
{
    const char *start = r->s + r->pos;
    char *end;
    size_t len = strspn(start, "+-0123456789abcdefABCDEFxXoO_.");
    bool is_float = memchr(start, '.', len) ||
                    (!(len > 1 && (start[1] == 'x' || start[1] == 'X')) &&
                     (memchr(start, 'e', len) || memchr(start, 'E', len)));
    errno = 0;
    if (is_float) {
        out->f = strtod(start, &end);
        out->kind = PYLIT_FLOAT;
    } else {
        out->i = strtoll(start, &end, 0);
        out->kind = PYLIT_INT;
    }
    if (end == start || errno == ERANGE || is_name_char(*end)) {
        out->kind = PYLIT_NONE;
        return expected(r, errno == ERANGE ? "a number in range" : "a number");
    }
    r->pos += (size_t)(end - start);
    return 0;
}

/* ITEMS growing by one; returns the new, zeroed slot. */
static struct pylit *push(struct pylit *v, size_t *cap)
{
    if (v->n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        v->items = xrealloc(v->items, *cap * sizeof(*v->items));
    }
    memset(&v->items[v->n], 0, sizeof(v->items[v->n]));
    return &v->items[v->n++];
}

/* Values separated by commas up to CLOSE (a trailing comma allowed); in a dict each
 * is "key: value" and n counts pairs. */
static int sequence(struct rd *r, struct pylit *out, char close, bool pairs)
{
    size_t cap = 0, slots = 0;
    out->n = 0;
    if (pairs) {
        /* until it is whole, a dict is a list of its slots: that is how a half-read
         * one is released */
        out->kind = PYLIT_LIST;
    }
    while (!accept(r, close)) {
        if (slots && !accept(r, ','))
            return expected(r, close == ']' ? "',' or ']'" : close == '}' ? "',' or '}'"
                                                                          : "',' or ')'");
        if (accept(r, close))
            break;
        if (value(r, push(out, &cap)) < 0)
            return -1;
        if (pairs) {
            if (!accept(r, ':'))
                return expected(r, "':' after a dict key");
            if (value(r, push(out, &cap)) < 0)
                return -1;
        }
        slots = out->n;
    }
    if (pairs) {
        out->kind = PYLIT_DICT;
        out->n /= 2;
    }
    return 0;
}

/* A dotted name, with calls: params.get('k'), MigrationTest().do_cancel. */
static int name(struct rd *r, struct pylit *out)
{
    struct strbuf sb = STRBUF_INIT;
    for (;;) {
        size_t start = r->pos;
        while (is_name_char(r->s[r->pos]))
            r->pos++;
        strbuf_add(&sb, r->s + start, r->pos - start);
        if (r->s[r->pos] == '(' && out->kind != PYLIT_CALL) {
            r->pos++;
            out->kind = PYLIT_CALL;
            if (sequence(r, out, ')', false) < 0) {
                strbuf_release(&sb);
                return -1;
            }
            if (r->s[r->pos] != '.' || out->n)
                break;
            strbuf_addstr(&sb, "()");       /* X().attr: a name again */
            out->kind = PYLIT_NONE;
        }
        if (r->s[r->pos] != '.' || !is_name_start(r->s[r->pos + 1]))
            break;
        strbuf_addch(&sb, r->s[r->pos++]);
    }
    if (out->kind != PYLIT_CALL) {
        static const struct { const char *word; enum pylit_kind kind; bool b; } kw[] = {
            { "True", PYLIT_BOOL, true }, { "False", PYLIT_BOOL, false },
            { "None", PYLIT_NONE, false },
        };
        out->kind = PYLIT_NAME;
        for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
            if (!strcmp(sb.buf, kw[i].word)) {
                out->kind = kw[i].kind;
                out->b = kw[i].b;
                strbuf_release(&sb);
                return 0;
            }
        }
    }
    out->s = strbuf_detach(&sb, NULL);
    return 0;
}

static int primary(struct rd *r, struct pylit *out)
{
    bool raw;
    skip_space(r);
    const char *p = r->s + r->pos;
    if (string_prefix(p, &raw) >= 0)
        return string(r, out);
    if (is_name_start(*p))
        return name(r, out);
    if (isdigit((unsigned char)*p) || ((*p == '-' || *p == '+' || *p == '.') &&
                                       (isdigit((unsigned char)p[1]) || p[1] == '.')))
        return number(r, out);
    static const struct { char open, close; enum pylit_kind kind; } nest[] = {
        { '[', ']', PYLIT_LIST }, { '(', ')', PYLIT_LIST }, { '{', '}', PYLIT_DICT },
    };
    for (size_t i = 0; i < sizeof(nest) / sizeof(nest[0]); i++) {
        if (*p == nest[i].open) {
            r->pos++;
            out->kind = nest[i].kind;
            return sequence(r, out, nest[i].close, nest[i].kind == PYLIT_DICT);
        }
    }
    return expected(r, "a value");
}

/* primary [ '%' primary ] */
static int value(struct rd *r, struct pylit *out)
{
    if (++r->depth > PYLIT_MAX_DEPTH) {
        err_set("at offset %zu: nested deeper than %d", r->pos, PYLIT_MAX_DEPTH);
        return -1;
    }
    int rc = primary(r, out);
    if (rc == 0 && accept(r, '%')) {
        struct pylit lhs = *out;
        memset(out, 0, sizeof(*out));
        out->kind = PYLIT_FORMAT;
        out->items = xcalloc(2, sizeof(*out->items));
        out->n = 2;
        out->items[0] = lhs;
        rc = primary(r, &out->items[1]);
    }
    r->depth--;
    return rc;
}

int pylit_parse(const char *text, struct pylit *out)
{
    struct rd r = { .s = text };
    memset(out, 0, sizeof(*out));
    if (value(&r, out) == 0) {
        skip_space(&r);
        if (!r.s[r.pos])
            return 0;
        expected(&r, "the end of the value");
    }
    pylit_release(out);
    return -1;
}

void pylit_release(struct pylit *v)
{
    /* a dict's n counts pairs; its items are twice as many */
    size_t slots = v->kind == PYLIT_DICT ? v->n * 2 : v->n;
    for (size_t i = 0; i < slots; i++)
        pylit_release(&v->items[i]);
    free(v->items);
    free(v->s);
    memset(v, 0, sizeof(*v));
}

void pylit_dup(const struct pylit *v, struct pylit *out)
{
    size_t slots = v->kind == PYLIT_DICT ? v->n * 2 : v->n;
    *out = *v;
    out->s = v->s ? xstrdup(v->s) : NULL;
    out->items = slots ? xcalloc(slots, sizeof(*out->items)) : NULL;
    for (size_t i = 0; i < slots; i++)
        pylit_dup(&v->items[i], &out->items[i]);
}

const struct pylit *pylit_get(const struct pylit *d, const char *key)
{
    if (!d || d->kind != PYLIT_DICT)
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        const struct pylit *k = &d->items[2 * i];
        if (k->kind == PYLIT_STR && !strcmp(k->s, key))
            return &d->items[2 * i + 1];
    }
    return NULL;
}

const char *pylit_kind_name(enum pylit_kind k)
{
    static const char *const names[] = {
        [PYLIT_NONE] = "None", [PYLIT_BOOL] = "boolean", [PYLIT_INT] = "integer",
        [PYLIT_FLOAT] = "float", [PYLIT_STR] = "string", [PYLIT_NAME] = "name",
        [PYLIT_LIST] = "list", [PYLIT_DICT] = "dict", [PYLIT_CALL] = "call",
        [PYLIT_FORMAT] = "'%' expression",
    };
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "value";
}
