#' Race condition: many workers, one shared counter
#'
#' The lecture's shared counter. `workers` threads or forked processes each
#' add one to a single shared counter `increments` times, all starting at the
#' same moment. It shows that an unprotected read-modify-write loses updates
#' and that an atomic operation or a lock cures it.
#'
#' Methods:
#' * `"unsafe"`: each increment reads the counter and then writes back the
#'   value plus one, in two separate steps, like Python's `v.value += 1`. When
#'   two workers read the same value, one of the two increments is lost. Both
#'   steps are atomic loads and stores, so this is a real race without undefined
#'   behaviour. How many updates are lost varies from run to run; on a single
#'   core, or when the workers happen not to overlap, it can be none.
#' * `"atomic"`: one indivisible `fetch_add` on a lock-free atomic integer.
#' * `"mutex"`: a lock around an ordinary increment; for processes a lock
#'   word in the shared memory taken with an atomic compare-and-swap (Python's
#'   `Lock`), which a worker can take over from one that died holding it.
#'
#' With `via = "processes"` the counter lives in an anonymous shared memory
#' mapping (Python's `multiprocessing.Value`) and the workers are forked; every
#' child is reaped before the function returns. Not available on Windows.
#'
#' @param workers Number of threads or processes, a whole number from 1 to
#'   256; `NULL` means [parallelly::availableCores()].
#' @param increments Increments per worker, a whole number from 0 to 1e9.
#' @param method One of `"atomic"`, `"mutex"`, `"unsafe"`.
#' @param via `"threads"` or `"processes"`.
#' @return A list of doubles: `expected` (`workers * increments`), `observed`
#'   (the final counter), `lost` (`expected - observed`) and `seconds`.
#' @export
#' @examples
#' race_counter(workers = 2, increments = 1e5, method = "unsafe")
#' race_counter(workers = 2, increments = 1e5, method = "atomic")
#' if (.Platform$OS.type != "windows") {
#'   race_counter(workers = 2, increments = 1e4, method = "mutex", via = "processes")
#' }
race_counter <- function(workers = 2, increments = 1e6,
                         method = c("atomic", "mutex", "unsafe"),
                         via = c("threads", "processes")) {
  call <- rlang::current_env()
  workers <- demo_check_workers(workers, "workers", call = call)
  increments <- demo_check_count(increments, "increments", 0, 1e9, call = call)
  method <- arg_match_input(method, c("atomic", "mutex", "unsafe"), call = call)
  via <- arg_match_input(via, c("threads", "processes"), call = call)
  if (via == "processes") demo_check_fork(call = call)

  res <- cpp_demo_race_counter(workers, increments, method, via)
  demo_stop_on_failure(res$status, "race_counter", call = call)
  list(
    expected = res$expected,
    observed = res$observed,
    lost = res$expected - res$observed,
    seconds = res$seconds
  )
}

# Argument checks and failure reporting shared by the demo-*.R functions.

# What an argument error says it got: `shown` (the value, when it is a
# scalar of the right type), else the value's type.
got_text <- function(x, shown = NULL) {
  if (is.null(shown)) cli::format_inline("{.obj_type_friendly {x}}") else shown
}

demo_check_count <- function(x, arg, min, max, call) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x < min || x > max ||
      x != trunc(x)) {
    got <- got_text(x, if (is.numeric(x) && length(x) == 1L) format(x))
    abort_input(c(
      "{.arg {arg}} must be a whole number from {min} to {format(max, big.mark = ',', scientific = FALSE)}.",
      "x" = "Got {got}."
    ), call = call)
  }
  as.double(x)
}

# NULL means every available core (capped like an explicit value).
demo_check_workers <- function(x, arg, call) {
  if (is.null(x)) return(min(default_threads(), 256L))
  as.integer(demo_check_count(x, arg, 1, 256, call = call))
}

demo_check_fork <- function(what = "{.code via = \"processes\"}",
                             hint = "Use {.code via = \"threads\"} instead.", call) {
  if (.Platform$OS.type == "windows") {
    abort_input(c(
      paste0(what, " needs forked processes, which Windows does not have."),
      "i" = hint
    ), call = call)
  }
}

# `status` is the list(error, error_kind) every cpp_demo_*() returns.
demo_stop_on_failure <- function(status, fn, call) {
  if (length(status$error) == 0L) return(invisible())
  details <- status$error
  details <- paste0(toupper(substr(details, 1L, 1L)), substring(details, 2L), ".")
  # The texts come from C++: cli substitutes them as values, never reads
  # them as templates, so braces in them show as they are.
  bullets <- sprintf("{details[[%d]]}", seq_along(details))
  names(bullets) <- rep("x", length(bullets))
  if (identical(status$error_kind, "worker")) {
    kind <- "worker"
    header <- "A worker process of {.fn {fn}} failed."
  } else {
    kind <- "system"
    header <- "{.fn {fn}} could not run."
  }
  cli::cli_abort(c(header, bullets), class = c(core_error_classes[[kind]], "parairline_error"),
                 call = call)
}
