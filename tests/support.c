/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test support library (tests/support.h says what is in it and why it is one
 * object linked into every test binary).
 */
#include "tests/support.h"

#include "tests/support_sshd.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <libgen.h>
#include <sched.h>

char *ts_base;
struct ts_cases ts_cases;
char ts_cfg_dir[] = "/tmp/vtrun-cfgtest-XXXXXX";
static const char *ts_secret;
static char *ts_secret_hit;
static char ts_known_hosts[64];

double ts_now(void)
{
    return clock_now();
}

char *ts_tmpdir(const char *what)
{
    char *dir = xasprintf("/tmp/vtrun-%s-XXXXXX", what);
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
    return dir;
}

static int ts_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

void ts_rmtree(const char *dir)
{
    nftw(dir, ts_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void ts_setup(void)
{
    ts_base = ts_tmpdir("res");
}

void ts_teardown(void)
{
    ts_rmtree(ts_base);
    free(ts_base);
}

void ts_write(const char *path, const char *text)
{
    char *dir = xstrdup(path);
    for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(dir, 0755);
        *s = '/';
    }
    free(dir);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    fwrite(text, 1, strlen(text), f);
    ck_assert_int_eq(fclose(f), 0);
}

char *ts_read_len(const char *path, size_t *len)
{
    struct strbuf sb = STRBUF_INIT;
    ck_assert_msg(strbuf_read_file(&sb, path, 0) >= 0, "cannot open %s: %s", path,
                  strerror(errno));
    return strbuf_detach(&sb, len);
}

char *ts_read(const char *path)
{
    return ts_read_len(path, NULL);
}

bool ts_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

size_t ts_count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

unsigned ts_free_port(void)
{
    int port = ts_sshd_free_port();
    ck_assert_msg(port > 0, "no free port on 127.0.0.1: %s", strerror(errno));
    return (unsigned)port;
}

int ts_spawn_status(const struct spawn *c)
{
    const char *m;
    int sig;

    switch (spawn_end(c)) {
    case SPAWN_EXITED:
        return spawn_exit_status(c);
    case SPAWN_SIGNALED:
        m = strstr(err_msg(), "killed by signal ");
        return m && sscanf(m, "killed by signal %d", &sig) == 1 ? 128 + sig : 128;
    case SPAWN_TIMEOUT:
    case SPAWN_CANCELLED:
    case SPAWN_STOPPED:
        return 128 + SIGKILL;
    default:
        return -1;
    }
}

void ts_lab_facts(struct run_facts *f, char **caps, size_t ncaps)
{
    run_facts_init(f);
    memset(caps, 0, ncaps * sizeof(*caps));
    f->capabilities = caps;
    f->libvirt_version = 9000000;
    f->qemu_version = 7002000;
    f->arch = "x86_64";
}

int ts_type_params(const struct params *p, struct strbuf *out)
{
    const struct run_type *t = run_type_lookup(params_get(p, "type"));
    struct run_common c = { 0 };
    void *opts = NULL;
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(run_common_parse(p, &c) == 0, "%s", err_msg());
    int rc = run_type_parse(t, p, &c, &opts);
    if (rc == 0) {
        run_param_format(t->params, opts, out);
        run_type_opts_free(t, opts);
    }
    run_common_release(&c);
    return rc;
}

char *ts_dispo(const struct params *p, struct run_facts *f)
{
    const struct run_type *t = run_type_lookup(params_get(p, "type"));
    struct run_common c = { 0 };
    const char *label = NULL;
    void *opts = NULL;
    char *out;
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(run_common_parse(p, &c) == 0, "%s", err_msg());
    if (run_type_parse(t, p, &c, &opts) < 0) {
        out = xasprintf("ERROR: %s", err_msg());
        run_common_release(&c);
        return out;
    }
    int rc = run_needs_check(t, p, &c, 2, f, &label);
    out = rc == 0 ? xstrdup("RUN") : rc == -1 ? xstrdup(label)
                                              : xasprintf("ERROR: %s", err_msg());
    run_type_opts_free(t, opts);
    run_common_release(&c);
    return out;
}

/* ---- a vtrun that hangs: why, in the log, before it is stopped ------------------- */

/* The processes under pid (children, theirs, ...), each with its state, the kernel
 * function it sleeps in and its command line: a child stuck in a pipe or a lock names
 * itself here. */
static void ts_dump_tree(pid_t top, FILE *o)
{
    pid_t want[256] = { top };
    size_t n = 1;
    for (size_t at = 0; at < n; at++) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d)) && n < 256) {
            char path[64], buf[512];
            pid_t p = (pid_t)atoi(de->d_name), pp;
            char st;
            snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
            FILE *f = p > 0 ? fopen(path, "r") : NULL;
            if (!f)
                continue;
            size_t len = fread(buf, 1, sizeof(buf) - 1, f);
            fclose(f);
            buf[len] = '\0';
            char *rp = strrchr(buf, ')');   /* the name may hold spaces and parens */
            if (rp && sscanf(rp + 1, " %c %d", &st, &pp) == 2 && pp == want[at])
                want[n++] = p;
        }
        if (d)
            closedir(d);
    }
    for (size_t i = 0; i < n; i++) {
        char path[64], wchan[64] = "", cmd[300] = "", state[64] = "";
        snprintf(path, sizeof(path), "/proc/%d/wchan", (int)want[i]);
        FILE *f = fopen(path, "r");
        if (f && !fgets(wchan, sizeof(wchan), f))
            wchan[0] = '\0';
        if (f)
            fclose(f);
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)want[i]);
        f = fopen(path, "r");
        size_t len = f ? fread(cmd, 1, sizeof(cmd) - 1, f) : 0;
        if (f)
            fclose(f);
        for (size_t k = 0; k < len; k++)
            cmd[k] = cmd[k] ? cmd[k] : ' ';
        cmd[len] = '\0';
        snprintf(path, sizeof(path), "/proc/%d/status", (int)want[i]);
        f = fopen(path, "r");
        while (f && fgets(state, sizeof(state), f) && strncmp(state, "State:", 6))
            ;
        if (f)
            fclose(f);
        state[strcspn(state, "\n")] = '\0';
        fprintf(o, "  pid %d %s wchan %s: %s\n", (int)want[i], state + 6, wchan, cmd);
    }
}

