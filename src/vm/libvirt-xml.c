/* Domain and hostdev XML through libxml2's xmlTextWriter, which escapes every
 * attribute and text value, so tenant strings (a VM's name, its owner) can
 * never change the document's structure. */
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vm/libvirt-internal.h"

typedef xmlTextWriterPtr W;

static int el(W w, const char *name)
{
	return xmlTextWriterStartElement(w, BAD_CAST name);
}

static int end(W w)
{
	return xmlTextWriterEndElement(w);
}

static int attr(W w, const char *name, const char *value)
{
	return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value);
}

static int text_el(W w, const char *name, const char *text)
{
	return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text);
}

/* Runs `body` into a fresh buffer and returns the document (malloc'd). */
static char *write_doc(int (*body)(W w, const void *arg), const void *arg)
{
	xmlBufferPtr buf = xmlBufferCreate();
	W w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
	char *out = NULL;
	if (w && body(w, arg) >= 0 && xmlTextWriterEndDocument(w) >= 0) {
		xmlFreeTextWriter(w);
		w = NULL;
		out = strdup((const char *)xmlBufferContent(buf));
	}
	if (w)
		xmlFreeTextWriter(w);
	if (buf)
		xmlBufferFree(buf);
	return out;
}

/* Each step in order; the first failure returns -1. */
#define TRY(call)                     \
	do {                          \
		if ((call) < 0)       \
			return -1;    \
	} while (0)

static int hostdev(W w, const struct brink_hostdev *d)
{
	char vendor[8], product[8];
	snprintf(vendor, sizeof(vendor), "0x%s", d->vendor);
	snprintf(product, sizeof(product), "0x%s", d->product);
	TRY(el(w, "hostdev"));
	TRY(attr(w, "mode", "subsystem"));
	TRY(attr(w, "type", "usb"));
	TRY(attr(w, "managed", "yes"));
	TRY(el(w, "source"));
	TRY(el(w, "vendor"));
	TRY(attr(w, "id", vendor));
	TRY(end(w));
	TRY(el(w, "product"));
	TRY(attr(w, "id", product));
	TRY(end(w));
	TRY(el(w, "address"));
	TRY(attr(w, "bus", d->bus));
	TRY(attr(w, "device", d->device));
	TRY(end(w));
	TRY(end(w));
	return end(w);
}

static int hostdev_doc(W w, const void *arg)
{
	return hostdev(w, arg);
}

char *vmrt_impl_hostdev_xml(const struct brink_hostdev *dev)
{
	return write_doc(hostdev_doc, dev);
}

struct domain_args {
	const struct brink_vmrt_domain *d;
	const char *virt_type, *overlay, *seed, *network;
};

/* <name a1="v1" .../> */
static int empty_el(W w, const char *name, const char *a1, const char *v1, const char *a2,
		    const char *v2)
{
	TRY(el(w, name));
	if (a1)
		TRY(attr(w, a1, v1));
	if (a2)
		TRY(attr(w, a2, v2));
	return end(w);
}

static int disk(W w, const char *device, const char *type, const char *file, const char *dev,
		const char *bus)
{
	TRY(el(w, "disk"));
	TRY(attr(w, "type", "file"));
	TRY(attr(w, "device", device));
	TRY(empty_el(w, "driver", "name", "qemu", "type", type));
	TRY(empty_el(w, "source", "file", file, NULL, NULL));
	TRY(empty_el(w, "target", "dev", dev, "bus", bus));
	if (!strcmp(device, "cdrom"))
		TRY(empty_el(w, "readonly", NULL, NULL, NULL, NULL));
	return end(w);
}

static int devices(W w, const struct domain_args *a)
{
	TRY(el(w, "devices"));
	TRY(disk(w, "disk", "qcow2", a->overlay, "vda", "virtio"));
	TRY(disk(w, "cdrom", "raw", a->seed, "sda", "sata"));
	if (a->network[0]) {
		TRY(el(w, "interface"));
		TRY(attr(w, "type", "network"));
		TRY(empty_el(w, "source", "network", a->network, NULL, NULL));
		TRY(empty_el(w, "model", "type", "virtio", NULL, NULL));
		TRY(end(w));
	}
	TRY(empty_el(w, "serial", "type", "pty", NULL, NULL));
	TRY(empty_el(w, "console", "type", "pty", NULL, NULL));
	for (size_t i = 0; i < a->d->ndevs; i++)
		TRY(hostdev(w, &a->d->devs[i]));
	return end(w);
}

