/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_facts: what the hosts are, for the needs of cases (runner/run_needs.h): the
 * settings' capabilities and facts, and what is still unknown asked from the hosts
 * once per job -- a connection to the source host, no VM.
 */
#include "runner/run_needs.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "virt/virt.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void run_facts_init(struct run_facts *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
}

void run_facts_release(struct run_facts *f)
{
    free(f->probe_error);
    free(f->arch_owned);
    pthread_mutex_destroy(&f->lock);
}

void run_facts_need_hosts(struct run_facts *f)
{
    pthread_mutex_lock(&f->lock);
    if (!f->probed && f->probe && (!f->libvirt_version || !f->qemu_version || !f->arch)
        && f->probe(f->probe_ud, f) < 0)
        f->probe_error = xstrdup(err_msg());
    f->probed = true;
    pthread_mutex_unlock(&f->lock);
}

static void add_version(struct strbuf *sb, unsigned long long v)
{
    strbuf_addf(sb, "%llu.%llu.%llu", v / 1000000, v / 1000 % 1000, v % 1000);
}

void run_facts_describe(struct run_facts *f, struct strbuf *out)
{
    pthread_mutex_lock(&f->lock);
    strbuf_addstr(out, "libvirt ");
    if (f->libvirt_version)
        add_version(out, f->libvirt_version);
    else
        strbuf_addstr(out, "?");
    strbuf_addstr(out, ", QEMU ");
    if (f->qemu_version)
        add_version(out, f->qemu_version);
    else
        strbuf_addstr(out, "?");
    strbuf_addf(out, ", %s, capabilities:", f->arch ? f->arch : "arch ?");
    for (char **c = f->capabilities; c && *c; c++)
        strbuf_addf(out, " %s", *c);
    if (!f->capabilities || !*f->capabilities)
        strbuf_addstr(out, " none");
    if (f->probe_error)
        strbuf_addf(out, " (the hosts did not say: %s)", f->probe_error);
    else if (!f->probed && (!f->libvirt_version || !f->qemu_version || !f->arch))
        strbuf_addstr(out, " (? = not asked: no case needed it)");
    pthread_mutex_unlock(&f->lock);
}

int run_version_parse(const char *text, unsigned long long *out)
{
    unsigned long long part[3] = { 0, 0, 0 };
    const char *s = text ? text : "";
    size_t n = 0;
    for (;;) {
        char *end;
        if (!isdigit((unsigned char)*s) || n == 3)
            goto bad;
        errno = 0;
        part[n++] = strtoull(s, &end, 10);
        if (errno || part[n - 1] > 999 + (n == 1) * 1000000)
            goto bad;
        s = end;
        if (!*s)
            break;
        if (*s++ != '.')
            goto bad;
    }
    if (n < 2)
        goto bad;
    *out = part[0] * 1000000 + part[1] * 1000 + part[2];
    return 0;
bad:
    err_set("'%s' is not a version (expected MAJOR.MINOR[.MICRO], e.g. 9.0.0)",
            text ? text : "");
    return -1;
}


int run_facts_probe_hosts(void *ud, struct run_facts *f)
{
    const struct run_facts_hosts *h = ud;
    struct virt_vms_host host;
    struct virt_vms vms;
    struct be_host_info info;
    int rc = -1;
    if (!h->nhosts) {
        err_set("the settings name no host");
        return -1;
    }
    if (strcmp(h->backend, "libvirt")) {
        err_set("the %s backend has no libvirt daemon to ask", h->backend);
        return -1;
    }
    /* a VM set of no VM: the one way through virt/ to a host's facts */
    struct params *none = params_new();
    params_set(none, "vms", "");
    host = (struct virt_vms_host){ .name = h->hosts[0].name, .uri = h->hosts[0].uri,
                                   .migrate_desturi = h->hosts[0].migrate_desturi,
                                   .migrate_uri = h->hosts[0].migrate_uri };
    struct virt_vms_conf conf = { .params = none, .backend = h->backend, .hosts = &host,
                                  .nhosts = 1, .outdir = "." };
    if (virt_vms_setup(&conf, &vms) == 0 && virt_vms_host_info(&vms, 0, &info) == 0) {
        if (!f->libvirt_version)
            f->libvirt_version = info.libvirt_version;
        if (!f->qemu_version)
            f->qemu_version = info.hv_version;
        if (!f->arch && info.arch) {
            f->arch_owned = xstrdup(info.arch);
            f->arch = f->arch_owned;
        }
        be_host_info_free(&info);
        rc = 0;
    }
    char *why = rc < 0 ? xstrdup(err_msg()) : NULL;
    virt_vms_cleanup(&vms);
    params_free(none);
    if (why)
        err_set("%s", why);
    free(why);
    return rc;
}
