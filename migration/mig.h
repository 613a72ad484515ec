/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migration: the migration engine, one public header in sections (one per source
 * file): the schedule (mig_plan), virsh flag words (mig_opts), pre-migration checks
 * (mig_pmc), post-migration checks (mig_postcheck) and stress (mig_stress).
 *
 * It sits between the runner (which hands it parsed options and the VM set) and virt/
 * (VMs, guests, hosts); it knows nothing of the CLI, the results files or the case's
 * params: it publishes its vocabularies as word tables (lib/params.h) that the runner's
 * declared params read.
 */
#ifndef VTRUN_MIG_H
#define VTRUN_MIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "backends/be.h"
#include "lib/params.h"
/* the actions a case runs during a migration: part of the engine's view, its own header
 * because the fuzzer builds it alone (tests/fuzz) */
#include "migration/mig_act.h"

struct spawn;
struct strbuf;

/* ===================================================================================
 * The migration schedule (mig_plan.c)
 * =================================================================================== */
/*
 * mig_plan: where every VM starts and which VMs move when, as data.
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

enum mig_plan_type {
    MIG_ORDERLY,
    MIG_SIMULTANEOUS,
    MIG_CROSS,
    MIG_COMPRESSED,
};

struct mig_move {
    size_t vm;          /* index into the test's VMs */
    int from, to;       /* host indexes */
};

struct mig_wave {
    struct mig_move *moves;
    size_t n;
};

struct mig_hop {
    unsigned round;     /* 1-based round trip */
    bool back;          /* the return half of a round trip */
    struct mig_wave *waves;
    size_t nwaves;
};

struct mig_plan {
    size_t nvms;
    int *start_host;            /* per VM */
    struct mig_hop *hops;
    size_t nhops;
};

/* migration_type's words: orderly, simultaneous, cross, compressed. */
extern const struct params_word mig_plan_type_words[];
const char *mig_plan_type_name(enum mig_plan_type t);

/* nvms >= 2 (cross needs one VM per host), rounds >= 1.  -1 + err otherwise. */
int mig_plan_build(size_t nvms, enum mig_plan_type type, unsigned rounds,
                       bool back, struct mig_plan *out);
void mig_plan_free(struct mig_plan *p);

/* Number of moves in a hop (all its waves). */
size_t mig_hop_moves(const struct mig_hop *h);

/* ===================================================================================
 * virsh migrate flag words (mig_opts.c)
 * =================================================================================== */
/*
 * mig_opts: the words users type after `virsh migrate` (tp-libvirt's
 * `virsh_migrate_options`, `virsh_migrate_extra`, `postcopy_options`,
 * `copy_storage_option`, `migrate_options`) turned into the backend's struct
 * be_migrate_opts: flags (enum be_mig_flag) and typed parameters (enum be_mig_param),
 * one table row per word with libvirt's meaning (virsh-domain.c cmdMigrate).
 *
 * vtrun reads those words itself (it never runs virsh) so a typo is a config error
 * with the word named, not a surprise at migration time.  The text is split as a
 * shell splits it ('' is an empty word); a value follows its word or is written
 * --word=value; list words (--migrate-disks, --comp-methods,
 * --migrate-disks-detect-zeroes) take comma-separated values.  The rules virsh itself
 * enforces are enforced too: --tunnelled needs --p2p, --postcopy-after-precopy,
 * --postcopy-resume and --timeout-postcopy need --postcopy, --timeout needs --live,
 * --timeout-suspend and --timeout-postcopy exclude each other, --live and --offline
 * exclude each other, --copy-storage-synchronous-writes needs a --copy-storage-*.
 * (virsh also wants --timeout beside the two --timeout-* words; vtrun's timeout may
 * come from a param instead, e.g. virsh_migrate_timeout.)
 *
 * --timeout N alone differs from virsh on purpose: vtrun aborts the hop at N s (or
 * switches to postcopy with --postcopy), virsh suspends the guest; say
 * --timeout-suspend for virsh's behaviour (be.h, enum be_timeout_action).
 * --verbose is accepted and does nothing (virsh's progress display).
 */

/* The flag words of a migration whose case names none (migrate_options unset): a live,
 * peer-to-peer move of the definition, as the lab and most tp-libvirt cases migrate. */
#define MIG_OPTS_DEFAULT "--live --p2p --persistent --undefinesource"

