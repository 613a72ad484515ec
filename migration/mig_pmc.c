/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pre-migration checks: one table, plain facts in, a result and a message out. */
#include "migration/mig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backends/be.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#define MiB (1024ULL * 1024ULL)

static const char *nm(const struct mig_pmc_host *h, const char *def)
{
    return h->name ? h->name : def;
}

static void fmt_version(struct strbuf *sb, unsigned long long v)
{
    strbuf_addf(sb, "%llu.%llu.%llu", v / 1000000, v / 1000 % 1000, v % 1000);
}

int mig_pmc_vercmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea;
            b = eb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : *b ? -1 : 0;
}

/* ---- the checks ------------------------------------------------------------------ */

static enum mig_pmc_result check_libvirt_version(const struct mig_pmc_input *in,
                                                  struct strbuf *msg)
{
    unsigned long long s = in->src->libvirt_version, d = in->dst->libvirt_version;
    if (!s || !d) {
        strbuf_addstr(msg, "libvirt version unknown on a host: cannot tell");
        return MIG_PMC_WARNING;
    }
    strbuf_addf(msg, "%s libvirt ", nm(in->src, "source"));
    fmt_version(msg, s);
    strbuf_addf(msg, ", %s libvirt ", nm(in->dst, "destination"));
    fmt_version(msg, d);
    if (s != d) {
        strbuf_addstr(msg, ": not equal");
        return MIG_PMC_WARNING;
    }
    return MIG_PMC_SUCCESS;
}

/* Same string on both hosts, case-insensitive: FAIL when they differ. */
static enum mig_pmc_result same_fact(const char *what, const char *s, const char *d,
                                      const struct mig_pmc_input *in, struct strbuf *msg)
{
    if (!s || !d) {
        strbuf_addf(msg, "%s unknown on a host: cannot tell", what);
        return MIG_PMC_WARNING;
    }
    strbuf_addf(msg, "%s %s %s, %s %s %s", nm(in->src, "source"), what, s,
                nm(in->dst, "destination"), what, d);
    if (strcasecmp(s, d)) {
        strbuf_addstr(msg, ": differ");
        return MIG_PMC_FAIL;
    }
    return MIG_PMC_SUCCESS;
}

static enum mig_pmc_result check_hypervisor(const struct mig_pmc_input *in,
                                             struct strbuf *msg)
{
    return same_fact("hypervisor", in->src->hypervisor, in->dst->hypervisor, in, msg);
}

static enum mig_pmc_result check_arch(const struct mig_pmc_input *in, struct strbuf *msg)
{
    return same_fact("arch", in->src->arch, in->dst->arch, in, msg);
}

/* Migrating to an older libvirt / QEMU / OS release is where incompatible machine
 * types and device states come from. */
static enum mig_pmc_result check_not_older(const struct mig_pmc_input *in,
                                            struct strbuf *msg)
{
    const struct mig_pmc_host *s = in->src, *d = in->dst;
    enum mig_pmc_result r = MIG_PMC_SUCCESS;
    const char *sep = "";

    if (!s->libvirt_version || !d->libvirt_version) {
        strbuf_addstr(msg, "libvirt version unknown");
        sep = "; ";
        r = MIG_PMC_WARNING;
    } else if (d->libvirt_version < s->libvirt_version) {
        strbuf_addf(msg, "%s libvirt ", nm(d, "destination"));
        fmt_version(msg, d->libvirt_version);
        strbuf_addf(msg, " is older than %s's ", nm(s, "source"));
        fmt_version(msg, s->libvirt_version);
        sep = "; ";
        r = MIG_PMC_FAIL;
    }
    if (s->hv_version && d->hv_version && d->hv_version < s->hv_version) {
        strbuf_addf(msg, "%s%s %s ", sep, nm(d, "destination"), d->hypervisor ? d->hypervisor : "hypervisor");
        fmt_version(msg, d->hv_version);
        strbuf_addf(msg, " is older than %s's ", nm(s, "source"));
        fmt_version(msg, s->hv_version);
        sep = "; ";
        r = MIG_PMC_FAIL;
    }
    if (!s->os_id || !d->os_id || !s->os_version || !d->os_version) {
        strbuf_addf(msg, "%sOS release unknown", sep);
        sep = "; ";
        if (r == MIG_PMC_SUCCESS)
            r = MIG_PMC_WARNING;
    } else if (strcmp(s->os_id, d->os_id)) {
        /* different distributions have no order; the libvirt/QEMU versions decide */
        strbuf_addf(msg, "%sOS %s %s vs %s %s: not comparable", sep, s->os_id,
                    s->os_version, d->os_id, d->os_version);
        sep = "; ";
    } else if (mig_pmc_vercmp(d->os_version, s->os_version) < 0) {
        strbuf_addf(msg, "%s%s OS %s %s is older than %s's %s", sep, nm(d, "destination"),
                    d->os_id, d->os_version, nm(s, "source"), s->os_version);
        sep = "; ";
        r = MIG_PMC_FAIL;
    }
    if (r == MIG_PMC_SUCCESS && !*sep)
        strbuf_addf(msg, "%s is not older than %s", nm(d, "destination"), nm(s, "source"));
    return r;
}

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcasecmp(*list, s))
            return true;
    return false;
}

