/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt backend: with its connections (backends/lv_conn.c), the only files of
 * vtrun that include libvirt's headers.
 *
 * One struct be_host is one libvirt connection, reopened when it is lost (a daemon
 * killed or restarted: backends/lv_conn.h; the calls that retry on the reopened one
 * are at the end of this file).  libvirt connections are thread-safe, so while a
 * migration call blocks in the job's own thread (migrate_start) the supervisor
 * (be_migrate.c) keeps using the same connection to look at the job and to control
 * it (abort, postcopy switch, suspend).
 *
 * Migration goes through virDomainMigrateToURI3 (peer-to-peer: the source daemon
 * opens the destination URI itself, which is how the lab's daemons must talk: their
 * TCP URIs exist only inside the lab's namespace) or virDomainMigrate3 with the
 * destination connection (direct), both with typed parameters.  Hop metrics come
 * from the completed job's statistics, which the source hands to the destination in
 * its migration cookie, so they survive --undefinesource.
 *
 * A user-mode NIC with a hostfwd_port gets its SSH forward through the QEMU monitor
 * (HMP hostfwd_add) after start and, on the destination, after every hop: a forward
 * in the domain's command line would make the destination QEMU bind the port while
 * the source still holds it.  The ports travel with the domain in its <metadata>, so
 * any process holding only the VM's name can re-add them.
 */
#include "backends/be.h"
#include "backends/lv_conn.h"
#include "backends/lv_xml.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mig_conns;

struct be_host {
    struct lv_conn *lc;         /* reopened when lost (backends/lv_conn.h) */
    char *uri;
    char *migrate_desturi;
    char *migrate_uri;
    struct mig_conns *mc;       /* its migration calls' connections */
};

/* The host's connection now (it changes when it is reopened). */
#define CONN(h) lv_conn_get((h)->lc)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

/* libvirt prints every error to stderr by default; vtrun reports errors once,
 * through err_set(), with the context of the caller */
static void quiet(void *opaque, virErrorPtr e)
{
    (void)opaque;
    (void)e;
}

/* libvirt's default event loop, run by one thread for the whole process: it
 * delivers the job-completed event, whose statistics are the only complete figures
 * of a postcopy hop (the source domain is gone afterwards with --undefinesource). */
static void *event_loop(void *arg)
{
    (void)arg;
    for (;;)
        if (virEventRunDefaultImpl() < 0)
            clock_sleep(0.1);
    return NULL;
}

static void init(void)
{
    pthread_t tid;

    init_rc = virInitialize();
    virSetErrorFunc(NULL, quiet);
    if (init_rc == 0 && virEventRegisterDefaultImpl() == 0 &&
        pthread_create(&tid, NULL, event_loop, NULL) == 0)
        pthread_detach(tid);
}




/* libvirt's last error of this thread, for err_set() */
static const char *lverr(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

/*
 * The connections of a host's migration calls (struct be_job: each call has one of
 * its own).  A call that returned gives its connection back for the next hop from
 * this host, and the first is opened in the background when the host is opened for
 * migrations (be_host_conf.migrates): before, every hop opened one as it started,
 * which over qemu+ssh is an SSH login (0.1-0.5 s) on the hop's path.  Shared with
 * the background opener, so reference counted; the host's close lets go of it and an
 * opener that finishes later closes what it opened.
 */
#define MIG_CONNS_IDLE 2        /* two VMs of a simultaneous hop leave from one host */

struct mig_conns {
    pthread_mutex_t lock;
    pthread_cond_t cond;        /* the background open ended */
    int refs;
    bool opening;
    bool closed;                /* the host is gone: keep nothing */
    char *uri;
    virConnectPtr idle[MIG_CONNS_IDLE];
    size_t nidle;
};

static void mc_unref(struct mig_conns *mc)
{
    pthread_mutex_lock(&mc->lock);
    bool last = --mc->refs == 0;
    pthread_mutex_unlock(&mc->lock);
    if (!last)
        return;
    for (size_t i = 0; i < mc->nidle; i++)
        virConnectClose(mc->idle[i]);
    pthread_cond_destroy(&mc->cond);
    pthread_mutex_destroy(&mc->lock);
    free(mc->uri);
    free(mc);
}

/* Keep c for the next call (or close it: dead, the host closed, enough kept). */
static void mc_give(struct mig_conns *mc, virConnectPtr c)
{
    if (!c)
        return;
    pthread_mutex_lock(&mc->lock);
    bool keep = !mc->closed && mc->nidle < MIG_CONNS_IDLE && virConnectIsAlive(c) == 1;
    if (keep)
        mc->idle[mc->nidle++] = c;
    pthread_mutex_unlock(&mc->lock);
    if (!keep)
        virConnectClose(c);
}

static void *mc_open_main(void *arg)
{
    struct mig_conns *mc = arg;
    virConnectPtr c = lv_conn_open_bounded(mc->uri, LV_CONNECT_TIMEOUT_S);
    err_clear();        /* the hop that needs one opens its own and says why it failed */
    mc_give(mc, c);
    pthread_mutex_lock(&mc->lock);
    mc->opening = false;
    pthread_cond_broadcast(&mc->cond);
    pthread_mutex_unlock(&mc->lock);
    mc_unref(mc);
    return NULL;
}

static struct mig_conns *mc_new(const char *uri, bool prefetch)
{
    struct mig_conns *mc = xcalloc(1, sizeof(*mc));
    pthread_t tid;

    pthread_mutex_init(&mc->lock, NULL);
    pthread_cond_init(&mc->cond, NULL);
    mc->refs = 1;
    mc->uri = xstrdup(uri);
    if (prefetch) {
        mc->refs++;
        mc->opening = true;
        if (pthread_create(&tid, NULL, mc_open_main, mc) == 0) {
            pthread_detach(tid);
        } else {
            mc->refs--;
            mc->opening = false;
        }
    }
    return mc;
}

/* A connection for a migration call: a kept one that is alive (waiting for the
 * background open when it is under way), else a new one; NULL + err_set(). */
static virConnectPtr mc_take(struct mig_conns *mc)
{
    virConnectPtr c = NULL;

    pthread_mutex_lock(&mc->lock);
    while (mc->opening && !mc->nidle)
        pthread_cond_wait(&mc->cond, &mc->lock);
    while (!c && mc->nidle) {
        c = mc->idle[--mc->nidle];
        if (virConnectIsAlive(c) != 1) {    /* its daemon restarted since */
            virConnectClose(c);
            c = NULL;
        }
    }
    pthread_mutex_unlock(&mc->lock);
    return c ? c : lv_conn_open_bounded(mc->uri, LV_CONNECT_TIMEOUT_S);
}

static void mc_close(struct mig_conns *mc)
{
    pthread_mutex_lock(&mc->lock);
    mc->closed = true;
    pthread_mutex_unlock(&mc->lock);
    mc_unref(mc);
}

static struct be_host *lv_open(const struct be_host_conf *conf)
{
    struct be_host *h;

    pthread_once(&init_once, init);
    if (init_rc < 0) {
        err_set("libvirt: virInitialize failed");
        return NULL;
    }
    if (!conf || !conf->uri) {
        err_set("libvirt: no host URI");
        return NULL;
    }
    h = xcalloc(1, sizeof(*h));
    h->lc = lv_conn_open(conf->uri);
    if (!h->lc) {
        err_prefix("libvirt");
        free(h);
        return NULL;
    }
    h->uri = xstrdup(conf->uri);
    h->migrate_desturi = conf->migrate_desturi ? xstrdup(conf->migrate_desturi) : NULL;
    h->migrate_uri = conf->migrate_uri ? xstrdup(conf->migrate_uri) : NULL;
    h->mc = mc_new(conf->uri, conf->migrates);
    return h;
}

static void lv_close(struct be_host *h)
{
    if (!h)
        return;
    mc_close(h->mc);
    lv_conn_close(h->lc);
    free(h->uri);
    free(h->migrate_desturi);
    free(h->migrate_uri);
    free(h);
}

static const char *lv_uri(struct be_host *h)
{
    return h->uri;
}

static bool lv_lost(struct be_host *h)
{
    return lv_conn_lost(h->lc);
}

/* The domain vm on h; NULL with *missing set when it does not exist, NULL with
 * err_set() on other errors. */
static virDomainPtr lookup(struct be_host *h, const char *vm, bool *missing)
{
    virDomainPtr dom = virDomainLookupByName(CONN(h), vm);

    if (missing)
        *missing = false;
    /* a connection lost since the last call (daemon restarted): reopened here, so
     * every operation that starts with a lookup comes back with it */
    if (!dom && virGetLastErrorCode() != VIR_ERR_NO_DOMAIN) {
        err_set("VM %s on %s: lookup: %s", vm, h->uri, lverr());
        if (lv_conn_recover(h->lc) == 0)
            return NULL;
        dom = virDomainLookupByName(CONN(h), vm);
    }
    if (dom)
        return dom;
    if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) {
        if (missing)
            *missing = true;
        err_set("VM %s: no such domain on %s", vm, h->uri);
    } else {
        err_set("VM %s on %s: lookup: %s", vm, h->uri, lverr());
    }
    return NULL;
}

/* The SSH forwards of a domain, in its <metadata>: ports='P0,P1,...' (one per NIC,
 * 0 = none).  The element moves with the domain's XML on every hop. */
#define FWD_NS_URI "https://vtrun.invalid/xmlns/hostfwd/1"
#define FWD_NS_KEY "vtrun"

static char *fwd_ports_string(const struct be_vm_spec *spec)
{
    struct strbuf sb = STRBUF_INIT;
    bool any = false;

    for (size_t i = 0; i < spec->nnics; i++) {
        const struct be_nic *n = &spec->nics[i];
        bool user = !n->mode || strcmp(n->mode, "bridge") != 0;
        unsigned port = user ? n->hostfwd_port : 0;
        strbuf_addf(&sb, "%s%u", i ? "," : "", port);
        any = any || port;
    }
    if (!any) {
        strbuf_release(&sb);
        return NULL;
    }
    return strbuf_detach(&sb, NULL);
}

/* Add every forward the domain's metadata names.  The port may still be held for a
 * moment by the source QEMU of a hop that is just exiting: retry for a few seconds. */
static int add_hostfwds(struct be_host *h, virDomainPtr dom, const char *vm)
{
    char *meta, *ports, *p, *end;
    int rc = -1;

    /* an offline hop moves only the definition: the forwards wait for its start */
    if (virDomainIsActive(dom) != 1)
        return 0;
    meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, FWD_NS_URI,
                                VIR_DOMAIN_AFFECT_LIVE);
    if (!meta) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN_METADATA)
            return 0;       /* no forwards */
        err_set("VM %s on %s: hostfwd: metadata: %s", vm, h->uri, lverr());
        return -1;
    }
    ports = lv_xml_xpath_string(meta, "string(/*/@ports)");
    free(meta);
    if (!ports)
        return 0;
    p = ports;
    for (size_t i = 0; *p; i++) {
        unsigned long port = strtoul(p, &end, 10);
        double deadline = clock_now() + 5.0;

        if (end == p || port > 65535) {
            err_set("VM %s on %s: hostfwd: bad ports metadata '%s'", vm, h->uri, ports);
            goto cleanup;
        }
        p = *end == ',' ? end + 1 : end;
        if (!port)
            continue;
        for (;;) {
            /* libvirt names the netdev of interface alias net<i> host<alias> */
            char *cmd = xasprintf("hostfwd_add hostnet%zu tcp:127.0.0.1:%lu-:22", i, port);
            char *out = NULL;
            int r = virDomainQemuMonitorCommand(dom, cmd, &out,
                                                VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP);
            free(cmd);
            /* HMP reports failure as text, success as nothing */
            if (r == 0 && (!out || !out[strspn(out, " \r\n")])) {
                free(out);
                break;
            }
            if (clock_now() >= deadline) {
                if (r < 0)
                    err_set("VM %s on %s: hostfwd_add port %lu: %s", vm, h->uri, port,
                            lverr());
                else
                    err_set("VM %s on %s: hostfwd_add port %lu: %s", vm, h->uri, port, out);
                free(out);
                goto cleanup;
            }
            free(out);
            clock_sleep(0.1);
        }
    }
    rc = 0;
