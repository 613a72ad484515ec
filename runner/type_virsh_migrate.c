/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `virsh_migrate`: tp-libvirt's one-shot `virsh migrate` test
 * (libvirt/tests/src/virsh_cmd/domain/virsh_migrate.py) on the one migration engine.
 *
 * One VM starts on the source, is put into virsh_migrate_src_state, waits
 * virsh_migrate_delay seconds and migrates once with the words of
 * virsh_migrate_options + postcopy_options + virsh_migrate_extra (virsh's meaning,
 * migration/mig_opts.c; a bare --timeout N suspends the guest at N s, as virsh does).
 * The call is judged as tp-libvirt does (migration/mig_result.c): status_error, err_msg
 * against "error: <libvirt's message>", "unsupported configuration" CANCELs.  After a
 * successful hop: the state on the destination (virsh_migrate_dest_state), the source
 * shut off after --timeout-suspend, --persistent, --undefinesource, --dname; with the
 * guest running there, no panic on its console, a login, uptime not lower.  With
 * virsh_migrate_back the VM comes back the same way and is checked again.
 *
 * The reference's setups around the hop, as it builds them: guest NUMA cells and
 * numatune (migration/mig_numa.c), vCPU hot(un)plug before/after, DIMM hotplug, the
 * disk's cache mode, a second SCSI disk, --xml with an extra NIC (its MAC looked for
 * on the destination) or renamed for --dname, the source daemon stopped, its negative
 * names (vm_ref, desturi, --dname of an existing domain), migrate-postcopy under
 * stress.  remote-viewer (graphics_server) is not built: without one the case
 * CANCELs as the reference's, with one it is an ERROR naming the param, never a PASS
 * that skipped its point.
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* virsh_migrate_src_state: the state the source VM is put in before migrating. */
static const struct params_word src_state_words[] = {
    { "running", MIG_DOM_RUNNING },
    { "paused", MIG_DOM_PAUSED },
    { "shut off", MIG_DOM_SHUTOFF },
    { "shutoff", MIG_DOM_SHUTOFF },
    { NULL, 0 },
};

/* numatune's memory modes (libvirt's words). */
static const struct params_word numa_mode_words[] = {
    { "strict", 0 },
    { "interleave", 1 },
    { "preferred", 2 },
    { "restrictive", 3 },
    { NULL, 0 },
};

/* libvirt's disk cache modes. */
static const struct params_word disk_cache_words[] = {
    { "none", 0 },
    { "default", 1 },
    { "writethrough", 2 },
    { "writeback", 3 },
    { "directsync", 4 },
    { "unsafe", 5 },
    { NULL, 0 },
};

static const struct params_word on_off_words[] = {
    { "on", 1 },
    { "off", 0 },
    { NULL, 0 },
};

/* virsh_migrate_hotplug_mem_unit: libvirt's units, as KiB per unit. */
static const struct params_word mem_unit_words[] = {
    { "KiB", 1 },
    { "K", 1 },
    { "MiB", 1024 },
    { "M", 1024 },
    { "GiB", 1024 * 1024 },
    { "G", 1024 * 1024 },
    { NULL, 0 },
};

