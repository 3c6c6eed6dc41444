# powerprune: thin wrapper over CMake so that the usual verbs work.
#   make            build build/powerprune
#   make test       build and run every test through ctest
#   make demo       install missing Debian packages (as root), build, run the default flow
#   make asan-test  the tests again under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench-*    benchmarks (see bench/README.md)
#   make lint       cppcheck over the sources
#   make tidy       clang-tidy 14 (checks in .clang-tidy) over the sources
#   make install    install under PREFIX (/usr/local): bin, lib, include, share/powerprune
#   make fuzz       fuzz every file reader (libFuzzer; FUZZ_SECS per target)
BUILD    ?= build
ASAN     ?= build-asan
JOBS     ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all test demo deps asan-test install clean bench-dta bench-nn bench-trace bench-mac bench-timing bench-check bench-char bench lint tidy fuzz pann-seeds

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

# PANN's headline result over seeds (train -> fit -> pann qat at the 2-bit budget); not a speed benchmark
pann-seeds: all
	sh scripts/pann-seeds.sh $(BUILD)

bench-timing: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_timing
	$(BUILD)/bench_timing

# every benchmark, then one table of results against their peers (BENCHES="char dta" to choose)
bench: all
	sh bench/run_all.sh $(BUILD)

bench-char: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_char
	$(BUILD)/bench_char $(ARGS)

bench-check: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_check
	$(BUILD)/bench_check $(ARGS)

# Static analysis: cppcheck over the library and CLI sources.
lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
	  --inline-suppr -I include -I src src

# Static analysis: clang-tidy 14 with the checks of .clang-tidy, compile
# commands from a CMake configure in $(TIDY_BUILD). TIDY_PATHS (regexes over
# the source paths, default every file under src/) narrows it, e.g.
#   make tidy TIDY_PATHS='src/characterize/ src/estimate/'
# The findings, once each, go to stdout and $(TIDY_BUILD)/tidy.txt, then a
# count per module and check; the target fails when there is any.
TIDY_BUILD ?= build-tidy
TIDY_PATHS ?= $(CURDIR)/src/
tidy:
	@command -v run-clang-tidy-14 >/dev/null || { echo "make tidy needs clang-tidy 14: apt-get install clang-tidy-14"; exit 2; }
	@cmake -S . -B $(TIDY_BUILD) -DCMAKE_EXPORT_COMPILE_COMMANDS=ON $(CMAKE_ARGS) >/dev/null
	@$(MAKE) --no-print-directory -C $(TIDY_BUILD) pp_gen >/dev/null
	@run-clang-tidy-14 -p $(TIDY_BUILD) -j$(JOBS) -quiet $(TIDY_PATHS) 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' \
	  | grep -E '^/.*: (warning|error): ' | sed 's|^$(CURDIR)/||' | sort -u > $(TIDY_BUILD)/tidy.txt; \
	  cat $(TIDY_BUILD)/tidy.txt; \
	  sed -E 's|^src/([a-z]+)/.*\[([^]]+)\]$$|\1 \2|; s|^include/pp/([a-z]+)[a-z_]*\.h.*\[([^]]+)\]$$|\1 \2|' \
	    $(TIDY_BUILD)/tidy.txt | sort | uniq -c | sort -k2,2 -k1,1nr | awk '{ printf "%5d  %-12s %s\n", $$1, $$2, $$3 }'; \
	  n=$$(wc -l < $(TIDY_BUILD)/tidy.txt); echo "tidy: $$n finding(s)"; test $$n -eq 0

bench-mac: all
	@$(MAKE) --no-print-directory -C $(BUILD) bench_mac
	$(BUILD)/bench_mac

# Fuzz every file reader with libFuzzer (clang), FUZZ_SECS per target (fuzz/run.sh).
FUZZ_SECS ?= 600
fuzz:
	sh fuzz/run.sh $(FUZZ_SECS)

# Installs build/powerprune, libppcore.a, the headers and data/ files under PREFIX.
PREFIX ?= /usr/local
install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN)
