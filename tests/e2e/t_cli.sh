#!/bin/bash
# The command-line client against the real brinkd: register, key, things,
# services, --json (compared with the REST API's own answers), errors and
# exit codes, unsubscribe.
. "$(dirname "$0")/lib.sh"
unset BRINK_KEY BRINK_PASSWORD


# cli_in INPUT [ARGS...]: as cli with INPUT on stdin.
cli_in() {
	local input=$1
	shift
	OUT=$(printf '%s' "$input" | "$BRINK" "$@" 2>"$DATA_DIR/.err")
	RC=$?
	ERR=$(cat "$DATA_DIR/.err")
	STATUS="rc=$RC"
	BODY="out=$OUT err=$ERR"
}

has() { printf '%s\n' "$1" | grep -qF -- "$2"; }
lacks() { ! printf '%s\n' "$1" | grep -qF -- "$2"; }
rc_is() { [ "$RC" = "$1" ]; }
# same_json A B: both are JSON objects and equal (key order aside).
is_object() { [ -n "$1" ] && printf '%s' "$1" | jq -e 'type == "object"' >/dev/null; }
same_json() {
	is_object "$1" &&
		[ "$(printf '%s' "$1" | jq -S .)" = "$(printf '%s' "$2" | jq -S .)" ]
}
# says_api_message MSG: brink printed brinkd's own (non-empty) error message.
says_api_message() { [ -n "$1" ] && [ "$ERR" = "brink: $1" ]; }

STARTED=no
brinkd_start -o cpu.capacity=2 && STARTED=yes
check "brinkd starts" test "$STARTED" = yes
[ "$STARTED" = yes ] || { finish; exit 1; }

# ---- usage, help and version: no server involved ----
cli --version
check "--version exits 0" rc_is 0
check "--version prints brink and a version" has "$OUT" "brink "
cli help
check "help exits 0" rc_is 0
check "help lists service up" has "$OUT" "service up KIND --cpu MIN[:MAX]"
cli service up --help
check "service up --help exits 0" rc_is 0
check "service up --help explains --cpu" has "$OUT" "--cpu MIN[:MAX]"
NOWHERE="http://127.0.0.1:$(free_port)"
cli --url "$NOWHERE" --key k bogus
check "unknown command exits 2" rc_is 2
check "unknown command says so" has "$ERR" "unknown command 'bogus'"
cli --url "$NOWHERE" --key k thing
check "group without a verb exits 2" rc_is 2
check "group without a verb lists its verbs" has "$ERR" "thing add NAME [--info TEXT]"
cli --url "$NOWHERE" --key k thing show
check "missing argument exits 2 (nothing sent)" rc_is 2
check "missing argument prints the usage line" has "$ERR" "usage: brink thing show ID"
cli --url "$NOWHERE" --key k service up forward
check "service up without --cpu exits 2" rc_is 2
check "service up without --cpu says --cpu is required" has "$ERR" "--cpu MIN[:MAX] is required"
cli --url "$NOWHERE" --key k service up forward --cpu 0.5:0.1
check "--cpu MIN > MAX exits 2" rc_is 2
check "--cpu MIN > MAX says what --cpu wants" has "$ERR" "--cpu wants MIN[:MAX]"
cli --url "$NOWHERE" --key k thing ls --bogus
check "unknown option exits 2" rc_is 2
check "unknown option is named" has "$ERR" "unknown option '--bogus'"
cli --url "$NOWHERE" thing ls
check "no key exits 2 before any request" rc_is 2
check "no key says how to set one" has "$ERR" "set BRINK_KEY or use --key"

