/* SPDX-License-Identifier: GPL-2.0-or-later */
/* results.html as a browser sees it: Debian's chromium renders a produced report
 * headless; the DOM it built holds one hop bar per migration hop and the screenshot
 * is a real PNG.  Needs `chromium` (deps/debian.txt); fails loudly without it. */
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "tests/res_util.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *base;

static void setup(void)
{
    base = ru_tmpdir();
}

static void teardown(void)
{
    ru_rmtree(base);
    free(base);
}

/* A job with a migration test of vms x hops hops (the last one failed), a plain
 * test, and returns the path of its results.html. */
static char *make_report(int vms, int hops)
{
    struct res_job_info info = { .results_dir = base, .hostname = "lab", .total = 2 };
    struct res_job *job = res_job_open(&info);
    struct res_test_info ti = { .index = 1, .gen_index = -1,
                                .name = "virsh.migrate_stress.orderly.three_vms" };
    struct res_test_info tb = { .index = 2, .gen_index = -1, .name = "boot.q35" };
    struct res_test *t;
    char *html;
    ck_assert_msg(job != NULL, "%s", err_msg());
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
    res_test_end(t, RES_FAIL, NULL, "last hop failed", 150);
    t = res_test_start(job, &tb);
    res_test_end(t, RES_PASS, NULL, NULL, 12);
    res_job_end(job, 170);
    html = xasprintf("%s/results.html", res_job_dir(job));
    res_job_free(job);
    return html;
}

static void png_size(const char *path, uint32_t *w, uint32_t *h)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "no screenshot at %s", path);
    ck_assert_int_eq(fread(b, 1, sizeof(b), f), sizeof(b));
    fclose(f);
    ck_assert_msg(!memcmp(b, sig, 8), "%s is not a PNG", path);
    ck_assert(!memcmp(b + 12, "IHDR", 4));
    *w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    *h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
}

START_TEST(test_chromium_renders_one_hop_bar_per_hop)
{
    char *html = make_report(3, 4), *url = xasprintf("file://%s", html);
    char *profile = xasprintf("%s/profile", base), *shot = xasprintf("%s/shot.png", base);
    char *dom_path = xasprintf("%s/dom.html", base), *err_path = xasprintf("%s/err", base);
    char *udd = xasprintf("--user-data-dir=%s", profile);
    char *scr = xasprintf("--screenshot=%s", shot);
    char *argv[] = { "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", udd, "--window-size=1100,900",
                     scr, "--dump-dom", url, NULL };
    char *dom;
    uint32_t w, h;
    int rc = ru_run(argv, dom_path, err_path, 120);

    if (rc != 0) {
        char *err = ru_read(err_path);
        ck_abort_msg("chromium exited %d (%s): %.3000s", rc,
                     rc == 127 ? "not installed? apt-get install chromium" : "", err);
    }
    dom = ru_read(dom_path);
    ck_assert_msg(strstr(dom, "</html>") != NULL, "no DOM dumped: %.500s", dom);
    /* the browser parsed the SVG: one bar per hop, the failed one marked */
    ck_assert_int_eq(ru_count(dom, "<rect class=\"hop"), 12);
    ck_assert_int_eq(ru_count(dom, "<rect class=\"hop failed"), 1);
    ck_assert_int_eq(ru_count(dom, "<rect class=\"hop postcopy"), 3);
    ck_assert_int_eq(ru_count(dom, "<svg"), 1);
    png_size(shot, &w, &h);
    ck_assert_int_eq(w, 1100);
    ck_assert_int_eq(h, 900);
    free(dom);
    free(html);
    free(url);
    free(profile);
    free(shot);
    free(dom_path);
    free(err_path);
    free(udd);
    free(scr);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("results-html-chromium");
    TCase *tc = tcase_create("chromium");
    SRunner *sr;
    int failed;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_chromium_renders_one_hop_bar_per_hop);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
