#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brink/log.h"
#include "runtime/usb.h"

#define ATTR_MAX 256 /* sysfs attributes are short; longer ones are refused */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static enum brink_usb_status parse_num(const char *p, size_t n, char *out, size_t outlen)
{
	if (n > 3 || n + 1 > outlen)
		return BRINK_USB_TOO_LONG;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return BRINK_USB_BAD;
	size_t skip = 0; /* "005" -> "5" as the kernel gives busnum */
	while (skip + 1 < n && p[skip] == '0')
		skip++;
	memcpy(out, p + skip, n - skip);
	out[n - skip] = '\0';
	return BRINK_USB_OK;
}

static int hex_lower(char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
		return c;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 'a';
	return -1;
}

static enum brink_usb_status parse_hex4(const char *p, size_t n, char *out, size_t outlen)
{
	if (n > 4 || outlen < 5)
		return BRINK_USB_TOO_LONG;
	if (n < 4)
		return BRINK_USB_BAD;
	char tmp[5];
	for (size_t i = 0; i < 4; i++) {
		int c = hex_lower(p[i]);
		if (c < 0)
			return BRINK_USB_BAD;
		tmp[i] = (char)c;
	}
	memcpy(out, tmp, 4);
	out[4] = '\0';
	return BRINK_USB_OK;
}

static enum brink_usb_status parse_text(const char *p, size_t n, char *out, size_t outlen)
{
	if (n + 1 > outlen)
		return BRINK_USB_TOO_LONG;
	for (size_t i = 0; i < n; i++)
		out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	out[n] = '\0';
	return BRINK_USB_OK;
}

enum brink_usb_status brink_usb_attr_parse(enum brink_usb_attr kind, const char *buf, size_t len,
					   char *out, size_t outlen)
{
	enum brink_usb_status st = BRINK_USB_BAD;
	if (outlen == 0)
		return BRINK_USB_TOO_LONG;
	out[0] = '\0';
	if (len > ATTR_MAX)
		return BRINK_USB_TOO_LONG;
	while (len && is_space(buf[len - 1]))
		len--;
	while (len && is_space(buf[0]))
		buf++, len--;
	if (len == 0)
		return BRINK_USB_EMPTY;
	switch (kind) {
	case BRINK_USB_NUM:
		st = parse_num(buf, len, out, outlen);
		break;
	case BRINK_USB_HEX4:
		st = parse_hex4(buf, len, out, outlen);
		break;
	case BRINK_USB_TEXT:
		st = parse_text(buf, len, out, outlen);
		break;
	}
	if (st != BRINK_USB_OK)
		out[0] = '\0';
	return st;
}

bool brink_usb_name_is_device(const char *name)
{
	const char *p = name;
	size_t digits = 0;
	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (digits == 0 || *p++ != '-' || strlen(name) >= 32)
		return false;
	bool need_digit = true;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			need_digit = false;
		else if (*p == '.' && !need_digit)
			need_digit = true;
		else
			return false;
	}
	return !need_digit;
}

/* Reads root/name/attr into out; -1 when absent or malformed. */
static int read_attr(const char *root, const char *name, const char *attr,
		     enum brink_usb_attr kind, char *out, size_t outlen)
{
	char path[512], buf[ATTR_MAX + 1];
	snprintf(path, sizeof(path), "%s/%s/%s", root, name, attr);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	out[0] = '\0';
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -1;
	return brink_usb_attr_parse(kind, buf, (size_t)n, out, outlen) == BRINK_USB_OK ? 0 : -1;
}

int brink_usb_read(const char *root, const char *name, struct brink_hostdev *out,
		   struct brink_error **err)
{
	struct brink_hostdev d = {.present = true};
	char maker[128], product[128];
	if (!brink_usb_name_is_device(name))
		return brink_error_make(err, BRINK_E_INVALID, "%s is not a USB device name", name);
	snprintf(d.port, sizeof(d.port), "%s", name);
	if (read_attr(root, name, "busnum", BRINK_USB_NUM, d.bus, sizeof(d.bus)) < 0 ||
	    read_attr(root, name, "devnum", BRINK_USB_NUM, d.device, sizeof(d.device)) < 0 ||
	    read_attr(root, name, "idVendor", BRINK_USB_HEX4, d.vendor, sizeof(d.vendor)) < 0 ||
	    read_attr(root, name, "idProduct", BRINK_USB_HEX4, d.product, sizeof(d.product)) < 0)
		return brink_error_make(err, BRINK_E_INVALID,
					"USB device %s: busnum, devnum, idVendor or idProduct"
					" missing or malformed", name);
	read_attr(root, name, "manufacturer", BRINK_USB_TEXT, maker, sizeof(maker));
	read_attr(root, name, "product", BRINK_USB_TEXT, product, sizeof(product));
	snprintf(d.info, sizeof(d.info), "%s:%s%s%s%s%s", d.vendor, d.product, maker[0] ? " " : "",
		 maker, product[0] ? " " : "", product);
	*out = d;
	return 0;
}

int brink_usb_scan(const char *root, int (*cb)(void *ctx, const struct brink_hostdev *d),
		   void *ctx, struct brink_error **err)
{
	DIR *dir = opendir(root);
	if (!dir)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "reading %s: %s", root,
					strerror(errno));
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(dir))) {
		struct brink_hostdev d;
		struct brink_error *perr = NULL;
		if (!brink_usb_name_is_device(e->d_name))
			continue;
		if (brink_usb_read(root, e->d_name, &d, &perr) < 0) {
			log_warn("%s", perr->msg);
			brink_error_free(&perr);
			continue;
		}
		rc = cb(ctx, &d);
	}
	closedir(dir);
	return rc;
}
