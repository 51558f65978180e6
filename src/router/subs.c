/* Subscribers to a service's output that live on other threads (HTTP
 * streams): the I/O thread fills their buffers and wakes them. */
#include <stdlib.h>
#include <string.h>

#include "router/router-internal.h"

void router__sub_unref(struct brink_stream_sub *sub)
{
	if (atomic_fetch_sub(&sub->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&sub->lock);
	free(sub->buf);
	free(sub);
}

/* Appends each of the '\n'-terminated lines, formatted, under one lock and
 * with one wake-up. */
static void sub_append(struct brink_stream_sub *sub, const char *lines, size_t len)
{
	pthread_mutex_lock(&sub->lock);
	for (const char *p = lines, *end = lines + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t room = sub->cap - sub->len;
		size_t w = room ? sub->format(p, n, sub->buf + sub->len, room) : 0;
		if (w)
			sub->len += w;
		else
			sub->dropped++;
		p += n + 1;
	}
	if (!sub->released)
		sub->notify(sub->ctx);
	pthread_mutex_unlock(&sub->lock);
}

void router__subs_send(struct route *rt, const char *lines, size_t len)
{
	for (struct brink_stream_sub *sub = rt->subs; sub; sub = sub->next)
		sub_append(sub, lines, len);
}

static void sub_close(struct brink_stream_sub *sub)
{
	pthread_mutex_lock(&sub->lock);
	sub->closed = true;
	if (!sub->released)
		sub->notify(sub->ctx);
	pthread_mutex_unlock(&sub->lock);
}

void router__subs_close_all(struct route *rt)
{
	while (rt->subs) {
		struct brink_stream_sub *sub = rt->subs;
		rt->subs = sub->next;
		sub_close(sub);
		router__sub_unref(sub);
	}
}

void router__sub_attach(struct brink_router *r, struct brink_stream_sub *sub)
{
	struct route *rt;
	HASH_FIND(hh, r->routes, &sub->service, sizeof(uint64_t), rt);
	if (!rt || rt->removed) {
		sub_close(sub); /* not running (any more) */
		router__sub_unref(sub);
		return;
	}
	sub->next = rt->subs;
	rt->subs = sub;
	router__route_retap(rt);
}

void router__sub_detach(struct brink_router *r, struct brink_stream_sub *sub)
{
	struct route *rt;
	HASH_FIND(hh, r->routes, &sub->service, sizeof(uint64_t), rt);
	for (struct brink_stream_sub **p = rt ? &rt->subs : NULL; p && *p; p = &(*p)->next) {
		if (*p == sub) {
			*p = sub->next;
			router__sub_unref(sub);
			router__route_retap(rt);
			return;
		}
	}
}
