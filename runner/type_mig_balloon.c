/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types `migration_with_various_balloon_models` and
 * `migration_with_various_memory_allocation`: tp-libvirt's
 * libvirt/tests/src/migration/migration_with_memory/
 * migration_with_various_balloon_models.py and migration_with_various_memory_allocation.py
 * (MigrationBase cases, the same steps) with base_steps' shared steps
 * (runner/run_base.h, runner/run_vmconf.h).
 *
 * The guest's definition gets mem_attrs (balloon models) or vm_attrs (memory
 * allocation): <memory> and <currentMemory> with their units, <maxMemory> (max_mem_rt,
 * its slots and unit), <vcpu>, and a <cpu> of NUMA cells (cpu = {'numa_cell': [...]}:
 * the cells' id, cpus, memory, unit); with a memballoon_dict its <memballoon> is
 * replaced by that one (model, autodeflate, freePageReporting, <alias name>, <stats
 * period>).  It is (re)started with it and logged into.  run_migration (the words, peer to peer to virsh_migrate_desturi,
 * status_error / err_msg), verify_default's post_migration_check; then on the
 * destination the live XML is checked against every xpath of expect_xpath (each
 * dict's element_attrs found, its text when it gives one: the test's FAIL otherwise)
 * and `virsh dominfo` must match dominfo_check (a regex, re.search).
 *
 * check_cpu_for_mig / sync_cpu_for_mig: the lab's hosts are one machine's namespaces
 * with the same CPU, so the reference's check finds them identical and changes
 * nothing; vtrun does not ask.
 *
 * The reference's guest has a virtio_balloon driver, which inflates the balloon to
 * current_mem: the destination's live <currentMemory> and dominfo's "Used memory" are
 * what the guest reports.  The lab's busybox guest loads no virtio_balloon module, so
 * they stay at <memory> (seen on lab 5: FAIL "currentMemory ... has text '8388608',
 * expected '7340032'"): the cases need the `guest_virtio_balloon` capability.
 *
 * Not built (an ERROR naming the param): mem_attrs or memballoon_dict keys besides the
 * ones above, an expect_xpath that is not a list of such dicts.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "runner/type_mig_balloon.h"
#include "virt/virt.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>

struct bm_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *mem_attrs, *vm_attrs, *balloon, *xpaths, *dominfo;
    const char *dest_state, *src_state;     /* RUN_BASE_POST_ROWS */
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct bm_opts, __VA_ARGS__)
/* The rows both types read. */
#define BM_COMMON_ROWS                                                                   \
    RUN_BASE_MIG_ROWS(struct bm_opts, mig),                                              \
    RUN_BASE_POST_ROWS(struct bm_opts),                                                  \
    { "status_error", AT(BOOL, status_error), .def = "no",                               \
      .doc = "the migration must fail" },                                                \
    { "err_msg", AT(REGEX, err_msg),                                                     \
      .doc = "with status_error: a regex the error text must match" },                   \
    { "expect_xpath", AT(STR, xpaths), .def = "[]",                                      \
      .doc = "a list of {'element_attrs': [xpath...], 'text': T} checked in the "        \
             "destination's XML" }

/* migration_with_various_balloon_models */
static const struct run_param bm_params[] = {
    BM_COMMON_ROWS,
    { "mem_attrs", AT(STR, mem_attrs), .def = "{}",
      .doc = "memory, memory_unit, current_mem, current_mem_unit of the guest" },
    { "memballoon_dict", AT(STR, balloon), .def = "{}",
      .doc = "the <memballoon>: model, autodeflate, freepage_reporting, stats_period, "
             "alias_name" },
    { "dominfo_check", AT(STR, dominfo), .doc = "a regex `virsh dominfo` on the "
                                                "destination must match" },
    { NULL },
};

/* migration_with_various_memory_allocation (its mem_attrs is a fragment of vm_attrs) */
static const struct run_param ma_params[] = {
    BM_COMMON_ROWS,
    { "vm_attrs", AT(STR, vm_attrs), .def = "{}",
      .doc = "memory, memory_unit, current_mem, current_mem_unit, max_mem_rt(_slots, "
             "_unit), vcpu, cpu {'numa_cell': [...]}" },
    { NULL },
};
#undef AT

/* ---- the dicts: what vtrun builds of them ------------------------------------------- */

/* A dict literal's value as text (strings and integers); NULL for other kinds. */
static char *bm_scalar(const struct pylit *v)
{
    if (v && v->kind == PYLIT_STR)
        return xstrdup(v->s);
    if (v && v->kind == PYLIT_INT)
        return xasprintf("%lld", v->i);
    return NULL;
}

/* vm_attrs' cpu dict as vtrun builds it: {'numa_cell': [{id, cpus, memory, unit}...]}. */
static bool bm_cpu_built(const struct pylit *cpu)
{
    static const char *const cell_keys[] = { "id", "cpus", "memory", "unit" };
    const struct pylit *cells = pylit_get(cpu, "numa_cell");
    if (cpu->kind != PYLIT_DICT || cpu->n != 1 || !cells || cells->kind != PYLIT_LIST)
        return false;
    for (size_t c = 0; c < cells->n; c++) {
        const struct pylit *cell = &cells->items[c];
        if (cell->kind != PYLIT_DICT)
            return false;
        for (size_t k = 0; k < cell->n; k++) {
            const struct pylit *key = &cell->items[2 * k];
            bool known = false;
            for (size_t j = 0; key->kind == PYLIT_STR && j < ARRAY_SIZE(cell_keys); j++)
                known = known || !strcmp(key->s, cell_keys[j]);
            if (!known)
                return false;
        }
    }
    return true;
}

static bool bm_value_built(const struct pylit *key, const struct pylit *v)
{
    if (!strcmp(key->s, "cpu"))
        return bm_cpu_built(v);
    return v->kind == PYLIT_STR || v->kind == PYLIT_INT;
}

/* Every key of dict text `val` (param `param`) one of keys, each a string or integer
 * (cpu: bm_cpu_built): 0, or -1 with err naming the first other one. */
static int bm_dict_keys(const char *param, const char *val, const char *const *keys,
                        size_t nkeys, struct pylit *out)
{
    if (!val)
        val = "{}";     /* a param the type does not read */
    if (pylit_parse(val, out) < 0 || out->kind != PYLIT_DICT) {
        err_set("%s = '%.80s': not a dict literal", param, val);
        pylit_release(out);
        return -1;
    }
    for (size_t k = 0; k < out->n; k++) {
        const struct pylit *key = &out->items[2 * k], *v = &out->items[2 * k + 1];
        bool known = false;
        for (size_t j = 0; key->kind == PYLIT_STR && j < nkeys; j++)
            known = known || !strcmp(key->s, keys[j]);
        if (!known || !bm_value_built(key, v)) {
            err_set("%s key '%s' is not built", param,
                    key->kind == PYLIT_STR ? key->s : "?");
            pylit_release(out);
            return -1;
        }
    }
    return 0;
}

static const char *const bm_mem_keys[] = { "memory", "memory_unit", "current_mem",
                                           "current_mem_unit" };
static const char *const bm_vm_keys[] = { "memory", "memory_unit", "current_mem",
                                          "current_mem_unit", "max_mem_rt", "max_mem_rt_slots",
                                          "max_mem_rt_unit", "vcpu", "cpu" };
static const char *const bm_balloon_keys[] = { "model", "autodeflate", "freepage_reporting",
                                               "stats_period", "alias_name" };

/* expect_xpath: a list of dicts with element_attrs (a list of strings) and maybe text. */
int bm_xpaths_read(const char *val, struct pylit *out)
{
    if (pylit_parse(val, out) < 0 || out->kind != PYLIT_LIST)
        goto bad;
    for (size_t k = 0; k < out->n; k++) {
        const struct pylit *d = &out->items[k];
        const struct pylit *el = pylit_get(d, "element_attrs"), *t = pylit_get(d, "text");
        if (d->kind != PYLIT_DICT || !el || el->kind != PYLIT_LIST ||
            (t && t->kind != PYLIT_STR))
            goto bad;
        for (size_t j = 0; j < el->n; j++)
            if (el->items[j].kind != PYLIT_STR)
                goto bad;
    }
    return 0;
bad:
    err_set("expect_xpath = '%.80s': not a list of {'element_attrs': [...], 'text': ...}",
            val);
    pylit_release(out);
    return -1;
}

static int bm_check(const struct run_common *c, void *opts)
{
    struct bm_opts *o = opts;
    struct pylit a = { 0 }, v = { 0 }, b = { 0 }, x = { 0 };
    if (bm_dict_keys("mem_attrs", o->mem_attrs, bm_mem_keys, ARRAY_SIZE(bm_mem_keys), &a) < 0 ||
        bm_dict_keys("vm_attrs", o->vm_attrs, bm_vm_keys, ARRAY_SIZE(bm_vm_keys), &v) < 0 ||
        bm_dict_keys("memballoon_dict", o->balloon, bm_balloon_keys,
                     ARRAY_SIZE(bm_balloon_keys), &b) < 0 ||
        bm_xpaths_read(o->xpaths, &x) < 0) {
        pylit_release(&a);
        pylit_release(&v);
        pylit_release(&b);
        return -1;
    }
    pylit_release(&a);
    pylit_release(&v);
    pylit_release(&b);
    pylit_release(&x);
    if (o->dominfo && mig_regex_check("dominfo_check", o->dominfo) < 0)
        return -1;
    return run_base_check(c, &o->mig, &o->main_vm);
}

/* ---- the guest's XML ------------------------------------------------------------------ */

/* root's child `name` (added when missing) with text and, when unit is set, unit=. */
static void bm_set_mem(xmlNodePtr root, const char *name, const struct pylit *val,
                       const struct pylit *unit)
{
    char *v = bm_scalar(val), *u = bm_scalar(unit);
    if (v) {
        xmlNodePtr n = run_vmconf_xml_child(root, name);
        if (!n)
            n = xmlNewChild(root, NULL, BAD_CAST name, NULL);
        xmlNodeSetContent(n, BAD_CAST v);
        if (u)
            xmlSetProp(n, BAD_CAST "unit", BAD_CAST u);
    }
    free(v);
    free(u);
}

/* The attribute of the new <memballoon> dict key `key` becomes, when the dict has it. */
static void bm_balloon_prop(xmlNodePtr mb, const struct pylit *d, const char *key,
                            const char *attr)
{
    char *v = bm_scalar(pylit_get(d, key));
    if (v)
        xmlSetProp(mb, BAD_CAST attr, BAD_CAST v);
    free(v);
}

/* A child <name attr='dict[key]'/> of the new <memballoon>, when the dict has key. */
static void bm_balloon_child(xmlNodePtr mb, const struct pylit *d, const char *key,
                             const char *name, const char *attr)
{
    char *v = bm_scalar(pylit_get(d, key));
    if (v)
        xmlSetProp(xmlNewChild(mb, NULL, BAD_CAST name, NULL), BAD_CAST attr, BAD_CAST v);
    free(v);
}

/* <maxMemory slots=S unit=U>N</maxMemory> and <vcpu>N</vcpu> of an attrs dict. */
static void bm_set_max_vcpu(xmlNodePtr root, const struct pylit *a)
{
    bm_set_mem(root, "maxMemory", pylit_get(a, "max_mem_rt"), pylit_get(a, "max_mem_rt_unit"));
    char *slots = bm_scalar(pylit_get(a, "max_mem_rt_slots")), *vcpu = bm_scalar(pylit_get(a, "vcpu"));
    xmlNodePtr max = run_vmconf_xml_child(root, "maxMemory");
    if (slots && max)
        xmlSetProp(max, BAD_CAST "slots", BAD_CAST slots);
    if (vcpu) {
        xmlNodePtr n = run_vmconf_xml_child(root, "vcpu");
        if (!n)
            n = xmlNewChild(root, NULL, BAD_CAST "vcpu", NULL);
        xmlNodeSetContent(n, BAD_CAST vcpu);
    }
    free(slots);
    free(vcpu);
}

/* root's <cpu> replaced by one holding the cpu dict's NUMA cells (VMCPUXML.setup_attrs:
 * a new element, the old one gone). */
static void bm_set_cpu(xmlNodePtr root, const struct pylit *cpu)
{
    static const char *const attrs[] = { "id", "cpus", "memory", "unit" };
    const struct pylit *cells = cpu ? pylit_get(cpu, "numa_cell") : NULL;
    xmlNodePtr old;
    if (!cells)
        return;
    while ((old = run_vmconf_xml_child(root, "cpu"))) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    xmlNodePtr numa = xmlNewChild(xmlNewChild(root, NULL, BAD_CAST "cpu", NULL), NULL,
                                  BAD_CAST "numa", NULL);
    for (size_t c = 0; c < cells->n; c++) {
        xmlNodePtr cell = xmlNewChild(numa, NULL, BAD_CAST "cell", NULL);
        for (size_t k = 0; k < ARRAY_SIZE(attrs); k++) {
            char *v = bm_scalar(pylit_get(&cells->items[c], attrs[k]));
            if (v)
                xmlSetProp(cell, BAD_CAST attrs[k], BAD_CAST v);
            free(v);
        }
    }
}

/* The memory keys of an attrs dict (mem_attrs or vm_attrs) on root. */
static void bm_apply_attrs(xmlNodePtr root, const struct pylit *a)
{
    bm_set_mem(root, "memory", pylit_get(a, "memory"), pylit_get(a, "memory_unit"));
    bm_set_mem(root, "currentMemory", pylit_get(a, "current_mem"),
               pylit_get(a, "current_mem_unit"));
    bm_set_max_vcpu(root, a);
    bm_set_cpu(root, pylit_get(a, "cpu"));
}

/* domxml with mem_attrs and memballoon_dict applied (vmxml.setup_attrs, del_device +
 * a new Memballoon).  Caller frees; NULL + err. */
static char *bm_edit(const void *arg, const char *domxml)
{
    const struct bm_opts *o = arg;
    struct pylit a = { 0 }, v = { 0 }, b = { 0 };
    xmlDocPtr d = NULL;
    char *out = NULL;
    if (pylit_parse(o->mem_attrs ? o->mem_attrs : "{}", &a) < 0 ||
        pylit_parse(o->vm_attrs ? o->vm_attrs : "{}", &v) < 0 ||
        pylit_parse(o->balloon ? o->balloon : "{}", &b) < 0 ||
        !(d = run_vmconf_xml_read(domxml)))
        goto done;
    xmlNodePtr root = xmlDocGetRootElement(d);
    bm_apply_attrs(root, &a);
    bm_apply_attrs(root, &v);
    if (!b.n) {             /* no memballoon_dict: the guest's balloon kept */
        out = run_vmconf_xml_take(d);
        goto done;
    }
    xmlNodePtr devs = run_vmconf_xml_child(root, "devices"), old;
    if (!devs)
        devs = xmlNewChild(root, NULL, BAD_CAST "devices", NULL);
    while ((old = run_vmconf_xml_child(devs, "memballoon"))) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    xmlNodePtr mb = xmlNewChild(devs, NULL, BAD_CAST "memballoon", NULL);
    bm_balloon_prop(mb, &b, "model", "model");
    bm_balloon_prop(mb, &b, "autodeflate", "autodeflate");
    bm_balloon_prop(mb, &b, "freepage_reporting", "freePageReporting");
    bm_balloon_child(mb, &b, "alias_name", "alias", "name");
    bm_balloon_child(mb, &b, "stats_period", "stats", "period");
    out = run_vmconf_xml_take(d);
done:
    pylit_release(&a);
    pylit_release(&v);
    pylit_release(&b);
    return out;
}

/* The guest defined with the case's memory and balloon, started, logged into. */
static int bm_define_start(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    if (run_vmconf_define_vnc(ctx, vms, i) < 0)
        return -1;
    if (run_vmconf_redefine(ctx, 0, vms->vm[i].domain, bm_edit, ctx->opts) < 0)
        return run_error(ctx, "VMCreateError", "the guest with mem_attrs and "
                         "memballoon_dict: %s", err_msg());
    return run_vmconf_start_login(ctx, vms, i);
}

/* ---- the checks on the destination ------------------------------------------------- */

/* check_guest_xml_by_xpaths: each xpath found (from the root element), its first
 * node's text the dict's text when given.  0, or -1 with the test's FAIL. */
int bm_xpath_check(struct run_ctx *ctx, const char *xml, const struct pylit *list)
{
    xmlDocPtr d = run_vmconf_xml_read(xml);
    if (!d)
        return run_error(ctx, "TestError", "the destination's XML: %s", err_msg());
    xmlXPathContextPtr xc = xmlXPathNewContext(d);
    xc->node = xmlDocGetRootElement(d);
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < list->n; k++) {
        const struct pylit *el = pylit_get(&list->items[k], "element_attrs");
        const struct pylit *text = pylit_get(&list->items[k], "text");
        for (size_t j = 0; rc == 0 && j < el->n; j++) {
            const char *xp = el->items[j].s;
            xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST xp, xc);
            xmlNodePtr n = r && r->nodesetval && r->nodesetval->nodeNr
                               ? r->nodesetval->nodeTab[0] : NULL;
            xmlChar *got = n ? xmlNodeGetContent(n) : NULL;
            if (!n)
                rc = run_fail(ctx, "TestFail", "Fail to find '%s' in the guest XML on the "
                              "destination", xp);
            else if (text && strcmp((const char *)got, text->s))
                rc = run_fail(ctx, "TestFail", "'%s' has text '%s', expected '%s'", xp,
                              (const char *)got, text->s);
            xmlFree(got);
            xmlXPathFreeObject(r);
        }
    }
    xmlXPathFreeContext(xc);
    xmlFreeDoc(d);
    return rc;
}

