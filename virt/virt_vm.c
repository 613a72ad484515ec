/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_vm: the VM model.  A case's params (avocado-vt names) become a struct
 * be_vm_spec, the plain struct the backends take; the guest's login data become a
 * struct virt_login.  Also resolves vm_accel = auto with a probe, once per process.
 */
#include "virt/virt.h"
#include "lib/params.h"
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_QEMU "qemu-system-x86_64"

/* ---- vm_accel = auto ---------------------------------------------------------------
 * /dev/kvm can exist and open and still be unusable (kvm_pvm: real mode runs, but a
 * guest switching to long mode hangs or dies with "KVM internal error ... emulation
 * failure").  So the probe runs real guest code as far as a Linux kernel goes early:
 * a 64 KiB BIOS that builds page tables, enters long mode and writes 0x42 to QEMU's
 * isa-debug-exit port, which makes QEMU exit with status (0x42 << 1) | 1 = 133.  Any
 * other outcome within the time limit means TCG.  Assembled from this source (GNU as,
 * .code16 then .code64; ld -Ttext 0 --oformat binary):
 *   cli; ljmp $0xf000,$low; low: ds=es=0; zero 0x1000..0x3fff; PML4[0]=0x2003;
 *   PDPT[0]=0x3003; PD[0]=0x83 (2 MiB page at 0); lgdtl gdtr; CR4.PAE; CR3=0x1000;
 *   EFER.LME; CR0.PG|PE; ljmpl $8,long_entry; long_entry: rsp=0x1000; 1000 x
 *   push/pop; mov $0x42,%al; out %al,$0xf4; hlt
 * The reset vector at 0xfff0 far-jumps to offset 0 (f000:0000).
 */
static const unsigned char probe_code[] = {
    0xfa, 0xea, 0x06, 0x00, 0x00, 0xf0, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xc0, 0xfc, 0xbf,
    0x00, 0x10, 0x66, 0x31, 0xc0, 0xb9, 0x00, 0x0c, 0x66, 0xf3, 0xab, 0x66, 0xc7, 0x06,
    0x00, 0x10, 0x03, 0x20, 0x00, 0x00, 0x66, 0xc7, 0x06, 0x00, 0x20, 0x03, 0x30, 0x00,
    0x00, 0x66, 0xc7, 0x06, 0x00, 0x30, 0x83, 0x00, 0x00, 0x00, 0x2e, 0x66, 0x0f, 0x01,
    0x16, 0xa8, 0x00, 0x0f, 0x20, 0xe0, 0x66, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0x66,
    0xb8, 0x00, 0x10, 0x00, 0x00, 0x0f, 0x22, 0xd8, 0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0,
    0x0f, 0x32, 0x66, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30, 0x0f, 0x20, 0xc0, 0x66,
    0x0d, 0x01, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0x66, 0xea, 0x72, 0x00, 0x0f, 0x00,
    0x08, 0x00, 0x48, 0xc7, 0xc4, 0x00, 0x10, 0x00, 0x00, 0x48, 0xc7, 0xc1, 0xe8, 0x03,
    0x00, 0x00, 0x51, 0x58, 0xe2, 0xfc, 0xb0, 0x42, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd, 0x8d,
    0x74, 0x26, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x9a, 0xaf, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,
    0x17, 0x00, 0x90, 0x00, 0x0f, 0x00,
};
static const unsigned char probe_reset[] = { 0xea, 0x00, 0x00, 0x00, 0xf0 }; /* ljmp $0xf000,$0 */
#define PROBE_SIZE 65536
#define PROBE_EXIT 133
#define PROBE_TIMEOUT 2.0

static pthread_mutex_t accel_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *accel_cached;

