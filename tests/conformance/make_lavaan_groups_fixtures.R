# make_lavaan_groups_fixtures.R -- lavaan references for issue 12's multi-group runs and
# competing models:
#   groups_<case>.json      sem(model, data, group = "school"[, estimator = "MLR"]) of models with
#                           group-specific modifiers c(a1, a2)*x and := over their labels: what a
#                           `semtrust fit --group school` run must report as its main model;
#   comparison_<case>.json  the hypothesised mediation model and the partial-mediation model
#                           (+ speed ~ visual) under FIML (ML), MLR and MLR + FIML, with
#                           lavTestLRT(): the competing-models table in the main model's flavour;
#   cmb_<case>.json         the same for the CFA against the one-factor CFA (common-method bias).
#
# How to run:  cd tests/conformance && Rscript make_lavaan_groups_fixtures.R
# Needs r-cran-lavaan and r-cran-jsonlite (committed fixtures: lavaan 0.6-14, R 4.2.2). Reads
# data/HolzingerSwineford1939.csv and data/HolzingerSwineford1939_planned_missing.csv (written
# by make_lavaan_features_fixtures.R).

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f) == 1L && nzchar(f)) setwd(dirname(normalizePath(f)))
})

hs_file <- "data/HolzingerSwineford1939.csv"
missing_file <- "data/HolzingerSwineford1939_planned_missing.csv"
cfa <- "visual  =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed   =~ x7 + x8 + x9"

fit_names <- c("npar", "ntotal", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
               "cfi", "tli", "logl", "unrestricted.logl", "aic", "bic", "bic2",
               "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr",
               "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor",
               "baseline.chisq.scaled", "baseline.chisq.scaling.factor",
               "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
               "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled",
               "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "rmsea.pvalue.robust")
param_cols <- c("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper", "std.all")

measures <- function(fit) {
  fm <- fitMeasures(fit)
  out <- list()
  for (k in fit_names) out[[gsub(".", "_", k, fixed = TRUE)]] <- if (k %in% names(fm)) unname(fm[[k]]) else NA
  out
}

parameters <- function(fit, grouped) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  if (is.null(pe$label)) pe$label <- ""
  group_of <- if (is.null(pe$group)) rep(0L, nrow(pe)) else pe$group
  labels <- if (grouped) lavInspect(fit, "group.label") else character(0)
  pe <- as.data.frame(pe)[, param_cols]
  lapply(seq_len(nrow(pe)), function(i) {
    row <- list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i], label = pe$label[i],
                group = if (group_of[i] > 0) labels[group_of[i]] else "")
    for (cn in param_cols[-(1:4)]) row[[gsub(".", "_", cn, fixed = TRUE)]] <- unname(as.numeric(pe[[cn]][i]))
    row
  })
}

save <- function(out, name) {
  write(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
        file.path("fixtures", paste0(name, ".json")))
  message("wrote ", name)
}

# -- the main model of a --group run with group-specific modifiers -----------------------------
groups <- list(
  list(name = "groups_mediation_latent", estimator = "ML", model = paste(cfa,
       "textual ~ c(a1, a2)*visual\nspeed ~ c(b1, b2)*textual + visual\nind1 := a1*b1\nind2 := a2*b2\nind_diff := ind1 - ind2",
       sep = "\n")),
  list(name = "groups_mediation_observed", estimator = "MLR", model =
       "x4 ~ c(a1, a2)*x1\nx7 ~ c(b1, b2)*x4 + c(0, NA)*x1\nind_diff := a1*b1 - a2*b2"),
  list(name = "groups_mediation_fiml", estimator = "MLR", data = missing_file, missing = "ml", model = paste(cfa,
       "textual ~ c(a1, a2)*visual + ageyr\nspeed ~ c(b1, b2)*textual\nind_diff := a1*b1 - a2*b2", sep = "\n"))
)
for (cs in groups) {
  data_file <- if (is.null(cs$data)) hs_file else cs$data
  missing <- if (is.null(cs$missing)) "listwise" else cs$missing
  fit <- sem(cs$model, data = read.csv(data_file), group = "school", estimator = cs$estimator, missing = missing)
  save(list(call = sprintf('sem(model, data = <%s>, group = "school", estimator = "%s", missing = "%s")', data_file,
                           cs$estimator, missing),
            lavaan_version = as.character(packageVersion("lavaan")), data = data_file, model_syntax = cs$model,
            estimator = cs$estimator, missing = if (missing == "ml") "fiml" else "listwise",
            group = "school", groups = lavInspect(fit, "group.label"),
            n = lavInspect(fit, "ntotal"), fit = measures(fit), parameters = parameters(fit, TRUE)), cs$name)
}

