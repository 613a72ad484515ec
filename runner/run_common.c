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

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct run_common, __VA_ARGS__)

const struct run_param run_common_params[] = {
    { "test_timeout", AT(FLOAT, test_timeout), RUN_PARAM_MIN(0), .unit = "seconds",
      .doc = "seconds the test may run, cleanup apart; 0 = no limit "
             "[default: the settings' test_timeout]" },
    { "login_timeout", AT(FLOAT, login_timeout), .def = "240", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "seconds to wait for an SSH login into a guest" },
    { "vm_type", AT(STR, vm_type), .check = check_backend, .expect = "a backend",
      .doc = "the backend, libvirt or qemu [default: --backend, else the settings' "
             "backend]" },
    { "vms", AT(LIST, vms),
      .doc = "the VMs of the test; per-VM params take the _<vm> suffix (mem_vm2)" },
    { "main_vm", AT(STR, main_vm), .doc = "the test's main VM [default: the first of vms]" },
    { "virsh_migrate_connect_uri", AT(STR, virsh_migrate_connect_uri),
      .doc = "the source host's libvirt URI, over the settings' first host" },
    { "virsh_migrate_desturi", AT(STR, virsh_migrate_desturi),
      .doc = "the destination's libvirt URI, over the settings' second host; the source "
             "daemon dials it on forward hops (virsh --desturi)" },
    { "virsh_migrate_migrateuri", AT(STR, virsh_migrate_migrateuri),
      .doc = "the migration data URI to the destination (tcp://...)" },
    { "migrate_dest_host", AT(STR, migrate_dest_host),
      .doc = "the destination: a settings host by name, else qemu+ssh://NAME/system" },
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