struct vmig_opts {
    const char *options, *extra, *postcopy;
    bool status_error;
    const char *err_msg;
    bool unsupported_conf;          /* "unsupported configuration" is the case's point */
    int dest_state;                 /* enum mig_dom_state */
    int src_state;                  /* enum mig_dom_state, before the migration */
    bool back;
    double delay;
    long migrate_speed;             /* MiB/s, with --timeout-suspend */
    long migrate_port;
    const char *migrate_proto;
    /* guest NUMA cells, and with numa_pin their numatune (migration/mig_numa.c) */
    bool with_numa, numa_pin;
    int memory_mode, memnode_mode[2];       /* numa_mode_words */
    const char *memory_placement;
    /* the guest's memory on huge pages (migration/mig_hugepages.c); the page size
     * of kernel_hp_file, else the source host's default */
    bool with_hp, hp_pin;
    long hp_pin_nodes;
    const char *kernel_hp_file;
    /* vCPU hot(un)plug: the guest starts with vcpus_current of vcpus_max online;
     * hotplug sets vcpus_max, hotunplug vcpus_current, before and/or after the hop */
    bool cpu_hotplug, cpu_hotunplug, plug_before, plug_after, unplug_before, unplug_after;
    long vcpus_current, vcpus_max;
    /* DIMM hotplug after start (with NUMA cells): count DIMMs of hotplug_mem */
    bool mem_hotplug;
    long hotplug_mem, hotplug_count, dimm_slots;
    int hotplug_unit;                       /* mem_unit_words: KiB per unit */
    /* --xml: the guest's own definition (an extra NIC, or renamed to vm_new_name
     * with --dname) */
    bool xml_option;
    const char *vm_new_name;
    /* attach_scsi_disk: another disk (sdb, SCSI) of image_size beside the guest's */
    bool attach_scsi;
    const char *image_size;
    int disk_cache;                 /* disk_cache_words */
    int libvirtd_state;             /* on_off_words: 1 on */
    const char *graphics_server, *vm_ref;
    /* virsh_postcopy_cmd: the hop switched to postcopy (migrate-postcopy) while
     * stress runs in the guest, at migrate_speed in both phases */
    const char *postcopy_cmd, *stress_tool, *stress_args;
    long postcopy_timeout;
    const char *graphics_uri;
    long main_vm;
    /* what virsh itself refuses in the words (a value, a combination): the call fails
     * with it before libvirt is asked, and the case may expect that */
    char usage[512];
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct vmig_opts, __VA_ARGS__)
static const struct run_param vmig_params[] = {
    { "virsh_migrate_options", AT(STR, options), .def = "--live",
      .doc = "virsh migrate option words (migration/mig.h)" },
    { "postcopy_options", AT(STR, postcopy),
      .doc = "more words, appended to virsh_migrate_options" },
    { "virsh_migrate_extra", AT(STR, extra),
      .doc = "more words, after the destination URI in virsh's command line" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "unsupported_conf", AT(BOOL, unsupported_conf), .def = "no",
      .doc = "an 'unsupported configuration' error does not CANCEL: the case expects it" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "virsh_migrate_dest_state", AT(ENUM, dest_state, mig_dom_state_words),
      .def = "running", .doc = "state expected on the destination after the hop" },
    { "virsh_migrate_src_state", AT(ENUM, src_state, src_state_words),
      .def = "running", .doc = "state the source VM is put in before migrating" },
    RUN_MIG_BACK_ROW(struct vmig_opts, back),
    { "virsh_migrate_delay", AT(FLOAT, delay), .def = "10", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "pause before the migration" },
    { "migrate_speed", AT(INT, migrate_speed), .def = "1", RUN_PARAM_MIN(1),
      .unit = "MiB/s", .doc = "with --timeout-suspend: the bandwidth, so the hop "
      "outlasts its timeout; with virsh_postcopy_cmd: the bandwidth of both phases" },
    { "migrate_port", AT(INT, migrate_port), .def = "49152", RUN_PARAM_RANGE(1, 65535),
      .doc = "port of the --migrateuri virsh_migrate_migrateuri asks for" },
    { "migrate_proto", AT(STR, migrate_proto), .def = "tcp",
      .doc = "scheme of virsh_migrate_migrateuri" },
    { "virsh_migrate_with_numa", AT(BOOL, with_numa), .def = "no",
      .doc = "guest NUMA cells: one for one vCPU, else two halving vCPUs and memory" },
    { "virsh_migrate_with_numa_pin", AT(BOOL, numa_pin), .def = "no",
      .doc = "with virsh_migrate_with_numa: numatune binding the memory to the source's "
             "first one or two NUMA nodes with the guest's memory free" },
    { "memory_mode", AT(ENUM, memory_mode, numa_mode_words), .def = "strict",
      .doc = "numatune's memory mode" },
    { "memory_placement", AT(STR, memory_placement), .def = "static",
      .doc = "numatune's memory placement" },
    { "memnode_mode_1", AT(ENUM, memnode_mode[0], numa_mode_words), .def = "preferred",
      .doc = "numatune's mode of the first guest cell" },
    { "memnode_mode_2", AT(ENUM, memnode_mode[1], numa_mode_words), .def = "preferred",
      .doc = "numatune's mode of the second guest cell" },
    { "virsh_migrate_with_HP", AT(BOOL, with_hp), .def = "no",
      .doc = "the guest's memory on the hosts' huge pages of the default size" },
    { "virsh_migrate_with_HP_pin", AT(BOOL, hp_pin), .def = "no",
      .doc = "with virsh_migrate_with_numa: huge pages of the source's size for guest "
             "NUMA cell 0 or cells 0-1 (<page size nodeset>)" },
    { "HP_pin_node_count", AT(INT, hp_pin_nodes), .def = "2", RUN_PARAM_RANGE(1, 2),
      .doc = "guest NUMA cells virsh_migrate_with_HP_pin pins (1: cell 0; 2: 0-1, "
             "or 0 when the guest has one)" },
    { "kernel_hp_file", AT(STR, kernel_hp_file), .def = "/proc/sys/vm/nr_hugepages",
      .doc = "the pool of the huge page size (.../hugepages-<N>kB/nr_hugepages: N KiB; "
             "else the source host's Hugepagesize)" },
    { "virsh_migrate_cpu_hotplug", AT(BOOL, cpu_hotplug), .def = "no",
      .doc = "vCPU hotplug (setvcpus --live) around the hop; the guest may have "
             "virsh_migrate_vcpus, starts with virsh_migrate_vcpus_current" },
    { "virsh_migrate_cpu_hotunplug", AT(BOOL, cpu_hotunplug), .def = "no",
      .doc = "with virsh_migrate_cpu_hotplug: unplug back to virsh_migrate_vcpus_current" },
    { "virsh_hotplug_cpu_before", AT(BOOL, plug_before), .def = "no",
      .doc = "hotplug before the hop" },
    { "virsh_hotplug_cpu_after", AT(BOOL, plug_after), .def = "no",
      .doc = "hotplug after the hop, where the guest is then" },
    { "virsh_hotunplug_cpu_before", AT(BOOL, unplug_before), .def = "no",
      .doc = "hotunplug before the hop" },
    { "virsh_hotunplug_cpu_after", AT(BOOL, unplug_after), .def = "no",
      .doc = "hotunplug after the hop" },
    { "virsh_migrate_vcpus_current", AT(INT, vcpus_current), .def = "8", RUN_PARAM_MIN(1),
      .doc = "vCPUs online at start with virsh_migrate_cpu_hotplug" },
    { "virsh_migrate_vcpus", AT(INT, vcpus_max), .def = "64", RUN_PARAM_MIN(1),
      .doc = "the guest's maximum vCPUs with virsh_migrate_cpu_hotplug" },
    { "virsh_migrate_mem_hotplug", AT(BOOL, mem_hotplug), .def = "no",
      .doc = "DIMM hotplug before the hop (with virsh_migrate_with_numa), checked in "
             "the guest's current memory" },
    { "virsh_migrate_hotplug_mem", AT(INT, hotplug_mem), .def = "262144", RUN_PARAM_MIN(1),
      .doc = "size of one DIMM, in virsh_migrate_hotplug_mem_unit" },
    { "virsh_migrate_hotplug_mem_unit", AT(ENUM, hotplug_unit, mem_unit_words),
      .def = "KiB", .doc = "unit of virsh_migrate_hotplug_mem" },
    { "virsh_migrate_mem_hotplug_count", AT(INT, hotplug_count), .def = "1",
      RUN_PARAM_MIN(1), .doc = "DIMMs to hotplug, alternating over two guest cells" },
    { "virsh_migrate_max_dimm_slots", AT(INT, dimm_slots), .def = "32", RUN_PARAM_MIN(1),
      .doc = "the guest's DIMM slots (maxMemory: 256 MiB each over its memory)" },
    { "xml_option", AT(BOOL, xml_option), .def = "no",
      .doc = "--xml with the guest's definition: a NIC attached first and looked for "
             "on the destination; with --dname, renamed to vm_new_name" },
    { "vm_new_name", AT(STR, vm_new_name),
      .doc = "with xml_option and --dname: the name in the --xml definition" },
    { "attach_scsi_disk", AT(BOOL, attach_scsi), .def = "no",
      .doc = "a second disk, sdb on SCSI, made beside the guest's image and defined "
             "with it before the start" },
    { "image_size", AT(STR, image_size), .def = "10G",
      .doc = "with attach_scsi_disk: its size (qemu-img's words)" },
    { "virsh_migrate_disk_cache", AT(ENUM, disk_cache, disk_cache_words), .def = "none",
      .doc = "the cache mode of the guest's disk (libvirt's words)" },
    { "virsh_migrate_libvirtd_state", AT(ENUM, libvirtd_state, on_off_words), .def = "on",
      .doc = "off: the source's libvirtd stopped for the call" },
    { "graphics_server", AT(STR, graphics_server),
      .doc = "remote-viewer connected during the hop (not built yet: ERROR)" },
    { "virsh_migrate_graphics_uri", AT(STR, graphics_uri),
      .doc = "--graphicsuri to a SPICE listener (not built yet: ERROR)" },
    { "virsh_postcopy_cmd", AT(STR, postcopy_cmd),
      .doc = "migrate-postcopy: the hop switches to postcopy once started (3 s), with "
             "stress_args running in the guest; it must have switched" },
    { "stress_package", AT(STR, stress_tool), .def = "stress",
      .doc = "with virsh_postcopy_cmd: the guest's stress tool" },
    { "stress_args", AT(STR, stress_args),
      .def = "--cpu 8 --io 4 --vm 2 --vm-bytes 128M --timeout 20s",
      .doc = "with virsh_postcopy_cmd: its arguments" },
    { "postcopy_migration_timeout", AT(INT, postcopy_timeout), .def = "180",
      RUN_PARAM_MIN(1), .unit = "seconds",
      .doc = "with virsh_postcopy_cmd: the most the hop may take" },
    { "vm_ref", AT(STR, vm_ref),
      .doc = "the name virsh migrate is given: another than main_vm's (none, or empty) "
             "makes the call fail as virsh's does" },
    { NULL },
};
#undef AT

/* The words of one call, in virsh's order: options, then extra. */
static char *call_words(const struct vmig_opts *o)
{
    return xasprintf("%s %s %s", o->options ? o->options : "",
                     o->postcopy ? o->postcopy : "", o->extra ? o->extra : "");
}

/* The setups of the reference that vtrun does not build: such a case must not PASS
 * without its point, so it is an ERROR naming the param -- decided after the needs
 * every case has, so a case the hosts cannot meet (hugepages, preferred numatune)
 * still CANCELs as tp-libvirt would. */
static const struct {
    const char *param;
    const char *unless;             /* the value that needs nothing; NULL: "no" or unset */
} not_built_rows[] = {
    { "graphics_server", NULL },
    { "virsh_migrate_graphics_uri", NULL },
};

static const char *not_built(const struct params *p)
{
    for (size_t i = 0; i < ARRAY_SIZE(not_built_rows); i++) {
        const char *v = params_get(p, not_built_rows[i].param);
        if (!v || !*v ||
            !strcmp(v, not_built_rows[i].unless ? not_built_rows[i].unless : "no"))
            continue;
        return not_built_rows[i].param;
    }
    return NULL;
}

static bool not_built_applies(const struct params *p)
{
    return not_built(p) != NULL;
}

static int not_built_met(const struct run_need *n, const struct params *p,
                         struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    err_set("%s = '%s': vtrun does not build this setup of tp-libvirt's virsh_migrate yet",
            not_built(p), params_get(p, not_built(p)));
    return -1;
}

