/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * res_html: results.html and its stylesheet results.css.  CI viewers serve reports
 * under a content security policy (Jenkins' default: "sandbox; default-src 'none';
 * img-src 'self'; style-src 'self';"): no script runs and no inline style applies, so
 * the page has neither.  Its look comes from results.css beside it (a same-origin
 * stylesheet is allowed), and the migration timelines are SVG whose colours are
 * presentation attributes (fill=, stroke=: not CSS, so not blocked).  Without the
 * stylesheet it is still a readable document: headings, tables, status words.
 *
 * Layout: summary; "Problems" (tests that did not pass, then WARN) first; every test
 * with a status filter made of links to :target anchors (CSS only; without CSS the
 * links jump to the table and everything shows); for every test that migrated an SVG
 * timeline, one row per VM, one <rect class="hop"> per hop, a row under them with one
 * <rect class="phase"> per phase of the test (where its time went), and a table of the
 * hops' numbers.  Each test's rows are rendered once (rec->html), the page is assembled.
 */
#include "results/res_model.h"

#include "lib/strbuf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void esc(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': strbuf_addstr(sb, "&lt;"); break;
        case '>': strbuf_addstr(sb, "&gt;"); break;
        case '&': strbuf_addstr(sb, "&amp;"); break;
        case '"': strbuf_addstr(sb, "&quot;"); break;
        case '\'': strbuf_addstr(sb, "&#39;"); break;
        default: strbuf_addch(sb, *s);
        }
    }
}

/* href: escape for the attribute, and percent-encode what a path may hold that an
 * URL may not ('%', '#', '?', spaces). */
static void esc_href(struct strbuf *sb, const char *s)
{
    struct strbuf tmp = STRBUF_INIT;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '%' || c == '#' || c == '?' || c <= ' ' || c >= 0x7f)
            strbuf_addf(&tmp, "%%%02X", c);
        else
            strbuf_addch(&tmp, (char)c);
    }
    esc(sb, tmp.buf);
    strbuf_release(&tmp);
}

/* One class per status (FAIL, ERROR and INTERRUPTED each their own colour), and the
 * order of the summary and the filter: what needs a look first. */
static const struct {
    enum res_status st;
    const char *cls;
} statuses[] = {
    { RES_FAIL, "st-fail" },   { RES_ERROR, "st-error" },
    { RES_INTERRUPTED, "st-interrupted" }, { RES_WARN, "st-warn" },
    { RES_PASS, "st-pass" },   { RES_SKIP, "st-skip" },
    { RES_CANCEL, "st-cancel" },
};

static const char *status_class(enum res_status s)
{
    for (size_t i = 0; i < ARRAY_SIZE(statuses); i++)
        if (statuses[i].st == s)
            return statuses[i].cls;
    return "st-error";
}

/* The filter: "#show-<status>:target ~ table.all" hides every other row. */
#define FILTER_RULE(c)                                                                  \
    "#show-" c ":target~table.all tbody tr:not(.st-" c "){display:none}"

const char res_html_css[] =
    "/* results.css: the look of results.html (written by vtrun; no inline style, so\n"
    "   the report keeps its colours under a CI viewer's content security policy) */\n"
    "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\n"
    "th{background:#eee}td.num{text-align:right;white-space:nowrap}\n"
    "td.status{white-space:nowrap}\n"
    ".meta td:first-child{font-weight:bold}\n"
    ".reason{font-family:monospace;white-space:pre-wrap;max-width:50em}\n"
    /* avocado-vt names run to 200+ characters without a blank: let them wrap */
    ".tests td,h3{overflow-wrap:anywhere}\n"
    ".badge{display:inline-block;padding:.2em .7em;margin:0 .4em .3em 0;"
    "border-radius:.3em;font-weight:bold}\n"
    ".badge.zero{background:#f2f2f2;color:#777}\n"
    ".st-pass{background:#9be89b}.st-fail{background:#ff6b6b}"
    ".st-error{background:#ffa94d}.st-interrupted{background:#c48bff}"
    ".st-warn{background:#ffe066}.st-skip{background:#d0d0d0}"
    ".st-cancel{background:#b8c4d0}\n"
    "tr.st-pass,tr.st-fail,tr.st-error,tr.st-interrupted,tr.st-warn,tr.st-skip,"
    "tr.st-cancel{background:none}\n"
    ".filter a{margin-right:.8em}\n"
    FILTER_RULE("pass") FILTER_RULE("fail") FILTER_RULE("error")
    FILTER_RULE("interrupted") FILTER_RULE("warn") FILTER_RULE("skip")
    FILTER_RULE("cancel") "\n"
    ".hops td{white-space:nowrap}\n"
    "tr.hop-ok td{background:#e8f5e9}tr.hop-failed td{background:#ffcdd2}\n"
    "svg.timeline{display:block;margin:.5em 0}\n";

