# Fuzzing (libFuzzer). Included by the top-level Makefile.
#
#   make fuzz [FUZZ_SECONDS=20]   build every tests/fuzz/fuzz_<name>.c and run each for
#                                 FUZZ_SECONDS with a scratch copy of tests/fuzz/corpus/<name>/
#   make fuzz-build               build only (binaries in build/fuzz/)
#
# The library is rebuilt with clang + sanitizers into build/fuzz/ (separate from the gcc
# objects); program entry points ($(PROG_SRCS), top Makefile) are left out.

FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SECONDS ?= 20
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Isrc -D_GNU_SOURCE -Wall -Wextra -Werror -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
FUZZ_LIBS := -lseccomp -lpthread -lm $(API_LIBS) -lfdt -lz -luring

FUZZ_LIB_SRCS := $(filter-out $(PROG_SRCS) $(ARM64_ONLY),$(wildcard src/*/*.c src/*/*/*.c src/*/*/*/*.c))
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_DIR)/%.o)
FUZZ_LIB := $(FUZZ_DIR)/libmicrovm.a
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)

.PHONY: fuzz fuzz-build

$(FUZZ_DIR)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_LIB) -o $@ \
		$(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run_fuzz.sh $(FUZZ_BINS)

-include $(FUZZ_LIB_OBJS:.o=.d)
