/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type virsh_migrate_stress (alias migrate_stress): tp-libvirt's
 * virsh.migrate_stress on vtrun's VM set.
 *
 *   params   one table (ms_params) parsed by the runner into struct ms_opts before
 *            anything starts; the needs (2 VMs, 2 hosts) are the runner's CANCEL;
 *   setup    plan the hops (migration/mig.h), prepare the VMs (virt/virt.h);
 *   run      pre-migration checks (migration/mig.h) -> host stress -> start VMs
 *            (and guest stress) -> per hop: [reboot the booting_* load] migrate the
 *            hop's waves (one worker per VM of a wave), record each VM's metrics,
 *            post-checks per VM (migration/mig.h);
 *   cleanup  stop every stress that was started (guests, hosts), then the VM set's
 *            cleanup; on every path, idempotent.
 *
 * The reference's defects are avoided by construction: the schedule is computed
 * (no list surgery in cross mode), `compressed` is a real type, booting_* cells need
 * no stress tool, each worker has its own result, a late migration is aborted, and
 * stress sizes are bytes per worker.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_cache.h"
#include "runner/run_mig.h"
#include "runner/run_type.h"
#include "virt/virt.h"
#include "results/res.h"

#define MiB (1024ULL * 1024ULL)
#define GUEST_STRESS_TAG "vtrun-guest"

enum booting {
    BOOT_NONE,
    BOOT_LOAD_VM,       /* load_vm_booting: the first VM of each hop reboots as it moves */
    BOOT_LOAD_VMS,      /* load_vms_booting: every VM reboots as it moves */
    BOOT_VMS,           /* vms_booting: VMs start right before the first hop */
};

static const struct params_word booting_words[] = {
    { "load_vm_booting", BOOT_LOAD_VM },
    { "load_vms_booting", BOOT_LOAD_VMS },
    { "vms_booting", BOOT_VMS },
    { NULL, 0 },
};

/* The tools whose options vtrun understands (--vm N, --vm-bytes; a shell loop in guests
 * without them): stress_tool's words, and the index of their `<tool>_args`. */
enum stress_tool { TOOL_NONE, TOOL_STRESS, TOOL_STRESS_NG, TOOL_COUNT };
static const struct params_word tool_words[] = {
    { "stress", TOOL_STRESS },
    { "stress-ng", TOOL_STRESS_NG },
    { NULL, 0 },
};

/* Every param the type reads, parsed once by the runner (ms_params below). */
struct ms_opts {
    int type;                       /* enum mig_plan_type */
    int booting;                    /* enum booting */
    struct be_migrate_opts mig;     /* migrate_options, then compressed and the timeout */
    double mig_timeout;
    double thread_timeout;
    bool back;
    long rounds;
    bool start_vms;
    int pmc;                        /* enum mig_pmc_policy */
    /* post-checks: the params, then the whole struct derived by ms_check */
    int dest_state;                 /* enum be_state */
    bool check_ping, check_disk, check_gateway;
    long ping_count, dmesg_level, retries;
    const char *disk_file;
    const char *expected_dmesg;
    struct mig_pc_opts pc;
    /* stress */
    int tool;                       /* enum stress_tool */
    const char *tool_name;          /* its word; NULL: no stress */
    const char *tool_args[TOOL_COUNT];
    const char *vm_bytes;
    bool stress_host, stress_remote, stress_vms;
    const char *after_hop_cmd;
    bool admin;                     /* post_migration_admin */
};

struct ms_state {
    const struct ms_opts *o;                /* ctx->opts */
    struct virt_vms vms;
    bool vms_ready;
    struct mig_plan plan;
    /* stress: what was started, so cleanup stops exactly that */
    struct mig_stress_proc host_proc[2];   /* local hosts */
    bool remote_started[2];                 /* remote hosts (ssh) */
    unsigned long remote_note[2];           /* their leftover and ledger entries */
    bool *guest_stress;                     /* per VM */
    double *uptime;                         /* per VM, before the next hop; -1 unknown */
    unsigned hop_serial;
};

/* ---- small helpers ------------------------------------------------------------------ */

static const char *host_name(const struct run_ctx *ctx, int h)
{
    if (h < 0 || (size_t)h >= ctx->nhosts)
        return "?";
    return ctx->hosts[h].name ? ctx->hosts[h].name : ctx->hosts[h].uri;
}

/* A host command through the host transport (runner/run_type.h run_host_link): on this
 * machine, or over SSH on a remote host; stdout into out (may be NULL). */
static int host_run(struct run_ctx *ctx, int h, const char *const *argv, double timeout_s,
                    struct strbuf *out, int *status)
{
    struct virt_host *link = run_host_link(ctx, h);
    return link ? virt_host_run(link, argv, timeout_s, out, NULL, status) : -1;
}

/* Run a POSIX sh script on host h (the stress scripts of remote hosts). */
static int host_script(struct run_ctx *ctx, int h, const char *script, double timeout_s,
                       struct strbuf *out, int *status)
{
    const char *argv[] = { "sh", "-c", script, NULL };
    return host_run(ctx, h, argv, timeout_s, out, status);
}

/* ---- the VMs at once ------------------------------------------------------------------ */

/*
 * fn for every VM of the set at once, one thread each, where the VMs would otherwise
 * wait for each other (QEMU starting, a login, a stress start): each VM has its own
 * domain and SSH session, the backends' connections are thread-safe, and the host
 * links and connections the VMs share were opened before (their disks were made on
 * their start hosts).  fn returns 0, or non-zero with err set, and reports nothing:
 * the caller reports the first VM in the set's order that failed (its index; *rc its
 * fn's value, *why its error, heap) so the outcome does not depend on which thread
 * ended first.  -1: none failed.
 */
typedef int (*vm_fn)(struct run_ctx *ctx, struct ms_state *st, size_t i);

struct vm_thread {
    struct run_ctx *ctx;
    struct ms_state *st;
    size_t i;
    vm_fn fn;
    int rc;
    char *err;
    pthread_t th;
    bool threaded;
};

static void *vm_thread_main(void *arg)
{
    struct vm_thread *t = arg;
    t->rc = t->fn(t->ctx, t->st, t->i);
    if (t->rc)
        t->err = xstrdup(err_msg());
    return NULL;
}

