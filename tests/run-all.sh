#!/bin/sh
# Runs every test suite and ends with one line: "N passed, N failed".
#   tests/run-all.sh [lint|unit|asan|asan-quick|integration|fuzz]...
#   (default: lint unit asan integration fuzz; asan runs the unit tests and
#   the whole integration suite against the ASan+UBSan binary with
#   LeakSanitizer on; asan-quick only the tests marked 'asan')
# Unit tests print TAP (cmocka); integration tests are pytest against real
# peers on loopback; the ASan+UBSan build runs the unit tests and the whole
# integration suite again; each fuzz target runs its corpus once.
# A section that runs fewer tests than the tree defines fails: every runner of
# tests/unit/*_test.c must run its whole TAP plan, every test function of
# tests/integration/test_*.py must run (or be reported as skipped, with its
# reason), every fuzz/fuzz_*.c target must run.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=/usr/bin/python3
passed=0
failed=0
skipped=0
sections=${*:-lint unit asan integration fuzz}
log=$ROOT/build/test-logs
mkdir -p "$log"

count_tap() { # $1 = label, stdin = TAP; a plan (1..N) not run to the end is a failure
	p=0 f=0 plan=
	while IFS= read -r line; do
		case $line in
		"ok "*) p=$((p + 1)) ;;
		"not ok "*) f=$((f + 1)); echo "FAIL $1: $line" ;;
		1..*) plan=${line#1..} ;;
		esac
	done
	if [ -n "$plan" ] && [ $((p + f)) -lt "$plan" ]; then
		echo "FAIL $1: ran $((p + f)) of the $plan tests it planned"
		f=$((f + plan - p - f))
	fi
	echo "$p $f 0" >"$log/.counts"
}

add_counts() {
	read -r p f sk <"$log/.counts"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + sk))
	echo "  $p passed, $f failed, $sk skipped"
}

run_unit() { # $1 = build dir; every tests/unit/*_test.c must have a runner that runs
	up=0 uf=0
	for src in tests/unit/*_test.c; do
		name=$(basename "$src" .c)
		t=$1/tests/unit/$name
		tap=$log/$name.$(basename "$1").tap
		if [ ! -x "$t" ]; then
			echo "FAIL $name ($(basename "$1")): not built (is libcmocka-dev installed? $1 needs -Dtests=enabled)"
			uf=$((uf + 1))
			continue
		fi
		if ! CERTPICK_TEST_DATA=$ROOT/tests/data CMOCKA_MESSAGE_OUTPUT=TAP \
			timeout 600 "$t" >"$tap" 2>&1; then
			grep -q '^not ok' "$tap" || echo "not ok - $name crashed or timed out" >>"$tap"
		fi
		grep -qE '^(not )?ok ' "$tap" || echo "not ok - $name ran no test" >>"$tap"
		count_tap "$name ($(basename "$1"))" <"$tap"
		read -r p f _ <"$log/.counts"
		up=$((up + p))
		uf=$((uf + f))
	done
	echo "$up $uf 0" >"$log/.counts"
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
	# with -m (a subset), only what ran is counted; otherwise every test function must run
	whole=yes
	case " $* " in *" -m "*) whole=no ;; esac
	$PY tests/pytest_counts.py "$xml" tests/integration "$whole" >"$log/.counts" 2>"$xml.missing"
	sed 's/^/  /' "$xml.missing"
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
		echo "  $((1 - (rc != 0))) passed, $((rc != 0)) failed, 0 skipped"
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
		{
			echo "1..$(ls fuzz/fuzz_*.c | wc -l)"
			grep -E '^(ok|not ok)' "$log/fuzz.log"
		} | count_tap fuzz
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
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
