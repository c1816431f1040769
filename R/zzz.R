#' @keywords internal
#' @useDynLib parairline, .registration = TRUE
#' @importFrom Rcpp evalCpp
#' @importFrom RcppParallel RcppParallelLibs
"_PACKAGE"

# One place decides every default thread or worker count.
default_threads <- function() {
  as.integer(parallelly::availableCores())
}
