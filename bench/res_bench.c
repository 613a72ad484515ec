/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/res_bench N DIR [HISTORY]: the results module's cost per test, driven directly
 * (no config, no runner): a job of N tests in DIR, each with 300 params (a real
 * avocado-vt case has 250-400), the dozen properties the runner keeps, three log
 * lines, a CANCEL; recorded in the SQLite history HISTORY when given (as a job does by
 * default).  Prints the mean time per test over the whole job, over its first and its
 * last tenth (flat = O(1) per test), the final render, and the file sizes.
 * Built by `make bench`; bench/results.sh runs it.
 */
#include "lib/strbuf.h"
#include "results/res.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#define NPARAMS 300
#define NPROPS 12

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double file_kib(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    struct stat st;
    double k = stat(p, &st) == 0 ? (double)st.st_size / 1024 : -1;
    free(p);
    return k;
}

int main(int argc, char **argv)
{
    struct res_param params[NPARAMS];
    char *keys[NPARAMS], *vals[NPARAMS];
    unsigned n = argc > 2 ? (unsigned)strtoul(argv[1], NULL, 10) : 0, tenth;
    double t0, first = 0, last = 0, t_end;
    struct res_job *job;

    if (n < 10) {
        fprintf(stderr, "usage: res_bench N DIR [HISTORY]   (N >= 10 tests, results under "
                "DIR, recorded in the SQLite database HISTORY)\n");
        return 2;
    }
    tenth = n / 10;
    struct res_job_info ji = { .results_dir = argv[2], .name = "bench", .total = n,
                               .config = "bench.cfg", .history = argc > 3 ? argv[3] : NULL };
    job = res_job_open(&ji);
    if (!job) {
        fprintf(stderr, "res_bench: cannot open the job in %s\n", argv[2]);
        return 1;
    }
    for (int i = 0; i < NPARAMS; i++) {
        keys[i] = i ? xasprintf("key_%03d", i) : xstrdup("type");
        vals[i] = i ? xasprintf("value of key %d, about as long as a real one", i)
                    : xstrdup("virsh_migrate_stress");
        params[i] = (struct res_param){ keys[i], vals[i] };
    }
    t0 = now();
    for (unsigned i = 1; i <= n; i++) {
        double a = now(), d;
        char *name = xasprintf("type_specific.io-github-autotest-libvirt.virsh.migrate_"
                               "stress.orderly_migration.case_%u", i);
        struct res_test_info ti = { .index = i, .gen_index = i - 1, .name = name,
                                    .params = params, .nparams = NPARAMS,
                                    .props = params, .nprops = NPROPS };
        struct res_test *t = res_test_start(job, &ti);
        if (!t) {
            fprintf(stderr, "res_bench: test %u did not start\n", i);
            return 1;
        }
        res_test_log(t, "START %s", name);
        res_test_log(t, "checking the needs of type virsh_migrate_stress");
        res_test_log(t, "needs a source and a destination host");
        res_test_end(t, RES_CANCEL, NULL, "needs a source and a destination host", 0.001);
        free(name);
        d = now() - a;
        if (i <= tenth)
            first += d;
        if (i > n - tenth)
            last += d;
    }
    t_end = now();
    res_job_end(job, t_end - t0);
    printf("%u tests%s: %.3f ms/test (first tenth %.3f, last tenth %.3f); final render "
           "%.0f ms; results.json %.0f KiB, results.xml %.0f KiB, results.html %.0f KiB\n",
           n, ji.history ? " (history)" : "", (t_end - t0) * 1000 / n, first * 1000 / tenth,
           last * 1000 / tenth,
           (now() - t_end) * 1000, file_kib(res_job_dir(job), "results.json"),
           file_kib(res_job_dir(job), "results.xml"),
           file_kib(res_job_dir(job), "results.html"));
    res_job_free(job);
    for (int i = 0; i < NPARAMS; i++) {
        free(keys[i]);
        free(vals[i]);
    }
    return 0;
}