static enum mig_pmc_result check_cpu(const struct mig_pmc_input *in, struct strbuf *msg)
{
    enum mig_pmc_result r = MIG_PMC_SUCCESS;
    for (size_t i = 0; i < in->nvms; i++) {
        const struct mig_pmc_vm *vm = &in->vms[i];
        const char *m = vm->cpu_model;
        enum mig_pmc_result one = MIG_PMC_SUCCESS;
        if (!m || !*m)
            continue;       /* the hypervisor's default model runs everywhere it runs */
        if (!strcmp(m, "host-passthrough") || !strcmp(m, "host-model")) {
            const char *sm = in->src->host_cpu_model, *dm = in->dst->host_cpu_model;
            if (!sm || !dm) {
                strbuf_addf(msg, "%s: %s and a host CPU model unknown; ", vm->name, m);
                one = MIG_PMC_WARNING;
            } else if (strcmp(sm, dm)) {
                strbuf_addf(msg, "%s: %s with host CPU %s on the source, %s on the "
                            "destination; ", vm->name, m, sm, dm);
                /* host-model migrates as the source's expanded model, which may still
                 * fit; passthrough exposes the exact CPU */
                one = strcmp(m, "host-passthrough") ? MIG_PMC_WARNING : MIG_PMC_FAIL;
            }
        } else if (!in->dst->cpu_models) {
            strbuf_addf(msg, "%s: CPU model %s, destination models unknown; ", vm->name, m);
            one = MIG_PMC_WARNING;
        } else if (!in_list(in->dst->cpu_models, m)) {
            strbuf_addf(msg, "%s: CPU model %s is not usable on %s; ", vm->name, m,
                        nm(in->dst, "the destination"));
            one = MIG_PMC_FAIL;
        }
        if (one > r)
            r = one;
    }
    if (r == MIG_PMC_SUCCESS)
        strbuf_addstr(msg, "every guest CPU is usable on the destination");
    else
        strbuf_setlen(msg, msg->len - 2);
    return r;
}

static bool cache_safe(const char *c)
{
    /* libvirt's rule: only these bypass the host page cache, so no dirty host cache
     * can be lost when the guest moves */
    return !c || !*c || !strcmp(c, "none") || !strcmp(c, "directsync");
}

static enum mig_pmc_result check_cache(const struct mig_pmc_input *in, struct strbuf *msg)
{
    size_t unsafe = 0;
    for (size_t i = 0; i < in->nvms; i++)
        for (size_t j = 0; j < in->vms[i].ndisks; j++) {
            const struct mig_pmc_disk *d = &in->vms[i].disks[j];
            if (d->readonly || cache_safe(d->cache))
                continue;
            strbuf_addf(msg, "%s%s: %s cache=%s", unsafe ? "; " : "", in->vms[i].name,
                        d->path ? d->path : "?", d->cache);
            unsafe++;
        }
    if (!unsafe) {
        strbuf_addstr(msg, "every writable disk has cache=none or directsync");
        return MIG_PMC_SUCCESS;
    }
    if (in->mig_flags & BE_MIG_UNSAFE) {
        strbuf_addstr(msg, " (allowed: --unsafe)");
        return MIG_PMC_SUCCESS;
    }
    strbuf_addstr(msg, " (unsafe for migration without --unsafe)");
    return MIG_PMC_WARNING;
}

