/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/clock.h"
#include "lib/spawn.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* How often the cancel flag and the deadline are looked at while the child runs. */
#define SPAWN_TICK_MS 50
/* stderr kept in error messages. */
#define SPAWN_ERR_TAIL 400

struct spawn_arg {
    char *text;
    size_t visible;     /* chars shown before "***"; SIZE_MAX = not secret */
};

struct spawn {
    struct spawn_arg *args;
    size_t nargs, aargs;
    char **env;         /* "NAME=value" */
    size_t nenv;
    char *cwd;
    char *in;
    size_t inlen;
    bool has_in;
    struct strbuf *out, *err;
    bool inherit;
    double timeout, grace;
    const atomic_bool *cancel;
    spawn_log_fn log;
    void *log_ud;
    /* last run */
    enum spawn_end end;
    int status;
    double elapsed;
};


static void push_arg(struct spawn *c, char *text, size_t visible)
{
    if (c->nargs == c->aargs) {
        c->aargs = c->aargs ? 2 * c->aargs : 8;
        c->args = xrealloc(c->args, c->aargs * sizeof(*c->args));
    }
    c->args[c->nargs].text = text;
    c->args[c->nargs].visible = visible;
    c->nargs++;
}

struct spawn *spawn_new(const char *prog)
{
    struct spawn *c = xcalloc(1, sizeof(*c));
    c->grace = 2.0;
    c->status = -1;
    push_arg(c, xstrdup(prog), SIZE_MAX);
    return c;
}

struct spawn *spawn_newv(const char *const *argv)
{
    struct spawn *c = spawn_new(argv[0]);
    for (size_t i = 1; argv[i]; i++)
        spawn_arg(c, argv[i]);
    return c;
}

void spawn_free(struct spawn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nargs; i++)
        free(c->args[i].text);
    free(c->args);
    for (size_t i = 0; i < c->nenv; i++)
        free(c->env[i]);
    free(c->env);
    free(c->cwd);
    free(c->in);
    free(c);
}

void spawn_arg(struct spawn *c, const char *arg)
{
    push_arg(c, xstrdup(arg), SIZE_MAX);
}

void spawn_argf(struct spawn *c, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    push_arg(c, strbuf_detach(&sb, NULL), SIZE_MAX);
}

void spawn_args(struct spawn *c, ...)
{
    va_list ap;
    const char *a;
    va_start(ap, c);
    while ((a = va_arg(ap, const char *)))
        spawn_arg(c, a);
    va_end(ap);
}

void spawn_arg_secret(struct spawn *c, const char *arg)
{
    push_arg(c, xstrdup(arg), 0);
}

void spawn_arg_pair_secret(struct spawn *c, const char *visible, const char *secret)
{
    push_arg(c, xasprintf("%s%s", visible, secret), strlen(visible));
}

void spawn_setenv(struct spawn *c, const char *name, const char *value)
{
    c->env = xrealloc(c->env, (c->nenv + 1) * sizeof(*c->env));
    c->env[c->nenv++] = xasprintf("%s=%s", name, value);
}

void spawn_set_cwd(struct spawn *c, const char *dir)
{
    free(c->cwd);
    c->cwd = dir ? xstrdup(dir) : NULL;
}

void spawn_set_stdin(struct spawn *c, const void *data, size_t len)
{
    free(c->in);
    c->in = xmalloc(len ? len : 1);
    if (len)
        memcpy(c->in, data, len);
    c->inlen = len;
    c->has_in = true;
}

void spawn_set_output(struct spawn *c, struct strbuf *out, struct strbuf *err)
{
    c->out = out;
    c->err = err;
    c->inherit = false;
}

void spawn_inherit_output(struct spawn *c)
{
    c->out = c->err = NULL;
    c->inherit = true;
}

void spawn_set_timeout(struct spawn *c, double seconds) { c->timeout = seconds; }
void spawn_set_kill_grace(struct spawn *c, double seconds) { c->grace = seconds; }

void spawn_set_cancel(struct spawn *c, const atomic_bool *cancel)
{
    c->cancel = cancel;
}

