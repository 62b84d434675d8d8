#!/bin/sh
# Runs every test suite and ends with one line: "N passed, N failed".
#   tests/run-all.sh [lint|unit|asan|asan-quick|integration|fuzz]...
#   (default: lint unit asan integration fuzz; asan runs the unit tests and
#   the whole integration suite against the ASan+UBSan binary with
#   LeakSanitizer on; asan-quick only the tests marked 'asan')
# Unit tests print TAP (cmocka); integration tests are pytest against real
# peers on loopback; the ASan+UBSan build runs the unit tests and the whole
# integration suite again; each fuzz target runs its corpus once.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=/usr/bin/python3
passed=0
failed=0
sections=${*:-lint unit asan integration fuzz}
log=$ROOT/build/test-logs
mkdir -p "$log"

count_tap() { # $1 = label, stdin = TAP
	p=0 f=0
	while IFS= read -r line; do
		case $line in
		"ok "*) p=$((p + 1)) ;;
		"not ok "*) f=$((f + 1)); echo "FAIL $1: $line" ;;
		esac
	done
	echo "$p $f" >"$log/.counts"
}

add_counts() {
	read -r p f <"$log/.counts"
	passed=$((passed + p))
	failed=$((failed + f))
	echo "  $p passed, $f failed"
}

run_unit() { # $1 = build dir
	up=0 uf=0
	for t in "$1"/tests/unit/*_test; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		if ! CERTPICK_TEST_DATA=$ROOT/tests/data CMOCKA_MESSAGE_OUTPUT=TAP \
			timeout 600 "$t" >"$log/$name.$(basename "$1").tap" 2>&1; then
			grep -q '^not ok' "$log/$name.$(basename "$1").tap" ||
				echo "not ok - $name crashed or timed out" >>"$log/$name.$(basename "$1").tap"
		fi
		count_tap "$name ($(basename "$1"))" <"$log/$name.$(basename "$1").tap"
		read -r p f <"$log/.counts"
		up=$((up + p))
		uf=$((uf + f))
	done
	echo "$up $uf" >"$log/.counts"
	add_counts
}

run_pytest() { # $1 = certpick binary, $2.. = pytest args
	bin=$1
	shift
	xml=$log/pytest-$(basename "$(dirname "$bin")").xml
	# valgrind runs certpick 20-50 times slower: the whole suite took 15 minutes on an idle
	# 2-core machine, over 50 on a busy one
	limit=3000
	[ "${CERTPICK_VALGRIND:-}" = 1 ] && limit=14400
	CERTPICK=$ROOT/$bin CERTPICK_ROOT=$ROOT timeout $limit $PY -m pytest -q -p no:cacheprovider \
		--junitxml="$xml" "$@" tests/integration >"$xml.log" 2>&1
	tail -n 15 "$xml.log" | grep -E '^(FAILED|ERROR)|passed|failed' | sed 's/^/  /'
	$PY - "$xml" >"$log/.counts" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
try:
    r = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1); sys.exit()
suites = [r] if r.tag == "testsuite" else list(r)
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
sk = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - sk, f)
PYEOF
	add_counts
}

for s in $sections; do
	t0=$(date +%s)
	case $s in
	lint)
		echo "== lint"
		tests/lint.sh >"$log/lint.log" 2>&1
		rc=$?
		cat "$log/lint.log" | sed 's/^/  /'
		if [ $rc -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
		;;
	unit)
		echo "== unit tests"
		run_unit build
		;;
	asan)
		echo "== unit tests under ASan+UBSan"
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_unit build-asan
		echo "== whole integration suite under ASan+UBSan (LeakSanitizer on)"
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_pytest build-asan/certpick
		;;
	asan-quick)
		echo "== integration tests marked 'asan' under ASan+UBSan"
		ASAN_OPTIONS=detect_leaks=1 run_pytest build-asan/certpick -m asan
		;;
	integration)
		echo "== integration tests (real peers on loopback)"
		run_pytest build/certpick
		;;
	fuzz)
		echo "== fuzz smoke (each target over its corpus)"
		fuzz/run.sh smoke >"$log/fuzz.log" 2>&1
		grep -E '^(ok|not ok)' "$log/fuzz.log" | count_tap fuzz
		grep -E '^not ok' "$log/fuzz.log" | sed 's/^/  /'
		add_counts
		;;
	*)
		echo "unknown section $s" >&2
		exit 2
		;;
	esac
	echo "  ($s: $(($(date +%s) - t0)) s)"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