# -- the pipeline's group path test under FIML with fixed.x covariates: visual ~ ageyr constrained
# equal across the groups on the metric (equal loadings) model, against that model
mimic <- paste(cfa, "visual  ~ ageyr + sex\ntextual ~ ageyr", sep = "\n")
equal_path <- paste(cfa, "visual  ~ c(b, b)*ageyr + sex\ntextual ~ ageyr", sep = "\n")
dat <- read.csv(missing_file)
metric <- sem(mimic, data = dat, group = "school", group.equal = "loadings", missing = "ml")
constrained <- sem(equal_path, data = dat, group = "school", group.equal = "loadings", missing = "ml")
lrt <- lavTestLRT(constrained, metric)
pe <- parameterEstimates(metric, standardized = TRUE)
path <- pe[pe$lhs == "visual" & pe$op == "~" & pe$rhs == "ageyr", ]
save(list(call = 'lavTestLRT(sem(equal_path, ...), sem(mimic, data = <planned missing>, group = "school", group.equal = "loadings", missing = "ml"))',
          lavaan_version = as.character(packageVersion("lavaan")), data = missing_file, model_syntax = mimic,
          group = "school", groups = lavInspect(metric, "group.label"),
          b = setNames(as.list(path$est), lavInspect(metric, "group.label")[path$group]),
          beta = setNames(as.list(path$std.all), lavInspect(metric, "group.label")[path$group]),
          chisq = fitMeasures(constrained, "chisq")[[1]], df = fitMeasures(constrained, "df")[[1]],
          delta_chisq = lrt[["Chisq diff"]][2], delta_df = lrt[["Df diff"]][2], pvalue = lrt[["Pr(>Chisq)"]][2]),
     "group_path_fiml_fixedx")

# -- competing models in the main model's flavour -----------------------------------------------
hypothesised <- paste(cfa, "textual ~ visual\nspeed ~ textual", sep = "\n")
partial <- paste(hypothesised, "speed ~ visual", sep = "\n")
comparisons <- list(
  list(name = "comparison_fiml", data = missing_file, estimator = "ML", missing = "ml"),
  list(name = "comparison_mlr", data = hs_file, estimator = "MLR", missing = "listwise"),
  list(name = "comparison_mlr_fiml", data = missing_file, estimator = "MLR", missing = "ml")
)
# the common-method-bias pair too: the CFA against all items on one factor (Harman's test as a CFA)
one_factor <- "CMB =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9"
pairs <- list(comparison = list(hypothesised, partial), cmb = list(cfa, one_factor))
for (cs in comparisons) {
  dat <- read.csv(cs$data)
  for (kind in names(pairs)) {
    h <- sem(pairs[[kind]][[1]], data = dat, estimator = cs$estimator, missing = cs$missing)
    p <- sem(pairs[[kind]][[2]], data = dat, estimator = cs$estimator, missing = cs$missing)
    lrt <- lavTestLRT(p, h)
    save(list(call = sprintf('lavTestLRT(sem(%s, ...), sem(%s, data = <%s>, estimator = "%s", missing = "%s"))',
                             if (kind == "cmb") "one_factor" else "partial", if (kind == "cmb") "cfa" else "hypothesised",
                             cs$data, cs$estimator, cs$missing),
              lavaan_version = as.character(packageVersion("lavaan")), data = cs$data,
              estimator = cs$estimator, missing = if (cs$missing == "ml") "fiml" else "listwise",
              hypothesised = pairs[[kind]][[1]], alternative = pairs[[kind]][[2]],
              fit_hypothesised = measures(h), fit_alternative = measures(p),
              delta_chisq = lrt[["Chisq diff"]][2], delta_df = lrt[["Df diff"]][2], pvalue = lrt[["Pr(>Chisq)"]][2]),
         sub("comparison", kind, cs$name))
  }
}
