/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_console: find kernel crashes in a guest's serial console log.
 *
 * The scan is incremental: a test scans after each hop from where the last scan
 * stopped, so a crash is reported once, at the hop that produced it.  Only complete
 * lines are consumed: a line QEMU is still writing is read again next time.
 */
#include "virt/virt.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const virt_crash_markers[] = {
    "BUG:", "Oops", "Call Trace", "Kernel panic", "---[ end trace", NULL,
};

/* Context printed with a hit: lines before it, and lines after it up to the end of
 * the trace (or this many). */
#define CTX_BEFORE 3
#define CTX_AFTER 30

static const char *match_marker(const char *line)
{
    for (size_t i = 0; virt_crash_markers[i]; i++)
        if (strstr(line, virt_crash_markers[i]))
            return virt_crash_markers[i];
    return NULL;
}

static void strip_eol(char *s, ssize_t *n)
{
    while (*n > 0 && (s[*n - 1] == '\n' || s[*n - 1] == '\r'))
        s[--*n] = '\0';
}

void virt_crash_free(struct virt_crash *c)
{
    if (!c)
        return;
    free(c->pattern);
    free(c->text);
    memset(c, 0, sizeof(*c));
}

int virt_console_scan(const char *path, long long *offset, unsigned *line_no,
                      struct virt_crash *crash)
{
    char *before[CTX_BEFORE] = { NULL };
    size_t nbefore = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lines = line_no ? *line_no : 0;
    long long pos = *offset;
    int ret = -1;
    FILE *f;

    memset(crash, 0, sizeof(*crash));
    f = fopen(path, "rb");
    if (!f) {
        err_set("console log %s: %s", path, strerror(errno));
        return -1;
    }
    if (fseeko(f, pos, SEEK_SET) < 0) {
        err_set("console log %s: seek to %lld: %s", path, pos, strerror(errno));
        goto cleanup;
    }
    ret = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        const char *m;
        long long start = pos;
        if (line[n - 1] != '\n')
            break;              /* still being written: next scan reads it whole */
        pos += n;
        lines++;
        strip_eol(line, &n);
        m = match_marker(line);
        if (!m) {
            /* Keep the last CTX_BEFORE lines as context for a later hit. */
            if (nbefore == CTX_BEFORE) {
                free(before[0]);
                memmove(before, before + 1, (CTX_BEFORE - 1) * sizeof(*before));
                nbefore--;
            }
            before[nbefore++] = xstrdup(line);
            continue;
        }

        struct strbuf text = STRBUF_INIT;
        for (size_t i = 0; i < nbefore; i++)
            strbuf_addf(&text, "%s\n", before[i]);
        strbuf_addf(&text, "%s\n", line);
        crash->offset = start;
        crash->line = lines;
        crash->pattern = xstrdup(m);
        /* The rest of the trace, up to its end marker: consumed with the hit, so the
         * next scan does not report the same oops again by its Call Trace line. */
        bool ended = strstr(line, "---[ end trace") != NULL;
        for (int i = 0; i < CTX_AFTER && !ended; i++) {
            n = getline(&line, &cap, f);
            if (n <= 0 || line[n - 1] != '\n')
                break;
            pos += n;
            lines++;
            strip_eol(line, &n);
            strbuf_addf(&text, "%s\n", line);
            ended = strstr(line, "---[ end trace") != NULL;
        }
        crash->text = strbuf_detach(&text, NULL);
        ret = 1;
        break;
    }
    if (ferror(f)) {
        err_set("console log %s: read: %s", path, strerror(errno));
        virt_crash_free(crash);
        ret = -1;
        goto cleanup;
    }
    *offset = pos;
    if (line_no)
        *line_no = lines;

cleanup:
    for (size_t i = 0; i < nbefore; i++)
        free(before[i]);
    free(line);
    fclose(f);
    return ret;
}
