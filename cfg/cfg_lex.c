/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reader and lexer of the Cartesian config language (SYNTAX.md 2-3): physical lines as
 * Python's splitlines/rstrip/expandtabs make them, and avocado-vt's token stream line
 * by line (keyword detection, the assignment fast path, char-wise lexing, "rest of the
 * line as a string" after a condition's colon or `include`).  Like Lua's llex.c: a state
 * struct, one function that produces the next token, errors with the line quoted.
 */
#include "cfg/cfg_parse_int.h"
#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ------------------------------------------------------------------ reader */

static bool is_linebreak(uint32_t c)
{
    return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) ||
           c == 0x85 || c == 0x2028 || c == 0x2029;
}

/*
 * The next physical line of RD as Python's str.splitlines() cuts it: [*start, *end),
 * ASCII or not.  Every ASCII line break is a control character, so printable ASCII
 * (nearly every byte of a config) takes one comparison, 8 bytes at a time; only
 * non-ASCII bytes are decoded (cfg_reader_new validated them).  False at the end.
 */
static bool next_physical(struct reader *rd, size_t *start, size_t *end, bool *ascii)
{
    const char *text = rd->text;
    size_t len = rd->len, i = rd->pos;
    if (i >= len)
        return false;
    *start = i;
    *ascii = true;
    for (;;) {
#ifdef __SSE2__
        /* 16 bytes at a time: as signed bytes, both controls and non-ASCII are < 0x20 */
        while (i + 16 <= len) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(text + i));
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
            if (mask) {
                i += (size_t)__builtin_ctz(mask);
                break;
            }
            i += 16;
        }
#endif
        /* skip 8 printable ASCII bytes at a time: no byte < 0x20, none >= 0x80 */
        while (i + 8 <= len) {
            uint64_t x;
            memcpy(&x, text + i, 8);
            const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
            if (((x - ones * 0x20) | x) & high)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned char b = (unsigned char)text[i];
        if (b >= 0x20 && b < 0x80) {
            i++;
            continue;
        }
        uint32_t cp = b;
        size_t n = 1;
        if (b >= 0x80) {
            *ascii = false;
            n = cfg_utf8_decode(text + i, len - i, &cp);
            if (!n)         /* cannot happen: cfg_reader_new validated the text */
                n = 1, cp = 0xFFFD;
        }
        if (is_linebreak(cp)) {
            *end = i;
            i += n;
            if (cp == '\r' && i < len && text[i] == '\n')
                i++;
            rd->pos = i;
            rd->num++;
            return true;
        }
        i += n;
    }
    *end = len;
    rd->pos = len;
    rd->num++;
    return true;
}

/* Invalid UTF-8 is an error of the whole file, found before its first statement: the
 * line of the first bad byte, counted the way next_physical counts.  Only non-ASCII
 * bytes are decoded; lines are counted only for the message. */
static void reader_validate(struct parser *P, struct reader *rd)
{
    const char *text = rd->text;
    size_t len = rd->len, i = 0, bad;
    for (;;) {
#ifdef __SSE2__
        for (; i + 16 <= len; i += 16)
            if (_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(text + i))))
                break;
#endif
        for (; i + 8 <= len; i += 8) {
            uint64_t x;
            memcpy(&x, text + i, 8);
            if (x & 0x8080808080808080ull)
                break;
        }
        while (i < len && !((unsigned char)text[i] & 0x80))
            i++;
        if (i >= len)
            return;
        uint32_t cp;
        size_t n = cfg_utf8_decode(text + i, len - i, &cp);
        if (!n) {
            bad = i;
            break;
        }
        i += n;
    }
    int num = 1;
    for (i = 0; i < bad;) {
        uint32_t cp;
        size_t n = cfg_utf8_decode(text + i, len - i, &cp);
        i += n;
        if (is_linebreak(cp)) {
            if (cp == '\r' && i < len && text[i] == '\n')
                i++;
            num++;
        }
    }
    cfg_perr(P, rd->filename, num, "invalid UTF-8 text");
}

/* ------------------------------------------------------------------ tokens */


