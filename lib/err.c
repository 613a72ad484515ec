/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One message per thread, kept in a pthread key rather than a _Thread_local pointer
 * so that the message of a worker thread that exits is freed by the key's destructor
 * (LeakSanitizer found the _Thread_local one leaking with every migration worker).
 */
#include "lib/err.h"
#include "lib/strbuf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
    pthread_key_create(&key, free);
}

static char *current(void)
{
    pthread_once(&once, make_key);
    return pthread_getspecific(key);
}

static void take(char *s)
{
    free(current());
    pthread_setspecific(key, s);
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
    char *old = current();
    strbuf_addf(&sb, ": %s", old ? old : "unknown error");
    take(strbuf_detach(&sb, NULL));
}

const char *err_msg(void)
{
    char *m = current();
    return m ? m : "unknown error";
}

void err_clear(void)
{
    take(NULL);
}