bool virt_accel_probe(const char *accel, const struct virt_ctx *ctx, struct strbuf *why)
{
    char path[PATH_MAX];
    unsigned char *bios = NULL;
    const char *tmp = getenv("TMPDIR");
    struct strbuf err = STRBUF_INIT;
    struct spawn *c = NULL;
    bool ok = false;
    int fd, st = -1;

    if (!strcmp(accel, "kvm")) {
        fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            strbuf_addf(why, "/dev/kvm: %s", strerror(errno));
            return false;
        }
        close(fd);
    }

    snprintf(path, sizeof(path), "%s/vtrun-accel-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    fd = mkstemp(path);
    if (fd < 0) {
        strbuf_addf(why, "probe file: %s", strerror(errno));
        return false;
    }
    bios = xmalloc(PROBE_SIZE);
    memset(bios, 0xf4, PROBE_SIZE);          /* hlt everywhere else */
    memcpy(bios, probe_code, sizeof(probe_code));
    memcpy(bios + 0xfff0, probe_reset, sizeof(probe_reset));
    if (write(fd, bios, PROBE_SIZE) != PROBE_SIZE) {
        strbuf_addf(why, "probe file: %s", strerror(errno));
        close(fd);
        goto cleanup;
    }
    close(fd);

    c = spawn_new(DEFAULT_QEMU);
    spawn_args(c, "-accel", accel, "-M", "pc", "-m", "16", "-nodefaults", "-display", "none",
               "-no-reboot", "-monitor", "none", "-serial", "none", "-bios", path,
               "-device", "isa-debug-exit,iobase=0xf4,iosize=4", NULL);
    spawn_set_output(c, NULL, &err);
    spawn_set_timeout(c, PROBE_TIMEOUT);
    spawn_set_kill_grace(c, 0.5);
    spawn_set_cancel(c, ctx ? ctx->cancel : NULL);
    if (spawn_run(c, &st) < 0) {
        if (spawn_end(c) == SPAWN_TIMEOUT)
            strbuf_addf(why, "%s probe guest did not reach long mode in %.0f s", accel,
                        PROBE_TIMEOUT);
        else
            strbuf_addstr(why, err_msg());
    } else if (st == PROBE_EXIT && !strstr(err.buf, "KVM internal error") &&
               !strstr(err.buf, "emulation failure")) {
        ok = true;
        strbuf_addf(why, "%s probe guest reached long mode", accel);
    } else {
        /* A triple fault ends QEMU with 0 under -no-reboot: the vCPU broke. */
        strbuf_addf(why, "%s probe guest exited %d", accel, st);
        if (err.len)
            strbuf_addf(why, ": %s", err.buf);
        while (why->len && why->buf[why->len - 1] == '\n')
            strbuf_setlen(why, why->len - 1);
    }

cleanup:
    unlink(path);
    free(bios);
    spawn_free(c);
    strbuf_release(&err);
    return ok;
}

enum { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };

const struct params_word virt_accel_words[] = {
    { "auto", ACCEL_AUTO }, { "kvm", ACCEL_KVM }, { "tcg", ACCEL_TCG }, { NULL, 0 },
};

const char *virt_accel_resolve(const char *want, const struct virt_ctx *ctx)
{
    struct strbuf why = STRBUF_INIT;
    const char *res;

    const struct params_word *w = want && *want ? params_word_find(virt_accel_words, want)
                                                : &virt_accel_words[ACCEL_AUTO];
    if (!w) {
        err_set("vm_accel: unknown value '%s' (auto, kvm or tcg)", want);
        return NULL;
    }
    if (w->value == ACCEL_AUTO) {
        /* One probe per process: every VM of every test gets the same answer.  The
         * lock makes parallel workers wait for the first probe instead of racing. */
        pthread_mutex_lock(&accel_lock);
        if (!accel_cached) {
            accel_cached = virt_accel_probe("kvm", ctx, &why) ? "kvm" : "tcg";
            virt_logf(ctx, VIRT_LOG_INFO, "vm_accel auto: using %s (%s)", accel_cached,
                      why.buf);
        }
        res = accel_cached;
        pthread_mutex_unlock(&accel_lock);
        strbuf_release(&why);
        return res;
    }
    return w->word;
}

/* ---- spec ------------------------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

static int get_positive(const struct params *p, const char *key, long def, const char *vm,
                        long *out)
{
    bool ok = true;
    long v = params_get_int(p, key, def, &ok);
    if (!ok || v <= 0)
        return virt_failf(VIRT_ERR_CREATE, vm, "%s = '%s': a positive integer is needed", key,
                          params_get(p, key));
    *out = v;
    return 0;
}

/* "192.168.1.0/24" or "255.255.255.0" -> 24; -1 when malformed. */
static int subnet_prefix(const char *s)
{
    const char *slash = strchr(s, '/');
    unsigned a, b, c, d, mask, n = 0;
    char *end;

    if (slash) {
        long v = strtol(slash + 1, &end, 10);
        return (*end || v < 0 || v > 32 || end == slash + 1) ? -1 : (int)v;
    }
    if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 || c > 255 ||
        d > 255)
        return -1;
    mask = a << 24 | b << 16 | c << 8 | d;
    while (n < 32 && (mask & (1u << (31 - n))))
        n++;
    return n == 32 || (mask << n) == 0 ? (int)n : -1;
}

static const char *drive_bus(const char *drive_format)
{
    if (!drive_format || !*drive_format || !strncmp(drive_format, "virtio", 6))
        return "virtio";
    if (!strncmp(drive_format, "scsi", 4))
        return "scsi";
    if (!strcmp(drive_format, "ahci") || !strcmp(drive_format, "sata"))
        return "sata";
    if (!strcmp(drive_format, "ide"))
        return "ide";
    return NULL;
}

