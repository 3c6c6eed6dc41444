# powerprune: thin wrapper over CMake so that the usual verbs work.
#   make            build build/powerprune
#   make test       build and run every test through ctest
#   make demo       install missing Debian packages (as root), build, run the default flow
#   make asan-test  the tests again under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench-*    benchmarks (see bench/README.md)
#   make lint       cppcheck over the sources
#   make fuzz       fuzz the Liberty/Verilog readers (libFuzzer; FUZZ_SECS per target)
BUILD    ?= build
ASAN     ?= build-asan
JOBS     ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all test demo deps asan-test clean bench-dta bench-nn bench-trace bench-mac bench-timing bench-check lint fuzz

all: $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

test: all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

asan-test:
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DPP_SANITIZE=ON $(CMAKE_ARGS)
	@$(MAKE) --no-print-directory -C $(ASAN) -j$(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  PP_ASAN=1 ctest --output-on-failure -j$(JOBS)

deps:
	sh scripts/install-deps.sh

demo: deps all
	$(BUILD)/powerprune run --out demo-out

bench-dta: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_dta
	sh bench/run_dta.sh $(BUILD)

bench-nn: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_nn
	sh bench/run_nn.sh $(BUILD)

bench-trace: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_trace
	$(BUILD)/bench_trace

bench-timing: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_timing
	$(BUILD)/bench_timing

bench-check: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_check
	$(BUILD)/bench_check $(ARGS)

# Static analysis: cppcheck over the library and CLI sources.
lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
	  --inline-suppr -I include -I src src

bench-mac: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_mac
	$(BUILD)/bench_mac

# Fuzz the Liberty and Verilog readers with libFuzzer (clang), FUZZ_SECS per target.
FUZZ_SECS ?= 600
fuzz:
	sh fuzz/run.sh $(FUZZ_SECS)

clean:
	rm -rf $(BUILD) $(ASAN)
