#!/bin/sh
# Installs what building, checking and demonstrating parairline needs and is
# missing. Debian's r-cran-* binaries when we are root on Debian (fast, and
# what CI uses), else CRAN through install.packages().
set -eu

R_PKGS="Rcpp RcppParallel data.table cli rlang parallelly future future.apply progressr processx R.utils withr knitr rmarkdown testthat roxygen2 pkgbuild"

missing_r_pkgs() {
  Rscript --vanilla -e '
    want <- strsplit(Sys.getenv("WANT"), " ")[[1]]
    have <- rownames(installed.packages())
    cat(setdiff(want, have), sep = " ")' 2>/dev/null
}

missing=$(WANT="$R_PKGS" missing_r_pkgs)
need_sys=""
command -v pandoc >/dev/null 2>&1 || need_sys="$need_sys pandoc"
command -v qpdf >/dev/null 2>&1 || need_sys="$need_sys qpdf"
[ -f /usr/include/zlib.h ] || need_sys="$need_sys zlib1g-dev"
[ -f /usr/include/tbb/task_arena.h ] || need_sys="$need_sys libtbb-dev"
# The compressed formats besides gzip (configure disables any that is missing).
[ -f /usr/include/bzlib.h ] || need_sys="$need_sys libbz2-dev"
[ -f /usr/include/lzma.h ] || need_sys="$need_sys liblzma-dev"
[ -f /usr/include/zstd.h ] || need_sys="$need_sys libzstd-dev"
[ -f /usr/include/archive.h ] || need_sys="$need_sys libarchive-dev"
# The reference backends read .zst files with the zstd program.
command -v zstd >/dev/null 2>&1 || need_sys="$need_sys zstd"
# R CMD check runs checkbashisms on configure; Debian ships it in devscripts.
command -v checkbashisms >/dev/null 2>&1 || need_sys="$need_sys devscripts"

on_debian_as_root() {
  [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1
}
# Without apt, system tools are the user's to install; we can only say so.
if ! on_debian_as_root && [ -n "$need_sys" ]; then
  echo "install-deps: please install these system packages:$need_sys"
  need_sys=""
fi

if [ -z "$missing" ] && [ -z "$need_sys" ]; then
  echo "install-deps: everything is installed"
  exit 0
fi

if on_debian_as_root; then
  debs="$need_sys"
  for p in $missing; do
    debs="$debs r-cran-$(echo "$p" | tr 'A-Z' 'a-z')"
  done
  echo "install-deps: apt-get install$debs"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  # Install one by one, so a package Debian lacks falls through to CRAN.
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $debs >/dev/null 2>&1 ||
    for d in $debs; do apt-get install -y -qq --no-install-recommends "$d" >/dev/null 2>&1 || true; done
  missing=$(WANT="$R_PKGS" missing_r_pkgs)
fi

if [ -n "$missing" ]; then
  echo "install-deps: install.packages() from CRAN: $missing"
  WANT="$missing" Rscript --vanilla -e '
    pkgs <- strsplit(Sys.getenv("WANT"), " ")[[1]]
    lib <- Sys.getenv("R_LIBS_USER")
    if (!file.access(.libPaths()[1], 2) == 0) {
      dir.create(lib, recursive = TRUE, showWarnings = FALSE)
      .libPaths(c(lib, .libPaths()))
    }
    install.packages(pkgs, repos = "https://cloud.r-project.org", lib = .libPaths()[1])
    left <- setdiff(pkgs, rownames(installed.packages()))
    if (length(left)) stop("could not install: ", paste(left, collapse = ", "))'
fi
echo "install-deps: done"
