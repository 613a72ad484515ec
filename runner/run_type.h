/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types and the context a test gets.
 *
 * Every test type is one static descriptor (LTP's struct tst_test): its name, what it
 * needs, the params it reads (declared rows bound into its own options struct, LTP's
 * struct tst_option; printed by --list-types), and setup / run / cleanup.  The runner
 * looks a case's `type` param up in run_types[] (runner/run_types.c) and, before
 * anything starts, parses in this order:
 *
 *   the params every case has (run_common_params) -> the per-VM and per-image params
 *   virt/ reads (run_vm_params, in each object's params) -> the type's params into a
 *   new options struct (ctx->opts) -> the type's check hook -> the type's needs.
 *
 * A bad value ends the case as ERROR ("ConfigError", naming the param, its value and
 * what was expected), an unmet need as CANCEL naming the need; no VM, clone or host is
 * touched before that.  Then the plumbing: result directory, logging, deadline,
 * cancellation, status.  Cleanup runs on every path (failure, timeout, SIGINT),
 * exactly once, after setup was attempted.
 */
#ifndef VTRUN_RUN_TYPE_H
#define VTRUN_RUN_TYPE_H

#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct params;
struct params_word;
struct res_test;
struct run_links;
struct virt_host;
struct strbuf;

/* avocado's statuses, in the order of the RESULTS line. */
enum run_status {
    RUN_PASS,
    RUN_ERROR,
    RUN_FAIL,
    RUN_SKIP,
    RUN_WARN,
    RUN_INTERRUPTED,
    RUN_CANCEL,
};

/* One libvirt host from the settings (or from the case's params).  The ssh_* keys are
 * for the host transport (run_host_link): commands and files on a remote host. */
struct run_host {
    char *name;
    char *uri;              /* client URI vtrun connects to */
    char *migrate_desturi;  /* URI the peer daemon uses to reach this host (p2p) */
    char *migrate_uri;      /* migration data channel, e.g. tcp://127.0.0.1 */
    char *ssh_user;         /* NULL: the URI's user, else the user vtrun runs as */
    char *ssh_key;          /* NULL: ssh-agent and ~/.ssh/id_* */
    int ssh_port;
    char *ssh_password;     /* secret: never printed or logged */
    char *ssh_password_file;    /* its first line is the password */
    char *ssh_known_hosts;  /* accept-new (NULL) | strict | off */
    char *ssh_known_hosts_file; /* NULL: the job's file (accept-new), ~/.ssh/known_hosts
                                   (strict) */
    double ssh_connect_timeout; /* seconds; 0: 10 */
    /* What a tp-libvirt case's placeholders are filled with (runner/run_port.c):
     * NULL = derived from the URIs (address, hostname) or unknown (address6). */
    char *address;          /* the IPv4 address (or name) other machines reach it at */
    char *address6;         /* its IPv6 address */
    char *hostname;         /* the name it resolves as and its TLS certificate's CN */
    char *images_dir;       /* its private image directory (/var/lib/libvirt/images) */
    char *shared_dir;       /* where the shared storage is mounted (same path on every
                               host); NULL: none */
};

struct run_common;

struct run_ctx {
    const struct params *params;    /* the case; read-only.  Types read their parsed
                                       options (opts, common) instead */
    const struct run_common *common;    /* the params every case has, parsed */
    const struct run_type *type;    /* the case's type; NULL for a helper context */
    void *opts;                     /* the type's options struct, parsed (opts_size) */
    const char *name;               /* full case name */
    const char *shortname;
    const char *outdir;             /* the test's result directory (logs, XML, stats) */
    struct res_test *res;           /* results sink of this test (results/res.h) */
    FILE *log;                      /* where run_log writes when res is NULL (tests) */
    const struct run_host *hosts;   /* hosts[0] is the source by default */
    size_t nhosts;
    size_t need_hosts;              /* the first ones the type needs (needs.hosts, at
                                       least 1): reached before anything is made */
    const char *backend;            /* "libvirt" or "qemu" (vm_type / --backend / settings) */
    unsigned slot;                  /* worker slot (--jobs): VM names, ports, paths
                                       derived from it never collide between slots */
    unsigned addr_slot;             /* the machine-wide address slot of the worker
                                       (virt_slot_take): guest addresses of every
                                       vtrun job on the machine never collide */
    const char *job_id;             /* 40 hex; its first 7 make names job-unique */
    double deadline;                /* monotonic seconds; 0 = none */
    double started_wall;            /* when the test started: epoch seconds (the daemon
                                       log lines of failure evidence are those since) */
    atomic_bool *cancel;  /* set on SIGINT/SIGTERM/timeout: stop soon */
    const char *known_hosts;        /* the job's known_hosts file (host transport) */
    struct run_links *links;        /* run_host_link(): opened on first use, per host */
    struct run_cache *cache;        /* the job's, shared by its cases and workers
                                       (runner/run_cache.h); NULL: keep nothing */
    void *data;                     /* the type's own state from setup to cleanup */
    /* set through run_fail() & co. */
    enum run_status status;
    char *reason;
    char *fail_type;                /* short class of the failure, e.g. "MigrationTimeout" */
};

/* ===================================================================================
 * Declared params (runner/run_param.c): the table binds, the runner parses
 * =================================================================================== */
/*
 * One row per param a type reads: name and aliases, kind, default (as text, the way a
 * config writes it), where the value goes (offsetof into the options struct), an
 * optional check, and the one-line doc.  The same rows parse the case, word the errors
 * and print --list-types, so the doc, the default and the code cannot disagree.
 *
 * Rules, the same for every row:
 *  - names: the row's name, then its aliases in the order written; the first one set
 *    in the case wins (avocado-vt: params.get("migrate_options",
 *    params.get("virsh_migrate_options")) in virttest/migration.py);
 *  - a value that is empty or blank is unset (a variant's `x =` clears a param), but
 *    in a row with .empty_is_value;
 *  - unset: the default text is parsed as if the case had written it; no default
 *    (NULL): the field keeps what the caller put there (zero, NULL; an empty list for
 *    RUN_PARAM_LIST; the settings' value for test_timeout);
 *  - a value the kind does not accept, or that .check refuses, is an error
 *    "param NAME = 'VALUE': expected <what the row accepts>", NAME as the case wrote it.
 */
enum run_param_kind {
    RUN_PARAM_STR,      /* const char *: the text (borrowed from the case or the row) */
    RUN_PARAM_BOOL,     /* bool: avocado-vt's get_boolean(): yes on true / no off false */
    RUN_PARAM_INT,      /* long: a decimal integer, as Python's int() reads it */
    RUN_PARAM_FLOAT,    /* double: a finite decimal number (seconds, ratios) */
    RUN_PARAM_BYTES,    /* unsigned long long: a size, 128M 1G 4096 (params_size_parse) */
    RUN_PARAM_ENUM,     /* int: the value of one of .words (migration/ publishes its own) */
    RUN_PARAM_LIST,     /* char **: whitespace-split, duplicates dropped (Params.objects);
                           owned by the options, run_param_release() frees it */
    RUN_PARAM_REGEX,    /* const char *: a pattern that compiles with PCRE2 */
    RUN_PARAM_CUSTOM,   /* any field: .parse reads the text (flag words, literals ...) */
};

/* Where a row's value is looked up: the case only, or also each VM's object params
 * (mem_vm2), or also each image's of each VM (check_image_image1).  Object rows are
 * only checked, never stored: virt/ reads them for its VM model. */
enum run_param_scope { RUN_PARAM_CASE, RUN_PARAM_VM, RUN_PARAM_IMAGE };

struct run_param {
    const char *name;
    const char *aliases;            /* other names, blank-separated, tried after name */
    enum run_param_kind kind;
    const char *def;                /* the default as a config writes it; NULL: none */
    size_t off;                     /* offsetof the field (the RUN_PARAM_*_AT macros) */
    enum run_param_scope scope;
    bool has_min, has_max;          /* INT, FLOAT, BYTES: inclusive bounds */
    double min, max;
    const char *unit;               /* "seconds", "MiB": for messages and the listing */
    const struct params_word *words;    /* ENUM: NULL-word terminated */
    /* CUSTOM: text -> *field (-1 with err_set(why)); the value as a config would write
     * it; release frees what parse kept (may be NULL). */
    int (*parse)(const char *text, void *field);
    void (*format)(const void *field, struct strbuf *out);
    void (*release)(void *field);
    /* After the kind's conversion, any kind: -1 with err_set(why) refuses the value. */
    int (*check)(const void *field);
    /* STR: a value the case sets empty is that empty text, not unset (tp-libvirt's
     * `bandwidth =` leaves virsh's argument out, unlike an unset one) */
    bool empty_is_value;
    const char *expect;             /* what a value is ("virsh migrate flag words");
                                       NULL: said from the kind, words and bounds */
    const char *doc;
};

/* The offset of field f of T, checked at compile time to be of type ctype, so that a
 * row cannot bind a kind to a field of another type. */
#define RUN_PARAM_FIELD(T, f, ctype)                                                   \
    (offsetof(T, f) + 0 * sizeof(struct {                                              \
        _Static_assert(_Generic(((T *)0)->f, ctype: 1, default: 0),                   \
                       "param field " #f " is not " #ctype);                           \
        char c_;                                                                       \
    }))
/* A row's kind and field: { "ping_count", RUN_PARAM_INT_AT(struct o, pings), ... }. */
#define RUN_PARAM_STR_AT(T, f)   .kind = RUN_PARAM_STR, .off = RUN_PARAM_FIELD(T, f, const char *)
#define RUN_PARAM_BOOL_AT(T, f)  .kind = RUN_PARAM_BOOL, .off = RUN_PARAM_FIELD(T, f, bool)
#define RUN_PARAM_INT_AT(T, f)   .kind = RUN_PARAM_INT, .off = RUN_PARAM_FIELD(T, f, long)
#define RUN_PARAM_FLOAT_AT(T, f) .kind = RUN_PARAM_FLOAT, .off = RUN_PARAM_FIELD(T, f, double)
#define RUN_PARAM_BYTES_AT(T, f)                                                       \
    .kind = RUN_PARAM_BYTES, .off = RUN_PARAM_FIELD(T, f, unsigned long long)
#define RUN_PARAM_ENUM_AT(T, f, w)                                                     \
    .kind = RUN_PARAM_ENUM, .off = RUN_PARAM_FIELD(T, f, int), .words = (w)
#define RUN_PARAM_LIST_AT(T, f)  .kind = RUN_PARAM_LIST, .off = RUN_PARAM_FIELD(T, f, char **)
#define RUN_PARAM_REGEX_AT(T, f)                                                       \
    .kind = RUN_PARAM_REGEX, .off = RUN_PARAM_FIELD(T, f, const char *)
#define RUN_PARAM_CUSTOM_AT(T, f, ctype, parse_fn, format_fn)                          \
    .kind = RUN_PARAM_CUSTOM, .off = RUN_PARAM_FIELD(T, f, ctype), .parse = (parse_fn),   \
    .format = (format_fn)
/* Bounds: RUN_PARAM_MIN(0) for seconds, RUN_PARAM_RANGE(1, 65535) for a port. */
#define RUN_PARAM_MIN(x)         .has_min = true, .min = (x)
#define RUN_PARAM_RANGE(a, b)    .has_min = true, .min = (a), .has_max = true, .max = (b)

/* Parse the rows of scope CASE of `table` (NULL-name terminated) from the case p into
 * opts.  0, or -1 with err_msg() "param NAME = 'VALUE': expected ..." for the first bad
 * row (what was parsed before stays in opts: release it).  opts NULL: only check. */
int run_param_parse(const struct run_param *table, const struct params *p, void *opts);
/* Check the rows of scope VM and IMAGE in the case, in every VM's object params (VMs
 * of `vms`) and in every image's of each VM (`images`); the error names the object:
 * "param mem = '-5' (VM vm2): expected ...". */
int run_param_check_objects(const struct run_param *table, const struct params *p);
/* Free what parsing kept in opts (lists, CUSTOM fields with .release); idempotent. */
void run_param_release(const struct run_param *table, void *opts);
/* What a row accepts, as the errors and the listing say it ("an integer >= 1", "one of
 * orderly, simultaneous, cross, compressed").  Caller frees. */
char *run_param_expect(const struct run_param *row);
/* The rows as --list-types prints them: names, what they accept, default, doc. */
void run_param_print(const struct run_param *table, FILE *out);
/* The parsed values of the CASE rows, "name = value" lines as a config would write
 * them (debug.log shows what a test ran with, defaults included). */
void run_param_format(const struct run_param *table, const void *opts, struct strbuf *out);

/* ===================================================================================
 * The params every case has (runner/run_common.c)
 * =================================================================================== */

struct run_common {
    double test_timeout;        /* seconds, 0 = none; unset: the settings' test_timeout */
    double login_timeout;       /* seconds to wait for a guest login */
    const char *vm_type;        /* the backend; NULL: --backend, else the settings' */
    char **vms;                 /* the VMs; never NULL after run_common_parse() */
    const char *main_vm;        /* NULL: the first of vms */
    /* the case's hosts, over the settings' (tp-libvirt's names) */
    const char *virsh_migrate_connect_uri;  /* the source host's URI */
    const char *virsh_migrate_desturi;      /* the destination host's URI */
    const char *virsh_migrate_migrateuri;   /* the migration data URI to the destination */
    const char *migrate_dest_host;          /* a settings host by name, else over SSH */
    /* avocado-vt's remote params, aliases of the same meaning (runner/run_job.c) */
    const char *migrate_source_host;        /* the source: a settings host */
    const char *remote_user;                /* the destination's SSH user */
    const char *remote_pwd;                 /* the destination's SSH password */
    int boot_mode;                          /* enum run_boot_mode (vm_boot_mode) */
};

/* vm_boot_mode: how a case's guests come up. */
enum run_boot_mode {
    RUN_BOOT_COLD,          /* define and boot each guest (avocado-vt's way) */
    RUN_BOOT_RESTORE,       /* from a guest saved after its first boot (virt_vms_boot_restore) */
};

/* The rows of struct run_common; the per-VM and per-image rows virt/ reads for its VM
 * model (mem, smp, image_clone_mode ...), checked before any VM or clone is made.  Both
 * are printed by --list-types. */
extern const struct run_param run_common_params[];
extern const struct run_param run_vm_params[];

/* Both tables for the case into *c, pre-filled by the caller with what comes from the
 * settings (test_timeout).  0, or -1 with err_msg() naming the param.  Release *c
 * either way. */
int run_common_parse(const struct params *p, struct run_common *c);
void run_common_release(struct run_common *c);
/* The index of main_vm in vms (0 when main_vm or vms is unset); -1 with err_msg()
 * when main_vm is not one of vms. */
long run_common_main_vm(const struct run_common *c);

/* ===================================================================================
 * Test types
 * =================================================================================== */

struct run_need;

/* What a type needs, checked once by the runner after the params: an unmet need makes
 * the case CANCEL naming it ("needs at least 2 VMs in 'vms', got 1").  The runner
 * checks these, then what every case may need (runner/run_needs.h), in one place. */
struct run_needs {
    unsigned vms;                   /* at least this many VMs in `vms` */
    unsigned hosts;                 /* at least this many hosts (2: source, destination) */
    const struct run_need *rows;    /* the type's own need rows (NULL-name terminated;
                                       may be NULL): capabilities, cases it cancels */
    /* rows decided after run_needs_generic[]: setups of the reference the type does
     * not build yet (their .met fails: ERROR), so a case the hosts cannot meet anyway
     * still CANCELs for that need first (may be NULL) */
    const struct run_need *rows_last;
};

struct run_type {
    const char *name;
    const char *alias;              /* another accepted `type` value, or NULL */
    const char *summary;
    struct run_needs needs;
    const struct run_param *params;       /* NULL-name terminated; may be NULL */
    size_t opts_size;                     /* the options struct params bind into */
    /* After the params: derive fields and cross-check them (-1 with err_set() →
     * ERROR).  May be NULL.  Sees the common params, never a host or a VM. */
    int (*check)(const struct run_common *c, void *opts);
    int (*setup)(struct run_ctx *ctx);    /* may be NULL; 0 ok, -1 → status set */
    int (*run)(struct run_ctx *ctx);      /* 0 pass (or status already set), -1 failed */
    void (*cleanup)(struct run_ctx *ctx); /* may be NULL; must be idempotent */
    /* vm_boot_mode = restore: NULL when the case's guests may start from saved ones,
     * else why they boot cold (the case tests booting).  NULL hook: the type's guests
     * always boot cold (it reshapes or reboots them itself). */
    const char *(*boot_cold)(const void *opts);
};

/* NULL-terminated table of every type (runner/run_types.c). */
extern const struct run_type *const run_types[];
const struct run_type *run_type_lookup(const char *name);

/* t's params from the case into a new options struct (*opts, t->opts_size bytes; free
 * it with run_type_opts_free()), then t->check.  0, or -1 with err_msg() naming the
 * param (*opts NULL then).  Needs no backend, host or VM: unit tests call it. */
int run_type_parse(const struct run_type *t, const struct params *p,
                   const struct run_common *c, void **opts);
void run_type_opts_free(const struct run_type *t, void *opts);
/* t's needs against the parsed case and its hosts: 0, or -1 with err_msg() naming the
 * unmet need. */
int run_type_check_needs(const struct run_type *t, const struct run_common *c,
                         size_t nhosts);

struct virt_vms;

/* The test's VM set (virt/virt.h) from its context: hosts, backend, slot, logging,
 * cancel flag and deadline, hops reported into the results.  Cleanup turns the set's
 * own after-test verdict (a clone check) into ERROR or WARN. */
int run_vmset_setup(struct run_ctx *ctx, struct virt_vms *vms);
/* The same from params p instead of the case's (a type's own view of them, e.g. one
 * more default); p must live until run_vmset_cleanup(). */
int run_vmset_setup_params(struct run_ctx *ctx, struct virt_vms *vms, const struct params *p);
void run_vmset_cleanup(struct run_ctx *ctx, struct virt_vms *vms);

/* setup / cleanup of types whose state (ctx->data) is just the VM set of the test:
 * prepare every VM of `vms`; tear them all down. */
int run_vmtype_setup(struct run_ctx *ctx);
void run_vmtype_cleanup(struct run_ctx *ctx);
/* VM i of the set on the source host as avocado-vt's start_vm leaves it: started (and
 * logged into when login), or only defined.  0, or -1 with the outcome set (ERROR). */
int run_vmtype_prepare(struct run_ctx *ctx, struct virt_vms *vms, size_t i, bool start,
                       bool login);

/*
 * The host transport to ctx->hosts[h] (virt/virt.h virt_host), opened on first use and
 * kept for the test; the runner closes it after cleanup (run_ctx_close_links).  The
 * host is this machine when neither its address nor its URI names a remote machine
 * (run_host_remote), else it is reached over SSH with its ssh_* settings: user (else the URI's user),
 * key, port, password (or password file), known-hosts policy, connect timeout.  NULL
 * with err ("host NAME: ...") when it cannot be opened.
 */
struct virt_host *run_host_link(struct run_ctx *ctx, int h);
void run_ctx_close_links(struct run_ctx *ctx);
/* The remote machine of a host URI ("qemu+ssh://root@hostB/system" -> "hostB"), or
 * NULL when the URI names this machine: no host part, localhost, 127.x, [::1] (the
 * lab's daemons are local namespaces reached over UNIX sockets).  Caller frees. */
char *run_uri_remote_host(const char *uri);
/* The remote machine of a settings host: its `address` when set, else its URI's host
 * (run_uri_remote_host); NULL when it is this machine.  Caller frees. */
char *run_host_remote(const struct run_host *rh);

/* Set the outcome with a printf message (the first non-PASS outcome set wins, except
 * that INTERRUPTED always wins).  They return -1 so `return run_fail(...)` reads well. */
int run_fail(struct run_ctx *ctx, const char *fail_type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int run_error(struct run_ctx *ctx, const char *fail_type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int run_cancel(struct run_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int run_skip(struct run_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Timeout or signal: the runner calls it; it overrides any earlier outcome. */
int run_interrupt(struct run_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Cleanup could not remove `what` (e.g. "domain D on host2"): ERROR "left behind:
 * WHAT", over any earlier outcome, INTERRUPTED included (which stays in the reason):
 * a test that leaves the lab changed is not done, whatever it found. */
int run_left_behind(struct run_ctx *ctx, const char *what);
void run_warn(struct run_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line in the test's debug.log (and job.log), secrets masked. */
void run_log(struct run_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when the test must stop: cancel flag set or deadline passed. */
bool run_should_stop(const struct run_ctx *ctx);
double run_now(void);               /* monotonic seconds */
/* One phase of the test ran from T0 (run_now()) until now: into its results (results.json
 * "phases", the HTML timeline, job.log's PHASES sums) or, with no results, its log.
 * Names: setup, clone, start, login, pre-checks, stress, "hop N", post-checks, cleanup. */
void run_phase(struct run_ctx *ctx, const char *name, double t0);

#endif
