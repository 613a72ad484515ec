/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lab's hosts as separate machines, end to end (issue 10): the real vtrun ($VTRUN)
 * runs one case of tests/e2e/remote.cfg per test over the transport the test picks
 * (`tests/lab/lab settings --transport T`): boot + live hop over qemu+ssh peer to peer
 * and direct, over qemu+tcp, over qemu+tls with --tls, over the old UNIX sockets; a
 * copy-storage hop between the hosts' private directories and the same refused as
 * unsafe without it; QEMU's migration ports rejected on the destination by a rule of
 * the host ops module.  Hosts that cannot be reached (wrong key, SSH refused, no such
 * machine) end the case as ERROR naming the host within seconds.  The host ops module
 * itself on a lab host over SSH: commands, files, a config edit and libvirtd restarted
 * in place under a running domain, stopped, killed and started, a daemon's log, and
 * everything undone.  After each job nothing of it is left: no domain, QEMU, clone
 * (shared volume or private directories).  Prints the wall time of each hop (per
 * transport) and of each case.
 * Run by tests/e2e/run (VTRUN, VTRUN_SETTINGS, VTRUN_LAB_STATE, VTRUN_LAB_ID set).
 */
#include "tests/support.h"
#include "virt/virt.h"

#include <check.h>
#include <glob.h>

#define CFG "tests/e2e/remote.cfg"

static struct ts_e2e E;

static void setup(void)
{
    ts_e2e_init(&E);
}

static void teardown(void)
{
    ts_e2e_free(&E);
}

static const char *lab_state(void)
{
    const char *s = getenv("VTRUN_LAB_STATE");
    ck_assert_msg(s && *s, "VTRUN_LAB_STATE is not set: run through tests/e2e/run");
    return s;
}

/* Our settings: the lab's hosts over `transport` (NULL: a settings text of the
 * caller's), then our results directory. */
static void use_settings(const char *transport, const char *text)
{
    char *lab = NULL;
    if (transport) {
        const char *id = getenv("VTRUN_LAB_ID");
        char *out = xasprintf("%s/lab-%s.conf", E.dir, transport);
        char *argv[] = { "tests/lab/lab", "settings", "--id", (char *)(id ? id : "0"),
                         "--transport", (char *)transport, NULL };
        ck_assert_msg(ts_run_files(argv, out, NULL, 30) == 0, "lab settings --transport %s",
                      transport);
        lab = ts_read(out);
        free(out);
        text = lab;
    }
    char *all = xasprintf("%s\nresults_dir = \"%s\";\n", text, E.results);
    ts_write(E.settings, all);
    free(all);
    free(lab);
}

/* Image files of job id7 in the hosts' private directories. */
static char *private_clones_of(const char *id7)
{
    struct strbuf sb = STRBUF_INIT;
    char *pat = xasprintf("%s/host*/images/*%s*", lab_state(), id7);
    glob_t g;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            strbuf_addf(&sb, "%s\n", g.gl_pathv[i]);
        globfree(&g);
    }
    free(pat);
    return strbuf_detach(&sb, NULL);
}

/* One case of CFG over the settings written before; its results.json entry (owned by
 * *root), after printing its figures and checking that nothing of the job is left. */
