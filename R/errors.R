# Conditions raised by the package. Every error is a `parairline_error`; the
# subclass says what went wrong, and fields carry the file, line and column.

abort_input <- function(message, ..., class = NULL, call = rlang::caller_env(),
                        .envir = parent.frame()) {
  cli::cli_abort(message, ...,
    class = c(class, "parairline_input_error", "parairline_error"),
    call = call, .envir = .envir
  )
}

# rlang::arg_match() (the default vector gives its first value, typos get a
# suggestion), its errors classed as input errors. rlang before 1.1.0 fails
# on an empty or NA choice with an unrelated error, so those are caught here.
arg_match_input <- function(arg, values, error_arg = rlang::caller_arg(arg),
                            call = rlang::caller_env()) {
  if (is.character(arg) && (length(arg) == 0L || anyNA(arg))) {
    got <- if (length(arg) == 0L) "an empty character vector" else "{.code NA}"
    abort_input(paste0("{.arg {error_arg}} must be one of {.or {.val {values}}}, not ", got, "."),
                call = call)
  }
  tryCatch(
    rlang::arg_match(arg, values, error_arg = error_arg, error_call = call),
    rlang_error = function(e) {
      class(e) <- c("parairline_input_error", "parairline_error", class(e))
      stop(e)
    }
  )
}

# An error record: what the C++ core returns in `$error` and what R code
# builds for the same errors, read by abort_core_error(). `kind` is one of
# names(core_error_classes); line and column are NA when unknown.
core_error_record <- function(kind, file = "", message, line = NA_real_, column = NA_real_,
                              text = "") {
  list(kind = kind, file = file, line = as.double(line), column = as.double(column),
       text = text, message = message)
}

core_error_classes <- c(
  input = "parairline_input_error",
  parse = "parairline_parse_error",
  io = "parairline_io_error",
  worker = "parairline_worker_error",
  system = "parairline_system_error",
  internal = "parairline_internal_error"
)

# Turns an error record into one classed R condition. A kind this code does
# not know is a bug on the C++ side, so it is an internal error.
abort_core_error <- function(err, call = rlang::caller_env()) {
  class <- if (isTRUE(err$kind %in% names(core_error_classes))) {
    core_error_classes[[err$kind]]
  } else {
    core_error_classes[["internal"]]
  }
  where <- err$file
  if (isTRUE(err$line > 0)) {
    where <- paste0(where, ":", format(err$line, scientific = FALSE))
  }
  bullets <- c("{err$message}")
  if (nzchar(err$file)) bullets <- c(bullets, "i" = "In file {.file {where}}.")
  cli::cli_abort(bullets,
    class = c(class, "parairline_error"),
    file = err$file, line = err$line, column = err$column, text = err$text,
    call = call
  )
}
