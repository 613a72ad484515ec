/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_job: the event sink.  Job and test lifecycle, the directory layout, debug.log
 * and job.log, the journal (results.jsonl) and the thread that renders the aggregate
 * files from the report at most every few seconds. */
#include "results/res_model.h"

#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct res_job {
    pthread_mutex_t lock; /* guards everything below but the render thread's writes */
    char *dir;            /* absolute job directory */
    char *id;
    FILE *joblog;
    int journal;          /* results.jsonl, O_APPEND */
    struct res_report rep;
    struct res_hist *hist; /* the history database, NULL: none (or it failed) */
    struct res_rec **hist_pending; /* ended tests not in the history yet (the report
                                      owns them); written with the renders */
    size_t npending, apending;
    bool write_failed;    /* a results file or the journal could not be written: the
                             job's exit has the job-error bit (a full disk is not a PASS) */
    char **secrets;       /* literal secret values seen in tests' params */
    size_t nsecrets;
    /* The render thread: renders when dirty, at most every `interval` seconds (or
     * nine times the last render's cost, so rendering stays under ~10% of the job's
     * time however big the report grows).  Only it and res_job_end() write the
     * aggregate files, never at once (res_job_end() stops it first). */
    pthread_t renderer;
    bool rendering;       /* the thread runs */
    pthread_cond_t wake;
    bool dirty, stop;
    double interval, next_render; /* monotonic seconds */
};

struct res_test {
    struct res_job *job;
    struct res_rec *rec;
    char *dir;
    FILE *debuglog;
};

/* Numbers from the runner end up in JSON and XML: NaN or infinity would make the
 * encoder fail and negative durations the schema. */
static double clean_num(double x)
{
    return isfinite(x) && x > 0 ? x : 0;
}

#define NAME_MAX_BYTES 200
#define HASH_HEX 8

/* ---- helpers (call with the job lock held where they touch the job) ---------- */

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

char *res_test_dirname(unsigned index, const char *name)
{
    char *full = xasprintf("%u-%s", index, name ? name : "");
    size_t len = strlen(full), cut;
    char *out;
    for (char *p = full; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '_';
    if (len <= NAME_MAX_BYTES)
        return full;
    /* Cut so the result is NAME_MAX_BYTES long; the hash of the whole name keeps two
     * long names that share a prefix apart. */
    cut = NAME_MAX_BYTES - 1 - HASH_HEX;
    while (cut > 0 && ((unsigned char)full[cut] & 0xc0) == 0x80)
        cut--;
    out = xasprintf("%.*s-%08x", (int)cut, full, fnv1a(full));
    free(full);
    return out;
}

static char *timestamp_now(void)
{
    struct timespec ts;
    struct tm tm;
    char buf[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return xasprintf("%s,%03ld", buf, ts.tv_nsec / 1000000);
}

static void log_line_locked(struct res_job *job, FILE *f, const char *tag,
                            const char *msg)
{
    char *masked = res_mask_with(msg, job->secrets, job->nsecrets);
    char *ts = timestamp_now();
    /* A multi-line message keeps one timestamp per line so logs stay greppable. */
    for (char *line = masked, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (next && !*next)
            next = NULL;
        if (f)
            fprintf(f, "%s | %s\n", ts, line);
        if (job->joblog)
            fprintf(job->joblog, "%s %s%s%s%s\n", ts, tag ? "[" : "", tag ? tag : "",
                    tag ? "] " : "| ", line);
    }
    if (f)
        fflush(f);
    if (job->joblog)
        fflush(job->joblog);
    free(ts);
    free(masked);
}

static void add_secret_locked(struct res_job *job, const char *v)
{
    if (!v || strlen(v) < RES_SECRET_MIN)
        return;
    for (size_t i = 0; i < job->nsecrets; i++)
        if (!strcmp(job->secrets[i], v))
            return;
    job->secrets = xrealloc(job->secrets, (job->nsecrets + 1) * sizeof(*job->secrets));
    job->secrets[job->nsecrets++] = xstrdup(v);
}

/* The tests that ended since the last call, in one transaction of the history (a
 * test's end only queued them).  Without the job's lock: the records are immutable. */
static void write_history(struct res_job *job)
{
    struct res_rec **v;
    size_t n;
    if (!job->hist)
        return;
    pthread_mutex_lock(&job->lock);
    v = job->hist_pending;
    n = job->npending;
    job->hist_pending = NULL;
    job->npending = job->apending = 0;
    pthread_mutex_unlock(&job->lock);
    res_hist_tests(job->hist, job->id, v, n);
    free(v);
}

/* Render the report into strings under the lock (the records' caches make it a
 * concatenation), then write the files without it, so logging and ending tests go on
 * while the disk works. */
static int render_and_write(struct res_job *job)
{
    static const char *const files[] = { "results.json", "results.xml", "results.html" };
    char *text[ARRAY_SIZE(files)];
    double t0 = res_mono(), cost;
    int ret = 0;

    pthread_mutex_lock(&job->lock);
    job->dirty = false;
    text[0] = res_render_json(&job->rep);
    text[1] = res_render_junit(&job->rep);
    text[2] = res_render_html(&job->rep);
    pthread_mutex_unlock(&job->lock);
    write_history(job);
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        char *p = xasprintf("%s/%s", job->dir, files[i]);
        if (!text[i] || res_write_atomic(p, text[i], strlen(text[i])) < 0) {
            fprintf(stderr, "vtrun: cannot write %s: %s\n", p,
                    text[i] ? err_msg() : "rendering failed");
            ret = -1;
        }
        free(p);
        free(text[i]);
    }
    cost = res_mono() - t0;
    pthread_mutex_lock(&job->lock);
    job->write_failed |= ret < 0;
    job->next_render = res_mono() + (job->interval > 9 * cost ? job->interval : 9 * cost);
    pthread_mutex_unlock(&job->lock);
    return ret;
}

static void *renderer_main(void *arg)
{
    struct res_job *job = arg;
    pthread_mutex_lock(&job->lock);
    while (!job->stop) {
        double now = res_mono();
        if (job->dirty && now >= job->next_render) {
            pthread_mutex_unlock(&job->lock);
            render_and_write(job);
            pthread_mutex_lock(&job->lock);
            continue;
        }
        double until = job->dirty ? job->next_render : now + 3600;
        struct timespec ts;
        ts.tv_sec = (time_t)until;
        ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&job->wake, &job->lock, &ts);
    }
    pthread_mutex_unlock(&job->lock);
    return NULL;
}

