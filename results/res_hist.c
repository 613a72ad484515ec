/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * res_hist: the history of jobs and tests in SQLite (results/res.h, "history").  A
 * writer fed by the job's events (res_job.c: job opened, test ended, job ended) and the
 * queries of `vtrun jobs`, `history`, `flaky` and --shard-by time.
 *
 * Cost: the tests that ended since the last write go in one transaction (their rows
 * and hops), written by the job's render thread beside the aggregate files (at most
 * every few seconds) and at the job's end, so a test's end only appends a pointer; in
 * WAL mode with synchronous=NORMAL a commit appends to the WAL without waiting for the
 * disk (the journal results.jsonl is what is synced, once per test), and the writes
 * stay out of the per-test fdatasync.  O(1) per test whatever the job's or the
 * database's size (bench/hist_bench).  Several jobs may write one database at once: each
 * transaction is BEGIN IMMEDIATE and waits up to RES_HIST_BUSY_MS for the others.
 * A failing history never fails the job: the first error is said once on stderr and
 * the job goes on unrecorded.
 */
#include "results/res_model.h"

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <glob.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RES_HIST_BUSY_MS 30000
#define RES_HIST_SCHEMA "1"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES ('schema', '" RES_HIST_SCHEMA "');"
    "CREATE TABLE IF NOT EXISTS jobs ("
    "  id TEXT PRIMARY KEY,"            /* 40 hex, the job directory's `id` */
    "  dir TEXT NOT NULL,"              /* the job directory */
    "  name TEXT,"                      /* testsuite@name: config stem[.shardI] */
    "  config TEXT,"                    /* the --config file */
    "  filters TEXT,"                   /* JSON array: the statements after it */
    "  settings TEXT,"                  /* --settings FILE */
    "  settings_env TEXT,"              /* $VTRUN_SETTINGS */
    "  argv TEXT,"                      /* JSON array: the command line */
    "  replay TEXT,"                    /* JSON array: the resolved options */
    "  cwd TEXT,"
    "  shard TEXT,"                     /* I/N */
    "  shard_by TEXT,"                  /* name, time */
    "  run_id TEXT,"                    /* the CI run the job was part of */
    "  hostname TEXT,"
    "  hosts TEXT,"                     /* the settings' host pair */
    "  version TEXT,"                   /* vtrun's */
    "  start REAL NOT NULL,"            /* epoch s */
    "  end REAL,"                       /* NULL while running (or killed) */
    "  time REAL,"
    "  planned INTEGER,"
    "  total INTEGER, pass INTEGER, fail INTEGER, error INTEGER, skip INTEGER,"
    "  warn INTEGER, interrupt INTEGER, cancel INTEGER,"
    "  exit INTEGER"                    /* avocado's bits */
    ");"
    "CREATE INDEX IF NOT EXISTS jobs_start ON jobs(start);"
    "CREATE TABLE IF NOT EXISTS tests ("
    "  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"           /* 1-based in its job */
    "  gen_index INTEGER,"              /* in generation order, before sharding */
    "  name TEXT NOT NULL,"             /* the reported name (avocado-vt's) */
    "  full_name TEXT NOT NULL,"        /* the Cartesian name */
    "  type TEXT,"                      /* classname: the test type */
    "  status TEXT NOT NULL,"
    "  fail_type TEXT, reason TEXT,"
    "  start REAL, end REAL, time REAL,"
    "  hosts TEXT,"                     /* source -> destination */
    "  logdir TEXT,"
    "  PRIMARY KEY (job_id, idx)"
    ");"
    "CREATE INDEX IF NOT EXISTS tests_name ON tests(name, end);"
    "CREATE INDEX IF NOT EXISTS tests_full ON tests(full_name, end);"
    "CREATE TABLE IF NOT EXISTS hops ("
    "  job_id TEXT NOT NULL, idx INTEGER NOT NULL, vm TEXT NOT NULL, hop INTEGER NOT NULL,"
    "  src TEXT, dst TEXT, start REAL, wall_s REAL, downtime_ms REAL,"
    "  data_bytes INTEGER, mem_iterations INTEGER, mode TEXT, ok INTEGER, error TEXT,"
    "  PRIMARY KEY (job_id, idx, vm, hop),"
    "  FOREIGN KEY (job_id, idx) REFERENCES tests(job_id, idx) ON DELETE CASCADE"
    ");";

