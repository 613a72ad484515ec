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
 *  - a struct be_host is used by one thread at a time, except that job_stats(),
 *    abort_job(), start_postcopy(), abort_postcopy(), suspend() and resume() may be
 *    called from another thread (on another handle or the same one) while a
 *    migration of the VM runs.  Parallel migration workers open their own handles;
 *    opening is cheap (libvirt: one connection; qemu: nothing).
 *
 * Strings in the structs below are borrowed: the backend copies what it keeps
 * (be_vm_spec_copy()).
 *
 * Migration is split in two (DESIGN: policy once, mechanism per driver).  A driver
 * exposes primitives: migrate_start() begins the job and returns at once,
 * migrate_wait() waits a bounded time for it to end, migrate_finish() collects the
 * outcome, plus job_stats(), abort_job(), start_postcopy(), abort_postcopy(),
 * suspend().  be_migrate() (backends/be_migrate.c) is the one supervisor over them:
 * the deadline and what happens at it, the cancel flag, postcopy after the first
 * pass, the hop's figures and the error texts.  Callers migrate with be_migrate();
 * a driver contains no migration policy, so both drivers behave the same by
 * construction (tests/e2e/test_be_conformance.c runs one suite against each).
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
 *   if (be_migrate(be, a, b, spec.name, &o, &m) < 0) report(err_msg());
 *   be->destroy(b, spec.name); be->undefine(b, spec.name); be->close(a); be->close(b);
 *
 * The qemu driver takes the same calls with uri "qemu:///local" for both handles
 * (P2P/UNSAFE are meaningless there and ignored).
 */
#ifndef VTRUN_BE_H
#define VTRUN_BE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct be_disk {
    char *path;         /* image file (absolute) */
    char *format;       /* qcow2 (default), raw */
    char *bus;          /* virtio (default), scsi, ide, sata */
    char *target;       /* vda, sda ...; NULL = vd<a+index> for virtio, sd<..> else */
    char *cache;        /* none (default: migration-safe), writeback, unsafe ... */
    char *device;       /* disk (default) or lun (SCSI commands passed through) */
    bool readonly;
    /* <shareable/>: the disk is used by several guests (never copied by
     * --copy-storage-*, libvirt then wants it on shared storage) */
    bool shareable;
    /* <source startupPolicy=...>: optional, requisite or mandatory (cdroms, floppies);
     * NULL none */
    char *startup_policy;
    /* a cdrom or floppy (device) with path NULL has no <source>: an empty drive */
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

/* A guest NUMA cell (libvirt <cpu><numa><cell>) and the host nodes its memory is
 * bound to (<numatune><memnode>). */
struct be_numa_cell {
    char *cpus;             /* the cell's vCPUs, e.g. "0-3" */
    unsigned long mem_kib;
    char *mode;             /* memnode mode: strict, interleave, preferred; NULL none */
    char *nodeset;          /* memnode host nodes, e.g. "0"; with mode */
};

/* The guest's memory on the host's huge pages (libvirt <memoryBacking><hugepages>):
 * with page_kib, one <page> of that size for the guest NUMA cells in nodeset (NULL:
 * all); without, the host's default huge page size for all of it. */
struct be_hugepages {
    bool on;
    unsigned long page_kib;     /* 0 = the host's default size, no <page> */
    char *nodeset;              /* guest cells, e.g. "0" or "0-1"; with page_kib */
};

/* The guest's memory binding to host nodes as a whole (<numatune><memory>). */
struct be_numatune {
    char *mode;             /* strict, interleave, preferred; NULL = no <numatune> */
    char *placement;        /* static (default), auto */
    char *nodeset;          /* host nodes, e.g. "0" */
};