static enum mig_pmc_result check_images(const struct mig_pmc_input *in, struct strbuf *msg)
{
    enum mig_pmc_result r = MIG_PMC_SUCCESS;
    size_t n = 0;
    /* copy-storage carries the disks over: the destination need not see them */
    if (in->mig_flags & (BE_MIG_COPY_STORAGE_ALL | BE_MIG_COPY_STORAGE_INC)) {
        strbuf_addf(msg, "disks copied to the destination (%s)",
                    in->mig_flags & BE_MIG_COPY_STORAGE_ALL ? "--copy-storage-all"
                                                            : "--copy-storage-inc");
        return MIG_PMC_SUCCESS;
    }
    for (size_t i = 0; i < in->nvms; i++)
        for (size_t j = 0; j < in->vms[i].ndisks; j++) {
            const struct mig_pmc_disk *d = &in->vms[i].disks[j];
            n++;
            if (d->reachable_on_dst == 1)
                continue;
            bool no = d->reachable_on_dst == 0;
            strbuf_addf(msg, "%s%s: %s %s", r != MIG_PMC_SUCCESS ? "; " : "",
                        in->vms[i].name, d->path ? d->path : "?",
                        no ? "not reachable from the destination" : "reachability unknown");
            if (no)
                r = MIG_PMC_FAIL;
            else if (r == MIG_PMC_SUCCESS)
                r = MIG_PMC_WARNING;
        }
    if (r == MIG_PMC_SUCCESS)
        strbuf_addf(msg, "all %zu image(s) reachable from the destination", n);
    return r;
}

static enum mig_pmc_result check_memory(const struct mig_pmc_input *in, struct strbuf *msg)
{
    unsigned long long need = 0;
    for (size_t i = 0; i < in->nvms; i++)
        need += in->vms[i].mem_bytes;
    if (!in->dst->free_mem_bytes) {
        strbuf_addf(msg, "free memory of the destination unknown (VMs need %llu MiB)",
                    need / MiB);
        return MIG_PMC_WARNING;
    }
    strbuf_addf(msg, "VMs need %llu MiB, %s has %llu MiB free", need / MiB,
                nm(in->dst, "destination"), in->dst->free_mem_bytes / MiB);
    return need > in->dst->free_mem_bytes ? MIG_PMC_FAIL : MIG_PMC_SUCCESS;
}

/* Debian's libvirt runs QEMU as libvirt-qemu, Fedora's as qemu; kvm owns /dev/kvm,
 * libvirt the sockets.  Fixed words: no param reaches this script. */
const char mig_pmc_ids_script[] =
    "getent passwd qemu libvirt-qemu; echo '#g'; getent group qemu kvm libvirt libvirt-qemu;"
    " exit 0";

size_t mig_pmc_ids_parse(const char *text, struct mig_pmc_id **out)
{
    size_t n = 0;
    char kind = 'u';
    *out = NULL;
    for (const char *p = text ? text : ""; *p;) {
        size_t len = strcspn(p, "\n");
        const char *c1 = memchr(p, ':', len), *c2 = NULL;
        if (c1)
            c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p));
        if (len >= 2 && !strncmp(p, "#g", 2))
            kind = 'g';
        else if (c1 && c2 && c1 > p && isdigit((unsigned char)c2[1])) {
            *out = xrealloc(*out, (n + 1) * sizeof(**out));
            (*out)[n++] = (struct mig_pmc_id){ kind, xstrndup(p, (size_t)(c1 - p)),
                                               strtol(c2 + 1, NULL, 10) };
        }
        p += len + (p[len] == '\n');
    }
    return n;
}

void mig_pmc_ids_free(struct mig_pmc_id *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i].name);
    free(ids);
}

static const struct mig_pmc_id *find_id(const struct mig_pmc_host *h, char kind,
                                        const char *name)
{
    for (size_t i = 0; i < h->nids; i++)
        if (h->ids[i].kind == kind && !strcmp(h->ids[i].name, name))
            return &h->ids[i];
    return NULL;
}

/* What is wrong with A's ids seen from B, appended to BAD: an id that differs is a
 * FAIL (reported from the source's side only, DIFFERING), one A has and B lacks a
 * WARNING (a host without that user cannot run as it). */
static enum mig_pmc_result ids_against(const struct mig_pmc_host *a,
                                        const struct mig_pmc_host *b, bool differing,
                                        struct strbuf *bad)
{
    enum mig_pmc_result r = MIG_PMC_SUCCESS;
    for (size_t i = 0; i < a->nids; i++) {
        const struct mig_pmc_id *x = &a->ids[i], *y = find_id(b, x->kind, x->name);
        const char *what = x->kind == 'u' ? "uid" : "gid";
        if ((y && y->id == x->id) || (y && !differing))
            continue;
        strbuf_addf(bad, "%s%s %s %ld on %s, ", bad->len ? "; " : "", x->name, what, x->id,
                    nm(a, "one host"));
        if (y) {
            strbuf_addf(bad, "%ld on %s", y->id, nm(b, "the other"));
            r = MIG_PMC_FAIL;
        } else {
            strbuf_addf(bad, "none on %s", nm(b, "the other"));
            if (r == MIG_PMC_SUCCESS)
                r = MIG_PMC_WARNING;
        }
    }
    return r;
}

