# Prints the testthat totals of an R CMD check as `N passed, N failed` and
# exits non-zero if the check failed or any test failed.
args <- commandArgs(trailingOnly = TRUE)
rcheck <- args[1]
status <- as.integer(args[2])
outs <- file.path(rcheck, "tests", c("testthat.Rout", "testthat.Rout.fail"))
outs <- outs[file.exists(outs)]
passed <- failed <- NA_integer_
if (length(outs)) {
  lines <- unlist(lapply(outs, readLines, warn = FALSE))
  hit <- grep("\\[ FAIL [0-9]+ \\| WARN [0-9]+ \\| SKIP [0-9]+ \\| PASS [0-9]+ \\]", lines, value = TRUE)
  if (length(hit)) {
    last <- hit[length(hit)]
    num <- function(what) as.integer(sub(paste0(".*", what, " ([0-9]+).*"), "\\1", last))
    passed <- num("PASS")
    failed <- num("FAIL")
  }
  if (any(grepl("\\.fail$", outs))) {
    cat(tail(readLines(outs[grepl("\\.fail$", outs)][1], warn = FALSE), 60), sep = "\n")
  }
}
if (is.na(passed)) {
  message("No testthat totals found under ", rcheck)
  passed <- 0L
  failed <- max(1L, status)
}
if (status != 0L) message("R CMD check failed: see ", file.path(rcheck, "00check.log"))
cat(sprintf("%d passed, %d failed\n", passed, failed))
quit(status = if (status != 0L || failed > 0L) 1L else 0L)