struct be_vm_spec {
    char *name;
    unsigned long mem_mib;
    unsigned smp;       /* 0 = 1; the vCPUs online at start */
    /* vCPUs the guest may have (hotplug up to it); 0 = smp */
    unsigned max_vcpus;
    /* memory hotplug: the most memory the guest may have and its DIMM slots
     * (<maxMemory>); 0 = none */
    unsigned long max_mem_kib;
    unsigned mem_slots;
    struct be_numa_cell *numa;  /* guest NUMA cells; none = no NUMA topology */
    size_t nnuma;
    struct be_numatune numatune;
    struct be_hugepages hugepages;
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
    bool virtio_scsi;   /* SCSI disks on virtio-scsi controllers (else libvirt's model) */
    /* a virtio-serial port named org.qemu.guest_agent.0 for the guest's QEMU guest agent
     * (libvirt: <channel type='unix'>, its socket path chosen by libvirt); virt-install
     * adds it to avocado-vt's VMs, vtrun only for types that talk to the agent */
    bool guest_agent;
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
    /* resume a postcopy migration that was paused (abort_postcopy(), a broken
     * connection): virsh --postcopy-resume; with the hop's other flags, POSTCOPY
     * included */
    BE_MIG_POSTCOPY_RESUME = 1 << 11,
    BE_MIG_PAUSED          = 1 << 12, /* virsh --suspend: the guest stays paused on dst */
    BE_MIG_COPY_STORAGE_ALL = 1 << 13, /* copy whole disks (libvirt NON_SHARED_DISK) */
    BE_MIG_COPY_STORAGE_INC = 1 << 14, /* copy the top image only (NON_SHARED_INC) */
    BE_MIG_COPY_STORAGE_SYNC = 1 << 15, /* disk copy converges by synchronous writes */
    BE_MIG_CHANGE_PROTECTION = 1 << 16, /* no domain config change during the job */
    BE_MIG_TLS             = 1 << 17, /* TLS on the hypervisor's data channels */
    BE_MIG_PARALLEL        = 1 << 18, /* several data connections (multifd) */
    BE_MIG_ZEROCOPY        = 1 << 19, /* zero-copy send (with BE_MIG_PARALLEL) */
    BE_MIG_RDMA_PIN_ALL    = 1 << 20,
    /* virsh --direct: the hypervisor drivers talk without the daemons' peer-to-peer
     * protocol (libvirt: virDomainMigrateToURI3 without PEER2PEER; QEMU's driver
     * refuses it) */
    BE_MIG_DIRECT          = 1 << 21,
};

/* The typed parameters of a hop beyond the fields of struct be_migrate_opts (libvirt's
 * VIR_MIGRATE_PARAM_*; be_mig_param_name() gives libvirt's name).  A string-valued
 * param given several times (MIGRATE_DISKS, COMPRESSION) is a list, in order. */
enum be_mig_param {
    BE_MP_URI,                  /* string: data channel (virsh --migrateuri) */
    BE_MP_GRAPHICS_URI,         /* string */
    BE_MP_LISTEN_ADDRESS,       /* string: where dst QEMU listens */
    BE_MP_DEST_NAME,            /* string: the domain's name on dst (--dname) */
    BE_MP_DEST_XML,             /* string: domain XML text for dst (--xml FILE) */
    BE_MP_PERSIST_XML,          /* string: persistent XML text (--persistent-xml FILE) */
    BE_MP_MIGRATE_DISKS,        /* string, list: disk targets to copy */
    BE_MP_DISKS_PORT,           /* int */
    BE_MP_DISKS_URI,            /* string */
    BE_MP_COMPRESSION,          /* string, list: xbzrle, mt, zlib, zstd */
    BE_MP_COMP_MT_LEVEL,        /* int */
    BE_MP_COMP_MT_THREADS,      /* int */
    BE_MP_COMP_MT_DTHREADS,     /* int */
    BE_MP_COMP_XBZRLE_CACHE,    /* unsigned long long: bytes */
    BE_MP_COMP_ZLIB_LEVEL,      /* int (libvirt 9.4) */
    BE_MP_COMP_ZSTD_LEVEL,      /* int (libvirt 9.4) */
    BE_MP_AUTO_CONVERGE_INITIAL, /* int: percent */
    BE_MP_AUTO_CONVERGE_INCREMENT, /* int: percent */
    BE_MP_BANDWIDTH_POSTCOPY,   /* unsigned long long: MiB/s */
    BE_MP_PARALLEL_CONNECTIONS, /* int */
    BE_MP_TLS_DESTINATION,      /* string */
    BE_MP_DISKS_DETECT_ZEROES,  /* string, list: disk targets (libvirt 10.9) */
    BE_MP_COUNT
};