/* Parse `text` (may be NULL or empty: no words) and OR the result into *opts (flags,
 * timeout_s, timeout_action, bandwidth_mib, postcopy_after_precopy; typed params are
 * appended, owned by *opts: mig_opts_release()); other fields are left alone.
 * -1 with err_msg() naming an unknown word, -2 for a known word whose value or
 * combination virsh itself refuses (a case may expect that failure); *opts is
 * untouched then. */
int mig_opts_parse(const char *text, struct be_migrate_opts *opts);
/* Free the typed params parse appended (the rest of *opts is not owned). */
void mig_opts_release(struct be_migrate_opts *opts);
/* --xml FILE / --persistent-xml FILE: replace the file names by the files' text, as
 * virsh sends it.  -1 with err "error: Failed to open file 'F': ..." (virsh's). */
int mig_opts_load_files(struct be_migrate_opts *opts);
/* The first string value of param id (e.g. BE_MP_DEST_NAME for --dname), or NULL. */
const char *mig_opts_param_value(const struct be_migrate_opts *opts, enum be_mig_param id);
/* One more string param with its text (a file's content already read: --xml's). */
void mig_opts_add_text(struct be_migrate_opts *opts, enum be_mig_param id, const char *text);
/* Is word (without a value) one of virsh migrate's known words? */
bool mig_opts_word_known(const char *word);

/* The options as virsh words, for logs ("--live --p2p ... --dname x"); parses back to
 * the same options.  Caller frees. */
char *mig_opts_format(const struct be_migrate_opts *opts);

/* ===================================================================================
 * tp-libvirt virsh_migrate's guest NUMA topology (mig_numa.c)
 * =================================================================================== */

struct mig_numa_conf {
    bool pin;                       /* virsh_migrate_with_numa_pin: add <numatune> */
    const char *memory_mode;        /* memory_mode: strict, interleave, preferred */
    const char *placement;          /* memory_placement; NULL = static */
    const char *memnode_mode[2];    /* memnode_mode_1, _2; NULL = preferred */
    /* the host nodes to bind to: [0], and [1] when the host has two (NULL else) */
    const char *host_nodes[2];
};

/* Give spec the guest NUMA cells of its vCPUs (its maximum when it hotplugs) and
 * memory, and with c->pin its numatune.  -1 with err_set() on a spec that has cells
 * already or a pin without mode or node. */
int mig_numa_apply(struct be_vm_spec *spec, const struct mig_numa_conf *c);

/* ===================================================================================
 * tp-libvirt virsh_migrate's guest memory on huge pages (mig_hugepages.c)
 * =================================================================================== */

struct mig_hp_conf {
    bool hp;                /* virsh_migrate_with_HP: <hugepages/>, the default size */
    /* virsh_migrate_with_HP_pin: with guest NUMA cells, one <page> of page_kib for
     * cell 0 (pin_nodes 1, or one cell) or cells 0-1 (HP_pin_node_count) */
    bool pin;
    long pin_nodes;
    unsigned long page_kib;
};

/* Give spec (its NUMA cells laid out already) the memory backing c asks for; a pin
 * without cells backs nothing, as in the reference.  -1 with err_set() for a pin
 * without a page size. */
int mig_hugepages_apply(struct be_vm_spec *spec, const struct mig_hp_conf *c);
/* The page size a kernel_hp_file names (".../hugepages-1048576kB/nr_hugepages":
 * 1048576); 0 for one that names none (/proc/sys/vm/nr_hugepages: the default). */
unsigned long mig_hp_file_page_kib(const char *file);
/* Pages of page_kib the guest's memory takes, as the reference reserves them:
 * memory / page + 1. */
unsigned long mig_hp_pages(const struct be_vm_spec *spec, unsigned long page_kib);

/* ===================================================================================
 * The verdict on a virsh migrate call (mig_result.c)
 * =================================================================================== */
/*
 * mig_result: tp-libvirt's rules for one migration call (avocado-vt migration.py
 * MigrationTest.check_result, tp-libvirt virsh_migrate.py):
 *  - status_error = yes: the call must fail; with err_msg, that regex (PCRE2, searched
 *    anywhere, as Python's re.search) must match the error text as virsh prints it,
 *    "error: <libvirt's message>";
 *  - status_error = no: the call must succeed;
 *  - a failure "error: unsupported configuration: ..." CANCELs the case (libvirt
 *    refused the configuration on this host), unless the case expects exactly that
 *    (status_error with an err_msg that matches).
 * The same rules judge migrate_again (migrate_again_status_error, err_msg_again).
 */

