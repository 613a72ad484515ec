/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runner/run_diskdict.h"

#include "lib/err.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Which keys of which sub-dict vtrun reads; every other key is refused. */
enum dd_where { DD_TOP, DD_DRIVER, DD_TARGET, DD_SOURCE, DD_ATTRS };

struct dd_key {
    enum dd_where where;
    const char *key;
    enum pylit_kind kind;
    size_t off;             /* char * field of struct be_disk; (size_t)-1: handled apart */
};

#define DD_FIELD(f) offsetof(struct be_disk, f)
#define DD_APART ((size_t)-1)
static const struct dd_key dd_keys[] = {
    { DD_TOP, "device", PYLIT_STR, DD_FIELD(device) },
    { DD_TOP, "type_name", PYLIT_STR, DD_APART },
    { DD_TOP, "driver", PYLIT_DICT, DD_APART },
    { DD_TOP, "target", PYLIT_DICT, DD_APART },
    { DD_TOP, "source", PYLIT_DICT, DD_APART },
    { DD_TOP, "share", PYLIT_BOOL, DD_APART },
    { DD_TOP, "readonly", PYLIT_BOOL, DD_APART },
    { DD_DRIVER, "name", PYLIT_STR, DD_APART },
    { DD_DRIVER, "type", PYLIT_STR, DD_FIELD(format) },
    { DD_DRIVER, "cache", PYLIT_STR, DD_FIELD(cache) },
    { DD_TARGET, "dev", PYLIT_STR, DD_FIELD(target) },
    { DD_TARGET, "bus", PYLIT_STR, DD_FIELD(bus) },
    { DD_SOURCE, "attrs", PYLIT_DICT, DD_APART },
    { DD_ATTRS, "file", PYLIT_STR, DD_FIELD(path) },
    { DD_ATTRS, "startupPolicy", PYLIT_STR, DD_FIELD(startup_policy) },
};
static const char *const dd_names[] = { "", "driver.", "target.", "source.",
                                        "source.attrs." };

static const struct dd_key *dd_key(enum dd_where w, const char *k)
{
    for (size_t i = 0; i < sizeof(dd_keys) / sizeof(dd_keys[0]); i++)
        if (dd_keys[i].where == w && !strcmp(dd_keys[i].key, k))
            return &dd_keys[i];
    return NULL;
}

/* A value of a word param: one of words (blank-separated), else -1 with err. */
static int dd_word(const char *where, const char *v, const char *words)
{
    size_t n = strlen(v);
    for (const char *w = words; *w;) {
        size_t l = strcspn(w, " ");
        if (l == n && !strncmp(w, v, n))
            return 0;
        w += l + (w[l] == ' ');
    }
    err_set("%s = '%s': expected one of %s", where, v, words);
    return -1;
}

static int dd_dict(const struct pylit *dict, enum dd_where w, struct be_disk *d)
{
    for (size_t i = 0; i < dict->n; i++) {
        const struct pylit *k = &dict->items[2 * i], *v = &dict->items[2 * i + 1];
        const struct dd_key *row = k->kind == PYLIT_STR ? dd_key(w, k->s) : NULL;
        if (!row) {
            err_set("key %s%s: not one vtrun builds (device, type_name, driver.{name,type,"
                    "cache}, target.{dev,bus}, source.attrs.{file,startupPolicy}, share, "
                    "readonly)", dd_names[w], k->kind == PYLIT_STR ? k->s : "?");
            return -1;
        }
        if (v->kind != row->kind) {
            err_set("key %s%s: expected a %s, not a %s", dd_names[w], row->key,
                    pylit_kind_name(row->kind), pylit_kind_name(v->kind));
            return -1;
        }
        if (row->off != DD_APART) {
            char **f = (char **)((char *)d + row->off);
            free(*f);
            *f = xstrdup(v->s);
            continue;
        }
        int rc = 0;
        if (!strcmp(row->key, "type_name"))
            rc = dd_word("type_name", v->s, "file");
        else if (!strcmp(row->key, "name"))
            rc = dd_word("driver.name", v->s, "qemu");
        else if (!strcmp(row->key, "share"))
            d->shareable = v->b;
        else if (!strcmp(row->key, "readonly"))
            d->readonly = v->b;
        else
            rc = dd_dict(v, !strcmp(row->key, "driver") ? DD_DRIVER
                            : !strcmp(row->key, "target") ? DD_TARGET
                            : !strcmp(row->key, "source") ? DD_SOURCE : DD_ATTRS, d);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int run_diskdict_parse(const char *text, struct be_disk *d)
{
    struct pylit v = { 0 };
    int rc = -1;

    memset(d, 0, sizeof(*d));
    if (!text || pylit_parse(text, &v) < 0) {
        if (!text)
            err_set("no value");
        return -1;
    }
    if (v.kind != PYLIT_DICT)
        err_set("expected a dict, not a %s", pylit_kind_name(v.kind));
    else if (dd_dict(&v, DD_TOP, d) == 0 &&
             (!d->device || dd_word("device", d->device, "disk cdrom floppy") == 0) &&
             (!d->bus || dd_word("target.bus", d->bus, "virtio scsi sata ide") == 0) &&
             (!d->startup_policy ||
              dd_word("source.attrs.startupPolicy", d->startup_policy,
                      "optional requisite mandatory") == 0))
        rc = 0;
    pylit_release(&v);
    if (rc < 0)
        run_diskdict_release(d);
    return rc;
}

void run_diskdict_release(struct be_disk *d)
{
    free(d->path);
    free(d->format);
    free(d->bus);
    free(d->target);
    free(d->cache);
    free(d->device);
    free(d->startup_policy);
    memset(d, 0, sizeof(*d));
}

int run_diskdict_add(struct run_ctx *ctx, struct be_vm_spec *spec, const char *param,
                     const char *text, const char *path)
{
    struct be_disk d;
    if (run_diskdict_parse(text, &d) < 0)
        return run_error(ctx, "ConfigError", "%s: %s", param, err_msg());
    free(d.path);
    d.path = path ? xstrdup(path) : NULL;
    if (!d.format)
        d.format = xstrdup("raw");
    spec->disks = xrealloc(spec->disks, (spec->ndisks + 1) * sizeof(*spec->disks));
    spec->disks[spec->ndisks++] = d;
    run_log(ctx, "%s: %s %s/%s %s%s%s%s%s", param, d.device ? d.device : "disk",
            d.bus ? d.bus : "virtio", d.target ? d.target : "-", d.path ? d.path : "(empty)",
            d.readonly ? " readonly" : "", d.shareable ? " shareable" : "",
            d.startup_policy ? " startupPolicy=" : "", d.startup_policy ? d.startup_policy : "");
    return 0;
}
