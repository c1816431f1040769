# The two commands a new user needs: `make demo` and `make test`.
R ?= R
RSCRIPT ?= Rscript
PKG := parairline
VERSION := $(shell sed -n 's/^Version: //p' DESCRIPTION)
TARBALL := $(PKG)_$(VERSION).tar.gz
CHECK_DIR ?= check
CXX ?= g++
CORE_CXXFLAGS ?= -std=c++17 -O2 -g -Wall -Wextra -pthread
BUILD := build

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

# The R-free core on its own: unit tests without R.
core-test:
	mkdir -p $(BUILD)
	$(CXX) $(CORE_CXXFLAGS) -Isrc -Itools tools/core-tests.cpp -o $(BUILD)/core-tests -ltbb -lz
	$(BUILD)/core-tests

clean:
	rm -rf $(CHECK_DIR) $(BUILD) $(PKG)_*.tar.gz src/*.o src/*.so src/Makevars
