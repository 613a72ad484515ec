/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text helpers with Python's semantics: UTF-8 decoding, str.isspace()/isalnum() for
 * code points, re.match(pattern + "$") through PCRE2, and filter matching on label
 * sequences.
 */
#include "cfg/cfg_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

size_t cfg_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!len)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    size_t n;
    uint32_t c, min;
    if ((u[0] & 0xE0) == 0xC0) {
        n = 2; c = u[0] & 0x1F; min = 0x80;
    } else if ((u[0] & 0xF0) == 0xE0) {
        n = 3; c = u[0] & 0x0F; min = 0x800;
    } else if ((u[0] & 0xF8) == 0xF0) {
        n = 4; c = u[0] & 0x07; min = 0x10000;
    } else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

bool cfg_unicode_isspace(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static pcre2_code *alnum_re;
static pthread_once_t alnum_once = PTHREAD_ONCE_INIT;

static void alnum_init(void)
{
    int e;
    PCRE2_SIZE off;
    alnum_re = pcre2_compile((PCRE2_SPTR) "[\\p{L}\\p{N}]", PCRE2_ZERO_TERMINATED,
                             PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &e, &off, NULL);
}

bool cfg_unicode_isalnum(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    pthread_once(&alnum_once, alnum_init);
    if (!alnum_re)
        return false;
    char buf[4];
    size_t n;
    if (c < 0x800) {
        buf[0] = (char)(0xC0 | (c >> 6)); buf[1] = (char)(0x80 | (c & 0x3F)); n = 2;
    } else if (c < 0x10000) {
        buf[0] = (char)(0xE0 | (c >> 12)); buf[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (c & 0x3F)); n = 3;
    } else {
        buf[0] = (char)(0xF0 | (c >> 18)); buf[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        buf[2] = (char)(0x80 | ((c >> 6) & 0x3F)); buf[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    return cfg_regex_match(alnum_re, buf, n);
}

/*
 * Python's re and PCRE2 agree on the syntax configs use; the options close the rest
 * of the gap: \d \w \s are Unicode (UCP), \uXXXX and \xXX as in Python (ALT_BSUX),
 * re.match anchors at the start only, and "$" is appended like the reference does.
 */
pcre2_code *cfg_regex_compile(const char *pat, size_t len, bool anchor_end, char *errbuf,
                              size_t errlen)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_add(&sb, pat, len);
    if (anchor_end)
        strbuf_addch(&sb, '$');
    int e;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)sb.buf, sb.len,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_ALT_BSUX |
                                   PCRE2_MATCH_INVALID_UTF,
                                   &e, &off, NULL);
    if (!re && errbuf) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(e, msg, sizeof(msg));
        snprintf(errbuf, errlen, "%s at offset %zu", (char *)msg, (size_t)off);
    }
    strbuf_release(&sb);
    return re;
}

static _Thread_local pcre2_match_data *mdata;
static _Thread_local pcre2_match_context *mctx;

bool cfg_regex_match(const pcre2_code *re, const char *s, size_t len)
{
    if (!mdata)
        mdata = pcre2_match_data_create(1, NULL);
    /* the match limits keep a pathological pattern from hanging a case */
    if (!mctx) {
        mctx = pcre2_match_context_create(NULL);
        pcre2_set_match_limit(mctx, 10000000);
        pcre2_set_depth_limit(mctx, 10000);
    }
    int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_ANCHORED, mdata, mctx);
    return rc >= 0;
}

void cfg_regex_thread_done(void)
{
    pcre2_match_data_free(mdata);
    mdata = NULL;
    pcre2_match_context_free(mctx);
    mctx = NULL;
}

/* ---- filters ---- */

static inline bool atom_eq(const struct cfg *c, uint32_t label, const struct cfg_label *a)
{
    const struct cfg_label *l = &c->labels[label];
    if (l->val != a->val)
        return false;
    return a->var == CFG_NONE || l->var == a->var;
}

static bool chain_match(const struct cfg *c, const struct cfg_chain *ch,
                        const uint32_t *labels, size_t n)
{
    if (ch->natoms > n)
        return false;
    for (size_t i = 0; i + ch->natoms <= n; i++) {
        size_t j = 0;
        while (j < ch->natoms && atom_eq(c, labels[i + j], &ch->atoms[j]))
            j++;
        if (j == ch->natoms)
            return true;
    }
    return false;
}

bool cfg_filter_match(const struct cfg *c, const struct cfg_filter *f,
                      const uint32_t *labels, size_t n)
{
    for (uint32_t t = 0; t < f->nterms; t++) {
        const struct cfg_term *term = &f->terms[t];
        uint32_t k = 0;
        while (k < term->nchains && chain_match(c, &term->chains[k], labels, n))
            k++;
        if (k == term->nchains)
            return true;
    }
    return false;
}
