# make_fixtures.R -- generate lavaan reference fixtures for semtrust conformance tests.
#
# How to run (from the repository root):
#     cd tests/conformance && Rscript make_fixtures.R
#
# Requires R with the Debian packages r-cran-lavaan, r-cran-psych and
# r-cran-jsonlite. The committed fixtures were produced with lavaan 0.6-14
# (R 4.2.2, psych 2.2.9, jsonlite 1.8.4); each fixture records the lavaan
# version that produced it in its "lavaan_version" field.
#
# What it does:
#   1. Exports the datasets the cases need from R packages into data/*.csv
#      (only if the csv is missing), with write.csv(row.names = FALSE, na = "").
#   2. For each case: reads data/<x>.csv and models/<case>.lav, fits the model
#      with lavaan::sem() (defaults: estimator = "ML", meanstructure = FALSE,
#      std.lv = FALSE, fixed.x default, missing = "listwise"), and writes
#      fixtures/<case>.json (fit measures, parameterEstimates(standardized=TRUE),
#      model-implied and sample covariance matrices).
#
# The Python tests read ONLY the JSON fixtures (plus the csv and .lav files the
# fixtures point to); R is not needed to run the test suite. The fit is always
# computed from the csv on disk, so R and Python see byte-identical data.

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

## run relative to this script's directory -----------------------------------
local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f) == 1L && nzchar(f)) setwd(dirname(normalizePath(f)))
})
dir.create("data", showWarnings = FALSE)
dir.create("fixtures", showWarnings = FALSE)

## 1. datasets -----------------------------------------------------------------
datasets <- list(
  list(csv = "data/HolzingerSwineford1939.csv", pkg = "lavaan", name = "HolzingerSwineford1939"),
  list(csv = "data/PoliticalDemocracy.csv",     pkg = "lavaan", name = "PoliticalDemocracy"),
  list(csv = "data/bfi.csv",                    pkg = "psych",  name = "bfi")
)
for (d in datasets) {
  if (!file.exists(d$csv)) {
    env <- new.env()
    utils::data(list = d$name, package = d$pkg, envir = env)
    write.csv(get(d$name, envir = env), d$csv, row.names = FALSE, na = "")
    message("wrote ", d$csv)
  }
}

## 2. cases --------------------------------------------------------------------
default_options <- list(estimator = "ML", meanstructure = FALSE)

case <- function(name, data, options = list()) {
  opts <- default_options
  opts[names(options)] <- options
  list(name = name, data = data, model = file.path("models", paste0(name, ".lav")),
       options = opts)
}

cases <- list(
  case("holzinger_cfa",       "data/HolzingerSwineford1939.csv"),
  case("political_democracy", "data/PoliticalDemocracy.csv"),
  case("holzinger_mimic",     "data/HolzingerSwineford1939.csv"),
  case("pd_path",             "data/PoliticalDemocracy.csv"),
  case("bfi_cfa",             "data/bfi.csv"),
  case("pd_labels",           "data/PoliticalDemocracy.csv")
)

## helpers ---------------------------------------------------------------------
fit_names <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
               "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr",
               "aic", "bic", "bic2", "logl", "unrestricted.logl", "npar",
               "baseline.chisq", "baseline.df", "baseline.pvalue", "ntotal")

dot2us <- function(x) gsub(".", "_", x, fixed = TRUE)

num1 <- function(v) {           # numeric scalar, names dropped
  unname(as.numeric(v))            # NA is written as json null (na = "null")
}

mat_json <- function(m) {
  m <- unclass(m)
  list(names = rownames(m),
       matrix = lapply(seq_len(nrow(m)), function(i) unname(as.numeric(m[i, ]))))
}

param_cols <- c("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue",
                "ci.lower", "ci.upper", "std.lv", "std.all", "std.nox")

params_json <- function(fit) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  if (is.null(pe$label)) pe$label <- ""    # lavaan drops the column if no labels
  for (cn in setdiff(param_cols, names(pe))) pe[[cn]] <- NA_real_
  pe <- as.data.frame(pe)[, param_cols]
  lapply(seq_len(nrow(pe)), function(i) {
    row <- list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i], label = pe$label[i])
    for (cn in param_cols[-(1:4)]) {
      v <- pe[[cn]][i]
      row[[dot2us(cn)]] <- unname(as.numeric(v))   # NA -> json null
    }
    row
  })
}

deparse_opts <- function(opts) {
  if (length(opts) == 0L) return("")
  paste0(", ", paste(names(opts), vapply(opts, function(o) paste(deparse(o), collapse = ""), ""),
                     sep = " = ", collapse = ", "))
}

lavaan_version <- as.character(packageVersion("lavaan"))

## 3. fit and write ------------------------------------------------------------
for (cs in cases) {
  model <- paste(readLines(cs$model), collapse = "\n")
  dat <- read.csv(cs$data)
  fit <- do.call("sem", c(list(model = model, data = dat), cs$options))
  if (!lavInspect(fit, "converged")) stop("case ", cs$name, " did not converge")

  fm <- fitMeasures(fit, fit_names)
  fit_list <- setNames(lapply(fit_names, function(k) num1(fm[[k]])), dot2us(fit_names))

  call_str <- sprintf('sem(model = paste(readLines("%s"), collapse = "\\n"), data = read.csv("%s")%s)',
                      cs$model, cs$data, deparse_opts(cs$options))

  out <- list(
    case = cs$name,
    data = cs$data,
    model = cs$model,
    lavaan_version = lavaan_version,
    call = call_str,
    n = lavInspect(fit, "nobs"),
    fit = fit_list,
    parameters = params_json(fit),
    implied_cov = mat_json(fitted(fit)$cov),
    sample_cov = mat_json(lavInspect(fit, "sampstat")$cov)
  )
  path <- file.path("fixtures", paste0(cs$name, ".json"))
  write_json(out, path, auto_unbox = TRUE, digits = NA, na = "null", null = "null",
             pretty = TRUE)
  message(sprintf("%-22s n=%-5d chisq=%10.3f df=%3d -> %s",
                  cs$name, out$n, fm[["chisq"]], as.integer(fm[["df"]]), path))
}