static void add_meta(struct strbuf *sb, const char *k, const char *v)
{
    if (!v || !*v)
        return;
    strbuf_addstr(sb, "<tr><td>");
    esc(sb, k);
    strbuf_addstr(sb, "</td><td>");
    esc(sb, v);
    strbuf_addstr(sb, "</td></tr>\n");
}

/* A tick step of 1, 2 or 5 times a power of ten giving at most ~10 ticks. */
static double tick_step(double span)
{
    double raw = span / 10, p = pow(10, floor(log10(raw > 0 ? raw : 1)));
    if (raw <= p)
        return p;
    if (raw <= 2 * p)
        return 2 * p;
    if (raw <= 5 * p)
        return 5 * p;
    return 10 * p;
}

#define LABEL_W 140.0
#define PLOT_W 760.0
#define ROW_H 26.0
#define TOP 8.0
#define AXIS_H 26.0

/* Hop colours, as SVG presentation attributes (CSP-proof). */
#define FILL_PRECOPY "#4a90d9"
#define FILL_POSTCOPY "#7b61c9"
#define FILL_FAILED "#d9534f"
#define FILL_DOWNTIME "#f0a020"

static void hop_title(struct strbuf *sb, const struct res_hop_rec *h, double t0)
{
    esc(sb, h->vm);
    strbuf_addf(sb, " hop %u: ", h->hop);
    esc(sb, h->from);
    strbuf_addstr(sb, " \xe2\x86\x92 ");
    esc(sb, h->to);
    strbuf_addf(sb, ", start +%.2f s, %.2f s", h->start - t0, h->wall_s);
    if (h->downtime_ms >= 0)
        strbuf_addf(sb, ", downtime %.0f ms", h->downtime_ms);
    strbuf_addf(sb, ", %.1f MiB, %u iterations, ", h->data_bytes / 1048576.0,
                h->mem_iterations);
    esc(sb, h->mode);
    strbuf_addstr(sb, h->ok ? ", ok" : ", FAILED");
    if (*h->error) {
        strbuf_addstr(sb, ": ");
        esc(sb, h->error);
    }
}

/* Phase colours by kind (the name up to a space: "hop 2" is a hop). */
static const struct { const char *kind, *fill; } phase_fills[] = {
    { "setup", "#b0bec5" }, { "clone", "#90a4ae" }, { "start", "#8d6e63" },
    { "login", "#26a69a" }, { "pre-checks", "#ffb74d" }, { "stress", "#e57373" },
    { "hop", FILL_PRECOPY }, { "post-checks", "#81c784" }, { "admin", "#9575cd" },
    { "cleanup", "#bdbdbd" },
};

static const char *phase_fill(const char *name)
{
    size_t n = strcspn(name, " ");
    for (size_t i = 0; i < ARRAY_SIZE(phase_fills); i++)
        if (strlen(phase_fills[i].kind) == n && !strncmp(phase_fills[i].kind, name, n))
            return phase_fills[i].fill;
    return "#cfd8dc";
}

