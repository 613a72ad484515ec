/* SPDX-License-Identifier: GPL-2.0-or-later */
/* be: the table of backends (avocado-vt's vm_type names), the VM spec's owner
 * functions and helpers the drivers share.  The migration supervisor is be_migrate.c. */
#include "backends/be.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static const struct be_ops *const backends[] = {
    &be_libvirt_ops,
    &be_qemu_ops,
};

const struct be_ops *be_lookup(const char *name)
{
    struct strbuf known = STRBUF_INIT;

    for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
        if (name && !strcmp(name, backends[i]->name))
            return backends[i];
    for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
        strbuf_addf(&known, "%s%s", i ? ", " : "", backends[i]->name);
    err_set("unknown backend (vm_type) '%s'; known: %s", name ? name : "(none)", known.buf);
    strbuf_release(&known);
    return NULL;
}

static atomic_ulong daemon_epoch;

unsigned long be_daemon_epoch(void)
{
    return atomic_load(&daemon_epoch);
}

void be_daemon_epoch_bump(void)
{
    atomic_fetch_add(&daemon_epoch, 1);
}

/* libvirt's names are the vocabulary of the typed parameters (other drivers read
 * the ids); one row per enum be_mig_param, in its order. */
static const struct {
    const char *name;
    enum be_mig_param_type type;
} mig_params[BE_MP_COUNT] = {
    [BE_MP_URI] = { "migrate_uri", BE_MPT_STRING },
    [BE_MP_GRAPHICS_URI] = { "graphics_uri", BE_MPT_STRING },
    [BE_MP_LISTEN_ADDRESS] = { "listen_address", BE_MPT_STRING },
    [BE_MP_DEST_NAME] = { "destination_name", BE_MPT_STRING },
    [BE_MP_DEST_XML] = { "destination_xml", BE_MPT_STRING },
    [BE_MP_PERSIST_XML] = { "persistent_xml", BE_MPT_STRING },
    [BE_MP_MIGRATE_DISKS] = { "migrate_disks", BE_MPT_STRING },
    [BE_MP_DISKS_PORT] = { "disks_port", BE_MPT_INT },
    [BE_MP_DISKS_URI] = { "disks_uri", BE_MPT_STRING },
    [BE_MP_COMPRESSION] = { "compression", BE_MPT_STRING },
    [BE_MP_COMP_MT_LEVEL] = { "compression.mt.level", BE_MPT_INT },
    [BE_MP_COMP_MT_THREADS] = { "compression.mt.threads", BE_MPT_INT },
    [BE_MP_COMP_MT_DTHREADS] = { "compression.mt.dthreads", BE_MPT_INT },
    [BE_MP_COMP_XBZRLE_CACHE] = { "compression.xbzrle.cache", BE_MPT_ULLONG },
    [BE_MP_COMP_ZLIB_LEVEL] = { "compression.zlib.level", BE_MPT_INT },
    [BE_MP_COMP_ZSTD_LEVEL] = { "compression.zstd.level", BE_MPT_INT },
    [BE_MP_AUTO_CONVERGE_INITIAL] = { "auto_converge.initial", BE_MPT_INT },
    [BE_MP_AUTO_CONVERGE_INCREMENT] = { "auto_converge.increment", BE_MPT_INT },
    [BE_MP_BANDWIDTH_POSTCOPY] = { "bandwidth.postcopy", BE_MPT_ULLONG },
    [BE_MP_PARALLEL_CONNECTIONS] = { "parallel.connections", BE_MPT_INT },
    [BE_MP_TLS_DESTINATION] = { "tls.destination", BE_MPT_STRING },
    [BE_MP_DISKS_DETECT_ZEROES] = { "migrate_disks_detect_zeroes", BE_MPT_STRING },
};

const char *be_mig_param_name(enum be_mig_param id)
{
    return (unsigned)id < BE_MP_COUNT ? mig_params[id].name : "?";
}

enum be_mig_param_type be_mig_param_type(enum be_mig_param id)
{
    return (unsigned)id < BE_MP_COUNT ? mig_params[id].type : BE_MPT_STRING;
}

