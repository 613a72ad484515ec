/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VMs of one test (runner/run_vms.h): params → specs and clones (virt/), define,
 * start, migrate, stop through the backend (backends/), guest access over SSH.
 * Everything created is registered with run_leftover until removed, so an aborted
 * cleanup can still say what is left.
 */
#include "runner/run_vms.h"
#include "lib/clock.h"
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "runner/run_leftover.h"
#include "virt/virt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Per-test private state behind struct run_vms. */
struct run_vms_priv {
    struct params *p;           /* the case's params, with clone names added */
    struct virt_ctx vctx;
    struct virt_clones clones;
    unsigned long *clone_leftover;
    char *known_hosts;
    char **run_dirs;            /* qemu backend: one run directory per host */
};

struct run_vm_priv {
    struct virt_login login;
    struct virt_ssh *ssh;
    unsigned long leftover;     /* the domain, while it exists somewhere */
    unsigned console_line;
    double uptime_seen;         /* largest uptime read so far */
};

static void vlog(void *ud, enum virt_log_level level, const char *msg)
{
    struct run_ctx *ctx = ud;
    if (level == VIRT_LOG_DEBUG)
        run_log(ctx, "%s", msg);
    else
        run_log(ctx, "%s: %s", virt_log_level_name(level), msg);
}

static struct run_vms_priv *P(struct run_vms *vms)
{
    return vms->priv;
}

static struct run_vm_priv *V(struct run_vms *vms, size_t i)
{
    return vms->vm[i].priv;
}

static bool is_qemu(const struct run_vms *vms)
{
    return !strcmp(vms->be->name, "qemu");
}

/* Open host h on first use.  The qemu backend's hosts are all the local machine,
 * each with its own run directory (QMP sockets) under the test's directory. */
static struct be_host *host(struct run_vms *vms, int h)
{
    struct run_ctx *ctx = vms->ctx;
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
        conf.uri = ctx->hosts[h].uri;
        conf.migrate_desturi = ctx->hosts[h].migrate_desturi;
        conf.migrate_uri = ctx->hosts[h].migrate_uri;
    }
    vms->hosts[h] = vms->be->open(&conf);
    if (!vms->hosts[h])
        err_prefix("host %s", is_qemu(vms) ? "local" : ctx->hosts[h].name);
    return vms->hosts[h];
}

static const char *host_name(const struct run_vms *vms, int h)
{
    if (is_qemu(vms))
        return h == 0 ? "local-a" : "local-b";
    return vms->ctx->hosts[h].name;
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
static int assign_address(struct run_vms *vms, size_t i)
{
    struct params *p = P(vms)->p;
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
        unsigned n = 10 + 20 * vms->ctx->slot + (unsigned)i;
        if (inet_pton(AF_INET, net, &a) != 1 || n > 250) {
            err_set("guest_subnet '%s': cannot give %s an address", subnet, vm);
            rc = -1;
        } else {
            a.s_addr = htonl(ntohl(a.s_addr) + n);
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &a, ip, sizeof(ip));
            params_set(p, key, ip);
        }
    }
    free(key);
    return rc;
}

