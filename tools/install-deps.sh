#!/bin/sh
# Installs what building, checking and demonstrating parairline needs and is
# missing. Debian's r-cran-* binaries when we are root on Debian (fast, and
# what CI uses), else CRAN through install.packages().
set -eu

# `install-deps.sh cluster`, `install-deps.sh mpi` and `install-deps.sh cross`:
# what `make slurm-test`, `make mpi-demo` and `make cross-test` need on top of
# the rest, never installed by `make test`.
# cluster: munge and Slurm's daemons and client, future.batchtools (Debian),
#   and future.mirai from CRAN into a library of its own, PARAIRLINE_MIRAI_LIB
#   (it needs a newer future than Debian's, which must not shadow the
#   system's for everything else).
# mpi: Open MPI and Rmpi (Debian).
# site: pkgdown for `make site` (Debian's r-cran-pkgdown, else CRAN).
# cross: the mingw-w64 cross compiler (posix threads, for std::thread) with
#   Debian's mingw zlib, wine to run its programs, the aarch64 cross compiler
#   with arm64 builds of zlib, bzip2, xz and zstd (Debian multiarch: the arm64
#   architecture is added to dpkg), qemu-user to run them, and libc++ for a
#   clang + libc++ build like macOS's.
EXTRA=${1:-}
case "$EXTRA" in
  ""|cluster|mpi|site|cross) ;;
  *) echo "usage: install-deps.sh [cluster|mpi|site|cross]" >&2; exit 2 ;;
esac
PARAIRLINE_MIRAI_LIB=${PARAIRLINE_MIRAI_LIB:-/usr/local/lib/R/parairline-mirai}

install_extras() {
  case "$EXTRA" in
    site) install_site; return ;;
    cluster)
      extra_debs="munge slurmctld slurmd slurm-client r-cran-batchtools r-cran-future.batchtools"
      extra_cmds="munged slurmctld slurmd sbatch" ;;
    mpi)
      extra_debs="openmpi-bin libopenmpi-dev r-cran-rmpi"
      extra_cmds="mpirun" ;;
    cross)
      extra_debs="g++-mingw-w64-x86-64-posix libz-mingw-w64-dev wine wine64 g++-aarch64-linux-gnu qemu-user
        zlib1g-dev:arm64 libbz2-dev:arm64 liblzma-dev:arm64 libzstd-dev:arm64 libc++-14-dev libc++abi-14-dev"
      extra_cmds="x86_64-w64-mingw32-g++-posix wine aarch64-linux-gnu-g++ qemu-aarch64 clang++-14" ;;
    *) return 0 ;;
  esac
  need=""
  for c in $extra_cmds; do command -v "$c" >/dev/null 2>&1 || need=yes; done
  for p in $extra_debs; do
    case "$EXTRA:$p" in *:r-cran-*|cross:*) dpkg -s "$p" >/dev/null 2>&1 || need=yes ;; esac
  done
  if [ -n "$need" ]; then
    on_debian_as_root || { echo "install-deps: please install: $extra_debs"; exit 1; }
    if [ "$EXTRA" = cross ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
      echo "install-deps: dpkg --add-architecture arm64 (for the arm64 libraries)"
      dpkg --add-architecture arm64
    fi
    echo "install-deps: apt-get install $extra_debs"
    # Installing a daemon's package starts its service on a system that runs
    # services; ours are started by the test with their own configuration.
    # A policy-rc.d of our own stops that for the install, and only then.
    own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=yes
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $extra_debs >/dev/null 2>&1 || apt_status=$?
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
    [ "${apt_status:-0}" = 0 ] || { echo "install-deps: apt-get install failed"; exit 1; }
  fi
  if [ "$EXTRA" = cluster ] && [ ! -d "$PARAIRLINE_MIRAI_LIB/future.mirai" ]; then
    echo "install-deps: future.mirai from CRAN into $PARAIRLINE_MIRAI_LIB"
    mkdir -p "$PARAIRLINE_MIRAI_LIB"
    LIB="$PARAIRLINE_MIRAI_LIB" Rscript --vanilla -e '
      lib <- Sys.getenv("LIB")
      install.packages("future.mirai", lib = lib, repos = "https://cloud.r-project.org")
      if (!requireNamespace("future.mirai", lib.loc = lib, quietly = TRUE))
        stop("could not install future.mirai")' ||
      echo "install-deps: future.mirai could not be installed; make slurm-test runs without it"
  fi
  echo "install-deps: $EXTRA done"
}

# pkgdown (with downlit and ragg, which it depends on), from Debian when we
# are root there, else from CRAN as the rest.
install_site() {
  if [ -z "$(WANT=pkgdown missing_r_pkgs)" ]; then
    echo "install-deps: site done"
    return 0
  fi
  if on_debian_as_root; then
    echo "install-deps: apt-get install r-cran-pkgdown"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends r-cran-pkgdown >/dev/null 2>&1 || true
  fi
  if [ -n "$(WANT=pkgdown missing_r_pkgs)" ]; then
    echo "install-deps: install.packages() from CRAN: pkgdown"
    cran_install pkgdown
  fi
  echo "install-deps: site done"
}

R_PKGS="Rcpp RcppParallel data.table cli rlang parallelly dplyr future future.apply progressr processx R.utils withr knitr rmarkdown testthat roxygen2 pkgbuild"

missing_r_pkgs() {
  Rscript --vanilla -e '
    want <- strsplit(Sys.getenv("WANT"), " ")[[1]]
    have <- rownames(installed.packages())
    cat(setdiff(want, have), sep = " ")' 2>/dev/null
}

# Into the first writable library (R_LIBS_USER if the first is not).
cran_install() {
  WANT="$*" Rscript --vanilla -e '
    pkgs <- strsplit(Sys.getenv("WANT"), " ")[[1]]
    lib <- Sys.getenv("R_LIBS_USER")
    if (!file.access(.libPaths()[1], 2) == 0) {
      dir.create(lib, recursive = TRUE, showWarnings = FALSE)
      .libPaths(c(lib, .libPaths()))
    }
    install.packages(pkgs, repos = "https://cloud.r-project.org", lib = .libPaths()[1])
    left <- setdiff(pkgs, rownames(installed.packages()))
    if (length(left)) stop("could not install: ", paste(left, collapse = ", "))'
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
  install_extras
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
  # shellcheck disable=SC2086
  cran_install $missing
fi
echo "install-deps: done"
install_extras
