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
	cd /tmp && $(PY) -m OpenSSL certgen --out $(abspath demo-out) \
	    --leaf localhost --san localhost --san 127.0.0.1

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

# Benchmarks (bench/README.md): C, our in-place build, pyOpenSSL from PyPI in its
# own venv (a separate process), Debian's pyOpenSSL and the stdlib ssl module.
BENCH_PYO := bench/.venv-pyopenssl
.PHONY: bench-quick

$(BENCH_PYO)/.ready:
	$(PYTHON) -m venv $(BENCH_PYO)
	$(BENCH_PYO)/bin/pip install -q --upgrade pyOpenSSL
	touch $@

bench: build $(BENCH_PYO)/.ready
	$(PY) bench/run.py --results bench/RESULTS.md --command "make bench"

# A few seconds per workload: checks that every workload still runs and checks itself.
bench-quick: build
	$(MAKE) $(BENCH_PYO)/.ready || echo "bench-quick: no pyOpenSSL from PyPI, its column is left out"
	$(PY) bench/run.py --quick