enum mig_verdict {
    MIG_V_OK,                   /* succeeded as it should: go on with the checks */
    MIG_V_EXPECTED_FAILURE,     /* failed as it should: the case passes */
    MIG_V_FAIL,
    MIG_V_CANCEL,
    MIG_V_ERROR,                /* err_msg does not compile */
};

struct mig_expect {
    bool status_error;
    const char *err_msg;        /* NULL: any error text */
    const char *err_msg_name;   /* the param's name for errors; NULL: "err_msg" */
    bool cancel_unsupported;
};

/* ok: the call's outcome; stderr_text: "error: ..." of a failed call.  why gets the
 * reason of every verdict but OK (FAIL: tp-libvirt's words). */
enum mig_verdict mig_result_judge(const struct mig_expect *e, bool ok,
                                  const char *stderr_text, struct strbuf *why);
const char *mig_verdict_name(enum mig_verdict v);
/* The error text virsh would print for a hop that failed with hv_error
 * (be_hop_metrics.hv_error): "error: " + it. */
void mig_virsh_error(const char *hv_error, struct strbuf *out);
/* 0 when re is NULL or compiles; -1 + err naming `what` (the param). */
int mig_regex_check(const char *what, const char *re);

/* A domain's state as tp-libvirt's params name it (virsh_migrate_dest_state ...). */
enum mig_dom_state {
    MIG_DOM_RUNNING,
    MIG_DOM_PAUSED,
    MIG_DOM_SHUTOFF,
    MIG_DOM_NONEXIST,
    MIG_DOM_OTHER,
};
/* running, paused, shut off (also shutoff), nonexist. */
extern const struct params_word mig_dom_state_words[];
const char *mig_dom_state_name(enum mig_dom_state s);

/* What was seen after a successful hop, and what the case wants. */
struct mig_after {
    enum be_state dst_state, src_state;     /* BE_STATE_NONE: no such domain */
    bool dst_persistent;
    unsigned flags;                         /* the hop's enum be_mig_flag */
    enum mig_dom_state want_dst;            /* virsh_migrate_dest_state */
    bool check_src;
    enum mig_dom_state want_src;            /* virsh_migrate_src_state (after) */
    double uptime_before, uptime_after;     /* < 0: unknown, not judged */
};
/* avocado-vt's post-migration check of states, then the words' effects: --persistent
 * (persistent on dst), --undefinesource (gone from src), guest uptime not lower.
 * 0, or -1 with why (tp-libvirt's words where it has them). */
int mig_after_check(const struct mig_after *a, struct strbuf *why);

/* ===================================================================================
 * Pre-migration checks (mig_pmc.c)
 * =================================================================================== */
/*
 * mig_pmc: pre-migration checks, the libvirt mailing-list draft done as one static
 * table (seeds/libvirt-pre-migration-checks-draft.txt): each check has a name, the
 * worst result it can report (its severity) and a function returning SUCCESS,
 * WARNING or FAIL with a message.  No interactive prompt: the policy decides.
 *
 * The checks read plain facts (struct mig_pmc_host for each host, struct
 * mig_pmc_vm for each VM) so they are testable without hosts; the test type fills
 * them from the backend (see the proposed be_ops.host_info) and from the VM specs.
 * Unknown facts (NULL strings, 0 numbers) give WARNING "cannot tell", never FAIL.
 */

enum mig_pmc_result {
    MIG_PMC_SUCCESS,
    MIG_PMC_WARNING,
    MIG_PMC_FAIL,
};

/* `pmc_policy`: enforce (a FAIL cancels the test), warn (FAILs are logged and the
 * test goes on), off (no checks). */
enum mig_pmc_policy {
    MIG_PMC_ENFORCE,
    MIG_PMC_WARN,
    MIG_PMC_OFF,
};

/* What a host is; filled by the backend (libvirt: virConnectGetLibVersion,
 * virConnectGetType, virConnectGetCapabilities, virNodeGetFreeMemory,
 * virConnectGetDomainCapabilities; OS from /etc/os-release and uname). */
/* A user or group of a host, as `getent passwd` / `getent group` print it. */
struct mig_pmc_id {
    char kind;                          /* 'u' user, 'g' group */
    char *name;
    long id;
};

