# Multi-group fits and the measurement-invariance ladder from lavaan, for semtrust's
# multi-group engine. Run: cd tests/conformance && Rscript make_invariance_fixtures.R
suppressMessages({library(lavaan); library(jsonlite)})
FIT <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
         "srmr", "aic", "bic", "logl", "npar", "baseline.chisq", "baseline.df")
rows <- function(pe) lapply(seq_len(nrow(pe)), function(i) {
  r <- as.list(pe[i, ]); names(r) <- gsub(".", "_", names(r), fixed = TRUE); r })
fitm <- function(fit) { f <- as.list(fitMeasures(fit, FIT)); names(f) <- gsub(".", "_", names(f), fixed = TRUE); f }
ladder <- list(configural = "", metric = c("loadings"),
               scalar = c("loadings", "intercepts"), strict = c("loadings", "intercepts", "residuals"))
cases <- list(
  list(name = "hs_invariance", data = "data/HolzingerSwineford1939.csv", model = "models/holzinger_cfa.lav",
       group = "school", reverse = character(0)),
  list(name = "trust_groups", data = "../../example_data/trust_survey.csv", model = "models/trust_groups.lav",
       group = "platform", reverse = c("HT4", "PV4", "RI3")))
for (case in cases) {
  d <- read.csv(case$data)
  for (v in case$reverse) d[[v]] <- 8 - d[[v]]
  model <- paste(readLines(case$model), collapse = "\n")
  steps <- list()
  fits <- list()
  for (step in names(ladder)) {
    fit <- sem(model, data = d, group = case$group, group.equal = ladder[[step]])
    fits[[step]] <- fit
    pe <- parameterEstimates(fit, standardized = TRUE)
    pe$group_label <- lavInspect(fit, "group.label")[pe$group]
    steps[[step]] <- list(group_equal = ladder[[step]], fit = fitm(fit), parameters = rows(pe))
  }
  # per-path comparisons: each regression constrained equal across groups on top of the metric model
  paths <- list()
  pt <- parTable(fits$metric)
  regs <- unique(pt[pt$op == "~", c("lhs", "rhs")])
  for (i in seq_len(nrow(regs))) {
    lab <- paste0("p", i)
    lines <- strsplit(model, "\n")[[1]]
    lines <- c(lines, sprintf("%s ~ c(%s)*%s", regs$lhs[i],
               paste(rep(lab, length(lavInspect(fits$metric, "group.label"))), collapse = ","), regs$rhs[i]))
    if (length(regs$lhs) > 0) {
      # drop the unlabelled statement of that path, keeping the other predictors of the same outcome
      idx <- grep(sprintf("^%s ~ ", regs$lhs[i]), lines)[1]
      rhs <- trimws(strsplit(sub(sprintf("^%s ~ ", regs$lhs[i]), "", lines[idx]), "\\+")[[1]])
      rhs <- setdiff(rhs, regs$rhs[i])
      lines[idx] <- if (length(rhs)) sprintf("%s ~ %s", regs$lhs[i], paste(rhs, collapse = " + ")) else ""
    }
    fitc <- sem(paste(lines, collapse = "\n"), data = d, group = case$group, group.equal = "loadings")
    lrt <- lavTestLRT(fitc, fits$metric)
    paths[[i]] <- list(lhs = regs$lhs[i], rhs = regs$rhs[i], chisq = fitMeasures(fitc, "chisq")[[1]],
                       df = fitMeasures(fitc, "df")[[1]], delta_chisq = lrt[2, "Chisq diff"],
                       delta_df = lrt[2, "Df diff"], pvalue = lrt[2, "Pr(>Chisq)"])
  }
  out <- list(case = case$name, data = case$data, model = case$model, group = case$group,
              reverse = case$reverse, lavaan_version = as.character(packageVersion("lavaan")),
              groups = lavInspect(fits$configural, "group.label"),
              n = as.list(setNames(lavInspect(fits$configural, "nobs"), lavInspect(fits$configural, "group.label"))),
              steps = steps, group_paths = paths)
  write_json(out, sprintf("fixtures/invariance_%s.json", case$name), auto_unbox = TRUE, digits = NA,
             na = "null", pretty = TRUE)
  cat(case$name, "done\n")
}
