/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lv_xml: libvirt domain XML from a struct be_vm_spec, and the migration
 * normalisation of an existing domain XML (openQA's parallel_guest_migration_base:
 * config_guest_clock, config_guest_storage, config_guest_console).
 *
 * Everything goes through libxml2's tree API so values are escaped by the library,
 * never by string pasting.
 */
#include "backends/lv_xml.h"
#include "backends/be.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X(s) ((const xmlChar *)(s))

static xmlNodePtr child(xmlNodePtr parent, const char *name, const char *text)
{
    return xmlNewTextChild(parent, NULL, X(name), text ? X(text) : NULL);
}

static void prop(xmlNodePtr n, const char *name, const char *value)
{
    xmlSetProp(n, X(name), X(value));
}

static char *dump(xmlDocPtr doc)
{
    xmlChar *mem = NULL;
    int len = 0;
    char *out;

    xmlDocDumpFormatMemory(doc, &mem, &len, 1);
    if (!mem) {
        err_set("domain XML: cannot serialise");
        return NULL;
    }
    out = xstrndup((const char *)mem, (size_t)len);
    xmlFree(mem);
    return out;
}

/* Disk targets the way libvirt names them: vda.., sda.., hda.. */
static char *disk_target(const struct be_disk *d, size_t index)
{
    const char *bus = d->bus ? d->bus : "virtio";
    const char *pfx = !strcmp(bus, "virtio") ? "vd" : !strcmp(bus, "ide") ? "hd" : "sd";

    if (d->target)
        return xstrdup(d->target);
    if (index < 26)
        return xasprintf("%s%c", pfx, (char)('a' + index));
    return xasprintf("%s%c%c", pfx, (char)('a' + index / 26 - 1), (char)('a' + index % 26));
}

static void add_disk(xmlNodePtr devs, const struct be_disk *d, size_t index)
{
    xmlNodePtr disk = child(devs, "disk", NULL), n;
    char *target = disk_target(d, index);

    prop(disk, "type", "file");
    prop(disk, "device", d->device ? d->device : "disk");
    n = child(disk, "driver", NULL);
    prop(n, "name", "qemu");
    prop(n, "type", d->format ? d->format : "qcow2");
    /* cache='none' is what makes a live migration safe without a cluster FS */
    prop(n, "cache", d->cache ? d->cache : "none");
    n = child(disk, "source", NULL);
    prop(n, "file", d->path);
    n = child(disk, "target", NULL);
    prop(n, "dev", target);
    prop(n, "bus", d->bus ? d->bus : "virtio");
    if (d->readonly)
        child(disk, "readonly", NULL);
    free(target);
}

/* Libvirt puts SCSI disk sdX on controller index(X) / 7 (7 units a controller) and
 * adds any controller missing with its default model, which a guest with only
 * virtio drivers cannot see: every one is declared virtio-scsi here. */
#define LV_SCSI_UNITS 7

static void add_scsi_controllers(xmlNodePtr devs, const struct be_vm_spec *spec)
{
    size_t nscsi = 0;
    for (size_t i = 0; i < spec->ndisks; i++)
        if (spec->disks[i].bus && !strcmp(spec->disks[i].bus, "scsi"))
            nscsi++;
    size_t n = nscsi ? (nscsi + LV_SCSI_UNITS - 1) / LV_SCSI_UNITS : 1;
    for (size_t c = 0; c < n; c++) {
        char idx[24];
        xmlNodePtr ctl = child(devs, "controller", NULL);
        snprintf(idx, sizeof(idx), "%zu", c);
        prop(ctl, "type", "scsi");
        prop(ctl, "index", idx);
        prop(ctl, "model", "virtio-scsi");
    }
}

static void add_nic(xmlNodePtr devs, const struct be_nic *nic)
{
    xmlNodePtr iface = child(devs, "interface", NULL), n;
    bool bridge = nic->mode && !strcmp(nic->mode, "bridge");

    prop(iface, "type", bridge ? "bridge" : "user");
    if (nic->mac) {
        n = child(iface, "mac", NULL);
        prop(n, "address", nic->mac);
    }
    if (bridge) {
        n = child(iface, "source", NULL);
        prop(n, "bridge", nic->bridge);
    }
    /* no <target dev=...>: a fixed tap name would collide with the destination's
     * tap while both QEMUs exist during a hop */
    n = child(iface, "model", NULL);
    prop(n, "type", nic->model ? nic->model : "virtio");
}