int bm_dest_xpaths(struct run_ctx *ctx, const char *dom, const char *xpaths)
{
    const char *dump[] = { "dumpxml", dom, NULL };
    char *xml = NULL;
    struct pylit list = { 0 };
    if (run_vmconf_virsh(ctx, 1, dump, &xml) < 0)
        return run_error(ctx, "CmdError", "%s", err_msg());
    int rc = bm_xpaths_read(xpaths, &list) < 0
                 ? run_error(ctx, "ConfigError", "%s", err_msg())
                 : bm_xpath_check(ctx, xml, &list);
    pylit_release(&list);
    free(xml);
    return rc;
}

static int bm_verify_dest(struct run_ctx *ctx, const char *dom)
{
    const struct bm_opts *o = ctx->opts;
    int rc = bm_dest_xpaths(ctx, dom, o->xpaths);
    if (rc < 0 || !o->dominfo || !*o->dominfo)
        return rc;
    /* virsh_remote.dominfo(ignore_status=True): its output searched whatever it exits */
    const char *info[] = { "dominfo", dom, NULL };
    char *out = NULL;
    if (run_vmconf_virsh(ctx, 1, info, &out) < 0)
        out = xstrdup(err_msg());
    int found = mig_tl_search(o->dominfo, out);
    if (found == 0)
        rc = run_fail(ctx, "TestFail", "dominfo on the destination does not match '%s': %s",
                      o->dominfo, out);
    else if (found < 0)
        rc = run_error(ctx, "ConfigError", "dominfo_check: %s", err_msg());
    free(out);
    return rc;
}

