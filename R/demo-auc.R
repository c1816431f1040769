#' Area under a curve by a parallel reduction
#'
#' The lecture's MPI example: the left Riemann sum of
#' \eqn{f(x) = 0.7 x^3 - 2 x^2 + 4} over `[a, b]` with `n` bars of width
#' `(b - a) / n`, the bar `i` (from 0) having height `f(a + i * width)`. The
#' bars are summed by a TBB parallel reduction on `threads` threads: each
#' thread sums whole blocks of bars and the block sums are then added up. It
#' shows a reduction: partial results merged by an associative operation.
#'
#' Floating-point addition is not associative, so a reduction whose blocks
#' depended on how the work was shared out would give slightly different
#' answers for different thread counts. Here the blocks and the order in which
#' they are combined depend on `n` only, so the result is the same, bit for
#' bit, for any number of threads. Over `[0, 3]` the exact area is 8.175;
#' `n = 1e7` bars come within 1e-5 of it.
#'
#' @param n Number of bars, a whole number from 1 to 1e10.
#' @param threads Number of threads, a whole number from 1 to 256; `NULL`
#'   means [parallelly::availableCores()]. Only this call's own TBB arena is
#'   limited: global thread settings are left alone.
#' @param a,b The interval, finite numbers.
#' @return The area, a double.
#' @export
#' @examples
#' auc(n = 20, threads = 2)
#' auc(n = 1e6, threads = 2) - 8.175
#' identical(auc(n = 1e5, threads = 1), auc(n = 1e5, threads = 2))
auc <- function(n = 20, threads = NULL, a = 0, b = 3) {
  call <- rlang::current_env()
  n <- demo_check_count(n, "n", 1, 1e10, call = call)
  threads <- demo_check_workers(threads, "threads", call = call)
  a <- demo_check_finite(a, "a", call = call)
  b <- demo_check_finite(b, "b", call = call)

  res <- cpp_demo_auc(n, tbb_threads_here(threads), a, b)
  demo_stop_on_failure(res$status, "auc", call = call)
  res$value
}

demo_check_finite <- function(x, arg, call) {
  if (!is.numeric(x) || length(x) != 1L || !is.finite(x)) {
    abort_input("{.arg {arg}} must be a single finite number.", call = call)
  }
  as.double(x)
}