static long each_vm(struct run_ctx *ctx, struct ms_state *st, vm_fn fn, int *rc, char **why)
{
    size_t n = st->vms.n;
    struct vm_thread *t = xcalloc(n ? n : 1, sizeof(*t));
    long bad = -1;
    for (size_t i = 0; i < n; i++) {
        t[i] = (struct vm_thread){ .ctx = ctx, .st = st, .i = i, .fn = fn };
        t[i].threaded = n > 1 && pthread_create(&t[i].th, NULL, vm_thread_main, &t[i]) == 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (t[i].threaded)
            pthread_join(t[i].th, NULL);
        else
            vm_thread_main(&t[i]);
    }
    for (size_t i = 0; i < n; i++) {
        if (t[i].rc && bad < 0) {
            bad = (long)i;
            *rc = t[i].rc;
            *why = t[i].err;
        } else {
            free(t[i].err);
        }
    }
    free(t);
    return bad;
}

/* ---- per-hop metrics --------------------------------------------------------------- */

/* The one place a hop's figures leave the type: the VM set's results hook (hops.json,
 * results.json, the HTML timeline, debug.log), plus the schedule's context here. */
static void record_hop(struct run_ctx *ctx, struct ms_state *st, unsigned hop,
                       const struct mig_hop *h, const struct mig_move *mv,
                       const struct be_hop_metrics *m, int rc, const char *err)
{
    run_log(ctx, "hop %u (round %u%s) %s %s -> %s: %s", hop, h->round,
            h->back ? ", back" : "", st->vms.vm[mv->vm].name, host_name(ctx, mv->from),
            host_name(ctx, mv->to), rc == 0 ? "ok" : m->aborted ? "aborted" : "failed");
    virt_vms_record_hop(&st->vms, mv->vm, hop, mv->from, mv->to, m, rc == 0, err);
}

/* ---- params and setup ---------------------------------------------------------------- */

/* stress_vm_bytes: a size, or half / shortage of the host's memory (mig_stress.c). */
static int check_vm_bytes(const void *field)
{
    const char *s = *(const char *const *)field;
    unsigned long long b;
    if (!strcmp(s, "half") || !strcmp(s, "shortage"))
        return 0;
    return params_size_parse(s, &b);
}

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct ms_opts, __VA_ARGS__)
static const struct run_param ms_params[] = {
    { "migration_type", AT(ENUM, type, mig_plan_type_words), .def = "orderly",
      .doc = "orderly: one VM after another; simultaneous: all at once; cross: half the "
             "VMs each way at once; compressed: simultaneous with --compressed" },
    { "migration_stress_type", AT(ENUM, booting, booting_words),
      .doc = "migrate while guests boot: the first VM of each hop reboots as it moves "
             "(load_vm_booting), every VM does (load_vms_booting), or the VMs start right "
             "before the first hop (vms_booting)" },
    RUN_MIG_OPTIONS_ROW(struct ms_opts, mig),
    /* tp-libvirt's virsh_migrate_stress.py: params.get("virsh_migrate_timeout", 60) */
    { "virsh_migrate_timeout", AT(FLOAT, mig_timeout), .def = "60", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "seconds a migration may take; then it is aborted "
      "(switched to postcopy with --postcopy) and the hop FAILs; 0 = none" },
    { "thread_timeout", AT(FLOAT, thread_timeout), .def = "120", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "seconds a wave of migrations may take before vtrun "
      "aborts them; 0 = none" },
    RUN_MIG_BACK_ROW(struct ms_opts, back),
    { "virsh_migrate_there_and_back", AT(INT, rounds), .def = "1", RUN_PARAM_MIN(1),
      .doc = "round trips when virsh_migrate_back = yes" },
    { "start_migration_vms", AT(BOOL, start_vms), .def = "yes",
      .doc = "start and log into the VMs before the first hop" },
    { "pmc_policy", AT(ENUM, pmc, mig_pmc_policy_words), .def = "enforce",
      .doc = "pre-migration checks: a FAIL cancels the test (enforce), is logged (warn), "
             "or no checks (off)" },
    { "virsh_migrate_dest_state", AT(ENUM, dest_state, mig_pc_state_words),
      .def = "running", .doc = "state expected on the target after each hop" },
    { "check_network_accessibility_after_mig", AT(BOOL, check_ping), .def = "yes",
      .doc = "ping the guest from the target host after each hop" },
    { "check_guest_gateway_after_mig", AT(BOOL, check_gateway), .def = "no",
      .doc = "the guest pings its gateway (its default route) from inside after each hop" },
    { "ping_count", AT(INT, ping_count), .def = "3", RUN_PARAM_MIN(1),
      .doc = "pings per check" },
    { "simple_disk_check_after_mig", AT(BOOL, check_disk), .def = "yes",
      .doc = "write and read back a line after each hop" },
    { "disk_check_file", AT(STR, disk_file), .def = "/tmp/vtrun_disk_check",
      .doc = "guest file of the disk check" },
    { "guest_dmesg_level", AT(INT, dmesg_level), .def = "0", RUN_PARAM_MIN(0),
      .doc = "judge guest dmesg lines below this level; 0 = every level" },
    { "expected_guest_dmesg", AT(REGEX, expected_dmesg),
      .doc = "guest dmesg lines that are not failures" },
    { "post_check_retries", AT(INT, retries), .def = "3", RUN_PARAM_MIN(0),
      .doc = "extra attempts of a transient post-check failure" },
    { "stress_tool", AT(ENUM, tool, tool_words),
      .doc = "stress tool (never downloaded; a shell loop in guests without it); "
             "unset: no stress" },
    { "stress_args", AT(STR, tool_args[TOOL_STRESS]), .def = "--cpu 1",
      .doc = "arguments of stress; %s = the per-worker --vm-bytes" },
    { "stress-ng_args", AT(STR, tool_args[TOOL_STRESS_NG]), .def = "--cpu 1",
      .doc = "arguments of stress-ng; %s = the per-worker --vm-bytes" },
    { "stress_vm_bytes", AT(STR, vm_bytes), .def = "128M", .check = check_vm_bytes,
      .expect = "a size (128M, 1G), half or shortage",
      .doc = "memory to stress: a size, half ((MemTotal - VMs) / 2) or shortage (MemFree - "
             "VMs + 512 MiB); split over the --vm workers" },
    { "migration_stress_vms", AT(BOOL, stress_vms), .def = "no",
      .doc = "run stress_tool in every guest" },
    { "migration_stress_host", AT(BOOL, stress_host), .def = "no",
      .doc = "run stress_tool on the source host" },
    { "migration_stress_remote", AT(BOOL, stress_remote), .def = "no",
      .doc = "run stress_tool on the target host" },
    { "after_hop_guest_cmd", AT(STR, after_hop_cmd),
      .doc = "guest command run after each hop before the post-checks (fault injection "
             "in tests, e.g. echo c > /proc/sysrq-trigger)" },
    RUN_MIG_ADMIN_ROW(struct ms_opts, admin),
    { NULL },
};
#undef AT