static void stop_renderer(struct res_job *job)
{
    if (!job->rendering)
        return;
    pthread_mutex_lock(&job->lock);
    job->stop = true;
    pthread_cond_signal(&job->wake);
    pthread_mutex_unlock(&job->lock);
    pthread_join(job->renderer, NULL);
    job->rendering = false;
}

void res_new_id(char out[41])
{
    unsigned char rnd[20];
    size_t got = 0;
    while (got < sizeof(rnd)) {
        ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
        if (n <= 0) {
            /* no entropy source: time and pid still make the id unique enough */
            unsigned long x = (unsigned long)time(NULL) * 2654435761u ^ (unsigned)getpid();
            for (; got < sizeof(rnd); got++, x = x * 6364136223846793005ul + 1)
                rnd[got] = (unsigned char)(x >> 33);
            break;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof(rnd); i++)
        sprintf(out + 2 * i, "%02x", rnd[i]);
}

/* job-<YYYY-MM-DDTHH.MM>-<id7>, on collision more id characters, then ".N". */
static char *make_job_dir(const char *base, const char *id, double now)
{
    time_t t = (time_t)now;
    struct tm tm;
    char stamp[32];
    localtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H.%M", &tm);
    for (int k = 7; k <= 40 + 100; k++) {
        char *d = k <= 40 ? xasprintf("%s/job-%s-%.*s", base, stamp, k, id)
                          : xasprintf("%s/job-%s-%s.%d", base, stamp, id, k - 40);
        if (mkdir(d, 0755) == 0)
            return d;
        if (errno != EEXIST) {
            err_set("mkdir %s: %s", d, strerror(errno));
            free(d);
            return NULL;
        }
        free(d);
    }
    err_set("%s: cannot find a free job directory name", base);
    return NULL;
}

static void update_latest(const char *base, const char *dir)
{
    char *tmp = xasprintf("%s/.latest.tmp.%ld", base, (long)getpid());
    char *link = xasprintf("%s/latest", base);
    const char *name = strrchr(dir, '/') + 1;
    unlink(tmp);
    /* relative target: the tree can be moved or archived with the link intact */
    if (symlink(name, tmp) < 0 || rename(tmp, link) < 0) {
        fprintf(stderr, "vtrun: cannot update %s: %s\n", link, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    free(link);
}

/* ---- job ---------------------------------------------------------------------- */

static void init_suite(struct res_job *job, const struct res_job_info *info,
                       const char *host)
{
    struct res_suite *s;
    unsigned shard = 0;
    const char *base = info->name && *info->name ? info->name : "vtrun";

    job->rep.suites = xcalloc(1, sizeof(*job->rep.suites));
    job->rep.nsuites = 1;
    s = &job->rep.suites[0];
    if (info->shard && sscanf(info->shard, "%u", &shard) == 1 && shard > 0)
        s->name = xasprintf("%s.shard%u", base, shard);
    else
        s->name = xstrdup(base);
    s->hostname = xstrdup(info->hostname ? info->hostname : host);
    s->package = info->package && *info->package ? xstrdup(info->package)
                                                 : xasprintf("vtrun.%s", s->name);
    s->timestamp = xstrdup(job->rep.start);
    s->shard = res_str(info->shard);
    s->job_id = xstrdup(job->id);
    s->job_time = -1;
}

static int open_files(struct res_job *job)
{
    char *p = xasprintf("%s/test-results", job->dir);
    char *idline = xasprintf("%s\n", job->id);
    int ret = -1;

    if (mkdir(p, 0755) < 0) {
        err_set("mkdir %s: %s", p, strerror(errno));
        goto cleanup;
    }
    free(p);
    p = xasprintf("%s/id", job->dir);
    if (res_write_atomic(p, idline, strlen(idline)) < 0)
        goto cleanup;
    free(p);
    p = xasprintf("%s/" RES_HTML_CSS, job->dir);
    if (res_write_atomic(p, res_html_css, strlen(res_html_css)) < 0)
        goto cleanup;
    free(p);
    p = xasprintf("%s/results.jsonl", job->dir);
    job->journal = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (job->journal < 0) {
        err_set("%s: %s", p, strerror(errno));
        goto cleanup;
    }
    free(p);
    p = xasprintf("%s/job.log", job->dir);
    job->joblog = fopen(p, "ae");
    if (!job->joblog) {
        err_set("%s: %s", p, strerror(errno));
        goto cleanup;
    }
    job->rep.debuglog = p;
    p = NULL;
    ret = 0;
cleanup:
    free(p);
    free(idline);
    return ret;
}

static int start_renderer(struct res_job *job)
{
    if (pthread_create(&job->renderer, NULL, renderer_main, job) != 0) {
        err_set("results: cannot start the render thread");
        return -1;
    }
    job->rendering = true;
    return 0;
}

/* The history records the job from its start (a killed job shows as not ended); a
 * database that cannot be opened is said once and the job goes on unrecorded. */
static void open_history(struct res_job *job, const struct res_job_info *info)
{
    if (!info->history || !*info->history)
        return;
    job->hist = res_hist_open(info->history, true);
    if (!job->hist) {
        fprintf(stderr, "vtrun: %s (the job is not recorded in the history)\n", err_msg());
        return;
    }
    pthread_mutex_lock(&job->lock);
    res_hist_job_start(job->hist, &job->rep, job->dir, info->meta, info->shard);
    pthread_mutex_unlock(&job->lock);
}

struct res_job *res_job_open(const struct res_job_info *info)
{
    struct res_job *job = NULL;
    char id[41], host[256], *base = NULL;
    double now = res_now();

    if (!info || !info->results_dir || !*info->results_dir) {
        err_set("results: no results directory given");
        return NULL;
    }
    if (info->job_id && strlen(info->job_id) == 40 &&
        strspn(info->job_id, "0123456789abcdef") == 40)
        memcpy(id, info->job_id, sizeof(id));
    else
        res_new_id(id);
    if (res_mkdir_p(info->results_dir) < 0)
        goto fail;
    base = realpath(info->results_dir, NULL);
    if (!base) {
        err_set("%s: %s", info->results_dir, strerror(errno));
        goto fail;
    }

    job = xcalloc(1, sizeof(*job));
    pthread_mutex_init(&job->lock, NULL);
    {
        /* the render thread waits on CLOCK_MONOTONIC, res_mono()'s clock */
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&job->wake, &ca);
        pthread_condattr_destroy(&ca);
    }
    job->journal = -1;
    job->id = xstrdup(id);
    job->interval = info->render_interval > 0 ? info->render_interval : RES_RENDER_INTERVAL;
    job->dir = make_job_dir(base, id, now);
    if (!job->dir || open_files(job) < 0)
        goto fail;

    if (!info->hostname && gethostname(host, sizeof(host)) < 0)
        strcpy(host, "localhost");
    host[sizeof(host) - 1] = '\0';
    job->rep.job_id = xstrdup(id);
    job->rep.start = res_iso_time(now);
    job->rep.start_epoch = now;
    job->rep.job_time = -1;
    job->rep.total_planned = info->total;
    job->rep.config = res_str(info->config);
    job->rep.note = xstrdup("");
    job->rep.flavour = info->junit_flavour;
    init_suite(job, info, host);

    {
        char *l = xasprintf("Job ID: %s\nJob directory: %s\nConfig: %s\nShard: %s\n"
                            "Host: %s",
                            id, job->dir, info->config ? info->config : "-",
                            info->shard ? info->shard : "-", job->rep.suites[0].hostname);
        pthread_mutex_lock(&job->lock);
        log_line_locked(job, NULL, NULL, l);
        pthread_mutex_unlock(&job->lock);
        free(l);
    }
    if (render_and_write(job) < 0 || start_renderer(job) < 0)
        goto fail;
    if (info->meta && res_write_jobdata(job->dir, info->meta) < 0)
        fprintf(stderr, "vtrun: cannot write %s/jobdata: %s\n", job->dir, err_msg());
    open_history(job, info);
    update_latest(base, job->dir);
    free(base);
    return job;

fail:
    free(base);
    res_job_free(job);
    return NULL;
}

const char *res_job_id(const struct res_job *job)
{
    return job->id;
}

const char *res_job_dir(const struct res_job *job)
{
    return job->dir;
}

void res_job_log(struct res_job *job, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&job->lock);
    log_line_locked(job, NULL, NULL, sb.buf);
    pthread_mutex_unlock(&job->lock);
    strbuf_release(&sb);
}

void res_job_counts(struct res_job *job, struct res_counts *out)
{
    pthread_mutex_lock(&job->lock);
    res_suite_counts(&job->rep, -1, out);
    pthread_mutex_unlock(&job->lock);
}

void res_job_set_flags(struct res_job *job, int flags)
{
    pthread_mutex_lock(&job->lock);
    job->rep.flags |= flags;
    job->dirty = true;
    pthread_mutex_unlock(&job->lock);
}

int res_job_exit_bits(struct res_job *job)
{
    struct res_counts c;
    int bits;
    pthread_mutex_lock(&job->lock);
    res_suite_counts(&job->rep, -1, &c);
    bits = res_exit_bits(&c, job->rep.flags | (job->write_failed ? RES_EXIT_JOB_ERROR : 0));
    pthread_mutex_unlock(&job->lock);
    return bits;
}

void res_job_note(struct res_job *job, const char *text)
{
    pthread_mutex_lock(&job->lock);
    free(job->rep.note);
    job->rep.note = res_mask_with(text ? text : "", job->secrets, job->nsecrets);
    log_line_locked(job, NULL, NULL, job->rep.note);
    job->dirty = true;
    pthread_mutex_unlock(&job->lock);
}

/* The length of NAME without a trailing " <number>": "hop 3" sums as "hop". */
static size_t phase_kind_len(const char *name)
{
    size_t n = strlen(name), d = n;
    while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
        d--;
    return d < n && d > 1 && name[d - 1] == ' ' ? d - 1 : n;
}

/* "PHASES     : clone 1.20 s (3.1 %) | ..." over every test of REP, in the order the
 * kinds first appear; NULL when no test recorded a phase. */
static char *phases_line(const struct res_report *rep)
{
    struct kind { const char *name; size_t len; double s; } *k = NULL;
    size_t nk = 0;
    double total = 0;
    for (size_t i = 0; i < rep->ntests; i++) {
        const struct res_rec *r = rep->tests[i];
        total += r->time_s;
        for (size_t j = 0; j < r->nphases; j++) {
            const char *name = r->phases[j].name;
            size_t len = phase_kind_len(name), x;
            for (x = 0; x < nk && (k[x].len != len || strncmp(k[x].name, name, len)); x++)
                ;
            if (x == nk) {
                k = xrealloc(k, (nk + 1) * sizeof(*k));
                k[nk++] = (struct kind){ name, len, 0 };
            }
            k[x].s += r->phases[j].time_s;
        }
    }
    if (!nk) {
        free(k);
        return NULL;
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "PHASES     :");
    for (size_t x = 0; x < nk; x++)
        strbuf_addf(&sb, "%s %.*s %.2f s (%.1f %%)", x ? " |" : "", (int)k[x].len, k[x].name,
                    k[x].s, total > 0 ? 100 * k[x].s / total : 0);
    free(k);
    return strbuf_detach(&sb, NULL);
}

int res_job_end(struct res_job *job, double job_time_s)
{
    struct res_counts c;
    char *line;
    stop_renderer(job);
    pthread_mutex_lock(&job->lock);
    job->rep.job_time = clean_num(job_time_s);
    job->rep.suites[0].job_time = job->rep.job_time;
    res_suite_counts(&job->rep, -1, &c);
    line = res_results_line(&c);
    log_line_locked(job, NULL, NULL, line);
    free(line);
    if ((line = phases_line(&job->rep))) {
        log_line_locked(job, NULL, NULL, line);
        free(line);
    }
    pthread_mutex_unlock(&job->lock);
    int ret = render_and_write(job);
    if (job->hist) {
        pthread_mutex_lock(&job->lock);
        res_hist_job_end(job->hist, &job->rep, res_exit_bits(&c, job->rep.flags));
        pthread_mutex_unlock(&job->lock);
    }
    return ret;
}

void res_job_free(struct res_job *job)
{
    if (!job)
        return;
    stop_renderer(job);
    if (job->joblog)
        fclose(job->joblog);
    if (job->journal >= 0)
        close(job->journal);
    write_history(job);         /* a job freed without its end: what ended is kept */
    res_hist_close(job->hist);
    free(job->hist_pending);
    res_report_release(&job->rep);
    for (size_t i = 0; i < job->nsecrets; i++)
        free(job->secrets[i]);
    free(job->secrets);
    free(job->dir);
    free(job->id);
    pthread_cond_destroy(&job->wake);
    pthread_mutex_destroy(&job->lock);
    free(job);
}

char *res_job_header_lines(struct res_job *job)
{
    return xasprintf("JOB ID     : %s\nJOB LOG    : %s/job.log\n", job->id, job->dir);
}

char *res_job_closing_lines(struct res_job *job, double job_time_s)
{
    struct res_counts c;
    char *results, *note, *out;
    res_job_counts(job, &c);
    results = res_results_line(&c);
    pthread_mutex_lock(&job->lock);
    note = *job->rep.note ? xasprintf("EMPTY JOB  : %s\n", job->rep.note) : xstrdup("");
    if (job->write_failed) {
        char *both = xasprintf("%sWRITE ERROR: results files could not be written (see the "
                               "errors above): the job failed\n", note);
        free(note);
        note = both;
    }
    pthread_mutex_unlock(&job->lock);
    out = xasprintf("%s\n%sJOB HTML   : %s/results.html\nJOB TIME   : %.2f s\n"
                    "JOB LOG    : %s/job.log\n",
                    results, note, job->dir, job_time_s, job->dir);
    free(results);
    free(note);
    return out;
}

char *res_job_mask(struct res_job *job, const char *text)
{
    char *out;
    pthread_mutex_lock(&job->lock);
    out = res_mask_with(text, job->secrets, job->nsecrets);
    pthread_mutex_unlock(&job->lock);
    return out;
}

/* ---- tests -------------------------------------------------------------------- */

static const char *param_of(const struct res_param *p, size_t n, const char *key)
{
    for (size_t i = 0; p && i < n; i++)
        if (p[i].key && !strcmp(p[i].key, key))
            return p[i].value;
    return NULL;
}

/* A masked copy of a param value: the whole value of a secret key, the known secret
 * values inside any other. */
static char *mask_value_locked(struct res_job *job, const char *k, const char *v)
{
    if (res_key_is_secret(k) && v && *v)
        return xstrdup("****");
    return res_mask_with(v ? v : "", job->secrets, job->nsecrets);
}

static void copy_props_locked(struct res_job *job, struct res_rec *r,
                              const struct res_param *p, size_t n)
{
    r->pkeys = xcalloc(n ? n : 1, sizeof(char *));
    r->pvals = xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        if (!p[i].key)
            continue;
        r->pkeys[r->nparams] = xstrdup(p[i].key);
        r->pvals[r->nparams++] = mask_value_locked(job, p[i].key, p[i].value);
    }
}