static int setup_vm(struct run_vms *vms, size_t i)
{
    struct run_ctx *ctx = vms->ctx;
    struct run_vm *vm = &vms->vm[i];
    struct run_vm_priv *vp = xcalloc(1, sizeof(*vp));
    vm->priv = vp;
    vm->host = -1;
    vm->domain = xasprintf("%s-%.7s-%u", vm->name, ctx->job_id ? ctx->job_id : "vtrun",
                           ctx->slot);
    if (assign_address(vms, i) < 0)
        return -1;
    vm->params = params_object(P(vms)->p, vm->name);
    vm->spec = xcalloc(1, sizeof(*vm->spec));
    if (virt_vm_spec_from_params(P(vms)->p, vm->name, ctx->outdir, &P(vms)->vctx, vm->spec) < 0)
        return -1;
    free(vm->spec->name);
    vm->spec->name = xstrdup(vm->domain);
    if (vm->spec->console_log)
        vm->console_log = xstrdup(vm->spec->console_log);
    if (virt_login_from_params(P(vms)->p, vm->name, &vp->login) < 0)
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
        char *path = xasprintf("%s/%s.%s", ctx->outdir, vm->domain, ext);
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

/* Clone names unique to the job and slot (<image_name>_<vm>-<id7>-<slot>) unless the
 * config names them or clones are kept for reuse: with --jobs, two slots cloning
 * "image_vm1" at once would share one file. */
static void unique_clone_names(struct run_vms *vms)
{
    struct params *p = P(vms)->p;
    struct run_ctx *ctx = vms->ctx;
    bool keep = params_get_bool(p, "keep_image_clones", false, NULL);
    char **images = params_objects(p, "master_images_clone");
    for (size_t i = 0; images[0] && i < vms->n; i++) {
        const char *vm = vms->vm[i].name;
        char *key = xasprintf("image_name_%s", vm);
        if (params_get(p, key)) {
            /* the config names the clone (image_name_vmsN, the balamuruhans top-file
             * shape) but not its master: clone the image the case names for every VM,
             * not the clone itself */
            struct params *vp = params_object(p, vm);
            struct params *vip = params_object(vp, images[0]);
            struct params *ip = params_object(p, images[0]);
            const char *master = params_get(vip, "master_image_name");
            if (!master && params_get(ip, "image_name")) {
                master = params_get(ip, "image_name");
                char *mkey = xasprintf("master_image_name_%s", vm);
                params_set(p, mkey, master);
                free(mkey);
            }
            /* a relative clone name with no images_base_dir lives beside an absolute
             * master (where avocado-vt's images_base_dir puts both): the daemons cannot
             * resolve a path relative to vtrun's working directory */
            const char *clone = params_get(p, key);
            const char *slash = master ? strrchr(master, '/') : NULL;
            if (slash && clone[0] != '/' && master[0] == '/'
                && !params_get(vip, "images_base_dir")) {
                char *abs = xasprintf("%.*s/%s", (int)(slash - master), master, clone);
                params_set(p, key, abs);
                free(abs);
            }
            params_free(ip);
            params_free(vip);
            params_free(vp);
        } else if (!keep) {
            struct params *vp = params_object(p, vm);
            struct params *ip = params_object(vp, images[0]);
            char *name = xasprintf("%s_%s-%.7s-%u", params_get_or(ip, "image_name", "image"),
                                   vm, ctx->job_id ? ctx->job_id : "vtrun", ctx->slot);
            params_set(p, key, name);
            free(name);
            /* image_name_<vm> now names the clone; its source must stay the master */
            if (!params_get(ip, "master_image_name")) {
                char *mkey = xasprintf("master_image_name_%s", vm);
                params_set(p, mkey, params_get_or(ip, "image_name", "image"));
                free(mkey);
            }
            params_free(ip);
            params_free(vp);
        }
        free(key);
    }
    params_strv_free(images);
}

int run_vms_setup(struct run_ctx *ctx, struct run_vms *vms)
{
    struct run_vms_priv *pv = xcalloc(1, sizeof(*pv));
    memset(vms, 0, sizeof(*vms));
    vms->ctx = ctx;
    vms->priv = pv;
    pv->p = params_dup(ctx->params);
    pv->vctx = (struct virt_ctx){ .log = vlog, .log_ud = ctx, .cancel = ctx->cancel };
    pv->known_hosts = xasprintf("%s/known_hosts", ctx->outdir);
    vms->be = be_lookup(ctx->backend);
    if (!vms->be) {
        err_set("unknown backend '%s' (vm_type / --backend: libvirt or qemu)", ctx->backend);
        return -1;
    }
    vms->nhosts = is_qemu(vms) ? 2 : ctx->nhosts;
    vms->hosts = xcalloc(vms->nhosts ? vms->nhosts : 1, sizeof(*vms->hosts));
    if (is_qemu(vms)) {
        pv->run_dirs = xcalloc(2, sizeof(char *));
        for (int h = 0; h < 2; h++)
            pv->run_dirs[h] = xasprintf("%s/qemu-%s", ctx->outdir, host_name(vms, h));
    }
    char **names = params_objects(pv->p, "vms");
    vms->n = params_strv_len(names);
    vms->vm = xcalloc(vms->n ? vms->n : 1, sizeof(*vms->vm));
    for (size_t i = 0; i < vms->n; i++)
        vms->vm[i].name = xstrdup(names[i]);
    params_strv_free(names);
    /* clones first: they set image_name_<vm>, which the specs then read */
    unique_clone_names(vms);
    int rc = virt_images_clone(pv->p, &pv->vctx, &pv->clones);
    pv->clone_leftover = xcalloc(pv->clones.n + 1, sizeof(unsigned long));
    for (size_t c = 0; c < pv->clones.n; c++) {
        char *what = xasprintf("image clone %s", pv->clones.v[c].path);
        char *how = xasprintf("rm -f %s", pv->clones.v[c].path);
        pv->clone_leftover[c] = run_leftover_add(what, how);
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

int run_vms_host_info(struct run_vms *vms, int h, struct be_host_info *out)
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
        err_prefix("host %s", host_name(vms, h));
        return -1;
    }
    return 0;
}

int run_vms_start(struct run_vms *vms, size_t i, int h)
{
    struct run_vm *vm = &vms->vm[i];
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    run_log(vms->ctx, "%s: define and start domain %s on %s", vm->name, vm->domain,
            host_name(vms, h));
    if (vms->be->define(bh, vm->spec) < 0)
        return -1;
    char *what = xasprintf("domain %s on %s", vm->domain, vms->be->uri(bh));
    char *how = xasprintf("virsh -c '%s' destroy %s; virsh -c '%s' undefine %s",
                          vms->be->uri(bh), vm->domain, vms->be->uri(bh), vm->domain);
    V(vms, i)->leftover = run_leftover_add(what, how);
    free(what);
    free(how);
    vm->host = h;
    return vms->be->start(bh, vm->domain);
}

static void drop_session(struct run_vms *vms, size_t i)
{
    if (V(vms, i)->ssh) {
        virt_ssh_close(V(vms, i)->ssh);
        V(vms, i)->ssh = NULL;
    }
}

int run_vms_wait_login(struct run_vms *vms, size_t i, double timeout_s)
{
    struct run_vm_priv *vp = V(vms, i);
    if (!vp->login.host)
        return virt_failf(VIRT_ERR_ADDRESS, vms->vm[i].name,
                          "no address to log in to (set guest_ip or guest_subnet)");
    drop_session(vms, i);
    double t0 = run_now();
    vp->ssh = virt_ssh_wait_for_login(&vp->login, P(vms)->known_hosts,
                                      timeout_s, &P(vms)->vctx);
    if (!vp->ssh)
        return -1;
    run_log(vms->ctx, "%s: logged in at %s:%d after %.2f s", vms->vm[i].name,
            vp->login.host, vp->login.port, run_now() - t0);
    return 0;
}

int run_vms_exec(struct run_vms *vms, size_t i, const char *cmd, double timeout_s,
                 struct strbuf *out, int *status)
{
    struct run_vm_priv *vp = V(vms, i);
    if (!vp->ssh && run_vms_wait_login(vms, i, timeout_s) < 0)
        return -1;
    int st = -1;
    double t0 = run_now();
    int rc = virt_ssh_exec(vp->ssh, cmd, timeout_s, &st, out, NULL);
    /* one fresh session when the old one died (e.g. in a hop); never again after the
     * command used up its time: it ran, and running it twice (a sysrq, a stress
     * start) is worse than one failure */
    if (rc < 0 && run_now() - t0 < timeout_s - 0.05 && !run_should_stop(vms->ctx)) {
        drop_session(vms, i);
        if (out)
            strbuf_reset(out);
        if (run_vms_wait_login(vms, i, timeout_s) < 0)
            return -1;
        rc = virt_ssh_exec(vp->ssh, cmd, timeout_s, &st, out, NULL);
    }
    if (status)
        *status = st;
    return rc;
}

int run_vms_uptime(struct run_vms *vms, size_t i, double *uptime)
{
    struct strbuf out = STRBUF_INIT;
    int st;
    int rc = run_vms_exec(vms, i, "cat /proc/uptime", 30, &out, &st);
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

int run_vms_console_crash(struct run_vms *vms, size_t i)
{
    struct run_vm *vm = &vms->vm[i];
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
        run_log(vms->ctx, "%s: '%s' on the serial console (%s line %u):\n%s", vm->name,
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

int run_vms_migrate(struct run_vms *vms, size_t i, int to,
                    const struct be_migrate_opts *opts, struct be_hop_metrics *m)
{
    struct run_vm *vm = &vms->vm[i];
    struct be_host *src = host(vms, vm->host);
    struct be_host *dst = src ? host(vms, to) : NULL;
    if (!dst)
        return -1;
    drop_session(vms, i);
    if (be_migrate(vms->be, src, dst, vm->domain, opts, m) < 0) {
        err_prefix("%s: migration %s -> %s", vm->name, host_name(vms, vm->host),
                   host_name(vms, to));
        return -1;
    }
    vm->host = to;
    return 0;
}

void run_vms_record_hop(struct run_vms *vms, size_t i, unsigned hop, int from, int to,
                        const struct be_hop_metrics *m, bool ok, const char *error)
{
    struct res_hop h = {
        .vm = vms->vm[i].name, .hop = hop, .from = host_name(vms, from),
        .to = host_name(vms, to), .start = m->start, .wall_s = m->wall_s,
        .downtime_ms = m->downtime_ms, .data_bytes = m->data_bytes,
        .mem_iterations = (unsigned)m->mem_iterations,
        .mode = m->postcopy ? "postcopy" : "precopy", .ok = ok, .error = error,
    };
    if (vms->ctx->res)
        res_test_hop(vms->ctx->res, &h);
    else
        run_log(vms->ctx, "hop %u %s %s->%s: %s, %.3f s, downtime %.1f ms", hop, h.vm,
                h.from, h.to, ok ? "ok" : error, h.wall_s, h.downtime_ms);
}

/* ---- the post-check environment (migration/mig.h) over the VM set ---- */

static int pc_state(void *ud, size_t i, int h, enum be_state *out)
{
    struct run_vms *vms = ud;
    struct be_host *bh = host(vms, h);
    if (!bh)
        return -1;
    return vms->be->state(bh, vms->vm[i].domain, out);
}

static int pc_console(void *ud, size_t i)
{
    return run_vms_console_crash(ud, i);
}

static int pc_login(void *ud, size_t i, double timeout_s)
{
    return run_vms_wait_login(ud, i, timeout_s);
}

static int pc_exec(void *ud, size_t i, const char *cmd, double timeout_s, struct strbuf *out,
                   int *status)
{
    return run_vms_exec(ud, i, cmd, timeout_s, out, status);
}

static int pc_uptime(void *ud, size_t i, double *up)
{
    return run_vms_uptime(ud, i, up);
}

static bool pc_should_stop(void *ud)
{
    struct run_vms *vms = ud;
    return run_should_stop(vms->ctx);
}

void run_vms_postcheck_env(struct run_vms *vms, struct mig_pc_env *env)
{
    *env = (struct mig_pc_env){ .ud = vms, .state = pc_state, .console_crash = pc_console,
                                 .login = pc_login, .exec = pc_exec, .uptime = pc_uptime,
                                 .ping = NULL, .should_stop = pc_should_stop };
}

static void pc_log(void *ud, const char *line)
{
    run_log(ud, "%s", line);
}

int run_vms_postcheck(struct run_vms *vms, const struct mig_pc_env *env,
                      const struct mig_pc_opts *o, struct mig_pc_vm *pv)
{
    struct strbuf why = STRBUF_INIT;
    int r = mig_postcheck_run(env, o, pv, &why, pc_log, vms->ctx);
    if (r < 0)
        err_set("%s", why.buf);
    strbuf_release(&why);
    return r;
}

int run_vms_check_after_hop(struct run_vms *vms, size_t i, int from, int to,
                            double login_timeout_s)
{
    struct run_vm *vm = &vms->vm[i];
    struct mig_pc_env env;
    struct mig_pc_opts o;
    double before = vm->uptime;
    run_vms_postcheck_env(vms, &env);
    mig_pc_opts_default(&o);
    o.check_dmesg = o.check_ping = o.check_disk = false;
    o.login_timeout_s = login_timeout_s;
    struct mig_pc_vm pv = { .vm = i, .name = vm->name, .src = from, .dst = to,
                             .uptime_before = before };
    if (run_vms_postcheck(vms, &env, &o, &pv) < 0)
        return -1;
    run_log(vms->ctx, "%s: on %s, uptime %.2f s (was %.2f s)", vm->name,
            host_name(vms, to), pv.uptime_before, before);
    return 0;
}

int run_vms_stop(struct run_vms *vms, size_t i)
{
    struct run_vm *vm = &vms->vm[i];
    struct be_host *bh = host(vms, vm->host);
    const char *cmd = params_get_or(vm->params, "shutdown_command", "poweroff -f");
    double timeout = params_get_float(vm->params, "shutdown_timeout", 60, NULL);
    if (!bh)
        return -1;
    /* the guest's own shutdown command, as avocado-vt does; the fire-and-forget form
     * because the session dies with the guest */
    char *bg = xasprintf("(sleep 1; %s) >/dev/null 2>&1 </dev/null &", cmd);
    run_vms_exec(vms, i, bg, 10, NULL, NULL);
    free(bg);
    drop_session(vms, i);
    double end = run_now() + timeout;
    enum be_state st = BE_STATE_RUNNING;
    while (run_now() < end && !run_should_stop(vms->ctx)) {
        if (vms->be->state(bh, vm->domain, &st) < 0)
            return -1;
        if (st == BE_STATE_SHUTOFF || st == BE_STATE_NONE)
            break;
        clock_sleep(0.2);
    }
    if (st != BE_STATE_SHUTOFF && st != BE_STATE_NONE) {
        run_log(vms->ctx, "%s: no power-off after '%s' within %g s, destroying", vm->name,
                cmd, timeout);
        return vms->be->destroy(bh, vm->domain);
    }
    run_log(vms->ctx, "%s: shut off", vm->name);
    return 0;
}

void run_vms_cleanup(struct run_vms *vms)
{
    struct run_vms_priv *pv = vms->priv;
    if (!pv)
        return;
    for (size_t i = 0; i < vms->n; i++) {
        struct run_vm *vm = &vms->vm[i];
        if (vm->priv) {
            drop_session(vms, i);
            /* everywhere it may be: a failed hop can leave it on either side */
            bool clean = true;
            for (size_t h = 0; vm->domain && h < vms->nhosts; h++) {
                struct be_host *bh = (vm->host >= 0 || vms->hosts[h]) ? host(vms, (int)h) : NULL;
                if (!bh)
                    continue;
                if (vms->be->destroy(bh, vm->domain) < 0 || vms->be->undefine(bh, vm->domain) < 0) {
                    run_log(vms->ctx, "cleanup of %s on %s: %s", vm->domain,
                            host_name(vms, (int)h), err_msg());
                    clean = false;
                }
            }
            if (clean && V(vms, i)->leftover)
                run_leftover_drop(V(vms, i)->leftover);
            virt_login_free(&V(vms, i)->login);
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
    if (virt_images_postprocess(pv->p, &pv->vctx, &pv->clones, &worst) < 0)
        run_error(vms->ctx, virt_err_name(virt_err_last()), "after the test: %s", err_msg());
    else if (worst == VIRT_CHECK_WARN)
        run_warn(vms->ctx, "qemu-img check of a clone gave a warning (see debug.log)");
    for (size_t c = 0; c < pv->clones.n; c++)
        if (access(pv->clones.v[c].path, F_OK) != 0
            || params_get_bool(pv->p, "keep_image_clones", false, NULL))
            run_leftover_drop(pv->clone_leftover[c]);
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
    params_free(pv->p);
    free(pv);
    free(vms->hosts);
    free(vms->vm);
    memset(vms, 0, sizeof(*vms));
}
