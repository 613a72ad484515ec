/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VMs of one test (virt/virt.h): params -> specs and clones, define, start,
 * migrate, stop through the backend (backends/), guest access over SSH.  Everything
 * created is registered with virt_leftover until removed, so an aborted cleanup can
 * still say what is left.  What the set derives (clone names unique per job slot,
 * guest addresses) stays in its own structs: the case's params are only read.
 */
#include "virt/virt.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Per-test private state behind struct virt_vms. */
struct vms_priv {
    struct virt_vms_host *hosts;        /* the conf's hosts, copied */
    struct virt_clone_name *names;      /* per VM: the clone names chosen here */
    struct virt_clones clones;
    unsigned long *clone_leftover;      /* per clone (grows with it); 0: none */
    size_t nclone_leftover;
    char *known_hosts;
    char **run_dirs;            /* qemu backend: one run directory per host */
    bool host_consoles;         /* console logs on the hosts (a host is remote) */
    bool restore;               /* vm_boot_mode = restore (virt_vms_boot_restore) */
    char *why_cold;             /* ... but the test boots cold, for this reason */
};

/* A VM's serial console on one host (host consoles): the host's file copied into
 * the result directory as it grows, and how far that copy was scanned. */
struct console_copy {
    bool visited;               /* the VM ran there: its file exists there */
    char *copy;                 /* <outdir>/serial-<vm>.<host>.log */
    long long scanned;
    unsigned line;
    unsigned long leftover;     /* the file on the host, until removed */
};

struct vm_priv {
    char *guest_ip;             /* chosen from guest_subnet when the config set none */
    char *clone_name, *clone_master;    /* owned strings of names[i] */
    struct virt_login login;
    struct virt_ssh *ssh;
    unsigned long leftover;     /* the domain, while it exists somewhere */
    long long console_scanned;  /* console in the result directory: bytes scanned */
    unsigned console_line;
    struct console_copy *con;   /* host consoles: per host */
    double uptime_seen;         /* largest uptime read so far */
    /* restore boots: the saved guest's cache entry (NULL: boots cold); seed: none was
     * there, this VM boots and is saved after its login; restored: it runs a
     * restored guest, whose clock is set after the first login (clock_set) */
    char *saved_entry;
    bool started, seed, restored, clock_set;
    /* restore boots: planned once (plan_first); on_saved: the overlay is made over the
     * saved guest's disk */
    bool planned, on_saved;
    /* the address probe of the start under way (address_probe), NULL when none */
    struct spawn *probe;
};

/* ---- QEMU launches, one at a time ---------------------------------------------------- */

/*
 * Starts and restores of domains whose disks are on a FUSE mount, one after another (a
 * lock): two QEMUs of one host opening the same backing file at once on the lab's
 * GlusterFS FUSE mount hung that mount (its client got no answer for 42 s, then never
 * reconnected, and the start never returned; local CI, stop 22).  Elsewhere launches
 * overlap: two restored VMs took 1.2 s one after the other and about half of it
 * together, the whole of a restored case's start phase (issue 16).
 */
static pthread_mutex_t launch_lock = PTHREAD_MUTEX_INITIALIZER;

static int link_of(struct virt_vms *vms, int h, struct virt_host **out);

/* Whether VM i's launch on h takes the lock: one of its disks is on a FUSE file system
 * there, or that is not known (stat -f failed: the safe side). */
static bool launch_serial(struct virt_vms *vms, size_t i, int h)
{
    const struct be_vm_spec *sp = vms->vm[i].spec;
    struct virt_host *link;
    if (!sp || !sp->ndisks)
        return false;
    if (link_of(vms, h, &link) < 0) {
        err_clear();
        return true;
    }
    const char **argv = xcalloc(sp->ndisks + 6, sizeof(*argv));
    size_t n = 0;
    argv[n++] = "stat";
    argv[n++] = "-f";
    argv[n++] = "-c";
    argv[n++] = "%T";
    argv[n++] = "--";
    for (size_t d = 0; d < sp->ndisks; d++)
        if (sp->disks[d].path && sp->disks[d].path[0] == '/')
            argv[n++] = sp->disks[d].path;
    struct strbuf out = STRBUF_INIT;
    bool serial = n == 5 ? false : virt_saved_run(link, argv, &out) < 0 ||
                  strstr(out.buf ? out.buf : "", "fuse") != NULL;
    err_clear();
    strbuf_release(&out);
    free(argv);
    return serial;
}

/* Around a launch of VM i on h: the lock taken when launch_serial says so. */
static bool launch_begin(struct virt_vms *vms, size_t i, int h)
{
    bool serial = launch_serial(vms, i, h);
    if (serial)
        pthread_mutex_lock(&launch_lock);
    return serial;
}

static void launch_end(bool serial)
{
    if (serial)
        pthread_mutex_unlock(&launch_lock);
}

static struct be_host *host(struct virt_vms *vms, int h);

static int address_free(struct virt_vms *vms, size_t i);

static int launch_start(struct virt_vms *vms, size_t i, int h)
{
    if (address_free(vms, i) < 0)
        return -1;
    bool serial = launch_begin(vms, i, h);
    struct be_host *bh = host(vms, h);
    int rc = bh ? vms->be->start(bh, vms->vm[i].domain) : -1;
    launch_end(serial);
    return rc;
}

static int launch_restore(struct virt_vms *vms, size_t i, int h, const char *path)
{
    bool serial = launch_begin(vms, i, h);
    struct be_host *bh = host(vms, h);
    int rc = bh ? vms->be->restore(bh, vms->vm[i].domain, path) : -1;
    launch_end(serial);
    return rc;
}

static int launch_restore_as(struct virt_vms *vms, size_t i, int h, const char *mem)
{
    bool serial = launch_begin(vms, i, h);
    struct be_host *bh = host(vms, h);
    int rc = bh ? vms->be->restore_as(bh, vms->vm[i].spec, mem) : -1;
    launch_end(serial);
    return rc;
}

static struct vms_priv *P(struct virt_vms *vms)
{
    return vms->priv;
}

static struct vm_priv *V(struct virt_vms *vms, size_t i)
{
    return vms->vm[i].priv;
}

static const struct virt_ctx *VC(const struct virt_vms *vms)
{
    return &vms->conf.vctx;
}

static int check_clone_dir(struct virt_vms *vms);

/* The log line as the test's log wants it. */
#define vlog(vms, ...) virt_logf(VC(vms), VIRT_LOG_DEBUG, __VA_ARGS__)

/* A driver whose two "hosts" are this machine, each with its own run directory (the
 * qemu driver): declared by the driver (be_ops.local_hosts). */
static bool local_hosts(const struct virt_vms *vms)
{
    return vms->be->local_hosts;
}

bool virt_vms_should_stop(const struct virt_vms *vms)
{
    return virt_cancelled(VC(vms));
}

/* Open host h on first use.  The qemu backend's hosts are all the local machine,
 * each with its own run directory (QMP sockets) under the test's directory. */
/* Keep VM vm's definition (domain XML, command line) with the results, as the test
 * saw it: at setup, and again at each define (a test may edit the spec between). */
static void keep_definition(struct virt_vms *vms, const struct virt_vm *vm)
{
    const char *ext = NULL;
    char *text = vms->be->render ? vms->be->render(vm->spec, &ext) : NULL;
    if (!text)
        return;
    char *path = xasprintf("%s/%s.%s", vms->conf.outdir, vm->domain, ext);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(path);
    free(text);
}

/* A QEMU process of the qemu backend into the leftovers and the job's ledger before
 * it starts (be_host_conf.proc_note): named by its pidfile, which its command line
 * holds too, so the next job can tell it from any process that reuses its pid
 * (runner/run_reap.c).  Its guest's stress runs inside it and dies with it. */
static unsigned long note_qemu(void *ud, const char *pidfile)
{
    (void)ud;
    char *what = xasprintf("QEMU process (pid in %s)", pidfile);
    char *how = xasprintf("kill $(cat '%s')", pidfile);
    struct virt_res r = { VIRT_RES_PROCESS, "qemu", "", (char *)pidfile };
    unsigned long h = virt_leftover_add_res(&r, what, how);
    free(what);
    free(how);
    return h;
}

static void qemu_gone(void *ud, unsigned long handle)
{
    (void)ud;
    virt_leftover_drop(handle);
}

static struct be_host *host(struct virt_vms *vms, int h)
{
    if (h < 0 || (size_t)h >= vms->nhosts) {
        err_set("no host %d (the test has %zu)", h, vms->nhosts);
        return NULL;
    }
    if (vms->hosts[h])
        return vms->hosts[h];
    struct be_host_conf conf = { 0 };
    if (local_hosts(vms)) {
        conf.uri = "qemu:///local";
        conf.run_dir = P(vms)->run_dirs[h];
        conf.proc_note = note_qemu;
        conf.proc_gone = qemu_gone;
    } else {
        conf.uri = P(vms)->hosts[h].uri;
        conf.migrate_desturi = P(vms)->hosts[h].migrate_desturi;
        conf.migrate_uri = P(vms)->hosts[h].migrate_uri;
        /* a set of several hosts migrates between them */
        conf.migrates = vms->nhosts > 1;
    }
    vms->hosts[h] = vms->be->open(&conf);
    if (!vms->hosts[h])
        err_prefix("host %s", virt_vms_host_name(vms, h));
    return vms->hosts[h];
}

/* The host transport to host h into *out: NULL when the host is this machine (no
 * transport given, or the qemu backend).  -1 with err naming the host. */
static int link_of(struct virt_vms *vms, int h, struct virt_host **out)
{
    *out = NULL;
    if (local_hosts(vms) || !vms->conf.host_link)
        return 0;
    if (h < 0 || (size_t)h >= vms->nhosts) {
        err_set("no host %d (the test has %zu)", h, vms->nhosts);
        return -1;
    }
    *out = vms->conf.host_link(vms->conf.link_ud, h);
    return *out ? 0 : -1;
}

const char *virt_vms_host_name(const struct virt_vms *vms, int h)
{
    if (local_hosts(vms))
        return h == 0 ? "local-a" : "local-b";
    if (h < 0 || (size_t)h >= vms->nhosts)
        return "?";
    const struct virt_vms_host *vh = &P((struct virt_vms *)vms)->hosts[h];
    return vh->name ? vh->name : vh->uri;
}

/* A free TCP port on loopback for a user-mode SSH forward (the kernel picks it). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int port = -1;
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0
        && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* guest_ip_<vm> from guest_subnet when the config did not set one: host numbers
 * 10 + 20 * slot + i, where slot is the machine-wide address slot (virt_slot_take),
 * so parallel workers of every vtrun job on the machine never share an address. */
static int assign_address(struct virt_vms *vms, size_t i)
{
    const struct params *p = vms->conf.params;
    const char *vm = vms->vm[i].name;
    char *key = xasprintf("guest_ip_%s", vm);
    const char *subnet = params_get(p, "guest_subnet");
    int rc = 0;
    if (!params_get(p, key) && subnet && *subnet) {
        char net[64];
        struct in_addr a;
        snprintf(net, sizeof(net), "%s", subnet);
        char *slash = strchr(net, '/');
        if (slash)
            *slash = '\0';
        unsigned n = 10 + 20 * vms->conf.addr_slot + (unsigned)i;
        if (inet_pton(AF_INET, net, &a) != 1 || n > 250) {
            err_set("guest_subnet '%s': cannot give %s an address", subnet, vm);
            rc = -1;
        } else {
            a.s_addr = htonl(ntohl(a.s_addr) + n);
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &a, ip, sizeof(ip));
            V(vms, i)->guest_ip = xstrdup(ip);
        }
    }
    free(key);
    return rc;
}

