# make_lavaan_features_fixtures.R -- lavaan references for the model features of issue 12:
# mean structures (~ 1), equality and inequality constraints (==, <, >), MLR and FIML with
# observed exogenous covariates (fixed.x), and MLR + FIML robust fit indices under heavy
# (planned) missingness; multi-group MLR and FIML (with fixed.x covariates too); exploratory SEM
# (efa() blocks, geomin).
#
# How to run:  cd tests/conformance && Rscript make_lavaan_features_fixtures.R
# Needs r-cran-lavaan and r-cran-jsonlite (committed fixtures: lavaan 0.6-14, R 4.2.2).
#
# Writes data/HolzingerSwineford1939_planned_missing.csv (seeded planned missingness) and
# fixtures/feature_<case>.json: the call, the model syntax, every fitMeasures() value semtrust
# reports, parameterEstimates(fit, standardized = TRUE) and, for ML on complete data, the ten
# largest modindices().

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
hs <- read.csv(hs_file)
# planned missingness: three forms, each leaving out one indicator of every factor, plus 5 %
# of the covariate ageyr missing completely at random
set.seed(20261205)
form <- sample(1:3, nrow(hs), replace = TRUE)
hs_missing <- hs
hs_missing$x3[form == 1] <- NA; hs_missing$x6[form == 1] <- NA; hs_missing$x9[form == 1] <- NA
hs_missing$x2[form == 2] <- NA; hs_missing$x5[form == 2] <- NA; hs_missing$x8[form == 2] <- NA
hs_missing$ageyr[sample(nrow(hs), 15)] <- NA
missing_file <- "data/HolzingerSwineford1939_planned_missing.csv"
write.csv(hs_missing[, c("id", "sex", "ageyr", "school", paste0("x", 1:9))], missing_file, row.names = FALSE, na = "")

