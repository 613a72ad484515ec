/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_pmc: pre-migration checks, the libvirt mailing-list draft done as one static
 * table (seeds/libvirt-pre-migration-checks-draft.txt): each check has a name, the
 * worst result it can report (its severity) and a function returning SUCCESS,
 * WARNING or FAIL with a message.  No interactive prompt: the policy decides.
 *
 * The checks read plain facts (struct virt_pmc_host for each host, struct
 * virt_pmc_vm for each VM) so they are testable without hosts; the test type fills
 * them from the backend (see the proposed be_ops.host_info) and from the VM specs.
 * Unknown facts (NULL strings, 0 numbers) give WARNING "cannot tell", never FAIL.
 */
#ifndef VTRUN_VIRT_PMC_H
#define VTRUN_VIRT_PMC_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

enum virt_pmc_result {
    VIRT_PMC_SUCCESS,
    VIRT_PMC_WARNING,
    VIRT_PMC_FAIL,
};

/* `pmc_policy`: enforce (a FAIL cancels the test), warn (FAILs are logged and the
 * test goes on), off (no checks). */
enum virt_pmc_policy {
    VIRT_PMC_ENFORCE,
    VIRT_PMC_WARN,
    VIRT_PMC_OFF,
};

/* What a host is; filled by the backend (libvirt: virConnectGetLibVersion,
 * virConnectGetType, virConnectGetCapabilities, virNodeGetFreeMemory,
 * virConnectGetDomainCapabilities; OS from /etc/os-release and uname). */
struct virt_pmc_host {
    const char *name;                   /* for messages */
    unsigned long long libvirt_version; /* major * 1000000 + minor * 1000 + micro; 0 ? */
    const char *hypervisor;             /* "QEMU" */
    unsigned long long hv_version;      /* same encoding; 0 unknown */
    const char *arch;                   /* "x86_64" */
    const char *os_id;                  /* os-release ID, e.g. "debian" */
    const char *os_version;             /* os-release VERSION_ID, e.g. "12" */
    const char *kernel_release;         /* uname -r */
    unsigned long long free_mem_bytes;  /* 0 unknown */
    const char *host_cpu_model;         /* the host CPU's model name (host-passthrough) */
    /* CPU models a guest can use here (domain capabilities, usable='yes');
     * NULL-terminated; NULL = unknown */
    const char *const *cpu_models;
};

struct virt_pmc_disk {
    const char *path;
    const char *cache;          /* NULL = the backend's default, none */
    bool readonly;
    int reachable_on_dst;       /* 1 yes, 0 no, -1 unknown */
};

struct virt_pmc_vm {
    const char *name;
    const char *cpu_model;      /* NULL = default model; "host-passthrough", ... */
    unsigned long long mem_bytes;
    const struct virt_pmc_disk *disks;
    size_t ndisks;
};

struct virt_pmc_input {
    const struct virt_pmc_host *src;
    const struct virt_pmc_host *dst;
    const struct virt_pmc_vm *vms;      /* the VMs that will land on dst */
    size_t nvms;
    unsigned mig_flags;                 /* enum be_mig_flag (BE_MIG_UNSAFE allows caches) */
};

struct virt_pmc_check {
    const char *name;
    enum virt_pmc_result severity;      /* the worst result run() can give */
    enum virt_pmc_result (*run)(const struct virt_pmc_input *in, struct strbuf *msg);
};

/* The table, NULL-name terminated. */
extern const struct virt_pmc_check virt_pmc_checks[];

struct virt_pmc_outcome {
    const struct virt_pmc_check *check;
    enum virt_pmc_result result;
    char *msg;
};

/* Run every check; *out (caller frees with virt_pmc_outcomes_free) gets one outcome
 * per check in table order.  Returns the number of outcomes. */
size_t virt_pmc_run(const struct virt_pmc_input *in, struct virt_pmc_outcome **out);
void virt_pmc_outcomes_free(struct virt_pmc_outcome *o, size_t n);

const char *virt_pmc_result_name(enum virt_pmc_result r);
int virt_pmc_policy_parse(const char *s, enum virt_pmc_policy *out);    /* NULL = enforce */

/* Dotted version compare (strverscmp-like on digit runs): <0, 0, >0. */
int virt_pmc_vercmp(const char *a, const char *b);

#endif
