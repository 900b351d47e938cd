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

deps:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	else \
	  echo "all Debian packages present"; \
	fi

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
