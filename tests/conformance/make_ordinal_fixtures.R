# make_ordinal_fixtures.R -- lavaan references for ordinal (Likert) indicators:
# cfa(..., ordered = <all indicators>, estimator = "WLSMV"), lavaan's defaults otherwise
# (delta parameterization, listwise deletion, DWLS with robust.sem SEs and the scaled-shifted test).
#
# How to run:  cd tests/conformance && Rscript make_ordinal_fixtures.R
# Needs r-cran-lavaan, r-cran-semtools, r-cran-psych, r-cran-jsonlite (committed fixtures: lavaan
# 0.6-14, semTools 0.5-6, psych 2.2.9, R 4.2.2). These are reference tools, not semtrust dependencies.
#
# Cases
#   bfi_ordinal        data/bfi.csv, the 25 six-point items as given (no reverse keying; ordinal
#                      models take negative loadings), models/bfi_cfa.lav, rows complete on the items.
#   holzinger_ordinal  data/HolzingerSwineford1939.csv x1-x9 cut at their quartiles into 4 ordered
#                      categories: as.integer(cut(x, quantile(x, 0:4 / 4), include.lowest = TRUE)),
#                      written once to data/holzinger_ordinal.csv; models/holzinger_cfa.lav.
#   holzinger_ordinal_sem  the same data, models/holzinger_ordinal_sem.lav (regressions among the
#                      factors and a residual covariance).
#   holzinger_ordinal_thresholds  the same data, models/holzinger_ordinal_thresholds.lav: the CFA
#                      with threshold syntax (equal thresholds of x4-x6 by shared labels, x7's
#                      second threshold fixed at 0).
#   holzinger_ordinal_mediation  the same data, models/holzinger_ordinal_mediation.lav: visual ->
#                      textual -> speed with labelled paths and the indirect effect a*b (:=).
#   holzinger_ordinal_ulsmv, holzinger_ordinal_dwls  the holzinger_ordinal CFA with estimator = "ULSMV"
#                      and estimator = "DWLS" (standard SEs and test).
#   holzinger_ordinal_theta, holzinger_ordinal_sem_theta  the holzinger_ordinal CFA and SEM with
#                      parameterization = "theta" (residual variances of the latent responses fixed
#                      to 1, the scaling factors derived).
#   bfi_ordinal_pairwise  the bfi CFA with missing = "pairwise": every row, thresholds from each item's
#                      answers, polychorics from each pair's.
#   holzinger_ordinal_stdlv  the CFA identified by the factor variances (NA*x1, F ~~ 1*F) with a
#                      cross-loading (visual =~ x9).
#   holzinger_mixed    x1-x6 of holzinger_ordinal with the continuous x7-x9 of the original data
#                      (data/holzinger_mixed.csv, written once), ordered = x1-x6 only: polyserial and
#                      Pearson correlations beside the polychorics; the CFA and the SEM models.
#   holzinger_mixed_covariates  the continuous x7 and x8 as observed predictors of the factors of x1-x6,
#                      modelled jointly with the items: conditional.x = FALSE, fixed.x = FALSE (lavaan's
#                      default for categorical data, conditional.x = TRUE, conditions the statistics
#                      on the predictors instead; semtrust does not do that yet).
#   holzinger_mixed_covariates_theta  the same with parameterization = "theta".
#   holzinger_mixed_pairwise  holzinger_mixed with 4% of the answers removed at random (seed 15,
#                      data/holzinger_mixed_missing.csv, written once), the covariates model, missing =
#                      "pairwise".
#   binary_simulated   six binary items simulated from one factor (seed 20261205, n = 200, written
#                      once to data/binary_simulated.csv), models/binary_onefactor.lav; the pair
#                      b1 x b4 has an empty cell, so lavaan's zero.add = 0.5 (keeping the margins)
#                      applies to that 2 x 2 table.
#
# Each fixtures/ordinal_<case>.json holds: the call; n; the sample thresholds
# (lavInspect(fit, "sampstat")$th); the polychoric matrix from lavCor(items, ordered = items);
# the diagonal of lavInspect(fit, "gamma") (the asymptotic covariance of thresholds and
# polychorics, in lavaan's order: all thresholds variable by variable, then the correlations
# below the diagonal column by column), the full gamma for holzinger_ordinal; every row of
# parameterEstimates(fit, standardized = TRUE) with standardizedSolution(fit)$se as std.se; fitMeasures(fit) (NA written as null); lavInspect(fit, "r2"); and
# per factor semTools::compRelSEM(fit) (omega for categorical indicators, Green & Yang 2009),
# compRelSEM(fit, tau.eq = TRUE) (which, with ord.scale = TRUE, is alpha of the raw item scores)
# and psych::alpha(polychoric)$total$raw_alpha (ordinal alpha).

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

