/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the tp-qemu types run on avocado-vt's libvirt VM (runner/type_qemu_*.c):
 * what tp-qemu's sources do through the VM object and its shell session, on vtrun's
 * VM set (ctx->data, set up by run_vmtype_setup).
 */
#ifndef VTRUN_TYPE_QEMU_H
#define VTRUN_TYPE_QEMU_H

#include <stdbool.h>

#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "virt/virt.h"

struct strbuf;

/* session.cmd_status_output(cmd): the exit status in *status, stdout into out (may be
 * NULL); -1 with the test's ERROR (LoginError) when the guest cannot be reached. */
int qemu_guest_exec(struct run_ctx *ctx, size_t i, const char *cmd, double timeout_s,
                    int *status, struct strbuf *out);
/* session.cmd(cmd): as qemu_guest_exec, and a non-zero exit is the test's ERROR
 * (aexpect's ShellCmdError). */
int qemu_guest_cmd(struct run_ctx *ctx, size_t i, const char *cmd, double timeout_s,
                   struct strbuf *out);
/* session.sendline(cmd): started in the guest, detached, not waited for; with pid
 * non-NULL its process id (0 when the guest did not print one). */
int qemu_guest_send(struct run_ctx *ctx, size_t i, const char *cmd, long *pid);
/* vm.verify_status(want): ERROR (VMStatusError) when VM i is in another state. */
int qemu_verify_state(struct run_ctx *ctx, size_t i, enum be_state want);
/* vm.wait_for_shutdown(timeout_s): 1 once VM i is off, 0 when it still runs after
 * timeout_s, -1 (ERROR set, or the test must stop) when its state cannot be read. */
int qemu_wait_down(struct run_ctx *ctx, size_t i, double timeout_s);
/* vm.verify_kernel_crash(): ERROR (KernelCrashError) when VM i's console shows one. */
int qemu_verify_no_crash(struct run_ctx *ctx, size_t i);
/* A file on the source host (host 0): removed there, errors only logged. */
void qemu_host_remove(struct run_ctx *ctx, const char *path);

/* .applies of need rows every case of their types needs. */
bool qemu_need_always(const struct params *p);
/* .met of a "not built" row: never met, the ERROR "type T: not built: <.text>". */
int qemu_need_unbuilt(const struct run_need *n, const struct params *p, struct run_facts *f,
                      struct strbuf *why);

#endif