const char *be_state_name(enum be_state s)
{
    static const char *const names[] = {
        [BE_STATE_NONE] = "none",
        [BE_STATE_RUNNING] = "running",
        [BE_STATE_PAUSED] = "paused",
        [BE_STATE_SHUTOFF] = "shut off",
        [BE_STATE_CRASHED] = "crashed",
        [BE_STATE_OTHER] = "other",
    };
    return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

/* ---- VM spec owner functions ---------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void be_vm_spec_copy(struct be_vm_spec *d, const struct be_vm_spec *s)
{
    *d = *s;
    d->name = dup_or_null(s->name);
    d->accel = dup_or_null(s->accel);
    d->machine = dup_or_null(s->machine);
    d->cpu_model = dup_or_null(s->cpu_model);
    d->kernel = dup_or_null(s->kernel);
    d->initrd = dup_or_null(s->initrd);
    d->cmdline = dup_or_null(s->cmdline);
    d->console_log = dup_or_null(s->console_log);
    d->emulator = dup_or_null(s->emulator);
    d->disks = s->ndisks ? xcalloc(s->ndisks, sizeof(*d->disks)) : NULL;
    for (size_t i = 0; i < s->ndisks; i++) {
        d->disks[i] = s->disks[i];
        d->disks[i].path = dup_or_null(s->disks[i].path);
        d->disks[i].format = dup_or_null(s->disks[i].format);
        d->disks[i].bus = dup_or_null(s->disks[i].bus);
        d->disks[i].target = dup_or_null(s->disks[i].target);
        d->disks[i].cache = dup_or_null(s->disks[i].cache);
        d->disks[i].device = dup_or_null(s->disks[i].device);
        d->disks[i].startup_policy = dup_or_null(s->disks[i].startup_policy);
    }
    d->numa = s->nnuma ? xcalloc(s->nnuma, sizeof(*d->numa)) : NULL;
    for (size_t i = 0; i < s->nnuma; i++) {
        d->numa[i] = s->numa[i];
        d->numa[i].cpus = dup_or_null(s->numa[i].cpus);
        d->numa[i].mode = dup_or_null(s->numa[i].mode);
        d->numa[i].nodeset = dup_or_null(s->numa[i].nodeset);
    }
    d->numatune.mode = dup_or_null(s->numatune.mode);
    d->numatune.placement = dup_or_null(s->numatune.placement);
    d->numatune.nodeset = dup_or_null(s->numatune.nodeset);
    d->hugepages.nodeset = dup_or_null(s->hugepages.nodeset);
    d->nics = s->nnics ? xcalloc(s->nnics, sizeof(*d->nics)) : NULL;
    for (size_t i = 0; i < s->nnics; i++) {
        d->nics[i] = s->nics[i];
        d->nics[i].mode = dup_or_null(s->nics[i].mode);
        d->nics[i].bridge = dup_or_null(s->nics[i].bridge);
        d->nics[i].model = dup_or_null(s->nics[i].model);
        d->nics[i].mac = dup_or_null(s->nics[i].mac);
    }
}

void be_vm_spec_free(struct be_vm_spec *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->disks && i < s->ndisks; i++) {
        free(s->disks[i].path);
        free(s->disks[i].format);
        free(s->disks[i].bus);
        free(s->disks[i].target);
        free(s->disks[i].cache);
        free(s->disks[i].device);
        free(s->disks[i].startup_policy);
    }
    for (size_t i = 0; s->nics && i < s->nnics; i++) {
        free(s->nics[i].mode);
        free(s->nics[i].bridge);
        free(s->nics[i].model);
        free(s->nics[i].mac);
    }
    for (size_t i = 0; s->numa && i < s->nnuma; i++) {
        free(s->numa[i].cpus);
        free(s->numa[i].mode);
        free(s->numa[i].nodeset);
    }
    free(s->numa);
    free(s->numatune.mode);
    free(s->numatune.placement);
    free(s->numatune.nodeset);
    free(s->hugepages.nodeset);
    free(s->disks);
    free(s->nics);
    free(s->name);
    free(s->accel);
    free(s->machine);
    free(s->cpu_model);
    free(s->kernel);
    free(s->initrd);
    free(s->cmdline);
    free(s->console_log);
    free(s->emulator);
    memset(s, 0, sizeof(*s));
}

/* ---- host facts ------------------------------------------------------------- */

void be_host_info_free(struct be_host_info *info)
{
    if (!info)
        return;
    free(info->hostname);
    free(info->hypervisor);
    free(info->arch);
    free(info->host_uuid);
    free(info->os_id);
    free(info->os_version);
    free(info->kernel_release);
    free(info->host_cpu_model);
    for (char **m = info->cpu_models; m && *m; m++)
        free(*m);
    free(info->cpu_models);
    for (char **m = info->numa_nodes; m && *m; m++)
        free(*m);
    free(info->numa_nodes);
    free(info->numa_free_bytes);
    memset(info, 0, sizeof(*info));
}

/* "KEY=value" or KEY="value" of os-release */
static char *os_release(const char *key)
{
    FILE *f = fopen("/etc/os-release", "r");
    char line[256], *out = NULL;
    size_t klen = strlen(key);

    if (!f)
        f = fopen("/usr/lib/os-release", "r");
    while (f && !out && fgets(line, sizeof(line), f)) {
        char *v;
        if (strncmp(line, key, klen) || line[klen] != '=')
            continue;
        v = line + klen + 1;
        v[strcspn(v, "\n")] = '\0';
        if (*v == '"' || *v == '\'') {
            char q = *v++;
            v[strcspn(v, q == '"' ? "\"" : "'")] = '\0';
        }
        out = xstrdup(v);
    }
    if (f)
        fclose(f);
    return out;
}

static unsigned long long meminfo_kib(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long v = 0;
    size_t klen = strlen(key);

    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            v = strtoull(line + klen + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

void be_host_info_local(struct be_host_info *info)
{
    struct utsname u;
    char host[256];
    FILE *f;
    long n;

    if (!info->hostname && gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        info->hostname = xstrdup(host);
    }
    if (uname(&u) == 0) {
        if (!info->arch)
            info->arch = xstrdup(u.machine);
        info->kernel_release = xstrdup(u.release);
    }
    info->os_id = os_release("ID");
    info->os_version = os_release("VERSION_ID");
    if (!info->free_mem_bytes)
        info->free_mem_bytes = meminfo_kib("MemAvailable") * 1024;
    if (!info->total_mem_bytes)
        info->total_mem_bytes = meminfo_kib("MemTotal") * 1024;
    n = sysconf(_SC_NPROCESSORS_ONLN);
    if (!info->ncpus && n > 0)
        info->ncpus = (unsigned)n;
    f = info->host_cpu_model ? NULL : fopen("/proc/cpuinfo", "r");
    while (f && !info->host_cpu_model && fgets(host, sizeof(host), f))
        if (!strncmp(host, "model name", 10) && strchr(host, ':')) {
            char *v = strchr(host, ':') + 1;
            v += strspn(v, " \t");
            v[strcspn(v, "\n")] = '\0';
            info->host_cpu_model = xstrdup(v);
        }
    if (f)
        fclose(f);
}
