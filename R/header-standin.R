# A stand-in for the C++ engine_header() written on main, with the same
# contract: the column names in the first line of the CSV file at `path`, as
# a character vector (character(0) for an empty file). It reads plain files
# only, and a header line with a quoted newline wrongly. Delete this file when
# the branches merge.
engine_header <- function(path) {
  line <- readLines(path, n = 1L, warn = FALSE, encoding = "bytes")
  if (length(line) == 0L) return(character())
  line <- sub("^\xef\xbb\xbf", "", line, useBytes = TRUE)
  line <- sub("\r$", "", line, useBytes = TRUE)
  scan(text = line, what = "", sep = ",", quote = "\"", quiet = TRUE,
       na.strings = character(), strip.white = FALSE, allowEscapes = FALSE)
}