/* The last lines of the newest debug.log under results (NULL: none). */
static void ts_dump_debug_log(const char *results, FILE *o)
{
    if (!results)
        return;
    char *pat = xasprintf("%s/*/test-results/*/debug.log", results);
    glob_t g;
    const char *newest = NULL;
    time_t t = 0;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct stat sb;
            if (stat(g.gl_pathv[i], &sb) == 0 && sb.st_mtime >= t) {
                t = sb.st_mtime;
                newest = g.gl_pathv[i];
            }
        }
    }
    if (newest) {
        const char *argv[] = { "tail", "-n", "40", newest, NULL };
        struct strbuf sb = STRBUF_INIT;
        ts_run(argv, &sb, 10);
        fprintf(o, "the last lines of %s:\n%s", newest, sb.buf);
        strbuf_release(&sb);
    }
    if (g.gl_pathc)
        globfree(&g);
    free(pat);
}

void ts_dump_stuck(pid_t pid, const char *results)
{
    char *spid = xasprintf("%d", (int)pid);
    const char *gdb[] = { "gdb", "-p", spid, "-batch", "-nx", "-ex", "info threads",
                          "-ex", "thread apply all bt 25", NULL };
    struct strbuf sb = STRBUF_INIT;
    fprintf(stderr, "=== pid %d did not end in time; its processes:\n", (int)pid);
    ts_dump_tree(pid, stderr);
    if (access("/usr/bin/gdb", X_OK) == 0) {
        ts_run(gdb, &sb, 60);
        fprintf(stderr, "its threads (gdb):\n%s", sb.buf);
    }
    ts_dump_debug_log(results, stderr);
    fprintf(stderr, "=== end of pid %d\n", (int)pid);
    fflush(stderr);
    strbuf_release(&sb);
    free(spid);
}

int ts_run(const char *const *argv, struct strbuf *out, double timeout_s)
{
    struct spawn *c = spawn_newv(argv);
    int st = -1;

    spawn_set_output(c, out, out);
    spawn_set_timeout(c, timeout_s);
    if (spawn_run(c, &st) < 0)
        st = -1;
    spawn_free(c);
    return st;
}

int ts_run_files(char *const argv[], const char *out_path, const char *err_path,
                 int timeout_s)
{
    struct spawn *c = spawn_newv((const char *const *)argv);
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    bool same = out_path && err_path && !strcmp(out_path, err_path);
    int st = 0;

    spawn_set_output(c, &out, same ? &out : &err);
    spawn_set_timeout(c, timeout_s);
    spawn_run(c, &st);
    st = ts_spawn_status(c);
    spawn_free(c);
    if (out_path)
        ts_write(out_path, out.buf);
    if (err_path && !same)
        ts_write(err_path, err.buf);
    strbuf_release(&out);
    strbuf_release(&err);
    return st;
}

bool ts_ended(pid_t pid)
{
    siginfo_t si = { 0 };
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == pid;
}

const char *ts_vtrun_bin(void)
{
    const char *v = getenv("VTRUN");
    ck_assert_msg(v && *v, "VTRUN is not set: run the tests with `make check` / tests/run");
    ck_assert_msg(access("tests/cfg/basic.cfg", R_OK) == 0,
                  "tests/cfg/basic.cfg not found: run from the top of the repository");
    return v;
}

void ts_vtrun_release(struct ts_vtrun *r)
{
    strbuf_release(&r->out);
    strbuf_release(&r->err);
}

