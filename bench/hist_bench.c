/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/hist_bench DB N [BATCH]: what the history writer (results/res_hist.c) costs per
 * test, alone: one job of N finished tests (a hop for every fourth) recorded into the
 * SQLite database DB, which may already hold earlier runs, BATCH tests per transaction
 * (default 1, the worst case; a job writes what ended since its last render in one).  Prints the mean per test over
 * the job and over its first and last tenth (flat = O(1) per test whatever the
 * database's size).  It drives the writer through results' private model header,
 * which is what res_job.c feeds it; bench/results.sh runs it.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    unsigned n = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
    if (n < 10) {
        fprintf(stderr, "usage: hist_bench DB N   (N >= 10 tests)\n");
        return 2;
    }
    struct res_hist *h = res_hist_open(argv[1], true);
    if (!h) {
        fprintf(stderr, "hist_bench: %s\n", err_msg());
        return 1;
    }
    struct res_report rep = { 0 };
    char id[41];
    res_new_id(id);
    rep.job_id = xstrdup(id);
    rep.start_epoch = res_now();
    rep.config = xstrdup("bench.cfg");
    rep.total_planned = n;
    if (res_hist_job_start(h, &rep, "/var/tmp/bench-job", NULL, "1/4") < 0)
        return 1;
    struct res_hop_rec hop = { .vm = "vm1", .hop = 1, .from = "host1", .to = "host2",
                               .start = 1, .wall_s = 2.5, .downtime_ms = 40,
                               .data_bytes = 1 << 28, .mem_iterations = 4, .mode = "precopy",
                               .ok = true, .error = "" };
    /* the records first (a job has them in its report), then the writes timed */
    unsigned batch = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1;
    struct res_rec *recs = xcalloc(n, sizeof(*recs));
    struct res_rec **ptrs = xcalloc(n, sizeof(*ptrs));
    char *pk[] = { "type", "hosts" }, *pv[] = { "virsh_migrate_stress", "host1 -> host2" };
    if (!batch)
        batch = 1;
    for (unsigned i = 1; i <= n; i++) {
        char *name = xasprintf("type_specific.io-github-autotest-libvirt.virsh.migrate_"
                               "stress.orderly_migration.case_%u", i);
        char *logdir = xasprintf("/var/tmp/bench-job/test-results/%u-%s", i, name);
        recs[i - 1] = (struct res_rec){
            .index = i, .gen_index = i - 1, .name = name, .cartesian_name = name,
            .shortname = name, .classname = "virsh_migrate_stress", .id = name,
            .logdir = logdir, .link = logdir, .status = i % 7 ? RES_PASS : RES_FAIL,
            .fail_type = i % 7 ? "" : "TestFail",
            .fail_reason = i % 7 ? "" : "migration of vm1 failed: timeout",
            .time_s = 123.4, .time_start = res_now(), .time_end = res_now(),
            .whiteboard = "", .nparams = 2, .pkeys = pk, .pvals = pv,
            .nhops = i % 4 ? 0 : 1, .hops = &hop,
        };
        ptrs[i - 1] = &recs[i - 1];
    }
    double t0 = now(), first = 0, last = 0;
    unsigned tenth = n / 10;
    for (unsigned i = 0; i < n; i += batch) {
        unsigned k = n - i < batch ? n - i : batch;
        double a = now(), d;
        if (res_hist_tests(h, id, ptrs + i, k) < 0)
            return 1;
        d = now() - a;
        if (i < tenth)
            first += d;
        if (i + k > n - tenth)
            last += d;
    }
    double t = now() - t0;
    res_hist_job_end(h, &rep, 0);
    printf("%u tests into %s, %u per transaction: %.1f us/test (first tenth %.1f, last "
           "tenth %.1f)\n", n, argv[1], batch, t * 1e6 / n, first * 1e6 / tenth,
           last * 1e6 / tenth);
    for (unsigned i = 0; i < n; i++) {
        free(recs[i].name);
        free(recs[i].logdir);
    }
    free(recs);
    free(ptrs);
    res_hist_close(h);
    free(rep.job_id);
    free(rep.config);
    return 0;
}
