/* Tenants' models: every file is checked (parsed and described) by
 * brink-worker in the sandbox runtime before it is stored; brinkd itself
 * never parses one. The check runs outside the control plane's lock: it
 * takes milliseconds to seconds, and other requests go on meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"
#include "control/control-internal.h"

int control__model_memfd(const void *data, size_t len, struct brink_error **err)
{
	int fd = memfd_create("brink-model", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return brink_error_sys(err, errno, "memfd_create");
	const char *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			return brink_error_sys(err, e, "writing the model to a memfd");
		}
		done += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(fd);
		return brink_error_sys(err, e, "sealing the model memfd");
	}
	return fd;
}

/* Reads what the checker said about the model (untrusted: it ran the
 * tenant's file) into m: inputs, outputs and the summary text. */
static int read_summary(const char *text, struct brink_model_rec *m, struct brink_error **err)
{
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	json_int_t in = json_integer_value(json_object_get(o, "inputs"));
	json_int_t out = json_integer_value(json_object_get(o, "outputs"));
	int rc = 0;
	if (!json_is_object(o) || in < 1 || in > 1000000 || out < 1 || out > 1000000)
		rc = brink_error_make(err, BRINK_E_INTERNAL, "the model check gave no usable summary");
	else if (strlen(text) >= sizeof(m->summary))
		rc = brink_error_make(err, BRINK_E_INVALID, "the model's summary is over %zu bytes",
				      sizeof(m->summary) - 1);
	else {
		m->inputs = (uint32_t)in;
		m->outputs = (uint32_t)out;
		snprintf(m->summary, sizeof(m->summary), "%s", text);
	}
	json_decref(o);
	return rc;
}

/* Runs the sandboxed check of data as `format`; fills m's figures. */
static int check(struct brink_control *ctl, const void *data, size_t len,
		 struct brink_model_rec *m, struct brink_error **err)
{
	struct ctl_runtime *r = control__runtime_find(ctl, "sandbox");
	if (!r || !r->rt || !r->ops->check_model)
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"model files are checked in the sandbox runtime, which is not "
					"available%s%s", r ? ": " : "", r ? r->reason : "");
	brink_id cid;
	control__new_id(cid);
	pthread_mutex_lock(&ctl->lock);
	struct brink_model_check c = {
		.id = brink_id_to_u64(cid) | 1, /* never 0 */
		.format = brink_model_format_name(m->format),
		.timeout_ms = (unsigned)ctl->cfg.models_check_timeout_ms,
		.cpu = 1.0,
		.memory_bytes = (uint64_t)ctl->cfg.models_check_memory_mb << 20,
	};
	pthread_mutex_unlock(&ctl->lock);
	if ((c.fd = control__model_memfd(data, len, err)) < 0)
		return -1;
	char *summary = NULL;
	int rc = r->ops->check_model(r->rt, &c, &summary, err);
	close(c.fd);
	if (rc == 0)
		rc = read_summary(summary, m, err);
	free(summary);
	return rc;
}

int brink_control_model_add(struct brink_control *ctl, const char *tenant_id, const char *name,
			    const char *format, const void *data, size_t len,
			    struct brink_model_rec *out, struct brink_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!name || !brink_name_valid(name))
		return brink_error_make(err, BRINK_E_INVALID,
					"the model's name must be 1-64 characters of A-Z a-z 0-9 . _ -");
	if (!format || brink_model_format_parse(format, &out->format) < 0)
		return brink_error_make(err, BRINK_E_INVALID, "the model's format must be h5 or rules");
	if (len == 0)
		return brink_error_make(err, BRINK_E_INVALID, "the model file is empty");
	if (len > brink_control_model_max_bytes(ctl))
		return brink_error_make(err, BRINK_E_TOO_LARGE, "the model file is over %zu bytes",
					brink_control_model_max_bytes(ctl));
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->tenant_id, sizeof(out->tenant_id), "%s", tenant_id);
	out->size = len;
	out->created = (int64_t)time(NULL);
	control__new_id(out->id);
	if (check(ctl, data, len, out, err) < 0) {
		log_info("tenant %s: model '%s' (%s, %zu bytes) refused: %s", tenant_id, name, format,
			 len, (*err)->msg);
		return brink_error_wrap(err, "model refused");
	}
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_model_insert(ctl->st, out, data, len, err);
	pthread_mutex_unlock(&ctl->lock);
	if (rc == 0)
		log_info("tenant %s: model %s (%s, %zu bytes) added", tenant_id, out->id,
			 brink_model_format_name(out->format), len);
	return rc;
}

size_t brink_control_model_max_bytes(struct brink_control *ctl)
{
	pthread_mutex_lock(&ctl->lock);
	size_t n = (size_t)ctl->cfg.models_max_bytes;
	pthread_mutex_unlock(&ctl->lock);
	return n;
}

int brink_control_model_get(struct brink_control *ctl, const char *tenant_id, const char *id,
			    struct brink_model_rec *out, struct brink_error **err)
{
	if (!brink_id_valid(id))
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no model with id %.64s", id);
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_model_get(ctl->st, tenant_id, id, out, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_model_list(struct brink_control *ctl, const char *tenant_id,
			     int (*cb)(void *ctx, const struct brink_model_rec *m), void *ctx,
			     struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_model_list(ctl->st, tenant_id, cb, ctx, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

/* The first of the tenant's services that uses model `id`, or NULL. */
static struct ctl_service *model_user(struct brink_control *ctl, const char *tenant_id,
				      const char *id)
{
	for (struct ctl_service *s = ctl->services; s; s = s->hh.next)
		if (s->rec.spec.kind == BRINK_KIND_ANALYZE && strcmp(s->rec.spec.model, id) == 0 &&
		    strcmp(s->rec.tenant_id, tenant_id) == 0)
			return s;
	return NULL;
}

int brink_control_model_delete(struct brink_control *ctl, const char *tenant_id, const char *id,
			       struct brink_error **err)
{
	if (!brink_id_valid(id))
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no model with id %.64s", id);
	pthread_mutex_lock(&ctl->lock);
	struct brink_model_rec *m = malloc(sizeof(*m));
	struct ctl_service *user = NULL;
	int rc = m ? brink_store_model_get(ctl->st, tenant_id, id, m, err)
		   : brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	if (rc == 0 && (user = model_user(ctl, tenant_id, id)))
		rc = brink_error_make(err, BRINK_E_CONFLICT,
				      "model %s is used by service %s: delete the service first", id,
				      user->rec.id);
	if (rc == 0)
		rc = brink_store_model_delete(ctl->st, tenant_id, id, err);
	pthread_mutex_unlock(&ctl->lock);
	free(m);
	return rc;
}