enum be_mig_param_type { BE_MPT_STRING, BE_MPT_INT, BE_MPT_ULLONG };

/* One typed parameter: str for strings, num for numbers. */
struct be_mig_param_val {
    enum be_mig_param id;
    char *str;
    long long num;
};

/* libvirt's name of a typed parameter ("destination_name") and its type. */
const char *be_mig_param_name(enum be_mig_param id);
/* libvirt's VIR_MIGRATE_* flags of enum be_mig_flag bits (the libvirt driver's
 * mapping; unit tests compare it with virsh's meaning of each word). */
unsigned int be_libvirt_mig_flags(unsigned be_flags);
enum be_mig_param_type be_mig_param_type(enum be_mig_param id);

/* What the deadline (timeout_s) does.  virsh migrate --timeout N runs its action
 * once, when the job has been running N s: --timeout-suspend (virsh's default)
 * pauses the guest so the migration completes non-live, --timeout-postcopy switches
 * to postcopy; virsh never aborts on a timeout.  vtrun's default is older than that
 * reading and is kept, since configs and tests rely on a timed-out hop failing:
 * abort, or postcopy when the hop allows it. */
enum be_timeout_action {
    BE_TIMEOUT_DEFAULT,   /* BE_TIMEOUT_POSTCOPY with BE_MIG_POSTCOPY, else _ABORT */
    BE_TIMEOUT_ABORT,     /* abort the job (be_migrate() fails: "migration timeout");
                           * the VM keeps running on the source */
    BE_TIMEOUT_SUSPEND,   /* virsh --timeout-suspend: pause the guest; the hop
                           * completes and the destination runs it */
    BE_TIMEOUT_POSTCOPY,  /* virsh --timeout-postcopy (needs BE_MIG_POSTCOPY) */
};

struct be_migrate_opts {
    unsigned flags;                 /* enum be_mig_flag */
    /* URI the source daemon uses to reach the destination (p2p); NULL = the dest
     * host's be_host_conf.migrate_desturi, else its uri */
    const char *dest_uri;
    /* data channel, e.g. tcp://127.0.0.1; NULL = the dest host's
     * be_host_conf.migrate_uri, else the driver's default; "": the driver's
     * default even when the host has one (libvirt: the destination's hostname) */
    const char *migrate_uri;
    unsigned long bandwidth_mib;    /* MiB/s, 0 = unlimited */
    /* the longest pause the switch-over may take (virsh migrate-setmaxdowntime);
     * precopy converges once the rest fits in it.  0 = the hypervisor's (300 ms) */
    unsigned long max_downtime_ms;
    /* more typed parameters, in order (owned by whoever filled them: mig_opts) */
    struct be_mig_param_val *params;
    size_t nparams;
    /* Policy, read by be_migrate() only (drivers ignore the fields below). */
    double timeout_s;               /* 0 = none; at expiry: timeout_action */
    enum be_timeout_action timeout_action;
    bool postcopy_after_precopy;    /* switch to postcopy after the first pass */
    const atomic_bool *cancel;      /* polled; true aborts the job */
    /* clock_now() time (lib/clock.h) by which be_migrate() returns whatever the
     * hypervisor does: the job is aborted, given BE_ABANDON_GRACE_S to end, then
     * abandoned ("migration abandoned"); 0 = none.  For a test's wall-clock bound. */
    double hard_deadline;
};

/* Seconds an aborted job gets to end before be_migrate() abandons it at the hard
 * deadline. */
#define BE_ABANDON_GRACE_S 5.0

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
    bool suspended;                 /* the guest was paused at the deadline */
    bool aborted;                   /* the job was aborted (timeout, cancel, abort_job()) */
    bool timed_out;                 /* ... at the deadline */
    /* a failed hop lost a connection to a daemon on the way (one was killed, hung or
     * restarted): infrastructure, an ERROR of the test rather than its FAIL */
    bool conn_lost;
    /* a failed hop: the hypervisor's (driver's) own message, without vtrun's words
     * around it -- what virsh prints after "error: " (tp-libvirt's err_msg regexes
     * are written against it); "" when the hop did not fail there */
    char hv_error[1024];
};

