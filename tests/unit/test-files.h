/* Reading a fixture file whole, for the unit tests (cmocka asserts on failure). */
#ifndef BRINK_TEST_FILES_H
#define BRINK_TEST_FILES_H

#include <stdio.h>
#include <stdlib.h>

/* The file at path in a malloc'd buffer (one spare byte), its size in *len. */
static inline void *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#endif
