#' Total distance flown per carrier
#'
#' The airline exercise: sums the `DISTANCE` column per `UNIQUE_CARRIER` over
#' monthly on-time files. Columns are found by name, so the AirOnTime layout
#' (`UNIQUE_CARRIER`, `DISTANCE`), the ASA 2009 Data Expo layout
#' (`carrier = "UniqueCarrier"`, `distance = "Distance"`) and current BTS
#' downloads work with the same call. A thin wrapper of [csv_group_sum()]; see
#' there for the backends.
#'
#' @inheritParams csv_group_sum
#' @param carrier Name of the carrier column.
#' @param distance Name of the distance column.
#' @return A data frame with one row per carrier, sorted in C-locale order:
#'   `carrier` (character, or typed as [csv_summarise()] types keys when every
#'   carrier code is a number), `distance` (total of the non-missing distances),
#'   `flights` (rows) and `missing` (rows with an empty or `NA` distance). With
#'   `bad_rows = "skip"`, the attribute `"bad_rows"` is the number of rows
#'   left out.
#' @export
#' @examples
#' airline_distances(airontime_sample(), threads = 2)
#' airline_distances(airontime_sample(), backend = "datatable", threads = 1)
airline_distances <- function(files = airontime_sample(),
                              backend = c("tbb", "fork", "future", "datatable", "base"),
                              threads = NULL,
                              carrier = "UNIQUE_CARRIER", distance = "DISTANCE",
                              progress = interactive(),
                              sep = ",", dec = ".", quote = "\"", skip = 0, na.strings = c("", "NA"),
                              bad_rows = c("error", "skip"), verbose = FALSE) {
  call <- rlang::current_env()
  dialect <- csv_dialect(sep = sep, dec = dec, quote = quote, skip = skip, na.strings = na.strings,
                         bad_rows = bad_rows, verbose = verbose, call = call)
  out <- tryCatch(
    group_sum(files, by = carrier, value = distance, backend = backend,
              threads = threads, progress = progress, dialect = dialect, call = call,
              several = FALSE),
    parairline_parse_error = function(e) stop(with_column_hint(e, carrier, distance))
  )
  # (names<- keeps the attribute "bad_rows".)
  names(out) <- c("carrier", "distance", "flights", "missing")
  out
}

# A file whose carrier or distance column has another name: say which
# argument names it (other layouts use other names for the same columns).
with_column_hint <- function(e, carrier, distance) {
  absent <- regmatches(conditionMessage(e), regexec("^Column \"(.*?)\" is not in the header", conditionMessage(e)))[[1]]
  if (length(absent) < 2L) return(e)
  arg <- if (identical(absent[2], carrier)) "carrier" else if (identical(absent[2], distance)) "distance" else return(e)
  asa <- c(carrier = "UniqueCarrier", distance = "Distance")[[arg]]
  e$body <- c(e$body, i = sprintf("Name the %s column with `%s =` (the ASA Data Expo files call it \"%s\").",
                                  arg, arg, asa))
  e
}
