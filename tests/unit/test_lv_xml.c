/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Domain XML build and normalise: every output is parsed back with libxml2 and
 * checked with XPath, so the tests state what libvirt will see, not how it is
 * spelled.
 */
#include "backends/lv_xml.h"
#include "backends/be.h"
#include "lib/err.h"

#include <check.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static xmlDocPtr doc;
static void ck_valid_domain(const char *xml);

static void load(const char *xml)
{
    ck_assert_msg(xml != NULL, "no XML: %s", err_msg());
    if (doc)
        xmlFreeDoc(doc);
    doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
    ck_assert_msg(doc != NULL, "output does not parse:\n%s", xml);
}

static void teardown(void)
{
    if (doc)
        xmlFreeDoc(doc);
    doc = NULL;
}

/* string value of an XPath expression over the loaded document */
static char *xs(const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    xmlChar *s = xmlXPathCastToString(o);
    char *out = strdup((const char *)s);

    xmlFree(s);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return out;
}

#define ck_xpath_eq(expr, want) do {                                          \
        char *got_ = xs(expr);                                                \
        ck_assert_msg(!strcmp(got_, want), "%s = '%s', want '%s'", expr, got_, want); \
        free(got_);                                                           \
    } while (0)

static struct be_disk disk0 = { .path = "/img/vm1.qcow2" };
static struct be_disk disk1 = { .path = "/img/data.raw", .format = "raw",
                                .cache = "writeback", .bus = "scsi" };
static struct be_nic nic_br = { .mode = "bridge", .bridge = "vtbr0",
                                .mac = "52:54:00:00:00:01" };
static struct be_nic nic_user = { .mode = "user", .model = "e1000" };

static struct be_vm_spec spec(void)
{
    static struct be_disk disks[2];
    static struct be_nic nics[2];
    disks[0] = disk0;
    disks[1] = disk1;
    nics[0] = nic_br;
    nics[1] = nic_user;
    return (struct be_vm_spec){
        .name = "vm1", .mem_mib = 128, .smp = 2, .accel = "tcg",
        .kernel = "/cache/vmlinuz", .initrd = "/cache/initrd",
        .cmdline = "console=ttyS0 ip=192.168.123.10",
        .console_log = "/res/serial-vm1.log",
        .disks = disks, .ndisks = 2, .nics = nics, .nnics = 2,
    };
}

START_TEST(test_build_tcg_spec_gives_qemu_domain_type)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/@type)", "qemu");
    ck_xpath_eq("string(/domain/name)", "vm1");
    ck_xpath_eq("string(/domain/memory)", "128");
    ck_xpath_eq("string(/domain/memory/@unit)", "MiB");
    ck_xpath_eq("string(/domain/vcpu)", "2");
    free(x);
}
END_TEST

START_TEST(test_build_kvm_spec_gives_kvm_domain_with_host_model_cpu)
{
    struct be_vm_spec s = spec();
    s.accel = "kvm";
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/@type)", "kvm");
    ck_xpath_eq("string(/domain/cpu/@mode)", "host-model");
    free(x);
}
END_TEST

START_TEST(test_build_disk_cache_defaults_to_none_and_keeps_explicit_mode)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("count(/domain/devices/disk)", "2");
    ck_xpath_eq("string(/domain/devices/disk[1]/driver/@cache)", "none");
    ck_xpath_eq("string(/domain/devices/disk[1]/driver/@type)", "qcow2");
    ck_xpath_eq("string(/domain/devices/disk[1]/source/@file)", "/img/vm1.qcow2");
    ck_xpath_eq("string(/domain/devices/disk[1]/target/@dev)", "vda");
    ck_xpath_eq("string(/domain/devices/disk[1]/target/@bus)", "virtio");
    ck_xpath_eq("string(/domain/devices/disk[2]/driver/@cache)", "writeback");
    ck_xpath_eq("string(/domain/devices/disk[2]/driver/@type)", "raw");
    ck_xpath_eq("string(/domain/devices/disk[2]/target/@dev)", "sdb");
    free(x);
}
END_TEST

