#!/bin/bash
# GraphQL at /graphql: authentication (key, login mutation, session cookie),
# tenants kept apart, the admin, EPFIOT's and brink's fields, GraphQL's
# response format, and bad input (syntax, depth, cost, size, variables).
. "$(dirname "$0")/lib.sh"
brinkd_start -o admin.tenant=root

# gql QUERY [VARIABLES_JSON] [KEY] : POSTs a GraphQL request; sets STATUS, BODY
gql() {
	local q=$1 vars=${2:-null} key=${3-$KEY}
	api POST /graphql "$(jq -cn --arg q "$q" --argjson v "$vars" '{query: $q, variables: $v}')" "$key"
}

api POST /v1/tenants '{"name":"alpha","password":"alpha-secret"}' ""
A=$(jqb .key); A_ID=$(jqb .id)
api POST /v1/tenants '{"name":"beta"}' ""
B=$(jqb .key); B_ID=$(jqb .id)
api POST /v1/tenants '{"name":"root","password":"root-secret"}' ""
R=$(jqb .key)
KEY=$A

# ---- authentication ----
gql '{ me { id } }' null ""
expect_status 401 "a query without credentials"
check "... answers a GraphQL error list" test "$(jqb '(.errors | length) > 0 and (has("data") | not)')" = true
gql '{ __schema { queryType { name } mutationType { name } } }' null ""
expect_status 200 "introspection without credentials"
check "... names the root types" test "$(jqb '.data.__schema | .queryType.name + "/" + .mutationType.name')" = "Query/Mutation"
gql '{ me { id } }' null "not-a-key-at-all-xxxxxxxxxxxxxxx"
expect_status 401 "a wrong bearer key"
gql '{ me { id name admin } }'
expect_status 200 "me with a key"
check "... is alpha, not admin" test "$(jqb '.data.me | .id + "/" + .name + "/" + (.admin | tostring)')" = "$A_ID/alpha/false"

gql 'mutation { login(name: "alpha", password: "wrong") { token } }' null ""
check "login with a wrong password: an error, no token" test "$(jqb '(.data.login == null) and (.errors[0].message == "wrong name or password")')" = true
WRONG=$(jqb .errors[0].message)
gql 'mutation { login(name: "nobody", password: "x") { token } }' null ""
check "an unknown name reads exactly like a wrong password" test "$(jqb .errors[0].message)" = "$WRONG"
gql 'mutation { login(name: "beta", password: "") { token } }' null ""
check "a tenant without a password cannot log in" test "$(jqb .errors[0].message)" = "$WRONG"
gql 'mutation L($n: String!, $p: String!) { login(name: $n, password: $p) { token user { name } } }' \
	'{"n":"alpha","p":"alpha-secret"}' ""
check "login returns a token and the user" test "$(jqb '.data.login.user.name')" = alpha
TOKEN=$(jqb .data.login.token)
check "the token is 43 characters (not a key's 32)" test ${#TOKEN} -eq 43
gql '{ me { name } }' null "$TOKEN"
check "the session token works as a bearer" test "$(jqb .data.me.name)" = alpha
gql 'mutation { login(name: "alpha", password: "alpha-secret") { token } } query Q { me { id } }' null ""
expect_status 400 "two operations and no operationName"

# sessions with a cookie (the console)
JAR=$DATA_DIR/cookies
HDR=$(curl -s -D - -o "$DATA_DIR/.body" -c "$JAR" -H 'Content-Type: application/json' \
	-d '{"name":"alpha","password":"alpha-secret"}' "$BRINK_URL/v1/session")
check "POST /v1/session: 201" grep -q "^HTTP/1.1 201" <<<"$HDR"
check "... sets an HttpOnly, SameSite=Strict cookie" grep -qi "^set-cookie: brink_session=.*HttpOnly; SameSite=Strict" <<<"$HDR"
STATUS=$(curl -s -o "$DATA_DIR/.body" -w '%{http_code}' -b "$JAR" -H 'Content-Type: application/json' \
	-d '{"query":"{ me { name } }"}' "$BRINK_URL/graphql"); BODY=$(cat "$DATA_DIR/.body")
check "the cookie authenticates POST /graphql as JSON" test "$(jqb .data.me.name)" = alpha
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -H 'Content-Type: application/json' \
	-H "Origin: $BRINK_URL" -d '{"query":"{ me { name } }"}' "$BRINK_URL/graphql")