# ---- register ----
cli register cli-one
check "register exits 0" rc_is 0
KEY=$(printf '%s\n' "$OUT" | sed -n 's/^ *export BRINK_KEY=//p')
TENANT_ID=$(printf '%s\n' "$OUT" | sed -n 's/^Registered tenant cli-one (id \(.*\))\.$/\1/p')
check "register prints the key with export BRINK_KEY=" test ${#KEY} -eq 32
check "register says the key is shown once" has "$OUT" "shown only once"
api GET /v1/tenant "" "$KEY"
expect_status 200 "the printed key works on the REST API"
check "register prints the tenant's id" test -n "$TENANT_ID" -a "$(jqb .id)" = "$TENANT_ID"
check "no password unless asked" test "$(jqb .has_password)" = false

cli_in $'s3cret-pass\n' --json register cli-two --password
check "register --password (stdin) --json exits 0" rc_is 0
K2=$(printf '%s' "$OUT" | jq -r .key)
api GET /v1/tenant "" "$K2"
check "--json register answers the REST fields" test "$(printf '%s' "$OUT" | jq -r .id)" = "$(jqb .id)"
check "register --password stores a password" test "$(jqb .has_password)" = true

OUT=$(BRINK_PASSWORD=an0ther-pass "$BRINK" --json register cli-three 2>/dev/null </dev/null)
api GET /v1/tenant "" "$(printf '%s' "$OUT" | jq -r .key)"
check "register takes BRINK_PASSWORD" test "$(jqb .has_password)" = true

cli_in "" register cli-four --password
check "register --password with empty stdin exits 2" rc_is 2
check "register --password with empty stdin says so" has "$ERR" "stdin, which is empty"
api POST /v1/tenants '{"name":"cli-four"}' ""
expect_status 201 "nothing was registered by the refused command"

api POST /v1/tenants '{"name":"cli-one"}' ""
CONFLICT_MSG=$(jqb .error.message)
cli register cli-one
check "a taken name exits 1" rc_is 1
check "a taken name prints brinkd's message" says_api_message "$CONFLICT_MSG"

export BRINK_KEY=$KEY

# ---- system ----
cli system
check "system exits 0" rc_is 0
check "system shows the capacity" has "$OUT" "capacity"
cli system --json
api GET /v1/system
check "system --json matches GET /v1/system" \
	test "$(printf '%s' "$OUT" | jq -c '{version, capacity, tenants}')" = "$(jqb '{version, capacity, tenants}' | jq -c .)"

# ---- things ----
cli thing add sensor-1 --info "kitchen, north wall"
check "thing add exits 0" rc_is 0
THING=$(printf '%s\n' "$OUT" | sed -n 's/^Added thing sensor-1 (id \(.*\))\.$/\1/p')
TKEY=$(printf '%s\n' "$OUT" | sed -n 's/^Thing key: //p')
check "thing add prints the thing key" test ${#TKEY} -eq 32
api GET "/v1/things/$THING"
expect_status 200 "thing add prints the id of the new thing"
check "the thing has its name and info" test "$(jqb '.name + "|" + .info')" = "sensor-1|kitchen, north wall"

cli --json thing add sensor-2
check "thing add --json exits 0" rc_is 0
THING2=$(printf '%s' "$OUT" | jq -r .id)
check "thing add --json carries the key" test "$(printf '%s' "$OUT" | jq -r '.key | length')" = 32

cli thing ls
check "thing ls exits 0" rc_is 0
check "thing ls has a header" has "$(printf '%s\n' "$OUT" | head -1)" "ID"
check "thing ls lists sensor-1 with its id" has "$(printf '%s\n' "$OUT" | grep -F sensor-1)" "${THING:-no id}"
check "thing ls lists sensor-2" has "$OUT" "sensor-2"
cli thing ls --json
api GET /v1/things
check "thing ls --json equals GET /v1/things" same_json "$OUT" "$BODY"

cli thing show "$THING"
check "thing show exits 0" rc_is 0
check "thing show shows the info" has "$OUT" "kitchen, north wall"
check "thing show says it was never seen" has "$OUT" "never"
cli --json thing show "$THING"
api GET "/v1/things/$THING"
check "thing show --json equals GET /v1/things/ID" same_json "$OUT" "$BODY"

cli thing rm "$THING2"
check "thing rm exits 0" rc_is 0
api GET "/v1/things/$THING2"
expect_status 404 "thing rm removed it"
NF_MSG=$(jqb .error.message)
cli thing show "$THING2"
check "a removed thing exits 1" rc_is 1
check "a removed thing prints brinkd's message" says_api_message "$NF_MSG"
cli --json thing show "$THING2"
check "--json error answers carry the code on stdout" test "$(printf '%s' "$OUT" | jq -r .error.code)" = not_found
cli --json thing rm "$THING"
check "thing rm --json prints a JSON object" is_object "$OUT"

# ---- services ----
cli service up forward --cpu 0.1:0.5 --name fw-1
check "service up exits 0" rc_is 0
SVC=$(printf '%s\n' "$OUT" | sed -n 's/^id  *//p')
check "service up says running" has "$(printf '%s\n' "$OUT" | grep '^state')" "running"
api GET "/v1/services/$SVC"
expect_status 200 "service up prints the id of the new service"
check "the service is forward, running, cpu 0.1..0.5, named fw-1" \
	test "$(jqb '[.kind, .state, .cpu.min == 0.1, .cpu.max == 0.5, .name] | map(tostring) | join(" ")')" = "forward running true true fw-1"

cli service ls
check "service ls exits 0" rc_is 0
check "service ls has the header" has "$(printf '%s\n' "$OUT" | head -1)" "CPU(min/max/assigned)"
ROW=$(printf '%s\n' "$OUT" | grep -F "$SVC")
check "service ls shows it forward, running, 0.1/0.5/..." \
	bash -c '[[ $1 =~ forward\ +running\ +0\.1/0\.5/[0-9.]+\ +fw-1 ]]' _ "$ROW"
cli service ls --json
api GET /v1/services
check "service ls --json equals GET /v1/services" same_json "$OUT" "$BODY"
cli service show "$SVC" --json
api GET "/v1/services/$SVC"
check "service show --json equals GET /v1/services/ID" same_json "$OUT" "$BODY"
cli service show "$SVC"
check "service show shows the cpu" has "$OUT" "0.1 / 0.5 /"

cli service stop "$SVC"
check "service stop exits 0" rc_is 0
check "service stop says stopped" has "$OUT" "stopped"
api GET "/v1/services/$SVC"
check "the service is stopped" test "$(jqb .state)" = stopped
cli service ls
check "service ls shows it stopped" has "$(printf '%s\n' "$OUT" | grep -F "$SVC")" "stopped"
cli --json service start "$SVC"
check "service start --json exits 0" rc_is 0
check "service start --json answers running" test "$(printf '%s' "$OUT" | jq -r .state)" = running
api GET "/v1/services/$SVC"
check "the service is running again" test "$(jqb .state)" = running

cli --json service up forward --cpu 3
check "over capacity exits 1" rc_is 1
check "over capacity: the code on stdout" test "$(printf '%s' "$OUT" | jq -r .error.code)" = insufficient_capacity
api POST /v1/services '{"kind":"forward","cpu":{"min":3,"max":3}}'
check "over capacity: brinkd's message on stderr" says_api_message "$(jqb .error.message)"

cli service rm "$SVC"
check "service rm exits 0" rc_is 0
api GET "/v1/services/$SVC"
expect_status 404 "service rm removed it"
cli service ls
check "service ls no longer lists it" lacks "$OUT" "$SVC"

# ---- keys and errors ----
cli --key "wrong-key-wrong-key-wrong-key-xx" thing ls
check "a wrong key exits 1" rc_is 1
check "a wrong key says so" test "$ERR" = "brink: the key was refused (set BRINK_KEY or --key)"
BRINK_KEY=wrong-key cli --json --key "$KEY" thing ls
api GET /v1/things
check "--key wins over BRINK_KEY" same_json "$OUT" "$BODY"
cli --url "$NOWHERE" system
check "an unreachable brinkd exits 3" rc_is 3
check "an unreachable brinkd says how to fix it" \
	test "$ERR" = "brink: cannot reach brinkd at $NOWHERE: connection refused (is brinkd running? set BRINK_URL)"

cli key rotate
check "key rotate exits 0" rc_is 0
NEWKEY=$(printf '%s\n' "$OUT" | sed -n 's/^New key: //p')
check "key rotate prints a new key" test ${#NEWKEY} -eq 32 -a "$NEWKEY" != "$KEY"
api GET /v1/tenant "" "$KEY"
expect_status 401 "after key rotate the old key is refused"
api GET /v1/tenant "" "$NEWKEY"
expect_status 200 "after key rotate the printed key works"
export BRINK_KEY=$NEWKEY
KEY=$NEWKEY

# ---- unsubscribe ----
cli service up forward --cpu 0.1
api GET /v1/system
check "a service runs before unsubscribe" test "$(jqb .services)" = 1
cli unsubscribe
check "unsubscribe without --yes and no terminal exits 2" rc_is 2
check "unsubscribe without --yes says to pass --yes" has "$ERR" "pass --yes"
# On a terminal it asks, naming the tenant; anything but "yes" declines.
OUT=$(printf 'no\n' | script -qec "$BRINK unsubscribe" /dev/null 2>&1)
RC=$?
STATUS="rc=$RC" BODY="out=$OUT"
check "unsubscribe on a terminal names the tenant" has "$OUT" "This deletes tenant cli-one"
check "declining exits 1" rc_is 1
api GET /v1/tenant "" "$NEWKEY"
expect_status 200 "the refused unsubscribe deleted nothing"
cli unsubscribe --yes
check "unsubscribe --yes exits 0" rc_is 0
api GET /v1/tenant "" "$NEWKEY"
expect_status 401 "after unsubscribe the key is refused"
api GET /v1/system "" "$K2"
check "after unsubscribe its service is gone" test "$(jqb .services)" = 0

finish