cleanup:
    free(ports);
    return rc;
}

/* The user-mode forwards of spec into dom's persistent metadata (add_hostfwds reads
 * them after each start). */
static int set_fwd_meta(struct be_host *h, virDomainPtr dom, const struct be_vm_spec *spec)
{
    char *ports = fwd_ports_string(spec), *meta;
    int rc = 0;

    if (!ports)
        return 0;
    meta = xasprintf("<hostfwd ports='%s'/>", ports);
    if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, meta, FWD_NS_KEY,
                             FWD_NS_URI, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        err_set("VM %s on %s: define: hostfwd metadata: %s", spec->name, h->uri, lverr());
        rc = -1;
    }
    free(meta);
    free(ports);
    return rc;
}

static int lv_define(struct be_host *h, const struct be_vm_spec *spec)
{
    char *xml;
    virDomainPtr dom;
    int rc = 0;

    xml = lv_xml_build(spec);
    if (!xml) {
        err_prefix("VM %s on %s: define", spec->name ? spec->name : "?", h->uri);
        return -1;
    }
    dom = virDomainDefineXML(CONN(h), xml);
    free(xml);
    if (!dom) {
        err_set("VM %s on %s: define: %s", spec->name, h->uri, lverr());
        return -1;
    }
    rc = set_fwd_meta(h, dom, spec);
    virDomainFree(dom);
    return rc;
}

static int lv_start(struct be_host *h, const char *vm)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    int rc = 0;

    if (!dom)
        return -1;
    if (virDomainCreate(dom) < 0) {
        err_set("VM %s on %s: start: %s", vm, h->uri, lverr());
        rc = -1;
    } else if (add_hostfwds(h, dom, vm) < 0) {
        rc = -1;
    }
    virDomainFree(dom);
    return rc;
}

static enum be_state map_state(int st)
{
    switch (st) {
    case VIR_DOMAIN_RUNNING: return BE_STATE_RUNNING;
    case VIR_DOMAIN_PAUSED: return BE_STATE_PAUSED;
    case VIR_DOMAIN_SHUTOFF: return BE_STATE_SHUTOFF;
    case VIR_DOMAIN_CRASHED: return BE_STATE_CRASHED;
    default: return BE_STATE_OTHER;
    }
}

static int lv_state(struct be_host *h, const char *vm, enum be_state *out)
{
    bool missing;
    virDomainPtr dom = lookup(h, vm, &missing);
    int st, reason, rc = 0;

    if (!dom) {
        if (!missing)
            return -1;
        err_clear();
        *out = BE_STATE_NONE;
        return 0;
    }
    if (virDomainGetState(dom, &st, &reason, 0) < 0) {
        err_set("VM %s on %s: state: %s", vm, h->uri, lverr());
        rc = -1;
    } else {
        *out = map_state(st);
    }
    virDomainFree(dom);
    return rc;
}