static enum mig_pmc_result check_ids(const struct mig_pmc_input *in, struct strbuf *msg)
{
    if (!in->src->ids_known || !in->dst->ids_known) {
        strbuf_addf(msg, "users and groups of %s unknown: cannot tell",
                    !in->src->ids_known ? nm(in->src, "the source")
                                        : nm(in->dst, "the destination"));
        return MIG_PMC_WARNING;
    }
    enum mig_pmc_result r = ids_against(in->src, in->dst, true, msg),
                        r2 = ids_against(in->dst, in->src, false, msg);
    if (r == MIG_PMC_SUCCESS && r2 == MIG_PMC_SUCCESS) {
        for (size_t i = 0; i < in->src->nids; i++)
            strbuf_addf(msg, "%s%s %s %ld", i ? ", " : "", in->src->ids[i].name,
                        in->src->ids[i].kind == 'u' ? "uid" : "gid", in->src->ids[i].id);
        strbuf_addstr(msg, in->src->nids ? ": equal on both hosts"
                                         : "no QEMU user or group on either host");
    }
    return r > r2 ? r : r2;
}

/* ---- services, firewall, security module (openQA's check_host_virtualization,
 * config_host_security) ---- */

const char mig_pmc_kvm_script[] =
    "if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then echo yes; else echo no; fi";

/* The module first, then its denials naming one of the arguments (domains, disks):
 * the audit log when auditd keeps one, else the kernel's ring buffer (AppArmor and
 * SELinux print there without auditd). */
const char mig_pmc_lsm_script[] =
    "if [ -r /sys/fs/selinux/enforce ] && [ \"$(cat /sys/fs/selinux/enforce)\" = 1 ]; then"
    " echo 'lsm selinux';"
    " elif [ -r /sys/kernel/security/apparmor/profiles ] &&"
    " [ -s /sys/kernel/security/apparmor/profiles ]; then echo 'lsm apparmor';"
    " else echo 'lsm none'; exit 0; fi;"
    " if [ -r /var/log/audit/audit.log ]; then src='cat /var/log/audit/audit.log';"
    " elif dmesg >/dev/null 2>&1; then src=dmesg; else echo 'log none'; exit 0; fi;"
    " echo 'log ok';"
    " for a in \"$@\"; do $src | grep -F -e \"$a\" | grep -E 'avc: +denied|apparmor=\"DENIED\"'"
    " | tail -n 5; done; exit 0";

static const char *vm_dom(const struct mig_pmc_vm *v)
{
    return v->domain ? v->domain : v->name;
}

static enum mig_pmc_result check_services(const struct mig_pmc_input *in,
                                          struct strbuf *msg)
{
    const struct mig_pmc_host *d = in->dst;
    enum mig_pmc_result r = MIG_PMC_SUCCESS;
    bool kvm = false;
    for (size_t i = 0; i < in->nvms; i++)
        kvm |= in->vms[i].accel && !strcmp(in->vms[i].accel, "kvm");
    if (d->daemon_answers < 0) {
        strbuf_addf(msg, "the daemon of %s does not answer", nm(d, "the destination"));
        r = MIG_PMC_FAIL;
    } else if (!d->daemon_answers) {
        strbuf_addf(msg, "the daemon of %s: cannot tell", nm(d, "the destination"));
        r = MIG_PMC_WARNING;
    } else {
        strbuf_addf(msg, "the daemon of %s answers", nm(d, "the destination"));
    }
    if (!kvm) {
        strbuf_addstr(msg, "; TCG: no /dev/kvm needed");
    } else if (d->kvm_usable > 0) {
        strbuf_addstr(msg, "; /dev/kvm usable for the kvm guests");
    } else if (d->kvm_usable < 0) {
        strbuf_addstr(msg, "; no usable /dev/kvm for the kvm guests");
        r = MIG_PMC_FAIL;
    } else {
        strbuf_addstr(msg, "; /dev/kvm unknown");
        if (r == MIG_PMC_SUCCESS)
            r = MIG_PMC_WARNING;
    }
    return r;
}

