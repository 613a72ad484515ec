/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * be: the hypervisor backend interface.  One struct be_ops per driver
 * (backends/libvirt.c, backends/qemu.c), found with be_lookup(name).
 *
 * Backends know nothing of params: they take plain structs (a VM spec, migration
 * options) that virt/ builds from a case's params.  The libvirt driver renders the
 * spec to domain XML with virt/'s XML module; the qemu driver to a QEMU command line.
 *
 * DRAFT written before the drivers: the backends work owns this header and may
 * change it; virt/ builds struct be_vm_spec.
 */
#ifndef VTRUN_BE_H
#define VTRUN_BE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct be_disk {
    char *path;         /* image file (absolute) */
    char *format;       /* qcow2, raw */
    char *bus;          /* virtio, scsi, ide, sata */
    char *target;       /* vda, sda ... */
    char *cache;        /* none (default), writeback, unsafe ... */
};

struct be_nic {
    char *mode;         /* "bridge" or "user" */
    char *bridge;       /* bridge name, mode bridge */
    char *model;        /* virtio (default), e1000 ... */
    char *mac;          /* may be NULL: driver picks */
};

struct be_vm_spec {
    char *name;
    unsigned long mem_mib;
    unsigned smp;
    char *accel;        /* "kvm" or "tcg" (virt/ resolves "auto" before) */
    char *machine;      /* e.g. pc, q35; NULL = default */
    char *cpu_model;    /* NULL = default */
    char *kernel;       /* direct kernel boot when set */
    char *initrd;
    char *cmdline;
    char *console_log;  /* serial console written to this file */
    char *emulator;     /* NULL = default qemu-system-<arch> */
    struct be_disk *disks;
    size_t ndisks;
    struct be_nic *nics;
    size_t nnics;
};

enum be_mig_flag {
    BE_MIG_LIVE            = 1 << 0,
    BE_MIG_P2P             = 1 << 1,
    BE_MIG_TUNNELLED       = 1 << 2,
    BE_MIG_PERSISTENT      = 1 << 3,
    BE_MIG_UNDEFINE_SOURCE = 1 << 4,
    BE_MIG_POSTCOPY        = 1 << 5,
    BE_MIG_AUTO_CONVERGE   = 1 << 6,
    BE_MIG_COMPRESSED      = 1 << 7,
    BE_MIG_OFFLINE         = 1 << 8,
    BE_MIG_UNSAFE          = 1 << 9,
};

struct be_migrate_opts {
    unsigned flags;                 /* enum be_mig_flag */
    const char *dest_uri;           /* URI the source daemon (p2p) uses to reach dst */
    const char *migrate_uri;        /* data channel, e.g. tcp://127.0.0.1 */
    unsigned long bandwidth_mib;    /* 0 = unlimited */
    double timeout_s;               /* 0 = none; on expiry abort, or postcopy */
    bool postcopy_after_precopy;    /* switch to postcopy after the first pass */
    const volatile sig_atomic_t *cancel; /* polled; non-zero aborts the job */
};

struct be_hop_metrics {
    double start;                   /* wall clock, seconds since the epoch */
    double wall_s;
    double downtime_ms;
    unsigned long long data_bytes;
    unsigned long long mem_iterations;
    bool postcopy;
    bool aborted;
};

enum be_state {
    BE_STATE_NONE,      /* no such domain */
    BE_STATE_RUNNING,
    BE_STATE_PAUSED,
    BE_STATE_SHUTOFF,
    BE_STATE_CRASHED,
    BE_STATE_OTHER,
};

struct be_host;

struct be_ops {
    const char *name;
    struct be_host *(*open)(const char *uri);
    int (*define)(struct be_host *h, const struct be_vm_spec *spec);
    int (*start)(struct be_host *h, const char *vm);
    int (*shutdown)(struct be_host *h, const char *vm, double timeout_s);
    int (*destroy)(struct be_host *h, const char *vm);
    int (*undefine)(struct be_host *h, const char *vm);
    int (*state)(struct be_host *h, const char *vm, enum be_state *out);
    int (*migrate)(struct be_host *src, struct be_host *dst, const char *vm,
                   const struct be_migrate_opts *opts, struct be_hop_metrics *out);
    int (*start_postcopy)(struct be_host *h, const char *vm);
    int (*abort_job)(struct be_host *h, const char *vm);
    char *(*console_path)(struct be_host *h, const char *vm);
    void (*close)(struct be_host *h);
};

const struct be_ops *be_lookup(const char *name);

#endif
