/* USB host devices from sysfs (usb.sysfs_root, default /sys/bus/usb/devices):
 * one directory per device named like "1-1.2" with the attribute files
 * busnum, devnum, idVendor, idProduct and optional manufacturer, product.
 * Root hubs ("usbN") and interfaces ("1-1:1.0") are skipped. */
#ifndef BRINK_RUNTIME_USB_H
#define BRINK_RUNTIME_USB_H

#include <stddef.h>

#include "brink/error.h"
#include "control/vm.h"

enum brink_usb_attr {
	BRINK_USB_NUM,  /* a decimal number 0-999 (busnum, devnum) */
	BRINK_USB_HEX4, /* 4 hex digits (idVendor, idProduct), lowered */
	BRINK_USB_TEXT, /* text: printable ASCII kept, anything else '?', trimmed */
};

enum brink_usb_status {
	BRINK_USB_OK,
	BRINK_USB_EMPTY,    /* nothing but white space */
	BRINK_USB_TOO_LONG, /* longer than the kind allows or than out */
	BRINK_USB_BAD,      /* not a number / not 4 hex digits */
};

/* Parses one attribute file's contents (len bytes, need not be NUL-terminated,
 * one trailing newline allowed) into out (NUL-terminated). On failure out is
 * "" and nothing else is touched. */
enum brink_usb_status brink_usb_attr_parse(enum brink_usb_attr kind, const char *buf, size_t len,
					   char *out, size_t outlen);

/* true for a device directory name ("1-1", "1-1.2.3"). */
bool brink_usb_name_is_device(const char *name);

/* Reads the device directory root/name into *out (id 0, vm_id ""); -1 with
 * *err (INVALID) when an attribute is missing or malformed. */
int brink_usb_read(const char *root, const char *name, struct brink_hostdev *out,
		   struct brink_error **err);

/* Calls cb for each device under root (devices that do not parse are
 * skipped with a warning). UNAVAILABLE when root cannot be read. */
int brink_usb_scan(const char *root, int (*cb)(void *ctx, const struct brink_hostdev *d),
		   void *ctx, struct brink_error **err);

#endif