struct res_hist {
    sqlite3 *db;
    char *path;
    pthread_mutex_t lock;       /* one transaction at a time on this connection */
    sqlite3_stmt *ins_test, *ins_hop;
    bool failed;                /* the writer said its error already */
};

static int db_error(struct res_hist *h, const char *what)
{
    err_set("history %s: %s: %s", h->path, what, sqlite3_errmsg(h->db));
    return -1;
}

static int exec(struct res_hist *h, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    err_set("history %s: %s", h->path, msg ? msg : sqlite3_errmsg(h->db));
    sqlite3_free(msg);
    return -1;
}

/* Like exec(), but a SQLITE_BUSY that the busy handler does not cover is waited out too:
 * switching a new file to WAL, and a deferred transaction that must upgrade to write
 * after another writer committed, fail at once whatever the busy timeout (SQLite does
 * not wait there, to avoid a deadlock).  Two jobs opening one new history meet both. */
static int exec_waiting(struct res_hist *h, const char *sql)
{
    double deadline = clock_now() + RES_HIST_BUSY_MS / 1000.0;
    for (;;) {
        int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY || clock_now() > deadline)
            return exec(h, sql);
        clock_sleep(0.01);
    }
}

struct res_hist *res_hist_open(const char *path, bool create)
{
    struct res_hist *h = xcalloc(1, sizeof(*h));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX
                | (create ? SQLITE_OPEN_CREATE : 0);
    h->path = xstrdup(path);
    pthread_mutex_init(&h->lock, NULL);
    if (create) {
        /* the default lives in the results directory: make it on a first job */
        char *dir = xstrdup(path), *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            if (res_mkdir_p(dir) < 0) {
                free(dir);
                goto fail;
            }
        }
        free(dir);
    }
    if (sqlite3_open_v2(path, &h->db, flags, NULL) != SQLITE_OK) {
        if (h->db)
            db_error(h, "open");
        else
            err_set("history %s: cannot open", path);
        goto fail;
    }
    sqlite3_busy_timeout(h->db, RES_HIST_BUSY_MS);
    /* WAL: readers and one writer at once; NORMAL: a commit does not fsync (the job's
     * journal is the durable record, the history can be rebuilt from job dirs) */
    if (exec_waiting(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        "PRAGMA foreign_keys=ON;") < 0)
        goto fail;
    /* one write transaction taken up front, so a second job waits for it */
    if (create && exec_waiting(h, "BEGIN IMMEDIATE") < 0)
        goto fail;
    if (create && (exec(h, schema) < 0 || exec(h, "COMMIT") < 0)) {
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        goto fail;
    }
    return h;
fail:
    res_hist_close(h);
    return NULL;
}

void res_hist_close(struct res_hist *h)
{
    if (!h)
        return;
    sqlite3_finalize(h->ins_test);
    sqlite3_finalize(h->ins_hop);
    sqlite3_close(h->db);
    pthread_mutex_destroy(&h->lock);
    free(h->path);
    free(h);
}

const char *res_hist_path(const struct res_hist *h)
{
    return h->path;
}