static json_t *run_case(const char *name, json_t **root)
{
    double t0 = ts_now();
    ts_e2e_vtrun(&E, 300, "--config", CFG, "--only", name);
    double secs = ts_now() - t0;
    char *job = ts_job_dir(&E);
    ck_assert_msg(job != NULL, "%s: no job (exit %d):\n%s%s", name, E.status, E.out, E.err);
    *root = ts_results_json(job);
    json_t *t = json_array_get(json_object_get(*root, "tests"), 0);
    ck_assert_msg(t != NULL, "%s: no test in the results:\n%s", name, E.out);
    const char *reason = ts_jstr(t, "fail_reason");
    printf("remote: %s: %s in %.1f s%s%s\n", name, ts_jstr(t, "status"), secs,
           *reason ? ": " : "", reason);
    json_t *h;
    size_t i;
    json_array_foreach(json_object_get(t, "hops"), i, h)
        printf("remote: %s: hop %zu %s -> %s: %s, wall %.2f s, downtime %.0f ms\n", name,
               i + 1, ts_jstr(h, "from"), ts_jstr(h, "to"),
               json_is_true(json_object_get(h, "ok")) ? "ok" : "FAILED",
               json_number_value(json_object_get(h, "wall_s")),
               json_number_value(json_object_get(h, "downtime_ms")));
    fflush(stdout);
    const char *id = ts_jstr(*root, "job_id");
    ts_assert_nothing_left(id);
    char id7[8];
    snprintf(id7, sizeof(id7), "%.7s", id);
    char *priv = private_clones_of(id7);
    ck_assert_msg(!*priv, "%s: clones left in the hosts' private directories:\n%s", name, priv);
    free(priv);
    free(job);
    return t;
}

static void assert_status(json_t *t, const char *want)
{
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), want), "%s: %s (want %s): %s: %s",
                  ts_jstr(t, "name"), ts_jstr(t, "status"), want, ts_jstr(t, "fail_class"),
                  ts_jstr(t, "fail_reason"));
}

/* A case that boots and hops over `transport` passes, and its hosts were reached
 * through that transport's URIs. */
static void hop_passes(const char *transport, const char *name, const char *uri_prefix,
                       size_t hops)
{
    json_t *root;
    use_settings(transport, NULL);
    json_t *t = run_case(name, &root);
    assert_status(t, "PASS");
    ck_assert_int_eq(json_array_size(json_object_get(t, "hops")), hops);
    ck_assert_msg(ts_debug_log_has(&E, uri_prefix), "%s: debug.log never names %s", name,
                  uri_prefix);
    json_decref(root);
}

START_TEST(test_ssh_p2p_there_and_back)
{
    hop_passes("ssh", "ssh_p2p", "qemu+ssh://", 2);
}
END_TEST

START_TEST(test_ssh_direct_without_p2p)
{
    hop_passes("ssh", "ssh_direct", "qemu+ssh://", 1);
}
END_TEST

START_TEST(test_tcp_p2p)
{
    hop_passes("tcp", "tcp_p2p", "qemu+tcp://", 1);
}
END_TEST

START_TEST(test_tls_with_tls_stream)
{
    hop_passes("tls", "tls", "qemu+tls://", 1);
    ck_assert(ts_debug_log_has(&E, "--tls"));
}
END_TEST

START_TEST(test_unix_sockets_of_the_old_transport)
{
    hop_passes("unix", "unix_p2p", "qemu+unix://", 1);
}
END_TEST

START_TEST(test_copy_storage_between_private_directories)
{
    hop_passes("ssh", "copy_storage", "qemu+ssh://", 1);
    ck_assert(ts_debug_log_has(&E, "/var/lib/libvirt/images/"));
}
END_TEST

START_TEST(test_private_disk_without_copy_storage_is_unsafe)
{
    json_t *root;
    use_settings("ssh", NULL);
    json_t *t = run_case("private_no_copy", &root);
    assert_status(t, "FAIL");
    ck_assert_msg(strstr(ts_jstr(t, "fail_reason"), "unsafe"), "reason: %s",
                  ts_jstr(t, "fail_reason"));
    json_decref(root);
}
END_TEST

/* ---- the host ops module on lab host 2 --------------------------------------------- */

static void print_log(void *ud, enum virt_log_level level, const char *msg)
{
    (void)ud;
    printf("remote: [%s] %s\n", virt_log_level_name(level), msg);
}

static const struct virt_ctx vctx = { .log = print_log };