static int add_disks(const struct params *vmp, const char *vm,
                     const struct virt_vm_derived *dv, struct be_vm_spec *s)
{
    char **images = params_objects(vmp, "images");
    unsigned nvd = 0, nsd = 0, nhd = 0;
    int ret = -1;

    s->ndisks = params_strv_len(images);
    s->disks = xcalloc(s->ndisks ? s->ndisks : 1, sizeof(*s->disks));
    for (size_t i = 0; images[i]; i++) {
        struct params *ip = params_object(vmp, images[i]);
        struct be_disk *d = &s->disks[i];
        const char *bus = drive_bus(params_get(ip, "drive_format"));
        unsigned *count;
        char prefix;

        if (!bus) {
            virt_failf(VIRT_ERR_CREATE, vm, "image %s: drive_format '%s' not supported "
                       "(virtio, scsi, ahci, ide)", images[i], params_get(ip, "drive_format"));
            params_free(ip);
            goto cleanup;
        }
        count = !strcmp(bus, "virtio") ? &nvd : !strcmp(bus, "ide") ? &nhd : &nsd;
        prefix = !strcmp(bus, "virtio") ? 'v' : !strcmp(bus, "ide") ? 'h' : 's';
        if (*count >= 26) {
            virt_failf(VIRT_ERR_CREATE, vm, "too many %s disks", bus);
            params_free(ip);
            goto cleanup;
        }
        const char *clone = dv ? virt_clones_path(dv->clones, vm, images[i]) : NULL;
        d->path = clone ? xstrdup(clone) : virt_image_filename(ip);
        d->format = xstrdup(params_get_or(ip, "image_format", "qcow2"));
        if (!*d->format) {
            free(d->format);
            d->format = xstrdup("raw");
        }
        d->bus = xstrdup(bus);
        d->target = xasprintf("%cd%c", prefix, 'a' + (*count)++);
        d->cache = xstrdup(params_get_or(ip, "drive_cache", "none"));
        if (!*d->cache) {
            free(d->cache);
            d->cache = xstrdup("none");
        }
        params_free(ip);
    }
    ret = 0;
cleanup:
    params_strv_free(images);
    return ret;
}

static int add_nics(const struct params *vmp, const char *vm, struct be_vm_spec *s)
{
    char **nics = params_objects(vmp, "nics");
    int ret = -1;

    s->nnics = params_strv_len(nics);
    s->nics = xcalloc(s->nnics ? s->nnics : 1, sizeof(*s->nics));
    for (size_t i = 0; nics[i]; i++) {
        struct params *np = params_object(vmp, nics[i]);
        struct be_nic *n = &s->nics[i];
        const char *netdst = params_get(np, "netdst");
        const char *type = params_get(np, "nettype");
        const char *model = params_get_or(np, "nic_model", "virtio");

        if (!type || !*type)
            type = netdst && *netdst ? "bridge" : "user";
        if (strcmp(type, "bridge") && strcmp(type, "user")) {
            virt_failf(VIRT_ERR_CREATE, vm, "nic %s: nettype '%s' not supported (bridge, user)",
                       nics[i], type);
            params_free(np);
            goto cleanup;
        }
        if (!strcmp(type, "bridge") && (!netdst || !*netdst)) {
            virt_failf(VIRT_ERR_CREATE, vm, "nic %s: nettype bridge needs netdst (the bridge)",
                       nics[i]);
            params_free(np);
            goto cleanup;
        }
        /* avocado-vt spells the virtio NIC several ways; backends want one. */
        if (!*model || !strcmp(model, "virtio_net") || !strcmp(model, "virtio-net-pci") ||
            !strcmp(model, "virtio-net"))
            model = "virtio";
        n->mode = xstrdup(type);
        n->bridge = !strcmp(type, "bridge") ? xstrdup(netdst) : NULL;
        n->model = xstrdup(model);
        n->mac = dup_or_null(params_get(np, "mac"));
        params_free(np);
    }
    ret = 0;
cleanup:
    params_strv_free(nics);
    return ret;
}

static const char *guest_ip(const struct params *vmp, const struct virt_vm_derived *d)
{
    return d && d->guest_ip ? d->guest_ip : params_get(vmp, "guest_ip");
}