/* The running job of a VM (job_stats()).  Fields unknown to the driver are 0. */
struct be_job_stats {
    bool active;                    /* a job (migration) is running */
    bool postcopy;                  /* it is in the postcopy phase */
    double elapsed_ms;
    unsigned long long data_total;
    unsigned long long data_processed;
    unsigned long long data_remaining;
    unsigned long long mem_processed;
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
    /* the host's NUMA nodes (capabilities' cells: ids, NULL-terminated) and the free
     * memory of each (bytes, 0 unknown); NULL when the driver cannot tell */
    char **numa_nodes;
    unsigned long long *numa_free_bytes;
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
    /* qemu driver: directory for QMP sockets and pid files (removed by close() once
     * empty); NULL = a private directory under $TMPDIR */
    const char *run_dir;
    /* libvirt: VMs will migrate from this host: the connection of its first hop's
     * migration call is opened in the background now, not when the hop starts */
    bool migrates;
    /* qemu driver: proc_note is told each QEMU process before it starts (pidfile: the
     * file it writes its pid to, also on its command line: -pidfile PATH) and returns
     * a handle (0: not recorded, err set: the process is not started); proc_gone gets
     * the handle once that process has ended and been reaped.  The caller's ledger
     * (virt/): a QEMU that outlives a killed vtrun is found by the next job.  NULL:
     * none. */
    unsigned long (*proc_note)(void *ud, const char *pidfile);
    void (*proc_gone)(void *ud, unsigned long handle);
    void *proc_ud;
};

struct be_host;
struct be_job;              /* a migration in flight: migrate_start() .. migrate_finish() */
struct strbuf;

struct be_ops {
    const char *name;
    /* What the VM set must know of a driver, declared here rather than guessed from
     * its name.  local_hosts: its hosts are this machine, one run directory each, with
     * no URI and no host transport (qemu); else hosts are reached by URI (libvirt).
     * emulator_param: the param naming the emulator binary for a spec ("qemu_binary"
     * when the driver runs it itself; "emulator_path" when a daemon picks its own
     * unless told, as avocado-vt's libvirt tests let libvirt choose). */
    bool local_hosts;
    const char *emulator_param;
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
    /* Whether vm has a persistent definition on h (virsh dominfo's Persistent);
     * -1 + err when there is no such domain. */
    int (*persistent)(struct be_host *h, const char *vm, bool *out);