static struct res_rec *new_rec(const struct res_test_info *info)
{
    struct res_rec *r = xcalloc(1, sizeof(*r));
    const char *classname = info->classname;
    if (!classname)
        classname = param_of(info->props, info->nprops, "type");
    if (!classname)
        classname = param_of(info->params, info->nparams, "type");
    r->index = info->index;
    r->gen_index = info->gen_index >= 0 ? info->gen_index : (long)info->index - 1;
    r->name = xstrdup(info->name);
    r->cartesian_name = xstrdup(info->cartesian_name && *info->cartesian_name
                                    ? info->cartesian_name : info->name);
    r->shortname = xstrdup(info->shortname && *info->shortname ? info->shortname
                                                               : info->name);
    r->classname = xstrdup(classname && *classname ? classname : "vtrun");
    r->id = res_test_dirname(info->index, info->name);
    r->fail_type = xstrdup("");
    r->fail_reason = xstrdup("");
    r->whiteboard = xstrdup("");
    r->time_start = res_now();
    return r;
}

/* <test dir>/params.json: every param of the case, masked (the properties in the
 * aggregate files are only the ones that matter). */
static void write_params_locked(struct res_job *job, const struct res_test_info *info,
                                const char *dir)
{
    size_t n = info->params ? info->nparams : 0;
    char **k = xcalloc(n ? n : 1, sizeof(char *)), **v = xcalloc(n ? n : 1, sizeof(char *));
    char *p = xasprintf("%s/params.json", dir);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!info->params[i].key)
            continue;
        k[m] = xstrdup(info->params[i].key);
        v[m++] = mask_value_locked(job, info->params[i].key, info->params[i].value);
    }
    if (res_write_params_json(k, v, m, p) < 0)
        fprintf(stderr, "vtrun: cannot write %s: %s\n", p, err_msg());
    for (size_t i = 0; i < m; i++) {
        free(k[i]);
        free(v[i]);
    }
    free(k);
    free(v);
    free(p);
}

