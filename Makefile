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
else
BUILD ?= build
SANFLAGS =
OPT = -O2
WORKER_STATIC = -static
endif

# libcoap's GnuTLS flavour and GnuTLS's SHA-1 (WebSocket handshake): GnuTLS is
# loaded by libmicrohttpd anyway, where OpenSSL would add ~3 MB of RSS.
PKGS = libmicrohttpd jansson sqlite3 libsodium libseccomp libcurl libuv libcbor libcoap-3-gnutls gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Werror=missing-prototypes -Wno-format-truncation
ifneq ($(findstring clang,$(CC)),)
WARN += -Wno-unknown-warning-option
endif
CFLAGS = -std=gnu11 $(OPT) -g $(WARN) -D_GNU_SOURCE -Iinclude -Isrc $(PKG_CFLAGS) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS = $(SANFLAGS) $(EXTRA_LDFLAGS)
LDLIBS = $(PKG_LIBS) -lpthread -lm

COMMON_SRC := $(wildcard src/common/*.c)
DAEMON_SRC := $(wildcard src/core/*.c src/api/*.c src/store/*.c src/sched/*.c src/ingest/*.c \
		src/runtime/*.c src/control/*.c src/router/*.c)
WORKER_SRC := $(wildcard src/worker/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
MAINS := src/core/main.c src/worker/main.c src/cli/main.c

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_OBJ := $(call obj,$(COMMON_SRC))
DAEMON_LIB_OBJ := $(call obj,$(filter-out $(MAINS),$(DAEMON_SRC)))
WORKER_LIB_OBJ := $(call obj,$(filter-out $(MAINS),$(WORKER_SRC)))
CLI_LIB_OBJ := $(call obj,$(filter-out $(MAINS),$(CLI_SRC)))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

BINS := $(BUILD)/brinkd $(BUILD)/brink $(BUILD)/brink-worker

.PHONY: all deps test unit e2e fuzz bench run clean
all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libcommon.a: $(COMMON_OBJ)
$(BUILD)/libdaemon.a: $(DAEMON_LIB_OBJ)
$(BUILD)/libworker.a: $(WORKER_LIB_OBJ)
$(BUILD)/libcli.a: $(CLI_LIB_OBJ)
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/brinkd: $(call obj,src/core/main.c) $(BUILD)/libdaemon.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# brink-worker needs only libc; linked statically it starts ~0.25 ms sooner
# (no dynamic loading: bench-sandbox.sh). Sanitizer builds stay dynamic.
$(BUILD)/brink-worker: $(call obj,src/worker/main.c) $(BUILD)/libworker.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) $(WORKER_STATIC) -o $@ $^ -lpthread -lm
$(BUILD)/brink: $(call obj,src/cli/main.c) $(BUILD)/libcli.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Every unit test links against all libraries; the linker takes what it uses.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdaemon.a $(BUILD)/libworker.a $(BUILD)/libcli.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $^ $(LDFLAGS) $(LDLIBS) -lcmocka

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

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
