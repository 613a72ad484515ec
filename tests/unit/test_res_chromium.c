/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * results.html as a CI viewer shows it: served over HTTP with Jenkins' default
 * content security policy ("sandbox; default-src 'none'; img-src 'self';
 * style-src 'self';": no script, no inline style) by a small server in this test,
 * rendered by Debian's headless chromium, and looked at pixel by pixel: each status
 * has its colour (FAIL, ERROR and INTERRUPTED distinct), every hop bar of the
 * timeline is drawn in its colour, the status filter works without script.  A page
 * styled inline, served the same way, loses its colours: the policy is really
 * applied.  Needs `chromium` (deps/debian.txt); fails loudly without it.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "tests/support.h"
#include <netinet/in.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define JENKINS_CSP "sandbox; default-src 'none'; img-src 'self'; style-src 'self';"

/* ---- the report ------------------------------------------------------------------ */

static const struct {
    const char *name;
    enum res_status st;
    uint32_t rgb;       /* results.css colour of the status */
} statuses[] = {
    { "boot.pass", RES_PASS, 0x9be89b },
    { "boot.fail", RES_FAIL, 0xff6b6b },
    { "boot.error", RES_ERROR, 0xffa94d },
    { "boot.interrupted", RES_INTERRUPTED, 0xc48bff },
    { "boot.warn", RES_WARN, 0xffe066 },
    { "boot.skip", RES_SKIP, 0xd0d0d0 },
    { "boot.cancel", RES_CANCEL, 0xb8c4d0 },
};

#define FILL_PRECOPY 0x4a90d9
#define FILL_POSTCOPY 0x7b61c9
#define FILL_FAILED 0xd9534f
#define FILL_LOGIN 0x26a69a         /* phase colours (res_html.c phase_fills) */
#define FILL_CLEANUP 0xbdbdbd

/* A job: one test of every status, then a migration test of vms x hops hops (hop 3
 * postcopy, the last one failed); returns its job directory. */
static char *make_report(int vms, int hops)
{
    struct res_job_info info = { .results_dir = ts_base, .hostname = "lab", .total = 8 };
    struct res_job *job = res_job_open(&info);
    struct res_test_info ti = { .index = 8, .gen_index = -1,
                                .name = "virsh.migrate_stress.orderly.three_vms" };
    struct res_test *t;
    char *dir;
    ck_assert_msg(job != NULL, "%s", err_msg());
    for (size_t i = 0; i < ARRAY_SIZE(statuses); i++) {
        struct res_test_info si = { .index = (unsigned)i + 1, .gen_index = -1,
                                    .name = statuses[i].name };
        t = res_test_start(job, &si);
        res_test_end(t, statuses[i].st, NULL, statuses[i].st ? "a reason" : NULL, 2);
    }
    t = res_test_start(job, &ti);
    for (int v = 0; v < vms; v++)
        for (int h = 1; h <= hops; h++) {
            char vm[16];
            snprintf(vm, sizeof(vm), "vm%d", v + 1);
            res_test_hop(t, &(struct res_hop){
                                .vm = vm, .hop = (unsigned)h,
                                .from = h % 2 ? "host-a" : "host-b",
                                .to = h % 2 ? "host-b" : "host-a",
                                .start = 1700000000.0 + v * 2 + (h - 1) * 30,
                                .wall_s = 20 + v * 3 + h, .downtime_ms = 150 + 40 * h,
                                .data_bytes = (uint64_t)(900 + h) << 20,
                                .mem_iterations = 3 + (unsigned)h,
                                .mode = h == 3 ? "postcopy" : "precopy",
                                .ok = !(v == vms - 1 && h == hops),
                                .error = v == vms - 1 && h == hops ? "job aborted" : NULL });
        }
    /* where the test's time went: a row of phase bars under the hops */
    const double t0 = 1700000000.0;
    res_test_phase(t, &(struct res_phase){ "setup", t0 - 20, 10 });
    res_test_phase(t, &(struct res_phase){ "login", t0 - 8, 7 });
    for (int h = 1; h <= hops; h++) {
        char name[16];
        snprintf(name, sizeof(name), "hop %d", h);
        res_test_phase(t, &(struct res_phase){ name, t0 + (h - 1) * 30, 24 });
        res_test_phase(t, &(struct res_phase){ "post-checks", t0 + (h - 1) * 30 + 24, 5 });
    }
    res_test_phase(t, &(struct res_phase){ "cleanup", t0 + hops * 30 + 5, 6 });
    res_test_end(t, RES_FAIL, NULL, "last hop failed", 150);
    res_job_end(job, 170);
    dir = xstrdup(res_job_dir(job));
    res_job_free(job);
    return dir;
}

/* ---- an HTTP server that serves ROOT with Jenkins' CSP on every response ---------- */

static void serve_one(int c, const char *root)
{
    char req[4096], *path, *sp, *file;
    size_t got = 0;
    struct stat st;
    const char *type = "application/octet-stream";
    while (got < sizeof(req) - 1) {
        ssize_t n = read(c, req + got, sizeof(req) - 1 - got);
        if (n <= 0)
            return;
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    if (strncmp(req, "GET /", 5) || !(sp = strchr(req + 4, ' ')))
        return;
    *sp = '\0';
    path = req + 4;
    path[strcspn(path, "?#")] = '\0';
    file = xasprintf("%s%s", root, path);
    if (strstr(path, "..") || stat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
        dprintf(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                   "Content-Security-Policy: " JENKINS_CSP "\r\nConnection: close\r\n\r\n");
        free(file);
        return;
    }
    if (strstr(path, ".html"))
        type = "text/html; charset=utf-8";
    else if (strstr(path, ".css"))
        type = "text/css";
    else if (strstr(path, ".log"))
        type = "text/plain";
    char *body = ts_read(file);
    dprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\n"
               "Content-Security-Policy: " JENKINS_CSP "\r\nConnection: close\r\n\r\n",
            type, (long long)st.st_size);
    if (write(c, body, (size_t)st.st_size) < 0)
        perror("serve");
    free(body);
    free(file);
}

/* Forks the server on 127.0.0.1; its pid, the port in *port. */
static pid_t start_server(const char *root, unsigned *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    pid_t pid;
    ck_assert_int_ge(s, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(s, 16), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm(600); /* never outlives the test, whatever happens to it */
        /* one process per connection: chromium opens connections it does not use at
         * once (preconnects), which would block a server that reads them in turn */
        signal(SIGCHLD, SIG_IGN);
        for (;;) {
            int c = accept(s, NULL, NULL);
            if (c < 0)
                continue;
            if (fork() == 0) {
                serve_one(c, root);
                _exit(0);
            }
            close(c);
        }
    }
    close(s);
    return pid;
}

/* The server and the connections it still serves (its process group). */
static void stop_server(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ---- chromium and the PNG it writes ---------------------------------------------- */

struct image {
    uint32_t w, h;
    unsigned char *rgb;  /* w * h * 3 */
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* An 8-bit RGB or RGBA, non-interlaced PNG (what chromium writes) as RGB pixels. */
static struct image read_png(const char *path)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    struct image im = { 0 };
    struct strbuf idat = STRBUF_INIT;
    FILE *f = fopen(path, "rb");
    struct strbuf all = STRBUF_INIT;
    unsigned char buf[65536], *raw, *p;
    size_t n, off = 8;
    int bpp = 0;
    ck_assert_msg(f != NULL, "no screenshot at %s", path);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&all, buf, n);
    fclose(f);
    p = (unsigned char *)all.buf;
    ck_assert_msg(all.len > 33 && !memcmp(p, sig, 8), "%s is not a PNG", path);
    while (off + 12 <= all.len) {
        uint32_t len = be32(p + off);
        const unsigned char *type = p + off + 4, *data = p + off + 8;
        ck_assert(off + 12 + len <= all.len);
        if (!memcmp(type, "IHDR", 4)) {
            im.w = be32(data);
            im.h = be32(data + 4);
            ck_assert_msg(data[8] == 8 && (data[9] == 2 || data[9] == 6) && data[12] == 0,
                          "unexpected PNG format (depth %d, colour %d, interlace %d)",
                          data[8], data[9], data[12]);
            bpp = data[9] == 6 ? 4 : 3;
        } else if (!memcmp(type, "IDAT", 4)) {
            strbuf_add(&idat, data, len);
        }
        off += 12 + len;
    }
    ck_assert(bpp && im.w && im.h);
    uLongf rawlen = (uLongf)im.h * (1 + (uLongf)im.w * (uLongf)bpp);
    raw = xcalloc(rawlen, 1);
    ck_assert_int_eq(uncompress(raw, &rawlen, (unsigned char *)idat.buf, idat.len), Z_OK);
    im.rgb = xcalloc((size_t)im.w * im.h, 3);
    size_t stride = (size_t)im.w * (size_t)bpp;
    unsigned char *prev = xcalloc(stride, 1), *cur = xcalloc(stride, 1);
    for (uint32_t y = 0; y < im.h; y++) {
        const unsigned char *line = raw + y * (stride + 1);
        int ft = line[0];
        for (size_t x = 0; x < stride; x++) {
            int a = x >= (size_t)bpp ? cur[x - bpp] : 0, b = prev[x];
            int c = x >= (size_t)bpp ? prev[x - bpp] : 0, v = line[1 + x];
            switch (ft) {
            case 1: v += a; break;
            case 2: v += b; break;
            case 3: v += (a + b) / 2; break;
            case 4: v += paeth(a, b, c); break;
            default: break;
            }
            cur[x] = (unsigned char)v;
        }
        for (uint32_t x = 0; x < im.w; x++)
            memcpy(im.rgb + ((size_t)y * im.w + x) * 3, cur + (size_t)x * bpp, 3);
        unsigned char *t = prev;
        prev = cur;
        cur = t;
    }
    free(prev);
    free(cur);
    free(raw);
    strbuf_release(&idat);
    strbuf_release(&all);
    return im;
}

static size_t count_colour(const struct image *im, uint32_t rgb)
{
    size_t n = 0;
    for (size_t i = 0; i < (size_t)im->w * im->h; i++) {
        const unsigned char *p = im->rgb + i * 3;
        n += ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) == rgb;
    }
    return n;
}