START_TEST(test_build_has_kvmclock_timer)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/clock/timer[@name='kvmclock']/@present)", "yes");
    free(x);
}
END_TEST

START_TEST(test_build_gives_the_guest_a_virtio_rng_from_urandom)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/devices/rng/@model)", "virtio");
    ck_xpath_eq("string(/domain/devices/rng/backend[@model='random'])", "/dev/urandom");
    free(x);
}
END_TEST

START_TEST(test_build_agent_channel_only_when_asked_and_schema_valid)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("count(/domain/devices/channel)", "0");
    free(x);
    s.guest_agent = true;
    x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("count(/domain/devices/channel)", "1");
    ck_xpath_eq("string(/domain/devices/channel/@type)", "unix");
    ck_xpath_eq("string(/domain/devices/channel/target/@type)", "virtio");
    ck_xpath_eq("string(/domain/devices/channel/target/@name)", "org.qemu.guest_agent.0");
    /* no socket path: libvirt picks one per host, so the domain migrates */
    ck_xpath_eq("count(/domain/devices/channel/source)", "0");
    ck_valid_domain(x);
    free(x);
}
END_TEST

START_TEST(test_build_serial_console_appends_to_log_file)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s), *path;
    load(x);
    ck_xpath_eq("count(/domain/devices/serial)", "1");
    ck_xpath_eq("string(/domain/devices/serial/@type)", "file");
    ck_xpath_eq("string(/domain/devices/serial/source/@path)", "/res/serial-vm1.log");
    ck_xpath_eq("string(/domain/devices/serial/source/@append)", "on");
    path = lv_xml_console_path(x);
    ck_assert_str_eq(path, "/res/serial-vm1.log");
    free(path);
    free(x);
}
END_TEST

START_TEST(test_build_without_console_log_gives_pty_and_no_console_path)
{
    struct be_vm_spec s = spec();
    s.console_log = NULL;
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/devices/serial/@type)", "pty");
    ck_assert_ptr_null(lv_xml_console_path(x));
    ck_assert_ptr_nonnull(strstr(err_msg(), "vm1"));
    free(x);
}
END_TEST

START_TEST(test_build_direct_kernel_boot_when_kernel_set)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/os/kernel)", "/cache/vmlinuz");
    ck_xpath_eq("string(/domain/os/initrd)", "/cache/initrd");
    ck_xpath_eq("string(/domain/os/cmdline)", "console=ttyS0 ip=192.168.123.10");
    ck_xpath_eq("count(/domain/os/boot)", "0");
    free(x);
}
END_TEST

START_TEST(test_build_boots_from_disk_without_kernel)
{
    struct be_vm_spec s = spec();
    s.kernel = NULL;
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("count(/domain/os/kernel)", "0");
    ck_xpath_eq("count(/domain/os/initrd)", "0");
    ck_xpath_eq("string(/domain/os/boot/@dev)", "hd");
    free(x);
}
END_TEST

START_TEST(test_build_bridge_and_user_nics_without_tap_names)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/devices/interface[1]/@type)", "bridge");
    ck_xpath_eq("string(/domain/devices/interface[1]/source/@bridge)", "vtbr0");
    ck_xpath_eq("string(/domain/devices/interface[1]/mac/@address)", "52:54:00:00:00:01");
    ck_xpath_eq("string(/domain/devices/interface[1]/model/@type)", "virtio");
    ck_xpath_eq("string(/domain/devices/interface[2]/@type)", "user");
    ck_xpath_eq("string(/domain/devices/interface[2]/model/@type)", "e1000");
    ck_xpath_eq("count(/domain/devices/interface/target)", "0");
    free(x);
}
END_TEST

START_TEST(test_build_escapes_special_characters)
{
    struct be_vm_spec s = spec();
    s.cmdline = "a=<b> & c='d\"";
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/os/cmdline)", "a=<b> & c='d\"");
    free(x);
}
END_TEST