static int lv_persistent(struct be_host *h, const char *vm, bool *out)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    int p;

    if (!dom)
        return -1;
    p = virDomainIsPersistent(dom);
    virDomainFree(dom);
    if (p < 0) {
        err_set("VM %s on %s: persistent: %s", vm, h->uri, lverr());
        return -1;
    }
    *out = p == 1;
    return 0;
}

static int lv_shutdown(struct be_host *h, const char *vm, double timeout_s)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    double deadline = clock_now() + timeout_s, next_req = 0;
    int st, reason, rc = -1;

    if (!dom)
        return -1;
    for (;;) {
        if (virDomainGetState(dom, &st, &reason, 0) < 0) {
            err_set("VM %s on %s: shutdown: state: %s", vm, h->uri, lverr());
            goto cleanup;
        }
        if (st == VIR_DOMAIN_SHUTOFF) {
            rc = 0;
            goto cleanup;
        }
        if (clock_now() >= deadline) {
            err_set("VM %s on %s: did not power off within %.0f s of shutdown",
                    vm, h->uri, timeout_s);
            goto cleanup;
        }
        /* repeat the ACPI request: a guest still booting ignores the first one */
        if (clock_now() >= next_req) {
            if (virDomainShutdown(dom) < 0 && virGetLastErrorCode() != VIR_ERR_OPERATION_INVALID) {
                err_set("VM %s on %s: shutdown: %s", vm, h->uri, lverr());
                goto cleanup;
            }
            next_req = clock_now() + 1.0;
        }
        clock_sleep(0.1);
    }
cleanup:
    virDomainFree(dom);
    return rc;
}

static int lv_destroy(struct be_host *h, const char *vm)
{
    bool missing;
    virDomainPtr dom = lookup(h, vm, &missing);
    int rc = 0;

    if (!dom) {
        if (!missing)
            return -1;
        err_clear();
        return 0;
    }
    if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0 &&
        virDomainIsActive(dom) != 0) {
        err_set("VM %s on %s: destroy: %s", vm, h->uri, lverr());
        rc = -1;
    }
    virDomainFree(dom);
    return rc;
}

static int lv_undefine(struct be_host *h, const char *vm)
{
    bool missing;
    virDomainPtr dom = lookup(h, vm, &missing);
    int rc = 0;

    if (!dom) {
        if (!missing)
            return -1;
        err_clear();
        return 0;
    }
    if (virDomainIsPersistent(dom) == 1 &&
        virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                    VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA |
                                    VIR_DOMAIN_UNDEFINE_NVRAM) < 0) {
        err_set("VM %s on %s: undefine: %s", vm, h->uri, lverr());
        rc = -1;
    }
    virDomainFree(dom);
    return rc;
}

static bool in_postcopy(virDomainPtr dom)
{
    int st, reason;

    return virDomainGetState(dom, &st, &reason, 0) == 0 &&
           st == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_POSTCOPY;
}

static unsigned long long ull_param(virTypedParameterPtr p, int n, const char *name)
{
    unsigned long long v = 0;
    virTypedParamsGetULLong(p, n, name, &v);
    return v;
}

static int lv_job_stats(struct be_host *h, const char *vm, struct be_job_stats *out)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    virTypedParameterPtr p = NULL;
    int n = 0, type = 0, rc = 0;

    memset(out, 0, sizeof(*out));
    if (!dom)
        return -1;
    if (virDomainGetJobStats(dom, &type, &p, &n, 0) < 0) {
        err_set("VM %s on %s: job stats: %s", vm, h->uri, lverr());
        rc = -1;
        goto cleanup;
    }
    out->active = type != VIR_DOMAIN_JOB_NONE;
    out->postcopy = in_postcopy(dom);
    out->elapsed_ms = (double)ull_param(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED);
    out->data_total = ull_param(p, n, VIR_DOMAIN_JOB_DATA_TOTAL);
    out->data_processed = ull_param(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
    out->data_remaining = ull_param(p, n, VIR_DOMAIN_JOB_DATA_REMAINING);
    out->mem_processed = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED);
    out->mem_iterations = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
    out->mem_dirty_rate = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE);
    out->expected_downtime_ms = (double)ull_param(p, n, VIR_DOMAIN_JOB_DOWNTIME);
cleanup:
    virTypedParamsFree(p, n);
    virDomainFree(dom);
    return rc;
}

/* The domain operations that are one libvirt call: looked up by name, called, the
 * error named after the operation. */
struct dom_op {
    const char *what;
    int (*call)(virDomainPtr dom);
};

static int call_start_postcopy(virDomainPtr dom)
{
    return virDomainMigrateStartPostCopy(dom, 0);
}

static int call_abort_postcopy(virDomainPtr dom)
{
    return virDomainAbortJobFlags(dom, VIR_DOMAIN_ABORT_JOB_POSTCOPY);
}

static const struct dom_op op_start_postcopy = { "start postcopy", call_start_postcopy },
                           op_abort_job = { "abort job", virDomainAbortJob },
                           op_abort_postcopy = { "abort postcopy", call_abort_postcopy },
                           op_suspend = { "suspend", virDomainSuspend },
                           op_resume = { "resume", virDomainResume };

static int on_domain(struct be_host *h, const char *vm, const struct dom_op *op)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    int rc = 0;

    if (!dom)
        return -1;
    if (op->call(dom) < 0) {
        err_set("VM %s on %s: %s: %s", vm, h->uri, op->what, lverr());
        rc = -1;
    }
    virDomainFree(dom);
    return rc;
}

static int lv_start_postcopy(struct be_host *h, const char *vm)
{
    return on_domain(h, vm, &op_start_postcopy);
}

static int lv_abort_job(struct be_host *h, const char *vm)
{
    return on_domain(h, vm, &op_abort_job);
}

static char *lv_console_path(struct be_host *h, const char *vm)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    char *xml, *path;

    if (!dom)
        return NULL;
    xml = virDomainGetXMLDesc(dom, 0);
    virDomainFree(dom);
    if (!xml) {
        err_set("VM %s on %s: XML: %s", vm, h->uri, lverr());
        return NULL;
    }
    path = lv_xml_console_path(xml);
    free(xml);
    return path;
}

/* "driver[+transport]://[host]/path": no host part = this machine */
static bool uri_is_local(const char *uri)
{
    const char *p = strstr(uri, "://");
    return p && p[3] == '/';
}

/* The free memory of each NUMA node in out->numa_nodes (virsh freecell). */
static void numa_free(struct be_host *h, struct be_host_info *out)
{
    size_t n = 0;
    while (out->numa_nodes && out->numa_nodes[n])
        n++;
    if (!n)
        return;
    out->numa_free_bytes = xcalloc(n, sizeof(*out->numa_free_bytes));
    for (size_t i = 0; i < n; i++) {
        unsigned long long b = 0;
        int cell = atoi(out->numa_nodes[i]);
        if (virNodeGetCellsFreeMemory(CONN(h), &b, cell, 1) == 1)
            out->numa_free_bytes[i] = b;
    }
}

