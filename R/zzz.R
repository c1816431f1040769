#' @keywords internal
#' @useDynLib parairline, .registration = TRUE
#' @importFrom Rcpp evalCpp
#' @importFrom RcppParallel RcppParallelLibs
"_PACKAGE"

# One place decides every default thread or worker count.
default_threads <- function() {
  as.integer(parallelly::availableCores())
}

# The TBB threads engine work may use here. TBB must not run after fork():
# a forked child (mclapply(), multicore futures, a fork backend worker's
# parent that is itself a child) holds a copy of one thread and a broken
# pool, so there the work runs on the calling thread alone.
tbb_threads_here <- function(threads) {
  if (parallelly::isForkedChild()) 1L else as.integer(threads)
}
