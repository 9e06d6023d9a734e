# A saturated model (df = 0) under MLR: lavaan 0.6-14's fit measures, where the scaling factor does
# not exist (NA) and the scaled and robust indices take their fixed values.
# Run from tests/conformance: Rscript make_saturated_fixture.R  (lavaan, jsonlite)
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
data <- read.csv("data/HolzingerSwineford1939.csv")
model <- "visual =~ x1 + x2 + x3"
fit <- cfa(model, data, estimator = "MLR")
keys <- c("chisq", "df", "npar", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled", "cfi", "tli",
          "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust", "rmsea", "rmsea.scaled", "rmsea.robust",
          "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "baseline.chisq",
          "baseline.chisq.scaled", "baseline.chisq.scaling.factor", "srmr", "logl")
measures <- as.list(fitMeasures(fit)[keys])
names(measures) <- gsub(".", "_", keys, fixed = TRUE)
pe <- parameterEstimates(fit, standardized = TRUE)
out <- list(lavaan = as.character(packageVersion("lavaan")), data = "data/HolzingerSwineford1939.csv",
            syntax = model, estimator = "MLR", fit = measures,
            parameters = pe[, c("lhs", "op", "rhs", "est", "se", "std.all")])
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE), "fixtures/saturated_mlr.json")
