#!/bin/sh
# Source rules a compiler does not enforce (docs/design.md, "Conventions").
set -u
cd "$(dirname "$0")/.."
rc=0
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|strtok|X509_NAME_oneline)[[:space:]]*\('
if grep -nE "$banned" src/lib/*.c src/cli/*.c; then
	echo "lint: banned function in src/ (use snprintf, strtol, ...)"
	rc=1
fi
# the library never prints, exits or reads the environment
libbanned='\b(printf|fprintf|puts|fputs|putchar|exit|abort|getenv|secure_getenv|isatty|perror)[[:space:]]*\('
if grep -nE "$libbanned" src/lib/*.c | grep -v 'snprintf\|vsnprintf\|BIO_printf\|dprintf_never'; then
	echo "lint: src/lib must not print, exit or read the environment"
	rc=1
fi
# one home: the array-length macro (CP_NELEM in src/lib, CLI_NELEM in src/cli), and comments
# point inside the tree or at public sources (docs/design.md), never at a reference left outside
if grep -nE 'sizeof\(([A-Za-z_][A-Za-z0-9_]*)\) / sizeof\(\1\[0\]\)' src/*/*.c src/*/*.h include/certpick/*.h |
	grep -v 'define CP_NELEM\|define CLI_NELEM'; then
	echo "lint: use CP_NELEM (src/lib) or CLI_NELEM (src/cli)"
	rc=1
fi
if grep -nE '\b(DESIGN|STYLE|peers|client-selection|select-audit|select-profiles)\.md|/work/|/home/' \
	src/*/*.c src/*/*.h include/certpick/*.h; then
	echo "lint: a comment points outside the tree (docs/design.md or a public source instead)"
	rc=1
fi
# the library's modules depend on each other without a cycle (the graph: tests/include_cycles.py)
/usr/bin/python3 tests/include_cycles.py || rc=1
# every program, module and file the tests use is installed by scripts/deps.sh
/usr/bin/python3 tests/deps_lint.py || rc=1
case $(/usr/bin/python3 tests/deps_lint.py --without time) in
*"package 'time'"*) ;;
*)
	echo "lint: tests/deps_lint.py did not notice a package taken out of scripts/deps.sh"
	rc=1
	;;
esac
# layout (.clang-format): the tree is formatted; every change keeps it so.
# Hand-laid data tables are skipped (clang-format would put one element a line).
format_skip='src/lib/profiles.c include/certpick/reason.h'
if [ -z "${CERTPICK_NO_FORMAT_CHECK:-}" ]; then
	if ! command -v clang-format >/dev/null 2>&1; then
		echo "lint: clang-format is missing (scripts/deps.sh check installs it)"
		rc=1
	else
		files=$(find src include tests/unit fuzz bench -name '*.[ch]' | sort)
		for f in $format_skip; do
			files=$(printf '%s\n' $files | grep -v -x "$f")
		done
		# shellcheck disable=SC2086
		if ! clang-format --dry-run --Werror $files; then
			echo "lint: layout differs from .clang-format (clang-format -i FILE fixes it)"
			rc=1
		fi
	fi
fi
[ $rc -eq 0 ] && echo "lint: ok"
exit $rc
