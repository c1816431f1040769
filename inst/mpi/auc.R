# The lecture's MPI example in R: the area under f(x) = 0.7 x^3 - 2 x^2 + 4
# on [a, b] by a left Riemann sum of n bars, as an SPMD program. Every rank
# runs this same script; the rank number decides which bars it sums, and a
# reduce adds the ranks' partial sums on rank 0, which prints the area and
# checks it against parairline::auc() (the same sum as a TBB reduction).
#
#   mpirun -np 2 Rscript auc.R [n]
#   (as root: mpirun --allow-run-as-root --oversubscribe -np 2 Rscript auc.R)
#
# Rmpi (Debian's r-cran-rmpi, over Open MPI) gives R the communicator that
# mpirun set up: rank 0 is no master here, every rank does the same work.

suppressPackageStartupMessages(library(Rmpi))

args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args) >= 1) as.numeric(args[1]) else 1e7
a <- 0
b <- 3
f <- function(x) 0.7 * x^3 - 2 * x^2 + 4

rank <- mpi.comm.rank(0)
size <- mpi.comm.size(0)
host <- Sys.info()[["nodename"]]

# This rank's bars: a contiguous block of the n, as even as can be. Summed
# in slices of a million so memory stays small whatever n is.
first <- floor(rank * n / size)
last <- floor((rank + 1) * n / size) - 1
width <- (b - a) / n
t0 <- proc.time()[["elapsed"]]
partial <- 0
for (lo in seq(first, last, by = 1e6)) {
  i <- lo:min(lo + 1e6 - 1, last)
  partial <- partial + sum(f(a + i * width))
}
partial <- partial * width
secs <- proc.time()[["elapsed"]] - t0
cat(sprintf("rank %d of %d on %s (pid %d): bars %.0f to %.0f, partial area %.10f, %.2f s\n",
            rank, size, host, Sys.getpid(), first, last, partial, secs))

# The reduction: every rank sends its partial sum, rank 0 gets the total.
area <- mpi.reduce(partial, type = 2, op = "sum", dest = 0, comm = 0)

if (rank == 0) {
  # auc() adds the same bars in another order (TBB blocks of bars, each
  # multiplied by the width at the end), so the two agree to rounding, not
  # to the last bit.
  ref <- parairline::auc(n = n, threads = 1, a = a, b = b)
  same <- isTRUE(all.equal(area, ref, tolerance = 1e-12))
  cat(sprintf("rank 0: area %.10f; auc(n = %.0f) = %.10f; relative difference %.1e\n",
              area, n, ref, abs(area - ref) / abs(ref)))
  cat(sprintf("mpi: %d ranks, area %.10f, equal to auc(): %s\n", size, area, same))
}
invisible(mpi.finalize())