const char *const cfg_tk_name[T_COUNT] = {
    "indent", "end of block", "end of line", "identifier", "blank", "string", "':'",
    "'variants'", "'.'", "'-'", "'@'", "'only'", "'no'", "'suffix'", "'join'",
    "'include'", "'del'", "'!'", "','", "'['", "']'", "'('", "')'",
    "'='", "'+='", "'<='", "'~='", "'?='", "'?+='", "'?<='",
};





void cfg_perr(struct parser *P, const char *file, int line, const char *fmt, ...)
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

void cfg_lerr(struct parser *P, struct lexer *lx, const char *fmt, ...)
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

static bool ascii_isspace(unsigned char c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
}

/* Is the stripped line blank or a comment (SYNTAX 2)? */
static bool skipped_line(const char *s, size_t len)
{
    return !len || s[0] == '#' || (len >= 2 && s[0] == '/' && s[1] == '/');
}

/*
 * Strip trailing whitespace (code points), expand tabs, count indentation: the line
 * [S, S + LEN) of the reader's text becomes *OUT.  Returns false for a blank or comment
 * line.  An ASCII line without a tab after its indentation (nearly all) stays in place,
 * NUL-terminated where its stripped text ends; the others are rebuilt in the cfg arena.
 */
static bool make_line(struct parser *P, const char *s, size_t len, int num, bool ascii,
                      struct line *out)
{
    size_t end = len;
    if (ascii) {
        /* Fast path, same result as below for ASCII text: byte = code point.  Only a
         * tab after the indentation needs the general loop (it expands in place). */
        while (end > 0 && ascii_isspace((unsigned char)s[end - 1]))
            end--;
        size_t i = 0, col = 0;
        /* indentation is mostly spaces: 8 at a time (col stays a multiple of 8) */
        while (i + 8 <= end) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (x != 0x2020202020202020ull)
                break;
            i += 8;
            col += 8;
        }
        while (i < end && ascii_isspace((unsigned char)s[i])) {
            col += s[i] == '\t' ? 8 - (col % 8) : 1;
            i++;
        }
        if (skipped_line(s + i, end - i))
            return false;
        if (!memchr(s + i, '\t', end - i)) {
            out->s = s + i;
            out->len = end - i;
            out->indent = (int)col;
            out->num = num;
            return true;
        }
    }
    /* rstrip */
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
    bool keep = !skipped_line(sb.buf, sb.len);
    if (keep) {
        /* tokens point into it until the parse ends */
        out->s = cfg_arena_strndup(&P->lines, sb.buf, sb.len);
        out->len = sb.len;
        out->indent = indent;
        out->num = num;
    }
    strbuf_release(&sb);
    return keep;
}

struct reader *cfg_reader_new(struct parser *P, const char *filename, bool is_file,
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
    rd->text = text;
    rd->len = len;
    reader_validate(P, rd);
    return rd;
}

/* Next line of the current block (indent > prev_indent), or NULL. */
static const struct line *reader_next(struct parser *P, struct reader *rd, int prev_indent,
                                      int *indent)
{
    if (rd->has_stored) {
        rd->has_stored = false;
        return &rd->stored;
    }
    while (!rd->has_peek) {
        size_t start, end;
        bool ascii;
        if (!next_physical(rd, &start, &end, &ascii)) {
            *indent = -1;
            return NULL;
        }
        rd->has_peek = make_line(P, rd->text + start, end - start, rd->num, ascii, &rd->peek);
        if (rd->has_peek && rd->peek.len > UINT32_MAX)     /* tokens hold 32-bit lengths */
            cfg_perr(P, rd->filename, rd->peek.num, "line longer than 4 GiB");
    }
    if (rd->peek.indent <= prev_indent) {
        *indent = rd->peek.indent;
        return NULL;
    }
    rd->has_peek = false;
    return &rd->peek;       /* read at once by the caller, before the next line */
}

/* ------------------------------------------------------------------ lexer */

/*
 * Queued tokens are written and read as two 8-byte words: a 16-byte load of a token
 * written field by field cannot be forwarded from the stores and stalls (this is the
 * hottest spot of the parse).
 */