START_TEST(test_build_rejects_spec_without_name_or_memory)
{
    struct be_vm_spec s = spec();
    s.name = NULL;
    ck_assert_ptr_null(lv_xml_build(&s));
    ck_assert_ptr_nonnull(strstr(err_msg(), "without a name"));
    s = spec();
    s.mem_mib = 0;
    ck_assert_ptr_null(lv_xml_build(&s));
    ck_assert_ptr_nonnull(strstr(err_msg(), "vm1"));
}
END_TEST

START_TEST(test_build_rejects_bridge_nic_without_bridge)
{
    struct be_vm_spec s = spec();
    s.nics[0].bridge = NULL;
    ck_assert_ptr_null(lv_xml_build(&s));
    ck_assert_ptr_nonnull(strstr(err_msg(), "bridge"));
}
END_TEST

static const char *foreign =
    "<domain type='kvm'><name>sles</name><memory>1048576</memory>"
    "<os><type>hvm</type></os>"
    "<clock offset='localtime'><timer name='rtc' tickpolicy='catchup'/>"
    "<timer name='kvmclock' present='no'/></clock>"
    "<devices>"
    "<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='writeback'/>"
    "<source file='/a.qcow2'/><target dev='vda' bus='virtio'/></disk>"
    "<disk type='file' device='disk'><source file='/b.raw'/><target dev='vdb'/></disk>"
    "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
    "<source file='/x.iso'/><target dev='hdc'/></disk>"
    "<interface type='bridge'><source bridge='br0'/><target dev='vnet3'/></interface>"
    "<serial type='pty'><target port='0'/></serial>"
    "<console type='pty'><target type='serial' port='0'/></console>"
    "<graphics type='vnc'/>"
    "</devices></domain>";

START_TEST(test_normalize_turns_kvmclock_on_and_keeps_other_timers)
{
    char *x = lv_xml_normalize(foreign, NULL);
    load(x);
    ck_xpath_eq("string(/domain/clock/timer[@name='kvmclock']/@present)", "yes");
    ck_xpath_eq("count(/domain/clock/timer[@name='kvmclock'])", "1");
    ck_xpath_eq("string(/domain/clock/timer[@name='rtc']/@tickpolicy)", "catchup");
    ck_xpath_eq("string(/domain/clock/@offset)", "localtime");
    free(x);
}
END_TEST

START_TEST(test_normalize_adds_clock_when_missing)
{
    char *x = lv_xml_normalize("<domain><name>a</name></domain>", NULL);
    load(x);
    ck_xpath_eq("string(/domain/clock/@offset)", "utc");
    ck_xpath_eq("string(/domain/clock/timer[@name='kvmclock']/@present)", "yes");
    ck_xpath_eq("string(/domain/devices/serial/@type)", "pty");
    free(x);
}
END_TEST

START_TEST(test_normalize_sets_cache_none_on_disks_only)
{
    char *x = lv_xml_normalize(foreign, NULL);
    load(x);
    ck_xpath_eq("string(/domain/devices/disk[1]/driver/@cache)", "none");
    ck_xpath_eq("string(/domain/devices/disk[1]/driver/@type)", "qcow2");
    ck_xpath_eq("string(/domain/devices/disk[2]/driver/@cache)", "none");
    ck_xpath_eq("string(/domain/devices/disk[2]/driver/@name)", "qemu");
    ck_xpath_eq("string(/domain/devices/disk[2]/source/@file)", "/b.raw");
    ck_xpath_eq("count(/domain/devices/disk[3]/driver/@cache)", "0");
    free(x);
}
END_TEST

START_TEST(test_normalize_points_serial_console_at_log_file)
{
    char *x = lv_xml_normalize(foreign, "/res/sles.log"), *path;
    load(x);
    ck_xpath_eq("count(/domain/devices/serial)", "1");
    ck_xpath_eq("count(/domain/devices/console)", "0");
    ck_xpath_eq("string(/domain/devices/serial/@type)", "file");
    ck_xpath_eq("string(/domain/devices/serial/source/@path)", "/res/sles.log");
    path = lv_xml_console_path(x);
    ck_assert_str_eq(path, "/res/sles.log");
    free(path);
    free(x);
}
END_TEST