void spawn_set_log(struct spawn *c, spawn_log_fn fn, void *ud)
{
    c->log = fn;
    c->log_ud = ud;
}

enum spawn_end spawn_end(const struct spawn *c) { return c->end; }
int spawn_exit_status(const struct spawn *c) { return c->end == SPAWN_EXITED ? c->status : -1; }
double spawn_elapsed(const struct spawn *c) { return c->elapsed; }

static void add_quoted(struct strbuf *sb, const char *s, size_t n)
{
    bool plain = n > 0;
    for (size_t i = 0; i < n && plain; i++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789-_./=:,+@%^", s[i]) != NULL && s[i];
    if (plain) {
        strbuf_add(sb, s, n);
        return;
    }
    strbuf_addch(sb, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            strbuf_addstr(sb, "'\\''");
        else
            strbuf_addch(sb, s[i]);
    }
    strbuf_addch(sb, '\'');
}

void spawn_to_string(const struct spawn *c, struct strbuf *out)
{
    for (size_t i = 0; i < c->nenv; i++) {
        add_quoted(out, c->env[i], strlen(c->env[i]));
        strbuf_addch(out, ' ');
    }
    for (size_t i = 0; i < c->nargs; i++) {
        const struct spawn_arg *a = &c->args[i];
        if (i)
            strbuf_addch(out, ' ');
        if (a->visible == SIZE_MAX) {
            add_quoted(out, a->text, strlen(a->text));
        } else {
            /* The visible prefix is quoted on its own; *** needs no quoting. */
            if (a->visible)
                add_quoted(out, a->text, a->visible);
            strbuf_addstr(out, "***");
        }
    }
}

/* Only async-signal-safe calls between fork() and exec. */
static void child(const struct spawn *c, char **argv, char **envp, int infd, int outfd,
                  int errfd, int errpipe)
{
    sigset_t all;
    int e;

    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    setpgid(0, 0);
    if (dup2(infd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(errfd, 2) < 0)
        goto fail;
    /* Nothing of vtrun's (sockets, logs, other children's pipes) leaks into the
     * program; the error pipe is close-on-exec anyway. */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = 3; fd < 1024; fd++)
            if (fd != errpipe)
                fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (c->cwd && chdir(c->cwd) < 0)
        goto fail;
    execvpe(argv[0], argv, envp);
fail:
    e = errno;
    if (write(errpipe, &e, sizeof(e)) < 0) {
        /* nothing left to report to */
    }
    _exit(127);
}

extern char **environ;

/* environ with c->env applied (same name replaced); the strings stay owned by environ
 * and c->env, only the array is allocated. */
static char **build_env(const struct spawn *c)
{
    size_t n = 0, k = 0;
    char **envp;
    while (environ[n])
        n++;
    envp = xcalloc(n + c->nenv + 1, sizeof(*envp));
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t j = 0; j < c->nenv && !replaced; j++) {
            size_t nl = strchr(c->env[j], '=') - c->env[j] + 1;
            replaced = strncmp(environ[i], c->env[j], nl) == 0;
        }
        if (!replaced)
            envp[k++] = environ[i];
    }
    for (size_t j = 0; j < c->nenv; j++)
        envp[k++] = c->env[j];
    return envp;
}