static int setup_vm(struct virt_vms *vms, size_t i)
{
    const struct virt_vms_conf *cf = &vms->conf;
    struct virt_vm *vm = &vms->vm[i];
    struct vm_priv *vp = V(vms, i);
    if (assign_address(vms, i) < 0)
        return -1;
    struct virt_vm_derived d = { .guest_ip = vp->guest_ip, .clones = &P(vms)->clones,
                                 .emulator_param = vms->be->emulator_param };
    bool host_cons = P(vms)->host_consoles;
    vm->params = params_object(cf->params, vm->name);
    vm->spec = xcalloc(1, sizeof(*vm->spec));
    if (virt_vm_spec_from_params(cf->params, vm->name, &d, host_cons ? NULL : cf->outdir,
                                 VC(vms), vm->spec) < 0)
        return -1;
    free(vm->spec->name);
    vm->spec->name = xstrdup(vm->domain);
    if (host_cons) {
        /* a path each host's daemon can open: the daemon's own log directory; the
         * domain name keeps it unique per job and slot */
        vm->spec->console_log = xasprintf("%s/%s-serial.log", VIRT_HOST_CONSOLE_DIR,
                                          vm->domain);
        vp->con = xcalloc(vms->nhosts, sizeof(*vp->con));
    }
    if (vm->spec->console_log)
        vm->console_log = xstrdup(vm->spec->console_log);
    if (virt_login_from_params(cf->params, vm->name, &d, &vp->login) < 0)
        return -1;
    /* user-mode networking: SSH through a host port forward on loopback */
    for (size_t n = 0; n < vm->spec->nnics; n++) {
        struct be_nic *nic = &vm->spec->nics[n];
        if (nic->mode && strcmp(nic->mode, "user"))
            continue;
        int port = free_port();
        if (port < 0)
            return virt_failf(VIRT_ERR_ADDRESS, vm->name, "no free port for the SSH forward");
        nic->hostfwd_port = (unsigned short)port;
        free(vp->login.host);
        vp->login.host = xstrdup("127.0.0.1");
        vp->login.port = port;
        break;
    }
    if (vp->login.host)
        vm->address = xstrdup(vp->login.host);
    keep_definition(vms, vm);
    return 0;
}

/* The clone of VM i named by the config (image_name_<vm>) but not its master: clone
 * the image the case names for every VM, not the clone itself; and a relative clone
 * name with no images_base_dir lives beside an absolute master (where avocado-vt's
 * images_base_dir puts both): the daemons cannot resolve a path relative to vtrun's
 * working directory. */
static void config_named_clone(struct virt_vms *vms, size_t i, const char *image)
{
    const struct params *p = vms->conf.params;
    const char *vm = vms->vm[i].name;
    struct vm_priv *vp = V(vms, i);
    char *key = xasprintf("image_name_%s", vm);
    struct params *vmp = params_object(p, vm);
    struct params *vip = params_object(vmp, image);
    struct params *ip = params_object(p, image);
    const char *master = params_get(vip, "master_image_name");
    if (!master && params_get(ip, "image_name")) {
        master = params_get(ip, "image_name");
        vp->clone_master = xstrdup(master);
    }
    const char *clone = params_get(p, key);
    const char *slash = master ? strrchr(master, '/') : NULL;
    if (slash && clone[0] != '/' && master[0] == '/' && !params_get(vip, "images_base_dir"))
        vp->clone_name = xasprintf("%.*s/%s", (int)(slash - master), master, clone);
    /* With --jobs, every worker but the first adds its slot: two workers cloning the
     * one name the config gives would write one file.  The first worker (and a job
     * without --jobs) keeps the config's name, as avocado-vt would use it. */
    if (vms->conf.slot > 0) {
        char *own = xasprintf("%s-w%u", vp->clone_name ? vp->clone_name : clone,
                              vms->conf.slot);
        free(vp->clone_name);
        vp->clone_name = own;
    }
    params_free(ip);
    params_free(vip);
    params_free(vmp);
    free(key);
}

/* image_clone_dir (vtrun extension): the clones go there instead of beside their
 * master; images_dir / shared_dir name the first host's directories of the settings
 * (the same path on every host).  The clone's name without directory otherwise. */
static char *clone_dir_name(struct virt_vms *vms, const struct params *ip, const char *image)
{
    const char *dir = params_get(ip, "image_clone_dir");
    const char *base = strrchr(image, '/');
    if (!dir || !*dir)
        return xstrdup(image);
    if (!strcmp(dir, "images_dir") || !strcmp(dir, "shared_dir")) {
        const struct virt_vms_host *h = vms->conf.nhosts ? &P(vms)->hosts[0] : NULL;
        dir = !h ? NULL : !strcmp(dir, "images_dir") ? h->images_dir : h->shared_dir;
        if (!dir)
            return xstrdup(image);      /* checked in setup: not reached */
    }
    return xasprintf("%s/%s", dir, base ? base + 1 : image);
}

/* Clone names unique to the job and slot (<image_name>_<vm>-<id7>-<slot>) unless the
 * config names them (then <name>-w<slot> from the second worker on) or clones are
 * kept for reuse: with --jobs, two slots cloning
 * "image_vm1" at once would share one file.  The names go to virt_images_clone(),
 * never into the params. */
static void unique_clone_names(struct virt_vms *vms)
{
    const struct params *p = vms->conf.params;
    bool keep = params_get_bool(p, "keep_image_clones", false, NULL);
    char **images = params_objects(p, "master_images_clone");
    P(vms)->names = xcalloc(vms->n + 1, sizeof(*P(vms)->names));
    for (size_t i = 0; images[0] && i < vms->n; i++) {
        const char *vm = vms->vm[i].name;
        struct vm_priv *vp = V(vms, i);
        char *key = xasprintf("image_name_%s", vm);
        if (params_get(p, key)) {
            config_named_clone(vms, i, images[0]);
        } else if (!keep) {
            struct params *vmp = params_object(p, vm);
            struct params *ip = params_object(vmp, images[0]);
            const char *job = vms->conf.job_id ? vms->conf.job_id : "vtrun";
            const char *image = params_get_or(ip, "image_name", "image");
            char *name = clone_dir_name(vms, ip, image);
            vp->clone_name = xasprintf("%s_%s-%.7s-%u", name, vm, job, vms->conf.slot);
            free(name);
            /* the clone takes image_name_<vm>; its source must stay the master */
            if (!params_get(ip, "master_image_name"))
                vp->clone_master = xstrdup(image);
            params_free(ip);
            params_free(vmp);
        }
        P(vms)->names[i] = (struct virt_clone_name){ .vm = vm, .name = vp->clone_name,
                                                     .master = vp->clone_master };
        free(key);
    }
    params_strv_free(images);
}

int virt_backend_check(const char *name)
{
    return be_lookup(name) ? 0 : -1;
}

/* The qemu backend's run directories (QMP sockets, pidfiles, QEMU's own log while it
 * runs): <runtime>/qemu/<job7>-<slot>-local-a|b.  Short, whatever the results path
 * (a UNIX socket's path has 108 bytes), and on the machine's runtime tmpfs beside the
 * ledgers that name the pidfiles in them. */
static int qemu_run_dirs(struct virt_vms *vms)
{
    const struct virt_vms_conf *conf = &vms->conf;
    char *top = xasprintf("%s/qemu", virt_runtime_dir());
    int rc = 0;
    if ((mkdir(virt_runtime_dir(), 0700) < 0 && errno != EEXIST) ||
        (mkdir(top, 0700) < 0 && errno != EEXIST))
        rc = virt_failf(VIRT_ERR_CREATE, NULL, "qemu backend: cannot create %s: %s", top,
                        strerror(errno));
    P(vms)->run_dirs = xcalloc(2, sizeof(char *));
    for (int h = 0; h < 2; h++) {
        if (conf->job_id)
            P(vms)->run_dirs[h] = xasprintf("%s/%.7s-%u-%s", top, conf->job_id, conf->slot,
                                            virt_vms_host_name(vms, h));
        else
            P(vms)->run_dirs[h] = xasprintf("%s/pid%ld-%u-%s", top, (long)getpid(),
                                            conf->slot, virt_vms_host_name(vms, h));
    }
    free(top);
    return rc;
}

int virt_vms_setup(const struct virt_vms_conf *conf, struct virt_vms *vms)
{
    struct vms_priv *pv = xcalloc(1, sizeof(*pv));
    memset(vms, 0, sizeof(*vms));
    vms->conf = *conf;
    vms->priv = pv;
    pv->hosts = xcalloc(conf->nhosts + 1, sizeof(*pv->hosts));
    for (size_t h = 0; h < conf->nhosts; h++)
        pv->hosts[h] = conf->hosts[h];
    vms->conf.hosts = pv->hosts;
    pv->known_hosts = xasprintf("%s/known_hosts", conf->outdir);
    vms->be = be_lookup(conf->backend);
    if (!vms->be) {
        err_set("unknown backend '%s' (vm_type / --backend: libvirt or qemu)", conf->backend);
        return -1;
    }
    vms->nhosts = local_hosts(vms) ? 2 : conf->nhosts;
    vms->hosts = xcalloc(vms->nhosts ? vms->nhosts : 1, sizeof(*vms->hosts));
    if (local_hosts(vms) && qemu_run_dirs(vms) < 0)
        return -1;
    char **names = params_objects(conf->params, "vms");
    vms->n = params_strv_len(names);
    vms->vm = xcalloc(vms->n ? vms->n : 1, sizeof(*vms->vm));
    for (size_t i = 0; i < vms->n; i++) {
        struct virt_vm *vm = &vms->vm[i];
        vm->name = xstrdup(names[i]);
        vm->priv = xcalloc(1, sizeof(struct vm_priv));
        vm->host = -1;
        vm->domain = xasprintf("%s-%.7s-%u", vm->name, conf->job_id ? conf->job_id : "vtrun",
                               conf->slot);
    }
    params_strv_free(names);
    for (size_t h = 0; h < conf->nhosts && !local_hosts(vms); h++)
        pv->host_consoles |= conf->hosts[h].remote;
    if (check_clone_dir(vms) < 0)
        return -1;
    /* clones planned first: the specs use their names; each is made where its VM
     * first starts */
    unique_clone_names(vms);
    if (virt_images_plan(conf->params, pv->names, &pv->clones) < 0)
        return -1;
    for (size_t i = 0; i < vms->n; i++)
        if (setup_vm(vms, i) < 0)
            return -1;
    return 0;
}

/* Host h's transport and daemon connection, in a thread of virt_vms_connect. */
struct connect_job {
    struct virt_vms *vms;
    int h;
    int rc;
    char *err;
    pthread_t tid;
    bool threaded;
};

static void *connect_main(void *arg)
{
    struct connect_job *c = arg;
    struct virt_host *link;
    c->rc = link_of(c->vms, c->h, &link) < 0 || !host(c->vms, c->h) ? -1 : 0;
    if (c->rc < 0)
        c->err = xstrdup(err_msg());
    return NULL;
}

/* The hosts at once, one thread each: each is an SSH login and a daemon connection
 * (over qemu+ssh another SSH login), which queued host after host in every test's
 * setup.  The first host in order that failed names the error. */