check "... from brink's own origin" test "$STATUS" = 200
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -H 'Content-Type: application/json' \
	-H "Origin: http://evil.example" -d '{"query":"{ me { name } }"}' "$BRINK_URL/graphql")
check "... but not from another origin" test "$STATUS" = 401
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -H "Origin: http://evil.example" "$BRINK_URL/v1/things")
check "... not even for a GET" test "$STATUS" = 401
STATUS=$(curl -s -o "$DATA_DIR/.body" -w '%{http_code}' -b "$JAR" -H 'Content-Type: text/plain' \
	-d '{"query":"{ me { name } }"}' "$BRINK_URL/graphql"); BODY=$(cat "$DATA_DIR/.body")
check "... but not a form-like text/plain POST (CSRF)" test "$STATUS" = 400 -a "$(jqb '.data.me.name // "none"')" = none
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" "$BRINK_URL/v1/things")
check "the cookie authenticates REST reads (GET)" test "$STATUS" = 200
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -H 'Content-Type: application/json' \
	-d '{"name":"via-cookie"}' "$BRINK_URL/v1/things")
check "... but not REST writes" test "$STATUS" = 401
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" "$BRINK_URL/v1/session")
check "GET /v1/session with the cookie" test "$STATUS" = 200
HDR=$(curl -s -D - -o /dev/null -b "$JAR" -c "$JAR" -X DELETE "$BRINK_URL/v1/session")
check "DELETE /v1/session clears the cookie" grep -qi "^set-cookie: brink_session=;.*Max-Age=0" <<<"$HDR"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: brink_session=$TOKEN" "$BRINK_URL/v1/things")
check "a live session's token works as a cookie" test "$STATUS" = 200
curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $TOKEN" "$BRINK_URL/v1/session"
gql '{ me { name } }' null "$TOKEN"
expect_status 401 "a closed session"

# ---- EPFIOT's and brink's fields ----
gql 'mutation { createThing(thing: {name: "prueba", info: "prueba", server: ""}) { id name info key } }'
check "createThing (EPFIOT's example) returns the thing and its key once" test "$(jqb '.data.createThing | .name + "/" + .info + "/" + (.key | length | tostring)')" = "prueba/prueba/32"
THING=$(jqb .data.createThing.id)
gql 'query ($id: ID!) { getThing(id: $id) { id name key vm { id } } }' "{\"id\":\"$THING\"}"
check "getThing: no key any more, no VM" test "$(jqb '.data.getThing | .name + "/" + (.key | tostring) + "/" + (.vm | tostring)')" = "prueba/null/null"
gql '{ things { id name } me { vmsConnection(first: 5) { totalCount pageInfo { hasNextPage } } } }'
check "things lists alpha's thing" test "$(jqb '[.data.things[].name] | join(",")')" = prueba
gql 'query { getusb { id info } }'
check "EPFIOT's getusb spelling is a field" test "$(jqb '.data | has("getusb")')" = true
gql 'mutation { createService(service: {kind: "forward", cpuMin: 0.1, cpuMax: 0.5}) { id kind state cpuMin cpuMax ports } }'
check "createService starts a forward service" test "$(jqb '.data.createService | .kind + "/" + .state + "/" + (.cpuMax | tostring)')" = "forward/running/0.5"
SVC=$(jqb .data.createService.id)
gql "mutation { stopService(id: \"$SVC\") { state cpuAssigned } }"
check "stopService" test "$(jqb .data.stopService.state)" = stopped
gql "mutation { startService(id: \"$SVC\") { state } }"
check "startService" test "$(jqb .data.startService.state)" = running
gql '{ services { id state } system { capacity vmsAvailable } }'
check "services lists it" test "$(jqb '[.data.services[].id] | join(",")')" = "$SVC"
gql 'mutation { createService(service: {kind: "bogus", cpuMin: 0.1, cpuMax: 0.5}) { id } }'
check "a bad ServiceInput: the REST body's message" test "$(jqb '.errors[0].message | test("kind")')" = true