/* The phases row at height y, under the VMs' rows. */
static void phase_bars(struct strbuf *sb, const struct res_rec *r, double t0, double span,
                       double y)
{
    strbuf_addf(sb, "<text x=\"4\" y=\"%.0f\">phases</text>\n", y + ROW_H * 0.65);
    for (size_t i = 0; i < r->nphases; i++) {
        const struct res_phase_rec *p = &r->phases[i];
        double x = LABEL_W + (p->start - t0) / span * PLOT_W, w = p->time_s / span * PLOT_W;
        if (w < 1)
            w = 1;
        strbuf_addf(sb, "<rect class=\"phase\" fill=\"%s\" stroke=\"#ffffff\" "
                    "stroke-width=\"0.5\" data-phase=\"", phase_fill(p->name));
        esc(sb, p->name);
        strbuf_addf(sb, "\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"><title>",
                    x, y + 4, w, ROW_H - 8);
        esc(sb, p->name);
        strbuf_addf(sb, ": start +%.2f s, %.2f s</title></rect>\n", p->start - t0, p->time_s);
        if (w > 7.0 * (double)strlen(p->name)) {
            strbuf_addf(sb, "<text x=\"%.2f\" y=\"%.1f\" fill=\"#000000\">", x + 3,
                        y + ROW_H * 0.6);
            esc(sb, p->name);
            strbuf_addstr(sb, "</text>\n");
        }
    }
}

static void timeline(struct strbuf *sb, const struct res_rec *r)
{
    const char **vms = xcalloc(r->nhops, sizeof(char *));
    size_t nvm = 0, nrows;
    double t0 = INFINITY, t1 = -INFINITY, span, step, height;

    for (size_t i = 0; i < r->nphases; i++) {
        if (r->phases[i].start < t0)
            t0 = r->phases[i].start;
        if (r->phases[i].start + r->phases[i].time_s > t1)
            t1 = r->phases[i].start + r->phases[i].time_s;
    }

    for (size_t i = 0; i < r->nhops; i++) {
        const struct res_hop_rec *h = &r->hops[i];
        size_t v;
        for (v = 0; v < nvm && strcmp(vms[v], h->vm); v++)
            ;
        if (v == nvm)
            vms[nvm++] = h->vm;
        if (h->start < t0)
            t0 = h->start;
        if (h->start + h->wall_s > t1)
            t1 = h->start + h->wall_s;
    }
    span = t1 - t0 > 1e-3 ? t1 - t0 : 1;
    step = tick_step(span);
    nrows = nvm + (r->nphases ? 1 : 0);
    height = TOP + nrows * ROW_H + AXIS_H;
    strbuf_addf(sb, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
                "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                "font-family=\"sans-serif\" font-size=\"11\">\n",
                LABEL_W + PLOT_W + 20, height, LABEL_W + PLOT_W + 20, height);
    for (double t = 0; t <= span + 1e-9; t += step) {
        double x = LABEL_W + t / span * PLOT_W;
        strbuf_addf(sb, "<line class=\"grid\" stroke=\"#dddddd\" x1=\"%.1f\" y1=\"%.0f\" "
                    "x2=\"%.1f\" y2=\"%.0f\"/><text x=\"%.1f\" y=\"%.0f\" "
                    "text-anchor=\"middle\">%gs</text>\n",
                    x, TOP, x, TOP + nrows * ROW_H, x, TOP + nrows * ROW_H + 16, t);
    }
    for (size_t v = 0; v < nvm; v++) {
        strbuf_addf(sb, "<text x=\"4\" y=\"%.0f\">", TOP + v * ROW_H + ROW_H * 0.65);
        esc(sb, vms[v]);
        strbuf_addstr(sb, "</text>\n");
    }
    for (size_t i = 0; i < r->nhops; i++) {
        const struct res_hop_rec *h = &r->hops[i];
        bool post = !strcmp(h->mode, "postcopy");
        size_t v;
        double x, w, y, dw;
        for (v = 0; strcmp(vms[v], h->vm); v++)
            ;
        x = LABEL_W + (h->start - t0) / span * PLOT_W;
        w = h->wall_s / span * PLOT_W;
        if (w < 2)
            w = 2;
        y = TOP + v * ROW_H + 4;
        strbuf_addf(sb, "<rect class=\"hop%s%s\" fill=\"%s\" stroke=\"#224455\" "
                    "stroke-width=\"0.5\" data-vm=\"",
                    h->ok ? "" : " failed", post ? " postcopy" : "",
                    !h->ok ? FILL_FAILED : post ? FILL_POSTCOPY : FILL_PRECOPY);
        esc(sb, h->vm);
        strbuf_addf(sb, "\" data-hop=\"%u\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
                    "height=\"%.1f\"><title>",
                    h->hop, x, y, w, ROW_H - 8);
        hop_title(sb, h, t0);
        strbuf_addstr(sb, "</title></rect>\n");
        /* Downtime is the stop-and-copy at the end of the hop; at least 1.5 px so it
         * stays visible next to a hop of minutes. */
        if (h->downtime_ms > 0) {
            dw = h->downtime_ms / 1000.0 / span * PLOT_W;
            if (dw < 1.5)
                dw = 1.5;
            if (dw > w)
                dw = w;
            strbuf_addf(sb, "<rect class=\"dt\" fill=\"" FILL_DOWNTIME "\" x=\"%.2f\" "
                        "y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"/>\n",
                        x + w - dw, y, dw, ROW_H - 8);
        }
        if (w > 24)
            strbuf_addf(sb, "<text x=\"%.2f\" y=\"%.1f\" fill=\"#ffffff\">%u</text>\n",
                        x + 4, y + ROW_H * 0.5, h->hop);
    }
    if (r->nphases)
        phase_bars(sb, r, t0, span, TOP + nvm * ROW_H);
    strbuf_addstr(sb, "</svg>\n");
    free(vms);
}

