/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * type_migrate_vm's guest XML edits, as tp-libvirt's migrate_vm.py makes them before
 * the guest starts (libvirt/tests/src/migration/migrate_vm.py):
 *
 *  - custom_cpu(): the domain's <cpu> replaced by one of cpu_mode / cpu_match, the
 *    model cpu_model_name (fallback cpu_model_fallback), the vendor cpu_vendor and the
 *    features of cpu_feature_dict ("{'xsave': 'require'}", a Python dict literal);
 *  - add_disk_xml(): a cdrom (scsi, sdb, driver qemu) or floppy (fdc, fda, driver qemu
 *    cache none) disk of a file (or block device) source with startupPolicy, as the
 *    reference attaches it with `virsh attach-device --config`.
 *
 * Pure text to text (libxml2), for the unit tests.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_vmconf.h"
#include "runner/type_migrate_vm.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

static xmlDocPtr parse(const char *xml, xmlNodePtr *root)
{
    xmlDocPtr d = run_vmconf_xml_read(xml);
    *root = d ? xmlDocGetRootElement(d) : NULL;
    return d;
}

static void prop(xmlNodePtr n, const char *name, const char *v)
{
    if (v && *v)
        xmlSetProp(n, BAD_CAST name, BAD_CAST v);
}

/* One quoted Python string at *s ('x' or "x"), its text into out; false if none. */
static bool py_str(const char **s, struct strbuf *out)
{
    const char *p = *s + strspn(*s, " \t");
    char q = *p;
    if (q != '\'' && q != '"')
        return false;
    const char *end = strchr(p + 1, q);
    if (!end)
        return false;
    strbuf_reset(out);
    strbuf_add(out, p + 1, (size_t)(end - p - 1));
    *s = end + 1;
    return true;
}

static bool py_sep(const char **s, char c)
{
    const char *p = *s + strspn(*s, " \t");
    if (*p != c)
        return false;
    *s = p + 1;
    return true;
}

int mvm_feature_dict(const char *text, struct mvm_features *out)
{
    struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;
    const char *s = text ? text : "{}";
    memset(out, 0, sizeof(*out));
    int rc = py_sep(&s, '{') ? 0 : -1;
    while (rc == 0 && !py_sep(&s, '}')) {
        if (out->n && !py_sep(&s, ',')) {
            rc = -1;
            break;
        }
        if (py_sep(&s, '}'))        /* a trailing comma */
            break;
        if (!py_str(&s, &k) || !py_sep(&s, ':') || !py_str(&s, &v) ||
            out->n == MVM_FEATURES_MAX) {
            rc = -1;
            break;
        }
        out->name[out->n] = xstrdup(k.buf);
        out->policy[out->n++] = xstrdup(v.buf);
    }
    if (rc == 0 && s[strspn(s, " \t")])
        rc = -1;
    strbuf_release(&k);
    strbuf_release(&v);
    if (rc < 0) {
        mvm_features_release(out);
        err_set("cpu_feature_dict '%s': not a dict of quoted names to quoted policies",
                text);
    }
    return rc;
}

void mvm_features_release(struct mvm_features *f)
{
    for (size_t k = 0; k < f->n; k++) {
        free(f->name[k]);
        free(f->policy[k]);
    }
    memset(f, 0, sizeof(*f));
}

char *mvm_xml_cpu(const char *xml, const struct mvm_cpu *c)
{
    xmlNodePtr root;
    xmlDocPtr d = parse(xml, &root);
    if (!d)
        return NULL;
    /* VMCPUXML replaces the whole element: what was in it (topology, NUMA) goes */
    xmlNodePtr old = run_vmconf_xml_child(root, "cpu");
    xmlNodePtr cpu = xmlNewNode(NULL, BAD_CAST "cpu");
    if (old) {
        xmlReplaceNode(old, cpu);
        xmlFreeNode(old);
    } else {
        xmlAddChild(root, cpu);
    }
    prop(cpu, "mode", c->mode);
    prop(cpu, "match", c->match);
    xmlNodePtr m = xmlNewTextChild(cpu, NULL, BAD_CAST "model", BAD_CAST c->model);
    prop(m, "fallback", c->fallback);
    xmlNewTextChild(cpu, NULL, BAD_CAST "vendor", BAD_CAST c->vendor);
    for (size_t k = 0; k < c->features.n; k++) {
        xmlNodePtr f = xmlNewChild(cpu, NULL, BAD_CAST "feature", NULL);
        prop(f, "policy", c->features.policy[k]);
        prop(f, "name", c->features.name[k]);
    }
    return run_vmconf_xml_take(d);
}

char *mvm_xml_disk(const char *xml, const char *device, const char *source,
                   const char *policy, const char *disk_type)
{
    static const struct {
        const char *device, *bus, *dev, *cache;
    } targets[] = {
        { "cdrom", "scsi", "sdb", NULL },
        { "floppy", "fdc", "fda", "none" },
    };
    size_t t = 0;
    while (t < ARRAY_SIZE(targets) && strcmp(targets[t].device, device))
        t++;
    if (t == ARRAY_SIZE(targets)) {
        err_set("Only support 'cdrom' and 'floppy' device type: %s", device);
        return NULL;
    }
    const char *type = disk_type && *disk_type ? disk_type : "file";
    xmlNodePtr root;
    xmlDocPtr d = parse(xml, &root);
    if (!d)
        return NULL;
    xmlNodePtr devs = run_vmconf_xml_child(root, "devices");
    if (!devs)
        devs = xmlNewChild(root, NULL, BAD_CAST "devices", NULL);
    xmlNodePtr disk = xmlNewChild(devs, NULL, BAD_CAST "disk", NULL);
    prop(disk, "type", type);
    prop(disk, "device", device);
    xmlNodePtr drv = xmlNewChild(disk, NULL, BAD_CAST "driver", NULL);
    prop(drv, "name", "qemu");
    prop(drv, "cache", targets[t].cache);
    xmlNodePtr src = xmlNewChild(disk, NULL, BAD_CAST "source", NULL);
    prop(src, !strcmp(type, "block") ? "dev" : "file", source);
    prop(src, "startupPolicy", policy);
    xmlNodePtr tgt = xmlNewChild(disk, NULL, BAD_CAST "target", NULL);
    prop(tgt, "bus", targets[t].bus);
    prop(tgt, "dev", targets[t].dev);
    return run_vmconf_xml_take(d);
}

char *mvm_xml_virt_type(const char *xml)
{
    xmlNodePtr root;
    xmlDocPtr d = parse(xml, &root);
    if (!d)
        return NULL;
    xmlChar *t = xmlGetProp(root, BAD_CAST "type");
    char *out = xstrdup(t ? (const char *)t : "kvm");
    xmlFree(t);
    xmlFreeDoc(d);
    return out;
}

int mvm_cpu_usable(const char *dcaps, const char *model)
{
    char *want = xasprintf(">%s</model>", model);
    int rc = -1;
    for (const char *l = dcaps ? dcaps : ""; *l && rc < 0;) {
        size_t len = strcspn(l, "\n");
        char *line = xstrndup(l, len);
        if (strstr(line, "<model") && strstr(line, want) && strstr(line, "usable="))
            rc = strstr(line, "usable='no'") || strstr(line, "usable=\"no\"") ? 0 : 1;
        free(line);
        l += len + (l[len] == '\n');
    }
    free(want);
    return rc;
}