/* chromium --screenshot of url into ts_base/NAME.png (and its DOM into *dom if set). */
static struct image screenshot(const char *url, const char *name, char **dom)
{
    char *profile = xasprintf("%s/profile", ts_base), *shot = xasprintf("%s/%s.png", ts_base, name);
    char *dom_path = xasprintf("%s/%s.dom", ts_base, name), *err_path = xasprintf("%s/err", ts_base);
    char *udd = xasprintf("--user-data-dir=%s", profile);
    char *scr = xasprintf("--screenshot=%s", shot);
    char *argv[] = { "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--hide-scrollbars",
                     "--force-device-scale-factor=1", udd, "--window-size=1100,2600", scr,
                     "--dump-dom", (char *)url, NULL };
    struct image im;
    int rc = ts_run_files(argv, dom_path, err_path, 120);
    if (rc != 0) {
        char *err = ts_read(err_path);
        ck_abort_msg("chromium exited %d (%s): %.3000s", rc,
                     rc == 127 ? "not installed? apt-get install chromium" : "", err);
    }
    im = read_png(shot);
    if (dom)
        *dom = ts_read(dom_path);
    free(profile);
    free(shot);
    free(dom_path);
    free(err_path);
    free(udd);
    free(scr);
    return im;
}

#define MIN_PIXELS 200  /* a status cell or a hop bar is thousands of pixels */

