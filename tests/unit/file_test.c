/* file.c: the one reader of local input files (F15): no blocking open, regular files only, caps. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "internal.h"

static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *path = cp_asprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
assert_refused(int rc, const struct certpick_error *err, const char *msg, const char *detail)
{
	assert_int_equal(rc, -1);
	assert_int_equal(err->code, CERTPICK_ERR_IO);
	if (strstr(err->message, msg) == NULL || strstr(err->detail, detail) == NULL)
		fail_msg("'%s: %s' lacks '%s' / '%s'", err->message, err->detail, msg, detail);
}

/* A regular file is read whole and NUL-terminated; a larger one than the cap is refused. */
static void
regular_files(void **state)
{
	struct certpick_error err = { 0 };
	char *dir = tu_tmpdir(), *path = write_file(dir, "a.pem", "0123456789");
	void *data;
	size_t len;

	(void)state;
	assert_ok(certpick_file_read(path, 0, &data, &len, &err), &err);
	assert_int_equal(len, 10);
	assert_string_equal(data, "0123456789");
	certpick_file_free(data, len);
	assert_ok(certpick_file_read(path, 10, &data, &len, &err), &err);
	certpick_file_free(data, len);
	assert_refused(certpick_file_read(path, 9, &data, &len, &err), &err, "cannot read '",
	    "larger than 9 bytes");
	assert_null(data);
	assert_ok(certpick_file_check(path, 0, &err), &err);
	assert_refused(certpick_file_check(path, 9, &err), &err, "a.pem", "larger than 9 bytes");
	free(path);
	path = cp_asprintf("%s/missing", dir);
	assert_int_equal(certpick_file_read(path, 0, &data, &len, &err), -1);
	assert_non_null(strstr(err.message, "cannot open '"));
	assert_int_equal(certpick_file_read(NULL, 0, &data, &len, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	certpick_file_free(NULL, 0);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

/*
 * A FIFO without a writer (open would block), a device and a folder are
 * refused before any read, naming the file and what it is.
 */
static void
not_regular_files(void **state)
{
	struct certpick_error err = { 0 };
	char *dir = tu_tmpdir(), *fifo = cp_asprintf("%s/fifo.pem", dir);
	void *data;
	size_t len;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_refused(certpick_file_read(fifo, 0, &data, &len, &err), &err, "fifo.pem",
	    "a FIFO, not a regular file");
	assert_refused(certpick_file_check(fifo, 0, &err), &err, "fifo.pem", "a FIFO");
	assert_refused(certpick_file_read("/dev/zero", 0, &data, &len, &err), &err,
	    "cannot read '/dev/zero'", "a device, not a regular file");
	assert_refused(certpick_file_read(dir, 0, &data, &len, &err), &err, "cannot read '",
	    "a folder, not a regular file");
	free(fifo);
	tu_rmtree(dir);
	free(dir);
}

/* Standard input may be a pipe: read to its end, but never more than the cap. */
static void
descriptors(void **state)
{
	struct certpick_error err = { 0 };
	int p[2];
	void *data;
	size_t len;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "host1\nhost2\n", 12), 12);
	close(p[1]);
	assert_ok(certpick_file_read_fd(p[0], "standard input", 0, &data, &len, &err), &err);
	assert_int_equal(len, 12);
	certpick_file_free(data, len);
	close(p[0]);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	assert_refused(certpick_file_read_fd(p[0], "standard input", 9, &data, &len, &err), &err,
	    "cannot read 'standard input'", "larger than 9 bytes");
	close(p[0]);
	/* /dev/zero never ends: the cap ends it */
	p[0] = open("/dev/zero", O_RDONLY);
	assert_refused(certpick_file_read_fd(p[0], "zero", 1 << 20, &data, &len, &err), &err,
	    "cannot read 'zero'", "larger than 1 MiB");
	close(p[0]);
	assert_int_equal(certpick_file_read_fd(-1, "x", 0, &data, &len, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
}

/* Allocation failure is an error, never a short read taken for the end of the file. */
static void
allocation_failure(void **state)
{
	struct certpick_error err = { 0 };
	int p[2];
	void *data;
	size_t len;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "host1\n", 6), 6);
	close(p[1]);
	cp_mem_fail_after(1);
	assert_int_equal(certpick_file_read_fd(p[0], "standard input", 0, &data, &len, &err), -1);
	cp_mem_fail_after(0);
	assert_int_equal(err.code, CERTPICK_ERR_NOMEM);
	close(p[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(regular_files),
		cmocka_unit_test(not_regular_files),
		cmocka_unit_test(descriptors),
		cmocka_unit_test(allocation_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
