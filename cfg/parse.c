/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reader, lexer and parser of the Cartesian config language (SYNTAX.md 2-5).
 *
 * The lexer reproduces avocado-vt's token stream line by line (keyword detection, the
 * assignment fast path, char-wise lexing, "rest of the line as a string" after a
 * condition's colon or `include`); the parser has one function per statement kind and
 * builds the same inverted tree as the reference (cfg_int.h).  Errors longjmp to
 * cfg_parse_into() with "FILE:LINE: message" — like Lua's luaX_syntaxerror, the one
 * error path keeps the recursive descent readable; every allocation made so far is
 * owned by the cfg and freed with it.
 */
#include "cfg/cfg_int.h"
#include "lib/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 400          /* nested blocks / includes: far beyond real configs */
#define MAX_INCLUDE_DEPTH 64

/* ------------------------------------------------------------------ reader */

struct line {
    const char *s;      /* stripped text */
    size_t len;
    int indent;
    int num;
};

struct reader {
    const char *filename;   /* as the reference names it (errors, _name_map_file) */
    bool is_file;
    struct line *lines;
    size_t n, idx;
    bool has_stored;
    struct line stored;
};

struct parser;
static _Noreturn void perr(struct parser *P, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool is_linebreak(uint32_t c)
{
    return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) ||
           c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* Strip trailing whitespace (code points), expand tabs, count indentation. */
static void add_line(struct parser *P, struct reader *rd, const char *s, size_t len, int num);

static void reader_split(struct parser *P, struct reader *rd, const char *text, size_t len)
{
    size_t start = 0, i = 0;
    int num = 1;
    while (i < len) {
        uint32_t cp;
        size_t n = cfg_utf8_decode(text + i, len - i, &cp);
        if (!n)
            perr(P, rd->filename, num, "invalid UTF-8 text");
        if (is_linebreak(cp)) {
            add_line(P, rd, text + start, i - start, num);
            i += n;
            if (cp == '\r' && i < len && text[i] == '\n')
                i++;
            start = i;
            num++;
            continue;
        }
        i += n;
    }
    if (start < len)
        add_line(P, rd, text + start, len - start, num);
}

/* ------------------------------------------------------------------ tokens */

enum tk {
    T_INDENT, T_ENDBLOCK, T_ENDL, T_IDENT, T_WHITE, T_STRING, T_COLON, T_VARIANTS, T_DOT,
    T_VARIANT, T_DEFAULT, T_ONLY, T_NO, T_SUFFIX, T_JOIN, T_INCLUDE, T_DEL, T_NOTCOND,
    T_COMMA, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN,
    T_SET, T_APPEND, T_PREPEND, T_LAZY, T_RSET, T_RAPPEND, T_RPREPEND,
    T_COUNT
};
#define M(t) (1ull << (t))
#define M_OPS (M(T_SET) | M(T_APPEND) | M(T_PREPEND) | M(T_LAZY) | M(T_RSET) | \
               M(T_RAPPEND) | M(T_RPREPEND))

static const char *const tk_name[T_COUNT] = {
    "indent", "end of block", "end of line", "identifier", "blank", "string", "':'",
    "'variants'", "'.'", "'-'", "'@'", "'only'", "'no'", "'suffix'", "'join'",
    "'include'", "'del'", "'!'", "','", "'['", "']'", "'('", "')'",
    "'='", "'+='", "'<='", "'~='", "'?='", "'?+='", "'?<='",
};

struct tok {
    int t;
    const char *s;      /* IDENT, STRING: text (not NUL-terminated) */
    size_t len;
    int indent;
};

#define QMAX 8
struct lexer {
    struct reader *rd;
    const char *filename;
    int prev_indent;
    bool fast;
    bool in_line;       /* an INDENT was produced and ENDL not yet */
    bool started;       /* keyword detection done for the current line */
    bool done;          /* ENDL queued: the rest of the line is consumed */
    const char *line;
    size_t len;
    int linenum;
    size_t pos;         /* char-wise position */
    size_t after;       /* index after the last tokens_map token / keyword */
    struct strbuf chars;
    char oper[4];
    size_t noper;       /* may exceed sizeof(oper): then no valid operator */
    struct tok q[QMAX];
    size_t qh, qn;
    struct cfg_arena *scratch;
};

struct body {
    struct cfg_node **nodes;
    size_t n, alloc;
};

struct parser {
    struct cfg *c;
    jmp_buf jb;
    struct cfg_arena scratch;   /* per-statement temporaries (mark/rewind) */
    struct cfg_arena keep;      /* temporaries living across statements of a block */
    struct cfg_arena text;      /* a file's raw text, until it is split into lines */
    struct cfg_arena lines;     /* lines: parse time only */
    struct strbuf kb;           /* key text being built (survives a longjmp: no leak) */
    int depth;
    const char *incstack[MAX_INCLUDE_DEPTH + 1];
    const char *incfrom[MAX_INCLUDE_DEPTH + 1];
    int incline[MAX_INCLUDE_DEPTH + 1];
    int ninc;
    /* everything allocated with malloc during parsing that the cfg does not own yet */
    struct reader **readers;
    size_t nreaders, areaders;
    struct body **bodies;
    size_t nbodies, abodies;
    struct lexer **lexers;
    size_t nlexers, alexers;
};

static void perr(struct parser *P, const char *file, int line, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    strbuf_addf(&sb, "%s:%d: ", file, line);
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    err_set("%s", sb.buf);
    strbuf_release(&sb);
    longjmp(P->jb, 1);
}

