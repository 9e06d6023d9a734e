# make_fixtures.R -- generate lavaan reference fixtures for semtrust conformance tests.
#
# How to run (from the repository root):
#     cd tests/conformance && Rscript make_fixtures.R
#
# Requires R with the Debian packages r-cran-lavaan, r-cran-semtools,
# r-cran-psych and r-cran-jsonlite. The committed fixtures were produced with
# lavaan 0.6-14 (R 4.2.2, semTools 0.5-6, psych 2.2.9, jsonlite 1.8.4); each
# fixture records the lavaan version that produced it in its "lavaan_version"
# field, and fixtures with a "reliability" block also record the semTools and
# psych versions.
#
# What it does:
#   1. Exports the datasets the cases need from R packages into data/*.csv
#      (only if the csv is missing), with write.csv(row.names = FALSE, na = "").
#   2. For each case: reads data/<x>.csv and models/<case>.lav, recodes the
#      case's reverse-keyed items as (scale_points + 1) - x, fits the model
#      with lavaan::sem() (defaults: estimator = "ML", meanstructure = FALSE,
#      std.lv = FALSE, fixed.x default, missing = "listwise"), and writes
#      fixtures/<case>.json (fit measures, parameterEstimates(standardized=TRUE),
#      model-implied and sample covariance matrices).
#   3. If the model has latent variables, adds a "reliability" block computed
#      on its measurement part (see measurement_syntax() and reliability_json()
#      below) on the same listwise rows the case's fit used.
#
# The Python tests read ONLY the JSON fixtures (plus the csv and .lav files the
# fixtures point to); R is not needed to run the test suite. The fit is always
# computed from the csv on disk, so R and Python see byte-identical data.

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
  library(semTools)
  library(psych)
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

# reverse: items recoded as (scale_points + 1) - x before fitting
case <- function(name, data, options = list(), reverse = character(0),
                 scale_points = NULL) {
  opts <- default_options
  opts[names(options)] <- options
  if (length(reverse) && is.null(scale_points))
    stop("case ", name, ": reverse-keyed items need scale_points")
  list(name = name, data = data, model = file.path("models", paste0(name, ".lav")),
       options = opts, reverse = reverse, scale_points = scale_points)
}

trust_reverse <- c("HT4", "PV4", "RI3")