int virt_vms_connect(struct virt_vms *vms, size_t n)
{
    n = n < vms->nhosts ? n : vms->nhosts;
    struct connect_job *c = xcalloc(n ? n : 1, sizeof(*c));
    int rc = 0;
    for (size_t h = 0; h < n; h++) {
        c[h] = (struct connect_job){ .vms = vms, .h = (int)h };
        c[h].threaded = n > 1 && pthread_create(&c[h].tid, NULL, connect_main, &c[h]) == 0;
    }
    for (size_t h = 0; h < n; h++) {
        if (c[h].threaded)
            pthread_join(c[h].tid, NULL);
        else
            connect_main(&c[h]);
    }
    for (size_t h = 0; h < n; h++) {
        if (c[h].rc < 0 && rc == 0) {
            err_set("%s", c[h].err);
            rc = -1;
        }
        free(c[h].err);
    }
    free(c);
    return rc;
}

/* image_clone_dir = images_dir | shared_dir needs the settings to say where that is. */
static int check_clone_dir(struct virt_vms *vms)
{
    char **images = params_objects(vms->conf.params, "master_images_clone");
    int rc = 0;
    for (size_t i = 0; images[0] && i < vms->n && rc == 0; i++) {
        struct params *vmp = params_object(vms->conf.params, vms->vm[i].name);
        struct params *ip = params_object(vmp, images[0]);
        const char *dir = params_get(ip, "image_clone_dir");
        const struct virt_vms_host *h = vms->conf.nhosts ? &P(vms)->hosts[0] : NULL;
        if (dir && !strcmp(dir, "images_dir") && !(h && h->images_dir))
            rc = virt_failf(VIRT_ERR_CREATE, vms->vm[i].name, "image_clone_dir = images_dir, "
                            "but the settings give host %s no images_dir", h ? h->name : "?");
        else if (dir && !strcmp(dir, "shared_dir") && !(h && h->shared_dir))
            rc = virt_failf(VIRT_ERR_CREATE, vms->vm[i].name, "image_clone_dir = shared_dir, "
                            "but the settings give host %s no shared_dir", h ? h->name : "?");
        params_free(ip);
        params_free(vmp);
    }
    params_strv_free(images);
    return rc;
}

/* Grow the per-clone leftover handles to the clones planned so far. */
static void grow_clone_leftovers(struct vms_priv *pv)
{
    if (pv->nclone_leftover < pv->clones.n) {
        pv->clone_leftover = xrealloc(pv->clone_leftover,
                                      pv->clones.n * sizeof(*pv->clone_leftover));
        memset(pv->clone_leftover + pv->nclone_leftover, 0,
               (pv->clones.n - pv->nclone_leftover) * sizeof(*pv->clone_leftover));
        pv->nclone_leftover = pv->clones.n;
    }
}

/* Which host a file on link is on, for the ledger: its daemon's URI in the settings
 * (host names repeat between labs and settings files; the URI names the machine),
 * "" for this machine. */
static const char *file_host(struct virt_vms *vms, int h, struct virt_host *link)
{
    if (!link || virt_host_is_local(link) || h < 0 || (size_t)h >= vms->conf.nhosts)
        return "";
    return P(vms)->hosts[h].uri ? P(vms)->hosts[h].uri : virt_host_name(link);
}

/* Another running job's ledger that holds path (on host hkey): its description
 * into who.  Called under the machine lock, so two jobs cannot both claim a path. */
static bool claimed_elsewhere(const char *hkey, const char *path, struct strbuf *who)
{
    struct virt_ledger *all;
    size_t n;
    struct strbuf bad = STRBUF_INIT;
    bool found = false;
    if (virt_ledger_scan(&all, &n, &bad) < 0) {
        err_clear();
        n = 0;
        all = NULL;
    }
    for (size_t l = 0; l < n; l++) {
        bool other = all[l].alive && all[l].pid != (long)getpid();
        for (size_t e = 0; !found && other && e < all[l].n; e++) {
            const struct virt_res *r = &all[l].v[e].res;
            if (r->kind == VIRT_RES_CLONE && !strcmp(r->name, path) &&
                (!*r->host || !*hkey || !strcmp(r->host, hkey))) {
                strbuf_addf(who, "job %s (vtrun pid %ld)", all[l].job_id, all[l].pid);
                found = true;
            }
        }
        virt_ledger_free(&all[l]);
    }
    free(all);
    strbuf_release(&bad);
    return found;
}

/* A clone (or copy) at path on link into the leftovers and the ledger, before it is
 * made: its handle, 0 + err when the ledger cannot record it. */
static unsigned long note_clone(struct virt_vms *vms, int h, struct virt_host *link,
                                const char *path)
{
    bool remote = link && !virt_host_is_local(link);
    const char *hname = remote ? virt_host_name(link) : "";
    char *what = remote ? xasprintf("image clone %s on host %s", path, hname)
                        : xasprintf("image clone %s", path);
    char *rm = xasprintf("rm -f %s", path);
    char *how = virt_host_hint(remote ? link : NULL, rm);
    struct virt_res r = { VIRT_RES_CLONE, (char *)vms->be->name,
                          (char *)file_host(vms, h, link), (char *)path };
    unsigned long handle = virt_leftover_add_res(&r, what, how);
    free(rm);
    free(what);
    free(how);
    return handle;
}

/*
 * Before clone c is made on link: prove the path is ours to write and later remove.
 * A path another running job holds is refused; a file already there is refused
 * unless the config asks to re-use kept clones (keep_image_clones) or to overwrite
 * (force_image_clone): vtrun never removes a file it did not create in this job.
 * Then the clone goes into the ledger before it exists.
 */
static int claim_clone(struct virt_vms *vms, size_t c, int h, struct virt_host *link)
{
    struct vms_priv *pv = P(vms);
    const struct virt_clone *cl = &pv->clones.v[c];
    bool remote = link && !virt_host_is_local(link);
    const char *hname = remote ? virt_host_name(link) : "";
    struct params *vmp = params_object(vms->conf.params, cl->vm);
    struct params *ip = params_object(vmp, cl->image);
    bool keep = params_get_bool(ip, "keep_image_clones", false, NULL);
    bool force = params_get_bool(ip, "force_image_clone", false, NULL);
    struct strbuf who = STRBUF_INIT;
    int lock = virt_machine_lock(), rc = 0;
    if (lock < 0) {
        rc = virt_failf(VIRT_ERR_CREATE, cl->vm, "clone %s: %s", cl->path, err_msg());
    } else if (claimed_elsewhere(file_host(vms, h, link), cl->path, &who)) {
        rc = virt_failf(VIRT_ERR_CREATE, cl->vm, "clone %s%s%s is in use by running %s: "
                        "not touched (give each job its own image_name_%s)", cl->path,
                        remote ? " on " : "", hname, who.buf, cl->vm);
    } else if (!keep && !force && virt_image_exists(link, cl->path, VC(vms)) == 1) {
        rc = virt_failf(VIRT_ERR_CREATE, cl->vm, "clone %s%s%s exists and was not created "
                        "by this job: not re-used or removed (remove it, or set "
                        "force_image_clone = yes to overwrite it)", cl->path,
                        remote ? " on " : "", hname);
    } else if (!(pv->clone_leftover[c] = note_clone(vms, h, link, cl->path))) {
        rc = virt_failf(VIRT_ERR_CREATE, cl->vm, "%s", err_msg());
    }
    virt_machine_unlock(lock);
    strbuf_release(&who);
    params_free(ip);
    params_free(vmp);
    return rc;
}

/* VM i's clones not made yet, made on host h (where it starts). */
static int make_clones(struct virt_vms *vms, size_t i, int h)
{
    struct virt_host *link;
    if (link_of(vms, h, &link) < 0)
        return -1;
    struct vms_priv *pv = P(vms);
    grow_clone_leftovers(pv);
    for (size_t c = 0; c < pv->clones.n; c++) {
        const struct virt_clone *cl = &pv->clones.v[c];
        if (cl->owned && !cl->made && !pv->clone_leftover[c] &&
            !strcmp(cl->vm, vms->vm[i].name) && claim_clone(vms, c, h, link) < 0)
            return -1;
    }
    return virt_images_make(vms->conf.params, &pv->clones, vms->vm[i].name, link, VC(vms));
}

int virt_vms_host_info(struct virt_vms *vms, int h, struct be_host_info *out)
{
    struct be_host *bh = host(vms, h);
    memset(out, 0, sizeof(*out));
    if (!bh)
        return -1;
    if (!vms->be->host_info) {
        err_set("backend %s cannot describe a host", vms->be->name);
        return -1;
    }
    if (vms->be->host_info(bh, out) < 0) {
        err_prefix("host %s", virt_vms_host_name(vms, h));
        return -1;
    }
    /* what libvirt does not tell (the OS, the kernel), from the host itself */
    struct virt_host *link;
    if (!out->os_id && !out->kernel_release && link_of(vms, h, &link) == 0 && link &&
        virt_hostop_facts(link, out) < 0)
        vlog(vms, "host %s: OS facts unknown: %s", virt_vms_host_name(vms, h), err_msg());
    err_clear();
    return 0;
}

int virt_vms_host_free_mem(struct virt_vms *vms, int h, unsigned long long *bytes)
{
    struct be_host *bh = host(vms, h);
    struct be_host_info info;
    int rc;
    if (!bh)
        return -1;
    if (vms->be->free_mem) {
        rc = vms->be->free_mem(bh, bytes);
    } else if (!vms->be->host_info) {
        err_set("backend %s cannot describe a host", vms->be->name);
        rc = -1;
    } else if ((rc = vms->be->host_info(bh, &info)) == 0) {
        *bytes = info.free_mem_bytes;
        be_host_info_free(&info);
    }
    if (rc < 0)
        err_prefix("host %s", virt_vms_host_name(vms, h));
    return rc;
}

int virt_vms_state(struct virt_vms *vms, size_t i, int h, enum be_state *out)
{
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    return vms->be->state(bh, vms->vm[i].domain, out);
}

/* The VM runs on host h now: with host consoles, its file there is ours to copy and
 * remove. */
static void console_visit(struct virt_vms *vms, size_t i, int h)
{
    struct console_copy *c = V(vms, i)->con ? &V(vms, i)->con[h] : NULL;
    if (!c || c->visited)
        return;
    c->visited = true;
    char *what = xasprintf("console log %s on host %s", vms->vm[i].console_log,
                           virt_vms_host_name(vms, h));
    struct virt_host *link = NULL;
    if (link_of(vms, h, &link) < 0)
        err_clear();    /* the hint names the file; the transport's error comes later */
    char *rm = xasprintf("rm -f %s", vms->vm[i].console_log);
    char *how = virt_host_hint(link, rm);
    free(rm);
    struct virt_res r = { VIRT_RES_FILE, (char *)vms->be->name,
                          (char *)file_host(vms, h, link), vms->vm[i].console_log };
    /* no transport: where the file is cannot be written down, only said */
    c->leftover = link ? virt_leftover_add_res(&r, what, how) : 0;
    if (!c->leftover)       /* the ledger failed: still said at a skipped cleanup */
        c->leftover = virt_leftover_add(what, how);
    free(what);
    free(how);
}

static int plan_first(struct virt_vms *vms, size_t i, int h);
static void address_probe(struct virt_vms *vms, size_t i);
static int make_on_saved(struct virt_vms *vms, size_t i, int h);