static int lv_host_info(struct be_host *h, struct be_host_info *out)
{
    const char *type;
    unsigned long v;
    unsigned long long free_b;
    virNodeInfo ni;
    char *caps, *dcaps;

    memset(out, 0, sizeof(*out));
    out->hostname = virConnectGetHostname(CONN(h));
    if (!out->hostname) {
        err_set("host %s: hostname: %s", h->uri, lverr());
        return -1;
    }
    if (virConnectGetLibVersion(CONN(h), &v) == 0)
        out->libvirt_version = v;
    type = virConnectGetType(CONN(h));
    out->hypervisor = type ? xstrdup(type) : NULL;
    if (virConnectGetVersion(CONN(h), &v) == 0)
        out->hv_version = v;
    caps = virConnectGetCapabilities(CONN(h));
    if (caps) {
        out->arch = lv_xml_xpath_string(caps, "string(/capabilities/host/cpu/arch)");
        out->host_cpu_model = lv_xml_xpath_string(caps,
                                                    "string(/capabilities/host/cpu/model)");
        out->host_uuid = lv_xml_xpath_string(caps, "string(/capabilities/host/uuid)");
        out->numa_nodes = lv_xml_xpath_strings(caps,
                                               "/capabilities/host/topology/cells/cell/@id");
        free(caps);
    }
    numa_free(h, out);
    if (virNodeGetInfo(CONN(h), &ni) == 0) {
        out->total_mem_bytes = (unsigned long long)ni.memory * 1024;
        out->ncpus = ni.cpus;
    }
    free_b = virNodeGetFreeMemory(CONN(h));
    out->free_mem_bytes = free_b;
    /* the models a guest of this driver's default virt type can use */
    dcaps = virConnectGetDomainCapabilities(CONN(h), NULL, out->arch, NULL, NULL, 0);
    if (dcaps) {
        out->cpu_models = lv_xml_xpath_strings(
            dcaps, "/domainCapabilities/cpu/mode[@name='custom']/model[@usable='yes']");
        free(dcaps);
    }
    if (uri_is_local(h->uri)) {
        /* the lab's daemons differ from this machine only in hostname and UUID */
        be_host_info_local(out);
    }
    err_clear();
    return 0;
}

/* ---- migration primitives ------------------------------------------------- */

/*
 * A migration job.  The blocking libvirt call runs in its own thread (mig_thread), on
 * a connection of its own: libvirt's client multiplexes the calls of all threads on
 * one connection, and while a long call holds the connection's I/O a short call of
 * another thread (the supervisor's job_stats, abort_job) was seen to wait for the
 * next keepalive, 5 s, before it was even sent.  The job-completed event, on the
 * source handle's connection, brings the source's own final figures.  The caller,
 * the thread and the event registration each hold a reference, so a job abandoned
 * while its call is blocked is freed by whichever lets go last; the thread and the
 * event touch only the job, never a struct be_host (the caller may close it).
 */
struct be_job {
    pthread_mutex_t lock;
    pthread_cond_t cond;            /* done */
    int refs;
    /* the call (read-only once the thread runs) */
    virConnectPtr conn;             /* the call's own connection to the source */
    virDomainPtr dom;               /* the VM through it */
    virConnectPtr dconn;            /* direct migration: the destination (a reference) */
    char *desturi;                  /* p2p */
    virTypedParameterPtr params;
    int nparams;
    unsigned int flags;
    /* its outcome */
    bool done;
    int rc;
    int code;                       /* libvirt's error code of a failed call */
    char *err;
    /* the job-completed event */
    bool seen;
    struct be_hop_metrics ev;
    /* the caller's */
    struct be_host *src, *dst;
    char *vm;
    char *dest_vm;                  /* its name on dst (BE_MP_DEST_NAME), else NULL */
    int cb_id;
    int iter_cb_id;                 /* the migration-iteration event's */
    long iteration;                 /* its last pass number; -1 none seen */
    virConnectPtr cb_conn;          /* where cb_id is registered (a reference) */
    pthread_t tid;
};

static void job_unref(struct be_job *j)
{
    bool last;

    pthread_mutex_lock(&j->lock);
    last = --j->refs == 0;
    pthread_mutex_unlock(&j->lock);
    if (!last)
        return;
    if (j->dom)
        virDomainFree(j->dom);
    if (j->conn)
        virConnectClose(j->conn);
    if (j->dconn)
        virConnectClose(j->dconn);
    virTypedParamsFree(j->params, j->nparams);
    free(j->desturi);
    free(j->err);
    free(j->vm);
    free(j->dest_vm);
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

static void job_event_free(void *opaque)
{
    job_unref(opaque);
}

/* The job-completed registration goes, from the connection it was made on (the
 * host's may have been reopened since).  The caller still holds its reference. */
static void event_release(struct be_job *j)
{
    virConnectPtr c = j->cb_conn;

    if (j->cb_id >= 0)
        virConnectDomainEventDeregisterAny(c, j->cb_id);
    if (j->iter_cb_id >= 0)
        virConnectDomainEventDeregisterAny(c, j->iter_cb_id);
    j->cb_id = j->iter_cb_id = -1;
    j->cb_conn = NULL;
    if (c)
        virConnectClose(c);
}

/* The completed job's statistics, from the job-completed event or from
 * virDomainGetJobStats(COMPLETED): libvirt's figures of a hop. */
static void stats_to_metrics(virTypedParameterPtr p, int n, struct be_hop_metrics *m)
{
    unsigned long long v;

    m->time_ms = m->downtime_ms = m->setup_ms = -1;
    if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
        m->time_ms = (double)v;
    if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1)
        m->downtime_ms = (double)v;
    if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_SETUP_TIME, &v) == 1)
        m->setup_ms = (double)v;
    m->data_bytes = ull_param(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
    m->mem_bytes = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED);
    m->mem_iterations = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
}

static void on_job_completed(virConnectPtr conn, virDomainPtr dom,
                             virTypedParameterPtr p, int n, void *opaque)
{
    struct be_job *j = opaque;
    const char *name = virDomainGetName(dom);

    (void)conn;
    if (!name || strcmp(name, j->vm))
        return;     /* registered for every domain of the connection: not ours */
    pthread_mutex_lock(&j->lock);
    j->seen = true;
    stats_to_metrics(p, n, &j->ev);
    pthread_mutex_unlock(&j->lock);
}

static void on_iteration(virConnectPtr conn, virDomainPtr dom, int iteration, void *opaque)
{
    struct be_job *j = opaque;
    const char *name = virDomainGetName(dom);

    (void)conn;
    if (!name || strcmp(name, j->vm))
        return;
    pthread_mutex_lock(&j->lock);
    j->iteration = iteration;
    pthread_mutex_unlock(&j->lock);
}

static long lv_migrate_iteration(struct be_job *j)
{
    pthread_mutex_lock(&j->lock);
    long it = j->iteration;
    pthread_mutex_unlock(&j->lock);
    return it;
}

static void *mig_thread(void *arg)
{
    struct be_job *j = arg;
    int rc;

    if (j->dconn) {
        virDomainPtr ddom = virDomainMigrate3(j->dom, j->dconn, j->params, j->nparams,
                                              j->flags);
        rc = ddom ? 0 : -1;
        if (ddom)
            virDomainFree(ddom);
    } else {
        rc = virDomainMigrateToURI3(j->dom, j->desturi, j->params, j->nparams, j->flags);
    }
    pthread_mutex_lock(&j->lock);
    j->rc = rc;
    if (rc < 0) {
        j->err = xstrdup(lverr());   /* libvirt errors are per thread */
        j->code = virGetLastErrorCode();
    }
    j->done = true;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    job_unref(j);
    return NULL;
}

