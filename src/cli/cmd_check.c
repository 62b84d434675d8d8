/* certpick check: placeholder until the check command lands (issue 2). */
#include <string.h>

#include "cli.h"

const char cmd_check_usage[] =
    "usage: certpick check [--trust FILE|DIR] [--at TIME] [--json] PATH...\n";

int
cmd_check(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		fputs(cmd_check_usage, stdout);
		return CLI_EXIT_OK;
	}
	fputs("certpick: error: check is not built yet\n", stderr);
	return CLI_EXIT_INTERNAL;
}