/* Once out holds more than keep bytes, drop it up to its last newline. */
static void ts_keep_tail(struct strbuf *out, size_t keep)
{
    if (!keep || out->len <= keep)
        return;
    char *nl = memrchr(out->buf, '\n', out->len);
    size_t tail = nl ? out->len - (size_t)(nl + 1 - out->buf) : 0;
    memmove(out->buf, out->buf + out->len - tail, tail);
    strbuf_setlen(out, tail);
}

int ts_vtrun_run(struct ts_vtrun *r, const char *const *args,
                 const struct ts_vtrun_opts *o)
{
    static const struct ts_vtrun_opts none;
    const char *bin;
    struct spawn *c;
    double start, end, sent = 0;

    o = o ? o : &none;
    bin = o->bin ? o->bin : ts_vtrun_bin();
    *r = (struct ts_vtrun){ .status = -1, .sigint_secs = -1 };
    strbuf_init(&r->out, 0);
    strbuf_init(&r->err, 0);
    c = spawn_new(bin);
    if (o->settings)
        spawn_args(c, "--settings", o->settings, NULL);
    for (size_t i = 0; args[i]; i++)
        spawn_arg(c, args[i]);
    for (size_t i = 0; o->env && o->env[i]; i++) {
        char *k = xstrdup(o->env[i]), *eq = strchr(k, '=');
        ck_assert_msg(eq != NULL, "environment '%s' is not K=V", k);
        *eq = '\0';
        spawn_setenv(c, k, eq + 1);
        free(k);
    }
    spawn_set_output(c, &r->out, o->merge ? &r->out : &r->err);
    start = ts_now();
    end = start + (o->timeout_s > 0 ? o->timeout_s : 60);
    ck_assert_msg(spawn_start(c) == 0, "%s", err_msg());
    while (!ts_ended(spawn_pid(c))) {
        if (!sent && ((o->sigint_after_bytes && r->out.len >= o->sigint_after_bytes) ||
                      (o->sigint_after_ms &&
                       ts_now() - start >= o->sigint_after_ms / 1000.0))) {
            kill(spawn_pid(c), SIGINT);
            sent = ts_now();
        }
        ts_keep_tail(&r->out, o->keep_tail);
        if (ts_now() > end) {
            ts_dump_stuck(spawn_pid(c), o->results);
            spawn_stop(c, 0);
            spawn_free(c);
            ck_abort_msg("%s %s did not finish within %.0f s; stdout:\n%.2000s\nstderr:\n"
                         "%.2000s", bin, args[0] ? args[0] : "", end - start, r->out.buf,
                         r->err.buf);
        }
        spawn_pump(c, 20);
    }
    spawn_wait(c, &r->status);
    r->status = ts_spawn_status(c);
    if (spawn_end(c) == SPAWN_SIGNALED)
        r->signal = r->status - 128;
    r->secs = ts_now() - start;
    if (sent)
        r->sigint_secs = ts_now() - sent;
    spawn_free(c);
    return r->status;
}

void ts_e2e_init(struct ts_e2e *e)
{
    memset(e, 0, sizeof(*e));
    e->dir = ts_tmpdir("res");
    e->settings = xasprintf("%s/vtrun.conf", e->dir);
    e->results = xasprintf("%s/results", e->dir);
    e->out_path = xasprintf("%s/stdout", e->dir);
    e->err_path = xasprintf("%s/stderr", e->dir);
    strbuf_init(&e->bg_out, 0);
    strbuf_init(&e->bg_err, 0);
    char *text = xasprintf("results_dir = \"%s\";\n", e->results);
    ts_write(e->settings, text);
    free(text);
}

void ts_e2e_free(struct ts_e2e *e)
{
    spawn_free(e->bg);
    ts_rmtree(e->dir);
    free(e->dir);
    free(e->settings);
    free(e->results);
    free(e->out_path);
    free(e->err_path);
    free(e->out);
    free(e->err);
    strbuf_release(&e->bg_out);
    strbuf_release(&e->bg_err);
    memset(e, 0, sizeof(*e));
}

char **ts_e2e_argv(struct ts_e2e *e, const char *const *args, bool settings)
{
    size_t n = 0, k = 0;
    while (args[n])
        n++;
    char **argv = xcalloc(n + 4, sizeof(*argv));
    argv[k++] = (char *)ts_vtrun_bin();
    if (settings) {
        argv[k++] = "--settings";
        argv[k++] = e->settings;
    }
    for (size_t i = 0; i < n; i++)
        argv[k++] = (char *)args[i];
    return argv;
}

static void ts_e2e_keep(struct ts_e2e *e, struct strbuf *out, struct strbuf *err,
                               int status)
{
    free(e->out);
    free(e->err);
    e->out = strbuf_detach(out, NULL);
    e->err = strbuf_detach(err, NULL);
    e->status = status;
}

