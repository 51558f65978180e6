# brink — make builds everything into build/; make test, make bench, make run
# install what they need first (scripts/deps.sh, apt-get as root).
#
# snprintf truncation is how we bound strings, so -Wformat-truncation is off.
# SAN=1 builds into build/san with AddressSanitizer and UBSan.

CC ?= cc
SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT = -O1
# ASan intercepts crypt_r, xdr_* (libvirt's RPC, libtirpc) and more, and looks
# the real functions up at start: the VM plugin's libraries must be loaded
# then, not later with the plugin, so sanitizer builds link them in.
SAN_LIBS = $(VM_LIBS)
# (libcurl needs no such care: brink-docker.so loads it late, also sanitized;
# libvirt brings libcurl-gnutls at start anyway.)
else
BUILD ?= build
SANFLAGS =
OPT = -O2
WORKER_STATIC = -static
endif

# libcoap's GnuTLS flavour and GnuTLS's SHA-1 (WebSocket handshake): GnuTLS is
# loaded by libmicrohttpd anyway, where OpenSSL would add ~3 MB of RSS.
PKGS = libmicrohttpd jansson sqlite3 libsodium libseccomp libuv libcbor libcoap-3-gnutls gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libmosquitto: brink's sensor simulator (src/cli/sensor_mqtt.c) and the tests
# only. brinkd speaks MQTT itself (src/mqtt/codec.c says why), so neither
# libmosquitto nor the OpenSSL it links is loaded by brinkd.
CLI_PKGS = libmosquitto
CLI_LIBS := $(shell pkg-config --libs $(CLI_PKGS) 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Werror=missing-prototypes -Wno-format-truncation
ifneq ($(findstring clang,$(CC)),)
WARN += -Wno-unknown-warning-option
endif
CFLAGS = -std=gnu11 $(OPT) -g $(WARN) -D_GNU_SOURCE -Iinclude -Isrc $(PKG_CFLAGS) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS = $(SANFLAGS) $(EXTRA_LDFLAGS)
LDLIBS = $(PKG_LIBS) -lpthread -lm

# The model engine (src/analyze): libhdf5 (+ its high-level API for file
# images), OpenBLAS' serial build (never starts threads) and jansson, all
# from their static archives, in brink-worker and the tests only: brinkd
# never parses a model file. Static even in the dynamic (SAN) builds: the
# shared libhdf5 would pull in ~40 libraries (curl, krb5, ldap, ...).
HDF5_DIR = /usr/lib/x86_64-linux-gnu/hdf5/serial
OPENBLAS_DIR = /usr/lib/x86_64-linux-gnu/openblas-serial
ENGINE_CFLAGS = -I/usr/include/hdf5/serial
ENGINE_LIBS = $(HDF5_DIR)/libhdf5_hl.a $(HDF5_DIR)/libhdf5.a $(OPENBLAS_DIR)/libopenblas.a \
	-l:libjansson.a -lsz -laec -lz -ldl -lpthread -lm
CFLAGS += $(ENGINE_CFLAGS)
# VMs: libvirt's C API, libxml2's writer for domain XML and crypt(3) for cloud-init
# passwords live in a plugin, brink-libvirt.so, that brinkd loads when it needs VMs
# (linked in they would add ~12 MB to every brinkd's RSS: src/runtime/libvirt.h).
VM_PKGS = libvirt libxml-2.0 libcrypt
VM_CFLAGS := $(shell pkg-config --cflags $(VM_PKGS) 2>/dev/null)
VM_LIBS := $(shell pkg-config --libs $(VM_PKGS) 2>/dev/null)
VM_SRC := $(wildcard src/vm/*.c)
VM_PLUGIN := $(BUILD)/brink-libvirt.so
# The docker runtime (src/runtime/docker*.c) speaks to the engine with libcurl,
# whose libraries (OpenSSL, krb5, ldap...) and initialisation would add ~4 MB
# to every brinkd's RSS: it is a plugin too, brink-docker.so, that
# docker-loader.c loads when docker.socket is a socket (src/runtime/docker.h).
# Unit tests link the same code from libdocker.a. The CLI uses libcurl itself.
CURL_PKGS = libcurl
CURL_CFLAGS := $(shell pkg-config --cflags $(CURL_PKGS) 2>/dev/null)
CURL_LIBS := $(shell pkg-config --libs $(CURL_PKGS) 2>/dev/null)
CFLAGS += $(CURL_CFLAGS)
DOCKER_SRC := $(filter-out src/runtime/docker-loader.c,$(wildcard src/runtime/docker*.c))
DOCKER_PIC_OBJ := $(patsubst %.c,$(BUILD)/pic/%.o,$(DOCKER_SRC))
DOCKER_PLUGIN := $(BUILD)/brink-docker.so

# The MQTT packets and batches brinkd and the worker both write.
MQTT_COMMON_SRC := src/mqtt/batch.c src/mqtt/codec.c src/mqtt/outbatch.c
COMMON_SRC := $(wildcard src/common/*.c) $(MQTT_COMMON_SRC)
DAEMON_SRC := $(wildcard src/core/*.c src/api/*.c src/store/*.c src/sched/*.c src/ingest/*.c \
		src/runtime/*.c src/control/*.c src/router/*.c src/mqtt/*.c \
		src/ecm/*.c src/graphql/*.c)
DAEMON_SRC := $(filter-out $(DOCKER_SRC) $(MQTT_COMMON_SRC),$(DAEMON_SRC))
WORKER_SRC := $(wildcard src/worker/*.c)
# The model engine (analyze service): the worker only, never brinkd.
WORKER_SRC += $(wildcard src/analyze/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
MAINS := src/core/main.c src/worker/main.c src/cli/main.c

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_OBJ := $(call obj,$(COMMON_SRC))
DAEMON_LIB_OBJ := $(call obj,$(filter-out $(MAINS),$(DAEMON_SRC)))
WORKER_LIB_OBJ := $(call obj,$(filter-out $(MAINS),$(WORKER_SRC)))
CLI_LIB_OBJ := $(call obj,$(filter-out $(MAINS),$(CLI_SRC)))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

BINS := $(BUILD)/brinkd $(BUILD)/brink $(BUILD)/brink-worker $(BUILD)/brink-mqtt-auth.so $(VM_PLUGIN)
BINS += $(DOCKER_PLUGIN)

.PHONY: all deps test unit e2e fuzz bench run clean print-engine-libs
all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(VM_CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(VM_PLUGIN): $(patsubst %.c,$(BUILD)/pic/%.o,$(VM_SRC))
	$(CC) $(LDFLAGS) -shared -o $@ $^ $(VM_LIBS) $(shell pkg-config --libs jansson)

# Only brink_docker_ops leaves the plugin: its internals never bind to the
# copies a unit test links from libdocker.a.
$(DOCKER_PIC_OBJ): CFLAGS += -fvisibility=hidden
$(DOCKER_PLUGIN): $(DOCKER_PIC_OBJ)
	$(CC) $(LDFLAGS) -shared -o $@ $^ $(CURL_LIBS) $(shell pkg-config --libs jansson) -lm

$(BUILD)/libcommon.a: $(COMMON_OBJ)
$(BUILD)/libdocker.a: $(call obj,$(DOCKER_SRC))
$(BUILD)/libdaemon.a: $(DAEMON_LIB_OBJ)
$(BUILD)/libworker.a: $(WORKER_LIB_OBJ)
$(BUILD)/libcli.a: $(CLI_LIB_OBJ)
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# -rdynamic: the VM and docker plugins use brinkd's errors and logging.
$(BUILD)/brinkd: $(call obj,src/core/main.c) $(BUILD)/libdaemon.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(LDLIBS) $(SAN_LIBS)
# brink-worker needs only libc; linked statically it starts ~0.25 ms sooner
# (no dynamic loading: bench-sandbox.sh). Sanitizer builds stay dynamic.
$(BUILD)/brink-worker: $(call obj,src/worker/main.c) $(BUILD)/libworker.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) $(WORKER_STATIC) -o $@ $^ $(ENGINE_LIBS)
$(BUILD)/brink: $(call obj,src/cli/main.c) $(BUILD)/libcli.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CURL_LIBS) $(CLI_LIBS)

# The Mosquitto plugin, loaded by the broker brinkd starts: never sanitized
# (the broker does not load ASan's runtime); its broker symbols resolve in mosquitto.
PLUGIN_SRC := src/mqtt/plugin/plugin.c src/mqtt/plugin/relay.c src/mqtt/authproto.c src/mqtt/batch.c
$(BUILD)/brink-mqtt-auth.so: $(PLUGIN_SRC) src/mqtt/authproto.h src/mqtt/batch.h src/mqtt/plugin/relay.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -Isrc -fPIC -shared -o $@ $(PLUGIN_SRC)

# Every unit test links against all libraries; the linker takes what it uses.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdaemon.a $(BUILD)/libdocker.a $(BUILD)/libworker.a $(BUILD)/libcli.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(VM_CFLAGS) -Itests/unit -o $@ $^ $(LDFLAGS) -rdynamic $(ENGINE_LIBS) $(LDLIBS) $(VM_LIBS) $(CURL_LIBS) $(CLI_LIBS) -lcmocka

# the console's files are embedded in brinkd (.incbin in src/api/console.c)
$(BUILD)/obj/src/api/console.o: $(wildcard src/api/console/*)

deps:
	@scripts/deps.sh

unit: $(UNIT_BIN) $(BINS)
	@BUILD=$(BUILD) tests/run-unit.sh $(UNIT_BIN)

e2e: $(BINS)
	@BUILD=$(BUILD) tests/e2e/run.sh

# Builds the libFuzzer harnesses (clang) and replays their seed corpora.
fuzz:
	@BUILD=$(BUILD) tests/fuzz/run.sh

test: deps
	@tests/run-all.sh

# deps first, then a fresh make: pkg-config only knows the libraries afterwards.
bench: deps
	@$(MAKE) -s all
	@BUILD=$(BUILD) bench/run.sh

run: deps
	@$(MAKE) -s all
	@# brink's worker image, for services with runtime docker, when an engine answers
	@[ -S /var/run/docker.sock ] && docker version >/dev/null 2>&1 && scripts/worker-image.sh || true
	$(BUILD)/brinkd $(BRINKD_ARGS)

clean:
	rm -rf build

# What a program linking libworker.a needs beyond PKGS (tests/fuzz/run.sh, bench).
print-engine-libs:
	@echo $(ENGINE_LIBS)

-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