int virt_vms_prepare_disks(struct virt_vms *vms, size_t i, int h)
{
    struct vm_priv *vp = V(vms, i);
    if (!host(vms, h) || plan_first(vms, i, h) < 0)
        return -1;
    /* the start follows the pre-checks: its address probe overlaps them */
    address_probe(vms, i);
    if (vp->saved_entry && !vp->seed && !vp->on_saved && !vp->started)
        return make_on_saved(vms, i, h);
    return make_clones(vms, i, h);
}

int virt_vms_domain(struct virt_vms *vms, int h, const char *name, enum be_state *st,
                    bool *persistent)
{
    struct be_host *bh = host(vms, h);
    if (!bh || vms->be->state(bh, name, st) < 0)
        return -1;
    *persistent = false;
    return *st == BE_STATE_NONE ? 0 : vms->be->persistent(bh, name, persistent);
}

int virt_vms_remove_domain(struct virt_vms *vms, int h, const char *name)
{
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    vlog(vms, "remove domain %s on %s", name, virt_vms_host_name(vms, h));
    return vms->be->destroy(bh, name) < 0 || vms->be->undefine(bh, name) < 0 ? -1 : 0;
}

int virt_vms_suspend(struct virt_vms *vms, size_t i)
{
    struct be_host *bh = host(vms, vms->vm[i].host);
    return bh ? vms->be->suspend(bh, vms->vm[i].domain) : -1;
}

int virt_vms_resume(struct virt_vms *vms, size_t i)
{
    struct be_host *bh = host(vms, vms->vm[i].host);
    return bh ? vms->be->resume(bh, vms->vm[i].domain) : -1;
}

int virt_vms_set_vcpus(struct virt_vms *vms, size_t i, unsigned n)
{
    struct be_host *bh = host(vms, vms->vm[i].host);
    if (!bh)
        return -1;
    if (!vms->be->set_vcpus) {
        err_set("%s: vCPU hotplug: not supported by the %s backend", vms->vm[i].name,
                vms->be->name);
        return -1;
    }
    vlog(vms, "%s: setvcpus %u --live on %s", vms->vm[i].name, n,
         virt_vms_host_name(vms, vms->vm[i].host));
    return vms->be->set_vcpus(bh, vms->vm[i].domain, n);
}

int virt_vms_vcpus(struct virt_vms *vms, size_t i, unsigned *out)
{
    struct be_host *bh = host(vms, vms->vm[i].host);
    if (!bh)
        return -1;
    if (!vms->be->vcpus) {
        err_set("%s: vCPU count: not supported by the %s backend", vms->vm[i].name,
                vms->be->name);
        return -1;
    }
    return vms->be->vcpus(bh, vms->vm[i].domain, out);
}

int virt_vms_attach_dimm(struct virt_vms *vms, size_t i, unsigned long size_kib, int node)
{
    struct be_host *bh = host(vms, vms->vm[i].host);
    if (!bh)
        return -1;
    if (!vms->be->attach_dimm) {
        err_set("%s: memory hotplug: not supported by the %s backend", vms->vm[i].name,
                vms->be->name);
        return -1;
    }
    vlog(vms, "%s: attach a DIMM of %lu KiB on guest node %d", vms->vm[i].name, size_kib,
         node);
    return vms->be->attach_dimm(bh, vms->vm[i].domain, size_kib, node);
}

int virt_vms_memory(struct virt_vms *vms, size_t i, unsigned long *cur_kib)
{
    struct be_host *bh = host(vms, vms->vm[i].host);
    if (!bh)
        return -1;
    if (!vms->be->memory) {
        err_set("%s: current memory: not supported by the %s backend", vms->vm[i].name,
                vms->be->name);
        return -1;
    }
    return vms->be->memory(bh, vms->vm[i].domain, cur_kib);
}

int virt_vms_attach_nic(struct virt_vms *vms, size_t i, char **mac)
{
    struct be_vm_spec *spec = vms->vm[i].spec;
    struct be_host *bh = host(vms, vms->vm[i].host);
    unsigned char r[3] = { 0 };
    FILE *f;

    *mac = NULL;
    if (!bh)
        return -1;
    if (!vms->be->attach_nic) {
        err_set("%s: NIC hotplug: not supported by the %s backend", vms->vm[i].name,
                vms->be->name);
        return -1;
    }
    /* a locally administered QEMU MAC of its own, so the check after finds it */
    f = fopen("/dev/urandom", "rb");
    if (!f || fread(r, 1, sizeof(r), f) != sizeof(r)) {
        if (f)
            fclose(f);
        err_set("%s: NIC hotplug: no random MAC (/dev/urandom)", vms->vm[i].name);
        return -1;
    }
    fclose(f);
    struct be_nic nic = { .mode = "user" };
    if (spec->nnics)
        nic = (struct be_nic){ .mode = spec->nics[0].mode, .bridge = spec->nics[0].bridge,
                               .model = spec->nics[0].model };
    *mac = xasprintf("52:54:00:%02x:%02x:%02x", r[0], r[1], r[2]);
    nic.mac = *mac;
    vlog(vms, "%s: attach a NIC %s (%s %s) --live --config", vms->vm[i].name, *mac,
         nic.mode ? nic.mode : "user", nic.bridge ? nic.bridge : "");
    if (vms->be->attach_nic(bh, vms->vm[i].domain, &nic) < 0) {
        free(*mac);
        *mac = NULL;
        return -1;
    }
    return 0;
}

char *virt_vms_migratable_def(struct virt_vms *vms, size_t i, const char *rename)
{
    struct be_host *bh = host(vms, vms->vm[i].host);
    if (!bh)
        return NULL;
    if (!vms->be->migratable_def) {
        err_set("%s: definition for --xml: not supported by the %s backend",
                vms->vm[i].name, vms->be->name);
        return NULL;
    }
    return vms->be->migratable_def(bh, vms->vm[i].domain, rename);
}

int virt_vms_has_mac(struct virt_vms *vms, int h, const char *name, const char *mac)
{
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    if (!vms->be->has_mac) {
        err_set("NIC lookup: not supported by the %s backend", vms->be->name);
        return -1;
    }
    return vms->be->has_mac(bh, name, mac);
}

int virt_vms_on_hugepages(struct virt_vms *vms, int h, const char *name)
{
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    if (!vms->be->on_hugepages) {
        err_set("huge pages lookup: not supported by the %s backend", vms->be->name);
        return -1;
    }
    return vms->be->on_hugepages(bh, name);
}

int virt_vms_define_as(struct virt_vms *vms, size_t i, int h, const char *name)
{
    struct be_host *bh = host(vms, h);
    struct be_vm_spec copy;
    int rc;

    if (!bh)
        return -1;
    be_vm_spec_copy(&copy, vms->vm[i].spec);
    free(copy.name);
    copy.name = xstrdup(name);
    /* its own console file: two domains appending to one would mix their lines */
    free(copy.console_log);
    copy.console_log = NULL;
    vlog(vms, "%s: define a copy named %s on %s", vms->vm[i].name, name,
         virt_vms_host_name(vms, h));
    rc = vms->be->define(bh, &copy);
    be_vm_spec_free(&copy);
    return rc;
}

void virt_vms_reconnect(struct virt_vms *vms, int h)
{
    if (h < 0 || (size_t)h >= vms->nhosts || !vms->hosts[h])
        return;
    vms->be->close(vms->hosts[h]);
    vms->hosts[h] = NULL;
}

int virt_vms_open_uri(struct virt_vms *vms, const char *uri)
{
    struct be_host_conf conf = { .uri = uri };
    struct be_host *bh = vms->be->open(&conf);
    if (!bh)
        return -1;
    vms->be->close(bh);
    return 0;
}

static void drop_session(struct virt_vms *vms, size_t i);

/* Domain name on bh into the leftovers and (for daemons that outlive vtrun: not the
 * qemu backend's QEMUs on this machine) the ledger, before it is defined. */
static unsigned long note_domain(struct virt_vms *vms, struct be_host *bh, const char *name)
{
    const char *uri = vms->be->uri(bh);
    char *what = xasprintf("domain %s on %s", name, uri);
    char *how = xasprintf("virsh -c '%s' destroy %s; virsh -c '%s' undefine %s",
                          uri, name, uri, name);
    struct virt_res r = { VIRT_RES_DOMAIN, (char *)vms->be->name, (char *)uri, (char *)name };
    unsigned long h = local_hosts(vms) ? virt_leftover_add(what, how)
                                       : virt_leftover_add_res(&r, what, how);
    free(what);
    free(how);
    return h;
}

int virt_vms_define(struct virt_vms *vms, size_t i, int h)
{
    struct virt_vm *vm = &vms->vm[i];
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    if (make_clones(vms, i, h) < 0)
        return -1;
    vlog(vms, "%s: define domain %s on %s", vm->name, vm->domain, virt_vms_host_name(vms, h));
    console_visit(vms, i, h);
    keep_definition(vms, vm);
    if (!V(vms, i)->leftover && !(V(vms, i)->leftover = note_domain(vms, bh, vm->domain)))
        return virt_failf(VIRT_ERR_CREATE, vm->name, "%s", err_msg());
    return vms->be->define(bh, vm->spec);
}

/* Whether VM i reaches the network through a bridge (its address is on a LAN other
 * guests share), rather than user-mode networking behind a private forward. */
static bool bridged(const struct virt_vms *vms, size_t i)
{
    const struct be_vm_spec *sp = vms->vm[i].spec;
    for (size_t n = 0; sp && n < sp->nnics; n++)
        if (sp->nics[n].mode && !strcmp(sp->nics[n].mode, "bridge"))
            return true;
    return false;
}

/* Before VM i starts: nobody answers at its address.  Something that does is
 * another guest (a dead job's leftover, another job's VM, a static address on the
 * LAN), and logging into it would test the wrong machine.  One ICMP echo with 0.3 s
 * for its answer, sent when the disks are prepared or the start begins: the wait
 * overlaps the pre-checks or the making of the disks, and address_free() reads the
 * verdict just before the launch. */
static void address_probe(struct virt_vms *vms, size_t i)
{
    const char *ip = V(vms, i)->login.host;
    if (!ip || !bridged(vms, i) || V(vms, i)->probe)
        return;
    struct spawn *c = spawn_new("ping");
    spawn_args(c, "-c", "1", "-W", "0.3", "-q", "-n", "--", ip, NULL);
    spawn_set_output_file(c, "/dev/null");
    spawn_set_timeout(c, 5);
    if (spawn_start(c) < 0) {
        vlog(vms, "%s: address %s not probed: %s", vms->vm[i].name, ip, err_msg());
        err_clear();
        spawn_free(c);
        return;
    }
    V(vms, i)->probe = c;
}

static int address_free(struct virt_vms *vms, size_t i)
{
    struct spawn *c = V(vms, i)->probe;
    const char *ip = V(vms, i)->login.host;
    int st = -1;
    if (!c)
        return 0;
    V(vms, i)->probe = NULL;
    int rc = spawn_wait(c, &st);
    spawn_free(c);
    if (rc < 0) {
        vlog(vms, "%s: address %s not probed: %s", vms->vm[i].name, ip, err_msg());
        err_clear();
        return 0;
    }
    if (st == 0)
        return virt_failf(VIRT_ERR_ADDRESS, vms->vm[i].name, "address %s answers before "
                          "%s is started: another machine holds it (a leftover guest?); "
                          "not started", ip, vms->vm[i].domain);
    return 0;
}