void ts_e2e_collect(struct ts_e2e *e)
{
    free(e->out);
    free(e->err);
    e->out = ts_read(e->out_path);
    e->err = ts_read(e->err_path);
}

int ts_e2e_run(struct ts_e2e *e, bool settings, int timeout_s,
               const char *const *args)
{
    struct ts_vtrun r;
    struct ts_vtrun_opts o = { .settings = settings ? e->settings : NULL,
                               .timeout_s = timeout_s, .results = e->results };
    ts_vtrun_run(&r, args, &o);
    ts_e2e_keep(e, &r.out, &r.err, r.status);
    return e->status;
}

pid_t ts_e2e_start(struct ts_e2e *e, const char *const *args)
{
    ck_assert_msg(!e->bg, "a vtrun of this test runs already");
    e->bg = spawn_new(ts_vtrun_bin());
    spawn_args(e->bg, "--settings", e->settings, NULL);
    for (size_t i = 0; args[i]; i++)
        spawn_arg(e->bg, args[i]);
    strbuf_reset(&e->bg_out);
    strbuf_reset(&e->bg_err);
    spawn_set_output(e->bg, &e->bg_out, &e->bg_err);
    ck_assert_msg(spawn_start(e->bg) == 0, "%s", err_msg());
    return spawn_pid(e->bg);
}

int ts_e2e_wait(struct ts_e2e *e, pid_t pid, double timeout_s)
{
    double end = ts_now() + timeout_s;
    int st = 0;

    ck_assert(e->bg && spawn_pid(e->bg) == pid);
    while (!ts_ended(pid)) {
        if (ts_now() > end) {
            ts_dump_stuck(pid, e->results);
            spawn_stop(e->bg, 0);
            ck_abort_msg("vtrun did not exit within %g s; stdout:\n%s\nstderr:\n%s",
                         timeout_s, e->bg_out.buf, e->bg_err.buf);
        }
        spawn_pump(e->bg, 20);
    }
    spawn_wait(e->bg, &st);
    st = ts_spawn_status(e->bg);
    spawn_free(e->bg);
    e->bg = NULL;
    ts_e2e_keep(e, &e->bg_out, &e->bg_err, st);
    return e->status;
}

char *ts_job_dir(const struct ts_e2e *e)
{
    char *latest = xasprintf("%s/latest", e->results);
    char buf[PATH_MAX];
    ssize_t n = readlink(latest, buf, sizeof(buf) - 1);
    free(latest);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return buf[0] == '/' ? xstrdup(buf) : xasprintf("%s/%s", e->results, buf);
}

bool ts_debug_log_has(const struct ts_e2e *e, const char *needle)
{
    char *job = ts_job_dir(e);
    bool found = false;
    if (!job)
        return false;
    char *pat = xasprintf("%s/test-results/*/debug.log", job);
    glob_t g;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !found; i++) {
            FILE *f = fopen(g.gl_pathv[i], "r");
            char line[4096];
            while (f && !found && fgets(line, sizeof(line), f))
                found = strstr(line, needle) != NULL;
            if (f)
                fclose(f);
        }
        globfree(&g);
    }
    free(pat);
    free(job);
    return found;
}

bool ts_e2e_wait_log(struct ts_e2e *e, pid_t pid, const char *needle,
                     double timeout_s)
{
    double end = ts_now() + timeout_s;
    while (ts_now() < end) {
        if (ts_debug_log_has(e, needle))
            return true;
        if (ts_ended(pid))
            return false;
        spawn_pump(e->bg, 20);
    }
    return false;
}

json_t *ts_json_file(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s does not parse: %s:%d: %s", path, je.source, je.line,
                  je.text);
    return j;
}

json_t *ts_results_json(const char *job)
{
    char *path = xasprintf("%s/results.json", job);
    json_t *j = ts_json_file(path);
    ck_assert(json_is_object(j));
    free(path);
    return j;
}

json_t *ts_only_test(const struct ts_e2e *e, json_t **r)
{
    char *job = ts_job_dir(e);
    ck_assert_msg(job != NULL, "no job in %s:\n%s%s", e->results, e->out, e->err);
    *r = ts_results_json(job);
    free(job);
    json_t *tests = json_object_get(*r, "tests");
    ck_assert_int_eq(json_array_size(tests), 1);
    return json_array_get(tests, 0);
}

long ts_jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "results.json: '%s' is not an integer", key);
    return (long)json_integer_value(v);
}

const char *ts_jstr(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "results.json: '%s' is not a string", key);
    return json_string_value(v);
}

json_t *ts_jtest(const json_t *r, const char *name)
{
    json_t *tests = json_object_get(r, "tests"), *t;
    size_t i;
    json_array_foreach(tests, i, t) {
        if (!strcmp(ts_jstr(t, "name"), name))
            return t;
    }
    return NULL;
}

