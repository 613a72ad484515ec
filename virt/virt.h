/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt: everything vtrun knows about a guest apart from the hypervisor driver:
 * the VM model built from a case's params (-> struct be_vm_spec), image clones and
 * checks, guest sessions over SSH, serial console scanning,
 * and the error vocabulary (autotest's VMError family).
 *
 * virt/ knows nothing of the CLI or of the runner: callers hand in a struct virt_ctx
 * (where to log, the cancel flag).  Errors: functions return -1 (or NULL) after
 * virt_fail()/err_set(); err_msg() has the whole context, virt_err_last() the kind.
 *
 * The header is in sections, one per source file, so that parallel work on separate
 * files merges cleanly.
 */
#ifndef VTRUN_VIRT_H
#define VTRUN_VIRT_H

#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "backends/be.h"

struct params;
struct strbuf;

/* ===================================================================================
 * Context and logging (virt_ctx.c)
 * =================================================================================== */

enum virt_log_level { VIRT_LOG_DEBUG, VIRT_LOG_INFO, VIRT_LOG_WARN, VIRT_LOG_ERROR };

typedef void (*virt_log_fn)(void *ud, enum virt_log_level level, const char *msg);

/* What a virt/ operation gets from its caller (the test context).  All fields may be
 * zero: no log (messages dropped), no cancel flag. */
struct virt_ctx {
    virt_log_fn log;
    void *log_ud;
    const atomic_bool *cancel;
};

void virt_logf(const struct virt_ctx *ctx, enum virt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *virt_log_level_name(enum virt_log_level level);
bool virt_cancelled(const struct virt_ctx *ctx);

/* ===================================================================================
 * Error vocabulary (virt_err.c) — autotest's VMError family
 * =================================================================================== */

enum virt_err_kind {
    VIRT_ERR_NONE = 0,
    VIRT_ERR_GENERIC,            /* VMError */
    VIRT_ERR_CREATE,             /* VMCreateError: command, status, output */
    VIRT_ERR_IMAGE_MISSING,      /* VMImageMissingError: file */
    VIRT_ERR_IMAGE_CHECK,        /* VMImageCheckError: file (qemu-img check exit 2) */
    VIRT_ERR_DEAD,               /* VMDeadError: reason, detail */
    VIRT_ERR_KERNEL_CRASH,       /* VMDeadKernelCrashError: the crash text */
    VIRT_ERR_ADDRESS,            /* VMAddressError / VMIPAddressMissingError */
    VIRT_ERR_LOGIN,              /* LoginError: host, port, user, output */
    VIRT_ERR_MIGRATE_TIMEOUT,    /* VMMigrateTimeoutError */
    VIRT_ERR_MIGRATE_CANCELLED,  /* VMMigrateCancelError */
    VIRT_ERR_MIGRATE_FAILED,     /* VMMigrateFailedError */
    VIRT_ERR_MIGRATE_STATE,      /* VMMigrateStateMismatchError: src/dst hashes */
    VIRT_ERR_COMMAND,            /* a guest/host command failed: command, status, output */
    VIRT_ERR__COUNT
};

/* The context an error prints.  Every field is optional (NULL / -1). */
struct virt_error {
    enum virt_err_kind kind;
    const char *vm;
    const char *host;
    const char *command;
    int status;                 /* exit status; -1 = none */
    const char *detail;         /* file name, reason, crash text, "a != b" ... */
    const char *output;         /* command output: only its tail is printed */
};

#define VIRT_ERROR_INIT(k) { .kind = (k), .status = -1 }

/* "VMImageCheckError" etc.: autotest's class names, so logs read the same. */
const char *virt_err_name(enum virt_err_kind kind);
/* One message with the context: "<Name>: <what> (vm X, host Y): command `...`
 * exited 2; output tail: ...". */
void virt_err_format(const struct virt_error *e, struct strbuf *out);
/* err_set() the formatted error, remember its kind for this thread; returns -1. */
int virt_fail(const struct virt_error *e);
/* Shorthand: virt_fail() with kind, vm and a printf detail. */
int virt_failf(enum virt_err_kind kind, const char *vm, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Kind of this thread's last virt_fail(); VIRT_ERR_NONE after virt_err_clear(). */
enum virt_err_kind virt_err_last(void);
void virt_err_clear(void);

/* ===================================================================================
 * VM model from params (virt_vm.c)
 * =================================================================================== */

/* avocado-vt's main_vm, else the first of vms; NULL (err_set) when vms is empty.
 * Caller frees. */
char *virt_main_vm(const struct params *p);

/*
 * struct be_vm_spec of VM `vm` from a case's params (avocado-vt names):
 *   mem (MiB, default 1024), smp (1), machine_type, cpu_model, qemu_binary,
 *   vm_accel (auto|kvm|tcg, default auto), kernel, initrd, kernel_params,
 *   guest_ip + guest_subnet + guest_gateway (-> "vtrun.ip=IP/PREFIX vtrun.gw=GW"
 *   appended to the kernel command line), images (each: image_name, image_format,
 *   images_base_dir, drive_format, drive_cache), nics (each: nettype, netdst,
 *   nic_model, mac).
 * console_dir: the serial console goes to "<console_dir>/serial-<vm>.log" (NULL: none).
 * vm_accel=auto is resolved with virt_accel_resolve() (probe cached per process).
 * On error (-1) *out is left empty.  The caller owns *out: be_vm_spec_free()
 * (backends/be.h).
 */
int virt_vm_spec_from_params(const struct params *p, const char *vm,
                             const char *console_dir, const struct virt_ctx *ctx,
                             struct be_vm_spec *out);

/* "auto" -> "kvm" when a short KVM probe runs guest code, else "tcg"; "kvm"/"tcg"
 * returned as is.  The probe runs at most once per process.  Returns a static
 * string, or NULL (err_set) for an unknown value. */
const char *virt_accel_resolve(const char *want, const struct virt_ctx *ctx);

/* Run a tiny guest (a BIOS that enters long mode and exits through isa-debug-exit)
 * with QEMU -accel `accel` ("kvm" or "tcg"); true when it ran to the end within 2 s.
 * why gets a one-line explanation. */
bool virt_accel_probe(const char *accel, const struct virt_ctx *ctx, struct strbuf *why);

/* How to reach a guest's shell (avocado-vt: username, password, ssh_private_key,
 * shell_port; the address is guest_ip). */
struct virt_login {
    char *host;
    int port;                   /* default 22 */
    char *user;                 /* default root */
    char *password;             /* may be NULL */
    char *key_file;             /* may be NULL */
};

int virt_login_from_params(const struct params *p, const char *vm, struct virt_login *out);
void virt_login_free(struct virt_login *l);

/* ===================================================================================
 * Images (virt_image.c)
 * =================================================================================== */

/* avocado-vt's get_image_filename(): "<image_name>.<image_format>", relative names
 * under images_base_dir (default: the current directory).  Takes the IMAGE object
 * params.  Caller frees. */
char *virt_image_filename(const struct params *image_params);

/* qemu-img create -f fmt path size (size a qemu-img size string, e.g. "1G"). */
int virt_image_create(const char *path, const char *fmt, const char *size,
                      const struct virt_ctx *ctx);
/* Linked clone: qcow2 overlay on the absolute path of `master` (format master_fmt). */
int virt_image_clone_linked(const char *master, const char *master_fmt, const char *dest,
                            const struct virt_ctx *ctx);
/* Full clone: reflink when the file system can, else copy_file_range over the data
 * extents (holes stay holes); written to dest.part then renamed. */
int virt_image_clone_full(const char *master, const char *dest, const struct virt_ctx *ctx);

enum virt_check {
    VIRT_CHECK_OK,
    VIRT_CHECK_SKIPPED,         /* not qcow2, or the file does not exist */
    VIRT_CHECK_WARN,            /* exit 1 (errors, maybe unnoticed bad data) or 3 (leaks) */
    VIRT_CHECK_ERROR,           /* exit 2: corruption ("image check error") */
};
const char *virt_check_name(enum virt_check c);

/* autotest's check_image: qemu-img check; exit 1 -> WARN, 2 -> ERROR (and -1 with
 * VIRT_ERR_IMAGE_CHECK), 3 -> WARN (leaked clusters).  Output lines are logged.
 * Returns 0 and *out for OK / SKIPPED / WARN. */
int virt_image_check(const char *path, const char *fmt, const struct virt_ctx *ctx,
                     enum virt_check *out);

/* One clone made for one test. */
struct virt_clone {
    char *vm;
    char *image;                /* image object, e.g. image1 */
    char *path;                 /* the clone */
    char *master;               /* its source */
    char *format;
    bool linked;
};

struct virt_clones {
    struct virt_clone *v;
    size_t n;
};

/*
 * avocado-vt's preprocess cloning: for each VM in `vms`, for each image object in
 * `master_images_clone`: unless image_name_<image>_<vm> is set, the clone is named
 * image_name_<vm> (default "<image_name>_<vm>"); its source is
 * "<master_image_name>.<image_format>" when master_image_name is set, else the image's
 * own file; it is made only if it does not exist or force_image_clone = yes; then
 * image_name_<vm> and image_name_<image>_<vm> are set in p, so every later
 * params_object() sees the clone.
 * vtrun extensions: image_clone_mode = linked (default; qcow2 masters only, others
 * get a full copy) | full.
 * Clones are appended to *out (also on error, for cleanup).
 */
int virt_images_clone(struct params *p, const struct virt_ctx *ctx, struct virt_clones *out);

/*
 * After the test: when check_image = yes, qemu-img check each clone (worst result in
 * *worst); a clone whose check ERRORed is removed when remove_image_on_check_error =
 * yes; every clone is removed unless keep_image_clones = yes (vtrun extension:
 * avocado-vt keeps them and leaks guest state into the next test).  Never removes a
 * master.  Returns -1 when a check ERRORed (VIRT_ERR_IMAGE_CHECK) or a removal failed;
 * all clones are processed either way.
 */
int virt_images_postprocess(const struct params *p, const struct virt_ctx *ctx,
                            const struct virt_clones *clones, enum virt_check *worst);
void virt_clones_free(struct virt_clones *c);

/* ===================================================================================
 * Guest sessions over SSH (virt_ssh.c, libssh)
 * =================================================================================== */

struct virt_ssh;

/* Host keys: accept-new into known_hosts_file (per job): an unknown host's key is
 * added, a changed key is refused (VIRT_ERR_LOGIN).  known_hosts_file NULL: refuse
 * unknown hosts. */
struct virt_ssh *virt_ssh_connect(const struct virt_login *l, const char *known_hosts_file,
                                  double timeout_s, const struct virt_ctx *ctx);
/* Retry virt_ssh_connect() until it works, deadline_s passes or ctx->cancel is set
 * (avocado-vt's wait_for_login).  The last failure is in the error. */
struct virt_ssh *virt_ssh_wait_for_login(const struct virt_login *l,
                                         const char *known_hosts_file, double deadline_s,
                                         const struct virt_ctx *ctx);
/* Run a command; out/err may be NULL.  0 and *status when it finished, -1 on
 * timeout (VIRT_ERR_COMMAND), cancel or a session error.  No pty: a command that
 * timed out is abandoned, not killed (it may run on until the session closes). */
int virt_ssh_exec(struct virt_ssh *s, const char *cmd, double timeout_s, int *status,
                  struct strbuf *out, struct strbuf *err);
int virt_ssh_put(struct virt_ssh *s, const char *local, const char *remote, int mode);
int virt_ssh_get(struct virt_ssh *s, const char *remote, const char *local);
void virt_ssh_close(struct virt_ssh *s);

/* ===================================================================================
 * Serial console scanning (virt_console.c)
 * =================================================================================== */

struct virt_crash {
    long long offset;           /* byte offset of the matching line in the file */
    unsigned line;              /* 1-based line number (counted from the scan start) */
    char *pattern;              /* which marker matched, e.g. "Kernel panic" */
    char *text;                 /* the matching line and context lines around it */
};

/* Markers searched, in this order per line: BUG:, Oops, Call Trace, Kernel panic,
 * ---[ end trace.  NULL-terminated. */
extern const char *const virt_crash_markers[];

/*
 * Scan a console log from *offset (0 the first time) for the first crash marker.
 * Returns 1 and fills *crash (free with virt_crash_free) when found, 0 when not, -1
 * on I/O error.  *offset advances to the end of the last complete line read so a
 * later call continues where this one stopped (lines still being written are read
 * next time); *line_no (may be NULL) counts lines across calls.
 */
int virt_console_scan(const char *path, long long *offset, unsigned *line_no,
                      struct virt_crash *crash);
void virt_crash_free(struct virt_crash *c);


#endif
