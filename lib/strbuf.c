/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char strbuf_slopbuf[1];

static void die_oom(size_t n)
{
    fprintf(stderr, "vtrun: out of memory (%zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die_oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die_oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die_oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    if (!sb.alloc)
        return xstrdup("");
    return strbuf_detach(&sb, NULL);
}

void strbuf_init(struct strbuf *sb, size_t hint)
{
    sb->alloc = sb->len = 0;
    sb->buf = strbuf_slopbuf;
    if (hint)
        strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    strbuf_init(sb, 0);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *s;
    if (!sb->alloc)
        strbuf_grow(sb, 0);
    s = sb->buf;
    if (len)
        *len = sb->len;
    strbuf_init(sb, 0);
    return s;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need < sb->len)
        die_oom(SIZE_MAX);
    if (need <= sb->alloc)
        return;
    size_t n = sb->alloc ? sb->alloc : 16;
    while (n < need)
        n = n * 2;
    if (!sb->alloc) {
        sb->buf = xmalloc(n);
        sb->buf[0] = '\0';
    } else {
        sb->buf = xrealloc(sb->buf, n);
    }
    sb->alloc = n;
}

void strbuf_reset(struct strbuf *sb)
{
    strbuf_setlen(sb, 0);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
    if (!sb->alloc)
        return; /* only len 0 is possible on the static empty string */
    sb->len = len;
    sb->buf[len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
    strbuf_grow(sb, n);
    memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
    strbuf_grow(sb, 1);
    sb->buf[sb->len++] = (char)c;
    sb->buf[sb->len] = '\0';
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    strbuf_grow(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_add_sq(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '\'');
    while (*s) {
        size_t n = strcspn(s, "'!");
        strbuf_add(sb, s, n);
        s += n;
        /* close the quote, a backslashed ' or !, open again */
        for (; *s == '\'' || *s == '!'; s++) {
            strbuf_addstr(sb, "'\\");
            strbuf_addch(sb, *s);
            strbuf_addch(sb, '\'');
        }
    }
    strbuf_addch(sb, '\'');
}

ssize_t strbuf_read_file(struct strbuf *sb, const char *path, size_t max)
{
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    while (!max || got < max) {
        size_t want = 65536;
        if (max && max - got < want)
            want = max - got;
        strbuf_grow(sb, want);
        ssize_t n = read(fd, sb->buf + sb->len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        strbuf_setlen(sb, sb->len + (size_t)n);
        got += (size_t)n;
    }
    close(fd);
    return (ssize_t)got;
}

void strbuf_add_tail(struct strbuf *sb, const char *text, size_t len, size_t max)
{
    size_t start;
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
        len--;
    if (!len)
        return;
    start = len > max ? len - max : 0;
    strbuf_addf(sb, ": %s%.*s", start ? "..." : "", (int)(len - start), text + start);
}
