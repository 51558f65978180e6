/* Login sessions for the console and GraphQL: POST /v1/session with a
 * tenant's name and password opens one; its token (256 random bits,
 * base64url, 43 characters: never the length of a key) authenticates as
 * 'Authorization: Bearer <token>' or as the HttpOnly, SameSite=Strict cookie
 * brink_session. Sessions live in memory (a restart logs everyone out); only
 * the token's BLAKE2b hash is kept. The cookie authenticates only requests
 * a cross-site page cannot forge: GET (reads, the stream) and POST /graphql
 * with Content-Type application/json. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api-internal.h"
#include "control/users.h"

#define TOKEN_RAW 32
#define COOKIE "brink_session"

struct session {
	uint8_t hash[crypto_generichash_BYTES];
	brink_id tenant_id;
	int64_t expires; /* 0: free slot */
};

struct api_sessions {
	pthread_mutex_t lock;
	struct session *slots;
	size_t n;
	atomic_int ttl;
};

int api__sessions_init(struct brink_api *api, const struct brink_config *cfg)
{
	struct api_sessions *s = calloc(1, sizeof(*s));
	if (!s || !(s->slots = calloc((size_t)cfg->api_sessions_max, sizeof(*s->slots)))) {
		free(s);
		return -1;
	}
	s->n = (size_t)cfg->api_sessions_max;
	atomic_store(&s->ttl, cfg->api_session_ttl);
	pthread_mutex_init(&s->lock, NULL);
	api->sessions = s;
	return 0;
}

void api__sessions_reload(struct brink_api *api, const struct brink_config *cfg)
{
	if (api->sessions)
		atomic_store(&api->sessions->ttl, cfg->api_session_ttl);
}

void api__sessions_free(struct brink_api *api)
{
	struct api_sessions *s = api->sessions;
	if (!s)
		return;
	sodium_memzero(s->slots, s->n * sizeof(*s->slots));
	pthread_mutex_destroy(&s->lock);
	free(s->slots);
	free(s);
	api->sessions = NULL;
}

static void token_hash(const char *token, uint8_t out[crypto_generichash_BYTES])
{
	crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)token, strlen(token),
			   NULL, 0);
}

/* Opens a session for t; writes the token (len ≥ 44). The oldest session
 * makes room when all slots are taken. */
int api__session_open(void *ctx, const struct brink_tenant *t, char *token, size_t len)
{
	struct brink_api *api = ctx;
	struct api_sessions *s = api->sessions;
	unsigned char raw[TOKEN_RAW];
	int64_t now = (int64_t)time(NULL);
	if (!s || len < sodium_base64_ENCODED_LEN(TOKEN_RAW, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return -1;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, len, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	pthread_mutex_lock(&s->lock);
	size_t pick = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->slots[i].expires <= now) {
			pick = i;
			break;
		}
		if (s->slots[i].expires < s->slots[pick].expires)
			pick = i;
	}
	token_hash(token, s->slots[pick].hash);
	memcpy(s->slots[pick].tenant_id, t->id, sizeof(brink_id));
	s->slots[pick].expires = now + atomic_load(&s->ttl);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* The tenant id of a live session with this token, or false. */
static bool session_find(struct api_sessions *s, const char *token, brink_id tenant_id, bool close)
{
	uint8_t h[crypto_generichash_BYTES];
	int64_t now = (int64_t)time(NULL);
	bool found = false;
	token_hash(token, h);
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n && !found; i++) {
		struct session *e = &s->slots[i];
		if (e->expires > now && sodium_memcmp(e->hash, h, sizeof(h)) == 0) {
			found = true;
			memcpy(tenant_id, e->tenant_id, sizeof(brink_id));
			if (close)
				memset(e, 0, sizeof(*e));
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

bool api__is_session_token(const char *token)
{
	return strlen(token) == sodium_base64_ENCODED_LEN(TOKEN_RAW, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
}

int api__session_auth(struct brink_api *api, const char *token, struct brink_tenant *out,
		      struct brink_error **err)
{
	brink_id id;
	if (!api->sessions || !session_find(api->sessions, token, id, false))
		return brink_error_make(err, BRINK_E_UNAUTHORIZED, "the session has expired or was closed");
	if (brink_control_tenant_get(api->ctl, id, out, err) < 0)
		return brink_error_make(err, BRINK_E_UNAUTHORIZED, "the session's tenant is gone");
	return 0;
}

const char *api__cookie_token(struct api_request *rq)
{
	return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, COOKIE);
}

static void set_cookie(struct api_request *rq, const char *token, int max_age)
{
	snprintf(rq->set_cookie, sizeof(rq->set_cookie),
		 COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d", token, max_age);
}

/* POST /v1/session {"name","password"} */
void api__session_create(struct api_request *rq)
{
	struct brink_error *err = NULL;
	struct brink_tenant t;
	char token[64];
	json_error_t jerr;
	json_t *body = rq->body ? json_loadb(rq->body, rq->body_len, 0, &jerr) : NULL;
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *password = json_string_value(json_object_get(body, "password"));
	if (!name || !password || strlen(name) > BRINK_NAME_MAX || strlen(password) > 256) {
		json_decref(body);
		api__reply_errorf(rq, 400, "invalid", "send {\"name\": ..., \"password\": ...}");
		return;
	}
	int rc = brink_control_login(rq->api->ctl, name, password, &t, &err);
	json_decref(body);
	if (rc < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return;
	}
	if (api__session_open(rq->api, &t, token, sizeof(token)) < 0) {
		api__reply_errorf(rq, 500, "internal", "cannot open a session");
		return;
	}
	set_cookie(rq, token, atomic_load(&rq->api->sessions->ttl));
	api__reply_json(rq, 201, json_pack("{s:s,s:o}", "token", token, "tenant", api__tenant_json(&t)));
	sodium_memzero(token, sizeof(token));
}

/* DELETE /v1/session: closes the session of the cookie or bearer token. */
void api__session_delete(struct api_request *rq)
{
	const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *token = h && strncmp(h, "Bearer ", 7) == 0 ? h + 7 : api__cookie_token(rq);
	brink_id id;
	if (token && rq->api->sessions)
		session_find(rq->api->sessions, token, id, true);
	set_cookie(rq, "", 0);
	api__reply_no_content(rq);
}

/* GET /v1/session: who the caller is. */
void api__session_get(struct api_request *rq)
{
	api__reply_json(rq, 200, json_pack("{s:o}", "tenant", api__tenant_json(&rq->tenant)));
}
