/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host_rtt: the cost of one host command through the host transport (virt/virt_host.c),
 * `true` run N times against a throwaway OpenSSH sshd on 127.0.0.1 (tests/support_sshd.h):
 *   ssh-reuse    one session, N commands (what a test does: one link per host)
 *   ssh-new      a new session per command (connect, key exchange, login, run, close)
 *   local        the same argv on this machine through lib/spawn
 * Built and driven by bench/host.sh (not part of `make`).  Needs root (the fixture's
 * sshd runs in a private mount namespace).
 *
 *   host_rtt [N]        prints one line per mode: median, p10, p90, min in ms
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "tests/support_sshd.h"
#include "virt/virt.h"

#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const argv_true[] = { "true", NULL };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *mode, double *t, int n)
{
    qsort(t, (size_t)n, sizeof(*t), cmp_double);
    printf("%-10s median %7.2f ms   p10 %7.2f   p90 %7.2f   min %7.2f   (%d runs)\n", mode,
           t[n / 2] * 1e3, t[n / 10] * 1e3, t[n * 9 / 10] * 1e3, t[0] * 1e3, n);
}

static struct virt_host *open_or_die(const struct virt_host_conf *c)
{
    struct virt_host *h = virt_host_open(c, NULL);
    if (!h) {
        fprintf(stderr, "host_rtt: %s\n", err_msg());
        exit(1);
    }
    return h;
}

static void run_or_die(struct virt_host *h)
{
    if (virt_host_run(h, argv_true, 10, NULL, NULL, NULL) < 0) {
        fprintf(stderr, "host_rtt: %s\n", err_msg());
        exit(1);
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    struct ts_sshd sshd;
    double *t = calloc((size_t)(n > 0 ? n : 1), sizeof(*t));

    if (n <= 0 || ts_sshd_start(&sshd) < 0) {
        fprintf(stderr, "host_rtt: %s\n", n <= 0 ? "N must be > 0" : err_msg());
        return 1;
    }
    struct virt_host_conf ssh = { .name = "bench", .address = "127.0.0.1", .port = sshd.port,
                                  .user = "root", .key_file = sshd.key,
                                  .known_hosts = sshd.known_hosts };
    struct virt_host_conf local = { .name = "local" };

    struct virt_host *h = open_or_die(&ssh);
    run_or_die(h);                      /* warm up */
    for (int i = 0; i < n; i++) {
        double t0 = clock_now();
        run_or_die(h);
        t[i] = clock_now() - t0;
    }
    virt_host_close(h);
    report("ssh-reuse", t, n);

    for (int i = 0; i < n; i++) {
        double t0 = clock_now();
        h = open_or_die(&ssh);
        run_or_die(h);
        virt_host_close(h);
        t[i] = clock_now() - t0;
    }
    report("ssh-new", t, n);

    h = open_or_die(&local);
    for (int i = 0; i < n; i++) {
        double t0 = clock_now();
        run_or_die(h);
        t[i] = clock_now() - t0;
    }
    virt_host_close(h);
    report("local", t, n);

    ts_sshd_stop(&sshd);
    ssh_finalize();
    free(t);
    return 0;
}
