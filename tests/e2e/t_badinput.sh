#!/bin/bash
# Bad input: each gets a clear JSON error with the right status and code, and
# changes nothing (the database is compared before and after).
. "$(dirname "$0")/lib.sh"
brinkd_start -o cpu.capacity=1.5 -o api.max_body=4096
register alpha
A=$KEY
api POST /v1/things '{"name":"t1"}'
api POST /v1/services '{"kind":"forward","cpu":{"min":0.5,"max":1}}'
SVC=$(jqb .id)
register beta
B=$KEY
api POST /v1/things '{"name":"bt"}'
BTHING=$(jqb .id)
KEY=$A

snapshot() {
	sqlite3 "$DATA_DIR/brink.db" "select id, name from tenants order by id; select id, name from things order by id; select id, state, desired, cpu_min, cpu_max from services order by id; select count(*) from tenant_keys;"
}
BEFORE=$(snapshot)

# bad METHOD PATH BODY STATUS CODE DESCRIPTION [KEY]
bad() {
	api "$1" "$2" "$3" "${7-$KEY}"
	check "$6 -> $4 $5" test "$STATUS/$(jqb .error.code)" = "$4/$5"
	check "$6: the message says something" test -n "$(jqb .error.message)"
}

bad POST /v1/services '{"kind":"forward",' 400 invalid_request "malformed JSON"
bad POST /v1/services '[1,2]' 400 invalid_request "an array body"
bad POST /v1/services '' 400 invalid_request "an empty body"
bad POST /v1/services "{\"kind\":\"forward\",\"name\":\"$(head -c 5000 /dev/zero | tr '\0' a)\",\"cpu\":{\"min\":0.1,\"max\":0.2}}" 413 too_large "a body over the limit"
bad POST /v1/services '{"kind":7,"cpu":{"min":0.1,"max":0.2}}' 400 invalid_request "kind of the wrong type"
bad POST /v1/services '{"kind":"forward","cpu":{"min":"0.1","max":0.2}}' 400 invalid_request "cpu.min as a string"
bad POST /v1/services '{"kind":"forward","cpu":[0.1,0.2]}' 400 invalid_request "cpu as an array"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.2},"colour":"red"}' 400 invalid_request "an unknown field"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.2,"burst":1}}' 400 invalid_request "an unknown field inside cpu"
bad POST /v1/services '{"kind":"forward","cpu":{"min":-0.1,"max":0.2}}' 400 invalid_request "a negative cpu.min"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0,"max":0}}' 400 invalid_request "cpu.max of zero"
bad POST /v1/services '{"kind":"forward","cpu":{"min":NaN,"max":0.2}}' 400 invalid_request "NaN cpu (not JSON)"
bad POST /v1/services '{"kind":"forward","cpu":{"min":"NaN","max":0.2}}' 400 invalid_request "NaN cpu as a string"
bad POST /v1/services '{"kind":"forward","cpu":{"min":1e999,"max":1e999}}' 400 invalid_request "infinite cpu"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.8,"max":0.2}}' 400 invalid_request "min > max"
bad POST /v1/services '{"kind":"forward","cpu":{"min":2,"max":3}}' 409 insufficient_capacity "a min above capacity"
bad POST /v1/services '{"kind":"forward","cpu":{"min":1.01,"max":1.2}}' 409 insufficient_capacity "a min above what is left"
bad POST /v1/services '{"kind":"teleport","cpu":{"min":0.1,"max":0.2}}' 400 invalid_request "an unknown kind"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.2},"memory_mb":1}' 400 invalid_request "memory below 4 MB"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.2},"memory_mb":64.5}' 400 invalid_request "memory not an integer"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.2},"image":"x"}' 400 invalid_request "a custom field on forward"
bad POST /v1/services '{"kind":"custom","image":"x; rm -rf /","cpu":{"min":0.1,"max":0.2},"runtime":"docker"}' 400 invalid_request "an image reference with a shell word"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.2},"runtime":"warp"}' 503 unavailable "an unknown runtime"
bad POST /v1/services '{"kind":"forward","kind":"analyze","cpu":{"min":0.1,"max":0.2}}' 400 invalid_request "a duplicate field"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.2},"things":["nothex"]}' 400 invalid_request "a malformed thing id"
bad POST /v1/services "{\"kind\":\"forward\",\"cpu\":{\"min\":0.1,\"max\":0.2},\"things\":[\"$BTHING\"]}" 404 not_found "another tenant's thing"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.2},"things":["0123456789abcdef"]}' 404 not_found "an unknown thing"
bad GET /v1/services/0123456789abcdef '' 404 not_found "an unknown service id"
bad GET /v1/services/..%2F..%2Fetc '' 404 not_found "a path-like service id"
bad POST /v1/services/0123456789abcdef/stop '' 404 not_found "stop an unknown service"
bad DELETE /v1/services/0123456789abcdef '' 404 not_found "delete an unknown service"
bad GET "/v1/services/$SVC" '' 404 not_found "another tenant's service" "$B"
bad POST "/v1/services/$SVC/stop" '' 404 not_found "stop another tenant's service" "$B"
bad DELETE "/v1/services/$SVC" '' 404 not_found "delete another tenant's service" "$B"
bad GET /v1/services '' 401 unauthorized "no key" ""
bad GET /v1/services '' 401 unauthorized "a wrong key" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
bad POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.2}}' 401 unauthorized "create without a key" ""
bad DELETE /v1/tenant '' 401 unauthorized "unsubscribe with a wrong key" "nope"
bad POST /v1/things '{"name":"has space"}' 400 invalid_request "a thing name with a space"
bad POST /v1/things '{"name":""}' 400 invalid_request "an empty thing name"
bad POST /v1/things '{"info":"x"}' 400 invalid_request "a thing without a name"
bad POST /v1/tenants '{"name":"a/b"}' 400 invalid_request "a tenant name with a slash" ""
bad POST /v1/tenants '{"name":"ok","admin":true}' 400 invalid_request "an unknown tenant field" ""
bad POST /v1/tenants '{"name":"zz\u0000x"}' 400 invalid_request "a NUL in a name" ""
bad GET /v1/nothing '' 404 not_found "an unknown route"
bad PUT /v1/services '' 405 method_not_allowed "a wrong method"

AFTER=$(snapshot)
check "nothing changed after all the bad requests" test "$BEFORE" = "$AFTER"
api GET /healthz
expect_status 200 "still healthy"
finish
