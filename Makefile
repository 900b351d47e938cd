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
            util-linux procps
# `smx bench --plot` draws with gnuplot (run as a child process).
PACKAGES += gnuplot-nox
# `smx bench`'s iceoryx 2.0 baseline: the headers and CMake packages the harness builds against
# (libiceoryx-posh-dev brings the hoofs and platform libraries), and the iceoryx package for the
# iox-roudi the bench starts for its run. Without them the iceoryx lane is reported n/a.
PACKAGES += iceoryx libiceoryx-posh-dev libiceoryx-hoofs-dev

# As root (CI, containers) apt-get runs directly; otherwise through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: all deps build test demo install clean

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

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) $(if $(WERROR),-DSMX_WERROR=$(WERROR))
	cmake --build $(BUILD) -j $(JOBS)

test: WERROR = ON
test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 600

demo: build
	$(BUILD)/bin/smx demo --seconds $(SECONDS_DEMO)

install: build
	$(SUDO) cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)

# The full benchmark of docs/performance.md (about 12 minutes; run it on a quiet machine).
.PHONY: bench
bench: build
	$(BUILD)/bin/smx bench --plot $(BUILD)/bench.png

# ---- Sanitizers (docs/reliability.md, "Sanitizers") ------------------------------------------
# Each in a build directory of its own with every target instrumented; the suites run with the
# runtime's options (tests/sanitizers/sanitizers.cmake), so any finding fails its test.
#   make asan   AddressSanitizer and UndefinedBehaviorSanitizer in one build (build-asan):
#               suites unit, multiprocess, cli and python (the interpreter with libasan preloaded)
#   make tsan   ThreadSanitizer (build-tsan): suites unit, multiprocess and cli; only Cyclone DDS's
#               uninstrumented library is suppressed (tests/sanitizers/tsan.supp says why). Not
#               run: the 1 MiB torn-read stress test (20,000 frames written and checked byte by
#               byte by instrumented code outlast its 120 s bound; what it tests happens between
#               processes, which TSan cannot see) and the Python suite (sanitizers.cmake).
# ASAN_LABELS / TSAN_LABELS choose other suites (a ctest label regex: unit, multiprocess, cli,
# bench, python, package). Warnings are not errors here: instrumented code gives the compiler
# false positives, and `make test`'s uninstrumented build is the one held to -Werror.
ASAN_BUILD  ?= build-asan
TSAN_BUILD  ?= build-tsan
ASAN_LABELS ?= unit|multiprocess|cli|python
TSAN_LABELS ?= unit|multiprocess|cli
TSAN_EXCLUDE ?= ^Stress\.no_reader_accepts_a_torn_frame_from_a_full_speed_writer

.PHONY: asan tsan
asan: deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DSMX_SANITIZER=address,undefined -DSMX_WERROR=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure --timeout 900 -L '$(ASAN_LABELS)'

tsan: deps
	cmake -S . -B $(TSAN_BUILD) $(CMAKE_FLAGS) -DSMX_SANITIZER=thread -DSMX_WERROR=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && ctest --output-on-failure --timeout 900 -L '$(TSAN_LABELS)' -E '$(TSAN_EXCLUDE)'

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
lint: build
	$(call install_missing,$(LINT_PACKAGES))
	.ci/lint $(BUILD) $(LINT_SCOPE) $(LINT_BASE)
