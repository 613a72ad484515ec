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
#include "lib/strbuf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Per-test private state behind struct virt_vms. */
struct vms_priv {
    struct virt_vms_host *hosts;        /* the conf's hosts, copied */
    struct virt_clone_name *names;      /* per VM: the clone names chosen here */
    struct virt_clones clones;
    unsigned long *clone_leftover;
    char *known_hosts;
    char **run_dirs;            /* qemu backend: one run directory per host */
};

struct vm_priv {
    char *guest_ip;             /* chosen from guest_subnet when the config set none */
    char *clone_name, *clone_master;    /* owned strings of names[i] */
    struct virt_login login;
    struct virt_ssh *ssh;
    unsigned long leftover;     /* the domain, while it exists somewhere */
    unsigned console_line;
    double uptime_seen;         /* largest uptime read so far */
};

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

/* The log line as the test's log wants it. */
#define vlog(vms, ...) virt_logf(VC(vms), VIRT_LOG_DEBUG, __VA_ARGS__)

/* The qemu backend has no remote hosts: its two "hosts" are this machine, each with
 * its own run directory.  A backend difference the set must know of; the driver says
 * so by its name until be_ops carries capabilities. */
static bool is_qemu(const struct virt_vms *vms)
{
    return !strcmp(vms->be->name, "qemu");
}

bool virt_vms_should_stop(const struct virt_vms *vms)
{
    return virt_cancelled(VC(vms));
}

/* Open host h on first use.  The qemu backend's hosts are all the local machine,
 * each with its own run directory (QMP sockets) under the test's directory. */
static struct be_host *host(struct virt_vms *vms, int h)
{
    if (h < 0 || (size_t)h >= vms->nhosts) {
        err_set("no host %d (the test has %zu)", h, vms->nhosts);
        return NULL;
    }
    if (vms->hosts[h])
        return vms->hosts[h];
    struct be_host_conf conf = { 0 };
    if (is_qemu(vms)) {
        conf.uri = "qemu:///local";
        conf.run_dir = P(vms)->run_dirs[h];
    } else {
        conf.uri = P(vms)->hosts[h].uri;
        conf.migrate_desturi = P(vms)->hosts[h].migrate_desturi;
        conf.migrate_uri = P(vms)->hosts[h].migrate_uri;
    }
    vms->hosts[h] = vms->be->open(&conf);
    if (!vms->hosts[h])
        err_prefix("host %s", virt_vms_host_name(vms, h));
    return vms->hosts[h];
}

const char *virt_vms_host_name(const struct virt_vms *vms, int h)
{
    if (is_qemu(vms))
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
 * 10 + 20 * slot + i, so parallel job slots never share an address. */
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
        unsigned n = 10 + 20 * vms->conf.slot + (unsigned)i;
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
                                 .libvirt = !is_qemu(vms) };
    vm->params = params_object(cf->params, vm->name);
    vm->spec = xcalloc(1, sizeof(*vm->spec));
    if (virt_vm_spec_from_params(cf->params, vm->name, &d, cf->outdir, VC(vms), vm->spec) < 0)
        return -1;
    free(vm->spec->name);
    vm->spec->name = xstrdup(vm->domain);
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
    /* keep the definition (domain XML, command line) with the results, as the test
     * saw it */
    const char *ext = NULL;
    char *text = vms->be->render ? vms->be->render(vm->spec, &ext) : NULL;
    if (text) {
        char *path = xasprintf("%s/%s.%s", cf->outdir, vm->domain, ext);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(text, f);
            fclose(f);
        }
        free(path);
        free(text);
    }
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
    params_free(ip);
    params_free(vip);
    params_free(vmp);
    free(key);
}

/* Clone names unique to the job and slot (<image_name>_<vm>-<id7>-<slot>) unless the
 * config names them or clones are kept for reuse: with --jobs, two slots cloning
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
            vp->clone_name = xasprintf("%s_%s-%.7s-%u", params_get_or(ip, "image_name", "image"),
                                       vm, job, vms->conf.slot);
            /* the clone takes image_name_<vm>; its source must stay the master */
            if (!params_get(ip, "master_image_name"))
                vp->clone_master = xstrdup(params_get_or(ip, "image_name", "image"));
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
    vms->nhosts = is_qemu(vms) ? 2 : conf->nhosts;
    vms->hosts = xcalloc(vms->nhosts ? vms->nhosts : 1, sizeof(*vms->hosts));
    if (is_qemu(vms)) {
        pv->run_dirs = xcalloc(2, sizeof(char *));
        for (int h = 0; h < 2; h++)
            pv->run_dirs[h] = xasprintf("%s/qemu-%s", conf->outdir, virt_vms_host_name(vms, h));
    }
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
    /* clones first: the specs use them */
    unique_clone_names(vms);
    int rc = virt_images_clone(conf->params, pv->names, VC(vms), &pv->clones);
    pv->clone_leftover = xcalloc(pv->clones.n + 1, sizeof(unsigned long));
    for (size_t c = 0; c < pv->clones.n; c++) {
        if (!pv->clones.v[c].owned)
            continue;
        char *what = xasprintf("image clone %s", pv->clones.v[c].path);
        char *how = xasprintf("rm -f %s", pv->clones.v[c].path);
        pv->clone_leftover[c] = virt_leftover_add(what, how);
        free(what);
        free(how);
    }
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < vms->n; i++)
        if (setup_vm(vms, i) < 0)
            return -1;
    return 0;
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
    return 0;
}