/* The test's checks (pre-migration rows, guest administration steps) in their order. */
static void check_table(struct strbuf *sb, const struct res_rec *r)
{
    if (!r->nchecks)
        return;
    strbuf_addstr(sb, "<table class=\"checks\"><tr><th>check</th><th>severity</th>"
                      "<th>result</th><th>message</th></tr>\n");
    for (size_t i = 0; i < r->nchecks; i++) {
        const struct res_check_rec *c = &r->checks[i];
        strbuf_addf(sb, "<tr class=\"%s\"><td>", status_class(c->status));
        esc(sb, c->name);
        strbuf_addstr(sb, "</td><td>");
        esc(sb, c->severity);
        strbuf_addf(sb, "</td><td class=\"status %s\">%s</td><td>", status_class(c->status),
                    res_status_name(c->status));
        esc(sb, c->message);
        strbuf_addstr(sb, "</td></tr>\n");
    }
    strbuf_addstr(sb, "</table>\n");
}

static void hop_table(struct strbuf *sb, const struct res_rec *r)
{
    double t0 = INFINITY;
    for (size_t i = 0; i < r->nhops; i++)
        if (r->hops[i].start < t0)
            t0 = r->hops[i].start;
    strbuf_addstr(sb, "<table class=\"hops\"><tr><th>VM</th><th>hop</th><th>from</th>"
                      "<th>to</th><th>start</th><th>duration</th><th>downtime</th>"
                      "<th>data</th><th>iterations</th><th>mode</th><th>result</th></tr>\n");
    for (size_t i = 0; i < r->nhops; i++) {
        const struct res_hop_rec *h = &r->hops[i];
        strbuf_addf(sb, "<tr class=\"%s\"><td>", h->ok ? "hop-ok" : "hop-failed");
        esc(sb, h->vm);
        strbuf_addf(sb, "</td><td class=\"num\">%u</td><td>", h->hop);
        esc(sb, h->from);
        strbuf_addstr(sb, "</td><td>");
        esc(sb, h->to);
        strbuf_addf(sb, "</td><td class=\"num\">+%.2f s</td><td class=\"num\">%.2f s</td>",
                    h->start - t0, h->wall_s);
        if (h->downtime_ms >= 0)
            strbuf_addf(sb, "<td class=\"num\">%.0f ms</td>", h->downtime_ms);
        else
            strbuf_addstr(sb, "<td>?</td>");
        strbuf_addf(sb, "<td class=\"num\">%.1f MiB</td><td class=\"num\">%u</td><td>",
                    h->data_bytes / 1048576.0, h->mem_iterations);
        esc(sb, h->mode);
        strbuf_addstr(sb, "</td><td>");
        strbuf_addstr(sb, h->ok ? "ok" : "FAILED");
        if (*h->error) {
            strbuf_addstr(sb, ": ");
            esc(sb, h->error);
        }
        strbuf_addstr(sb, "</td></tr>\n");
    }
    strbuf_addstr(sb, "</table>\n");
}

