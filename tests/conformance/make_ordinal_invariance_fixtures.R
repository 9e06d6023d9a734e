# make_ordinal_invariance_fixtures.R -- lavaan/semTools references for the invariance ladder of
# ordinal (Likert) indicators: multi-group WLSMV fits of the models semTools writes with
#   measEq.syntax(model, data, ordered = items, group = "gender", parameterization = "delta",
#                 ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group.equal = <step>)
# for the steps configural (none), thresholds, thresholds + loadings, thresholds + loadings +
# intercepts (Wu & Estabrook 2016), each fitted by cfa(<syntax>, data, group = "gender",
# ordered = items, estimator = "WLSMV", parameterization = "delta"), and lavTestLRT() of each step
# against the one before (lavaan's default for WLSMV: method = "satorra.2000", the scaled-shifted
# difference).
#
# How to run:  cd tests/conformance && Rscript make_ordinal_invariance_fixtures.R
# Needs r-cran-lavaan, r-cran-semtools, r-cran-jsonlite (committed fixtures: lavaan 0.6-14,
# semTools 0.5-6, R 4.2.2). These are reference tools, not semtrust dependencies.
#
# Cases (data/bfi.csv: psych's bfi, six-point items; gender 1 = male, 2 = female)
#   bfi_gender   models/bfi_neuro_consc.lav (neuroticism N1-N5, conscientiousness C1-C5), rows
#                complete on the ten items and gender, groups in order of appearance.
#   bfi_gender_pairwise  the same model with missing = "pairwise": every row with gender and at
#                least one answer; each group's thresholds from each item's answers, polychorics
#                from each pair's.
#   bfi_gender_ulsmv  bfi_gender with estimator = "ULSMV" (unweighted least squares, the same
#                robust corrections).
#
# fixtures/ordinal_invariance_<case>.json holds: the calls; n per group; per step its name, its
# group.equal, the measEq.syntax text, fitMeasures() (NA as null), parameterEstimates() (with the
# group column) and the lavTestLRT() row against the step before (chisq_diff, df_diff, pvalue).

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

writeLines(c("# psych::bfi neuroticism and conscientiousness items (raw, six-point)",
             "neuro =~ N1 + N2 + N3 + N4 + N5",
             "consc =~ C1 + C2 + C3 + C4 + C5"), "models/bfi_neuro_consc.lav")
# one factor of three items: a saturated configural model (df 0, no scaled statistics)
writeLines(c("# psych::bfi, three neuroticism items (raw, six-point)", "neuro =~ N1 + N2 + N3"),
           "models/bfi_neuro3.lav")

steps <- list(list(name = "configural", equal = character(0)),
              list(name = "thresholds", equal = c("thresholds")),
              list(name = "loadings", equal = c("thresholds", "loadings")),
              list(name = "intercepts", equal = c("thresholds", "loadings", "intercepts")))

cases <- list(list(name = "bfi_gender", data = "data/bfi.csv", model = "bfi_neuro_consc", group = "gender",
                   missing = "listwise"),
              list(name = "bfi_gender_pairwise", data = "data/bfi.csv", model = "bfi_neuro_consc", group = "gender",
                   missing = "pairwise"),
              list(name = "bfi_gender_ulsmv", data = "data/bfi.csv", model = "bfi_neuro_consc", group = "gender",
                   missing = "listwise", estimator = "ULSMV"),
              list(name = "bfi_gender_three", data = "data/bfi.csv", model = "bfi_neuro3", group = "gender",
                   missing = "listwise"))

for (case in cases) {
  model <- paste(readLines(file.path("models", paste0(case$model, ".lav"))), collapse = "\n")
  raw <- read.csv(case$data)
  items <- lavNames(lavaanify(model), "ov")
  keep <- if (case$missing == "pairwise") !is.na(raw[[case$group]]) & rowSums(!is.na(raw[items])) > 0
          else complete.cases(raw[c(items, case$group)])
  data <- raw[keep, c(items, case$group)]
  data[[case$group]] <- as.character(data[[case$group]])
  estimator <- if (is.null(case$estimator)) "WLSMV" else case$estimator
  out <- list()
  previous <- NULL
  for (step in steps) {
    syntax <- measEq.syntax(model, data = data, ordered = items, group = case$group,
                            parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
                            group.equal = if (length(step$equal)) step$equal else "")
    text <- as.character(syntax)
    started <- Sys.time()
    fit <- cfa(text, data = data, group = case$group, ordered = items, estimator = estimator,
               parameterization = "delta", missing = case$missing)
    seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
    pe <- parameterEstimates(fit)
    if (is.null(pe$label)) pe$label <- ""
    pe$group <- lavInspect(fit, "group.label")[pe$group]
    pe <- pe[c("lhs", "op", "rhs", "group", "label", "est", "se")]
    entry <- list(name = step$name, group_equal = I(step$equal), syntax = text, seconds = seconds,
                  fit = as.list(fitMeasures(fit)), parameters = pe)
    if (!is.null(previous)) {
      lrt <- lavTestLRT(fit, previous)
      entry$lrt <- list(method = "satorra.2000", chisq_diff = lrt[2, "Chisq diff"],
                        df_diff = lrt[2, "Df diff"], pvalue = lrt[2, "Pr(>Chisq)"])
    }
    out[[length(out) + 1]] <- entry
    previous <- fit
    cat(case$name, step$name, "\n")
  }
  fixture <- list(
    call = paste0('measEq.syntax(model, data, ordered = items, group = "', case$group,
                  '", parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", ',
                  'group.equal = <step>); cfa(<syntax>, data, group = "', case$group,
                  '", ordered = items, estimator = "', estimator, '", parameterization = "delta", missing = "',
                  case$missing,
                  '"); lavTestLRT(step, previous)'),
    missing = case$missing, estimator = estimator,
    lavaan_version = as.character(packageVersion("lavaan")),
    semtools_version = as.character(packageVersion("semTools")),
    data = case$data, model = paste0("models/", case$model, ".lav"), group = case$group, ordered = items,
    groups = lavInspect(previous, "group.label"),
    n = as.list(setNames(lavInspect(previous, "nobs"), lavInspect(previous, "group.label"))),
    steps = out)
  write(toJSON(fixture, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
        file.path("fixtures", paste0("ordinal_invariance_", case$name, ".json")))
  cat("wrote", case$name, "\n")
}
