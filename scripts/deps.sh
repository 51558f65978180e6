#!/bin/sh
# Installs the Debian packages brink builds, tests and benchmarks with, when
# one is missing. Needs root (apt-get); does nothing when all are there.
set -eu
# The libvirt line is for VMs: libvirt (C API, virsh, the test driver; libvirtd and QEMU for
# the one real guest), qemu-img for overlays, genisoimage for seeds
# The docker line: the docker runtime's engine (docker.io), the local registry its
# tests pull from (docker-registry) and the test image's rootfs (busybox-static).
PKGS="build-essential pkg-config clang libclang-rt-14-dev
libuv1-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libseccomp-dev
libcurl4-openssl-dev libgnutls28-dev libcmocka-dev uthash-dev libcbor-dev libcoap3-dev libcoap3-bin
curl jq sqlite3 procps util-linux iproute2 wrk mosquitto libmosquitto-dev
libhdf5-dev libopenblas-serial-dev
python3-numpy python3-h5py
mosquitto-dev
mosquitto-clients python3-paho-mqtt
libvirt-dev libvirt-clients libxml2-dev libcrypt-dev qemu-utils genisoimage libvirt-daemon-system qemu-system-x86
docker.io docker-registry busybox-static"
# libhdf5-dev, libopenblas-serial-dev: the analyze engine (brink-worker only, static).
# python3-numpy, python3-h5py: its reference tests (/usr/bin/python3 writes Keras files).
# mosquitto-dev: the broker plugin headers (brink-mqtt-auth.so); mosquitto-clients
# and python3-paho-mqtt: the MQTT end-to-end tests
# the console's browser tests (tests/web, playwright-core drives Debian's chromium)
PKGS="$PKGS chromium"
# strace: an e2e test counts a worker's sends to brinkd (tests/e2e/t_stream_handover.sh)
PKGS="$PKGS strace"
# Node.js for tests/web (graphql-js conformance, the console): Debian's only where none is installed
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

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