static _Noreturn void lerr(struct parser *P, struct lexer *lx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void lerr(struct parser *P, struct lexer *lx, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    if (lx->line)
        strbuf_addf(&sb, ": '%.*s'", (int)(lx->len > 200 ? 200 : lx->len), lx->line);
    err_set("%s:%d: %s", lx->filename, lx->linenum, sb.buf);
    strbuf_release(&sb);
    longjmp(P->jb, 1);
}

static void add_line(struct parser *P, struct reader *rd, const char *s, size_t len, int num)
{
    /* rstrip */
    size_t end = len;
    while (end > 0) {
        size_t k = end - 1;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        uint32_t cp;
        if (!cfg_utf8_decode(s + k, end - k, &cp) || !cfg_unicode_isspace(cp))
            break;
        end = k;
    }
    /* expandtabs(8) + lstrip: indentation counted in code points */
    struct strbuf sb = STRBUF_INIT;
    size_t col = 0, i = 0;
    bool leading = true;
    int indent = 0;
    while (i < end) {
        uint32_t cp;
        size_t n = cfg_utf8_decode(s + i, end - i, &cp);
        if (!n)
            n = 1, cp = 0xFFFD;
        if (cp == '\t') {
            size_t sp = 8 - (col % 8);
            if (leading)
                indent += (int)sp;
            else
                for (size_t k = 0; k < sp; k++)
                    strbuf_addch(&sb, ' ');
            col += sp;
        } else {
            if (leading && cfg_unicode_isspace(cp))
                indent++;
            else {
                leading = false;
                strbuf_add(&sb, s + i, n);
            }
            col++;
        }
        i += n;
    }
    if (!sb.len || sb.buf[0] == '#' || (sb.len >= 2 && sb.buf[0] == '/' && sb.buf[1] == '/')) {
        strbuf_release(&sb);
        return;
    }
    if (rd->n % 256 == 0)
        rd->lines = xrealloc(rd->lines, (rd->n + 256) * sizeof(*rd->lines));
    struct line *l = &rd->lines[rd->n++];
    l->s = cfg_arena_strndup(&P->lines, sb.buf, sb.len);
    l->len = sb.len;
    l->indent = indent;
    l->num = num;
    strbuf_release(&sb);
}

static struct reader *reader_new(struct parser *P, const char *filename, bool is_file,
                                 const char *text, size_t len)
{
    struct reader *rd = xcalloc(1, sizeof(*rd));
    if (P->nreaders == P->areaders) {
        P->areaders = P->areaders ? P->areaders * 2 : 16;
        P->readers = xrealloc(P->readers, P->areaders * sizeof(*P->readers));
    }
    P->readers[P->nreaders++] = rd;
    rd->filename = cfg_arena_strndup(&P->c->arena, filename, strlen(filename));
    rd->is_file = is_file;
    reader_split(P, rd, text, len);
    return rd;
}

/* Next line of the current block (indent > prev_indent), or NULL. */
static const struct line *reader_next(struct reader *rd, int prev_indent, int *indent)
{
    if (rd->has_stored) {
        rd->has_stored = false;
        return &rd->stored;
    }
    if (rd->idx >= rd->n) {
        *indent = -1;
        return NULL;
    }
    const struct line *l = &rd->lines[rd->idx];
    if (l->indent <= prev_indent) {
        *indent = l->indent;
        return NULL;
    }
    rd->idx++;
    return l;
}

/* ------------------------------------------------------------------ lexer */

static void lx_push(struct lexer *lx, int t, const char *s, size_t len)
{
    struct tok *k = &lx->q[(lx->qh + lx->qn) % QMAX];
    k->t = t;
    k->s = s;
    k->len = len;
    k->indent = 0;
    lx->qn++;
}

static bool starts(const char *s, size_t len, const char *kw)
{
    size_t n = strlen(kw);
    return len >= n && memcmp(s, kw, n) == 0;
}

static size_t skip_space(const char *s, size_t len, size_t pos)
{
    while (pos < len) {
        uint32_t cp;
        size_t n = cfg_utf8_decode(s + pos, len - pos, &cp);
        if (!n || !cfg_unicode_isspace(cp))
            break;
        pos += n;
    }
    return pos;
}

static size_t rstrip_len(const char *s, size_t len)
{
    while (len > 0) {
        size_t k = len - 1;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        uint32_t cp;
        if (!cfg_utf8_decode(s + k, len - k, &cp) || !cfg_unicode_isspace(cp))
            break;
        len = k;
    }
    return len;
}

static int op_token(const char *o, size_t n)
{
    if (n == 0) return T_SET;
    if (n == 1 && o[0] == '~') return T_LAZY;
    if (n == 1 && o[0] == '+') return T_APPEND;
    if (n == 1 && o[0] == '<') return T_PREPEND;
    if (n == 1 && o[0] == '?') return T_RSET;
    if (n == 2 && o[0] == '?' && o[1] == '+') return T_RAPPEND;
    if (n == 2 && o[0] == '?' && o[1] == '<') return T_RPREPEND;
    return -1;
}

/* Keyword detection and the assignment fast path, at the first token of a line. */
static void lx_start_line(struct lexer *lx)
{
    const char *l = lx->line;
    size_t len = lx->len, pos = 0;
    lx->started = true;
    lx->done = false;
    strbuf_reset(&lx->chars);
    lx->noper = 0;
    switch (l[0]) {
    case 'v':
        if (starts(l, len, "variants:")) {
            lx_push(lx, T_VARIANTS, NULL, 0);
            lx_push(lx, T_COLON, NULL, 0);
            pos = 9;
        } else if (starts(l, len, "variants ")) {
            lx_push(lx, T_VARIANTS, NULL, 0);
            pos = 8;
        }
        break;
    case '-':
        lx_push(lx, T_VARIANT, NULL, 0);
        pos = 1;
        break;
    case 'o':
        if (starts(l, len, "only ")) {
            lx_push(lx, T_ONLY, NULL, 0);
            pos = skip_space(l, len, 4);
        }
        break;
    case 'n':
        if (starts(l, len, "no ")) {
            lx_push(lx, T_NO, NULL, 0);
            pos = skip_space(l, len, 2);
        }
        break;
    case 'i':
        if (starts(l, len, "include ")) {
            lx_push(lx, T_INCLUDE, NULL, 0);
            pos = 7;
        }
        break;
    case 'd':
        if (starts(l, len, "del ")) {
            lx_push(lx, T_DEL, NULL, 0);
            pos = skip_space(l, len, 3);
        }
        break;
    case 's':
        if (starts(l, len, "suffix ")) {
            lx_push(lx, T_SUFFIX, NULL, 0);
            pos = skip_space(l, len, 6);
        }
        break;
    case 'j':
        if (starts(l, len, "join ")) {
            lx_push(lx, T_JOIN, NULL, 0);
            pos = skip_space(l, len, 4);
        }
        break;
    }
    lx->pos = pos;
    lx->after = pos;
    if (lx->fast && pos == 0) {
        const char *colon = memchr(l, ':', len);
        long cind = colon ? (long)(colon - l) : -1;
        for (size_t i = 0; i < len; i++) {
            size_t ol = 0;
            int t = -1;
            char ch = l[i];
            if (ch == '=') { t = T_SET; ol = 1; }
            else if ((ch == '+' || ch == '<' || ch == '~') && i + 1 < len && l[i + 1] == '=') {
                t = ch == '+' ? T_APPEND : ch == '<' ? T_PREPEND : T_LAZY;
                ol = 2;
            } else if (ch == '?' && i + 1 < len) {
                if (l[i + 1] == '=') { t = T_RSET; ol = 2; }
                else if (i + 2 < len && l[i + 2] == '=' && (l[i + 1] == '+' || l[i + 1] == '<')) {
                    t = l[i + 1] == '+' ? T_RAPPEND : T_RPREPEND;
                    ol = 3;
                }
            }
            if (t < 0)
                continue;
            if (cind < 0 || cind > (long)(i + ol)) {
                size_t vs = skip_space(l, len, i + ol);
                lx_push(lx, T_IDENT, l, rstrip_len(l, i));
                lx_push(lx, t, NULL, 0);
                lx_push(lx, T_STRING, l + vs, len - vs);
                lx_push(lx, T_ENDL, NULL, 0);
                lx->done = true;
            }
            break;
        }
    }
}

static bool is_ident_cp(uint32_t cp)
{
    return cp == '_' || cp == '-' || cfg_unicode_isalnum(cp);
}

static void flush_chars(struct lexer *lx)
{
    if (lx->chars.len) {
        lx_push(lx, T_IDENT, cfg_arena_strndup(lx->scratch, lx->chars.buf, lx->chars.len),
                lx->chars.len);
        strbuf_reset(&lx->chars);
    }
}

/* Char-wise lexing until at least one token is queued (reference Lexer.match). */
static void lx_chars(struct parser *P, struct lexer *lx)
{
    const char *l = lx->line;
    size_t len = lx->len;
    while (!lx->qn) {
        if (lx->pos >= len) {
            flush_chars(lx);
            lx_push(lx, T_ENDL, NULL, 0);
            lx->done = true;
            return;
        }
        uint32_t cp;
        size_t n = cfg_utf8_decode(l + lx->pos, len - lx->pos, &cp);
        if (!n)
            n = 1, cp = 0xFFFD;
        if (is_ident_cp(cp)) {
            strbuf_add(&lx->chars, l + lx->pos, n);
            lx->pos += n;
            continue;
        }
        if (cp == '+' || cp == '<' || cp == '?' || cp == '~') {
            if (lx->chars.len) {
                flush_chars(lx);
                lx->noper = 0;
            }
            if (lx->noper < sizeof(lx->oper))
                lx->oper[lx->noper] = (char)cp;
            lx->noper++;
            lx->pos += n;
            continue;
        }
        flush_chars(lx);
        if (cfg_unicode_isspace(cp)) {
            size_t p = lx->pos + n;
            while (p < len) {
                size_t n2 = cfg_utf8_decode(l + p, len - p, &cp);
                if (!n2)
                    n2 = 1, cp = 0xFFFD;
                if (!cfg_unicode_isspace(cp)) {
                    n = n2;
                    break;
                }
                p += n2;
            }
            if (p >= len) {
                lx->pos = len;
                continue;
            }
            lx_push(lx, T_WHITE, NULL, 0);
            lx->pos = p;
        }
        size_t at = lx->pos;
        lx->pos += n;
        if (is_ident_cp(cp)) {
            /* chars was flushed above; a string's text may remain (reference quirk) */
            strbuf_add(&lx->chars, l + at, n);
            continue;
        }
        switch (cp) {
        case '=': {
            int t = lx->noper <= sizeof(lx->oper) ? op_token(lx->oper, lx->noper) : -1;
            if (t < 0)
                lerr(P, lx, "unexpected character '=' at position %zu: only =, +=, <=, ~=, "
                     "?=, ?+=, ?<= are operators", at);
            lx_push(lx, t, NULL, 0);
            lx->noper = 0;
            break;
        }
        case '-': case '.': case ':': case '@': case ',': case '[': case ']': case '(':
        case ')': case '!': {
            static const struct { char c; int t; } map[] = {
                { '-', T_VARIANT }, { '.', T_DOT }, { ':', T_COLON }, { '@', T_DEFAULT },
                { ',', T_COMMA }, { '[', T_LBRACK }, { ']', T_RBRACK }, { '(', T_LPAREN },
                { ')', T_RPAREN }, { '!', T_NOTCOND },
            };
            for (size_t k = 0; k < ARRAY_SIZE(map); k++)
                if (map[k].c == (char)cp)
                    lx_push(lx, map[k].t, NULL, 0);
            lx->after = lx->pos;
            return;
        }
        case '"': {
            const char *q = memchr(l + lx->pos, '"', len - lx->pos);
            if (!q)
                lerr(P, lx, "unterminated string: expected a closing '\"'");
            /* SYNTAX.md 5: a quoted atom value is one token (the reference also
             * re-emits its text as an identifier, which only breaks such filters) */
            strbuf_reset(&lx->chars);
            lx_push(lx, T_STRING, l + lx->pos, (size_t)(q - (l + lx->pos)));
            lx->pos = (size_t)(q - l) + 1;
            break;
        }
        case '#':
            lx->pos = len;
            flush_chars(lx);
            lx_push(lx, T_ENDL, NULL, 0);
            lx->done = true;
            return;
        default:
            if (cp == '+' || cp == '<' || cp == '?' || cp == '~') {
                if (lx->noper < sizeof(lx->oper))
                    lx->oper[lx->noper] = (char)cp;
                lx->noper++;
                break;
            }
            lerr(P, lx, "unexpected character '%.*s' at position %zu: special characters are "
                 "allowed only in assignments", (int)n, l + at, at);
        }
    }
}

static struct lexer *lexer_new(struct parser *P, struct reader *rd)
{
    struct lexer *lx = xcalloc(1, sizeof(*lx));
    if (P->nlexers == P->alexers) {
        P->alexers = P->alexers ? P->alexers * 2 : 16;
        P->lexers = xrealloc(P->lexers, P->alexers * sizeof(*P->lexers));
    }
    P->lexers[P->nlexers++] = lx;
    lx->rd = rd;
    lx->scratch = &P->scratch;
    lx->filename = rd->filename;
    strbuf_init(&lx->chars, 64);
    return lx;
}

static struct tok lx_next(struct parser *P, struct lexer *lx)
{
    struct tok k;
    if (!lx->in_line) {
        int indent = -1;
        const struct line *l = reader_next(lx->rd, lx->prev_indent, &indent);
        memset(&k, 0, sizeof(k));
        if (!l) {
            k.t = T_ENDBLOCK;
            k.indent = indent;
            return k;
        }
        lx->line = l->s;
        lx->len = l->len;
        lx->linenum = l->num;
        lx->in_line = true;
        lx->started = false;
        lx->qh = lx->qn = 0;
        k.t = T_INDENT;
        k.indent = l->indent;
        return k;
    }
    if (!lx->started)
        lx_start_line(lx);
    if (!lx->qn && !lx->done)
        lx_chars(P, lx);
    k = lx->q[lx->qh];
    lx->qh = (lx->qh + 1) % QMAX;
    lx->qn--;
    if (k.t == T_ENDL)
        lx->in_line = false;
    return k;
}

/* The rest of the line after the last keyword / ':' token, left-stripped. */
static struct tok lx_rest_string(struct parser *P, struct lexer *lx)
{
    struct tok k = { .t = T_STRING };
    (void)P;
    size_t p = skip_space(lx->line, lx->len, lx->after);
    k.s = lx->line + p;
    k.len = lx->len - p;
    lx->qn = 0;
    lx->qh = 0;
    lx_push(lx, T_ENDL, NULL, 0);
    lx->done = true;
    lx->started = true;
    return k;
}

static struct tok lx_next_nw(struct parser *P, struct lexer *lx)
{
    struct tok k;
    do
        k = lx_next(P, lx);
    while (k.t == T_WHITE);
    return k;
}

static void expect_names(struct strbuf *sb, uint64_t mask)
{
    bool first = true;
    for (int t = 0; t < T_COUNT; t++) {
        if (!(mask & M(t)))
            continue;
        strbuf_addf(sb, "%s%s", first ? "" : ", ", tk_name[t]);
        first = false;
    }
}

static _Noreturn void unexpected(struct parser *P, struct lexer *lx, uint64_t mask, struct tok k)
{
    struct strbuf sb = STRBUF_INIT;
    expect_names(&sb, mask);
    char *s = strbuf_detach(&sb, NULL);
    const char *what = tk_name[k.t];
    /* the message is built before the longjmp: the copy lives in the arena */
    char *c = cfg_arena_strndup(&P->c->arena, s, strlen(s));
    free(s);
    if (k.t == T_IDENT || k.t == T_STRING)
        lerr(P, lx, "expected %s, found %s '%.*s'", c, what, (int)(k.len > 80 ? 80 : k.len), k.s);
    lerr(P, lx, "expected %s, found %s", c, what);
}

static struct tok expect(struct parser *P, struct lexer *lx, struct tok k, uint64_t mask)
{
    if (!(mask & M(k.t)))
        unexpected(P, lx, mask, k);
    return k;
}

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
        *a = *a ? *a * 2 : 4;
        *v = xrealloc(*v, *a * sizeof(**v));
    }
    (*v)[(*n)++] = it;
}

