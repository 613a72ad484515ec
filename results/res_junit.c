/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * res_junit: results.xml, JUnit as Jenkins, GitLab and openQA read it.  One
 * <testsuite> per job or shard under <testsuites>, each with a stable name (the
 * config's stem, ".shard<I>"), a numeric id and its own package, because openQA's
 * parser makes one module per testsuite named after the package (prefixed with id + 1)
 * and GitLab keys a test by testsuite@name + classname + name.
 *
 * Two flavours (enum res_junit_flavour):
 *   full    testcase@status in openQA's words, testcase <properties> (the params that
 *           matter, checks, hops, WARN's reason), skipped@message, testsuites@skipped;
 *           schema tests/vtrun-junit.xsd;
 *   strict  only what Jenkins' xunit junit-10.xsd and the dtkit junit-4.xsd both
 *           accept (tests/junit-strict.xsd): none of the above; the reason of a skip
 *           is the text of <skipped>.
 * In both, failure/error carry type, message and the reason as text, and system-out
 * is the test's debug.log cut in the middle, for tests that did not pass and for WARN
 * (whose reason heads it), as avocado keeps it only where someone has to look.
 */
#include "results/res_model.h"

#include "lib/err.h"
#include "lib/strbuf.h"

#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every attribute and text goes through res_xml_clean(): console logs carry escape
 * sequences that are not XML characters and would make the whole file invalid. */
static int attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    char *clean = res_xml_clean(value, strlen(value));
    int rc = xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST clean);
    free(clean);
    return rc < 0 ? -1 : 0;
}