/* ---- binding helpers -------------------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* A NULL-terminated string array as JSON text (heap), NULL for NULL. */
static char *json_strv(const char *const *v)
{
    json_t *a;
    char *s;
    if (!v)
        return NULL;
    a = json_array();
    for (size_t i = 0; v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static int prepare(struct res_hist *h, sqlite3_stmt **st, const char *sql)
{
    if (*st) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
        return 0;
    }
    if (sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return db_error(h, "prepare");
    return 0;
}

/* The writer's first error, once: the job goes on without its history. */
static void writer_failed(struct res_hist *h)
{
    if (h->failed)
        return;
    h->failed = true;
    fprintf(stderr, "vtrun: %s (this job's history is incomplete)\n", err_msg());
}

/* ---- writer ----------------------------------------------------------------------- */

int res_hist_job_start(struct res_hist *h, const struct res_report *rep, const char *dir,
                       const struct res_job_meta *m, const char *shard)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO jobs (id, dir, name, config, filters, settings, settings_env,"
        " argv, replay, cwd, shard, shard_by, run_id, hostname, hosts, version, start,"
        " planned) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *st = NULL;
    char *filters = json_strv(m ? m->filters : NULL);
    char *argv = json_strv(m ? m->argv : NULL), *replay = json_strv(m ? m->replay : NULL);
    int ret = -1;
    pthread_mutex_lock(&h->lock);
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(h, "prepare");
        goto out;
    }
    bind_text(st, 1, rep->job_id);
    bind_text(st, 2, dir);
    bind_text(st, 3, rep->nsuites ? rep->suites[0].name : NULL);
    bind_text(st, 4, rep->config);
    bind_text(st, 5, filters);
    bind_text(st, 6, m ? m->settings : NULL);
    bind_text(st, 7, m ? m->settings_env : NULL);
    bind_text(st, 8, argv);
    bind_text(st, 9, replay);
    bind_text(st, 10, m ? m->cwd : NULL);
    bind_text(st, 11, shard && *shard ? shard : NULL);
    bind_text(st, 12, m ? m->shard_by : NULL);
    bind_text(st, 13, m ? m->run_id : NULL);
    bind_text(st, 14, rep->nsuites ? rep->suites[0].hostname : NULL);
    bind_text(st, 15, m ? m->hosts : NULL);
    bind_text(st, 16, m ? m->version : NULL);
    sqlite3_bind_double(st, 17, rep->start_epoch);
    sqlite3_bind_int64(st, 18, rep->total_planned);
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_error(h, "recording the job");
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    if (ret < 0)
        writer_failed(h);
    pthread_mutex_unlock(&h->lock);
    free(filters);
    free(argv);
    free(replay);
    return ret;
}

static int insert_hops(struct res_hist *h, const char *job_id, const struct res_rec *r)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO hops (job_id, idx, vm, hop, src, dst, start, wall_s,"
        " downtime_ms, data_bytes, mem_iterations, mode, ok, error)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    for (size_t i = 0; i < r->nhops; i++) {
        const struct res_hop_rec *p = &r->hops[i];
        if (prepare(h, &h->ins_hop, sql) < 0)
            return -1;
        sqlite3_stmt *st = h->ins_hop;
        bind_text(st, 1, job_id);
        sqlite3_bind_int64(st, 2, r->index);
        bind_text(st, 3, p->vm);
        sqlite3_bind_int64(st, 4, p->hop);
        bind_text(st, 5, p->from);
        bind_text(st, 6, p->to);
        sqlite3_bind_double(st, 7, p->start);
        sqlite3_bind_double(st, 8, p->wall_s);
        sqlite3_bind_double(st, 9, p->downtime_ms);
        sqlite3_bind_int64(st, 10, (sqlite3_int64)p->data_bytes);
        sqlite3_bind_int64(st, 11, p->mem_iterations);
        bind_text(st, 12, p->mode);
        sqlite3_bind_int(st, 13, p->ok);
        bind_text(st, 14, *p->error ? p->error : NULL);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_error(h, "recording a hop");
    }
    return 0;
}

/* The "hosts" property the runner gives a test (source -> destination), if any. */
static const char *rec_hosts(const struct res_rec *r)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (!strcmp(r->pkeys[i], "hosts"))
            return r->pvals[i];
    return NULL;
}

/* One test's row and hops, inside the caller's transaction. */
static int insert_test(struct res_hist *h, const char *job_id, const struct res_rec *r)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO tests (job_id, idx, gen_index, name, full_name, type,"
        " status, fail_type, reason, start, end, time, hosts, logdir)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    if (prepare(h, &h->ins_test, sql) < 0)
        return -1;
    sqlite3_stmt *st = h->ins_test;
    bind_text(st, 1, job_id);
    sqlite3_bind_int64(st, 2, r->index);
    sqlite3_bind_int64(st, 3, r->gen_index);
    bind_text(st, 4, r->name);
    bind_text(st, 5, r->cartesian_name);
    bind_text(st, 6, r->classname);
    bind_text(st, 7, res_status_name(r->status));
    bind_text(st, 8, *r->fail_type ? r->fail_type : NULL);
    bind_text(st, 9, *r->fail_reason ? r->fail_reason : NULL);
    sqlite3_bind_double(st, 10, r->time_start);
    sqlite3_bind_double(st, 11, r->time_end);
    sqlite3_bind_double(st, 12, r->time_s);
    bind_text(st, 13, rec_hosts(r));
    bind_text(st, 14, r->logdir);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(h, "recording a test");
    return insert_hops(h, job_id, r);
}

