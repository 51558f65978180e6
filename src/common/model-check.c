#include "brink/model-check.h"

#include <string.h>

#define PAGE 4096u

static const unsigned char magic[8] = {'B', 'R', 'K', 'C', 'H', 'K', 0, 1};

static uint64_t round_page(uint64_t n)
{
	return (n + PAGE - 1) / PAGE * PAGE;
}

void brink_model_envelope_layout(size_t len, size_t image_max, struct brink_model_envelope *out)
{
	out->model_len = len;
	out->room_off = round_page((uint64_t)len + BRINK_MODEL_CHECK_HEADER);
	out->room_len = round_page(image_max);
}

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void brink_model_envelope_header(const struct brink_model_envelope *e, void *hdr)
{
	unsigned char *p = hdr;
	memset(p, 0, BRINK_MODEL_CHECK_HEADER);
	memcpy(p, magic, sizeof(magic));
	put_u64(p + 8, e->model_len);
	put_u64(p + 16, e->room_len);
}

bool brink_model_envelope_parse(const void *hdr, size_t hdr_len, uint64_t size,
				struct brink_model_envelope *out)
{
	const unsigned char *p = hdr;
	if (hdr_len < BRINK_MODEL_CHECK_HEADER || memcmp(p, magic, sizeof(magic)) != 0 ||
	    get_u64(p + 24) != 0)
		return false;
	uint64_t len = get_u64(p + 8), room = get_u64(p + 16);
	if (len == 0 || len > size || room % PAGE || room > round_page(BRINK_MODEL_IMAGE_MAX))
		return false;
	uint64_t off = round_page(len + BRINK_MODEL_CHECK_HEADER);
	if (off > size || size - off != room)
		return false;
	out->model_len = len;
	out->room_off = off;
	out->room_len = room;
	return true;
}