unsigned int be_libvirt_mig_flags(unsigned f)
{
    static const struct { unsigned be; unsigned int lv; } map[] = {
        { BE_MIG_LIVE, VIR_MIGRATE_LIVE },
        { BE_MIG_P2P, VIR_MIGRATE_PEER2PEER },
        { BE_MIG_TUNNELLED, VIR_MIGRATE_TUNNELLED },
        { BE_MIG_PERSISTENT, VIR_MIGRATE_PERSIST_DEST },
        { BE_MIG_UNDEFINE_SOURCE, VIR_MIGRATE_UNDEFINE_SOURCE },
        { BE_MIG_POSTCOPY, VIR_MIGRATE_POSTCOPY },
        { BE_MIG_AUTO_CONVERGE, VIR_MIGRATE_AUTO_CONVERGE },
        { BE_MIG_COMPRESSED, VIR_MIGRATE_COMPRESSED },
        { BE_MIG_OFFLINE, VIR_MIGRATE_OFFLINE },
        { BE_MIG_UNSAFE, VIR_MIGRATE_UNSAFE },
        { BE_MIG_ABORT_ON_ERROR, VIR_MIGRATE_ABORT_ON_ERROR },
        { BE_MIG_POSTCOPY_RESUME, VIR_MIGRATE_POSTCOPY_RESUME },
        { BE_MIG_PAUSED, VIR_MIGRATE_PAUSED },
        { BE_MIG_COPY_STORAGE_ALL, VIR_MIGRATE_NON_SHARED_DISK },
        { BE_MIG_COPY_STORAGE_INC, VIR_MIGRATE_NON_SHARED_INC },
        { BE_MIG_COPY_STORAGE_SYNC, VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES },
        { BE_MIG_CHANGE_PROTECTION, VIR_MIGRATE_CHANGE_PROTECTION },
        { BE_MIG_TLS, VIR_MIGRATE_TLS },
        { BE_MIG_PARALLEL, VIR_MIGRATE_PARALLEL },
        { BE_MIG_ZEROCOPY, VIR_MIGRATE_ZEROCOPY },
        { BE_MIG_RDMA_PIN_ALL, VIR_MIGRATE_RDMA_PIN_ALL },
        /* BE_MIG_DIRECT is no flag: the call without PEER2PEER (mig_call_setup) */
    };
    unsigned int lv = 0;

    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (f & map[i].be)
            lv |= map[i].lv;
    return lv;
}

/* One typed parameter of opts->params onto the call's list. */
static int add_param(struct be_job *j, int *maxp, const struct be_mig_param_val *v)
{
    const char *name = be_mig_param_name(v->id);

    switch (be_mig_param_type(v->id)) {
    case BE_MPT_INT:
        return virTypedParamsAddInt(&j->params, &j->nparams, maxp, name, (int)v->num);
    case BE_MPT_ULLONG:
        return virTypedParamsAddULLong(&j->params, &j->nparams, maxp, name,
                                       (unsigned long long)v->num);
    case BE_MPT_STRING:
        break;
    }
    /* AddString replaces an earlier value; the list params take every one */
    if (v->id == BE_MP_MIGRATE_DISKS || v->id == BE_MP_COMPRESSION ||
        v->id == BE_MP_DISKS_DETECT_ZEROES)
        return virTypedParamsAddStringList(&j->params, &j->nparams, maxp, name,
                                           (const char *[]){ v->str, NULL });
    return virTypedParamsAddString(&j->params, &j->nparams, maxp, name, v->str);
}

static bool has_param(const struct be_migrate_opts *opts, enum be_mig_param id)
{
    for (size_t i = 0; i < opts->nparams; i++)
        if (opts->params[i].id == id)
            return true;
    return false;
}

/* The call's typed parameters and destination. */
static int mig_call_setup(struct be_job *j, struct be_host *dst,
                          const struct be_migrate_opts *opts)
{
    /* the case's own --migrateuri wins over the host's default; a tunnelled
     * migration's data goes through the daemons' connection, so the host's data
     * channel is not used there (libvirt refuses a URI "not supported by tunnelled
     * migration"), while one the hop names still reaches libvirt, as virsh's */
    const char *muri = has_param(opts, BE_MP_URI) ? NULL
                       : opts->migrate_uri ? (*opts->migrate_uri ? opts->migrate_uri : NULL)
                       : (opts->flags & BE_MIG_TUNNELLED) ? NULL : dst->migrate_uri;
    int maxp = 0;

    j->flags = be_libvirt_mig_flags(opts->flags);
    if ((muri && virTypedParamsAddString(&j->params, &j->nparams, &maxp,
                                         VIR_MIGRATE_PARAM_URI, muri) < 0) ||
        (opts->bandwidth_mib &&
         virTypedParamsAddULLong(&j->params, &j->nparams, &maxp,
                                 VIR_MIGRATE_PARAM_BANDWIDTH, opts->bandwidth_mib) < 0)) {
        err_set("typed parameters: %s", lverr());
        return -1;
    }
    for (size_t i = 0; i < opts->nparams; i++) {
        if (opts->params[i].id == BE_MP_DEST_NAME) {
            free(j->dest_vm);
            j->dest_vm = xstrdup(opts->params[i].str);
        }
        if (add_param(j, &maxp, &opts->params[i]) < 0) {
            err_set("typed parameter %s: %s", be_mig_param_name(opts->params[i].id),
                    lverr());
            return -1;
        }
    }
    /* p2p, and virsh's --direct: the source's side opens the destination URI */
    if (opts->flags & (BE_MIG_P2P | BE_MIG_DIRECT)) {
        j->desturi = xstrdup(opts->dest_uri ? opts->dest_uri
                             : dst->migrate_desturi ? dst->migrate_desturi : dst->uri);
    } else {
        j->dconn = CONN(dst);
        virConnectRef(j->dconn);
    }
    return 0;
}

static struct be_job *lv_migrate_start(struct be_host *src, struct be_host *dst,
                                       const char *vm, const struct be_migrate_opts *opts)
{
    struct be_job *j = xcalloc(1, sizeof(*j));
    pthread_condattr_t ca;

    pthread_mutex_init(&j->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cond, &ca);
    pthread_condattr_destroy(&ca);
    j->refs = 1;
    j->src = src;
    j->dst = dst;
    j->vm = xstrdup(vm);
    j->cb_id = j->iter_cb_id = -1;
    j->iteration = -1;
    /* a source connection lost since the last call comes back before the hop */
    if (lv_conn_lost(src->lc) && lv_conn_recover(src->lc) == 0)
        goto fail;
    j->conn = mc_take(src->mc);
    if (!j->conn)
        goto fail;
    j->dom = virDomainLookupByName(j->conn, vm);
    if (!j->dom) {
        err_set("lookup on %s: %s", src->uri, lverr());
        goto fail;
    }
    if (mig_call_setup(j, dst, opts) < 0)
        goto fail;
    /* no typed parameter for it: set on the domain, the job reads it */
    if (opts->max_downtime_ms &&
        virDomainMigrateSetMaxDowntime(j->dom, opts->max_downtime_ms, 0) < 0) {
        err_set("max downtime %lu ms: %s", opts->max_downtime_ms, lverr());
        goto fail;
    }
    j->cb_conn = CONN(src);
    virConnectRef(j->cb_conn);
    j->cb_id = virConnectDomainEventRegisterAny(j->cb_conn, NULL,
                                                VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
                                                VIR_DOMAIN_EVENT_CALLBACK(on_job_completed),
                                                j, job_event_free);
    if (j->cb_id >= 0)
        j->refs++;
    j->iter_cb_id = virConnectDomainEventRegisterAny(j->cb_conn, NULL,
                                                     VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
                                                     VIR_DOMAIN_EVENT_CALLBACK(on_iteration),
                                                     j, job_event_free);
    if (j->iter_cb_id >= 0)
        j->refs++;
    j->refs++;      /* the thread's */
    if (pthread_create(&j->tid, NULL, mig_thread, j) != 0) {
        j->refs--;
        err_set("cannot start a thread");
        goto fail;
    }
    return j;
fail:
    event_release(j);
    job_unref(j);
    return NULL;
}