    /* ---- migration primitives (mechanism only; be_migrate() is the policy) ----
     *
     * migrate_start: begin migrating vm from src to dst with opts' flags, URIs and
     * bandwidth, and return without waiting for it (the blocking part runs in a
     * driver thread or in the hypervisor).  NULL + err_set() when no job could be
     * started (VM not running, destination QEMU did not start, bad URI); with
     * BE_MIG_POSTCOPY_RESUME, also when there is no paused postcopy to resume.
     * An offline hop may be done by the time it returns.
     *
     * migrate_wait: wait up to timeout_s for the job to end (completed, failed or
     * cancelled): 1 ended, 0 still running.  Bounded: it never waits much past
     * timeout_s (one hypervisor round trip at most).
     *
     * migrate_finish: release the job.  Ended: the driver completes its side of the
     * hop (the VM is on dst now: SSH forwards re-added, definitions moved, the source
     * QEMU quit) and fills out with the hypervisor's own figures (time_ms,
     * downtime_ms, setup_ms -1 and counters 0 where it has none), postcopy when it
     * saw the postcopy phase and aborted when it reports the job cancelled; returns
     * 0 when the migration completed, else -1 with err_set() of the hypervisor's
     * own words (e.g. "operation aborted: migration out job: canceled by client").
     * A postcopy that paused (abort_postcopy(), a broken connection) ends with -1 and
     * leaves the guest on both hosts for a BE_MIG_POSTCOPY_RESUME hop.  Still
     * running: the job is abandoned (libvirt: its thread is left to finish the
     * blocked call and clean up after itself; qemu: the migration is cancelled and
     * the destination killed); -1.  out may be NULL. */
    struct be_job *(*migrate_start)(struct be_host *src, struct be_host *dst,
                                    const char *vm, const struct be_migrate_opts *opts);
    int (*migrate_wait)(struct be_job *job, double timeout_s);
    int (*migrate_finish)(struct be_job *job, struct be_hop_metrics *out);
    /* The pass over memory the job is in, as the hypervisor's events say (libvirt's
     * migration-iteration event; QEMU's MIGRATION_PASS): what postcopy after the
     * first pass waits for, without asking the job every slice as job_stats does
     * (each look is a monitor round trip competing with the migration).  -1: no
     * event seen (yet); NULL: the driver has none. */
    long (*migrate_iteration)(struct be_job *job);
    /* The running job of vm on h (the migration source). */
    int (*job_stats)(struct be_host *h, const char *vm, struct be_job_stats *out);
    /* Abort the job: fails until the job has left its setup phase, and in postcopy
     * (the guest's memory is then split between the hosts). */
    int (*abort_job)(struct be_host *h, const char *vm);
    /* Switch a BE_MIG_POSTCOPY job to postcopy (virsh migrate-postcopy); fails
     * while the job is in setup. */
    int (*start_postcopy)(struct be_host *h, const char *vm);
    /* Interrupt a job in postcopy (virsh domjobabort --postcopy): it pauses, the
     * guest waits on both hosts until a BE_MIG_POSTCOPY_RESUME hop. */
    int (*abort_postcopy)(struct be_host *h, const char *vm);
    /* Pause / resume the guest's vCPUs (virsh suspend / resume). */
    int (*suspend)(struct be_host *h, const char *vm);
    int (*resume)(struct be_host *h, const char *vm);
    /* virsh save / restore: vm's state into the file path on h (written by the host's
     * daemon, or by QEMU itself; the VM stops, its definition stays), and vm running
     * again from it, where it was. */
    int (*save)(struct be_host *h, const char *vm, const char *path);
    int (*restore)(struct be_host *h, const char *vm, const char *path);
    /* The state saved in path (another domain's: same guest, other name and disk
     * files) running as spec's domain, defined by spec: its name, its disks (overlays
     * over the saved guest's, same devices in the same order) and console.  For
     * restore-instead-of-boot (virt/virt_saved.c).  NULL: not supported. */
    int (*restore_as)(struct be_host *h, const struct be_vm_spec *spec, const char *path);
    /* virsh list: whether vm is among h's running domains.  NULL: ask state(). */
    int (*listed)(struct be_host *h, const char *vm, bool *out);
    /* Evidence of a failed test (NULL where the driver has none): the definition h
     * runs vm with now (virsh dumpxml), and its last completed job, one "name: value"
     * line per figure (virsh domjobinfo --completed).  Appended to out. */
    int (*dump_xml)(struct be_host *h, const char *vm, struct strbuf *out);
    int (*job_info)(struct be_host *h, const char *vm, struct strbuf *out);
    /* vCPU hot(un)plug of the running guest (virsh setvcpus --live), and the count
     * of its enabled vCPUs (the live XML's <vcpu current>).  NULL: not supported. */
    int (*set_vcpus)(struct be_host *h, const char *vm, unsigned n);
    int (*vcpus)(struct be_host *h, const char *vm, unsigned *out);
    /* DIMM hotplug into the running guest (virsh attach-device --live of a
     * <memory model='dimm'>) on guest NUMA node `node` (-1: none), and the guest's
     * current memory (<currentMemory>, DIMMs included).  NULL: not supported. */
    int (*attach_dimm)(struct be_host *h, const char *vm, unsigned long size_kib, int node);
    int (*memory)(struct be_host *h, const char *vm, unsigned long *cur_kib);
    /* Attach NIC nic (its mac set) to the running guest and its persistent
     * definition (virsh attach-interface --live --config). */
    int (*attach_nic)(struct be_host *h, const char *vm, const struct be_nic *nic);
    /* The domain's definition as text for a hop's BE_MP_DEST_XML (libvirt: dumpxml
     * --migratable --security-info), its name changed to `rename` when set; and
     * whether the live definition on h holds a NIC with MAC `mac` (1 yes, 0 no). */
    char *(*migratable_def)(struct be_host *h, const char *vm, const char *rename);
    int (*has_mac)(struct be_host *h, const char *vm, const char *mac);
    /* Whether vm runs on h with its memory on huge pages: the live definition's
     * <memoryBacking><hugepages> (1 yes, 0 no, -1 err). */
    int (*on_hugepages)(struct be_host *h, const char *vm);
    /* The serial console log file of vm (caller frees); NULL + err when none. */
    char *(*console_path)(struct be_host *h, const char *vm);
    /* What the driver makes of spec, as text kept with a test's results (libvirt: the
     * domain XML; qemu: the command line); *ext gets the file name extension ("xml",
     * "args").  Caller frees; NULL + err_set() on error. */
    char *(*render)(const struct be_vm_spec *spec, const char **ext);
    /* Facts of the host (out is zeroed first; free with be_host_info_free). */
    int (*host_info)(struct be_host *h, struct be_host_info *out);
    /* host_info's free_mem_bytes alone, asked now: one call, so facts read once per
     * job (runner/run_hostcache.c) keep the one that changes fresh per case, and
     * the answer shows the daemon still answers.  NULL: use host_info. */
    int (*free_mem)(struct be_host *h, unsigned long long *bytes);
    const char *(*uri)(struct be_host *h);
    /* Whether h's connection is gone and did not come back (libvirt: its daemon was
     * killed, hung or unreachable past the reconnects); NULL: never. */
    bool (*lost)(struct be_host *h);
    void (*close)(struct be_host *h);
};