/* ---- restore boots (vm_boot_mode = restore; the cache is virt/virt_saved.c) ---- */

void virt_vms_boot_restore(struct virt_vms *vms, const char *why_cold)
{
    P(vms)->restore = true;
    free(P(vms)->why_cold);
    P(vms)->why_cold = why_cold ? xstrdup(why_cold) : NULL;
}

bool virt_vms_restored(const struct virt_vms *vms, size_t i)
{
    return ((const struct vm_priv *)vms->vm[i].priv)->restored;
}

/* The clone standing for disk path of VM i, NULL when none (the disk is not ours). */
static struct virt_clone *disk_clone(struct virt_vms *vms, size_t i, const char *path)
{
    struct virt_clones *cl = &P(vms)->clones;
    for (size_t c = 0; c < cl->n; c++)
        if (!strcmp(cl->v[c].vm, vms->vm[i].name) && !strcmp(cl->v[c].path, path))
            return &cl->v[c];
    return NULL;
}

/* Why VM i's guest cannot be saved once and restored in other cases as it is (caller
 * frees); NULL: it can.  Devices a test adds or reshapes make another guest, and
 * only a disk that is a fresh overlay on a master can take a saved overlay's place. */
static char *unrestorable(struct virt_vms *vms, size_t i)
{
    const struct be_vm_spec *sp = vms->vm[i].spec;
    if (!vms->be->save || !vms->be->restore_as)
        return xasprintf("the %s backend cannot restore a saved guest", vms->be->name);
    if (sp->nnuma || sp->numatune.mode)
        return xstrdup("the test sets guest NUMA cells or a NUMA binding");
    if (sp->hugepages.on)
        return xstrdup("the guest's memory is on huge pages");
    if (sp->max_mem_kib || (sp->max_vcpus && sp->max_vcpus != sp->smp))
        return xstrdup("the guest has memory or vCPU hotplug room");
    if (sp->nnics > 1 || sp->ndisks != 1)
        return xasprintf("the guest has %zu disks and %zu NICs (one of each is restored)",
                         sp->ndisks, sp->nnics);
    const struct virt_clone *c = disk_clone(vms, i, sp->disks[0].path);
    if (!c || !c->owned || !c->linked || !c->master)
        return xasprintf("disk %s is not a linked clone of a qcow2 master",
                         sp->disks[0].path);
    return NULL;
}

/* What the saved guest's key of vm hashes, kept with the results as
 * <vm>.saved-key.txt: two runs' files say why one did not find the other's guest. */
static void keep_key_text(struct virt_vms *vms, const struct virt_vm *vm,
                          const struct strbuf *what)
{
    char *path = xasprintf("%s/%s.saved-key.txt", vms->conf.outdir, vm->name);
    FILE *f = fopen(path, "w");
    if (f) {
        fwrite(what->buf, 1, what->len, f);
        fclose(f);
    }
    free(path);
}

/* At VM i's first start on h: its saved guest's entry, or the reason it boots cold
 * (logged). */
static void plan_restore(struct virt_vms *vms, size_t i, int h)
{
    struct virt_vm *vm = &vms->vm[i];
    char *why = P(vms)->why_cold ? xstrdup(P(vms)->why_cold) : unrestorable(vms, i);
    struct virt_host *link = NULL;
    if (!why && link_of(vms, h, &link) < 0)
        why = xasprintf("host %s: %s", virt_vms_host_name(vms, h), err_msg());
    if (!why) {
        const char *master = disk_clone(vms, i, vm->spec->disks[0].path)->master;
        struct strbuf what = STRBUF_INIT;
        char *key = virt_saved_key(vms->be, vm->spec, &master, link, &what);
        keep_key_text(vms, vm, &what);
        strbuf_release(&what);
        if (key) {
            V(vms, i)->saved_entry = virt_saved_entry(master, key);
            /* a saved state restores under the name it was saved with (libvirt checks
             * it): one name per saved guest.  Still unique among running domains: the
             * key holds the guest's address, which no two running guests share. */
            free(vm->domain);
            vm->domain = xasprintf("%s-saved-%.12s", vm->name, key);
            free(vm->spec->name);
            vm->spec->name = xstrdup(vm->domain);
        } else
            why = xasprintf("no key for its guest: %s", err_msg());
        free(key);
    }
    if (why)
        virt_logf(VC(vms), VIRT_LOG_INFO, "%s: cold boot (vm_boot_mode = restore): %s",
                  vm->name, why);
    err_clear();
    free(why);
}

/* A saved guest that does not restore (the hosts' QEMU changed since, the entry was
 * damaged): dropped from the cache, and VM i boots cold on a fresh clone of its master
 * and is saved anew after its login. */
static int restore_failed(struct virt_vms *vms, size_t i, int h, struct virt_host *link,
                          struct virt_clone *c)
{
    struct virt_vm *vm = &vms->vm[i];
    struct vm_priv *vp = V(vms, i);
    const char *rm_argv[] = { "rm", "-rf", "--", vp->saved_entry, NULL };
    virt_logf(VC(vms), VIRT_LOG_WARN, "%s: the saved guest %s does not restore (%s): "
              "removed; cold boot, saved anew", vm->name, vp->saved_entry, err_msg());
    err_clear();
    vp->restored = false;
    vm->host = -1;
    if (vms->be->destroy(host(vms, h), vm->domain) < 0 ||
        vms->be->undefine(host(vms, h), vm->domain) < 0 ||
        virt_saved_run(link, rm_argv, NULL) < 0 ||
        virt_image_remove(link, c->path, VC(vms)) < 0)
        return -1;
    c->made = false;
    vp->on_saved = false;
    vp->seed = true;
    if (virt_vms_define(vms, i, h) < 0)
        return -1;
    vm->host = h;
    return launch_start(vms, i, h);
}

/* VM i's overlay made over its saved guest's disk: the clone's master swapped for this
 * one make. */
static int make_on_saved(struct virt_vms *vms, size_t i, int h)
{
    struct vm_priv *vp = V(vms, i);
    struct virt_clone *c = disk_clone(vms, i, vms->vm[i].spec->disks[0].path);
    char *master = c->master, *saved = virt_saved_file(vp->saved_entry, 0);
    c->master = saved;
    int rc = make_clones(vms, i, h);
    c->master = master;
    free(saved);
    vp->on_saved = rc == 0;
    return rc;
}

/* The restore plan of VM i, made once, at its first disk preparation or start: its
 * saved guest's entry (vp->saved_entry; NULL: it boots cold) and whether that is yet
 * to be made (vp->seed).  Made before the disks, the overlay is made once, over the
 * saved disk, not first over the master and again. */
static int plan_first(struct virt_vms *vms, size_t i, int h)
{
    struct vm_priv *vp = V(vms, i);
    struct virt_host *link;
    if (!P(vms)->restore || vp->planned || vp->started)
        return 0;
    vp->planned = true;
    plan_restore(vms, i, h);
    if (!vp->saved_entry)
        return 0;
    if (link_of(vms, h, &link) < 0)
        return -1;
    vp->seed = !virt_saved_exists(link, vp->saved_entry);
    return 0;
}

/* VM i from its saved guest on h: a fresh overlay over the saved one (a clone of this
 * test, in the ledger as any), the domain restored as VM i's own. */
static int start_restored(struct virt_vms *vms, size_t i, int h)
{
    struct virt_vm *vm = &vms->vm[i];
    struct vm_priv *vp = V(vms, i);
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    struct virt_clone *c = disk_clone(vms, i, vm->spec->disks[0].path);
    struct virt_host *link;
    if (link_of(vms, h, &link) < 0)
        return -1;
    /* made over the master before the first start (by a caller that prepared the
     * disks before the plan): never used, so replaced; its ledger entry stays */
    if (!vp->on_saved) {
        if (c->made && virt_image_remove(link, c->path, VC(vms)) < 0)
            return -1;
        c->made = false;
        if (make_on_saved(vms, i, h) < 0)
            return -1;
    }
    virt_logf(VC(vms), VIRT_LOG_INFO, "%s: restore domain %s on %s from the saved guest %s",
              vm->name, vm->domain, virt_vms_host_name(vms, h), vp->saved_entry);
    console_visit(vms, i, h);
    keep_definition(vms, vm);
    if (!vp->leftover && !(vp->leftover = note_domain(vms, bh, vm->domain)))
        return virt_failf(VIRT_ERR_CREATE, vm->name, "%s", err_msg());
    /* an address taken is this start's failure, not the saved guest's */
    if (address_free(vms, i) < 0)
        return -1;
    char *mem = virt_saved_file(vp->saved_entry, -1);
    vm->host = h;
    int rc = launch_restore_as(vms, i, h, mem);
    free(mem);
    vp->restored = rc == 0;
    return rc < 0 ? restore_failed(vms, i, h, link, c) : 0;
}

/* mv FROM TO on link. */
static int move_file(struct virt_host *link, const char *from, const char *to, bool dir)
{
    const char *argv[] = { "mv", dir ? "-T" : "-f", "--", from, to, NULL };
    return virt_saved_run(link, argv, NULL);
}

static void remove_tree(struct virt_host *link, const char *path)
{
    const char *argv[] = { "rm", "-rf", "--", path, NULL };
    if (virt_saved_run(link, argv, NULL) < 0)
        err_clear();
}

/* The guest's free memory zeroed before its save.  QEMU writes every non-zero page of
 * guest RAM into the saved image and a zero page as a flag; the boot leaves most free
 * pages dirty (the kernel's and the initrd's unpacking), so a just-booted 128 MiB guest
 * saves as ~108 MB that every restore reads and loads.  One buffer of most of the free
 * memory filled from /dev/zero and freed leaves those pages zero; what the guest runs
 * is untouched, and the saved image holds what it uses.  Best effort: a guest without
 * these tools is saved as it is. */
static void zero_free_memory(struct virt_vms *vms, size_t i)
{
    static const char cmd[] =
        "sync; echo 3 > /proc/sys/vm/drop_caches; "
        "kb=$(awk '/^MemFree:/ { print int($2 * 0.8) }' /proc/meminfo) && "
        "dd if=/dev/zero of=/dev/null bs=\"$kb\"k count=1 2>/dev/null";
    int st = -1;
    if (virt_vms_exec(vms, i, cmd, 30, NULL, &st) < 0 || st != 0) {
        virt_logf(VC(vms), VIRT_LOG_INFO, "%s: free memory not zeroed before the save "
                  "(exit %d): %s", vms->vm[i].name, st, err_msg());
        err_clear();
    }
}

/*
 * The seed: VM i booted and is logged into.  Its memory is saved and its overlay moved
 * into a temporary entry, renamed into place whole (a worker that lost the race drops
 * its own and uses the winner's: the same guest); then VM i runs on a fresh overlay
 * restored from the entry, as every later case will.
 */