struct res_test *res_test_start(struct res_job *job, const struct res_test_info *info)
{
    struct res_test *t = NULL;
    struct res_rec *r;
    char *p = NULL;

    if (!info->name || !*info->name) {
        err_set("results: test %u has no name", info->index);
        return NULL;
    }
    t = xcalloc(1, sizeof(*t));
    t->job = job;
    r = t->rec = new_rec(info);

    pthread_mutex_lock(&job->lock);
    /* Collect the secret values first: another param may embed one (a URI with a
     * password, an option string), and those are masked too. */
    for (size_t i = 0; info->params && i < info->nparams; i++)
        if (info->params[i].key && res_key_is_secret(info->params[i].key))
            add_secret_locked(job, info->params[i].value);
    for (size_t i = 0; info->props && i < info->nprops; i++)
        if (info->props[i].key && res_key_is_secret(info->props[i].key))
            add_secret_locked(job, info->props[i].value);
    if (info->props)
        copy_props_locked(job, r, info->props, info->nprops);
    else
        copy_props_locked(job, r, info->params, info->params ? info->nparams : 0);
    t->dir = xasprintf("%s/test-results/%s", job->dir, r->id);
    r->logdir = xstrdup(t->dir);
    r->link = xasprintf("test-results/%s", r->id);
    if (mkdir(t->dir, 0755) < 0 && errno != EEXIST) {
        err_set("mkdir %s: %s", t->dir, strerror(errno));
        goto fail;
    }
    p = xasprintf("%s/debug.log", t->dir);
    t->debuglog = fopen(p, "ae");
    if (!t->debuglog) {
        err_set("%s: %s", p, strerror(errno));
        goto fail;
    }
    free(p);
    write_params_locked(job, info, t->dir);
    p = xasprintf("START %u-%s\nTest name: %s\nTest directory: %s", r->index, r->name,
                  r->cartesian_name, t->dir);
    log_line_locked(job, t->debuglog, r->id, p);
    free(p);
    pthread_mutex_unlock(&job->lock);
    return t;

fail:
    pthread_mutex_unlock(&job->lock);
    free(p);
    res_rec_free(t->rec);
    free(t->dir);
    free(t);
    return NULL;
}

