/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strbuf: the one growable string type of vtrun (after git's strbuf).
 *
 * Invariants:
 *  - buf is never NULL: an initialised strbuf points at a static "" until the first
 *    addition, so it can always be printed;
 *  - buf[len] == '\0' always; len never counts the terminator;
 *  - alloc == 0 means buf is the static empty string and must not be freed.
 *
 * Ownership: strbuf_detach() hands the heap string out (the caller frees it) and
 * leaves the strbuf empty; strbuf_release() frees and re-initialises.
 * Allocation failure aborts: vtrun cannot do anything useful without memory.
 */
#ifndef VTRUN_STRBUF_H
#define VTRUN_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * libconfig exports its own strbuf_release/strbuf_append: a program that links it and
 * defines the same names breaks libconfig's parser (it calls ours).  The API keeps
 * git's names; the linker sees them with a vt_ prefix.
 */
#define strbuf_init vt_strbuf_init
#define strbuf_release vt_strbuf_release
#define strbuf_detach vt_strbuf_detach
#define strbuf_grow vt_strbuf_grow
#define strbuf_reset vt_strbuf_reset
#define strbuf_setlen vt_strbuf_setlen
#define strbuf_add vt_strbuf_add
#define strbuf_addstr vt_strbuf_addstr
#define strbuf_addch vt_strbuf_addch
#define strbuf_addf vt_strbuf_addf
#define strbuf_vaddf vt_strbuf_vaddf
#define strbuf_slopbuf vt_strbuf_slopbuf
#define strbuf_add_sq vt_strbuf_add_sq
#define strbuf_read_file vt_strbuf_read_file
#define strbuf_add_tail vt_strbuf_add_tail

extern char strbuf_slopbuf[];

struct strbuf {
    size_t alloc;
    size_t len;
    char *buf;
};

#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * Append s quoted for a POSIX shell (git's sq_quote_buf): inside single quotes, with
 * ' written as '\'' and ! as '\!' (so csh's history expansion cannot touch it
 * either).  The shell reads the result back as exactly one word, s, whatever s holds
 * (blanks, newlines, $(...), ;, quotes).  This is the only shell quoting of vtrun:
 * a command for a remote or guest shell is built from argv words, each through here.
 */
void strbuf_add_sq(struct strbuf *sb, const char *s);

/*
 * Append the contents of the file at path, at most max bytes (0: all of it); works for
 * /proc files, whose size is unknown until read.  Returns the number of bytes
 * appended, or -1 with errno set (what was read before an error stays appended).
 * Like git's, it reports nothing itself: err_msg() is left alone, so a caller that
 * only probes (a /proc scan) does not overwrite the error its own caller is about to
 * print.
 */
ssize_t strbuf_read_file(struct strbuf *sb, const char *path, size_t max);

/* Append ": " and the last max bytes of text[0, len) without its trailing newlines and
 * blanks, "..." first when cut; nothing when that is empty.  For error messages that
 * end with what a command wrote to stderr. */
void strbuf_add_tail(struct strbuf *sb, const char *text, size_t len, size_t max);

/* Allocation helpers that abort on failure (same policy as strbuf). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
