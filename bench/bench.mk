# Benchmarks: `make bench` builds every bench/*.c into build/bench/<name> (linked with
# libmicrovm and the harness) and runs bench/run_bench.sh, which prints tables with medians.
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(HARNESS_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

.PHONY: bench bench-bins
bench-bins: $(BENCH_BINS)

bench: deps
	@$(MAKE) --no-print-directory all guest-kit bench-bins
	@BUILD=$(BUILD) bench/run_bench.sh
# Only the real-KVM lane's microvm-vs-QEMU boot table (bench/realkvm_boot.sh; also in `make bench`).
.PHONY: bench-realkvm
bench-realkvm: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/realkvm_boot.sh
-include $(BENCH_BINS:%=%.d)
