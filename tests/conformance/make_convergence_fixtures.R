# Fixtures for the convergence test (issue 12): 30 public models that lavaan 0.6 fits from its
# default starts, each fitted here with lavaan's sem() defaults; semtrust must fit every one of
# them from its own default starts to the same chi-square and estimates.
# Run: cd tests/conformance && Rscript make_convergence_fixtures.R   (writes fixtures/convergence.json)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})

hs <- read.csv("data/HolzingerSwineford1939.csv")
hs_scaled <- hs; hs_scaled$x1 <- hs_scaled$x1 * 1000   # a badly scaled raw variable
pd <- read.csv("data/PoliticalDemocracy.csv")
bfi <- na.omit(read.csv("data/bfi.csv")[, 1:25])
wheaton_lower <- '
 11.834
  6.947   9.364
  6.819   5.091  12.532
  4.783   5.028   7.495   9.986
 -3.839  -3.889  -3.841  -3.625  9.610
-21.899 -18.831 -21.748 -18.775 35.522 450.288 '
wheaton_names <- c("anomia67", "powerless67", "anomia71", "powerless71", "education", "sei")
wheaton <- getCov(wheaton_lower, names = wheaton_names)

hs3 <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
pd_meas <- "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem65 =~ y5 + y6 + y7 + y8"
pd_sem <- paste(pd_meas, "dem60 ~ ind60\ndem65 ~ ind60 + dem60",
                "y1 ~~ y5\ny2 ~~ y4 + y6\ny3 ~~ y7\ny4 ~~ y8\ny6 ~~ y8", sep = "\n")
wheaton_meas <- "ses =~ education + sei\nalien67 =~ anomia67 + powerless67\nalien71 =~ anomia71 + powerless71"
big5 <- paste("A =~ A1 + A2 + A3 + A4 + A5", "C =~ C1 + C2 + C3 + C4 + C5", "E =~ E1 + E2 + E3 + E4 + E5",
              "N =~ N1 + N2 + N3 + N4 + N5", "O =~ O1 + O2 + O3 + O4 + O5", sep = "\n")

models <- list(
  list(id = "hs_cfa", data = "hs", model = hs3),
  list(id = "hs_one_factor", data = "hs", model = "g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9"),
  list(id = "hs_second_order", data = "hs", model = paste(hs3, "g =~ visual + textual + speed", sep = "\n")),
  list(id = "hs_orthogonal", data = "hs", model = paste(hs3, "visual ~~ 0*textual + 0*speed\ntextual ~~ 0*speed", sep = "\n")),
  list(id = "hs_std_lv", data = "hs", model = paste("visual =~ NA*x1 + x2 + x3\ntextual =~ NA*x4 + x5 + x6",
       "speed =~ NA*x7 + x8 + x9\nvisual ~~ 1*visual\ntextual ~~ 1*textual\nspeed ~~ 1*speed", sep = "\n")),
  list(id = "hs_cross_loading", data = "hs", model = paste(hs3, "visual =~ x9", sep = "\n")),
  list(id = "hs_residual_cov", data = "hs", model = paste(hs3, "x7 ~~ x8", sep = "\n")),
  list(id = "hs_mimic", data = "hs", model = paste(hs3, "visual + textual + speed ~ sex + ageyr", sep = "\n")),
  list(id = "hs_sem", data = "hs", model = paste(hs3, "speed ~ visual + textual", sep = "\n")),
  list(id = "hs_two_factor", data = "hs", model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"),
  list(id = "hs_equal_loadings", data = "hs", model = "visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + b*x5 + b*x6\nspeed =~ x7 + x8 + x9"),
  list(id = "hs_path", data = "hs", model = "x4 ~ x1 + x2 + x3\nx7 ~ x4 + x1"),
  list(id = "hs_mediation", data = "hs", model = "x4 ~ a*x1\nx9 ~ b*x4 + c*x1\nab := a*b\ntotal := c + a*b"),
  list(id = "hs_scaled_x1", data = "hs_scaled", model = hs3),
  list(id = "hs_chain", data = "hs", model = paste(hs3, "textual ~ visual\nspeed ~ textual", sep = "\n")),
  list(id = "hs_x9_two_factors", data = "hs", model = "visual =~ x1 + x2 + x3 + x9\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"),
  list(id = "pd_measurement", data = "pd", model = pd_meas),
  list(id = "pd_sem", data = "pd", model = pd_sem),
  list(id = "pd_sem_equal", data = "pd", model = paste("ind60 =~ x1 + x2 + x3",
       "dem60 =~ y1 + a*y2 + b*y3 + c*y4\ndem65 =~ y5 + a*y6 + b*y7 + c*y8",
       "dem60 ~ ind60\ndem65 ~ ind60 + dem60", "y1 ~~ y5\ny2 ~~ y4 + y6\ny3 ~~ y7\ny4 ~~ y8\ny6 ~~ y8", sep = "\n")),
  list(id = "pd_two_factor", data = "pd", model = "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4"),
  list(id = "pd_path", data = "pd", model = "y1 ~ x1 + x2\ny5 ~ y1 + x1"),
  list(id = "bfi_big_five", data = "bfi", model = big5),
  list(id = "bfi_agreeableness_conscientiousness", data = "bfi", model = "A =~ A1 + A2 + A3 + A4 + A5\nC =~ C1 + C2 + C3 + C4 + C5"),
  list(id = "bfi_neuroticism", data = "bfi", model = "N =~ N1 + N2 + N3 + N4 + N5"),
  list(id = "bfi_openness_reversed_items", data = "bfi", model = "O =~ O1 + O2 + O3 + O4 + O5"),
  list(id = "bfi_second_order", data = "bfi", model = paste(big5, "P =~ A + C + E + N + O", sep = "\n")),
  list(id = "bfi_extraversion_neuroticism", data = "bfi", model = "E =~ E1 + E2 + E3 + E4 + E5\nN =~ N1 + N2 + N3 + N4 + N5"),
  list(id = "wheaton_sem", data = "wheaton", model = paste(wheaton_meas, "alien71 ~ alien67 + ses\nalien67 ~ ses",
       "anomia67 ~~ anomia71\npowerless67 ~~ powerless71", sep = "\n")),
  list(id = "wheaton_no_residual_cov", data = "wheaton", model = paste(wheaton_meas, "alien71 ~ alien67 + ses\nalien67 ~ ses", sep = "\n")),
  list(id = "wheaton_measurement", data = "wheaton", model = paste(wheaton_meas, "anomia67 ~~ anomia71\npowerless67 ~~ powerless71", sep = "\n"))
)

fit_one <- function(m) {
  fit <- if (m$data == "wheaton") sem(m$model, sample.cov = wheaton, sample.nobs = 932) else
    sem(m$model, data = switch(m$data, hs = hs, hs_scaled = hs_scaled, pd = pd, bfi = bfi))
  pe <- parameterEstimates(fit)
  pe <- pe[pe$op %in% c("=~", "~", "~~", ":="), c("lhs", "op", "rhs", "est", "se")]
  fm <- fitMeasures(fit, c("chisq", "df", "cfi", "rmsea", "srmr"))
  list(id = m$id, data = m$data, model = m$model, converged = lavInspect(fit, "converged"),
       fit = as.list(fm), parameters = pe)
}
out <- list(lavaan = as.character(packageVersion("lavaan")),
            wheaton = list(names = wheaton_names, cov = unname(wheaton), n = 932),
            models = lapply(models, fit_one))
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "fixtures/convergence.json")