static int seed_saved(struct virt_vms *vms, size_t i)
{
    struct virt_vm *vm = &vms->vm[i];
    struct vm_priv *vp = V(vms, i);
    struct be_host *bh = host(vms, vm->host);
    struct virt_host *link;
    const char *disk = vm->spec->disks[0].path;
    int h = vm->host;
    vp->seed = false;
    if (!bh || link_of(vms, h, &link) < 0)
        return -1;
    char *tmp = xasprintf("%s.tmp-%ld-%u", vp->saved_entry, (long)getpid(), vms->conf.slot);
    char *tmem = virt_saved_file(tmp, -1), *tdisk = virt_saved_file(tmp, 0);
    char *mem = virt_saved_file(vp->saved_entry, -1), *sdisk = virt_saved_file(vp->saved_entry, 0);
    const char *mkdir_argv[] = { "mkdir", "-p", "--", tmp, NULL };
    int rc = -1;
    virt_logf(VC(vms), VIRT_LOG_INFO, "%s: no saved guest yet: save the booted guest as %s",
              vm->name, vp->saved_entry);
    zero_free_memory(vms, i);
    drop_session(vms, i);
    if (virt_saved_run(link, mkdir_argv, NULL) < 0 || vms->be->save(bh, vm->domain, tmem) < 0) {
        /* the guest runs on as booted (a failed save leaves it running) */
        virt_logf(VC(vms), VIRT_LOG_WARN, "%s: guest not saved: %s", vm->name, err_msg());
        err_clear();
        rc = 0;
        goto out;
    }
    vm->host = -1;
    if (move_file(link, disk, tdisk, false) < 0)
        goto out;
    if (move_file(link, tmp, vp->saved_entry, true) < 0) {
        virt_logf(VC(vms), VIRT_LOG_INFO, "%s: %s was saved by another worker meanwhile: "
                  "that one is used", vm->name, vp->saved_entry);
        err_clear();
    }
    if (virt_image_clone_linked(link, sdisk, "qcow2", disk, VC(vms)) < 0)
        goto out;
    virt_logf(VC(vms), VIRT_LOG_INFO, "%s: restore domain %s from the saved guest %s",
              vm->name, vm->domain, vp->saved_entry);
    vm->host = h;
    rc = launch_restore_as(vms, i, h, mem);
    vp->restored = rc == 0;
out:
    if (rc < 0)
        err_prefix("%s: save and restore of the booted guest", vm->name);
    remove_tree(link, tmp);
    free(tmp);
    free(tmem);
    free(tdisk);
    free(mem);
    free(sdisk);
    return rc;
}

/* A restored guest's clock is where it was saved: set from the host's, so what the
 * guest reports after a hop (dmesg times, file times) is not from the past.  Its
 * uptime goes on from the saved one, and the post-hop checks compare it with the
 * uptime read after this login. */
static void set_guest_clock(struct virt_vms *vms, size_t i)
{
    char cmd[64];
    int st = -1;
    V(vms, i)->clock_set = true;
    snprintf(cmd, sizeof(cmd), "date -u -s @%lld >/dev/null", (long long)time(NULL));
    if (virt_vms_exec(vms, i, cmd, 10, NULL, &st) < 0 || st != 0) {
        virt_logf(VC(vms), VIRT_LOG_WARN, "%s: restored guest's clock not set (exit %d): %s",
                  vms->vm[i].name, st, err_msg());
        err_clear();
    }
}

int virt_vms_start(struct virt_vms *vms, size_t i, int h)
{
    struct virt_vm *vm = &vms->vm[i];
    struct vm_priv *vp = V(vms, i);
    address_probe(vms, i);
    if (plan_first(vms, i, h) < 0)
        return -1;
    /* only the first start has a fresh overlay a saved guest may take */
    bool first = !vp->started;
    vp->started = true;
    if (first && vp->saved_entry && !vp->seed)
        return start_restored(vms, i, h);
    if (virt_vms_define(vms, i, h) < 0)
        return -1;
    vlog(vms, "%s: start domain %s on %s", vm->name, vm->domain, virt_vms_host_name(vms, h));
    vm->host = h;
    return launch_start(vms, i, h);
}

int virt_vms_destroy(struct virt_vms *vms, size_t i)
{
    struct virt_vm *vm = &vms->vm[i];
    struct be_host *bh = host(vms, vm->host);
    if (!bh)
        return -1;
    vlog(vms, "%s: destroy domain %s (it stays defined)", vm->name, vm->domain);
    drop_session(vms, i);
    if (vms->be->destroy(bh, vm->domain) < 0)
        return -1;
    vm->host = -1;
    return 0;
}

/* ---- guest administration on the host a VM landed on (virsh start / save / restore /
 * list), and what a failed test leaves as evidence ---- */

int virt_vms_start_defined(struct virt_vms *vms, size_t i, int h)
{
    struct virt_vm *vm = &vms->vm[i];
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    vlog(vms, "%s: start domain %s as defined on %s", vm->name, vm->domain,
         virt_vms_host_name(vms, h));
    drop_session(vms, i);
    if (launch_start(vms, i, h) < 0)
        return -1;
    vm->host = h;
    return 0;
}

static struct be_host *admin_host(struct virt_vms *vms, size_t i, bool has_op)
{
    if (!has_op) {
        err_set("%s: the %s backend cannot do this", vms->vm[i].name, vms->be->name);
        return NULL;
    }
    return host(vms, vms->vm[i].host);
}

int virt_vms_save(struct virt_vms *vms, size_t i, const char *path)
{
    struct virt_vm *vm = &vms->vm[i];
    struct be_host *bh = admin_host(vms, i, vms->be->save != NULL);
    if (!bh)
        return -1;
    vlog(vms, "%s: save domain %s to %s", vm->name, vm->domain, path);
    drop_session(vms, i);
    return vms->be->save(bh, vm->domain, path);
}

int virt_vms_restore(struct virt_vms *vms, size_t i, const char *path)
{
    struct virt_vm *vm = &vms->vm[i];
    struct be_host *bh = admin_host(vms, i, vms->be->restore != NULL);
    if (!bh)
        return -1;
    vlog(vms, "%s: restore domain %s from %s", vm->name, vm->domain, path);
    return launch_restore(vms, i, vm->host, path);
}

int virt_vms_listed(struct virt_vms *vms, size_t i, bool *out)
{
    struct be_host *bh = host(vms, vms->vm[i].host);
    enum be_state st;
    if (!bh)
        return -1;
    if (vms->be->listed)
        return vms->be->listed(bh, vms->vm[i].domain, out);
    if (vms->be->state(bh, vms->vm[i].domain, &st) < 0)
        return -1;
    *out = st == BE_STATE_RUNNING;
    return 0;
}

int virt_vms_dump_xml(struct virt_vms *vms, size_t i, int h, struct strbuf *out)
{
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    if (!vms->be->dump_xml) {
        err_set("the %s backend has no domain XML", vms->be->name);
        return -1;
    }
    return vms->be->dump_xml(bh, vms->vm[i].domain, out);
}

int virt_vms_job_info(struct virt_vms *vms, size_t i, int h, struct strbuf *out)
{
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    if (!vms->be->job_info) {
        err_set("the %s backend keeps no completed job", vms->be->name);
        return -1;
    }
    return vms->be->job_info(bh, vms->vm[i].domain, out);
}

bool virt_vms_opened(const struct virt_vms *vms, int h)
{
    return h >= 0 && (size_t)h < vms->nhosts && vms->hosts && vms->hosts[h];
}

bool virt_vms_host_lost(const struct virt_vms *vms, int h)
{
    return virt_vms_opened(vms, h) && vms->be->lost && vms->be->lost(vms->hosts[h]);
}

static void drop_session(struct virt_vms *vms, size_t i)
{
    if (V(vms, i)->ssh) {
        virt_ssh_close(V(vms, i)->ssh);
        V(vms, i)->ssh = NULL;
    }
}

/* After a login at a bridged address: the guest that answered has a NIC of VM i's
 * domain (its MAC), else it is some other machine at that address and the test would
 * judge the wrong guest.  The guest's MACs over SSH, the domain's from the backend. */
static int its_own_guest(struct virt_vms *vms, size_t i)
{
    struct vm_priv *vp = V(vms, i);
    const struct virt_vm *vm = &vms->vm[i];
    struct strbuf out = STRBUF_INIT;
    int st = -1, rc = 0;
    if (!bridged(vms, i) || vm->host < 0 || !vms->be->has_mac)
        return 0;
    if (virt_ssh_exec(vp->ssh, "cat /sys/class/net/*/address", 10, &st, &out, NULL) < 0 || st) {
        vlog(vms, "%s: the guest's MACs not read: %s", vm->name, st > 0 ? out.buf : err_msg());
        err_clear();
        strbuf_release(&out);
        return 0;
    }
    bool ours = false, unknown = false;
    for (char *save = NULL, *mac = strtok_r(out.buf, "\n", &save); mac && !ours;
         mac = strtok_r(NULL, "\n", &save)) {
        if (!strcmp(mac, "00:00:00:00:00:00"))
            continue;
        int has = virt_vms_has_mac(vms, vm->host, vm->domain, mac);
        ours = has > 0;
        unknown |= has < 0;
    }
    if (!ours && unknown) {
        /* the daemon could not say (a connection lost): that is no proof of a
         * stranger; what follows will meet the daemon's failure itself */
        vlog(vms, "%s: the domain's MACs not read: %s", vm->name, err_msg());
        ours = true;
    }
    err_clear();
    if (!ours) {
        drop_session(vms, i);
        rc = virt_failf(VIRT_ERR_ADDRESS, vm->name, "the guest at %s is not %s (none of its "
                        "MACs is the domain's): another machine holds the address",
                        vp->login.host, vm->domain);
    } else {
        vlog(vms, "%s: the guest at %s is domain %s (MAC checked)", vm->name, vp->login.host,
             vm->domain);
    }
    strbuf_release(&out);
    return rc;
}

int virt_vms_wait_login(struct virt_vms *vms, size_t i, double timeout_s)
{
    struct vm_priv *vp = V(vms, i);
    if (!vp->login.host)
        return virt_failf(VIRT_ERR_ADDRESS, vms->vm[i].name,
                          "no address to log in to (set guest_ip or guest_subnet)");
    drop_session(vms, i);
    double t0 = clock_now();
    vp->ssh = virt_ssh_wait_for_login(&vp->login, P(vms)->known_hosts,
                                      timeout_s, VC(vms));
    if (!vp->ssh)
        return -1;
    vlog(vms, "%s: logged in at %s:%d after %.2f s", vms->vm[i].name,
            vp->login.host, vp->login.port, clock_now() - t0);
    if (its_own_guest(vms, i) < 0)
        return -1;
    if (vp->seed) {
        if (seed_saved(vms, i) < 0)
            return -1;
        return virt_vms_wait_login(vms, i, timeout_s);
    }
    if (vp->restored && !vp->clock_set)
        set_guest_clock(vms, i);
    return 0;
}

int virt_vms_exec(struct virt_vms *vms, size_t i, const char *cmd, double timeout_s,
                 struct strbuf *out, int *status)
{
    struct vm_priv *vp = V(vms, i);
    if (!vp->ssh && virt_vms_wait_login(vms, i, timeout_s) < 0)
        return -1;
    int st = -1;
    double t0 = clock_now();
    int rc = virt_ssh_exec(vp->ssh, cmd, timeout_s, &st, out, NULL);
    /* one fresh session when the old one died (e.g. in a hop); never again after the
     * command used up its time: it ran, and running it twice (a sysrq, a stress
     * start) is worse than one failure */
    if (rc < 0 && clock_now() - t0 < timeout_s - 0.05 && !virt_vms_should_stop(vms)) {
        drop_session(vms, i);
        if (out)
            strbuf_reset(out);
        if (virt_vms_wait_login(vms, i, timeout_s) < 0)
            return -1;
        rc = virt_ssh_exec(vp->ssh, cmd, timeout_s, &st, out, NULL);
    }
    if (status)
        *status = st;
    return rc;
}