# ---- tenants apart ----
KEY=$B
gql "query (\$id: ID!) { getThing(id: \$id) { id } }" "{\"id\":\"$THING\"}"
OTHER=$(jqb .errors[0].message)
check "beta reading alpha's thing: null and an error" test "$(jqb '.data.getThing')" = null
gql 'query ($id: ID!) { getThing(id: $id) { id } }' '{"id":"0123456789abcdef"}'
NONE=$(jqb .errors[0].message)
check "... exactly like a thing that does not exist" test "${OTHER//$THING/ID}" = "${NONE//0123456789abcdef/ID}"
gql "{ service(id: \"$SVC\") { id } }"
OTHER=$(jqb .errors[0].message)
gql '{ service(id: "0123456789abcdef") { id } }'
NONE=$(jqb .errors[0].message)
check "another tenant's service reads like an unknown one" test "${OTHER//$SVC/ID}" = "${NONE//0123456789abcdef/ID}"
gql "mutation { stopService(id: \"$SVC\") { id } deleteThing(id: \"$THING\") }"
check "beta cannot stop alpha's service nor delete its thing" test "$(jqb '[.data.stopService, .data.deleteThing] | map(. == null) | all')" = true
gql '{ things { id } services { id } }'
check "beta sees none of alpha's things and services" test "$(jqb '(.data.things | length) + (.data.services | length)')" = 0
gql "query { getUser(id: \"$A_ID\") { name } }"
check "a user cannot read another user" test "$(jqb '.errors[0].message')" = "no such user"
gql '{ getUsers { name } }'
check "getUsers is for the admin only" test "$(jqb '(.data.getUsers == null) and (.errors[0].message | test("admin"))')" = true
gql "mutation { deleteVm(userID: \"$A_ID\", vmID: \"0123456789abcdef\") }"
check "deleteVm is for the admin only" test "$(jqb '.errors[0].message | test("admin")')" = true
KEY=$R
gql '{ me { admin } getUsers { name } }'
check "admin.tenant=root: root is the admin and sees every user" test "$(jqb '(.data.me.admin | tostring) + "/" + ([.data.getUsers[].name] | sort | join(","))')" = "true/alpha,beta,root"
gql "query { getUser(id: \"$B_ID\") { name } }"
check "the admin reads any user" test "$(jqb .data.getUser.name)" = beta
KEY=$A

# ---- response format ----
gql '{ ok: me { name } bad: getThing(id: "0123456789abcdef") { id } }'
check "a field error: data with null, errors with message, locations and path" \
	test "$(jqb '[.data.ok.name, (.data.bad | tostring), .errors[0].path[0], (.errors[0].locations[0] | "\(.line):\(.column)")] | join("/")')" = "alpha/null/bad/1:19"
STATUS=$(curl -s -o "$DATA_DIR/.body" -w '%{http_code}' -H "Authorization: Bearer $A" -G \
	--data-urlencode 'query={ me { name } }' "$BRINK_URL/graphql"); BODY=$(cat "$DATA_DIR/.body")
check "GET /graphql runs a query" test "$STATUS/$(jqb .data.me.name)" = "200/alpha"
STATUS=$(curl -s -o "$DATA_DIR/.body" -w '%{http_code}' -H "Authorization: Bearer $A" -G \
	--data-urlencode 'query=mutation { deleteThing(id: "x") }' "$BRINK_URL/graphql")
check "GET /graphql refuses a mutation (405)" test "$STATUS" = 405

