# What `files` may be: paths of CSV files (plain or compressed), directories
# (every CSV file in them) and glob patterns, mixed. Each element expands in
# place, sorted in C-locale order; a file given twice is read twice.

# Names a directory's CSV files have: plain, compressed as published, zip.
csv_file_pattern <- "\\.(csv|csv\\.gz|csv\\.bz2|csv\\.xz|csv\\.zst|zip)$"

resolve_files <- function(files, call) {
  if (!is.character(files)) {
    abort_input(c("{.arg files} must be a character vector of paths, directories or globs.",
                  "x" = "Got {.obj_type_friendly {files}}."), call = call)
  }
  if (length(files) == 0L) {
    abort_input("{.arg files} is empty: give at least one CSV file.", call = call)
  }
  if (anyNA(files)) {
    abort_input("{.arg files} must not contain {.val {NA}}.", call = call)
  }
  out <- lapply(files, function(f) {
    if (dir.exists(f)) {
      found <- list.files(f, pattern = csv_file_pattern, ignore.case = TRUE, full.names = TRUE)
      found <- found[!dir.exists(found)]
      if (length(found) == 0L) {
        abort_input(c("The directory {.file {f}} has no CSV file.",
                      "i" = "Looked for names ending in .csv, .csv.gz, .csv.bz2, .csv.xz, .csv.zst or .zip."),
                    class = "parairline_io_error", call = call)
      }
      return(sort(found, method = "radix"))
    }
    if (!file.exists(f) && grepl("[*?[]", f)) {
      found <- Sys.glob(path.expand(f))
      found <- found[!dir.exists(found)]
      if (length(found) == 0L) {
        abort_input("No file matches the pattern {.file {f}}.", class = "parairline_io_error", call = call)
      }
      return(sort(found, method = "radix"))
    }
    f
  })
  files <- unlist(out, use.names = FALSE)
  missing <- files[!file.exists(files)]
  if (length(missing) > 0L) {
    abort_input(c("{cli::qty(length(missing))}File{?s} not found: {.file {missing}}."),
                class = "parairline_io_error", call = call)
  }
  files
}