int ts_xsd_check(const char *xsd, const char *xml, char **msg)
{
    const char *argv[] = { "xmllint", "--noout", "--schema", xsd, xml, NULL };
    struct strbuf out = STRBUF_INIT;
    int rc = ts_run(argv, &out, 60);
    if (msg)
        *msg = strbuf_detach(&out, NULL);
    strbuf_release(&out);
    return rc;
}

void ts_assert_valid(const char *xsd, const char *xml)
{
    char *msg;
    int rc = ts_xsd_check(xsd, xml, &msg);
    if (rc != 0)
        ck_abort_msg("%s does not validate against %s (rc %d): %.2000s", xml, xsd, rc, msg);
    free(msg);
}

void ts_assert_junit_valid(const char *xml)
{
    ts_assert_valid("tests/vtrun-junit.xsd", xml);
}

void ts_assert_junit(const char *job)
{
    char *xml = xasprintf("%s/results.xml", job);
    ts_assert_junit_valid(xml);
    free(xml);
}

void ts_lab(struct run_settings *s)
{
    const char *path = getenv("VTRUN_SETTINGS");
    ck_assert_msg(path && *path, "VTRUN_SETTINGS is not set: run through tests/e2e/run");
    run_settings_init(s);
    ck_assert_msg(run_settings_load(s, path, 0) == 0, "lab settings: %s", err_msg());
    ck_assert_msg(s->nhosts >= 2, "the lab settings name %zu hosts, need 2", s->nhosts);
}

const char *ts_lab_settings(config_t *cfg, struct be_host_conf hc[2])
{
    const char *file = getenv("VTRUN_SETTINGS");
    config_setting_t *hosts;

    ck_assert_msg(file && *file, "VTRUN_SETTINGS is not set: run under tests/e2e/run or "
                  "`tests/lab/lab up` and export it");
    config_init(cfg);
    ck_assert_msg(config_read_file(cfg, file) == CONFIG_TRUE, "%s:%d: %s", file,
                  config_error_line(cfg), config_error_text(cfg));
    hosts = config_lookup(cfg, "hosts");
    ck_assert_msg(hosts && config_setting_length(hosts) >= 2, "%s: need two hosts", file);
    for (int i = 0; i < 2; i++) {
        config_setting_t *h = config_setting_get_elem(hosts, (unsigned)i);
        hc[i] = (struct be_host_conf){ 0 };
        ck_assert(config_setting_lookup_string(h, "uri", &hc[i].uri) == CONFIG_TRUE);
        config_setting_lookup_string(h, "migrate_desturi", &hc[i].migrate_desturi);
        config_setting_lookup_string(h, "migrate_uri", &hc[i].migrate_uri);
    }
    return file;
}

const char *ts_lab_param(const config_t *cfg, const char *name)
{
    const char *v = NULL;
    char *path = xasprintf("params.%s", name);
    ck_assert_msg(config_lookup_string(cfg, path, &v) == CONFIG_TRUE,
                  "settings %s: no %s", getenv("VTRUN_SETTINGS"), path);
    free(path);
    return v;
}

char *ts_lab_env(const char *settings_file, const char *key)
{
    char *copy = xstrdup(settings_file), *env, line[256], *val = NULL;
    size_t klen = strlen(key);
    FILE *f;

    env = xasprintf("%s/lab.env", dirname(copy));
    free(copy);
    f = fopen(env, "r");
    ck_assert_msg(f != NULL, "%s: missing (not a tests/lab lab?)", env);
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, klen) && line[klen] == '=') {
            line[strcspn(line, "\n")] = '\0';
            free(val);
            val = xstrdup(line + klen + 1);
        }
    fclose(f);
    free(env);
    return val;
}

char *ts_lab_host_netns(const char *settings_file, int i)
{
    char key[32];
    char *netns;

    snprintf(key, sizeof(key), "host%d_netns", i);
    netns = ts_lab_env(settings_file, key);
    if (!netns)
        netns = ts_lab_env(settings_file, "netns");
    ck_assert_msg(netns != NULL, "lab.env beside %s: no %s= nor netns=", settings_file, key);
    return netns;
}

char *ts_lab_domains(void)
{
    struct run_settings s;
    struct strbuf sb = STRBUF_INIT;
    ts_lab(&s);
    for (size_t h = 0; h < s.nhosts; h++) {
        const char *argv[] = { "virsh", "-q", "-c", s.hosts[h].uri, "list", "--all",
                               "--name", NULL };
        struct spawn *c = spawn_newv(argv);
        struct strbuf out = STRBUF_INIT;
        int rc = -1;
        spawn_set_output(c, &out, NULL);
        spawn_set_timeout(c, 60);
        spawn_run(c, &rc);
        spawn_free(c);
        ck_assert_msg(rc == 0, "virsh -c %s list failed (%d)", s.hosts[h].uri, rc);
        for (char *line = strtok(out.buf, "\n"); line; line = strtok(NULL, "\n"))
            if (*line)
                strbuf_addf(&sb, "%s %s\n", s.hosts[h].uri, line);
        strbuf_release(&out);
    }
    run_settings_free(&s);
    return strbuf_detach(&sb, NULL);
}