/* The users and groups QEMU runs as and shares image files through: their ids must
 * be equal on both hosts, or a file one host's QEMU made is not the other's (openQA's
 * check_host_uid / check_host_gid).  The script prints them on a host; parse its
 * output with mig_pmc_ids_parse (lines of getent: "name:x:id:..."; a line "#g" starts
 * the groups). */
extern const char mig_pmc_ids_script[];
size_t mig_pmc_ids_parse(const char *text, struct mig_pmc_id **out);
void mig_pmc_ids_free(struct mig_pmc_id *ids, size_t n);

struct mig_pmc_host {
    const char *name;                   /* for messages */
    unsigned long long libvirt_version; /* major * 1000000 + minor * 1000 + micro; 0 ? */
    const char *hypervisor;             /* "QEMU" */
    unsigned long long hv_version;      /* same encoding; 0 unknown */
    const char *arch;                   /* "x86_64" */
    const char *os_id;                  /* os-release ID, e.g. "debian" */
    const char *os_version;             /* os-release VERSION_ID, e.g. "12" */
    const char *kernel_release;         /* uname -r */
    unsigned long long free_mem_bytes;  /* 0 unknown */
    const char *host_cpu_model;         /* the host CPU's model name (host-passthrough) */
    /* CPU models a guest can use here (domain capabilities, usable='yes');
     * NULL-terminated; NULL = unknown */
    const char *const *cpu_models;
    const struct mig_pmc_id *ids;       /* mig_pmc_ids_parse; ids_known false: unknown */
    size_t nids;
    bool ids_known;
    /* services: the daemon answered (its host facts came); /dev/kvm usable (a
     * character device QEMU can open): 1 yes, -1 no, 0 unknown */
    int daemon_answers;
    int kvm_usable;
    /* `nft list ruleset` of the host; NULL unknown (no nft, not allowed) */
    const char *ruleset;
    /* security module confining QEMU: "selinux", "apparmor", "none"; NULL unknown;
     * denials: its audit lines (AVC denied / apparmor="DENIED") naming a VM's domain
     * or disk, one per line, "" none; NULL when no audit log could be read */
    const char *lsm;
    const char *denials;
};

struct mig_pmc_disk {
    const char *path;
    const char *cache;          /* NULL = the backend's default, none */
    bool readonly;
    int reachable_on_dst;       /* 1 yes, 0 no, -1 unknown */
};

struct mig_pmc_vm {
    const char *name;
    const char *cpu_model;      /* NULL = default model; "host-passthrough", ... */
    unsigned long long mem_bytes;
    const struct mig_pmc_disk *disks;
    size_t ndisks;
    const char *domain;         /* its name on the hosts (audit lines); NULL = name */
    const char *accel;          /* "kvm" or "tcg" (resolved); NULL = tcg */
};

struct mig_pmc_input {
    const struct mig_pmc_host *src;
    const struct mig_pmc_host *dst;
    const struct mig_pmc_vm *vms;      /* the VMs that will land on dst */
    size_t nvms;
    unsigned mig_flags;                 /* enum be_mig_flag (BE_MIG_UNSAFE allows caches) */
    /* the destination's QEMU migration ports (qemu.conf migration_port_min/max);
     * 0: libvirt's defaults 49152-49215 */
    unsigned port_min, port_max;
};

struct mig_pmc_check {
    const char *name;
    enum mig_pmc_result severity;      /* the worst result run() can give */
    enum mig_pmc_result (*run)(const struct mig_pmc_input *in, struct strbuf *msg);
};

/* The table, NULL-name terminated. */
extern const struct mig_pmc_check mig_pmc_checks[];

struct mig_pmc_outcome {
    const struct mig_pmc_check *check;
    enum mig_pmc_result result;
    char *msg;
};

/* Run every check; *out (caller frees with mig_pmc_outcomes_free) gets one outcome
 * per check in table order.  Returns the number of outcomes. */
size_t mig_pmc_run(const struct mig_pmc_input *in, struct mig_pmc_outcome **out);
void mig_pmc_outcomes_free(struct mig_pmc_outcome *o, size_t n);

const char *mig_pmc_result_name(enum mig_pmc_result r);
/* pmc_policy's words: enforce, warn, off. */
extern const struct params_word mig_pmc_policy_words[];

