library(testthat)
library(parairline)

test_check("parairline")