static void add_serial_file(xmlNodePtr devs, const char *path)
{
    xmlNodePtr s = child(devs, "serial", NULL), n;

    prop(s, "type", "file");
    n = child(s, "source", NULL);
    prop(n, "path", path);
    /* append: the destination QEMU of a hop opens the same file and must not
     * truncate what the source wrote */
    prop(n, "append", "on");
    n = child(s, "target", NULL);
    prop(n, "port", "0");
    /* libvirt adds the matching <console> (an alias of serial 0) itself */
}

static void add_serial_pty(xmlNodePtr devs)
{
    xmlNodePtr s = child(devs, "serial", NULL), n;

    prop(s, "type", "pty");
    n = child(s, "target", NULL);
    prop(n, "port", "0");
}

/* The guest agent's port; no <source>: libvirt picks a per-domain socket path on each
 * host, so the domain migrates without a path that exists on one host only. */
static void add_agent_channel(xmlNodePtr devs)
{
    xmlNodePtr c = child(devs, "channel", NULL), n;

    prop(c, "type", "unix");
    n = child(c, "target", NULL);
    prop(n, "type", "virtio");
    prop(n, "name", "org.qemu.guest_agent.0");
}

/* <cpu><numa><cell id cpus memory unit='KiB'/>...</numa></cpu>, into cpu. */
static void add_numa_cells(xmlNodePtr cpu, const struct be_vm_spec *spec)
{
    xmlNodePtr numa = child(cpu, "numa", NULL), n;
    char num[32];

    for (size_t i = 0; i < spec->nnuma; i++) {
        n = child(numa, "cell", NULL);
        snprintf(num, sizeof(num), "%zu", i);
        prop(n, "id", num);
        prop(n, "cpus", spec->numa[i].cpus);
        snprintf(num, sizeof(num), "%lu", spec->numa[i].mem_kib);
        prop(n, "memory", num);
        prop(n, "unit", "KiB");
    }
}

/* <numatune>: the memory binding as a whole, then each cell's (<memnode>). */
static void add_numatune(xmlNodePtr dom, const struct be_vm_spec *spec)
{
    const struct be_numatune *t = &spec->numatune;
    xmlNodePtr tune, n;
    char num[32];

    if (!t->mode)
        return;
    tune = child(dom, "numatune", NULL);
    n = child(tune, "memory", NULL);
    prop(n, "mode", t->mode);
    if (t->placement)
        prop(n, "placement", t->placement);
    if (t->nodeset)
        prop(n, "nodeset", t->nodeset);
    for (size_t i = 0; i < spec->nnuma; i++) {
        if (!spec->numa[i].mode)
            continue;
        n = child(tune, "memnode", NULL);
        snprintf(num, sizeof(num), "%zu", i);
        prop(n, "cellid", num);
        prop(n, "mode", spec->numa[i].mode);
        prop(n, "nodeset", spec->numa[i].nodeset);
    }
}

/* <memoryBacking><hugepages>[<page size unit='KiB' nodeset/>]</hugepages>: QEMU maps
 * the guest's RAM from a file on the host's hugetlbfs (memory-backend-file). */
static void add_hugepages(xmlNodePtr dom, const struct be_vm_spec *spec)
{
    const struct be_hugepages *hp = &spec->hugepages;
    xmlNodePtr hps, n;
    char num[32];

    if (!hp->on)
        return;
    hps = child(child(dom, "memoryBacking", NULL), "hugepages", NULL);
    if (!hp->page_kib)
        return;
    n = child(hps, "page", NULL);
    snprintf(num, sizeof(num), "%lu", hp->page_kib);
    prop(n, "size", num);
    prop(n, "unit", "KiB");
    if (hp->nodeset)
        prop(n, "nodeset", hp->nodeset);
}

