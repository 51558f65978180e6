/* The web console (docs/console.md): three static files embedded in brinkd
 * with the assembler's .incbin, so the binary needs no share directory. */
#include <string.h>

#include "api/api-internal.h"

#define EMBED(name, path)                                                                          \
	__asm__(".section .rodata\n.global " #name "_start\n.global " #name "_end\n"             \
		".balign 16\n" #name "_start:\n.incbin \"" path "\"\n" #name "_end:\n"             \
		".byte 0\n.previous\n");                                                             \
	extern const char name##_start[], name##_end[]

EMBED(console_index, "src/api/console/index.html");
EMBED(console_js, "src/api/console/app.js");
EMBED(console_css, "src/api/console/style.css");

static const struct {
	const char *path, *type;
	const char *start, *end;
} files[] = {
	{"/", "text/html; charset=utf-8", console_index_start, console_index_end},
	{"/console/app.js", "text/javascript; charset=utf-8", console_js_start, console_js_end},
	{"/console/style.css", "text/css; charset=utf-8", console_css_start, console_css_end},
};

void api__console(struct api_request *rq)
{
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(files); i++) {
		if (strcmp(rq->path, files[i].path) != 0)
			continue;
		size_t len = (size_t)(files[i].end - files[i].start);
		char *copy = malloc(len + 1);
		if (!copy) {
			api__reply_errorf(rq, 500, "internal", "out of memory");
			return;
		}
		memcpy(copy, files[i].start, len);
		rq->page = true;
		api__reply_text(rq, 200, files[i].type, copy, len);
		return;
	}
	api__reply_errorf(rq, 404, "not_found", "no such resource: %.200s", rq->path);
}
