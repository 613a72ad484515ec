/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_model: statuses, counts and the in-memory report shared by the writers. */
#include "results/res_model.h"

#include "lib/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const struct {
    const char *name;
    const char *openqa;
    const char *fail_type;
    bool ok;
} statuses[RES_NSTATUS] = {
    [RES_PASS] = { "PASS", "success", "", true },
    [RES_FAIL] = { "FAIL", "failure", "TestFail", false },
    [RES_ERROR] = { "ERROR", "error", "TestError", false },
    [RES_SKIP] = { "SKIP", "skipped", "TestSkip", true },
    [RES_WARN] = { "WARN", "softfail", "TestWarn", true },
    [RES_INTERRUPTED] = { "INTERRUPTED", "timeout_exceeded", "TestInterrupted", false },
    [RES_CANCEL] = { "CANCEL", "skipped", "TestCancel", true },
};

const char *res_status_name(enum res_status s)
{
    return (unsigned)s < RES_NSTATUS ? statuses[s].name : "UNKNOWN";
}

int res_status_parse(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < RES_NSTATUS; i++)
        if (!strcmp(name, statuses[i].name))
            return (int)i;
    if (!strcmp(name, "INTERRUPT"))
        return RES_INTERRUPTED;
    return -1;
}

const char *res_status_openqa(enum res_status s)
{
    return (unsigned)s < RES_NSTATUS ? statuses[s].openqa : "unknown";
}

bool res_status_ok(enum res_status s)
{
    return (unsigned)s < RES_NSTATUS && statuses[s].ok;
}

const char *res_default_fail_type(enum res_status s)
{
    return (unsigned)s < RES_NSTATUS ? statuses[s].fail_type : "TestError";
}

int res_exit_bits(const struct res_counts *c, int job_flags)
{
    int bits = job_flags & (RES_EXIT_JOB_ERROR | RES_EXIT_CRASH | RES_EXIT_INTERRUPTED);
    for (size_t i = 0; i < RES_NSTATUS; i++)
        if (!statuses[i].ok && c->n[i])
            bits |= RES_EXIT_TESTS_FAILED;
    return bits;
}

char *res_results_line(const struct res_counts *c)
{
    return xasprintf("RESULTS    : PASS %u | ERROR %u | FAIL %u | SKIP %u | WARN %u | "
                     "INTERRUPT %u | CANCEL %u",
                     c->n[RES_PASS], c->n[RES_ERROR], c->n[RES_FAIL], c->n[RES_SKIP],
                     c->n[RES_WARN], c->n[RES_INTERRUPTED], c->n[RES_CANCEL]);
}

char *res_str(const char *s)
{
    return xstrdup(s ? s : "");
}

double res_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int res_junit_flavour_parse(const char *s)
{
    static const char *const names[] = { [RES_JUNIT_FULL] = "full",
                                          [RES_JUNIT_STRICT] = "strict" };
    for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
        if (!strcmp(s, names[i]))
            return (int)i;
    return -1;
}

double res_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

char *res_iso_time(double epoch)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    char buf[32];
    localtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return xstrdup(buf);
}

void res_rec_free(struct res_rec *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->cartesian_name);
    free(r->shortname);
    free(r->classname);
    free(r->id);
    free(r->logdir);
    free(r->link);
    free(r->fail_type);
    free(r->fail_reason);
    free(r->whiteboard);
    for (size_t i = 0; i < r->nparams; i++) {
        free(r->pkeys[i]);
        free(r->pvals[i]);
    }
    free(r->pkeys);
    free(r->pvals);
    for (size_t i = 0; i < r->nchecks; i++) {
        free(r->checks[i].name);
        free(r->checks[i].severity);
        free(r->checks[i].message);
    }
    free(r->checks);
    for (size_t i = 0; i < r->nfiles; i++) {
        free(r->files[i].path);
        free(r->files[i].what);
    }
    free(r->files);
    for (size_t i = 0; i < r->nhops; i++) {
        free(r->hops[i].vm);
        free(r->hops[i].from);
        free(r->hops[i].to);
        free(r->hops[i].mode);
        free(r->hops[i].error);
    }
    free(r->hops);
    for (size_t i = 0; i < r->nphases; i++)
        free(r->phases[i].name);
    free(r->phases);
    free(r->json);
    free(r->junit);
    free(r->html);
    free(r);
}

