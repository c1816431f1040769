#' Negate a vector in shared memory with forked workers
#'
#' The lecture's shared `Array` example. The vector is copied into an
#' anonymous shared memory mapping, `workers` forked processes each negate
#' their own contiguous slice of it in place, and the parent waits for them
#' and copies the result out. It shows memory shared between processes:
#' ordinary memory is copied on write after a fork, so children's changes to
#' it would never reach the parent, but changes to a shared mapping do.
#'
#' No lock is needed because the slices do not overlap: no element is ever
#' touched by two workers, so no two workers can race on it. (A lock is
#' needed when workers update the same memory, see [race_counter()].)
#'
#' The result is `-x`: `NA` stays `NA`, `NaN` stays `NaN`, `Inf` becomes
#' `-Inf`. Every child is reaped before the function returns. Not available on
#' Windows.
#'
#' @param x A numeric vector; integers are converted to double.
#' @param workers Number of worker processes, a whole number from 1 to 256;
#'   `NULL` means [parallelly::availableCores()]. Workers beyond `length(x)`
#'   get empty slices.
#' @return A double vector equal to `-x`, with the attributes of `x` (such as
#'   names).
#' @export
#' @examples
#' if (.Platform$OS.type != "windows") {
#'   negate_shared(c(1, -2, NA, Inf), workers = 2)
#' }
negate_shared <- function(x, workers = 2) {
  call <- rlang::current_env()
  if (!is.numeric(x)) {
    abort_input(c("{.arg x} must be a numeric vector.",
                  "x" = "Got {.obj_type_friendly {x}}."), call = call)
  }
  workers <- demo_check_workers(workers, "workers", call = call)
  demo_check_fork("{.fn negate_shared}",
                  hint = "Threads share memory without copying it: use {.code -x}, or see {.fn race_counter} with {.code via = \"threads\"}.",
                  call = call)

  res <- cpp_demo_negate_shared(as.double(x), workers)
  demo_stop_on_failure(res$status, "negate_shared", call = call)
  out <- res$value
  attributes(out) <- attributes(x)
  out
}