/* What libvirt would refuse of the spec's vCPUs and NUMA cells, said before it. */
static int check_cpus(const struct be_vm_spec *spec)
{
    unsigned smp = spec->smp ? spec->smp : 1;

    if (spec->max_vcpus && spec->max_vcpus < smp) {
        err_set("domain XML: VM %s: %u vCPUs at start, more than its maximum %u",
                spec->name, smp, spec->max_vcpus);
        return -1;
    }
    for (size_t i = 0; i < spec->nnuma; i++)
        if (!spec->numa[i].cpus || !spec->numa[i].mem_kib ||
            (spec->numa[i].mode && !spec->numa[i].nodeset)) {
            err_set("domain XML: VM %s: NUMA cell %zu without %s", spec->name, i,
                    !spec->numa[i].cpus ? "vCPUs" : !spec->numa[i].mem_kib ? "memory" :
                    "a host nodeset for its memnode");
            return -1;
        }
    return 0;
}

static void add_kvmclock(xmlNodePtr clock)
{
    xmlNodePtr t = child(clock, "timer", NULL);

    prop(t, "name", "kvmclock");
    prop(t, "present", "yes");
}

char *lv_xml_build(const struct be_vm_spec *spec)
{
    xmlDocPtr doc;
    xmlNodePtr dom, os, n, devs;
    bool kvm = spec->accel && !strcmp(spec->accel, "kvm");
    char num[32];
    char *out = NULL;

    if (!spec->name || !*spec->name) {
        err_set("domain XML: VM spec without a name");
        return NULL;
    }
    if (!spec->mem_mib) {
        err_set("domain XML: VM %s: no memory size", spec->name);
        return NULL;
    }
    for (size_t i = 0; i < spec->ndisks; i++)
        if (!spec->disks[i].path) {
            err_set("domain XML: VM %s: disk %zu without a path", spec->name, i);
            return NULL;
        }
    if (check_cpus(spec) < 0)
        return NULL;
    for (size_t i = 0; i < spec->nnics; i++)
        if (spec->nics[i].mode && !strcmp(spec->nics[i].mode, "bridge") &&
            !spec->nics[i].bridge) {
            err_set("domain XML: VM %s: nic %zu in bridge mode without a bridge",
                    spec->name, i);
            return NULL;
        }

    doc = xmlNewDoc(X("1.0"));
    dom = xmlNewNode(NULL, X("domain"));
    xmlDocSetRootElement(doc, dom);
    /* /dev/kvm may exist and still be unusable: virt/ decides, we only render */
    prop(dom, "type", kvm ? "kvm" : "qemu");
    child(dom, "name", spec->name);
    snprintf(num, sizeof(num), "%lu", spec->mem_mib);
    n = child(dom, "memory", num);
    prop(n, "unit", "MiB");
    if (spec->max_vcpus) {
        /* hotplug: the maximum, with those online at start as current */
        snprintf(num, sizeof(num), "%u", spec->max_vcpus);
        n = child(dom, "vcpu", num);
        snprintf(num, sizeof(num), "%u", spec->smp ? spec->smp : 1);
        prop(n, "current", num);
    } else {
        snprintf(num, sizeof(num), "%u", spec->smp ? spec->smp : 1);
        child(dom, "vcpu", num);
    }
    if (spec->max_mem_kib) {
        snprintf(num, sizeof(num), "%lu", spec->max_mem_kib);
        n = child(dom, "maxMemory", num);
        prop(n, "unit", "KiB");
        snprintf(num, sizeof(num), "%u", spec->mem_slots);
        prop(n, "slots", num);
    }
    add_hugepages(dom, spec);
    add_numatune(dom, spec);

    os = child(dom, "os", NULL);
    n = child(os, "type", "hvm");
    prop(n, "arch", "x86_64");
    if (spec->machine)
        prop(n, "machine", spec->machine);
    if (spec->kernel) {
        child(os, "kernel", spec->kernel);
        if (spec->initrd)
            child(os, "initrd", spec->initrd);
        if (spec->cmdline)
            child(os, "cmdline", spec->cmdline);
    } else {
        n = child(os, "boot", NULL);
        prop(n, "dev", "hd");
    }
    n = child(dom, "features", NULL);
    child(n, "acpi", NULL);

    if (spec->cpu_model || kvm || spec->nnuma) {
        xmlNodePtr cpu = child(dom, "cpu", NULL);
        if (spec->cpu_model) {
            prop(cpu, "mode", "custom");
            prop(cpu, "match", "exact");
            n = child(cpu, "model", spec->cpu_model);
            prop(n, "fallback", "allow");
        } else if (kvm) {
            prop(cpu, "mode", "host-model");
        }
        if (spec->nnuma)
            add_numa_cells(cpu, spec);
    }

    n = child(dom, "clock", NULL);
    prop(n, "offset", "utc");
    add_kvmclock(n);

    child(dom, "on_poweroff", "destroy");
    child(dom, "on_reboot", "restart");
    child(dom, "on_crash", "destroy");

    devs = child(dom, "devices", NULL);
    if (spec->emulator)
        child(devs, "emulator", spec->emulator);
    if (spec->virtio_scsi)
        add_scsi_controllers(devs, spec);
    for (size_t i = 0; i < spec->ndisks; i++)
        add_disk(devs, &spec->disks[i], i);
    for (size_t i = 0; i < spec->nnics; i++)
        add_nic(devs, &spec->nics[i]);
    if (spec->console_log)
        add_serial_file(devs, spec->console_log);
    else
        add_serial_pty(devs);
    if (spec->guest_agent)
        add_agent_channel(devs);
    /* fewer devices to emulate and to migrate; tests never balloon */
    n = child(devs, "memballoon", NULL);
    prop(n, "model", "none");
    /* an entropy source: without it a fresh guest's first SSH login waits about a
     * second for its RNG (measured on the lab's guest) */
    n = child(devs, "rng", NULL);
    prop(n, "model", "virtio");
    prop(child(n, "backend", "/dev/urandom"), "model", "random");

    out = dump(doc);
    xmlFreeDoc(doc);
    return out;
}

