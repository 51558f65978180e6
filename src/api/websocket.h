/* WebSocket frames (RFC 6455) as brink speaks them: it parses the frames
 * of a client (always masked) and writes its own (never masked). No I/O,
 * no allocation: the parser is fuzzed (tests/fuzz/fuzz_ws.c). */
#ifndef BRINK_API_WEBSOCKET_H
#define BRINK_API_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xa

#define WS_MAX_PAYLOAD 4096 /* a client frame above it is refused (close 1009) */
#define WS_MAX_HEADER 14    /* 2 + 8 (64-bit length) + 4 (mask) */
#define WS_CONTROL_MAX 125  /* payload of a control frame */

enum ws_parse {
	WS_OK,      /* a whole frame: see struct ws_frame */
	WS_AGAIN,   /* not a whole frame yet: read more */
	WS_TOO_BIG, /* the payload is longer than the limit */
	WS_BAD,     /* protocol error: unmasked, RSV bits, unknown opcode, bad control frame */
};

struct ws_frame {
	bool fin;
	uint8_t opcode;
	uint8_t mask[4];
	size_t header; /* the payload starts here */
	size_t len;    /* payload bytes; the frame is header + len bytes */
};

/* Parses the client frame at the start of p[0..n), whose payload may be at
 * most max bytes. WS_TOO_BIG and WS_BAD are known as soon as the header is
 * (the payload need not have arrived). Fills f only on WS_OK. */
enum ws_parse api__ws_parse(const uint8_t *p, size_t n, size_t max, struct ws_frame *f);

/* Unmasks f's payload (payload[0..f->len)) into out, which may be payload. */
void api__ws_unmask(const struct ws_frame *f, const uint8_t *payload, uint8_t *out);

/* Writes a final, unmasked server frame into out[0..cap). Returns its
 * length, or 0 when it does not fit. */
size_t api__ws_frame(uint8_t opcode, const void *payload, size_t len, uint8_t *out, size_t cap);

#endif
