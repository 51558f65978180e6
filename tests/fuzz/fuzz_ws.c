/* libFuzzer harness for the WebSocket client-frame parser (src/api/websocket.c).
 *
 * Input: byte 0 picks the payload limit, the rest is a stream of client
 * frames, parsed one after the other as brinkd does. Every frame found must
 * be consistent (within the input, within the limit, a known opcode, a
 * well-formed control frame); shorter prefixes of it must ask for more; a
 * verdict must not change when more bytes follow; and the frame written back
 * with api__ws_frame (then masked as a client would) must parse the same. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/websocket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_prefixes(const uint8_t *p, size_t total, size_t max)
{
	struct ws_frame f;
	size_t step = total > 64 ? total / 16 : 1;
	for (size_t n = 0; n < total; n += step)
		check(api__ws_parse(p, n, max, &f) == WS_AGAIN);
	check(api__ws_parse(p, total - 1, max, &f) == WS_AGAIN);
}

/* A client frame: the server frame with the mask bit set and a mask after the header. */
static size_t client_frame(const struct ws_frame *f, const uint8_t *clear, uint8_t *out,
			   size_t cap)
{
	size_t n = api__ws_frame(f->opcode, clear, f->len, out, cap - 4);
	check(n == f->len + f->header - 4);
	size_t h = n - f->len;
	out[1] |= 0x80;
	memmove(out + h + 4, out + h, f->len);
	memcpy(out + h, f->mask, 4);
	for (size_t i = 0; i < f->len; i++)
		out[h + 4 + i] ^= f->mask[i & 3];
	return n + 4;
}

static void check_roundtrip(const struct ws_frame *f, const uint8_t *payload, size_t max)
{
	static uint8_t clear[WS_MAX_PAYLOAD], out[WS_MAX_PAYLOAD + WS_MAX_HEADER];
	struct ws_frame g;
	/* the encoder writes minimal lengths and FIN: only such frames compare */
	size_t minimal = f->len < 126 ? 6 : f->len <= 0xffff ? 8 : 14;
	if (f->len > sizeof(clear) || !f->fin || f->header != minimal)
		return;
	api__ws_unmask(f, payload, clear);
	size_t n = client_frame(f, clear, out, sizeof(out));
	check(api__ws_parse(out, n, max, &g) == WS_OK);
	check(g.opcode == f->opcode && g.len == f->len && g.header == f->header);
	check(memcmp(out + g.header, payload, f->len) == 0);
}

static void check_frame(const uint8_t *p, size_t n, size_t max, const struct ws_frame *f)
{
	size_t total = f->header + f->len;
	check(total <= n && f->len <= max && f->header >= 6 && f->header <= WS_MAX_HEADER);
	check(f->opcode <= WS_OP_BINARY || (f->opcode >= WS_OP_CLOSE && f->opcode <= WS_OP_PONG));
	if (f->opcode & 0x08)
		check(f->fin && f->len <= WS_CONTROL_MAX);
	check_prefixes(p, total, max);
	check_roundtrip(f, p + f->header, max);
}

/* The same verdict (and frame) when more bytes follow. */
static void check_more(const uint8_t *p, size_t n, size_t max, enum ws_parse st,
		       const struct ws_frame *f)
{
	struct ws_frame g;
	uint8_t *more = malloc(n + 16);
	check(more != NULL);
	memcpy(more, p, n);
	memset(more + n, 0xff, 16);
	check(api__ws_parse(more, n + 16, max, &g) == st);
	if (st == WS_OK)
		check(g.header == f->header && g.len == f->len && g.opcode == f->opcode);
	free(more);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t max = data[0] == 255 ? WS_MAX_PAYLOAD : (size_t)data[0] * 16;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	for (;;) {
		struct ws_frame f;
		enum ws_parse st = api__ws_parse(p, n, max, &f);
		if (st == WS_AGAIN)
			break;
		check_more(p, n, max, st, &f);
		if (st != WS_OK)
			break;
		check_frame(p, n, max, &f);
		p += f.header + f.len;
		n -= f.header + f.len;
	}
	return 0;
}