START_TEST(test_normalize_without_log_keeps_existing_serial)
{
    char *x = lv_xml_normalize(foreign, NULL);
    load(x);
    ck_xpath_eq("count(/domain/devices/serial)", "1");
    ck_xpath_eq("string(/domain/devices/serial/@type)", "pty");
    ck_xpath_eq("count(/domain/devices/console)", "1");
    free(x);
}
END_TEST

START_TEST(test_normalize_drops_fixed_tap_names_and_keeps_the_rest)
{
    char *x = lv_xml_normalize(foreign, NULL);
    load(x);
    ck_xpath_eq("count(/domain/devices/interface/target)", "0");
    ck_xpath_eq("string(/domain/devices/interface/source/@bridge)", "br0");
    ck_xpath_eq("string(/domain/devices/graphics/@type)", "vnc");
    ck_xpath_eq("string(/domain/memory)", "1048576");
    ck_xpath_eq("string(/domain/@type)", "kvm");
    free(x);
}
END_TEST

START_TEST(test_normalize_rejects_garbage_and_non_domain_roots)
{
    ck_assert_ptr_null(lv_xml_normalize("<domain><name>", NULL));
    ck_assert_ptr_nonnull(strstr(err_msg(), "cannot parse"));
    ck_assert_ptr_null(lv_xml_normalize("<network/>", NULL));
    ck_assert_ptr_nonnull(strstr(err_msg(), "<domain>"));
    ck_assert_ptr_null(lv_xml_normalize(NULL, NULL));
}
END_TEST

START_TEST(test_normalize_is_idempotent)
{
    char *a = lv_xml_normalize(foreign, "/res/l.log");
    char *b = lv_xml_normalize(a, "/res/l.log");
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
}
END_TEST

/* A saved state's XML as another case's guest: its name, disks and console are the
 * case's; uuid and devices stay the saved guest's (libvirt's ABI check). */
START_TEST(test_restore_as_takes_the_cases_name_disks_and_console_and_keeps_the_rest)
{
    struct be_vm_spec s = spec();
    char *built = lv_xml_build(&s);
    char *saved = lv_xml_restore_as(built, &s);     /* the identity */
    ck_assert_msg(saved != NULL, "%s", err_msg());
    load(saved);
    struct be_disk d2[2] = { disk0, disk1 };
    d2[0].path = "/img/case7-vm1.qcow2";
    d2[1].path = "/img/case7-data.raw";
    struct be_vm_spec c = s;
    c.name = "vm1-saved-abc";
    c.disks = d2;
    c.console_log = "/res/case7/serial-vm1.log";
    char *x = lv_xml_restore_as(saved, &c);
    ck_assert_msg(x != NULL, "%s", err_msg());
    load(x);
    ck_xpath_eq("string(/domain/name)", "vm1-saved-abc");
    ck_xpath_eq("string(/domain/devices/disk[1]/source/@file)", "/img/case7-vm1.qcow2");
    ck_xpath_eq("string(/domain/devices/disk[2]/source/@file)", "/img/case7-data.raw");
    ck_xpath_eq("string(/domain/devices/serial/source/@path)", "/res/case7/serial-vm1.log");
    ck_xpath_eq("string(/domain/os/kernel)", "/cache/vmlinuz");
    ck_xpath_eq("string(/domain/memory)", "128");
    ck_xpath_eq("count(/domain/devices/interface)", "2");
    free(x);
    /* another number of disks is another guest */
    c.ndisks = 1;
    ck_assert_ptr_null(lv_xml_restore_as(saved, &c));
    ck_assert_msg(strstr(err_msg(), "does not match the spec's disks"), "%s", err_msg());
    free(saved);
    free(built);
}
END_TEST