/* graphics_server: the reference runs remote-viewer against the guest's display and
 * cancels without it (path.find_command).  On this machine's PATH, as there. */
static bool graphics_applies(const struct params *p)
{
    const char *v = params_get(p, "graphics_server");
    return v && *v;
}

static int remote_viewer_met(const struct run_need *n, const struct params *p,
                             struct run_facts *f, struct strbuf *why)
{
    const char *path = getenv("PATH");
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    for (const char *d = path ? path : ""; *d;) {
        size_t len = strcspn(d, ":");
        char *exe = xasprintf("%.*s/remote-viewer", (int)len, d);
        bool found = len && access(exe, X_OK) == 0;
        free(exe);
        if (found)
            return 1;
        d += len + (d[len] == ':');
    }
    return 0;
}

/* A vCPU hot-unplug (setvcpus down to virsh_migrate_vcpus_current, before or after the
 * hop).  libvirt's setvcpus waits 5 s for QEMU's DEVICE_DELETED of each vCPU; QEMU 7.2
 * under TCG ejects the vCPU (the guest offlines it, ACPI_DEVICE_OST reports success)
 * but sends DEVICE_DELETED only for its lapic child, never for the vCPU, so every
 * unplug ends "vcpu unplug request timed out" -- measured on the lab, with libvirt and
 * with bare QMP.  Hosts running KVM guests do not have that. */
static bool vcpu_unplug_applies(const struct params *p)
{
    static const char *const needed[] = { "virsh_migrate_cpu_hotplug",
                                          "virsh_migrate_cpu_hotunplug" };
    for (size_t k = 0; k < ARRAY_SIZE(needed); k++) {
        const char *v = params_get(p, needed[k]);
        if (!v || strcmp(v, "yes"))
            return false;
    }
    const char *before = params_get(p, "virsh_hotunplug_cpu_before");
    const char *after = params_get(p, "virsh_hotunplug_cpu_after");
    return (before && !strcmp(before, "yes")) || (after && !strcmp(after, "yes"));
}

