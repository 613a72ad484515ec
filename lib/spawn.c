/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spawn: argv, pipes, fork/exec, pump, wait, background, stop (lib/spawn.h). */
#include "lib/clock.h"
#include "lib/spawn.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <stdatomic.h>
#include <ctype.h>
#include <dirent.h>
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
#include <sys/prctl.h>
#include <sys/syscall.h>
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
/* After SIGKILL, how long the rest of a group may take to disappear. */
#define SPAWN_KILL_WAIT_S 2.0

struct spawn_arg {
    char *text;
    size_t visible;     /* chars shown before "***"; SIZE_MAX = not secret */
};

struct spawn {
    /* the command */
    struct spawn_arg *args;
    size_t nargs, aargs;
    char **env;         /* "NAME=value" */
    size_t nenv;
    char *cwd;
    char *in;
    size_t inlen;
    bool has_in;
    struct strbuf *out, *err;
    char *out_file;
    bool inherit;
    int *keep;          /* spawn_keep_fd() */
    size_t nkeep;
    int pdeathsig;
    double timeout, grace;
    const atomic_bool *cancel;
    spawn_log_fn log;
    void *log_ud;
    /* the process, from spawn_start() until it is reaped */
    pid_t pid;
    int pidfd;                  /* readable when it exits (wakes the pump); -1: none */
    int in_fd, out_fd, err_fd;  /* our ends of its pipes; -1 when closed */
    size_t inoff;
    double t0;
    struct strbuf cmdline;      /* rendered at start, for messages */
    /* how the last run ended */
    enum spawn_end end;
    int status;
    double elapsed;
};

/* ---- the command ------------------------------------------------------------------ */

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
    c->pidfd = c->in_fd = c->out_fd = c->err_fd = -1;
    strbuf_init(&c->cmdline, 0);
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
    spawn_stop(c, 0);
    for (size_t i = 0; i < c->nargs; i++)
        free(c->args[i].text);
    free(c->args);
    for (size_t i = 0; i < c->nenv; i++)
        free(c->env[i]);
    free(c->env);
    free(c->cwd);
    free(c->in);
    free(c->out_file);
    free(c->keep);
    strbuf_release(&c->cmdline);
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

/* The three ways output can go are exclusive: the last call wins. */
static void clear_output(struct spawn *c)
{
    c->out = c->err = NULL;
    free(c->out_file);
    c->out_file = NULL;
    c->inherit = false;
}

void spawn_set_output(struct spawn *c, struct strbuf *out, struct strbuf *err)
{
    clear_output(c);
    c->out = out;
    c->err = err;
}

void spawn_set_output_file(struct spawn *c, const char *path)
{
    clear_output(c);
    c->out_file = xstrdup(path);
}

void spawn_inherit_output(struct spawn *c)
{
    clear_output(c);
    c->inherit = true;
}

void spawn_set_timeout(struct spawn *c, double seconds) { c->timeout = seconds; }
void spawn_set_kill_grace(struct spawn *c, double seconds) { c->grace = seconds; }
void spawn_set_pdeathsig(struct spawn *c, int sig) { c->pdeathsig = sig; }

void spawn_keep_fd(struct spawn *c, int fd)
{
    c->keep = xrealloc(c->keep, (c->nkeep + 1) * sizeof(*c->keep));
    c->keep[c->nkeep++] = fd;
}

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
pid_t spawn_pid(const struct spawn *c) { return c->pid; }

/* Words a shell reads as themselves stay bare, so logs read like what one types. */
static void add_word(struct strbuf *sb, const char *s, size_t n)
{
    bool plain = n > 0;
    for (size_t i = 0; i < n && plain; i++)
        plain = s[i] && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789-_./=:,+@%^", s[i]) != NULL;
    if (plain) {
        strbuf_add(sb, s, n);
    } else {
        char *w = xstrndup(s, n);
        strbuf_add_sq(sb, w);
        free(w);
    }
}