/* What the policy makes of a run's outcomes: MIG_PMC_FAIL when the test must stop
 * (enforce, a FAIL), MIG_PMC_WARNING when it goes on warned (warn, a FAIL), else
 * MIG_PMC_SUCCESS (warnings alone never change a test).  off: SUCCESS. */
enum mig_pmc_result mig_pmc_decide(const struct mig_pmc_outcome *o, size_t n,
                                   enum mig_pmc_policy policy);

/* The destination's firewall against the migration ports: the lines of an nftables
 * ruleset that drop or reject TCP to a port in [min, max] (a port, a range or a set
 * after dport), and the input chains whose policy drops with no rule accepting such a
 * port, appended to bad ("chain input: tcp dport 49152-49215 drop; chain filter_in:
 * policy drop, no rule accepts the ports").  Returns their number. */
size_t mig_pmc_fw_blocking(const char *ruleset, unsigned min, unsigned max,
                           struct strbuf *bad);

/* The host scripts of the service and security rows, run through the host transport
 * with fixed text (arguments: the VMs' domain names, never shell): the first prints
 * "lsm NAME" then matching audit lines; kvm prints yes or no. */
extern const char mig_pmc_lsm_script[];
extern const char mig_pmc_kvm_script[];

/* Dotted version compare (strverscmp-like on digit runs): <0, 0, >0. */
int mig_pmc_vercmp(const char *a, const char *b);

/* ===================================================================================
 * Post-migration checks (mig_postcheck.c)
 * =================================================================================== */
/*
 * mig_postcheck: what must hold for a VM after each migration hop, as one table run
 * in order, the first failure naming itself ("console: Kernel panic - not syncing").
 *
 *   state    running (virsh_migrate_dest_state) on the target; on the source gone, or
 *            shut off when the definition may stay (no --undefinesource);
 *   console  serial console output since the last scan has no kernel crash;
 *   ssh      the guest logs in; when it does not, the console is scanned again to
 *            say whether the guest died or only its network failed;
 *   uptime   not smaller than before the hop (the guest did not reboot);
 *   dmesg    guest kernel log at every level (or below guest_dmesg_level when set)
 *            has no Call Trace / Oops / BUG: / Kernel panic / ---[ end trace, minus
 *            lines matching expected_guest_dmesg; read with -c so each line is judged
 *            once;
 *   ping     the guest answers ping from the target host (unless
 *            check_network_accessibility_after_mig = no);
 *   gateway  the guest reaches its gateway: ping from inside (check_guest_gateway_after_mig
 *            = yes; guest_gateway, else the guest's default route);
 *   disk     a line written to disk_check_file reads back after a cache drop.
 *
 * Checks talk to the world only through struct mig_pc_env (filled by the test type
 * from its VM set), so this file knows nothing of the runner.  Transient failures
 * (state not settled yet, a command that could not run) are retried `retries` times,
 * `retry_delay_s` apart; a crash or an offending line is never retried away.
 */

struct mig_pc_env {
    void *ud;
    int (*state)(void *ud, size_t vm, int host, enum be_state *out);
    /* 1 crash (err_msg() has the line), 0 clean, -1 error */
    int (*console_crash)(void *ud, size_t vm);
    int (*login)(void *ud, size_t vm, double timeout_s);
    int (*exec)(void *ud, size_t vm, const char *cmd, double timeout_s,
                struct strbuf *out, int *status);
    int (*uptime)(void *ud, size_t vm, double *out);
    /* 0 when the guest answered `count` pings sent from `host` */
    int (*ping)(void *ud, size_t vm, int host, unsigned count);
    bool (*should_stop)(void *ud);
};

struct mig_pc_opts {
    enum be_state dest_state;       /* virsh_migrate_dest_state; default RUNNING */
    unsigned mig_flags;             /* enum be_mig_flag of the hop */
    bool check_dmesg;
    bool check_ping;                /* also off when env->ping is NULL */
    unsigned ping_count;
    /* guest network reach: the guest pings its gateway (gateway, else its default
     * route's) ping_count times, each answer awaited 2 s at most */
    bool check_gateway;
    const char *gateway;            /* NULL: the guest's default route */
    bool check_disk;
    const char *disk_file;
    const char *expected_dmesg;     /* PCRE2 or NULL */
    int dmesg_level;                /* judge levels < this; <= 0: every level */
    unsigned retries;               /* extra attempts of a transient failure */
    double retry_delay_s;
    double login_timeout_s;
    double cmd_timeout_s;
};

