/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run_name: avocado-vt's test names (runner/run_name.h).  The lean front links this
 * file, so the map is read by the small JSON string reader below, not jansson. */
#include "runner/run_name.h"
#include "lib/params.h"
#include "lib/strbuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void add_utf8(struct strbuf *sb, uint32_t cp)
{
    if (cp < 0x80) {
        strbuf_addch(sb, (char)cp);
    } else if (cp < 0x800) {
        strbuf_addch(sb, (char)(0xc0 | cp >> 6));
        strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        strbuf_addch(sb, (char)(0xe0 | cp >> 12));
        strbuf_addch(sb, (char)(0x80 | (cp >> 6 & 0x3f)));
        strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
    } else {
        strbuf_addch(sb, (char)(0xf0 | cp >> 18));
        strbuf_addch(sb, (char)(0x80 | (cp >> 12 & 0x3f)));
        strbuf_addch(sb, (char)(0x80 | (cp >> 6 & 0x3f)));
        strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
    }
}

/* A JSON string at *pp (at its opening quote) decoded into sb; *pp moves past it. */
static int read_string(const char **pp, struct strbuf *sb)
{
    const char *p = *pp;
    if (*p++ != '"')
        return -1;
    while (*p != '"') {
        uint32_t cp, lo;
        if (!*p || (unsigned char)*p < 0x20)
            return -1;
        if (*p != '\\') {
            strbuf_addch(sb, *p++);
            continue;
        }
        p++;
        switch (*p) {
        case '"': case '\\': case '/': strbuf_addch(sb, *p); break;
        case 'b': strbuf_addch(sb, '\b'); break;
        case 'f': strbuf_addch(sb, '\f'); break;
        case 'n': strbuf_addch(sb, '\n'); break;
        case 'r': strbuf_addch(sb, '\r'); break;
        case 't': strbuf_addch(sb, '\t'); break;
        case 'u':
            if (hex4(p + 1, &cp) < 0)
                return -1;
            p += 4;
            /* a surrogate pair is one code point */
            if (cp >= 0xd800 && cp < 0xdc00 && p[1] == '\\' && p[2] == 'u' &&
                hex4(p + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }
            add_utf8(sb, cp);
            break;
        default:
            return -1;
        }
        p++;
    }
    *pp = p + 1;
    return 0;
}

char *run_name_map_get(const char *json, const char *key)
{
    struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;
    const char *p;
    if (!json)
        return NULL;
    p = skip_ws(json);
    if (*p++ != '{')
        return NULL;
    p = skip_ws(p);
    if (*p == '}')
        goto absent;
    for (;;) {
        strbuf_reset(&k);
        strbuf_reset(&v);
        if (read_string(&p, &k) < 0)
            goto absent;
        p = skip_ws(p);
        if (*p++ != ':')
            goto absent;
        p = skip_ws(p);
        if (read_string(&p, &v) < 0)
            goto absent;
        if (!strcmp(k.buf, key)) {
            strbuf_release(&k);
            return strbuf_detach(&v, NULL);
        }
        p = skip_ws(p);
        if (*p != ',')
            goto absent;
        p = skip_ws(p + 1);
    }
absent:
    strbuf_release(&k);
    strbuf_release(&v);
    return NULL;
}

char *run_name_avocado(const char *short_name_map, const char *shortname)
{
    char *n = run_name_map_get(short_name_map, "subtests.cfg");
    if (n && *n)
        return n;
    free(n);
    return xstrdup(shortname ? shortname : "");
}

char *run_name_stem(const char *config_path)
{
    const char *b = strrchr(config_path, '/');
    size_t n;
    b = b ? b + 1 : config_path;
    n = strlen(b);
    if (n > 4 && !strcmp(b + n - 4, ".cfg"))
        n -= 4;
    return n ? xstrndup(b, n) : xstrdup("case");
}

char *run_name_case(const struct params *p, const char *name, const char *shortname,
                    bool full, const char *stem)
{
    char *n;
    if (full)
        return xstrdup(*name ? name : stem);
    n = run_name_avocado(p ? params_get(p, "_short_name_map_file") : NULL, shortname);
    if (*n)
        return n;
    free(n);
    return xstrdup(stem);
}

/* Open addressing on a 64-bit FNV-1a hash, at most half full. */
struct run_name_set {
    char **slot;
    size_t cap, n;
};

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct run_name_set *run_name_set_new(void)
{
    struct run_name_set *s = xcalloc(1, sizeof(*s));
    s->cap = 64;
    s->slot = xcalloc(s->cap, sizeof(char *));
    return s;
}

static char **name_slot(char **slot, size_t cap, const char *name)
{
    size_t i = (size_t)name_hash(name) & (cap - 1);
    while (slot[i] && strcmp(slot[i], name))
        i = (i + 1) & (cap - 1);
    return &slot[i];
}

bool run_name_set_add(struct run_name_set *s, const char *name)
{
    char **at = name_slot(s->slot, s->cap, name);
    if (*at)
        return false;
    if (2 * (s->n + 1) > s->cap) {
        char **bigger = xcalloc(2 * s->cap, sizeof(char *));
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i])
                *name_slot(bigger, 2 * s->cap, s->slot[i]) = s->slot[i];
        free(s->slot);
        s->slot = bigger;
        s->cap *= 2;
        at = name_slot(s->slot, s->cap, name);
    }
    *at = xstrdup(name);
    s->n++;
    return true;
}

void run_name_set_free(struct run_name_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->slot[i]);
    free(s->slot);
    free(s);
}
