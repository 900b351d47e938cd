# The two commands of the README: `make demo` and `make test`. Both install what is missing
# (Debian packages, via apt-get), build, and run. Everything else is a step of those.

BUILD   ?= build
PYTHON  ?= /usr/bin/python3
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX  ?= /usr/local
SECONDS_DEMO ?= 10

# Debian bookworm packages needed to build, test and run everything.
PACKAGES := g++ make cmake pkg-config \
            cyclonedds-dev cyclonedds-tools \
            libgtest-dev libcli11-dev libpng-dev \
            python3 python3-dev python3-numpy python3-pytest pybind11-dev \
            python3-setuptools python3-wheel python3-pip \
            util-linux iproute2 procps liblz4-dev libzstd-dev
# `smx record` / `smx play` write and read HDF5 (libhdf5, C API); the tests read the files with
# h5py as a user would.
PACKAGES += libhdf5-dev python3-h5py
# `smx bench --plot` draws with gnuplot (run as a child process).
PACKAGES += gnuplot-nox
# `smx bench`'s iceoryx 2.0 baseline: the headers and CMake packages the harness builds against
# (libiceoryx-posh-dev brings the hoofs and platform libraries), and the iceoryx package for the
# iox-roudi the bench starts for its run. Without them the iceoryx lane is reported n/a.
PACKAGES += iceoryx libiceoryx-posh-dev libiceoryx-hoofs-dev
# The Model.* tests check the slot protocol's Promela model (tests/model) with spin.
PACKAGES += spin
# The OpenCV example (examples/cpp/opencv_depth.cpp, smx/opencv.hpp) and its test: OpenCV's core
# only; libsmx never depends on it.
PACKAGES += libopencv-core-dev
# `smx view` draws with SDL2 (without libsdl2-dev it is built without a window); its tests run it
# on an Xvfb server of their own (tests/cli/view_test.cpp), and fail, not skip, without one.
PACKAGES += libsdl2-dev xvfb

# `make fuzz` only (never `make test`): clang 14 and libFuzzer, whose runtime
# (libclang_rt.fuzzer*.a) is in libclang-rt-14-dev, which clang merely recommends.
FUZZ_PACKAGES := clang libclang-rt-14-dev

# As root (CI, containers) apt-get runs directly; otherwise through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: all deps configure build test demo install clean

all: build

# Installs the Debian packages of $(1) that are missing.
define install_missing
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	else \
	  echo "all Debian packages present"; \
	fi
endef

deps:
	$(call install_missing,$(PACKAGES))

# WERROR=ON turns compiler warnings into errors (-DSMX_WERROR=ON); `make test`, which CI runs,
# sets it. Unset, the build directory keeps what it was configured with (OFF when new), so
# `make build` after `make test` does not rebuild everything.
WERROR ?=
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython3_EXECUTABLE=$(PYTHON)

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) $(if $(WERROR),-DSMX_WERROR=$(WERROR))

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Tests run in a DDS domain of their own (SMX_DOMAIN, 20..219 from the shell's pid unless set),
# never in domain 0 where other work on the machine may run.
TEST_DOMAIN = SMX_DOMAIN=$${SMX_DOMAIN:-$$(( $$$$ % 200 + 20 ))}

test: WERROR = ON
test: build
	cd $(BUILD) && $(TEST_DOMAIN) ctest --output-on-failure --timeout 600

# The demo needs only the library and the tool: on a fresh clone it streams minutes sooner than
# a full build would let it.
demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target smx_cli
	$(BUILD)/bin/smx demo --seconds $(SECONDS_DEMO)

install: build
	$(SUDO) cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)

# Every configuration of the slot protocol model (docs/model.md), the larger ones and the
# mutations included (several minutes, a few GB of memory); `make test` runs the small ones.
.PHONY: model
model: deps
	sh tests/model/check.sh spin $(BUILD)/model all