if (!file.exists("data/holzinger_ordinal.csv")) {
  hs <- read.csv("data/HolzingerSwineford1939.csv")
  cut4 <- function(x) as.integer(cut(x, quantile(x, 0:4 / 4), include.lowest = TRUE))
  out <- as.data.frame(lapply(hs[paste0("x", 1:9)], cut4))
  write.csv(out, "data/holzinger_ordinal.csv", row.names = FALSE)
}
if (!file.exists("data/holzinger_mixed.csv")) {
  hs <- read.csv("data/HolzingerSwineford1939.csv")
  mixed <- read.csv("data/holzinger_ordinal.csv")
  mixed[c("x7", "x8", "x9")] <- hs[c("x7", "x8", "x9")]
  write.csv(mixed, "data/holzinger_mixed.csv", row.names = FALSE)
}
if (!file.exists("data/holzinger_mixed_missing.csv")) {
  set.seed(15)
  holes <- read.csv("data/holzinger_mixed.csv")
  holes[matrix(runif(nrow(holes) * ncol(holes)) < 0.04, nrow(holes))] <- NA
  write.csv(holes, "data/holzinger_mixed_missing.csv", row.names = FALSE)
}
if (!file.exists("data/binary_simulated.csv")) {
  set.seed(20261205)
  n <- 200; f <- rnorm(n)
  lam <- c(.8, .7, .75, .6, .65, .7); cut <- c(1.9, 1.7, 0.3, -0.2, 1.6, 0.8)
  d <- as.data.frame(sapply(1:6, function(i) as.integer(lam[i] * f + sqrt(1 - lam[i]^2) * rnorm(n) > cut[i])))
  names(d) <- paste0("b", 1:6)
  write.csv(d, "data/binary_simulated.csv", row.names = FALSE)
}
writeLines(c("# six simulated binary items, one factor", "F =~ b1 + b2 + b3 + b4 + b5 + b6"),
           "models/binary_onefactor.lav")
writeLines(c("# Holzinger-Swineford x1-x9 as 4-category ordinal items: structural paths and a residual covariance",
             "visual  =~ x1 + x2 + x3",
             "textual =~ x4 + x5 + x6",
             "speed   =~ x7 + x8 + x9",
             "speed ~ visual + textual",
             "x1 ~~ x4"), "models/holzinger_ordinal_sem.lav")
writeLines(c("# Holzinger-Swineford x1-x9 as 4-category ordinal items: a mediation with a defined indirect effect",
             "visual  =~ x1 + x2 + x3",
             "textual =~ x4 + x5 + x6",
             "speed   =~ x7 + x8 + x9",
             "textual ~ a*visual",
             "speed ~ b*textual + c*visual",
             "indirect := a*b",
             "total := c + a*b"), "models/holzinger_ordinal_mediation.lav")
writeLines(c("# Holzinger-Swineford x1-x9 as 4-category ordinal items: factor variances fixed, a cross-loading",
             "visual  =~ NA*x1 + x2 + x3 + x9",
             "textual =~ NA*x4 + x5 + x6",
             "speed   =~ NA*x7 + x8 + x9",
             "visual ~~ 1*visual", "textual ~~ 1*textual", "speed ~~ 1*speed"),
           "models/holzinger_ordinal_stdlv.lav")
