/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The params every case has, whatever its type: the runner's own (timeouts, backend,
 * VMs, hosts) bound into struct run_common, and the per-VM and per-image params virt/
 * reads for its VM model, checked here so that a bad one stops the case before any
 * clone or VM exists (virt/ still reads them itself, from the object params).
 */
#include "runner/run_type.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

/* A number as text for a default, from virt/'s numeric default. */
#define DEFAULT_(x) #x
#define DEFAULT(x) DEFAULT_(x)

static int check_backend(const void *field)
{
    return virt_backend_check(*(const char *const *)field);
}

/* A VM's name becomes a domain name, file names, SSH known-hosts entries and the
 * suffix of its params (mem_vm2): letters, digits, '_', '.', '-' only, as every name
 * of avocado-vt's and tp-libvirt's configs is.  Anything else (`vms = "vm1 x;id;"`)
 * stops the case before a command could carry it anywhere. */
static int check_vm_names(const void *field)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "0123456789_.-";
    for (char *const *v = *(char *const *const *)field; v && *v; v++) {
        if (!**v || strspn(*v, ok) != strlen(*v) || (*v)[0] == '-' || (*v)[0] == '.') {
            err_set("VM name '%s': letters, digits, '_', '.' and '-' only, not first '-' "
                    "or '.'", *v);
            return -1;
        }
    }
    return 0;
}

static int check_clone_dir(const void *field)
{
    const char *v = *(const char *const *)field;
    if (v[0] == '/' || !strcmp(v, "images_dir") || !strcmp(v, "shared_dir"))
        return 0;
    err_set("a relative directory means nothing on a host");
    return -1;
}

static const struct params_word boot_mode_words[] = {
    { "cold", RUN_BOOT_COLD }, { "restore", RUN_BOOT_RESTORE }, { NULL, 0 },
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct run_common, __VA_ARGS__)

const struct run_param run_common_params[] = {
    { "test_timeout", AT(FLOAT, test_timeout), RUN_PARAM_MIN(0), .unit = "seconds",
      .doc = "seconds the test may run, cleanup apart; 0 = no limit "
             "[default: the settings' test_timeout]" },
    { "login_timeout", AT(FLOAT, login_timeout), .def = "240", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "seconds to wait for an SSH login into a guest" },
    { "vm_boot_mode", AT(ENUM, boot_mode, boot_mode_words), .def = "cold",
      .doc = "cold: each case boots its guests; restore (vtrun extension): a guest is "
             "booted and saved once in the image cache (beside its master image, keyed "
             "by what defines it) and later cases restore it, logged in at once; cases "
             "that test booting or reshape the guest's devices boot cold and say why" },
    { "vm_type", AT(STR, vm_type), .check = check_backend, .expect = "a backend",
      .doc = "the backend, libvirt or qemu [default: --backend, else the settings' "
             "backend]" },
    { "vms", AT(LIST, vms), .check = check_vm_names,
      .expect = "VM names of letters, digits, '_', '.', '-'",
      .doc = "the VMs of the test; per-VM params take the _<vm> suffix (mem_vm2)" },
    { "main_vm", AT(STR, main_vm), .doc = "the test's main VM [default: the first of vms]" },
    { "virsh_migrate_connect_uri", AT(STR, virsh_migrate_connect_uri),
      .doc = "the source host's libvirt URI, over the settings' first host" },
    { "virsh_migrate_desturi", AT(STR, virsh_migrate_desturi),
      .doc = "the destination's libvirt URI, over the settings' second host; the source "
             "daemon dials it on forward hops (virsh --desturi)" },
    { "virsh_migrate_migrateuri", AT(STR, virsh_migrate_migrateuri),
      .doc = "the migration data URI to the destination (tcp://...)" },
    { "migrate_dest_host", .aliases = "remote_ip server_ip", AT(STR, migrate_dest_host),
      .doc = "the destination: a settings host by name, address or URI host, else "
             "qemu+ssh://NAME/system" },
    { "migrate_source_host", .aliases = "local_ip client_ip", AT(STR, migrate_source_host),
      .doc = "the source: a settings host by name, address or URI host" },
    { "remote_user", .aliases = "server_user", AT(STR, remote_user),
      .doc = "the destination's SSH user, over the settings' ssh_user" },
    { "remote_pwd", .aliases = "server_pwd", AT(STR, remote_pwd),
      .doc = "the destination's SSH password, over the settings' (never printed)" },
    { NULL },
};
#undef AT