int res_hist_tests(struct res_hist *h, const char *job_id, struct res_rec *const *recs,
                   size_t n)
{
    int ret = -1;
    if (!n)
        return 0;
    pthread_mutex_lock(&h->lock);
    if (h->failed)
        goto out;
    if (exec(h, "BEGIN IMMEDIATE") < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (insert_test(h, job_id, recs[i]) < 0)
            goto rollback;
    if (exec(h, "COMMIT") < 0)
        goto rollback;
    ret = 0;
    goto out;
rollback:
    {
        char *msg = xstrdup(err_msg());
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        err_set("%s", msg);
        free(msg);
    }
out:
    if (ret < 0)
        writer_failed(h);
    pthread_mutex_unlock(&h->lock);
    return ret;
}

int res_hist_job_end(struct res_hist *h, const struct res_report *rep, int exit_bits)
{
    static const char sql[] =
        "UPDATE jobs SET end = ?, time = ?, total = ?, pass = ?, fail = ?, error = ?,"
        " skip = ?, warn = ?, interrupt = ?, cancel = ?, exit = ? WHERE id = ?";
    struct res_counts c;
    sqlite3_stmt *st = NULL;
    int ret = -1;
    res_suite_counts(rep, -1, &c);
    pthread_mutex_lock(&h->lock);
    if (h->failed)
        goto out;
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(h, "prepare");
        goto out;
    }
    sqlite3_bind_double(st, 1, rep->start_epoch + (rep->job_time > 0 ? rep->job_time : 0));
    sqlite3_bind_double(st, 2, rep->job_time > 0 ? rep->job_time : 0);
    sqlite3_bind_int64(st, 3, c.total);
    sqlite3_bind_int64(st, 4, c.n[RES_PASS]);
    sqlite3_bind_int64(st, 5, c.n[RES_FAIL]);
    sqlite3_bind_int64(st, 6, c.n[RES_ERROR]);
    sqlite3_bind_int64(st, 7, c.n[RES_SKIP]);
    sqlite3_bind_int64(st, 8, c.n[RES_WARN]);
    sqlite3_bind_int64(st, 9, c.n[RES_INTERRUPTED]);
    sqlite3_bind_int64(st, 10, c.n[RES_CANCEL]);
    sqlite3_bind_int(st, 11, exit_bits);
    bind_text(st, 12, rep->job_id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_error(h, "recording the job's end");
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    if (ret < 0)
        writer_failed(h);
    pthread_mutex_unlock(&h->lock);
    return ret;
}

/* ---- reading ---------------------------------------------------------------------- */

static char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return xstrdup(s ? (const char *)s : "");
}

void res_hist_job_release(struct res_hist_job *j)
{
    free(j->id);
    free(j->dir);
    free(j->name);
    free(j->config);
    free(j->shard);
    free(j->run_id);
    memset(j, 0, sizeof(*j));
}

#define JOB_COLS "id, dir, name, config, shard, run_id, start, end, time, total, pass, fail," \
                 " error, skip, warn, interrupt, cancel"

static void job_from_row(sqlite3_stmt *st, struct res_hist_job *j)
{
    static const enum res_status order[] = { RES_PASS, RES_FAIL, RES_ERROR, RES_SKIP,
                                             RES_WARN, RES_INTERRUPTED, RES_CANCEL };
    memset(j, 0, sizeof(*j));
    j->id = col_str(st, 0);
    j->dir = col_str(st, 1);
    j->name = col_str(st, 2);
    j->config = col_str(st, 3);
    j->shard = col_str(st, 4);
    j->run_id = col_str(st, 5);
    j->start = sqlite3_column_double(st, 6);
    j->time = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 8);
    j->counts.total = (unsigned)sqlite3_column_int64(st, 9);
    for (size_t k = 0; k < ARRAY_SIZE(order); k++)
        j->counts.n[order[k]] = (unsigned)sqlite3_column_int64(st, 10 + (int)k);
    j->recorded = true;
}

/* The tests of a job still running (or killed): counted from its rows. */
static void count_rows(struct res_hist *h, struct res_hist_job *j)
{
    sqlite3_stmt *st = NULL;
    memset(&j->counts, 0, sizeof(j->counts));
    if (sqlite3_prepare_v2(h->db, "SELECT status FROM tests WHERE job_id = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return;
    bind_text(st, 1, j->id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int s = res_status_parse((const char *)sqlite3_column_text(st, 0));
        if (s >= 0)
            j->counts.n[s]++;
        j->counts.total++;
    }
    sqlite3_finalize(st);
}

/* A job directory the history does not record, as a row of the list. */
static bool job_from_dir(const char *dir, struct res_hist_job *j)
{
    struct res_report rep = { 0 };
    if (res_report_load_job(&rep, dir) < 0) {
        res_report_release(&rep);
        return false;
    }
    memset(j, 0, sizeof(*j));
    j->id = xstrdup(rep.job_id ? rep.job_id : "");
    j->dir = xstrdup(dir);
    j->name = xstrdup(rep.nsuites ? rep.suites[0].name : "");
    j->config = xstrdup(rep.config ? rep.config : "");
    j->shard = xstrdup(rep.nsuites > 1 ? "merged" : rep.nsuites ? rep.suites[0].shard : "");
    j->run_id = xstrdup("");
    j->start = rep.start_epoch;
    j->time = rep.job_time;
    res_suite_counts(&rep, -1, &j->counts);
    res_report_release(&rep);
    return true;
}

static int by_start(const void *a, const void *b)
{
    const struct res_hist_job *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return strcmp(x->id, y->id);
}

static bool have_id(const struct res_hist_job *v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].id, id))
            return true;
    return false;
}