void spawn_to_string(const struct spawn *c, struct strbuf *out)
{
    for (size_t i = 0; i < c->nenv; i++) {
        add_word(out, c->env[i], strlen(c->env[i]));
        strbuf_addch(out, ' ');
    }
    for (size_t i = 0; i < c->nargs; i++) {
        const struct spawn_arg *a = &c->args[i];
        if (i)
            strbuf_addch(out, ' ');
        if (a->visible == SIZE_MAX) {
            add_word(out, a->text, strlen(a->text));
        } else {
            /* The visible prefix is quoted on its own; *** needs no quoting. */
            if (a->visible)
                add_word(out, a->text, a->visible);
            strbuf_addstr(out, "***");
        }
    }
}

/* ---- the child -------------------------------------------------------------------- */

/* Everything the child needs, prepared before fork(): between fork() and exec only
 * async-signal-safe calls, no allocation (another thread may hold malloc's lock). */
struct child_plan {
    const struct spawn *c;
    char **argv, **envp;
    int fd[3];              /* what the child gets as 0, 1, 2 */
    int errpipe;            /* exec failure: errno written here (close-on-exec) */
    pid_t parent;           /* for the pdeathsig race check */
};

static void __attribute__((noreturn)) child_fail(const struct child_plan *pl)
{
    int e = errno;
    if (write(pl->errpipe, &e, sizeof(e)) < 0) {
        /* nothing left to report to */
    }
    _exit(127);
}

/* 0, 1, 2 from pl->fd, through copies above 2 so that none is overwritten before it
 * is copied (vtrun itself may run with 0, 1 or 2 closed). */
static int child_stdio(const struct child_plan *pl)
{
    int hi[3];
    for (int i = 0; i < 3; i++)
        if ((hi[i] = fcntl(pl->fd[i], F_DUPFD_CLOEXEC, 3)) < 0)
            return -1;
    for (int i = 0; i < 3; i++)
        if (dup2(hi[i], i) < 0)
            return -1;
    return 0;
}

/* Nothing of vtrun's (sockets, logs, other children's pipes) leaks into the program,
 * except what spawn_keep_fd() asked for. */
static int child_fds(const struct child_plan *pl)
{
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = 3; fd < 1024; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    for (size_t i = 0; i < pl->c->nkeep; i++)
        if (fcntl(pl->c->keep[i], F_SETFD, 0) < 0)
            return -1;
    return 0;
}

static void __attribute__((noreturn)) child_exec(const struct child_plan *pl)
{
    sigset_t none;

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    setpgid(0, 0);
    if (pl->c->pdeathsig) {
        if (prctl(PR_SET_PDEATHSIG, pl->c->pdeathsig) < 0)
            child_fail(pl);
        /* vtrun died between fork() and prctl(): nobody will send the signal */
        if (getppid() != pl->parent)
            raise(pl->c->pdeathsig);
    }
    if (child_stdio(pl) < 0 || child_fds(pl) < 0)
        child_fail(pl);
    if (pl->c->cwd && chdir(pl->c->cwd) < 0)
        child_fail(pl);
    execvpe(pl->argv[0], pl->argv, pl->envp);
    child_fail(pl);
}

/*
 * The keeper: one thread that lives as long as vtrun and forks the children that must
 * die with vtrun.  PR_SET_PDEATHSIG fires when the forking *thread* ends; a child forked
 * by a migration worker would be killed when the worker returns.  Requests are served
 * one at a time.  fork() copies only the calling thread, so a child process of vtrun
 * (a test harness forking per test) starts its own keeper when it needs one.
 */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const struct child_plan *req;   /* set by a requester, cleared when served */
    bool served;
    bool up;                        /* the thread runs (in this process) */
    pid_t pid;
    int err;
} keeper = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, false, false, 0, 0 };

static void *keeper_main(void *unused)
{
    sigset_t all;
    (void)unused;
    /* signals go to the other threads: this one only forks */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&keeper.lock);
    for (;;) {
        while (!keeper.req || keeper.served)
            pthread_cond_wait(&keeper.cond, &keeper.lock);
        /* a local copy: in the child, keeper_forget() has cleared keeper.req */
        const struct child_plan *pl = keeper.req;
        keeper.pid = fork();
        if (keeper.pid == 0)
            child_exec(pl);
        keeper.err = errno;
        keeper.served = true;
        pthread_cond_broadcast(&keeper.cond);
    }
    return NULL;
}

/* In the child of any fork(): the keeper thread was not copied. */
static void keeper_forget(void)
{
    pthread_mutex_init(&keeper.lock, NULL);
    pthread_cond_init(&keeper.cond, NULL);
    keeper.req = NULL;
    keeper.served = false;
    keeper.up = false;
}