# The long chaos run of docs/reliability.md ("Chaos"): 2,000 writer cycles of kills, stops,
# forks, truncations and forgeries; prints a summary and writes it to $(BUILD)/chaos.json.
# CHAOS_ARGS adds options of tests/chaos/chaos.cpp (e.g. CHAOS_ARGS="--cycles 5000 --seed 7").
CHAOS_ARGS ?=
.PHONY: chaos
chaos: build
	$(BUILD)/tests/smx_chaos --long --json $(BUILD)/chaos.json $(CHAOS_ARGS)

# The full benchmark of docs/performance.md (about 12 minutes; run it on a quiet machine).
.PHONY: bench
bench: build
	$(BUILD)/bin/smx bench --plot $(BUILD)/bench.png

# Fuzzing (docs/reliability.md, "Fuzzing"): the libFuzzer targets of fuzz/, built with clang and
# ASan/UBSan into FUZZ_BUILD, each run FUZZ_SECONDS on fuzz/corpus/<target> plus a working
# corpus in FUZZ_BUILD/corpus/<target> (new inputs go there, not into the repository). Logs:
# FUZZ_BUILD/fuzz_<target>.log; crashing inputs: FUZZ_BUILD/artifacts/<target>/. `make
# fuzz-merge` then adds the working inputs that reach new coverage to fuzz/corpus (-merge=1).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := segment_validator schema names info_sample reader_info

.PHONY: fuzz fuzz-build fuzz-merge
fuzz-build:
	$(MAKE) deps PACKAGES="$(PACKAGES) $(FUZZ_PACKAGES)"
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMX_FUZZ=ON \
	  -DSMX_BUILD_TESTS=OFF -DSMX_BUILD_TOOLS=OFF -DSMX_BUILD_EXAMPLES=OFF -DSMX_BUILD_PYTHON=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target smx_fuzzers

fuzz: fuzz-build
	@failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s (log: $(FUZZ_BUILD)/fuzz_$$t.log)"; \
	  $(FUZZ_BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t \
	    > $(FUZZ_BUILD)/fuzz_$$t.log 2>&1 || failed="$$failed $$t"; \
	  grep -E '^#[0-9]+[[:space:]]+DONE|^Done|stat::(number_of_executed_units|average_exec_per_sec)|^SUMMARY|^==[0-9]+==ERROR|^smx fuzz check failed' \
	    $(FUZZ_BUILD)/fuzz_$$t.log; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzzing found crashes in:$$failed (inputs in $(FUZZ_BUILD)/artifacts/)"; exit 1; fi

fuzz-merge: fuzz-build
	for t in $(FUZZ_TARGETS); do \
	  $(FUZZ_BUILD)/fuzz/fuzz_$$t -merge=1 fuzz/corpus/$$t $(FUZZ_BUILD)/corpus/$$t || exit 1; \
	done