writeLines(c("# x1-x6 ordinal, x7 and x8 continuous predictors of their factors",
             "visual =~ x1 + x2 + x3", "textual =~ x4 + x5 + x6", "visual ~ x7", "textual ~ x7 + x8"),
           "models/holzinger_mixed_covariates.lav")
writeLines(c("# Holzinger-Swineford x1-x9 as 4-category ordinal items: threshold constraints",
             "visual  =~ x1 + x2 + x3",
             "textual =~ x4 + x5 + x6",
             "speed   =~ x7 + x8 + x9",
             "x4 | a1*t1 + a2*t2 + a3*t3",
             "x5 | a1*t1 + a2*t2 + a3*t3",
             "x6 | a1*t1 + a2*t2 + a3*t3",
             "x7 | 0*t2"), "models/holzinger_ordinal_thresholds.lav")

cases <- list(
  list(name = "bfi_ordinal", data = "data/bfi.csv", model = "bfi_cfa"),
  list(name = "holzinger_ordinal", data = "data/holzinger_ordinal.csv", model = "holzinger_cfa",
       full_gamma = TRUE),
  list(name = "holzinger_ordinal_sem", data = "data/holzinger_ordinal.csv", model = "holzinger_ordinal_sem"),
  list(name = "holzinger_ordinal_thresholds", data = "data/holzinger_ordinal.csv",
       model = "holzinger_ordinal_thresholds"),
  list(name = "holzinger_ordinal_mediation", data = "data/holzinger_ordinal.csv",
       model = "holzinger_ordinal_mediation"),
  list(name = "holzinger_ordinal_ulsmv", data = "data/holzinger_ordinal.csv", model = "holzinger_cfa",
       estimator = "ULSMV"),
  list(name = "holzinger_ordinal_dwls", data = "data/holzinger_ordinal.csv", model = "holzinger_cfa",
       estimator = "DWLS"),
  list(name = "holzinger_ordinal_theta", data = "data/holzinger_ordinal.csv", model = "holzinger_cfa",
       parameterization = "theta"),
  list(name = "holzinger_ordinal_sem_theta", data = "data/holzinger_ordinal.csv", model = "holzinger_ordinal_sem",
       parameterization = "theta"),
  list(name = "bfi_ordinal_pairwise", data = "data/bfi.csv", model = "bfi_cfa", missing = "pairwise"),
  list(name = "holzinger_ordinal_stdlv", data = "data/holzinger_ordinal.csv", model = "holzinger_ordinal_stdlv"),
  list(name = "holzinger_mixed", data = "data/holzinger_mixed.csv", model = "holzinger_cfa",
       ordered = paste0("x", 1:6)),
  list(name = "holzinger_mixed_sem", data = "data/holzinger_mixed.csv", model = "holzinger_ordinal_sem",
       ordered = paste0("x", 1:6)),
  list(name = "holzinger_mixed_covariates", data = "data/holzinger_mixed.csv", model = "holzinger_mixed_covariates",
       ordered = paste0("x", 1:6), conditional_x = FALSE),
  list(name = "holzinger_mixed_covariates_theta", data = "data/holzinger_mixed.csv",
       model = "holzinger_mixed_covariates", ordered = paste0("x", 1:6), conditional_x = FALSE,
       parameterization = "theta"),
  list(name = "holzinger_mixed_pairwise", data = "data/holzinger_mixed_missing.csv",
       model = "holzinger_mixed_covariates", ordered = paste0("x", 1:6), conditional_x = FALSE, missing = "pairwise"),
  list(name = "binary_simulated", data = "data/binary_simulated.csv", model = "binary_onefactor")
)

as_matrix_list <- function(m) lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))