int virt_vms_state(struct virt_vms *vms, size_t i, int h, enum be_state *out)
{
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    return vms->be->state(bh, vms->vm[i].domain, out);
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

static void drop_session(struct virt_vms *vms, size_t i);

int virt_vms_define(struct virt_vms *vms, size_t i, int h)
{
    struct virt_vm *vm = &vms->vm[i];
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    vlog(vms, "%s: define domain %s on %s", vm->name, vm->domain, virt_vms_host_name(vms, h));
    if (vms->be->define(bh, vm->spec) < 0)
        return -1;
    if (!V(vms, i)->leftover) {
        char *what = xasprintf("domain %s on %s", vm->domain, vms->be->uri(bh));
        char *how = xasprintf("virsh -c '%s' destroy %s; virsh -c '%s' undefine %s",
                              vms->be->uri(bh), vm->domain, vms->be->uri(bh), vm->domain);
        V(vms, i)->leftover = virt_leftover_add(what, how);
        free(what);
        free(how);
    }
    return 0;
}

int virt_vms_start(struct virt_vms *vms, size_t i, int h)
{
    struct virt_vm *vm = &vms->vm[i];
    if (virt_vms_define(vms, i, h) < 0)
        return -1;
    vlog(vms, "%s: start domain %s on %s", vm->name, vm->domain, virt_vms_host_name(vms, h));
    vm->host = h;
    return vms->be->start(host(vms, h), vm->domain);
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

static void drop_session(struct virt_vms *vms, size_t i)
{
    if (V(vms, i)->ssh) {
        virt_ssh_close(V(vms, i)->ssh);
        V(vms, i)->ssh = NULL;
    }
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

int virt_vms_console_crash(struct virt_vms *vms, size_t i)
{
    struct virt_vm *vm = &vms->vm[i];
    struct virt_crash crash = { 0 };
    long long off = vm->console_scanned;
    if (!vm->console_log)
        return 0;
    int r = virt_console_scan(vm->console_log, &off, &V(vms, i)->console_line, &crash);
    vm->console_scanned = off;
    if (r == 1) {
        /* the context goes to debug.log; the message leads with the line itself, the
         * first thing a reader of a FAIL reason wants to see */
        char *line = crash_line(&crash);
        const char *base = strrchr(vm->console_log, '/');
        vlog(vms, "%s: '%s' on the serial console (%s line %u):\n%s", vm->name,
                crash.pattern, vm->console_log, crash.line, crash.text);
        virt_failf(VIRT_ERR_KERNEL_CRASH, vm->name, "%s", line);
        err_set("%s (%s serial console, %s line %u)", line, vm->name,
                base ? base + 1 : vm->console_log, crash.line);
        free(line);
        virt_crash_free(&crash);
    } else if (r < 0) {
        err_prefix("%s: console %s", vm->name, vm->console_log);
    }
    return r;
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
    if (be_migrate(vms->be, src, dst, vm->domain, opts, m) < 0) {
        err_prefix("%s: migration %s -> %s", vm->name, virt_vms_host_name(vms, vm->host),
                   virt_vms_host_name(vms, to));
        return -1;
    }
    vm->host = to;
    return 0;
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

int virt_vms_cleanup(struct virt_vms *vms)
{
    struct vms_priv *pv = vms->priv;
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
                if (!bh)
                    continue;
                if (vms->be->destroy(bh, vm->domain) < 0 || vms->be->undefine(bh, vm->domain) < 0) {
                    vlog(vms, "cleanup of %s on %s: %s", vm->domain,
                            virt_vms_host_name(vms, (int)h), err_msg());
                    clean = false;
                }
            }
            if (clean && V(vms, i)->leftover)
                virt_leftover_drop(V(vms, i)->leftover);
            virt_login_free(&V(vms, i)->login);
            free(V(vms, i)->guest_ip);
            free(V(vms, i)->clone_name);
            free(V(vms, i)->clone_master);
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
    for (size_t c = 0; c < pv->clones.n; c++)
        if (pv->clone_leftover[c] && (access(pv->clones.v[c].path, F_OK) != 0 || keep))
            virt_leftover_drop(pv->clone_leftover[c]);
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
    free(pv->names);
    free(pv->hosts);
    free(pv);
    free(vms->hosts);
    free(vms->vm);
    memset(vms, 0, sizeof(*vms));
    return rc;
}