void res_report_release(struct res_report *rep)
{
    for (size_t i = 0; i < rep->ntests; i++)
        res_rec_free(rep->tests[i]);
    free(rep->tests);
    for (size_t i = 0; i < rep->nsuites; i++) {
        struct res_suite *s = &rep->suites[i];
        free(s->name);
        free(s->hostname);
        free(s->package);
        free(s->timestamp);
        free(s->shard);
        free(s->job_id);
    }
    free(rep->suites);
    free(rep->job_id);
    free(rep->debuglog);
    free(rep->start);
    free(rep->config);
    free(rep->note);
    memset(rep, 0, sizeof(*rep));
}

void res_report_add(struct res_report *rep, struct res_rec *r)
{
    if (rep->ntests == rep->atests) {
        rep->atests = rep->atests ? 2 * rep->atests : 16;
        rep->tests = xrealloc(rep->tests, rep->atests * sizeof(*rep->tests));
    }
    rep->tests[rep->ntests++] = r;
}

/* suite < 0: every suite. */
void res_suite_counts(const struct res_report *rep, long suite, struct res_counts *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < rep->ntests; i++) {
        const struct res_rec *r = rep->tests[i];
        if (suite >= 0 && r->suite != (size_t)suite)
            continue;
        if ((unsigned)r->status < RES_NSTATUS)
            c->n[r->status]++;
        c->total++;
        c->time_s += r->time_s;
    }
}

double res_suite_time(const struct res_report *rep, long suite)
{
    double t = 0;
    for (size_t i = 0; i < rep->ntests; i++)
        if (suite < 0 || rep->tests[i]->suite == (size_t)suite)
            t += rep->tests[i]->time_s;
    return t;
}

/* Length of the valid UTF-8 sequence at s (XML 1.0 Char), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80)
        return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* overlong forms, surrogates, U+FFFE/U+FFFF and beyond U+10FFFF are not Chars */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff || cp > 0x10ffff ||
        (cp >= 0x7f && cp <= 0x9f))
        return 0;
    return n;
}

char *res_xml_clean(const char *s, size_t len)
{
    struct strbuf sb = STRBUF_INIT;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    strbuf_grow(&sb, len);
    while (i < len) {
        size_t n = utf8_len(u + i, len - i);
        if (n) {
            strbuf_add(&sb, u + i, n);
            i += n;
        } else {
            strbuf_addf(&sb, "\\x%02x", u[i]);
            i++;
        }
    }
    return strbuf_detach(&sb, NULL);
}

#define CUT_MARKER "\n--[ CUT DUE TO XML PER TEST LIMIT ]--\n"

/* Move a cut position back to the start of a UTF-8 sequence. */
static size_t utf8_back(const char *s, size_t pos)
{
    while (pos > 0 && ((unsigned char)s[pos] & 0xc0) == 0x80)
        pos--;
    return pos;
}

char *res_cut_middle(const char *text, size_t len, size_t max)
{
    size_t mlen = strlen(CUT_MARKER), head, tail, start;
    struct strbuf sb = STRBUF_INIT;
    if (len <= max)
        return xstrndup(text, len);
    if (max <= mlen)
        return xstrndup(CUT_MARKER, max);
    /* Head and tail split what the marker leaves; each cut lands on a UTF-8
     * boundary, moving so the result only gets shorter. */
    head = utf8_back(text, (max - mlen) / 2);
    start = len - (max - mlen - head);
    while (start < len && ((unsigned char)text[start] & 0xc0) == 0x80)
        start++;
    tail = len - start;
    strbuf_add(&sb, text, head);
    strbuf_addstr(&sb, CUT_MARKER);
    strbuf_add(&sb, text + len - tail, tail);
    return strbuf_detach(&sb, NULL);
}