# ---- Sanitizers (docs/reliability.md, "Sanitizers") ------------------------------------------
# Each in a build directory of its own with every target instrumented; the suites run with the
# runtime's options (tests/sanitizers/sanitizers.cmake), so any finding fails its test.
#   make asan   AddressSanitizer and UndefinedBehaviorSanitizer in one build (build-asan):
#               suites unit, multiprocess, cli, python (the interpreter with libasan preloaded)
#               and fuzz (the fuzz corpora replayed through instrumented code)
#   make tsan   ThreadSanitizer (build-tsan): suites unit, multiprocess and cli; only Cyclone DDS's
#               uninstrumented library is suppressed (tests/sanitizers/tsan.supp says why). Not
#               run: the 1 MiB torn-read stress test (20,000 frames written and checked byte by
#               byte by instrumented code outlast its 120 s bound; what it tests happens between
#               processes, which TSan cannot see), the Liveness tests that send SIGTERM (TSan
#               defers signals to its own safe points, and a peer blocked in read() then never
#               takes the default action its handler re-raised: they hang under TSan only, and
#               test process-level behaviour, not threads) and the Python suite (sanitizers.cmake).
# Both compile one file at a time (SMX_UNITY_BUILD=OFF), so CI also sees that each of the
# library's files compiles on its own. ASAN_LABELS / TSAN_LABELS choose other suites (a ctest label regex: unit, multiprocess, cli,
# fuzz, model, chaos,
# bench, python, package). Warnings are not errors here: instrumented code gives the compiler
# false positives, and `make test`'s uninstrumented build is the one held to -Werror.
ASAN_BUILD  ?= build-asan
TSAN_BUILD  ?= build-tsan
ASAN_LABELS ?= unit|multiprocess|cli|python|fuzz
TSAN_LABELS ?= unit|multiprocess|cli
TSAN_EXCLUDE ?= ^Stress\.no_reader_accepts_a_torn_frame_from_a_full_speed_writer|^Liveness\..*SIGTERM
# SAN_TARGETS limits what is built (default: everything); CI's reduced step (.ci/run) builds only
# the unit and multi-process suites and the processes they start.
SAN_TARGETS ?=
SAN_CI_TARGETS := smx_unit_tests smx_multiprocess_tests smx_test_peer smx_test_injector

.PHONY: asan tsan sanitize-ci
# CI's reduced form (.ci/run, after `make test`): both sanitizers over the unit and multi-process
# suites only, building just what those run.
sanitize-ci:
	$(MAKE) asan ASAN_LABELS='unit|multiprocess' SAN_TARGETS='$(SAN_CI_TARGETS)'
	$(MAKE) tsan TSAN_LABELS='unit|multiprocess' SAN_TARGETS='$(SAN_CI_TARGETS)'

asan: deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DSMX_SANITIZER=address,undefined -DSMX_WERROR=OFF -DSMX_UNITY_BUILD=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS) $(if $(SAN_TARGETS),--target $(SAN_TARGETS))
	cd $(ASAN_BUILD) && $(TEST_DOMAIN) ctest --output-on-failure --timeout 900 -L '$(ASAN_LABELS)'

tsan: deps
	cmake -S . -B $(TSAN_BUILD) $(CMAKE_FLAGS) -DSMX_SANITIZER=thread -DSMX_WERROR=OFF -DSMX_UNITY_BUILD=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS) $(if $(SAN_TARGETS),--target $(SAN_TARGETS))
	cd $(TSAN_BUILD) && $(TEST_DOMAIN) ctest --output-on-failure --timeout 900 -L '$(TSAN_LABELS)' -E '$(TSAN_EXCLUDE)'

# ---- Lint (not part of `make test`) ----------------------------------------------------------
# clang-tidy (.clang-tidy: naming, function size, bug-prone checks) and clang-format
# (.clang-format), LLVM 14, with the compile database of $(BUILD). LINT_SCOPE=changed (default):
# the C++ files changed since the merge base with LINT_BASE, clang-format over their changed lines
# only; LINT_SCOPE=all: clang-tidy over every source (the tree is not clang-formatted in bulk).
# .ci/lint says more.
LINT_SCOPE ?= changed
LINT_BASE  ?= main
LINT_PACKAGES := clang-tidy clang-format

.PHONY: lint
# Its own build directory, one file at a time (SMX_UNITY_BUILD=OFF): clang-tidy needs each
# file's own entry in the compile database, and that build also shows that every file compiles
# alone, which the batched build does not.
LINT_BUILD ?= build-lint
lint: deps
	$(call install_missing,$(LINT_PACKAGES))
	cmake -S . -B $(LINT_BUILD) $(CMAKE_FLAGS) -DSMX_UNITY_BUILD=OFF
	cmake --build $(LINT_BUILD) -j $(JOBS)
	.ci/lint $(LINT_BUILD) $(LINT_SCOPE) $(LINT_BASE)
