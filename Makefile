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

.PHONY: stubtest
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