const char *res_test_dir(const struct res_test *t)
{
    return t->dir;
}

void res_test_vlog(struct res_test *t, const char *fmt, va_list ap)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_vaddf(&sb, fmt, ap);
    pthread_mutex_lock(&t->job->lock);
    log_line_locked(t->job, t->debuglog, t->rec->id, sb.buf);
    pthread_mutex_unlock(&t->job->lock);
    strbuf_release(&sb);
}

void res_test_log(struct res_test *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    res_test_vlog(t, fmt, ap);
    va_end(ap);
}

void res_test_check(struct res_test *t, const char *name, const char *severity,
                    enum res_status status, const char *message)
{
    struct res_rec *r = t->rec;
    struct res_check_rec *c;
    char *line;
    pthread_mutex_lock(&t->job->lock);
    r->checks = xrealloc(r->checks, (r->nchecks + 1) * sizeof(*r->checks));
    c = &r->checks[r->nchecks++];
    c->name = res_str(name);
    c->severity = res_str(severity);
    c->status = status;
    c->message = res_mask_with(message ? message : "", t->job->secrets, t->job->nsecrets);
    line = xasprintf("CHECK %s [%s]: %s%s%s", c->name, c->severity,
                     res_status_name(status), *c->message ? ": " : "", c->message);
    log_line_locked(t->job, t->debuglog, r->id, line);
    free(line);
    pthread_mutex_unlock(&t->job->lock);
}

