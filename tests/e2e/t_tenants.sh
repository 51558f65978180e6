#!/bin/bash
# Tenants: registration, keys (shown once, hashed, rotated), passwords, unsubscribe.
. "$(dirname "$0")/lib.sh"
brinkd_start

api POST /v1/tenants '{"name":"acme"}' ""
expect_status 201 "register acme"
KEY=$(jqb .key)
check "key is 32 base64url chars (192 bits)" bash -c "[[ '$KEY' =~ ^[A-Za-z0-9_-]{32}$ ]]"
check "register reply has id and name" test "$(jqb '.id + "/" + .name')" = "$(jqb .id)/acme"
check "the key is not stored in clear" bash -c "! grep -qa -- '$KEY' '$DATA_DIR/brink.db' '$DATA_DIR/brink.db-wal' 2>/dev/null"

api POST /v1/tenants '{"name":"acme"}' ""
expect_status 409 "a taken name"
check "taken name -> conflict code" test "$(jqb .error.code)" = conflict

api GET /v1/tenant
expect_status 200 "GET /v1/tenant with the key"
check "tenant is acme without password" test "$(jqb '.name + " " + (.has_password|tostring)')" = "acme false"

api POST /v1/tenants '{"name":"secretive","password":"correct horse"}' ""
expect_status 201 "register with a password"
PWKEY=$(jqb .key)
api GET /v1/tenant "" "$PWKEY"
check "has_password true" test "$(jqb .has_password)" = true
check "password stored as argon2id" bash -c "sqlite3 '$DATA_DIR/brink.db' \"select pw_hash from tenants where name='secretive'\" | grep -q '^\\\$argon2id\\\$'"
api POST /v1/tenants '{"name":"shortpw","password":"short"}' ""
expect_status 400 "a password under 8 bytes"

OLD=$KEY
api POST /v1/tenant/key
expect_status 201 "rotate the key"
NEW=$(jqb .key)
check "the new key differs" test "$NEW" != "$OLD"
api GET /v1/tenant "" "$OLD"
expect_status 401 "the old key after rotation"
api GET /v1/tenant "" "$NEW"
expect_status 200 "the new key works"
KEY=$NEW

# unsubscribe removes everything the tenant owns
api POST /v1/things '{"name":"sensor1"}'
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
SVC_PID=$(jqb .worker.pid)
check "a service runs before unsubscribe" alive "$SVC_PID"
api DELETE /v1/tenant
expect_status 204 "unsubscribe"
api GET /v1/tenant
expect_status 401 "the key after unsubscribe"
sleep 0.2
check "the service's worker is gone" all_dead "$SVC_PID"
check "no rows left for acme" test "$(sqlite3 "$DATA_DIR/brink.db" "select (select count(*) from tenants where name='acme') + (select count(*) from things) + (select count(*) from services) + (select count(*) from tenant_keys k where not exists (select 1 from tenants t where t.id = k.tenant_id))")" = 0
api GET /v1/tenant "" "$PWKEY"
expect_status 200 "another tenant is untouched"
api POST /v1/tenants '{"name":"acme"}' ""
expect_status 201 "the name is free again"

finish
