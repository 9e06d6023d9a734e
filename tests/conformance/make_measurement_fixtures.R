# Measurement-model quality from lavaan / semTools / psych for semtrust's measurement stage:
# reliability (alpha, omega, CR, AVE), item statistics, standardized loadings with SEs,
# latent correlations with CIs, HTMT and HTMT2, Mardia's tests.
# Run: cd tests/conformance && Rscript make_measurement_fixtures.R
#
# Each case: read data/<x>.csv, recode reverse-keyed items as (scale_points + 1) - x, keep the
# rows complete on the model's items (lavaan's listwise), fit cfa(model) with defaults (ML,
# expected information) and write fixtures/measurement_<case>.json. Definitions (l = std.all
# loadings of a factor):
#   alpha, alpha_ci     psych::alpha(items, check.keys = FALSE)$total$raw_alpha and $feldt
#   omega               semTools::compRelSEM(fit)  (obs.var = TRUE: (sum lambda)^2 phi / sum(S))
#   cr                  semTools::compRelSEM(fit_std, obs.var = FALSE), fit_std = the same cfa()
#                       with std.ov = TRUE; equals sum(l)^2 / (sum(l)^2 + sum(1 - l^2)) (cr_formula)
#   ave                 semTools::AVE(fit_std, obs.var = FALSE); equals mean(l^2) (ave_formula)
#   msv, asv            max and mean of the squared latent correlations of the factor
#   items               standardizedSolution(fit) est.std, se, ci.lower, ci.upper of each loading;
#                       psych::alpha r.drop (corrected item-total r) and alpha.drop raw_alpha;
#                       psych::describe(type = 2) mean, sd, skew, kurtosis (SPSS's G1, G2)
#   latent_correlations standardizedSolution(fit) rows lhs ~~ rhs between two factors
#   htmt, htmt2         semTools::htmt(model, data, htmt2 = FALSE) and htmt(..., htmt2 = TRUE)
#   mardia              psych::mardia(items, plot = FALSE)
suppressPackageStartupMessages({library(lavaan); library(semTools); library(psych); library(jsonlite)})

local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f) == 1L && nzchar(f)) setwd(dirname(normalizePath(f)))
})

cases <- list(
  list(name = "holzinger_cfa", data = "data/HolzingerSwineford1939.csv",
       model = "models/holzinger_cfa.lav", reverse = character(0), scale_points = NULL),
  list(name = "bfi_reversed", data = "data/bfi.csv", model = "models/bfi_cfa.lav",
       reverse = c("A1", "C4", "C5", "E1", "E2", "O2", "O5"), scale_points = 6),
  list(name = "trust_example_cfa", data = "../../example_data/trust_survey.csv",
       model = "models/trust_example_cfa.lav", reverse = c("HT4", "PV4", "RI3"), scale_points = 7)
)

matrix_json <- function(m) {
  m <- unclass(m)
  out <- list()
  for (a in rownames(m)) {
    out[[a]] <- list()
    for (b in colnames(m)) out[[a]][[b]] <- unname(as.numeric(m[a, b]))
  }
  out
}

for (cs in cases) {
  model <- paste(readLines(cs$model), collapse = "\n")
  pt <- lavaanify(model)
  load <- pt[pt$op == "=~", ]
  factors <- unique(load$lhs)
  items <- unique(load$rhs)
  dat <- read.csv(cs$data)
  for (v in cs$reverse) dat[[v]] <- (cs$scale_points + 1) - dat[[v]]
  dat <- dat[complete.cases(dat[, items]), items]

  fit <- cfa(model, data = dat)
  fit_std <- cfa(model, data = dat, std.ov = TRUE)
  stopifnot(lavInspect(fit, "converged"), lavInspect(fit_std, "converged"))
  ss <- standardizedSolution(fit)
  omega <- compRelSEM(fit)
  cr <- compRelSEM(fit_std, obs.var = FALSE)
  ave <- AVE(fit_std, obs.var = FALSE)
  lc <- ss[ss$op == "~~" & ss$lhs %in% factors & ss$rhs %in% factors & ss$lhs != ss$rhs, ]
  desc <- psych::describe(dat, type = 2)

  reliability <- list()
  item_rows <- list()
  for (f in factors) {
    its <- load$rhs[load$lhs == f]
    l <- ss$est.std[ss$op == "=~" & ss$lhs == f]
    a <- psych::alpha(dat[, its], check.keys = FALSE, warnings = FALSE)
    r2 <- lc$est.std[lc$lhs == f | lc$rhs == f]^2
    reliability[[f]] <- list(
      alpha = a$total$raw_alpha, alpha_ci = c(a$feldt$lower.ci[[1]], a$feldt$upper.ci[[1]]),
      omega = unname(omega[[f]]), cr = unname(cr[[f]]), ave = unname(ave[[f]]),
      cr_formula = sum(l)^2 / (sum(l)^2 + sum(1 - l^2)), ave_formula = mean(l^2),
      msv = max(r2), asv = mean(r2))
    for (i in its) {
      s <- ss[ss$op == "=~" & ss$lhs == f & ss$rhs == i, ]
      item_rows[[length(item_rows) + 1]] <- list(
        construct = f, item = i, std_loading = s$est.std, se = s$se,
        ci_lower = s$ci.lower, ci_upper = s$ci.upper,
        item_total = a$item.stats[i, "r.drop"], alpha_if_deleted = a$alpha.drop[i, "raw_alpha"],
        mean = desc[i, "mean"], sd = desc[i, "sd"], skew = desc[i, "skew"], kurtosis = desc[i, "kurtosis"])
    }
  }
  latent <- lapply(seq_len(nrow(lc)), function(k) list(
    lhs = lc$lhs[k], rhs = lc$rhs[k], est = lc$est.std[k], se = lc$se[k],
    ci_lower = lc$ci.lower[k], ci_upper = lc$ci.upper[k]))
  m <- psych::mardia(dat, plot = FALSE)

  out <- list(
    case = cs$name, data = cs$data, model = cs$model,
    reverse = I(cs$reverse), scale_points = cs$scale_points,
    lavaan_version = as.character(packageVersion("lavaan")),
    semtools_version = as.character(packageVersion("semTools")),
    psych_version = as.character(packageVersion("psych")),
    call = "cfa(model, data = <items, reverse-keyed recoded, complete cases>)",
    n = nrow(dat), reliability = reliability, items = item_rows, latent_correlations = latent,
    htmt = matrix_json(htmt(model, dat, htmt2 = FALSE)), htmt2 = matrix_json(htmt(model, dat, htmt2 = TRUE)),
    mardia = list(n = m$n.obs, p = m$n.var, b1p = m$b1p, b2p = m$b2p, skew = m$skew, p_skew = m$p.skew,
                  small_skew = m$small.skew, p_small = m$p.small, kurtosis = m$kurtosis, p_kurt = m$p.kurt))
  path <- sprintf("fixtures/measurement_%s.json", cs$name)
  write_json(out, path, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE)
  message(sprintf("%-20s n = %d -> %s", cs$name, nrow(dat), path))
}