int res_hist_jobs(struct res_hist *h, const char *results_dir, struct res_hist_job **out,
                  size_t *n)
{
    struct res_hist_job *v = NULL;
    size_t nv = 0;
    *out = NULL;
    *n = 0;
    if (h) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(h->db, "SELECT " JOB_COLS " FROM jobs ORDER BY start, id", -1,
                               &st, NULL) != SQLITE_OK)
            return db_error(h, "listing jobs");
        while (sqlite3_step(st) == SQLITE_ROW) {
            v = xrealloc(v, (nv + 1) * sizeof(*v));
            job_from_row(st, &v[nv]);
            if (v[nv].time < 0)
                count_rows(h, &v[nv]);
            nv++;
        }
        sqlite3_finalize(st);
    }
    if (results_dir) {
        char *pat = xasprintf("%s/*/results.json", results_dir);
        glob_t g;
        if (glob(pat, 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; i++) {
                char *dir = xstrdup(g.gl_pathv[i]);
                struct res_hist_job j;
                *strrchr(dir, '/') = '\0';
                const char *base = strrchr(dir, '/');
                /* `latest` is a link to a job listed under its own name */
                if (strcmp(base ? base + 1 : dir, "latest") && job_from_dir(dir, &j)) {
                    if (have_id(v, nv, j.id)) {
                        res_hist_job_release(&j);
                    } else {
                        v = xrealloc(v, (nv + 1) * sizeof(*v));
                        v[nv++] = j;
                    }
                }
                free(dir);
            }
            globfree(&g);
        }
        free(pat);
    }
    qsort(v, nv, sizeof(*v), by_start);
    *out = v;
    *n = nv;
    return 0;
}

int res_hist_find(struct res_hist *h, const char *prefix, struct res_hist_job *out)
{
    sqlite3_stmt *st = NULL;
    char *like = xasprintf("%s%%", prefix);
    struct strbuf ids = STRBUF_INIT;
    int found = 0;
    memset(out, 0, sizeof(*out));
    if (strspn(prefix, "0123456789abcdef") != strlen(prefix) || !*prefix) {
        free(like);
        return 0;
    }
    if (sqlite3_prepare_v2(h->db, "SELECT " JOB_COLS " FROM jobs WHERE id LIKE ?"
                           " ORDER BY start", -1, &st, NULL) != SQLITE_OK) {
        free(like);
        return db_error(h, "finding a job");
    }
    bind_text(st, 1, like);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (found++)
            res_hist_job_release(out);
        job_from_row(st, out);
        strbuf_addf(&ids, "%s%s", found > 1 ? ", " : "", out->id);
    }
    sqlite3_finalize(st);
    free(like);
    if (found > 1) {
        err_set("job id prefix '%s' is ambiguous: %s", prefix, ids.buf);
        res_hist_job_release(out);
        found = -1;
    }
    strbuf_release(&ids);
    return found;
}

int res_hist_durations(struct res_hist *h, const char *exclude_run,
                       void (*cb)(void *ctx, const char *full_name, double time_s),
                       void *ctx)
{
    /* SQLite takes the bare columns of an aggregate's row from the row max() picked */
    static const char sql[] =
        "SELECT t.full_name, t.time, max(t.end) FROM tests t JOIN jobs j ON j.id = t.job_id"
        " WHERE t.status NOT IN ('SKIP', 'CANCEL')"
        " AND (?1 IS NULL OR j.run_id IS NULL OR j.run_id != ?1)"
        " GROUP BY t.full_name";
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(h, "reading durations");
    bind_text(st, 1, exclude_run && *exclude_run ? exclude_run : NULL);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cb(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_double(st, 1));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_error(h, "reading durations");
}

