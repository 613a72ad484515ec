# Convert a test written against the old helper headers (tests/cfgtest.h,
# e2e_util.h eu_*, res_util.h ru_*, be_guest.h tg_*, sshd.h tsshd_*) to tests/support.h:
#     sed -i -f tools/ts-rename.sed tests/unit/test_new.c
# The whole file is read first so the cfg DSL's short names (expand, val, write_file,
# R, ...) are renamed only in files that included tests/cfgtest.h.
:a
N
$!ba

# the cfg DSL, only where tests/cfgtest.h was included
/#include "tests\/cfgtest\.h"/{
s/\bstruct result\b/struct ts_cases/g
s/\bR\./ts_cases./g
s/\bSTAGE_\(NONE\|PARSE\|EXPAND\)\b/TS_STAGE_\1/g
s/\btmpdir\b/ts_cfg_dir/g
s/\b\(tmp_setup\|tmp_teardown\|result_reset\|expand_with\|expand_stmts\|expand_defaults\|expand\|no_error\|expect_names\|expect_no_cases\|expect_val\|expect_absent\|expect_parse_error\|expect_expand_error\|expect_error_mentions\|expect_error\|expect_dump\|val\)(/ts_\1(/g
s/\b\(tmp_setup\|tmp_teardown\)\b/ts_\1/g
s/\bwrite_file(/ts_write(/g
}

# include lines: the first old one becomes support.h, the others go; the sshd fixture
# is its own part (tests/support_sshd.h, which the benchmarks include alone)
s/tests\/sshd\.h/tests\/support_sshd.h/g
s/#include "tests\/\(cfgtest\|e2e_util\|res_util\|be_guest\)\.h"/#include "tests\/@TS_SUPPORT@"/
s/\n#include "tests\/\(cfgtest\|e2e_util\|res_util\|be_guest\|support\)\.h"//g
s/@TS_SUPPORT@/support.h/
s/tests\/\(cfgtest\|e2e_util\|res_util\|be_guest\)\.h/tests\/support.h/g
# be_guest.h gave its tests the socket headers support.h keeps out (see there)
s/\(#include "tests\/support\.h"\)\(\n\(.*\n\)*.*\bstruct sockaddr_in\b\)/\1\n#include <netinet\/in.h>\n#include <sys\/socket.h>\2/

# e2e_util.h
s/\bstruct eu\b/struct ts_e2e/g
s/\bEU_ARGS\b/TS_ARGS/g
s/\beu_\(init\|free\|argv\|run\|vtrun\|start\|wait_log\|wait\)\b/ts_e2e_\1/g
s/\beu_bin\b/ts_vtrun_bin/g
s/\beu_write\b/ts_write/g
s/\beu_collect\b/ts_e2e_collect/g
s/\beu_\([a-z_0-9]*\)\b/ts_\1/g

# res_util.h
s/\bru_tmpdir()/ts_tmpdir("res")/g
s/\bru_run\b/ts_run_files/g
s/\bru_\([a-z_0-9]*\)\b/ts_\1/g

# be_guest.h
s/\btg_mkdtemp\b/ts_tmpdir/g
s/\btg_\([a-z_0-9]*\)\b/ts_\1/g

# sshd.h
s/\bstruct tsshd\b/struct ts_sshd/g
s/\btsshd_\([a-z_0-9]*\)\b/ts_sshd_\1/g
s/\bTSSHD_/TS_SSHD_/g