START_TEST(test_xpath_reads_strings_and_node_lists_of_any_document)
{
    const char *caps = "<domainCapabilities><cpu><mode name='custom'>"
                       "<model usable='yes'>qemu64</model><model usable='no'>EPYC</model>"
                       "<model usable='yes'>Nehalem</model></mode></cpu>"
                       "<arch>x86_64</arch></domainCapabilities>";
    char *arch = lv_xml_xpath_string(caps, "string(/domainCapabilities/arch)");
    char **m = lv_xml_xpath_strings(caps, "//mode[@name='custom']/model[@usable='yes']");

    ck_assert_str_eq(arch, "x86_64");
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m[0], "qemu64");
    ck_assert_str_eq(m[1], "Nehalem");
    ck_assert_ptr_null(m[2]);
    free(arch);
    free(m[0]);
    free(m[1]);
    free(m);
    ck_assert_ptr_null(lv_xml_xpath_string(caps, "string(/nothing)"));
    m = lv_xml_xpath_strings(caps, "/nothing");
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_null(m[0]);
    free(m);
    ck_assert_ptr_null(lv_xml_xpath_strings("<a", "/a"));
}
END_TEST

/* libvirt's own RNG schema is the judge of what libvirt will accept */
static void ck_valid_domain(const char *xml)
{
    char path[] = "/tmp/vtrun-xml-XXXXXX";
    int fd = mkstemp(path), st = -1;
    pid_t pid;

    ck_assert(fd >= 0);
    ck_assert(write(fd, xml, strlen(xml)) == (ssize_t)strlen(xml));
    close(fd);
    pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 1);
        dup2(nul, 2);
        execlp("virt-xml-validate", "virt-xml-validate", path, "domain", (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    unlink(path);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 127,
                  "virt-xml-validate missing (libvirt-clients)");
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "libvirt's schema rejects:\n%s", xml);
}

START_TEST(test_build_output_passes_libvirt_schema)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s);
    ck_valid_domain(x);
    free(x);
    s.kernel = NULL;
    s.console_log = NULL;
    s.accel = "kvm";
    s.cpu_model = "Haswell";
    x = lv_xml_build(&s);
    ck_valid_domain(x);
    free(x);
}
END_TEST

/* tp-libvirt's virsh_migrate NUMA guest: cells in <cpu><numa>, numatune with memnodes,
 * a vCPU maximum with the ones online at start as current */
static struct be_numa_cell numa_cells[2] = {
    { .cpus = "0-31", .mem_kib = 65536, .mode = "strict", .nodeset = "0" },
    { .cpus = "32-63", .mem_kib = 65536, .mode = "interleave", .nodeset = "0" },
};

static struct be_vm_spec numa_spec(void)
{
    struct be_vm_spec s = spec();
    s.smp = 8;
    s.max_vcpus = 64;
    s.numa = numa_cells;
    s.nnuma = 2;
    s.numatune = (struct be_numatune){ .mode = "strict", .placement = "static",
                                       .nodeset = "0" };
    return s;
}

START_TEST(test_build_numa_cells_numatune_and_vcpu_maximum)
{
    struct be_vm_spec s = numa_spec();
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/vcpu)", "64");
    ck_xpath_eq("string(/domain/vcpu/@current)", "8");
    ck_xpath_eq("count(/domain/cpu/numa/cell)", "2");
    ck_xpath_eq("string(/domain/cpu/numa/cell[1]/@id)", "0");
    ck_xpath_eq("string(/domain/cpu/numa/cell[1]/@cpus)", "0-31");
    ck_xpath_eq("string(/domain/cpu/numa/cell[2]/@id)", "1");
    ck_xpath_eq("string(/domain/cpu/numa/cell[2]/@cpus)", "32-63");
    ck_xpath_eq("string(/domain/cpu/numa/cell[2]/@memory)", "65536");
    ck_xpath_eq("string(/domain/cpu/numa/cell[2]/@unit)", "KiB");
    /* TCG without a CPU model: the <cpu> holds the cells alone */
    ck_xpath_eq("count(/domain/cpu/@mode)", "0");
    ck_xpath_eq("string(/domain/numatune/memory/@mode)", "strict");
    ck_xpath_eq("string(/domain/numatune/memory/@placement)", "static");
    ck_xpath_eq("string(/domain/numatune/memory/@nodeset)", "0");
    ck_xpath_eq("count(/domain/numatune/memnode)", "2");
    ck_xpath_eq("string(/domain/numatune/memnode[2]/@cellid)", "1");
    ck_xpath_eq("string(/domain/numatune/memnode[2]/@mode)", "interleave");
    ck_xpath_eq("string(/domain/numatune/memnode[2]/@nodeset)", "0");
    ck_valid_domain(x);
    free(x);
    /* with a CPU model the cells go in the same <cpu>; without numatune, none */
    s.cpu_model = "Haswell";
    s.numatune.mode = NULL;
    x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("count(/domain/cpu)", "1");
    ck_xpath_eq("string(/domain/cpu/model)", "Haswell");
    ck_xpath_eq("count(/domain/cpu/numa/cell)", "2");
    ck_xpath_eq("count(/domain/numatune)", "0");
    ck_valid_domain(x);
    free(x);
    /* no maximum: a plain <vcpu> */
    s = spec();
    x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("count(/domain/vcpu/@current)", "0");
    ck_xpath_eq("count(/domain/cpu)", "0");
    free(x);
}
END_TEST