/* One VM after one hop.  uptime_before < 0 = unknown (e.g. rebooted on purpose):
 * the uptime check then only records the new value. */
struct mig_pc_vm {
    size_t vm;
    const char *name;
    int src, dst;
    double uptime_before;           /* updated by the uptime check */
    unsigned serial;                /* distinguishes disk check lines (hop number) */
};

enum mig_pc_verdict {
    MIG_PC_PASS,
    MIG_PC_FAIL,           /* definite: report */
    MIG_PC_RETRY,          /* transient: try again */
    MIG_PC_SKIP,           /* not judged: turned off, or not applicable to the flags */
};

struct mig_postcheck {
    const char *name;
    enum mig_pc_verdict (*run)(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                                struct mig_pc_vm *vm, struct strbuf *msg);
};

extern const struct mig_postcheck mig_postchecks[];  /* NULL-name terminated */

/* Defaults for the fields above (dest running, dmesg, ping and disk on, 3 retries 1 s). */
void mig_pc_opts_default(struct mig_pc_opts *o);

/* Run the table in order for one VM.  0 when all passed; -1 with *why =
 * "<check>: <message>" for the first failure.  log (may be NULL) gets one line per
 * check result. */
int mig_postcheck_run(const struct mig_pc_env *env, const struct mig_pc_opts *o,
                       struct mig_pc_vm *vm, struct strbuf *why,
                       void (*log)(void *ud, const char *line), void *log_ud);

/* Scan dmesg text (plain or `dmesg -r` "<N>" prefixed lines) for kernel crash lines
 * at a level < max_level (<= 0: all; lines without a level always count), skipping
 * lines matching expected_re.  Offending lines are appended to bad (one per line).
 * Returns their number, or -1 + err when expected_re does not compile. */
int mig_dmesg_scan(const char *text, int max_level, const char *expected_re,
                    struct strbuf *bad);

/* virsh_migrate_dest_state's words -> enum be_state: running, paused, shut off
 * (also shutoff). */
extern const struct params_word mig_pc_state_words[];

/* ===================================================================================
 * Stress (mig_stress.c)
 * =================================================================================== */
/*
 * mig_stress: load generators in guests and on hosts (avocado-vt's VMStress /
 * HostStress, without their download-and-build step).
 *
 * Params (tp-libvirt's names): `stress_tool` (stress, stress-ng), `<tool>_args` (may
 * hold one %s: the per-worker --vm-bytes), `stress_vm_bytes` (a size such as 128M,
 * or `half`, or `shortage`).
 *
 * Sizes are BYTES everywhere (the reference reads /proc/meminfo in KiB and passes the
 * result to --vm-bytes as bytes, and per worker the whole amount):
 *  - half     = (MemTotal - sum of the VMs' memory) / 2: half of what the host has
 *               beyond its guests;
 *  - shortage = MemFree - sum of the VMs' memory + 512 MiB: afterwards the host has
 *               512 MiB less free than the VMs need ("short of memory");
 *  - in a guest (no VMs inside) `shortage` would only feed the guest's OOM killer, so
 *    it is computed as `half` there;
 * and the total is divided by the number of --vm workers, since each worker
 * allocates --vm-bytes.
 *
 * Guests: the tool runs if the guest has it (`command -v`), else a busybox shell loop
 * that does the same kind of work (CPU spin, memory touch via dd, sync); nothing is
 * downloaded or built.  Started detached in its own session (setsid), its PID written
 * to /tmp/vtrun-stress-<tag>.pid, stopped by killing that process group.  The same
 * scripts serve remote hosts through the host transport (virt/virt.h virt_host).
 * Local host: the argv in the background through lib/spawn (own process group, dies
 * with vtrun); stop kills the group.
 */

#define MIG_MIB (1024ULL * 1024ULL)

struct mig_meminfo {
    unsigned long long total;   /* bytes */
    unsigned long long free;    /* bytes */
};

/* /proc/meminfo text -> bytes (its "kB" are KiB).  -1 if MemTotal/MemFree missing. */
int mig_meminfo_parse(const char *text, struct mig_meminfo *mi);
int mig_meminfo_read_local(struct mig_meminfo *mi);

