/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/err.h"
#include "lib/strbuf.h"

#include <stdarg.h>
#include <stdlib.h>

static _Thread_local char *last;

static void take(char *s)
{
    free(last);
    last = s;
}

void err_set(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    take(strbuf_detach(&sb, NULL));
}

void err_prefix(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    strbuf_addf(&sb, ": %s", last ? last : "unknown error");
    take(strbuf_detach(&sb, NULL));
}

const char *err_msg(void)
{
    return last ? last : "unknown error";
}

void err_clear(void)
{
    take(NULL);
}
