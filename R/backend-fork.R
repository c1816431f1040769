group_sum_fork <- function(files, by, value, threads, progress, call) {
  abort_input(c("The {.val fork} backend is not implemented yet.",
                "i" = "Use {.code backend = \"tbb\"}."), call = call)
}