/* SSH to settings host h as vtrun reaches it (key, strict known_hosts). */
static struct virt_host *link_to(const struct run_settings *s, size_t h)
{
    const struct run_host *rh = &s->hosts[h];
    struct virt_host_conf conf = {
        .name = rh->name, .address = rh->address, .port = rh->ssh_port, .user = rh->ssh_user,
        .key_file = rh->ssh_key, .hostkey = VIRT_HOSTKEY_STRICT,
        .known_hosts = rh->ssh_known_hosts_file,
    };
    struct virt_host *l = virt_host_open(&conf, &vctx);
    ck_assert_msg(l != NULL, "%s", err_msg());
    return l;
}

/* argv on h; its exit status, stdout into *out when given. */
static int on_host(struct virt_host *h, const char *const *argv, struct strbuf *out)
{
    struct strbuf o = STRBUF_INIT;
    int status = -1;
    ck_assert_msg(virt_host_run(h, argv, 60, &o, NULL, &status) == 0, "%s: %s", argv[0],
                  err_msg());
    if (out)
        strbuf_add(out, o.buf, o.len);
    strbuf_release(&o);
    return status;
}
#define ON(h, out, ...) on_host((h), (const char *const[]){ __VA_ARGS__, NULL }, (out))

static char *host_text(struct virt_host *h, const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    ck_assert_msg(ON(h, &sb, "cat", path) == 0, "cat %s", path);
    return strbuf_detach(&sb, NULL);
}

START_TEST(test_ports_rejected_on_the_destination_fail_the_hop_and_the_rule_goes)
{
    struct run_settings s;
    ts_lab(&s);
    struct virt_host *h2 = link_to(&s, 1);
    struct virt_hostops *ops = virt_hostops_new("e2eports", &vctx);
    /* QEMU's migration ports (qemu.conf migration_port_min/max) */
    ck_assert_msg(virt_hostop_fw_add(ops, h2, &(struct virt_fw_rule){
                      .port_min = 49152, .port_max = 49215, .reject = true }) == 0,
                  "%s", err_msg());
    json_t *root;
    use_settings("ssh", NULL);
    json_t *t = run_case("ports_blocked", &root);
    int undo = virt_hostops_undo(ops);
    char *undo_err = undo < 0 ? xstrdup(err_msg()) : NULL;
    struct strbuf tables = STRBUF_INIT;
    ON(h2, &tables, "nft", "list", "tables");
    assert_status(t, "FAIL");
    /* why, whether libvirt reports it or only the source daemon's log (when its last
     * error is the dropped connection to the destination, "End of file ...") */
    ck_assert_msg(strstr(ts_jstr(t, "fail_reason"), "unable to connect to server at") &&
                  strstr(ts_jstr(t, "fail_reason"), ":49152': Connection refused"),
                  "reason: %s", ts_jstr(t, "fail_reason"));
    ck_assert_msg(undo == 0, "undo: %s", undo_err);
    ck_assert_msg(!strstr(tables.buf, "vtrun_e2eports"), "rule left on host2:\n%s", tables.buf);
    strbuf_release(&tables);
    json_decref(root);
    virt_hostops_free(ops);
    virt_host_close(h2);
    run_settings_free(&s);
}
END_TEST

/* A transient domain on h's daemon (kernel and initrd only: no disk, no NIC). */
static void create_domain(const char *uri, const struct run_settings *s, const char *name)
{
    char *xml = xasprintf(
        "<domain type='qemu'><name>%s</name><memory unit='MiB'>96</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel>"
        "<initrd>%s</initrd><cmdline>console=ttyS0 quiet</cmdline></os>"
        "<devices><graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices>"
        "</domain>", name, params_get(s->params, "kernel"), params_get(s->params, "initrd"));
    char *path = xasprintf("%s/%s.xml", E.dir, name);
    ts_write(path, xml);
    char *argv[] = { "virsh", "-q", "-c", (char *)uri, "create", path, NULL };
    ck_assert_msg(ts_run_files(argv, E.out_path, E.err_path, 60) == 0, "virsh create: %s",
                  ts_read(E.err_path));
    free(path);
    free(xml);
}

