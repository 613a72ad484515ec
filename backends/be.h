/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * be: the hypervisor backend interface.  One struct be_ops per driver
 * (backends/libvirt.c, backends/qemu.c), found with be_lookup(name).
 *
 * Backends know nothing of params or of virt/: they take plain structs (a VM spec,
 * migration options) that virt/ builds from a case's params.  The libvirt driver
 * renders the spec to domain XML with its own XML module (backends/lv_xml.h); the qemu
 * driver to a QEMU command line.
 *
 * Conventions of every operation:
 *  - return 0 on success, -1 on failure after err_set() (lib/err.h) with the VM, the
 *    host URI and the driver's own message, so the caller prints err_msg() once;
 *  - VMs are named by their spec name;
 *  - destroy() of a VM that is not running and undefine() of a VM that is not
 *    defined succeed: cleanup paths call them unconditionally;
 *  - a struct be_host is used by one thread at a time, except that abort_job(),
 *    start_postcopy() and job_stats() may be called from another thread (on another
 *    handle or the same one) while migrate() runs.  Parallel migration workers open
 *    their own handles; opening is cheap (libvirt: one connection; qemu: nothing).
 *
 * Strings in the structs below are borrowed: the backend copies what it keeps
 * (be_vm_spec_copy()).
 *
 * A hop on the lab (settings: hosts[i].uri / migrate_desturi / migrate_uri):
 *
 *   const struct be_ops *be = be_lookup(params_get(p, "vm_type"));  // "libvirt"
 *   struct be_host *a = be->open(&(struct be_host_conf){ .uri = uri1 });
 *   struct be_host *b = be->open(&(struct be_host_conf){ .uri = uri2,
 *       .migrate_desturi = desturi2, .migrate_uri = "tcp://127.0.0.1" });
 *   be->define(a, &spec); be->start(a, spec.name);
 *   struct be_migrate_opts o = { .flags = BE_MIG_LIVE | BE_MIG_P2P | BE_MIG_UNSAFE |
 *       BE_MIG_PERSISTENT | BE_MIG_UNDEFINE_SOURCE, .timeout_s = 60, .cancel = &flag };
 *   struct be_hop_metrics m;
 *   if (be->migrate(a, b, spec.name, &o, &m) < 0) report(err_msg());
 *   be->destroy(b, spec.name); be->undefine(b, spec.name); be->close(a); be->close(b);
 *
 * The qemu driver takes the same calls with uri "qemu:///local" for both handles
 * (P2P/UNSAFE are meaningless there and ignored).
 */
#ifndef VTRUN_BE_H
#define VTRUN_BE_H

#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct be_disk {
    char *path;         /* image file (absolute) */
    char *format;       /* qcow2 (default), raw */
    char *bus;          /* virtio (default), scsi, ide, sata */
    char *target;       /* vda, sda ...; NULL = vd<a+index> for virtio, sd<..> else */
    char *cache;        /* none (default: migration-safe), writeback, unsafe ... */
    bool readonly;
};

struct be_nic {
    char *mode;         /* "bridge" or "user" (default user) */
    char *bridge;       /* bridge name, mode bridge */
    char *model;        /* virtio (default), e1000 ... */
    char *mac;          /* may be NULL: driver picks */
    /* mode user, qemu driver: forward 127.0.0.1:<hostfwd_port> to the guest's
     * port 22 (re-added on the destination after every hop); 0 = no forward */
    unsigned short hostfwd_port;
};

struct be_vm_spec {
    char *name;
    unsigned long mem_mib;
    unsigned smp;       /* 0 = 1 */
    char *accel;        /* "kvm" or "tcg" (virt/ resolves "auto" before); NULL = tcg */
    char *machine;      /* e.g. pc, q35; NULL = default */
    char *cpu_model;    /* NULL = default (host-model for kvm, qemu64 for tcg) */
    char *kernel;       /* direct kernel boot when set */
    char *initrd;
    char *cmdline;      /* kernel command line */
    char *console_log;  /* serial console appended to this file (absolute); NULL = none */
    char *emulator;     /* NULL = default: libvirt's choice / qemu-system-x86_64 */
    struct be_disk *disks;
    size_t ndisks;
    struct be_nic *nics;
    size_t nnics;
};

