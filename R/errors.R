# Conditions raised by the package. Every error is a `parairline_error`; the
# subclass says what went wrong, and fields carry the file, line and column.

abort_input <- function(message, ..., class = NULL, call = rlang::caller_env(),
                        .envir = parent.frame()) {
  cli::cli_abort(message, ...,
    class = c(class, "parairline_input_error", "parairline_error"),
    call = call, .envir = .envir
  )
}

# Turns an error record from the C++ core (a list with kind, file, line,
# column, text, message) into one classed R condition.
abort_core_error <- function(err, call = rlang::caller_env()) {
  class <- switch(err$kind,
    parse = "parairline_parse_error",
    worker = "parairline_worker_error",
    "parairline_io_error"
  )
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
