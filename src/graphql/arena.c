#include <stdlib.h>
#include <string.h>

#include "graphql/gql-internal.h"

struct gql_chunk {
	struct gql_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

#define CHUNK_MIN (16u * 1024)

void gql_arena_init(struct gql_arena *a, size_t limit)
{
	*a = (struct gql_arena){.limit = limit};
}

int gql_arena_adopt(struct gql_arena *a, void *p)
{
	if (a->nadopted == a->cap_adopted) {
		size_t nc = a->cap_adopted ? a->cap_adopted * 2 : 8;
		void **n = realloc(a->adopted, nc * sizeof(*n));
		if (!n) {
			free(p);
			return -1;
		}
		a->adopted = n;
		a->cap_adopted = nc;
	}
	a->adopted[a->nadopted++] = p;
	return 0;
}

void *gql_arena_alloc(struct gql_arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (size > a->limit || a->used + size > a->limit)
		return NULL;
	struct gql_chunk *c = a->head;
	if (!c || c->cap - c->used < size) {
		size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	a->used += size;
	memset(p, 0, size);
	return p;
}

char *gql_arena_strndup(struct gql_arena *a, const char *s, size_t n)
{
	char *d = gql_arena_alloc(a, n + 1);
	if (d)
		memcpy(d, s, n);
	return d;
}

void gql_arena_free(struct gql_arena *a)
{
	struct gql_chunk *c = a->head;
	while (c) {
		struct gql_chunk *next = c->next;
		free(c);
		c = next;
	}
	for (size_t i = 0; i < a->nadopted; i++)
		free(a->adopted[i]);
	free(a->adopted);
	*a = (struct gql_arena){.limit = a->limit};
}
