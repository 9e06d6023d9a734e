# The lavaan script a user would write for what `semtrust fit --no-screen --bootstrap 0
# --measurement-bootstrap 0` reports on the bundled example (instrument trust_mechanism):
# the CFA and the structural model with fit measures, standardized solutions, R², modification
# indices and delta-method indirect effects; reliability (alpha, omega, CR, AVE), HTMT and HTMT2,
# item statistics and Mardia's tests; KMO, Bartlett, parallel analysis and a minres + oblimin
# EFA; common-method bias (Harman, one-factor CFA, ULMC); the competing models (partial
# mediation, second-order trust factor) with chi-square difference tests.
#
# Run by benchmarks/bench_run.py (timed as one Rscript process, start-up included):
#   Rscript benchmarks/lavaan_basic_run.R example_data/trust_survey.csv
# Needs R with lavaan, semTools and psych (reference packages for the benchmark only; they are
# not semtrust dependencies).
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
})

args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(if (length(args)) args[1] else "example_data/trust_survey.csv")
for (item in c("HT4", "PV4", "RI3")) data[[item]] <- 8 - data[[item]]   # reverse-keyed, 7 points

constructs <- list(CA = 1:3, ID = 1:3, AG = 1:3, SR = 1:3, AT = 1:3, HT = 1:5, CT = 1:4, PT = 1:4,
                   ST = 1:4, PR = 1:3, PV = 1:4, EA = 1:3, PI = 1:3, RI = 1:3, RC = 1:3)
groups <- lapply(names(constructs), function(f) paste0(f, constructs[[f]]))
names(groups) <- names(constructs)
items <- unlist(groups, use.names = FALSE)
measurement <- paste(sapply(names(groups), function(f) paste(f, "=~", paste(groups[[f]], collapse = " + "))),
                     collapse = "\n")
paths <- list(HT = c("CA", "ID"), CT = c("CA", "AG"), ST = c("ID", "SR"), PT = c("AG", "AT"),
              PR = c("HT", "CT", "PT"), PV = c("HT", "CT", "PT", "ST"), EA = c("HT", "PT", "ST"),
              PI = c("PR", "PV", "EA"), RI = c("PV", "EA"), RC = c("PV", "EA"))

# labelled regressions and every specific indirect effect on a final outcome as a defined parameter
label <- function(y, x) paste0("b_", x, "_", y)
regressions <- sapply(names(paths), function(y)
  paste(y, "~", paste(paste0(label(y, paths[[y]]), "*", paths[[y]]), collapse = " + ")))
chains <- function(x) {                       # every directed path starting at x
  out <- list()
  for (y in names(paths)) if (x %in% paths[[y]]) {
    out <- c(out, list(c(x, y)))
    for (rest in chains(y)) out <- c(out, list(c(x, rest)))
  }
  out
}
outcomes <- setdiff(names(paths), unlist(paths))  # PI, RI, RC: the effects semtrust reports end there
indirect <- Filter(function(chain) length(chain) > 2 && chain[length(chain)] %in% outcomes,
                   unlist(lapply(names(constructs), chains), recursive = FALSE))
defined <- sapply(seq_along(indirect), function(k) {
  chain <- indirect[[k]]
  paste0("ind", k, " := ", paste(label(chain[-1], chain[-length(chain)]), collapse = "*"))
})
structural <- paste(c(measurement, regressions, defined), collapse = "\n")

measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr",
              "aic", "bic")

# measurement model
cfa_fit <- cfa(measurement, data = data)
print(fitMeasures(cfa_fit, measures))
print(head(standardizedSolution(cfa_fit)))
print(head(modindices(cfa_fit, sort. = TRUE), 10))
print(compRelSEM(cfa_fit))
print(compRelSEM(cfa_fit, obs.var = FALSE))
print(AVE(cfa_fit))
print(htmt(measurement, data = data))
print(htmt(measurement, data = data, htmt2 = TRUE))
for (f in names(groups)) print(alpha(data[groups[[f]]], check.keys = FALSE)$total)
print(head(describe(data[items], type = 2)))
print(mardia(data[items], plot = FALSE)$kurtosis)

# EFA
print(KMO(data[items])$MSA)
print(cortest.bartlett(cor(data[items]), n = nrow(data))$chisq)
parallel <- fa.parallel(data[items], fa = "both", n.iter = 20, plot = FALSE)
efa <- fa(data[items], nfactors = length(groups), fm = "minres", rotate = "oblimin")
print(efa$Vaccounted[1:2, 1:3])

# common-method bias
print(principal(data[items], nfactors = 1, rotate = "none")$Vaccounted)
print(fa(data[items], nfactors = 1, rotate = "none")$Vaccounted)
one_factor <- cfa(paste("CMB =~", paste(items, collapse = " + ")), data = data)
ulmc <- cfa(paste(measurement, paste("METHOD =~", paste(paste0("1*", items), collapse = " + ")),
                  paste("METHOD ~~", paste(paste0("0*", names(groups)), collapse = " + ")), sep = "\n"),
            data = data)
print(lavTestLRT(one_factor, cfa_fit))
print(lavTestLRT(cfa_fit, ulmc))

# structural model and the competing models
sem_fit <- sem(structural, data = data)
print(fitMeasures(sem_fit, measures))
estimates <- parameterEstimates(sem_fit, standardized = TRUE)
print(nrow(estimates[estimates$op == ":=", ]))
print(lavInspect(sem_fit, "r2"))
direct <- unique(do.call(rbind, lapply(indirect, function(chain) c(chain[1], chain[length(chain)]))))
direct <- direct[!apply(direct, 1, function(d) d[1] %in% paths[[d[2]]]), , drop = FALSE]
partial <- sem(paste(structural, paste(direct[, 2], "~", direct[, 1], collapse = "\n"), sep = "\n"), data = data)
second_order <- cfa(paste(measurement, "TRUST =~ HT + CT + PT + ST", sep = "\n"), data = data)
print(lavTestLRT(sem_fit, partial))
print(lavTestLRT(cfa_fit, second_order))
