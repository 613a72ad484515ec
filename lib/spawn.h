/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spawn: the one way vtrun runs a program, and the only place it forks (after
 * libvirt's virCommand).
 *
 * To completion (virCommandRun):
 *
 *   struct spawn *c = spawn_new("qemu-img");
 *   spawn_args(c, "check", path, NULL);
 *   spawn_set_output(c, &out, &err);
 *   spawn_set_timeout(c, 60);
 *   if (spawn_run(c, &status) < 0) { ...err_msg()...; }
 *   spawn_free(c);
 *
 * In steps (virCommandRunAsync + virCommandWait): spawn_start() forks and execs and
 * returns once the program runs (an exec failure is its error); spawn_pump() moves
 * stdin/stdout/stderr between the pipes and the buffers; spawn_wait() pumps until the
 * program ends (or its timeout / the cancel flag), reaps it and reports.
 * spawn_run() is spawn_start() + spawn_wait().
 *
 * In the background (stress, QEMU): spawn_start(), then spawn_alive() as often as
 * wanted, and spawn_stop() (SIGTERM to the group, SIGKILL after a grace period, reap)
 * or spawn_wait() when it ends by itself.  Output goes to a file
 * (spawn_set_output_file) or is captured; captured output only moves when spawn_pump(),
 * spawn_alive(), spawn_stop() or spawn_wait() is called, so a background child that
 * writes more than a pipe holds (64 KiB) between two calls waits for the next.
 * spawn_free() of a command still running kills its group and reaps it.
 *
 * - argv only; the program is looked up in PATH (execvp); never a shell string.
 * - Setup calls never fail (allocation failure aborts, as strbuf does); errors are
 *   reported once, by spawn_start/wait/stop, through err_set() with the command line
 *   and the tail of stderr.
 * - The child runs in its own process group (pid == group id).  On timeout, cancel or
 *   stop the whole group gets SIGTERM, then SIGKILL after the grace period (so
 *   `sh -c 'sleep 100'` dies with its children).  The leader is reaped only after
 *   the group was killed, so its pid (the group id) cannot be reused in between.
 * - Nothing of vtrun's leaks into the program: every descriptor but 0, 1, 2 and those
 *   of spawn_keep_fd() is closed on exec.
 * - stdin is /dev/null unless spawn_set_stdin() gave data; stdout/stderr go to
 *   /dev/null unless a strbuf or a file is given (or spawn_inherit_output()).
 * - spawn_to_string() renders the command line for logs: arguments quoted for a POSIX
 *   shell, arguments marked secret shown as "***" (after their visible prefix).
 * - One thread at a time per struct spawn; different commands in different threads.
 */
#ifndef VTRUN_SPAWN_H
#define VTRUN_SPAWN_H

#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct strbuf;
struct spawn;

/* How the last run ended. */
enum spawn_end {
    SPAWN_NOT_RUN,      /* not run yet, running, or could not be started (exec failed) */
    SPAWN_EXITED,       /* exited; spawn_exit_status() is its status */
    SPAWN_SIGNALED,     /* killed by a signal vtrun did not send */
    SPAWN_TIMEOUT,      /* vtrun killed it: timeout */
    SPAWN_CANCELLED,    /* vtrun killed it: cancel flag */
    SPAWN_STOPPED,      /* vtrun killed it: spawn_stop() */
};

/* Called with the rendered command line just before the program starts. */
typedef void (*spawn_log_fn)(void *ud, const char *cmdline);

struct spawn *spawn_new(const char *prog);
/* From a NULL-terminated argv (argv[0] is the program). */
struct spawn *spawn_newv(const char *const *argv);
/* Kills (SIGKILL, whole group) and reaps a command still running. */
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
/* stdout and stderr appended to the file at path (created 0644 if missing). */
void spawn_set_output_file(struct spawn *c, const char *path);
/* The child writes to vtrun's own stdout/stderr (interactive tools, debugging). */
void spawn_inherit_output(struct spawn *c);
/* Seconds from spawn_start(); <= 0 means no timeout.  spawn_wait() enforces it. */
void spawn_set_timeout(struct spawn *c, double seconds);
/* SIGTERM -> SIGKILL delay on timeout and cancel (default 2 s). */
void spawn_set_kill_grace(struct spawn *c, double seconds);
/* Polled about every 50 ms by spawn_wait(); non-zero kills the child. */
void spawn_set_cancel(struct spawn *c, const atomic_bool *cancel);
void spawn_set_log(struct spawn *c, spawn_log_fn fn, void *ud);
/* The child gets signal sig when vtrun dies, however it dies (SIGKILL included):
 * PR_SET_PDEATHSIG.  The kernel sends it when the *thread* that forked exits, so such
 * children are forked by one thread of lib/spawn that lives as long as the process;
 * a QEMU started by a migration worker thread outlives the worker, not vtrun. */
void spawn_set_pdeathsig(struct spawn *c, int sig);
/* Descriptor fd (>= 3) stays open in the child under the same number (a socket or tap
 * device handed to QEMU as fd=N).  The caller keeps owning it. */
void spawn_keep_fd(struct spawn *c, int fd);

/*
 * Start the program.  0 once it runs (exec succeeded); -1 (err_set) when it could not
 * be started: bad setup, pipes, fork or exec failure (the message names the program
 * and the reason), or the command is still running from an earlier start.
 */
int spawn_start(struct spawn *c);
/*
 * Move what is ready between the child and its pipes: stdin data out, captured stdout/
 * stderr in, waiting up to wait_ms for something to be ready (sleeps wait_ms when no
 * pipe is left).  Returns the number of pipes that moved (0: nothing), -1 on error.
 */
int spawn_pump(struct spawn *c, int wait_ms);
/*
 * Pump until the program ends, reap it.  With exitstatus non-NULL: 0 when the program
 * exited (any status, stored in *exitstatus).  With exitstatus NULL: 0 only for exit
 * status 0 (like virCommandRun).  -1 (err_set) when it exited non-zero without
 * exitstatus, was killed by a signal, timed out or was cancelled — spawn_end() says
 * which.  A program that exits while a daemon it started keeps its stdout open is
 * done: the daemon is not waited for.
 */
int spawn_wait(struct spawn *c, int *exitstatus);
/* spawn_start() + spawn_wait().  May be called again on the same command (captured
 * output is appended). */
int spawn_run(struct spawn *c, int *exitstatus);

/* True while the program or anything of its process group is alive (zombies
 * excepted).  Pumps captured output first.  Never reaps. */
bool spawn_alive(struct spawn *c);
/*
 * Stop a started command: SIGTERM to the group, SIGKILL after grace_s (at once when
 * grace_s <= 0), reap the leader, wait (bounded) until nothing of the group is left.
 * A command that had ended by itself is only reaped (spawn_end() says how it ended).
 * 0, or -1 (err_set) when some process of the group survived SIGKILL.  Idempotent:
 * 0 when nothing runs.
 */
int spawn_stop(struct spawn *c, double grace_s);
/* Make this process the reaper of its children's orphans (PR_SET_CHILD_SUBREAPER),
 * once per process: what a child forked stays under vtrun when the child dies. */
void spawn_subreaper(void);
/* Whether any live (not zombie) process is in process group pgid, whoever started
 * it (a group recorded by an earlier vtrun, a test looking for leftovers). */
bool spawn_group_alive(pid_t pgid);
/* Process (and group) id while started and not reaped; 0 otherwise. */
pid_t spawn_pid(const struct spawn *c);

enum spawn_end spawn_end(const struct spawn *c);
int spawn_exit_status(const struct spawn *c);   /* -1 unless SPAWN_EXITED */
double spawn_elapsed(const struct spawn *c);    /* seconds of the last run */

/* Append the shell-quoted, secret-masked command line (env assignments first). */
void spawn_to_string(const struct spawn *c, struct strbuf *out);

#endif