static void add_child(struct cfg_node *n, struct cfg_node *ch, bool front)
{
    if (n->nchildren == n->achildren) {
        n->achildren = n->achildren ? n->achildren * 2 : 4;
        n->children = xrealloc(n->children, n->achildren * sizeof(*n->children));
    }
    if (front) {
        memmove(n->children + 1, n->children, n->nchildren * sizeof(*n->children));
        n->children[0] = ch;
    } else
        n->children[n->nchildren] = ch;
    n->nchildren++;
}

static void body_add(struct body *b, struct cfg_node *n)
{
    if (!b)
        return;
    if (b->n == b->alloc) {
        b->alloc = b->alloc ? b->alloc * 2 : 4;
        b->nodes = xrealloc(b->nodes, b->alloc * sizeof(*b->nodes));
    }
    b->nodes[b->n++] = n;
}

static struct body *body_new(struct parser *P)
{
    struct body *b = xcalloc(1, sizeof(*b));
    if (P->nbodies == P->abodies) {
        P->abodies = P->abodies ? P->abodies * 2 : 16;
        P->bodies = xrealloc(P->bodies, P->abodies * sizeof(*P->bodies));
    }
    P->bodies[P->nbodies++] = b;
    return b;
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

static char *tokdup(struct parser *P, struct tok k)
{
    return cfg_arena_strndup(&P->c->arena, k.s ? k.s : "", k.len);
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
    default: strbuf_addstr(sb, tk_name[k.t]); break;
    }
}

