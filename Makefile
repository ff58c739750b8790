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
# No -j: the three extensions compile OpenSSL/_common/*.c into the same object
# files, and building them in parallel races on those files.
build: venv
	@if [ -f build/.asan ]; then rm -rf build; fi
	$(BUILD_FLAGS) $(PY) setup.py -q build_ext --inplace

test: build
	$(PY) -m pytest -q -p no:cacheprovider test

# The demo runs from the installed package, not the checkout.
demo: venv
	$(PIP) install -q .
	tools/demo.sh $(PY) $(abspath demo-out)

asan: venv
	rm -rf build && mkdir -p build && touch build/.asan
	$(BUILD_FLAGS) OSSL_SANITIZE=1 $(PY) setup.py -q build_ext --inplace --force
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
# Documentation: Sphinx in its own venv; warnings (and broken references) are
# errors.  Sphinx and mypy are pinned: a new release may add warnings or checks.
DOCS_VENV ?= .docs-venv
DOCS_PY := $(abspath $(DOCS_VENV))/bin/python

$(DOCS_VENV)/.ready:
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_PY) -m pip install -q --upgrade pip
	$(DOCS_PY) -m pip install -q "sphinx==9.0.4"
	touch $@

docs: $(DOCS_VENV)/.ready
	$(DOCS_PY) -m sphinx -W --keep-going -n -q -b html doc doc/_build/html
	@echo "docs: doc/_build/html/index.html"

# Type stubs against the in-place build.  Names the stubs declare but the build
# does not have yet are listed by test/apinames.py and allowed for this run
# only (STRICT=1 allows none); test/stubtest-allowlist.txt holds the justified
# exceptions.  Then mypy reads the tutorial's code with the stubs.
STUBTEST_VENV ?= .stubtest-venv
STUBTEST_PY := $(abspath $(STUBTEST_VENV))/bin/python

$(STUBTEST_VENV)/.ready:
	$(PY) -m venv $(STUBTEST_VENV)
	$(STUBTEST_PY) -m pip install -q --upgrade pip
	$(STUBTEST_PY) -m pip install -q "mypy==2.4.1" cryptography "typing_extensions>=4.15"
	touch $@

.PHONY: docs stubtest
stubtest: build $(STUBTEST_VENV)/.ready
	$(PY) test/apinames.py --pending > build/stubtest-pending.txt
	@echo "stubtest: $$(grep -c . build/stubtest-pending.txt || true) stubbed names not built yet (build/stubtest-pending.txt)"
	PYTHONPATH=$(CURDIR) $(STUBTEST_PY) -m mypy.stubtest OpenSSL \
	    --allowlist test/stubtest-allowlist.txt \
	    $(if $(STRICT),,--allowlist build/stubtest-pending.txt)
	@# The tutorial's code must type-check against the stubs as printed.
	rm -rf build/tutorial && $(PY) test/apinames.py --tutorial build/tutorial
	cd build/tutorial && MYPYPATH=$(CURDIR) $(STUBTEST_PY) -m mypy \
	    --no-incremental --check-untyped-defs tutorial_*.py
# The real Twisted, urllib3, service_identity and certbot from PyPI, run
# unchanged against this package in their own venv (.venv-downstream);
# DOWNSTREAM_AGAINST=pyopenssl runs the same tests against pyOpenSSL.
.PHONY: downstream
downstream:
	PYTHON=$(PYTHON) tools/downstream.sh
# Benchmarks (bench/README.md): C, our in-place build, pyOpenSSL from PyPI in its
# own venv (a separate process), Debian's pyOpenSSL and the stdlib ssl module.
BENCH_PYO := bench/.venv-pyopenssl
.PHONY: bench-quick bench-deps

$(BENCH_PYO)/.ready:
	$(PYTHON) -m venv $(BENCH_PYO)
	$(BENCH_PYO)/bin/pip install -q --upgrade pyOpenSSL
	touch $@

# Debian's pyOpenSSL runs on the same system OpenSSL as ours and the C program:
# the like-for-like column.  Installed when missing (the column is left out,
# with a note, where apt-get cannot run).
bench-deps:
	@dpkg -s python3-openssl >/dev/null 2>&1 || \
	  (export DEBIAN_FRONTEND=noninteractive; apt-get update -q && \
	   apt-get install -y -q python3-openssl) || \
	  echo "bench: python3-openssl not installed, pyOpenSSL-deb column left out"

bench: build bench-deps $(BENCH_PYO)/.ready
	$(PY) bench/run.py --results bench/RESULTS.md --command "make bench"

# A few seconds per workload: checks that every workload still runs and checks itself.
bench-quick: build
	$(MAKE) $(BENCH_PYO)/.ready || echo "bench-quick: no pyOpenSSL from PyPI, its column is left out"
	$(PY) bench/run.py --quick
