/* ANSI colours, only on a TTY and only without NO_COLOR (https://no-color.org). */
#include "cli.h"

static const char *
sgr(const char *code)
{
	return cli_g.color ? code : "";
}

const char *
cli_c_bold(void)
{
	return sgr("\033[1m");
}
const char *
cli_c_red(void)
{
	return sgr("\033[31m");
}
const char *
cli_c_yellow(void)
{
	return sgr("\033[33m");
}
const char *
cli_c_green(void)
{
	return sgr("\033[32m");
}
const char *
cli_c_dim(void)
{
	return sgr("\033[2m");
}
const char *
cli_c_reset(void)
{
	return sgr("\033[0m");
}

const char *
cli_c_severity(enum certpick_severity s)
{
	switch (s) {
	case CERTPICK_SEV_ERROR: return cli_c_red();
	case CERTPICK_SEV_WARNING: return cli_c_yellow();
	case CERTPICK_SEV_INFO: return cli_c_dim();
	}
	return "";
}