for (case in cases) {
  syntax <- paste(readLines(file.path("models", paste0(case$model, ".lav"))), collapse = "\n")
  raw <- read.csv(case$data)
  items <- lavNames(lavaanify(syntax), "ov")
  missing <- if (is.null(case$missing)) "listwise" else case$missing
  data <- if (missing == "pairwise") raw[rowSums(!is.na(raw[items])) > 0, items]
          else raw[complete.cases(raw[items]), items]
  estimator <- if (is.null(case$estimator)) "WLSMV" else case$estimator
  parameterization <- if (is.null(case$parameterization)) "delta" else case$parameterization
  ordered <- if (is.null(case$ordered)) items else case$ordered
  if (isTRUE(case$conditional_x == FALSE)) {
    fit <- cfa(syntax, data = data, ordered = ordered, estimator = estimator, parameterization = parameterization,
               missing = missing, conditional.x = FALSE, fixed.x = FALSE)
  } else {
    fit <- cfa(syntax, data = data, ordered = ordered, estimator = estimator, parameterization = parameterization,
               missing = missing)
  }
  poly <- lavCor(data, ordered = ordered, missing = missing, output = "cor")
  th <- lavInspect(fit, "sampstat")$th
  gamma <- lavInspect(fit, "gamma")
  pe <- parameterEstimates(fit, standardized = TRUE)
  if (is.null(pe$label)) pe$label <- ""
  pe <- pe[c("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper", "std.all")]
  ss <- standardizedSolution(fit)
  pe$std.se <- ss$se[match(paste(pe$lhs, pe$op, pe$rhs), paste(ss$lhs, ss$op, ss$rhs))]
  fm <- fitMeasures(fit)
  factors <- lavNames(fit, "lv")
  omega <- compRelSEM(fit)
  alpha_semtools <- compRelSEM(fit, tau.eq = TRUE)
  lambda <- lavInspect(fit, "est")$lambda
  alpha_psych <- sapply(factors, function(f) {
    ind <- rownames(lambda)[lambda[, f] != 0]
    suppressMessages(suppressWarnings(psych::alpha(poly[ind, ind], check.keys = FALSE)$total$raw_alpha))
  })
  fixture <- list(
    call = sprintf('cfa(model, data, ordered = c(%s), estimator = "%s", parameterization = "%s", missing = "%s"%s)',
                   paste0('"', ordered, '"', collapse = ", "), estimator, parameterization, missing,
                   if (isTRUE(case$conditional_x == FALSE)) ", conditional.x = FALSE, fixed.x = FALSE" else ""),
    estimator = estimator, parameterization = parameterization, missing = missing,
    lavaan_version = as.character(packageVersion("lavaan")),
    semtools_version = as.character(packageVersion("semTools")),
    psych_version = as.character(packageVersion("psych")),
    data = case$data, model = paste0("models/", case$model, ".lav"),
    n = lavInspect(fit, "nobs"), ordered = ordered,
    thresholds = as.list(th),
    wls_obs = unname(lavInspect(fit, "wls.obs")),
    polychoric = list(names = items, matrix = as_matrix_list(unclass(poly))),
    gamma_diag = unname(diag(gamma)),
    parameters = pe,
    fit = as.list(fm),
    r2 = as.list(lavInspect(fit, "r2")),
    reliability = list(omega = as.list(omega), alpha_raw_compRelSEM = as.list(alpha_semtools),
                       alpha_psych = as.list(alpha_psych))
  )
  if (isTRUE(case$full_gamma)) fixture$gamma <- as_matrix_list(unclass(gamma))
  write(toJSON(fixture, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
        file.path("fixtures", paste0("ordinal_", case$name, ".json")))
  cat("wrote", case$name, "\n")
}

# fixtures/ordinal_lrt.json: lavTestLRT(restricted, free) for nested WLSMV fits on
# data/holzinger_ordinal.csv (lavaan's default for the scaled-shifted test: method = "satorra.2000",
# A from the models' Delta matrices): a path fixed to 0, and loadings made equal by labels.
hs_ord <- read.csv("data/holzinger_ordinal.csv")
sem_free <- paste(readLines("models/holzinger_ordinal_sem.lav"), collapse = "\n")
cfa_free <- paste(readLines("models/holzinger_cfa.lav"), collapse = "\n")
comparisons <- list(
  list(name = "path", free = sem_free, restricted = sub("speed ~ visual \\+ textual", "speed ~ visual", sem_free)),
  list(name = "equal_loadings", free = cfa_free,
       restricted = "visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + b*x5 + b*x6\nspeed =~ x7 + x8 + x9")
)
lrt <- lapply(comparisons, function(comp) {
  fit1 <- cfa(comp$free, data = hs_ord, ordered = names(hs_ord), estimator = "WLSMV")
  fit0 <- cfa(comp$restricted, data = hs_ord, ordered = names(hs_ord), estimator = "WLSMV")
  a <- lavTestLRT(fit0, fit1)
  list(name = comp$name, free = comp$free, restricted = comp$restricted,
       chisq_diff = a[["Chisq diff"]][2], df_diff = a[["Df diff"]][2], pvalue = a[["Pr(>Chisq)"]][2],
       scale = attr(a, "scale")[2], shift = attr(a, "shift")[2])
})
write(toJSON(list(call = "lavTestLRT(restricted, free) after cfa(..., ordered = <all>, estimator = \"WLSMV\")",
                  lavaan_version = as.character(packageVersion("lavaan")), data = "data/holzinger_ordinal.csv",
                  comparisons = lrt), digits = NA, auto_unbox = TRUE, pretty = TRUE),
      "fixtures/ordinal_lrt.json")
cat("wrote lrt\n")

# fixtures/ordinal_polyserial_ml.json: the polyserial correlation of bfi's A2 (6 categories) with age
# on the complete pairs, as the maximum of its two-step likelihood found by optimize() (thresholds
# from A2's proportions, age's mean and variance with divisor n held fixed), beside lavCor()'s value:
# lavaan's optimizer stops at 0.1260 on this pair, where the likelihood is lower than at the optimum.
pair <- read.csv("data/bfi.csv")[c("A2", "age")]
pair <- pair[complete.cases(pair), ]
z <- (pair$age - mean(pair$age)) / sqrt(mean((pair$age - mean(pair$age))^2))
cuts <- c(-Inf, qnorm(cumsum(table(pair$A2))[-6] / nrow(pair)), Inf)
loglik <- function(r) {
  s <- sqrt(1 - r^2)
  sum(log(pnorm((cuts[pair$A2 + 1] - r * z) / s) - pnorm((cuts[pair$A2] - r * z) / s)))
}
best <- optimize(loglik, c(-0.99, 0.99), maximum = TRUE, tol = 1e-12)
lav <- lavCor(pair, ordered = "A2", output = "cor")["age", "A2"]
# pairwise deletion: age's mean and variance from every row with an age, the likelihood over the pairs
everyone <- read.csv("data/bfi.csv")[c("A2", "age")]
z_all <- (everyone$age - mean(everyone$age, na.rm = TRUE)) /
  sqrt(mean((everyone$age - mean(everyone$age, na.rm = TRUE))^2, na.rm = TRUE))
z <- z_all[complete.cases(everyone)]
best_pairwise <- optimize(loglik, c(-0.99, 0.99), maximum = TRUE, tol = 1e-12)
write(toJSON(list(data = "data/bfi.csv", x = "age", y = "A2", n = nrow(pair),
                  optimum = best$maximum, loglik_optimum = best$objective,
                  lavaan = lav, loglik_lavaan = loglik(lav), optimum_pairwise = best_pairwise$maximum),
             digits = NA, auto_unbox = TRUE, pretty = TRUE),
      "fixtures/ordinal_polyserial_ml.json")
cat("wrote polyserial_ml\n")
