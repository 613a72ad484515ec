/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt backend: the only file of vtrun that includes libvirt's headers.
 *
 * One struct be_host is one virConnectPtr.  libvirt connections are thread-safe, so
 * while a migration call blocks in a worker thread the calling thread keeps using the
 * same connection to poll the job (timeout, cancel, postcopy switch) and to abort it.
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

struct be_host {
    virConnectPtr conn;
    char *uri;
    char *migrate_desturi;
    char *migrate_uri;
};

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
    h->conn = virConnectOpen(conf->uri);
    if (!h->conn) {
        err_set("libvirt: cannot connect to %s: %s", conf->uri, lverr());
        free(h);
        return NULL;
    }
    /* with the event loop running, a daemon that dies mid-call fails the call
     * within ~20 s instead of hanging vtrun (5 s interval, 3 missed answers) */
    virConnectSetKeepAlive(h->conn, 5, 3);
    h->uri = xstrdup(conf->uri);
    h->migrate_desturi = conf->migrate_desturi ? xstrdup(conf->migrate_desturi) : NULL;
    h->migrate_uri = conf->migrate_uri ? xstrdup(conf->migrate_uri) : NULL;
    return h;
}

static void lv_close(struct be_host *h)
{
    if (!h)
        return;
    if (h->conn)
        virConnectClose(h->conn);
    free(h->uri);
    free(h->migrate_desturi);
    free(h->migrate_uri);
    free(h);
}

static const char *lv_uri(struct be_host *h)
{
    return h->uri;
}

/* The domain vm on h; NULL with *missing set when it does not exist, NULL with
 * err_set() on other errors. */
static virDomainPtr lookup(struct be_host *h, const char *vm, bool *missing)
{
    virDomainPtr dom = virDomainLookupByName(h->conn, vm);

    if (missing)
        *missing = false;
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

static int lv_define(struct be_host *h, const struct be_vm_spec *spec)
{
    char *xml, *ports, *meta;
    virDomainPtr dom;
    int rc = 0;

    xml = lv_xml_build(spec);
    if (!xml) {
        err_prefix("VM %s on %s: define", spec->name ? spec->name : "?", h->uri);
        return -1;
    }
    dom = virDomainDefineXML(h->conn, xml);
    free(xml);
    if (!dom) {
        err_set("VM %s on %s: define: %s", spec->name, h->uri, lverr());
        return -1;
    }
    ports = fwd_ports_string(spec);
    if (ports) {
        meta = xasprintf("<hostfwd ports='%s'/>", ports);
        if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, meta, FWD_NS_KEY,
                                 FWD_NS_URI, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
            err_set("VM %s on %s: define: hostfwd metadata: %s", spec->name, h->uri,
                    lverr());
            rc = -1;
        }
        free(meta);
        free(ports);
    }
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
    out->mem_iterations = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
    out->mem_dirty_rate = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE);
    out->expected_downtime_ms = (double)ull_param(p, n, VIR_DOMAIN_JOB_DOWNTIME);
cleanup:
    virTypedParamsFree(p, n);
    virDomainFree(dom);
    return rc;
}

static int lv_start_postcopy(struct be_host *h, const char *vm)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    int rc = 0;

    if (!dom)
        return -1;
    if (virDomainMigrateStartPostCopy(dom, 0) < 0) {
        err_set("VM %s on %s: start postcopy: %s", vm, h->uri, lverr());
        rc = -1;
    }
    virDomainFree(dom);
    return rc;
}