/* "libvirt" or "qemu" (avocado-vt's vm_type); NULL + err_set() when unknown. */
const struct be_ops *be_lookup(const char *name);

/* A count of the daemon restarts this process has seen: a driver bumps it when it
 * reopened a connection that was lost (the daemon was killed or restarted), virt/
 * when it started, stopped, restarted or killed a daemon.  Facts of a host kept
 * across cases (runner/run_hostcache.c) are read again once it moved. */
unsigned long be_daemon_epoch(void);
void be_daemon_epoch_bump(void);

/* Migrate vm from src to dst: the one migration supervisor (backends/be_migrate.c)
 * over be's primitives.  Blocks until the hop completed (0) or failed (-1,
 * err_set()), within the bounds opts sets:
 *  - timeout_s: once the job has run that long, its timeout_action, once;
 *  - cancel: the job is aborted as soon as the flag is seen;
 *  - postcopy_after_precopy (with BE_MIG_POSTCOPY): postcopy as soon as the first
 *    pass over memory is done;
 *  - hard_deadline: the job is abandoned (see migrate_finish).
 * A job in postcopy is never aborted (the guest would be lost): a timeout or cancel
 * then waits for it to complete.
 * Error texts, all prefixed "VM <vm>: ": "migration timeout: SRC -> DST not done
 * within N s, aborted (<hypervisor>)", "migration cancelled: SRC -> DST
 * (<hypervisor>)", "migration abandoned: ...", "migration failed: SRC -> DST:
 * <hypervisor>".
 * out (may be NULL) is filled on every path that got as far as starting the job:
 * the hypervisor's figures of the finished job, or else the last look at the
 * running job (an aborted hop records how far it got). */
int be_migrate(const struct be_ops *be, struct be_host *src, struct be_host *dst,
               const char *vm, const struct be_migrate_opts *opts,
               struct be_hop_metrics *out);

/* Owner functions of a VM spec: a deep copy (strings, disks and NICs), and its free
 * (zeroes the struct: a second free is harmless). */
void be_vm_spec_copy(struct be_vm_spec *dst, const struct be_vm_spec *src);
void be_vm_spec_free(struct be_vm_spec *spec);

extern const struct be_ops be_libvirt_ops;
extern const struct be_ops be_qemu_ops;

#endif