static int attrf(xmlTextWriterPtr w, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int attrf(xmlTextWriterPtr w, const char *name, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    int rc;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    rc = attr(w, name, sb.buf);
    strbuf_release(&sb);
    return rc;
}

static int text(xmlTextWriterPtr w, const char *s)
{
    char *clean = res_xml_clean(s, strlen(s));
    int rc = xmlTextWriterWriteString(w, BAD_CAST clean);
    free(clean);
    return rc < 0 ? -1 : 0;
}

#define TRY(x)                                                                          \
    do {                                                                                \
        if ((x) < 0)                                                                    \
            goto fail;                                                                  \
    } while (0)

static int property(xmlTextWriterPtr w, const char *name, const char *value)
{
    TRY(xmlTextWriterStartElement(w, BAD_CAST "property"));
    TRY(attr(w, "name", name));
    TRY(attr(w, "value", value));
    TRY(xmlTextWriterEndElement(w));
    return 0;
fail:
    return -1;
}

static int hop_property(xmlTextWriterPtr w, const struct res_hop_rec *h)
{
    char *name = xasprintf("hop.%s.%u", h->vm, h->hop);
    struct strbuf v = STRBUF_INIT;
    int rc;
    strbuf_addf(&v, "%s -> %s: %.2f s", h->from, h->to, h->wall_s);
    if (h->downtime_ms >= 0)
        strbuf_addf(&v, ", downtime %.0f ms", h->downtime_ms);
    strbuf_addf(&v, ", %.1f MiB, %u iterations, %s, %s%s%s", h->data_bytes / 1048576.0,
                h->mem_iterations, h->mode, h->ok ? "ok" : "FAILED",
                *h->error ? ": " : "", h->error);
    rc = property(w, name, v.buf);
    free(name);
    strbuf_release(&v);
    return rc;
}

/* The case's params that matter, its checks, its hops, and WARN's reason. */
static int case_properties(xmlTextWriterPtr w, const struct res_rec *r)
{
    bool full_name = strcmp(r->cartesian_name, r->name) != 0;
    if (!r->nparams && !r->nchecks && !r->nhops && r->status != RES_WARN && !full_name)
        return 0;
    TRY(xmlTextWriterStartElement(w, BAD_CAST "properties"));
    if (full_name)
        TRY(property(w, "cartesian_name", r->cartesian_name));
    for (size_t i = 0; i < r->nparams; i++)
        TRY(property(w, r->pkeys[i], r->pvals[i]));
    for (size_t i = 0; i < r->nchecks; i++) {
        const struct res_check_rec *c = &r->checks[i];
        char *name = xasprintf("check.%s", c->name);
        char *val = xasprintf("%s [%s]%s%s", res_status_name(c->status), c->severity,
                              *c->message ? ": " : "", c->message);
        int rc = property(w, name, val);
        free(name);
        free(val);
        TRY(rc);
    }
    for (size_t i = 0; i < r->nhops; i++)
        TRY(hop_property(w, &r->hops[i]));
    if (r->status == RES_WARN)
        TRY(property(w, "warn", r->fail_reason));
    TRY(xmlTextWriterEndElement(w));
    return 0;
fail:
    return -1;
}

char *res_rec_system_out(const struct res_rec *r)
{
    char *p, *log, *clean, *out;
    size_t len;
    if (res_status_ok(r->status) && r->status != RES_WARN)
        return NULL;
    p = xasprintf("%s/debug.log", r->logdir);
    log = res_read_file(p, &len);
    free(p);
    if (!log)
        log = xstrdup("");
    if (r->status == RES_WARN) {
        /* the reason first: a viewer that shows only the start still shows why */
        char *w = xasprintf("WARN: %s\n%s", r->fail_reason, log);
        free(log);
        log = w;
        len = strlen(w);
    }
    clean = res_xml_clean(log, len);
    out = res_cut_middle(clean, strlen(clean), RES_SYSTEM_OUT_MAX);
    free(clean);
    free(log);
    return out;
}

static int write_case(xmlTextWriterPtr w, const struct res_rec *r,
                      enum res_junit_flavour flavour)
{
    const char *elem = NULL;
    char *out = NULL;
    TRY(xmlTextWriterStartElement(w, BAD_CAST "testcase"));
    TRY(attr(w, "classname", r->classname));
    TRY(attr(w, "name", r->name));
    TRY(attrf(w, "time", "%.3f", r->time_s));
    if (flavour == RES_JUNIT_FULL) {
        TRY(attr(w, "status", res_status_openqa(r->status)));
        TRY(case_properties(w, r));
    }

    switch (r->status) {
    case RES_FAIL:
        elem = "failure";
        break;
    case RES_ERROR:
    case RES_INTERRUPTED:
        elem = "error";
        break;
    case RES_SKIP:
    case RES_CANCEL:
        /* dtkit's junit-4.xsd: <skipped> is text only */
        TRY(xmlTextWriterStartElement(w, BAD_CAST "skipped"));
        if (flavour == RES_JUNIT_FULL)
            TRY(attr(w, "message", r->fail_reason));
        TRY(text(w, r->fail_reason));
        TRY(xmlTextWriterEndElement(w));
        break;
    default:
        break;
    }
    if (elem) {
        TRY(xmlTextWriterStartElement(w, BAD_CAST elem));
        TRY(attr(w, "type", *r->fail_type ? r->fail_type : res_default_fail_type(r->status)));
        TRY(attr(w, "message", r->fail_reason));
        TRY(text(w, r->fail_reason));
        TRY(xmlTextWriterEndElement(w));
    }
    out = res_rec_system_out(r);
    if (out) {
        TRY(xmlTextWriterStartElement(w, BAD_CAST "system-out"));
        /* res_rec_system_out() cleaned it */
        TRY(xmlTextWriterWriteString(w, BAD_CAST out));
        TRY(xmlTextWriterEndElement(w));
    }
    TRY(xmlTextWriterEndElement(w));
    free(out);
    return 0;
fail:
    free(out);
    return -1;
}

/* The <testcase> of a record, rendered once (a record never changes once in a
 * report, and the flavour is the report's). */
const char *res_rec_junit(struct res_rec *r, enum res_junit_flavour flavour)
{
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
    if (r->junit)
        return r->junit;
    buf = xmlBufferCreate();
    w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    if (!w)
        goto fail;
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    if (write_case(w, r, flavour) < 0)
        goto fail;
    xmlFreeTextWriter(w); /* flushes into buf */
    w = NULL;
    r->junit = xstrdup((const char *)xmlBufferContent(buf));
fail:
    if (w)
        xmlFreeTextWriter(w);
    if (buf)
        xmlBufferFree(buf);
    return r->junit;
}

static int write_suite(xmlTextWriterPtr w, struct res_report *rep, size_t si)
{
    const struct res_suite *s = &rep->suites[si];
    struct res_counts c;
    res_suite_counts(rep, (long)si, &c);
    TRY(xmlTextWriterStartElement(w, BAD_CAST "testsuite"));
    TRY(attr(w, "name", s->name));
    /* openQA prefixes the module name with id + 1 when the id is a number */
    TRY(attrf(w, "id", "%zu", si));
    TRY(attrf(w, "tests", "%u", c.total));
    TRY(attrf(w, "failures", "%u", c.n[RES_FAIL]));
    /* as avocado: interrupted tests count as errors, cancelled ones as skipped */
    TRY(attrf(w, "errors", "%u", c.n[RES_ERROR] + c.n[RES_INTERRUPTED]));
    TRY(attrf(w, "skipped", "%u", c.n[RES_SKIP] + c.n[RES_CANCEL]));
    TRY(attrf(w, "time", "%.3f", res_suite_time(rep, (long)si)));
    TRY(attr(w, "timestamp", s->timestamp));
    TRY(attr(w, "hostname", s->hostname));
    TRY(attr(w, "package", s->package));
    TRY(xmlTextWriterStartElement(w, BAD_CAST "properties"));
    TRY(property(w, "job_id", s->job_id));
    if (*s->shard)
        TRY(property(w, "shard", s->shard));
    TRY(xmlTextWriterEndElement(w));
    for (size_t i = 0; i < rep->ntests; i++) {
        const char *xml;
        if (rep->tests[i]->suite != si)
            continue;
        xml = res_rec_junit(rep->tests[i], rep->flavour);
        if (!xml)
            goto fail;
        TRY(xmlTextWriterWriteRaw(w, BAD_CAST xml));
    }
    TRY(xmlTextWriterEndElement(w));
    return 0;
fail:
    return -1;
}

/* testsuites@name: the job's name without the shard, as every shard shares it. */
static char *suites_name(const struct res_report *rep)
{
    const char *n = rep->nsuites ? rep->suites[0].name : "vtrun";
    const char *dot = strstr(n, ".shard");
    return dot && dot[6] && strspn(dot + 6, "0123456789") == strlen(dot + 6)
               ? xstrndup(n, (size_t)(dot - n)) : xstrdup(n);
}

char *res_render_junit(struct res_report *rep)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    struct res_counts c;
    char *name = suites_name(rep), *out = NULL;

    if (!w)
        goto cleanup;
    res_suite_counts(rep, -1, &c);
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    TRY(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
    TRY(xmlTextWriterStartElement(w, BAD_CAST "testsuites"));
    TRY(attr(w, "name", name));
    TRY(attrf(w, "tests", "%u", c.total));
    TRY(attrf(w, "failures", "%u", c.n[RES_FAIL]));
    TRY(attrf(w, "errors", "%u", c.n[RES_ERROR] + c.n[RES_INTERRUPTED]));
    if (rep->flavour == RES_JUNIT_FULL)
        TRY(attrf(w, "skipped", "%u", c.n[RES_SKIP] + c.n[RES_CANCEL]));
    TRY(attrf(w, "time", "%.3f", res_suite_time(rep, -1)));
    for (size_t i = 0; i < rep->nsuites; i++)
        TRY(write_suite(w, rep, i));
    TRY(xmlTextWriterEndDocument(w));
    xmlFreeTextWriter(w); /* flushes into buf */
    w = NULL;
    out = xstrdup((const char *)xmlBufferContent(buf));
    goto cleanup;
fail:
    err_set("results.xml: XML writer failed");
cleanup:
    if (w)
        xmlFreeTextWriter(w);
    if (buf)
        xmlBufferFree(buf);
    free(name);
    return out;
}
