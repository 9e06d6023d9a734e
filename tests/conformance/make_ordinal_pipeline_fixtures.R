# make_ordinal_pipeline_fixtures.R -- lavaan references for a whole `semtrust fit --estimator WLSMV`
# run (tests/test_ordinal_pipeline.py) on five-point Likert answers.
#
# How to run:  cd tests/conformance && Rscript make_ordinal_pipeline_fixtures.R
# Needs r-cran-lavaan, r-cran-semtools, r-cran-psych, r-cran-jsonlite (reference tools, not semtrust
# dependencies; committed fixture: see its lavaan_version).
#
# Data: data/likert5_mini.csv, written once (seed 20261205): n = 400 answers to the nine items of
# models/likert5_mini.yaml (IA -> TR -> PI, three items each), latent responses
# lambda * factor + sqrt(1 - lambda^2) * e cut at (-1.5, -0.5, 0.3, 1.2) into five categories.
# Fixture fixtures/ordinal_pipeline_likert5.json:
#   structural  sem(<the instrument's model, paths labelled a and b, ind := a*b>, ordered = TRUE,
#               estimator = "WLSMV"): fitMeasures, parameterEstimates(standardized = TRUE)
#   measurement the CFA of the three factors: fitMeasures, standardizedSolution loadings,
#               semTools::compRelSEM (omega for categorical indicators), psych::alpha of the
#               polychoric matrix (ordinal alpha) per factor
#   partial     the model plus PI ~ IA and lavTestLRT(structural, partial) (scaled-shifted difference)
# Fixtures fixtures/ordinal_pipeline_likert5_<case>.json (tests/test_ordinal_pipeline_variants.py),
# structural and measurement as above (compRelSEM and the ordinal alpha of lavCor(ordered =,
# missing =) per factor):
#   mixed     --ordered IA1 IA2 IA3 TR1 TR2 TR3: the PI items continuous (lavaan's ordered = those
#             six; polyserial and Pearson correlations, a mean structure for PI1-PI3)
#   pairwise  every item ordinal, 5% of the answers removed at random (seed 15, written once to
#             data/likert5_mini_missing.csv), --missing pairwise (lavaan's missing = "pairwise"; rows
#             with no answer at all dropped)
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

if (!file.exists("data/likert5_mini.csv")) {
  set.seed(20261205)
  n <- 400
  ia <- rnorm(n)
  tr <- 0.5 * ia + sqrt(1 - 0.25) * rnorm(n)
  pi <- 0.6 * tr + sqrt(1 - 0.36) * rnorm(n)
  lam <- c(0.8, 0.7, 0.75)
  item <- function(f, l) as.integer(cut(l * f + sqrt(1 - l^2) * rnorm(n), c(-Inf, -1.5, -0.5, 0.3, 1.2, Inf)))
  d <- data.frame(IA1 = item(ia, lam[1]), IA2 = item(ia, lam[2]), IA3 = item(ia, lam[3]),
                  TR1 = item(tr, lam[1]), TR2 = item(tr, lam[2]), TR3 = item(tr, lam[3]),
                  PI1 = item(pi, lam[1]), PI2 = item(pi, lam[2]), PI3 = item(pi, lam[3]))
  write.csv(d, "data/likert5_mini.csv", row.names = FALSE)
}
d <- read.csv("data/likert5_mini.csv")
measurement <- "IA =~ IA1 + IA2 + IA3\nTR =~ TR1 + TR2 + TR3\nPI =~ PI1 + PI2 + PI3\n"
structural <- paste0(measurement, "TR ~ a*IA\nPI ~ b*TR\nind := a*b\n")
partial <- paste0(structural, "PI ~ IA\n")

measures <- function(fit) {
  m <- fitMeasures(fit)
  as.list(setNames(ifelse(is.na(m), NA, unclass(m)), gsub(".", "_", names(m), fixed = TRUE)))
}
fit_s <- sem(structural, data = d, ordered = TRUE, estimator = "WLSMV")
fit_m <- cfa(measurement, data = d, ordered = TRUE, estimator = "WLSMV")
fit_p <- sem(partial, data = d, ordered = TRUE, estimator = "WLSMV")
pe <- parameterEstimates(fit_s, standardized = TRUE)
std_m <- standardizedSolution(fit_m)
poly <- lavCor(d, ordered = names(d))
items <- list(IA = c("IA1", "IA2", "IA3"), TR = c("TR1", "TR2", "TR3"), PI = c("PI1", "PI2", "PI3"))
omega <- compRelSEM(fit_m)
lrt <- lavTestLRT(fit_s, fit_p)
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  semtools_version = as.character(packageVersion("semTools")),
  psych_version = as.character(packageVersion("psych")),
  data = "data/likert5_mini.csv", n = nrow(d),
  structural = list(model = structural, fit = measures(fit_s),
                    parameters = pe[c("lhs", "op", "rhs", "label", "est", "se", "pvalue", "std.all")]),
  measurement = list(model = measurement, fit = measures(fit_m),
                     loadings = std_m[std_m$op == "=~", c("lhs", "rhs", "est.std", "se")],
                     omega = as.list(omega),
                     ordinal_alpha = lapply(items, function(v) psych::alpha(poly[v, v])$total$raw_alpha)),
  partial = list(model = partial, fit = measures(fit_p),
                 chisq_diff = lrt[2, "Chisq diff"], df_diff = lrt[2, "Df diff"], pvalue = lrt[2, "Pr(>Chisq)"]))
write(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
      "fixtures/ordinal_pipeline_likert5.json")

if (!file.exists("data/likert5_mini_missing.csv")) {
  set.seed(15)
  holes <- read.csv("data/likert5_mini.csv")
  holes[matrix(runif(nrow(holes) * ncol(holes)) < 0.05, nrow(holes))] <- NA
  write.csv(holes, "data/likert5_mini_missing.csv", row.names = FALSE)
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