/* The ports after "dport" on a rule line: "N", "N-M" or "{ N, N-M, ... }".  Whether
 * one overlaps [min, max]. */
static bool dport_overlaps(const char *p, unsigned min, unsigned max)
{
    bool set = false;
    p += strspn(p, " ");
    if (*p == '{') {
        set = true;
        p++;
    }
    for (;;) {
        p += strspn(p, " ,");
        if (!isdigit((unsigned char)*p))
            return false;       /* a named service or a variable: not judged */
        char *e;
        unsigned long a = strtoul(p, &e, 10), b = a;
        if (*e == '-' && isdigit((unsigned char)e[1]))
            b = strtoul(e + 1, &e, 10);
        if (a <= max && b >= min)
            return true;
        p = e;
        if (!set || *p == '}')
            return false;
    }
}

/* An input chain whose policy drops what no rule accepted: blocking unless one of its
 * rules accepts a migration port. */
static void policy_end(struct strbuf *chain, bool drops, bool accepted, struct strbuf *bad,
                       size_t *n)
{
    if (!drops || accepted)
        return;
    strbuf_addf(bad, "%schain %s: policy drop, no rule accepts the ports", *n ? "; " : "",
                chain->buf);
    (*n)++;
}

size_t mig_pmc_fw_blocking(const char *ruleset, unsigned min, unsigned max,
                           struct strbuf *bad)
{
    struct strbuf chain = STRBUF_INIT;
    size_t n = 0;
    bool drops = false, accepted = false;
    for (const char *p = ruleset ? ruleset : ""; *p;) {
        size_t len = strcspn(p, "\n");
        char *line = xstrndup(p, len), *s = line + strspn(line, " \t");
        const char *dp = strstr(s, "dport ");
        if (!strncmp(s, "chain ", 6)) {
            policy_end(&chain, drops, accepted, bad, &n);
            drops = accepted = false;
            strbuf_reset(&chain);
            strbuf_add(&chain, s + 6, strcspn(s + 6, " {"));
        } else if (strstr(s, "hook input") && strstr(s, "policy drop")) {
            drops = true;
        } else if (dp && !strstr(s, "udp dport") && strstr(s, " accept") &&
                   dport_overlaps(dp + 6, min, max)) {
            accepted = true;
        } else if (dp && !strstr(s, "udp dport") && (strstr(s, " drop") || strstr(s, " reject"))
                   && dport_overlaps(dp + 6, min, max)) {
            /* the rule as nft prints it, without its handle comment */
            char *h = strstr(s, " # handle");
            if (h)
                *h = '\0';
            strbuf_addf(bad, "%schain %s: %s", n ? "; " : "", chain.len ? chain.buf : "?", s);
            n++;
        }
        free(line);
        p += len + (p[len] == '\n');
    }
    policy_end(&chain, drops, accepted, bad, &n);
    strbuf_release(&chain);
    return n;
}

static enum mig_pmc_result check_firewall(const struct mig_pmc_input *in,
                                          struct strbuf *msg)
{
    unsigned min = in->port_min ? in->port_min : 49152;
    unsigned max = in->port_max ? in->port_max : 49215;
    const struct mig_pmc_host *d = in->dst;
    if (in->mig_flags & BE_MIG_TUNNELLED) {
        strbuf_addstr(msg, "tunnelled: the data goes over the daemons' connection");
        return MIG_PMC_SUCCESS;
    }
    if (!d->ruleset) {
        strbuf_addf(msg, "firewall of %s unknown (nft list ruleset): cannot tell",
                    nm(d, "the destination"));
        return MIG_PMC_WARNING;
    }
    struct strbuf bad = STRBUF_INIT;
    size_t n = mig_pmc_fw_blocking(d->ruleset, min, max, &bad);
    if (n)
        strbuf_addf(msg, "%s drops migration ports %u-%u: %s", nm(d, "the destination"),
                    min, max, bad.buf);
    else
        strbuf_addf(msg, "no rule of %s drops migration ports %u-%u",
                    nm(d, "the destination"), min, max);
    strbuf_release(&bad);
    return n ? MIG_PMC_FAIL : MIG_PMC_SUCCESS;
}

