/*
 * Passwords and PINs: from an environment variable, a file, or a prompt on
 * the TTY with echo off; never from argv. Wiped after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"

#define PASSWORD_FILE_MAX ((size_t)1 << 20)

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* The limit of a password or PIN, the same from a file as from the environment. */
static int
too_long(const char *where, struct certpick_error *err)
{
	err->code = CERTPICK_ERR_USAGE;
	snprintf(err->message, sizeof(err->message), "password in '%s' is too long", where);
	err->detail[0] = '\0';
	return -1;
}

/* The first line of the file (the read buffer is wiped); larger files are refused. */
static int
read_file(struct cli_password *p, struct certpick_error *err)
{
	void *data = NULL;
	size_t len = 0, n;
	int ret = -1;

	if (certpick_file_read(p->file, PASSWORD_FILE_MAX, &data, &len, err) != 0)
		goto out;
	/* only the first line is the password */
	n = strcspn(data, "\n");
	if (n >= sizeof(p->buf)) {
		too_long(p->file, err);
		goto out;
	}
	memcpy(p->buf, data, n);
	p->buf[n] = '\0';
	chomp(p->buf);
	ret = 0;
out:
	certpick_file_free(data, len);
	return ret;
}

int
cli_password_resolve(struct cli_password *p, struct certpick_error *err)
{
	const char *v;

	if (p->env != NULL && p->file != NULL) { /* which one was meant? */
		err->code = CERTPICK_ERR_USAGE;
		snprintf(err->message, sizeof(err->message),
		    "a password is given twice, in variable '%s' and in file '%s': give one",
		    p->env, p->file);
		err->detail[0] = '\0';
		return -1;
	}
	if (p->env != NULL) {
		if ((v = getenv(p->env)) == NULL) {
			err->code = CERTPICK_ERR_USAGE;
			snprintf(err->message, sizeof(err->message),
			    "environment variable '%s' is not set", p->env);
			err->detail[0] = '\0';
			return -1;
		}
		if (strlen(v) >= sizeof(p->buf))
			return too_long(p->env, err);
		memcpy(p->buf, v, strlen(v) + 1);
		p->have = true;
	} else if (p->file != NULL) {
		if (read_file(p, err) != 0)
			return -1;
		p->have = true;
	}
	return 0;
}

int
cli_password_prompt(void *arg, const char *what, char *buf, size_t size)
{
	struct termios old, noecho;
	int fd, ret = -1;
	ssize_t n;
	size_t len = 0;

	(void)arg;
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || size == 0)
		goto out;
	if (tcgetattr(fd, &old) != 0)
		goto out;
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	dprintf(fd, "password for %s: ", what);
	tcsetattr(fd, TCSAFLUSH, &noecho);
	while (len + 1 < size && (n = read(fd, buf + len, 1)) == 1 && buf[len] != '\n')
		len++;
	buf[len] = '\0';
	tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");
	ret = (int)len;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

void
cli_password_wipe(struct cli_password *p)
{
	OPENSSL_cleanse(p->buf, sizeof(p->buf));
	p->have = false;
}