cfa <- "visual  =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed   =~ x7 + x8 + x9"
mimic <- paste(cfa, "visual  ~ ageyr + sex\ntextual ~ ageyr", sep = "\n")
cases <- list(
  list(name = "means_latent", data = hs_file, meanstructure = TRUE,
       model = paste(cfa, "x1 ~ 0*1\nx4 ~ 0*1\nvisual ~ 1\ntextual ~ 1\nspeed ~ 0*1", sep = "\n")),
  list(name = "means_intercepts", data = hs_file,
       model = paste(cfa, "x8 ~ a*1\nx9 ~ a*1\nx5 ~ 1\nx7 ~ 4*1", sep = "\n")),
  list(name = "means_mimic", data = hs_file,
       model = paste(mimic, "visual ~ 1\nx1 ~ 0*1", sep = "\n")),
  list(name = "means_mlr", data = hs_file, estimator = "MLR",
       model = paste(cfa, "x8 ~ a*1\nx9 ~ a*1", sep = "\n")),
  list(name = "means_fiml", data = missing_file, estimator = "MLR", missing = "ml",
       model = paste(cfa, "x1 ~ 0*1\nx4 ~ 0*1\nx7 ~ 0*1\nvisual ~ 1\ntextual ~ 1\nspeed ~ 1", sep = "\n")),
  list(name = "constraint_linear", data = hs_file,
       model = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + c*x5 + d*x6\nspeed =~ x7 + e*x8 + f*x9\na + b == 1.2\nc == d + 0.2\nf == 1"),
  list(name = "constraint_nonlinear", data = hs_file,
       model = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + c*x5 + d*x6\nspeed =~ x7 + x8 + x9\nb == a^2\nc * d == 1.2"),
  list(name = "constraint_inequality", data = hs_file,
       model = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + c*x5 + d*x6\nspeed =~ x7 + x8 + x9\na > 0.7\nb < 2\nd < c - 0.25"),
  list(name = "constraint_mlr", data = hs_file, estimator = "MLR",
       model = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + c*x5 + d*x6\nspeed =~ x7 + x8 + x9\na + b == 1.2\nc == d + 0.2"),
  list(name = "fixedx_mlr", data = hs_file, estimator = "MLR", model = mimic),
  list(name = "fixedx_fiml", data = missing_file, estimator = "ML", missing = "ml", model = mimic),
  list(name = "fixedx_mlr_fiml", data = missing_file, estimator = "MLR", missing = "ml", model = mimic),
  list(name = "planned_missing_mlr_fiml", data = missing_file, estimator = "MLR", missing = "ml", model = cfa),
  list(name = "multigroup_mlr_configural", data = hs_file, estimator = "MLR", model = cfa, group = "school"),
  list(name = "multigroup_mlr_metric", data = hs_file, estimator = "MLR", model = cfa, group = "school",
       group_equal = "loadings"),
  list(name = "multigroup_defined", data = hs_file, model = paste(cfa,
       "speed ~ c(b1, b2)*visual + c(t, t)*textual\ntextual ~ c(0.5, NA)*visual\ndiff := b1 - b2\nratio := diff / t",
       sep = "\n"), group = "school", group_equal = "loadings"),
  list(name = "multigroup_constraint", data = hs_file, estimator = "MLR", model = paste(cfa,
       "speed ~ c(b1, b2)*visual\nb2 == 2 * b1", sep = "\n"), group = "school", group_equal = "loadings"),
  list(name = "multigroup_fiml", data = missing_file, missing = "ml", model = cfa, group = "school",
       group_equal = "loadings"),
  list(name = "multigroup_mlr_fiml", data = missing_file, estimator = "MLR", missing = "ml", model = cfa,
       group = "school", group_equal = "loadings"),
  # multi-group FIML conditional on the covariates (fixed.x): each group's own covariate moments
  list(name = "multigroup_fixedx_fiml", data = missing_file, missing = "ml", model = mimic, group = "school"),
  list(name = "multigroup_fixedx_mlr_fiml", data = missing_file, estimator = "MLR", missing = "ml", model = mimic,
       group = "school", group_equal = "loadings")
)

fit_names <- c("npar", "ntotal", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
               "cfi", "tli", "logl", "unrestricted.logl", "aic", "bic", "bic2",
               "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr",
               "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor",
               "baseline.chisq.scaled", "baseline.chisq.scaling.factor",
               "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
               "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled",
               "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "rmsea.pvalue.robust")
param_cols <- c("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper", "std.all")

for (cs in cases) {
  dat <- read.csv(cs$data)
  estimator <- if (is.null(cs$estimator)) "ML" else cs$estimator
  missing <- if (is.null(cs$missing)) "listwise" else cs$missing
  meanstructure <- isTRUE(cs$meanstructure) || grepl("~ *[0-9.a-zA-Z]*\\**1(\n|$)", cs$model)
  group_equal <- if (is.null(cs$group_equal)) "" else cs$group_equal
  args <- list(cs$model, data = dat, estimator = estimator, missing = missing, group = cs$group,
               group.equal = group_equal)
  if (meanstructure) args$meanstructure <- TRUE   # else lavaan's default (TRUE with groups or FIML)
  fit <- do.call("sem", args)
  fm <- fitMeasures(fit)
  fits <- list()
  for (k in fit_names) fits[[gsub(".", "_", k, fixed = TRUE)]] <- if (k %in% names(fm)) unname(fm[[k]]) else NA
  pe <- parameterEstimates(fit, standardized = TRUE)
  if (is.null(pe$label)) pe$label <- ""
  group_of <- if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group
  group_labels <- if (is.null(cs$group)) "" else lavInspect(fit, "group.label")
  pe <- as.data.frame(pe)[, param_cols]
  params <- lapply(seq_len(nrow(pe)), function(i) {
    row <- list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i], label = pe$label[i],
                group = if (group_of[i] > 0) group_labels[group_of[i]] else "")
    for (cn in param_cols[-(1:4)]) row[[gsub(".", "_", cn, fixed = TRUE)]] <- unname(as.numeric(pe[[cn]][i]))
    row
  })
  out <- list(
    call = sprintf('sem(model, data = <%s>, estimator = "%s", missing = "%s"%s)', cs$data, estimator,
                   missing, if (meanstructure) ", meanstructure = TRUE" else ""),
    lavaan_version = as.character(packageVersion("lavaan")),
    data = cs$data, model_syntax = cs$model, estimator = estimator,
    group = if (is.null(cs$group)) NA else cs$group, group_equal = group_equal,
    missing = if (missing == "ml") "fiml" else "listwise",
    n = lavInspect(fit, "ntotal"), fit = fits, parameters = params)
  if (estimator == "ML" && missing == "listwise" && is.null(cs$group)) {   # the ten largest modification indices
    mi <- head(modindices(fit, sort. = TRUE), 10)
    out$modindices <- lapply(seq_len(nrow(mi)), function(i)
      list(lhs = mi$lhs[i], op = mi$op[i], rhs = mi$rhs[i], mi = mi$mi[i], epc = mi$epc[i],
           sepc_all = mi$sepc.all[i]))
  }
  write(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
        file.path("fixtures", paste0("feature_", cs$name, ".json")))
  message("wrote feature_", cs$name)
}

# Scaled chi-square difference (Satorra & Bentler 2001, lavTestLRT's default under MLR) between
# the metric and the configural multi-group models: the invariance ladder's test under MLR.
configural <- sem(cfa, hs, group = "school", estimator = "MLR")
metric <- sem(cfa, hs, group = "school", estimator = "MLR", group.equal = "loadings")
lrt <- lavTestLRT(metric, configural)
write(toJSON(list(call = 'lavTestLRT(sem(cfa, group = "school", estimator = "MLR", group.equal = "loadings"), sem(cfa, group = "school", estimator = "MLR"))',
                  lavaan_version = as.character(packageVersion("lavaan")), data = hs_file, model_syntax = cfa,
                  group = "school", delta_chisq = lrt[["Chisq diff"]][2], delta_df = lrt[["Df diff"]][2],
                  pvalue = lrt[["Pr(>Chisq)"]][2]),
             auto_unbox = TRUE, digits = NA, pretty = TRUE),
      "fixtures/lrt_multigroup_mlr_metric.json")
message("wrote lrt_multigroup_mlr_metric")

# Exploratory SEM: efa("block")* factors rotated by lavaan's defaults (oblique geomin, epsilon
# 0.001, std.ov = TRUE, 30 random starts, reflected, ordered by index) with its "bordered" SEs;
# fixtures/esem_<case>.json: the call, the model, fitMeasures(), parameterEstimates(standardized = TRUE)
hs <- read.csv(hs_file)
items <- paste0("x", 1:9, collapse = " + ")
esem_cases <- list(
  list(name = "three_factors", model = sprintf('efa("efa")*f1 + efa("efa")*f2 + efa("efa")*f3 =~ %s', items)),
  list(name = "block_and_cfa", model = paste(
       'efa("b1")*visual + efa("b1")*textual =~ x1 + x2 + x3 + x4 + x5 + x6',
       "speed =~ x7 + x8 + x9", sep = "\n")),
  list(name = "block_predicts", model = paste(
       'efa("b1")*visual + efa("b1")*textual =~ x1 + x2 + x3 + x4 + x5 + x6',
       "speed =~ x7 + x8 + x9\nspeed ~ visual + textual", sep = "\n"))
)
esem_fits <- c("npar", "ntotal", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
               "logl", "unrestricted.logl", "aic", "bic", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr")
esem_cols <- c("lhs", "op", "rhs", "est", "se", "z", "pvalue", "std.all")
for (cs in esem_cases) {
  set.seed(1)   # the rotation's random starts
  fit <- sem(cs$model, data = hs)
  fm <- fitMeasures(fit)
  fits <- list()
  for (k in esem_fits) fits[[gsub(".", "_", k, fixed = TRUE)]] <- unname(fm[[k]])
  pe <- as.data.frame(parameterEstimates(fit, standardized = TRUE))[, esem_cols]
  params <- lapply(seq_len(nrow(pe)), function(i) {
    row <- list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i])
    for (cn in esem_cols[-(1:3)]) row[[gsub(".", "_", cn, fixed = TRUE)]] <- unname(as.numeric(pe[[cn]][i]))
    row
  })
  out <- list(call = sprintf("sem(model, data = <%s>)  # rotation = \"geomin\", rotation.args defaults", hs_file),
              lavaan_version = as.character(packageVersion("lavaan")), data = hs_file, model_syntax = cs$model,
              n = lavInspect(fit, "ntotal"), fit = fits, parameters = params)
  write(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
        file.path("fixtures", paste0("esem_", cs$name, ".json")))
  message("wrote esem_", cs$name)
}
