# Sourced by the docker end-to-end tests after lib.sh. Uses the engine and
# registry tests/e2e/run.sh started for all of them (DOCKER_TEST_DIR), or
# starts its own for a test run alone, and stops it at exit. Fails loudly
# when no engine can start: dockerd runs here as root.
#
#   dk ARGS...                 the docker CLI on the test engine (tests only: brinkd never uses it)
#   in_ns CMD...               runs CMD in the engine's network namespace
#   wait_state ID STATE [S]    polls GET /v1/services/ID until state is STATE (S seconds, 30)
#   port_answers PORT          an HTTP GET of the published port returns the test page
#   containers_of ID           how many containers the engine has for service ID
#   nano_cpus_become CID N     the container's NanoCpus becomes N within 5 s
DOCKER_ENV=tests/e2e/docker-env.sh
DOCKER_OWN_ENV=""
if [ -z "${DOCKER_TEST_DIR:-}" ] || [ ! -f "$DOCKER_TEST_DIR/env" ]; then
	DOCKER_TEST_DIR=$(mktemp -d /tmp/brink-dockerenv.XXXXXX)
	DOCKER_OWN_ENV=1
	if ! bash "$DOCKER_ENV" up "$DOCKER_TEST_DIR" >"$DATA_DIR/docker-env.log" 2>&1; then
		cat "$DATA_DIR/docker-env.log" >&2
		bash "$DOCKER_ENV" down "$DOCKER_TEST_DIR" >/dev/null 2>&1
		check "a docker engine of the tests' own starts" false
		finish
		exit 1
	fi
fi
# shellcheck disable=SC1091
. "$DOCKER_TEST_DIR/env"
export DOCKER_TEST_SOCK DOCKER_TEST_IP DOCKER_TEST_REGISTRY DOCKER_TEST_NETNS

docker_cleanup_on_exit() {
	cleanup_on_exit
	[ -n "$DOCKER_OWN_ENV" ] && bash "$DOCKER_ENV" down "$DOCKER_TEST_DIR" >/dev/null 2>&1
	return 0
}
trap docker_cleanup_on_exit EXIT

dk() { docker -H "unix://$DOCKER_TEST_SOCK" "$@"; }
in_ns() { nsenter --net="/run/netns/$DOCKER_TEST_NETNS" "$@"; }

wait_state() {
	local id=$1 want=$2 secs=${3:-30} i
	for i in $(seq $((secs * 10))); do
		api GET "/v1/services/$id"
		[ "$(jqb .state)" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

port_answers() {
	local i
	for i in $(seq 30); do
		curl -s --max-time 1 "http://$DOCKER_TEST_IP:$1/" | grep -q 'brink test image' && return 0
		sleep 0.1
	done
	return 1
}

port_silent() { ! curl -s --max-time 1 "http://$DOCKER_TEST_IP:$1/" >/dev/null; }

# the container's CPU limit becomes N nano-cores within 5 s (updates are queued)
nano_cpus_become() {
	local i
	for i in $(seq 50); do
		[ "$(dk inspect -f '{{.HostConfig.NanoCpus}}' "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

containers_of() { dk ps -aq --filter "label=brink.service=$1" | wc -l; }
