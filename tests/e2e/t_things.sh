#!/bin/bash
# Things: create, list, show, delete, each with its own key; scoped per tenant.
. "$(dirname "$0")/lib.sh"
brinkd_start
register alpha
A=$KEY
register beta
B=$KEY

KEY=$A
api POST /v1/things '{"name":"temp-1","info":"roof"}'
expect_status 201 "create a thing"
T1=$(jqb .id)
TK=$(jqb .key)
check "thing key is 32 chars" test ${#TK} -eq 32
check "thing key differs from the tenant key" test "$TK" != "$A"
api POST /v1/things '{"name":"temp-2"}'
T2=$(jqb .id)
api POST /v1/things '{"name":"temp-1"}'
expect_status 409 "a duplicate thing name"
api GET /v1/things
expect_status 200 "list things"
check "two things in creation order, no keys" test "$(jqb '[.things[].name] | join(",")'),$(jqb '[.things[] | has("key")] | any')" = "temp-1,temp-2,false"
api GET "/v1/things/$T1"
check "show a thing" test "$(jqb '.name + "/" + .info')" = "temp-1/roof"

KEY=$B
api POST /v1/things '{"name":"temp-1"}'
expect_status 201 "beta may use the same thing name"
api GET /v1/things
check "beta sees only its thing" test "$(jqb '.things | length')" = 1
api GET "/v1/things/$T1"
expect_status 404 "beta reading alpha's thing"
NF=$BODY
api GET "/v1/things/0123456789abcdef"
check "another tenant's id answers exactly like an unknown one" test "$(printf '%s' "$NF" | jq -r .error.code)" = "$(jqb .error.code)"
api DELETE "/v1/things/$T1"
expect_status 404 "beta deleting alpha's thing"

KEY=$A
api GET "/v1/things/$T1"
expect_status 200 "alpha's thing survived beta's delete"
api DELETE "/v1/things/$T2"
expect_status 204 "delete a thing"
api GET "/v1/things/$T2"
expect_status 404 "a deleted thing"
api DELETE "/v1/things/$T2"
expect_status 404 "delete twice"
finish
