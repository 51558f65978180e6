/* Info (ECM port 5008): the tenant's running services, in ECM's sentence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecm/services.h"

struct listing {
	char *text;
	size_t len, cap;
	size_t count;
	bool oom;
};

static void add(void *ctx, const struct brink_service_view *v)
{
	struct listing *l = ctx;
	char item[128];
	if (v->rec->state != BRINK_STATE_RUNNING)
		return; /* ECM's sentence counts what runs */
	int n = snprintf(item, sizeof(item), "%s[ID: %lld, CPUs: %g, tipo: %s]", l->count ? ", " : "",
			 (long long)ecm__number(v->rec->id), (double)(int)(v->assigned * 100) / 100,
			 ecm__type_name(v->rec->spec.kind));
	if (l->len + (size_t)n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		char *t = realloc(l->text, cap);
		if (!t) {
			l->oom = true;
			return;
		}
		l->text = t;
		l->cap = cap;
	}
	memcpy(l->text + l->len, item, (size_t)n + 1);
	l->len += (size_t)n;
	l->count++;
}

void ecm__verb_info(struct ecm_conn *c)
{
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct brink_error *err = NULL;
	struct listing l = {0};
	if (ecm__auth(c, c->req.id, &t, &e) < 0)
		return;
	if (brink_control_service_list(c->ecm->ctl, t.id, add, &l, &err) < 0 || l.oom) {
		if (err)
			ecm__reply_error(c, err);
		else
			ecm__reply(c, false, "Error no controlado: out of memory");
		brink_error_free(&err);
	} else if (l.count == 0) {
		ecm__reply(c, true, "No tienes contenedores ejecutandose en estos momentos");
	} else {
		ecm__reply(c, true, "Tienes %zu contenedores ejecutandose: %s", l.count, l.text);
	}
	free(l.text);
}