/* Local "YYYY-MM-DD HH:MM:SS" of epoch seconds. */
static char *when(double epoch)
{
    char *iso = res_iso_time(epoch);
    char *t = strchr(iso, 'T');
    if (t)
        *t = ' ';
    return iso;
}

static bool passed(enum res_status s)
{
    return s == RES_PASS || s == RES_WARN;
}

static bool failed(enum res_status s)
{
    return s == RES_FAIL || s == RES_ERROR || s == RES_INTERRUPTED;
}

/* One run of a test, as the history keeps it. */
struct run {
    char *job, *name, *full, *reason;
    enum res_status status;
    double end, time;
};

static void runs_free(struct run *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].job);
        free(r[i].name);
        free(r[i].full);
        free(r[i].reason);
    }
    free(r);
}

/* Rows of SQL (job_id, name, full_name, status, reason, end, time) with ?1 bound to
 * ARG (may be NULL) and ?2 to NUM. */
static int runs_query(struct res_hist *h, const char *sql, const char *arg, sqlite3_int64 num,
                      struct run **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct run *v = NULL;
    size_t nv = 0;
    int rc;
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(h, "reading tests");
    bind_text(st, 1, arg);
    sqlite3_bind_int64(st, 2, num);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int s = res_status_parse((const char *)sqlite3_column_text(st, 3));
        v = xrealloc(v, (nv + 1) * sizeof(*v));
        v[nv++] = (struct run){
            .job = col_str(st, 0), .name = col_str(st, 1), .full = col_str(st, 2),
            .status = s < 0 ? RES_ERROR : (enum res_status)s, .reason = col_str(st, 4),
            .end = sqlite3_column_double(st, 5), .time = sqlite3_column_double(st, 6),
        };
    }
    sqlite3_finalize(st);
    *out = v;
    *n = nv;
    return rc == SQLITE_DONE ? 0 : db_error(h, "reading tests");
}

int res_hist_print_test(struct res_hist *h, const char *name, size_t limit, bool json,
                        FILE *out)
{
    static const char sql[] =
        "SELECT t.job_id, t.name, t.full_name, t.status, t.reason, t.end, t.time"
        " FROM tests t JOIN jobs j ON j.id = t.job_id"
        " WHERE t.name = ?1 OR t.full_name = ?1 ORDER BY j.start, t.job_id, t.idx";
    struct run *r;
    size_t n, ran = 0, pass = 0, cases = 0;
    const struct run *last_pass = NULL, *last_fail = NULL;
    if (runs_query(h, sql, name, 0, &r, &n) < 0)
        return -1;
    if (!n) {
        runs_free(r, n);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = strcmp(r[k].full, r[i].full) != 0;
        cases += first;
        if (passed(r[i].status) || failed(r[i].status))
            ran++;
        if (passed(r[i].status)) {
            pass++;
            last_pass = &r[i];
        }
        if (failed(r[i].status))
            last_fail = &r[i];
    }
    size_t from = limit && n > limit ? n - limit : 0;
    if (json) {
        json_t *recent = json_array(), *o;
        for (size_t i = from; i < n; i++)
            json_array_append_new(recent, json_pack("{s:s, s:s, s:f, s:f, s:s}", "job",
                                                    r[i].job, "status",
                                                    res_status_name(r[i].status), "end",
                                                    r[i].end, "time", r[i].time, "reason",
                                                    r[i].reason));
        o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "name", name, "runs",
                      (json_int_t)n, "ran", (json_int_t)ran, "passed", (json_int_t)pass,
                      "cases", (json_int_t)cases, "pass_rate",
                      ran ? json_real((double)pass / (double)ran) : json_null(),
                      "last_pass", last_pass ? json_string(last_pass->job) : json_null(),
                      "recent", recent);
        json_object_set_new(o, "last_fail", last_fail ? json_string(last_fail->job)
                                                      : json_null());
        json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        json_decref(o);
        runs_free(r, n);
        return 0;
    }
    fprintf(out, "%s: %zu run%s", name, n, n == 1 ? "" : "s");
    if (cases > 1)
        fprintf(out, " of %zu cases that share the name", cases);
    if (ran)
        fprintf(out, ", pass rate %.0f%% (%zu of %zu that ran)\n",
                100.0 * (double)pass / (double)ran, pass, ran);
    else
        fprintf(out, ", none ran (all SKIP or CANCEL)\n");
    const struct run *lasts[] = { last_pass, last_fail };
    static const char *const labels[] = { "last pass", "last fail" };
    for (size_t k = 0; k < ARRAY_SIZE(lasts); k++) {
        if (!lasts[k]) {
            fprintf(out, "%-10s: never\n", labels[k]);
            continue;
        }
        char *t = when(lasts[k]->end);
        fprintf(out, "%-10s: %s, job %.12s, %s (%.2f s)%s%s\n", labels[k], t, lasts[k]->job,
                res_status_name(lasts[k]->status), lasts[k]->time,
                *lasts[k]->reason ? ": " : "", lasts[k]->reason);
        free(t);
    }
    fprintf(out, "%-10s:", "recent");
    for (size_t i = from; i < n; i++)
        fprintf(out, " %s", res_status_name(r[i].status));
    fprintf(out, "  (oldest first)\n");
    runs_free(r, n);
    return 0;
}