void res_test_file(struct res_test *t, const char *path, const char *what)
{
    struct res_rec *r = t->rec;
    char *line;
    pthread_mutex_lock(&t->job->lock);
    r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
    r->files[r->nfiles].path = res_str(path);
    r->files[r->nfiles].what = res_str(what);
    line = xasprintf("FILE %s: %s", r->files[r->nfiles].path, r->files[r->nfiles].what);
    r->nfiles++;
    log_line_locked(t->job, t->debuglog, r->id, line);
    free(line);
    pthread_mutex_unlock(&t->job->lock);
}

char *res_test_mask(struct res_test *t, const char *text)
{
    pthread_mutex_lock(&t->job->lock);
    char *m = res_mask_with(text, t->job->secrets, t->job->nsecrets);
    pthread_mutex_unlock(&t->job->lock);
    return m;
}

void res_test_whiteboard(struct res_test *t, const char *text)
{
    pthread_mutex_lock(&t->job->lock);
    free(t->rec->whiteboard);
    t->rec->whiteboard = res_mask_with(text ? text : "", t->job->secrets, t->job->nsecrets);
    pthread_mutex_unlock(&t->job->lock);
}

void res_test_hop(struct res_test *t, const struct res_hop *hop)
{
    struct res_rec *r = t->rec;
    struct res_hop_rec *h;
    char *line, *p;
    pthread_mutex_lock(&t->job->lock);
    r->hops = xrealloc(r->hops, (r->nhops + 1) * sizeof(*r->hops));
    h = &r->hops[r->nhops++];
    h->vm = res_str(hop->vm);
    h->hop = hop->hop;
    h->from = res_str(hop->from);
    h->to = res_str(hop->to);
    h->start = clean_num(hop->start);
    h->wall_s = clean_num(hop->wall_s);
    h->downtime_ms = isfinite(hop->downtime_ms) && hop->downtime_ms >= 0 ? hop->downtime_ms
                                                                          : -1;
    h->data_bytes = hop->data_bytes;
    h->mem_iterations = hop->mem_iterations;
    h->mode = xstrdup(hop->mode && *hop->mode ? hop->mode : "precopy");
    h->ok = hop->ok;
    h->error = res_mask_with(hop->error ? hop->error : "", t->job->secrets,
                             t->job->nsecrets);
    line = xasprintf("HOP %s #%u %s -> %s: %s in %.3f s, downtime %.0f ms, %llu bytes, "
                     "%u iterations, %s%s%s",
                     h->vm, h->hop, h->from, h->to, h->ok ? "ok" : "FAILED", h->wall_s,
                     h->downtime_ms, (unsigned long long)h->data_bytes,
                     h->mem_iterations, h->mode, *h->error ? ": " : "", h->error);
    log_line_locked(t->job, t->debuglog, r->id, line);
    free(line);
    p = xasprintf("%s/hops.json", t->dir);
    if (res_write_hops_json(r, p) < 0)
        fprintf(stderr, "vtrun: cannot write %s: %s\n", p, err_msg());
    free(p);
    pthread_mutex_unlock(&t->job->lock);
}