static int lv_migrate_wait(struct be_job *j, double timeout_s)
{
    double until = clock_now() + (timeout_s > 0 ? timeout_s : 0);
    struct timespec ts = { .tv_sec = (time_t)until,
                           .tv_nsec = (long)((until - (double)(time_t)until) * 1e9) };
    bool done;

    pthread_mutex_lock(&j->lock);
    while (!j->done && pthread_cond_timedwait(&j->cond, &j->lock, &ts) == 0)
        ;
    done = j->done;
    pthread_mutex_unlock(&j->lock);
    return done;
}

/* Completed-job statistics: the destination has them (from the source's cookie);
 * the source too while its domain still exists.  The figures come from the first host
 * that has them; whether the job was cancelled from every host that says (after a
 * failed hop the destination's incoming domain may report its own failed job while
 * the source's says "cancelled": an abort from another thread). */
static bool completed_stats(struct be_host *src, struct be_host *dst, const char *vm,
                            struct be_hop_metrics *m)
{
    struct be_host *hosts[] = { dst, src };
    bool found = false;

    for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
        virDomainPtr dom = virDomainLookupByName(CONN(hosts[i]), vm);
        virTypedParameterPtr p = NULL;
        int n = 0, type = 0;
        bool ok;

        if (!dom)
            continue;
        ok = virDomainGetJobStats(dom, &type, &p, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0 &&
             type != VIR_DOMAIN_JOB_NONE;
        if (ok && !found)
            stats_to_metrics(p, n, m);
        /* a job cancelled by anyone: libvirt's error of the failed call may be another
         * (peer to peer, the dropped connection to the destination, "End of file ...") */
        if (ok && type == VIR_DOMAIN_JOB_CANCELLED)
            m->aborted = true;
        virTypedParamsFree(p, n);
        virDomainFree(dom);
        found |= ok;
        if (found && m->aborted)
            break;
    }
    return found;
}

/* The figures of a completed hop: the job-completed event (the source's own) comes
 * through the event loop a moment after the call returns; else the completed stats. */
static void final_metrics(struct be_job *j, struct be_hop_metrics *m)
{
    double until = clock_now() + (j->cb_id >= 0 ? 1.0 : 0);

    for (;; clock_sleep(0.01)) {
        bool seen;
        pthread_mutex_lock(&j->lock);
        seen = j->seen;
        if (seen)
            *m = j->ev;
        pthread_mutex_unlock(&j->lock);
        if (seen)
            return;
        if (clock_now() >= until)
            break;
    }
    completed_stats(j->src, j->dst, j->vm, m);
}

/* A failed call: libvirt's words, the failed job's figures, and whether the job was
 * cancelled or is a postcopy left paused. */
static void failed_metrics(struct be_job *j, struct be_hop_metrics *m)
{
    int st, reason;

    completed_stats(j->src, j->dst, j->vm, m);
    m->aborted = m->aborted || j->code == VIR_ERR_OPERATION_ABORTED ||
                 (j->err && strstr(j->err, "canceled by client"));
    m->postcopy = virDomainGetState(j->dom, &st, &reason, 0) == 0 &&
                  st == VIR_DOMAIN_PAUSED && (reason == VIR_DOMAIN_PAUSED_POSTCOPY ||
                                              reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED);
    /* a daemon of the hop went away (killed, restarted, hung until keepalive gave
     * up) when vtrun's own connection to it is dead too.  Not every RPC error of a
     * peer-to-peer hop: a destination refusing QEMU's migration port also ends in
     * "End of file while reading data" between the daemons, and that is the hop's
     * failure (tests/e2e/test_remote.c) */
    m->conn_lost = virConnectIsAlive(j->conn) != 1 || lv_conn_lost(j->src->lc) ||
                   lv_conn_lost(j->dst->lc);
    err_clear();
    err_set("%s", j->err);
}

/* The guest is on dst now: its SSH forwards stayed behind with the source QEMU. */
static int arrived(struct be_job *j)
{
    const char *name = j->dest_vm ? j->dest_vm : j->vm;
    virDomainPtr ddom = lookup(j->dst, name, NULL);
    int rc;

    if (!ddom) {
        err_prefix("after migration");
        return -1;
    }
    rc = add_hostfwds(j->dst, ddom, name);
    virDomainFree(ddom);
    if (rc < 0)
        err_prefix("migrated to %s", j->dst->uri);
    return rc;
}

static int lv_migrate_finish(struct be_job *j, struct be_hop_metrics *out)
{
    struct be_hop_metrics m = { .time_ms = -1, .downtime_ms = -1, .setup_ms = -1 };
    int rc = -1;
    bool joined = false;

    if (!lv_migrate_wait(j, 0)) {
        /* the call is blocked in libvirt: its thread keeps the job until it returns */
        pthread_detach(j->tid);
        err_set("the libvirt migration call did not return; left to its thread");
        goto out;
    }
    pthread_join(j->tid, NULL);
    joined = true;
    if (j->rc < 0) {
        failed_metrics(j, &m);
        goto out;
    }
    final_metrics(j, &m);
    rc = arrived(j);
out:
    event_release(j);
    if (joined) {
        /* the call returned: its connection serves the source's next hop */
        virDomainFree(j->dom);
        j->dom = NULL;
        mc_give(j->src->mc, j->conn);
        j->conn = NULL;
    }
    job_unref(j);
    if (out)
        *out = m;
    return rc;
}

static int lv_abort_postcopy(struct be_host *h, const char *vm)
{
    return on_domain(h, vm, &op_abort_postcopy);
}

static int lv_suspend(struct be_host *h, const char *vm)
{
    return on_domain(h, vm, &op_suspend);
}

static int lv_resume(struct be_host *h, const char *vm)
{
    return on_domain(h, vm, &op_resume);
}

static int lv_set_vcpus(struct be_host *h, const char *vm, unsigned n)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    int rc = 0;

    if (!dom)
        return -1;
    if (virDomainSetVcpusFlags(dom, n, VIR_DOMAIN_AFFECT_LIVE) < 0) {
        err_set("VM %s on %s: setvcpus %u --live: %s", vm, h->uri, n, lverr());
        rc = -1;
    }
    virDomainFree(dom);
    return rc;
}

static int lv_vcpus(struct be_host *h, const char *vm, unsigned *out)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    int n;

    if (!dom)
        return -1;
    n = virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_LIVE);
    virDomainFree(dom);
    if (n < 0) {
        err_set("VM %s on %s: vcpucount --live: %s", vm, h->uri, lverr());
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

static int lv_attach_dimm(struct be_host *h, const char *vm, unsigned long size_kib, int node)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    char *xml = lv_xml_dimm(size_kib, node);
    int rc = 0;

    if (!dom || !xml) {
        free(xml);
        if (dom)
            virDomainFree(dom);
        return -1;
    }
    if (virDomainAttachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE) < 0) {
        err_set("VM %s on %s: attach-device --live (DIMM %lu KiB): %s", vm, h->uri,
                size_kib, lverr());
        rc = -1;
    }
    free(xml);
    virDomainFree(dom);
    return rc;
}