char *lv_xml_nic(const struct be_nic *nic)
{
    xmlDocPtr doc = xmlNewDoc(X("1.0"));
    xmlNodePtr holder = xmlNewNode(NULL, X("devices"));
    char *out = NULL;

    if (nic->mode && !strcmp(nic->mode, "bridge") && !nic->bridge) {
        err_set("interface XML: bridge mode without a bridge");
        xmlFreeNode(holder);
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlDocSetRootElement(doc, holder);
    add_nic(holder, nic);
    /* the <interface> alone is the document */
    xmlNodePtr iface = holder->children;
    xmlUnlinkNode(iface);
    xmlDocSetRootElement(doc, iface);
    xmlFreeNode(holder);
    out = dump(doc);
    xmlFreeDoc(doc);
    return out;
}

char *lv_xml_dimm(unsigned long size_kib, int node)
{
    xmlDocPtr doc = xmlNewDoc(X("1.0"));
    xmlNodePtr mem = xmlNewNode(NULL, X("memory")), target, n;
    char num[32];
    char *out;

    xmlDocSetRootElement(doc, mem);
    prop(mem, "model", "dimm");
    target = child(mem, "target", NULL);
    snprintf(num, sizeof(num), "%lu", size_kib);
    n = child(target, "size", num);
    prop(n, "unit", "KiB");
    if (node >= 0) {
        snprintf(num, sizeof(num), "%d", node);
        child(target, "node", num);
    }
    out = dump(doc);
    xmlFreeDoc(doc);
    return out;
}

/* Direct element children of parent named name, in document order. */
static xmlNodePtr first_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, X(name)))
            return c;
    return NULL;
}

static xmlNodePtr next_sibling(xmlNodePtr n, const char *name)
{
    for (n = n->next; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, X(name)))
            return n;
    return NULL;
}

static bool prop_is(xmlNodePtr n, const char *name, const char *value)
{
    xmlChar *v = xmlGetProp(n, X(name));
    bool eq = v && !xmlStrcmp(v, X(value));

    xmlFree(v);
    return eq;
}

static void remove_children(xmlNodePtr parent, const char *name)
{
    xmlNodePtr c = first_child(parent, name), next;

    while (c) {
        next = next_sibling(c, name);
        xmlUnlinkNode(c);
        xmlFreeNode(c);
        c = next;
    }
}