static int lv_abort_job(struct be_host *h, const char *vm)
{
    virDomainPtr dom = lookup(h, vm, NULL);
    int rc = 0;

    if (!dom)
        return -1;
    if (virDomainAbortJob(dom) < 0) {
        err_set("VM %s on %s: abort job: %s", vm, h->uri, lverr());
        rc = -1;
    }
    virDomainFree(dom);
    return rc;
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

static int lv_host_info(struct be_host *h, struct be_host_info *out)
{
    const char *type;
    unsigned long v;
    unsigned long long free_b;
    virNodeInfo ni;
    char *caps, *dcaps;

    memset(out, 0, sizeof(*out));
    out->hostname = virConnectGetHostname(h->conn);
    if (!out->hostname) {
        err_set("host %s: hostname: %s", h->uri, lverr());
        return -1;
    }
    if (virConnectGetLibVersion(h->conn, &v) == 0)
        out->libvirt_version = v;
    type = virConnectGetType(h->conn);
    out->hypervisor = type ? xstrdup(type) : NULL;
    if (virConnectGetVersion(h->conn, &v) == 0)
        out->hv_version = v;
    caps = virConnectGetCapabilities(h->conn);
    if (caps) {
        out->arch = lv_xml_xpath_string(caps, "string(/capabilities/host/cpu/arch)");
        out->host_cpu_model = lv_xml_xpath_string(caps,
                                                    "string(/capabilities/host/cpu/model)");
        out->host_uuid = lv_xml_xpath_string(caps, "string(/capabilities/host/uuid)");
        free(caps);
    }
    if (virNodeGetInfo(h->conn, &ni) == 0) {
        out->total_mem_bytes = (unsigned long long)ni.memory * 1024;
        out->ncpus = ni.cpus;
    }
    free_b = virNodeGetFreeMemory(h->conn);
    out->free_mem_bytes = free_b;
    /* the models a guest of this driver's default virt type can use */
    dcaps = virConnectGetDomainCapabilities(h->conn, NULL, out->arch, NULL, NULL, 0);
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

/* ---- migration ----------------------------------------------------------- */

/* Statistics of the job-completed event of one migration. */
struct job_done {
    pthread_mutex_t lock;
    bool seen;
    struct be_hop_metrics m;
    bool want_postcopy;         /* postcopy_after_precopy */
    bool postcopy_started;
};

/* Like virsh --postcopy-after-precopy: switch as soon as the first pass is over,
 * which the iteration event tells at once (polling would lose up to a poll period). */
static void on_iteration(virConnectPtr conn, virDomainPtr dom, int iteration, void *opaque)
{
    struct job_done *jd = opaque;
    bool want;

    (void)conn;
    pthread_mutex_lock(&jd->lock);
    want = jd->want_postcopy && !jd->postcopy_started && iteration >= 2;
    pthread_mutex_unlock(&jd->lock);
    if (want && virDomainMigrateStartPostCopy(dom, 0) == 0) {
        pthread_mutex_lock(&jd->lock);
        jd->postcopy_started = true;
        pthread_mutex_unlock(&jd->lock);
    }
}

static void on_job_completed(virConnectPtr conn, virDomainPtr dom,
                             virTypedParameterPtr p, int n, void *opaque)
{
    struct job_done *jd = opaque;
    unsigned long long v;

    (void)conn;
    (void)dom;
    pthread_mutex_lock(&jd->lock);
    jd->seen = true;
    jd->m.time_ms = jd->m.downtime_ms = jd->m.setup_ms = -1;
    if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
        jd->m.time_ms = (double)v;
    if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1)
        jd->m.downtime_ms = (double)v;
    if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_SETUP_TIME, &v) == 1)
        jd->m.setup_ms = (double)v;
    jd->m.data_bytes = ull_param(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
    jd->m.mem_bytes = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED);
    jd->m.mem_iterations = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
    pthread_mutex_unlock(&jd->lock);
}

/* The blocking migration call, run in its own thread so the caller can watch it. */
struct mig_call {
    virDomainPtr dom;
    virConnectPtr dconn;        /* direct (non-p2p) migration */
    const char *desturi;        /* p2p */
    virTypedParameterPtr params;
    int nparams;
    unsigned int flags;
    int rc;
    char *err;
    pthread_mutex_t lock;
    bool done;
};