/* ------------------------------------------------------------------ filters */

struct tokv {
    struct tok *v;
    size_t n, a;
    struct cfg_arena *A;
};

/* Grows in the scratch arena: nothing to free, nothing leaked by a longjmp. */
static void *grow(struct cfg_arena *A, void *old, size_t oldn, size_t newn, size_t sz)
{
    void *p = cfg_arena_alloc(A, newn * sz);
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
    struct tok k = expect(P, lx, NEXT(), M(T_IDENT) | M(T_LPAREN) | M(T_ENDL) | M(T_WHITE));
    int dots = 1;
    /* and_filter has chains, con_filter is the chain in progress */
    size_t and_chains = 0;      /* chains ended in the current term */
    bool con = false;           /* con_filter non-empty */
    while (k.t != T_ENDL) {
        if (k.t == T_IDENT || k.t == T_LPAREN) {
            struct cfg_label a;
            if (k.t == T_LPAREN) {
                struct tok id = expect(P, lx, NEXT_NW(), M(T_IDENT));
                struct tok t2 = expect(P, lx, NEXT_NW(), M(T_SET) | M(T_RPAREN));
                if (t2.t == T_RPAREN) {
                    a.var = CFG_NONE;
                    a.val = cfg_str_intern(&P->c->strs, id.s, id.len);
                    a.lid = cfg_label_id(P->c, a.var, a.val);
                } else {
                    struct tok v = expect(P, lx, NEXT_NW(), M(T_IDENT) | M(T_STRING));
                    expect(P, lx, NEXT_NW(), M(T_RPAREN));
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
                    lerr(P, lx, "syntax error: expected an identifier before '..'");
                fb_end_chain(&b);
                and_chains++;
                fb_atom(&b, a);
                con = true;
            } else
                lerr(P, lx, "syntax error: expected '.' between identifiers");
            dots = 0;
        } else if (k.t == T_DOT) {
            dots++;
        } else if (k.t == T_COMMA || k.t == T_WHITE) {
            if (dots > 0)
                lerr(P, lx, "syntax error: expected an identifier between '.' and ','");
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
                lerr(P, lx, "syntax error: expected ',' between identifiers");
            dots = 1;
            k = NEXT_NW();
            k = expect(P, lx, k, M(T_IDENT) | M(T_COMMA) | M(T_DOT) | M(T_LPAREN) | M(T_ENDL));
            continue;
        }
        k = expect(P, lx, NEXT(), M(T_IDENT) | M(T_COMMA) | M(T_DOT) | M(T_LPAREN) | M(T_ENDL) |
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
        struct tok k = lx_next(P, lx);
        if (nw && k.t == T_WHITE)
            continue;
        if (k.t == T_INDENT || k.t == T_ENDBLOCK)   /* cannot happen within a line */
            lerr(P, lx, "unexpected end of line");
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

static struct cfg_node *parse_block(struct parser *P, struct lexer *lx, struct target t,
                                    int prev_indent, struct body *body)
{
    struct cfg *c = P->c;
    const uint64_t block_allowed = M(T_VARIANTS) | M(T_IDENT) | M(T_ONLY) | M(T_NO) |
                                   M(T_INCLUDE) | M(T_DEL) | M(T_NOTCOND) | M(T_SUFFIX) |
                                   M(T_JOIN);
    uint64_t allowed = block_allowed;
    int var_indent = 0;
    const char *var_name = NULL;     /* NULL or "" = unnamed */
    size_t var_name_len = 0;
    struct meta_default meta = { 0 };
    bool meta_has_default = false;
    struct cfg_item suffix = { .kind = 255 };
    struct run run = { .A = &P->keep };
    int vline = 0;

    if (++P->depth > MAX_DEPTH)
        lerr(P, lx, "blocks nested deeper than %d levels", MAX_DEPTH);
    struct cfg_arena_mark stmt_mark = cfg_arena_mark(&P->scratch);
    lx->fast = true;
    for (;;) {
        /* statement temporaries die with the statement (nested blocks rewind theirs) */
        cfg_arena_rewind(&P->scratch, stmt_mark);
        lx->prev_indent = prev_indent;
        struct tok k = lx_next(P, lx);
        if (k.t == T_ENDBLOCK) {
            if (suffix.kind != 255)
                add_item(&t, suffix);
            break;
        }
        expect(P, lx, k, M(T_INDENT));
        int indent = k.indent;
        k = lx_next(P, lx);
        expect(P, lx, k, allowed);

        if (k.t == T_IDENT) {
            struct tok first = k;
            struct tokv id = { .A = &P->scratch };
            collect(P, lx, &id, M_OPS | M(T_COLON) | M(T_ENDL), true);
            struct tok last = id.v[id.n - 1];
            if (M(last.t) & M_OPS) {
                struct strbuf *key = &P->kb;
                strbuf_reset(key);
                if (id.n == 1)
                    strbuf_add(key, first.s, first.len);
                else {
                    tok_text(key, first);
                    for (size_t i = 0; i + 1 < id.n; i++)
                        tok_text(key, id.v[i]);
                }
                struct tok v = lx_next(P, lx);
                if (v.t != T_STRING)
                    unexpected(P, lx, M(T_STRING), v);
                const char *val = v.s;
                size_t vlen = v.len;
                if (vlen && ((val[0] == '"' && val[vlen - 1] == '"') ||
                             (val[0] == '\'' && val[vlen - 1] == '\''))) {
                    if (vlen == 1)
                        vlen = 0;
                    else {
                        val++;
                        vlen -= 2;
                    }
                }
                struct cfg_op *op = cfg_arena_alloc(&c->arena, sizeof(*op));
                op->kind = (uint8_t)(last.t == T_SET ? OP_SET : last.t == T_APPEND ? OP_APPEND :
                           last.t == T_PREPEND ? OP_PREPEND : last.t == T_LAZY ? OP_LAZY :
                           last.t == T_RSET ? OP_RSET : last.t == T_RAPPEND ? OP_RAPPEND :
                           OP_RPREPEND);
                op->value = cfg_arena_strndup(&c->arena, val, vlen);
                op->vlen = (uint32_t)vlen;
                op->has_dollar = memchr(val, '$', vlen) != NULL;
                op->file = lx->filename;
                op->line = lx->linenum;
                op->keytext = cfg_arena_strndup(&c->arena, key->buf, key->len);
                op->keylen = (uint32_t)key->len;
                op->key = cfg_key_plain(&c->keys, key->buf, key->len);
                if (op->kind >= OP_RSET) {
                    char eb[300];
                    op->re = cfg_regex_compile(op->keytext, op->keylen, true, eb, sizeof(eb));
                    if (!op->re)
                        lerr(P, lx, "bad regular expression '%s': %s", op->keytext, eb);
                    register_op(P, op);
                }
                /* avocado batches plain '=' without '$' (pre_dict); an operator on a key
                 * of the batch is applied to the batch only (SYNTAX 16.17) */
                if (op->kind == OP_SET && !op->has_dollar) {
                    if (op->key >= K_NRESERVED)
                        run_add(&run, op->key);
                } else if (run.n && run_has(&run, op->key) && !op->has_dollar) {
                    if (op->kind >= OP_RSET) {
                        op->scoped = true;
                        op->nscope = (uint32_t)run.n;
                        op->scope = cfg_arena_alloc(&c->arena, run.n * sizeof(uint32_t));
                        memcpy(op->scope, run.keys, run.n * sizeof(uint32_t));
                    }
                } else
                    run_reset(&run);
                add_item(&t, (struct cfg_item){ .kind = CI_OP, .line = lx->linenum,
                                                .file = lx->filename, .u.op = op });
                expect(P, lx, lx_next(P, lx), M(T_ENDL));
            } else if (last.t == T_COLON) {
                struct tokv ft = { .A = &P->scratch };
                tv_push(&ft, first);
                for (size_t i = 0; i + 1 < id.n; i++)
                    tv_push(&ft, id.v[i]);
                struct cfg_filter *f = parse_filter(P, lx, &ft);
                struct tok rest = lx_rest_string(P, lx);
                int ln = lx->linenum;
                if (rest.len) {
                    lx->rd->has_stored = true;
                    lx->rd->stored.s = rest.s;
                    lx->rd->stored.len = rstrip_len(rest.s, rest.len);
                    lx->rd->stored.indent = indent + 1;
                    lx->rd->stored.num = ln;
                }
                expect(P, lx, lx_next(P, lx), M(T_ENDL));
                struct cfg_cond *cond = cfg_arena_alloc(&c->arena, sizeof(*cond));
                cond->f = f;
                cond->has_filter = -1;
                if (c->nconds == c->aconds) {
                    c->aconds = c->aconds ? c->aconds * 2 : 64;
                    c->conds = xrealloc(c->conds, c->aconds * sizeof(*c->conds));
                }
                c->conds[c->nconds++] = cond;
                parse_block(P, lx, (struct target){ .node = t.node, .cond = cond }, indent, NULL);
                run_reset(&run);
                add_item(&t, (struct cfg_item){ .kind = CI_COND, .line = ln,
                                                .file = lx->filename, .u.cond = cond });
            } else {
                lerr(P, lx, "syntax error: expected ':' or an operator after '%.*s'",
                     (int)(first.len > 80 ? 80 : first.len), first.s);
            }
        } else if (k.t == T_VARIANT) {
            run_reset(&run);
            bool already_default = false;
            bool expand = false;
            for (char **e = c->expand; e && *e; e++)
                if (var_name && strlen(*e) == var_name_len && memcmp(*e, var_name, var_name_len) == 0)
                    expand = true;
            struct cfg_node *node4 = node_new(P);
            struct cfg_node *prevcur = t.node;
            uint32_t first_item = c->nitems;
            bool first_loop = true;
            struct cfg_arena_mark item_mark = cfg_arena_mark(&P->scratch);
            for (;;) {
                cfg_arena_rewind(&P->scratch, item_mark);
                lx->prev_indent = var_indent;
                struct tok nt;
                if (first_loop)
                    nt = expect(P, lx, lx_next_nw(P, lx), M(T_IDENT) | M(T_DEFAULT));
                else {
                    nt = lx_next_nw(P, lx);
                    expect(P, lx, nt, M(T_IDENT) | M(T_DEFAULT) | M(T_INDENT) | M(T_ENDBLOCK));
                    if (nt.t == T_ENDBLOCK)
                        break;
                    if (nt.t == T_INDENT) {
                        expect(P, lx, lx_next_nw(P, lx), M(T_VARIANT));
                        nt = expect(P, lx, lx_next_nw(P, lx), M(T_IDENT) | M(T_DEFAULT));
                    }
                }
                first_loop = false;
                bool is_default = nt.t == T_DEFAULT;
                struct tokv nm = { .A = &P->scratch };
                if (!is_default)
                    tv_push(&nm, nt);
                for (;;) {
                    struct tok x = lx_next(P, lx);
                    if (x.t == T_COLON)
                        break;
                    if (x.t != T_IDENT && x.t != T_DOT) {
                        unexpected(P, lx, M(T_IDENT) | M(T_DOT) | M(T_COLON), x);
                    }
                    tv_push(&nm, x);
                }
                /* labels = the identifiers; raw name (with dots) for [default=] */
                uint32_t nlab = 0;
                for (size_t i = 0; i < nm.n; i++)
                    if (nm.v[i].t == T_IDENT)
                        nlab++;
                uint32_t *vals = cfg_arena_alloc(&c->arena, (nlab + 1) * sizeof(uint32_t));
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
                /* deps */
                struct tok d = lx_next_nw(P, lx);
                struct cfg_filter *deps = NULL;
                if (d.t != T_ENDL) {
                    struct tokv dt = { .A = &P->scratch };
                    tv_push(&dt, d);
                    collect(P, lx, &dt, M(T_ENDL), false);
                    deps = parse_filter(P, lx, &dt);
                }
                /* item number and label occurrences (pruning) */
                uint32_t item_no = c->nitems++;
                uint32_t var_sid = var_name && var_name_len ?
                                   cfg_str_intern(&c->strs, var_name, var_name_len) : CFG_NONE;
                uint32_t *labs = cfg_arena_alloc(&c->arena, (nlab + 1) * sizeof(uint32_t));
                for (uint32_t i = 0; i < nlab; i++) {
                    labs[i] = cfg_label_id(c, var_sid, vals[i]);
                    uint32_t vv = vals[i], ll = labs[i];
                    if (vv >= c->nocc_valtab) {
                        size_t nn = c->nocc_valtab ? c->nocc_valtab : 256;
                        while (nn <= vv) nn *= 2;
                        c->occ_val = xrealloc(c->occ_val, nn * sizeof(*c->occ_val));
                        c->nocc_val = xrealloc(c->nocc_val, nn * sizeof(*c->nocc_val));
                        c->aocc_val = xrealloc(c->aocc_val, nn * sizeof(*c->aocc_val));
                        for (size_t z = c->nocc_valtab; z < nn; z++)
                            c->occ_val[z] = NULL, c->nocc_val[z] = 0, c->aocc_val[z] = 0;
                        c->nocc_valtab = nn;
                    }
                    if (!c->nocc_val[vv] || c->occ_val[vv][c->nocc_val[vv] - 1] != item_no) {
                        if (c->nocc_val[vv] == c->aocc_val[vv]) {
                            c->aocc_val[vv] = c->aocc_val[vv] ? c->aocc_val[vv] * 2 : 4;
                            c->occ_val[vv] = xrealloc(c->occ_val[vv], c->aocc_val[vv] * sizeof(uint32_t));
                        }
                        c->occ_val[vv][c->nocc_val[vv]++] = item_no;
                    }
                    if (ll >= c->nocc_labtab) {
                        size_t nn = c->nocc_labtab ? c->nocc_labtab : 256;
                        while (nn <= ll) nn *= 2;
                        c->occ_lab = xrealloc(c->occ_lab, nn * sizeof(*c->occ_lab));
                        c->nocc_lab = xrealloc(c->nocc_lab, nn * sizeof(*c->nocc_lab));
                        c->aocc_lab = xrealloc(c->aocc_lab, nn * sizeof(*c->aocc_lab));
                        for (size_t z = c->nocc_labtab; z < nn; z++)
                            c->occ_lab[z] = NULL, c->nocc_lab[z] = 0, c->aocc_lab[z] = 0;
                        c->nocc_labtab = nn;
                    }
                    if (!c->nocc_lab[ll] || c->occ_lab[ll][c->nocc_lab[ll] - 1] != item_no) {
                        if (c->nocc_lab[ll] == c->aocc_lab[ll]) {
                            c->aocc_lab[ll] = c->aocc_lab[ll] ? c->aocc_lab[ll] * 2 : 4;
                            c->occ_lab[ll] = xrealloc(c->occ_lab[ll], c->aocc_lab[ll] * sizeof(uint32_t));
                        }
                        c->occ_lab[ll][c->nocc_lab[ll]++] = item_no;
                    }
                }
                struct cfg_node *node2 = node_new(P);
                add_child(node2, t.node, false);
                node2->rup = prevcur;
                if (var_name && var_name_len) {
                    struct cfg_op *op = cfg_arena_alloc(&c->arena, sizeof(*op));
                    op->kind = OP_SET;
                    op->key = cfg_key_plain(&c->keys, var_name, var_name_len);
                    op->keytext = c->keys.k[op->key].text;
                    op->keylen = (uint32_t)var_name_len;
                    op->value = dotted_s;
                    op->vlen = (uint32_t)dotted_len;
                    op->file = lx->filename;
                    op->line = item_line;
                    add_item(&(struct target){ .node = node2 },
                             (struct cfg_item){ .kind = CI_OP, .line = item_line,
                                                .file = lx->filename, .u.op = op });
                }
                struct body *ib = body_new(P);
                body_add(ib, node2);
                const char *item_file = lx->filename;
                struct cfg_node *node3 = parse_block(P, lx, (struct target){ .node = node2 },
                                                     indent, ib);
                node3->name = labs;
                node3->nname = nlab;
                node3->dep = deps;
                if (meta_has_default) {
                    for (size_t i = 0; i < meta.n; i++) {
                        if (cmd_tokens(&meta.v[i], nm.v, nm.n)) {
                            is_default = true;
                                                        memmove(&meta.v[i], &meta.v[i + 1], (meta.n - i - 1) * sizeof(*meta.v));
                            meta.n--;
                            /* the reference removes while iterating: the next one is skipped */
                        }
                    }
                }
                if (is_default && !already_default && !expand) {
                    node3->is_default = true;
                    already_default = true;
                }
                node3->append_to_shortname = !is_default;
                body_hoist(P, ib, node3);
                /* labels reachable below the item: its nested items, then prevcur's */
                if (node3 != node2) {
                    node3->rlo = item_no + 1;
                    node3->rhi = c->nitems - 1;
                    node3->rup = node2->rup;
                }
                /* _name_map_file / _short_name_map_file updates */
                struct strbuf ln = STRBUF_INIT, sn = STRBUF_INIT;
                for (uint32_t i = 0; i < nlab; i++) {
                    const struct cfg_label *L = &c->labels[labs[i]];
                    if (i) {
                        strbuf_addch(&ln, '.');
                        strbuf_addch(&sn, '.');
                    }
                    if (L->var != CFG_NONE)
                        strbuf_addf(&ln, "(%s=%s)", c->strs.s[L->var], c->strs.s[L->val]);
                    else
                        strbuf_addstr(&ln, c->strs.s[L->val]);
                    strbuf_addstr(&sn, c->strs.s[L->val]);
                }
                uint32_t fsid = cfg_str_intern(&c->strs, base_name(item_file), strlen(base_name(item_file)));
                for (int w = 0; w < 2; w++) {
                    struct cfg_op *op = cfg_arena_alloc(&c->arena, sizeof(*op));
                    struct strbuf *s = w ? &sn : &ln;
                    op->kind = (uint8_t)(w ? OP_SFILEMAP : OP_FILEMAP);
                    op->key = w ? K_SNAMEMAP : K_NAMEMAP;
                    op->sid = fsid;
                    op->value = cfg_arena_strndup(&c->arena, s->buf, s->len);
                    op->vlen = (uint32_t)s->len;
                    op->file = item_file;
                    op->line = item_line;
                    add_item(&(struct target){ .node = node3 },
                             (struct cfg_item){ .kind = CI_OP, .line = item_line,
                                                .file = item_file, .u.op = op });
                }
                strbuf_release(&ln);
                strbuf_release(&sn);
                add_child(node4, node3, node3->is_default && c->opts.defaults);
            }
            if (meta_has_default && meta.n) {
                struct strbuf sb = STRBUF_INIT;
                for (size_t i = 0; i < meta.n; i++) {
                    strbuf_addstr(&sb, i ? ", '" : "'");
                    for (size_t j = 0; j < meta.v[i].n; j++)
                        tok_text(&sb, meta.v[i].v[j]);
                    strbuf_addch(&sb, '\'');
                }
                char *m = cfg_arena_strndup(&c->arena, sb.buf, sb.len);
                strbuf_release(&sb);
                perr(P, lx->filename, vline, "missing default variant %s: no item of this "
                     "block has that name", m);
            }
            for (size_t i = 0; i < meta.n; i++)
                            meta.n = 0;
            allowed = block_allowed;
            node4->rlo = first_item;
            node4->rhi = c->nitems - 1;
            node4->rup = prevcur;
            t.node = node4;
            body_add(body, node4);
        } else if (k.t == T_VARIANTS) {
            if (t.cond)
                lerr(P, lx, "'variants' is not allowed inside a conditional block");
            lx->fast = false;
            vline = lx->linenum;
            struct tokv tv = { .A = &P->scratch };
            collect(P, lx, &tv, M(T_LBRACK) | M(T_COLON) | M(T_IDENT) | M(T_ENDL), true);
            int vt = tv.v[tv.n - 1].t;
            var_name = "";
            var_name_len = 0;
            for (size_t i = 0; i < meta.n; i++)
                            meta.n = 0;
            meta_has_default = false;
            bool meta_default_bad = false;
            while (vt != T_COLON && vt != T_ENDL) {
                if (vt == T_IDENT) {
                    if (var_name_len) {
                        lerr(P, lx, "syntax error: expected '[' or ':' after the block name");
                    }
                    struct strbuf vn = STRBUF_INIT;
                    tok_text(&vn, tv.v[0]);
                    var_name = cfg_arena_strndup(&c->arena, vn.buf, vn.len);
                    var_name_len = vn.len;
                    strbuf_release(&vn);
                } else if (vt == T_LBRACK) {
                    struct tok ident = expect(P, lx, lx_next_nw(P, lx), M(T_IDENT));
                    struct tok t2 = expect(P, lx, lx_next_nw(P, lx), M(T_SET) | M(T_RBRACK));
                    bool is_def = ident.len == 7 && memcmp(ident.s, "default", 7) == 0;
                    if (t2.t == T_RBRACK) {
                        if (is_def) {
                            meta_has_default = true;
                            meta_default_bad = true;
                        }
                    } else {
                        struct tokv mv = { .A = &P->scratch };
                        collect(P, lx, &mv, M(T_RBRACK) | M(T_ENDL), true);
                        if (mv.v[mv.n - 1].t != T_RBRACK) {
                            lerr(P, lx, "syntax error: expected ']'");
                        }
                        mv.n--;
                        if (is_def) {
                            meta_has_default = true;
                            if (meta.n == meta.a) {
                                size_t na = meta.a ? meta.a * 2 : 4;
                                meta.v = grow(&P->keep, meta.v, meta.n, na, sizeof(*meta.v));
                                meta.a = na;
                            }
                            /* the tokens outlive this statement */
                            struct tok *kv = grow(&P->keep, NULL, 0, mv.n + 1, sizeof(*kv));
                            memcpy(kv, mv.v, mv.n * sizeof(*kv));
                            for (size_t z = 0; z < mv.n; z++)
                                if (kv[z].s)
                                    kv[z].s = cfg_arena_strndup(&P->keep, kv[z].s, kv[z].len);
                            mv.v = kv;
                            meta.v[meta.n++] = mv;
                        }
                    }
                }
                struct tok nk = expect(P, lx, lx_next_nw(P, lx),
                                       M(T_LBRACK) | M(T_COLON) | M(T_IDENT) | M(T_ENDL));
                tv.n = 0;
                tv_push(&tv, nk);
                vt = nk.t;
            }
            if (meta_default_bad)
                lerr(P, lx, "syntax error: expected [default=ITEM]");
            if (vt == T_ENDL)
                lerr(P, lx, "syntax error: expected ':' at the end of the variants line");
            expect(P, lx, lx_next_nw(P, lx), M(T_ENDL));
            allowed = M(T_VARIANT);
            var_indent = indent;
        } else if (k.t == T_ONLY || k.t == T_NO || k.t == T_JOIN) {
            struct tokv tv = { .A = &P->scratch };
            collect(P, lx, &tv, M(T_ENDL), false);
            tv.n--;     /* parse_filter adds its own end */
            struct cfg_filter *f = parse_filter(P, lx, &tv);
            run_reset(&run);
            if (k.t == T_JOIN)
                c->has_join = true;
            add_item(&t, (struct cfg_item){ .kind = (uint8_t)(k.t == T_ONLY ? CI_ONLY :
                                                               k.t == T_NO ? CI_NO : CI_JOIN),
                                            .line = lx->linenum, .file = lx->filename, .u.f = f });
        } else if (k.t == T_SUFFIX) {
            run_reset(&run);
            struct tok id = expect(P, lx, lx_next(P, lx), M(T_IDENT));
            expect(P, lx, lx_next(P, lx), M(T_ENDL));
            struct cfg_op *op = cfg_arena_alloc(&c->arena, sizeof(*op));
            op->kind = OP_SUFFIX;
            op->sid = cfg_str_intern(&c->strs, id.s, id.len);
            op->file = lx->filename;
            op->line = lx->linenum;
            suffix = (struct cfg_item){ .kind = CI_OP, .line = lx->linenum, .file = lx->filename,
                                        .u.op = op };
        } else if (k.t == T_INCLUDE) {
            run_reset(&run);
            parse_include(P, lx, &t, prev_indent, body);
        } else if (k.t == T_DEL) {
            struct tok id = expect(P, lx, lx_next_nw(P, lx), M(T_IDENT));
            expect(P, lx, lx_next_nw(P, lx), M(T_ENDL));
            struct cfg_op *op = cfg_arena_alloc(&c->arena, sizeof(*op));
            op->kind = OP_DEL;
            op->keytext = tokdup(P, id);
            op->keylen = (uint32_t)id.len;
            op->key = cfg_key_plain(&c->keys, id.s, id.len);
            op->file = lx->filename;
            op->line = lx->linenum;
            run_reset(&run);
            add_item(&t, (struct cfg_item){ .kind = CI_OP, .line = lx->linenum,
                                            .file = lx->filename, .u.op = op });
        } else if (k.t == T_NOTCOND) {
            struct tokv tv = { .A = &P->scratch };
            collect(P, lx, &tv, M(T_COLON) | M(T_ENDL), true);
            if (tv.v[tv.n - 1].t != T_COLON) {
                lerr(P, lx, "syntax error: expected ':' after a '!' condition");
            }
            tv.n--;
            struct cfg_filter *f = parse_filter(P, lx, &tv);
            struct tok rest = lx_rest_string(P, lx);
            int ln = lx->linenum;
            if (rest.len) {
                lx->rd->has_stored = true;
                lx->rd->stored.s = rest.s;
                lx->rd->stored.len = rstrip_len(rest.s, rest.len);
                lx->rd->stored.indent = indent + 1;
                lx->rd->stored.num = ln;
            }
            expect(P, lx, lx_next(P, lx), M(T_ENDL));
            struct cfg_cond *cond = cfg_arena_alloc(&c->arena, sizeof(*cond));
            cond->f = f;
            cond->has_filter = -1;
            if (c->nconds == c->aconds) {
                c->aconds = c->aconds ? c->aconds * 2 : 64;
                c->conds = xrealloc(c->conds, c->aconds * sizeof(*c->conds));
            }
            c->conds[c->nconds++] = cond;
            parse_block(P, lx, (struct target){ .node = t.node, .cond = cond }, indent, NULL);
            run_reset(&run);
            add_item(&t, (struct cfg_item){ .kind = CI_NCOND, .line = ln, .file = lx->filename,
                                            .u.cond = cond });
        }
    }
    P->depth--;
    return t.node;
}

static void read_file(struct parser *P, const char *path, const char *from, int fromline,
                      char **out, size_t *outlen)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (from)
            perr(P, from, fromline, "include %s: file does not exist or is not a regular file",
                 path);
        perr(P, path, 0, "cannot read the config: %s",
             errno ? strerror(errno) : "not a regular file");
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (from)
            perr(P, from, fromline, "include %s: %s", path, strerror(errno));
        perr(P, path, 0, "cannot open the config: %s", strerror(errno));
    }
    struct strbuf sb = STRBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    *outlen = sb.len;
    *out = cfg_arena_strndup(&P->text, sb.buf, sb.len);
    strbuf_release(&sb);
}

static void parse_include(struct parser *P, struct lexer *lx, struct target *t, int prev_indent,
                          struct body *body)
{
    struct cfg *c = P->c;
    struct tok rest = lx_rest_string(P, lx);
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
    expect(P, lx, lx_next(P, lx), M(T_ENDL));
    if (c->opts.include_root) {
        char *rp = realpath(p, NULL);
        char *rr = realpath(c->opts.include_root, NULL);
        size_t rl = rr ? strlen(rr) : 0;
        bool ok = rp && rr && strncmp(rp, rr, rl) == 0 && (rp[rl] == '/' || rp[rl] == '\0');
        free(rp);
        free(rr);
        if (!ok)
            perr(P, lx->filename, line, "include %s: outside the allowed directory %s", p,
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
            perr(P, lx->filename, line, "include cycle: %s", m);
        }
    }
    free(rp);
    if (P->ninc >= MAX_INCLUDE_DEPTH)
        perr(P, lx->filename, line, "includes nested deeper than %d files", MAX_INCLUDE_DEPTH);
    char *text;
    size_t len;
    struct cfg_arena_mark tm = cfg_arena_mark(&P->text);
    read_file(P, p, lx->filename, line, &text, &len);
    struct reader *rd = reader_new(P, p, true, text, len);
    cfg_arena_rewind(&P->text, tm);
    struct lexer *sub = lexer_new(P, rd);
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
    struct cfg_node *root = node_new(P);
    c->root = root;
    struct body *rb = body_new(P);
    body_add(rb, root);
    if (setjmp(P->jb) == 0) {
        if (file) {
            char *text;
            size_t len;
            read_file(P, file, NULL, 0, &text, &len);
            struct reader *rd = reader_new(P, file, true, text, len);
            cfg_arena_free(&P->text);
            struct lexer *lx = lexer_new(P, rd);
            P->incstack[0] = rd->filename;
            P->incline[0] = 0;
            P->ninc = 1;
            root = parse_block(P, lx, (struct target){ .node = root }, -1, rb);
            P->ninc = 0;
        }
        for (size_t i = 0; i < n; i++) {
            struct reader *rd = reader_new(P, "<string>", false, stmts[i], strlen(stmts[i]));
            struct lexer *lx = lexer_new(P, rd);
            P->depth = 0;
            root = parse_block(P, lx, (struct target){ .node = root }, -1, rb);
        }
        c->root = root;
        body_hoist(P, rb, root);
        compress_ranges(c);
    } else
        rc = -1;
    for (size_t i = 0; i < P->nreaders; i++) {
        free(P->readers[i]->lines);
        free(P->readers[i]);
    }
    for (size_t i = 0; i < P->nbodies; i++) {
        free(P->bodies[i]->nodes);
        free(P->bodies[i]);
    }
    for (size_t i = 0; i < P->nlexers; i++) {
        strbuf_release(&P->lexers[i]->chars);
        free(P->lexers[i]);
    }
    free(P->readers);
    free(P->bodies);
    free(P->lexers);
    cfg_arena_free(&P->scratch);
    cfg_arena_free(&P->keep);
    cfg_arena_free(&P->text);
    cfg_arena_free(&P->lines);
    strbuf_release(&P->kb);
    free(P);
    return rc;
}
