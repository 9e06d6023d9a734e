# Defined-parameter (:=) estimates, delta-method SEs and bootstrap CIs from lavaan, for
# semtrust's effect enumeration and bootstrap. Run: cd tests/conformance && Rscript make_effect_fixtures.R
# Bootstrap CIs differ from semtrust's by Monte Carlo error only (different random streams);
# the tests compare them with a tolerance, point estimates and delta SEs to 1e-3.
suppressMessages({library(lavaan); library(jsonlite)})
cases <- list(
  list(name = "trust_mediation", data = "../../example_data/trust_survey.csv",
       model = "models/trust_mediation.lav", reverse = c("HT4", "PV4", "RI3"), points = 7, B = 5000),
  list(name = "pd_mediation", data = "data/PoliticalDemocracy.csv",
       model = "models/pd_mediation.lav", reverse = character(0), points = NA, B = 5000)
)
rows <- function(pe) lapply(seq_len(nrow(pe)), function(i) {
  r <- as.list(pe[i, ]); names(r) <- gsub(".", "_", names(r), fixed = TRUE); r })
for (case in cases) {
  d <- read.csv(case$data)
  for (v in case$reverse) d[[v]] <- (case$points + 1) - d[[v]]
  model <- paste(readLines(case$model), collapse = "\n")
  fit <- sem(model, data = d)
  pe <- parameterEstimates(fit, standardized = TRUE)
  set.seed(20261123)
  boot <- sem(model, data = d, se = "bootstrap", bootstrap = case$B)
  perc <- parameterEstimates(boot, boot.ci.type = "perc", standardized = FALSE)
  bc <- parameterEstimates(boot, boot.ci.type = "bca.simple", standardized = FALSE)
  defined <- pe[pe$op == ":=", c("lhs", "rhs", "est", "se", "z", "pvalue", "ci.lower", "ci.upper", "std.all")]
  defined$boot_se <- perc$se[perc$op == ":="]
  defined$perc_lower <- perc$ci.lower[perc$op == ":="]
  defined$perc_upper <- perc$ci.upper[perc$op == ":="]
  defined$bc_lower <- bc$ci.lower[bc$op == ":="]
  defined$bc_upper <- bc$ci.upper[bc$op == ":="]
  out <- list(case = case$name, data = case$data, model = case$model, reverse = case$reverse,
              lavaan_version = as.character(packageVersion("lavaan")), bootstrap = case$B,
              n = lavInspect(fit, "nobs"), failed = sum(is.na(lavInspect(boot, "boot")[, 1])),
              defined = rows(defined))
  write_json(out, sprintf("fixtures/effects_%s.json", case$name), auto_unbox = TRUE, digits = NA,
             na = "null", pretty = TRUE)
  cat(case$name, "done\n")
}