static char *domstate(const char *uri, const char *name)
{
    char *argv[] = { "virsh", "-q", "-c", (char *)uri, "domstate", (char *)name, NULL };
    ts_run_files(argv, E.out_path, NULL, 60);
    char *out = ts_read(E.out_path);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

static void assert_domain_runs(const char *uri, const char *name, struct virt_host *h,
                               const char *pid, const char *when)
{
    char *st = domstate(uri, name);
    ck_assert_msg(!strcmp(st, "running"), "%s: domain %s is '%s'", when, name, st);
    free(st);
    char *proc = xasprintf("/proc/%s", pid);
    ck_assert_msg(ON(h, NULL, "test", "-d", proc) == 0, "%s: QEMU %s is gone", when, pid);
    free(proc);
}

START_TEST(test_host_ops_over_ssh_restart_in_place_and_undo)
{
    struct run_settings s;
    ts_lab(&s);
    const char *uri = s.hosts[1].uri, *conf = "/etc/libvirt/libvirtd.conf";
    struct virt_host *h2 = link_to(&s, 1);

    /* a command and a file each way */
    struct strbuf sb = STRBUF_INIT;
    ck_assert_int_eq(ON(h2, &sb, "hostname"), 0);
    ck_assert_msg(strstr(uri, strtok(sb.buf, "\n")), "host2 says it is %s", sb.buf);
    char *local = xasprintf("%s/put", E.dir), *back = xasprintf("%s/got", E.dir);
    char *remote = xasprintf("/tmp/vtrun-e2e-put-%ld", (long)getpid());
    ts_write(local, "vtrun host ops\n");
    ck_assert_msg(virt_host_put(h2, local, remote, 0600) == 0, "%s", err_msg());
    ck_assert_msg(virt_host_get(h2, remote, back) == 0, "%s", err_msg());
    char *got = ts_read(back);
    ck_assert_str_eq(got, "vtrun host ops\n");
    ck_assert_int_eq(ON(h2, NULL, "rm", "-f", remote), 0);

    /* a daemon's log: what sshd wrote while we logged in again */
    struct virt_log_mark mark = { 0 };
    ck_assert_msg(virt_hostop_log_mark(h2, "/var/log/sshd.log", &mark) == 0, "%s", err_msg());
    virt_host_close(link_to(&s, 1));
    strbuf_reset(&sb);
    ck_assert_msg(virt_hostop_log_read(h2, &mark, &sb) == 0, "%s", err_msg());
    ck_assert_msg(strstr(sb.buf, "Accepted publickey"), "sshd log since the mark: %s", sb.buf);
    virt_log_mark_free(&mark);

    /* a running domain through every daemon operation */
    char *name = xasprintf("vtrun-e2e-ops-%ld", (long)getpid());
    create_domain(uri, &s, name);
    char *pidfile = xasprintf("/run/libvirt/qemu/%s.pid", name);
    char *pid = host_text(h2, pidfile);
    pid[strcspn(pid, "\n")] = '\0';
    char *orig = host_text(h2, conf);
    struct virt_hostops *ops = virt_hostops_new("e2eops", &vctx);
    double t0 = ts_now();
    ck_assert_msg(virt_hostop_conf_set(ops, h2, "libvirtd", conf, "max_clients", "4999") == 0,
                  "%s", err_msg());
    ck_assert_msg(virt_hostop_daemon(ops, h2, "libvirtd", VIRT_DAEMON_RESTART, NULL) == 0,
                  "%s", err_msg());
    printf("remote: libvirtd restarted in place in %.2f s\n", ts_now() - t0);
    char *edited = host_text(h2, conf);
    ck_assert_msg(strstr(edited, "max_clients = 4999"), "%s:\n%s", conf, edited);
    assert_domain_runs(uri, name, h2, pid, "after the restart");
    ck_assert_msg(virt_hostop_daemon(ops, h2, "libvirtd", VIRT_DAEMON_STOP, NULL) == 0, "%s",
                  err_msg());
    ck_assert_int_ne(ON(h2, NULL, "systemctl", "is-active", "libvirtd"), 0);
    ck_assert_msg(virt_hostop_daemon(ops, h2, "libvirtd", VIRT_DAEMON_START, NULL) == 0, "%s",
                  err_msg());
    ck_assert_int_eq(ON(h2, NULL, "systemctl", "is-active", "libvirtd"), 0);
    ck_assert_msg(virt_hostop_daemon(ops, h2, "libvirtd", VIRT_DAEMON_KILL, "KILL") == 0, "%s",
                  err_msg());
    /* a signal is sent, not waited for (systemctl kill returns at once) */
    int active = 0;
    for (int i = 0; i < 100 && (active = ON(h2, NULL, "systemctl", "is-active", "libvirtd")) == 0; i++)
        usleep(100 * 1000);
    ck_assert_msg(active != 0, "libvirtd still active 10 s after SIGKILL");
    /* the undo starts the killed daemon, puts the file back and restarts it */
    ck_assert_msg(virt_hostops_undo(ops) == 0, "%s", err_msg());
    ck_assert_int_eq(ON(h2, NULL, "systemctl", "is-active", "libvirtd"), 0);
    char *restored = host_text(h2, conf);
    ck_assert_msg(!strcmp(restored, orig), "%s not restored", conf);
    strbuf_reset(&sb);
    ON(h2, &sb, "ls", "/etc/libvirt");
    ck_assert_msg(!strstr(sb.buf, ".orig"), "a backup is left in /etc/libvirt: %s", sb.buf);
    assert_domain_runs(uri, name, h2, pid, "after stop, kill and the undo");

    char *argv[] = { "virsh", "-q", "-c", (char *)uri, "destroy", name, NULL };
    ck_assert_int_eq(ts_run_files(argv, NULL, NULL, 60), 0);
    virt_hostops_free(ops);
    free(restored);
    free(edited);
    free(orig);
    free(pid);
    free(pidfile);
    free(name);
    free(got);
    free(remote);
    free(back);
    free(local);
    strbuf_release(&sb);
    virt_host_close(h2);
    run_settings_free(&s);
}
END_TEST

/* ---- hosts that cannot be reached ------------------------------------------------- */

/* The lab's ssh settings with `from` replaced by `to` everywhere (sed-like). */
static char *lab_with(const char *text, const char *from, const char *to)
{
    struct strbuf sb = STRBUF_INIT;
    for (const char *p = text, *q; *p; p = q + strlen(from)) {
        q = strstr(p, from);
        if (!q) {
            strbuf_addstr(&sb, p);
            break;
        }
        strbuf_add(&sb, p, (size_t)(q - p));
        strbuf_addstr(&sb, to);
    }
    return strbuf_detach(&sb, NULL);
}

static char *ssh_settings(void)
{
    use_settings("ssh", NULL);
    char *text = ts_read(E.settings);
    /* without our results_dir line: use_settings() adds it again */
    *strstr(text, "\nresults_dir") = '\0';
    return text;
}

static void unreachable_is_error(const char *what, char *settings_text, const char *host)
{
    json_t *root;
    use_settings(NULL, settings_text);
    double t0 = ts_now();
    json_t *t = run_case("ssh_direct", &root);
    double secs = ts_now() - t0;
    assert_status(t, "ERROR");
    const char *r = ts_jstr(t, "fail_reason");
    ck_assert_msg(strstr(r, host) && !strchr(r, '\n'), "%s: reason %s", what, r);
    ck_assert_msg(secs < 20, "%s: %.1f s", what, secs);
    ck_assert_int_eq(json_array_size(json_object_get(t, "hops")), 0);
    json_decref(root);
    free(settings_text);
}

START_TEST(test_wrong_key_refused_ssh_and_no_such_host_are_errors_naming_the_host)
{
    char *lab = ssh_settings();
    char *key = xasprintf("%s/wrong_ed25519", E.dir);
    char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key, NULL };
    ck_assert_int_eq(ts_run_files(argv, NULL, NULL, 30), 0);
    char *labkey = xasprintf("%s/id_ed25519", lab_state());
    char *labpw = xasprintf("%s/root-password", lab_state());
    char *pw = xasprintf("%s/wrong-password", E.dir);
    ts_write(pw, "not the password\n");
    /* every key is the wrong one, and so is the password */
    char *t1 = lab_with(lab, labkey, key);
    char *wrong = lab_with(t1, labpw, pw);
    free(t1);
    free(labpw);
    free(pw);
    unreachable_is_error("wrong key", wrong, "host1");
    /* host2 refuses SSH: nothing listens where the settings send it */
    const char *h2 = strstr(lab, "name = \"host2\"");
    ck_assert(h2);
    struct strbuf sb = STRBUF_INIT;
    strbuf_add(&sb, lab, (size_t)(h2 - lab));
    char *rest = lab_with(h2, "ssh_port = 22;", "ssh_port = 2222;");
    strbuf_addstr(&sb, rest);
    unreachable_is_error("SSH refused", strbuf_detach(&sb, NULL), "host2");
    free(rest);
    /* host2 is an address nobody has on the lab network */
    char *addr = strstr(h2, "address = \"");
    ck_assert(addr);
    addr += strlen("address = \"");
    char *ip = xstrndup(addr, strcspn(addr, "\""));
    /* the last octet replaced by 99 (longer than "3": a new string, not in place) */
    char *none = xasprintf("%.*s.99", (int)(strrchr(ip, '.') - ip), ip);
    char *t3 = lab_with(lab, ip, none);
    char *gone = lab_with(t3, "ssh_known_hosts = \"strict\";",
                          "ssh_known_hosts = \"strict\"; ssh_connect_timeout = 3;");
    free(t3);
    unreachable_is_error("no such host", gone, "host2");
    free(ip);
    free(none);
    free(labkey);
    free(key);
    free(lab);
}
END_TEST

