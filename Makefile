# microvm - top-level Makefile.
#
#   make            build microvm, microvm-virtiofsd, the test guest
#   make run        install missing packages, build, prepare the guest kit, boot configs/default.toml
#   make test       install missing packages, build, run every test (unit, harness, KVM, Linux)
#   make check-layers  fail on an #include against the layer table (scripts/check-layers.py)
#   make bench      benchmarks (tables with medians; not tests)
#
# Sources are discovered by wildcard: one .c file per responsibility under src/<part>/ (or up
# to two folders deeper, src/arch/x86/boot/); scripts/check-layers.py says who may include whom.
# Build outputs go to $(BUILD) (default build/); SAN=1 builds with ASan+UBSan into build/san,
# SAN=thread with ThreadSanitizer into build/tsan.

SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
else ifeq ($(SAN),thread)
BUILD ?= build/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
# gcc warns that TSan does not model atomic_thread_fence (virtqueue.c and the harness use fences
# on guest-memory rings); those accesses are covered by tests/tsan.supp instead.
SANWARN := -Wno-tsan
OPT := -O1
else
BUILD ?= build
SANFLAGS :=
OPT := -O2
endif

CC ?= gcc
CFLAGS := -std=gnu11 $(OPT) -g -Wall -Wextra -Werror -D_GNU_SOURCE -Isrc -MMD -MP $(SANFLAGS) $(SANWARN) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) -pthread
LDLIBS := -lseccomp -lm
# Control API (src/api/): HTTP server, JSON, the ctl client. Debian: libmicrohttpd-dev,
# libjson-c-dev, libcurl4-openssl-dev.
API_PKGS := libmicrohttpd json-c libcurl
API_LIBS := $(shell pkg-config --libs $(API_PKGS) 2>/dev/null || echo -lmicrohttpd -ljson-c -lcurl)
LDLIBS += $(API_LIBS)
# virtio-blk io = "io_uring" (src/virtio/blk_uring.c). Debian: liburing-dev.
LDLIBS += $(shell pkg-config --libs liburing 2>/dev/null || echo -luring)