/* virsh_migrate_with_HP: <memoryBacking><hugepages/>; _HP_pin: one <page> for the
 * guest cells named */
START_TEST(test_build_memory_backing_on_hugepages)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("count(/domain/memoryBacking)", "0");
    free(x);
    s.hugepages.on = true;
    x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("count(/domain/memoryBacking/hugepages)", "1");
    ck_xpath_eq("count(/domain/memoryBacking/hugepages/page)", "0");
    ck_valid_domain(x);
    free(x);
    s = numa_spec();
    s.hugepages = (struct be_hugepages){ .on = true, .page_kib = 2048, .nodeset = "0-1" };
    x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("count(/domain/memoryBacking/hugepages/page)", "1");
    ck_xpath_eq("string(/domain/memoryBacking/hugepages/page/@size)", "2048");
    ck_xpath_eq("string(/domain/memoryBacking/hugepages/page/@unit)", "KiB");
    ck_xpath_eq("string(/domain/memoryBacking/hugepages/page/@nodeset)", "0-1");
    ck_valid_domain(x);
    free(x);
}
END_TEST

START_TEST(test_build_rejects_bad_vcpus_and_cells)
{
    struct be_vm_spec s = numa_spec();
    s.max_vcpus = 4;
    ck_assert_ptr_null(lv_xml_build(&s));
    ck_assert_msg(strstr(err_msg(), "8 vCPUs at start, more than its maximum 4"), "%s",
                  err_msg());
    struct be_numa_cell bad[1] = { { .cpus = "0", .mem_kib = 1024, .mode = "strict" } };
    s = numa_spec();
    s.numa = bad;
    s.nnuma = 1;
    ck_assert_ptr_null(lv_xml_build(&s));
    ck_assert_msg(strstr(err_msg(), "NUMA cell 0 without a host nodeset"), "%s", err_msg());
}
END_TEST

/* memory hotplug: <maxMemory> with its slots; the DIMM attach-device takes; the NIC
 * of --xml; a definition renamed for --xml with --dname */
START_TEST(test_build_max_memory_dimm_nic_and_rename)
{
    struct be_vm_spec s = numa_spec();
    s.max_mem_kib = 8 * 1024 * 1024 + 128 * 1024;
    s.mem_slots = 32;
    char *x = lv_xml_build(&s);
    load(x);
    ck_xpath_eq("string(/domain/maxMemory)", "8519680");
    ck_xpath_eq("string(/domain/maxMemory/@unit)", "KiB");
    ck_xpath_eq("string(/domain/maxMemory/@slots)", "32");
    ck_valid_domain(x);
    char *y = lv_xml_rename(x, "guest-new-name");
    load(y);
    ck_xpath_eq("string(/domain/name)", "guest-new-name");
    ck_xpath_eq("count(/domain/name)", "1");
    ck_xpath_eq("string(/domain/maxMemory/@slots)", "32");
    free(y);
    free(x);
    x = lv_xml_dimm(262144, 1);
    load(x);
    ck_xpath_eq("string(/memory/@model)", "dimm");
    ck_xpath_eq("string(/memory/target/size)", "262144");
    ck_xpath_eq("string(/memory/target/size/@unit)", "KiB");
    ck_xpath_eq("string(/memory/target/node)", "1");
    free(x);
    x = lv_xml_dimm(1024, -1);
    load(x);
    ck_xpath_eq("count(/memory/target/node)", "0");
    free(x);
    x = lv_xml_nic(&nic_br);
    load(x);
    ck_xpath_eq("string(/interface/@type)", "bridge");
    ck_xpath_eq("string(/interface/source/@bridge)", "vtbr0");
    ck_xpath_eq("string(/interface/mac/@address)", "52:54:00:00:00:01");
    ck_xpath_eq("count(/interface/target)", "0");
    free(x);
    struct be_nic bad = { .mode = "bridge" };
    ck_assert_ptr_null(lv_xml_nic(&bad));
}
END_TEST