/* Object rows are only checked: they bind to nothing (offset 0, kind only). */
const struct run_param run_vm_params[] = {
    { "mem", .kind = RUN_PARAM_INT, .scope = RUN_PARAM_VM, .def = DEFAULT(VIRT_MEM_MIB_DEFAULT),
      RUN_PARAM_MIN(1), .unit = "MiB", .doc = "guest memory" },
    { "smp", .kind = RUN_PARAM_INT, .scope = RUN_PARAM_VM, .def = DEFAULT(VIRT_SMP_DEFAULT),
      RUN_PARAM_MIN(1), .doc = "guest vCPUs" },
    { "vm_accel", .kind = RUN_PARAM_ENUM, .scope = RUN_PARAM_VM, .words = virt_accel_words,
      .def = "auto", .doc = "accelerator; auto = kvm when a probe guest runs on it, else tcg" },
    { "shell_port", .kind = RUN_PARAM_INT, .scope = RUN_PARAM_VM,
      .def = DEFAULT(VIRT_SHELL_PORT_DEFAULT), RUN_PARAM_RANGE(1, 65535),
      .doc = "the guest's SSH port" },
    { "shutdown_timeout", .kind = RUN_PARAM_FLOAT, .scope = RUN_PARAM_VM,
      .def = DEFAULT(VIRT_SHUTDOWN_TIMEOUT_DEFAULT), RUN_PARAM_MIN(0), .unit = "seconds",
      .doc = "seconds a guest gets to power off before it is destroyed" },
    { "image_clone_mode", .kind = RUN_PARAM_ENUM, .scope = RUN_PARAM_IMAGE,
      .words = virt_clone_mode_words, .def = "linked",
      .doc = "a clone is a qcow2 overlay on the master (linked) or a copy (full)" },
    { "clone_master", .kind = RUN_PARAM_BOOL, .scope = RUN_PARAM_IMAGE, .def = "yes",
      .doc = "clone the image per VM (master_images_clone) before the test" },
    { "force_image_clone", .kind = RUN_PARAM_BOOL, .scope = RUN_PARAM_IMAGE, .def = "no",
      .doc = "clone again when the clone exists" },
    { "check_image", .kind = RUN_PARAM_BOOL, .scope = RUN_PARAM_IMAGE, .def = "no",
      .doc = "qemu-img check each clone after the test" },
    { "remove_image_on_check_error", .kind = RUN_PARAM_BOOL, .scope = RUN_PARAM_IMAGE,
      .def = "no", .doc = "remove a clone whose check found corruption" },
    { "keep_image_clones", .kind = RUN_PARAM_BOOL, .scope = RUN_PARAM_IMAGE, .def = "no",
      .doc = "keep the clones after the test (avocado-vt keeps them; vtrun removes them)" },
    { "image_raw_device", .kind = RUN_PARAM_BOOL, .scope = RUN_PARAM_IMAGE, .def = "no",
      .doc = "image_name is a device path, used as is" },
    { "image_clone_dir", .kind = RUN_PARAM_STR, .scope = RUN_PARAM_IMAGE,
      .check = check_clone_dir, .expect = "an absolute directory, images_dir or shared_dir",
      .doc = "directory of the clones, made on the host where each VM first runs "
             "(images_dir: the hosts' private image directory, shared_dir: their shared "
             "storage, from the settings) [default: beside the master]" },
    { NULL },
};

int run_common_parse(const struct params *p, struct run_common *c)
{
    if (run_param_parse(run_common_params, p, c) < 0)
        return -1;
    return run_param_check_objects(run_vm_params, p);
}

void run_common_release(struct run_common *c)
{
    run_param_release(run_common_params, c);
}

long run_common_main_vm(const struct run_common *c)
{
    if (!c->main_vm || !c->vms || !c->vms[0])
        return 0;       /* no VMs: the type's needs say so */
    for (size_t i = 0; c->vms && c->vms[i]; i++)
        if (!strcmp(c->vms[i], c->main_vm))
            return (long)i;
    struct strbuf vms = STRBUF_INIT;
    for (size_t i = 0; c->vms && c->vms[i]; i++)
        strbuf_addf(&vms, "%s%s", i ? " " : "", c->vms[i]);
    err_set("param main_vm = '%s': expected one of vms ('%s')", c->main_vm, vms.buf);
    strbuf_release(&vms);
    return -1;
}