static void *mig_thread(void *arg)
{
    struct mig_call *c = arg;
    int rc;

    if (c->dconn) {
        virDomainPtr ddom = virDomainMigrate3(c->dom, c->dconn, c->params, c->nparams,
                                              c->flags);
        rc = ddom ? 0 : -1;
        if (ddom)
            virDomainFree(ddom);
    } else {
        rc = virDomainMigrateToURI3(c->dom, c->desturi, c->params, c->nparams, c->flags);
    }
    pthread_mutex_lock(&c->lock);
    c->rc = rc;
    if (rc < 0)
        c->err = xstrdup(lverr());   /* libvirt errors are per thread */
    c->done = true;
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static bool mig_done(struct mig_call *c)
{
    bool d;
    pthread_mutex_lock(&c->lock);
    d = c->done;
    pthread_mutex_unlock(&c->lock);
    return d;
}

static unsigned int mig_flags(unsigned f)
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
        { BE_MIG_TLS, VIR_MIGRATE_TLS },
        { BE_MIG_COPY_STORAGE_ALL, VIR_MIGRATE_NON_SHARED_DISK },
        { BE_MIG_COPY_STORAGE_INC, VIR_MIGRATE_NON_SHARED_INC },
    };
    unsigned int lv = 0;

    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (f & map[i].be)
            lv |= map[i].lv;
    return lv;
}

/* Completed-job statistics: the destination has them (from the source's cookie);
 * the source too while its domain still exists. */
static bool fill_metrics_once(struct be_host *src, struct be_host *dst, const char *vm,
                              struct be_hop_metrics *m)
{
    struct be_host *hosts[] = { dst, src };

    for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
        virDomainPtr dom = virDomainLookupByName(hosts[i]->conn, vm);
        virTypedParameterPtr p = NULL;
        int n = 0, type = 0;
        unsigned long long v;

        if (!dom)
            continue;
        if (virDomainGetJobStats(dom, &type, &p, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) < 0 ||
            type == VIR_DOMAIN_JOB_NONE) {
            virTypedParamsFree(p, n);
            virDomainFree(dom);
            continue;
        }
        if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
            m->time_ms = (double)v;
        if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1)
            m->downtime_ms = (double)v;
        if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_SETUP_TIME, &v) == 1)
            m->setup_ms = (double)v;
        m->data_bytes = ull_param(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
        m->mem_bytes = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED);
        m->mem_iterations = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
        virTypedParamsFree(p, n);
        virDomainFree(dom);
        return true;
    }
    return false;
}

static void fill_metrics(struct be_host *src, struct be_host *dst, const char *vm,
                         struct be_hop_metrics *m, bool wait)
{
    /* after postcopy the destination finishes its side a moment after the source
     * returns; give it a second before declaring the figures unknown */
    double deadline = clock_now() + (wait ? 1.0 : 0);

    m->time_ms = m->downtime_ms = m->setup_ms = -1;
    while (!fill_metrics_once(src, dst, vm, m) && clock_now() < deadline)
        clock_sleep(0.05);
}