START_TEST(test_normalize_output_passes_libvirt_schema)
{
    struct be_vm_spec s = spec();
    char *x = lv_xml_build(&s), *y = lv_xml_normalize(x, "/res/n.log");
    ck_valid_domain(y);
    free(x);
    free(y);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virt_xml");
    TCase *b = tcase_create("build"), *n = tcase_create("normalize");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(b, NULL, teardown);
    tcase_add_checked_fixture(n, NULL, teardown);
    tcase_add_test(b, test_build_tcg_spec_gives_qemu_domain_type);
    tcase_add_test(b, test_build_agent_channel_only_when_asked_and_schema_valid);
    tcase_add_test(b, test_build_kvm_spec_gives_kvm_domain_with_host_model_cpu);
    tcase_add_test(b, test_build_disk_cache_defaults_to_none_and_keeps_explicit_mode);
    tcase_add_test(b, test_build_has_kvmclock_timer);
    tcase_add_test(b, test_build_gives_the_guest_a_virtio_rng_from_urandom);
    tcase_add_test(b, test_build_serial_console_appends_to_log_file);
    tcase_add_test(b, test_build_without_console_log_gives_pty_and_no_console_path);
    tcase_add_test(b, test_build_direct_kernel_boot_when_kernel_set);
    tcase_add_test(b, test_build_boots_from_disk_without_kernel);
    tcase_add_test(b, test_build_bridge_and_user_nics_without_tap_names);
    tcase_add_test(b, test_build_escapes_special_characters);
    tcase_add_test(b, test_build_rejects_spec_without_name_or_memory);
    tcase_add_test(b, test_build_rejects_bridge_nic_without_bridge);
    tcase_add_test(b, test_build_output_passes_libvirt_schema);
    tcase_add_test(b, test_build_numa_cells_numatune_and_vcpu_maximum);
    tcase_add_test(b, test_build_rejects_bad_vcpus_and_cells);
    tcase_add_test(b, test_build_memory_backing_on_hugepages);
    tcase_add_test(b, test_build_max_memory_dimm_nic_and_rename);
    tcase_add_test(n, test_normalize_turns_kvmclock_on_and_keeps_other_timers);
    tcase_add_test(n, test_normalize_adds_clock_when_missing);
    tcase_add_test(n, test_normalize_sets_cache_none_on_disks_only);
    tcase_add_test(n, test_normalize_points_serial_console_at_log_file);
    tcase_add_test(n, test_normalize_without_log_keeps_existing_serial);
    tcase_add_test(n, test_normalize_drops_fixed_tap_names_and_keeps_the_rest);
    tcase_add_test(n, test_normalize_rejects_garbage_and_non_domain_roots);
    tcase_add_test(n, test_normalize_is_idempotent);
    tcase_add_test(n, test_normalize_output_passes_libvirt_schema);
    tcase_add_test(n, test_xpath_reads_strings_and_node_lists_of_any_document);
    tcase_add_test(n, test_restore_as_takes_the_cases_name_disks_and_console_and_keeps_the_rest);
    suite_add_tcase(s, b);
    suite_add_tcase(s, n);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
