library(testthat)
library(clef)
test_check("clef")