enum be_mig_flag {
    BE_MIG_LIVE            = 1 << 0,
    BE_MIG_P2P             = 1 << 1,  /* source daemon opens dest_uri itself */
    BE_MIG_TUNNELLED       = 1 << 2,
    BE_MIG_PERSISTENT      = 1 << 3,
    BE_MIG_UNDEFINE_SOURCE = 1 << 4,
    BE_MIG_POSTCOPY        = 1 << 5,  /* enable postcopy (switch: timeout or start_postcopy) */
    BE_MIG_AUTO_CONVERGE   = 1 << 6,
    BE_MIG_COMPRESSED      = 1 << 7,
    BE_MIG_OFFLINE         = 1 << 8,
    BE_MIG_UNSAFE          = 1 << 9,  /* needed unless cache=none or a cluster FS */
    BE_MIG_ABORT_ON_ERROR  = 1 << 10,
};

struct be_migrate_opts {
    unsigned flags;                 /* enum be_mig_flag */
    /* URI the source daemon uses to reach the destination (p2p); NULL = the dest
     * host's be_host_conf.migrate_desturi, else its uri */
    const char *dest_uri;
    /* data channel, e.g. tcp://127.0.0.1; NULL = the dest host's
     * be_host_conf.migrate_uri, else the driver's default */
    const char *migrate_uri;
    unsigned long bandwidth_mib;    /* MiB/s, 0 = unlimited */
    /* 0 = none.  On expiry: switch to postcopy when BE_MIG_POSTCOPY is set, else
     * abort the job (migrate() then fails with "migration timeout") */
    double timeout_s;
    bool postcopy_after_precopy;    /* switch to postcopy after the first pass */
    const atomic_bool *cancel; /* polled; non-zero aborts the job */
};

/* One finished hop.  Times from the hypervisor where it reports them. */
struct be_hop_metrics {
    double start;                   /* wall clock, seconds since the epoch */
    double wall_s;                  /* measured by vtrun around the whole call */
    double time_ms;                 /* hypervisor's total migration time, -1 unknown */
    double downtime_ms;             /* -1 unknown */
    double setup_ms;                /* -1 unknown */
    unsigned long long data_bytes;  /* total transferred (memory + disk) */
    unsigned long long mem_bytes;   /* memory transferred */
    unsigned long long mem_iterations;
    bool postcopy;                  /* the hop switched to postcopy */
    bool aborted;                   /* the hop was aborted (timeout or cancel) */
    bool timed_out;
};

/* The running job of a VM (job_stats()).  Fields unknown to the driver are 0. */
struct be_job_stats {
    bool active;                    /* a job (migration) is running */
    bool postcopy;                  /* it is in the postcopy phase */
    double elapsed_ms;
    unsigned long long data_total;
    unsigned long long data_processed;
    unsigned long long data_remaining;
    unsigned long long mem_iterations;
    unsigned long long mem_dirty_rate; /* pages per second */
    double expected_downtime_ms;
};

enum be_state {
    BE_STATE_NONE,      /* no such domain */
    BE_STATE_RUNNING,
    BE_STATE_PAUSED,
    BE_STATE_SHUTOFF,   /* defined, not running */
    BE_STATE_CRASHED,
    BE_STATE_OTHER,
};

const char *be_state_name(enum be_state s);

/* What a host is (for pre-migration checks; migration/mig.h's struct
 * mig_pmc_host maps field by field).  Owned strings; unknown = NULL / 0.
 * Versions are encoded like libvirt's: major * 1000000 + minor * 1000 + micro. */