static int metadata(W w, const struct brink_vmrt_domain *d)
{
	TRY(el(w, "metadata"));
	TRY(xmlTextWriterStartElementNS(w, BAD_CAST "brink", BAD_CAST "vm", BAD_CAST BRINK_VMRT_XMLNS));
	TRY(attr(w, "id", d->id));
	TRY(attr(w, "tenant", d->tenant));
	if (d->instance)
		TRY(attr(w, "instance", d->instance));
	TRY(attr(w, "name", d->name));
	TRY(end(w));
	return end(w);
}

static int valued_el(W w, const char *name, const char *a, const char *v, const char *text)
{
	TRY(el(w, name));
	if (a)
		TRY(attr(w, a, v));
	TRY(xmlTextWriterWriteString(w, BAD_CAST text));
	return end(w);
}

static int domain_doc(W w, const void *arg)
{
	const struct domain_args *a = arg;
	const struct brink_vmrt_domain *d = a->d;
	char name[64], mem[32], vcpu[32];
	snprintf(name, sizeof(name), "brink-%s", d->id);
	snprintf(mem, sizeof(mem), "%d", d->memory_mb);
	snprintf(vcpu, sizeof(vcpu), "%d", d->vcpu);
	TRY(el(w, "domain"));
	TRY(attr(w, "type", a->virt_type));
	TRY(text_el(w, "name", name));
	if (d->uuid && d->uuid[0])
		TRY(text_el(w, "uuid", d->uuid));
	TRY(text_el(w, "title", d->name));
	TRY(metadata(w, d));
	TRY(valued_el(w, "memory", "unit", "MiB", mem));
	TRY(text_el(w, "vcpu", vcpu));
	TRY(el(w, "os"));
	TRY(valued_el(w, "type", "arch", "x86_64", "hvm"));
	TRY(empty_el(w, "boot", "dev", "hd", NULL, NULL));
	TRY(end(w));
	TRY(el(w, "features"));
	TRY(empty_el(w, "acpi", NULL, NULL, NULL, NULL));
	TRY(end(w));
	TRY(text_el(w, "on_poweroff", "destroy"));
	TRY(devices(w, a));
	return end(w);
}

char *vmrt_impl_domain_xml(const struct brink_vmrt_domain *d, const char *virt_type,
			    const char *overlay, const char *seed, const char *network)
{
	struct domain_args a = {d, virt_type, overlay, seed, network ? network : ""};
	return write_doc(domain_doc, &a);
}

/* Copies attribute `name` of node into out when it is 16 hex digits. */
static bool id_attr(xmlNodePtr node, const char *name, brink_id out)
{
	xmlChar *v = xmlGetProp(node, BAD_CAST name);
	bool ok = v && brink_id_valid((const char *)v);
	if (ok)
		memcpy(out, v, sizeof(brink_id));
	xmlFree(v);
	return ok;
}

enum brink_vmrt_meta_status vmrt_impl_metadata_parse(const char *xml, size_t len,
							brink_id id_out, brink_id instance_out)
{
	id_out[0] = instance_out[0] = '\0';
	if (len > 4096)
		return BRINK_VMRT_META_TOO_LONG;
	/* no network, no entity expansion, no DTD loading: a flat element only */
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "metadata.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	enum brink_vmrt_meta_status st = BRINK_VMRT_META_MALFORMED;
	/* libvirt gives the element back without its namespace (it looked it up by it) */
	if (root && !xmlStrcmp(root->name, BAD_CAST "vm") &&
	    (!root->ns || !xmlStrcmp(root->ns->href, BAD_CAST BRINK_VMRT_XMLNS))) {
		st = id_attr(root, "id", id_out) && id_attr(root, "instance", instance_out)
			     ? BRINK_VMRT_META_OK
			     : BRINK_VMRT_META_MISSING;
	}
	if (st != BRINK_VMRT_META_OK)
		id_out[0] = instance_out[0] = '\0';
	xmlFreeDoc(doc);
	return st;
}