static int by_full_then_end(const void *a, const void *b)
{
    const struct run *x = a, *y = b;
    int c = strcmp(x->full, y->full);
    if (c)
        return c;
    return x->end < y->end ? -1 : x->end > y->end;
}

int res_hist_print_flaky(struct res_hist *h, size_t last, bool json, FILE *out)
{
    static const char sql[] =
        "SELECT t.job_id, t.name, t.full_name, t.status, t.reason, j.start, t.time"
        " FROM tests t JOIN (SELECT id, start FROM jobs WHERE end IS NOT NULL"
        "                    ORDER BY start DESC LIMIT ?2) j ON j.id = t.job_id"
        " WHERE t.status NOT IN ('SKIP', 'CANCEL')";
    struct run *r;
    size_t n, found = 0;
    json_t *arr = json ? json_array() : NULL;
    if (runs_query(h, sql, NULL, (sqlite3_int64)last, &r, &n) < 0) {
        json_decref(arr);
        return -1;
    }
    /* .end holds the job's start: runs in job order per case */
    qsort(r, n, sizeof(*r), by_full_then_end);
    for (size_t i = 0; i < n;) {
        size_t e = i, flips = 0;
        while (e < n && !strcmp(r[e].full, r[i].full))
            e++;
        for (size_t k = i + 1; k < e; k++)
            flips += passed(r[k].status) != passed(r[k - 1].status);
        if (flips) {
            struct strbuf seq = STRBUF_INIT;
            json_t *sts = json ? json_array() : NULL;
            for (size_t k = i; k < e; k++) {
                strbuf_addf(&seq, " %s", res_status_name(r[k].status));
                if (sts)
                    json_array_append_new(sts, json_string(res_status_name(r[k].status)));
            }
            if (json)
                json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:o}", "name",
                                                     r[i].name, "full_name", r[i].full,
                                                     "flips", (json_int_t)flips, "runs",
                                                     (json_int_t)(e - i), "statuses", sts));
            else
                fprintf(out, "%s: %zu flip%s in %zu runs:%s\n",
                        strcmp(r[i].name, r[i].full) ? r[i].full : r[i].name, flips,
                        flips == 1 ? "" : "s", e - i, seq.buf);
            strbuf_release(&seq);
            found++;
        }
        i = e;
    }
    if (json) {
        json_t *o = json_pack("{s:I, s:o}", "last", (json_int_t)last, "flaky", arr);
        json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        json_decref(o);
    } else if (!found) {
        fprintf(out, "no case flipped between PASS and FAIL/ERROR/INTERRUPTED in the last "
                "%zu jobs\n", last);
    }
    runs_free(r, n);
    return 0;
}

