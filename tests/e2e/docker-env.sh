#!/bin/bash
# docker-env.sh up|down|env|stop-engine|start-engine|restart-engine DIR
#
# A Docker engine and a registry of the tests' own, apart from any system
# engine: network namespace brinkdk<N> (10.213.N.2/30, the host at .1), a
# dockerd with its own data-root, exec-root, unix socket, pidfile and cgroup
# parent, and Debian's docker-registry on 127.0.0.1:5000 inside that namespace
# (dockerd treats a loopback registry as insecure: no TLS needed). Tests reach
# published ports at $DOCKER_TEST_IP. The registry is seeded with
# brink/test:1, a busybox-static rootfs that serves HTTP on port 80; the
# engine also has brink/exit:1, whose container exits at once, and
# brink/worker:1 (scripts/worker-image.sh).
#
# As in ../shared/recipes/swarm-nodes.sh: `ip netns exec` remounts /sys and
# hides the cgroup mounts, so dockerd starts through nsenter + unshare with
# /sys/fs/cgroup bound back in.
#
# `env DIR` prints the variables tests use (DOCKER_TEST_SOCK, DOCKER_TEST_IP,
# DOCKER_TEST_REGISTRY, DOCKER_TEST_NETNS).
set -euo pipefail
cmd=${1:-}
D=${2:?usage: docker-env.sh up|down|env DIR}
# one namespace per DIR, a free one chosen at `up` and kept in DIR/n (several
# suites may run at once on a shared machine)
if [ -f "$D/n" ]; then
	N=$(cat "$D/n")
elif [ "$cmd" = up ]; then
	N=$(( $(printf '%s' "$D" | cksum | cut -d' ' -f1) % 200 + 20 ))
	for _ in $(seq 200); do
		[ -e /run/netns/brinkdk$N ] || ip link show vbdk$N >/dev/null 2>&1 || break
		N=$(( (N - 20 + 1) % 200 + 20 ))
	done
	mkdir -p "$D" && echo "$N" >"$D/n"
else
	exit 0 # never brought up: nothing to do
fi
NS=brinkdk$N
IP=10.213.$N.2
REG=127.0.0.1:5000

in_ns() { nsenter --net=/run/netns/$NS "$@"; }
dk() { docker -H unix://$D/docker.sock "$@"; }

print_env() {
	echo "DOCKER_TEST_SOCK=$D/docker.sock"
	echo "DOCKER_TEST_IP=$IP"
	echo "DOCKER_TEST_REGISTRY=$REG"
	echo "DOCKER_TEST_NETNS=$NS"
	echo "DOCKER_TEST_DIR=$D"
}

make_rootfs() {
	local r=$D/rootfs
	mkdir -p $r/bin $r/www $r/etc $r/tmp
	cp /bin/busybox $r/bin/busybox
	for a in sh httpd sleep cat echo ls true false nc; do ln -sf busybox $r/bin/$a; done
	echo 'brink test image' >$r/www/index.html
	echo 'root:x:0:0:root:/:/bin/sh' >$r/etc/passwd
	tar -C $r -cf $D/rootfs.tar .
}

network_up() {
	ip netns add $NS
	ip -n $NS link set lo up
	ip link add vbdk$N type veth peer name eth0 netns $NS
	ip addr add 10.213.$N.1/30 dev vbdk$N
	ip link set vbdk$N up
	ip -n $NS addr add $IP/30 dev eth0
	ip -n $NS link set eth0 up
	ip -n $NS route add default via 10.213.$N.1
}

registry_up() {
	cat >$D/registry.yml <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $D/registry
  delete:
    enabled: true
http:
  addr: $REG
EOF
	setsid nsenter --net=/run/netns/$NS docker-registry serve $D/registry.yml \
		>$D/registry.log 2>&1 </dev/null &
	echo $! >$D/registry.pid
}

dockerd_up() {
	echo "{}" >$D/daemon.json
	cat >$D/start.sh <<EOS
set -e
mkdir -p $D/cg; mount --rbind /sys/fs/cgroup $D/cg
umount -l /sys; mount -t sysfs sysfs /sys
mount --rbind $D/cg /sys/fs/cgroup; umount -l $D/cg
exec dockerd -H unix://$D/docker.sock --data-root $D/data --exec-root $D/exec \
  --pidfile $D/docker.pid --config-file $D/daemon.json --cgroup-parent /brinkdk$N \
  --bip 10.214.$N.1/24 --default-address-pool base=10.215.$N.0/24,size=28 \
  --shutdown-timeout 2
EOS
	setsid nsenter --net=/run/netns/$NS unshare --mount --propagation slave \
		sh $D/start.sh >$D/dockerd.log 2>&1 </dev/null &
	echo $! >$D/launcher.pid
	local i
	for i in $(seq 300); do dk version >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "docker-env: dockerd did not come up; log:" >&2
	tail -20 $D/dockerd.log >&2
	return 1
}

seed_registry() {
	make_rootfs
	dk import -c 'CMD ["/bin/httpd","-f","-p","80","-h","/www"]' -c 'EXPOSE 80' \
		$D/rootfs.tar brink/test:1 >/dev/null
	local i
	for i in $(seq 100); do in_ns curl -sf http://$REG/v2/ >/dev/null && break; sleep 0.1; done
	dk tag brink/test:1 $REG/brink/test:1
	dk push $REG/brink/test:1 >/dev/null
	dk rmi $REG/brink/test:1 >/dev/null
	# an image whose container exits at once
	dk import -c 'CMD ["/bin/false"]' $D/rootfs.tar brink/exit:1 >/dev/null
	# brink's own image for forward and analyze services
	bash "$(dirname "$0")/../../scripts/worker-image.sh" $D/docker.sock >/dev/null
}

up() {
	network_up
	registry_up
	dockerd_up
	seed_registry
	print_env >$D/env
}

# Stops the engine (SIGTERM, as a service manager would) and starts it again;
# `stop-engine` only stops it.
engine_stop() {
	local p
	p=$(cat $D/launcher.pid 2>/dev/null || true)
	[ -n "$p" ] && ours "$p" || return 0
	kill -TERM "$p"
	for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	! ours "$p" || kill -KILL "$p"
	rm -f $D/launcher.pid
}

ours() { grep -qa "$D" /proc/$1/cmdline 2>/dev/null; }
killcg() {
	find /sys/fs/cgroup -path "*/brinkdk$N*" -name cgroup.procs -exec cat {} + 2>/dev/null |
		xargs -r kill -KILL 2>/dev/null || true
}

down() {
	local p
	engine_stop
	p=$(cat $D/registry.pid 2>/dev/null || true)
	[ -n "$p" ] && ours "$p" && kill -KILL "$p"
	killcg
	if [ -e /run/netns/$NS ]; then
		ip netns pids $NS | xargs -r kill -KILL
		ip netns del $NS
	fi
	ip link del vbdk$N 2>/dev/null || true
	sleep 0.2
	find /sys/fs/cgroup -depth -type d -path "*/brinkdk$N*" -exec rmdir {} + 2>/dev/null || true
	umount -R $D/data 2>/dev/null || true
	umount -R $D/exec 2>/dev/null || true
	rm -rf $D
}

case "$cmd" in
up) up ;;
stop-engine) engine_stop ;;
start-engine) dockerd_up ;;
restart-engine) engine_stop; dockerd_up ;;
down) down ;;
env) print_env ;;
*) echo "usage: $0 up|down|env|stop-engine|start-engine|restart-engine DIR" >&2; exit 2 ;;
esac
