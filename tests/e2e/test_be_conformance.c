/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The backend conformance suite: one set of behaviours asserted for every struct
 * be_ops driver, each driver (and network mode) a row of the table below.
 *
 *   libvirt       the lab's two libvirt daemons, the guest on the lab bridge at its
 *                 own address, peer-to-peer hops
 *   libvirt_user  the same daemons, QEMU user-mode networking: SSH forwarded from
 *                 127.0.0.1:<port> of the lab's network namespace, re-added after
 *                 every hop
 *   qemu          vtrun's own QEMUs on this machine (two handles on qemu:///local),
 *                 user-mode networking forwarded in this namespace
 *
 * Every row runs the VM's life (errors, host facts, a failed start, an offline hop,
 * start, a precopy hop there and a postcopy hop back, power-off, restart, destroy and
 * undefine leaving nothing); the supervisor's other cases (postcopy after the first
 * pass, suspend and abort at the deadline, the cancel flag, an abort from another
 * thread) run once per driver, since both libvirt rows share one driver.
 *
 * A row's tests share one guest, booted by the first test that needs it and kept
 * running (on whichever host the last hop left it) until the last test powers it off
 * and removes it: a boot is most of a test's cost under TCG.  A test that finds no
 * running guest boots one, so each still stands alone.  Rows with supervisor cases
 * boot a second guest beside the first at their start, for two hops at once and for
 * the postcopy-after-precopy hop, whose guest is not trusted afterwards (see there).  What only one driver has
 * (taps on the lab bridge, two libvirt connections in parallel, a bad URI, QEMU's
 * start-up complaint, the qemu driver's run directories) is a small extra case or a
 * row field.
 *
 * Needs the lab (tests/lab/lab up; VTRUN_SETTINGS); run by tests/e2e/run.
 */
#include "backends/be.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "tests/support.h"
#include <netinet/in.h>
#include <sys/socket.h>

#include <check.h>
#include <libconfig.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the table ------------------------------------------------------------------ */

struct row {
    const char *name;
    const char *driver;             /* be_lookup() */
    const char *vm;                 /* unique per row: leftover probes match it */
    bool bridge;                    /* NIC on the lab bridge at .<host_no>; else user */
    unsigned host_no;
    const char *mac;
    bool lab_hosts;                 /* the lab's two daemons; else qemu:///local twice */
    bool ssh_in_lab_netns;          /* the SSH forward lives in the lab's namespace */
    unsigned extra_flags;           /* of every hop (the lab's daemons: p2p, unsafe) */
    bool libvirt_version;           /* host_info has a daemon version */
    bool distinct_hosts;            /* the two hosts differ in hostname and UUID */
    const char *start_failure_words; /* besides the missing file's name */
    /* a second guest (booted beside the first at the row's start) for the cases
     * that need two guests or may leave one unusable; bridge rows: .63 */
    const char *vm2;
    const char *mac2;
};

static const struct row rows[] = {
    { .name = "libvirt", .driver = "libvirt", .vm = "vtrun-bel", .bridge = true,
      .host_no = 61, .mac = "52:54:00:7e:be:61", .lab_hosts = true,
      .extra_flags = BE_MIG_P2P | BE_MIG_UNSAFE, .libvirt_version = true,
      .distinct_hosts = true, .vm2 = "vtrun-bel2", .mac2 = "52:54:00:7e:be:63" },
    { .name = "libvirt_user", .driver = "libvirt", .vm = "vtrun-lvu", .lab_hosts = true,
      .ssh_in_lab_netns = true, .extra_flags = BE_MIG_P2P | BE_MIG_UNSAFE,
      .libvirt_version = true, .distinct_hosts = true },
    { .name = "qemu", .driver = "qemu", .vm = "vtrun-beq",
      .start_failure_words = "exited during start-up", .vm2 = "vtrun-beq2" },
};

/* ---- the row under test and its guest ----------------------------------------------- */

static const struct row *R;
static const struct be_ops *ops;
static struct be_host *H[2];
static struct be_host_conf hc[2];
static config_t cfg;
/* from the settings (borrowed from cfg) */
static const char *kernel, *initrd, *kparams, *key, *bridge, *subnet, *gateway;
/* the hosts' network namespaces: a guest's tap and its user-mode forwards live in the
 * one of the host that runs it (lab v2; a one-netns lab gives the same name twice) */
static char *hostns[2];
static char *image, *dir, *run_dir, *clone_path, *console_log, *cmdline;
static char *addr;                  /* the guest's SSH address ... */
static unsigned port;               /* ... and port */
static double last_up;              /* its uptime at the last look; 0 = none since boot */
static struct be_disk disk;
static struct be_nic nic;
static struct be_vm_spec spec;

static const char *param(const char *name)
{
    return ts_lab_param(&cfg, name);
}

static unsigned hop_flags(void)
{
    return BE_MIG_LIVE | BE_MIG_PERSISTENT | BE_MIG_UNDEFINE_SOURCE | R->extra_flags;
}

/* QEMU processes of vm ("-name guest=VM" ends at a comma or at the argument's end). */
static int procs_of(const char *vm)
{
    char *a = xasprintf("guest=%s,", vm), *b = xasprintf("guest=%s ", vm);
    int n = ts_count_procs(a) + ts_count_procs(b);
    free(a);
    free(b);
    return n;
}

/* No QEMU of vm is left; a daemon reaps a QEMU a moment after it reports the VM
 * shut off, so give it a few seconds. */
static void assert_no_procs(const char *vm)
{
    for (int i = 0; procs_of(vm) && i < 50; i++)
        usleep(100000);
    ck_assert_int_eq(procs_of(vm), 0);
}

/* Interfaces enslaved to the bridge of host namespace NS other than the lab's veth. */
static int taps_in(const char *ns)
{
    const char *argv[] = { "ip", "-n", ns, "-o", "link", "show", "master", bridge, NULL };
    struct strbuf out = STRBUF_INIT;
    int n = 0;
    char *line, *save = NULL;

    ck_assert_msg(ts_run(argv, &out, 10) == 0, "ip -n %s link: %s", ns, out.buf);
    for (line = strtok_r(out.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (!strstr(line, "vtlab"))
            n++;
    strbuf_release(&out);
    return n;
}

/* Guest taps on the lab bridge, on every host. */
static int taps_on_bridge(void)
{
    int n = taps_in(hostns[0]);
    return strcmp(hostns[0], hostns[1]) ? n + taps_in(hostns[1]) : n;
}

static void remove_everywhere(const char *vm)
{
    for (int i = 0; i < 2; i++)
        if (H[i]) {
            ops->destroy(H[i], vm);
            ops->undefine(H[i], vm);
        }
    err_clear();
}

/* The kernel command line that gives the guest address a.b.c.<host_no> of the lab's
 * a.b.c.0/N; *ip gets the address. */
static char *lab_cmdline(unsigned host_no, char **ip)
{
    const char *slash = strchr(subnet, '/');

    *ip = xasprintf("%.*s.%u", (int)(strrchr(subnet, '.') - subnet), subnet, host_no);
    return xasprintf("%s vtrun.ip=%s/%s vtrun.gw=%s", kparams, *ip, slash + 1, gateway);
}

/* The row's second guest (row.vm2): booted beside the first when the row starts, so
 * the cases that use it rarely wait for a boot. */
static struct {
    char *addr, *cmdline, *clone, *console;
    unsigned port;
    struct be_disk disk;
    struct be_nic nic;
    struct be_vm_spec spec;
} G2;

static void second_guest_start(void)
{
    G2.clone = ts_clone(dir, R->vm2, image);
    G2.console = xasprintf("%s/serial2.log", dir);
    G2.disk = (struct be_disk){ .path = G2.clone };
    G2.nic = nic;
    if (R->bridge) {
        G2.cmdline = lab_cmdline(63, &G2.addr);
        G2.port = 22;
        G2.nic.mac = (char *)R->mac2;
    } else {
        G2.cmdline = xstrdup(kparams);
        G2.addr = xstrdup("127.0.0.1");
        G2.port = ts_free_port();
        G2.nic.hostfwd_port = (unsigned short)G2.port;
    }
    G2.spec = spec;
    G2.spec.name = (char *)R->vm2;
    G2.spec.cmdline = G2.cmdline;
    G2.spec.console_log = G2.console;
    G2.spec.disks = &G2.disk;
    G2.spec.nics = &G2.nic;
    remove_everywhere(R->vm2);
    unlink(G2.console);
    ck_assert_msg(ops->define(H[0], &G2.spec) == 0 && ops->start(H[0], R->vm2) == 0, "%s",
                  err_msg());
}

/* The host the second guest runs on, -1 none. */
static int second_guest_where(void)
{
    enum be_state st;

    for (int i = 0; R->vm2 && G2.clone && i < 2; i++)
        if (ops->state(H[i], R->vm2, &st) == 0 && st == BE_STATE_RUNNING)
            return i;
    return -1;
}

/* The second guest ready for logins (booted again when a case left none). */
static int second_guest_ready(void)
{
    int h = second_guest_where();

    ck_assert_msg(R->vm2 && G2.clone, "row %s has no second guest", R->name);
    if (h < 0) {
        second_guest_start();
        h = 0;
    }
    ts_wait_ready(G2.console, 90);
    return h;
}

static char *second_guest_ssh(const char *cmd)
{
    int h = second_guest_where();
    return ts_ssh_in(R->ssh_in_lab_netns ? hostns[h > 0 ? h : 0] : NULL, G2.addr, G2.port,
                     key, cmd, 60);
}

static void second_guest_remove(void)
{
    if (!G2.clone)
        return;
    remove_everywhere(R->vm2);
    unlink(G2.clone);
    unlink(G2.console);
    free(G2.addr);
    free(G2.cmdline);
    free(G2.clone);
    free(G2.console);
    memset(&G2, 0, sizeof(G2));
}

/* Taps of the row's first guest: those on the bridge but the second guest's. */
static int row_taps(void)
{
    return taps_on_bridge() - (second_guest_where() >= 0 ? 1 : 0);
}

/* A scratch directory for the guest's disk and console log, which the drivers hand to
 * the lab's daemons as they are: under the lab's state directory, which every lab host
 * sees at the same path ($VTRUN_LAB_STATE; each host's /tmp is its own). */
static char *lab_tmpdir(const char *what)
{
    const char *state = getenv("VTRUN_LAB_STATE");
    if (!state || !*state)
        return ts_tmpdir(what);
    char *d = xasprintf("%s/tmp-vtrun-%s-XXXXXX", state, what);
    ck_assert_msg(mkdtemp(d) != NULL, "mkdtemp %s: %s", d, strerror(errno));
    return d;
}

static void row_setup(const struct row *row)
{
    R = row;
    ops = be_lookup(R->driver);
    ck_assert_msg(ops != NULL, "%s", err_msg());
    const char *settings = ts_lab_settings(&cfg, hc);
    for (int i = 0; i < 2; i++)
        hostns[i] = ts_lab_host_netns(settings, i + 1);
    kernel = param("kernel");
    initrd = param("initrd");
    kparams = param("kernel_params");
    key = param("ssh_private_key");
    bridge = param("netdst");
    subnet = param("guest_subnet");
    gateway = param("guest_gateway");
    ck_assert_msg(strchr(subnet, '/') && strchr(subnet, '.'), "guest_subnet %s", subnet);
    image = xasprintf("%s.%s", param("image_name"), param("image_format"));
    ck_assert_msg(access(image, R_OK) == 0, "image %s: missing", image);

    dir = lab_tmpdir(R->name);
    clone_path = ts_clone(dir, R->vm, image);
    console_log = xasprintf("%s/serial.log", dir);
    disk = (struct be_disk){ .path = clone_path };
    if (R->bridge) {
        cmdline = lab_cmdline(R->host_no, &addr);
        port = 22;
        nic = (struct be_nic){ .mode = "bridge", .bridge = (char *)bridge,
                               .mac = (char *)R->mac };
    } else {
        /* no vtrun.ip: the guest takes user-mode networking's 10.0.2.15 */
        addr = xstrdup("127.0.0.1");
        cmdline = xstrdup(kparams);
        port = ts_free_port();
        nic = (struct be_nic){ .mode = "user", .hostfwd_port = (unsigned short)port };
    }
    spec = (struct be_vm_spec){
        .name = (char *)R->vm, .mem_mib = 128, .smp = 1, .accel = "tcg",
        .kernel = (char *)kernel, .initrd = (char *)initrd, .cmdline = cmdline,
        .console_log = console_log, .disks = &disk, .ndisks = 1, .nics = &nic, .nnics = 1,
    };
    if (!R->lab_hosts) {
        /* the qemu driver's private run directories go here: checked at the end */
        run_dir = xasprintf("%s/run", dir);
        ck_assert_int_eq(mkdir(run_dir, 0700), 0);
        setenv("TMPDIR", run_dir, 1);
        hc[0] = hc[1] = (struct be_host_conf){ .uri = "qemu:///local" };
    }
    for (int i = 0; i < 2; i++) {
        H[i] = ops->open(&hc[i]);
        ck_assert_msg(H[i] != NULL, "%s", err_msg());
    }
    remove_everywhere(R->vm);   /* a previous run that died may have left it */
    if (R->vm2)
        second_guest_start();
}

static void row_teardown(void)
{
    second_guest_remove();
    remove_everywhere(R->vm);
    for (int i = 0; i < 2; i++)
        if (H[i])
            ops->close(H[i]);
    H[0] = H[1] = NULL;
    if (clone_path)
        unlink(clone_path);
    if (console_log)
        unlink(console_log);
    if (run_dir) {
        rmdir(run_dir);
        unsetenv("TMPDIR");
    }
    if (dir)
        rmdir(dir);
    free(image);
    for (int i = 0; i < 2; i++) {
        free(hostns[i]);
        hostns[i] = NULL;
    }
    free(dir);
    free(run_dir);
    free(clone_path);
    free(console_log);
    free(cmdline);
    free(addr);
    image = dir = run_dir = clone_path = console_log = cmdline = addr = NULL;
    config_destroy(&cfg);
}

static void setup_libvirt(void) { row_setup(&rows[0]); }
static void setup_libvirt_user(void) { row_setup(&rows[1]); }
static void setup_qemu(void) { row_setup(&rows[2]); }

/* At exit too: a test that dies outside check's unwinding still removes its guest. */
static void at_exit(void)
{
    if (R && H[0])
        row_teardown();
}

static int where(void);

/* Where the guest's SSH forward listens: the namespace of the host that runs it. */
static const char *ssh_netns(void)
{
    if (!R->ssh_in_lab_netns)
        return NULL;
    int h = where();
    return hostns[h > 0 ? h : 0];
}

static double uptime(void)
{
    return last_up = ts_uptime_in(ssh_netns(), addr, port, key);
}

/* The guest's uptime before a hop: the last look is as good as a new one (uptime
 * only grows) and saves an SSH login per hop. */
static double uptime_before(void)
{
    return last_up > 0 ? last_up : uptime();
}

static char *guest(const char *cmd)
{
    return ts_ssh_in(ssh_netns(), addr, port, key, cmd, 60);
}

static enum be_state state_on(int host)
{
    enum be_state st;
    ck_assert_msg(ops->state(H[host], R->vm, &st) == 0, "%s", err_msg());
    return st;
}

/* The host the guest runs on, -1 when none. */
static int where(void)
{
    for (int i = 0; i < 2; i++)
        if (state_on(i) == BE_STATE_RUNNING)
            return i;
    return -1;
}

static void boot(void)
{
    double t0 = ts_now();

    remove_everywhere(R->vm);
    unlink(console_log);    /* the readiness line must be this boot's */
    last_up = 0;
    ck_assert_msg(ops->define(H[0], &spec) == 0, "%s", err_msg());
    ck_assert_int_eq(state_on(0), BE_STATE_SHUTOFF);
    ck_assert_msg(ops->start(H[0], R->vm) == 0, "%s", err_msg());
    ck_assert_msg(state_on(0) == BE_STATE_RUNNING, "state %s", be_state_name(state_on(0)));
    ts_wait_ready(console_log, 90);
    printf("%s: booted to VTRUN-GUEST-READY in %.1f s\n", R->name, ts_now() - t0);
}

/* The host of the running guest, booted on host 0 when there is none. */
static int running(void)
{
    int h = where();
    if (h < 0) {
        boot();
        h = 0;
    }
    return h;
}

static void print_hop(const char *what, const struct be_hop_metrics *m)
{
    printf("%s: %s: wall %.3f s, hypervisor %.0f ms, downtime %.0f ms, %llu bytes, "
           "%llu iterations%s%s%s\n", R->name, what, m->wall_s, m->time_ms, m->downtime_ms,
           m->data_bytes, m->mem_iterations, m->postcopy ? ", postcopy" : "",
           m->suspended ? ", suspended" : "", m->aborted ? ", aborted" : "");
}

/* What every completed live hop must report. */
static void assert_hop_figures(const struct be_hop_metrics *m, double t_before)
{
    ck_assert_msg(m->start >= t_before - 1 && m->start <= clock_wall(), "start %.3f",
                  m->start);
    ck_assert(m->wall_s > 0 && m->time_ms > 0);
    /* the hypervisor's time is part of the call vtrun measured */
    ck_assert_msg(m->time_ms <= m->wall_s * 1000 + 50, "hypervisor %.0f ms, wall %.3f s",
                  m->time_ms, m->wall_s);
    ck_assert(m->downtime_ms >= 0 && m->downtime_ms <= m->time_ms);
    ck_assert(m->data_bytes > 0 && m->mem_bytes > 0 && m->data_bytes >= m->mem_bytes);
    ck_assert(m->mem_iterations >= 1);
    ck_assert(!m->aborted && !m->timed_out);
}

/* A hop that completed moved the guest: running there, gone here, still the same
 * guest (its uptime went on: a hop takes longer than the uptime's 10 ms). */
static void assert_moved(int from, int to, double up_before)
{
    double up;

    ck_assert_msg(state_on(to) == BE_STATE_RUNNING, "destination: %s",
                  be_state_name(state_on(to)));
    ck_assert_msg(state_on(from) == BE_STATE_NONE, "source: %s",
                  be_state_name(state_on(from)));
    up = uptime();
    ck_assert_msg(up > up_before, "uptime %.2f after the hop, %.2f before: not the same "
                  "guest", up, up_before);
}

/* A hop that failed left the guest where it was, running. */
static void assert_stayed(int from, int to)
{
    ck_assert_msg(state_on(from) == BE_STATE_RUNNING, "source: %s",
                  be_state_name(state_on(from)));
    ck_assert_msg(state_on(to) == BE_STATE_NONE, "destination: %s",
                  be_state_name(state_on(to)));
    (void)uptime();
}

/* ---- a hop in a thread (cancel, abort from elsewhere) ------------------------------ */

struct bg_hop {
    struct be_host *src, *dst;
    const char *vm;
    struct be_migrate_opts opts;
    int rc;
    char *err;
    struct be_hop_metrics m;
    pthread_t tid;
};

static void *bg_main(void *arg)
{
    struct bg_hop *b = arg;

    b->rc = be_migrate(ops, b->src, b->dst, b->vm, &b->opts, &b->m);
    b->err = xstrdup(err_msg());
    err_clear();    /* the thread's last error would outlive it */
    return NULL;
}

static void bg_start(struct bg_hop *b)
{
    ck_assert(pthread_create(&b->tid, NULL, bg_main, b) == 0);
}

/* The running job as the source reports it, once it is past its setup (the totals
 * appear then); asserts what any running job shows. */
static void wait_job_running(struct be_host *h, const char *vm)
{
    struct be_job_stats js;
    double until = ts_now() + 30;

    do {
        ck_assert_msg(ops->job_stats(h, vm, &js) == 0, "%s", err_msg());
    } while ((!js.active || !js.data_total) && ts_now() < until && !usleep(50000));
    ck_assert_msg(js.active && js.data_total > 0 && !js.postcopy,
                  "job of %s: active %d, total %llu, postcopy %d", vm, js.active,
                  js.data_total, js.postcopy);
    ck_assert(js.elapsed_ms > 0 && js.data_processed <= js.data_total);
}

/* ---- the behaviours every driver has -------------------------------------------------- */

START_TEST(test_errors_name_the_vm_and_the_host)
{
    enum be_state st;

    ck_assert_ptr_null(be_lookup("xen"));
    ck_assert_msg(strstr(err_msg(), "libvirt, qemu") != NULL, "%s", err_msg());
    ck_assert_int_eq(ops->start(H[0], "nosuchvm"), -1);
    ck_assert_msg(strstr(err_msg(), "nosuchvm") && strstr(err_msg(), hc[0].uri), "%s",
                  err_msg());
    ck_assert(ops->state(H[0], "nosuchvm", &st) == 0 && st == BE_STATE_NONE);
    ck_assert_int_eq(ops->destroy(H[0], "nosuchvm"), 0);
    ck_assert_int_eq(ops->undefine(H[0], "nosuchvm"), 0);
    ck_assert_str_eq(ops->uri(H[1]), hc[1].uri);
}
END_TEST

START_TEST(test_host_info_describes_the_host)
{
    struct be_host_info a, b;
    size_t n = 0;

    ck_assert_msg(ops->host_info(H[0], &a) == 0, "%s", err_msg());
    ck_assert_msg(ops->host_info(H[1], &b) == 0, "%s", err_msg());
    while (a.cpu_models && a.cpu_models[n])
        n++;
    printf("%s: host %s: libvirt %llu, %s %llu, %s, %s %s, kernel %s, %u cpus, %llu MiB "
           "free, cpu %s, %zu usable cpu models\n", R->name, a.hostname, a.libvirt_version,
           a.hypervisor, a.hv_version, a.arch, a.os_id, a.os_version, a.kernel_release,
           a.ncpus, a.free_mem_bytes >> 20, a.host_cpu_model, n);
    ck_assert_str_eq(a.hypervisor, "QEMU");
    ck_assert(a.hv_version >= 7000000);
    ck_assert_str_eq(a.arch, "x86_64");
    ck_assert(a.hostname && a.ncpus > 0);
    /* the OS of a host whose URI names this machine (qemu+unix, qemu:///); over the
     * network libvirt does not say, and the VM set reads it through the host transport
     * (virt_hostop_facts) */
    const char *u = ops->uri(H[0]);
    if (!strstr(u, "://") || strstr(u, ":///"))
        ck_assert(a.os_id && a.kernel_release);
    else
        ck_assert(!a.os_id && !a.kernel_release);
    ck_assert(a.free_mem_bytes > 0 && a.total_mem_bytes >= a.free_mem_bytes);
    if (R->libvirt_version) {
        ck_assert(a.libvirt_version >= 9000000);
        ck_assert(a.cpu_models && a.cpu_models[0]);
    } else {
        ck_assert(a.libvirt_version == 0);
    }
    if (R->distinct_hosts) {
        /* what tells a migration source from its destination */
        ck_assert_str_ne(a.hostname, b.hostname);
        ck_assert(a.host_uuid && b.host_uuid);
        ck_assert_str_ne(a.host_uuid, b.host_uuid);
    }
    be_host_info_free(&a);
    be_host_info_free(&b);
}
END_TEST

START_TEST(test_defined_vm_starts_and_shows_its_console_and_network)
{
    char *path;

    boot();
    path = ops->console_path(H[0], R->vm);
    ck_assert_msg(path && !strcmp(path, console_log), "%s", path ? path : err_msg());
    free(path);
    if (R->bridge)
        ck_assert_int_eq(row_taps(), 1);
    if (R->ssh_in_lab_netns) {
        /* the forward is the lab namespace's loopback, not this one's */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        ck_assert(fd >= 0);
        ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
                      errno == ECONNREFUSED, "127.0.0.1:%u answers in the root namespace",
                      port);
        close(fd);
    }
    (void)uptime();
}
END_TEST

START_TEST(test_precopy_hop_moves_the_running_guest_with_its_figures)
{
    struct be_migrate_opts o = { .flags = hop_flags() };
    struct be_hop_metrics m;
    struct be_job_stats js;
    int from = running(), to = !from;
    double up = uptime_before(), t0 = clock_wall();

    ck_assert_msg(be_migrate(ops, H[from], H[to], R->vm, &o, &m) == 0, "%s", err_msg());
    print_hop("precopy hop", &m);
    assert_hop_figures(&m, t0);
    ck_assert(!m.postcopy && !m.suspended);
    ck_assert_msg(ops->job_stats(H[to], R->vm, &js) == 0 && !js.active, "%s", err_msg());
    assert_moved(from, to, up);
}
END_TEST

START_TEST(test_timeout_with_postcopy_switches_and_the_hop_completes)
{
    /* precopy at 16 MiB/s would take seconds: the 0.3 s timeout switches to postcopy,
     * which must then finish the hop */
    struct be_migrate_opts o = { .flags = hop_flags() | BE_MIG_POSTCOPY, .bandwidth_mib = 16,
                                 .timeout_s = 0.3 };
    struct be_hop_metrics m;
    int from = running(), to = !from;
    double up = uptime_before(), t0 = clock_wall();

    ck_assert_msg(be_migrate(ops, H[from], H[to], R->vm, &o, &m) == 0, "%s", err_msg());
    print_hop("postcopy on timeout", &m);
    ck_assert(m.postcopy);
    assert_hop_figures(&m, t0);
    assert_moved(from, to, up);
}
END_TEST

START_TEST(test_postcopy_after_precopy_switches_after_the_first_pass)
{
    /* The guest writes 16 MiB once, while the first pass runs (~3 s at 32 MiB/s), and
     * frees it: the second pass then has megabytes to send, which a 1 ms pause never
     * fits, so only the switch ends the hop.
     * The hop runs on the row's second guest, which is removed afterwards and not
     * logged into: postcopy after a first pass carries pages the guest rewrote, and
     * under TCG QEMU 7.2 was seen to hand such a guest corrupted memory (either driver,
     * a third of the hops; postcopy of pages not yet sent, as on a timeout, never). */
    static const char dirty_once[] = "setsid sh -c 'yes vtrun | head -c 16777216 "
                                     ">/dev/shm/dirty; rm -f /dev/shm/dirty' "
                                     "</dev/null >/dev/null 2>&1 &";
    struct be_migrate_opts o = { .flags = hop_flags() | BE_MIG_POSTCOPY, .bandwidth_mib = 32,
                                 .max_downtime_ms = 1, .postcopy_after_precopy = true };
    struct be_hop_metrics m;
    int from = second_guest_ready(), to = !from;
    double t0 = clock_wall();
    enum be_state st;

    free(second_guest_ssh(dirty_once));
    ck_assert_msg(be_migrate(ops, H[from], H[to], R->vm2, &o, &m) == 0, "%s", err_msg());
    print_hop("postcopy after the first pass", &m);
    ck_assert(m.postcopy && m.mem_iterations >= 2);
    assert_hop_figures(&m, t0);
    ck_assert(ops->state(H[to], R->vm2, &st) == 0 && st == BE_STATE_RUNNING);
    ck_assert(ops->state(H[from], R->vm2, &st) == 0 && st == BE_STATE_NONE);
    remove_everywhere(R->vm2);
    assert_no_procs(R->vm2);
}
END_TEST

START_TEST(test_timeout_aborts_and_the_hop_keeps_its_figures)
{
    /* 1 MiB/s cannot move 128 MiB in 1 s: the job must be aborted, not hang */
    struct be_migrate_opts o = { .flags = hop_flags(), .bandwidth_mib = 1, .timeout_s = 1.0 };
    struct be_hop_metrics m;
    int from = running(), to = !from;

    ck_assert_int_eq(be_migrate(ops, H[from], H[to], R->vm, &o, &m), -1);
    print_hop("timeout", &m);
    ck_assert_msg(strstr(err_msg(), "migration timeout") && strstr(err_msg(), "aborted"),
                  "%s", err_msg());
    ck_assert(m.aborted && m.timed_out && !m.postcopy);
    ck_assert(m.wall_s >= 1.0 && m.wall_s < 15.0);
    /* how far it got: at least the time it ran */
    ck_assert_msg(m.time_ms > 0, "an aborted hop without figures: %.0f ms", m.time_ms);
    assert_stayed(from, to);
}
END_TEST

START_TEST(test_timeout_suspend_pauses_the_guest_and_the_hop_completes)
{
    /* virsh --timeout-suspend: the rest of the hop is not live, the guest runs on the
     * destination afterwards */
    struct be_migrate_opts o = { .flags = hop_flags(), .bandwidth_mib = 64, .timeout_s = 0.5,
                                 .timeout_action = BE_TIMEOUT_SUSPEND };
    struct be_hop_metrics m;
    int from = running(), to = !from;
    double up = uptime_before(), t0 = clock_wall();

    ck_assert_msg(be_migrate(ops, H[from], H[to], R->vm, &o, &m) == 0, "%s", err_msg());
    print_hop("suspend on timeout", &m);
    ck_assert(m.suspended && !m.postcopy);
    assert_hop_figures(&m, t0);
    assert_moved(from, to, up);
}
END_TEST

START_TEST(test_cancel_flag_aborts_a_running_job)
{
    static atomic_bool cancel;
    static struct bg_hop b;         /* static: see the parallel hops' test */
    int from = running(), to = !from;

    b = (struct bg_hop){ .vm = R->vm };
    atomic_store(&cancel, false);
    b.src = H[from];
    b.dst = H[to];
    b.opts = (struct be_migrate_opts){ .flags = hop_flags(), .bandwidth_mib = 1,
                                       .cancel = &cancel };
    bg_start(&b);
    wait_job_running(H[from], R->vm);
    atomic_store(&cancel, true);
    pthread_join(b.tid, NULL);
    print_hop("cancelled", &b.m);
    ck_assert_msg(b.rc == -1 && strstr(b.err, "migration cancelled"), "%s", b.err);
    ck_assert(b.m.aborted && !b.m.timed_out);
    ck_assert_msg(b.m.time_ms > 0, "an aborted hop without figures");
    free(b.err);
    assert_stayed(from, to);
}
END_TEST

START_TEST(test_abort_job_from_another_thread_fails_the_hop)
{
    static struct bg_hop b;         /* static: see the parallel hops' test */
    int from = running(), to = !from;

    b = (struct bg_hop){ .vm = R->vm };
    b.src = H[from];
    b.dst = H[to];
    b.opts = (struct be_migrate_opts){ .flags = hop_flags(), .bandwidth_mib = 1 };
    bg_start(&b);
    wait_job_running(H[from], R->vm);
    ck_assert_msg(ops->abort_job(H[from], R->vm) == 0, "%s", err_msg());
    pthread_join(b.tid, NULL);
    print_hop("aborted from elsewhere", &b.m);
    ck_assert_msg(b.rc == -1 && strstr(b.err, "migration failed"), "%s", b.err);
    /* Whether the driver can tell it was an abort: QMP says "cancelled"; libvirt peer to
     * peer over qemu+ssh often reports the dropped connection to the destination ("End
     * of file ...") and a completed job of type failed, not cancelled (seen 2 runs in 3
     * in CI-like runs), so there the hop must fail, not be known as aborted. */
    ck_assert_msg(!b.m.timed_out, "%s", b.err);
    ck_assert_msg(b.m.aborted || (R->extra_flags & BE_MIG_P2P), "not seen as aborted: %s",
                  b.err);
    free(b.err);
    assert_stayed(from, to);
}
END_TEST

START_TEST(test_offline_hop_moves_only_the_definition)
{
    struct be_migrate_opts o = { .flags = BE_MIG_OFFLINE | BE_MIG_PERSISTENT |
                                          BE_MIG_UNDEFINE_SOURCE | R->extra_flags };
    struct be_vm_spec s = spec;
    char *name = xasprintf("%so", R->vm);
    enum be_state st;

    s.name = name;
    remove_everywhere(name);
    ck_assert_msg(ops->define(H[0], &s) == 0, "%s", err_msg());
    ck_assert_msg(be_migrate(ops, H[0], H[1], name, &o, NULL) == 0, "%s", err_msg());
    ck_assert(ops->state(H[1], name, &st) == 0 && st == BE_STATE_SHUTOFF);
    ck_assert(ops->state(H[0], name, &st) == 0 && st == BE_STATE_NONE);
    ck_assert_int_eq(ops->undefine(H[1], name), 0);
    ck_assert(ops->state(H[1], name, &st) == 0 && st == BE_STATE_NONE);
    free(name);
}
END_TEST

START_TEST(test_start_failure_names_the_missing_kernel)
{
    struct be_vm_spec s = spec;
    char *name = xasprintf("%sk", R->vm);
    enum be_state st;

    s.name = name;
    s.kernel = "/nonexistent/vmlinuz";
    s.console_log = NULL;
    remove_everywhere(name);
    ck_assert_msg(ops->define(H[0], &s) == 0, "%s", err_msg());
    ck_assert_int_eq(ops->start(H[0], name), -1);
    ck_assert_msg(strstr(err_msg(), "/nonexistent/vmlinuz"), "%s", err_msg());
    if (R->start_failure_words)
        ck_assert_msg(strstr(err_msg(), R->start_failure_words), "%s", err_msg());
    ck_assert(ops->state(H[0], name, &st) == 0 && st == BE_STATE_SHUTOFF);
    assert_no_procs(name);
    ck_assert_int_eq(ops->undefine(H[0], name), 0);
    free(name);
}
END_TEST

/* The end of the guest: power-off seen as shut off, a restart, then destroy and
 * undefine (each twice: cleanup paths call them unconditionally) leave nothing. */
START_TEST(test_poweroff_restart_destroy_undefine_leave_nothing)
{
    int h = running(), rc;
    double deadline;

    /* the lab's busybox guest has no ACPI handler: shutdown() must come back at its
     * timeout with a clear error (or succeed, should the guest learn ACPI) */
    rc = ops->shutdown(H[h], R->vm, 0.5);
    ck_assert_msg(rc == 0 || strstr(err_msg(), "did not power off") != NULL, "%s", err_msg());
    if (rc != 0)
        free(guest("(sleep 0.3; poweroff -f) >/dev/null 2>&1 &"));
    for (deadline = ts_now() + 20; state_on(h) != BE_STATE_SHUTOFF; usleep(100000))
        ck_assert_msg(ts_now() < deadline, "still %s 20 s after poweroff",
                      be_state_name(state_on(h)));
    assert_no_procs(R->vm);
    ck_assert_msg(ops->start(H[h], R->vm) == 0, "restart after poweroff: %s", err_msg());
    ck_assert_int_eq(state_on(h), BE_STATE_RUNNING);

    ck_assert_msg(ops->destroy(H[h], R->vm) == 0, "%s", err_msg());
    ck_assert_int_eq(state_on(h), BE_STATE_SHUTOFF);
    ck_assert_msg(ops->destroy(H[h], R->vm) == 0, "again: %s", err_msg());
    ck_assert_msg(ops->undefine(H[h], R->vm) == 0, "%s", err_msg());
    ck_assert_int_eq(state_on(h), BE_STATE_NONE);
    ck_assert_msg(ops->undefine(H[h], R->vm) == 0, "again: %s", err_msg());
    ck_assert_int_eq(state_on(!h), BE_STATE_NONE);
    assert_no_procs(R->vm);
    if (R->bridge)
        ck_assert_int_eq(row_taps(), 0);
    ck_assert_int_eq(unlink(clone_path), 0);
    ck_assert_int_eq(access(clone_path, F_OK), -1);
    free(clone_path);
    clone_path = NULL;
}
END_TEST

/* virsh save / restore (guest administration after a hop): the guest stops into a file
 * of its host and goes on from it where it was, not from a new boot. */
START_TEST(test_save_and_restore_go_on_where_the_guest_was)
{
    int h = running();
    double up = uptime();
    /* where every lab host and this test see the same file (a host's /tmp is its own) */
    char *path = xasprintf("%s/%s.save", dir, R->vm);
    unlink(path);
    ck_assert_msg(ops->save(H[h], R->vm, path) == 0, "%s", err_msg());
    ck_assert_int_eq(state_on(h), BE_STATE_SHUTOFF);
    ck_assert_msg(access(path, F_OK) == 0, "no save file %s", path);
    assert_no_procs(R->vm);
    ck_assert_msg(ops->restore(H[h], R->vm, path) == 0, "%s", err_msg());
    ck_assert_int_eq(state_on(h), BE_STATE_RUNNING);
    double after = uptime();
    ck_assert_msg(after >= up, "uptime %.1f s after the restore, %.1f s before: rebooted",
                  after, up);
    if (ops->listed) {
        bool listed = false;
        ck_assert_msg(ops->listed(H[h], R->vm, &listed) == 0, "%s", err_msg());
        ck_assert_msg(listed, "%s not listed running after the restore", R->vm);
    }
    ck_assert_int_eq(unlink(path), 0);
    free(path);
}
END_TEST

/* ---- what only one driver has ---------------------------------------------------------- */

START_TEST(test_libvirt_open_of_a_bad_uri_names_it)
{
    struct be_host_conf bad = { .uri = "qemu+unix:///system?socket=/nonexistent/sock" };

    ck_assert_ptr_null(ops->open(&bad));
    ck_assert_msg(strstr(err_msg(), "/nonexistent/sock") != NULL, "%s", err_msg());
}
END_TEST

/* A migration worker of vtrun's kind: its own connections. */
static void *own_connections_hop(void *arg)
{
    struct bg_hop *b = arg;
    struct be_host *a = ops->open(&hc[0]), *c = ops->open(&hc[1]);

    b->rc = a && c ? be_migrate(ops, a, c, b->vm, &b->opts, &b->m) : -1;
    b->err = xstrdup(err_msg());
    err_clear();
    if (a)
        ops->close(a);
    if (c)
        ops->close(c);
    return NULL;
}

START_TEST(test_libvirt_parallel_hops_on_their_own_connections)
{
    static atomic_bool cancel;
    /* static: should an assertion end this test while its hops still run, they must
     * not write into the stack of the next test (check runs them in one process) */
    static struct bg_hop w1, w2;
    enum be_state st;

    w1 = (struct bg_hop){ .vm = R->vm };
    w2 = (struct bg_hop){ .vm = R->vm2 };
    /* both start on host 1 */
    if (where() != 0) {
        remove_everywhere(R->vm);
        boot();
    }
    if (second_guest_ready() != 0) {
        remove_everywhere(R->vm2);
        second_guest_ready();
    }
    atomic_store(&cancel, false);
    w1.opts = (struct be_migrate_opts){ .flags = hop_flags() };
    w2.opts = (struct be_migrate_opts){ .flags = hop_flags(), .bandwidth_mib = 1,
                                        .cancel = &cancel };
    ck_assert(pthread_create(&w1.tid, NULL, own_connections_hop, &w1) == 0);
    ck_assert(pthread_create(&w2.tid, NULL, own_connections_hop, &w2) == 0);
    /* the running job seen from the test's own connection */
    wait_job_running(H[0], R->vm2);
    atomic_store(&cancel, true);
    pthread_join(w1.tid, NULL);
    pthread_join(w2.tid, NULL);
    printf("libvirt: parallel: %s %.3f s; %s %s after %.3f s\n", R->vm, w1.m.wall_s, R->vm2,
           w2.rc ? "cancelled" : "not cancelled", w2.m.wall_s);
    ck_assert_msg(w1.rc == 0, "%s", w1.err);
    ck_assert_msg(w2.rc == -1 && strstr(w2.err, "migration cancelled"), "%s", w2.err);
    ck_assert(w2.m.aborted && !w2.m.timed_out);
    ck_assert_int_eq(state_on(1), BE_STATE_RUNNING);
    ck_assert(ops->state(H[0], R->vm2, &st) == 0 && st == BE_STATE_RUNNING);
    ck_assert(ops->state(H[1], R->vm2, &st) == 0 && st == BE_STATE_NONE);
    free(second_guest_ssh("true"));
    free(w1.err);
    free(w2.err);
}
END_TEST

/* The qemu driver's private run directories (QMP sockets, QEMU logs, migration
 * sockets) are gone once its handles are closed: after the guest's console log (and
 * its clone, removed by the test before), nothing of the row is left. */
START_TEST(test_qemu_close_removes_its_run_directories)
{
    second_guest_remove();
    for (int i = 0; i < 2; i++) {
        ops->close(H[i]);
        H[i] = NULL;
    }
    ck_assert_msg(rmdir(run_dir) == 0, "%s not empty after close: %s", run_dir,
                  strerror(errno));
    free(run_dir);
    run_dir = NULL;
    unsetenv("TMPDIR");
    ck_assert_int_eq(unlink(console_log), 0);
    ck_assert_msg(rmdir(dir) == 0, "%s not empty after close: %s", dir, strerror(errno));
}
END_TEST

/* ---- the suite ---------------------------------------------------------------------- */

/* Before the supervisor's cases: it needs the second guest healthy. */
static void libvirt_extras(TCase *tc)
{
    tcase_add_test(tc, test_libvirt_parallel_hops_on_their_own_connections);
}

/* In this order: a row's guest is booted by the first test that needs it and powered
 * off by the last.  Every row: the VM's life and a hop there and back; per driver
 * (the rows of libvirt share one driver and one supervisor) the supervisor's other
 * cases. */
static TCase *row_case(const char *name, void (*setup)(void), bool supervisor,
                       void (*extras)(TCase *))
{
    TCase *tc = tcase_create(name);

    tcase_add_unchecked_fixture(tc, setup, row_teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_errors_name_the_vm_and_the_host);
    tcase_add_test(tc, test_host_info_describes_the_host);
    tcase_add_test(tc, test_start_failure_names_the_missing_kernel);
    tcase_add_test(tc, test_offline_hop_moves_only_the_definition);
    tcase_add_test(tc, test_defined_vm_starts_and_shows_its_console_and_network);
    tcase_add_test(tc, test_precopy_hop_moves_the_running_guest_with_its_figures);
    tcase_add_test(tc, test_timeout_with_postcopy_switches_and_the_hop_completes);
    tcase_add_test(tc, test_save_and_restore_go_on_where_the_guest_was);
    if (extras)
        extras(tc);
    if (!supervisor)
        return tc;
    tcase_add_test(tc, test_postcopy_after_precopy_switches_after_the_first_pass);
    tcase_add_test(tc, test_timeout_suspend_pauses_the_guest_and_the_hop_completes);
    tcase_add_test(tc, test_timeout_aborts_and_the_hop_keeps_its_figures);
    tcase_add_test(tc, test_cancel_flag_aborts_a_running_job);
    tcase_add_test(tc, test_abort_job_from_another_thread_fails_the_hop);
    return tc;
}

int main(void)
{
    Suite *s = suite_create("be_conformance");
    TCase *tc;
    SRunner *sr;
    int failed;

    setvbuf(stdout, NULL, _IOLBF, 0);
    atexit(at_exit);

    tc = row_case("libvirt", setup_libvirt, true, libvirt_extras);
    tcase_add_test(tc, test_poweroff_restart_destroy_undefine_leave_nothing);
    tcase_add_test(tc, test_libvirt_open_of_a_bad_uri_names_it);
    suite_add_tcase(s, tc);

    /* what user-mode networking changes: the SSH forward across both kinds of hop */
    tc = row_case("libvirt_user", setup_libvirt_user, false, NULL);
    tcase_add_test(tc, test_poweroff_restart_destroy_undefine_leave_nothing);
    suite_add_tcase(s, tc);

    tc = row_case("qemu", setup_qemu, true, NULL);
    tcase_add_test(tc, test_poweroff_restart_destroy_undefine_leave_nothing);
    tcase_add_test(tc, test_qemu_close_removes_its_run_directories);
    suite_add_tcase(s, tc);

    sr = srunner_create(s);
    /* no fork: check ends a failing forked test with _exit(), which skips the
     * teardown and leaves VMs, QEMUs and clones behind; without fork a failure
     * unwinds to the runner and the teardown cleans up */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
