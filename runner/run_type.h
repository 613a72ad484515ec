/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types and the context a test gets.
 *
 * Every test type is one static descriptor (LTP's struct tst_test): its name, what it
 * needs, the params it reads (with defaults and meaning, printed by --list-types), and
 * setup / run / cleanup.  The runner looks a case's `type` param up in run_types[]
 * (runner/run_types.c) and does the plumbing: result directory, logging, deadline,
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
struct res_test;

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

/* One libvirt host from the settings (or from the case's params). */
struct run_host {
    char *name;
    char *uri;              /* client URI vtrun connects to */
    char *migrate_desturi;  /* URI the peer daemon uses to reach this host (p2p) */
    char *migrate_uri;      /* migration data channel, e.g. tcp://127.0.0.1 */
    char *ssh_user;
    char *ssh_key;
    int ssh_port;
};

struct run_ctx {
    const struct params *params;    /* the case; read-only */
    const char *name;               /* full case name */
    const char *shortname;
    const char *outdir;             /* the test's result directory (logs, XML, stats) */
    struct res_test *res;           /* results sink of this test (results/res.h) */
    FILE *log;                      /* where run_log writes when res is NULL (tests) */
    const struct run_host *hosts;   /* hosts[0] is the source by default */
    size_t nhosts;
    const char *backend;            /* "libvirt" or "qemu" (vm_type / --backend / settings) */
    unsigned slot;                  /* worker slot (--jobs): VM names, ports, paths
                                       derived from it never collide between slots */
    const char *job_id;             /* 40 hex; its first 7 make names job-unique */
    double deadline;                /* monotonic seconds; 0 = none */
    atomic_bool *cancel;  /* set on SIGINT/SIGTERM/timeout: stop soon */
    void *data;                     /* the type's own state from setup to cleanup */
    /* set through run_fail() & co. */
    enum run_status status;
    char *reason;
    char *fail_type;                /* short class of the failure, e.g. "MigrationTimeout" */
};

/* What a type needs; unmet needs make the case CANCEL with the reason. */
enum run_need {
    RUN_NEEDS_VMS      = 1 << 0,    /* a non-empty `vms` */
    RUN_NEEDS_TWO_HOSTS = 1 << 1,   /* a source and a destination host */
};

struct run_param_doc {
    const char *name;
    const char *def;                /* NULL = no default (required or optional) */
    const char *help;
};

struct run_type {
    const char *name;
    const char *alias;              /* another accepted `type` value, or NULL */
    const char *summary;
    unsigned needs;                 /* enum run_need */
    const struct run_param_doc *params;   /* NULL-name terminated */
    int (*setup)(struct run_ctx *ctx);    /* may be NULL; 0 ok, -1 → status set */
    int (*run)(struct run_ctx *ctx);      /* 0 pass (or status already set), -1 failed */
    void (*cleanup)(struct run_ctx *ctx); /* may be NULL; must be idempotent */
};

struct virt_vms;

/* The test's VM set (virt/virt.h) from its context: hosts, backend, slot, logging,
 * cancel flag and deadline, hops reported into the results.  Cleanup turns the set's
 * own after-test verdict (a clone check) into ERROR or WARN. */
int run_vmset_setup(struct run_ctx *ctx, struct virt_vms *vms);
void run_vmset_cleanup(struct run_ctx *ctx, struct virt_vms *vms);

/* setup / cleanup of types whose state (ctx->data) is just the VM set of the test:
 * prepare every VM of `vms`; tear them all down. */
int run_vmtype_setup(struct run_ctx *ctx);
void run_vmtype_cleanup(struct run_ctx *ctx);

/* NULL-terminated table of every type (runner/run_types.c). */
extern const struct run_type *const run_types[];
const struct run_type *run_type_lookup(const char *name);

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
void run_warn(struct run_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line in the test's debug.log (and job.log), secrets masked. */
void run_log(struct run_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when the test must stop: cancel flag set or deadline passed. */
bool run_should_stop(const struct run_ctx *ctx);
double run_now(void);               /* monotonic seconds */

#endif