/* The test's row of the tables, and its migration section when it has hops, after
 * a NUL: rec->html = "<tr...>...</tr>\n" "\0" "<div class=migration>...</div>". */
static const char *migration_part(const struct res_rec *r)
{
    return r->html + strlen(r->html) + 1;
}

const char *res_rec_html(struct res_rec *r)
{
    struct strbuf sb = STRBUF_INIT;
    const char *cls;
    if (r->html)
        return r->html;
    cls = status_class(r->status);
    strbuf_addf(&sb, "<tr class=\"%s\"><td class=\"num\">%u</td><td>", cls, r->index);
    esc(&sb, r->name);
    strbuf_addf(&sb, "</td><td class=\"status %s\">%s</td><td class=\"num\">%.2f s</td>"
                "<td class=\"reason\">",
                cls, res_status_name(r->status), r->time_s);
    esc(&sb, r->fail_reason);
    strbuf_addstr(&sb, "</td><td><a href=\"");
    esc_href(&sb, r->link);
    strbuf_addstr(&sb, "/debug.log\">debug.log</a> <a href=\"");
    esc_href(&sb, r->link);
    strbuf_addstr(&sb, "/\">files</a>");
    if (r->nhops)
        strbuf_addf(&sb, " <a href=\"#hops-%u\">hops</a>", r->index);
    for (size_t i = 0; i < r->nfiles; i++) {
        strbuf_addstr(&sb, i ? " " : "<div class=\"evidence\">evidence:");
        strbuf_addstr(&sb, " <a href=\"");
        esc_href(&sb, r->link);
        strbuf_addch(&sb, '/');
        esc_href(&sb, r->files[i].path);
        strbuf_addstr(&sb, "\" title=\"");
        esc(&sb, r->files[i].what);
        strbuf_addstr(&sb, "\">");
        esc(&sb, r->files[i].path);
        strbuf_addstr(&sb, "</a>");
    }
    if (r->nfiles)
        strbuf_addstr(&sb, "</div>");
    strbuf_addstr(&sb, "</td></tr>\n");
    strbuf_addch(&sb, '\0');
    if (r->nhops) {
        strbuf_addf(&sb, "<div class=\"migration\" id=\"hops-%u\"><h3>%u. ", r->index,
                    r->index);
        esc(&sb, r->name);
        strbuf_addf(&sb, " <span class=\"badge %s\">%s</span></h3>\n", cls,
                    res_status_name(r->status));
        timeline(&sb, r);
        hop_table(&sb, r);
        check_table(&sb, r);
        strbuf_addstr(&sb, "</div>\n");
    }
    r->html = strbuf_detach(&sb, NULL);
    return r->html;
}

static void head(struct strbuf *sb, const struct res_report *rep,
                 const struct res_counts *c)
{
    strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<title>vtrun job ");
    esc(sb, rep->job_id);
    strbuf_addstr(sb, "</title>\n<link rel=\"stylesheet\" href=\"" RES_HTML_CSS "\">"
                      "</head>\n<body>\n<h1>vtrun job ");
    esc(sb, rep->job_id);
    strbuf_addstr(sb, "</h1>\n<table class=\"meta\">\n");
    add_meta(sb, "Started", rep->start);
    add_meta(sb, "Config", rep->config);
    for (size_t i = 0; i < rep->nsuites; i++) {
        const struct res_suite *s = &rep->suites[i];
        char *v = xasprintf("%s on %s%s%s", s->name, s->hostname,
                            *s->shard ? ", shard " : "", s->shard);
        add_meta(sb, rep->nsuites > 1 ? "Shard job" : "Job", v);
        free(v);
    }
    if (rep->job_time >= 0) {
        char *v = xasprintf("%.2f s", rep->job_time);
        add_meta(sb, "Job time", v);
        free(v);
    } else {
        char *v = xasprintf("%u of %u done", c->total, rep->total_planned);
        add_meta(sb, "Running", rep->total_planned ? v : "yes");
        free(v);
    }
    if (rep->flags & RES_EXIT_INTERRUPTED)
        add_meta(sb, "Interrupted", "yes");
    add_meta(sb, "Note", rep->note);
    strbuf_addstr(sb, "</table>\n<p class=\"summary\">");
    for (size_t i = 0; i < ARRAY_SIZE(statuses); i++) {
        enum res_status st = statuses[i].st;
        strbuf_addf(sb, "<span class=\"badge %s\">%s %u</span> ",
                    c->n[st] ? statuses[i].cls : "zero",
                    st == RES_INTERRUPTED ? "INTERRUPT" : res_status_name(st), c->n[st]);
    }
    strbuf_addf(sb, "total %u</p>\n", c->total);
}