# libmicrovm: every source file except the program entry points.
PROG_SRCS := src/vmm/main_microvm.c src/virtiofsd/main_virtiofsd.c
LIB_SRCS := $(filter-out $(PROG_SRCS),$(wildcard src/*/*.c src/*/*/*.c src/*/*/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libmicrovm.a

PROGS := $(BUILD)/microvm
ifneq ($(wildcard src/virtiofsd/main_virtiofsd.c),)
PROGS += $(BUILD)/microvm-virtiofsd
endif

# Arch (src/arch/arch.h): x86_64 natively; `make ARCH=arm64` cross-builds microvm and
# microvm-virtiofsd into build/arm64/ with Debian's gcc-aarch64-linux-gnu, statically, against an
# arm64 sysroot of Debian libraries (scripts/arm64-sysroot.sh: fetched without touching the host's
# apt state). That build has no API server or ctl client (src/api/server_none.c): Debian ships no
# static GnuTLS/Kerberos, which libmicrohttpd and libcurl link.
ARCH ?= x86_64
ARM64_ONLY := src/arch/arm64/vcpu.c src/arch/arm64/gic.c src/arch/arm64/boot/% src/kvm/arch_arm64.c \
	src/api/server_none.c
X86_ONLY := src/arch/x86/% src/acpi/% src/legacy/i8042.c src/legacy/acpi_pm.c src/legacy/boot_timer.c \
	src/kvm/emul_fixup.c src/kvm/arch_x86.c src/vmm/machine_acpi.c src/api/server.c src/api/ctl.c
ifeq ($(ARCH),arm64)
ARM64_SYSROOT := $(shell scripts/arm64-sysroot.sh)
ARM64_LIBDIR := $(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu
CC := aarch64-linux-gnu-gcc
BUILD := build/arm64
CFLAGS += -isystem $(ARM64_SYSROOT)/usr/include -isystem $(ARM64_SYSROOT)/usr/include/aarch64-linux-gnu
LDFLAGS += -static -L$(ARM64_LIBDIR)
LDLIBS := -lseccomp -lfdt -lz -ljson-c -luring -lm
LIB_SRCS := $(filter-out $(X86_ONLY),$(LIB_SRCS))
PROGS := $(BUILD)/microvm $(BUILD)/microvm-virtiofsd
.PHONY: arm64
arm64: $(PROGS)
.DEFAULT_GOAL := arm64
else ifneq ($(ARCH),x86_64)
$(error ARCH=$(ARCH): x86_64 or arm64)
else
LIB_SRCS := $(filter-out $(ARM64_ONLY),$(LIB_SRCS))
# the arm64 device tree and Image code is unit-tested on x86 (microvm itself does not link it)
ARCH_TEST_LIBS := -lfdt -lz
endif
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libmicrovm.a

# Guest-driver harness (tests/harness/*.c) is linked into unit tests and harness tests.
HARNESS_SRCS := $(wildcard tests/harness/*.c)
HARNESS_OBJS := $(HARNESS_SRCS:%.c=$(BUILD)/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRCS := $(wildcard tests/backends/*.c)
HELPER_BINS := $(HELPER_SRCS:tests/backends/%.c=$(BUILD)/tests/backends/%)

CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

# Keep the objects of the harness, test back-ends and benches (built through pattern chains,
# make would delete them as intermediates and relink every time).
.SECONDARY: $(HARNESS_OBJS) $(HELPER_BINS:%=%.o) $(patsubst bench/%.c,$(BUILD)/bench/%.o,$(wildcard bench/*.c))

.PHONY: all deps run test test-realkvm unit-test unit-test-bins integration-test bench clean guest-kit test-guest fuzz
all: $(PROGS) $(UNIT_BINS) $(HELPER_BINS) test-guest

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/microvm: $(BUILD)/src/vmm/main_microvm.o $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/microvm-virtiofsd: $(BUILD)/src/virtiofsd/main_virtiofsd.o $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(HARNESS_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(CHECK_LIBS) $(LDLIBS) $(ARCH_TEST_LIBS)

$(BUILD)/tests/backends/%: $(BUILD)/tests/backends/%.o $(HARNESS_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

-include tests/guest/guest.mk
-include guest/guest.mk
-include tests/fuzz/fuzz.mk
-include bench/bench.mk
-include src/security/faultinj.mk

unit-test-bins: $(UNIT_BINS) $(HELPER_BINS)

unit-test: $(UNIT_BINS) $(HELPER_BINS)
	@tests/run_unit.sh $(UNIT_BINS)

# Include directions between the layers (the table is in scripts/check-layers.py).
.PHONY: check-layers
check-layers:
	@scripts/check-layers.py

integration-test: all
	@BUILD=$(BUILD) tests/run_integration.sh

# The README's test command. Installs what is missing, builds, runs every layer of tests.
test: deps
	@$(MAKE) --no-print-directory all guest-kit
	@BUILD=$(BUILD) tests/run_all.sh

# The real-KVM lane (tests/realkvm/README.md): stock kernels under kvm_amd in QEMU TCG.
test-realkvm: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/realkvm/run.sh

# The arm64 lane (tests/arm64/README.md): the arm64 build (make ARCH=arm64, into $(BUILD)/arm64)
# boots Debian's stock arm64 kernel under KVM in L1 (qemu-system-aarch64 TCG with EL2).
ARM64_BUILD ?= $(BUILD)/arm64
.PHONY: test-arm64 bench-arm64 arm64-lane-bins
arm64-lane-bins:
	@$(MAKE) --no-print-directory ARCH=arm64 BUILD=$(ARM64_BUILD) $(ARM64_BUILD)/microvm $(ARM64_BUILD)/microvm-virtiofsd
test-arm64: deps
	@$(MAKE) --no-print-directory arm64-lane-bins
	@BUILD=$(BUILD) ARM64_BUILD=$(ARM64_BUILD) tests/arm64/run.sh
bench-arm64: deps
	@$(MAKE) --no-print-directory arm64-lane-bins
	@BUILD=$(BUILD) ARM64_BUILD=$(ARM64_BUILD) ARM64_TESTS='b-*.sh' ARM64_WORK=$(BUILD)/arm64-bench tests/arm64/run.sh

run: deps
	@$(MAKE) --no-print-directory all guest-kit
	$(BUILD)/microvm run --config configs/default.toml

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(PROG_SRCS:%.c=$(BUILD)/%.d) $(HELPER_BINS:%=%.d) $(HARNESS_OBJS:.o=.d) $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%.d)
