/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_cpuxml: a guest's <cpu> from vm_attrs (avocado-vt's VMCPUXML.setup_attrs, the
 * keys tp-libvirt's migration cases write) and put into a domain XML.
 */
#include "runner/run_cpuxml.h"

#include "lib/err.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

/* The attributes of <cpu> and of a NUMA <cell> vtrun writes (VMCPUXML's names). */
static const char *const cpu_attrs[] = { "mode", "check", "match", NULL };
static const char *const cell_attrs[] = { "id", "cpus", "memory", "unit", NULL };

static bool listed(const char *const *words, const char *w)
{
    for (; *words; words++)
        if (!strcmp(*words, w))
            return true;
    return false;
}

/* A scalar as libvirt's XML writes it; NULL for lists, dicts ... */
static char *scalar(const struct pylit *v)
{
    switch (v->kind) {
    case PYLIT_STR:
        return xstrdup(v->s);
    case PYLIT_INT:
        return xasprintf("%lld", v->i);
    default:
        return NULL;
    }
}

/* Each key of dict d an attribute of node (keys outside `known` refused). */
static int set_attrs(xmlNodePtr node, const struct pylit *d, const char *const *known,
                     const char *what)
{
    for (size_t k = 0; k < d->n; k++) {
        const struct pylit *key = &d->items[2 * k], *val = &d->items[2 * k + 1];
        if (key->kind != PYLIT_STR)
            return err_set("vm_attrs: a key of %s is not a string", what), -1;
        if (!listed(known, key->s))
            continue;       /* the caller's own keys (numa_cell) */
        char *text = scalar(val);
        if (!text)
            return err_set("vm_attrs: %s '%s' is a %s, expected a string or a number", what,
                           key->s, pylit_kind_name(val->kind)), -1;
        xmlSetProp(node, BAD_CAST key->s, BAD_CAST text);
        free(text);
    }
    return 0;
}

/* The first key of dict d that is neither in `known` nor `also`, or NULL. */
static const char *unknown_key(const struct pylit *d, const char *const *known,
                               const char *also)
{
    for (size_t k = 0; k < d->n; k++) {
        const struct pylit *key = &d->items[2 * k];
        if (key->kind == PYLIT_STR && !listed(known, key->s) && (!also || strcmp(also, key->s)))
            return key->s;
    }
    return NULL;
}

static int add_cells(xmlNodePtr cpu, const struct pylit *cells)
{
    if (cells->kind != PYLIT_LIST)
        return err_set("vm_attrs: numa_cell is a %s, expected a list",
                       pylit_kind_name(cells->kind)), -1;
    xmlNodePtr numa = xmlNewChild(cpu, NULL, BAD_CAST "numa", NULL);
    for (size_t c = 0; c < cells->n; c++) {
        const struct pylit *cell = &cells->items[c];
        if (cell->kind != PYLIT_DICT)
            return err_set("vm_attrs: a numa_cell item is a %s, expected a dict",
                           pylit_kind_name(cell->kind)), -1;
        const char *bad = unknown_key(cell, cell_attrs, NULL);
        if (bad)
            return err_set("vm_attrs: numa_cell key '%s': vtrun does not build it", bad), -1;
        if (set_attrs(xmlNewChild(numa, NULL, BAD_CAST "cell", NULL), cell, cell_attrs,
                      "numa_cell") < 0)
            return -1;
    }
    return 0;
}

static char *dump_node(xmlDocPtr d)
{
    xmlChar *buf = NULL;
    int len = 0;
    xmlDocDumpMemory(d, &buf, &len);
    char *out = xstrndup((const char *)buf, (size_t)len);
    xmlFree(buf);
    return out;
}

static int cpu_node(const struct pylit *attrs, xmlNodePtr cpu)
{
    if (attrs->kind != PYLIT_DICT)
        return err_set("vm_attrs is a %s, expected a dict", pylit_kind_name(attrs->kind)), -1;
    const char *const only_cpu[] = { "cpu", NULL };
    const char *bad = unknown_key(attrs, only_cpu, NULL);
    if (bad)
        return err_set("vm_attrs key '%s': vtrun does not build it", bad), -1;
    const struct pylit *c = pylit_get(attrs, "cpu");
    if (!c || c->kind != PYLIT_DICT)
        return err_set("vm_attrs has no cpu dict"), -1;
    if ((bad = unknown_key(c, cpu_attrs, "numa_cell")))
        return err_set("vm_attrs cpu key '%s': vtrun does not build it", bad), -1;
    if (set_attrs(cpu, c, cpu_attrs, "cpu") < 0)
        return -1;
    const struct pylit *cells = pylit_get(c, "numa_cell");
    return cells ? add_cells(cpu, cells) : 0;
}

char *run_cpuxml_from_attrs(const char *vm_attrs)
{
    struct pylit attrs;
    if (pylit_parse(vm_attrs ? vm_attrs : "", &attrs) < 0) {
        err_set("vm_attrs = '%s': %s", vm_attrs ? vm_attrs : "", err_msg());
        return NULL;
    }
    xmlDocPtr d = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr cpu = xmlNewNode(NULL, BAD_CAST "cpu");
    xmlDocSetRootElement(d, cpu);
    char *out = cpu_node(&attrs, cpu) < 0 ? NULL : dump_node(d);
    xmlFreeDoc(d);
    pylit_release(&attrs);
    return out;
}

static xmlDocPtr read_xml(const char *text, const char *name)
{
    xmlDocPtr d = xmlReadMemory(text, (int)strlen(text), name, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NOBLANKS);
    if (!d || !xmlDocGetRootElement(d)) {
        xmlFreeDoc(d);
        err_set("%s does not parse", name);
        return NULL;
    }
    return d;
}

char *run_cpuxml_set(const char *domxml, const char *cpuxml)
{
    xmlDocPtr dom = read_xml(domxml, "domain XML");
    xmlDocPtr cpu = dom ? read_xml(cpuxml, "cpu XML") : NULL;
    char *out = NULL;
    if (cpu) {
        xmlNodePtr root = xmlDocGetRootElement(dom);
        xmlNodePtr copy = xmlDocCopyNode(xmlDocGetRootElement(cpu), dom, 1);
        xmlNodePtr old = NULL;
        for (xmlNodePtr c = root->children; c && !old; c = c->next)
            if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST "cpu"))
                old = c;
        if (old) {
            xmlReplaceNode(old, copy);
            xmlFreeNode(old);
        } else {
            xmlAddChild(root, copy);
        }
        out = dump_node(dom);
    }
    xmlFreeDoc(cpu);
    xmlFreeDoc(dom);
    return out;
}
