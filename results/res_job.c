/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_job: the event sink.  Job and test lifecycle, the directory layout, debug.log
 * and job.log, and the rewrite of every results file after each test. */
#include "results/res_model.h"

#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
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
    pthread_mutex_t lock; /* guards everything below and every file write */
    char *dir;            /* absolute job directory */
    char *id;
    FILE *joblog;
    struct res_report rep;
    char **secrets;       /* literal secret values seen in tests' params */
    size_t nsecrets;
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

char *res_test_dirname(unsigned index, const char *shortname)
{
    char *full = xasprintf("%u-%s", index, shortname ? shortname : "");
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

static int write_all_locked(struct res_job *job)
{
    char *p;
    int ret = 0;
    const char *files[] = { "results.json", "results.xml", "results.html" };
    int (*writers[])(const struct res_report *, const char *) = {
        res_write_json, res_write_junit, res_write_html,
    };
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        p = xasprintf("%s/%s", job->dir, files[i]);
        if (writers[i](&job->rep, p) < 0) {
            fprintf(stderr, "vtrun: cannot write %s: %s\n", p, err_msg());
            ret = -1;
        }
        free(p);
    }
    return ret;
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

struct res_job *res_job_open(const struct res_job_info *info)
{
    struct res_job *job = NULL;
    char id[41], host[256], *base = NULL, *p = NULL, *idline = NULL;
    double now = res_now();
    struct res_suite *s;

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
    job->id = xstrdup(id);
    job->dir = make_job_dir(base, id, now);
    if (!job->dir)
        goto fail;
    p = xasprintf("%s/test-results", job->dir);
    if (mkdir(p, 0755) < 0) {
        err_set("mkdir %s: %s", p, strerror(errno));
        goto fail;
    }
    free(p);
    p = xasprintf("%s/id", job->dir);
    idline = xasprintf("%s\n", id);
    if (res_write_atomic(p, idline, strlen(idline)) < 0)
        goto fail;
    free(p);
    p = xasprintf("%s/job.log", job->dir);
    job->joblog = fopen(p, "a");
    if (!job->joblog) {
        err_set("%s: %s", p, strerror(errno));
        goto fail;
    }

    if (!info->hostname && gethostname(host, sizeof(host)) < 0)
        strcpy(host, "localhost");
    host[sizeof(host) - 1] = '\0';
    job->rep.job_id = xstrdup(id);
    job->rep.debuglog = xstrdup(p);
    job->rep.start = res_iso_time(now);
    job->rep.start_epoch = now;
    job->rep.job_time = -1;
    job->rep.total_planned = info->total;
    job->rep.config = res_str(info->config);
    job->rep.suites = xcalloc(1, sizeof(*job->rep.suites));
    job->rep.nsuites = 1;
    s = &job->rep.suites[0];
    s->name = xstrdup(info->name && *info->name ? info->name : strrchr(job->dir, '/') + 1);
    s->hostname = xstrdup(info->hostname ? info->hostname : host);
    s->package = xstrdup(info->package && *info->package ? info->package : "vtrun");
    s->timestamp = xstrdup(job->rep.start);
    s->shard = res_str(info->shard);
    s->job_id = xstrdup(id);
    s->job_time = -1;

    pthread_mutex_lock(&job->lock);
    {
        char *l = xasprintf("Job ID: %s\nJob directory: %s\nConfig: %s\nShard: %s\n"
                            "Host: %s",
                            id, job->dir, info->config ? info->config : "-",
                            info->shard ? info->shard : "-", s->hostname);
        log_line_locked(job, NULL, NULL, l);
        free(l);
    }
    write_all_locked(job);
    pthread_mutex_unlock(&job->lock);
    update_latest(base, job->dir);
    free(p);
    free(idline);
    free(base);
    return job;

fail:
    free(p);
    free(idline);
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
    pthread_mutex_unlock(&job->lock);
}

int res_job_exit_bits(struct res_job *job)
{
    struct res_counts c;
    int bits;
    pthread_mutex_lock(&job->lock);
    res_suite_counts(&job->rep, -1, &c);
    bits = res_exit_bits(&c, job->rep.flags);
    pthread_mutex_unlock(&job->lock);
    return bits;
}

int res_job_end(struct res_job *job, double job_time_s)
{
    struct res_counts c;
    char *line;
    int ret;
    pthread_mutex_lock(&job->lock);
    job->rep.job_time = clean_num(job_time_s);
    job->rep.suites[0].job_time = job->rep.job_time;
    res_suite_counts(&job->rep, -1, &c);
    line = res_results_line(&c);
    log_line_locked(job, NULL, NULL, line);
    free(line);
    ret = write_all_locked(job);
    pthread_mutex_unlock(&job->lock);
    return ret;
}

void res_job_free(struct res_job *job)
{
    if (!job)
        return;
    if (job->joblog)
        fclose(job->joblog);
    res_report_release(&job->rep);
    for (size_t i = 0; i < job->nsecrets; i++)
        free(job->secrets[i]);
    free(job->secrets);
    free(job->dir);
    free(job->id);
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
    char *results, *out;
    res_job_counts(job, &c);
    results = res_results_line(&c);
    out = xasprintf("%s\nJOB HTML   : %s/results.html\nJOB TIME   : %.2f s\n"
                    "JOB LOG    : %s/job.log\n",
                    results, job->dir, job_time_s, job->dir);
    free(results);
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

struct res_test *res_test_start(struct res_job *job, const struct res_test_info *info)
{
    struct res_test *t = NULL;
    struct res_rec *r;
    const char *shortname, *classname = info->classname;
    char *p = NULL;
    size_t np;

    if (!info->name || !*info->name) {
        err_set("results: test %u has no name", info->index);
        return NULL;
    }
    shortname = info->shortname && *info->shortname ? info->shortname : info->name;
    if (!classname && info->params)
        classname = params_get(info->params, "type");
    if (!classname || !*classname)
        classname = "vtrun";

    t = xcalloc(1, sizeof(*t));
    t->job = job;
    r = t->rec = xcalloc(1, sizeof(*r));
    r->index = info->index;
    r->gen_index = info->gen_index >= 0 ? info->gen_index : (long)info->index - 1;
    r->name = xstrdup(info->name);
    r->shortname = xstrdup(shortname);
    r->classname = xstrdup(classname);
    r->id = res_test_dirname(info->index, shortname);
    r->fail_type = xstrdup("");
    r->fail_reason = xstrdup("");
    r->whiteboard = xstrdup("");
    r->system_out = xstrdup("");
    r->time_start = res_now();
    r->status = RES_INTERRUPTED; /* what a record read mid-test would mean */
    np = info->params ? params_count(info->params) : 0;
    r->pkeys = xcalloc(np ? np : 1, sizeof(char *));
    r->pvals = xcalloc(np ? np : 1, sizeof(char *));

    pthread_mutex_lock(&job->lock);
    /* Collect the secret values first: another param may embed one (a URI with a
     * password, an option string), and those are masked too. */
    for (size_t i = 0; i < np; i++)
        if (res_key_is_secret(params_key_at(info->params, i)))
            add_secret_locked(job, params_value_at(info->params, i));
    for (size_t i = 0; i < np; i++) {
        const char *k = params_key_at(info->params, i);
        const char *v = params_value_at(info->params, i);
        r->pkeys[r->nparams] = xstrdup(k);
        r->pvals[r->nparams++] = res_key_is_secret(k) && v && *v
                                     ? xstrdup("****")
                                     : res_mask_with(v ? v : "", job->secrets, job->nsecrets);
    }
    t->dir = xasprintf("%s/test-results/%s", job->dir, r->id);
    r->logdir = xstrdup(t->dir);
    r->link = xasprintf("test-results/%s", r->id);
    if (mkdir(t->dir, 0755) < 0 && errno != EEXIST) {
        err_set("mkdir %s: %s", t->dir, strerror(errno));
        goto fail;
    }
    p = xasprintf("%s/debug.log", t->dir);
    t->debuglog = fopen(p, "a");
    if (!t->debuglog) {
        err_set("%s: %s", p, strerror(errno));
        goto fail;
    }
    free(p);
    p = xasprintf("START %u-%s\nTest name: %s\nTest directory: %s", r->index, r->shortname,
                  r->name, t->dir);
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

/* Keep the report in test index order whatever order parallel tests end in. */
static void insert_sorted_locked(struct res_report *rep, struct res_rec *r)
{
    size_t i;
    res_report_add(rep, r);
    for (i = rep->ntests - 1; i > 0 && rep->tests[i - 1]->index > r->index; i--)
        rep->tests[i] = rep->tests[i - 1];
    rep->tests[i] = r;
}

void res_test_end(struct res_test *t, enum res_status status, const char *fail_type,
                  const char *reason, double time_s)
{
    struct res_job *job = t->job;
    struct res_rec *r = t->rec;
    char *line, *p, *log;
    size_t len;

    pthread_mutex_lock(&job->lock);
    r->status = (unsigned)status < RES_NSTATUS ? status : RES_ERROR;
    free(r->fail_type);
    r->fail_type = xstrdup(fail_type && *fail_type ? fail_type
                           : res_default_fail_type(r->status));
    if (r->status == RES_PASS && !(fail_type && *fail_type)) {
        free(r->fail_type);
        r->fail_type = xstrdup("");
    }
    free(r->fail_reason);
    r->fail_reason = res_mask_with(reason ? reason : "", job->secrets, job->nsecrets);
    r->time_s = clean_num(time_s);
    r->time_end = res_now();
    line = xasprintf("END %s %s%s%s (%.2f s)", r->id, res_status_name(r->status),
                     *r->fail_reason ? ": " : "", r->fail_reason, r->time_s);
    log_line_locked(job, t->debuglog, r->id, line);
    free(line);
    fclose(t->debuglog);
    t->debuglog = NULL;

    /* system-out for JUnit, read once now rather than at every rewrite */
    p = xasprintf("%s/debug.log", t->dir);
    log = res_read_file(p, &len);
    if (log) {
        char *clean = res_xml_clean(log, len);
        free(r->system_out);
        r->system_out = res_cut_middle(clean, strlen(clean), RES_SYSTEM_OUT_MAX);
        free(clean);
        free(log);
    }
    free(p);

    insert_sorted_locked(&job->rep, r);
    write_all_locked(job);
    pthread_mutex_unlock(&job->lock);
    free(t->dir);
    free(t);
}