static int lv_migrate(struct be_host *src, struct be_host *dst, const char *vm,
                      const struct be_migrate_opts *opts, struct be_hop_metrics *out)
{
    struct be_hop_metrics m = { 0 }, snap = { .time_ms = -1 };
    struct mig_call c = { .lock = PTHREAD_MUTEX_INITIALIZER };
    int maxp = 0, rc = -1;
    bool postcopy_asked = false, abort_done = false, timed_out = false, cancelled = false;
    const char *muri;
    double t0, deadline, next_poll = 0;
    struct job_done jd = { .lock = PTHREAD_MUTEX_INITIALIZER };
    int cb_id = -1, iter_id = -1;
    pthread_t tid;

    c.dom = lookup(src, vm, NULL);
    if (!c.dom)
        return -1;
    c.flags = mig_flags(opts->flags);
    muri = opts->migrate_uri ? opts->migrate_uri : dst->migrate_uri;
    if (muri && virTypedParamsAddString(&c.params, &c.nparams, &maxp,
                                        VIR_MIGRATE_PARAM_URI, muri) < 0)
        goto param_error;
    if (opts->bandwidth_mib &&
        virTypedParamsAddULLong(&c.params, &c.nparams, &maxp, VIR_MIGRATE_PARAM_BANDWIDTH,
                                opts->bandwidth_mib) < 0)
        goto param_error;
    if (opts->flags & (BE_MIG_P2P | BE_MIG_DIRECT)) {
        /* virsh --direct: the same call without PEER2PEER (libvirt's unmanaged
         * migration, which the QEMU driver refuses with its own words) */
        c.desturi = opts->dest_uri ? opts->dest_uri
                  : dst->migrate_desturi ? dst->migrate_desturi : dst->uri;
    } else {
        c.dconn = dst->conn;
    }

    m.start = clock_wall();
    t0 = clock_now();
    deadline = opts->timeout_s > 0 ? t0 + opts->timeout_s : 0;
    cb_id = virConnectDomainEventRegisterAny(src->conn, c.dom,
                                             VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
                                             VIR_DOMAIN_EVENT_CALLBACK(on_job_completed),
                                             &jd, NULL);
    jd.want_postcopy = opts->postcopy_after_precopy && (opts->flags & BE_MIG_POSTCOPY);
    if (jd.want_postcopy)
        iter_id = virConnectDomainEventRegisterAny(src->conn, c.dom,
                                                   VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
                                                   VIR_DOMAIN_EVENT_CALLBACK(on_iteration),
                                                   &jd, NULL);
    if (pthread_create(&tid, NULL, mig_thread, &c) != 0) {
        err_set("VM %s: migrate %s -> %s: cannot start a thread", vm, src->uri, dst->uri);
        goto cleanup;
    }
    /* Watch the job: the migration thread owns the blocking call, this one decides
     * when to switch to postcopy or give up. */
    while (!mig_done(&c)) {
        clock_sleep(0.02);
        if (mig_done(&c))
            break;
        /* AbortJob fails until the job exists (and during postcopy): retried */
        if (opts->cancel && *opts->cancel && !abort_done) {
            cancelled = true;
            abort_done = virDomainAbortJob(c.dom) == 0;
            continue;
        }
        if (deadline && !abort_done && !postcopy_asked && clock_now() >= deadline) {
            if (opts->flags & BE_MIG_POSTCOPY) {
                /* fails while the job is still in setup: try again next round */
                postcopy_asked = virDomainMigrateStartPostCopy(c.dom, 0) == 0;
            } else {
                timed_out = true;
                abort_done = virDomainAbortJob(c.dom) == 0;
            }
            continue;
        }
        if (clock_now() >= next_poll) {
            /* a snapshot of the running job: the figures of a hop whose completed
             * statistics libvirt does not keep (postcopy with --undefinesource) */
            virTypedParameterPtr p = NULL;
            int n = 0, type = 0;
            next_poll = clock_now() + 0.1;
            if (virDomainGetJobStats(c.dom, &type, &p, &n, 0) == 0 &&
                type != VIR_DOMAIN_JOB_NONE) {
                snap.time_ms = (double)ull_param(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED);
                snap.data_bytes = ull_param(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
                snap.mem_bytes = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED);
                snap.mem_iterations = ull_param(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
                if (opts->postcopy_after_precopy && (opts->flags & BE_MIG_POSTCOPY) &&
                    !postcopy_asked && snap.mem_iterations >= 2 &&
                    virDomainMigrateStartPostCopy(c.dom, 0) == 0)
                    postcopy_asked = true;
            }
            virTypedParamsFree(p, n);
        }
        if ((opts->flags & BE_MIG_POSTCOPY) && !m.postcopy && in_postcopy(c.dom))
            m.postcopy = true;   /* also catches a switch asked by another thread */
    }
    pthread_join(tid, NULL);
    m.wall_s = clock_now() - t0;
    pthread_mutex_lock(&jd.lock);
    postcopy_asked = postcopy_asked || jd.postcopy_started;
    pthread_mutex_unlock(&jd.lock);
    m.postcopy = m.postcopy || postcopy_asked;
    m.aborted = (timed_out || cancelled) && c.rc < 0;
    m.timed_out = timed_out && c.rc < 0;
    if (c.rc < 0) {
        if (m.timed_out)
            err_set("VM %s: migration timeout: %s -> %s not done within %g s, aborted (%s)",
                    vm, src->uri, dst->uri, opts->timeout_s, c.err);
        else if (cancelled)
            err_set("VM %s: migration cancelled: %s -> %s (%s)", vm, src->uri, dst->uri,
                    c.err);
        else
            err_set("VM %s: migration failed: %s -> %s: %s", vm, src->uri,
                    c.desturi ? c.desturi : dst->uri, c.err);
        fill_metrics(src, dst, vm, &m, false);
        goto cleanup;
    }
    /* the job-completed event (the source's own final figures) comes through the
     * event loop shortly after the call returns */
    for (double until = clock_now() + (cb_id >= 0 ? 1.0 : 0);; clock_sleep(0.01)) {
        bool seen;
        pthread_mutex_lock(&jd.lock);
        seen = jd.seen;
        pthread_mutex_unlock(&jd.lock);
        if (seen) {
            bool pc = m.postcopy;
            double start = m.start, wall = m.wall_s;
            m = jd.m;
            m.postcopy = pc;
            m.start = start;
            m.wall_s = wall;
            break;
        }
        if (clock_now() >= until) {
            fill_metrics(src, dst, vm, &m, false);
            break;
        }
    }
    if (m.time_ms < 0 && snap.time_ms >= 0) {
        m.time_ms = snap.time_ms;   /* lower bounds: the last look at the job */
        m.data_bytes = snap.data_bytes;
        m.mem_bytes = snap.mem_bytes;
        m.mem_iterations = snap.mem_iterations;
    }
    /* the guest is on dst now: its SSH forwards stayed behind with the source QEMU */
    {
        virDomainPtr ddom = virDomainLookupByName(dst->conn, vm);
        if (!ddom) {
            err_set("VM %s: after migration: not found on %s: %s", vm, dst->uri, lverr());
            goto cleanup;
        }
        rc = add_hostfwds(dst, ddom, vm);
        virDomainFree(ddom);
        if (rc < 0) {
            err_prefix("VM %s: migrated to %s", vm, dst->uri);
            goto cleanup;
        }
    }
    rc = 0;
    goto cleanup;

param_error:
    err_set("VM %s: migrate: typed parameters: %s", vm, lverr());
cleanup:
    if (cb_id >= 0)
        virConnectDomainEventDeregisterAny(src->conn, cb_id);
    if (iter_id >= 0)
        virConnectDomainEventDeregisterAny(src->conn, iter_id);
    pthread_mutex_destroy(&jd.lock);
    if (out)
        *out = m;
    free(c.err);
    virTypedParamsFree(c.params, c.nparams);
    virDomainFree(c.dom);
    return rc;
}

static char *lv_render(const struct be_vm_spec *spec, const char **ext)
{
    *ext = "xml";
    return lv_xml_build(spec);
}

const struct be_ops be_libvirt_ops = {
    .name = "libvirt",
    .open = lv_open,
    .define = lv_define,
    .start = lv_start,
    .shutdown = lv_shutdown,
    .destroy = lv_destroy,
    .undefine = lv_undefine,
    .state = lv_state,
    .migrate = lv_migrate,
    .start_postcopy = lv_start_postcopy,
    .abort_job = lv_abort_job,
    .job_stats = lv_job_stats,
    .console_path = lv_console_path,
    .render = lv_render,
    .host_info = lv_host_info,
    .uri = lv_uri,
    .close = lv_close,
};