void ts_lab_scrub(const char *id7)
{
    char *doms = ts_lab_domains();
    for (char *line = strtok(doms, "\n"); line; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = '\0';
        if (!strstr(sp + 1, id7))
            continue;
        const char *d1[] = { "virsh", "-q", "-c", line, "destroy", sp + 1, NULL };
        const char *d2[] = { "virsh", "-q", "-c", line, "undefine", sp + 1, NULL };
        ts_run(d1, NULL, 60);
        ts_run(d2, NULL, 60);
    }
    free(doms);
}

int ts_procs(const char *a, const char *b, struct strbuf *out)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int n = 0;

    ck_assert(d != NULL);
    while ((de = readdir(d))) {
        char path[300], buf[16384];
        ssize_t len;
        int fd;
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        len = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (len <= 0)
            continue;
        for (ssize_t i = 0; i < len; i++)
            if (!buf[i])
                buf[i] = ' ';
        buf[len] = '\0';
        if (!strstr(buf, a) || (b && !strstr(buf, b)) || strstr(buf, "tests/e2e/"))
            continue;
        n++;
        if (out)
            strbuf_addf(out, "pid %s: %.200s\n", de->d_name, buf);
    }
    closedir(d);
    return n;
}

int ts_count_procs(const char *needle)
{
    return ts_procs(needle, NULL, NULL);
}

char *ts_qemu_of(const char *id7)
{
    struct strbuf sb = STRBUF_INIT;
    ts_procs("qemu-system", id7, &sb);
    return strbuf_detach(&sb, NULL);
}

char *ts_clones_of(const char *id7)
{
    struct run_settings s;
    struct strbuf sb = STRBUF_INIT;
    ts_lab(&s);
    const char *img = params_get(s.params, "image_name");
    ck_assert_msg(img != NULL, "lab settings have no image_name");
    char *dir = xstrdup(img);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    char *pat = xasprintf("%s/*%s*", dir, id7);
    glob_t g;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            strbuf_addf(&sb, "%s\n", g.gl_pathv[i]);
        globfree(&g);
    }
    free(pat);
    free(dir);
    run_settings_free(&s);
    return strbuf_detach(&sb, NULL);
}

void ts_assert_nothing_left(const char *id)
{
    char id7[8];
    snprintf(id7, sizeof(id7), "%.7s", id);
    char *doms = ts_lab_domains();
    ck_assert_msg(!strstr(doms, id7), "domains of job %s left on the lab:\n%s", id7, doms);
    free(doms);
    char *q = ts_qemu_of(id7);
    ck_assert_msg(!*q, "QEMU processes of job %s left:\n%s", id7, q);
    free(q);
    char *c = ts_clones_of(id7);
    ck_assert_msg(!*c, "image clones of job %s left:\n%s", id7, c);
    free(c);
}

static int ts_scan_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)f;
    if (flag != FTW_F || sb->st_size > 64 * 1024 * 1024)
        return 0;
    char *text = ts_read(p);
    if (memmem(text, (size_t)sb->st_size, ts_secret, strlen(ts_secret)) && !ts_secret_hit)
        ts_secret_hit = xstrdup(p);
    free(text);
    return 0;
}

void ts_assert_no_password(const char *dir)
{
    struct run_settings s;
    ts_lab(&s);
    const char *pw = params_get(s.params, "password");
    ck_assert_msg(pw && strlen(pw) >= 6, "the lab settings have no password to look for");
    ts_secret = pw;
    ts_secret_hit = NULL;
    nftw(dir, ts_scan_one, 16, FTW_PHYS);
    ck_assert_msg(!ts_secret_hit, "the lab password is written in clear in %s", ts_secret_hit);
    run_settings_free(&s);
}

char *ts_guest_file(const char *file)
{
    const char *cache = getenv("VTRUN_CACHE");
    char *p = xasprintf("%s/guest/%s", cache && *cache ? cache : "/var/cache/vtrun", file);
    ck_assert_msg(access(p, R_OK) == 0,
                  "guest file %s missing: run `tests/lab/lab build` (%s)", p, strerror(errno));
    return p;
}

char *ts_clone(const char *dir, const char *name, const char *base)
{
    char *path = xasprintf("%s/%s.qcow2", dir, name);
    const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                           "-b", base, path, NULL };
    struct strbuf out = STRBUF_INIT;
    int rc = ts_run(argv, &out, 30);
    ck_assert_msg(rc == 0, "qemu-img create failed (%d): %s", rc, out.buf);
    strbuf_release(&out);
    return path;
}

