/*
 * The one home of reading a local input file (see certpick/file.h): open
 * without blocking, refuse what is not a regular file before reading, cap
 * the size, read it whole. Other modules never open input files themselves.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certpick/file.h"
#include "internal.h"

static size_t
cap_of(size_t max)
{
	return max != 0 ? max : CERTPICK_FILE_MAX;
}

static const char *
kind_of(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISDIR(m))
		return "a folder";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

static int
too_large(const char *path, size_t max, struct certpick_error *err)
{
	cp_error_set(err, CERTPICK_ERR_IO, "cannot read '%s'", path);
	if (max % (1u << 20) == 0)
		cp_error_detail(err, "larger than %zu MiB", max >> 20);
	else
		cp_error_detail(err, "larger than %zu bytes", max);
	return -1;
}

/*
 * Open path for reading without blocking (a FIFO without a writer would
 * block in open), and check it is a regular file of at most max bytes.
 * Returns the descriptor, blocking again, or -1 with err set.
 */
static int
open_regular(const char *path, size_t max, struct stat *st, struct certpick_error *err)
{
	int fd, flags;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
		cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot open '%s'", path);
		return -1;
	}
	if (fstat(fd, st) != 0) {
		cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot read '%s'", path);
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		cp_error_set(err, CERTPICK_ERR_IO, "cannot read '%s'", path);
		cp_error_detail(err, "%s, not a regular file", kind_of(st->st_mode));
		goto fail;
	}
	if ((uintmax_t)st->st_size > (uintmax_t)max) {
		too_large(path, max, err);
		goto fail;
	}
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot read '%s'", path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Read fd to its end into a buffer grown as needed, refusing more than max
 * bytes. hint is the expected size (0 when unknown).
 */
static int
read_all(int fd, const char *name, size_t max, size_t hint, uint8_t **data, size_t *len,
    struct certpick_error *err)
{
	uint8_t *buf = NULL, *g;
	size_t n = 0, cap = 0;
	ssize_t got;
	int ret = -1;

	for (;;) {
		if (n == cap) {
			size_t want = cap == 0 ? (hint > 0 ? hint + 1 : 65536) : cap * 2;

			if (want > max + 1)
				want = max + 1;
			if (n == want) {
				too_large(name, max, err);
				goto out;
			}
			if ((g = cp_malloc(want + 1)) == NULL) {
				cp_error_nomem(err);
				goto out;
			}
			if (n > 0)
				memcpy(g, buf, n);
			cp_freezero(buf, cap + 1);
			buf = g;
			cap = want;
		}
		if ((got = read(fd, buf + n, cap - n)) < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot read '%s'", name);
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		too_large(name, max, err);
		goto out;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
	ret = 0;
out:
	cp_freezero(buf, buf != NULL ? cap + 1 : 0);
	return ret;
}

/* see certpick/file.h */
int
certpick_file_read(const char *path, size_t max, void **data, size_t *len,
    struct certpick_error *err)
{
	struct certpick_error local;
	struct stat st;
	uint8_t *buf = NULL;
	int fd, ret;

	if (err == NULL)
		err = &local;
	*data = NULL;
	*len = 0;
	if (path == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	max = cap_of(max);
	if ((fd = open_regular(path, max, &st, err)) < 0)
		return -1;
	ret = read_all(fd, path, max, (size_t)st.st_size, &buf, len, err);
	close(fd);
	*data = buf;
	return ret;
}

/* see certpick/file.h */
int
certpick_file_read_fd(int fd, const char *name, size_t max, void **data, size_t *len,
    struct certpick_error *err)
{
	struct certpick_error local;
	uint8_t *buf = NULL;
	int ret;

	if (err == NULL)
		err = &local;
	*data = NULL;
	*len = 0;
	if (fd < 0 || name == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	ret = read_all(fd, name, cap_of(max), 0, &buf, len, err);
	*data = buf;
	return ret;
}

/* see certpick/file.h */
int
certpick_file_check(const char *path, size_t max, struct certpick_error *err)
{
	struct stat st;
	int fd;

	if (path == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	if ((fd = open_regular(path, cap_of(max), &st, err)) < 0)
		return -1;
	close(fd);
	return 0;
}

/* see certpick/file.h */
void
certpick_file_free(void *data, size_t len)
{
	cp_freezero(data, data != NULL ? len + 1 : 0);
}

/* see internal.h */
int
cp_read_file(const char *path, uint8_t **data, size_t *len, struct certpick_error *err)
{
	void *p = NULL;
	int ret = certpick_file_read(path, CERTPICK_FILE_MAX, &p, len, err);

	*data = p;
	return ret;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* see internal.h */
void
cp_dir_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* see internal.h */
int
cp_dir_names(const char *dir, char ***out, size_t *n, struct certpick_error *err)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t cap = 0, count = 0;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot open folder '%s'",
		    dir);
	while ((de = readdir(d)) != NULL) {
		char **slot;

		if (de->d_name[0] == '.')
			continue;
		if ((slot = cp_array_push_cap(&names, &count, &cap, sizeof(*slot))) == NULL) {
			cp_error_nomem(err);
			goto out;
		}
		if ((*slot = cp_strdup(de->d_name)) == NULL) {
			count--;
			cp_error_nomem(err);
			goto out;
		}
	}
	if (count > 0)
		qsort(names, count, sizeof(*names), cmp_str);
	*out = names;
	*n = count;
	names = NULL;
	count = 0;
	ret = 0;
out:
	cp_dir_names_free(names, count);
	closedir(d);
	return ret;
}
