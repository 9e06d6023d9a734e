# make_ordinal_group_paths_fixtures.R -- lavaan/semTools references for the structural paths
# compared across groups with ordinal (Likert) indicators under WLSMV/ULSMV.
#
# The base model is the ordinal invariance ladder's loadings step (Wu & Estabrook 2016):
#   measEq.syntax(model, data, ordered = items, group = "gender", parameterization = "delta",
#                 ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
#                 group.equal = c("thresholds", "loadings"))
# with the factor covariance line replaced by the regression "consc ~ neuro" (free in every
# group); the constrained model labels the regression with one shared label,
# "consc ~ c(b, b)*neuro". Both are fitted by sem(<syntax>, data, group = "gender",
# ordered = items, estimator = <WLSMV|ULSMV>, parameterization = "delta"), and compared by
# lavTestLRT(constrained, base) (lavaan's default for WLSMV: method = "satorra.2000", the
# scaled-shifted difference).
#
# How to run:  cd tests/conformance && Rscript make_ordinal_group_paths_fixtures.R
# Needs r-cran-lavaan, r-cran-semtools, r-cran-jsonlite (committed fixtures: lavaan 0.6-14,
# semTools 0.5-6). These are reference tools, not semtrust dependencies.
#
# Cases (data/bfi.csv: psych's bfi, six-point items; gender 1 = male, 2 = female; rows complete
# on the ten items and gender, groups in order of appearance)
#   bfi_gender        models/bfi_neuro_consc_path.lav, WLSMV
#   bfi_gender_ulsmv  the same with ULSMV
#
# fixtures/ordinal_group_paths_<case>.json holds: the calls, the two syntaxes, per group the
# regression's est and std.all (standardizedSolution) in the base model, both models'
# fitMeasures (chisq, df, chisq.scaled) and the lavTestLRT() row (chisq_diff, df_diff, pvalue).

suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})
local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f) == 1L && nzchar(f)) setwd(dirname(normalizePath(f)))
})

writeLines(c("# psych::bfi neuroticism predicting conscientiousness (raw, six-point items)",
             "neuro =~ N1 + N2 + N3 + N4 + N5",
             "consc =~ C1 + C2 + C3 + C4 + C5",
             "consc ~ neuro"), "models/bfi_neuro_consc_path.lav")

cases <- list(list(name = "bfi_gender", estimator = "WLSMV"),
              list(name = "bfi_gender_ulsmv", estimator = "ULSMV"))
measurement <- paste(c("neuro =~ N1 + N2 + N3 + N4 + N5", "consc =~ C1 + C2 + C3 + C4 + C5"), collapse = "\n")
raw <- read.csv("data/bfi.csv")
items <- lavNames(lavaanify(measurement), "ov")
data <- raw[complete.cases(raw[c(items, "gender")]), c(items, "gender")]
data$gender <- as.character(data$gender)

for (case in cases) {
  syntax <- measEq.syntax(measurement, data = data, ordered = items, group = "gender",
                          parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
                          group.equal = c("thresholds", "loadings"))
  lines <- strsplit(as.character(syntax), "\n")[[1]]
  lines <- lines[!grepl("^neuro ~~ c\\(NA, NA\\)\\*consc", lines)]   # the regression replaces the covariance
  base_text <- paste(c(lines, "consc ~ neuro"), collapse = "\n")
  equal_text <- paste(c(lines, "consc ~ c(b, b)*neuro"), collapse = "\n")
  fit_with <- function(text) sem(text, data = data, group = "gender", ordered = items,
                                 estimator = case$estimator, parameterization = "delta")
  base <- fit_with(base_text)
  equal <- fit_with(equal_text)
  std <- standardizedSolution(base)
  pe <- parameterEstimates(base)
  path <- pe[pe$op == "~" & pe$lhs == "consc" & pe$rhs == "neuro", ]
  beta <- std[std$op == "~" & std$lhs == "consc" & std$rhs == "neuro", ]
  labels <- lavInspect(base, "group.label")
  lrt <- lavTestLRT(equal, base)
  measures <- function(fit) as.list(fitMeasures(fit, c("npar", "chisq", "df", "chisq.scaled")))
  out <- list(call = list(estimator = case$estimator, group = "gender", model = "models/bfi_neuro_consc_path.lav",
                          data = "data/bfi.csv", lavaan = as.character(packageVersion("lavaan")),
                          semTools = as.character(packageVersion("semTools"))),
              base_syntax = base_text, equal_syntax = equal_text,
              groups = labels, n = as.list(setNames(lavInspect(base, "nobs"), labels)),
              path = list(lhs = "consc", rhs = "neuro",
                          est = as.list(setNames(path$est, labels[path$group])),
                          std_all = as.list(setNames(beta$est.std, labels[beta$group]))),
              base = measures(base), equal = measures(equal),
              test = list(chisq_diff = lrt[2, "Chisq diff"], df_diff = lrt[2, "Df diff"],
                          pvalue = lrt[2, "Pr(>Chisq)"]))
  write_json(out, file.path("fixtures", paste0("ordinal_group_paths_", case$name, ".json")),
             auto_unbox = TRUE, digits = NA, pretty = TRUE)
}
