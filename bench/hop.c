/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/hop.c: the tiny driver bench/hop.sh compiles against build/libvtrun.a, so a
 * hop through vtrun's libvirt backend can be timed next to `virsh migrate`.
 *
 *   hop start   URI VM KERNEL INITRD CMDLINE IMAGE CONSOLE_LOG BRIDGE MAC
 *   hop migrate SRC_URI DST_URI DST_DESTURI MIGRATE_URI VM [postcopy]
 *               prints: wall_s time_ms downtime_ms data_bytes iterations postcopy(0/1)
 *   hop serve   URI1 DESTURI1 MIGRATE_URI1 URI2 DESTURI2 MIGRATE_URI2 VM
 *               both hosts connected once, as in a vtrun job; then one hop per line
 *               of stdin, "precopy|postcopy 1->2|2->1", each answered by the line of
 *               hop migrate
 *   hop destroy URI VM
 */
#include "backends/be.h"
#include "lib/err.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct be_host *open_host(const struct be_ops *ops, const char *uri,
                                 const char *desturi, const char *muri, bool migrates)
{
    struct be_host_conf c = { .uri = uri, .migrate_desturi = desturi, .migrate_uri = muri,
                              .migrates = migrates };
    struct be_host *h = ops->open(&c);
    if (!h) {
        fprintf(stderr, "hop: %s\n", err_msg());
        exit(1);
    }
    return h;
}

/* The source and the destination connected at once, as a vtrun test connects its
 * hosts (virt_vms_connect): a hop through vtrun waits for one connection, not two in
 * a row. */
struct opener {
    const struct be_ops *ops;
    const char *uri, *desturi, *muri;
    bool migrates;
    struct be_host *h;
};

static void *opener_main(void *arg)
{
    struct opener *o = arg;
    o->h = open_host(o->ops, o->uri, o->desturi, o->muri, o->migrates);
    return NULL;
}

/* One hop of vm from src to dst (postcopy switched on after the first pass when asked):
 * its line on stdout; 0 when it succeeded. */
static int one_hop(const struct be_ops *ops, struct be_host *src, struct be_host *dst,
                   const char *vm, bool postcopy)
{
    struct be_migrate_opts o = {
        .flags = BE_MIG_LIVE | BE_MIG_P2P | BE_MIG_UNSAFE | BE_MIG_PERSISTENT |
                 BE_MIG_UNDEFINE_SOURCE,
    };
    struct be_hop_metrics m;
    if (postcopy) {
        o.flags |= BE_MIG_POSTCOPY;
        o.postcopy_after_precopy = true;
    }
    if (be_migrate(ops, src, dst, vm, &o, &m) != 0)
        return 1;
    printf("%.3f %.0f %.0f %llu %llu %d\n", m.wall_s, m.time_ms, m.downtime_ms,
           m.data_bytes, m.mem_iterations, m.postcopy);
    fflush(stdout);
    return 0;
}

/* hop serve: the hosts opened at once, then the hops stdin asks for; a failed hop is
 * a line "FAIL reason" and the next is read. */
static int serve(const struct be_ops *ops, char **argv)
{
    struct opener a = { ops, argv[2], argv[3], argv[4], true, NULL };
    struct opener b = { ops, argv[5], argv[6], argv[7], true, NULL };
    pthread_t t;
    bool threaded = pthread_create(&t, NULL, opener_main, &b) == 0;
    opener_main(&a);
    if (threaded)
        pthread_join(t, NULL);
    else
        opener_main(&b);
    char line[64], mode[16], dir[8];
    while (fgets(line, sizeof(line), stdin)) {
        if (sscanf(line, "%15s %7s", mode, dir) != 2)
            continue;
        bool there = !strcmp(dir, "1->2");
        if (one_hop(ops, there ? a.h : b.h, there ? b.h : a.h, argv[8],
                    !strcmp(mode, "postcopy"))) {
            printf("FAIL %s\n", err_msg());
            fflush(stdout);
        }
    }
    ops->close(a.h);
    ops->close(b.h);
    return 0;
}

int main(int argc, char **argv)
{
    const struct be_ops *ops = be_lookup("libvirt");
    int rc = 1;

    if (!ops || argc < 2)
        goto usage;
    if (!strcmp(argv[1], "start") && argc == 11) {
        struct be_disk d = { .path = argv[7] };
        struct be_nic n = { .mode = "bridge", .bridge = argv[9], .mac = argv[10] };
        struct be_vm_spec s = {
            .name = argv[3], .mem_mib = 128, .smp = 1, .accel = "tcg", .kernel = argv[4],
            .initrd = argv[5], .cmdline = argv[6], .console_log = argv[8],
            .disks = &d, .ndisks = 1, .nics = &n, .nnics = 1,
        };
        struct be_host *h = open_host(ops, argv[2], NULL, NULL, false);
        rc = ops->define(h, &s) || ops->start(h, s.name);
        ops->close(h);
    } else if (!strcmp(argv[1], "migrate") && (argc == 7 || argc == 8)) {
        struct opener so = { ops, argv[2], NULL, NULL, true, NULL };
        struct opener dto = { ops, argv[3], argv[4], argv[5], false, NULL };
        pthread_t t;
        bool threaded = pthread_create(&t, NULL, opener_main, &dto) == 0;
        opener_main(&so);
        if (threaded)
            pthread_join(t, NULL);
        else
            opener_main(&dto);
        struct be_host *src = so.h, *dst = dto.h;
        rc = one_hop(ops, src, dst, argv[6], argc == 8 && !strcmp(argv[7], "postcopy"));
        ops->close(src);
        ops->close(dst);
    } else if (!strcmp(argv[1], "serve") && argc == 9) {
        rc = serve(ops, argv);
    } else if (!strcmp(argv[1], "destroy") && argc == 4) {
        struct be_host *h = open_host(ops, argv[2], NULL, NULL, false);
        rc = ops->destroy(h, argv[3]) || ops->undefine(h, argv[3]);
        ops->close(h);
    } else {
        goto usage;
    }
    if (rc)
        fprintf(stderr, "hop: %s\n", err_msg());
    return rc;
usage:
    fprintf(stderr, "usage: hop start|migrate|destroy ... (see bench/hop.c)\n");
    return 2;
}
