/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Saved guests (vm_boot_mode = restore): a guest booted and logged into once, kept as
 * its memory image and its disk overlay, for later cases to restore instead of
 * booting.  One entry is a directory in the image cache beside the guest's master
 * image, <master dir>/vtrun-saved/<key>/ holding mem.save and disk<N>.qcow2 (each an
 * overlay on the master), readable by every host that reads the master.
 *
 * The key is a hash of what defines the guest: the backend's rendering of its spec
 * (kernel, initrd, command line with its address, memory, vCPUs, devices, MACs) with
 * the names and files that vary per case replaced by fixed ones and each disk by its
 * master, plus the identity (size, mtime, inode) of the kernel, the initrd and each
 * master: a changed file is a new key, and the old entry is simply not found again.
 *
 * An entry is written under a temporary name and renamed into place (rename(2) of a
 * directory onto an existing one fails): a reader sees a whole entry or none, and of
 * two workers saving the same guest one wins, the other drops its copy.  Entries are
 * the cache's, not a job's: no ledger, no leftover.
 */
#include "virt/virt.h"
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"

#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* argv on link (NULL: this machine); 0 when it exited 0, else -1 with err. */
int virt_saved_run(struct virt_host *link, const char *const *argv, struct strbuf *out)
{
    struct strbuf err = STRBUF_INIT;
    int st = -1, rc;
    if (link) {
        rc = virt_host_run(link, argv, 120, out, &err, &st);
    } else {
        struct spawn *c = spawn_newv(argv);
        spawn_set_output(c, out, &err);
        spawn_set_timeout(c, 120);
        rc = spawn_run(c, &st);
        spawn_free(c);
    }
    if (rc == 0 && st != 0) {
        while (err.len && (err.buf[err.len - 1] == '\n' || err.buf[err.len - 1] == ' '))
            strbuf_setlen(&err, err.len - 1);
        err_set("%s %s: exit %d: %s", argv[0], argv[1] ? argv[1] : "", st, err.buf);
        rc = -1;
    }
    strbuf_release(&err);
    return rc;
}

/* FNV-1a, 64 bits, from seed: two seeds give the 128-bit key (a cache key, not a
 * defence against anyone). */
static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* "size mtime inode" of each file of files (NULL entries skipped) into sb. */
static int identities(struct virt_host *link, const char *const *files, size_t n,
                      struct strbuf *sb)
{
    const char **argv = xcalloc(n + 6, sizeof(*argv));
    size_t a = 0;
    argv[a++] = "stat";
    argv[a++] = "-L";
    argv[a++] = "-c";
    argv[a++] = "%n %s %Y %i";
    argv[a++] = "--";
    for (size_t i = 0; i < n; i++)
        if (files[i])
            argv[a++] = files[i];
    int rc = a == 5 ? 0 : virt_saved_run(link, argv, sb);
    free(argv);
    return rc;
}

char *virt_saved_key(const struct be_ops *be, const struct be_vm_spec *spec,
                     const char *const *masters, struct virt_host *link, struct strbuf *what)
{
    struct be_vm_spec s;
    const char *ext;
    char *text;
    struct strbuf sb = STRBUF_INIT;

    be_vm_spec_copy(&s, spec);
    free(s.name);
    s.name = xstrdup("vtrun-saved");
    if (s.console_log) {
        free(s.console_log);
        s.console_log = xstrdup("/vtrun-saved/console.log");
    }
    for (size_t d = 0; d < s.ndisks; d++) {
        free(s.disks[d].path);
        s.disks[d].path = xstrdup(masters[d]);
    }
    for (size_t n = 0; n < s.nnics; n++)
        s.nics[n].hostfwd_port = 0;
    text = be->render ? be->render(&s, &ext) : NULL;
    be_vm_spec_free(&s);
    if (!text) {
        err_set("the %s backend cannot render a guest's definition", be->name);
        return NULL;
    }
    strbuf_addf(&sb, "%s\n%s\n", be->name, text);
    free(text);
    const char **files = xcalloc(spec->ndisks + 2, sizeof(*files));
    files[0] = spec->kernel;
    files[1] = spec->initrd;
    for (size_t d = 0; d < spec->ndisks; d++)
        files[2 + d] = masters[d];
    int rc = identities(link, files, spec->ndisks + 2, &sb);
    free(files);
    if (rc < 0) {
        err_prefix("guest files");
        strbuf_release(&sb);
        return NULL;
    }
    if (what)
        strbuf_add(what, sb.buf, sb.len);
    uint64_t h1 = fnv1a(sb.buf, sb.len, 0xcbf29ce484222325ULL);
    uint64_t h2 = fnv1a(sb.buf, sb.len, 0x84222325cbf29ce4ULL);
    strbuf_release(&sb);
    return xasprintf("%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

char *virt_saved_entry(const char *master, const char *key)
{
    char *copy = xstrdup(master);
    char *e = xasprintf("%s/%s/%s", dirname(copy), VIRT_SAVED_DIR, key);
    free(copy);
    return e;
}

char *virt_saved_file(const char *entry, int disk)
{
    return disk < 0 ? xasprintf("%s/mem.save", entry) : xasprintf("%s/disk%d.qcow2", entry, disk);
}

int virt_saved_exists(struct virt_host *link, const char *entry)
{
    char *mem = virt_saved_file(entry, -1);
    int rc;
    if (!link || virt_host_is_local(link)) {
        struct stat st;
        rc = stat(mem, &st) == 0;
    } else {
        const char *argv[] = { "test", "-f", mem, NULL };
        rc = virt_saved_run(link, argv, NULL) == 0;
        err_clear();
    }
    free(mem);
    return rc;
}