/* After the generic rows: a case the hosts cannot meet anyway (huge pages) says so. */
static const struct run_need vmig_needs_last[] = {
    { "vcpu_unplug", .applies = vcpu_unplug_applies, .capability = "kvm",
      .text = "KVM guests: a vCPU hot-unplug completes only when QEMU reports the vCPU "
              "deleted, which QEMU 7.2 under TCG never does (libvirt's setvcpus then "
              "fails 'vcpu unplug request timed out')" },
    { "remote_viewer", .applies = graphics_applies, .met = remote_viewer_met,
      .met_doc = "remote-viewer on this machine's PATH",
      .text = "No 'remote-viewer' command found." },
    { "not built", .applies = not_built_applies, .met = not_built_met,
      .met_doc = "a setup vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int vmig_check(const struct run_common *c, void *opts)
{
    struct vmig_opts *o = opts;
    struct be_migrate_opts mo = { 0 };
    char *words = call_words(o);
    int rc = mig_opts_parse(words, &mo);

    if (rc == -2) {
        snprintf(o->usage, sizeof(o->usage), "%s", err_msg());
        rc = 0;
    } else if (rc < 0)
        err_prefix("virsh_migrate_options + postcopy_options + virsh_migrate_extra = '%s'",
                   words);
    else if (mig_opts_param_value(&mo, BE_MP_DEST_NAME) && o->back) {
        err_set("--dname with virsh_migrate_back: not built yet");
        rc = -1;
    } else if (o->postcopy_cmd && strcmp(o->postcopy_cmd, "migrate-postcopy")) {
        err_set("virsh_postcopy_cmd = '%s': only migrate-postcopy is known",
                o->postcopy_cmd);
        rc = -1;
    } else if (o->cpu_hotplug && o->vcpus_current > o->vcpus_max) {
        err_set("virsh_migrate_vcpus_current = %ld: more than virsh_migrate_vcpus = %ld",
                o->vcpus_current, o->vcpus_max);
        rc = -1;
    }
    mig_opts_release(&mo);
    free(words);
    if (rc < 0)
        return -1;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

/* The test's state: the VM set first, so run_vmtype_cleanup's view of it holds. */
struct vmig_state {
    struct virt_vms vms;
    char *renamed;                  /* --dname's domain on the destination, to remove */
    char *xml_mac;                  /* xml_option: the NIC the --xml definition adds */
    char *scsi_disk;                /* attach_scsi_disk's image, to remove */
    bool postcopy;                  /* the last hop switched to postcopy */
    struct virt_hostops *daemon;    /* the source daemon stopped: started again by undo */
};

static int vmig_setup(struct run_ctx *ctx)
{
    struct vmig_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

/* The daemon the case stops on the source (the reference's libvirtd_stop()). */
#define SOURCE_DAEMON "libvirtd"

/* virsh_migrate_libvirtd_state = off: stop the source's daemon for the call (its
 * QEMUs keep running).  0, or -1 with the test's error set. */
static int source_daemon_off(struct run_ctx *ctx, struct vmig_state *st)
{
    struct virt_host *link = run_host_link(ctx, 0);
    if (!link)
        return run_error(ctx, "TestSetupError", "source host: %s", err_msg());
    st->daemon = virt_hostops_new("vmig", &st->vms.conf.vctx);
    if (virt_hostop_daemon(st->daemon, link, SOURCE_DAEMON, VIRT_DAEMON_STOP, NULL) < 0)
        return run_error(ctx, "TestSetupError", "stop %s on the source: %s", SOURCE_DAEMON,
                         err_msg());
    run_log(ctx, "%s stopped on %s", SOURCE_DAEMON, ctx->hosts[0].name);
    return 0;
}

/* Start the source daemon again and reconnect to it (the old connection died with
 * it); an error here is the test's. */
static void source_daemon_back(struct run_ctx *ctx, struct vmig_state *st)
{
    if (virt_hostops_undo(st->daemon) < 0)
        run_error(ctx, "TestSetupError", "start %s on the source again: %s", SOURCE_DAEMON,
                  err_msg());
    else
        run_log(ctx, "%s started again on %s", SOURCE_DAEMON, ctx->hosts[0].name);
    virt_hostops_free(st->daemon);
    st->daemon = NULL;
    virt_vms_reconnect(&st->vms, 0);
}

static void vmig_cleanup(struct run_ctx *ctx)
{
    struct vmig_state *st = ctx->data;
    if (!st)
        return;
    if (st->daemon)
        source_daemon_back(ctx, st);
    if (st->renamed && virt_vms_remove_domain(&st->vms, 1, st->renamed) < 0)
        run_log(ctx, "cleanup of %s: %s", st->renamed, err_msg());
    free(st->renamed);
    free(st->xml_mac);
    if (st->scsi_disk) {
        struct virt_host *link = run_host_link(ctx, 0);
        if (!link || virt_image_remove(link, st->scsi_disk, &st->vms.conf.vctx) < 0)
            run_log(ctx, "cleanup of %s: %s", st->scsi_disk, err_msg());
        free(st->scsi_disk);
    }
    run_vmset_cleanup(ctx, &st->vms);
    free(st);
    ctx->data = NULL;
}

/* Whether the case's words hold `word` (as the reference's str.count()). */
static bool words_have(const struct vmig_opts *o, const char *word)
{
    char *w = call_words(o);
    bool has = strstr(w, word) != NULL;
    free(w);
    return has;
}

/* The options of the call: the words, virsh's meaning of a bare --timeout, the
 * migrateuri the case asks for, the files of --xml / --persistent-xml.  0; -1 on a
 * bad word; -2 (err_msg(): virsh's "error: ...") when a file cannot be read. */
static int call_opts(struct run_ctx *ctx, const struct vmig_opts *o, int to,
                     struct be_migrate_opts *mo)
{
    char *words = call_words(o);
    int rc = mig_opts_parse(words, mo);
    free(words);
    /* virsh_migrate.py: virsh_migrate_migrateuri set (to anything) adds
     * --migrateuri PROTO://DEST:PORT (a common param: run_common) */
    if (rc == 0 && ctx->common->virsh_migrate_migrateuri) {
        const struct run_host *h = &ctx->hosts[to];
        const char *addr = h->address ? h->address : h->name;
        char *w = xasprintf("--migrateuri %s://%s:%ld", o->migrate_proto, addr,
                            o->migrate_port);
        rc = mig_opts_parse(w, mo);
        free(w);
    }
    if (rc == 0 && mo->timeout_s > 0 && mo->timeout_action == BE_TIMEOUT_DEFAULT)
        mo->timeout_action = BE_TIMEOUT_SUSPEND;     /* virsh's default */
    /* virsh_migrate.py: with --timeout-suspend, migrate-setspeed migrate_speed first */
    if (rc == 0 && words_have(o, "--timeout-suspend") && !mo->bandwidth_mib)
        mo->bandwidth_mib = (unsigned long)o->migrate_speed;
    /* a file virsh cannot read is its failure, not the config's: -2 */
    if (rc == 0 && mig_opts_load_files(mo) < 0)
        rc = -2;
    mo->cancel = ctx->cancel;
    mo->hard_deadline = ctx->deadline;
    return rc;
}

/* The source's NUMA nodes to bind the guest's memory to, as the reference picks them:
 * its online nodes with at least the guest's memory free, the first two (nodes[]
 * owned).  A host that does not say: node 0, which every Linux host has.  1, or the
 * test's verdict (CANCEL with none: "No host numa node available to pin"). */
static int host_nodes(struct run_ctx *ctx, struct vmig_state *st,
                      const struct be_vm_spec *spec, char *nodes[2])
{
    struct be_host_info info;
    size_t n = 0;

    if (virt_vms_host_info(&st->vms, 0, &info) < 0)
        return run_error(ctx, "TestSetupError", "source host: %s", err_msg());
    if (!info.numa_nodes || !info.numa_nodes[0]) {
        nodes[0] = xstrdup("0");
        be_host_info_free(&info);
        return 1;
    }
    for (size_t k = 0; info.numa_nodes[k] && n < 2; k++) {
        unsigned long long free_b = info.numa_free_bytes ? info.numa_free_bytes[k] : 0;
        if (free_b && free_b < (unsigned long long)spec->mem_mib << 20)
            continue;           /* known too small; unknown: taken */
        nodes[n++] = xstrdup(info.numa_nodes[k]);
    }
    be_host_info_free(&info);
    if (!n)
        return run_cancel(ctx, "No host numa node available to pin");
    return 1;
}

/* One number from a file on host h (a line "Key: N" of it when key is set); -1 with
 * err. */
static int host_number(struct run_ctx *ctx, int h, const char *file, const char *key,
                       unsigned long *out)
{
    struct virt_host *link = run_host_link(ctx, h);
    struct strbuf buf = STRBUF_INIT;
    size_t klen = key ? strlen(key) + 1 : 0;        /* "Key:" */
    int rc = -1;

    if (!link)
        return -1;
    if (virt_host_run(link, (const char *[]){ "cat", file, NULL }, 30, &buf, NULL, NULL) == 0) {
        const char *p = buf.buf;
        while (key && p && (strncmp(p, key, klen - 1) || p[klen - 1] != ':'))
            p = (p = strchr(p, '\n')) ? p + 1 : NULL;
        char *end = NULL;
        if (p)
            *out = strtoul(p + klen, &end, 10);
        if (end && end != p + klen)
            rc = 0;
        else
            err_set("%s: no %s%snumber in it", file, key ? key : "", key ? " " : "");
    }
    strbuf_release(&buf);
    return rc;
}

/* The huge pages of the guest (mig_hugepages.c): the page size -- kernel_hp_file's,
 * else the source's default, as the reference's HugePageConfig reads them -- and
 * enough of them free on both hosts for the guest (the reference's memory / page + 1;
 * it fills the pool itself, vtrun leaves the pool to the hosts' admin: the lab
 * reserves one).  1, or the test's verdict: CANCEL naming the size and the count. */
static int guest_hugepages(struct run_ctx *ctx, const struct vmig_opts *o,
                           struct be_vm_spec *spec)
{
    if (!o->with_hp && !o->hp_pin)
        return 1;
    unsigned long kib = mig_hp_file_page_kib(o->kernel_hp_file);
    if (!kib && host_number(ctx, 0, "/proc/meminfo", "Hugepagesize", &kib) < 0)
        return run_cancel(ctx, "HP not supported/configured: source host: %s", err_msg());
    unsigned long need = mig_hp_pages(spec, kib), least = 0;
    for (int h = 0; h < 2; h++) {
        char *file = xasprintf("/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", kib);
        unsigned long free_pages = 0;
        int rc = host_number(ctx, h, file, NULL, &free_pages);
        free(file);
        if (rc < 0 || free_pages < need)
            return run_cancel(ctx, "HP not supported/configured: the %s host has %lu free "
                              "huge pages of %lu KiB, the guest needs %lu", h ? "destination" :
                              "source", rc < 0 ? 0 : free_pages, kib, need);
        least = h && free_pages > least ? least : free_pages;
    }
    struct mig_hp_conf c = { .hp = o->with_hp, .pin = o->hp_pin,
                             .pin_nodes = o->hp_pin_nodes, .page_kib = kib };
    if (mig_hugepages_apply(spec, &c) < 0)
        return run_error(ctx, "TestSetupError", "huge pages: %s", err_msg());
    if (spec->hugepages.on)
        run_log(ctx, "memory backing: huge pages of %lu KiB%s%s (at least %lu free on each "
                "host, the guest needs %lu)", kib,
                spec->hugepages.nodeset ? " for guest NUMA cells " : "",
                spec->hugepages.nodeset ? spec->hugepages.nodeset : "", least, need);
    return 1;
}

/* virsh_migrate_with_numa: NUMA cells over the vCPUs (the hotplug maximum) and with
 * pinning their numatune.  0, or -1 with the test's verdict. */
static int guest_numa(struct run_ctx *ctx, const struct vmig_opts *o, struct vmig_state *st,
                      struct be_vm_spec *spec)
{
    struct mig_numa_conf c = {
        .pin = o->numa_pin, .memory_mode = numa_mode_words[o->memory_mode].word,
        .placement = o->memory_placement,
        .memnode_mode = { numa_mode_words[o->memnode_mode[0]].word,
                          numa_mode_words[o->memnode_mode[1]].word },
    };
    char *nodes[2] = { NULL, NULL };
    if (o->numa_pin) {
        int rc = host_nodes(ctx, st, spec, nodes);
        if (rc <= 0)
            return rc;
        c.host_nodes[0] = nodes[0];
        c.host_nodes[1] = nodes[1];
    }
    int rc = mig_numa_apply(spec, &c);
    free(nodes[0]);
    free(nodes[1]);
    if (rc < 0)
        return run_error(ctx, "TestSetupError", "guest NUMA: %s", err_msg());
    for (size_t k = 0; k < spec->nnuma; k++)
        run_log(ctx, "guest NUMA cell %zu: vCPUs %s, %lu KiB%s%s%s%s", k, spec->numa[k].cpus,
                spec->numa[k].mem_kib, spec->numa[k].mode ? ", memnode " : "",
                spec->numa[k].mode ? spec->numa[k].mode : "",
                spec->numa[k].mode ? " on host node " : "",
                spec->numa[k].mode ? spec->numa[k].nodeset : "");
    if (spec->numatune.mode)
        run_log(ctx, "numatune memory: mode %s, placement %s, nodeset %s",
                spec->numatune.mode, spec->numatune.placement, spec->numatune.nodeset);
    return 0;
}

/* The reference's edits of the guest's definition before it starts: the disk's cache
 * mode, vCPUs for hotplug (current of a maximum), maxMemory for DIMMs, then NUMA
 * cells over the vCPUs and their numatune, then the memory's huge pages. */
static int guest_edits(struct run_ctx *ctx, const struct vmig_opts *o, struct vmig_state *st,
                       struct be_vm_spec *spec)
{
    /* the reference sets it on the guest's disk (set_vm_disk's driver_cache) */
    if (o->disk_cache && spec->ndisks) {
        free(spec->disks[0].cache);
        spec->disks[0].cache = xstrdup(disk_cache_words[o->disk_cache].word);
        run_log(ctx, "disk %s: cache %s", spec->disks[0].path, spec->disks[0].cache);
    }
    if (o->cpu_hotplug) {
        spec->smp = (unsigned)o->vcpus_current;
        spec->max_vcpus = (unsigned)o->vcpus_max;
    }
    if (o->mem_hotplug) {
        /* the reference's maxMemory: 256 MiB per slot over the guest's memory */
        spec->max_mem_kib = 256UL * 1024 * (unsigned long)o->dimm_slots + spec->mem_mib * 1024;
        spec->mem_slots = (unsigned)o->dimm_slots;
    }
    if (o->with_numa && guest_numa(ctx, o, st, spec) < 0)
        return -1;
    return guest_hugepages(ctx, o, spec) < 0 ? -1 : 0;
}

/* attach_scsi_disk: the reference makes a qcow2 image beside the guest's (on the
 * storage both hosts share) and attaches it as sdb --config before the start; a
 * failed attach is only logged there, a failed image is the test's error here. */
static int scsi_disk(struct run_ctx *ctx, const struct vmig_opts *o, struct vmig_state *st,
                     struct be_vm_spec *spec)
{
    if (!o->attach_scsi || !spec->ndisks)
        return 0;
    const char *img = spec->disks[0].path;
    const char *slash = strrchr(img, '/');
    struct virt_host *link = run_host_link(ctx, 0);
    if (!link)
        return run_error(ctx, "TestSetupError", "source host: %s", err_msg());
    st->scsi_disk = xasprintf("%.*sscsi_test-%.7s-%u.qcow2", slash ? (int)(slash - img + 1) : 0,
                              img, ctx->job_id, ctx->slot);
    if (virt_image_create(link, st->scsi_disk, "qcow2", o->image_size, &st->vms.conf.vctx) < 0)
        return run_error(ctx, "TestSetupError", "attach_scsi_disk: %s", err_msg());
    spec->disks = xrealloc(spec->disks, (spec->ndisks + 1) * sizeof(*spec->disks));
    spec->disks[spec->ndisks++] = (struct be_disk){
        .path = xstrdup(st->scsi_disk), .format = xstrdup("qcow2"), .bus = xstrdup("scsi"),
        .target = xstrdup("sdb"),
        .cache = xstrdup(disk_cache_words[o->disk_cache].word) };
    run_log(ctx, "disk sdb (scsi): %s, %s, cache %s", st->scsi_disk, o->image_size,
            disk_cache_words[o->disk_cache].word);
    return 0;
}

/* Online CPUs the guest reports: the reference's cpu_chk_cmd. */
static int guest_cpus(struct virt_vms *vms, size_t i, long *n)
{
    struct strbuf out = STRBUF_INIT;
    int status = -1;
    int rc = virt_vms_exec(vms, i, "grep -c '^processor' /proc/cpuinfo", 30, &out, &status);
    char *end = NULL;

    if (rc == 0 && status == 0)
        *n = strtol(out.buf, &end, 10);
    if (rc == 0 && (status != 0 || !end || end == out.buf)) {
        err_set("counting the guest's CPUs: exit %d, '%s'", status, out.buf);
        rc = -1;
    }
    strbuf_release(&out);
    return rc;
}

/* Seconds the guest gets to bring its CPUs online after setvcpus (the reference's). */
#define VCPU_ONLINE_TIMEOUT_S 300

/* virsh setvcpus N --live on VM i where it runs, then as the reference checks it:
 * N vCPUs enabled in the live definition, N CPUs seen by the guest (waiting for it
 * to online them).  0, or -1 with the test failed. */
static int set_vcpus(struct run_ctx *ctx, struct vmig_state *st, size_t i, long n,
                     const char *what)
{
    struct virt_vms *vms = &st->vms;
    unsigned got = 0;
    long seen = -1;

    if (virt_vms_set_vcpus(vms, i, (unsigned)n) < 0)
        return run_fail(ctx, "HotplugError", "CPU %s failed - %s", what, err_msg());
    if (virt_vms_vcpus(vms, i, &got) < 0)
        return run_fail(ctx, "HotplugError", "CPU %s: %s", what, err_msg());
    if (got != (unsigned)n)
        return run_fail(ctx, "HotplugError", "CPU %s failed as cpus is not reflected in "
                        "guest xml: %u enabled, %ld wanted", what, got, n);
    double end = clock_now() + VCPU_ONLINE_TIMEOUT_S;
    for (;;) {
        if (guest_cpus(vms, i, &seen) < 0)
            return run_fail(ctx, "HotplugError", "CPU %s: %s", what, err_msg());
        if (seen == n || clock_now() >= end || atomic_load(ctx->cancel))
            break;
        clock_sleep(2);
    }
    if (seen != n)
        return run_fail(ctx, "HotplugError", "CPU %s failed: the guest has %ld CPUs online "
                        "after %d s, %ld wanted", what, seen, VCPU_ONLINE_TIMEOUT_S, n);
    run_log(ctx, "CPU %s: %ld vCPUs enabled and online in the guest", what, n);
    return 0;
}

/* The hot(un)plugs of one side of the hop (before: true), in the reference's order. */
static int vcpu_steps(struct run_ctx *ctx, const struct vmig_opts *o, struct vmig_state *st,
                      size_t i, bool before)
{
    if (!o->cpu_hotplug)
        return 0;
    if ((before ? o->plug_before : o->plug_after) &&
        set_vcpus(ctx, st, i, o->vcpus_max, "Hotplug") < 0)
        return -1;
    if (o->cpu_hotunplug && (before ? o->unplug_before : o->unplug_after) &&
        set_vcpus(ctx, st, i, o->vcpus_current, "Hotunplug") < 0)
        return -1;
    return 0;
}

/* The reference's DIMM hotplug after start: virsh_migrate_mem_hotplug_count DIMMs,
 * alternating over two guest cells (a failed attach is only logged, as there), then
 * the guest's current memory must have grown by all of them.  Only with NUMA cells,
 * as the reference does it.  0, else -1 with the verdict set. */
static int mem_hotplug(struct run_ctx *ctx, const struct vmig_opts *o, struct vmig_state *st,
                       size_t i)
{
    struct virt_vms *vms = &st->vms;
    unsigned long kib = (unsigned long)o->hotplug_mem *
                        (unsigned long)mem_unit_words[o->hotplug_unit].value;
    unsigned long total = kib * (unsigned long)o->hotplug_count, before = 0, now = 0;
    int node = 0;

    if (!o->mem_hotplug || !o->with_numa)
        return 0;
    if (o->hotplug_count > o->dimm_slots)
        return run_cancel(ctx, "Cannot hotplug memory more than %ld times", o->dimm_slots);
    if (virt_vms_memory(vms, i, &before) < 0)
        return run_error(ctx, "TestSetupError", "memory hotplug: %s", err_msg());
    if (before + total > vms->vm[i].spec->max_mem_kib)
        return run_cancel(ctx, "Cannot hotplug memory more than max dimm slots supported");
    for (long k = 0; k < o->hotplug_count; k++) {
        if (virt_vms_attach_dimm(vms, i, kib, node) < 0)
            run_log(ctx, "Hotplugging memory failed: %s", err_msg());
        if (vms->vm[i].spec->nnuma == 2)
            node = !node;
    }
    if (virt_vms_memory(vms, i, &now) < 0)
        return run_error(ctx, "TestSetupError", "memory hotplug: %s", err_msg());
    if (now != before + total)
        return run_fail(ctx, "HotplugError", "Memory hotplug failed: current memory %lu "
                        "KiB, %lu + %lu wanted", now, before, total);
    run_log(ctx, "memory hotplug: %lu KiB + %ld DIMMs of %lu KiB = %lu KiB", before,
            o->hotplug_count, kib, now);
    return 0;
}

/* Sleep `s` seconds unless the test is stopped. */
static void delay(struct run_ctx *ctx, double s)
{
    double end = clock_now() + s;
    while (clock_now() < end && !atomic_load(ctx->cancel))
        clock_sleep(end - clock_now() < 0.2 ? end - clock_now() : 0.2);
}

/* One call from host `from` to `to`, judged.  1: go on with the checks; 0: the test
 * has its verdict (status set); -1: failed (status set). */
static int call(struct run_ctx *ctx, struct vmig_state *st, size_t i, int from, int to,
                unsigned n, const struct mig_expect *e, const struct be_migrate_opts *mo,
                bool *suspended)
{
    struct be_hop_metrics m;
    /* --dname: whatever the hop does, cleanup removes that name from the destination */
    const char *dname = mig_opts_param_value(mo, BE_MP_DEST_NAME);
    if (dname && !st->renamed)
        st->renamed = xstrdup(dname);
    int rc = run_mig_hop(ctx, &st->vms, i, from, to, n, e, mo, &m);
    *suspended = m.suspended;
    st->postcopy = m.postcopy;
    return rc;
}

/* The checks after a successful hop of VM i to `to`. */
static int after(struct run_ctx *ctx, struct vmig_state *st, size_t i, int from, int to,
                 const struct be_migrate_opts *mo, enum mig_dom_state want_dst,
                 bool check_src, bool suspended, double *uptime)
{
    const char *dname = mig_opts_param_value(mo, BE_MP_DEST_NAME);
    const char *dom = st->vms.vm[i].domain;
    struct mig_after a = {
        .flags = mo->flags, .want_dst = want_dst, .check_src = check_src,
        .want_src = MIG_DOM_SHUTOFF, .uptime_before = *uptime, .uptime_after = -1,
    };
    struct strbuf why = STRBUF_INIT;
    bool src_persistent;
    int rc = 0;

    /* --timeout-suspend: the guest was paused when the timeout came (the reference
     * sees it paused on both hosts then) */
    if (a.check_src && !suspended)
        return run_fail(ctx, "PostMigrationCheck", "--timeout-suspend: the hop ended "
                        "before its %g s timeout, the guest was never paused",
                        mo->timeout_s);
    if (virt_vms_domain(&st->vms, to, dname ? dname : dom, &a.dst_state,
                        &a.dst_persistent) < 0 ||
        virt_vms_domain(&st->vms, from, dom, &a.src_state, &src_persistent) < 0)
        return run_error(ctx, "PostMigrationCheck", "domain state: %s", err_msg());
    if (a.src_state == BE_STATE_SHUTOFF && !src_persistent)
        a.src_state = BE_STATE_NONE;
    run_log(ctx, "after the hop: %s %s on %s%s, %s on %s", dname ? dname : dom,
            be_state_name(a.dst_state), ctx->hosts[to].name,
            a.dst_persistent ? " (persistent)" : "", be_state_name(a.src_state),
            ctx->hosts[from].name);
    if (a.dst_state == BE_STATE_RUNNING) {
        if (virt_vms_console_crash(&st->vms, i) != 0)
            return run_fail(ctx, "PostMigrationCheck", "console: %s", err_msg());
        if (virt_vms_wait_login(&st->vms, i, ctx->common->login_timeout) < 0 ||
            virt_vms_uptime(&st->vms, i, &a.uptime_after) < 0)
            return run_fail(ctx, "PostMigrationCheck", "login after the hop: %s",
                            err_msg());
        *uptime = a.uptime_after;
    }
    if (mig_after_check(&a, &why) < 0)
        rc = run_fail(ctx, "PostMigrationCheck", "%s", why.buf);
    strbuf_release(&why);
    return rc;
}

/* A call that fails before any migration starts (virsh refusing its command line,
 * no such domain, no such destination), judged like a failed hop: `what` for the
 * log, `msg` what virsh prints after "error: ".  0 when that was expected, else -1
 * with the verdict set. */
static int refused(struct run_ctx *ctx, const struct mig_expect *e, const char *what,
                   const char *msg)
{
    return run_mig_refused(ctx, e, what, msg);
}

/* The reference's negative cases that leave out an argument virsh requires: vm_ref
 * or virsh_migrate_desturi given empty (a blank param is unset to the declared
 * tables, so the case's own text is read).  virsh's refusal, or NULL. */
static const char *virsh_usage(const struct params *p)
{
    const char *ref = params_get(p, "vm_ref"), *uri = params_get(p, "virsh_migrate_desturi");
    if (ref && !*ref)
        return "command 'migrate' requires <domain> option";
    if (uri && !*uri)
        return "command 'migrate' requires <desturi> option";
    return NULL;
}

/* The reference's other negative cases, met where virsh meets them, after the
 * guest is up: vm_ref naming no domain of the source (virsh: "failed to get
 * domain"), a virsh_migrate_desturi that is no URI ('xyz': the connection fails;
 * the runner keeps the settings' destination for it).  1: not such a case, go on;
 * else refused()'s result. */
static int negative_call(struct run_ctx *ctx, struct vmig_state *st, const struct mig_expect *e)
{
    const char *ref = params_get(ctx->params, "vm_ref");
    const char *uri = params_get(ctx->params, "virsh_migrate_desturi");
    int rc = 1;

    if (ref && *ref && strcmp(ref, params_get_or(ctx->params, "main_vm", ""))) {
        enum be_state state;
        bool persistent;
        if (virt_vms_domain(&st->vms, 0, ref, &state, &persistent) < 0)
            return run_error(ctx, "TestSetupError", "vm_ref: %s", err_msg());
        if (state != BE_STATE_NONE)
            return run_error(ctx, "ConfigError", "vm_ref = '%s' names another domain of "
                             "the source: migrating it is not built", ref);
        char *msg = xasprintf("failed to get domain '%s'", ref);
        rc = refused(ctx, e, "virsh migrate of another name", msg);
        free(msg);
    } else if (uri && *uri && !strchr(uri, ':')) {
        if (virt_vms_open_uri(&st->vms, uri) == 0)
            return run_error(ctx, "ConfigError", "virsh_migrate_desturi = '%s' connects: "
                             "a destination other than the hosts' is not built", uri);
        char *msg = xasprintf("failed to connect to the hypervisor\nerror: %s", err_msg());
        rc = refused(ctx, e, "virsh migrate to that URI", msg);
        free(msg);
    }
    return rc;
}

/* --unsafe with a cache mode libvirt calls unsafe: before libvirt 5.6 / QEMU 4.0
 * the reference migrates without --unsafe first (must fail), then with it.  Those
 * versions are not built: such a host is an ERROR; newer ones migrate once, as the
 * reference does there.  0 or -1 with the test's error set. */
static int unsafe_retry(struct run_ctx *ctx, const struct vmig_opts *o, struct vmig_state *st)
{
    struct be_host_info info;
    int rc = 0;

    if (o->disk_cache == 0 || o->disk_cache == 4 || !words_have(o, "--unsafe"))
        return 0;                   /* none, directsync: safe */
    if (virt_vms_host_info(&st->vms, 0, &info) < 0)
        return run_error(ctx, "TestSetupError", "source host: %s", err_msg());
    if (info.libvirt_version < 5006000 || info.hv_version < 4000000)
        rc = run_error(ctx, "ConfigError", "--unsafe with cache %s on libvirt %llu / QEMU "
                       "%llu (before 5.6 / 4.0): the reference's migration without "
                       "--unsafe first is not built", disk_cache_words[o->disk_cache].word,
                       info.libvirt_version, info.hv_version);
    be_host_info_free(&info);
    return rc;
}

/* xml_option: the reference's --xml.  Without --dname (and no --xml of the case's
 * own) a NIC is attached to the guest first and its definition passed, so the
 * destination must show the NIC; with --dname the definition is passed as is or
 * renamed to vm_new_name.  It is kept with the results (<domain>.dest.xml).  0, or
 * -1 with the test's error set. */
static int prepare_xml(struct run_ctx *ctx, const struct vmig_opts *o, struct vmig_state *st,
                       size_t i, struct be_migrate_opts *mo)
{
    const char *extra = o->extra ? o->extra : "";
    bool dname = strstr(extra, "--dname") != NULL;
    char *def, *path;
    FILE *f;

    if (!o->xml_option || (!dname && strstr(extra, "--xml")))
        return 0;
    if (!dname && virt_vms_attach_nic(&st->vms, i, &st->xml_mac) < 0)
        return run_error(ctx, "TestSetupError", "Attaching nic to %s failed: %s",
                         st->vms.vm[i].name, err_msg());
    def = virt_vms_migratable_def(&st->vms, i, dname ? o->vm_new_name : NULL);
    if (!def)
        return run_error(ctx, "TestSetupError", "--xml: %s", err_msg());
    path = xasprintf("%s/%s.dest.xml", ctx->outdir, st->vms.vm[i].domain);
    if ((f = fopen(path, "w"))) {
        fputs(def, f);
        fclose(f);
    }
    run_log(ctx, "--xml %s%s%s", path, st->xml_mac ? ": with a NIC " : "",
            st->xml_mac ? st->xml_mac : "");
    mig_opts_add_text(mo, BE_MP_DEST_XML, def);
    free(path);
    free(def);
    return 0;
}

/* virsh_postcopy_cmd: stress in the guest (the reference's VMStress: an error when it
 * cannot run), migrate_speed for precopy and postcopy, and migrate-postcopy once the
 * job runs: vtrun switches 3 s into the hop (be_migrate's postcopy timeout action),
 * where the reference waits for the destination's paused domain.  0 or -1 with the
 * test's error set. */
static int postcopy_setup(struct run_ctx *ctx, const struct vmig_opts *o, struct vmig_state *st,
                          size_t i, struct be_migrate_opts *mo)
{
    struct mig_meminfo mi = { 0 };
    struct strbuf out = STRBUF_INIT;
    char **argv, *script = NULL, *w;
    int status = -1, rc = -1;

    if (!o->postcopy_cmd)
        return 0;
    if (!(mo->flags & BE_MIG_POSTCOPY))
        return run_error(ctx, "ConfigError", "virsh_postcopy_cmd without --postcopy");
    argv = mig_stress_argv(o->stress_tool, o->stress_args, NULL, &mi, 0, true);
    if (argv)
        script = mig_stress_start_script(argv, "vtrun-vmig");
    if (!script || virt_vms_exec(&st->vms, i, script, 60, &out, &status) < 0)
        rc = run_error(ctx, "StressError", "stress in the guest: %s", err_msg());
    else if (status || !strstr(out.buf, "started"))
        rc = run_error(ctx, "StressError", "stress in the guest: exit %d: %s", status,
                       out.buf);
    else
        rc = 0;
    mig_stress_argv_free(argv);
    free(script);
    strbuf_release(&out);
    if (rc < 0)
        return -1;
    run_log(ctx, "stress in the guest: %s %s", o->stress_tool, o->stress_args);
    mo->bandwidth_mib = (unsigned long)o->migrate_speed;
    w = xasprintf("--postcopy-bandwidth %ld", o->migrate_speed);
    rc = mig_opts_parse(w, mo);
    free(w);
    if (rc < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    /* one deadline action per hop: the switch takes the place of a --timeout of the
     * case's (the reference's virsh would also suspend at it, once in postcopy) */
    if (mo->timeout_s > 0)
        run_log(ctx, "migrate-postcopy at 3 s replaces --timeout %g", mo->timeout_s);
    mo->timeout_s = 3;
    mo->timeout_action = BE_TIMEOUT_POSTCOPY;
    double end = clock_now() + (double)o->postcopy_timeout;
    if (!mo->hard_deadline || end < mo->hard_deadline)
        mo->hard_deadline = end;
    return 0;
}

/* --dname dest_exist_vm: the reference defines a domain of that name on the
 * destination first (a copy of the guest's definition, its own UUID), so the hop
 * meets an existing name.  Cleanup removes it with the --dname name. */
static int define_dest_exist(struct run_ctx *ctx, const struct vmig_opts *o,
                             struct vmig_state *st, size_t i,
                             const struct be_migrate_opts *mo)
{
    const char *dname = mig_opts_param_value(mo, BE_MP_DEST_NAME);
    if (!o->extra || !strstr(o->extra, "dest_exist_vm") || !dname)
        return 0;
    free(st->renamed);
    st->renamed = xstrdup(dname);
    if (virt_vms_define_as(&st->vms, i, 1, dname) < 0)
        return run_error(ctx, "TestSetupError", "define %s on the destination: %s", dname,
                         err_msg());
    return 0;
}

static int vmig_run(struct run_ctx *ctx)
{
    const struct vmig_opts *o = ctx->opts;
    struct vmig_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct mig_expect e = { .status_error = o->status_error, .err_msg = o->err_msg,
                            .cancel_unsupported = !o->unsupported_conf };
    struct be_migrate_opts mo = { 0 }, back = { 0 };
    double up = -1;
    bool suspended = false;
    int rc = -1;

    const char *usage = o->usage[0] ? o->usage : virsh_usage(ctx->params);
    if (usage)
        return refused(ctx, &e, "virsh migrate refuses its words", usage) < 0 ? -1 : 0;
    if ((rc = call_opts(ctx, o, 1, &mo)) == -2) {
        /* virsh fails before the call (tp-libvirt's there_xml_nonexist) */
        const char *m = err_msg();
        rc = refused(ctx, &e, "virsh migrate cannot read its file",
                     strncmp(m, "error: ", 7) ? m : m + 7);
        goto out;
    }
    if (rc < 0 || call_opts(ctx, o, 0, &back) < 0) {
        rc = run_error(ctx, "ConfigError", "%s", err_msg());
        goto out;
    }
    if (guest_edits(ctx, o, st, vms->vm[i].spec) < 0 ||
        scsi_disk(ctx, o, st, vms->vm[i].spec) < 0) {
        rc = -1;
        goto out;
    }
    if (virt_vms_start(vms, i, 0) < 0) {
        rc = run_error(ctx, "VMCreateError", "%s", err_msg());
        goto out;
    }
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0) {
        rc = run_error(ctx, "LoginError", "before migration: %s", err_msg());
        goto out;
    }
    if (vcpu_steps(ctx, o, st, i, true) < 0 || mem_hotplug(ctx, o, st, i) < 0) {
        rc = -1;
        goto out;
    }
    if (virt_vms_uptime(vms, i, &up) < 0) {
        rc = run_error(ctx, "LoginError", "before migration: %s", err_msg());
        goto out;
    }
    if (o->src_state == MIG_DOM_PAUSED && virt_vms_suspend(vms, i) < 0) {
        rc = run_error(ctx, "TestSetupError", "pause the source VM: %s", err_msg());
        goto out;
    }
    if (o->src_state == MIG_DOM_SHUTOFF && virt_vms_stop(vms, i) < 0) {
        rc = run_error(ctx, "TestSetupError", "shut the source VM off: %s", err_msg());
        goto out;
    }
    if (o->src_state != MIG_DOM_RUNNING)
        up = -1;                    /* not comparable after a pause or a boot */
    if (unsafe_retry(ctx, o, st) < 0) {
        rc = -1;
        goto out;
    }
    if (postcopy_setup(ctx, o, st, i, &mo) < 0 || prepare_xml(ctx, o, st, i, &mo) < 0) {
        rc = -1;
        goto out;
    }
    if (define_dest_exist(ctx, o, st, i, &mo) < 0) {
        rc = -1;
        goto out;
    }
    if (!o->libvirtd_state && source_daemon_off(ctx, st) < 0) {
        rc = -1;
        goto out;
    }
    delay(ctx, o->delay);
    if ((rc = negative_call(ctx, st, &e)) <= 0)
        goto out;
    rc = call(ctx, st, i, 0, 1, 1, &e, &mo, &suspended);
    if (st->daemon)
        source_daemon_back(ctx, st);
    if (rc <= 0)
        goto out;
    if (o->postcopy_cmd && !st->postcopy) {
        rc = run_fail(ctx, "MigrationError", "migrate-postcopy: the hop completed "
                      "without switching to postcopy");
        goto out;
    }
    /* virsh_migrate.py looks at the source only when the case says --timeout-suspend
     * (not after a bare --timeout, whose action is the same) */
    bool check_src = mo.timeout_action == BE_TIMEOUT_SUSPEND &&
                     words_have(o, "--timeout-suspend");
    if (after(ctx, st, i, 0, 1, &mo, (enum mig_dom_state)o->dest_state, check_src,
              suspended, &up) < 0) {
        rc = -1;
        goto out;
    }
    /* --xml's NIC on the destination (the reference's check_dest_xml) */
    if (st->xml_mac) {
        int has = virt_vms_has_mac(vms, 1, vms->vm[i].domain, st->xml_mac);
        if (has <= 0) {
            rc = has < 0 ? run_error(ctx, "PostMigrationCheck", "--xml: %s", err_msg()) :
                 run_fail(ctx, "PostMigrationCheck", "Wrong xml configuration on "
                          "destination: no NIC %s", st->xml_mac);
            goto out;
        }
        run_log(ctx, "--xml: NIC %s on the destination", st->xml_mac);
    }
    /* the guest's memory still on huge pages where it runs now */
    if (vms->vm[i].spec->hugepages.on && o->dest_state == MIG_DOM_RUNNING) {
        int on = virt_vms_on_hugepages(vms, 1, vms->vm[i].domain);
        if (on <= 0) {
            rc = on < 0 ? run_error(ctx, "PostMigrationCheck", "huge pages: %s", err_msg()) :
                 run_fail(ctx, "PostMigrationCheck", "the guest's memory is not on huge "
                          "pages on the destination");
            goto out;
        }
        run_log(ctx, "memory backing: huge pages on the destination");
    }
    rc = 0;
    if (o->back && o->dest_state == MIG_DOM_RUNNING) {
        /* back the same way; it must work whatever the first call was expected to do */
        struct mig_expect again = { .cancel_unsupported = true };
        delay(ctx, o->delay);
        rc = call(ctx, st, i, 1, 0, 2, &again, &back, &suspended);
        if (rc > 0)
            rc = after(ctx, st, i, 1, 0, &back, (enum mig_dom_state)o->dest_state,
                       check_src, suspended, &up);
    }
    /* after the hop(s), where the guest is then, when it runs there */
    if (rc >= 0 && o->dest_state == MIG_DOM_RUNNING && vcpu_steps(ctx, o, st, i, false) < 0)
        rc = -1;
out:
    mig_opts_release(&mo);
    mig_opts_release(&back);
    return rc < 0 ? -1 : 0;
}

const struct run_type run_type_virsh_migrate = {
    .name = "virsh_migrate",
    .summary = "tp-libvirt's one-shot virsh migrate: one VM, one hop with the case's "
               "virsh words, judged by status_error / err_msg, checked after, optionally "
               "back",
    .needs = { .vms = 1, .hosts = 2, .rows_last = vmig_needs_last },
    .params = vmig_params,
    .opts_size = sizeof(struct vmig_opts),
    .check = vmig_check,
    .setup = vmig_setup,
    .run = vmig_run,
    .cleanup = vmig_cleanup,
};

/* ===================================================================================
 * virsh_migration: tp-libvirt's libvirt/tests/src/virsh_cmd/domain/virsh_migration.py
 * ===================================================================================
 * Every VM of `vms` starts on the source and migrates, one after another, with the
 * words of migrate_options; with migrate_postcopy the hop switches to postcopy as the
 * reference does (virsh migrate-postcopy 3 s after the migration started).  Any failure
 * FAILs (MigrationTest.do_migration); after it each VM must be in migrate_vm_state on the
 * destination (default running: the reference says so for the offline variant too), with
 * the checks after a hop of virsh_migrate.
 */

struct vmn_opts {
    const char *options;
    const char *postcopy;           /* migrate_postcopy: any value switches */
    int vm_state;                   /* enum mig_dom_state */
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct vmn_opts, __VA_ARGS__)
static const struct run_param vmn_params[] = {
    { "migrate_options", AT(STR, options),
      .doc = "virsh migrate option words (migration/mig.h)" },
    { "migrate_postcopy", AT(STR, postcopy),
      .doc = "set: switch the hop to postcopy 3 s after it started (migrate-postcopy)" },
    { "migrate_vm_state", AT(ENUM, vm_state, mig_dom_state_words), .def = "running",
      .doc = "state expected on the destination after the hop" },
    { NULL },
};
#undef AT

static int vmn_check(const struct run_common *c, void *opts)
{
    struct vmn_opts *o = opts;
    struct be_migrate_opts mo = { 0 };
    int rc = mig_opts_parse(o->options, &mo);

    (void)c;
    if (rc < 0)
        err_prefix("migrate_options = '%s'", o->options ? o->options : "");
    else if (o->postcopy && !(mo.flags & BE_MIG_POSTCOPY)) {
        err_set("migrate_postcopy without --postcopy in migrate_options");
        rc = -1;
    }
    mig_opts_release(&mo);
    return rc;
}

static int vmn_run(struct run_ctx *ctx)
{
    const struct vmn_opts *o = ctx->opts;
    struct vmig_state *st = ctx->data;
    struct mig_expect e = { .status_error = false };
    int rc = 0;

    for (size_t i = 0; i < st->vms.n && rc == 0; i++) {
        struct be_migrate_opts mo = { 0 };
        double up = -1;
        bool suspended = false;

        if (mig_opts_parse(o->options, &mo) < 0) {
            rc = run_error(ctx, "ConfigError", "%s", err_msg());
            break;
        }
        if (o->postcopy) {
            mo.timeout_s = 3;
            mo.timeout_action = BE_TIMEOUT_POSTCOPY;
        }
        mo.cancel = ctx->cancel;
        mo.hard_deadline = ctx->deadline;
        if (virt_vms_start(&st->vms, i, 0) < 0)
            rc = run_error(ctx, "VMCreateError", "%s", err_msg());
        else if (virt_vms_wait_login(&st->vms, i, ctx->common->login_timeout) < 0 ||
                 virt_vms_uptime(&st->vms, i, &up) < 0)
            rc = run_error(ctx, "LoginError", "before migration: %s", err_msg());
        else if ((rc = call(ctx, st, i, 0, 1, (unsigned)i + 1, &e, &mo, &suspended)) > 0)
            rc = after(ctx, st, i, 0, 1, &mo, (enum mig_dom_state)o->vm_state, false,
                       suspended, &up);
        else if (rc == 0)
            rc = -1;                /* cannot be: nothing is expected to fail */
        mig_opts_release(&mo);
    }
    return rc < 0 ? -1 : 0;
}

const struct run_type run_type_virsh_migration = {
    .name = "virsh_migration",
    .summary = "tp-libvirt's virsh_migration: every VM migrates once with "
               "migrate_options, optionally switched to postcopy, checked after",
    .needs = { .vms = 1, .hosts = 2 },
    .params = vmn_params,
    .opts_size = sizeof(struct vmn_opts),
    .check = vmn_check,
    .setup = vmig_setup,
    .run = vmn_run,
    .cleanup = vmig_cleanup,
};