static int build_cmdline(const struct params *vmp, const char *vm,
                         const struct virt_vm_derived *d, struct be_vm_spec *s)
{
    struct strbuf sb = STRBUF_INIT;
    const char *kp = params_get(vmp, "kernel_params");
    const char *ip = guest_ip(vmp, d);

    if (kp && *kp)
        strbuf_addstr(&sb, kp);
    /* A guest whose first NIC is QEMU's user-mode network gets that network's fixed
     * address (10.0.2.15, what the tiny guest takes when given none) and is reached
     * through the SSH forward: an address for the lab's bridge would leave it
     * unreachable. */
    if (s->nnics && s->nics[0].mode && !strcmp(s->nics[0].mode, "user"))
        ip = NULL;
    if (ip && *ip) {
        const char *subnet = params_get_or(vmp, "guest_subnet", "");
        const char *gw = params_get(vmp, "guest_gateway");
        int prefix = *subnet ? subnet_prefix(subnet) : 24;
        if (prefix < 0) {
            strbuf_release(&sb);
            return virt_failf(VIRT_ERR_ADDRESS, vm, "guest_subnet '%s': not a prefix or netmask",
                              subnet);
        }
        /* The tiny guest's init configures its NIC from these; other guests ignore
         * them. */
        strbuf_addf(&sb, "%svtrun.ip=%s/%d", sb.len ? " " : "", ip, prefix);
        if (gw && *gw)
            strbuf_addf(&sb, " vtrun.gw=%s", gw);
    }
    s->cmdline = sb.len ? strbuf_detach(&sb, NULL) : NULL;
    strbuf_release(&sb);
    return 0;
}

int virt_vm_spec_from_params(const struct params *p, const char *vm,
                             const struct virt_vm_derived *d, const char *console_dir,
                             const struct virt_ctx *ctx, struct be_vm_spec *out)
{
    struct params *vmp = params_object(p, vm);
    const char *accel;
    long mem, smp;
    int ret = -1;

    memset(out, 0, sizeof(*out));
    if (get_positive(vmp, "mem", VIRT_MEM_MIB_DEFAULT, vm, &mem) < 0 ||
        get_positive(vmp, "smp", VIRT_SMP_DEFAULT, vm, &smp) < 0)
        goto cleanup;
    accel = virt_accel_resolve(params_get(vmp, "vm_accel"), ctx);
    if (!accel) {
        virt_failf(VIRT_ERR_CREATE, vm, "%s", err_msg());
        goto cleanup;
    }
    out->name = xstrdup(vm);
    out->mem_mib = (unsigned long)mem;
    out->smp = (unsigned)smp;
    out->accel = xstrdup(accel);
    out->machine = dup_or_null(params_get(vmp, "machine_type"));
    out->cpu_model = dup_or_null(params_get(vmp, "cpu_model"));
    out->kernel = dup_or_null(params_get(vmp, "kernel"));
    out->initrd = dup_or_null(params_get(vmp, "initrd"));
    out->emulator = dup_or_null(params_get(vmp, d && d->emulator_param ? d->emulator_param
                                                                        : "qemu_binary"));
    if (console_dir && *console_dir)
        out->console_log = xasprintf("%s/serial-%s.log", console_dir, vm);
    if (add_nics(vmp, vm, out) < 0 || build_cmdline(vmp, vm, d, out) < 0 ||
        add_disks(vmp, vm, d, out) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    if (ret < 0)
        be_vm_spec_free(out);
    params_free(vmp);
    return ret;
}

/* ---- login ----------------------------------------------------------------------- */

int virt_login_from_params(const struct params *p, const char *vm,
                           const struct virt_vm_derived *d, struct virt_login *out)
{
    struct params *vmp = params_object(p, vm);
    const char *ip = guest_ip(vmp, d);
    bool ok = true;
    long port = params_get_int(vmp, "shell_port", VIRT_SHELL_PORT_DEFAULT, &ok);
    int ret = -1;

    memset(out, 0, sizeof(*out));
    if (!ip || !*ip) {
        virt_failf(VIRT_ERR_ADDRESS, vm, "no guest_ip: cannot log in");
        goto cleanup;
    }
    if (!ok || port <= 0 || port > 65535) {
        virt_failf(VIRT_ERR_LOGIN, vm, "shell_port '%s' is not a port",
                   params_get(vmp, "shell_port"));
        goto cleanup;
    }
    out->host = xstrdup(ip);
    out->port = (int)port;
    out->user = xstrdup(params_get_or(vmp, "username", "root"));
    out->password = dup_or_null(params_get(vmp, "password"));
    out->key_file = dup_or_null(params_get(vmp, "ssh_private_key"));
    ret = 0;
cleanup:
    params_free(vmp);
    return ret;
}

void virt_login_free(struct virt_login *l)
{
    if (!l)
        return;
    free(l->host);
    free(l->user);
    free(l->password);
    free(l->key_file);
    memset(l, 0, sizeof(*l));
}
