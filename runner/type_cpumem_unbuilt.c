/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CPU and memory migration types of tp-libvirt vtrun knows but does not build yet:
 * each case CANCELs for what the hosts lack (the need the reference sets up or checks
 * first), else is an ERROR naming what vtrun lacks -- never "unknown test type" and
 * never a RUN.
 *
 *  - migration_with_special_cpu (migration/migration_misc/migration_with_special_cpu.py):
 *    nested virtualization.  Two L1 guests get <cpu> with vmx required (and
 *    vmx-apicv-register disabled), libvirt installed and restarted inside them, an NFS
 *    server in one, ssh keys and /etc/hosts between them, then an L2 guest defined in
 *    L1 #1 migrates to L1 #2 and is written to over ssh from there.  The test refuses a
 *    host whose domcapabilities has fewer than 76 vmx- features: it needs KVM on an
 *    Intel host with nested VMX (the `kvm` capability).  With it, the L1 guests with a
 *    libvirt inside are not built (vtrun's guests are busybox).
 *  - migration_with_memory_devices (migration/migration_with_memory/
 *    migration_with_memory_devices.py): every case first sets 2048 huge pages of
 *    hp_size KiB on both hosts (setup_hugepage runs for every mem_backing) -- the
 *    `hugepages` capability.  With it, the guest of 3 GiB over two NUMA cells with a
 *    dimm / virtio-mem / nvdimm defined and one hot-plugged, their XML checked by
 *    xpath on both hosts and nvdimm files written and read back in the guest, are not
 *    built.  Its virtio-mem / nvdimm cases need the guest's virtio_mem / libnvdimm
 *    drivers (guest_virtio_mem, guest_nvdimm: CANCEL on the lab's busybox guest).
 *  - migrate_with_virtual_devices (migration/migrate_with_virtual_devices.py, avocado-vt's
 *    migration_template): an rng device (builtin, /dev/random, egd over udp or tcp with
 *    `nc` sources on the hosts) hot-plugged, checked in the XML and in the guest's
 *    /sys/devices/virtual/misc/hw_random/rng_available, migrated (precopy or postcopy),
 *    checked again and hot-unplugged.  migration_template cancels any case one of
 *    whose params still holds "EXAMPLE", and the composition leaves
 *    migrate_shared_storage = SHARED_IMAGE.EXAMPLE: every case CANCELs the same way
 *    (need "placeholder") until the settings fill it.  Then migration_template's
 *    steps are not built (ERROR).
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <string.h>

/* What each type lacks, the text of its ERROR. */
static const struct {
    const char *type, *missing;
} cu_rows[] = {
    { "migration_with_special_cpu",
      "the nested setup (L1 guests running libvirt, an NFS server and ssh keys between "
      "them, an L2 guest migrated from one to the other) is not built" },
    { "migration_with_memory_devices",
      "the memory device steps (a 3 GiB guest on two NUMA cells, a dimm / virtio-mem / "
      "nvdimm defined and one hot-plugged, their XML checked by xpath on both hosts, "
      "nvdimm files in the guest) are not built" },
    { "migrate_with_virtual_devices",
      "avocado-vt's migration_template with an rng device (hot-plug, the XML compared, "
      "rng_available in the guest, the nc rng sources, hot-unplug after the migration) "
      "is not built" },
};

static const char *cu_why(const char *type)
{
    for (size_t k = 0; k < ARRAY_SIZE(cu_rows); k++)
        if (type && !strcmp(cu_rows[k].type, type))
            return cu_rows[k].missing;
    return NULL;
}

static bool cu_always(const struct params *p)
{
    (void)p;
    return true;
}

static int cu_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *type = params_get(p, "type");
    const char *missing = cu_why(type);
    (void)n;
    (void)f;
    (void)why;
    err_set("tp-libvirt's %s: %s", type ? type : "?", missing ? missing : "not built");
    return -1;
}

static const struct run_need cu_needs_last[] = {
    { "not built", .applies = cu_always, .met = cu_unbuilt_met,
      .met_doc = "never: the type's steps are not built (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

/* migration_with_special_cpu: its host check (>= 76 vmx- features) wants KVM with
 * nested VMX; TCG has none. */
static const struct run_need cu_needs_nested[] = {
    { "kvm", .applies = cu_always, .capability = "kvm",
      .text = "KVM on an Intel host with nested VMX (the test wants >= 76 vmx- features "
              "in domcapabilities for its L1 guests)" },
    { NULL },
};

static bool cu_model_is(const struct params *p, const char *model)
{
    const char *m = params_get(p, "mem_model");
    return m && !strcmp(m, model);
}

static bool cu_virtio_mem(const struct params *p)
{
    return cu_model_is(p, "virtio-mem");
}

static bool cu_nvdimm(const struct params *p)
{
    return cu_model_is(p, "nvdimm");
}

/* migration_with_memory_devices: setup_hugepage runs for every case.  Then the guest's
 * drivers: a virtio-mem device's <current> (checked by xpath) is what the guest's
 * virtio_mem driver plugs, and the nvdimm files are written on the guest's /dev/pmem
 * (libnvdimm, nd_pmem); the lab's busybox initrd loads neither module. */
static const struct run_need cu_needs_hugepages[] = {
    { "hugepages", .applies = cu_always, .capability = "hugepages",
      .text = "hugepages on the hosts (the test sets hp_num pages of hp_size KiB on both "
              "for every memory backing)" },
    { "guest_virtio_mem", .applies = cu_virtio_mem, .capability = "guest_virtio_mem",
      .text = "a virtio_mem driver in the guest (the destination's <current> of the "
              "virtio-mem device is what the guest plugs; the lab's busybox guest has none)" },
    { "guest_nvdimm", .applies = cu_nvdimm, .capability = "guest_nvdimm",
      .text = "libnvdimm / nd_pmem in the guest (the test writes and reads files on the "
              "nvdimm's /dev/pmem; the lab's busybox guest has neither)" },
    { NULL },
};

/* migration_template's __init__ cancels a case any of whose params still holds
 * "EXAMPLE" ("Please set real value for ..."): the composition leaves
 * migrate_shared_storage = SHARED_IMAGE.EXAMPLE, which no settings host fact fills. */
static int cu_no_placeholder_met(const struct run_need *n, const struct params *p,
                                 struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    for (size_t i = 0; i < params_count(p); i++) {
        const char *v = params_value_at(p, i);
        if (!strstr(v, "EXAMPLE"))
            continue;
        strbuf_addf(why, "param %s = '%.80s' (migration_template cancels: \"Please set "
                    "real value for\" it; set %s in the settings' params or override)",
                    params_key_at(p, i), v, params_key_at(p, i));
        return 0;
    }
    return 1;
}

static const struct run_need cu_needs_template[] = {
    { "placeholder", .applies = cu_always, .met = cu_no_placeholder_met,
      .met_doc = "no param holds EXAMPLE (avocado-vt's migration_template cancels)",
      .text = "every param set to a real value" },
    { NULL },
};

static const struct run_param cu_params[] = {
    { NULL },
};

/* Never reached (the need above makes every case an ERROR); a guard all the same. */
static int cu_run(struct run_ctx *ctx)
{
    const char *missing = cu_why(ctx->type ? ctx->type->name : NULL);
    return run_error(ctx, "NotBuilt", "%s", missing ? missing : "not built");
}

#define CU_TYPE(id, nvms, own, text)                                                     \
    const struct run_type run_type_##id = {                                              \
        .name = #id,                                                                     \
        .summary = text " (not built yet: a case CANCELs for its need or is an ERROR)",  \
        .needs = { .vms = (nvms), .hosts = 2, .rows = (own), .rows_last = cu_needs_last }, \
        .params = cu_params,                                                             \
        .run = cu_run,                                                                   \
    }

CU_TYPE(migration_with_special_cpu, 2, cu_needs_nested,
        "tp-libvirt's migration_with_special_cpu: an L2 guest migrated between two L1 "
        "guests whose <cpu> requires vmx");
CU_TYPE(migration_with_memory_devices, 1, cu_needs_hugepages,
        "tp-libvirt's migration_with_memory_devices: dimm / virtio-mem / nvdimm memory "
        "devices, defined and hot-plugged, migrated with the hosts on huge pages");
CU_TYPE(migrate_with_virtual_devices, 1, cu_needs_template,
        "tp-libvirt's migrate_with_virtual_devices: an rng device hot-plugged, migrated "
        "and hot-unplugged");
