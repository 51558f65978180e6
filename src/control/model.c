/* Tenants' models: every file is checked (parsed and described) by
 * brink-worker in the sandbox runtime before it is stored; brinkd itself
 * never parses one. The check of an h5 model also writes its compiled image
 * (src/analyze/nn-image.c), stored with it, which services then start from.
 * The check runs outside the control plane's lock: it takes milliseconds to
 * seconds, and other requests go on meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"
#include "brink/model-check.h"
#include "control/control-internal.h"

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n < 0 ? errno : EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int control__model_memfd(const void *data, size_t len, struct brink_error **err)
{
	int fd = memfd_create("brink-model", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return brink_error_sys(err, errno, "memfd_create");
	if (write_all(fd, data, len) < 0) {
		int e = errno;
		close(fd);
		return brink_error_sys(err, e, "writing the model to a memfd");
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(fd);
		return brink_error_sys(err, e, "sealing the model memfd");
	}
	return fd;
}

/* The check's memfd: the file in its envelope with room for the compiled
 * image (include/brink/model-check.h); writable, but its size is sealed. */
static int check_memfd(const void *data, size_t len, size_t image_max,
		       struct brink_model_envelope *e, struct brink_error **err)
{
	unsigned char hdr[BRINK_MODEL_CHECK_HEADER];
	brink_model_envelope_layout(len, image_max, e);
	brink_model_envelope_header(e, hdr);
	int fd = memfd_create("brink-model-check", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return brink_error_sys(err, errno, "memfd_create");
	if (write_all(fd, hdr, sizeof(hdr)) < 0 || write_all(fd, data, len) < 0 ||
	    ftruncate(fd, (off_t)(e->room_off + e->room_len)) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int errnum = errno;
		close(fd);
		return brink_error_sys(err, errnum, "preparing the model check's memfd");
	}
	return fd;
}

/* The compiled image the check wrote into the room: *image (malloc'd) of
 * `len` bytes, bounded by the room. Its bytes are not parsed here. */
static int read_image(int fd, const struct brink_model_envelope *e, size_t len, void **image,
		      struct brink_error **err)
{
	*image = NULL;
	if (len == 0)
		return 0;
	if (len > e->room_len)
		return brink_error_make(err, BRINK_E_INTERNAL,
					"the model check claims an image over its room");
	void *buf = malloc(len);
	if (!buf)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	ssize_t n = pread(fd, buf, len, (off_t)e->room_off);
	if (n != (ssize_t)len) {
		free(buf);
		return brink_error_sys(err, n < 0 ? errno : EIO, "reading the model image");
	}
	*image = buf;
	return 0;
}

/* Takes "image_bytes" (the compiled image's size, not part of the summary
 * shown) out of the checker's summary object o: 1 when it was there, 0 when
 * not, -1 when it is no size. */
static int take_image_bytes(json_t *o, size_t *image_len)
{
	json_t *v = json_object_get(o, "image_bytes");
	*image_len = 0;
	if (!v)
		return 0;
	json_int_t n = json_integer_value(v);
	if (!json_is_integer(v) || n < 0 || (uint64_t)n > BRINK_MODEL_IMAGE_MAX)
		return -1;
	*image_len = (size_t)n;
	return json_object_del(o, "image_bytes") == 0 ? 1 : -1;
}

/* Reads what the checker said about the model (untrusted: it ran the
 * tenant's file) into m: inputs, outputs and the summary text, and the size
 * of the image it wrote. */
static int read_summary(const char *text, struct brink_model_rec *m, size_t *image_len,
			struct brink_error **err)
{
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	json_int_t in = json_integer_value(json_object_get(o, "inputs"));
	json_int_t out = json_integer_value(json_object_get(o, "outputs"));
	_cleanup_free_ char *shown = NULL;
	int rc = 0, had_image = json_is_object(o) ? take_image_bytes(o, image_len) : -1;
	if (had_image < 0 || in < 1 || in > 1000000 || out < 1 || out > 1000000)
		rc = brink_error_make(err, BRINK_E_INTERNAL, "the model check gave no usable summary");
	else if (had_image && !(text = shown = json_dumps(o, JSON_COMPACT)))
		rc = brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
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

/* Room for an h5 model's image: what the engine's limits allow, at most
 * models.max_bytes plus a margin (a bigger image is not kept: the model then
 * starts from its HDF5 file). Rules have none. */
static size_t image_room(struct brink_control *ctl, const struct brink_model_rec *m)
{
	if (m->format != BRINK_MODEL_H5)
		return 0;
	size_t max = (size_t)ctl->cfg.models_max_bytes + (64u << 10);
	return max < BRINK_MODEL_IMAGE_MAX ? max : BRINK_MODEL_IMAGE_MAX;
}

/* Runs the sandboxed check of data as `format`; fills m's figures and gives
 * the compiled image it wrote (NULL: none) to *image. */
static int check(struct brink_control *ctl, const void *data, size_t len,
		 struct brink_model_rec *m, void **image, size_t *image_len,
		 struct brink_error **err)
{
	struct brink_model_envelope e;
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
	size_t room = image_room(ctl, m);
	pthread_mutex_unlock(&ctl->lock);
	*image = NULL;
	*image_len = 0;
	if ((c.fd = check_memfd(data, len, room, &e, err)) < 0)
		return -1;
	char *summary = NULL;
	int rc = r->ops->check_model(r->rt, &c, &summary, err);
	if (rc == 0)
		rc = read_summary(summary, m, image_len, err);
	if (rc == 0)
		rc = read_image(c.fd, &e, *image_len, image, err);
	close(c.fd);
	free(summary);
	return rc;
}

/* Keeps the compiled image with the model; without it (a store error) the
 * model still works, from its HDF5 file. */
static void store_image(struct brink_control *ctl, struct brink_model_rec *m, const void *image,
			size_t len)
{
	struct brink_error *err = NULL;
	if (brink_store_model_set_image(ctl->st, m->tenant_id, m->id, image, len, &err) == 0) {
		m->compiled = true;
		return;
	}
	log_warn("model %s: its compiled image is not kept: %s", m->id, err->msg);
	brink_error_free(&err);
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
	_cleanup_free_ void *image = NULL;
	size_t image_len = 0;
	if (check(ctl, data, len, out, &image, &image_len, err) < 0) {
		log_info("tenant %s: model '%s' (%s, %zu bytes) refused: %s", tenant_id, name, format,
			 len, (*err)->msg);
		return brink_error_wrap(err, "model refused");
	}
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_model_insert(ctl->st, out, data, len, err);
	if (rc == 0 && image)
		store_image(ctl, out, image, image_len);
	pthread_mutex_unlock(&ctl->lock);
	if (rc == 0)
		log_info("tenant %s: model %s (%s, %zu bytes%s) added", tenant_id, out->id,
			 brink_model_format_name(out->format), len,
			 out->compiled ? ", compiled" : "");
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