/* After the tcase, in the runner's process (a failed assertion ends the test's own
 * process before its undo): host2's libvirtd running and its configuration put back,
 * whatever the host ops test had done when it stopped. */
static void host2_restored(void)
{
    struct run_settings s;
    ts_lab(&s);
    struct virt_host *h2 = link_to(&s, 1);
    const char *conf = "/etc/libvirt/libvirtd.conf";
    char *aside = xasprintf("%s.vtrun-e2eops.orig", conf);
    if (ON(h2, NULL, "test", "-e", aside) == 0) {
        fprintf(stderr, "remote: %s was left set aside; put back\n", conf);
        ON(h2, NULL, "mv", "-f", aside, conf);
        ON(h2, NULL, "systemctl", "restart", "libvirtd");
    }
    if (ON(h2, NULL, "systemctl", "is-active", "libvirtd") != 0) {
        fprintf(stderr, "remote: host2's libvirtd was left stopped; started\n");
        ON(h2, NULL, "systemctl", "start", "libvirtd");
    }
    free(aside);
    virt_host_close(h2);
    run_settings_free(&s);
}

int main(void)
{
    Suite *su = suite_create("remote");
    TCase *tc = tcase_create("lab");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_unchecked_fixture(tc, NULL, host2_restored);
    tcase_set_timeout(tc, 400);
    tcase_add_test(tc, test_wrong_key_refused_ssh_and_no_such_host_are_errors_naming_the_host);
    tcase_add_test(tc, test_host_ops_over_ssh_restart_in_place_and_undo);
    tcase_add_test(tc, test_ssh_p2p_there_and_back);
    tcase_add_test(tc, test_ssh_direct_without_p2p);
    tcase_add_test(tc, test_tcp_p2p);
    tcase_add_test(tc, test_tls_with_tls_stream);
    tcase_add_test(tc, test_unix_sockets_of_the_old_transport);
    tcase_add_test(tc, test_copy_storage_between_private_directories);
    tcase_add_test(tc, test_private_disk_without_copy_storage_is_unsafe);
    tcase_add_test(tc, test_ports_rejected_on_the_destination_fail_the_hop_and_the_rule_goes);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