# ---- bad input ----
gql '{ me { name }'
check "a syntax error: 400 with its location" test "$STATUS/$(jqb '.errors[0].message | startswith("Syntax Error")')/$(jqb '.errors[0].locations[0].column')" = "400/true/14"
gql '{ nope }'
check "an unknown field: 400" test "$STATUS/$(jqb .errors[0].message)" = '400/Cannot query field "nope" on type "Query".'
DEEP='{ me { vms { owner { vms { owner { vms { owner { vms { owner { vms { owner { vms { owner { id } } } } } } } } } } } } } }'
gql "$DEEP"
check "a query 14 levels deep: refused (graphql.max_depth 12)" test "$STATUS/$(jqb '.errors[0].message | test("too deep")')" = "400/true"
WIDE="{ $(for i in $(seq 1 400); do printf 'v%d: getVms { id name state ip memory vcpu } ' "$i"; done) }"
gql "$WIDE"
check "400 aliased getVms (cost 24,400): refused (graphql.max_cost 20000)" test "$STATUS/$(jqb '.errors[0].message | test("too costly")')" = "400/true"
NEST="{ getThing(id: $(printf '[%.0s' $(seq 1 100))1$(printf ']%.0s' $(seq 1 100))) { id } }"
gql "$NEST"
check "values nested 100 deep: refused by the parser" test "$STATUS/$(jqb '.errors[0].message | test("nested deeper")')" = "400/true"
FRAGS="{ me { ...F0 } } $(for i in $(seq 0 29); do printf 'fragment F%d on User { ...F%d ...F%d } ' "$i" $((i+1)) $((i+1)); done) fragment F30 on User { id }"
gql "$FRAGS"
check "fragments doubling 30 times (2^30 fields): refused quickly by cost" test "$STATUS/$(jqb '.errors[0].message | test("too costly")')" = "400/true"
TOKENS="{ me { $(for i in $(seq 1 21000); do printf 'id '; done)} }"
printf '%s' "$(jq -cn --arg q "$TOKENS" '{query: $q}')" >"$DATA_DIR/tokens.json"
STATUS=$(curl -s -o "$DATA_DIR/.body" -w '%{http_code}' -H "Authorization: Bearer $A" -H 'Content-Type: application/json' \
	--data-binary @"$DATA_DIR/tokens.json" "$BRINK_URL/graphql"); BODY=$(cat "$DATA_DIR/.body")
check "21,000 tokens: refused" test "$STATUS/$(jqb '.errors[0].message | test("tokens")')" = "400/true"
head -c 70000 /dev/zero | tr '\0' ' ' >"$DATA_DIR/big"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A" -H 'Content-Type: application/json' \
	--data-binary @"$DATA_DIR/big" "$BRINK_URL/graphql")
check "a body over api.max_body: 413" test "$STATUS" = 413
api POST /graphql '{"query": 3}'
check "a query that is not a string: 400" test "$STATUS/$(jqb '.errors[0].message')" = "400/a query is required"
api POST /graphql 'not json'
expect_status 400 "a body that is not JSON"
gql 'query ($n: Int) { me { vmsConnection(first: $n) { totalCount } } }' '{"n":"many"}'
check "a variable of the wrong type: 400" test "$STATUS/$(jqb '.errors[0].message | test("Variable")')" = "400/true"
gql 'query ($id: ID!) { getThing(id: $id) { id } }' '{}'
check "a required variable missing: 400" test "$STATUS" = 400
gql '{ getThing(id: "\uD800") { id } }'
check "a lone surrogate escape: 400" test "$STATUS" = 400
for q in '{' '}' '{ me { ...' 'query ($' '{ a(b: {c: [1, {d: "e' '"""' 'fragment' '{ me { id } } $' '#' ; do
	gql "$q"
	check "broken document '$q': 400 with a message" test "$STATUS/$(jqb '.errors[0].message | length > 0')" = "400/true"
done
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$BRINK_URL/graphql")
check "PUT /graphql: 405" test "$STATUS" = 405

# sessions live in memory: a restart ends them, keys stay
api POST /v1/session '{"name":"alpha","password":"alpha-secret"}' ""
TOKEN=$(jqb .token)
brinkd_stop
brinkd_start -o admin.tenant=root
gql '{ me { name } }' null "$TOKEN"
expect_status 401 "a session does not survive a restart"
gql '{ me { name } things { name } }'
check "the key and the thing do" test "$(jqb '.data.me.name + "/" + .data.things[0].name')" = "alpha/prueba"
finish