/* config_guest_clock: kvm-clock, the clocksource that survives a hop */
static void normalize_clock(xmlNodePtr dom)
{
    xmlNodePtr clock = first_child(dom, "clock"), t;

    if (!clock) {
        clock = child(dom, "clock", NULL);
        prop(clock, "offset", "utc");
    }
    for (t = first_child(clock, "timer"); t; t = next_sibling(t, "timer"))
        if (prop_is(t, "name", "kvmclock")) {
            prop(t, "present", "yes");
            return;
        }
    add_kvmclock(clock);
}

/* config_guest_storage: cache='none' on every disk (not cdroms, floppies, luns) */
static void normalize_disks(xmlNodePtr devs)
{
    for (xmlNodePtr d = first_child(devs, "disk"); d; d = next_sibling(d, "disk")) {
        xmlChar *device = xmlGetProp(d, X("device"));
        bool disk = !device || !xmlStrcmp(device, X("disk"));
        xmlNodePtr drv;

        xmlFree(device);
        if (!disk)
            continue;
        drv = first_child(d, "driver");
        if (!drv) {
            drv = xmlNewNode(NULL, X("driver"));
            prop(drv, "name", "qemu");
            if (d->children)
                xmlAddPrevSibling(d->children, drv);
            else
                xmlAddChild(d, drv);
        }
        prop(drv, "cache", "none");
    }
}

/* interface targets: libvirt picks fresh tap names on each host */
static void normalize_nics(xmlNodePtr devs)
{
    for (xmlNodePtr i = first_child(devs, "interface"); i; i = next_sibling(i, "interface"))
        remove_children(i, "target");
}

/* config_guest_console: exactly one serial console, to the log file when given;
 * without a log file an existing serial port is kept, else a pty is added */
static void normalize_console(xmlNodePtr devs, const char *console_log)
{
    if (!console_log && first_child(devs, "serial"))
        return;
    remove_children(devs, "serial");
    remove_children(devs, "console");
    if (console_log)
        add_serial_file(devs, console_log);
    else
        add_serial_pty(devs);
}

