# The moderation hypotheses of trust_mechanism on the bundled moderation example as latent
# interactions, by lavaan + semTools: reference for `semtrust fit --moderator` with the default
# --moderation latent (tests/test_latent_moderation.py reads the JSON).
# Items as semtrust codes them: HT4 and PV4 reverse-keyed (8 - x); all 600 rows.
# Product indicators: indProd(meanC = TRUE, doubleMC = TRUE); matched pairs when both factors have
# as many indicators (MH1: PV x INV, 4 and 4), else all pairs with the residual covariances of
# products sharing an indicator (MH2: HT x FAM, 5 and 3).
# MH1: PI ~ PV + INV + PV:INV, probe2WayMC at INV = -1 SD, 0, +1 SD (the latent SD).
# MH2: PV ~ a1*HT + FAM + a3*HT:FAM, PI ~ b*PV + HT; the conditional indirect effects (a1 + a3 w) b
# at FAM = -1 SD, 0, +1 SD and the index a3 b as := parameters (delta method).
# Run: cd tests/conformance && Rscript make_latent_moderation_example_fixture.R
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
d <- read.csv("../../example_data/trust_survey_moderation.csv")
d$HT4 <- 8 - d$HT4
d$PV4 <- 8 - d$PV4
items <- function(prefix, k) paste0(prefix, seq_len(k))
source("dmc_products.R")
products <- function(x, w) dmc_products(d, x, w)
paths <- function(pe) pe[pe$op == "~", c("lhs", "rhs", "est", "se", "z", "pvalue", "ci.lower", "ci.upper")]

p1 <- products(items("PV", 4), items("INV", 4))
m1 <- paste0("PV =~ ", paste(items("PV", 4), collapse = " + "), "\nINV =~ ", paste(items("INV", 4), collapse = " + "),
             "\nPVxINV =~ ", paste(p1$prods, collapse = " + "), "\nPI =~ PI1 + PI2 + PI3\nPI ~ PV + INV + PVxINV\n",
             p1$covs)
f1 <- sem(m1, data = p1$data)
pe1 <- parameterEstimates(f1)
sd1 <- sqrt(pe1$est[pe1$lhs == "INV" & pe1$op == "~~" & pe1$rhs == "INV"])
probe1 <- probe2WayMC(f1, nameX = c("PV", "INV", "PVxINV"), nameY = "PI", modVar = "INV", valProbe = c(-sd1, 0, sd1))

p2 <- products(items("HT", 5), items("FAM", 3))
m2 <- paste0("HT =~ ", paste(items("HT", 5), collapse = " + "), "\nFAM =~ FAM1 + FAM2 + FAM3\nHTxFAM =~ ",
             paste(p2$prods, collapse = " + "), "\nPV =~ ", paste(items("PV", 4), collapse = " + "),
             "\nPI =~ PI1 + PI2 + PI3\nPV ~ a1*HT + FAM + a3*HTxFAM\nPI ~ b*PV + HT\n", p2$covs)
f2 <- sem(m2, data = p2$data)
pe2 <- parameterEstimates(f2)
sd2 <- sqrt(pe2$est[pe2$lhs == "FAM" & pe2$op == "~~" & pe2$rhs == "FAM"])
defined <- sprintf("ind_minus := (a1 - %.17g * a3) * b\nind_zero := a1 * b\nind_plus := (a1 + %.17g * a3) * b\nimm := a3 * b\n",
                   sd2, sd2)
f2d <- sem(paste0(m2, defined), data = p2$data)
pe2d <- parameterEstimates(f2d)
probe2 <- probe2WayMC(f2, nameX = c("HT", "FAM", "HTxFAM"), nameY = "PV", modVar = "FAM", valProbe = c(-sd2, 0, sd2))

out <- list(
  MH1 = list(products = p1$prods, paths = paths(pe1), w_sd = sd1, simple_slopes = probe1$SimpleSlope,
             chisq = fitMeasures(f1, "chisq"), df = fitMeasures(f1, "df")),
  MH2 = list(products = p2$prods, paths = paths(pe2), w_sd = sd2, simple_slopes = probe2$SimpleSlope,
             defined = pe2d[pe2d$op == ":=", c("lhs", "est", "se", "z", "pvalue")],
             chisq = fitMeasures(f2, "chisq"), df = fitMeasures(f2, "df")),
  n = nrow(d), lavaan = as.character(packageVersion("lavaan")),
  semTools = as.character(packageVersion("semTools")), r_version = R.version.string)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "fixtures/latent_moderation_example.json")
