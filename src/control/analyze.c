/* Analyze services: their spec checked against the tenant's model, and what
 * their worker gets at start (the model as a sealed memfd: its compiled
 * image when the store has one, which loads without libhdf5, else the file;
 * its configuration as JSON; the worker's side is src/worker/analyze.c). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brink/log.h"
#include "control/control-internal.h"

/* The number of classes a model's results fall into. */
static size_t classes_of(const struct brink_model_rec *m)
{
	return m->format == BRINK_MODEL_RULES || m->outputs == 1 ? 2 : m->outputs;
}

/* A rule's fields must be exactly the columns named (in any order). */
static int check_rule_columns(const struct brink_model_rec *m, const struct brink_spec *sp,
			      struct brink_error **err)
{
	json_t *o = json_loads(m->summary, 0, NULL);
	json_t *fields = json_object_get(o, "fields");
	size_t n = json_array_size(fields);
	int rc = 0;
	if (sp->ncolumns && sp->ncolumns != n)
		rc = brink_error_make(err, BRINK_E_INVALID,
				      "'columns' names %zu fields but rule %s uses %zu", sp->ncolumns,
				      m->id, n);
	for (size_t i = 0; rc == 0 && sp->ncolumns && i < n; i++) {
		const char *f = json_string_value(json_array_get(fields, i));
		size_t j = 0;
		while (f && j < sp->ncolumns && strcmp(sp->columns[j], f) != 0)
			j++;
		if (!f || j == sp->ncolumns)
			rc = brink_error_make(err, BRINK_E_INVALID,
					      "rule %s uses field '%s', which 'columns' does not name",
					      m->id, f ? f : "?");
	}
	json_decref(o);
	return rc;
}

static int check_columns(const struct brink_model_rec *m, const struct brink_spec *sp,
			 struct brink_error **err)
{
	if (m->format == BRINK_MODEL_RULES)
		return check_rule_columns(m, sp, err);
	if (sp->ncolumns == 0)
		return brink_error_make(err, BRINK_E_INVALID,
					"field 'columns' is required: model %s takes %u inputs", m->id,
					m->inputs);
	if (sp->ncolumns != m->inputs)
		return brink_error_make(err, BRINK_E_INVALID,
					"'columns' names %zu fields but model %s takes %u inputs",
					sp->ncolumns, m->id, m->inputs);
	return 0;
}

static int check_classes(const struct brink_model_rec *m, const struct brink_spec *sp,
			 struct brink_error **err)
{
	size_t classes = classes_of(m);
	if (sp->nlabels && sp->nlabels != classes)
		return brink_error_make(err, BRINK_E_INVALID,
					"'labels' names %zu classes but model %s gives %zu", sp->nlabels,
					m->id, classes);
	if (sp->alerts >= 0 && m->format == BRINK_MODEL_RULES)
		return brink_error_make(err, BRINK_E_INVALID,
					"'alerts' does not apply to rules: a rule that holds is the alert");
	if (sp->alerts >= 0 && classes < 64 && (sp->alerts >> classes) != 0)
		return brink_error_make(err, BRINK_E_INVALID,
					"'alerts' names a class model %s does not have", m->id);
	return 0;
}

int control__analyze_check(struct brink_control *ctl, const char *tenant_id,
			   const struct brink_spec *sp, struct brink_error **err)
{
	struct brink_model_rec *m = malloc(sizeof(*m));
	if (!m)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	int rc = 0;
	if (!sp->model[0])
		rc = brink_error_make(err, BRINK_E_INVALID, "field 'model' is required for kind analyze");
	else if (!brink_id_valid(sp->model) ||
		 brink_store_model_get(ctl->st, tenant_id, sp->model, m, NULL) < 0)
		rc = brink_error_make(err, BRINK_E_INVALID, "no model with id %s", sp->model);
	else
		rc = check_columns(m, sp, err) < 0 || check_classes(m, sp, err) < 0 ? -1 : 0;
	free(m);
	return rc;
}

static json_t *strings_json(const char *base, size_t n, size_t stride)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(base + i * stride));
	return a;
}

/* The worker's --analyze text (src/worker/analyze.h). */
static char *worker_config(const struct brink_spec *sp, const struct brink_model_rec *m)
{
	json_t *o = json_pack("{s:s,s:o,s:s,s:i,s:o,s:f,s:I,s:i,s:i}", "format",
			      brink_model_format_name(m->format), "columns",
			      strings_json((const char *)sp->columns, sp->ncolumns, sizeof(*sp->columns)),
			      "mode", brink_mode_name(sp->mode), "batch",
			      sp->mode == BRINK_MODE_BATCH ? sp->batch : 1, "labels",
			      strings_json((const char *)sp->labels, sp->nlabels, sizeof(sp->labels[0])),
			      "threshold", sp->threshold, "alerts", (json_int_t)sp->alerts, "inputs",
			      (int)m->inputs, "outputs", (int)m->outputs);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

int control__analyze_unit(struct brink_control *ctl, const struct ctl_service *s, int *fd,
			  char **config, struct brink_error **err)
{
	const struct brink_spec *sp = &s->rec.spec;
	struct brink_model_rec *m = malloc(sizeof(*m));
	void *data = NULL;
	size_t len = 0;
	*fd = -1;
	*config = NULL;
	if (!m)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	bool compiled = false;
	int rc = brink_store_model_get(ctl->st, s->rec.tenant_id, sp->model, m, err);
	if (rc == 0)
		rc = brink_store_model_start_data(ctl->st, s->rec.tenant_id, sp->model, &data, &len,
						  &compiled, err);
	if (rc == 0)
		log_debug("service %s: model %s from its %s", s->rec.id, sp->model,
			  compiled ? "compiled image" : "file");
	if (rc == 0 && (*fd = control__model_memfd(data, len, err)) < 0)
		rc = -1;
	if (rc == 0 && !(*config = worker_config(sp, m)))
		rc = brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	if (rc < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	free(data);
	free(m);
	return rc < 0 ? brink_error_wrap(err, "model %s", sp->model) : 0;
}
