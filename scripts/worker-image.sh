#!/bin/bash
# Builds brink's own image for forward and analyze services on the docker
# runtime: a rootfs holding only the static brink-worker (and /run, where
# brinkd mounts the worker's socket directory), imported into the engine as
# brink/worker:1 (docker.worker_image). No registry is involved.
#   scripts/worker-image.sh [DOCKER_SOCKET]     (default /var/run/docker.sock)
set -euo pipefail
cd "$(dirname "$0")/.."
SOCK=${1:-/var/run/docker.sock}
IMAGE=${WORKER_IMAGE:-brink/worker:1}
# the static build (sanitizer builds link dynamically and would not run alone)
make -s build/brink-worker
if ! file -L build/brink-worker 2>/dev/null | grep -q 'statically linked' &&
	ldd build/brink-worker >/dev/null 2>&1; then
	echo "worker-image: build/brink-worker is not static" >&2
	exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/run/brink" "$root/tmp"
cp build/brink-worker "$root/brink-worker"
tar -C "$root" -cf "$root.tar" .
docker -H "unix://$SOCK" import -c 'USER 65534:65534' -c 'ENTRYPOINT []' "$root.tar" "$IMAGE" >/dev/null
rm -f "$root.tar"
echo "worker-image: $IMAGE imported into the engine at $SOCK"
