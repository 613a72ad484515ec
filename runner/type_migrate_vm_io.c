/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * type_migrate_vm's I/O throttling case (with_io_throttling) as tp-libvirt's
 * migrate_vm.py makes and checks it (libvirt/tests/src/migration/migrate_vm.py):
 *
 *  - before the migration, virsh.blkdeviotune(vm, blkdevio_device, blkdevio_options,
 *    params) with the reference's params dict, which names total_iops_sec twice and
 *    total_bytes_sec never: a blkdevio_total_bytes_sec case runs blkdeviotune with no
 *    limit at all (it only prints the current ones), as there;
 *  - after it, target_qemu_filter ("ps auxf | grep qemu-kvm | grep REGEX") on the
 *    destination must print a line.  vtrun runs `ps -eo args` there (an argv, not the
 *    param's shell text) and applies the greps itself: `grep qemu-kvm` keeps the
 *    hypervisor's lines (qemu-kvm on RHEL, qemu-system-ARCH elsewhere), any other grep
 *    its pattern as a regex.  A filter of another shape is not built.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/type_migrate_vm.h"

#include <stdlib.h>
#include <string.h>

/* virsh.blkdeviotune's options in its order, with the reference's dict keys. */
static const struct {
    const char *param, *option;
} blkdevio_rows[] = {
    { "blkdevio_total_iops_sec", "--total-iops-sec" },
    { "blkdevio_read_iops_sec", "--read-iops-sec" },
    { "blkdevio_write_iops_sec", "--write-iops-sec" },
    { "blkdevio_read_bytes_sec", "--read-bytes-sec" },
    { "blkdevio_write_bytes_sec", "--write-bytes-sec" },
};

/* The params asking for a blkdeviotune (the reference's condition, which does read
 * total_bytes_sec). */
bool mvm_blkdevio_wanted(const struct params *p)
{
    const char *dev = params_get(p, "blkdevio_device");
    const char *tb = params_get(p, "blkdevio_total_bytes_sec");
    if (!dev || !*dev)
        return false;
    for (size_t k = 0; k < ARRAY_SIZE(blkdevio_rows); k++) {
        const char *v = params_get(p, blkdevio_rows[k].param);
        if (v && *v)
            return true;
    }
    return tb && *tb;
}

char **mvm_blkdevio_argv(const struct params *p, const char *dom)
{
    char **opts = params_split(params_get(p, "blkdevio_options"));
    size_t nopts = params_strv_len(opts), n = 0;
    char **w = xcalloc(nopts + 2 * ARRAY_SIZE(blkdevio_rows) + 5, sizeof(*w));
    w[n++] = xstrdup("blkdeviotune");
    w[n++] = xstrdup(dom);
    for (size_t k = 0; k < nopts; k++)
        w[n++] = xstrdup(opts[k]);
    w[n++] = xstrdup("--device");
    w[n++] = xstrdup(params_get(p, "blkdevio_device"));
    for (size_t k = 0; k < ARRAY_SIZE(blkdevio_rows); k++) {
        const char *v = params_get(p, blkdevio_rows[k].param);
        if (v && *v) {
            w[n++] = xstrdup(blkdevio_rows[k].option);
            w[n++] = xstrdup(v);
        }
    }
    params_strv_free(opts);
    return w;
}

/* s trimmed into a new string. */
static char *trimmed(const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    return xstrndup(s, len);
}

char **mvm_filter_parse(const char *filter)
{
    size_t cap = 8, n = 0;
    char **greps = xcalloc(cap, sizeof(*greps));
    const char *s = filter ? filter : "";
    bool first = true, ok = true;
    while (ok) {
        size_t len = strcspn(s, "|");
        char *stage = trimmed(s, len);
        if (first) {
            ok = !strcmp(stage, "ps") || !strncmp(stage, "ps ", 3);
        } else if (!strncmp(stage, "grep ", 5)) {
            char *pat = trimmed(stage + 5, strlen(stage + 5));
            ok = *pat && *pat != '-' && !strpbrk(pat, " \t'\"");
            if (ok && n + 1 >= cap)
                greps = xrealloc(greps, (cap *= 2) * sizeof(*greps));
            if (ok)
                greps[n++] = pat, greps[n] = NULL;
            else
                free(pat);
        } else {
            ok = false;
        }
        free(stage);
        first = false;
        if (!s[len])
            break;
        s += len + 1;
    }
    if (!ok || !n) {
        params_strv_free(greps);
        err_set("target_qemu_filter '%s': vtrun reads 'ps ... | grep WORD | grep REGEX' "
                "only", filter ? filter : "");
        return NULL;
    }
    return greps;
}

int mvm_filter_apply(const char *ps, char *const *greps, struct strbuf *out)
{
    int kept = 0;
    for (const char *l = ps ? ps : ""; *l;) {
        size_t len = strcspn(l, "\n");
        char *line = xstrndup(l, len);
        bool keep = true;
        for (size_t k = 0; greps[k] && keep; k++) {
            if (!strcmp(greps[k], "qemu-kvm"))      /* the hypervisor, by any name */
                keep = strstr(line, "qemu-kvm") || strstr(line, "qemu-system");
            else {
                int m = mig_tl_search(greps[k], line);
                if (m < 0) {
                    free(line);
                    return -1;
                }
                keep = m == 1;
            }
        }
        if (keep) {
            strbuf_addf(out, "%s\n", line);
            kept++;
        }
        free(line);
        l += len + (l[len] == '\n');
    }
    return kept;
}