void res_test_phase(struct res_test *t, const struct res_phase *p)
{
    struct res_rec *r = t->rec;
    pthread_mutex_lock(&t->job->lock);
    r->phases = xrealloc(r->phases, (r->nphases + 1) * sizeof(*r->phases));
    r->phases[r->nphases++] = (struct res_phase_rec){ .name = res_str(p->name),
                                                      .start = clean_num(p->start),
                                                      .time_s = clean_num(p->time_s) };
    char *line = xasprintf("PHASE %s: %.3f s", p->name ? p->name : "", clean_num(p->time_s));
    log_line_locked(t->job, t->debuglog, r->id, line);
    free(line);
    pthread_mutex_unlock(&t->job->lock);
}

/* Keep the report in test index order whatever order parallel tests end in. */
static void insert_sorted_locked(struct res_report *rep, struct res_rec *r)
{
    size_t i;
    res_report_add(rep, r);
    for (i = rep->ntests - 1; i > 0 && rep->tests[i - 1]->index > r->index; i--)
        rep->tests[i] = rep->tests[i - 1];
    rep->tests[i] = r;
}

/* The journal line, whole in one write(2) on an O_APPEND descriptor: lines of tests
 * ending at once never interleave.  Durable once fdatasync returns. */
static void journal_locked(struct res_job *job, const char *json)
{
    size_t len = strlen(json), off = 0;
    char *line = xasprintf("%s\n", json);
    while (off < len + 1) {
        ssize_t n = write(job->journal, line + off, len + 1 - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "vtrun: cannot append to %s/results.jsonl: %s\n", job->dir,
                    strerror(errno));
            job->write_failed = true;
            break;
        }
        off += (size_t)n;
    }
    free(line);
}

