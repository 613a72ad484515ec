/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ledger (virt/virt.h): one file per job under <runtime>/ledger/, naming the job,
 * the vtrun process (pid and its start time, so a reused pid is not taken for it) and
 * every resource the job creates outside its results directory.  A resource is
 * written ("+") before it is created and struck ("-") once removed; each line is
 * fsync'd, so the file says what a SIGKILLed vtrun left whatever the moment.
 *
 * Why /run/vtrun (tmpfs, per machine) and not next to the results: every job on the
 * machine must see every other job's ledger whatever its results_dir, and a pid means
 * nothing after a reboot.  $VTRUN_RUNTIME_DIR moves it (tests, unprivileged runs).
 *
 *   vtrun-ledger 1
 *   job <job id> <pid> <start time in clock ticks after boot>
 *   + <n> <kind> <backend> <host> <name>
 *   - <n>
 *
 * Fields are percent-encoded (bytes <= ' ', '%', DEL); an empty field is "-".
 */
#include "virt/virt.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEDGER_MAGIC "vtrun-ledger 1"
#define LEDGER_MAX_BYTES (16u << 20)

static const char *const kind_names[] = {
    [VIRT_RES_DOMAIN] = "domain", [VIRT_RES_CLONE] = "clone", [VIRT_RES_FILE] = "file",
    [VIRT_RES_PROCESS] = "process", [VIRT_RES_SLOT] = "slot",
};

const char *virt_res_kind_name(enum virt_res_kind k)
{
    return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

const char *virt_runtime_dir(void)
{
    const char *d = getenv("VTRUN_RUNTIME_DIR");
    return d && *d ? d : "/run/vtrun";
}

/* mkdir -p of dir (mode 0700: ledgers name hosts and paths). */
static int make_dirs(const char *dir)
{
    char *p = xstrdup(dir);
    int rc = 0;
    for (char *s = p + 1; rc == 0; s++) {
        bool end = !*s;
        if (*s != '/' && !end)
            continue;
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST) {
            err_set("cannot create %s: %s", p, strerror(errno));
            rc = -1;
        }
        if (end)
            break;
        *s = '/';
    }
    free(p);
    return rc;
}

/* ---- process identity -------------------------------------------------------------- */

int virt_proc_start(long pid, unsigned long long *start)
{
    char path[64];
    struct strbuf sb = STRBUF_INIT;
    int rc = -1;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (pid > 0 && strbuf_read_file(&sb, path, 4096) > 0) {
        /* comm may hold spaces and ')': the fields start after the last ')' */
        const char *s = strrchr(sb.buf, ')');
        /* field 3 (state) is the first after it; starttime is field 22 */
        for (int f = 2; s && f < 22; f++)
            s = strchr(s + 1, ' ');
        if (s && sscanf(s + 1, "%llu", start) == 1)
            rc = 0;
    }
    strbuf_release(&sb);
    return rc;
}

bool virt_proc_alive(long pid, unsigned long long start)
{
    unsigned long long now;
    return virt_proc_start(pid, &now) == 0 && now == start;
}

/* ---- encoding ---------------------------------------------------------------------- */

static void add_field(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, ' ');
    if (!s || !*s) {
        strbuf_addch(sb, '-');
        return;
    }
    if (!strcmp(s, "-")) {
        strbuf_addstr(sb, "%2D");
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= ' ' || *p == '%' || *p == 0x7f)
            strbuf_addf(sb, "%%%02X", *p);
        else
            strbuf_addch(sb, (char)*p);
    }
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* Decode one field in place; -1 on a bad escape or an encoded NUL. */
static int decode(char *s)
{
    if (!strcmp(s, "-")) {
        *s = '\0';
        return 0;
    }
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        int hi = hexval((unsigned char)p[1]), lo = hi < 0 ? -1 : hexval((unsigned char)p[2]);
        if (lo < 0 || (hi == 0 && lo == 0))
            return -1;
        *o++ = (char)(hi * 16 + lo);
        p += 2;
    }
    *o = '\0';
    return 0;
}

/* ---- parsing ----------------------------------------------------------------------- */

void virt_res_free(struct virt_res *r)
{
    free(r->backend);
    free(r->host);
    free(r->name);
    memset(r, 0, sizeof(*r));
}

void virt_ledger_free(struct virt_ledger *l)
{
    for (size_t i = 0; i < l->n; i++)
        virt_res_free(&l->v[i].res);
    free(l->v);
    free(l->path);
    free(l->job_id);
    memset(l, 0, sizeof(*l));
}

/* Split line into at most max space-separated fields; returns how many. */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    for (char *s = strtok(line, " "); s; s = strtok(NULL, " ")) {
        if (n == max)
            return max + 1;
        f[n++] = s;
    }
    return n;
}

static int parse_ulong(const char *s, unsigned long long *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno || *end ? -1 : 0;
}

static int kind_of(const char *s)
{
    for (size_t k = 0; k < ARRAY_SIZE(kind_names); k++)
        if (!strcmp(s, kind_names[k]))
            return (int)k;
    return -1;
}

