#!/bin/bash
# CoAP over DTLS-PSK with the real coap-client (GnuTLS flavour) and brink
# sensor simulate: identity <tenant>/<thing>, PSK the thing key; readings
# reach a forward service's stream port; wrong keys and identities, another
# tenant's identity, a thing without a sealed key (as made before migration
# 3) until its key is rotated, a rotated key's old value; confirmable and
# not; bootstrap of the coaps endpoint; the master key across a restart.
. "$(dirname "$0")/lib.sh"
CC=coap-client-gnutls

# coaps IDENTITY KEY PATH PAYLOAD [coap-client options]: the answer's code
# (2.04, 4.03...) or "none"
coaps() {
	local id=$1 k=$2 path=$3 payload=$4
	shift 4
	local out
	out=$(timeout 20 "$CC" -v 6 -B 4 -m post -t 50 -u "$id" -k "$k" -e "$payload" "$@" \
		"coaps://127.0.0.1:$COAPS_PORT$path" 2>&1)
	grep -o 'c:[0-9]\.[0-9][0-9]' <<<"$out" | tail -1 | cut -c3- | grep . || echo none
}
# stream_open FILE: reads the service's stream port with tenant key $A into FILE
stream_open() {
	timeout 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '%s\n' '$A' >&3; cat <&3" >"$1" &
	STREAM_PID=$!
	sleep 0.3
}
# refused REASON: brink_ingest_refused_total{reason=REASON}
refused() { curl -s "$BRINK_URL/metrics" | sed -n "s/^brink_ingest_refused_total{reason=\"$1\"} //p"; }

brinkd_start -o cpu.capacity=1.5
check "brinkd listens on the DTLS port" bash -c "ss -Hulan 'sport = :$COAPS_PORT' | grep -q ."
check "the master key file is made, mode 0600" test "$(stat -c %a "$DATA_DIR/master.key")" = 600
register alpha
A=$KEY
api POST /v1/things '{"name":"roof"}'
TA=$(jqb .key)
api POST /v1/things '{"name":"cellar"}'
TC=$(jqb .key)
TC_ID=$(jqb .id)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
PORT=$(jqb '.ports[0]')
register beta
B=$KEY
api POST /v1/things '{"name":"roof"}' # the same name in another tenant
TB=$(jqb .key)
stream_open "$DATA_DIR/stream1"

check "a confirmable POST over DTLS -> 2.04" test "$(coaps alpha/roof "$TA" /t/roof '{"seq":1,"temp":"21.5"}')" = 2.04
check "a non-confirmable POST over DTLS -> 2.04" test "$(coaps alpha/roof "$TA" /t/roof '{"seq":2,"temp":"21.6"}' -N)" = 2.04
check "no ?k= is needed over DTLS; a wrong one is ignored" test "$(coaps alpha/roof "$TA" '/t/roof?k=nope' '{"seq":3}')" = 2.04
check "a path naming another thing of the session's tenant -> 4.03" test "$(coaps alpha/roof "$TA" /t/cellar '{"seq":90}')" = 4.03
check "an unknown path -> 4.04" test "$(coaps alpha/roof "$TA" /x '{"seq":91}')" = 4.04
D0=$(refused dtls)
check "a wrong PSK gets no answer" test "$(coaps alpha/roof AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA /t/roof '{"seq":92}')" = none
check "an unknown identity gets no answer" test "$(coaps alpha/nothing "$TA" /t/roof '{"seq":93}')" = none
check "an identity that is not tenant/thing gets no answer" test "$(coaps roof "$TA" /t/roof '{"seq":94}')" = none
check "tenant B's thing key under tenant A's identity gets no answer" test "$(coaps alpha/roof "$TB" /t/roof '{"seq":95}')" = none
check "tenant A's thing key under tenant B's identity gets no answer" test "$(coaps beta/roof "$TA" /t/roof '{"seq":96}')" = none
check "tenant B's own thing of the same name is accepted" test "$(coaps beta/roof "$TB" /t/roof '{"seq":97,"b":"yes"}')" = 2.04
sleep 6 # a handshake with a wrong key is counted when libcoap drops its session
D1=$(refused dtls)
check "failed handshakes are counted (5 more: $D0 -> $D1)" test "$((D1 - D0))" -ge 5
check "failed handshakes are logged" grep -q 'coaps 127.0.0.1: handshake refused' "$DATA_DIR/brinkd.log"