static enum mig_pmc_result check_security(const struct mig_pmc_input *in,
                                          struct strbuf *msg)
{
    enum mig_pmc_result r = MIG_PMC_SUCCESS;
    const struct mig_pmc_host *hosts[] = { in->src, in->dst };
    for (size_t k = 0; k < ARRAY_SIZE(hosts); k++) {
        const struct mig_pmc_host *h = hosts[k];
        const char *hn = nm(h, k ? "the destination" : "the source");
        strbuf_addstr(msg, k ? "; " : "");
        if (!h->lsm) {
            strbuf_addf(msg, "%s: security module unknown", hn);
            if (r == MIG_PMC_SUCCESS)
                r = MIG_PMC_WARNING;
        } else if (!strcmp(h->lsm, "none")) {
            strbuf_addf(msg, "%s: no security module confines QEMU", hn);
        } else if (!h->denials) {
            strbuf_addf(msg, "%s: %s, no audit log readable: cannot tell", hn, h->lsm);
            if (r == MIG_PMC_SUCCESS)
                r = MIG_PMC_WARNING;
        } else if (*h->denials) {
            size_t len = strcspn(h->denials, "\n");
            strbuf_addf(msg, "%s: %s denied a guest: %.*s", hn, h->lsm, (int)len, h->denials);
            r = MIG_PMC_FAIL;
        } else {
            strbuf_addf(msg, "%s: %s, no denial for", hn, h->lsm);
            for (size_t i = 0; i < in->nvms; i++)
                strbuf_addf(msg, " %s", vm_dom(&in->vms[i]));
        }
    }
    return r;
}

const struct mig_pmc_check mig_pmc_checks[] = {
    { "libvirt version equal",            MIG_PMC_WARNING, check_libvirt_version },
    { "hypervisor type equal",            MIG_PMC_FAIL,    check_hypervisor },
    { "host architecture equal",          MIG_PMC_FAIL,    check_arch },
    { "destination not older than source", MIG_PMC_FAIL,   check_not_older },
    { "guest CPU usable on destination",  MIG_PMC_FAIL,    check_cpu },
    { "disk cache mode safe",             MIG_PMC_WARNING, check_cache },
    { "images reachable from destination", MIG_PMC_FAIL,   check_images },
    { "free memory on destination",       MIG_PMC_FAIL,    check_memory },
    { "QEMU user and group ids equal",    MIG_PMC_FAIL,    check_ids },
    { "virtualization services up",       MIG_PMC_FAIL,    check_services },
    { "migration ports not firewalled",   MIG_PMC_FAIL,    check_firewall },
    { "no security module denial",        MIG_PMC_FAIL,    check_security },
    { NULL, MIG_PMC_SUCCESS, NULL },
};

/* ---- running them ---------------------------------------------------------------- */

size_t mig_pmc_run(const struct mig_pmc_input *in, struct mig_pmc_outcome **out)
{
    size_t n = 0;
    while (mig_pmc_checks[n].name)
        n++;
    struct mig_pmc_outcome *o = xcalloc(n ? n : 1, sizeof(*o));
    for (size_t i = 0; i < n; i++) {
        struct strbuf msg = STRBUF_INIT;
        enum mig_pmc_result r = mig_pmc_checks[i].run(in, &msg);
        /* a check never reports worse than its declared severity */
        if (r > mig_pmc_checks[i].severity)
            r = mig_pmc_checks[i].severity;
        o[i].check = &mig_pmc_checks[i];
        o[i].result = r;
        o[i].msg = strbuf_detach(&msg, NULL);
    }
    *out = o;
    return n;
}

void mig_pmc_outcomes_free(struct mig_pmc_outcome *o, size_t n)
{
    if (!o)
        return;
    for (size_t i = 0; i < n; i++)
        free(o[i].msg);
    free(o);
}

enum mig_pmc_result mig_pmc_decide(const struct mig_pmc_outcome *o, size_t n,
                                   enum mig_pmc_policy policy)
{
    bool failed = false;
    for (size_t i = 0; i < n; i++)
        failed |= o[i].result == MIG_PMC_FAIL;
    if (!failed || policy == MIG_PMC_OFF)
        return MIG_PMC_SUCCESS;
    return policy == MIG_PMC_ENFORCE ? MIG_PMC_FAIL : MIG_PMC_WARNING;
}

const char *mig_pmc_result_name(enum mig_pmc_result r)
{
    switch (r) {
    case MIG_PMC_SUCCESS: return "SUCCESS";
    case MIG_PMC_WARNING: return "WARNING";
    case MIG_PMC_FAIL: return "FAIL";
    }
    return "?";
}

const struct params_word mig_pmc_policy_words[] = {
    { "enforce", MIG_PMC_ENFORCE },
    { "warn", MIG_PMC_WARN },
    { "off", MIG_PMC_OFF },
    { NULL, 0 },
};