static void strike(struct virt_ledger *l, unsigned long id)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].id == id) {
            virt_res_free(&l->v[i].res);
            /* the order stays the order of creation: undone from the last */
            memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
            l->n--;
            return;
        }
    }
}

/* One "+" line's fields f[1..5] into l. */
static int parse_add(struct virt_ledger *l, char **f)
{
    unsigned long long id;
    int kind = kind_of(f[2]);
    if (parse_ulong(f[1], &id) < 0 || id == 0)
        return err_set("bad entry number '%s'", f[1]), -1;
    if (kind < 0)
        return err_set("unknown kind '%s'", f[2]), -1;
    if (decode(f[3]) < 0 || decode(f[4]) < 0 || decode(f[5]) < 0)
        return err_set("bad %%-escape"), -1;
    if (!*f[5])
        return err_set("%s with no name", f[2]), -1;
    strike(l, (unsigned long)id);       /* a number noted again replaces its entry */
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = (struct virt_ledger_entry){
        .id = (unsigned long)id,
        .res = { .kind = (enum virt_res_kind)kind, .backend = xstrdup(f[3]),
                 .host = xstrdup(f[4]), .name = xstrdup(f[5]) },
    };
    return 0;
}

static int parse_line(struct virt_ledger *l, char *line, unsigned no)
{
    char *f[7];
    size_t n = split(line, f, 6);
    unsigned long long a, b;
    if (no == 1)
        return strcmp(line, "vtrun-ledger") || n != 2 || strcmp(f[1], "1")
               ? (err_set("not a vtrun ledger (first line '%s')", LEDGER_MAGIC), -1) : 0;
    if (no == 2) {
        if (n != 4 || strcmp(f[0], "job") || decode(f[1]) < 0 || !*f[1] ||
            parse_ulong(f[2], &a) < 0 || a == 0 || a > 0x7fffffff || parse_ulong(f[3], &b) < 0)
            return err_set("expected 'job ID PID START'"), -1;
        l->job_id = xstrdup(f[1]);
        l->pid = (long)a;
        l->start = b;
        return 0;
    }
    if (n == 0)
        return 0;
    if (!strcmp(f[0], "+") && n == 6)
        return parse_add(l, f);
    if (!strcmp(f[0], "-") && n == 2) {
        if (parse_ulong(f[1], &a) < 0)
            return err_set("bad entry number '%s'", f[1]), -1;
        strike(l, (unsigned long)a);
        return 0;
    }
    err_set("expected '+ N KIND BACKEND HOST NAME' or '- N'");
    return -1;
}

int virt_ledger_parse(const char *text, size_t len, const char *what, struct virt_ledger *out)
{
    memset(out, 0, sizeof(*out));
    if (memchr(text, '\0', len)) {
        err_set("%s: not a vtrun ledger (binary data)", what);
        return -1;
    }
    char *copy = xstrndup(text, len);
    unsigned no = 0;
    int rc = 0;
    char *save = NULL;
    /* the last line may be cut short by a kill mid-write: only whole lines count */
    char *end = strrchr(copy, '\n');
    if (end)
        end[1] = '\0';
    else
        copy[0] = '\0';
    for (char *line = copy; rc == 0 && line && *line; line = save) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        save = nl + 1;
        no++;
        if (parse_line(out, line, no) < 0) {
            err_prefix("%s:%u", what, no);
            rc = -1;
        }
    }
    if (rc == 0 && no < 2) {
        err_set("%s: not a vtrun ledger (%s)", what, no ? "no job line" : "empty");
        rc = -1;
    }
    free(copy);
    if (rc < 0)
        virt_ledger_free(out);
    return rc;
}

int virt_ledger_read(const char *path, struct virt_ledger *out)
{
    struct strbuf sb = STRBUF_INIT;
    ssize_t n = strbuf_read_file(&sb, path, LEDGER_MAX_BYTES);
    int rc;
    if (n < 0) {
        err_set("%s: cannot read: %s", path, strerror(errno));
        rc = -1;
    } else {
        rc = virt_ledger_parse(sb.buf, sb.len, path, out);
    }
    strbuf_release(&sb);
    if (rc == 0) {
        out->path = xstrdup(path);
        out->alive = virt_proc_alive(out->pid, out->start);
    }
    return rc;
}

int virt_ledger_scan(struct virt_ledger **out, size_t *n, struct strbuf *bad)
{
    char *dir = xasprintf("%s/ledger", virt_runtime_dir());
    DIR *d = opendir(dir);
    *out = NULL;
    *n = 0;
    if (!d) {
        int e = errno;
        free(dir);
        if (e == ENOENT)
            return 0;
        err_set("cannot read the ledger directory: %s", strerror(e));
        return -1;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct virt_ledger l;
        if (virt_ledger_read(path, &l) < 0) {
            strbuf_addf(bad, "%s%s", bad->len ? "\n" : "", err_msg());
        } else {
            *out = xrealloc(*out, (*n + 1) * sizeof(**out));
            (*out)[(*n)++] = l;
        }
        free(path);
    }
    closedir(d);
    free(dir);
    return 0;
}

/* ---- writing ----------------------------------------------------------------------- */