static void read_into(int *fd, struct strbuf *sb)
{
    char buf[65536];
    ssize_t n = read(*fd, buf, sizeof(buf));
    if (n > 0) {
        if (sb)
            strbuf_add(sb, buf, (size_t)n);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(*fd);
        *fd = -1;
    }
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Has the leader exited?  WNOWAIT keeps it a zombie so its pid (the process group id)
 * cannot be reused before the group is killed. */
static bool leader_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

static void kill_group(const struct spawn *c, pid_t pid)
{
    double until;
    kill(-pid, SIGTERM);
    until = clock_now() + c->grace;
    while (!leader_exited(pid) && clock_now() < until) {
        clock_sleep(0.02);
    }
    /* Always: kills the leader if it ignored SIGTERM, and children left behind. */
    kill(-pid, SIGKILL);
}

static void tail(struct strbuf *msg, const struct strbuf *sb)
{
    size_t len, start;
    if (!sb || !sb->len)
        return;
    len = sb->len;
    while (len && (sb->buf[len - 1] == '\n' || sb->buf[len - 1] == ' '))
        len--;
    start = len > SPAWN_ERR_TAIL ? len - SPAWN_ERR_TAIL : 0;
    strbuf_addf(msg, ": %s%.*s", start ? "..." : "", (int)(len - start), sb->buf + start);
}

int spawn_run(struct spawn *c, int *exitstatus)
{
    struct strbuf cmdline = STRBUF_INIT, msg = STRBUF_INIT;
    char **argv = NULL, **envp = NULL;
    int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
    int ep[2] = { -1, -1 }, devnull = -1;
    int child_in, child_out, child_err;
    sigset_t pipeset, oldset;
    bool sigpipe_blocked = false;
    size_t inoff = 0;
    pid_t pid = -1;
    int wstatus = 0, e = 0, ret = -1;
    double t0 = clock_now(), deadline = c->timeout > 0 ? t0 + c->timeout : 0;
    ssize_t n;

    c->end = SPAWN_NOT_RUN;
    c->status = -1;
    c->elapsed = 0;
    spawn_to_string(c, &cmdline);
    if (c->log)
        c->log(c->log_ud, cmdline.buf);

    argv = xcalloc(c->nargs + 1, sizeof(*argv));
    for (size_t i = 0; i < c->nargs; i++)
        argv[i] = c->args[i].text;

    /* The environment is built here: setenv()/putenv() in the child of a threaded
     * process may deadlock on the environment lock. */
    envp = build_env(c);

    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || pipe2(ep, O_CLOEXEC) < 0 ||
        (c->has_in && pipe2(inp, O_CLOEXEC) < 0) ||
        (c->out && pipe2(outp, O_CLOEXEC) < 0) ||
        (c->err && c->err != c->out && pipe2(errp, O_CLOEXEC) < 0)) {
        err_set("%s: cannot create pipes: %s", cmdline.buf, strerror(errno));
        goto cleanup;
    }
    child_in = c->has_in ? inp[0] : devnull;
    child_out = c->out ? outp[1] : c->inherit ? 1 : devnull;
    child_err = c->err ? (c->err == c->out ? outp[1] : errp[1]) : c->inherit ? 2 : devnull;

    /* A child that closes stdin early must not kill vtrun with SIGPIPE: block it in
     * this thread and discard one that our own write raised (see below). */
    sigemptyset(&pipeset);
    sigaddset(&pipeset, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeset, &oldset);
    sigpipe_blocked = true;

    pid = fork();
    if (pid < 0) {
        err_set("%s: fork: %s", cmdline.buf, strerror(errno));
        goto cleanup;
    }
    if (pid == 0)
        child(c, argv, envp, child_in, child_out, child_err, ep[1]);
    /* Both sides set the group so kill(-pid) works whichever runs first. */
    setpgid(pid, pid);

    close(ep[1]);
    ep[1] = -1;
    if (inp[0] >= 0) { close(inp[0]); inp[0] = -1; }
    if (outp[1] >= 0) { close(outp[1]); outp[1] = -1; }
    if (errp[1] >= 0) { close(errp[1]); errp[1] = -1; }

    /* exec failure: the child writes errno on the close-on-exec pipe. */
    do
        n = read(ep[0], &e, sizeof(e));
    while (n < 0 && errno == EINTR);
    if (n == sizeof(e)) {
        waitpid(pid, NULL, 0);
        pid = -1;
        err_set("%s: cannot run %s: %s", cmdline.buf, argv[0], strerror(e));
        goto cleanup;
    }

    if (inp[1] >= 0) {
        set_nonblock(inp[1]);
        if (c->inlen == 0) {
            close(inp[1]);
            inp[1] = -1;
        }
    }
    if (outp[0] >= 0) set_nonblock(outp[0]);
    if (errp[0] >= 0) set_nonblock(errp[0]);

    for (;;) {
        struct pollfd pfd[3];
        int nfd = 0, wait_ms = SPAWN_TICK_MS;
        bool exited;

        if (c->cancel && *c->cancel) {
            c->end = SPAWN_CANCELLED;
            break;
        }
        if (deadline && clock_now() >= deadline) {
            c->end = SPAWN_TIMEOUT;
            break;
        }
        exited = leader_exited(pid);
        if (inp[1] >= 0) pfd[nfd++] = (struct pollfd){ .fd = inp[1], .events = POLLOUT };
        if (outp[0] >= 0) pfd[nfd++] = (struct pollfd){ .fd = outp[0], .events = POLLIN };
        if (errp[0] >= 0) pfd[nfd++] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
        if (exited) {
            /* Collect what is already in the pipes, but do not wait for a
             * grandchild that keeps them open (a daemon it started). */
            wait_ms = 0;
            if (inp[1] >= 0) { close(inp[1]); inp[1] = -1; }
        }
        if (nfd == 0 && exited)
            break;
        if (deadline) {
            double left_ms = (deadline - clock_now()) * 1000;
            if (left_ms < wait_ms)
                wait_ms = left_ms > 0 ? (int)left_ms : 0;
        }
        n = poll(pfd, nfd, wait_ms);
        if (n < 0 && errno != EINTR) {
            err_set("%s: poll: %s", cmdline.buf, strerror(errno));
            kill(-pid, SIGKILL);
            goto cleanup;
        }
        if (n == 0 && exited)
            break;
        for (int i = 0; i < nfd && n > 0; i++) {
            if (!pfd[i].revents)
                continue;
            if (pfd[i].fd == inp[1]) {
                ssize_t w = write(inp[1], c->in + inoff, c->inlen - inoff);
                if (w > 0)
                    inoff += (size_t)w;
                if ((w < 0 && errno != EAGAIN && errno != EINTR) || inoff == c->inlen) {
                    if (w < 0 && errno == EPIPE) {
                        struct timespec zero = { 0, 0 };
                        sigtimedwait(&pipeset, NULL, &zero);
                    }
                    close(inp[1]);
                    inp[1] = -1;
                }
            } else if (pfd[i].fd == outp[0]) {
                read_into(&outp[0], c->out);
            } else {
                read_into(&errp[0], c->err);
            }
        }
    }

    if (c->end == SPAWN_TIMEOUT || c->end == SPAWN_CANCELLED)
        kill_group(c, pid);
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    c->elapsed = clock_now() - t0;

    if (c->end == SPAWN_TIMEOUT) {
        strbuf_addf(&msg, "%s: timed out after %.1f s", cmdline.buf, c->timeout);
        tail(&msg, c->err);
        err_set("%s", msg.buf);
        goto cleanup;
    }
    if (c->end == SPAWN_CANCELLED) {
        err_set("%s: cancelled", cmdline.buf);
        goto cleanup;
    }
    if (WIFSIGNALED(wstatus)) {
        c->end = SPAWN_SIGNALED;
        strbuf_addf(&msg, "%s: killed by signal %d (%s)", cmdline.buf,
                    WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
        tail(&msg, c->err);
        err_set("%s", msg.buf);
        goto cleanup;
    }
    c->end = SPAWN_EXITED;
    c->status = WEXITSTATUS(wstatus);
    if (exitstatus) {
        *exitstatus = c->status;
    } else if (c->status != 0) {
        strbuf_addf(&msg, "%s: exit status %d", cmdline.buf, c->status);
        tail(&msg, c->err);
        err_set("%s", msg.buf);
        goto cleanup;
    }
    ret = 0;

cleanup:
    if (pid > 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (sigpipe_blocked)
        pthread_sigmask(SIG_SETMASK, &oldset, NULL);
    for (int i = 0; i < 2; i++) {
        if (inp[i] >= 0) close(inp[i]);
        if (outp[i] >= 0) close(outp[i]);
        if (errp[i] >= 0) close(errp[i]);
        if (ep[i] >= 0) close(ep[i]);
    }
    if (devnull >= 0)
        close(devnull);
    if (!c->elapsed)
        c->elapsed = clock_now() - t0;
    free(argv);
    free(envp);
    strbuf_release(&cmdline);
    strbuf_release(&msg);
    return ret;
}
