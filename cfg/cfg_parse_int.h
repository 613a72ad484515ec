/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_parse_int: what the reader/lexer (cfg_lex.c) and the parser (cfg_parse.c) share.  The
 * parser state is here because every error, lexical or not, leaves through its one
 * longjmp (cfg_perr / cfg_lerr).
 */
#ifndef VTRUN_CFG_PARSE_INT_H
#define VTRUN_CFG_PARSE_INT_H

#include "cfg/cfg_int.h"

#define MAX_DEPTH 400          /* nested blocks / includes: far beyond real configs */
#define MAX_INCLUDE_DEPTH 64

/* A physical line after stripping, tab expansion and comment removal (SYNTAX 2). */
struct line {
    const char *s;      /* stripped text */
    size_t len;
    int indent;
    int num;
};

/*
 * Lines are split lazily, one ahead of the lexer: no array of lines, and each line is
 * split while its bytes are in cache.  A file's text is read once into the parse's
 * arena and never copied again (values are copied out of it).
 */
struct reader {
    const char *filename;   /* as the reference names it (errors, _name_map_file) */
    bool is_file;
    const char *text;
    size_t len, pos;        /* pos: start of the next physical line */
    int num;                /* number of the physical line before pos */
    bool has_peek;          /* peek: the next line, read but not consumed */
    struct line peek;
    bool has_stored;
    struct line stored;
};

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

/* 16 bytes: returned in registers.  An INDENT / ENDBLOCK token has no text, so its
 * indentation shares the length's place. */
struct tok {
    const char *s;      /* IDENT, STRING: text (not NUL-terminated) */
    union {
        uint32_t len;
        int32_t indent;
    };
    int32_t t;
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
    size_t cstart, clen;    /* the identifier being read: line[cstart, cstart + clen) */
    char oper[4];
    size_t noper;       /* may exceed sizeof(oper): then no valid operator */
    uint64_t qw[QMAX][2];   /* queued tokens: text, then length | type << 32 */
    size_t qh, qn;
};

/* The nodes of one item body (or of the root): their filters are hoisted to the item. */
struct body {
    struct cfg_node **nodes;
    size_t n, alloc;
};

struct parser {
    struct cfg *c;
    jmp_buf jb;
    struct cfg_arena scratch;   /* per-statement temporaries (mark/rewind) */
    struct cfg_arena keep;      /* temporaries living across statements of a block */
    struct cfg_arena tmp;       /* temporaries of an item (bodies), rewound per item */
    struct cfg_arena lines;     /* file texts and rebuilt lines */
    struct strbuf kb;           /* key text being built (survives a longjmp: no leak) */
    struct strbuf ln, sn;       /* an item's long and short names (add_filemaps) */
    const char *map_file;       /* the file of the last item, and its basename's id */
    uint32_t map_fsid;
    int depth;
    const char *incstack[MAX_INCLUDE_DEPTH + 1];
    const char *incfrom[MAX_INCLUDE_DEPTH + 1];
    int incline[MAX_INCLUDE_DEPTH + 1];
    int ninc;
    /* everything allocated with malloc during parsing that the cfg does not own yet */
    struct reader **readers;
    size_t nreaders, areaders;
    struct lexer **lexers;
    size_t nlexers, alexers;
};

extern const char *const cfg_tk_name[T_COUNT];   /* for messages */

_Noreturn void cfg_perr(struct parser *P, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Error at the lexer's current line, which is quoted. */
_Noreturn void cfg_lerr(struct parser *P, struct lexer *lx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn void cfg_lx_unexpected(struct parser *P, struct lexer *lx, uint64_t mask,
                                 struct tok k);
struct tok cfg_lx_expect(struct parser *P, struct lexer *lx, struct tok k, uint64_t mask);

/* A reader of TEXT (which lives until the parse ends).  Invalid UTF-8 is reported here,
 * before any statement of the file is parsed.  The reader is owned by P until the parse
 * ends. */
struct reader *cfg_reader_new(struct parser *P, const char *filename, bool is_file,
                              const char *text, size_t len);
struct lexer *cfg_lexer_new(struct parser *P, struct reader *rd);
/* Next token: INDENT / ENDBLOCK at a line boundary (lx->prev_indent decides), then
 * the line's tokens up to ENDL. */
struct tok cfg_lx_next(struct parser *P, struct lexer *lx);
struct tok cfg_lx_next_nw(struct parser *P, struct lexer *lx);   /* skipping blanks */
/* The type of the next token if it is already queued (no lexing), else -1. */
int cfg_lx_peek(const struct lexer *lx);
/* The rest of the line after the last ':' or keyword, left-stripped, as one STRING. */
struct tok cfg_lx_rest(struct parser *P, struct lexer *lx);
size_t cfg_rstrip_len(const char *s, size_t len);

#endif
