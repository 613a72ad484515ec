/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_progress: the lines a person watches: avocado's plain per-test line, the TTY
 * live line, and the ETA.  Only formatting: the runner decides when to print. */
#include "results/res_model.h"

#include "lib/strbuf.h"

#include <stdlib.h>
#include <string.h>

#define REASON_MAX 255

char *res_format_duration(double s)
{
    long t;
    if (s < 0)
        s = 0;
    if (s < 60)
        return xasprintf("%.1fs", s);
    t = (long)(s + 0.5);
    if (t < 3600)
        return xasprintf("%ldm%02lds", t / 60, t % 60);
    return xasprintf("%ldh%02ldm", t / 3600, t % 3600 / 60);
}

char *res_progress_line(unsigned i, unsigned n, const char *name, enum res_status s,
                        const char *reason, double time_s)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "(%u/%u) %s: %s", i, n, name ? name : "", res_status_name(s));
    if (s != RES_PASS && reason && *reason) {
        size_t k = 0;
        strbuf_addstr(&sb, ": ");
        /* one line whatever the reason holds, as avocado's human output */
        for (const char *p = reason; *p && k < REASON_MAX; p++, k++) {
            if (*p == '\n')
                strbuf_addstr(&sb, "\\n");
            else if (*p == '\r' || *p == '\t')
                strbuf_addch(&sb, ' ');
            else
                strbuf_addch(&sb, *p);
        }
    }
    if (s != RES_SKIP)
        strbuf_addf(&sb, " (%.2f s)", time_s);
    return strbuf_detach(&sb, NULL);
}

char *res_progress_live(unsigned i, unsigned n, const char *name, double elapsed_s,
                        double eta_s, unsigned width)
{
    char *el = res_format_duration(elapsed_s);
    char *eta = eta_s < 0 ? xstrdup("?") : res_format_duration(eta_s);
    char *head = xasprintf("(%u/%u) ", i, n);
    char *tail = xasprintf(" %s ETA %s", el, eta);
    size_t fixed = strlen(head) + strlen(tail), nlen = name ? strlen(name) : 0, room;
    char *out;
    if (!width)
        width = 80;
    room = width > fixed ? width - fixed : 0;
    if (nlen <= room) {
        out = xasprintf("%s%s%s", head, name ? name : "", tail);
    } else if (room > 3) {
        /* the start (test type) and the end (variant) tell tests apart best */
        size_t left = (room - 3) / 2, right = room - 3 - left;
        out = xasprintf("%s%.*s...%s%s", head, (int)left, name, name + nlen - right, tail);
    } else {
        out = xasprintf("%s%s", head, tail + 1);
    }
    free(el);
    free(eta);
    free(head);
    free(tail);
    return out;
}

double res_eta(double done_time_s, unsigned done, unsigned total, double cur_elapsed_s)
{
    double eta;
    if (!done || total <= done)
        return done ? 0 : -1;
    eta = done_time_s / done * (total - done) - cur_elapsed_s;
    return eta > 0 ? eta : 0;
}
