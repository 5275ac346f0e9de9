# Thin wrapper over CMake/CTest. `make test` is what CI runs (.ci/run).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
CMAKE_ARGS ?=

.PHONY: all build build-occ deps test test-asan demo install format format-check clean

all: build

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

# Only the occ binary (no test binaries): what `make demo` runs.
build-occ:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS) --target occ

deps:
	scripts/install-deps.sh

# The whole suite: warnings are errors, then the sanitizer build of the
# torch-free unit tests.
test: deps format-check
	$(MAKE) build CMAKE_ARGS="-DOCC_WERROR=ON $(CMAKE_ARGS)"
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) test-asan

# ASan + UBSan over the torch-free library and its unit tests.
test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DOCC_SANITIZE=ON -DOCC_WERROR=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target occ_unit_tests
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L unit

# The demo builds only what it runs (the occ target, not the test binaries).
demo: deps build-occ
	scripts/demo.sh $(BUILD)/occ

install: build
	cmake --install $(BUILD)

# Tracked files and new ones not yet added (but not ignored ones).
SOURCES = git ls-files --cached --others --exclude-standard '*.cpp' '*.h'

format:
	$(SOURCES) | xargs clang-format -i

# Fails listing the files whose formatting differs from .clang-format.
format-check:
	@files=$$($(SOURCES) | xargs clang-format --dry-run 2>&1 | grep -o '^[^:]*:[0-9]*:[0-9]*: warning' | cut -d: -f1 | sort -u); \
	if [ -n "$$files" ]; then echo "not formatted (run make format):"; echo "$$files"; exit 1; fi

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