void ts_wait_ready(const char *console_log, double timeout_s)
{
    double deadline = ts_now() + timeout_s;
    for (;;) {
        FILE *f = fopen(console_log, "r");
        char line[512];
        if (f) {
            while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "VTRUN-GUEST-READY", 17)) {
                    fclose(f);
                    return;
                }
            fclose(f);
        }
        ck_assert_msg(ts_now() < deadline, "no VTRUN-GUEST-READY in %s within %.0f s",
                      console_log, timeout_s);
        clock_sleep(0.05);
    }
}

static void ts_known_hosts_rm(void)
{
    if (ts_known_hosts[0])
        unlink(ts_known_hosts);
}

char *ts_ssh_try(const char *netns, const char *addr, unsigned port,
                 const char *key, const char *cmd, double timeout_s,
                 char **why)
{
    struct virt_login l = { .host = (char *)addr, .port = (int)port, .user = "root",
                            .key_file = (char *)key };
    struct virt_ctx ctx = { 0 };
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct virt_ssh *s = NULL;
    int status = -1, self = -1, ns = -1;
    char *res = NULL;

    *why = NULL;
    if (!ts_known_hosts[0]) {
        snprintf(ts_known_hosts, sizeof(ts_known_hosts), "/tmp/vtrun-be-known-%d",
                 (int)getpid());
        atexit(ts_known_hosts_rm);
    }
    if (netns) {
        char *path = xasprintf("/run/netns/%s", netns);
        self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        ns = open(path, O_RDONLY | O_CLOEXEC);
        if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0)
            *why = xasprintf("enter %s: %s", path, strerror(errno));
        free(path);
        if (*why)
            goto cleanup;
    }
    s = virt_ssh_wait_for_login(&l, ts_known_hosts, timeout_s, &ctx);
    if (!s)
        *why = xasprintf("login to %s:%u: %s", addr, port, err_msg());
    else if (virt_ssh_exec(s, cmd, 30, &status, &out, &err) < 0 || status)
        *why = xasprintf("ssh %s:%u '%s': exit %d: %s %s", addr, port, cmd, status,
                         err_msg(), err.buf);
    else
        res = strbuf_detach(&out, NULL);
    if (s)
        virt_ssh_close(s);
    if (netns && setns(self, CLONE_NEWNET) < 0) {
        /* cannot go on in the wrong namespace */
        fprintf(stderr, "back to own netns: %s\n", strerror(errno));
        abort();
    }
cleanup:
    if (self >= 0)
        close(self);
    if (ns >= 0)
        close(ns);
    strbuf_release(&out);
    strbuf_release(&err);
    return res;
}

char *ts_ssh_in(const char *netns, const char *addr, unsigned port,
                const char *key, const char *cmd, double timeout_s)
{
    char *why, *out = ts_ssh_try(netns, addr, port, key, cmd, timeout_s, &why);

    ck_assert_msg(out != NULL, "%s", why);
    return out;
}

char *ts_ssh(const char *addr, unsigned port, const char *key, const char *cmd,
             double timeout_s)
{
    return ts_ssh_in(NULL, addr, port, key, cmd, timeout_s);
}

double ts_uptime_in(const char *netns, const char *addr, unsigned port,
                    const char *key)
{
    char *s = ts_ssh_in(netns, addr, port, key, "cat /proc/uptime", 60), *end;
    double up = strtod(s, &end);
    ck_assert_msg(end != s && up > 0, "bad /proc/uptime: '%s'", s);
    free(s);
    return up;
}

double ts_uptime(const char *addr, unsigned port, const char *key)
{
    return ts_uptime_in(NULL, addr, port, key);
}

