/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_with_various_memory_backing`: tp-libvirt's
 * libvirt/tests/src/migration/migration_with_memory/migration_with_various_memory_backing.py
 * (a MigrationBase case) with base_steps' shared steps (runner/run_base.h,
 * runner/run_vmconf.h).
 *
 * The guest's definition gets vm_attrs (vmxml.setup_attrs): <memory> and
 * <currentMemory> with their units and a new <memoryBacking> from its 'mb' dict --
 * <source type=source_type/>, <access mode=access_mode/>, <allocation mode= threads=/>
 * and <discard/> when 'discard' is given.  The guest is started and logged into,
 * run_migration (the words, peer to peer to virsh_migrate_desturi), verify_default's
 * post_migration_check, then the destination's live XML is checked against every xpath
 * of expect_xpath (runner/type_mig_balloon.h: the test's FAIL when one is missing or
 * its text differs).  func_supported_since_libvirt_ver is the generic libvirt version
 * need.
 *
 * The hugepage_with_numa cases (setup_hugepage on both hosts, NUMA cells with
 * memAccess / discard, <hugepages><page nodeset>) CANCEL first for the generic
 * `hugepages` need; without it their vm_attrs keys (cpu, vcpu, mb hugepages) are an
 * ERROR naming them: not built.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "runner/type_mig_balloon.h"
#include "virt/virt.h"

#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

struct mb_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *vm_attrs, *xpaths;
    const char *dest_state, *src_state;     /* RUN_BASE_POST_ROWS */
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct mb_opts, __VA_ARGS__)
static const struct run_param mb_params[] = {
    RUN_BASE_MIG_ROWS(struct mb_opts, mig),
    RUN_BASE_POST_ROWS(struct mb_opts),
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg), .doc = "with status_error: a regex the error text must match" },
    { "vm_attrs", AT(STR, vm_attrs), .def = "{}",
      .doc = "memory, memory_unit, current_mem, current_mem_unit and mb {source_type, "
             "access_mode, allocation {mode, threads}, discard}" },
    { "expect_xpath", AT(STR, xpaths), .def = "[]",
      .doc = "a list of {'element_attrs': [xpath...], 'text': T} checked in the "
             "destination's XML" },
    { NULL },
};
#undef AT

/* ---- what vtrun builds of vm_attrs ---------------------------------------------------- */

static const char *const mb_vm_keys[] = { "memory", "memory_unit", "current_mem",
                                          "current_mem_unit", "mb" };
static const char *const mb_mb_keys[] = { "source_type", "access_mode", "allocation",
                                          "discard" };
static const char *const mb_alloc_keys[] = { "mode", "threads" };

static bool mb_in(const char *s, const char *const *keys, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!strcmp(s, keys[k]))
            return true;
    return false;
}

static bool mb_scalar_kind(const struct pylit *v)
{
    return v->kind == PYLIT_STR || v->kind == PYLIT_INT;
}

/* The first key of dict d not in keys, or whose value is not a scalar (a dict for the
 * key `nested`); NULL when all are built. */
static const char *mb_bad_key(const struct pylit *d, const char *const *keys, size_t n,
                              const char *nested)
{
    for (size_t k = 0; k < d->n; k++) {
        const struct pylit *key = &d->items[2 * k], *v = &d->items[2 * k + 1];
        if (key->kind != PYLIT_STR || !mb_in(key->s, keys, n))
            return key->kind == PYLIT_STR ? key->s : "?";
        bool ok = nested && !strcmp(key->s, nested) ? v->kind == PYLIT_DICT : mb_scalar_kind(v);
        if (!ok)
            return key->s;
    }
    return NULL;
}

/* vm_attrs parsed into out and every key built: 0, or -1 with err naming the key. */
static int mb_read(const char *val, struct pylit *out)
{
    if (pylit_parse(val ? val : "{}", out) < 0 || out->kind != PYLIT_DICT) {
        err_set("vm_attrs = '%.80s': not a dict literal", val ? val : "");
        pylit_release(out);
        return -1;
    }
    const struct pylit *mb = pylit_get(out, "mb"), *alloc = mb ? pylit_get(mb, "allocation") : NULL;
    const char *bad = mb_bad_key(out, mb_vm_keys, ARRAY_SIZE(mb_vm_keys), "mb");
    const char *where = "vm_attrs";
    if (!bad && mb) {
        bad = mb_bad_key(mb, mb_mb_keys, ARRAY_SIZE(mb_mb_keys), "allocation");
        where = "vm_attrs mb";
    }
    if (!bad && alloc) {
        bad = mb_bad_key(alloc, mb_alloc_keys, ARRAY_SIZE(mb_alloc_keys), NULL);
        where = "vm_attrs mb allocation";
    }
    if (bad) {
        err_set("%s key '%s' is not built", where, bad);
        pylit_release(out);
        return -1;
    }
    return 0;
}

/* vm_attrs' keys are judged by the last need (mb_needs_last), after the generic
 * `hugepages` row has cancelled the hugepage_with_numa cases. */
static int mb_check(const struct run_common *c, void *opts)
{
    struct mb_opts *o = opts;
    struct pylit x = { 0 };
    if (bm_xpaths_read(o->xpaths, &x) < 0)
        return -1;
    pylit_release(&x);
    return run_base_check(c, &o->mig, &o->main_vm);
}

static bool mb_always(const struct params *p)
{
    (void)p;
    return true;
}

static int mb_built_met(const struct run_need *n, const struct params *p,
                        struct run_facts *f, struct strbuf *why)
{
    struct pylit v = { 0 };
    (void)n;
    (void)f;
    (void)why;
    if (mb_read(params_get(p, "vm_attrs"), &v) < 0)
        return -1;
    pylit_release(&v);
    return 1;
}

static const struct run_need mb_needs_last[] = {
    { "vm_attrs built", .applies = mb_always, .met = mb_built_met,
      .met_doc = "vm_attrs holds only memory, current_mem (units) and mb keys vtrun builds "
                 "(else ERROR naming the key)",
      .text = "a vm_attrs vtrun builds" },
    { NULL },
};

/* ---- the guest's XML ------------------------------------------------------------------ */

/* A dict value as text (string or integer); NULL otherwise.  Caller frees. */
static char *mb_text(const struct pylit *v)
{
    if (v && v->kind == PYLIT_STR)
        return xstrdup(v->s);
    if (v && v->kind == PYLIT_INT)
        return xasprintf("%lld", v->i);
    return NULL;
}

/* root's child `name` (added when missing) given the text of key and unit= of ukey. */
static void mb_set_mem(xmlNodePtr root, const struct pylit *a, const char *name,
                       const char *key, const char *ukey)
{
    char *v = mb_text(pylit_get(a, key)), *u = mb_text(pylit_get(a, ukey));
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

/* <parent><name attr=d[key]/> when d has key. */
static xmlNodePtr mb_child_attr(xmlNodePtr parent, const struct pylit *d, const char *key,
                                const char *name, const char *attr)
{
    char *v = mb_text(pylit_get(d, key));
    xmlNodePtr n = NULL;
    if (v) {
        n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
        xmlSetProp(n, BAD_CAST attr, BAD_CAST v);
    }
    free(v);
    return n;
}

/* root's <memoryBacking> replaced by the mb dict's (MemoryBackingXML.setup_attrs). */
static void mb_set_backing(xmlNodePtr root, const struct pylit *mb)
{
    xmlNodePtr old;
    while ((old = run_vmconf_xml_child(root, "memoryBacking"))) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    xmlNodePtr b = xmlNewChild(root, NULL, BAD_CAST "memoryBacking", NULL);
    mb_child_attr(b, mb, "source_type", "source", "type");
    mb_child_attr(b, mb, "access_mode", "access", "mode");
    const struct pylit *alloc = pylit_get(mb, "allocation");
    if (alloc) {
        xmlNodePtr a = xmlNewChild(b, NULL, BAD_CAST "allocation", NULL);
        char *mode = mb_text(pylit_get(alloc, "mode")), *thr = mb_text(pylit_get(alloc, "threads"));
        if (mode)
            xmlSetProp(a, BAD_CAST "mode", BAD_CAST mode);
        if (thr)
            xmlSetProp(a, BAD_CAST "threads", BAD_CAST thr);
        free(mode);
        free(thr);
    }
    if (pylit_get(mb, "discard"))    /* discard = True in the XML class: an empty element */
        xmlNewChild(b, NULL, BAD_CAST "discard", NULL);
}

/* domxml with vm_attrs applied.  Caller frees; NULL + err. */
static char *mb_edit(const void *arg, const char *domxml)
{
    const struct mb_opts *o = arg;
    struct pylit a = { 0 };
    xmlDocPtr d = NULL;
    char *out = NULL;
    if (mb_read(o->vm_attrs, &a) < 0 || !(d = run_vmconf_xml_read(domxml))) {
        pylit_release(&a);
        return NULL;
    }
    xmlNodePtr root = xmlDocGetRootElement(d);
    mb_set_mem(root, &a, "memory", "memory", "memory_unit");
    mb_set_mem(root, &a, "currentMemory", "current_mem", "current_mem_unit");
    const struct pylit *mb = pylit_get(&a, "mb");
    if (mb)
        mb_set_backing(root, mb);
    out = run_vmconf_xml_take(d);
    pylit_release(&a);
    return out;
}

/* TEST_STEP1/2: the guest defined with vm_attrs, started, logged into. */
static int mb_define_start(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    if (run_vmconf_define_vnc(ctx, vms, i) < 0)
        return -1;
    if (run_vmconf_redefine(ctx, 0, vms->vm[i].domain, mb_edit, ctx->opts) < 0)
        return run_error(ctx, "VMCreateError", "the guest with vm_attrs: %s", err_msg());
    return run_vmconf_start_login(ctx, vms, i);
}

static int mb_run(struct run_ctx *ctx)
{
    const struct mb_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    if (mb_define_start(ctx, vms, i) < 0)
        return -1;
    int rc = run_vmconf_hop_extra(ctx, vms, i, &o->mig, o->mig.extra, o->status_error,
                                  o->err_msg);
    if (rc < 0)
        return -1;
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    /* TEST_STEP4: the destination's XML checked by expect_xpath */
    return rc == 1 ? bm_dest_xpaths(ctx, vms->vm[i].domain, o->xpaths) : 0;
}

const struct run_type run_type_migration_with_various_memory_backing = {
    .name = "migration_with_various_memory_backing",
    .summary = "tp-libvirt's migration_with_various_memory_backing: a guest on file, "
               "anonymous or memfd memory backing (access, allocation, discard) migrated, "
               "its XML checked on the destination",
    .needs = { .vms = 1, .hosts = 2, .rows_last = mb_needs_last },
    .params = mb_params,
    .opts_size = sizeof(struct mb_opts),
    .check = mb_check,
    .setup = run_vmtype_setup,
    .run = mb_run,
    .cleanup = run_vmtype_cleanup,
};