cases <- list(
  case("holzinger_cfa",       "data/HolzingerSwineford1939.csv"),
  case("political_democracy", "data/PoliticalDemocracy.csv"),
  case("holzinger_mimic",     "data/HolzingerSwineford1939.csv"),
  case("pd_path",             "data/PoliticalDemocracy.csv"),
  case("bfi_cfa",             "data/bfi.csv"),
  case("pd_labels",           "data/PoliticalDemocracy.csv"),
  # semtrust's instrument trust_mechanism (model_syntax()) on its example data
  case("trust_example",       "../../example_data/trust_survey.csv",
       reverse = trust_reverse, scale_points = 7),
  case("trust_example_cfa",   "../../example_data/trust_survey.csv",
       reverse = trust_reverse, scale_points = 7)
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

read_data_expr <- function(cs) {     # R expression (as text) for the fitted data
  rd <- sprintf('read.csv("%s")', cs$data)
  if (!length(cs$reverse)) return(rd)
  sprintf('local({d <- %s; for (v in %s) d[[v]] <- %d - d[[v]]; d})',
          rd, paste(deparse(cs$reverse), collapse = ""), as.integer(cs$scale_points + 1))
}

read_data <- function(cs) {
  dat <- read.csv(cs$data)
  miss <- setdiff(cs$reverse, names(dat))
  if (length(miss)) stop("case ", cs$name, ": no column(s) ", paste(miss, collapse = ", "))
  for (v in cs$reverse) dat[[v]] <- (cs$scale_points + 1) - dat[[v]]
  dat
}

## measurement part of a model -------------------------------------------------
# The statements of the model syntax: comments removed, ';' splits, and a
# statement continued on the next line (line ends in an operator or '+', or the
# next line starts with '+') is joined.
syntax_statements <- function(model) {
  lines <- unlist(strsplit(unlist(strsplit(model, "\n")), ";", fixed = TRUE))
  lines <- trimws(sub("#.*$", "", lines))
  lines <- lines[nzchar(lines)]
  out <- character(0)
  for (l in lines) {
    if (length(out) && (grepl("(\\+|~|=~|~~|\\*)$", out[length(out)]) || startsWith(l, "+")))
      out[length(out)] <- paste(out[length(out)], l)
    else out <- c(out, l)
  }
  out
}

# variable names in one side of a statement: "a*y2 + 0.5*y3 + y4" -> y2 y3 y4
side_vars <- function(x) {
  terms <- trimws(unlist(strsplit(x, "+", fixed = TRUE)))
  trimws(sub("^.*\\*", "", terms))
}

# The measurement model of a case: its '=~' statements (as written, labels
# kept), its '~~' statements among observed variables (residual
# (co)variances) and its latent variance statements 'F ~~ F' (e.g. F ~~ 1*F,
# which identifies F when its first loading is freed with NA*). Regressions,
# '~~' between two different variables involving a latent one, ':=', '==', '<',
# '>' and intercepts are dropped, so sem() frees all factor covariances.
# Returns NULL if the model has no latent variables; list(syntax, same) where
# same = TRUE if the model has no other statements (then it is its own
# measurement model and its own fit is used).
measurement_syntax <- function(model) {
  st <- syntax_statements(model)
  is_meas <- grepl("=~", st, fixed = TRUE)
  if (!any(is_meas)) return(NULL)
  latent <- unique(trimws(sub("=~.*$", "", st[is_meas])))
  is_cov <- !is_meas & grepl("~~", st, fixed = TRUE)
  keep_cov <- vapply(st, function(s) {
    if (!grepl("~~", s, fixed = TRUE) || grepl("=~", s, fixed = TRUE)) return(FALSE)
    parts <- strsplit(s, "~~", fixed = TRUE)[[1]]
    lhs <- side_vars(parts[1]); rhs <- side_vars(parts[2])
    !any(c(lhs, rhs) %in% latent) || (length(rhs) == 1L && identical(lhs, rhs))
  }, logical(1), USE.NAMES = FALSE)
  keep <- is_meas | (is_cov & keep_cov)
  list(syntax = paste(st[keep], collapse = "\n"), same = all(keep))
}

## reliability -----------------------------------------------------------------
# Per factor with >= 2 observed indicators, on the measurement fit `mfit` and
# the listwise data `dat` it was fitted to:
#   alpha            psych::alpha(items, check.keys = FALSE)$total$raw_alpha
#   alpha_feldt_*    psych::alpha(...)$feldt (Feldt 95% bounds, psych::alpha.ci)
#   omega_obs        semTools::compRelSEM(mfit)            (obs.var = TRUE)
#   omega_model      semTools::compRelSEM(mfit, obs.var = FALSE)
#   ave_obs          semTools::AVE(mfit)                   (obs.var = TRUE)
#   ave_model        semTools::AVE(mfit, obs.var = FALSE)
#   ave_std_mean     mean(l^2), l = std.all loadings of the factor
#   cr_std           sum(l)^2 / (sum(l)^2 + sum(1 - l^2))
reliability_json <- function(mfit, dat) {
  pe <- parameterEstimates(mfit, standardized = TRUE)
  ov <- lavNames(mfit, "ov")
  load <- pe[pe$op == "=~" & pe$rhs %in% ov, ]
  omega_obs <- compRelSEM(mfit)
  omega_model <- compRelSEM(mfit, obs.var = FALSE)
  ave_obs <- AVE(mfit)
  ave_model <- AVE(mfit, obs.var = FALSE)
  pick <- function(v, f) if (f %in% names(v)) num1(v[[f]]) else NA_real_
  out <- list()
  for (f in unique(load$lhs)) {
    items <- load$rhs[load$lhs == f]
    if (length(items) < 2L) next
    l <- load$std.all[load$lhs == f]
    a <- psych::alpha(dat[, items], check.keys = FALSE, warnings = FALSE)
    out[[f]] <- list(
      alpha = num1(a$total$raw_alpha),
      alpha_feldt_lower = num1(a$feldt$lower.ci[[1]]),
      alpha_feldt_upper = num1(a$feldt$upper.ci[[1]]),
      omega_obs = pick(omega_obs, f),
      omega_model = pick(omega_model, f),
      ave_obs = pick(ave_obs, f),
      ave_model = pick(ave_model, f),
      ave_std_mean = mean(l^2),
      cr_std = sum(l)^2 / (sum(l)^2 + sum(1 - l^2))
    )
  }
  out
}

lavaan_version <- as.character(packageVersion("lavaan"))
semtools_version <- as.character(packageVersion("semTools"))
psych_version <- as.character(packageVersion("psych"))

## 3. fit and write ------------------------------------------------------------
for (cs in cases) {
  model <- paste(readLines(cs$model), collapse = "\n")
  dat <- read_data(cs)
  fit <- do.call("sem", c(list(model = model, data = dat), cs$options))
  if (!lavInspect(fit, "converged")) stop("case ", cs$name, " did not converge")

  fm <- fitMeasures(fit, fit_names)
  fit_list <- setNames(lapply(fit_names, function(k) num1(fm[[k]])), dot2us(fit_names))

  call_str <- sprintf('sem(model = paste(readLines("%s"), collapse = "\\n"), data = %s%s)',
                      cs$model, read_data_expr(cs), deparse_opts(cs$options))

  out <- list(
    case = cs$name,
    data = cs$data)
  if (length(cs$reverse)) {
    out$reverse <- I(cs$reverse)
    out$scale_points <- cs$scale_points
  }
  out <- c(out, list(
    model = cs$model,
    lavaan_version = lavaan_version,
    call = call_str,
    n = lavInspect(fit, "nobs"),
    fit = fit_list,
    parameters = params_json(fit),
    implied_cov = mat_json(fitted(fit)$cov),
    sample_cov = mat_json(lavInspect(fit, "sampstat")$cov)
  ))

  ms <- measurement_syntax(model)
  if (!is.null(ms)) {
    # the listwise rows the case's fit used
    mdat <- dat[lavInspect(fit, "case.idx"), , drop = FALSE]
    if (ms$same) {
      mfit <- fit
      rel_call <- "the case's own fit (the model is a measurement model)"
    } else {
      mfit <- do.call("sem", c(list(model = ms$syntax, data = mdat), cs$options))
      if (!lavInspect(mfit, "converged")) stop("case ", cs$name, ": measurement model did not converge")
      rel_call <- sprintf("sem(model = reliability_model, data = <the %d rows the case's fit used>%s)",
                          nrow(mdat), deparse_opts(cs$options))
    }
    out$semtools_version <- semtools_version
    out$psych_version <- psych_version
    out$reliability_model <- ms$syntax
    out$reliability_call <- rel_call
    out$reliability <- reliability_json(mfit, mdat)
  }
  path <- file.path("fixtures", paste0(cs$name, ".json"))
  write_json(out, path, auto_unbox = TRUE, digits = NA, na = "null", null = "null",
             pretty = TRUE)
  message(sprintf("%-22s n=%-5d chisq=%10.3f df=%3d -> %s",
                  cs$name, out$n, fm[["chisq"]], as.integer(fm[["df"]]), path))
}