static int lv_memory(struct be_host *h, const char *vm, unsigned long *cur_kib)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    virDomainInfo info;
    int rc = 0;

    if (!dom)
        return -1;
    if (virDomainGetInfo(dom, &info) < 0) {
        err_set("VM %s on %s: dominfo: %s", vm, h->uri, lverr());
        rc = -1;
    } else {
        *cur_kib = info.memory;
    }
    virDomainFree(dom);
    return rc;
}

static int lv_attach_nic(struct be_host *h, const char *vm, const struct be_nic *nic)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    char *xml = lv_xml_nic(nic);
    int rc = 0;

    if (!dom || !xml) {
        free(xml);
        if (dom)
            virDomainFree(dom);
        return -1;
    }
    if (virDomainAttachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE |
                                   VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        err_set("VM %s on %s: attach-interface --live --config: %s", vm, h->uri, lverr());
        rc = -1;
    }
    free(xml);
    virDomainFree(dom);
    return rc;
}

/* The domain's XML with flags; NULL + err. */
static char *xml_desc(struct be_host *h, const char *vm, unsigned flags)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    char *xml;

    if (!dom)
        return NULL;
    xml = virDomainGetXMLDesc(dom, flags);
    virDomainFree(dom);
    if (!xml)
        err_set("VM %s on %s: XML: %s", vm, h->uri, lverr());
    return xml;
}

static char *lv_migratable_def(struct be_host *h, const char *vm, const char *rename)
{
    char *xml = xml_desc(h, vm, VIR_DOMAIN_XML_MIGRATABLE | VIR_DOMAIN_XML_SECURE), *out;

    if (!xml || !rename)
        return xml;
    out = lv_xml_rename(xml, rename);
    free(xml);
    return out;
}

static int lv_has_mac(struct be_host *h, const char *vm, const char *mac)
{
    char *xml = xml_desc(h, vm, 0), *expr;
    char **found;
    int rc;

    if (!xml)
        return -1;
    expr = xasprintf("/domain/devices/interface/mac[translate(@address,'ABCDEF','abcdef')"
                     "=translate('%s','ABCDEF','abcdef')]/@address", mac);
    found = lv_xml_xpath_strings(xml, expr);
    free(expr);
    free(xml);
    if (!found) {
        err_set("VM %s on %s: XML does not parse", vm, h->uri);
        return -1;
    }
    rc = found[0] != NULL;
    for (size_t i = 0; found[i]; i++)
        free(found[i]);
    free(found);
    return rc;
}

static int lv_on_hugepages(struct be_host *h, const char *vm)
{
    char *xml = xml_desc(h, vm, 0), *n;
    int rc;

    if (!xml)
        return -1;
    n = lv_xml_xpath_string(xml, "count(/domain/memoryBacking/hugepages)");
    free(xml);
    if (!n) {
        err_set("VM %s on %s: XML does not parse", vm, h->uri);
        return -1;
    }
    rc = strcmp(n, "0") != 0;
    free(n);
    return rc;
}

/* virsh save: the guest's memory and device state into path on h (written by the
 * daemon there); the domain stops, its definition stays. */
static int lv_save(struct be_host *h, const char *vm, const char *path)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    int rc = 0;

    if (!dom)
        return -1;
    if (virDomainSave(dom, path) < 0) {
        err_set("VM %s on %s: save to %s: %s", vm, h->uri, path, lverr());
        rc = -1;
    }
    virDomainFree(dom);
    return rc;
}

/* virsh restore: the domain saved in path (on h) runs again, as it was. */
static int lv_restore(struct be_host *h, const char *vm, const char *path)
{
    virDomainPtr dom;
    int rc;

    if (virDomainRestore(CONN(h), path) < 0) {
        err_set("VM %s on %s: restore from %s: %s", vm, h->uri, path, lverr());
        return -1;
    }
    if (!(dom = lookup(h, vm, NULL)))
        return -1;
    rc = add_hostfwds(h, dom, vm);
    virDomainFree(dom);
    return rc;
}

/* virsh restore --xml: the state saved in path runs as spec's domain.  The saved
 * definition (virsh save-image-dumpxml) keeps what libvirt checks for ABI stability
 * (uuid, devices, addresses); spec gives the name, the disk files (fresh overlays)
 * and the console file.  Defined first, so the domain is persistent as a started
 * one is. */
static int lv_restore_as(struct be_host *h, const struct be_vm_spec *spec, const char *path)
{
    char *saved = virDomainSaveImageGetXMLDesc(CONN(h), path, VIR_DOMAIN_SAVE_IMAGE_XML_SECURE);
    char *xml;
    virDomainPtr dom;
    int rc;

    if (!saved) {
        err_set("VM %s on %s: restore from %s: %s", spec->name, h->uri, path, lverr());
        return -1;
    }
    xml = lv_xml_restore_as(saved, spec);
    free(saved);
    if (!xml)
        return -1;
    if (!(dom = virDomainDefineXML(CONN(h), xml))) {
        err_set("VM %s on %s: define from %s: %s", spec->name, h->uri, path, lverr());
        free(xml);
        return -1;
    }
    rc = set_fwd_meta(h, dom, spec);
    if (rc == 0 && virDomainRestoreFlags(CONN(h), path, xml, VIR_DOMAIN_SAVE_RUNNING) < 0) {
        err_set("VM %s on %s: restore from %s: %s", spec->name, h->uri, path, lverr());
        rc = -1;
    }
    free(xml);
    if (rc == 0)
        rc = add_hostfwds(h, dom, spec->name);
    virDomainFree(dom);
    return rc;
}

/* virsh list: whether vm is among the running domains of h. */
static int lv_listed(struct be_host *h, const char *vm, bool *out)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(CONN(h), &doms, VIR_CONNECT_LIST_DOMAINS_RUNNING);

    if (n < 0) {
        err_set("%s: list domains: %s", h->uri, lverr());
        return -1;
    }
    *out = false;
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        if (name && !strcmp(name, vm))
            *out = true;
        virDomainFree(doms[i]);
    }
    free(doms);
    return 0;
}

/* virsh dumpxml: the live definition (what the host runs now), secure fields left
 * out as libvirt does without VIR_DOMAIN_XML_SECURE. */
static int lv_dump_xml(struct be_host *h, const char *vm, struct strbuf *out)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    char *xml;

    if (!dom)
        return -1;
    xml = virDomainGetXMLDesc(dom, 0);
    if (!xml)
        err_set("VM %s on %s: dumpxml: %s", vm, h->uri, lverr());
    else
        strbuf_addstr(out, xml);
    free(xml);
    virDomainFree(dom);
    return xml ? 0 : -1;
}

/* virsh domjobinfo --completed: every typed parameter of the last completed job,
 * one "name: value" line each, as libvirt names them. */