int virt_vms_uptime(struct virt_vms *vms, size_t i, double *uptime)
{
    struct strbuf out = STRBUF_INIT;
    int st;
    int rc = virt_vms_exec(vms, i, "cat /proc/uptime", 30, &out, &st);
    if (rc == 0 && (st != 0 || sscanf(out.buf, "%lf", uptime) != 1))
        rc = virt_failf(VIRT_ERR_COMMAND, vms->vm[i].name,
                        "cannot read /proc/uptime (exit %d): %.100s", st, out.buf);
    if (rc == 0)
        vms->vm[i].uptime = *uptime;
    strbuf_release(&out);
    return rc;
}

/* The line of crash text that holds the marker, without its newline. */
static char *crash_line(const struct virt_crash *c)
{
    const char *t = c->text ? c->text : "";
    const char *hit = c->pattern ? strstr(t, c->pattern) : NULL;
    if (!hit)
        hit = t;
    const char *start = hit;
    while (start > t && start[-1] != '\n')
        start--;
    size_t len = strcspn(start, "\r\n");
    return xstrndup(start, len);
}

/* Scan `path` from *off for a crash of VM i (virt_vms_console_crash's verdict). */
static int scan_console(struct virt_vms *vms, size_t i, const char *path, long long *off,
                        unsigned *line_no)
{
    struct virt_vm *vm = &vms->vm[i];
    struct virt_crash crash = { 0 };
    int r = virt_console_scan(path, off, line_no, &crash);
    if (r == 1) {
        /* the context goes to debug.log; the message leads with the line itself, the
         * first thing a reader of a FAIL reason wants to see */
        char *line = crash_line(&crash);
        const char *base = strrchr(path, '/');
        vlog(vms, "%s: '%s' on the serial console (%s line %u):\n%s", vm->name,
                crash.pattern, path, crash.line, crash.text);
        virt_failf(VIRT_ERR_KERNEL_CRASH, vm->name, "%s", line);
        err_set("%s (%s serial console, %s line %u)", line, vm->name,
                base ? base + 1 : path, crash.line);
        free(line);
        virt_crash_free(&crash);
    } else if (r < 0) {
        err_prefix("%s: console %s", vm->name, path);
    }
    return r;
}