/* Append text to the file at path and fsync it. */
static int append_sync(int fd, const char *path, const struct strbuf *text)
{
    size_t off = 0;
    while (off < text->len) {
        ssize_t w = write(fd, text->buf + off, text->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            err_set("ledger %s: %s", path, strerror(errno));
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) < 0) {
        err_set("ledger %s: fsync: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int virt_ledger_strike_in(const char *path, unsigned long id)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        err_set("ledger %s: %s", path, strerror(errno));
        return -1;
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "- %lu\n", id);
    int rc = append_sync(fd, path, &sb);
    strbuf_release(&sb);
    close(fd);
    return rc;
}

/* This process's ledger: one per job. */
static struct {
    pthread_mutex_t lock;
    int fd;
    char *path;
    unsigned long next, open;       /* next entry number; entries not struck */
} me = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .next = 1 };

int virt_ledger_begin(const char *job_id)
{
    char *dir = xasprintf("%s/ledger", virt_runtime_dir());
    unsigned long long start;
    int rc = -1;
    if (make_dirs(dir) < 0 || virt_proc_start((long)getpid(), &start) < 0) {
        err_prefix("ledger");
        free(dir);
        return -1;
    }
    pthread_mutex_lock(&me.lock);
    if (me.fd >= 0) {
        err_set("ledger %s: this process has one already", me.path);
        pthread_mutex_unlock(&me.lock);
        free(dir);
        return -1;
    }
    me.path = xasprintf("%s/%s", dir, job_id);
    me.fd = open(me.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (me.fd < 0) {
        err_set("ledger %s: %s", me.path, strerror(errno));
    } else {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, LEDGER_MAGIC "\njob");
        add_field(&sb, job_id);
        strbuf_addf(&sb, " %ld %llu\n", (long)getpid(), start);
        rc = append_sync(me.fd, me.path, &sb);
        strbuf_release(&sb);
    }
    if (rc < 0) {
        if (me.fd >= 0)
            close(me.fd);
        me.fd = -1;
        free(me.path);
        me.path = NULL;
    }
    pthread_mutex_unlock(&me.lock);
    free(dir);
    return rc;
}

unsigned long virt_ledger_note(const struct virt_res *r)
{
    unsigned long id = 0;
    pthread_mutex_lock(&me.lock);
    if (me.fd >= 0) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "+ %lu %s", me.next, virt_res_kind_name(r->kind));
        add_field(&sb, r->backend);
        add_field(&sb, r->host);
        add_field(&sb, r->name);
        strbuf_addch(&sb, '\n');
        if (append_sync(me.fd, me.path, &sb) == 0) {
            id = me.next++;
            me.open++;
        }
        strbuf_release(&sb);
    }
    pthread_mutex_unlock(&me.lock);
    return id;
}

bool virt_ledger_active(void)
{
    pthread_mutex_lock(&me.lock);
    bool on = me.fd >= 0;
    pthread_mutex_unlock(&me.lock);
    return on;
}

void virt_ledger_strike(unsigned long id)
{
    if (!id)
        return;
    pthread_mutex_lock(&me.lock);
    if (me.fd >= 0) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "- %lu\n", id);
        if (append_sync(me.fd, me.path, &sb) == 0 && me.open)
            me.open--;
        strbuf_release(&sb);
    }
    pthread_mutex_unlock(&me.lock);
}

void virt_ledger_end(void)
{
    pthread_mutex_lock(&me.lock);
    if (me.fd >= 0) {
        close(me.fd);
        /* nothing left: the file has nothing to tell the next job */
        if (!me.open)
            unlink(me.path);
    }
    me.fd = -1;
    free(me.path);
    me.path = NULL;
    pthread_mutex_unlock(&me.lock);
}

/* ---- the machine lock -------------------------------------------------------------- */

int virt_machine_lock(void)
{
    const char *dir = virt_runtime_dir();
    if (make_dirs(dir) < 0)
        return -1;
    char *path = xasprintf("%s/lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        err_set("%s: %s", path, strerror(errno));
    else if (flock(fd, LOCK_EX) < 0) {
        err_set("%s: flock: %s", path, strerror(errno));
        close(fd);
        fd = -1;
    }
    free(path);
    return fd;
}

void virt_machine_unlock(int fd)
{
    if (fd >= 0)
        close(fd);      /* releases the flock */
}

/* ---- address slots ----------------------------------------------------------------- */

int virt_slot_take(const bool *avoid, unsigned max, int *fd_out)
{
    char *dir = xasprintf("%s/slots", virt_runtime_dir());
    int slot = -1;
    *fd_out = -1;
    if (make_dirs(dir) < 0) {
        free(dir);
        return -1;
    }
    for (unsigned s = 0; s < max && slot < 0; s++) {
        if (avoid && avoid[s])
            continue;
        char *path = xasprintf("%s/%u", dir, s);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        free(path);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            *fd_out = fd;
            slot = (int)s;
        } else {
            close(fd);
        }
    }
    if (slot < 0)
        err_set("no free guest address slot in %s (all %u held by running vtrun jobs%s)",
                dir, max, avoid ? " or kept leftovers" : "");
    free(dir);
    return slot;
}