# brink sensor simulate over coaps and coap, confirmable and not
cli sensor simulate --protocol coaps --port "$COAPS_PORT" --host 127.0.0.1 --thing "alpha/roof:$TA" --count 5 --rate 0 --json
check "sensor simulate --protocol coaps: 5 readings accepted" test "$(jq -r .accepted <<<"$OUT")/$RC" = 5/0
cli sensor simulate --proto coaps --non --port "$COAPS_PORT" --host 127.0.0.1 --thing "alpha/roof:$TA" --count 5 --rate 100 --json
check "sensor simulate --proto coaps --non: 5 readings accepted" test "$(jq -r .accepted <<<"$OUT")/$RC" = 5/0
cli sensor simulate --proto coap --port "$COAP_PORT" --host 127.0.0.1 --thing "roof:$TA" --thing "cellar:$TC" --count 3 --rate 0 --json
check "sensor simulate --proto coap: 2 things x 3 readings accepted" test "$(jq -r .accepted <<<"$OUT")/$RC" = 6/0
cli sensor simulate --proto coaps --port "$COAPS_PORT" --host 127.0.0.1 --thing "alpha/roof:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" --count 1 --json
check "sensor simulate --proto coaps with a wrong key: the thing is refused, exit 1" test "$(jq -r .refused <<<"$OUT")/$RC" = 1/1

# a flood of bad datagrams (garbage, malformed CoAP options, DTLS records
# out of nowhere) on both ports does not stop good readings
FLOOD=$(cat <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ports, end, n = [int(p) for p in sys.argv[1:3]], time.time() + 4, 0
bad = [b"\x40\x02\x00\x01\xf0", b"\x44\x02\x00\x01\xde\xad\xbe\xef\xdd\xff\xff",
       b"\x16\xfe\xfd" + os.urandom(40), b"\x50\x02\x00\x01\xbb\x00t\x04roof"]
while time.time() < end:
    for p in ports:
        s.sendto(bad[n % len(bad)] if n % 3 else os.urandom(n % 200), ("127.0.0.1", p))
        n += 1
    if n % 64 == 0:
        time.sleep(0.002)
print(n)
PY
)
/usr/bin/python3 -c "$FLOOD" "$COAP_PORT" "$COAPS_PORT" >"$DATA_DIR/flood.count" &
FLOOD_PID=$!
sleep 0.5
cli sensor simulate --proto coaps --port "$COAPS_PORT" --host 127.0.0.1 --thing "alpha/roof:$TA" --count 10 --rate 10 --json
check "during a flood of bad datagrams, coaps readings are all accepted" test "$(jq -r .accepted <<<"$OUT")/$RC" = 10/0
cli sensor simulate --proto coap --port "$COAP_PORT" --host 127.0.0.1 --thing "roof:$TA" --count 10 --rate 10 --json
check "... and coap readings too" test "$(jq -r .accepted <<<"$OUT")/$RC" = 10/0
wait "$FLOOD_PID"
check "the flood sent thousands of datagrams ($(cat "$DATA_DIR/flood.count"))" test "$(cat "$DATA_DIR/flood.count")" -gt 2000
check "the malformed ones are counted ($(refused malformed) > 1000)" test "$(refused malformed)" -gt 1000
check "libcoap's complaints about them are rate-limited" test "$(grep -c 'warn: coap:' "$DATA_DIR/brinkd.log")" -le 9

sleep 0.5
kill "$STREAM_PID" 2>/dev/null; wait "$STREAM_PID" 2>/dev/null
S=$DATA_DIR/stream1
check "the stream gets the DTLS readings with the thing's name" \
	test "$(grep '"thing":"roof"' "$S" | grep -v hum | grep -c '"seq":[123][,}]')" = 3
check "... and the simulated ones (5 + 5 + 10 coaps, 3 + 10 coap for roof, 3 for cellar)" \
	test "$(grep -c '"thing":"roof"' "$S")/$(grep -c '"thing":"cellar"' "$S")" = 36/3
