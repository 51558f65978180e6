#include "brink/model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"forward", "analyze", "custom"};
static const char *const state_names[] = {"pending", "running", "stopped", "failed"};
static const char *const mode_names[] = {"datum", "batch"};
static const char *const format_names[] = {"h5", "rules"};

void brink_spec_free(struct brink_spec *spec)
{
	free(spec->things);
	free(spec->columns);
	free(spec->labels);
	spec->things = NULL;
	spec->columns = NULL;
	spec->labels = NULL;
	spec->nthings = 0;
	spec->ncolumns = 0;
	spec->nlabels = 0;
}

int brink_spec_copy(struct brink_spec *dst, const struct brink_spec *src)
{
	*dst = *src;
	dst->things = NULL;
	dst->columns = NULL;
	dst->labels = NULL;
	if (src->nthings) {
		dst->things = malloc(src->nthings * sizeof(*src->things));
		if (!dst->things)
			goto fail;
		memcpy(dst->things, src->things, src->nthings * sizeof(*src->things));
	}
	if (src->ncolumns) {
		dst->columns = malloc(src->ncolumns * sizeof(*src->columns));
		if (!dst->columns)
			goto fail;
		memcpy(dst->columns, src->columns, src->ncolumns * sizeof(*src->columns));
	}
	if (src->nlabels) {
		dst->labels = malloc(src->nlabels * sizeof(*src->labels));
		if (!dst->labels)
			goto fail;
		memcpy(dst->labels, src->labels, src->nlabels * sizeof(*src->labels));
	}
	return 0;
fail:
	brink_spec_free(dst);
	return -1;
}

static int name_lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

const char *brink_kind_name(enum brink_kind k)
{
	return kind_names[k];
}

const char *brink_state_name(enum brink_state s)
{
	return state_names[s];
}

const char *brink_mode_name(enum brink_mode m)
{
	return mode_names[m];
}

int brink_kind_parse(const char *s, enum brink_kind *out)
{
	int i = name_lookup(kind_names, BRINK_ARRAY_SIZE(kind_names), s);
	if (i < 0)
		return -1;
	*out = (enum brink_kind)i;
	return 0;
}

int brink_state_parse(const char *s, enum brink_state *out)
{
	int i = name_lookup(state_names, BRINK_ARRAY_SIZE(state_names), s);
	if (i < 0)
		return -1;
	*out = (enum brink_state)i;
	return 0;
}

int brink_mode_parse(const char *s, enum brink_mode *out)
{
	int i = name_lookup(mode_names, BRINK_ARRAY_SIZE(mode_names), s);
	if (i < 0)
		return -1;
	*out = (enum brink_mode)i;
	return 0;
}

bool brink_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > BRINK_NAME_MAX)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

bool brink_id_valid(const char *s)
{
	return strlen(s) == BRINK_ID_LEN && strspn(s, "0123456789abcdef") == BRINK_ID_LEN;
}

uint64_t brink_id_to_u64(const char *id)
{
	return strtoull(id, NULL, 16);
}

void brink_id_from_u64(uint64_t v, brink_id out)
{
	snprintf(out, sizeof(brink_id), "%016" PRIx64, v);
}

const char *brink_model_format_name(enum brink_model_format f)
{
	return format_names[f];
}

int brink_model_format_parse(const char *s, enum brink_model_format *out)
{
	int i = name_lookup(format_names, BRINK_ARRAY_SIZE(format_names), s);
	if (i < 0)
		return -1;
	*out = (enum brink_model_format)i;
	return 0;
}
