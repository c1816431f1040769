group_sum_future <- function(files, by, value, threads, progress, call) {
  abort_input(c("The {.val future} backend is not implemented yet.",
                "i" = "Use {.code backend = \"tbb\"}."), call = call)
}