struct be_host_info {
    char *hostname;
    unsigned long long libvirt_version; /* the daemon's; 0 for the qemu driver */
    char *hypervisor;                   /* "QEMU" */
    unsigned long long hv_version;
    char *arch;                         /* "x86_64" */
    char *host_uuid;                    /* libvirt's host_uuid (distinct per lab host) */
    /* OS facts: only when the host is this machine (qemu driver; libvirt URI
     * without a host part) */
    char *os_id;                        /* os-release ID, e.g. "debian" */
    char *os_version;                   /* os-release VERSION_ID, e.g. "12" */
    char *kernel_release;               /* uname -r */
    unsigned long long free_mem_bytes;
    unsigned long long total_mem_bytes;
    unsigned ncpus;
    char *host_cpu_model;               /* libvirt: capabilities' host CPU model */
    char **cpu_models;                  /* usable guest CPU models, NULL-terminated */
};

void be_host_info_free(struct be_host_info *info);
/* For drivers: fill the facts of this machine (OS, kernel, memory, CPUs). */
void be_host_info_local(struct be_host_info *info);

/* How to reach a host. */
struct be_host_conf {
    const char *uri;             /* libvirt: connection URI; qemu: "qemu:///local" */
    /* URI a source daemon uses to reach this host in p2p migration (the lab's
     * daemons reach each other over TCP inside their namespace); NULL = uri */
    const char *migrate_desturi;
    /* migration data channel into this host, e.g. tcp://127.0.0.1 (no DNS in the
     * lab); NULL = driver's default */
    const char *migrate_uri;
    /* qemu driver: directory for QMP sockets and pid files; NULL = a private
     * directory under $TMPDIR, removed by close() */
    const char *run_dir;
};

struct be_host;

struct be_ops {
    const char *name;
    struct be_host *(*open)(const struct be_host_conf *conf);
    /* Define (persistently) from spec; an existing definition is replaced. */
    int (*define)(struct be_host *h, const struct be_vm_spec *spec);
    int (*start)(struct be_host *h, const char *vm);
    /* Graceful shutdown (ACPI / system_powerdown); waits up to timeout_s for
     * power-off and fails with the VM still running when it does not come. */
    int (*shutdown)(struct be_host *h, const char *vm, double timeout_s);
    int (*destroy)(struct be_host *h, const char *vm);
    int (*undefine)(struct be_host *h, const char *vm);
    int (*state)(struct be_host *h, const char *vm, enum be_state *out);
    /* Migrate vm from src to dst; blocks until done, failed, timed out or
     * cancelled.  out (may be NULL) is filled in every case that got as far as
     * starting the job. */
    int (*migrate)(struct be_host *src, struct be_host *dst, const char *vm,
                   const struct be_migrate_opts *opts, struct be_hop_metrics *out);
    int (*start_postcopy)(struct be_host *h, const char *vm);
    int (*abort_job)(struct be_host *h, const char *vm);
    int (*job_stats)(struct be_host *h, const char *vm, struct be_job_stats *out);
    /* The serial console log file of vm (caller frees); NULL + err when none. */
    char *(*console_path)(struct be_host *h, const char *vm);
    /* What the driver makes of spec, as text kept with a test's results (libvirt: the
     * domain XML; qemu: the command line); *ext gets the file name extension ("xml",
     * "args").  Caller frees; NULL + err_set() on error. */
    char *(*render)(const struct be_vm_spec *spec, const char **ext);
    /* Facts of the host (out is zeroed first; free with be_host_info_free). */
    int (*host_info)(struct be_host *h, struct be_host_info *out);
    const char *(*uri)(struct be_host *h);
    void (*close)(struct be_host *h);
};

/* "libvirt" or "qemu" (avocado-vt's vm_type); NULL + err_set() when unknown. */
const struct be_ops *be_lookup(const char *name);

/* Owner functions of a VM spec: a deep copy (strings, disks and NICs), and its free
 * (zeroes the struct: a second free is harmless). */
void be_vm_spec_copy(struct be_vm_spec *dst, const struct be_vm_spec *src);
void be_vm_spec_free(struct be_vm_spec *spec);

extern const struct be_ops be_libvirt_ops;
extern const struct be_ops be_qemu_ops;

#endif
