# Random CSV files and random csv_summarise() queries: every backend must
# give the data.table reference's answer (exactly, but for sums and means in
# the last bits). The files have quoted fields (commas, quotes and newlines
# inside), CRLF or LF line ends, empty and NA fields, keys that look like
# numbers, negative and decimal values, and columns in a different order in
# each file.

# Key columns: what their values look like, chosen per case.
diff_key_pools <- list(
  int = c("1", "01", "2", "-3", "+4", "10", "", "NA", "\"NA\"", "\"\""),
  dbl = c("1.5", "1.50", "2", "-0.25", "1e1", ".5", "10", "", "5."),
  text = c("a", "B", "b", "_x", "a b", "a,b", "say \"hi\"", "two\nlines", "\u00e9", "", "NA", "NAN", "1"),
  mixed = c("1", "01", "2", "10", "", "x"),
  missing = c("", "NA"),
  big = c("2147483647", "2147483648", "-5", "")
)

random_values <- function(n) {
  form <- sample(1:9, n, replace = TRUE)
  out <- character(n)
  i <- form == 1
  out[i] <- as.character(sample(-1000:10000, sum(i), replace = TRUE))
  i <- form == 2
  out[i] <- sprintf("%.2f", stats::runif(sum(i), -1000, 1000))
  i <- form == 3
  out[i] <- sprintf("%.1f", stats::runif(sum(i), -50, 500))
  i <- form == 4
  out[i] <- sprintf("%.3f", stats::runif(sum(i), -10, 10))
  i <- form == 5
  out[i] <- sprintf("%de%d", sample(-9:9, sum(i), replace = TRUE), sample(-2:3, sum(i), replace = TRUE))
  i <- form == 6
  out[i] <- sample(c("+12", ".25", "3.", "-0", "0.0"), sum(i), replace = TRUE)
  out[form == 7] <- ""
  out[form == 8] <- "NA"
  out[form == 9] <- as.character(sample(0:99, sum(form == 9), replace = TRUE))
  out
}

# One field as CSV text: quoted when it must be, and sometimes when not.
csv_field <- function(x) {
  must <- grepl("[\",\r\n]", x)
  quote <- must | stats::runif(length(x)) < 0.2
  ifelse(quote, paste0("\"", gsub("\"", "\"\"", x, fixed = TRUE), "\""), x)
}

# Writes 1-3 files of the same columns in random orders; returns their paths
# and what each key column holds.
random_files <- function(dir, case) {
  kinds <- stats::setNames(sample(names(diff_key_pools), 4, replace = TRUE), paste0("K", 1:4))
  files <- character()
  for (f in seq_len(sample(1:3, 1))) {
    n <- sample(c(0, 1, 5, 20, 60), 1, prob = c(0.05, 0.1, 0.25, 0.3, 0.3))
    cols <- list(
      K1 = sample(diff_key_pools[[kinds[["K1"]]]], n, replace = TRUE),
      K2 = sample(diff_key_pools[[kinds[["K2"]]]], n, replace = TRUE),
      K3 = sample(diff_key_pools[[kinds[["K3"]]]], n, replace = TRUE),
      K4 = sample(diff_key_pools[[kinds[["K4"]]]], n, replace = TRUE),
      V1 = random_values(n),
      V2 = random_values(n),
      F1 = sample(c("0", "1", "2", "3", ""), n, replace = TRUE),
      F2 = sample(c("x", "y", "z", "X", ""), n, replace = TRUE)
    )
    cols <- cols[sample(names(cols))]
    # Pool entries written with their quotes stay as written.
    fields <- lapply(cols, function(x) ifelse(grepl("^\"", x) & nchar(x) >= 2, x, csv_field(x)))
    eol <- if (stats::runif(1) < 0.5) "\r\n" else "\n"
    trailing <- if (stats::runif(1) < 0.3) "," else ""
    lines <- c(paste0(paste(csv_field(names(cols)), collapse = ","), trailing),
               if (n > 0) paste0(do.call(paste, c(unname(fields), sep = ",")), trailing))
    text <- paste0(paste(lines, collapse = eol), if (stats::runif(1) < 0.8) eol)
    files[f] <- local_csv(text, sprintf("case%02d-%d.csv", case, f), dir = dir)
  }
  list(files = files, kinds = kinds)
}

