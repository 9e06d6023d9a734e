# Reference values for semtrust.power. Run: cd tests/conformance && Rscript make_power_fixtures.R
# 1. power_population.json: the population covariance lavaan's simulateData(standardized = TRUE)
#    implies for a latent mediation model (empirical = TRUE makes the sample moments, N
#    denominator, equal the population moments), for semtrust's standardized population.
#    lavaan sets the latent residual variances in one pass from the variances they would have
#    with all residual variances zero, so a latent variable two or more regressions downstream
#    of an exogenous one ends up with a variance above 1 (observed variables are exactly 1);
#    semtrust gives every variable unit variance. The model here has one level of latent
#    regressions, where the two agree.
# 2. power_rmsea.json: power of the RMSEA tests of MacCallum, Browne & Sugawara (1996), computed
#    with R's noncentral chi-square as in their appendix, and their Table 4 (minimum N for
#    power .80, alpha .05; close fit e0 = .05 vs ea = .08, not-close fit e0 = .05 vs ea = .01)
#    transcribed from the paper (Psychological Methods 1(2), 130-149).
suppressMessages({library(lavaan); library(jsonlite)})
dir.create("fixtures", showWarnings = FALSE)

model <- paste(
  "F0 =~ 0.7*w1 + 0.8*w2 + 0.6*w3",
  "F1 =~ 0.8*x1 + 0.7*x2 + 0.6*x3",
  "F2 =~ 0.7*y1 + 0.8*y2 + 0.75*y3",
  "F3 =~ 0.8*z1 + 0.7*z2 + 0.6*z3",
  "F1 ~~ 0.3*F0",
  "F2 ~ 0.4*F1 + 0.2*F0",
  "F3 ~ 0.3*F1 + 0.2*F0", sep = "\n")
n <- 1000
d <- simulateData(model, sample.nobs = n, standardized = TRUE, empirical = TRUE, seed = 1)
sigma <- cov(d) * (n - 1) / n
write_json(list(lavaan_version = as.character(packageVersion("lavaan")),
                call = "simulateData(model, sample.nobs = 1000, standardized = TRUE, empirical = TRUE)",
                model = model, observed = colnames(d), covariance = unname(sigma)),
           "fixtures/power_population.json", digits = NA, pretty = TRUE, auto_unbox = TRUE)

power <- function(n, df, e0, ea, alpha = 0.05) {
  l0 <- (n - 1) * df * e0^2
  la <- (n - 1) * df * ea^2
  if (ea > e0) 1 - pchisq(qchisq(1 - alpha, df, ncp = l0), df, ncp = la)
  else pchisq(qchisq(alpha, df, ncp = l0), df, ncp = la)
}
grid <- expand.grid(n = c(100, 200, 400, 800), df = c(5, 20, 40, 100),
                    test = c("close", "not_close"), stringsAsFactors = FALSE)
grid$rmsea0 <- 0.05
grid$rmsea_a <- ifelse(grid$test == "close", 0.08, 0.01)
grid$power <- mapply(power, grid$n, grid$df, grid$rmsea0, grid$rmsea_a)
table4 <- data.frame(
  df = c(2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100),
  close = c(3488, 1807, 1238, 954, 782, 666, 585, 522, 472, 435, 363, 314, 279, 252, 231, 214, 200, 187,
            177, 168, 161, 154, 147, 142, 136, 132),
  not_close = c(2382, 1426, 1069, 875, 750, 663, 598, 547, 508, 474, 411, 366, 333, 307, 286, 268, 253,
                240, 229, 219, 210, 202, 195, 189, 183, 177))
write_json(list(r_version = R.version.string, power = grid, published_table4 = table4,
                note = "published_table4: MacCallum, Browne & Sugawara (1996), Table 4"),
           "fixtures/power_rmsea.json", digits = NA, pretty = TRUE, auto_unbox = TRUE)