/* The TOTAL bytes `stress_vm_bytes` asks for (see above); in_guest selects the guest
 * rule for `shortage`.  -1 with err when the spec is bad or the result is not
 * positive (e.g. the host is already short). */
int mig_stress_total_bytes(const char *spec, const struct mig_meminfo *mi,
                            unsigned long long vms_bytes, bool in_guest,
                            unsigned long long *out);

/* N of "--vm N" / "--vm=N" (or `opt` generally) in args; 1 when absent or bad. */
unsigned mig_stress_workers(const char *args, const char *opt);

/* The stress argv: tool first, args split on blanks, "%s" replaced by the per-worker
 * bytes (a plain integer: bytes).  vm_bytes_spec/mi are only used when args hold %s.
 * NULL-terminated; free with mig_stress_argv_free().  NULL + err on error. */
char **mig_stress_argv(const char *tool, const char *args, const char *vm_bytes_spec,
                        const struct mig_meminfo *mi, unsigned long long vms_bytes,
                        bool in_guest);
void mig_stress_argv_free(char **argv);

/* POSIX sh scripts (guest or remote host) to start / stop / probe the stress that
 * carries `tag` (letters, digits, - and _ only).  Start prints "started <pid>";
 * stop prints "stopped" once nothing of the group is left; probe prints "running"
 * or "gone".  Caller frees. */
char *mig_stress_start_script(char *const *argv, const char *tag);
char *mig_stress_stop_script(const char *tag);
char *mig_stress_probe_script(const char *tag);

/* A stress process on this machine (lib/spawn in the background). */
struct mig_stress_proc {
    struct spawn *sp;           /* NULL: nothing started */
};

/* Start argv (PATH lookup) in its own process group, output to log_path (NULL =
 * /dev/null); it dies with vtrun (pdeathsig).  -1 with err if it cannot start (e.g.
 * the tool is not installed). */
int mig_stress_local_start(char *const *argv, const char *log_path,
                            struct mig_stress_proc *p);
/* True while any process of the group is alive (zombies excepted). */
bool mig_stress_local_alive(const struct mig_stress_proc *p);
/* SIGTERM the group, SIGKILL after grace_s, reap; idempotent (sp NULL = nothing). */
int mig_stress_local_stop(struct mig_stress_proc *p, double grace_s);

/* ===================================================================================
 * The post-migration checks over a test's VM set (mig_vms.c)
 * =================================================================================== */

struct virt_vms;

/* The check environment over the VM set: env->ud is vms; state, console, login, exec,
 * uptime and should_stop go through virt/'s VM set; ping is NULL (no ping check) until
 * the caller sets one. */
void mig_vms_pc_env(struct virt_vms *vms, struct mig_pc_env *env);
/* Run the post-check table for VM pv->vm; each check's result goes to the log.
 * 0, or -1 with err_msg() = "<check>: <message>" of the first failure. */
int mig_vms_postcheck(struct virt_vms *vms, const struct mig_pc_env *env,
                      const struct mig_pc_opts *o, struct mig_pc_vm *pv);
/* The first checks of that table after VM i's hop to `to` (from `from`): state
 * (running on `to`, gone or shut off on `from`), console clean, SSH login (else the
 * console says whether the guest died), uptime not smaller.  0 ok, -1 with err_msg()
 * naming the failed check. */
int mig_vms_check_after_hop(struct virt_vms *vms, size_t i, int from, int to,
                            double login_timeout_s);

/* ===================================================================================
 * Guest administration after the last hop (mig_admin.c)
 * =================================================================================== */
/*
 * `post_migration_admin = yes`: on the host VM i landed on, the steps destroy, start
 * (the definition that host has), login, listed running, save, restore (then a login:
 * the guest goes on without a boot), suspend, resume (then a command runs), in this
 * order.  Each step is reported with its time (report: PASS, FAIL with the message, or
 * SKIP: save / restore where the backend cannot); the first failure stops the run:
 * -1 with err_msg() "guest administration: <step>: <why>".  The save file is written
 * in save_dir on that host and removed afterwards.
 */
struct mig_admin_opts {
    const char *save_dir;           /* on the guest's host */
    double login_timeout_s;
    double cmd_timeout_s;
};

int mig_admin_run(struct virt_vms *vms, size_t i, const struct mig_admin_opts *o,
                  void (*report)(void *ud, const char *step, enum mig_pc_verdict v,
                                 double secs, const char *msg),
                  void *ud);