## Bootstrap reference (no exact R equivalent of semtrust's resamples): Holzinger-Swineford,
## B = 2000 nonparametric resamples, percentile 95% CIs of CR and AVE as defined parameters of
## the std.all loadings (lavaan se = "bootstrap"), and of HTMT / HTMT2 (boot over semTools::htmt).
## semtrust's seeded resamples differ, so tests compare within Monte Carlo error.
suppressPackageStartupMessages(library(boot))
set.seed(20261123)
hs <- read.csv("data/HolzingerSwineford1939.csv")
labelled <- "
visual =~ x1 + l2*x2 + l3*x3
textual =~ x4 + l5*x5 + l6*x6
speed =~ x7 + l8*x8 + l9*x9
visual ~~ p1*visual
textual ~~ p2*textual
speed ~~ p3*speed
"
for (i in 1:9) labelled <- paste0(labelled, sprintf("x%d ~~ t%d*x%d\n", i, i, i))
for (i in 1:9) {
  p <- c(1, 1, 1, 2, 2, 2, 3, 3, 3)[i]
  l <- if (i %in% c(1, 4, 7)) "1" else sprintf("l%d", i)   # first loadings fixed at 1
  labelled <- paste0(labelled, sprintf("s%d := %s*sqrt(p%d)/sqrt(%s^2*p%d + t%d)\n", i, l, p, l, p, i))
}
factors <- c("visual", "textual", "speed")
for (f in 1:3) {
  s <- sprintf("s%d", (3 * f - 2):(3 * f))
  labelled <- paste0(labelled,
    sprintf("cr_%s := (%s)^2 / ((%s)^2 + %s)\n", factors[f], paste(s, collapse = "+"), paste(s, collapse = "+"),
            paste(sprintf("(1 - %s^2)", s), collapse = " + ")),
    sprintf("ave_%s := (%s) / 3\n", factors[f], paste(sprintf("%s^2", s), collapse = " + ")))
}
B <- 2000
bfit <- cfa(labelled, data = hs, se = "bootstrap", bootstrap = B)
pe <- parameterEstimates(bfit, boot.ci.type = "perc")
hs_model <- paste(readLines("models/holzinger_cfa.lav"), collapse = "\n")
stat <- function(d, i) {
  a <- htmt(hs_model, d[i, ], htmt2 = FALSE); g <- htmt(hs_model, d[i, ], htmt2 = TRUE)
  c(a[2, 1], a[3, 1], a[3, 2], g[2, 1], g[3, 1], g[3, 2])
}
hb <- boot(hs[, paste0("x", 1:9)], stat, R = B)
pairs <- list(c("textual", "visual"), c("speed", "visual"), c("speed", "textual"))
ci_of <- function(k) unname(quantile(hb$t[, k], c(.025, .975), type = 6))
out <- list(case = "holzinger_bootstrap", data = "data/HolzingerSwineford1939.csv",
            model = "models/holzinger_cfa.lav", draws = B, reliability = list(), htmt_ci = list(), htmt2_ci = list(),
            call = "cfa(labelled, se = 'bootstrap', bootstrap = 2000); parameterEstimates(boot.ci.type = 'perc'); boot(R = 2000) of htmt()")
for (f in factors) {
  r_cr <- pe[pe$lhs == paste0("cr_", f), ]; r_ave <- pe[pe$lhs == paste0("ave_", f), ]
  out$reliability[[f]] <- list(cr = r_cr$est, cr_ci = c(r_cr$ci.lower, r_cr$ci.upper), cr_sd = r_cr$se,
                               ave = r_ave$est, ave_ci = c(r_ave$ci.lower, r_ave$ci.upper), ave_sd = r_ave$se)
}
for (k in 1:3) {
  a <- pairs[[k]][1]; b <- pairs[[k]][2]
  out$htmt_ci[[paste(a, b)]] <- list(a = a, b = b, ci = ci_of(k), sd = sd(hb$t[, k]))
  out$htmt2_ci[[paste(a, b)]] <- list(a = a, b = b, ci = ci_of(k + 3), sd = sd(hb$t[, k + 3]))
}
write_json(out, "fixtures/measurement_holzinger_bootstrap.json", auto_unbox = TRUE, digits = NA, na = "null",
           pretty = TRUE)
message("holzinger_bootstrap  B = ", B, " -> fixtures/measurement_holzinger_bootstrap.json")