static int bm_run(struct run_ctx *ctx)
{
    const struct bm_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    if (bm_define_start(ctx, vms, i) < 0)
        return -1;
    int rc = run_vmconf_hop_extra(ctx, vms, i, &o->mig, o->mig.extra, o->status_error,
                                  o->err_msg);
    if (rc < 0)
        return -1;
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return rc == 1 ? bm_verify_dest(ctx, vms->vm[i].domain) : 0;
}

static bool bm_always(const struct params *p)
{
    (void)p;
    return true;
}

static const struct run_need bm_needs[] = {
    { "guest_virtio_balloon", .types = "migration_with_various_balloon_models",
      .applies = bm_always, .capability = "guest_virtio_balloon",
      .text = "a virtio_balloon driver in the guest (the test checks the destination's "
              "<currentMemory> and dominfo's Used memory, which follow the balloon the "
              "guest's driver inflates to current_mem; the lab's busybox guest has none)" },
    { NULL },
};

#define BM_TYPE(id, own, tparams, text)                                                         \
    const struct run_type run_type_##id = {                                              \
        .name = #id,                                                                     \
        .summary = text,                                                                 \
        .needs = { .vms = 1, .hosts = 2, .rows = (own) },                                \
        .params = (tparams),                                                             \
        .opts_size = sizeof(struct bm_opts),                                             \
        .check = bm_check,                                                               \
        .setup = run_vmtype_setup,                                                       \
        .run = bm_run,                                                                   \
        .cleanup = run_vmtype_cleanup,                                                   \
    }

static const struct run_need bm_needs_none[] = {
    { NULL },
};

BM_TYPE(migration_with_various_balloon_models, bm_needs, bm_params,
        "tp-libvirt's migration_with_various_balloon_models: a guest with a memballoon "
        "model (autodeflate, free page reporting, stats, alias) and its memory migrated, "
        "its XML and dominfo checked on the destination");
BM_TYPE(migration_with_various_memory_allocation, bm_needs_none, ma_params,
        "tp-libvirt's migration_with_various_memory_allocation: a guest with <memory>, "
        "<maxMemory> (slots) and NUMA cells migrated, its XML checked on the destination");