/* The name of step k in run order; NULL past the last. */
const char *mig_admin_step_name(size_t k);

/* ===================================================================================
 * The timeline of a migration and its actions (mig_timeline.c)
 * =================================================================================== */
/*
 * mig_timeline: a migration in its own thread and the actions a tp-libvirt case runs
 * around it (migration/mig_act.h), with avocado-vt's order and waits
 * (virttest/migration.py MigrationTest.do_migration, _do_orderly_migration):
 *
 *   1. the migration starts in a thread of its own;
 *   2. the actions marked before_pause run, in order;
 *   3. the engine waits up to start_timeout (60 s) for the destination domain to reach
 *      start_state (migrate_start_state, default "paused": the incoming domain), then
 *      settle_s (3 s); a migration that never shows there runs no more actions
 *      (avocado-vt logs "Migration failed to start" and goes on to the join);
 *   4. the other actions, in order: each sleeps need_sleep_time, waits up to
 *      wait_for_after_event_timeout (30 s) for its after_event regex to be found in the
 *      events seen so far (not found: ERROR "Unable to find event"), is an ERROR when
 *      its before_event regex is found already, then runs;
 *   5. the migration thread is joined; while it runs on, a test that must stop
 *      (should_stop: SIGINT, its timeout) tells it to (ops->cancel).
 *
 * An action that fails or errs ends the timeline there: the migration is told to stop
 * (ops->cancel) and joined, and the action's verdict is the timeline's.
 *
 * The engine knows no host or VM: what it runs comes through struct mig_tl_ops, so
 * the order and the waits are tested without VMs (tests/unit/test_mig_timeline.c).
 * The migrate callback must bound itself (the caller's thread_timeout, 900 s in
 * avocado-vt): the engine joins it, it never abandons a thread.
 */
/* What an action's step returns. */
enum mig_tl_verdict {
    MIG_TL_OK,
    MIG_TL_FAIL,        /* the check failed: the test FAILs (test.fail) */
    MIG_TL_ERROR,       /* it could not be run: the test ERRORs (test.error) */
};

struct mig_tl_ops {
    void *ud;
    /* The migration, blocking, in the engine's thread; 0 migrated, -1 failed (the
     * callback keeps its own record of why). */
    int (*migrate)(void *ud);
    /* Ask the migration to stop soon (an action failed); may be NULL. */
    void (*cancel)(void *ud);
    /* 1 when the migrated domain is in state (virsh's words: "paused", "running")
     * on the destination, 0 not (or no such domain yet). */
    int (*dest_state)(void *ud, const char *state);
    /* Run action a (its waits done); why gets the reason of FAIL and ERROR. */
    enum mig_tl_verdict (*step)(void *ud, const struct mig_action *a, struct strbuf *why);
    /* The events seen so far, in virsh event --loop --all's text, appended to out;
     * NULL when the case has none to wait for. */
    void (*events)(void *ud, struct strbuf *out);
    /* True when the test must stop (cancel, test timeout): waits end early. */
    bool (*should_stop)(void *ud);
    /* A line for the test's log; may be NULL. */
    void (*log)(void *ud, const char *line);
};

struct mig_tl_conf {
    const char *start_state;    /* NULL: "paused" */
    double start_timeout;       /* <= 0: 60 */
    double settle_s;            /* after the start was seen; < 0: 3 */
    double poll_s;              /* <= 0: 0.2 */
};

struct mig_tl_result {
    int mig_rc;                 /* the migrate callback's */
    bool started;               /* the destination domain reached start_state */
    enum mig_tl_verdict verdict;    /* of the actions */
    char *why;                  /* owned; with FAIL / ERROR */
    size_t ran;                 /* actions run (their step called) */
};

/* Run the timeline of acts (may be empty) around ops->migrate.  0 when the engine ran
 * (the verdicts are in *res), -1 with err_set() when the migration thread could not
 * be started. */
int mig_timeline_run(const struct mig_tl_conf *conf, const struct mig_actions *acts,
                     const struct mig_tl_ops *ops, struct mig_tl_result *res);
void mig_tl_result_release(struct mig_tl_result *res);

/* 1 when regex re is found in text (Python's re.findall non-empty), 0 not, -1 (err)
 * when it does not compile. */
int mig_tl_search(const char *re, const char *text);

#endif
