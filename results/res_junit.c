/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * res_junit: results.xml, JUnit 4 as Jenkins, GitLab and openQA read it (schema:
 * tests/junit-4.xsd).  One <testsuite> per job or shard under <testsuites>;
 * testcase@status in openQA's words (its parser reads testsuite@package and
 * testcase@status); failure/error with type and message, skipped with the reason,
 * system-out = debug.log cut in the middle, properties = the case's (masked) params.
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

static int write_case(xmlTextWriterPtr w, const struct res_rec *r)
{
    const char *elem = NULL;
    TRY(xmlTextWriterStartElement(w, BAD_CAST "testcase"));
    TRY(attr(w, "classname", r->classname));
    TRY(attr(w, "name", r->name));
    TRY(attrf(w, "time", "%.3f", r->time_s));
    TRY(attr(w, "status", res_status_openqa(r->status)));

    if (r->nparams || r->nchecks) {
        TRY(xmlTextWriterStartElement(w, BAD_CAST "properties"));
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
        TRY(xmlTextWriterEndElement(w));
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
        TRY(xmlTextWriterStartElement(w, BAD_CAST "skipped"));
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
    if (*r->system_out) {
        TRY(xmlTextWriterStartElement(w, BAD_CAST "system-out"));
        /* system_out was cleaned when the test ended */
        TRY(xmlTextWriterWriteString(w, BAD_CAST r->system_out));
        TRY(xmlTextWriterEndElement(w));
    }
    TRY(xmlTextWriterEndElement(w));
    return 0;
fail:
    return -1;
}

/* The <testcase> of a record, rendered once: results.xml is rewritten after every
 * test and escaping every test's system-out again each time made the rewrite
 * quadratic in the bytes of the whole job. */
static const char *case_xml(struct res_rec *r)
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
    if (write_case(w, r) < 0)
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

static int write_suite(xmlTextWriterPtr w, const struct res_report *rep, size_t si)
{
    const struct res_suite *s = &rep->suites[si];
    struct res_counts c;
    res_suite_counts(rep, (long)si, &c);
    TRY(xmlTextWriterStartElement(w, BAD_CAST "testsuite"));
    TRY(attr(w, "name", s->name));
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
        xml = case_xml(rep->tests[i]);
        if (!xml)
            goto fail;
        TRY(xmlTextWriterWriteRaw(w, BAD_CAST xml));
    }
    TRY(xmlTextWriterEndElement(w));
    return 0;
fail:
    return -1;
}

int res_write_junit(const struct res_report *rep, const char *path)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    struct res_counts c;
    int ret = -1;

    if (!w) {
        err_set("%s: cannot create the XML writer", path);
        goto cleanup;
    }
    res_suite_counts(rep, -1, &c);
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    TRY(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
    TRY(xmlTextWriterStartElement(w, BAD_CAST "testsuites"));
    TRY(attr(w, "name", rep->nsuites ? rep->suites[0].package : "vtrun"));
    TRY(attrf(w, "tests", "%u", c.total));
    TRY(attrf(w, "failures", "%u", c.n[RES_FAIL]));
    TRY(attrf(w, "errors", "%u", c.n[RES_ERROR] + c.n[RES_INTERRUPTED]));
    TRY(attrf(w, "skipped", "%u", c.n[RES_SKIP] + c.n[RES_CANCEL]));
    TRY(attrf(w, "time", "%.3f", res_suite_time(rep, -1)));
    for (size_t i = 0; i < rep->nsuites; i++)
        TRY(write_suite(w, rep, i));
    TRY(xmlTextWriterEndDocument(w));
    xmlFreeTextWriter(w); /* flushes into buf */
    w = NULL;
    ret = res_write_atomic(path, (const char *)xmlBufferContent(buf),
                           (size_t)xmlBufferLength(buf));
    goto cleanup;
fail:
    err_set("%s: XML writer failed", path);
cleanup:
    if (w)
        xmlFreeTextWriter(w);
    if (buf)
        xmlBufferFree(buf);
    return ret;
}
