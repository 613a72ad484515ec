/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spawn: the one way vtrun runs a program (after libvirt's virCommand).
 *
 *   struct spawn *c = spawn_new("qemu-img");
 *   spawn_args(c, "check", path, NULL);
 *   spawn_set_output(c, &out, &err);
 *   spawn_set_timeout(c, 60);
 *   if (spawn_run(c, &status) < 0) { ...err_msg()...; }
 *   spawn_free(c);
 *
 * - argv only; the program is looked up in PATH (execvp); never a shell string.
 * - Setup calls never fail (allocation failure aborts, as strbuf does); errors are
 *   reported once, by spawn_run(), through err_set() with the command line and the
 *   tail of stderr.
 * - The child runs in its own process group.  On timeout or when the cancel flag
 *   becomes non-zero the whole group gets SIGTERM, then SIGKILL after a grace period
 *   (so `sh -c 'sleep 100'` dies with its children).
 * - stdin is /dev/null unless spawn_set_stdin() gave data; stdout/stderr go to
 *   /dev/null unless a strbuf is given (or spawn_inherit_output()).
 * - spawn_to_string() renders the command line for logs: arguments quoted for a POSIX
 *   shell, arguments marked secret shown as "***" (after their visible prefix).
 */
#ifndef VTRUN_SPAWN_H
#define VTRUN_SPAWN_H

#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf;
struct spawn;

/* How the last spawn_run() ended. */
enum spawn_end {
    SPAWN_NOT_RUN,      /* not run yet, or could not be started (exec failed) */
    SPAWN_EXITED,       /* exited; spawn_exit_status() is its status */
    SPAWN_SIGNALED,     /* killed by a signal vtrun did not send */
    SPAWN_TIMEOUT,      /* vtrun killed it: timeout */
    SPAWN_CANCELLED,    /* vtrun killed it: cancel flag */
};

/* Called with the rendered command line just before the program starts. */
typedef void (*spawn_log_fn)(void *ud, const char *cmdline);

struct spawn *spawn_new(const char *prog);
/* From a NULL-terminated argv (argv[0] is the program). */
struct spawn *spawn_newv(const char *const *argv);
void spawn_free(struct spawn *c);

void spawn_arg(struct spawn *c, const char *arg);
void spawn_argf(struct spawn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Several arguments, NULL-terminated. */
void spawn_args(struct spawn *c, ...) __attribute__((sentinel));
/* A secret argument: passed as is, rendered as "***". */
void spawn_arg_secret(struct spawn *c, const char *arg);
/* "<visible><secret>" as one argument, rendered as "<visible>***"
 * (e.g. spawn_arg_pair_secret(c, "--password=", pw)). */
void spawn_arg_pair_secret(struct spawn *c, const char *visible, const char *secret);

/* Environment variable for the child only (added to the inherited environment). */
void spawn_setenv(struct spawn *c, const char *name, const char *value);
void spawn_set_cwd(struct spawn *c, const char *dir);

/* Data written to the child's stdin (copied), then stdin is closed. */
void spawn_set_stdin(struct spawn *c, const void *data, size_t len);
/* Capture stdout / stderr (appended; either may be NULL = /dev/null).  The same
 * strbuf for both interleaves them in arrival order. */
void spawn_set_output(struct spawn *c, struct strbuf *out, struct strbuf *err);
/* The child writes to vtrun's own stdout/stderr (interactive tools, debugging). */
void spawn_inherit_output(struct spawn *c);
/* Seconds; <= 0 means no timeout.  grace: SIGTERM -> SIGKILL delay (default 2 s). */
void spawn_set_timeout(struct spawn *c, double seconds);
void spawn_set_kill_grace(struct spawn *c, double seconds);
/* Polled about every 50 ms while the child runs; non-zero kills it. */
void spawn_set_cancel(struct spawn *c, const atomic_bool *cancel);
void spawn_set_log(struct spawn *c, spawn_log_fn fn, void *ud);

/*
 * Run to completion.  With exitstatus non-NULL: 0 when the program exited (any status,
 * stored in *exitstatus).  With exitstatus NULL: 0 only for exit status 0 (like
 * virCommandRun).  -1 (err_set) when it could not start, exited non-zero without
 * exitstatus, was killed by a signal, timed out or was cancelled — spawn_end() says
 * which.  May be called again on the same command (captured output is appended).
 */
int spawn_run(struct spawn *c, int *exitstatus);

enum spawn_end spawn_end(const struct spawn *c);
int spawn_exit_status(const struct spawn *c);   /* -1 unless SPAWN_EXITED */
double spawn_elapsed(const struct spawn *c);    /* seconds of the last run */

/* Append the shell-quoted, secret-masked command line (env assignments first). */
void spawn_to_string(const struct spawn *c, struct strbuf *out);

#endif