#define TABLE_HEAD                                                                      \
    "<thead><tr><th>#</th><th>test</th><th>status</th><th>time</th><th>reason</th>"     \
    "<th>logs</th></tr></thead>\n<tbody>\n"

char *res_render_html(struct res_report *rep)
{
    struct strbuf sb = STRBUF_INIT;
    struct res_counts c;
    unsigned problems = 0;
    bool any_hops = false;

    res_suite_counts(rep, -1, &c);
    for (size_t i = 0; i < rep->ntests; i++) {
        res_rec_html(rep->tests[i]);
        any_hops |= rep->tests[i]->nhops > 0;
    }
    problems = c.total - c.n[RES_PASS] - c.n[RES_SKIP] - c.n[RES_CANCEL];
    head(&sb, rep, &c);

    /* what needs a look, first: not passed in the order of statuses[], then WARN */
    if (problems) {
        strbuf_addf(&sb, "<h2 id=\"problems\">Problems (%u)</h2>\n"
                    "<table class=\"tests problems\">" TABLE_HEAD, problems);
        for (size_t k = 0; k < ARRAY_SIZE(statuses) && statuses[k].st != RES_PASS; k++)
            for (size_t i = 0; i < rep->ntests; i++)
                if (rep->tests[i]->status == statuses[k].st)
                    strbuf_addstr(&sb, rep->tests[i]->html);
        strbuf_addstr(&sb, "</tbody></table>\n");
    }

    strbuf_addf(&sb, "<h2 id=\"tests\">Tests (%u)</h2>\n<p class=\"filter\">Show: "
                "<a href=\"#tests\">all</a>", c.total);
    for (size_t k = 0; k < ARRAY_SIZE(statuses); k++)
        if (c.n[statuses[k].st])
            strbuf_addf(&sb, "<a href=\"#show-%s\">%s (%u)</a>", statuses[k].cls + 3,
                        res_status_name(statuses[k].st), c.n[statuses[k].st]);
    strbuf_addstr(&sb, "</p>\n");
    /* the filter's targets: siblings before the table, so "#show-x:target ~ table"
     * can hide the other rows */
    for (size_t k = 0; k < ARRAY_SIZE(statuses); k++)
        strbuf_addf(&sb, "<span id=\"show-%s\"></span>", statuses[k].cls + 3);
    strbuf_addstr(&sb, "\n<table class=\"tests all\">" TABLE_HEAD);
    for (size_t i = 0; i < rep->ntests; i++)
        strbuf_addstr(&sb, rep->tests[i]->html);
    strbuf_addstr(&sb, "</tbody></table>\n");

    if (any_hops)
        strbuf_addstr(&sb, "<h2>Migrations</h2>\n<p>One row per VM, one bar per hop "
                           "(hover for details): blue pre-copy, purple post-copy, red "
                           "failed; the orange mark at the end of a bar is the guest "
                           "downtime; the last row, the test's phases: where its "
                           "time went.</p>\n");
    for (size_t i = 0; i < rep->ntests; i++)
        if (rep->tests[i]->nhops)
            strbuf_addstr(&sb, migration_part(rep->tests[i]));
    strbuf_addstr(&sb, "</body></html>\n");
    return strbuf_detach(&sb, NULL);
}
