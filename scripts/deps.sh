#!/bin/sh
# Installs the Debian packages brink builds, tests and benchmarks with, when
# one is missing. Needs root (apt-get); does nothing when all are there.
set -eu
# Last line: the docker runtime's engine (docker.io), the local registry its
# tests pull from (docker-registry) and the test image's rootfs (busybox-static).
PKGS="build-essential pkg-config clang libclang-rt-14-dev
libuv1-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libseccomp-dev
libcurl4-openssl-dev libgnutls28-dev libcmocka-dev uthash-dev libcbor-dev libcoap3-dev libcoap3-bin
curl jq sqlite3 procps util-linux iproute2 wrk mosquitto libmosquitto-dev
docker.io docker-registry busybox-static"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "brink: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "brink: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