random_aggregates <- function() {
  n <- sample(1:4, 1)
  aggs <- lapply(seq_len(n), function(i) {
    col <- as.name(sample(c("V1", "V2"), 1))
    na_rm <- sample(c(TRUE, FALSE), 1)
    switch(sample(c("n", "sum", "mean", "min", "max", "nmiss", "nmiss_key"), 1),
      n = quote(n()),
      sum = call("sum", col, na.rm = na_rm),
      mean = call("mean", col, na.rm = na_rm),
      min = call("min", col, na.rm = na_rm),
      max = call("max", col, na.rm = na_rm),
      nmiss = call("sum", call("is.na", col)),
      nmiss_key = call("sum", call("is.na", as.name(sample(paste0("K", 1:4), 1))))
    )
  })
  stats::setNames(aggs, paste0("a", seq_len(n)))
}

# A random condition; a key column is compared with numbers only when all
# its values are numbers, and with strings only when it is text.
random_where <- function(kinds, depth = 0) {
  if (depth < 2 && stats::runif(1) < 0.4) {
    op <- sample(c("&", "|", "!"), 1)
    if (op == "!") return(call("!", call("(", random_where(kinds, depth + 1))))
    return(call(op, random_where(kinds, depth + 1), call("(", random_where(kinds, depth + 1))))
  }
  ops <- c("==", "!=", "<", "<=", ">", ">=")
  numeric_keys <- names(kinds)[kinds %in% c("int", "dbl", "big")]
  text_keys <- names(kinds)[kinds == "text"]
  atom <- sample(c("F1", "F1_left", "F2", "F2_in", "F1_in", "is_na", "V", "lim", "num_key", "text_key"), 1)
  if (atom == "num_key" && length(numeric_keys) == 0L) atom <- "F1"
  if (atom == "text_key" && length(text_keys) == 0L) atom <- "F2"
  switch(atom,
    F1 = call(sample(ops, 1), quote(F1), sample(-1:4, 1)),
    F1_left = call(sample(ops, 1), sample(c(0, 1.5, 3), 1), quote(F1)),
    F2 = call(sample(ops, 1), quote(F2), sample(c("x", "y", "Y", "z", "a"), 1)),
    F2_in = call("%in%", quote(F2), sample(c("x", "y", "X", "w"), sample(1:3, 1))),
    F1_in = call("%in%", quote(F1), sample(0:4, sample(1:3, 1))),
    is_na = call("is.na", as.name(sample(c("F1", "F2", "V1", "V2", "K1", "K2"), 1))),
    V = call(sample(ops, 1), as.name(sample(c("V1", "V2"), 1)), sample(c(-100, 0, 0.5, 250, 1e3), 1)),
    lim = call(sample(ops, 1), quote(.data$F1), quote(lim + 1)),
    num_key = call(sample(ops, 1), as.name(sample(numeric_keys, 1)), sample(c(-3, 0, 1, 1.5, 2, 10), 1)),
    text_key = call(sample(c("<", ">=", "=="), 1), as.name(sample(text_keys, 1)), sample(c("a", "B", "b", "\u00e9"), 1))
  )
}

test_that("every backend agrees with the data.table reference on random files and queries", {
  withr::local_seed(20240514)
  dir <- withr::local_tempdir()
  backends <- setdiff(local_backends(), "datatable")
  lim <- 1
  for (case in 1:60) {
    data <- random_files(dir, case)
    by <- sample(c(paste0("K", 1:4), ".file", "F1", "F2"), sample(1:3, 1))
    aggs <- random_aggregates()
    where <- if (stats::runif(1) < 0.3) NULL else random_where(data$kinds)
    label <- sprintf("case %d: by = %s, %s, where = %s", case, toString(by),
                     toString(vapply(aggs, expr_text, "")), expr_text(where))
    ref <- csv_summarise(data$files, by, !!!aggs, where = !!where, backend = "datatable", threads = 2)
    approx <- names(aggs)[vapply(aggs, function(a) as.character(a[[1]]) %in% c("sum", "mean") &&
                                   !is.call(a[[2]]), logical(1))]
    for (backend in backends) {
      got <- csv_summarise(data$files, by, !!!aggs, where = !!where, backend = backend, threads = 2)
      expect_summary_equal(got, ref, approx = approx, label = paste(backend, label))
    }
  }
})