static xmlDocPtr parse(const char *xml)
{
    xmlDocPtr doc;

    if (!xml) {
        err_set("domain XML: none given");
        return NULL;
    }
    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        err_set("domain XML: cannot parse: %s",
                e && e->message ? e->message : "unknown error");
        return NULL;
    }
    if (!xmlDocGetRootElement(doc) ||
        xmlStrcmp(xmlDocGetRootElement(doc)->name, X("domain"))) {
        err_set("domain XML: root element is not <domain>");
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

char *lv_xml_normalize(const char *xml, const char *console_log)
{
    xmlDocPtr doc = parse(xml);
    xmlNodePtr dom, devs;
    char *out;

    if (!doc)
        return NULL;
    dom = xmlDocGetRootElement(doc);
    devs = first_child(dom, "devices");
    if (!devs)
        devs = child(dom, "devices", NULL);
    normalize_clock(dom);
    normalize_disks(devs);
    normalize_nics(devs);
    normalize_console(devs, console_log);
    out = dump(doc);
    xmlFreeDoc(doc);
    return out;
}

char *lv_xml_rename(const char *xml, const char *name)
{
    xmlDocPtr doc = parse(xml);
    xmlNodePtr n;
    char *out;

    if (!doc)
        return NULL;
    n = first_child(xmlDocGetRootElement(doc), "name");
    if (!n)
        n = child(xmlDocGetRootElement(doc), "name", NULL);
    xmlNodeSetContent(n, NULL);
    xmlNodeAddContent(n, X(name));
    out = dump(doc);
    xmlFreeDoc(doc);
    return out;
}

char *lv_xml_console_path(const char *xml)
{
    xmlDocPtr doc = parse(xml);
    xmlXPathContextPtr ctx = NULL;
    xmlXPathObjectPtr res = NULL;
    char *out = NULL;
    static const char *const queries[] = {
        "string(/domain/devices/serial[@type='file'][1]/source/@path)",
        "string(/domain/devices/serial[log/@file][1]/log/@file)",
        "string(/domain/devices/console[@type='file'][1]/source/@path)",
    };

    if (!doc)
        return NULL;
    ctx = xmlXPathNewContext(doc);
    for (size_t i = 0; i < ARRAY_SIZE(queries) && !out; i++) {
        res = xmlXPathEvalExpression(X(queries[i]), ctx);
        if (res && res->type == XPATH_STRING && res->stringval && *res->stringval)
            out = xstrdup((const char *)res->stringval);
        xmlXPathFreeObject(res);
    }
    if (!out) {
        xmlChar *name = NULL;
        xmlNodePtr n = first_child(xmlDocGetRootElement(doc), "name");
        if (n)
            name = xmlNodeGetContent(n);
        err_set("domain %s: no serial console log file in its XML",
                name ? (const char *)name : "?");
        xmlFree(name);
    }
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return out;
}

static xmlDocPtr parse_any(const char *xml)
{
    xmlDocPtr doc = xml ? xmlReadMemory(xml, (int)strlen(xml), "libvirt.xml", NULL,
                                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                                        XML_PARSE_NOWARNING) : NULL;
    if (!doc)
        err_set("libvirt XML: cannot parse");
    return doc;
}

char *lv_xml_xpath_string(const char *xml, const char *expr)
{
    xmlDocPtr doc = parse_any(xml);
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr res;
    xmlChar *v;
    char *out = NULL;

    if (!doc)
        return NULL;
    ctx = xmlXPathNewContext(doc);
    res = xmlXPathEvalExpression(X(expr), ctx);
    v = res ? xmlXPathCastToString(res) : NULL;
    if (v && *v)
        out = xstrdup((const char *)v);
    xmlFree(v);
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return out;
}

char **lv_xml_xpath_strings(const char *xml, const char *expr)
{
    xmlDocPtr doc = parse_any(xml);
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr res;
    char **out;
    size_t n = 0;

    if (!doc)
        return NULL;
    ctx = xmlXPathNewContext(doc);
    res = xmlXPathEvalExpression(X(expr), ctx);
    if (res && res->type == XPATH_NODESET && res->nodesetval)
        n = (size_t)res->nodesetval->nodeNr;
    out = xcalloc(n + 1, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        xmlChar *v = xmlNodeGetContent(res->nodesetval->nodeTab[i]);
        out[i] = xstrdup(v ? (const char *)v : "");
        xmlFree(v);
    }
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return out;
}

/* Point every file-backed <serial>/<console> of devs at path. */
static void retarget_console(xmlNodePtr devs, const char *path)
{
    static const char *const kinds[] = { "serial", "console" };
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
        for (xmlNodePtr s = first_child(devs, kinds[k]); s; s = next_sibling(s, kinds[k])) {
            xmlNodePtr src = first_child(s, "source");
            xmlChar *type = xmlGetProp(s, X("type"));
            if (src && type && !xmlStrcmp(type, X("file")))
                prop(src, "path", path);
            xmlFree(type);
        }
}

char *lv_xml_restore_as(const char *saved, const struct be_vm_spec *spec)
{
    xmlDocPtr doc = parse(saved);
    xmlNodePtr dom, devs, n;
    size_t d = 0;
    char *out;

    if (!doc)
        return NULL;
    dom = xmlDocGetRootElement(doc);
    n = first_child(dom, "name");
    if (!n)
        n = child(dom, "name", NULL);
    xmlNodeSetContent(n, NULL);
    xmlNodeAddContent(n, X(spec->name));
    devs = first_child(dom, "devices");
    /* the disks in the order the spec rendered them (lv_xml_build) */
    for (n = devs ? first_child(devs, "disk") : NULL; n; n = next_sibling(n, "disk")) {
        xmlNodePtr src = first_child(n, "source");
        if (d >= spec->ndisks || !src || !xmlHasProp(src, X("file"))) {
            err_set("VM %s: saved disk %zu does not match the spec's disks", spec->name, d);
            xmlFreeDoc(doc);
            return NULL;
        }
        prop(src, "file", spec->disks[d++].path);
    }
    if (d != spec->ndisks) {
        err_set("VM %s: the saved state has %zu disks, the spec %zu", spec->name, d,
                spec->ndisks);
        xmlFreeDoc(doc);
        return NULL;
    }
    if (devs && spec->console_log)
        retarget_console(devs, spec->console_log);
    out = dump(doc);
    xmlFreeDoc(doc);
    return out;
}