static int lv_job_info(struct be_host *h, const char *vm, struct strbuf *out)
{
    static const char *const types[] = {
        [VIR_DOMAIN_JOB_NONE] = "None", [VIR_DOMAIN_JOB_BOUNDED] = "Bounded",
        [VIR_DOMAIN_JOB_UNBOUNDED] = "Unbounded", [VIR_DOMAIN_JOB_COMPLETED] = "Completed",
        [VIR_DOMAIN_JOB_FAILED] = "Failed", [VIR_DOMAIN_JOB_CANCELLED] = "Cancelled",
    };
    virDomainPtr dom = lookup(h, vm, NULL);
    virTypedParameterPtr p = NULL;
    int n = 0, type = 0;

    if (!dom)
        return -1;
    if (virDomainGetJobStats(dom, &type, &p, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) < 0) {
        err_set("VM %s on %s: completed job stats: %s", vm, h->uri, lverr());
        virDomainFree(dom);
        return -1;
    }
    strbuf_addf(out, "type: %s\n", type >= 0 && (size_t)type < ARRAY_SIZE(types) &&
                types[type] ? types[type] : "?");
    for (int i = 0; i < n; i++) {
        const virTypedParameter *t = &p[i];
        strbuf_addf(out, "%s: ", t->field);
        switch (t->type) {
        case VIR_TYPED_PARAM_INT: strbuf_addf(out, "%d", t->value.i); break;
        case VIR_TYPED_PARAM_UINT: strbuf_addf(out, "%u", t->value.ui); break;
        case VIR_TYPED_PARAM_LLONG: strbuf_addf(out, "%lld", t->value.l); break;
        case VIR_TYPED_PARAM_ULLONG: strbuf_addf(out, "%llu", t->value.ul); break;
        case VIR_TYPED_PARAM_DOUBLE: strbuf_addf(out, "%g", t->value.d); break;
        case VIR_TYPED_PARAM_BOOLEAN: strbuf_addstr(out, t->value.b ? "yes" : "no"); break;
        case VIR_TYPED_PARAM_STRING: strbuf_addstr(out, t->value.s ? t->value.s : ""); break;
        default: strbuf_addch(out, '?');
        }
        strbuf_addch(out, '\n');
    }
    virTypedParamsFree(p, n);
    virDomainFree(dom);
    return 0;
}

static char *lv_render(const struct be_vm_spec *spec, const char **ext)
{
    *ext = "xml";
    return lv_xml_build(spec);
}

/* ---- calls that come back --------------------------------------------------------
 *
 * A call that failed because its connection was lost (lookup() already reopens one
 * lost before the call) is made again on the reopened connection: cleanup's destroy
 * and undefine above all, which otherwise leave the domain running on a host whose
 * daemon merely restarted.  At most CALL_TRIES calls in all, so a daemon that dies at
 * every call does not loop.  Only calls that are safe to repeat: the migration call,
 * save/restore and suspend/resume are not. */
#define CALL_TRIES 3

static bool again(struct be_host *h, int rc, int *tries)
{
    return rc < 0 && ++*tries < CALL_TRIES && lv_conn_recover(h->lc) == 1;
}

#define RETRYING(h, call)                                   \
    do {                                                    \
        int rc_, tries_ = 0;                                \
        while (again((h), rc_ = (call), &tries_))           \
            ;                                               \
        return rc_;                                         \
    } while (0)

static int rt_define(struct be_host *h, const struct be_vm_spec *spec)
{
    RETRYING(h, lv_define(h, spec));
}

/* A start whose answer was lost may have started the domain: running is success. */
static int rt_start(struct be_host *h, const char *vm)
{
    int rc, tries = 0;
    enum be_state st;

    while (again(h, rc = lv_start(h, vm), &tries)) {
        if (lv_state(h, vm, &st) == 0 && st == BE_STATE_RUNNING) {
            virDomainPtr dom = lookup(h, vm, NULL);
            rc = dom ? add_hostfwds(h, dom, vm) : -1;
            if (dom)
                virDomainFree(dom);
            break;
        }
    }
    return rc;
}

static int rt_shutdown(struct be_host *h, const char *vm, double timeout_s)
{
    RETRYING(h, lv_shutdown(h, vm, timeout_s));
}

static int rt_destroy(struct be_host *h, const char *vm)
{
    RETRYING(h, lv_destroy(h, vm));
}

static int rt_undefine(struct be_host *h, const char *vm)
{
    RETRYING(h, lv_undefine(h, vm));
}

static int rt_state(struct be_host *h, const char *vm, enum be_state *out)
{
    RETRYING(h, lv_state(h, vm, out));
}

static int rt_persistent(struct be_host *h, const char *vm, bool *out)
{
    RETRYING(h, lv_persistent(h, vm, out));
}

static int rt_job_stats(struct be_host *h, const char *vm, struct be_job_stats *out)
{
    RETRYING(h, lv_job_stats(h, vm, out));
}

static int rt_abort_job(struct be_host *h, const char *vm)
{
    RETRYING(h, lv_abort_job(h, vm));
}

static int rt_listed(struct be_host *h, const char *vm, bool *out)
{
    RETRYING(h, lv_listed(h, vm, out));
}

static int rt_dump_xml(struct be_host *h, const char *vm, struct strbuf *out)
{
    size_t len = out->len;
    RETRYING(h, (strbuf_setlen(out, len), lv_dump_xml(h, vm, out)));
}

static int rt_job_info(struct be_host *h, const char *vm, struct strbuf *out)
{
    size_t len = out->len;
    RETRYING(h, (strbuf_setlen(out, len), lv_job_info(h, vm, out)));
}

static int rt_has_mac(struct be_host *h, const char *vm, const char *mac)
{
    RETRYING(h, lv_has_mac(h, vm, mac));
}

static int rt_on_hugepages(struct be_host *h, const char *vm)
{
    RETRYING(h, lv_on_hugepages(h, vm));
}

static int rt_host_info(struct be_host *h, struct be_host_info *out)
{
    RETRYING(h, lv_host_info(h, out));
}

static int lv_free_mem(struct be_host *h, unsigned long long *bytes)
{
    *bytes = virNodeGetFreeMemory(CONN(h));
    if (*bytes)
        return 0;
    err_set("host %s: free memory: %s", h->uri, lverr());
    return -1;
}

static int rt_free_mem(struct be_host *h, unsigned long long *bytes)
{
    RETRYING(h, lv_free_mem(h, bytes));
}

const struct be_ops be_libvirt_ops = {
    .name = "libvirt",
    .emulator_param = "emulator_path",
    .open = lv_open,
    .define = rt_define,
    .start = rt_start,
    .shutdown = rt_shutdown,
    .destroy = rt_destroy,
    .undefine = rt_undefine,
    .state = rt_state,
    .persistent = rt_persistent,
    .migrate_start = lv_migrate_start,
    .migrate_wait = lv_migrate_wait,
    .migrate_finish = lv_migrate_finish,
    .migrate_iteration = lv_migrate_iteration,
    .job_stats = rt_job_stats,
    .abort_job = rt_abort_job,
    .start_postcopy = lv_start_postcopy,
    .abort_postcopy = lv_abort_postcopy,
    .suspend = lv_suspend,
    .resume = lv_resume,
    .set_vcpus = lv_set_vcpus,
    .vcpus = lv_vcpus,
    .attach_dimm = lv_attach_dimm,
    .memory = lv_memory,
    .attach_nic = lv_attach_nic,
    .migratable_def = lv_migratable_def,
    .has_mac = rt_has_mac,
    .on_hugepages = rt_on_hugepages,
    .save = lv_save,
    .restore = lv_restore,
    .restore_as = lv_restore_as,
    .listed = rt_listed,
    .dump_xml = rt_dump_xml,
    .job_info = rt_job_info,
    .console_path = lv_console_path,
    .render = lv_render,
    .host_info = rt_host_info,
    .free_mem = rt_free_mem,
    .uri = lv_uri,
    .lost = lv_lost,
    .close = lv_close,
};
