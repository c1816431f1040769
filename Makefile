# The two commands a new user needs: `make demo` and `make test`.
R ?= R
RSCRIPT ?= Rscript
PKG := parairline
VERSION := $(shell sed -n 's/^Version: //p' DESCRIPTION)
TARBALL := $(PKG)_$(VERSION).tar.gz
CHECK_DIR ?= check
CXX ?= g++
CORE_CXXFLAGS ?= -std=c++17 -O2 -g -Wall -Wextra -pthread
BUILD := tools/build

.PHONY: all deps install demo test check document bench core-test sanitize tsan valgrind fuzz clean

all: test

deps:
	@sh tools/install-deps.sh

install: deps
	$(R) CMD INSTALL --preclean --no-multiarch .

demo: install
	$(RSCRIPT) --vanilla tools/demo.R

# The core's C++ unit tests, then the tarball (vignettes included) through
# R CMD check --as-cran;
# ends with the testthat totals as `N passed, N failed`.
test: deps core-test
	@CHECK_DIR=$(CHECK_DIR) R=$(R) sh tools/check.sh

check: test

document:
	$(RSCRIPT) --vanilla -e 'Rcpp::compileAttributes(); roxygen2::roxygenise()'

bench: install
	$(RSCRIPT) --vanilla bench/bench.R
	$(RSCRIPT) --vanilla bench/formats.R
	$(RSCRIPT) --vanilla bench/summarise.R
	$(RSCRIPT) --vanilla bench/dialects.R

# The R-free parts on their own, without R: the engine's unit tests, files
# that change between planning and reading, row counts past 2^31; the demos
# and the simulator; the summaries (typed keys, filter, whole-file reference);
# the portable (non-x86) block masks of the scanner.
CORE_TESTS := core-tests core-shrink-test core-counts-test demos-tests sim-tests summary-tests block-masks-test
# The decompression libraries configure finds (bzip2, xz, zstd, zip).
COMPRESS_FLAGS = $(patsubst LIBS=%,%,$(patsubst CPPFLAGS=%,%,$(shell PARAIRLINE_PRINT_FLAGS=1 CXX="$(CXX)" sh configure 2>/dev/null)))
CORE_CPPFLAGS = -Isrc -Itools $(filter -D% -I%,$(COMPRESS_FLAGS))
CORE_LIBS = -ltbb -lz $(filter -l% -L%,$(COMPRESS_FLAGS))
core-test:
	mkdir -p $(BUILD)
	@for t in $(CORE_TESTS); do \
	  echo "$(CXX) $(CORE_CXXFLAGS) $(CORE_CPPFLAGS) tools/$$t.cpp -o $(BUILD)/$$t $(CORE_LIBS)"; \
	  $(CXX) $(CORE_CXXFLAGS) $(CORE_CPPFLAGS) tools/$$t.cpp -o $(BUILD)/$$t $(CORE_LIBS) || exit 1; \
	  printf '%s: ' "$$t"; $(BUILD)/$$t || exit 1; \
	done
	$(CXX) $(CORE_CXXFLAGS) -Isrc -Itools tools/formats-missing-test.cpp -o $(BUILD)/formats-missing-test -ltbb -lz
	@printf 'formats-missing-test: '; $(BUILD)/formats-missing-test

clean:
	rm -rf $(CHECK_DIR) $(BUILD) $(PKG)_*.tar.gz src/*.o src/*.so src/Makevars src/Makevars.win

# The same tests built for Windows (mingw-w64, run under wine) and aarch64
# (run under qemu), and with clang + libc++ as on macOS; the R glue compiled
# for Windows. Installs its cross compilers first (slow; not part of `make test`).
.PHONY: cross-test
cross-test:
	@CORE_TESTS="$(CORE_TESTS)" sh tools/cross-test.sh

# Reliability: sanitizers, valgrind and fuzzing (slow; not part of `make test`).
.PHONY: sanitize tsan valgrind fuzz faults
FUZZ_SECONDS ?= 60
FAULT_RUNS ?= 200

# The package built with ASan + UBSan (g++, or CXX=clang++-14), the test suite run against it.
sanitize:
	CXX=$(CXX) R=$(R) RSCRIPT=$(RSCRIPT) sh tools/sanitize.sh

# ThreadSanitizer on the core's TBB path (tools/core-tests.cpp, fuzz corpus).
tsan:
	sh tools/tsan.sh

# A subset of the tests under valgrind memcheck.
valgrind:
	R=$(R) sh tools/valgrind.sh

# Signals sent to the fork backend's workers at random moments on 1.3 GB
# (tools/faults.R); PARAIRLINE_FAULTS_DIR keeps the data between runs.
faults: install
	FAULT_RUNS=$(FAULT_RUNS) sh tools/faults.sh

# libFuzzer, differential (chunked vs whole-file parse), for FUZZ_SECONDS.
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tools/fuzz.sh

# The cluster paths, run for real (slow, root on Debian; not part of `make test`):
# a one-node Slurm cluster of its own for the future backend, and the
# lecture's AUC example as 2 MPI ranks.
.PHONY: slurm-test mpi-demo
slurm-test:
	@sh tools/install-deps.sh cluster
	@bash tools/slurm-test.sh

mpi-demo:
	@sh tools/install-deps.sh mpi
	@sh tools/mpi-demo.sh

# The website: pkgdown into docs/ (not committed), from the package installed
# afresh into a library of its own, then checked as a reader would meet it
# (tools/site-check.R: every page there, every local link and image resolving,
# each article's figures). Installs pkgdown first (install-deps.sh site).
.PHONY: site
SITE_LIB := $(BUILD)/site-lib
site:
	@sh tools/install-deps.sh site
	rm -rf $(SITE_LIB) && mkdir -p $(SITE_LIB)
	$(R) CMD INSTALL --preclean --no-multiarch --library=$(SITE_LIB) .
	R_LIBS=$(SITE_LIB) $(RSCRIPT) --vanilla -e 'options(pkgdown.internet = curl::has_internet()); pkgdown::clean_site(); pkgdown::build_site(install = FALSE, preview = FALSE)'
	$(RSCRIPT) --vanilla tools/site-check.R docs