static void keeper_atfork(void)
{
    pthread_atfork(NULL, NULL, keeper_forget);
}

/* Under keeper.lock.  0, or -1 with errno. */
static int keeper_start(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_attr_t a;
    pthread_t t;
    int e;

    pthread_once(&once, keeper_atfork);
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    e = pthread_create(&t, &a, keeper_main, NULL);
    pthread_attr_destroy(&a);
    keeper.up = e == 0;
    errno = e;
    return e ? -1 : 0;
}

static pid_t keeper_fork(const struct child_plan *pl)
{
    pid_t pid = -1;

    pthread_mutex_lock(&keeper.lock);
    if (!keeper.up && keeper_start() < 0)
        goto out;
    while (keeper.req)
        pthread_cond_wait(&keeper.cond, &keeper.lock);
    keeper.req = pl;
    keeper.served = false;
    pthread_cond_broadcast(&keeper.cond);
    while (!keeper.served)
        pthread_cond_wait(&keeper.cond, &keeper.lock);
    pid = keeper.pid;
    errno = keeper.err;
    keeper.req = NULL;
    pthread_cond_broadcast(&keeper.cond);
out:
    pthread_mutex_unlock(&keeper.lock);
    return pid;
}

static void subreaper_once(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void spawn_subreaper(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, subreaper_once);
}

/* ---- start ------------------------------------------------------------------------ */

extern char **environ;

/* environ with c->env applied (same name replaced); the strings stay owned by environ
 * and c->env, only the array is allocated.  Built before fork(): setenv() in the child
 * of a threaded process may deadlock on the environment lock. */
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

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* The descriptors the child gets, and our copies of them (closed after fork). */
struct plumbing {
    int child[3];
    int ours[5];        /* child ends of pipes, /dev/null, the output file */
    size_t nours;
};

static int keep_ours(struct plumbing *pb, int fd)
{
    if (fd >= 0)
        pb->ours[pb->nours++] = fd;
    return fd;
}

static void close_ours(struct plumbing *pb)
{
    for (size_t i = 0; i < pb->nours; i++)
        close(pb->ours[i]);
    pb->nours = 0;
}

/* A pipe whose read (dir 0) or write (dir 1) end we keep in *mine. */
static int make_pipe(struct plumbing *pb, int *mine, int dir)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    *mine = p[dir];
    return keep_ours(pb, p[1 - dir]);
}

