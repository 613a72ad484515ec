/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migrate_vm`: tp-libvirt's legacy grab-bag
 * libvirt/tests/src/migration/migrate_vm.py, the scenarios vtrun builds.
 *
 * As the reference does it: the VM starts on the source and is logged into (pause_vm:
 * then paused); `virsh migrate VM virsh_options[ postcopy_options] DESTURI` with
 * DESTURI = qemu+TRANSPORT://TARGET[uri_port]/uri_path, TARGET being target_ip, else
 * server_cn, else server_ip (the reference's order for IPv4); the result judged by
 * status_error / err_msg (check_output: the expected error must match err_msg when
 * one is given; a known "unsupported" error CANCELs).  After a migration that
 * succeeded: pause_vm -> the domain is paused on the destination (the reference's
 * check), else running there; migrate_vm_back -> the same virsh migrate from the
 * destination back to migration_source_uri, which must succeed.
 *
 * run_migrate_cmd_in_back (at set_migration_speed): with check_complete_job the
 * migration must complete and `virsh domjobinfo --completed` of both hosts agree
 * (default_cache: the compression cache shown; migrate-compcache before it when the
 * case asks); else the job must start (abort_job: virsh domjobabort's error must match
 * err_msg) and domjobabort ends it, as the reference's cleanup ends what it left
 * running.  nfs_mount_dir given empty keeps the guest's disk in the source's own image
 * directory.
 *
 * The destination URI is what the source's daemon dials (--p2p, --tunnelled); without
 * --p2p vtrun's own client connection to the destination (the settings' URI of the
 * second host) drives the migration, where virsh would open DESTURI from the source.
 * The reference's `--verbose` output pattern (".*100 %") is the migration's success.
 *
 * Before the start, the guest's definition edited as the reference does
 * (type_migrate_vm_xml.c): custom_cpu (cpu_model_name + cpu_vendor; a model the
 * hypervisor lists usable='no' CANCELs, a failed start CANCELs when
 * start_filter_string matches, else FAILs) and the cdrom/floppy disks of
 * startup_policy on images made on the shared storage.  with_io_throttling
 * (type_migrate_vm_io.c): blkdeviotune before, target_qemu_filter after.  In the
 * background, a real `virsh migrate` on this machine: ctrl_c SIGKILLs it (the source's
 * domain state checked), restart_src_libvirtd restarts the source's daemon under it
 * (restart_vm: the guest destroyed, started, logged into).
 *
 * What the hosts inherently lack (SELinux booleans, RHEL releases, a second CPU
 * vendor, a guest installed beforehand on the destination) CANCELs naming it; the
 * reference's other setups (stress in the guest, migrate_disks, attached local disks,
 * ...) are an ERROR naming the param, decided before any VM starts.
 * type_migrate_vm_stor.c builds create_target_image, stress_on_host,
 * stop_libvirtd_remotely and su_user.
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_virsh.h"
#include "runner/run_vmconf.h"
#include "runner/run_type.h"
#include "runner/type_migrate_vm.h"
#include "virt/virt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mvm_opts {
    const char *options, *postcopy;     /* virsh_options, postcopy_options */
    const char *transport, *uri_port, *uri_path, *driver;
    const char *target_ip, *server_ip, *server_cn, *client_cn;
    const char *client_ifname, *server_ifname;
    const char *source_uri;             /* migration_source_uri: the way back */
    const char *err_msg;
    bool status_error, back, pause_vm;
    double timeout;                     /* migration_timeout, seconds */
    long speed;                         /* set_migration_speed, MiB/s; 0: none */
    bool in_back, abort_job, complete_job, get_cache;
    const char *cache_size;             /* set_migrate_compcache_size, bytes */
    const char *default_cache;          /* "64.000 MiB": in the completed job info */
    long main_vm;
    /* custom_cpu() when cpu_model_name and cpu_vendor are both given */
    const char *cpu_mode, *cpu_match, *cpu_model, *cpu_fallback, *cpu_vendor;
    const char *cpu_features;           /* cpu_feature_dict */
    const char *start_filter;           /* start_filter_string: a failed start CANCELs */
    /* add_disk_xml(): cdrom and floppy disks attached --config before the start */
    const char *cdrom, *floppy;         /* cdrom_device_type, floppy_device_type */
    const char *cdrom_size, *floppy_size;
    const char *policy, *disk_source, *cdrom_disk_type;
    const char *qemu_filter;            /* target_qemu_filter: on the destination after */
    const char *blkdevio_dev;
    bool ctrl_c, check_state;           /* ctrl_c, check_domain_state */
    bool restart_src, restart_vm;       /* restart_src_libvirtd, restart_vm */
    const char *expected_state;         /* expected_domain_state */
    double delay;                       /* delay_time, seconds */           /* blkdevio_device (the limits: type_migrate_vm_io.c) */
    /* type_migrate_vm_stor.c reads them from the params; declared for their docs */
    bool target_image, no_pool;         /* create_target_image, no_create_pool */
    const char *pool_name, *pool_type, *image_format, *image_size, *image_source;
    bool stress;                        /* enable_stress_test */
    const char *stress_type, *stress_args, *disk_cache;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct mvm_opts, __VA_ARGS__)
static const struct run_param mvm_params[] = {
    { "virsh_options", AT(STR, options), .def = "--verbose --live",
      .doc = "virsh migrate option words (migration/mig.h)" },
    { "postcopy_options", AT(STR, postcopy),
      .doc = "more words, added unless virsh_options holds them already" },
    { "transport", AT(STR, transport), .def = "ssh",
      .doc = "the destination URI's transport: qemu+TRANSPORT://" },
    { "uri_port", AT(STR, uri_port), .def = ":22", .doc = "':PORT' of the destination URI" },
    { "uri_path", AT(STR, uri_path), .def = "/system", .doc = "the destination URI's path" },
    { "test_driver", AT(STR, driver), .def = "qemu", .doc = "the destination URI's driver" },
    { "target_ip", AT(STR, target_ip),
      .doc = "the destination URI's host (over server_cn and server_ip)" },
    { "server_ip", AT(STR, server_ip), .doc = "the destination host's address" },
    { "server_cn", AT(STR, server_cn),
      .doc = "the destination's TLS certificate name; the URI's host when set" },
    { "client_cn", AT(STR, client_cn), .doc = "the source's TLS certificate name" },
    { "client_ifname", AT(STR, client_ifname),
      .doc = "the source's interface for IPv6 (a placeholder CANCELs, as the reference)" },
    { "server_ifname", AT(STR, server_ifname),
      .doc = "the destination's interface for IPv6 (a placeholder CANCELs)" },
    { "migration_source_uri", AT(STR, source_uri), .def = "qemu:///system",
      .doc = "the URI the way back migrates to (migrate_vm_back)" },
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_vm_back", AT(BOOL, back), .def = "no",
      .doc = "after the migration, migrate back from the destination" },
    { "pause_vm", AT(BOOL, pause_vm), .def = "no",
      .doc = "pause the guest before migrating; it must be paused on the destination" },
    { "migration_timeout", AT(FLOAT, timeout), RUN_PARAM_MIN(1), .def = "30",
      .unit = "seconds", .doc = "how long the virsh migrate command may run" },
    { "set_migration_speed", AT(INT, speed), RUN_PARAM_MIN(1), .unit = "MiB/s",
      .doc = "virsh migrate-setspeed before the migration" },
    { "run_migrate_cmd_in_back", AT(BOOL, in_back), .def = "no",
      .doc = "the migration runs in the background while the job is watched" },
    { "abort_job", AT(BOOL, abort_job), .def = "no",
      .doc = "in the background: virsh domjobabort once the job runs; the error must "
             "match err_msg" },
    { "check_complete_job", AT(BOOL, complete_job), .def = "no",
      .doc = "in the background: wait for the migration, then the completed job info "
             "of both hosts must agree" },
    { "get_migrate_compcache", AT(BOOL, get_cache), .def = "no",
      .doc = "virsh migrate-compcache before the migration" },
    { "set_migrate_compcache_size", AT(STR, cache_size), .unit = "bytes",
      .doc = "virsh migrate-compcache --size before the migration" },
    { "default_cache", AT(STR, default_cache),
      .doc = "'Compression cache: VALUE' must be in the source's completed job info" },
    { "cpu_model_name", AT(STR, cpu_model),
      .doc = "with cpu_vendor: the guest's <cpu> model (custom_cpu)" },
    { "cpu_vendor", AT(STR, cpu_vendor), .doc = "with cpu_model_name: the <cpu> vendor" },
    { "cpu_mode", AT(STR, cpu_mode), .def = "custom", .doc = "the <cpu> mode" },
    { "cpu_match", AT(STR, cpu_match), .def = "exact", .doc = "the <cpu> match" },
    { "cpu_model_fallback", AT(STR, cpu_fallback), .def = "allow",
      .doc = "the <cpu><model> fallback" },
    { "cpu_feature_dict", AT(STR, cpu_features), .def = "{}",
      .doc = "the <cpu> features, a Python dict: {'xsave': 'require'}" },
    { "start_filter_string", AT(REGEX, start_filter),
      .doc = "a failed start whose error matches this regex CANCELs (else FAIL)" },
    { "cdrom_device_type", AT(STR, cdrom),
      .doc = "cdrom: a cdrom disk (scsi sdb) attached --config before the start" },
    { "floppy_device_type", AT(STR, floppy),
      .doc = "floppy: a floppy disk (fdc fda) attached --config before the start" },
    { "cdrom_image_size", AT(STR, cdrom_size),
      .doc = "qemu-img size of the cdrom's raw image on the shared storage" },
    { "floppy_image_size", AT(STR, floppy_size),
      .doc = "qemu-img size of the floppy's raw image on the shared storage" },
    { "startup_policy", AT(STR, policy), .doc = "the added disks' startupPolicy" },
    { "disk_source_file", AT(STR, disk_source),
      .doc = "the first added disk's source (else virt_DEVICE.img on the shared storage)" },
    { "target_qemu_filter", AT(STR, qemu_filter),
      .doc = "'ps auxf | grep qemu-kvm | grep REGEX': after the migration a hypervisor "
             "process of the destination must match" },
    { "blkdevio_device", AT(STR, blkdevio_dev),
      .doc = "with a blkdevio_* limit: virsh blkdeviotune of this disk before migrating" },
    { "ctrl_c", AT(BOOL, ctrl_c), .def = "no",
      .doc = "in the background: the migrating virsh is killed (SIGKILL) delay_time "
             "seconds after it started" },
    { "restart_src_libvirtd", AT(BOOL, restart_src), .def = "no",
      .doc = "in the background: the source's libvirtd restarted while the migration "
             "runs" },
    { "restart_vm", AT(BOOL, restart_vm), .def = "no",
      .doc = "after that: the guest destroyed, started and logged into again" },
    { "delay_time", AT(FLOAT, delay), RUN_PARAM_MIN(0), .def = "10", .unit = "seconds",
      .doc = "ctrl_c: the wait before the kill and after it" },
    { "check_domain_state", AT(BOOL, check_state), .def = "no",
      .doc = "ctrl_c: then the source's domain state must be expected_domain_state" },
    { "expected_domain_state", AT(STR, expected_state),
      .doc = "the state virsh domstate must print (running)" },
    { "cdrom_disk_type", AT(STR, cdrom_disk_type),
      .doc = "the disk type of an added disk without an image size (file, block)" },
    { "create_target_image", AT(BOOL, target_image), .def = "no",
      .doc = "pre-create the storage target on the destination (a pool, else an image)" },
    { "target_pool_name", AT(STR, pool_name),
      .doc = "with create_target_image: the destination's pool over the disk's directory" },
    { "target_pool_type", AT(STR, pool_type), .def = "dir", .doc = "that pool's type" },
    { "no_create_pool", AT(BOOL, no_pool), .def = "no",
      .doc = "with create_target_image: no pool, the image made by qemu-img create" },
    { "target_image_format", AT(STR, image_format),
      .doc = "the pre-created image's format (else the source image's)" },
    { "target_image_size", AT(STR, image_size),
      .doc = "the pre-created image's size (else the source image's virtual size)" },
    { "target_image_source", AT(STR, image_source),
      .doc = "the pre-created image's path (else the guest's first disk's)" },
    { "enable_stress_test", AT(BOOL, stress), .def = "no",
      .doc = "stress during the migration (stress_type, stress_args)" },
    { "stress_type", AT(STR, stress_type),
      .doc = "stress_on_host: `stress stress_args` on the source host" },
    { "stress_args", AT(STR, stress_args), .doc = "the stress tool's words" },
    { "disk_driver_cache", AT(STR, disk_cache), .def = "none",
      .doc = "the cache mode of the guest's first disk" },
    { NULL },
};
#undef AT

/* The migration's words: virsh_options, then postcopy_options unless already in. */
char *mvm_words(const char *options, const char *postcopy)
{
    const char *o = options ? options : "";
    if (postcopy && *postcopy && !strstr(o, postcopy))
        return xasprintf("%s %s", o, postcopy);
    return xstrdup(o);
}

/* The reference's desturi: DRIVER+TRANSPORT://TARGET[uri_port]URI_PATH, TARGET being
 * target_ip, else server_cn, else server_ip. */
char *mvm_desturi(const char *driver, const char *transport, const char *target_ip,
                  const char *server_cn, const char *server_ip, const char *uri_port,
                  const char *uri_path)
{
    const char *host = target_ip && *target_ip ? target_ip
                       : server_cn && *server_cn ? server_cn
                       : server_ip ? server_ip : "";
    return xasprintf("%s+%s://%s%s%s", driver, transport, host, uri_port ? uri_port : "",
                     uri_path ? uri_path : "");
}

/* ---- needs ---------------------------------------------------------------------- */

/* What the hosts inherently lack, or cases the reference cancels itself. */
static const struct run_need mvm_needs[] = {
    { "selinux", .capability = "selinux",
      .when = { { "remote_boolean_value", .eq = "off" } },
      .text = "SELinux on the destination (the case turns its virt_use_nfs boolean off)" },
    { "rhel_release", .when = { { "os_ver_from" }, { "os_ver_to" } },
      .text = "RHEL hosts of the releases the case names in os_ver_from / os_ver_to "
              "(/etc/redhat-release; tp-libvirt cancels on others)" },
    { "cpu_vendor", .when = { { "diff_cpu_vendor", .eq = "yes" } },
      .text = "hosts of different CPU vendors (tp-libvirt cancels: the lab's hosts share "
              "one CPU)" },
    { "guest_yum", .when = { { "no_swap", .eq = "yes" },
                             { "stress_type", .eq = "iozone_in_vms" },
                             { "stress_type", .eq = "stress_in_vms" } },
      .text = "a guest with yum (the case installs numactl or patch in the guest for its "
              "load; the lab's busybox guest has no package manager)" },
    { "guest_watchdog_module", .when = { { "watchdog_model", .eq = "ib700" },
                                         { "watchdog_model", .eq = "i6300esb" } },
      .text = "a guest with the watchdog's kernel module (prepare_guest_watchdog runs "
              "modprobe ib700wdt / i6300esb in the guest; the busybox guest's initrd "
              "ships only virtio and scsi modules)" },
    { "netperf", .capability = "netperf", .when = { { "netperf_network", .eq = "yes" } },
      .text = "netperf and netserver on both hosts (the case installs them with the "
              "hosts' package manager and stops firewalld)" },
    { "virbr0", .capability = "virbr0",
      .when = { { "attach_iface_options", .has = "--source virbr0" } },
      .text = "libvirt's default network bridge virbr0 on both hosts (the case attaches "
              "interfaces to it and fails when attach-interface does)" },
    { "remote_guest", .when = { { "target_vm_name" } },
      .text = "a guest installed on the destination beforehand (tp-libvirt cancels "
              "without it)" },
    { NULL },
};

/* The reference's setups vtrun does not build: a case with one set is an ERROR naming
 * it.  `unless`: the value that asks for nothing (NULL: "no"). */
static const struct {
    const char *param, *unless;
} mvm_unbuilt_rows[] = {
    { "block_ip_addr", "" },
    /* ctrl_c's check only: with ctrl_c it is built (mvm_unbuilt_param) */
    { "check_domain_state", NULL },
    { "max_down_time", "" },
    { "reboot_vm", NULL },
    { "cpu_set", NULL },
    { "driver_iothread", "" },
    { "enable_stress_test", NULL },
    { "netperf_network", NULL },
    { "gluster_disk", NULL },
    { "config_ipv6", NULL },
    { "nbd_port", "" },
    { "migrate_disks", NULL },
    { "disk_port", "" },
    { "create_target_image", NULL },
    { "local_disk_image", "" },
    { "guest_cmd", "" },
    { "attach_iface_times", "0" },
    { "del_vm_video_dev", NULL },
    { "iface_address", "" },
    { "sound_model", "" },
    { "watchdog_model", "" },
    { "smartcard_mode", "" },
    { "pm_suspend_target", "" },
    { "stop_libvirtd_remotely", NULL },
    { "restart_libvirtd_remotely", NULL },
    { "su_user", "" },
    { "host_uuid", "" },
    { "memtune_options", "" },
    { "update_disk_source", NULL },
    { "disk_shareable", NULL },
    { "mb_enable", NULL },
    { "iscsi_setup", NULL },
    { "create_local_disk_backfile_cmd", "" },
    { "new_disk_source", "" },
    { "run_cmd_in_vm", "" },
    { "check_image_size", NULL },
    /* in the guest: packages it installs (yum), so a need; on the hosts: netperf */
    { "no_swap", NULL },
    /* the host's own optical drive as the cdrom's source */
    { "pass_through_cdrom", NULL },
};

/* The first unbuilt param of p, or NULL; *val its value. */
const char *mvm_unbuilt_param(const struct params *p, const char **val)
{
    /* neither in front nor in the background: the disk-port thread */
    const char *front = params_get(p, "run_migrate_cmd_in_front");
    const char *back = params_get(p, "run_migrate_cmd_in_back");
    if (front && !strcmp(front, "no") && !(back && !strcmp(back, "yes"))) {
        *val = front;
        return "run_migrate_cmd_in_front";
    }
    /* storage copied to no image made beforehand: vtrun's migration makes the
     * destination's image itself (as tp-libvirt's prepare_disks_remote) */
    const char *opts = params_get(p, "virsh_options");
    const char *made = params_get(p, "create_target_image");
    if (opts && strstr(opts, "--copy-storage") && made && !strcmp(made, "no")) {
        *val = made;
        return "create_target_image";
    }
    const char *cc = params_get(p, "ctrl_c");
    bool ctrl_c = cc && !strcmp(cc, "yes");
    for (size_t k = 0; k < ARRAY_SIZE(mvm_unbuilt_rows); k++) {
        if (ctrl_c && !strcmp(mvm_unbuilt_rows[k].param, "check_domain_state"))
            continue;
        if (!strcmp(mvm_unbuilt_rows[k].param, "create_target_image") && mvm_stor_built(p))
            continue;
        if (!strcmp(mvm_unbuilt_rows[k].param, "enable_stress_test") && mvm_stress_built(p))
            continue;
        /* built in type_migrate_vm_stor.c */
        if (!strcmp(mvm_unbuilt_rows[k].param, "stop_libvirtd_remotely"))
            continue;
        if (!strcmp(mvm_unbuilt_rows[k].param, "su_user") && mvm_su_user_built(p))
            continue;
        const char *v = params_get(p, mvm_unbuilt_rows[k].param);
        const char *unless = mvm_unbuilt_rows[k].unless ? mvm_unbuilt_rows[k].unless : "no";
        if (!v || !*v || !strcmp(v, unless))
            continue;
        *val = v;
        return mvm_unbuilt_rows[k].param;
    }
    return NULL;
}

static bool mvm_unbuilt_applies(const struct params *p)
{
    const char *v;
    return mvm_unbuilt_param(p, &v) != NULL;
}

static int mvm_unbuilt_met(const struct run_need *n, const struct params *p,
                           struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = mvm_unbuilt_param(p, &v);
    (void)n, (void)f, (void)why;
    return run_tl_unbuilt_verdict("migrate_vm", param, v, p);
}

static const struct run_need mvm_needs_last[] = {
    { "not built", .applies = mvm_unbuilt_applies, .met = mvm_unbuilt_met,
      .met_doc = "a setup vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

/* ---- the test ------------------------------------------------------------------- */

static int mvm_check(const struct run_common *c, void *opts)
{
    struct mvm_opts *o = opts;
    struct be_migrate_opts mo = { 0 };
    char *words = mvm_words(o->options, o->postcopy);
    int rc = mig_opts_parse(words, &mo);
    if (rc == -1)           /* -2: virsh refuses the words, the case may expect it */
        err_prefix("virsh_options '%s'", words);
    mig_opts_release(&mo);
    free(words);
    if (rc == -1)
        return -1;
    struct mvm_features f;
    if (mvm_feature_dict(o->cpu_features, &f) < 0)
        return -1;
    mvm_features_release(&f);
    char **greps = o->qemu_filter && *o->qemu_filter ? mvm_filter_parse(o->qemu_filter)
                                                     : NULL;
    bool bad_filter = o->qemu_filter && *o->qemu_filter && !greps;
    params_strv_free(greps);
    if (bad_filter)
        return -1;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

/* A migration that failed before it started (virsh refused its words or a file),
 * judged as the reference's check_output: 0 expected, -1 the verdict set. */
static int mvm_refused(struct run_ctx *ctx, const struct mig_expect *e, const char *msg)
{
    return run_mig_refused(ctx, e, "virsh migrate refuses", msg);
}

/* One virsh migrate of VM i from `from` to `to`, the source's daemon dialling uri, at
 * speed MiB/s (0: unlimited), with the actions acts around it (NULL: none):
 * run_mig_hop's returns. */
static int mvm_hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int from, int to,
                   unsigned n, const char *uri, long speed, const struct mig_actions *acts,
                   const struct mig_expect *e)
{
    const struct mvm_opts *o = ctx->opts;
    struct be_migrate_opts mo = { 0 };
    char *words = mvm_words(o->options, o->postcopy);
    int rc = mig_opts_parse(words, &mo);
    free(words);
    if (rc == 0 && mig_opts_load_files(&mo) < 0)
        rc = -2;
    if (rc < 0) {
        rc = mvm_refused(ctx, e, err_msg());
        goto out;
    }
    if (mo.timeout_s > 0 && mo.timeout_action == BE_TIMEOUT_DEFAULT)
        mo.timeout_action = BE_TIMEOUT_SUSPEND;     /* virsh's default */
    mo.dest_uri = uri;
    mo.bandwidth_mib = speed > 0 ? (unsigned long)speed : 0;
    mo.cancel = ctx->cancel;
    double bound = run_now() + o->timeout;
    mo.hard_deadline = ctx->deadline && ctx->deadline < bound ? ctx->deadline : bound;
    run_log(ctx, "hop %u: desturi %s%s", n, uri, acts ? ", in the background" : "");
    if (acts) {
        struct run_tl_hop h = { .vms = vms, .vm = i, .from = from, .to = to, .n = n,
                                .expect = e, .opts = &mo, .acts = acts };
        rc = run_tl_hop(ctx, &h);
    } else {
        rc = run_mig_hop(ctx, vms, i, from, to, n, e, &mo, NULL);
    }
out:
    mig_opts_release(&mo);
    return rc;
}

/* The value of line "key: value" of virsh domjobinfo text, trimmed, into out. */
static bool jobinfo_value(const char *text, const char *key, size_t klen, struct strbuf *out)
{
    for (const char *l = text; l && *l;) {
        const char *end = strchrnul(l, '\n');
        const char *k = l + strspn(l, " \t");
        if ((size_t)(end - k) > klen && !strncmp(k, key, klen) && k[klen] == ':') {
            const char *v = k + klen + 1;
            v += strspn(v, " \t");
            const char *ve = end;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
                ve--;
            strbuf_reset(out);
            strbuf_add(out, v, (size_t)(ve - v));
            return true;
        }
        l = *end ? end + 1 : end;
    }
    return false;
}

int mvm_jobinfo_compare(const char *src, const char *dst, struct strbuf *why)
{
    static const char *const own[] = { "Time elapsed", "Time elapsed w/o network",
                                       "Operation" };
    struct strbuf sv = STRBUF_INIT, dv = STRBUF_INIT, key = STRBUF_INIT;
    int rc = 0;
    for (const char *l = src; *l && !rc;) {
        const char *end = strchrnul(l, '\n');
        const char *k = l + strspn(l, " \t");
        const char *colon = memchr(k, ':', (size_t)(end - k));
        l = *end ? end + 1 : end;
        if (!colon || colon == k)
            continue;
        strbuf_reset(&key);
        strbuf_add(&key, k, (size_t)(colon - k));
        if (!strcmp(key.buf, "Job type") || !strcmp(key.buf, "Expected downtime"))
            continue;
        if (!jobinfo_value(dst, key.buf, key.len, &dv)) {
            strbuf_addf(why, "The domjobinfo on target host does not has the field: '%s'",
                        key.buf);
            rc = -1;
            break;
        }
        bool skip = false;
        for (size_t m = 0; m < ARRAY_SIZE(own); m++)
            skip |= !strcmp(key.buf, own[m]);
        jobinfo_value(src, key.buf, key.len, &sv);
        if (!skip && strcmp(sv.buf, dv.buf)) {
            strbuf_addf(why, "The value '%s' for '%s' on source host should be equal to "
                        "the value '%s' on target host", sv.buf, key.buf, dv.buf);
            rc = -1;
        }
    }
    strbuf_release(&sv);
    strbuf_release(&dv);
    strbuf_release(&key);
    return rc;
}

/* check_complete_job: `virsh domjobinfo VM --completed` on both hosts; the source's
 * holds "Compression cache: default_cache" when the case names one, and both agree
 * (the reference's check_domjobinfo_on_complete).  0, or -1 with the verdict. */
static int mvm_completed_job(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    const struct mvm_opts *o = ctx->opts;
    const char *words[] = { "domjobinfo", vms->vm[i].domain, "--completed", NULL };
    struct run_virsh src = RUN_VIRSH_INIT, dst = RUN_VIRSH_INIT;
    struct strbuf why = STRBUF_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, 0, words, &src) < 0 || run_virsh_words(ctx, 1, words, &dst) < 0)
        rc = run_error(ctx, "TestSetupError", "virsh domjobinfo --completed: %s", err_msg());
    else if (src.status || dst.status)
        rc = run_fail(ctx, "JobInfo", "Failed to run 'virsh domjobinfo %s --completed' on "
                      "the %s: %s", vms->vm[i].domain, src.status ? "source" : "remote",
                      src.status ? src.err.buf : dst.err.buf);
    if (!rc && o->default_cache) {
        char *want = xasprintf("Compression cache: %s", o->default_cache);
        bool found = strstr(src.out.buf, want) != NULL;
        if (!found) {
            /* virsh pads the key: "Compression cache: " may be followed by blanks */
            struct strbuf v = STRBUF_INIT;
            found = jobinfo_value(src.out.buf, "Compression cache", 17, &v) &&
                    !strcmp(v.buf, o->default_cache);
            strbuf_release(&v);
        }
        free(want);
        if (!found)
            rc = run_fail(ctx, "JobInfo", "Failed to find default compression cache %s",
                          o->default_cache);
    }
    if (!rc && mvm_jobinfo_compare(src.out.buf, dst.out.buf, &why) < 0)
        rc = run_fail(ctx, "JobInfo", "%s", why.buf);
    if (!rc)
        run_log(ctx, "the completed job info of both hosts agrees");
    strbuf_release(&why);
    run_virsh_release(&src);
    run_virsh_release(&dst);
    return rc;
}

/* After a migration that succeeded: the domain paused on `to` (pause_vm), else
 * running there.  0, or -1 with the verdict. */
static int mvm_landed(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int to)
{
    const struct mvm_opts *o = ctx->opts;
    enum be_state st = BE_STATE_NONE, want = o->pause_vm ? BE_STATE_PAUSED : BE_STATE_RUNNING;
    bool persistent = false;
    if (virt_vms_domain(vms, to, vms->vm[i].domain, &st, &persistent) < 0)
        return run_error(ctx, "PostMigrationCheck", "domstate on %s: %s", ctx->hosts[to].name,
                         err_msg());
    if (st != want)
        return run_fail(ctx, "PostMigrationCheck", "the guest is %s on %s after the "
                        "migration, expected %s", be_state_name(st), ctx->hosts[to].name,
                        be_state_name(want));
    run_log(ctx, "the guest is %s on %s", be_state_name(st), ctx->hosts[to].name);
    return 0;
}

/* virsh migrate-compcache VM [--size N] on the source: logged, as the reference
 * does (the completed job info shows its effect). */
static void mvm_compcache(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                          const char *size)
{
    const char *words[] = { "migrate-compcache", vms->vm[i].domain, size ? "--size" : NULL,
                            size, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    if (run_virsh_words(ctx, 0, words, &r) < 0)
        run_log(ctx, "virsh migrate-compcache: %s", err_msg());
    run_virsh_release(&r);
}

/* run_migrate_cmd_in_back without check_complete_job: the job must run (the
 * reference's domjobinfo poll); the engine waits for it to start on the destination,
 * then virsh domjobabort ends it (abort_job: its error must match err_msg; else, as
 * the reference's cleanup ends the migration it left running, any end is fine). */
static int mvm_background(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                          const char *uri)
{
    const struct mvm_opts *o = ctx->opts;
    struct mig_actions acts = { 0 };
    struct mig_expect e = { .status_error = true,
                            .err_msg = o->abort_job ? o->err_msg : NULL };
    if (mig_act_parse("[{\"func\": \"virsh.domjobabort\"}]", &acts) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    int rc = mvm_hop(ctx, vms, i, 0, 1, 1, uri, o->speed, &acts, &e);
    mig_act_release(&acts);
    if (rc < 0)
        return -1;
    if (rc == 1 && o->abort_job)
        return run_fail(ctx, "MigrationError", "the migration completed before "
                        "domjobabort");
    run_log(ctx, "the migration job ran; %s", rc ? "it completed" : "domjobabort ended it");
    return 0;
}

/* The test's state: the VM set first (run_vmtype_* see it as theirs), the params it
 * was made from. */
struct mvm_state {
    struct virt_vms vms;
    struct params *params;
    char *images[2];            /* the added disks' images vtrun made (source host) */
    struct virt_hostops *ops;   /* the daemon restarted: started again if it stopped */
    struct mvm_extra extra;     /* type_migrate_vm_stor.c's pool, image, stress */
};

/* ---- the guest's XML edits before its start (custom_cpu, add_disk_xml) ------------- */

static bool mvm_custom_cpu(const struct mvm_opts *o)
{
    return o->cpu_model && *o->cpu_model && o->cpu_vendor && *o->cpu_vendor;
}

static bool mvm_edits(const struct mvm_opts *o)
{
    return mvm_custom_cpu(o) || (o->cdrom && *o->cdrom) || (o->floppy && *o->floppy);
}

/* The inactive definition of VM i on the source into *xml (replaced). */
static int mvm_dumpxml(struct run_ctx *ctx, const char *dom, char **xml)
{
    const char *dump[] = { "dumpxml", "--inactive", "--security-info", dom, NULL };
    char *out = NULL;
    if (run_vmconf_virsh(ctx, 0, dump, &out) < 0)
        return -1;
    free(*xml);
    *xml = out;
    return 0;
}

/* The lab's hypervisor must provide the case's model: one domcapabilities of the
 * guest's virt type lists as usable='no' (TCG lacks its features: the guest would run
 * a different CPU, or not boot) CANCELs naming it.  A model it does not list goes to
 * the start, where the reference's start_filter_string judges it.  0 go on, -1 the
 * verdict set. */
static int mvm_cpu_provided(struct run_ctx *ctx, const char *xml)
{
    const struct mvm_opts *o = ctx->opts;
    char *vt = mvm_xml_virt_type(xml);
    const char *words[] = { "domcapabilities", "--virttype", vt ? vt : "kvm", NULL };
    char *dcaps = NULL;
    int rc = 0;
    if (run_vmconf_virsh(ctx, 0, words, &dcaps) < 0)
        rc = run_error(ctx, "TestSetupError", "%s", err_msg());
    else if (mvm_cpu_usable(dcaps, o->cpu_model) == 0)
        rc = run_cancel(ctx, "needs cpu_model: a guest CPU %s the hypervisor provides "
                        "(domcapabilities of virt type %s on %s: usable='no')",
                        o->cpu_model, vt ? vt : "kvm", ctx->hosts[0].name);
    free(vt);
    free(dcaps);
    return rc;
}

/* custom_cpu(): the definition with the case's <cpu>; vmxml.sync() failing is the
 * reference's error. */
static int mvm_define_cpu(struct run_ctx *ctx, const char *dom, char **xml)
{
    const struct mvm_opts *o = ctx->opts;
    struct mvm_cpu c = { .mode = o->cpu_mode, .match = o->cpu_match, .model = o->cpu_model,
                         .fallback = o->cpu_fallback, .vendor = o->cpu_vendor };
    if (mvm_feature_dict(o->cpu_features, &c.features) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    char *edited = mvm_xml_cpu(*xml, &c);
    mvm_features_release(&c.features);
    if (!edited || run_vmconf_define(ctx, 0, dom, edited, false) < 0) {
        free(edited);
        return run_error(ctx, "TestSetupError", "custom CPU %s (%s): %s", o->cpu_model,
                         o->cpu_vendor, err_msg());
    }
    run_log(ctx, "the guest's CPU: %s %s, mode %s, match %s, fallback %s, features %s",
            o->cpu_vendor, o->cpu_model, o->cpu_mode, o->cpu_match, o->cpu_fallback,
            o->cpu_features);
    free(*xml);
    *xml = edited;
    return 0;
}

/* add_disk_xml() of device dev and its `virsh attach-device --config`: with a size,
 * the raw image made on the shared storage (the reference's NFS mount) first.  The
 * reference ignores the attach's status, so a definition libvirt refuses leaves the
 * guest without the disk (logged).  0, or -1 with the test's error. */
static int mvm_add_disk(struct run_ctx *ctx, struct mvm_state *st, const char *dom,
                        const char *dev, const char *size, const char *source, char **xml)
{
    const struct mvm_opts *o = ctx->opts;
    char *path = NULL;
    if (source && *source) {
        path = xstrdup(source);
    } else {
        const char *dir = ctx->hosts[0].shared_dir;
        if (!dir)
            return run_error(ctx, "TestSetupError", "the %s's image: host %s has no "
                             "shared_dir", dev, ctx->hosts[0].name);
        path = xasprintf("%s/virt_%s-%.7s-%u.img", dir, dev, ctx->job_id, ctx->slot);
    }
    if (size && *size) {
        struct virt_host *link = run_host_link(ctx, 0);
        if (!link || virt_image_create(link, path, "raw", size, &st->vms.conf.vctx) < 0) {
            int rc = run_error(ctx, "TestSetupError", "qemu-img create %s %s: %s", path,
                               size, err_msg());
            free(path);
            return rc;
        }
        st->images[!strcmp(dev, "floppy")] = xstrdup(path);
    }
    char *edited = mvm_xml_disk(*xml, dev, path, o->policy,
                                size && *size ? "file" : o->cdrom_disk_type);
    if (!edited) {
        int rc = run_cancel(ctx, "%s", err_msg());     /* add_disk_xml's test.cancel */
        free(path);
        return rc;
    }
    if (run_vmconf_define(ctx, 0, dom, edited, false) < 0) {
        run_log(ctx, "attach-device --config of the %s failed (the reference goes on): %s",
                dev, err_msg());
        free(edited);
    } else {
        run_log(ctx, "%s %s attached --config, startupPolicy %s", dev, path,
                o->policy && *o->policy ? o->policy : "(none)");
        free(*xml);
        *xml = edited;
    }
    free(path);
    return 0;
}

/* The guest defined with the reference's edits, started from that definition (a
 * failed start: CANCEL when start_filter_string matches its error, else FAIL, as
 * VMStartError does there) and logged into. */
static int mvm_start_edited(struct run_ctx *ctx, struct mvm_state *st, size_t i)
{
    const struct mvm_opts *o = ctx->opts;
    struct virt_vms *vms = &st->vms;
    const char *dom = vms->vm[i].domain;
    char *xml = NULL;
    int rc = 0;
    if (virt_vms_define(vms, i, 0) < 0 || mvm_dumpxml(ctx, dom, &xml) < 0) {
        free(xml);
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    }
    if (mvm_custom_cpu(o))
        rc = mvm_cpu_provided(ctx, xml) < 0 ? -1 : mvm_define_cpu(ctx, dom, &xml);
    const char *source = o->disk_source;
    if (rc == 0 && o->cdrom && *o->cdrom) {
        rc = mvm_add_disk(ctx, st, dom, o->cdrom, o->cdrom_size, source, &xml);
        source = NULL;      /* the reference's source_file is the first device's only */
    }
    if (rc == 0 && o->floppy && *o->floppy)
        rc = mvm_add_disk(ctx, st, dom, o->floppy, o->floppy_size, source, &xml);
    free(xml);
    if (rc < 0)
        return -1;
    if (virt_vms_start_defined(vms, i, 0) < 0) {
        char *why = xstrdup(err_msg());
        if (o->start_filter && mig_tl_search(o->start_filter, why) == 1)
            rc = run_cancel(ctx, "Failed to start VM: %s", why);
        else
            rc = run_fail(ctx, "VMStartError", "Failed to start VM: %s", why);
        free(why);
        return rc;
    }
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0) {
        if (run_should_stop(ctx))
            return -1;
        return run_error(ctx, "LoginError", "%s", err_msg());
    }
    return 0;
}

/* nfs_mount_dir given empty: the reference leaves the guest's disk in the source's own
 * image directory (it moves it to the NFS mount otherwise), so the clone goes to the
 * settings' images_dir of the source instead of the shared directory. */
static bool mvm_private_disk(const struct params *p)
{
    const char *nfs = params_get(p, "nfs_mount_dir");
    return nfs && !nfs[strspn(nfs, " \t")];
}

static int mvm_setup(struct run_ctx *ctx)
{
    struct mvm_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    st->params = params_dup(ctx->params);
    if (mvm_private_disk(ctx->params) && !params_get(st->params, "image_clone_dir"))
        params_set(st->params, "image_clone_dir", "images_dir");
    /* update_disk_driver(): the first disk's cache mode (none unless the case says) */
    const char *cache = params_get(ctx->params, "disk_driver_cache");
    if (cache && *cache)
        params_set(st->params, "drive_cache", cache);
    if (run_vmset_setup_params(ctx, &st->vms, st->params) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void mvm_cleanup(struct run_ctx *ctx)
{
    struct mvm_state *st = ctx->data;
    if (!st)
        return;
    struct virt_host *link = st->images[0] || st->images[1] ? run_host_link(ctx, 0) : NULL;
    for (size_t k = 0; k < ARRAY_SIZE(st->images); k++) {
        if (st->images[k] && link && virt_image_remove(link, st->images[k],
                                                       &st->vms.conf.vctx) < 0)
            run_log(ctx, "rm %s: %s", st->images[k], err_msg());
        free(st->images[k]);
    }
    mvm_extra_cleanup(ctx, &st->vms.conf.vctx, &st->extra);
    if (st->ops && virt_hostops_undo(st->ops) < 0)
        run_log(ctx, "undo: %s", err_msg());
    if (st->ops && mvm_yes(ctx->params, "stop_libvirtd_remotely"))
        virt_vms_reconnect(&st->vms, 1);    /* its daemon was stopped and started */
    if (st->ops)
        virt_hostops_free(st->ops);
    run_vmset_cleanup(ctx, &st->vms);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* virsh.blkdeviotune before the migration; libvirt.check_exit_status: it must
 * succeed. */
static int mvm_blkdevio(struct run_ctx *ctx, const char *dom)
{
    char **w = mvm_blkdevio_argv(ctx->params, dom);
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, 0, (const char *const *)w, &r) < 0)
        rc = run_error(ctx, "TestSetupError", "virsh blkdeviotune: %s", err_msg());
    else if (r.status)
        rc = run_fail(ctx, "CmdError", "virsh blkdeviotune %s failed: %s", dom, r.err.buf);
    else
        run_log(ctx, "virsh blkdeviotune %s:\n%s", dom, r.out.buf);
    run_virsh_release(&r);
    params_strv_free(w);
    return rc;
}

/* target_qemu_filter on the destination after the migration: a line must remain. */
static int mvm_qemu_filter(struct run_ctx *ctx, int h)
{
    const struct mvm_opts *o = ctx->opts;
    static const char *const ps[] = { "ps", "-eo", "args", NULL };
    struct strbuf out = STRBUF_INIT, kept = STRBUF_INIT;
    char **greps = mvm_filter_parse(o->qemu_filter);
    struct virt_host *link = run_host_link(ctx, h);
    int rc = 0, n;
    if (!greps || !link || virt_host_run(link, ps, 60, &out, NULL, NULL) < 0)
        rc = run_error(ctx, "TestSetupError", "target_qemu_filter: %s", err_msg());
    else if ((n = mvm_filter_apply(out.buf, greps, &kept)) < 0)
        rc = run_error(ctx, "ConfigError", "target_qemu_filter: %s", err_msg());
    else if (n == 0)
        rc = run_fail(ctx, "PostMigrationCheck", "Failed to run '%s' on remote: no "
                      "hypervisor process of %s matches", o->qemu_filter,
                      ctx->hosts[h].name);
    else
        run_log(ctx, "The filtered result:\n%s", kept.buf);
    params_strv_free(greps);
    strbuf_release(&out);
    strbuf_release(&kept);
    return rc;
}

/* time.sleep(s), cut short when the test is stopped. */
static void mvm_sleep(struct run_ctx *ctx, double s)
{
    for (double end = run_now() + s; run_now() < end && !run_should_stop(ctx);)
        clock_sleep(0.2);
}

/* `virsh migrate` of dom started on this machine as the reference Popens it, after
 * virsh.migrate_setspeed (set_migration_speed; its status unchecked there).  Without
 * --p2p the virsh client opens the destination itself: the settings' URI of the
 * second host, as mvm_hop; with it, uri.  NULL + err. */
static struct spawn *mvm_virsh_migrate(struct run_ctx *ctx, const char *dom, const char *uri,
                                       struct strbuf *out, struct strbuf *err)
{
    const struct mvm_opts *o = ctx->opts;
    char *words = mvm_words(o->options, o->postcopy);
    char **w = params_split(words);
    bool p2p = false;
    for (char **k = w; *k; k++)
        p2p |= !strcmp(*k, "--p2p");
    if (o->speed > 0) {
        char sp[32];
        snprintf(sp, sizeof(sp), "%ld", o->speed);
        const char *set[] = { "migrate-setspeed", dom, sp, NULL };
        if (run_vmconf_virsh(ctx, 0, set, NULL) < 0)
            run_log(ctx, "%s", err_msg());
    }
    struct spawn *c = spawn_newv((const char *[]){ "virsh", "-c", ctx->hosts[0].uri,
                                                   "migrate", NULL });
    for (char **k = w; *k; k++)
        spawn_arg(c, *k);
    spawn_args(c, dom, p2p ? uri : ctx->hosts[1].uri, NULL);
    spawn_set_output(c, out, err);
    spawn_set_pdeathsig(c, SIGKILL);
    if (spawn_start(c) < 0) {
        spawn_free(c);
        c = NULL;
    } else {
        run_log(ctx, "virsh migrate %s %s started (pid %d)", dom, words, (int)spawn_pid(c));
    }
    params_strv_free(w);
    free(words);
    return c;
}

/* ctrl_c: `virsh migrate` started on this machine (Popen there), killed with
 * SIGKILL (utils_misc.safe_kill) delay_time seconds later; after delay_time more the
 * source's domain must be in expected_domain_state (check_domain_state).  Its
 * domjobinfo poll only logs there, so is not run.  Without --p2p the virsh client
 * opens the destination itself: the settings' URI of the second host, as mvm_hop. */
static int mvm_ctrl_c(struct run_ctx *ctx, struct virt_vms *vms, size_t i, const char *uri)
{
    const struct mvm_opts *o = ctx->opts;
    const char *dom = vms->vm[i].domain;
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, state = STRBUF_INIT;
    struct spawn *c = mvm_virsh_migrate(ctx, dom, uri, &out, &err);
    int rc = 0;
    if (!c) {
        rc = run_error(ctx, "TestSetupError", "virsh migrate: %s", err_msg());
        goto out;
    }
    mvm_sleep(ctx, o->delay);
    if (!spawn_alive(c)) {
        spawn_wait(c, NULL);
        rc = run_fail(ctx, "MigrationError", "Migration process is dead: %s", err.buf);
        goto out;
    }
    if (spawn_stop(c, 0) < 0) {
        rc = run_error(ctx, "TestError", "Fail to cancel migration: %s", err_msg());
        goto out;
    }
    run_log(ctx, "Succeed to cancel migration (SIGKILL)");
    mvm_sleep(ctx, o->delay);
    if (run_should_stop(ctx)) {
        rc = -1;
        goto out;
    }
    if (o->check_state) {
        const char *ds[] = { "domstate", dom, NULL };
        char *st = NULL;
        if (run_vmconf_virsh(ctx, 0, ds, &st) < 0) {
            rc = run_error(ctx, "TestError", "%s", err_msg());
            goto out;
        }
        size_t len = strlen(st);
        while (len && (st[len - 1] == '\n' || st[len - 1] == ' '))
            len--;
        strbuf_add(&state, st, len);
        free(st);
        if (strcmp(state.buf, o->expected_state ? o->expected_state : ""))
            rc = run_fail(ctx, "StateError", "The domain state is not expected: %s",
                          state.buf);
        else
            run_log(ctx, "the domain is %s on the source", state.buf);
    }
out:
    if (c)
        spawn_stop(c, 0);
    spawn_free(c);
    strbuf_release(&out);
    strbuf_release(&err);
    strbuf_release(&state);
    return rc;
}

/* check_listening_port_remote_by_service(server_ip, ..., 'ssh', '22', listen_addr)
 * for the ssh transport: something listens on port 22 of the destination.  (The
 * reference reads port 22 for libvirtd too on other transports: not built.) */
static int mvm_ssh_listens(struct run_ctx *ctx, int h)
{
    static const char *const ss[] = { "ss", "-Htln", "sport", "=", ":22", NULL };
    struct strbuf out = STRBUF_INIT;
    struct virt_host *link = run_host_link(ctx, h);
    int rc = 0;
    if (!link || virt_host_run(link, ss, 30, &out, NULL, NULL) < 0)
        rc = run_error(ctx, "TestSetupError", "ss on %s: %s", ctx->hosts[h].name, err_msg());
    else if (!strstr(out.buf, "LISTEN"))
        rc = run_fail(ctx, "CheckError", "ssh does not listen on port 22 of %s",
                      ctx->hosts[h].name);
    strbuf_release(&out);
    return rc;
}

/* restart_src_libvirtd: virsh migrate Popen'ed (at set_migration_speed), delay_time
 * seconds, then utils_libvirtd.Libvirtd().restart() on the source while it runs;
 * restart_vm: vm.destroy(), vm.start(), vm.wait_for_login().  Nothing is judged of
 * the migration (run_migrate_cmd_in_front = no). */
static int mvm_restart_src(struct run_ctx *ctx, struct mvm_state *st, size_t i,
                           const char *uri)
{
    const struct mvm_opts *o = ctx->opts;
    struct virt_vms *vms = &st->vms;
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct virt_host *link = run_host_link(ctx, 0);
    int rc = 0;
    if (!strcmp(o->transport, "ssh") && mvm_ssh_listens(ctx, 1) < 0)
        return -1;
    struct spawn *c = mvm_virsh_migrate(ctx, vms->vm[i].domain, uri, &out, &err);
    if (!c || !link) {
        rc = run_error(ctx, "TestSetupError", "%s", err_msg());
        goto out;
    }
    mvm_sleep(ctx, o->delay);
    if (!st->ops)
        st->ops = virt_hostops_new("mvm", &vms->conf.vctx);
    if (virt_hostop_daemon(st->ops, link, "libvirtd", VIRT_DAEMON_RESTART, NULL) < 0) {
        rc = run_error(ctx, "TestError", "libvirtd restart on %s: %s", ctx->hosts[0].name,
                       err_msg());
        goto out;
    }
    run_log(ctx, "libvirtd restarted on %s while the migration ran", ctx->hosts[0].name);
    virt_vms_reconnect(vms, 0);
    if (o->restart_vm) {
        if (virt_vms_destroy(vms, i) < 0) {
            rc = run_error(ctx, "TestError", "vm.destroy(): %s", err_msg());
            goto out;
        }
        if (run_tl_start_on_source(ctx, vms, i) < 0) {     /* the verdict is set */
            rc = -1;
            goto out;
        }
        if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0) {
            rc = run_should_stop(ctx) ? -1 : run_error(ctx, "LoginError", "%s", err_msg());
            goto out;
        }
        run_log(ctx, "the guest was destroyed, started and logged into again");
    }
out:
    if (c) {
        spawn_stop(c, 0);
        run_log(ctx, "virsh migrate: %s", err.len ? err.buf : "(no error)");
    }
    spawn_free(c);
    strbuf_release(&out);
    strbuf_release(&err);
    return rc;
}

static int mvm_run(struct run_ctx *ctx)
{
    const struct mvm_opts *o = ctx->opts;
    struct mvm_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct mig_expect e = { .status_error = o->status_error, .err_msg = o->err_msg,
                            .cancel_unsupported = true };

    if (mvm_edits(o) ? mvm_start_edited(ctx, st, i) < 0
                     : run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (mvm_stor_built(ctx->params) && mvm_stor_prepare(ctx, vms, i, &st->extra) < 0)
        return -1;
    if (mvm_yes(ctx->params, "stop_libvirtd_remotely") &&
        mvm_stop_remote_daemon(ctx, vms, &st->ops) < 0)
        return -1;
    if (o->pause_vm && virt_vms_suspend(vms, i) < 0)
        return run_error(ctx, "TestSetupError", "Guest state should be paused after "
                         "started because of init guest state: %s", err_msg());
    if (o->get_cache)
        mvm_compcache(ctx, vms, i, NULL);
    if (mvm_blkdevio_wanted(ctx->params) && mvm_blkdevio(ctx, vms->vm[i].domain) < 0)
        return -1;
    if (mvm_stress_built(ctx->params) && mvm_stress_start(ctx, &st->extra) < 0)
        return -1;
    if (o->cache_size)
        mvm_compcache(ctx, vms, i, o->cache_size);
    char *uri = mvm_desturi(o->driver, o->transport, o->target_ip, o->server_cn,
                            o->server_ip, o->uri_port, o->uri_path);
    int rc;
    if (o->in_back && o->restart_src) {
        rc = mvm_restart_src(ctx, st, i, uri);
        free(uri);
        return rc;
    }
    if (o->in_back && o->ctrl_c) {
        rc = mvm_ctrl_c(ctx, vms, i, uri);
        free(uri);
        return rc;
    }
    if (o->in_back && !o->complete_job) {
        rc = mvm_background(ctx, vms, i, uri);
        free(uri);
        return rc;
    }
    if (params_get(ctx->params, "su_user") && *params_get(ctx->params, "su_user")) {
        char *words = mvm_words(o->options, o->postcopy);
        rc = mvm_su_user_migrate(ctx, vms->vm[i].domain, words, uri, &e, &st->extra);
        free(words);
        free(uri);
        return rc;
    }
    if (o->in_back)     /* check_complete_job: "Failed to run migration" otherwise */
        e = (struct mig_expect){ .cancel_unsupported = true };
    rc = mvm_hop(ctx, vms, i, 0, 1, 1, uri, o->speed, NULL, &e);
    free(uri);
    if (rc != 1)
        return rc < 0 ? -1 : 0;
    /* the reference's order: the filter, then the paused state */
    if (o->qemu_filter && *o->qemu_filter && mvm_qemu_filter(ctx, 1) < 0)
        return -1;
    if (mvm_landed(ctx, vms, i, 1) < 0)
        return -1;
    if (o->in_back && mvm_completed_job(ctx, vms, i) < 0)
        return -1;
    if (!o->back)
        return 0;
    struct mig_expect back = { .cancel_unsupported = false };
    rc = mvm_hop(ctx, vms, i, 1, 0, 2, o->source_uri, 0, NULL, &back);
    if (rc != 1)
        return rc < 0 ? -1 : run_fail(ctx, "MigrationError", "the migration back failed");
    return mvm_landed(ctx, vms, i, 0);
}

const struct run_type run_type_migrate_vm = {
    .name = "migrate_vm",
    .summary = "tp-libvirt's migrate_vm: virsh migrate over ssh/tcp/tls (live, p2p, "
               "tunnelled, listen address), judged by status_error/err_msg, paused guests, "
               "migration back, background migrations (timeout, job abort, completed job "
               "info, compression cache)",
    .needs = { .vms = 1, .hosts = 2, .rows = mvm_needs, .rows_last = mvm_needs_last },
    .params = mvm_params,
    .opts_size = sizeof(struct mvm_opts),
    .check = mvm_check,
    .setup = mvm_setup,
    .run = mvm_run,
    .cleanup = mvm_cleanup,
};