void res_test_end(struct res_test *t, enum res_status status, const char *fail_type,
                  const char *reason, double time_s)
{
    struct res_job *job = t->job;
    struct res_rec *r = t->rec;
    char *line;

    pthread_mutex_lock(&job->lock);
    r->status = (unsigned)status < RES_NSTATUS ? status : RES_ERROR;
    free(r->fail_type);
    if (r->status == RES_PASS && !(fail_type && *fail_type))
        r->fail_type = xstrdup("");
    else
        r->fail_type = xstrdup(fail_type && *fail_type ? fail_type
                                                       : res_default_fail_type(r->status));
    free(r->fail_reason);
    r->fail_reason = res_mask_with(reason ? reason : "", job->secrets, job->nsecrets);
    r->time_s = clean_num(time_s);
    r->time_end = res_now();
    line = xasprintf("END %s %s%s%s (%.2f s)", r->id, res_status_name(r->status),
                     *r->fail_reason ? ": " : "", r->fail_reason, r->time_s);
    log_line_locked(job, t->debuglog, r->id, line);
    free(line);
    pthread_mutex_unlock(&job->lock);
    fclose(t->debuglog);
    t->debuglog = NULL;

    /* The record is this thread's until it joins the report: render its pieces of
     * every file now, once, without the lock. */
    res_rec_json(r);
    res_rec_junit(r, job->rep.flavour);
    res_rec_html(r);
    pthread_mutex_lock(&job->lock);
    journal_locked(job, r->json);
    insert_sorted_locked(&job->rep, r);
    if (job->hist) {
        if (job->npending == job->apending) {
            job->apending = job->apending ? 2 * job->apending : 64;
            job->hist_pending = xrealloc(job->hist_pending,
                                         job->apending * sizeof(*job->hist_pending));
        }
        job->hist_pending[job->npending++] = r;
    }
    job->dirty = true;
    pthread_cond_signal(&job->wake);
    pthread_mutex_unlock(&job->lock);
    if (fdatasync(job->journal) < 0) {
        fprintf(stderr, "vtrun: cannot sync %s/results.jsonl: %s\n", job->dir,
                strerror(errno));
        pthread_mutex_lock(&job->lock);
        job->write_failed = true;
        pthread_mutex_unlock(&job->lock);
    }

    free(t->dir);
    free(t);
}