static int plumb(struct spawn *c, struct plumbing *pb)
{
    int null = keep_ours(pb, open("/dev/null", O_RDWR | O_CLOEXEC));
    if (null < 0)
        return -1;
    pb->child[0] = c->has_in ? make_pipe(pb, &c->in_fd, 1) : null;
    if (c->out_file) {
        pb->child[1] = pb->child[2] = keep_ours(pb, open(c->out_file,
                                   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    } else {
        pb->child[1] = c->out ? make_pipe(pb, &c->out_fd, 0) : c->inherit ? 1 : null;
        pb->child[2] = c->err == c->out && c->out ? pb->child[1]
                       : c->err ? make_pipe(pb, &c->err_fd, 0) : c->inherit ? 2 : null;
    }
    for (int i = 0; i < 3; i++)
        if (pb->child[i] < 0)
            return -1;
    return 0;
}

static int check_keep(const struct spawn *c)
{
    for (size_t i = 0; i < c->nkeep; i++)
        if (c->keep[i] < 3 || fcntl(c->keep[i], F_GETFD) < 0) {
            err_set("%s: descriptor %d cannot be passed on", c->cmdline.buf, c->keep[i]);
            return -1;
        }
    return 0;
}

/* fork (through the keeper when the child must die with vtrun), then wait for exec:
 * the child writes errno on the close-on-exec pipe when it fails. */
static int fork_exec(struct spawn *c, struct child_plan *pl)
{
    int ep[2], e = 0;
    ssize_t n;

    if (pipe2(ep, O_CLOEXEC) < 0) {
        err_set("%s: pipe: %s", c->cmdline.buf, strerror(errno));
        return -1;
    }
    pl->errpipe = ep[1];
    pl->parent = getpid();
    c->pid = c->pdeathsig ? keeper_fork(pl) : fork();
    if (c->pid == 0)
        child_exec(pl);
    e = errno;
    close(ep[1]);
    if (c->pid < 0) {
        c->pid = 0;
        close(ep[0]);
        err_set("%s: fork: %s", c->cmdline.buf, strerror(e));
        return -1;
    }
    /* Both sides set the group so kill(-pid) works whichever runs first. */
    setpgid(c->pid, c->pid);
    do
        n = read(ep[0], &e, sizeof(e));
    while (n < 0 && errno == EINTR);
    close(ep[0]);
    if (n == sizeof(e)) {
        waitpid(c->pid, NULL, 0);
        c->pid = 0;
        err_set("%s: cannot run %s: %s", c->cmdline.buf, pl->argv[0], strerror(e));
        return -1;
    }
    return 0;
}

static void set_nonblock(int fd)
{
    if (fd >= 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int spawn_start(struct spawn *c)
{
    struct plumbing pb = { .nours = 0 };
    struct child_plan pl = { .c = c };
    int ret = -1;

    if (c->pid) {
        err_set("%s: still running (pid %d)", c->cmdline.buf, (int)c->pid);
        return -1;
    }
    c->end = SPAWN_NOT_RUN;
    c->status = -1;
    c->elapsed = 0;
    c->inoff = 0;
    c->t0 = clock_now();
    strbuf_reset(&c->cmdline);
    spawn_to_string(c, &c->cmdline);
    if (check_keep(c) < 0)
        return -1;
    if (c->log)
        c->log(c->log_ud, c->cmdline.buf);

    pl.argv = xcalloc(c->nargs + 1, sizeof(*pl.argv));
    for (size_t i = 0; i < c->nargs; i++)
        pl.argv[i] = c->args[i].text;
    pl.envp = build_env(c);
    if (plumb(c, &pb) < 0) {
        err_set("%s: %s: %s", c->cmdline.buf, c->out_file ? c->out_file : "pipes",
                strerror(errno));
        goto cleanup;
    }
    memcpy(pl.fd, pb.child, sizeof(pl.fd));
    if (fork_exec(c, &pl) < 0)
        goto cleanup;
    set_nonblock(c->in_fd);
    set_nonblock(c->out_fd);
    set_nonblock(c->err_fd);
    /* Without it a short command whose pipes closed a moment before it exited would
     * cost a whole tick (no pidfd on kernels before 5.3: the tick it is). */
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
    if (c->in_fd >= 0 && c->inlen == 0)
        close_fd(&c->in_fd);
    ret = 0;
cleanup:
    close_ours(&pb);
    if (ret < 0) {
        close_fd(&c->in_fd);
        close_fd(&c->out_fd);
        close_fd(&c->err_fd);
        c->elapsed = clock_now() - c->t0;
    }
    free(pl.argv);
    free(pl.envp);
    return ret;
}

/* ---- pump ------------------------------------------------------------------------- */

/* A child that closes stdin early must not kill vtrun with SIGPIPE: blocked in this
 * thread for the one write, and the signal that write raised is taken back. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t n)
{
    sigset_t pipeset, old;
    ssize_t w;

    sigemptyset(&pipeset);
    sigaddset(&pipeset, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeset, &old);
    w = write(fd, buf, n);
    if (w < 0 && errno == EPIPE) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipeset, NULL, &zero);
        errno = EPIPE;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return w;
}

static void feed_stdin(struct spawn *c)
{
    ssize_t w = write_nosigpipe(c->in_fd, c->in + c->inoff, c->inlen - c->inoff);
    if (w > 0)
        c->inoff += (size_t)w;
    if ((w < 0 && errno != EAGAIN && errno != EINTR) || c->inoff == c->inlen)
        close_fd(&c->in_fd);
}

static void drain(int *fd, struct strbuf *sb)
{
    char buf[65536];
    ssize_t n = read(*fd, buf, sizeof(buf));
    if (n > 0)
        strbuf_add(sb, buf, (size_t)n);
    else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        close_fd(fd);
}

int spawn_pump(struct spawn *c, int wait_ms)
{
    struct pollfd pfd[4];
    int nfd = 0, n, moved = 0;

    if (c->in_fd >= 0) pfd[nfd++] = (struct pollfd){ .fd = c->in_fd, .events = POLLOUT };
    if (c->out_fd >= 0) pfd[nfd++] = (struct pollfd){ .fd = c->out_fd, .events = POLLIN };
    if (c->err_fd >= 0) pfd[nfd++] = (struct pollfd){ .fd = c->err_fd, .events = POLLIN };
    /* last: it only wakes the wait when the program exits, nothing moves through it */
    bool watch = c->pidfd >= 0 && wait_ms;
    if (watch)
        pfd[nfd] = (struct pollfd){ .fd = c->pidfd, .events = POLLIN };
    n = poll(pfd, (nfds_t)(nfd + watch), wait_ms);
    if (n < 0 && errno != EINTR) {
        err_set("%s: poll: %s", c->cmdline.buf, strerror(errno));
        return -1;
    }
    /* it stays readable: once it has woken us, later waits must not spin on it */
    if (watch && n > 0 && pfd[nfd].revents)
        close_fd(&c->pidfd);
    for (int i = 0; i < nfd && n > 0; i++) {
        if (!pfd[i].revents)
            continue;
        moved++;
        if (pfd[i].fd == c->in_fd)
            feed_stdin(c);
        else if (pfd[i].fd == c->out_fd)
            drain(&c->out_fd, c->out);
        else
            drain(&c->err_fd, c->err);
    }
    return moved;
}

/* ---- the process group ------------------------------------------------------------ */

/* Has the leader exited?  WNOWAIT keeps it a zombie so its pid (the process group id)
 * cannot be reused before the group is killed. */
static bool leader_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

/* Is process /proc/<name> a live (not zombie) member of group pgid? */
static bool in_group(const char *name, pid_t pgid)
{
    struct strbuf sb = STRBUF_INIT;
    char *path = xasprintf("/proc/%s/stat", name);
    bool yes = false;
    if (strbuf_read_file(&sb, path, 512) > 0) {
        /* "pid (comm) S ppid pgrp ...": comm may hold spaces, so start after ')' */
        char *rp = strrchr(sb.buf, ')');
        char state;
        int ppid, pgrp;
        yes = rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 &&
              pgrp == pgid && state != 'Z' && state != 'X';
    }
    free(path);
    strbuf_release(&sb);
    return yes;
}

bool spawn_group_alive(pid_t pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    bool alive = false;

    if (!d)
        return kill(-pgid, 0) == 0;
    while (!alive && (de = readdir(d)))
        alive = isdigit((unsigned char)de->d_name[0]) && in_group(de->d_name, pgid);
    closedir(d);
    return alive;
}

/* The leader first: the /proc scan only when it has exited. */
static bool running(const struct spawn *c)
{
    return c->pid > 0 && (!leader_exited(c->pid) || spawn_group_alive(c->pid));
}

bool spawn_alive(struct spawn *c)
{
    if (!c->pid)
        return false;
    spawn_pump(c, 0);
    return running(c);
}

/* SIGTERM, up to grace_s for the group to go (output still drained), SIGKILL. */
static void kill_group(struct spawn *c, double grace_s)
{
    if (grace_s > 0) {
        double until = clock_now() + grace_s;
        kill(-c->pid, SIGTERM);
        while (running(c) && clock_now() < until)
            spawn_pump(c, 20);
    }
    /* Always: kills the leader if it ignored SIGTERM, and children left behind. */
    kill(-c->pid, SIGKILL);
}

static int reap(struct spawn *c)
{
    int wstatus = 0;
    while (waitpid(c->pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    close_fd(&c->in_fd);
    close_fd(&c->out_fd);
    close_fd(&c->err_fd);
    close_fd(&c->pidfd);
    c->elapsed = clock_now() - c->t0;
    return wstatus;
}

/* ---- wait and stop ---------------------------------------------------------------- */

static void tail(struct strbuf *msg, const struct strbuf *sb)
{
    if (sb)
        strbuf_add_tail(msg, sb->buf, sb->len, SPAWN_ERR_TAIL);
}

/* Pump until the leader exited and its pipes are drained, or until the deadline or
 * the cancel flag (c->end says which).  -1 on a poll error. */
static int pump_until_exit(struct spawn *c)
{
    double deadline = c->timeout > 0 ? c->t0 + c->timeout : 0;
    for (;;) {
        int wait_ms = SPAWN_TICK_MS, n;
        bool exited;
        if (c->cancel && *c->cancel) {
            c->end = SPAWN_CANCELLED;
            return 0;
        }
        if (deadline && clock_now() >= deadline) {
            c->end = SPAWN_TIMEOUT;
            return 0;
        }
        exited = leader_exited(c->pid);
        if (exited) {
            /* Collect what is already in the pipes, but do not wait for a
             * grandchild that keeps them open (a daemon it started). */
            wait_ms = 0;
            close_fd(&c->in_fd);
        } else if (deadline && (deadline - clock_now()) * 1000 < wait_ms) {
            wait_ms = (int)((deadline - clock_now()) * 1000);
        }
        n = spawn_pump(c, wait_ms > 0 ? wait_ms : 0);
        if (n < 0)
            return -1;
        if (exited && n == 0)
            return 0;
    }
}

/* The outcome of a reaped child, reported like virCommandRun. */
static int report(struct spawn *c, int wstatus, int *exitstatus)
{
    struct strbuf msg = STRBUF_INIT;
    int ret = -1;

    if (c->end == SPAWN_TIMEOUT) {
        strbuf_addf(&msg, "%s: timed out after %.1f s", c->cmdline.buf, c->timeout);
        tail(&msg, c->err);
    } else if (c->end == SPAWN_CANCELLED) {
        strbuf_addf(&msg, "%s: cancelled", c->cmdline.buf);
    } else if (WIFSIGNALED(wstatus)) {
        c->end = SPAWN_SIGNALED;
        strbuf_addf(&msg, "%s: killed by signal %d (%s)", c->cmdline.buf,
                    WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
        tail(&msg, c->err);
    } else {
        c->end = SPAWN_EXITED;
        c->status = WEXITSTATUS(wstatus);
        if (exitstatus)
            *exitstatus = c->status;
        if (!exitstatus && c->status != 0) {
            strbuf_addf(&msg, "%s: exit status %d", c->cmdline.buf, c->status);
            tail(&msg, c->err);
        } else {
            ret = 0;
        }
    }
    if (ret < 0)
        err_set("%s", msg.buf);
    strbuf_release(&msg);
    return ret;
}

int spawn_wait(struct spawn *c, int *exitstatus)
{
    int wstatus;

    if (!c->pid) {
        err_set("%s: not started", c->cmdline.len ? c->cmdline.buf : c->args[0].text);
        return -1;
    }
    if (pump_until_exit(c) < 0) {
        kill_group(c, 0);
        reap(c);
        c->pid = 0;
        return -1;
    }
    if (c->end == SPAWN_TIMEOUT || c->end == SPAWN_CANCELLED)
        kill_group(c, c->grace);
    wstatus = reap(c);
    c->pid = 0;
    return report(c, wstatus, exitstatus);
}

int spawn_run(struct spawn *c, int *exitstatus)
{
    if (spawn_start(c) < 0)
        return -1;
    return spawn_wait(c, exitstatus);
}

int spawn_stop(struct spawn *c, double grace_s)
{
    pid_t pgid = c->pid;
    bool by_itself;
    int wstatus, ret = 0;

    if (!pgid)
        return 0;
    by_itself = !running(c);
    if (!by_itself)
        kill_group(c, grace_s);
    /* what the group wrote before it ended is the caller's (bounded: a daemon outside
     * the group may hold the pipe and keep writing) */
    for (double until = clock_now() + 0.5; clock_now() < until && spawn_pump(c, 0) > 0;)
        ;
    wstatus = reap(c);
    c->pid = 0;
    /* Members outlive their leader by the time the kernel takes to kill them. */
    for (double until = clock_now() + SPAWN_KILL_WAIT_S;
         spawn_group_alive(pgid) && clock_now() < until;)
        clock_sleep(0.02);
    if (spawn_group_alive(pgid)) {
        err_set("%s: process group %d survived SIGKILL", c->cmdline.buf, (int)pgid);
        ret = -1;
    }
    if (!by_itself) {
        c->end = SPAWN_STOPPED;
    } else if (WIFSIGNALED(wstatus)) {
        c->end = SPAWN_SIGNALED;
    } else {
        c->end = SPAWN_EXITED;
        c->status = WEXITSTATUS(wstatus);
    }
    return ret;
}
