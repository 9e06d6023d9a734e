# make_ordinal_pipeline_variants_fixtures.R -- lavaan references for whole `semtrust fit
# --estimator WLSMV` runs (tests/test_ordinal_pipeline_variants.py) on the five-point answers of
# make_ordinal_pipeline_fixtures.R (data/likert5_mini.csv, models/likert5_mini.yaml: IA -> TR -> PI):
#
#   mixed     --ordered IA1 IA2 IA3 TR1 TR2 TR3: the PI items continuous (lavaan's ordered = those
#             six; polyserial and Pearson correlations, a mean structure for PI1-PI3)
#   pairwise  every item ordinal, 5% of the answers removed at random (seed 15, written once to
#             data/likert5_mini_missing.csv), --missing pairwise (lavaan's missing = "pairwise"; rows
#             with no answer at all dropped)
#
# How to run:  cd tests/conformance && Rscript make_ordinal_pipeline_variants_fixtures.R
# Needs r-cran-lavaan, r-cran-semtools, r-cran-psych, r-cran-jsonlite (reference tools, not semtrust
# dependencies; committed fixtures: lavaan 0.6-14, semTools 0.5-6, psych 2.2.9, R 4.2.2).
# Each fixtures/ordinal_pipeline_likert5_<case>.json holds, as ordinal_pipeline_likert5.json:
#   structural  sem(<the instrument's model, paths labelled a and b, ind := a*b>, estimator =
#               "WLSMV", ordered = , missing = ): fitMeasures, parameterEstimates(standardized = TRUE)
#   measurement the CFA of the three factors: fitMeasures, standardizedSolution loadings,
#               semTools::compRelSEM per factor, and psych::alpha of lavCor(ordered =, missing =) per
#               factor (ordinal alpha)
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(jsonlite)
})
local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f) == 1L && nzchar(f)) setwd(dirname(normalizePath(f)))
})

if (!file.exists("data/likert5_mini_missing.csv")) {
  set.seed(15)
  holes <- read.csv("data/likert5_mini.csv")
  holes[matrix(runif(nrow(holes) * ncol(holes)) < 0.05, nrow(holes))] <- NA
  write.csv(holes, "data/likert5_mini_missing.csv", row.names = FALSE)
}
measurement <- "IA =~ IA1 + IA2 + IA3\nTR =~ TR1 + TR2 + TR3\nPI =~ PI1 + PI2 + PI3\n"
structural <- paste0(measurement, "TR ~ a*IA\nPI ~ b*TR\nind := a*b\n")
items <- list(IA = c("IA1", "IA2", "IA3"), TR = c("TR1", "TR2", "TR3"), PI = c("PI1", "PI2", "PI3"))
measures <- function(fit) {
  m <- fitMeasures(fit)
  as.list(setNames(ifelse(is.na(m), NA, unclass(m)), gsub(".", "_", names(m), fixed = TRUE)))
}
cases <- list(
  list(name = "mixed", data = "data/likert5_mini.csv", ordered = c(items$IA, items$TR), missing = "listwise"),
  list(name = "pairwise", data = "data/likert5_mini_missing.csv", ordered = unlist(items, use.names = FALSE),
       missing = "pairwise"))
for (case in cases) {
  d <- read.csv(case$data)
  d <- d[rowSums(!is.na(d)) > 0, ]
  fit_s <- sem(structural, data = d, ordered = case$ordered, estimator = "WLSMV", missing = case$missing)
  fit_m <- cfa(measurement, data = d, ordered = case$ordered, estimator = "WLSMV", missing = case$missing)
  pe <- parameterEstimates(fit_s, standardized = TRUE)
  std_m <- standardizedSolution(fit_m)
  poly <- lavCor(d, ordered = case$ordered, missing = case$missing)
  out <- list(
    lavaan_version = as.character(packageVersion("lavaan")),
    semtools_version = as.character(packageVersion("semTools")),
    psych_version = as.character(packageVersion("psych")),
    data = case$data, ordered = case$ordered, missing = case$missing, n = lavInspect(fit_s, "nobs"),
    structural = list(model = structural, fit = measures(fit_s),
                      parameters = pe[c("lhs", "op", "rhs", "label", "est", "se", "pvalue", "std.all")]),
    measurement = list(model = measurement, fit = measures(fit_m),
                       loadings = std_m[std_m$op == "=~", c("lhs", "rhs", "est.std", "se")],
                       omega = as.list(compRelSEM(fit_m)),
                       ordinal_alpha = lapply(items, function(v) psych::alpha(poly[v, v])$total$raw_alpha)))
  write(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
        paste0("fixtures/ordinal_pipeline_likert5_", case$name, ".json"))
  cat("wrote", case$name, "\n")
}