/* A file name part from a host name ("host2"; a URI loses its slashes). */
static char *file_part(const char *name)
{
    char *s = xstrdup(name);
    for (char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            *p = '_';
    return s;
}

/* Bring the copy of VM i's console file on host h up to date: the bytes past the
 * copy's end, read there (tail -c +N, through the transport), appended.  A file not
 * there yet is no error (the VM has not written it). */
static int console_sync(struct virt_vms *vms, size_t i, int h)
{
    struct virt_vm *vm = &vms->vm[i];
    struct console_copy *c = &V(vms, i)->con[h];
    struct virt_host *link;
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct stat st;
    int status, rc = -1;

    if (!c->copy) {
        char *host = file_part(virt_vms_host_name(vms, h));
        c->copy = xasprintf("%s/serial-%s.%s.log", vms->conf.outdir, vm->name, host);
        free(host);
    }
    long long have = stat(c->copy, &st) == 0 ? (long long)st.st_size : 0;
    char from[32];
    snprintf(from, sizeof(from), "+%lld", have + 1);
    const char *argv[] = { "tail", "-c", from, "--", vm->console_log, NULL };
    if (link_of(vms, h, &link) < 0 || !link)
        goto out;
    if (virt_host_run(link, argv, 30, &out, &err, &status) < 0)
        goto out;
    if (status != 0) {      /* not written yet */
        rc = 0;
        goto out;
    }
    FILE *f = fopen(c->copy, "ab");
    if (!f || fwrite(out.buf, 1, out.len, f) != out.len) {
        err_set("%s: %s", c->copy, strerror(errno));
        if (f)
            fclose(f);
        goto out;
    }
    rc = fclose(f) == 0 ? 0 : -1;
    if (rc < 0)
        err_set("%s: %s", c->copy, strerror(errno));
out:
    strbuf_release(&out);
    strbuf_release(&err);
    return rc;
}

int virt_vms_console_crash(struct virt_vms *vms, size_t i)
{
    struct virt_vm *vm = &vms->vm[i];
    struct vm_priv *vp = V(vms, i);
    if (!vm->console_log)
        return 0;
    if (!vp->con)
        return scan_console(vms, i, vm->console_log, &vp->console_scanned, &vp->console_line);
    /* every host it ran on: a crash just before a hop is in the source's file */
    for (size_t h = 0; h < vms->nhosts; h++) {
        struct console_copy *c = &vp->con[h];
        if (!c->visited)
            continue;
        if (console_sync(vms, i, (int)h) < 0) {
            err_prefix("%s: console on %s", vm->name, virt_vms_host_name(vms, (int)h));
            return -1;
        }
        struct stat st;
        if (stat(c->copy, &st) < 0)
            continue;           /* nothing written there yet */
        int r = scan_console(vms, i, c->copy, &c->scanned, &c->line);
        if (r != 0)
            return r;
    }
    return 0;
}

/* libvirt's own log of the domain on host h (the QEMU command line, its errors, the
 * migration's end) into the results as qemu-<vm>.<host>.log, and off the host: the
 * domain is gone, and a night of tests would pile them up there.  A failed test's
 * evidence (runner/run_evidence.c) has taken it already, masked: that copy stays. */
static void domain_log_collect(struct virt_vms *vms, size_t i, int h, struct virt_host *link)
{
    char *remote = xasprintf("%s/%s.log", VIRT_HOST_CONSOLE_DIR, vms->vm[i].domain);
    char *host = file_part(virt_vms_host_name(vms, h));
    char *local = xasprintf("%s/qemu-%s.%s.log", vms->conf.outdir, vms->vm[i].name, host);
    struct stat st;
    if (stat(local, &st) == 0)
        virt_image_remove(link, remote, VC(vms));
    else if (virt_host_get(link, remote, local) < 0)
        vlog(vms, "%s: libvirt's log of %s not copied: %s", vms->vm[i].name,
             vms->vm[i].domain, err_msg());
    else
        virt_image_remove(link, remote, VC(vms));
    free(local);
    free(host);
    free(remote);
}

/* After the test: the last bytes of each host's console file into its copy, then the
 * file removed from the host; libvirt's domain log likewise. */
static void console_collect(struct virt_vms *vms, size_t i)
{
    struct vm_priv *vp = V(vms, i);
    for (size_t h = 0; vp->con && h < vms->nhosts; h++) {
        struct console_copy *c = &vp->con[h];
        struct virt_host *link;
        if (c->visited) {
            if (console_sync(vms, i, (int)h) < 0)
                vlog(vms, "%s: console on %s not copied: %s", vms->vm[i].name,
                     virt_vms_host_name(vms, (int)h), err_msg());
            if (link_of(vms, (int)h, &link) == 0 && link) {
                if (virt_image_remove(link, vms->vm[i].console_log, VC(vms)) == 0 &&
                    c->leftover)
                    virt_leftover_drop(c->leftover);
                domain_log_collect(vms, i, (int)h, link);
            }
        }
        free(c->copy);
    }
    free(vp->con);
    vp->con = NULL;
}

/* Whether path lies under dir (a directory prefix, not a name prefix). */
static bool under_dir(const char *path, const char *dir)
{
    size_t n = dir ? strlen(dir) : 0;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return n && !strncmp(path, dir, n) && path[n] == '/';
}

/* The clone (or copy) of VM i at `path` on link h, NULL when none was made there. */
static const struct virt_clone *copy_on(struct virt_vms *vms, size_t i, const char *path,
                                        struct virt_host *h)
{
    const struct virt_clones *cl = &P(vms)->clones;
    for (size_t c = 0; c < cl->n; c++)
        if (cl->v[c].made && cl->v[c].host == h && !strcmp(cl->v[c].vm, vms->vm[i].name) &&
            !strcmp(cl->v[c].path, path))
            return &cl->v[c];
    return NULL;
}

/* The clone entry standing for `path` of VM i (for its image name and master). */
static const struct virt_clone *clone_of(struct virt_vms *vms, size_t i, const char *path)
{
    const struct virt_clones *cl = &P(vms)->clones;
    for (size_t c = 0; c < cl->n; c++)
        if (!strcmp(cl->v[c].vm, vms->vm[i].name) && !strcmp(cl->v[c].path, path))
            return &cl->v[c];
    return NULL;
}

/*
 * --copy-storage-all / --copy-storage-inc: libvirt copies each writable disk over NBD
 * into a disk that must already exist on the destination, same path and size.  Made
 * here on host `to`: -all an empty image of the source's virtual size, -inc an overlay
 * on the clone's master (its backing chain must be there).  A disk on the
 * destination's shared storage is left alone (it is the same file); a file already
 * there is used as is, unless it is a copy this test made there earlier (a way back):
 * then it is stale and made again.
 */
static int create_dest_disks(struct virt_vms *vms, size_t i, int from, int to, bool inc)
{
    const struct be_vm_spec *sp = vms->vm[i].spec;
    const char *dname = virt_vms_host_name(vms, to);
    struct virt_host *src, *dst;
    if (link_of(vms, from, &src) < 0 || link_of(vms, to, &dst) < 0)
        return -1;
    for (size_t d = 0; d < sp->ndisks; d++) {
        const struct be_disk *dk = &sp->disks[d];
        /* shareable and empty drives are never copied (qemuMigrationAnyCopyDisk) */
        if (dk->shareable || !dk->path)
            continue;
        const char *fmt = dk->format ? dk->format : "qcow2";
        const struct virt_clone *c = clone_of(vms, i, dk->path);
        if (dk->readonly)
            continue;
        if (under_dir(dk->path, P(vms)->hosts[to].shared_dir)) {
            vlog(vms, "%s: %s is on %s's shared storage: no copy made", vms->vm[i].name,
                 dk->path, dname);
            continue;
        }
        if (copy_on(vms, i, dk->path, dst)) {
            if (virt_image_remove(dst, dk->path, VC(vms)) < 0)
                return -1;
        } else {
            int ex = virt_image_exists(dst, dk->path, VC(vms));
            if (ex < 0)
                return -1;
            if (ex) {
                vlog(vms, "%s: %s exists on %s: the copy goes into it", vms->vm[i].name,
                     dk->path, dname);
                continue;
            }
        }
        unsigned long noted = note_clone(vms, to, dst, dk->path);
        if (!noted)
            return virt_failf(VIRT_ERR_CREATE, vms->vm[i].name, "%s", err_msg());
        int rc;
        if (inc) {
            if (!c || !c->master || !c->linked)
                return virt_failf(VIRT_ERR_CREATE, vms->vm[i].name, "--copy-storage-inc: "
                                  "%s is not an overlay vtrun made, its backing chain is "
                                  "unknown (create %s on %s first)", dk->path, dk->path, dname);
            vlog(vms, "%s: --copy-storage-inc: overlay %s on %s made on %s", vms->vm[i].name,
                 dk->path, c->master, dname);
            rc = virt_image_clone_linked(dst, c->master, c->format, dk->path, VC(vms));
        } else {
            unsigned long long size;
            char sz[32];
            if (virt_image_virtual_size(src, dk->path, &size, VC(vms)) < 0)
                return -1;
            snprintf(sz, sizeof(sz), "%llu", size);
            vlog(vms, "%s: --copy-storage-all: %s (%s bytes) made on %s", vms->vm[i].name,
                 dk->path, sz, dname);
            rc = virt_image_create(dst, dk->path, fmt, sz, VC(vms));
        }
        if (rc < 0) {
            if (virt_image_exists(dst, dk->path, VC(vms)) == 0)
                virt_leftover_drop(noted);
            return -1;
        }
        virt_clones_add_copy(&P(vms)->clones, vms->vm[i].name, c ? c->image : "disk",
                             dk->path, fmt, dst);
        grow_clone_leftovers(P(vms));
        P(vms)->clone_leftover[P(vms)->clones.n - 1] = noted;
    }
    return 0;
}

/* Where libvirtd logs on the lab's hosts and on hosts configured as docs/hosts.md says. */
#define LIBVIRTD_LOG "/var/log/libvirt/libvirtd.log"

/* A failed peer-to-peer migration reports libvirt's last error, often the dropped
 * connection to the destination ("End of file while reading data"); the source
 * daemon's log has the first, which says why ("unable to connect to server at
 * 'host2:49152': Connection refused").  That first error since the mark, or NULL. */
static char *daemon_first_error(struct virt_host *link, const struct virt_log_mark *mark)
{
    struct strbuf sb = STRBUF_INIT;
    char *first = NULL;
    if (virt_hostop_log_read(link, mark, &sb) == 0) {
        for (char *l = sb.buf; l && *l && !first;) {
            char *nl = strchr(l, '\n');
            if (nl)
                *nl = '\0';
            /* "<time>: <tid>: error : <function>:<line> : <message>" */
            char *e = strstr(l, ": error : ");
            char *msg = e ? strstr(e + 10, " : ") : NULL;
            if (msg)
                first = xstrdup(msg + 3);
            l = nl ? nl + 1 : NULL;
        }
    }
    strbuf_release(&sb);
    return first;
}

int virt_vms_migrate(struct virt_vms *vms, size_t i, int to,
                    const struct be_migrate_opts *opts, struct be_hop_metrics *m)
{
    struct virt_vm *vm = &vms->vm[i];
    struct be_host *src = host(vms, vm->host);
    struct be_host *dst = src ? host(vms, to) : NULL;
    if (!dst)
        return -1;
    drop_session(vms, i);
    unsigned copy = opts->flags & (BE_MIG_COPY_STORAGE_ALL | BE_MIG_COPY_STORAGE_INC);
    if (copy && !vms->copy_no_dest_disks &&
        create_dest_disks(vms, i, vm->host, to, copy == BE_MIG_COPY_STORAGE_INC) < 0) {
        err_prefix("%s: migration %s -> %s", vm->name, virt_vms_host_name(vms, vm->host),
                   virt_vms_host_name(vms, to));
        return -1;
    }
    console_visit(vms, i, to);
    struct virt_host *link = NULL;
    struct virt_log_mark mark = { 0 };
    bool marked = (opts->flags & BE_MIG_P2P) && link_of(vms, vm->host, &link) == 0 && link &&
                  !virt_host_is_local(link) && virt_hostop_log_mark(link, LIBVIRTD_LOG, &mark) == 0;
    err_clear();
    /* the test's SIGINT and test_timeout reach every hop, whatever type asked for it:
     * a hop blocked on a stopped daemon is aborted, then abandoned, at the deadline */
    struct be_migrate_opts o = *opts;
    if (!o.cancel)
        o.cancel = vms->conf.vctx.cancel;
    if (!o.hard_deadline)
        o.hard_deadline = vms->conf.vctx.deadline;
    int rc = be_migrate(vms->be, src, dst, vm->domain, &o, m);
    if (rc < 0) {
        char *why = marked ? daemon_first_error(link, &mark) : NULL;
        if (why && !strstr(err_msg(), why))
            err_set("%s (libvirtd on %s: %s)", err_msg(), virt_vms_host_name(vms, vm->host),
                    why);
        free(why);
        err_prefix("%s: migration %s -> %s", vm->name, virt_vms_host_name(vms, vm->host),
                   virt_vms_host_name(vms, to));
    } else {
        vm->host = to;
    }
    virt_log_mark_free(&mark);
    return rc;
}

void virt_vms_record_hop(struct virt_vms *vms, size_t i, unsigned hop, int from, int to,
                        const struct be_hop_metrics *m, bool ok, const char *error)
{
    struct virt_hop_record h = {
        .vm = vms->vm[i].name, .hop = hop, .from = virt_vms_host_name(vms, from),
        .to = virt_vms_host_name(vms, to), .m = m, .ok = ok, .error = ok ? NULL : error,
    };
    if (vms->conf.on_hop)
        vms->conf.on_hop(vms->conf.hop_ud, &h);
    else
        vlog(vms, "hop %u %s %s->%s: %s, %.3f s, downtime %.1f ms", hop, h.vm, h.from, h.to,
             ok ? "ok" : error, m->wall_s, m->downtime_ms);
}

int virt_vms_stop(struct virt_vms *vms, size_t i)
{
    struct virt_vm *vm = &vms->vm[i];
    struct be_host *bh = host(vms, vm->host);
    const char *cmd = params_get_or(vm->params, "shutdown_command", "poweroff -f");
    double timeout = params_get_float(vm->params, "shutdown_timeout",
                                      VIRT_SHUTDOWN_TIMEOUT_DEFAULT, NULL);
    if (!bh)
        return -1;
    /* the guest's own shutdown command, as avocado-vt does; the fire-and-forget form
     * because the session dies with the guest */
    char *bg = xasprintf("(sleep 1; %s) >/dev/null 2>&1 </dev/null &", cmd);
    virt_vms_exec(vms, i, bg, 10, NULL, NULL);
    free(bg);
    drop_session(vms, i);
    double end = clock_now() + timeout;
    enum be_state st = BE_STATE_RUNNING;
    while (clock_now() < end && !virt_vms_should_stop(vms)) {
        if (vms->be->state(bh, vm->domain, &st) < 0)
            return -1;
        if (st == BE_STATE_SHUTOFF || st == BE_STATE_NONE)
            break;
        clock_sleep(0.2);
    }
    if (st != BE_STATE_SHUTOFF && st != BE_STATE_NONE) {
        vlog(vms, "%s: no power-off after '%s' within %g s, destroying", vm->name,
                cmd, timeout);
        return vms->be->destroy(bh, vm->domain);
    }
    vlog(vms, "%s: shut off", vm->name);
    return 0;
}

/* The clones of VM `name` stay: its domain still runs on them.  They stay listed as
 * leftovers too (their files exist). */
static void keep_clones_of(struct vms_priv *pv, const char *name, struct strbuf *left)
{
    for (size_t c = 0; c < pv->clones.n; c++) {
        struct virt_clone *cl = &pv->clones.v[c];
        if (cl->owned && cl->made && cl->vm && !strcmp(cl->vm, name)) {
            cl->made = false;
            strbuf_addf(left, ", its disk %s", cl->path);
        }
    }
}

int virt_vms_cleanup(struct virt_vms *vms)
{
    struct vms_priv *pv = vms->priv;
    struct strbuf left = STRBUF_INIT;   /* what could not be removed */
    int rc = 0;
    if (!pv)
        return 0;
    for (size_t i = 0; i < vms->n; i++) {
        struct virt_vm *vm = &vms->vm[i];
        if (vm->priv) {
            drop_session(vms, i);
            /* everywhere it may be: a failed hop can leave it on either side */
            bool clean = true;
            for (size_t h = 0; vm->domain && h < vms->nhosts; h++) {
                struct be_host *bh = (vm->host >= 0 || vms->hosts[h]) ? host(vms, (int)h) : NULL;
                if (!bh && vm->host == (int)h) {
                    /* where it runs, and no way to reach it */
                    vlog(vms, "cleanup of %s: %s", vm->domain, err_msg());
                    strbuf_addf(&left, "%sdomain %s on %s", left.len ? "; " : "",
                                vm->domain, virt_vms_host_name(vms, (int)h));
                    clean = false;
                }
                if (!bh)
                    continue;
                if (vms->be->destroy(bh, vm->domain) < 0 || vms->be->undefine(bh, vm->domain) < 0) {
                    vlog(vms, "cleanup of %s on %s: %s", vm->domain,
                            virt_vms_host_name(vms, (int)h), err_msg());
                    strbuf_addf(&left, "%sdomain %s on %s", left.len ? "; " : "", vm->domain,
                                virt_vms_host_name(vms, (int)h));
                    clean = false;
                }
            }
            if (!clean)
                keep_clones_of(pv, vm->name, &left);
            if (clean && V(vms, i)->leftover)
                virt_leftover_drop(V(vms, i)->leftover);
            console_collect(vms, i);
            virt_login_free(&V(vms, i)->login);
            free(V(vms, i)->guest_ip);
            free(V(vms, i)->clone_name);
            free(V(vms, i)->clone_master);
            free(V(vms, i)->saved_entry);
            spawn_free(V(vms, i)->probe);
            free(vm->priv);
        }
        if (vm->spec) {
            be_vm_spec_free(vm->spec);
            free(vm->spec);
        }
        params_free(vm->params);
        free(vm->name);
        free(vm->domain);
        free(vm->address);
        free(vm->console_log);
    }
    enum virt_check worst = VIRT_CHECK_OK;
    if (virt_images_postprocess(vms->conf.params, VC(vms), &pv->clones, &worst) < 0) {
        rc = -1;
    } else if (worst == VIRT_CHECK_WARN) {
        err_set("qemu-img check of a clone gave a warning (see debug.log)");
        rc = 1;
    }
    bool keep = params_get_bool(vms->conf.params, "keep_image_clones", false, NULL);
    for (size_t c = 0; c < pv->nclone_leftover; c++) {
        const struct virt_clone *cl = &pv->clones.v[c];
        if (pv->clone_leftover[c] && (keep || virt_image_exists(cl->host, cl->path, VC(vms)) == 0))
            virt_leftover_drop(pv->clone_leftover[c]);
    }
    /* the one outcome that outranks the others: the lab is not as the test found it */
    if (left.len) {
        virt_failf(VIRT_ERR_LEFT_BEHIND, NULL, "%s", left.buf);
        rc = -1;
    }
    strbuf_release(&left);
    for (size_t h = 0; h < vms->nhosts; h++)
        if (vms->hosts[h])
            vms->be->close(vms->hosts[h]);
    if (pv->run_dirs) {
        for (int h = 0; h < 2; h++)
            free(pv->run_dirs[h]);
        free(pv->run_dirs);
    }
    virt_clones_free(&pv->clones);
    free(pv->clone_leftover);
    free(pv->known_hosts);
    free(pv->why_cold);
    free(pv->names);
    free(pv->hosts);
    free(pv);
    free(vms->hosts);
    free(vms->vm);
    memset(vms, 0, sizeof(*vms));
    return rc;
}

int virt_reap_domain(const char *backend, const char *uri, const char *name)
{
    const struct be_ops *be = be_lookup(backend);
    if (!be || be->local_hosts) {
        err_set("domain %s: backend '%s' cannot be reached again", name, backend);
        return -1;
    }
    struct be_host_conf conf = { .uri = uri };
    struct be_host *bh = be->open(&conf);
    if (!bh)
        return -1;
    int rc = be->destroy(bh, name) < 0 || be->undefine(bh, name) < 0 ? -1 : 0;
    be->close(bh);
    return rc;
}
