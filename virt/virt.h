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

#include <stdio.h>

#include "backends/be.h"
#include "lib/params.h"

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
    double deadline;            /* monotonic seconds (lib/clock.h); 0 = none */
};

void virt_logf(const struct virt_ctx *ctx, enum virt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *virt_log_level_name(enum virt_log_level level);
/* True when the caller must stop: the cancel flag is set or the deadline passed. */
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
    VIRT_ERR_LEFT_BEHIND,        /* cleanup could not remove what the test made */
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

/* Defaults of the per-VM params virt/ reads; the runner checks their values before any
 * VM or clone exists and prints these defaults (runner/run_common.c, run_vm_params). */
#define VIRT_MEM_MIB_DEFAULT 1024
#define VIRT_SMP_DEFAULT 1
#define VIRT_SHELL_PORT_DEFAULT 22
#define VIRT_SHUTDOWN_TIMEOUT_DEFAULT 60
/* vm_accel's words (auto, kvm, tcg) and image_clone_mode's (linked, full). */
extern const struct params_word virt_accel_words[];
extern const struct params_word virt_clone_mode_words[];

struct virt_clones;

/* What a caller (the VM set) derived for a VM and hands to the model, instead of
 * writing it into the case's params: the address it chose (over guest_ip), the
 * clones standing for the VM's images (virt_clones_path()), and the param that names
 * its emulator.  Any may be NULL. */
struct virt_vm_derived {
    const char *guest_ip;
    const struct virt_clones *clones;
    /* the driver's be_ops.emulator_param: libvirt picks the emulator unless
     * emulator_path names one (avocado-vt's libvirt VM); qemu_binary is the qemu
     * backend's binary.  NULL: qemu_binary */
    const char *emulator_param;
};

/*
 * struct be_vm_spec of VM `vm` from a case's params (avocado-vt names):
 *   mem (MiB, default 1024), smp (1), machine_type, cpu_model, qemu_binary (qemu
 *   backend) or emulator_path (libvirt: d->emulator_param),
 *   vm_accel (auto|kvm|tcg, default auto), kernel, initrd, kernel_params,
 *   guest_ip + guest_subnet + guest_gateway (-> "vtrun.ip=IP/PREFIX vtrun.gw=GW"
 *   appended to the kernel command line), images (each: image_name, image_format,
 *   images_base_dir, drive_format, drive_cache), nics (each: nettype, netdst,
 *   nic_model, mac).
 * d (may be NULL): what the caller derived for the VM, over the params.
 * console_dir: the serial console goes to "<console_dir>/serial-<vm>.log" (NULL: none).
 * vm_accel=auto is resolved with virt_accel_resolve() (probe cached per process).
 * On error (-1) *out is left empty.  The caller owns *out: be_vm_spec_free()
 * (backends/be.h).
 */
int virt_vm_spec_from_params(const struct params *p, const char *vm,
                             const struct virt_vm_derived *d, const char *console_dir,
                             const struct virt_ctx *ctx, struct be_vm_spec *out);

/* "auto" -> "kvm" when a short KVM probe runs guest code, else "tcg"; "kvm"/"tcg"
 * returned as is.  The probe runs at most once per process.  Returns a static
 * string, or NULL (err_set) for an unknown value. */
const char *virt_accel_resolve(const char *want, const struct virt_ctx *ctx);

/* Run a tiny guest (a BIOS that enters long mode and exits through isa-debug-exit)
 * with QEMU -accel `accel` ("kvm" or "tcg"); true when it ran to the end within 2 s.
 * why gets a one-line explanation. */
bool virt_accel_probe(const char *accel, const struct virt_ctx *ctx, struct strbuf *why);

/* Which host keys an SSH login accepts (virt_ssh.c), OpenSSH's StrictHostKeyChecking:
 *  - accept-new (default): a host not in the known_hosts file is learned into it (a
 *    per-job file), a host whose key changed is refused;
 *  - strict: only a key already in the known_hosts file (the user's, or one given);
 *  - off: not checked at all (a lab whose hosts get new keys on every boot). */
enum virt_hostkey {
    VIRT_HOSTKEY_ACCEPT_NEW,
    VIRT_HOSTKEY_STRICT,
    VIRT_HOSTKEY_OFF,
};

/* "accept-new", "strict" (or "yes"), "off" (or "no"); -1 + err otherwise. */
int virt_hostkey_parse(const char *s, enum virt_hostkey *out);
const char *virt_hostkey_name(enum virt_hostkey k);

/* How to reach a guest's shell (avocado-vt: username, password, ssh_private_key,
 * shell_port; the address is guest_ip), or a host's (virt_host.c). */
struct virt_login {
    char *host;
    int port;                   /* default 22 */
    char *user;                 /* default root */
    char *password;             /* may be NULL; never logged */
    char *key_file;             /* may be NULL */
    enum virt_hostkey hostkey;  /* default accept-new */
    bool default_keys;          /* no key_file: try ssh-agent and ~/.ssh/id_* as ssh does */
};

int virt_login_from_params(const struct params *p, const char *vm,
                           const struct virt_vm_derived *d, struct virt_login *out);
void virt_login_free(struct virt_login *l);

/* ===================================================================================
 * Images (virt_image.c)
 * =================================================================================== */

/* avocado-vt's get_image_filename(): "<image_name>.<image_format>", relative names
 * under images_base_dir (default: the current directory).  Takes the IMAGE object
 * params.  Caller frees. */
char *virt_image_filename(const struct params *image_params);

/*
 * Image files on a host: h NULL (or a local handle) is this machine, else the remote
 * host of the handle (commands through the host transport: qemu-img, cp, rm, test,
 * realpath).  Errors name the command and, remote, the host.
 */
struct virt_host;

/* qemu-img create -f fmt path size (size a qemu-img size string, e.g. "1G"). */
int virt_image_create(struct virt_host *h, const char *path, const char *fmt,
                      const char *size, const struct virt_ctx *ctx);
/* Linked clone: qcow2 overlay on the absolute path of `master` (format master_fmt). */
int virt_image_clone_linked(struct virt_host *h, const char *master, const char *master_fmt,
                            const char *dest, const struct virt_ctx *ctx);
/* Full clone: here reflink when the file system can, else copy_file_range over the
 * data extents (holes stay holes); remote cp --reflink=auto --sparse=always.  Written
 * to dest.part then renamed. */
int virt_image_clone_full(struct virt_host *h, const char *master, const char *dest,
                          const struct virt_ctx *ctx);
/* 1 exists, 0 does not, -1 cannot tell (err). */
int virt_image_exists(struct virt_host *h, const char *path, const struct virt_ctx *ctx);
/* qemu-img info's virtual-size (bytes) of an image, which may be in use. */
int virt_image_virtual_size(struct virt_host *h, const char *path, unsigned long long *out,
                            const struct virt_ctx *ctx);
/* rm -f: a missing file is no error. */
int virt_image_remove(struct virt_host *h, const char *path, const struct virt_ctx *ctx);

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
int virt_image_check(struct virt_host *h, const char *path, const char *fmt,
                     const struct virt_ctx *ctx, enum virt_check *out);

/* One clone of one image for one VM of a test.  owned: made (or re-used) for this
 * test, so checked and removed after it; not owned: clone_master = no, the VM only
 * uses the per-VM name.  A copy of a disk made for a copy-storage migration is an owned
 * clone without master on its host. */
struct virt_clone {
    char *vm;
    char *image;                /* image object, e.g. image1 */
    char *path;                 /* the clone: the file the VM's disk uses */
    char *master;               /* its source (NULL when not owned, and for copies) */
    char *format;
    bool linked;
    bool owned;
    bool made;                  /* the file exists (made or re-used): check, remove it */
    struct virt_host *host;     /* where it is (borrowed); NULL: this machine */
};

struct virt_clones {
    struct virt_clone *v;
    size_t n;
};

/* What the caller decided for a VM's clones (unique names per job slot): the clone's
 * image_name and its master's; NULL fields: the config's.  Arrays of these end with a
 * NULL vm. */
struct virt_clone_name {
    const char *vm;
    const char *name;
    const char *master;
};

/*
 * avocado-vt's preprocess cloning: for each VM in `vms`, for each image object in
 * `master_images_clone`: unless image_name_<image>_<vm> is set, the clone is named
 * image_name_<vm> (default "<image_name>_<vm>"); its source is
 * "<master_image_name>.<image_format>" when master_image_name is set, else the image's
 * own file; it is made only if it does not exist or force_image_clone = yes.
 * names (may be NULL) overrides the clone and master names per VM.
 * The params are not changed: where avocado-vt writes image_name_<vm> back, vtrun
 * hands the clones to virt_vm_spec_from_params() (virt_clones_path()).
 * vtrun extensions: image_clone_mode = linked (default; qcow2 masters only, others
 * get a full copy) | full.
 * Clones are appended to *out (also on error, for cleanup); a (vm, image) already in
 * *out is not cloned again.
 */
int virt_images_clone(const struct params *p, const struct virt_clone_name *names,
                      const struct virt_ctx *ctx, struct virt_clones *out);
/* virt_images_clone() in two steps, for clones made where their VM first runs: plan
 * every clone (names, masters; nothing made; -1 for a bad image_clone_mode), then make
 * those of VM vm (NULL: all) not made yet on host h (NULL: this machine). */
int virt_images_plan(const struct params *p, const struct virt_clone_name *names,
                     struct virt_clones *out);
int virt_images_make(const struct params *p, struct virt_clones *cl, const char *vm,
                     struct virt_host *h, const struct virt_ctx *ctx);
/* Record a disk copy made at path on h (copy-storage migration): removed after. */
void virt_clones_add_copy(struct virt_clones *cl, const char *vm, const char *image,
                          const char *path, const char *fmt, struct virt_host *h);
/* The file VM vm's disk of image object `image` uses instead of the config's; NULL when
 * no clone stands for it. */
const char *virt_clones_path(const struct virt_clones *c, const char *vm, const char *image);

/*
 * After the test: when check_image = yes, qemu-img check each clone (worst result in
 * *worst); a clone whose check ERRORed is removed when remove_image_on_check_error =
 * yes; every clone is removed unless keep_image_clones = yes (vtrun extension:
 * avocado-vt keeps them and leaks guest state into the next test), on the host it was
 * made on.  Never removes a master.  Returns -1 when a check ERRORed (VIRT_ERR_IMAGE_CHECK) or a removal failed;
 * all clones are processed either way.  Clones not owned are left alone.
 */
int virt_images_postprocess(const struct params *p, const struct virt_ctx *ctx,
                            const struct virt_clones *clones, enum virt_check *worst);
void virt_clones_free(struct virt_clones *c);

/* ===================================================================================
 * Guest sessions over SSH (virt_ssh.c, libssh)
 * =================================================================================== */

struct virt_ssh;

/* Host keys by l->hostkey against known_hosts_file (accept-new: the per-job file it
 * learns into; strict: the file checked); a changed or refused key is VIRT_ERR_LOGIN.
 * known_hosts_file NULL: refuse (unless the policy is off).  timeout_s bounds the TCP
 * connect and each blocking step of the login (0: 10 s). */
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
/* True when the last virt_ssh_exec() failed because the connection was gone before
 * the command was sent: a new session may run it again safely. */
bool virt_ssh_lost(const struct virt_ssh *s);
int virt_ssh_put(struct virt_ssh *s, const char *local, const char *remote, int mode);
int virt_ssh_get(struct virt_ssh *s, const char *remote, const char *local);
void virt_ssh_close(struct virt_ssh *s);

/* ===================================================================================
 * Host transport (virt_host.c): commands and files on a host, local or over SSH
 * =================================================================================== */
/*
 * One API for the machine vtrun runs on and for a remote server:
 *
 *   struct virt_host *h = virt_host_open(&conf, ctx);     (connects when remote)
 *   virt_host_run(h, (const char *[]){ "cat", "/proc/meminfo", NULL }, 30,
 *                 &out, &err, &status);
 *   virt_host_put(h, local, remote, 0644);  virt_host_get(h, remote, local);
 *   virt_host_close(h);
 *
 * Local (conf.address NULL or ""): the argv runs through lib/spawn (own process group,
 * killed on timeout or cancel).  Remote: one libssh session (virt_ssh.c), reused by
 * every command and reopened when it was found dropped; the argv becomes one command
 * line with each word quoted by strbuf_add_sq(), so the remote login shell (POSIX sh,
 * bash, dash, zsh) hands the program exactly these words — nothing in them is ever
 * read as shell syntax.  Files go over SFTP.
 *
 * Errors name the host: "host NAME: ...".  The password is never logged nor put in an
 * error.  Over SSH a command that times out or is cancelled is abandoned, not killed
 * (no pty, so stdout and stderr stay apart; OpenSSH 9.2's sshd did not act on a
 * channel "signal" request when tried): it may run on until it ends by itself.  One command at a time per handle (a lock);
 * different handles in different threads.
 */

struct virt_host;

struct virt_host_conf {
    const char *name;           /* in messages (e.g. the settings name); default: address */
    const char *address;        /* NULL or "": this machine; else a host name or IP */
    int port;                   /* SSH port; 0: 22 */
    const char *user;           /* NULL: the user vtrun runs as */
    const char *key_file;       /* NULL: ssh-agent and ~/.ssh/id_* keys, as ssh does */
    const char *password;       /* tried after the key; NULL: none */
    enum virt_hostkey hostkey;  /* default accept-new */
    const char *known_hosts;    /* accept-new: the (per-job) file that learns keys
                                   (NULL: every host refused); strict: the file trusted
                                   (NULL: ~/.ssh/known_hosts); off: not used */
    double connect_timeout_s;   /* TCP connect and each login step; 0: 10 s */
};

/* NULL with err ("host NAME: ...") when the host cannot be reached or logged into. */
struct virt_host *virt_host_open(const struct virt_host_conf *conf, const struct virt_ctx *ctx);
void virt_host_close(struct virt_host *h);
bool virt_host_is_local(const struct virt_host *h);
const char *virt_host_name(const struct virt_host *h);
/* cmd as a user runs it on h from this machine's shell: itself, or `ssh [-p P] [-i KEY]
 * USER@HOST 'cmd'` (the removal hints of leftovers).  Caller frees. */
char *virt_host_hint(const struct virt_host *h, const char *cmd);

/*
 * Run argv (argv[0] looked up in PATH there) with timeout_s (<= 0: none) and the
 * context's cancel flag; stdout/stderr appended to out/err (either may be NULL).
 * With status non-NULL: 0 when the program ran to its end (any exit status, in
 * *status).  With status NULL: 0 only for exit status 0.  -1 with err naming the host
 * and the command otherwise (cannot connect, timed out, cancelled, killed by a signal,
 * non-zero exit without status).
 */
int virt_host_run(struct virt_host *h, const char *const *argv, double timeout_s,
                  struct strbuf *out, struct strbuf *err, int *status);
/* Copy a file to / from the host (mode: of the new remote file, 0: 0644).  get writes
 * local.part and renames it, so a failed copy leaves nothing behind. */
int virt_host_put(struct virt_host *h, const char *local, const char *remote, int mode);
int virt_host_get(struct virt_host *h, const char *remote, const char *local);

/* ===================================================================================
 * Host operations (virt_hostops.c): what a test does to a host, and undoes
 * =================================================================================== */
/*
 * Through the host transport above, argv only (values are checked, never handed to a
 * shell).  Changes are recorded in one struct virt_hostops per test and registered as
 * leftovers (virt_leftover) until undone, so a killed job prints what to restore:
 *
 *   struct virt_hostops *ops = virt_hostops_new("a1b2c3d-0", ctx);    (job7-slot)
 *   virt_hostop_conf_set(ops, h, "libvirtd", "/etc/libvirt/qemu.conf",
 *                        "migration_port_min", "49200");
 *   virt_hostop_daemon(ops, h, "libvirtd", VIRT_DAEMON_RESTART, NULL);   (in place:
 *                                                     running domains survive)
 *   virt_hostop_fw_add(ops, h, &(struct virt_fw_rule){ .port_min = 49152,
 *                                                      .port_max = 49215 });
 *   ...
 *   virt_hostops_undo(ops);     (rules deleted, daemons started, files restored and
 *                                their daemon restarted when the edit was in effect)
 *   virt_hostops_free(ops);
 *
 * Daemons are driven with `systemctl` (a real host's, or the lab's stand-in).
 */
struct virt_hostops;

struct virt_hostops *virt_hostops_new(const char *tag, const struct virt_ctx *ctx);
/* Undo every change not undone yet, newest first; -1 with err listing what could not
 * be restored (those stay registered leftovers). */
int virt_hostops_undo(struct virt_hostops *ops);
/* Frees the record only: call virt_hostops_undo() first. */
void virt_hostops_free(struct virt_hostops *ops);

/* The host's OS facts into out where unknown: os-release ID and VERSION_ID, kernel
 * release, free and total memory (one command; no record). */
int virt_hostop_facts(struct virt_host *h, struct be_host_info *out);

enum virt_daemon_action {
    VIRT_DAEMON_START,
    VIRT_DAEMON_STOP,       /* recorded: started again by the undo */
    VIRT_DAEMON_RESTART,    /* in place: the QEMUs of a libvirtd keep running */
    VIRT_DAEMON_KILL,       /* systemctl kill -s SIGNAL (default TERM); recorded as stop */
};
/* systemctl ACTION UNIT on h ("libvirtd", "sshd", "virtqemud"). */
int virt_hostop_daemon(struct virt_hostops *ops, struct virt_host *h, const char *unit,
                       enum virt_daemon_action action, const char *signal);

/* Set key = value (the value as the file writes it: 1, "text", [ "a", "b" ]) in a
 * `key = value` file of libvirt's format (qemu.conf, libvirtd.conf ...) on h, or
 * remove the key's lines (value NULL: the daemon's default).  The first edit of a file
 * keeps the original beside it (PATH.vtrun-TAG.orig); the undo puts it back and
 * restarts `daemon` when it was (re)started through ops since the edit.  The daemon
 * reads the change when restarted (virt_hostop_daemon). */
int virt_hostop_conf_set(struct virt_hostops *ops, struct virt_host *h, const char *daemon,
                         const char *path, const char *key, const char *value);

/* Replace directory dir on h by an empty one (mode 0755), the original moved aside
 * until the undo puts it back (tp-libvirt's TLSConnection writes its own certificates
 * into custom_pki_path); replaced again in the same test: emptied. */
int virt_hostop_dir_replace(struct virt_hostops *ops, struct virt_host *h, const char *dir);
/* One nftables rule in the host's own network namespace, in table inet vtrun_TAG (one
 * per ops and host, deleted whole by the undo: exactly the test's rules go). */
struct virt_fw_rule {
    const char *chain;          /* "input" (default) or "output" */
    const char *proto;          /* "tcp" (default) or "udp" */
    unsigned port_min, port_max;    /* destination port or range; 0: any */
    const char *saddr;          /* source IPv4/IPv6 address; NULL: any */
    unsigned sport;             /* source port; 0: any (iptables' --sport) */
    bool reject;                /* answer (TCP reset, ICMP) instead of dropping */
};
int virt_hostop_fw_add(struct virt_hostops *ops, struct virt_host *h,
                       const struct virt_fw_rule *r);

/* Fill the file system holding dir on h so that `leave` bytes stay free to its
 * writers (df's Avail): one file, dir/vtrun-occupied-TAG, fallocated (tp-libvirt's
 * RemoteDiskManager.occupy_space).  Recorded before it is made (res: its backend and
 * host key, for the job's ledger; NULL: a leftover only) and removed by the undo.  The
 * path into *path_out (caller frees); NULL there when the space was already short. */
struct virt_res;
int virt_hostop_fill(struct virt_hostops *ops, struct virt_host *h, const char *dir,
                     unsigned long long leave, const struct virt_res *res, char **path_out);

/* A log file on a host read from a mark on: what a daemon wrote during a step. */
struct virt_log_mark {
    char *path;
    long long size;             /* bytes at the mark (0: the file did not exist) */
};
int virt_hostop_log_mark(struct virt_host *h, const char *path, struct virt_log_mark *m);
/* Append what was written since the mark to out (all of it when the file shrank). */
int virt_hostop_log_read(struct virt_host *h, const struct virt_log_mark *m,
                         struct strbuf *out);
void virt_log_mark_free(struct virt_log_mark *m);

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


/* ===================================================================================
 * Leftovers (virt_leftover.c)
 * =================================================================================== */

/*
 * What a running job has created outside its results directory (domains on hosts,
 * image clones, processes), so that when the user chooses to skip cleanup (a second
 * SIGINT) vtrun can print exactly what was left behind and how to remove it.  Modules
 * register a resource when they create it and drop it when they removed it.
 * Thread-safe.
 * what: "domain vm1-3f2a on qemu+unix:///...", how: "virsh -c URI destroy vm1-3f2a".
 * Returns a handle for virt_leftover_drop() (0 never is one).
 */
unsigned long virt_leftover_add(const char *what, const char *how);
void virt_leftover_drop(unsigned long handle);
/* Print every registered resource with its removal hint; returns their number. */
unsigned virt_leftover_print(FILE *out);
/* As virt_leftover_add, and written to the job's ledger first (virt_ledger_note):
 * 0 (err set) when the ledger is on and cannot record it: create nothing then. */
struct virt_res;
unsigned long virt_leftover_add_res(const struct virt_res *r, const char *what, const char *how);

/* ===================================================================================
 * The ledger (virt_ledger.c): what each job created, on disk, for the next job
 * =================================================================================== */

/* One resource: a domain (backend, connection URI, name), a clone or other file
 * (host name, "" for this machine; path), a process (host; "PID START"), an address
 * slot (name: the slot number). */
enum virt_res_kind { VIRT_RES_DOMAIN, VIRT_RES_CLONE, VIRT_RES_FILE, VIRT_RES_PROCESS,
                     VIRT_RES_SLOT };
struct virt_res {
    enum virt_res_kind kind;
    char *backend;
    char *host;
    char *name;
};
const char *virt_res_kind_name(enum virt_res_kind k);
void virt_res_free(struct virt_res *r);

struct virt_ledger_entry {
    unsigned long id;
    struct virt_res res;
};
/* A job's ledger as read back: the entries not struck, in the order they were
 * noted (undo them from the last: a domain before the clone it runs on). */
struct virt_ledger {
    char *path;
    char *job_id;
    long pid;
    unsigned long long start;   /* the process's start time (/proc/PID/stat field 22) */
    bool alive;                 /* that very process still runs */
    struct virt_ledger_entry *v;
    size_t n;
};

/* $VTRUN_RUNTIME_DIR, else /run/vtrun: ledgers, the machine lock, address slots. */
const char *virt_runtime_dir(void);
/* Parse a ledger's text (what names it in errors).  -1 with err "WHAT:LINE: ..." for
 * anything but a ledger; a last line cut short (a kill mid-write) is ignored. */
int virt_ledger_parse(const char *text, size_t len, const char *what, struct virt_ledger *out);
int virt_ledger_read(const char *path, struct virt_ledger *out);
void virt_ledger_free(struct virt_ledger *l);
/* Every ledger of the machine into *out (*n of them); files that are not ledgers are
 * named in bad (one line each) and skipped.  -1 only when the directory is unreadable. */
int virt_ledger_scan(struct virt_ledger **out, size_t *n, struct strbuf *bad);
/* Strike entry id in another job's ledger (a dead one whose resource was removed). */
int virt_ledger_strike_in(const char *path, unsigned long id);

/* This process's ledger, <runtime>/ledger/<job_id>, created (exclusively) and
 * fsync'd.  note: one entry, before the resource is created (0 when not recorded);
 * strike: after it is removed; end: closes it, and removes it when nothing is left. */
int virt_ledger_begin(const char *job_id);
bool virt_ledger_active(void);
unsigned long virt_ledger_note(const struct virt_res *r);
void virt_ledger_strike(unsigned long id);
void virt_ledger_end(void);

/* A process's start time; whether pid is still the process that started then. */
int virt_proc_start(long pid, unsigned long long *start);
bool virt_proc_alive(long pid, unsigned long long start);

/* The lock every vtrun job of the machine takes around ledger scans and claims:
 * a flock on <runtime>/lock.  Returns the fd for virt_machine_unlock, -1 + err. */
int virt_machine_lock(void);
void virt_machine_unlock(int fd);
/* The lowest address slot < max not in avoid (may be NULL) and not held by another
 * process: a flock on <runtime>/slots/N, held through *fd_out until closed (or the
 * process dies).  -1 + err when all are taken. */
int virt_slot_take(const bool *avoid, unsigned max, int *fd_out);
/* Destroy and undefine domain name at uri through backend (a dead job's leftover, from
 * its ledger): 0 also when there is no such domain. */
int virt_reap_domain(const char *backend, const char *uri, const char *name);
/* Kill the process on this machine started with `-pidfile PIDFILE` (a dead job's QEMU,
 * from its ledger; identified by that argument, never by a pid alone) and remove the
 * qemu backend's files beside the pidfile (only under <runtime>/qemu/): 0 also when
 * no such process runs (virt_proc_reap.c). */
int virt_reap_process(const char *pidfile);

/* ===================================================================================
 * The VM set of a test (virt_vms.c)
 * =================================================================================== */

/*
 * The VMs of one test, from params to running guests and back to nothing; used by
 * every VM test type.  virt_vms_setup() reads `vms` and each VM's object params,
 * resolves the backend, plans each VM's clones, address and spec; nothing runs or is
 * made yet: a VM's clones are made on the host where it first starts (through the
 * host transport when that host is remote), a copy-storage hop creates the disks on
 * the destination first, as libvirt requires.  virt_vms_cleanup() destroys and undefines every VM on every host, removes
 * clones and closes connections; idempotent, safe after any partial setup.
 * Functions return 0 or -1 with err_msg() set (VM, host and context included).
 * Functions taking a VM index may be called from one worker thread per VM at once.
 * The case's params are only read.
 */

/* A host as the runner resolved it (settings hosts, case params).  Borrowed. */
struct virt_vms_host {
    const char *name;
    const char *uri;                /* client URI vtrun connects to */
    const char *migrate_desturi;    /* URI the peer daemon uses to reach it (p2p) */
    const char *migrate_uri;        /* migration data channel, e.g. tcp://127.0.0.1 */
    bool remote;                    /* another machine: files it opens are made there */
    const char *images_dir;         /* its private image directory; NULL unknown */
    const char *shared_dir;         /* its shared storage mount; NULL none */
};

/* Where a VM's serial console log is written on a remote host: libvirt's own log
 * directory, present wherever the QEMU driver runs ("<dir>/<domain>-serial.log"). */
#define VIRT_HOST_CONSOLE_DIR "/var/log/libvirt/qemu"

/* One hop of one VM, as the VM set reports it to its caller (results). */
struct virt_hop_record {
    const char *vm;
    unsigned hop;
    const char *from, *to;          /* host names */
    const struct be_hop_metrics *m;
    bool ok;
    const char *error;              /* NULL when ok */
};

/* What the caller hands the VM set; every pointer is borrowed and must outlive it. */
struct virt_vms_conf {
    const struct params *params;    /* the case */
    const char *backend;            /* "libvirt" or "qemu" */
    const struct virt_vms_host *hosts;
    size_t nhosts;
    const char *job_id;             /* its first 7 hex make names job-unique */
    unsigned slot;                  /* worker slot: names never collide */
    unsigned addr_slot;             /* machine-wide slot: addresses never collide */
    const char *outdir;             /* the test's result directory */
    struct virt_ctx vctx;           /* log, cancel flag, deadline */
    void (*on_hop)(void *ud, const struct virt_hop_record *h);  /* may be NULL */
    void *hop_ud;
    /* The host transport to host h, opened (once) and closed by the caller after
     * virt_vms_cleanup(); NULL with err when it cannot be opened.  NULL callback:
     * every host is this machine. */
    struct virt_host *(*host_link)(void *ud, int h);
    void *link_ud;
    void *user;                     /* the caller's own (its test context): not used here */
};

struct virt_vm {
    char *name;                 /* the object name in `vms`, e.g. vm1 */
    char *domain;               /* the domain name used on the hosts (unique per job slot) */
    struct params *params;      /* object params of this VM (a view: read-only) */
    struct be_vm_spec *spec;
    int host;                   /* index of the host it runs on now; -1 = not running */
    char *address;              /* guest IP address for SSH / ping, NULL = unknown */
    /* serial console log file the daemons write: in the test's result directory when
     * every host is this machine; else VIRT_HOST_CONSOLE_DIR on each host the VM ran
     * on, copied into the result directory as serial-<vm>.<host>.log as the test goes */
    char *console_log;
    double uptime;              /* last uptime read from the guest, seconds */
    void *priv;                 /* virt_vms.c's own per-VM state */
};

struct virt_vms {
    struct virt_vms_conf conf;
    const struct be_ops *be;
    struct be_host **hosts;     /* opened lazily, one per host */
    size_t nhosts;              /* qemu backend: 2 local "hosts"; else conf.nhosts */
    struct virt_vm *vm;
    size_t n;
    void *priv;                 /* virt_vms.c's own state */
    /* copy-storage hops make no disk on the destination while set: a test of what
     * libvirt does without one (tp-libvirt's nonexist_image) */
    bool copy_no_dest_disks;
};

int virt_vms_setup(const struct virt_vms_conf *conf, struct virt_vms *vms);
/* Reach hosts 0..n-1 before anything is made on them: the host transport first (SSH,
 * bounded by its connect timeout), then the backend's connection.  A wrong key, a
 * host refusing SSH or one not reachable ends here, -1 with err naming the host,
 * instead of at the hop after a boot (or in a connect with no bound of ours). */
int virt_vms_connect(struct virt_vms *vms, size_t n);
/* 0 when `name` is a backend (vm_type) vtrun has, else -1 with err_msg() naming the
 * ones it has: for checking --backend, the settings and vm_type before a job starts. */
int virt_backend_check(const char *name);
/* The name of host h for messages ("local-a"/"local-b" for the qemu backend). */
const char *virt_vms_host_name(const struct virt_vms *vms, int h);
/* True when the test must stop (the conf's cancel flag or deadline). */
bool virt_vms_should_stop(const struct virt_vms *vms);
/* Facts of host h (backend host_info); free with be_host_info_free. */
int virt_vms_host_info(struct virt_vms *vms, int h, struct be_host_info *out);
/* Host h's free memory now, in bytes (the backend's free_mem, else its host_info): what
 * changes between cases, for facts otherwise read once per job.  -1 with err naming
 * the host (its daemon did not answer). */
int virt_vms_host_free_mem(struct virt_vms *vms, int h, unsigned long long *bytes);
/* State of VM i's domain on host h. */
int virt_vms_state(struct virt_vms *vms, size_t i, int h, enum be_state *out);
/* Make VM i's disks (its clones) on host h, where it will start: what pre-migration
 * checks look at before any VM runs.  virt_vms_start() makes those not made yet. */
int virt_vms_prepare_disks(struct virt_vms *vms, size_t i, int h);
/* The domain `name` (any name, e.g. the one --dname gave) on host h: its state
 * (BE_STATE_NONE: no such domain) and whether it is persistent. */
int virt_vms_domain(struct virt_vms *vms, int h, const char *name, enum be_state *st,
                    bool *persistent);
/* Destroy and undefine the domain `name` on host h (one the VM set does not name:
 * --dname's); a missing domain is no error. */
int virt_vms_remove_domain(struct virt_vms *vms, int h, const char *name);
/* Pause / resume VM i's vCPUs where it runs (virsh suspend / resume). */
int virt_vms_suspend(struct virt_vms *vms, size_t i);
int virt_vms_resume(struct virt_vms *vms, size_t i);
/* vCPU hot(un)plug of running VM i (virsh setvcpus --live), and the count of its
 * enabled vCPUs as the hypervisor sees it (the live XML's). */
int virt_vms_set_vcpus(struct virt_vms *vms, size_t i, unsigned n);
int virt_vms_vcpus(struct virt_vms *vms, size_t i, unsigned *out);
/* DIMM hotplug into running VM i on guest NUMA node `node` (-1: none), and its
 * current memory as the hypervisor sees it (DIMMs included). */
int virt_vms_attach_dimm(struct virt_vms *vms, size_t i, unsigned long size_kib, int node);
int virt_vms_memory(struct virt_vms *vms, size_t i, unsigned long *cur_kib);
/* Attach a NIC like VM i's first (a new random MAC, *mac: caller frees) to the running
 * guest and its definition (virsh attach-interface --live --config). */
int virt_vms_attach_nic(struct virt_vms *vms, size_t i, char **mac);
/* VM i's definition where it runs, as text for --xml (its name changed to `rename`
 * when set); caller frees, NULL + err. */
char *virt_vms_migratable_def(struct virt_vms *vms, size_t i, const char *rename);
/* Whether domain `name`'s live definition on host h holds a NIC with MAC mac: 1, 0,
 * or -1 + err. */
int virt_vms_has_mac(struct virt_vms *vms, int h, const char *name, const char *mac);
/* Whether domain `name` runs on host h with its memory on huge pages: 1, 0, -1 + err. */
int virt_vms_on_hugepages(struct virt_vms *vms, int h, const char *name);
/* Define a copy of VM i's spec named `name` on host h (shut off, its own console);
 * the caller removes it (virt_vms_remove_domain). */
int virt_vms_define_as(struct virt_vms *vms, size_t i, int h, const char *name);
/* Drop the connection to host h; the next use opens a new one (after its daemon was
 * stopped and started again). */
void virt_vms_reconnect(struct virt_vms *vms, int h);
/* Open (and close) a connection of the VM set's backend to `uri`: -1 with the
 * driver's words when it cannot (a destination URI that names nothing). */
int virt_vms_open_uri(struct virt_vms *vms, const char *uri);
/* Define VM i on host h (shut off; cleanup undefines it). */
int virt_vms_define(struct virt_vms *vms, size_t i, int h);
/* Define and start VM i on host h.  With restore boots on (virt_vms_boot_restore),
 * a guest saved before (virt/virt_saved.c) is restored instead: its disks fresh
 * overlays over the saved ones, running where it was saved, logged into at once. */
int virt_vms_start(struct virt_vms *vms, size_t i, int h);
/* vm_boot_mode = restore for this test: each VM whose guest can be saved and restored
 * as it is (disks all linked qcow2 clones; no NUMA, huge pages, memory or vCPU
 * hotplug room, at most one NIC) starts from the saved guest when the image cache
 * has it, and else boots and is saved after its first login (then restored, so
 * every case runs a restored guest).  why_cold: the test's reason to boot cold
 * anyway (it tests booting), logged with each VM; NULL: none.  Each VM that boots
 * cold logs why. */
void virt_vms_boot_restore(struct virt_vms *vms, const char *why_cold);
/* Whether VM i runs a restored guest (its clock was set from the host's after it). */
bool virt_vms_restored(const struct virt_vms *vms, size_t i);
/* Power VM i off at once (virsh destroy); it stays defined on its host. */
int virt_vms_destroy(struct virt_vms *vms, size_t i);
/* Retry SSH login until it works or timeout_s passes (or the test must stop). */
int virt_vms_wait_login(struct virt_vms *vms, size_t i, double timeout_s);
/* Run a command in guest i; out (may be NULL) gets stdout, *status the exit status. */
int virt_vms_exec(struct virt_vms *vms, size_t i, const char *cmd, double timeout_s,
                  struct strbuf *out, int *status);
/* Read /proc/uptime of guest i into vm[i].uptime. */
int virt_vms_uptime(struct virt_vms *vms, size_t i, double *uptime);
/* Scan new console output of VM i for kernel crashes; 1 = crash found (err_msg()
 * starts with the matched line, then VM, console file and line; the context lines go
 * to the log), 0 = clean, -1 = error. */
int virt_vms_console_crash(struct virt_vms *vms, size_t i);
/* Migrate VM i from where it runs to host `to`; metrics filled (also on failure). */
int virt_vms_migrate(struct virt_vms *vms, size_t i, int to,
                     const struct be_migrate_opts *opts, struct be_hop_metrics *m);
/* Report one hop of VM i (metrics from virt_vms_migrate) to the conf's on_hop, or to
 * the log when there is none. */
void virt_vms_record_hop(struct virt_vms *vms, size_t i, unsigned hop, int from, int to,
                         const struct be_hop_metrics *m, bool ok, const char *error);
/* Guest administration where VM i runs (or, start_defined, on host h): start the
 * definition h has (virsh start, no redefinition from the spec), save its state to a
 * file of that host and restore it (virsh save / restore: -1 naming the backend when
 * it cannot), and whether it is among the host's running domains (virsh list). */
int virt_vms_start_defined(struct virt_vms *vms, size_t i, int h);
int virt_vms_save(struct virt_vms *vms, size_t i, const char *path);
int virt_vms_restore(struct virt_vms *vms, size_t i, const char *path);
int virt_vms_listed(struct virt_vms *vms, size_t i, bool *out);
/* Evidence of a failed test from host h: VM i's live domain XML, its last completed
 * job (one "name: value" line per figure); appended to out. */
int virt_vms_dump_xml(struct virt_vms *vms, size_t i, int h, struct strbuf *out);
int virt_vms_job_info(struct virt_vms *vms, size_t i, int h, struct strbuf *out);
/* Whether host h was reached during the test (its backend connection opened). */
bool virt_vms_opened(const struct virt_vms *vms, int h);
/* Whether host h's backend connection was opened and is gone now (the reconnects
 * gave up): a check that failed there failed on the lab, not on the guest. */
bool virt_vms_host_lost(const struct virt_vms *vms, int h);
/* Shut down (graceful, then destroy) VM i. */
int virt_vms_stop(struct virt_vms *vms, size_t i);
/* Tear everything down.  0 clean; 1 a warning (err_msg(): qemu-img check of a clone);
 * -1 an error after the test (err_msg(): a clone check failed or could not be removed;
 * virt_err_last() its kind).  A domain that could not be destroyed and undefined on
 * some host (after the backend's reconnects) is VIRT_ERR_LEFT_BEHIND, err_msg() "...:
 * domain D on HOST[, its disk PATH]; ...", and its clones stay (a running domain's
 * disk is not deleted under it).  The struct is zeroed either way. */
int virt_vms_cleanup(struct virt_vms *vms);

/* ---- saved guests: the image cache of restore boots (virt/virt_saved.c) ---- */

/* The directory beside a master image that holds the saved guests over it. */
#define VIRT_SAVED_DIR "vtrun-saved"
/* The key of the guest spec defines (be's rendering, each disk as its master
 * masters[d]) and of its files' identity on link (NULL: here): 32 hex digits, caller
 * frees; NULL + err.  what (may be NULL) gets the text hashed, for a look at why a
 * saved guest was not used. */
char *virt_saved_key(const struct be_ops *be, const struct be_vm_spec *spec,
                     const char *const *masters, struct virt_host *link, struct strbuf *what);
/* The entry of key beside master (<dir>/vtrun-saved/<key>), and a file in it: disk
 * -1 the memory image, else the disk's overlay.  Caller frees. */
char *virt_saved_entry(const char *master, const char *key);
char *virt_saved_file(const char *entry, int disk);
/* 1 when the whole entry is there (it is renamed into place complete), else 0. */
int virt_saved_exists(struct virt_host *link, const char *entry);
/* argv on link (NULL: this machine): 0 when it exited 0, else -1 with err. */
int virt_saved_run(struct virt_host *link, const char *const *argv, struct strbuf *out);

#endif
