# vtrun — a virtualization test runner.  SPDX-License-Identifier: GPL-2.0-or-later
#
#   make              build ./vtrun (build/vtrun, the lean front, and build/vtrun-full)
#   make check        build and run every test (unit, CLI, end-to-end on the local lab)
#   make check SANITIZE=1   the same under ASan+UBSan (separate build directory)
#   make install      install vtrun, vtrun-full and the man page (PREFIX, DESTDIR)
#   make bench        build the benchmark drivers (bench/*.sh run them)
#   make deps         install the Debian packages listed in deps/debian.txt, and
#                     gitlab-ci-local (npm) into tools/gitlab-ci-local
#   make conformance  compare `vtrun cfg-dump` and test names with ../shared/corpus
#                     (when present), and --shard, --explain and --dry-run on its
#                     compositions
#   make fuzz         build the libFuzzer harness (clang)
#   make demo         the main job: a slice of examples/migrate_stress.cfg on the lab
#
# BUILD=dir puts objects elsewhere (parallel work trees, sanitizer builds).
BUILD    ?= build
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD    := $(BUILD)-san
endif

CC       ?= cc
# zlib: only the tests use it (the HTML test reads the PNG chromium writes); sqlite3:
# the history (results/res_hist.c), vtrun-full's only (the front links FRONTLIBS)
PKGS     := libvirt libvirt-qemu libconfig libxml-2.0 libssh check libpcre2-8 jansson zlib \
            sqlite3
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread -lm
ifeq ($(SANITIZE),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

SRCDIRS  := lib cfg virt migration backends results runner
MAINS    := runner/main.c runner/main_full.c
LIBSRCS  := $(filter-out $(MAINS),$(wildcard $(addsuffix /*.c,$(SRCDIRS))))
LIBOBJS  := $(LIBSRCS:%.c=$(BUILD)/%.o)
# Two binaries, like git and its helpers (runner/run_main.h).  build/vtrun, the front,
# is only the config engine and the command line: it links PCRE2 and libc, nothing
# else, so listing a config does not pay ~10 ms and ~14 MiB for loading libvirt & co.
# It execs build/vtrun-full, which links everything, for jobs and the sub-commands
# that need it.  --as-needed keeps libraries no object uses (check) out of both.
FRONTSRCS := $(wildcard lib/*.c cfg/*.c) runner/run_main.c runner/run_opts.c \
             runner/run_list.c runner/run_cfgdump.c runner/run_name.c runner/run_shard.c
FRONTOBJS := $(BUILD)/runner/main.o $(FRONTSRCS:%.c=$(BUILD)/%.o)
FRONTLIBS := $(shell pkg-config --libs libpcre2-8 2>/dev/null) -lpthread -lm
LIBA     := $(BUILD)/libvtrun.a
TESTSRCS := $(wildcard tests/unit/*.c tests/e2e/*.c)
TESTBINS := $(TESTSRCS:%.c=$(BUILD)/%)
TESTHELP := $(wildcard tests/*.h)

.PHONY: all check tests deps conformance fuzz clean lab-up lab-down lab-status demo \
        install uninstall bench
all: $(BUILD)/vtrun $(BUILD)/vtrun-full
ifeq ($(BUILD),build)
all: vtrun
vtrun: $(BUILD)/vtrun
	ln -sf $< $@
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIBOBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vtrun: $(FRONTOBJS)
	$(CC) $(LDFLAGS) -Wl,--as-needed -o $@ $^ $(FRONTLIBS)

$(BUILD)/vtrun-full: $(BUILD)/runner/main_full.o $(LIBA)
	$(CC) $(LDFLAGS) -Wl,--as-needed -o $@ $^ $(LDLIBS)

# The test support library (tests/support.h): one object linked into every test.
TESTSUP  := $(BUILD)/tests/support.o
# -MMD: the object and every test depend on the headers they include (a test built
# against an older struct layout reads garbage: seen with run_settings).
$(TESTSUP): tests/support.c $(TESTHELP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(TESTSUP) $(LIBA) $(TESTHELP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(TESTSUP) $(LIBA) $(LDLIBS)

tests: all $(TESTBINS)

# Both binaries go to the same directory: the front finds vtrun-full beside itself
# (/proc/self/exe), wherever that is.  DESTDIR stages a package's tree.
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/vtrun $(BUILD)/vtrun-full $(DESTDIR)$(BINDIR)/
	install -m 644 docs/vtrun.1 $(DESTDIR)$(MANDIR)/man1/vtrun.1
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vtrun $(DESTDIR)$(BINDIR)/vtrun-full \
	      $(DESTDIR)$(MANDIR)/man1/vtrun.1

# Every benchmark driver (bench/*.c), linked as the tests are, so none can rot out of
# the build; the bench/*.sh scripts run them from $(BUILD)/bench/, tools/bench-smoke
# runs every script once in its quick mode (CI).
BENCHBINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
bench: $(BENCHBINS)
$(BUILD)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

# The test command of the README.  tests/run runs every test binary (unit first, then
# the end-to-end ones on a lab it starts and always stops) and prints a total.
check: tests
	VTRUN=$(abspath $(BUILD)/vtrun) tests/run $(BUILD)

deps:
	@tools/deps-install deps/debian.txt
	@tools/gitlab-ci-local/install

conformance: all
	@if [ -x ../shared/tools/cfg-conformance ]; then \
	    ../shared/tools/cfg-conformance $(BUILD)/vtrun && \
	    tests/shard-corpus $(abspath $(BUILD)/vtrun) $(abspath ../shared/corpus) && \
	    tests/explain-corpus $(abspath $(BUILD)/vtrun) $(abspath ../shared/corpus) && \
	    tests/names-corpus $(abspath $(BUILD)/vtrun) $(abspath ../shared/corpus) && \
	    tests/porting-corpus $(abspath $(BUILD)/vtrun) $(abspath ../shared/corpus); \
	else echo "conformance: ../shared not present, nothing to compare"; fi

# The harness links the engine's sources directly (not libvtrun.a, which is built
# without the fuzzer's instrumentation); tests/fuzz/run SECONDS runs it.
FUZZ_SRCS := $(wildcard cfg/*.c lib/*.c)
fuzz: $(BUILD)/fuzz-cfg $(BUILD)/fuzz-act
$(BUILD)/fuzz-cfg: tests/fuzz/fuzz_cfg.c $(FUZZ_SRCS) $(wildcard cfg/*.h lib/*.h)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -pthread -fsanitize=fuzzer,address,undefined \
	    $(shell pkg-config --cflags libpcre2-8) -o $@ $(filter %.c,$^) \
	    $(shell pkg-config --libs libpcre2-8) -lm
# the actions of tp-libvirt configs (action_during_mig): lib/pylit + migration/mig_act
$(BUILD)/fuzz-act: tests/fuzz/fuzz_act.c lib/pylit.c lib/params.c lib/strbuf.c lib/err.c \
                   migration/mig_act.c $(wildcard lib/*.h) migration/mig_act.h
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
	    -o $@ $(filter %.c,$^) -lm

# The README's main job: a slice of the migration stress matrix on the local lab.  Two
# cases, both migration orders and both copy modes (orderly precopy: one VM after the
# other; simultaneous postcopy: both at once), each with stress in the guests and the
# guest administration after the last hop; simultaneous precopy, the third case it
# had, ran no code these two do not.  DEMO_ONLY=... runs another slice.
DEMO_CONFIG ?= examples/migrate_stress.cfg
DEMO_ONLY   ?= set_vcpu_1 stress_tool_in_vms.stress.memory_stress orderly_migration..precopy,simultaneous_migration..postcopy
demo: all
	tools/demo $(DEMO_CONFIG) "$(DEMO_ONLY)"

lab-up: all
	tests/lab/lab up
lab-down:
	tests/lab/lab down
lab-status:
	tests/lab/lab status || true

clean:
	rm -rf $(BUILD) $(BUILD)-san vtrun

-include $(LIBOBJS:.o=.d) $(MAINS:%.c=$(BUILD)/%.d) $(TESTSUP:.o=.d) $(TESTBINS:=.d)