START_TEST(test_chromium_under_jenkins_csp_shows_coloured_statuses_and_hop_bars)
{
    char *dir = make_report(3, 4), *url, *dom;
    unsigned port;
    pid_t server = start_server(dir, &port);
    struct image im, filtered;

    url = xasprintf("http://127.0.0.1:%u/results.html", port);
    im = screenshot(url, "report", &dom);
    ck_assert_int_eq(im.w, 1100);
    /* the browser built the page: one bar per hop, the failed one marked */
    ck_assert_msg(strstr(dom, "</html>") != NULL, "no DOM dumped: %.500s", dom);
    ck_assert_int_eq(ts_count(dom, "<rect class=\"hop"), 12);
    ck_assert_int_eq(ts_count(dom, "<rect class=\"hop failed"), 1);
    ck_assert_int_eq(ts_count(dom, "<rect class=\"hop postcopy"), 3);
    /* and one bar per phase: setup, login, 4 x (hop, post-checks), cleanup */
    ck_assert_int_eq(ts_count(dom, "<rect class=\"phase\""), 11);
    /* every status in its own colour, from results.css despite the policy */
    for (size_t i = 0; i < ARRAY_SIZE(statuses); i++) {
        size_t n = count_colour(&im, statuses[i].rgb);
        ck_assert_msg(n >= MIN_PIXELS, "%s: %zu pixels of #%06x", statuses[i].name, n,
                      statuses[i].rgb);
    }
    /* the timeline's bars: presentation attributes, not CSS */
    ck_assert_msg(count_colour(&im, FILL_PRECOPY) >= MIN_PIXELS, "no pre-copy bars");
    ck_assert_msg(count_colour(&im, FILL_POSTCOPY) >= MIN_PIXELS, "no post-copy bars");
    ck_assert_msg(count_colour(&im, FILL_FAILED) >= MIN_PIXELS, "no failed bar");
    ck_assert_msg(count_colour(&im, FILL_LOGIN) >= MIN_PIXELS, "no login phase bar");
    ck_assert_msg(count_colour(&im, FILL_CLEANUP) >= MIN_PIXELS, "no cleanup phase bar");

    /* the status filter, CSS only: FAIL rows alone in the table of all tests (the
     * PASS badge of the summary stays) */
    free(url);
    url = xasprintf("http://127.0.0.1:%u/results.html#show-fail", port);
    filtered = screenshot(url, "filtered", NULL);
    ck_assert_msg(count_colour(&filtered, statuses[0].rgb) <
                      count_colour(&im, statuses[0].rgb),
                  "the filter did not hide the PASS row");
    ck_assert_uint_ge(count_colour(&filtered, statuses[1].rgb), MIN_PIXELS);

    stop_server(server);
    free(im.rgb);
    free(filtered.rgb);
    free(dom);
    free(url);
    free(dir);
}
END_TEST

