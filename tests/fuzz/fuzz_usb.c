/* libFuzzer harness for the sysfs attribute parser and the device-name check
 * (src/runtime/usb.c).
 *
 * Input: byte 0 picks the attribute kind, byte 1 the output size (0-63), the
 * rest is the attribute file's contents. A parse that succeeds must give
 * what the kind promises; one that fails must leave "" and touch nothing past
 * out's size. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/usb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool all(const char *s, int (*ok)(int c))
{
	for (; *s; s++)
		if (!ok((unsigned char)*s))
			return false;
	return true;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_lower_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static int is_print(int c)
{
	return c >= 0x20 && c < 0x7f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	enum brink_usb_attr kind = (enum brink_usb_attr)(data[0] % 3);
	size_t outlen = data[1] % 64;
	const char *buf = (const char *)data + 2;
	size_t len = size - 2;
	char *out = malloc(outlen ? outlen : 1); /* exact size: ASan sees overruns */
	enum brink_usb_status st = brink_usb_attr_parse(kind, buf, len, out, outlen);
	if (outlen == 0) {
		check(st == BRINK_USB_TOO_LONG);
	} else if (st == BRINK_USB_OK) {
		size_t n = strnlen(out, outlen);
		check(n < outlen && n > 0);
		if (kind == BRINK_USB_NUM)
			check(n <= 3 && all(out, is_digit) && (n == 1 || out[0] != '0'));
		else if (kind == BRINK_USB_HEX4)
			check(n == 4 && all(out, is_lower_hex));
		else
			check(all(out, is_print) && out[0] != ' ' && out[n - 1] != ' ');
	} else {
		check(out[0] == '\0');
	}
	free(out);
	char name[64];
	size_t n = len < sizeof(name) - 1 ? len : sizeof(name) - 1;
	memcpy(name, buf, n);
	name[n] = '\0';
	if (brink_usb_name_is_device(name))
		check(strchr(name, '/') == NULL && strstr(name, "..") == NULL &&
		      strchr(name, ':') == NULL && strlen(name) < 32);
	return 0;
}