void ts_tmp_setup(void)
{
    strcpy(ts_cfg_dir, "/tmp/vtrun-cfgtest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(ts_cfg_dir));
    ck_assert_int_eq(chdir(ts_cfg_dir), 0);
    strbuf_init(&ts_cases.dump, 0);
}

void ts_tmp_teardown(void)
{
    if (chdir("/") == 0)
        ts_rmtree(ts_cfg_dir);
}

void ts_result_reset(void)
{
    for (size_t i = 0; i < ts_cases.n; i++) {
        free(ts_cases.names[i]);
        free(ts_cases.shorts[i]);
        params_free(ts_cases.params[i]);
    }
    free(ts_cases.names);
    free(ts_cases.shorts);
    free(ts_cases.params);
    free(ts_cases.err);
    strbuf_release(&ts_cases.dump);
    ts_cases = (struct ts_cases){ .stage = TS_STAGE_NONE };
    strbuf_init(&ts_cases.dump, 0);
}

void ts_expand_with(const char *file, const char *const *stmts, size_t nstmts,
                    const struct cfg_opts *o)
{
    struct ts_cases *R = &ts_cases;
    ts_result_reset();
    struct cfg *c = cfg_parse(file, stmts, nstmts, o);
    if (!c) {
        R->stage = TS_STAGE_PARSE;
        R->err = xstrdup(err_msg());
        return;
    }
    struct cfg_iter *it = cfg_iter_new(c);
    const struct cfg_case *k;
    int r;
    while ((r = cfg_iter_next(it, &k)) == 1) {
        R->names = xrealloc(R->names, (R->n + 1) * sizeof(*R->names));
        R->shorts = xrealloc(R->shorts, (R->n + 1) * sizeof(*R->shorts));
        R->params = xrealloc(R->params, (R->n + 1) * sizeof(*R->params));
        R->names[R->n] = xstrdup(cfg_case_name(k));
        R->shorts[R->n] = xstrdup(cfg_case_shortname(k));
        R->params[R->n] = cfg_case_params(k);
        ck_assert_ptr_nonnull(R->params[R->n]);
        cfg_case_dump(k, &R->dump);
        R->n++;
    }
    if (r < 0) {
        R->stage = TS_STAGE_EXPAND;
        R->err = xstrdup(err_msg());
    }
    cfg_iter_free(it);
    cfg_free(c);
}

void ts_expand_stmts(const char *text, ...)
{
    const char *stmts[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, text);
    for (const char *s; (s = va_arg(ap, const char *)) && n < 16;)
        stmts[n++] = s;
    va_end(ap);
    ts_write("t.cfg", text);
    ts_expand_with("t.cfg", stmts, n, NULL);
}

void ts_expand_defaults(const char *text, const char *const *expand_blocks)
{
    struct cfg_opts o = { .defaults = true, .expand_defaults = expand_blocks };
    ts_write("t.cfg", text);
    ts_expand_with("t.cfg", NULL, 0, &o);
}

void ts_no_error(void)
{
    ck_assert_msg(ts_cases.stage == TS_STAGE_NONE, "unexpected %s error: %s",
                  ts_cases.stage == TS_STAGE_PARSE ? "parse" : "expansion", ts_cases.err);
}

void ts_expect_names(const char *first, ...)
{
    va_list ap;
    size_t i = 0;
    ts_no_error();
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *), i++) {
        ck_assert_msg(i < ts_cases.n, "only %zu cases, expected more (next: '%s')",
                      ts_cases.n, s);
        ck_assert_str_eq(ts_cases.names[i], s);
    }
    va_end(ap);
    ck_assert_msg(i == ts_cases.n, "%zu cases, expected %zu (extra: '%s')", ts_cases.n, i,
                  ts_cases.n > i ? ts_cases.names[i] : "");
}

void ts_expect_no_cases(void)
{
    ts_no_error();
    ck_assert_msg(ts_cases.n == 0, "%zu cases, expected none (first: '%s')", ts_cases.n,
                  ts_cases.n ? ts_cases.names[0] : "");
}

const char *ts_val(size_t i, const char *key)
{
    ts_no_error();
    ck_assert_msg(i < ts_cases.n, "no case %zu (only %zu)", i, ts_cases.n);
    return params_get(ts_cases.params[i], key);
}

void ts_expect_parse_error(const char *prefix)
{
    ck_assert_msg(ts_cases.stage == TS_STAGE_PARSE,
                  "expected a parse error '%s...', got %s (%zu cases)", prefix,
                  ts_cases.stage == TS_STAGE_EXPAND ? ts_cases.err : "success", ts_cases.n);
    ck_assert_msg(!strncmp(ts_cases.err, prefix, strlen(prefix)),
                  "error '%s' does not start with '%s'", ts_cases.err, prefix);
}

void ts_expect_expand_error(size_t ncases, const char *prefix)
{
    ck_assert_msg(ts_cases.stage == TS_STAGE_EXPAND, "expected an expansion error '%s...', "
                  "got %s", prefix, ts_cases.stage == TS_STAGE_PARSE ? ts_cases.err : "success");
    ck_assert_msg(!strncmp(ts_cases.err, prefix, strlen(prefix)),
                  "error '%s' does not start with '%s'", ts_cases.err, prefix);
    ck_assert_uint_eq(ts_cases.n, ncases);
}

void ts_expect_error(const char *prefix)
{
    ck_assert_msg(ts_cases.stage != TS_STAGE_NONE, "expected an error '%s...', got %zu cases",
                  prefix, ts_cases.n);
    ck_assert_msg(!strncmp(ts_cases.err, prefix, strlen(prefix)),
                  "error '%s' does not start with '%s'", ts_cases.err, prefix);
}

void ts_expect_error_mentions(const char *needle)
{
    ck_assert_ptr_nonnull(ts_cases.err);
    ck_assert_msg(strstr(ts_cases.err, needle) != NULL, "error '%s' does not mention '%s'",
                  ts_cases.err, needle);
}

void ts_expect_dump(const char *want)
{
    ts_no_error();
    ck_assert_str_eq(ts_cases.dump.buf, want);
}