int res_hist_load_report(struct res_hist *h, const char *id, struct res_report *rep,
                         char **dir)
{
    static const char jsql[] =
        "SELECT id, dir, name, config, shard, hostname, start, time, planned"
        " FROM jobs WHERE id = ?";
    static const char tsql[] =
        "SELECT idx, gen_index, name, full_name, type, status, fail_type, reason, start,"
        " end, time, logdir FROM tests WHERE job_id = ? ORDER BY idx";
    sqlite3_stmt *st = NULL;
    int ret = -1;
    memset(rep, 0, sizeof(*rep));
    if (sqlite3_prepare_v2(h->db, jsql, -1, &st, NULL) != SQLITE_OK)
        return db_error(h, "reading a job");
    bind_text(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        err_set("history %s: no job %s", h->path, id);
        sqlite3_finalize(st);
        return -1;
    }
    rep->job_id = col_str(st, 0);
    *dir = col_str(st, 1);
    rep->suites = xcalloc(1, sizeof(*rep->suites));
    rep->nsuites = 1;
    rep->suites[0] = (struct res_suite){ .name = col_str(st, 2), .hostname = col_str(st, 5),
                                         .package = xstrdup(""), .timestamp = xstrdup(""),
                                         .shard = col_str(st, 4), .job_id = col_str(st, 0),
                                         .job_time = -1 };
    rep->config = col_str(st, 3);
    rep->start_epoch = sqlite3_column_double(st, 6);
    rep->start = res_iso_time(rep->start_epoch);
    rep->job_time = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1
                                                              : sqlite3_column_double(st, 7);
    rep->total_planned = (unsigned)sqlite3_column_int64(st, 8);
    rep->note = xstrdup("");
    rep->debuglog = xasprintf("%s/job.log", *dir);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(h->db, tsql, -1, &st, NULL) != SQLITE_OK) {
        db_error(h, "reading a job's tests");
        goto out;
    }
    bind_text(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct res_rec *r = xcalloc(1, sizeof(*r));
        int s = res_status_parse((const char *)sqlite3_column_text(st, 5));
        r->index = (unsigned)sqlite3_column_int64(st, 0);
        r->gen_index = (long)sqlite3_column_int64(st, 1);
        r->name = col_str(st, 2);
        r->cartesian_name = col_str(st, 3);
        r->shortname = xstrdup(r->name);
        r->classname = col_str(st, 4);
        r->status = s < 0 ? RES_ERROR : (enum res_status)s;
        r->fail_type = col_str(st, 6);
        r->fail_reason = col_str(st, 7);
        r->time_start = sqlite3_column_double(st, 8);
        r->time_end = sqlite3_column_double(st, 9);
        r->time_s = sqlite3_column_double(st, 10);
        r->logdir = col_str(st, 11);
        r->id = res_test_dirname(r->index, r->name);
        r->link = xstrdup(r->logdir);
        r->whiteboard = xstrdup("");
        r->pkeys = xcalloc(1, sizeof(char *));
        r->pvals = xcalloc(1, sizeof(char *));
        res_report_add(rep, r);
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int res_job_replay_args(struct res_hist *h, const char *dir, const char *id, char ***argv,
                        char **settings_env)
{
    sqlite3_stmt *st = NULL;
    char *p = dir ? xasprintf("%s/jobdata/args.json", dir) : NULL;
    bool in_dir = p && access(p, R_OK) == 0;
    free(p);
    if (in_dir || !h || !id)
        return res_read_jobdata(dir ? dir : ".", argv, settings_env);
    *argv = NULL;
    *settings_env = NULL;
    if (sqlite3_prepare_v2(h->db, "SELECT replay, settings_env FROM jobs WHERE id = ?", -1,
                           &st, NULL) != SQLITE_OK)
        return db_error(h, "reading a job");
    bind_text(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
        err_set("history %s: job %s has no recorded options to replay", h->path, id);
        sqlite3_finalize(st);
        return -1;
    }
    json_t *a = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL), *v;
    size_t i;
    *argv = xcalloc(json_array_size(a) + 1, sizeof(char *));
    json_array_foreach(a, i, v)
        (*argv)[i] = xstrdup(json_string_value(v) ? json_string_value(v) : "");
    json_decref(a);
    if (sqlite3_column_type(st, 1) != SQLITE_NULL)
        *settings_env = col_str(st, 1);
    sqlite3_finalize(st);
    return 0;
}

int res_hist_record_dir(const char *history, const char *dir)
{
    struct res_report rep = { 0 };
    struct res_counts c;
    struct res_hist *h = NULL;
    char *shard = NULL;
    int ret = -1;
    if (res_report_load_job(&rep, dir) < 0)
        goto out;
    h = res_hist_open(history, true);
    if (!h)
        goto out;
    /* a merged job: its shards, "1/3 2/3 3/3" */
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < rep.nsuites; i++)
        if (*rep.suites[i].shard)
            strbuf_addf(&sb, "%s%s", sb.len ? " " : "", rep.suites[i].shard);
    shard = strbuf_detach(&sb, NULL);
    res_suite_counts(&rep, -1, &c);
    if (res_hist_job_start(h, &rep, dir, NULL, shard) < 0)
        goto out;
    if (res_hist_tests(h, rep.job_id, rep.tests, rep.ntests) < 0)
        goto out;
    ret = res_hist_job_end(h, &rep, res_exit_bits(&c, rep.flags));
out:
    res_hist_close(h);
    res_report_release(&rep);
    free(shard);
    return ret;
}
