/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * res_html: results.html, one self-contained page (inline CSS and SVG, no scripts,
 * no external resources): summary, a table of tests with status, time and links to
 * their logs, and for every test that migrated an SVG timeline with one row per VM
 * and one <rect class="hop"> per hop (start, duration; a darker mark for the
 * downtime), so people can look instead of read.
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

static const char *status_class(enum res_status s)
{
    switch (s) {
    case RES_PASS: return "pass";
    case RES_WARN: return "warn";
    case RES_SKIP:
    case RES_CANCEL: return "skip";
    default: return "fail";
    }
}

static const char css[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#eee}td.num{text-align:right}"
    ".pass{background:#d4f4d4}.fail{background:#f8d0d0}.warn{background:#fbeebc}"
    ".skip{background:#e4e4e4}.badge{display:inline-block;padding:.2em .7em;"
    "margin-right:.4em;border-radius:.3em;font-weight:bold}"
    ".reason{font-family:monospace;white-space:pre-wrap;max-width:50em}"
    ".meta td:first-child{font-weight:bold}"
    "svg text{font-family:sans-serif;font-size:11px}"
    "rect.hop{fill:#4a90d9;stroke:#245;stroke-width:.5}"
    "rect.hop.postcopy{fill:#7b61c9}rect.hop.failed{fill:#d9534f}rect.dt{fill:#f0a020}"
    ".hops td{white-space:nowrap}.badge.zero{background:#f2f2f2;color:#777}"
    "line.grid{stroke:#ddd}"
    /* avocado-vt names run to 200+ characters without a blank: let them wrap */
    ".tests td,h3{overflow-wrap:anywhere}";

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

static void timeline(struct strbuf *sb, const struct res_rec *r)
{
    const char **vms = xcalloc(r->nhops, sizeof(char *));
    size_t nvm = 0;
    double t0 = INFINITY, t1 = -INFINITY, span, step, height;

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
    height = TOP + nvm * ROW_H + AXIS_H;
    strbuf_addf(sb, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
                "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
                LABEL_W + PLOT_W + 20, height, LABEL_W + PLOT_W + 20, height);
    for (double t = 0; t <= span + 1e-9; t += step) {
        double x = LABEL_W + t / span * PLOT_W;
        strbuf_addf(sb, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" "
                    "y2=\"%.0f\"/><text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">"
                    "%gs</text>\n",
                    x, TOP, x, TOP + nvm * ROW_H, x, TOP + nvm * ROW_H + 16, t);
    }
    for (size_t v = 0; v < nvm; v++) {
        strbuf_addf(sb, "<text x=\"4\" y=\"%.0f\">", TOP + v * ROW_H + ROW_H * 0.65);
        esc(sb, vms[v]);
        strbuf_addstr(sb, "</text>\n");
    }
    for (size_t i = 0; i < r->nhops; i++) {
        const struct res_hop_rec *h = &r->hops[i];
        size_t v;
        double x, w, y, dw;
        for (v = 0; strcmp(vms[v], h->vm); v++)
            ;
        x = LABEL_W + (h->start - t0) / span * PLOT_W;
        w = h->wall_s / span * PLOT_W;
        if (w < 2)
            w = 2;
        y = TOP + v * ROW_H + 4;
        strbuf_addf(sb, "<rect class=\"hop%s%s\" data-vm=\"", h->ok ? "" : " failed",
                    strcmp(h->mode, "postcopy") ? "" : " postcopy");
        esc(sb, h->vm);
        strbuf_addf(sb, "\" data-hop=\"%u\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
                    "height=\"%.1f\"><title>",
                    h->hop, x, y, w, ROW_H - 8);
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
        strbuf_addstr(sb, "</title></rect>\n");
        /* Downtime is the stop-and-copy at the end of the hop; at least 1 px so it
         * stays visible next to a hop of minutes. */
        if (h->downtime_ms > 0) {
            dw = h->downtime_ms / 1000.0 / span * PLOT_W;
            if (dw < 1.5)
                dw = 1.5;
            if (dw > w)
                dw = w;
            strbuf_addf(sb, "<rect class=\"dt\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
                        "height=\"%.1f\"/>\n",
                        x + w - dw, y, dw, ROW_H - 8);
        }
        if (w > 24)
            strbuf_addf(sb, "<text x=\"%.2f\" y=\"%.1f\" fill=\"#fff\">%u</text>\n",
                        x + 4, y + ROW_H * 0.5, h->hop);
    }
    strbuf_addstr(sb, "</svg>\n");
    free(vms);
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
        strbuf_addf(sb, "<tr class=\"%s\"><td>", h->ok ? "pass" : "fail");
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

int res_write_html(const struct res_report *rep, const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    struct res_counts c;
    static const enum res_status order[] = { RES_PASS, RES_ERROR, RES_FAIL, RES_SKIP,
                                             RES_WARN, RES_INTERRUPTED, RES_CANCEL };
    int ret;
    bool any_hops = false;

    res_suite_counts(rep, -1, &c);
    strbuf_addstr(&sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<title>vtrun job ");
    esc(&sb, rep->job_id);
    strbuf_addf(&sb, "</title><style>%s</style></head>\n<body>\n<h1>vtrun job ", css);
    esc(&sb, rep->job_id);
    strbuf_addstr(&sb, "</h1>\n<table class=\"meta\">\n");
    add_meta(&sb, "Started", rep->start);
    add_meta(&sb, "Config", rep->config);
    for (size_t i = 0; i < rep->nsuites; i++) {
        const struct res_suite *s = &rep->suites[i];
        char *v = xasprintf("%s on %s%s%s", s->name, s->hostname,
                            *s->shard ? ", shard " : "", s->shard);
        add_meta(&sb, rep->nsuites > 1 ? "Shard job" : "Job", v);
        free(v);
    }
    if (rep->job_time >= 0) {
        char *v = xasprintf("%.2f s", rep->job_time);
        add_meta(&sb, "Job time", v);
        free(v);
    } else {
        char *v = xasprintf("%u of %u done", c.total, rep->total_planned);
        add_meta(&sb, "Running", rep->total_planned ? v : "yes");
        free(v);
    }
    if (rep->flags & RES_EXIT_INTERRUPTED)
        add_meta(&sb, "Interrupted", "yes");
    strbuf_addstr(&sb, "</table>\n<p class=\"summary\">");
    for (size_t i = 0; i < ARRAY_SIZE(order); i++)
        strbuf_addf(&sb, "<span class=\"badge %s\">%s %u</span>",
                    c.n[order[i]] ? status_class(order[i]) : "zero",
                    order[i] == RES_INTERRUPTED ? "INTERRUPT" : res_status_name(order[i]),
                    c.n[order[i]]);
    strbuf_addf(&sb, " total %u</p>\n", c.total);

    strbuf_addstr(&sb, "<h2>Tests</h2>\n<table class=\"tests\"><tr><th>#</th><th>test</th>"
                       "<th>status</th><th>time</th><th>reason</th><th>logs</th></tr>\n");
    for (size_t i = 0; i < rep->ntests; i++) {
        const struct res_rec *r = rep->tests[i];
        any_hops |= r->nhops > 0;
        strbuf_addf(&sb, "<tr><td class=\"num\">%u</td><td>", r->index);
        esc(&sb, r->name);
        strbuf_addf(&sb, "</td><td class=\"%s\">%s</td><td class=\"num\">%.2f s</td>"
                    "<td class=\"reason\">",
                    status_class(r->status), res_status_name(r->status), r->time_s);
        esc(&sb, r->fail_reason);
        strbuf_addstr(&sb, "</td><td><a href=\"");
        esc_href(&sb, r->link);
        strbuf_addstr(&sb, "/debug.log\">debug.log</a> <a href=\"");
        esc_href(&sb, r->link);
        strbuf_addstr(&sb, "/\">files</a>");
        if (r->nhops)
            strbuf_addf(&sb, " <a href=\"#hops-%zu\">hops</a>", i);
        strbuf_addstr(&sb, "</td></tr>\n");
    }
    strbuf_addstr(&sb, "</table>\n");

    if (any_hops)
        strbuf_addstr(&sb, "<h2>Migrations</h2>\n<p>One row per VM, one bar per hop "
                           "(hover for details): blue pre-copy, purple post-copy, red "
                           "failed; the orange mark at the end of a bar is the guest "
                           "downtime.</p>\n");
    for (size_t i = 0; i < rep->ntests; i++) {
        const struct res_rec *r = rep->tests[i];
        if (!r->nhops)
            continue;
        strbuf_addf(&sb, "<div class=\"migration\" id=\"hops-%zu\"><h3>%u. ", i, r->index);
        esc(&sb, r->name);
        strbuf_addf(&sb, " <span class=\"badge %s\">%s</span></h3>\n",
                    status_class(r->status), res_status_name(r->status));
        timeline(&sb, r);
        hop_table(&sb, r);
        strbuf_addstr(&sb, "</div>\n");
    }
    strbuf_addstr(&sb, "</body></html>\n");
    ret = res_write_atomic(path, sb.buf, sb.len);
    strbuf_release(&sb);
    return ret;
}