static void lx_push(struct lexer *lx, int t, const char *s, size_t len)
{
    uint64_t *w = lx->qw[(lx->qh + lx->qn) % QMAX];
    w[0] = (uint64_t)(uintptr_t)s;
    w[1] = (uint32_t)len | (uint64_t)(uint32_t)t << 32;
    lx->qn++;
}

static struct tok lx_pop(struct lexer *lx)
{
    const uint64_t *w = lx->qw[lx->qh];
    struct tok k;
    k.s = (const char *)(uintptr_t)w[0];
    k.len = (uint32_t)w[1];
    k.t = (int32_t)(w[1] >> 32);
    lx->qh = (lx->qh + 1) % QMAX;
    lx->qn--;
    return k;
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

size_t cfg_rstrip_len(const char *s, size_t len)
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
    lx->clen = 0;
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
        /* Every operator ends with '=' and holds no other '=': the first operator
         * starts at most 2 bytes before the first '='.  The first ':' only matters if
         * it comes before the operator's end. */
        const char *eq = memchr(l, '=', len);
        if (!eq)
            return;
        size_t from = (size_t)(eq - l) >= 2 ? (size_t)(eq - l) - 2 : 0;
        for (size_t i = from; i < len; i++) {
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
            if (!memchr(l, ':', i + ol + 1 <= len ? i + ol + 1 : len)) {
                size_t vs = skip_space(l, len, i + ol);
                lx_push(lx, T_IDENT, l, cfg_rstrip_len(l, i));
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

/* The identifier being read is always a contiguous run of the line (every other
 * character flushes it first), and the line outlives the parse: the token points
 * into it. */
static void chars_add(struct lexer *lx, size_t at, size_t n)
{
    if (!lx->clen)
        lx->cstart = at;
    lx->clen += n;
}

static void flush_chars(struct lexer *lx)
{
    if (lx->clen) {
        lx_push(lx, T_IDENT, lx->line + lx->cstart, lx->clen);
        lx->clen = 0;
    }
}

/* ASCII identifier characters: [A-Za-z0-9_-] (a table: one load per byte) */
static const bool ident_tab[256] = {
    ['-'] = 1, ['_'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static bool ascii_ident(unsigned char c)
{
    return ident_tab[c];
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
        if (ascii_ident((unsigned char)l[lx->pos])) {
            size_t p = lx->pos + 1;
            while (p < len && ascii_ident((unsigned char)l[p]))
                p++;
            chars_add(lx, lx->pos, p - lx->pos);
            lx->pos = p;
            continue;
        }
        uint32_t cp;
        size_t n = cfg_utf8_decode(l + lx->pos, len - lx->pos, &cp);
        if (!n)
            n = 1, cp = 0xFFFD;
        if (is_ident_cp(cp)) {
            chars_add(lx, lx->pos, n);
            lx->pos += n;
            continue;
        }
        if (cp == '+' || cp == '<' || cp == '?' || cp == '~') {
            if (lx->clen) {
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
            chars_add(lx, at, n);
            continue;
        }
        switch (cp) {
        case '=': {
            int t = lx->noper <= sizeof(lx->oper) ? op_token(lx->oper, lx->noper) : -1;
            if (t < 0)
                cfg_lerr(P, lx, "unexpected character '=' at position %zu: only =, +=, <=, ~=, "
                     "?=, ?+=, ?<= are operators", at);
            lx_push(lx, t, NULL, 0);
            lx->noper = 0;
            break;
        }
        case '-': case '.': case ':': case '@': case ',': case '[': case ']': case '(':
        case ')': case '!': {
            static const int8_t punct[128] = {
                ['-'] = T_VARIANT, ['.'] = T_DOT, [':'] = T_COLON, ['@'] = T_DEFAULT,
                [','] = T_COMMA, ['['] = T_LBRACK, [']'] = T_RBRACK, ['('] = T_LPAREN,
                [')'] = T_RPAREN, ['!'] = T_NOTCOND,
            };
            lx_push(lx, punct[cp], NULL, 0);
            lx->after = lx->pos;
            return;
        }
        case '"': {
            const char *q = memchr(l + lx->pos, '"', len - lx->pos);
            if (!q)
                cfg_lerr(P, lx, "unterminated string: expected a closing '\"'");
            /* SYNTAX.md 5: a quoted atom value is one token (the reference also
             * re-emits its text as an identifier, which only breaks such filters) */
            lx->clen = 0;
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
            cfg_lerr(P, lx, "unexpected character '%.*s' at position %zu: special characters are "
                 "allowed only in assignments", (int)n, l + at, at);
        }
    }
}

struct lexer *cfg_lexer_new(struct parser *P, struct reader *rd)
{
    struct lexer *lx = xcalloc(1, sizeof(*lx));
    if (P->nlexers == P->alexers) {
        P->alexers = P->alexers ? P->alexers * 2 : 16;
        P->lexers = xrealloc(P->lexers, P->alexers * sizeof(*P->lexers));
    }
    P->lexers[P->nlexers++] = lx;
    lx->rd = rd;
    lx->filename = rd->filename;
    return lx;
}

/* The INDENT or ENDBLOCK token that opens a line (out of line: cfg_lx_next stays small,
 * most of its calls just pop a queued token). */
static __attribute__((noinline)) struct tok lx_next_line(struct parser *P, struct lexer *lx)
{
    int indent = -1;
    const struct line *l = reader_next(P, lx->rd, lx->prev_indent, &indent);
    /* compound literals: built in registers (a token written to memory in parts and
     * read back whole stalls store forwarding) */
    if (!l)
        return (struct tok){ .indent = indent, .t = T_ENDBLOCK };
    lx->line = l->s;
    lx->len = l->len;
    lx->linenum = l->num;
    lx->in_line = true;
    lx->started = false;
    lx->qh = lx->qn = 0;
    return (struct tok){ .indent = l->indent, .t = T_INDENT };
}

/* Queue the next tokens of the line (a queued token implies the line was started). */
static __attribute__((noinline)) void lx_fill(struct parser *P, struct lexer *lx)
{
    if (!lx->started)
        lx_start_line(lx);
    if (!lx->qn && !lx->done)
        lx_chars(P, lx);
}

struct tok cfg_lx_next(struct parser *P, struct lexer *lx)
{
    if (!lx->in_line)
        return lx_next_line(P, lx);
    if (!lx->qn)
        lx_fill(P, lx);
    struct tok k = lx_pop(lx);
    if (k.t == T_ENDL)
        lx->in_line = false;
    return k;
}

int cfg_lx_peek(const struct lexer *lx)
{
    return lx->in_line && lx->qn ? (int)(lx->qw[lx->qh][1] >> 32) : -1;
}

/* The rest of the line after the last keyword / ':' token, left-stripped. */
struct tok cfg_lx_rest(struct parser *P, struct lexer *lx)
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

struct tok cfg_lx_next_nw(struct parser *P, struct lexer *lx)
{
    struct tok k;
    do
        k = cfg_lx_next(P, lx);
    while (k.t == T_WHITE);
    return k;
}

static void expect_names(struct strbuf *sb, uint64_t mask)
{
    bool first = true;
    for (int t = 0; t < T_COUNT; t++) {
        if (!(mask & M(t)))
            continue;
        strbuf_addf(sb, "%s%s", first ? "" : ", ", cfg_tk_name[t]);
        first = false;
    }
}

_Noreturn void cfg_lx_unexpected(struct parser *P, struct lexer *lx, uint64_t mask, struct tok k)
{
    struct strbuf sb = STRBUF_INIT;
    expect_names(&sb, mask);
    char *s = strbuf_detach(&sb, NULL);
    const char *what = cfg_tk_name[k.t];
    /* the message is built before the longjmp: the copy lives in the arena */
    char *c = cfg_arena_strndup(&P->c->arena, s, strlen(s));
    free(s);
    if (k.t == T_IDENT || k.t == T_STRING)
        cfg_lerr(P, lx, "expected %s, found %s '%.*s'", c, what, (int)(k.len > 80 ? 80 : k.len), k.s);
    cfg_lerr(P, lx, "expected %s, found %s", c, what);
}

struct tok cfg_lx_expect(struct parser *P, struct lexer *lx, struct tok k, uint64_t mask)
{
    if (!(mask & M(k.t)))
        cfg_lx_unexpected(P, lx, mask, k);
    return k;
}
