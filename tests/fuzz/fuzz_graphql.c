/* libFuzzer harness for the GraphQL engine (src/graphql): the lexer, the
 * parser and validation against brink's schema (first byte even), or the
 * whole request with execution of introspection (odd: other root fields are
 * refused by admit, since resolvers need a control plane). Every input must
 * be answered without crashing, leaking or reading out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/brink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int only_introspection(void *ctx, bool mutation, const char *const *root, size_t n,
			      char *msg, size_t msglen)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		if (mutation || strncmp(root[i], "__", 2) != 0) {
			snprintf(msg, msglen, "refused");
			return -1;
		}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct gql_schema *schema = brink_gql_schema();
	struct gql_limits lim = GQL_LIMITS_DEFAULT;
	char msg[256];
	if (size < 1 || !schema)
		return 0;
	lim.max_fields = 20000;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] % 2 == 0) {
		gql_check(schema, &lim, text, len, msg, sizeof(msg));
		return 0;
	}
	json_t *vars = json_pack("{s:s,s:b,s:i}", "name", "Vm", "b", 1, "n", 3);
	struct gql_request rq = {.query = text, .query_len = len, .variables = vars,
				 .admit = only_introspection};
	struct jsonw w = {0};
	gql_run(schema, &lim, &rq, &w);
	size_t out;
	free(jsonw_take(&w, &out));
	json_decref(vars);
	return 0;
}
