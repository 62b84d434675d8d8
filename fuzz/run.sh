#!/bin/sh
# fuzz/run.sh smoke   each target over its seed corpus once (make check)
# fuzz/run.sh long    each target for FUZZ_SECONDS (make fuzz); new inputs kept
set -u
cd "$(dirname "$0")/.."
mode=${1:-smoke}
rc=0
for bin in build-fuzz/fuzz/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	t=$(basename "$bin")
	name=${t#fuzz_}
	corpus=fuzz/corpus/$name
	mkdir -p "$corpus"
	if [ "$mode" = smoke ]; then
		# every seed once, plus 2000 mutated inputs; new inputs go to a
		# scratch folder (the first one named), never into the repository
		scratch=$(mktemp -d)
		if timeout 300 "$bin" -runs=2000 -max_len=65536 -rss_limit_mb=1024 \
			"$scratch" "$corpus" >"build-fuzz/$t.log" 2>&1; then
			echo "ok - $t"
		else
			echo "not ok - $t (see build-fuzz/$t.log)"
			tail -n 20 "build-fuzz/$t.log"
			rc=1
		fi
		rm -rf "$scratch"
	else
		tmp=$(mktemp -d)
		timeout $((${FUZZ_SECONDS:-600} + 60)) "$bin" -max_total_time="${FUZZ_SECONDS:-600}" \
			-max_len=131072 -rss_limit_mb=2048 -print_final_stats=1 "$tmp" "$corpus" \
			>"build-fuzz/$t.long.log" 2>&1 || rc=1
		"$bin" -merge=1 "$corpus" "$tmp" >/dev/null 2>&1
		rm -rf "$tmp"
		echo "$t: $(grep -E 'stat::number_of_executed_units' "build-fuzz/$t.long.log")"
	fi
done
exit $rc
