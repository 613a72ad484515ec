/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_mask: keep secrets out of every file and line vtrun writes. */
#include "results/res_model.h"

#include "lib/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const secret_words[] = {
    "password", "passwd", "pwd", "passphrase", "secret", "token",
};

#define MASK "****"

static bool is_key_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static bool word_is_secret(const char *w, size_t n)
{
    for (size_t i = 0; i < ARRAY_SIZE(secret_words); i++)
        if (strlen(secret_words[i]) == n && !strncasecmp(w, secret_words[i], n))
            return true;
    return false;
}

/* The words of a key are separated by '_', '-' or '.', so "guest_password",
 * "--password" and "vm1.root-pwd" are secret but "passwordless" is not.  Of a dotted
 * key only the last part names what it is: a case name such as
 * "...graphic_passwd.p2p.precopy.live" followed by ": PASS" is no secret. */
static bool key_is_secret_n(const char *key, size_t len)
{
    size_t i = len;
    while (i > 0 && key[i - 1] != '.')
        i--;
    while (i < len) {
        size_t j = i;
        while (j < len && key[j] != '_' && key[j] != '-' && key[j] != '.')
            j++;
        if (j > i && word_is_secret(key + i, j - i))
            return true;
        i = j + 1;
    }
    return false;
}

bool res_key_is_secret(const char *key)
{
    return key && key_is_secret_n(key, strlen(key));
}

/* At s (just after a secret key): the separator and the value.  Returns true with
 * [*vstart, *vend) the value, false if no value follows. */
static bool find_value(const char *s, bool dashed, size_t *vstart, size_t *vend)
{
    size_t i = 0;
    char quote = 0;
    if (s[i] == '"' || s[i] == '\'')
        i++; /* closing quote of a quoted key: "password": "x" */
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    if (s[i] == '=' || s[i] == ':') {
        i++;
        while (s[i] == ' ' || s[i] == '\t')
            i++;
    } else if (!(dashed && i > 0)) {
        return false; /* "password foo" is prose, "--password foo" is an option */
    }
    if (s[i] == '"' || s[i] == '\'')
        quote = s[i++];
    *vstart = i;
    if (quote) {
        while (s[i] && s[i] != quote)
            i++;
    } else {
        while (s[i] && !isspace((unsigned char)s[i]) && s[i] != ',' && s[i] != ';' &&
               s[i] != '&' && s[i] != '"' && s[i] != '\'')
            i++;
    }
    *vend = i;
    return *vend > *vstart;
}

char *res_mask(const char *text)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i = 0;
    if (!text)
        return xstrdup("");
    while (text[i]) {
        size_t j = i, vs, ve;
        if (!is_key_char((unsigned char)text[i]) ||
            (i > 0 && is_key_char((unsigned char)text[i - 1]))) {
            strbuf_addch(&sb, text[i++]);
            continue;
        }
        while (is_key_char((unsigned char)text[j]))
            j++;
        strbuf_add(&sb, text + i, j - i);
        if (key_is_secret_n(text + i, j - i) &&
            find_value(text + j, text[i] == '-', &vs, &ve)) {
            strbuf_add(&sb, text + j, vs);
            strbuf_addstr(&sb, MASK);
            j += ve;
        }
        i = j;
    }
    if (!sb.alloc)
        return xstrdup("");
    return strbuf_detach(&sb, NULL);
}

char *res_mask_with(const char *text, char *const *values, size_t n)
{
    char *cur = res_mask(text);
    for (size_t k = 0; k < n; k++) {
        size_t vlen = strlen(values[k]);
        struct strbuf sb = STRBUF_INIT;
        const char *p = cur, *hit;
        if (vlen < RES_SECRET_MIN || !strstr(cur, values[k]))
            continue;
        while ((hit = strstr(p, values[k]))) {
            strbuf_add(&sb, p, (size_t)(hit - p));
            strbuf_addstr(&sb, MASK);
            p = hit + vlen;
        }
        strbuf_addstr(&sb, p);
        free(cur);
        cur = strbuf_detach(&sb, NULL);
    }
    return cur;
}