check "nothing refused reached the stream" bash -c "! grep -q -e '\"seq\":9[0-9]' -e '\"b\":' '$S'"

# bootstrap of the coaps endpoint
api GET "/v1/bootstrap?protocol=coaps" "" "$TA"
check "GET /v1/bootstrap?protocol=coaps: port and PSK identity" \
	test "$(jqb '.endpoints.coaps | "\(.port) \(.psk_identity) \(.path)"')" = "$COAPS_PORT alpha/roof /t/roof"
api GET "/v1/bootstrap" "" "$TA"
check "GET /v1/bootstrap lists tcp, coap, coaps and mqtt" test "$(jqb '.endpoints | keys | join(",")')" = coap,coaps,mqtt,tcp
api GET "/v1/bootstrap?protocol=pigeon" "" "$TA"
expect_status 404 "GET /v1/bootstrap?protocol=pigeon"
reply=$(printf '%s coaps\n' "$TA" | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BOOTSTRAP_PORT; cat >&3; cat <&3")
check "bootstrap port: '<key> coaps' gets the DTLS port" test "$reply" = "{\"status\":\"OK\",\"body\":\"$COAPS_PORT\"}"
reply=$(printf '%s coap\n' "$TA" | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BOOTSTRAP_PORT; cat >&3; cat <&3")
check "bootstrap port: '<key> coap' gets the CoAP port" test "$reply" = "{\"status\":\"OK\",\"body\":\"$COAP_PORT\"}"
reply=$(printf '%s smoke\n' "$TA" | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BOOTSTRAP_PORT; cat >&3; cat <&3")
check "bootstrap port: an unknown protocol gets an error" test "$(jq -r .status <<<"$reply")" = ERROR

# a thing as made before migration 3: no sealed key
brinkd_stop
sqlite3 "$DATA_DIR/brink.db" "UPDATE things SET key_sealed = NULL WHERE id = '$TC_ID'"
brinkd_start -o cpu.capacity=1.5
check "after a restart the master key still opens the sealed keys" test "$(coaps alpha/roof "$TA" /t/roof '{"seq":4}')" = 2.04
check "a thing without a sealed key is refused over DTLS" test "$(coaps alpha/cellar "$TC" /t/cellar '{"seq":98}')" = none
check "... with a clear log line" grep -q 'alpha/cellar: the thing has no stored key .*rotate its key' "$DATA_DIR/brinkd.log"
check "... but its key still works on CoAP over UDP" \
	bash -c "timeout 10 coap-client-notls -B 3 -m post -e '{\"seq\":5}' 'coap://127.0.0.1:$COAP_PORT/t/cellar?k=$TC' -v 6 2>&1 | grep -q c:2.04"
export BRINK_KEY=$A
cli --json thing key "$TC_ID"
check "brink thing key rotates the thing's key" test "$RC/$(jq -r .name <<<"$OUT")" = 0/cellar
TC2=$(jq -r .key <<<"$OUT")
check "the rotation gives a new key" test -n "$TC2" -a "$TC2" != "$TC"
check "after the rotation DTLS works with the new key" test "$(coaps alpha/cellar "$TC2" /t/cellar '{"seq":6}')" = 2.04
check "the old key is refused over DTLS" test "$(coaps alpha/cellar "$TC" /t/cellar '{"seq":99}')" = none
check "the old key is refused over CoAP/UDP (4.01)" \
	bash -c "timeout 10 coap-client-notls -B 3 -m post -e '{\"seq\":99}' 'coap://127.0.0.1:$COAP_PORT/t/cellar?k=$TC' -v 6 2>&1 | grep -q c:4.01"
api GET "/v1/bootstrap" "" "$TC"
expect_status 401 "the old key is refused by GET /v1/bootstrap"
api POST "/v1/things/$TC_ID/key" "" "$B"
expect_status 404 "another tenant cannot rotate the thing's key"
check "no thing key is ever logged" \
	bash -c "! grep -q -e '$TA' -e '$TB' -e '$TC' -e '$TC2' '$DATA_DIR/brinkd.log'"
finish
