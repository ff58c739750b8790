# The commands people run.  Everything builds in place into .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(abspath $(VENV))/bin/python
PIP := $(abspath $(VENV))/bin/pip
BUILD_FLAGS := OSSL_WERROR=1
ASAN_LIB := $(shell gcc -print-file-name=libasan.so)
UBSAN_LIB := $(shell gcc -print-file-name=libubsan.so)

.PHONY: all venv build test demo asan bench docs clean

all: build

$(VENV)/.ready:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q pytest cryptography
	touch $@

venv: $(VENV)/.ready

# A sanitizer build leaves a marker; the next normal build starts clean.
build: venv
	@if [ -f build/.asan ]; then rm -rf build; fi
	$(BUILD_FLAGS) $(PY) setup.py -q build_ext --inplace -j 2

test: build
	$(PY) -m pytest -q -p no:cacheprovider test

# The demo runs from the installed package, not the checkout.
demo: venv
	$(PIP) install -q .
	tools/demo.sh $(PY) $(abspath demo-out)

asan: venv
	rm -rf build && mkdir -p build && touch build/.asan
	$(BUILD_FLAGS) OSSL_SANITIZE=1 $(PY) setup.py -q build_ext --inplace -j 2 --force
	LD_PRELOAD="$(ASAN_LIB) $(UBSAN_LIB)" \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	PYTHONMALLOC=malloc $(PY) -m pytest -q -p no:cacheprovider test
	rm -rf build OpenSSL/*.so

clean:
	rm -rf build OpenSSL/*.so demo-out

# ---- reliability: fuzzing, leak checks, valgrind ------------------------------
# `make fuzz`: every target for FUZZ_SECONDS each, under atheris, with the C code
# built by clang for libFuzzer coverage + ASan when clang is installed (else the
# plain build, mutation fuzzing).  `make fuzz-smoke`: FUZZ_RUNS inputs per
# target, at most FUZZ_CAP seconds each, on the plain build (CI).  Findings land in
# fuzz/work/<target>/crash-*.
FUZZ_VENV ?= .venv-fuzz
FUZZ_PY := $(abspath $(FUZZ_VENV))/bin/python
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 20000
FUZZ_CAP ?= 5
FUZZ_WORK ?= fuzz/work
CLANG ?= $(shell command -v clang || command -v clang-14 || command -v clang-15 || command -v clang-16)
LEAK_N ?= 100000

.PHONY: fuzz fuzz-smoke fuzz-build leakcheck leakcheck-quick valgrind

$(FUZZ_VENV)/.ready:
	$(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_PY) -m pip install -q atheris || echo "atheris unavailable: fuzzing with the built-in mutator"
	touch $@

fuzz-build: $(FUZZ_VENV)/.ready
	@if [ -z "$(CLANG)" ]; then echo "no clang: fuzzing the plain build without C coverage"; \
	else rm -rf build/fuzz-ext build/fuzz-lib && \
	CC=$(CLANG) LDSHARED="$(CLANG) -shared" LDFLAGS=-fsanitize=address \
	CFLAGS="-fsanitize=address,fuzzer-no-link -fno-omit-frame-pointer -g -O1" \
	$(FUZZ_PY) setup.py -q build --build-base build/fuzz-ext --build-lib build/fuzz-lib; fi

fuzz: build fuzz-build
	@if [ -n "$(CLANG)" ]; then \
	  export OSSL_FUZZ_LIB=$(abspath build/fuzz-lib) \
	    LD_PRELOAD="$$($(FUZZ_PY) -c 'import atheris; print(atheris.path())')/asan_with_fuzzer.so" \
	    ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1; fi; \
	$(FUZZ_PY) fuzz/run.py all --seconds $(FUZZ_SECONDS) --work $(FUZZ_WORK)

fuzz-smoke: build $(FUZZ_VENV)/.ready
	$(FUZZ_PY) fuzz/run.py all --runs $(FUZZ_RUNS) --seconds $(FUZZ_CAP) --work $(FUZZ_WORK)

leakcheck: build
	$(PY) tools/leakcheck.py -n $(LEAK_N)

leakcheck-quick: build
	$(PY) tools/leakcheck.py --quick

# Memcheck of a small leak-check run (the extension's own -O2 -g build);
# fails on a definite leak or memory error whose stack passes through our code.
VALGRIND_N ?= 40
valgrind: build
	PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=full \
	  --show-leak-kinds=definite --errors-for-leak-kinds=none --num-callers=30 \
	  --log-file=build/valgrind.log \
	  $(PY) tools/leakcheck.py -n $(VALGRIND_N) --no-bound
	$(PY) tools/valgrind_report.py build/valgrind.log
