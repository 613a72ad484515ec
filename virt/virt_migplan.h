/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_migplan: where every VM starts and which VMs move when, as data.
 *
 * The reference mutates its VM list while migrating (and loses VMs in cross mode);
 * here the whole schedule is computed first from (number of VMs, migration_type,
 * there-and-back rounds, migrate back), by a pure function the unit tests read.
 *
 * Hosts are 0 (source) and 1 (destination).  A hop moves every VM from the host it
 * is on to the other one; the hop is a list of waves run one after another, and the
 * moves of a wave run at the same time (one worker per VM):
 *  - orderly:             all VMs start on 0; one wave per VM (one after another);
 *  - simultaneous,
 *    compressed:          all VMs start on 0; one wave with every VM;
 *  - cross:               the first ceil(n/2) VMs start on 0, the rest on 1; both
 *                         halves move at the same time, pairwise: wave k moves the
 *                         k-th VM of each half (one each way), like the reference's
 *                         two threads, without its list surgery.
 * With migrate back, the plan is `rounds` round trips (2 * rounds hops, the VMs end
 * where they started); without, one forward hop (tp-libvirt runs there-and-back only
 * with virsh_migrate_back=yes).
 */
#ifndef VTRUN_VIRT_MIGPLAN_H
#define VTRUN_VIRT_MIGPLAN_H

#include <stdbool.h>
#include <stddef.h>

enum virt_migplan_type {
    VIRT_MIG_ORDERLY,
    VIRT_MIG_SIMULTANEOUS,
    VIRT_MIG_CROSS,
    VIRT_MIG_COMPRESSED,
};

struct virt_mig_move {
    size_t vm;          /* index into the test's VMs */
    int from, to;       /* host indexes */
};

struct virt_mig_wave {
    struct virt_mig_move *moves;
    size_t n;
};

struct virt_mig_hop {
    unsigned round;     /* 1-based round trip */
    bool back;          /* the return half of a round trip */
    struct virt_mig_wave *waves;
    size_t nwaves;
};

struct virt_migplan {
    size_t nvms;
    int *start_host;            /* per VM */
    struct virt_mig_hop *hops;
    size_t nhops;
};

/* "orderly", "simultaneous", "cross", "compressed"; -1 + err otherwise. */
int virt_migplan_type_parse(const char *s, enum virt_migplan_type *out);
const char *virt_migplan_type_name(enum virt_migplan_type t);

/* nvms >= 2 (cross needs one VM per host), rounds >= 1.  -1 + err otherwise. */
int virt_migplan_build(size_t nvms, enum virt_migplan_type type, unsigned rounds,
                       bool back, struct virt_migplan *out);
void virt_migplan_free(struct virt_migplan *p);

/* Number of moves in a hop (all its waves). */
size_t virt_mig_hop_moves(const struct virt_mig_hop *h);

#endif