/* What the params imply for each other, once. */
static int ms_check(const struct run_common *c, void *opts)
{
    struct ms_opts *o = opts;
    if (o->type == MIG_COMPRESSED)
        o->mig.flags |= BE_MIG_COMPRESSED;
    if (o->mig_timeout > 0)
        o->mig.timeout_s = o->mig_timeout;
    if (o->booting == BOOT_VMS)
        o->start_vms = false;       /* booting_migration_vms: start right before the hop */
    o->tool_name = o->tool ? tool_words[o->tool - 1].word : NULL;
    mig_pc_opts_default(&o->pc);
    o->pc.dest_state = (enum be_state)o->dest_state;
    o->pc.mig_flags = o->mig.flags;
    o->pc.check_ping = o->check_ping;
    o->pc.ping_count = (unsigned)o->ping_count;
    o->pc.check_disk = o->check_disk;
    o->pc.check_gateway = o->check_gateway;
    o->pc.disk_file = o->disk_file;
    o->pc.expected_dmesg = o->expected_dmesg;
    o->pc.dmesg_level = (int)o->dmesg_level;
    o->pc.retries = (unsigned)o->retries;
    o->pc.login_timeout_s = c->login_timeout;
    return 0;
}

static int ms_setup(struct run_ctx *ctx)
{
    struct ms_state *st = xcalloc(1, sizeof(*st));
    const struct ms_opts *o = ctx->opts;
    ctx->data = st;
    st->o = o;
    if (mig_plan_build(params_strv_len(ctx->common->vms), (enum mig_plan_type)o->type,
                       (unsigned)o->rounds, o->back, &st->plan) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    /* cleanup of a partly set up VM set is safe (virt/virt.h): always call it */
    st->vms_ready = true;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMSetupError", "%s", err_msg());
    st->guest_stress = xcalloc(st->vms.n, sizeof(bool));
    st->uptime = xcalloc(st->vms.n, sizeof(double));
    for (size_t i = 0; i < st->vms.n; i++)
        st->uptime[i] = -1;

    char *fmt = mig_opts_format(&o->mig);
    run_log(ctx, "virsh_migrate_stress: %zu VMs, %s migration%s, %zu hop(s), options '%s', "
            "thread_timeout %.0f s", st->vms.n, mig_plan_type_name(o->type),
            o->booting ? " while booting" : "", st->plan.nhops, fmt, o->thread_timeout);
    free(fmt);
    return 0;
}

/* ---- pre-migration checks ------------------------------------------------------------- */

/* What host idx is, for the checks: the backend's host_info, with what libvirt does
 * not tell (OS, kernel) read on the host through its transport (virt_vms_host_info),
 * the QEMU user's ids, /dev/kvm and the firewall.  Read once per job per host and
 * kept in the job's cache (ctx->cache): a matrix of cases between the same hosts
 * asked them the same dozen questions per case.  Read again after a daemon restart
 * (be_daemon_epoch) or a check of this host that did not pass.  What changes from
 * case to case is asked every time: free memory (which also shows the daemon still
 * answers), the security module's denials naming this case's domains and disks,
 * whether its images are reachable.  What stays unknown is a WARNING, never a FAIL. */
struct ms_hostinfo {
    unsigned long epoch;            /* be_daemon_epoch() when read */
    bool info_ok;                   /* the daemon answered: info holds its facts */
    struct be_host_info info;
    struct mig_pmc_id *ids;
    size_t nids;
    bool ids_known;
    int kvm_usable;
    char *ruleset;                  /* NULL: unknown */
};

static void hostinfo_free(void *p)
{
    struct ms_hostinfo *hi = p;
    be_host_info_free(&hi->info);
    mig_pmc_ids_free(hi->ids, hi->nids);
    free(hi->ruleset);
    free(hi);
}

/* The facts of one host in one case: the job's (hi) and the case's own. */
struct host_facts {
    struct mig_pmc_host h;
    const struct ms_hostinfo *hi;
    struct ms_hostinfo *own;        /* read here and not kept: freed with the facts */
    char *key;                      /* in ctx->cache */
    struct strbuf lsm;
};

/* The QEMU user's and groups' ids of host idx, over the host transport. */
static void host_ids(struct run_ctx *ctx, int idx, struct ms_hostinfo *hi)
{
    struct strbuf out = STRBUF_INIT;
    int status = -1;
    if (host_script(ctx, idx, mig_pmc_ids_script, 15, &out, &status) == 0 && status == 0) {
        hi->nids = mig_pmc_ids_parse(out.buf, &hi->ids);
        hi->ids_known = true;
    } else {
        run_log(ctx, "pre-migration checks: users and groups of %s: %s", host_name(ctx, idx),
                status < 0 ? err_msg() : "getent failed");
    }
    strbuf_release(&out);
}

/* /dev/kvm and the firewall of host idx, over the host transport: what cannot be read
 * stays unknown (a WARNING of its row). */
static void host_guards(struct run_ctx *ctx, int idx, struct ms_hostinfo *hi)
{
    struct strbuf out = STRBUF_INIT;
    int status = -1;
    if (host_script(ctx, idx, mig_pmc_kvm_script, 15, &out, &status) == 0 && status == 0)
        hi->kvm_usable = strstr(out.buf, "yes") ? 1 : -1;
    strbuf_reset(&out);
    const char *nft[] = { "nft", "list", "ruleset", NULL };
    if (host_run(ctx, idx, nft, 15, &out, &status) == 0 && status == 0)
        hi->ruleset = strbuf_detach(&out, NULL);
    else
        run_log(ctx, "pre-migration checks: firewall of %s unknown", host_name(ctx, idx));
    strbuf_release(&out);
}

/* The security module of host idx and its audit lines that name a domain or a disk of
 * this case: asked every case. */
static void host_lsm(struct run_ctx *ctx, struct ms_state *st, int idx, struct host_facts *f)
{
    int status = -1;
    size_t n = 4 + 1;               /* sh -c SCRIPT sh ... NULL */
    for (size_t i = 0; i < st->vms.n; i++)
        n += 1 + (st->vms.vm[i].spec ? st->vms.vm[i].spec->ndisks : 0);
    const char **argv = xcalloc(n, sizeof(*argv));
    size_t k = 0;
    argv[k++] = "sh";
    argv[k++] = "-c";
    argv[k++] = mig_pmc_lsm_script;
    argv[k++] = "sh";
    for (size_t i = 0; i < st->vms.n; i++) {
        argv[k++] = st->vms.vm[i].domain;
        for (size_t d = 0; st->vms.vm[i].spec && d < st->vms.vm[i].spec->ndisks; d++)
            argv[k++] = st->vms.vm[i].spec->disks[d].path;
    }
    argv[k] = NULL;
    if (host_run(ctx, idx, argv, 30, &f->lsm, &status) == 0 && status == 0 &&
        !strncmp(f->lsm.buf, "lsm ", 4)) {
        char *nl = strchr(f->lsm.buf, '\n');
        const char *rest = nl ? nl + 1 : "";
        if (nl)
            *nl = '\0';
        f->h.lsm = f->lsm.buf + 4;
        if (!strncmp(rest, "log ok\n", 7))
            f->h.denials = rest + 7;
        else if (!strcmp(f->h.lsm, "none"))
            f->h.denials = "";
    }
    free(argv);
}

static struct ms_hostinfo *hostinfo_read(struct run_ctx *ctx, struct ms_state *st, int idx)
{
    struct ms_hostinfo *hi = xcalloc(1, sizeof(*hi));
    /* before the reads: a restart while they run makes them stale, not current */
    hi->epoch = be_daemon_epoch();
    host_ids(ctx, idx, hi);
    host_guards(ctx, idx, hi);
    if (virt_vms_host_info(&st->vms, idx, &hi->info) < 0)
        run_log(ctx, "pre-migration checks: %s", err_msg());
    else
        hi->info_ok = true;
    return hi;
}

/* The job's facts of host idx: kept ones while no daemon restarted since, else read
 * now (and kept when the daemon answered). */
static void host_facts(struct run_ctx *ctx, struct ms_state *st, int idx, struct host_facts *f)
{
    const struct run_host *rh = &ctx->hosts[idx];
    memset(f, 0, sizeof(*f));
    strbuf_init(&f->lsm, 0);
    f->h.name = host_name(ctx, idx);
    f->key = xasprintf("pmc-host %s|%s|%s|%s|%d", ctx->backend ? ctx->backend : "",
                       rh->name ? rh->name : "", rh->uri ? rh->uri : "",
                       rh->address ? rh->address : "", rh->ssh_port);
    struct ms_hostinfo *hi = ctx->cache ? run_cache_get(ctx->cache, f->key) : NULL;
    bool kept = hi && hi->epoch == be_daemon_epoch();
    if (kept) {
        run_log(ctx, "pre-migration checks: facts of %s as read earlier in this job",
                f->h.name);
        /* what changes between cases, and the proof the daemon answers now */
        unsigned long long free_b = 0;
        if (virt_vms_host_free_mem(&st->vms, idx, &free_b) < 0) {
            run_log(ctx, "pre-migration checks: %s", err_msg());
            run_cache_drop(ctx->cache, f->key);
            kept = false;
        } else {
            f->h.free_mem_bytes = free_b;
        }
    }
    if (!kept) {
        hi = hostinfo_read(ctx, st, idx);
        f->h.free_mem_bytes = hi->info.free_mem_bytes;
        if (ctx->cache && hi->info_ok)
            run_cache_set(ctx->cache, f->key, hi, hostinfo_free);
        else
            f->own = hi;
    }
    f->hi = hi;
    host_lsm(ctx, st, idx, f);
    f->h.ids = hi->ids;
    f->h.nids = hi->nids;
    f->h.ids_known = hi->ids_known;
    f->h.kvm_usable = hi->kvm_usable;
    f->h.ruleset = hi->ruleset;
    f->h.daemon_answers = hi->info_ok ? 1 : -1;
    if (!hi->info_ok)
        return;
    f->h.libvirt_version = hi->info.libvirt_version;
    f->h.hypervisor = hi->info.hypervisor;
    f->h.hv_version = hi->info.hv_version;
    f->h.arch = hi->info.arch;
    f->h.os_id = hi->info.os_id;
    f->h.os_version = hi->info.os_version;
    f->h.kernel_release = hi->info.kernel_release;
    f->h.host_cpu_model = hi->info.host_cpu_model;
    f->h.cpu_models = (const char *const *)hi->info.cpu_models;
}

/* After a check of the host did not pass: its facts are read again next time (the
 * operator may have fixed what the check found). */
static void host_facts_release(struct run_ctx *ctx, struct host_facts *f, bool reread)
{
    if (reread && ctx->cache && !f->own)
        run_cache_drop(ctx->cache, f->key);
    if (f->own)
        hostinfo_free(f->own);
    free(f->key);
    strbuf_release(&f->lsm);
}

/* 1 when `path` can be read on host h (through its transport), 0 not, -1 cannot tell. */
static int readable_on(struct run_ctx *ctx, int h, const char *path)
{
    const char *argv[] = { "test", "-r", path, NULL };
    struct virt_host *link = run_host_link(ctx, h);
    int status;
    if (!link || virt_host_run(link, argv, 30, NULL, NULL, &status) < 0)
        return -1;
    return status == 0;
}

/* Every pre-migration check result goes to the results too: JUnit property
 * check.pmc.<check>.<from>-<to>, results.json "checks", debug.log. */
static void record_pmc(struct run_ctx *ctx, int from, int to,
                       const struct mig_pmc_outcome *o)
{
    static const enum res_status status[] = {
        [MIG_PMC_SUCCESS] = RES_PASS, [MIG_PMC_WARNING] = RES_WARN,
        [MIG_PMC_FAIL] = RES_FAIL,
    };
    if (!ctx->res)
        return;
    char *name = xasprintf("pmc.%s.%s-%s", o->check->name, host_name(ctx, from),
                           host_name(ctx, to));
    res_test_check(ctx->res, name,
                   o->check->severity == MIG_PMC_FAIL ? "error" : "warning",
                   status[o->result], o->msg);
    free(name);
}

/* One direction: VMs starting on `from` land on `to`. */
static int pmc_direction(struct run_ctx *ctx, struct ms_state *st, int from, int to,
                         struct strbuf *fails, struct strbuf *warns)
{
    struct host_facts fs, fd;
    host_facts(ctx, st, from, &fs);
    host_facts(ctx, st, to, &fd);

    size_t nv = 0, nd = 0;
    struct mig_pmc_vm *vms = xcalloc(st->vms.n, sizeof(*vms));
    for (size_t i = 0; i < st->vms.n; i++)
        nd += st->vms.vm[i].spec ? st->vms.vm[i].spec->ndisks : 0;
    struct mig_pmc_disk *disks = xcalloc(nd ? nd : 1, sizeof(*disks));
    nd = 0;
    for (size_t i = 0; i < st->vms.n; i++) {
        const struct be_vm_spec *sp = st->vms.vm[i].spec;
        if (st->plan.start_host[i] != from || !sp)
            continue;
        struct mig_pmc_vm *v = &vms[nv++];
        v->name = st->vms.vm[i].name;
        v->domain = st->vms.vm[i].domain;
        v->accel = sp->accel;
        v->cpu_model = sp->cpu_model;
        v->mem_bytes = (unsigned long long)sp->mem_mib * MiB;
        v->disks = &disks[nd];
        for (size_t d = 0; d < sp->ndisks; d++) {
            struct mig_pmc_disk *pd = &disks[nd++];
            pd->path = sp->disks[d].path;
            pd->cache = sp->disks[d].cache;
            /* where the destination's daemon will look for it */
            pd->reachable_on_dst = readable_on(ctx, to, pd->path);
            v->ndisks++;
        }
    }
    struct mig_pmc_input in = { &fs.h, &fd.h, vms, nv, st->o->mig.flags, 0, 0 };
    struct mig_pmc_outcome *o;
    size_t no = mig_pmc_run(&in, &o);
    int nfail = 0;
    bool reread = false;        /* a check did not pass: the facts are read again */
    for (size_t i = 0; i < no; i++) {
        reread |= o[i].result != MIG_PMC_SUCCESS;
        run_log(ctx, "pre-migration check %s -> %s: %s: %s - %s", host_name(ctx, from),
                host_name(ctx, to), o[i].check->name, mig_pmc_result_name(o[i].result),
                o[i].msg);
        record_pmc(ctx, from, to, &o[i]);
        struct strbuf *sb = o[i].result == MIG_PMC_FAIL ? fails
                            : o[i].result == MIG_PMC_WARNING ? warns : NULL;
        if (sb)
            strbuf_addf(sb, "%s%s (%s)", sb->len ? "; " : "", o[i].check->name, o[i].msg);
        nfail += o[i].result == MIG_PMC_FAIL;
    }
    mig_pmc_outcomes_free(o, no);
    host_facts_release(ctx, &fs, reread);
    host_facts_release(ctx, &fd, reread);
    free(disks);
    free(vms);
    return nfail;
}

static int pre_migration_checks(struct run_ctx *ctx, struct ms_state *st)
{
    enum mig_pmc_policy pol = (enum mig_pmc_policy)st->o->pmc;
    if (pol == MIG_PMC_OFF) {
        run_log(ctx, "pre-migration checks: off (pmc_policy = off)");
        return 0;
    }
    struct strbuf fails = STRBUF_INIT, warns = STRBUF_INIT;
    int nfail = pmc_direction(ctx, st, 0, 1, &fails, &warns);
    if (st->o->type == MIG_CROSS)
        nfail += pmc_direction(ctx, st, 1, 0, &fails, &warns);
    int ret = 0;
    /* the policy's verdict (mig_pmc_decide) over the FAIL rows counted here */
    struct mig_pmc_outcome one = { NULL, nfail ? MIG_PMC_FAIL : MIG_PMC_SUCCESS, NULL };
    enum mig_pmc_result v = mig_pmc_decide(&one, 1, pol);
    if (v == MIG_PMC_FAIL)
        ret = run_cancel(ctx, "pre-migration checks failed: %s", fails.buf);
    else if (v == MIG_PMC_WARNING)
        run_warn(ctx, "pre-migration checks failed (pmc_policy = warn): %s", fails.buf);
    strbuf_release(&fails);
    strbuf_release(&warns);
    return ret;
}

/* ---- stress ------------------------------------------------------------------------- */

static unsigned long long vms_bytes(const struct ms_state *st)
{
    unsigned long long b = 0;
    for (size_t i = 0; i < st->vms.n; i++)
        if (st->vms.vm[i].spec)
            b += (unsigned long long)st->vms.vm[i].spec->mem_mib * MiB;
    return b;
}


/* The start script's "died: WORDS" (the tool exited at once, e.g. refusing its
 * arguments): the case FAILs with the tool's own words, as avocado-vt's stress load
 * fails the test.  True when it did. */
static bool stress_died(struct run_ctx *ctx, const char *out, const char *where,
                        const char *who)
{
    const char *d = strstr(out, "died: ");
    if (!d)
        return false;
    run_fail(ctx, "StressError", "stress %s %s exited at once: %.*s", where, who,
             (int)strcspn(d + 6, "\n"), d + 6);
    return true;
}
/* Stress tagged tag on remote host h into the leftovers and the job's ledger (kind
 * process, backend "stress", the host's URI, the tag its stop script takes): 0 + err
 * when it cannot be recorded. */
static unsigned long note_host_stress(struct run_ctx *ctx, int h, const char *tag)
{
    struct virt_res r = { VIRT_RES_PROCESS, "stress", ctx->hosts[h].uri, (char *)tag };
    char *what = xasprintf("stress on host %s (tag %s)", host_name(ctx, h), tag);
    char *how = xasprintf("on %s: kill -9 -$(cat /tmp/vtrun-stress-%s.pid)",
                          host_name(ctx, h), tag);
    unsigned long n = virt_leftover_add_res(&r, what, how);
    free(what);
    free(how);
    return n;
}

static int host_stress_start(struct run_ctx *ctx, struct ms_state *st, int h)
{
    const char *args = st->o->tool_args[st->o->tool];
    char *remote = run_host_remote(&ctx->hosts[h]);
    struct mig_meminfo mi = { 0 };
    struct strbuf out = STRBUF_INIT;
    char **argv = NULL;
    char *script = NULL;
    int ret = -1, status;

    /* each host's own memory: the reference reused the local figure for the remote */
    if (remote) {
        const char *cat[] = { "cat", "/proc/meminfo", NULL };
        if (host_run(ctx, h, cat, 30, &out, &status) < 0 || status
            || mig_meminfo_parse(out.buf, &mi) < 0)
            goto fail;
    } else if (mig_meminfo_read_local(&mi) < 0) {
        goto fail;
    }
    argv = mig_stress_argv(st->o->tool_name, args, st->o->vm_bytes, &mi, vms_bytes(st),
                           false);
    if (!argv)
        goto fail;
    if (remote) {
        char *tag = xasprintf("host%d-%ld", h, (long)getpid());
        script = mig_stress_start_script(argv, tag);
        strbuf_reset(&out);
        /* in the ledger before it runs: stress on a host outlives a killed vtrun (a
         * guest's dies with its guest); the next job stops it (runner/run_reap.c) */
        st->remote_note[h] = note_host_stress(ctx, h, tag);
        free(tag);
        if (!st->remote_note[h])
            goto fail;
        /* marked before it runs: a start that half happened is still stopped in
         * cleanup (the stop script is harmless when nothing runs) */
        st->remote_started[h] = true;
        if (script && host_script(ctx, h, script, 60, &out, &status) == 0 &&
            stress_died(ctx, out.buf, "on host", host_name(ctx, h)))
            goto cleanup;
        if (!script || status || !strstr(out.buf, "started")) {
            err_set("host %s: stress did not start: %s", host_name(ctx, h), out.buf);
            goto fail;
        }
    } else {
        char *log = ctx->outdir ? xasprintf("%s/stress-host%d.log", ctx->outdir, h) : NULL;
        int r = mig_stress_local_start(argv, log, &st->host_proc[h]);
        free(log);
        if (r < 0)
            goto fail;
    }
    run_log(ctx, "stress on host %s: started %s (%s)", host_name(ctx, h),
            remote ? "over ssh" : "locally", args);
    ret = 0;
    goto cleanup;
fail:
    run_error(ctx, "StressError", "stress on host %s: %s", host_name(ctx, h), err_msg());
cleanup:
    mig_stress_argv_free(argv);
    free(script);
    free(remote);
    strbuf_release(&out);
    return ret;
}

static void host_stress_stop(struct run_ctx *ctx, struct ms_state *st, int h)
{
    if (st->host_proc[h].sp) {
        if (mig_stress_local_stop(&st->host_proc[h], 2.0) < 0)
            run_warn(ctx, "host %s: %s", host_name(ctx, h), err_msg());
        else
            run_log(ctx, "stress on host %s: stopped", host_name(ctx, h));
    }
    if (st->remote_started[h]) {
        char *tag = xasprintf("host%d-%ld", h, (long)getpid());
        char *script = mig_stress_stop_script(tag);
        struct strbuf out = STRBUF_INIT;
        int status;
        if (host_script(ctx, h, script, 30, &out, &status) < 0 || status) {
            run_warn(ctx, "host %s: stress may still run: %s%s", host_name(ctx, h),
                     out.buf, err_msg());
        } else {
            run_log(ctx, "stress on host %s: stopped", host_name(ctx, h));
            virt_leftover_drop(st->remote_note[h]);
            st->remote_note[h] = 0;
        }
        st->remote_started[h] = false;
        strbuf_release(&out);
        free(script);
        free(tag);
    }
}

/* Start the stress in VM i: 0, -1 with err, or 1 when the tool exited at once (err:
 * its words).  Reports nothing: it runs in a thread of each_vm. */
static int guest_stress_begin(struct run_ctx *ctx, struct ms_state *st, size_t i)
{
    const char *args = st->o->tool_args[st->o->tool];
    struct strbuf out = STRBUF_INIT;
    struct mig_meminfo mi = { 0 };
    char **argv = NULL;
    char *script = NULL;
    int status = -1, ret = -1;

    if (strstr(args, "%s")) {
        if (virt_vms_exec(&st->vms, i, "cat /proc/meminfo", 30, &out, &status) < 0 || status
            || mig_meminfo_parse(out.buf, &mi) < 0)
            goto out;
    }
    argv = mig_stress_argv(st->o->tool_name, args, st->o->vm_bytes, &mi, 0, true);
    script = argv ? mig_stress_start_script(argv, GUEST_STRESS_TAG) : NULL;
    strbuf_reset(&out);
    if (!script)
        goto out;
    st->guest_stress[i] = true;     /* before it runs, so cleanup stops a half start */
    if (virt_vms_exec(&st->vms, i, script, 60, &out, &status) < 0)
        goto out;
    const char *d = strstr(out.buf, "died: ");
    if (d) {
        err_set("%.*s", (int)strcspn(d + 6, "\n"), d + 6);
        ret = 1;
        goto out;
    }
    if (status || !strstr(out.buf, "started")) {
        err_set("start script exited %d: %s", status, out.buf);
        goto out;
    }
    run_log(ctx, "stress in %s: %s", st->vms.vm[i].name, out.buf);
    ret = 0;
out:
    mig_stress_argv_free(argv);
    free(script);
    strbuf_release(&out);
    return ret;
}

/* The stress in every VM, started at once; the first VM in the set's order that
 * failed names the outcome (the tool's own words FAIL the case, as avocado-vt's
 * stress load does; anything else is an ERROR). */
static int guest_stress_start(struct run_ctx *ctx, struct ms_state *st)
{
    char *why = NULL;
    int rc = 0;
    long bad = each_vm(ctx, st, guest_stress_begin, &rc, &why);
    if (bad < 0)
        return 0;
    if (rc == 1)
        run_fail(ctx, "StressError", "stress in %s exited at once: %s",
                 st->vms.vm[bad].name, why);
    else
        run_error(ctx, "StressError", "stress in %s: %s", st->vms.vm[bad].name, why);
    free(why);
    return -1;
}

/* A vm_fn: what fails is only logged (the VM is destroyed next). */
static int guest_stress_stop(struct run_ctx *ctx, struct ms_state *st, size_t i)
{
    if (!st->guest_stress[i])
        return 0;
    st->guest_stress[i] = false;
    if (st->vms.vm[i].host < 0)
        return 0;       /* not running: nothing of it is left */
    char *script = mig_stress_stop_script(GUEST_STRESS_TAG);
    struct strbuf out = STRBUF_INIT;
    int status = -1;
    if (virt_vms_exec(&st->vms, i, script, 15, &out, &status) < 0 || status)
        run_log(ctx, "stress in %s: stop failed (the VM is destroyed next): %s%s",
                st->vms.vm[i].name, out.buf, status ? "" : err_msg());
    else
        run_log(ctx, "stress in %s: stopped", st->vms.vm[i].name);
    strbuf_release(&out);
    free(script);    return 0;
}

/* Reboot the guest in the background so the hop's migration meets a booting kernel. */
static void reboot_guest(struct run_ctx *ctx, struct ms_state *st, size_t i)
{
    static const char cmd[] =
        "setsid sh -c 'sleep 0.3; sync; reboot -f || echo b >/proc/sysrq-trigger' "
        "</dev/null >/dev/null 2>&1 &";
    int status;
    if (virt_vms_exec(&st->vms, i, cmd, 15, NULL, &status) < 0)
        run_log(ctx, "%s: reboot for the booting load failed: %s", st->vms.vm[i].name, err_msg());
    else
        run_log(ctx, "%s: rebooting while it migrates (%s)", st->vms.vm[i].name,
                st->o->booting == BOOT_LOAD_VM ? "load_vm_booting" : "load_vms_booting");
    st->uptime[i] = -1;     /* a reboot is expected now */
    st->guest_stress[i] = false;
}

/* One wave through the shared engine (runner/run_wave.c), each move recorded.  Returns
 * the number of failed moves. */
static int run_wave(struct run_ctx *ctx, struct ms_state *st, unsigned hopno,
                    const struct mig_hop *hop, const struct mig_wave *wave)
{
    struct run_wave_move *res = xcalloc(wave->n, sizeof(*res));
    struct run_wave_conf conf = { .opts = &st->o->mig, .thread_timeout = st->o->thread_timeout,
                                  .hopno = hopno };
    int failed = (int)run_wave_migrate(ctx, &st->vms, wave, &conf, res);
    for (size_t k = 0; k < wave->n; k++) {
        const struct mig_move *mv = &wave->moves[k];
        const struct virt_vm *vm = &st->vms.vm[mv->vm];
        record_hop(ctx, st, hopno, hop, mv, &res[k].m, res[k].rc, res[k].err);
        if (res[k].rc < 0) {
            /* a hop aborted by SIGINT is interrupted, not late; one that lost a
             * daemon is the lab's failure (ERROR), not the migration's */
            bool signalled = ctx->cancel && *ctx->cancel;
            bool late = !signalled && (res[k].m.aborted || res[k].late);
            const char *how = signalled ? "interrupted" : late ? "aborted (timeout)"
                              : "failed";
            int (*outcome)(struct run_ctx *, const char *, const char *, ...) =
                res[k].m.conn_lost && !signalled ? run_error : run_fail;
            outcome(ctx, res[k].m.conn_lost ? "ConnectionLost"
                         : late ? "MigrationTimeout" : "MigrationFailed",
                    "%s hop %u %s -> %s: migration %s: %s", vm->name, hopno,
                    host_name(ctx, mv->from), host_name(ctx, mv->to), how,
                    res[k].err ? res[k].err : "");
        }
    }
    run_wave_release(res, wave->n);
    free(res);
    return failed;
}

/* ---- post-checks ---------------------------------------------------------------------- */

/* The ping check of the post-checks: from the target host (over ssh when it is a
 * remote machine), the rest of the environment is the VM set's (env.ud = &st->vms). */
static int pc_ping(void *ud, size_t vm, int host, unsigned count)
{
    struct virt_vms *vms = ud;
    const char *addr = vms->vm[vm].address;
    if (!addr) {
        err_set("%s: guest address unknown", vms->vm[vm].name);
        return -1;
    }
    /* an address, not an option or a word for the remote shell */
    if (strspn(addr, "0123456789abcdefABCDEF.:") != strlen(addr)) {
        err_set("%s: '%s' is not an IP address", vms->vm[vm].name, addr);
        return -1;
    }
    char cnt[16];
    snprintf(cnt, sizeof(cnt), "%u", count);
    const char *argv[] = { "ping", "-n", "-q", "-c", cnt, "-i", "0.2", "-W", "2", addr, NULL };
    struct strbuf out = STRBUF_INIT;
    int status = -1;
    int r = host_run(vms->conf.user, host, argv, 10.0 + count, &out, &status);
    if (r == 0 && status) {
        err_set("ping %s from %s: exit %d: %s", addr, host_name(vms->conf.user, host), status,
                out.buf);
        r = -1;
    }
    strbuf_release(&out);
    return r;
}

/* `after_hop_guest_cmd`: fault injection for tests (e.g. a guest panic right after
 * the hop); its failure is only logged, since it may well kill the guest or the
 * session, and the post-checks judge what it did. */
static void after_hop_cmd(struct run_ctx *ctx, struct ms_state *st, const struct mig_hop *hop)
{
    const char *cmd = st->o->after_hop_cmd;
    if (!cmd)
        return;
    for (size_t wv = 0; wv < hop->nwaves; wv++)
        for (size_t k = 0; k < hop->waves[wv].n; k++) {
            size_t i = hop->waves[wv].moves[k].vm;
            int status = -1;
            run_log(ctx, "%s: after_hop_guest_cmd: %s", st->vms.vm[i].name, cmd);
            if (virt_vms_exec(&st->vms, i, cmd, 3, NULL, &status) < 0)
                run_log(ctx, "%s: after_hop_guest_cmd did not finish: %s", st->vms.vm[i].name,
                        err_msg());
        }
}

/* One VM's post-checks, in a thread of its own: each VM has its own SSH session and
 * the host links serialize their commands, so the VMs of a hop are checked at once
 * instead of one waiting for the other's logins, pings and disk writes. */
struct pc_job {
    struct ms_state *st;
    const struct mig_pc_env *env;
    const struct mig_move *mv;
    struct mig_pc_vm pv;
    int rc;
    char *err;
    pthread_t th;
    bool threaded;
};

static void *pc_worker(void *arg)
{
    struct pc_job *j = arg;
    j->rc = mig_vms_postcheck(&j->st->vms, j->env, &j->st->o->pc, &j->pv);
    if (j->rc < 0)
        j->err = xstrdup(err_msg());
    return NULL;
}

static int post_checks(struct run_ctx *ctx, struct ms_state *st, unsigned hopno,
                       const struct mig_hop *hop)
{
    struct mig_pc_env env;
    mig_vms_pc_env(&st->vms, &env);
    env.ping = pc_ping;
    size_t n = mig_hop_moves(hop), k = 0;
    struct pc_job *jobs = xcalloc(n ? n : 1, sizeof(*jobs));
    for (size_t wv = 0; wv < hop->nwaves; wv++)
        for (size_t m = 0; m < hop->waves[wv].n; m++, k++) {
            const struct mig_move *mv = &hop->waves[wv].moves[m];
            jobs[k] = (struct pc_job){ st, &env, mv, { mv->vm, st->vms.vm[mv->vm].name,
                                       mv->from, mv->to, st->uptime[mv->vm],
                                       ++st->hop_serial }, 0, NULL, 0, false };
            /* the links are opened here, once, not by two threads at once */
            if (st->o->pc.check_ping)
                (void)run_host_link(ctx, mv->to);
        }
    for (k = 0; k < n; k++)
        jobs[k].threaded = n > 1 && pthread_create(&jobs[k].th, NULL, pc_worker, &jobs[k]) == 0;
    for (k = 0; k < n; k++) {
        if (jobs[k].threaded)
            pthread_join(jobs[k].th, NULL);
        else
            pc_worker(&jobs[k]);
    }
    int ret = 0;
    for (k = 0; k < n; k++) {
        const struct pc_job *j = &jobs[k];
        st->uptime[j->mv->vm] = j->pv.uptime_before;
        /* the first VM in the plan's order names it; a destination whose daemon is
         * gone is the lab's failure (ERROR), not the guest's */
        if (j->rc < 0 && ret == 0) {
            bool lost = virt_vms_host_lost(&st->vms, j->mv->to);
            ret = (lost ? run_error : run_fail)(ctx, lost ? "ConnectionLost"
                                                : "PostMigrationCheck",
                                                "%s after hop %u (%s -> %s): %s",
                                                j->pv.name, hopno,
                                                host_name(ctx, j->mv->from),
                                                host_name(ctx, j->mv->to), j->err);
        }
        else if (j->rc < 0)
            run_log(ctx, "%s after hop %u: also failed: %s", j->pv.name, hopno, j->err);
        free(j->err);
    }
    free(jobs);
    return ret;
}

/* ---- run ------------------------------------------------------------------------------ */

/* vm_fns of start_vms: VM i defined and started on its start host; logged in. */
static int start_vm(struct run_ctx *ctx, struct ms_state *st, size_t i)
{
    (void)ctx;
    return virt_vms_start(&st->vms, i, st->plan.start_host[i]);
}

static int login_vm(struct run_ctx *ctx, struct ms_state *st, size_t i)
{
    double up;
    if (virt_vms_wait_login(&st->vms, i, ctx->common->login_timeout) < 0)
        return -1;
    if (virt_vms_uptime(&st->vms, i, &up) == 0)
        st->uptime[i] = up;
    return 0;
}

/* The VMs defined and started together, then logged into together: QEMU's start and
 * the guests' boots overlap instead of queueing. */
static int start_vms(struct run_ctx *ctx, struct ms_state *st, bool wait_login)
{
    double t0 = run_now();
    char *why = NULL;
    int rc;
    long bad = each_vm(ctx, st, start_vm, &rc, &why);
    if (bad >= 0) {
        run_error(ctx, "VMStartError", "%s", why);
        free(why);
        return -1;
    }
    run_phase(ctx, "start", t0);
    if (!wait_login)
        return 0;
    t0 = run_now();
    bad = each_vm(ctx, st, login_vm, &rc, &why);
    if (bad >= 0) {
        rc = run_should_stop(ctx) ? -1 : run_error(ctx, "LoginTimeout", "%s", why);
        free(why);
        return rc;
    }
    run_phase(ctx, "login", t0);
    return 0;
}

static int ms_run(struct run_ctx *ctx)
{
    struct ms_state *st = ctx->data;
    const struct ms_opts *o = st->o;

    double t0 = run_now();
    /* the checks look for the disks where the VMs will run: made first (clones are
     * made on the host a VM starts on) */
    for (size_t i = 0; i < st->vms.n; i++)
        if (virt_vms_prepare_disks(&st->vms, i, st->plan.start_host[i]) < 0)
            return run_error(ctx, virt_err_name(virt_err_last()), "%s", err_msg());
    if (pre_migration_checks(ctx, st) < 0)
        return -1;
    run_phase(ctx, "pre-checks", t0);

    if ((o->stress_host || o->stress_remote || o->stress_vms) && !o->tool_name)
        run_log(ctx, "migration_stress_* set but stress_tool is empty: no stress");
    if (o->tool_name && (o->stress_host || o->stress_remote)) {
        t0 = run_now();
        if (o->stress_host && host_stress_start(ctx, st, 0) < 0)
            return -1;
        if (o->stress_remote && host_stress_start(ctx, st, 1) < 0)
            return -1;
        run_phase(ctx, "stress", t0);
    }

    if (o->start_vms) {
        if (start_vms(ctx, st, true) < 0)
            return -1;
        if (o->tool_name && o->stress_vms) {
            t0 = run_now();
            if (guest_stress_start(ctx, st) < 0)
                return -1;
            run_phase(ctx, "stress", t0);
        }
    }

    for (size_t k = 0; k < st->plan.nhops; k++) {
        const struct mig_hop *hop = &st->plan.hops[k];
        unsigned hopno = (unsigned)k + 1;
        if (run_should_stop(ctx))
            return -1;
        if (k == 0 && !o->start_vms && start_vms(ctx, st, false) < 0)
            return -1;
        if (o->booting == BOOT_LOAD_VM || o->booting == BOOT_LOAD_VMS) {
            for (size_t wv = 0; wv < hop->nwaves; wv++)
                for (size_t m = 0; m < hop->waves[wv].n; m++)
                    if (o->booting == BOOT_LOAD_VMS || (wv == 0 && m == 0))
                        reboot_guest(ctx, st, hop->waves[wv].moves[m].vm);
        }
        run_log(ctx, "hop %u/%zu (round %u%s): %zu VM(s) in %zu wave(s)", hopno,
                st->plan.nhops, hop->round, hop->back ? ", back" : "",
                mig_hop_moves(hop), hop->nwaves);
        char phase[32];
        snprintf(phase, sizeof(phase), "hop %u", hopno);
        t0 = run_now();
        for (size_t wv = 0; wv < hop->nwaves; wv++)
            if (run_wave(ctx, st, hopno, hop, &hop->waves[wv]) > 0) {
                run_phase(ctx, phase, t0);
                return -1;      /* outcome set; cleanup still runs */
            }
        run_phase(ctx, phase, t0);
        after_hop_cmd(ctx, st, hop);
        t0 = run_now();
        int rc = post_checks(ctx, st, hopno, hop);
        run_phase(ctx, "post-checks", t0);
        if (rc < 0)
            return -1;
    }
    return o->admin ? run_mig_admin(ctx, &st->vms) : 0;
}

static void ms_cleanup(struct run_ctx *ctx)
{
    struct ms_state *st = ctx->data;
    if (!st)
        return;
    /* stress first, while the guests still run and can be told to stop */
    if (st->guest_stress) {
        int rc;
        char *why = NULL;
        (void)each_vm(ctx, st, guest_stress_stop, &rc, &why);
        free(why);
    }
    host_stress_stop(ctx, st, 0);
    host_stress_stop(ctx, st, 1);
    if (st->vms_ready)
        run_vmset_cleanup(ctx, &st->vms);
    mig_plan_free(&st->plan);
    free(st->guest_stress);
    free(st->uptime);
    free(st);
    ctx->data = NULL;
}

/* vm_boot_mode = restore: the booting_* cells test a guest that boots. */
static const char *ms_boot_cold(const void *opts)
{
    const struct ms_opts *o = opts;
    return o->booting ? "migration_stress_type tests a booting guest" : NULL;
}

const struct run_type run_type_migrate_stress = {
    .name = "virsh_migrate_stress",
    .alias = "migrate_stress",
    .summary = "migrate many VMs orderly, simultaneously or crosswise, to and fro, under "
               "stress, with pre- and post-migration checks and per-hop metrics",
    .needs = { .vms = 2, .hosts = 2 },
    .params = ms_params,
    .opts_size = sizeof(struct ms_opts),
    .check = ms_check,
    .setup = ms_setup,
    .run = ms_run,
    .cleanup = ms_cleanup,
    .boot_cold = ms_boot_cold,
};