/* The control: the same colour in an inline <style> and a style attribute, served
 * with the same header, does not show. */
START_TEST(test_chromium_under_jenkins_csp_drops_inline_style)
{
    char *page = xasprintf("%s/inline.html", ts_base), *url;
    FILE *f = fopen(page, "w");
    unsigned port;
    pid_t server;
    struct image im;
    ck_assert_ptr_nonnull(f);
    fputs("<!DOCTYPE html><html><head><style>div.a{background:#ff6b6b;height:300px}"
          "</style></head><body><div class=\"a\">inline</div>"
          "<div style=\"background:#ff6b6b;height:300px\">attribute</div></body></html>\n",
          f);
    fclose(f);
    server = start_server(ts_base, &port);
    url = xasprintf("http://127.0.0.1:%u/inline.html", port);
    im = screenshot(url, "inline", NULL);
    ck_assert_uint_eq(count_colour(&im, 0xff6b6b), 0);
    stop_server(server);
    free(im.rgb);
    free(url);
    free(page);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("results-html-chromium");
    TCase *tc = tcase_create("chromium");
    SRunner *sr;
    int failed;
    signal(SIGPIPE, SIG_IGN);
    tcase_add_checked_fixture(tc, ts_setup, ts_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_chromium_under_jenkins_csp_shows_coloured_statuses_and_hop_bars);
    tcase_add_test(tc, test_chromium_under_jenkins_csp_drops_inline_style);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
