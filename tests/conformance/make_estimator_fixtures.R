# make_estimator_fixtures.R -- lavaan references for the estimators and missing-data treatments
# (semtrust fit --estimator ML|MLR --missing listwise|fiml).
#
# How to run:  cd tests/conformance && Rscript make_estimator_fixtures.R
# Needs r-cran-lavaan and r-cran-jsonlite (committed fixtures: lavaan 0.6-14, R 4.2.2).
#
# Each case fits models/<model>.lav to data/<csv> with lavaan::sem(estimator = , missing = ),
# recoding the reverse-keyed items as (scale_points + 1) - x, and writes
# fixtures/estimator_<case>.json: the call, every fitMeasures() value semtrust reports (the
# scaled and robust variants under MLR) and parameterEstimates(fit, standardized = TRUE).

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f) == 1L && nzchar(f)) setwd(dirname(normalizePath(f)))
})

bfi_reverse <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
cases <- list(
  list(name = "holzinger_mlr", data = "data/HolzingerSwineford1939.csv", model = "holzinger_cfa",
       estimator = "MLR", missing = "listwise"),
  list(name = "pd_mlr", data = "data/PoliticalDemocracy.csv", model = "political_democracy",
       estimator = "MLR", missing = "listwise"),
  list(name = "bfi_mlr", data = "data/bfi.csv", model = "bfi_cfa", reverse = bfi_reverse,
       scale_points = 6, estimator = "MLR", missing = "listwise"),
  list(name = "bfi_fiml", data = "data/bfi.csv", model = "bfi_cfa", reverse = bfi_reverse,
       scale_points = 6, estimator = "ML", missing = "ml"),
  list(name = "bfi_mlr_fiml", data = "data/bfi.csv", model = "bfi_cfa", reverse = bfi_reverse,
       scale_points = 6, estimator = "MLR", missing = "ml")
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
  for (v in cs$reverse) dat[[v]] <- (cs$scale_points + 1) - dat[[v]]
  model <- paste(readLines(file.path("models", paste0(cs$model, ".lav"))), collapse = "\n")
  fit <- sem(model, data = dat, estimator = cs$estimator, missing = cs$missing)
  fm <- fitMeasures(fit)
  fits <- list()
  for (k in fit_names) fits[[gsub(".", "_", k, fixed = TRUE)]] <- if (k %in% names(fm)) unname(fm[[k]]) else NA
  pe <- parameterEstimates(fit, standardized = TRUE)
  if (is.null(pe$label)) pe$label <- ""
  pe <- as.data.frame(pe)[, param_cols]
  params <- lapply(seq_len(nrow(pe)), function(i) {
    row <- list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i], label = pe$label[i])
    for (cn in param_cols[-(1:4)]) row[[gsub(".", "_", cn, fixed = TRUE)]] <- unname(as.numeric(pe[[cn]][i]))
    row
  })
  out <- list(
    call = sprintf('sem(model, data = <%s%s>, estimator = "%s", missing = "%s")', cs$data,
                   if (length(cs$reverse)) sprintf(", reversed %s", paste(cs$reverse, collapse = " ")) else "",
                   cs$estimator, cs$missing),
    lavaan_version = as.character(packageVersion("lavaan")),
    data = cs$data, model = file.path("models", paste0(cs$model, ".lav")),
    reverse = if (length(cs$reverse)) cs$reverse else character(0),
    scale_points = if (is.null(cs$scale_points)) NA else cs$scale_points,
    estimator = cs$estimator, missing = if (cs$missing == "ml") "fiml" else "listwise",
    n = lavInspect(fit, "ntotal"), fit = fits, parameters = params)
  write(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
        file.path("fixtures", paste0("estimator_", cs$name, ".json")))
  message("wrote estimator_", cs$name)
}

# Scaled chi-square difference test (Satorra & Bentler 2001, lavTestLRT's default under MLR):
# the three-factor CFA against the same model with visual ~~ 0*speed.
d <- read.csv("data/HolzingerSwineford1939.csv")
free <- paste(readLines("models/holzinger_cfa.lav"), collapse = "\n")
restricted <- paste(free, "visual ~~ 0*speed", sep = "\n")
lrt <- lavTestLRT(sem(restricted, d, estimator = "MLR"), sem(free, d, estimator = "MLR"))
write(toJSON(list(call = "lavTestLRT(sem(restricted, estimator = \"MLR\"), sem(free, estimator = \"MLR\"))",
                  lavaan_version = as.character(packageVersion("lavaan")),
                  data = "data/HolzingerSwineford1939.csv", model = "models/holzinger_cfa.lav",
                  restriction = "visual ~~ 0*speed",
                  delta_chisq = lrt[["Chisq diff"]][2], delta_df = lrt[["Df diff"]][2],
                  pvalue = lrt[["Pr(>Chisq)"]][2]),
             auto_unbox = TRUE, digits = NA, pretty = TRUE),
      "fixtures/lrt_holzinger_mlr.json")
message("wrote lrt_holzinger_mlr")
