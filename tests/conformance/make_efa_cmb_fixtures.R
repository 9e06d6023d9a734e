# EFA (psych) and common-method-bias models (lavaan) for semtrust.efa and semtrust.method_bias.
# Run: cd tests/conformance && Rscript make_efa_cmb_fixtures.R
# Writes fixtures/efa_cmb_<case>.json. Items are the observed variables of models/<model>.lav,
# listwise complete; trust_example recodes HT4, PV4, RI3 as 8 - x first.
suppressMessages({library(psych); library(GPArotation); library(lavaan); library(jsonlite)})
cases <- list(
  list(case = "holzinger", data = "data/HolzingerSwineford1939.csv", model = "holzinger_cfa",
       reverse = character(0), marker = NULL),
  list(case = "bfi", data = "data/bfi.csv", model = "bfi_cfa", reverse = character(0), marker = NULL),
  list(case = "trust", data = "../../example_data/trust_survey.csv", model = "trust_example_cfa",
       reverse = c("HT4", "PV4", "RI3"), marker = c("AT1", "AT2", "AT3")))

# factor -> indicators, in the order of the model file
groups_of <- function(syntax) {
  pt <- lavaanify(syntax)
  lv <- unique(pt$lhs[pt$op == "=~"])
  setNames(lapply(lv, function(f) pt$rhs[pt$op == "=~" & pt$lhs == f]), lv)
}
matrix_json <- function(m) lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))
fit_json <- function(fit) as.list(fitMeasures(fit, c("npar", "chisq", "df", "pvalue", "cfi", "tli",
                                                     "rmsea", "srmr", "aic", "bic")))
std_loadings <- function(fit, lhs) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe <- pe[pe$op == "=~" & pe$lhs %in% lhs, ]
  lapply(seq_len(nrow(pe)), function(i) list(lhs = pe$lhs[i], rhs = pe$rhs[i], est = pe$est[i],
                                              std_all = pe$std.all[i]))
}
# Williams, Hartman & Cavazotte (2010) CFA marker technique, substantive factors std.lv-scaled
marker_json <- function(groups, markers, d) {
  subst <- lapply(groups, function(items) setdiff(items, markers))
  subst <- subst[sapply(subst, length) >= 2]
  std_lv <- paste(sprintf("%s =~ NA*%s\n%s ~~ 1*%s", names(subst),
                          sapply(subst, paste, collapse = " + "), names(subst), names(subst)), collapse = "\n")
  cfa <- sem(paste(std_lv, paste("MARKER =~", paste(markers, collapse = " + ")), sep = "\n"), data = d)
  pe <- parameterEstimates(cfa)
  est <- function(l, op, r) pe$est[pe$lhs == l & pe$op == op & pe$rhs == r]
  fixed <- c(paste("MARKER =~", paste(sprintf("%.17g*%s", sapply(markers, function(m) est("MARKER", "=~", m)), markers),
                                      collapse = " + ")),
             sprintf("%s ~~ %.17g*%s", markers, sapply(markers, function(m) est(m, "~~", m)), markers),
             sprintf("MARKER ~~ %.17g*MARKER", est("MARKER", "~~", "MARKER")),
             paste("MARKER ~~", paste0("0*", names(subst), collapse = " + ")))
  baseline <- paste(c(std_lv, fixed), collapse = "\n")
  items <- unlist(subst, use.names = FALSE)
  syntaxes <- list(Baseline = baseline,
                   "Method-C" = paste(baseline, paste("MARKER =~", paste0("mc*", items, collapse = " + ")), sep = "\n"),
                   "Method-U" = paste(baseline, paste("MARKER =~", paste(items, collapse = " + ")), sep = "\n"))
  fits <- lapply(syntaxes, sem, data = d)
  lrt_p <- function(a, b) pchisq(fitMeasures(a, "chisq") - fitMeasures(b, "chisq"),
                                 fitMeasures(a, "df") - fitMeasures(b, "df"), lower.tail = FALSE)
  retained <- if (lrt_p(fits[["Method-C"]], fits[["Method-U"]]) < .05) "Method-U" else "Method-C"
  pb <- parameterEstimates(fits$Baseline)
  phi <- pb[pb$op == "~~" & pb$lhs %in% names(subst) & pb$rhs %in% names(subst) & pb$lhs != pb$rhs, ]
  syntaxes[["Method-R"]] <- paste(syntaxes[[retained]], paste(sprintf("%s ~~ %.17g*%s", phi$lhs, phi$est, phi$rhs),
                                                              collapse = "\n"), sep = "\n")
  fits[["Method-R"]] <- sem(syntaxes[["Method-R"]], data = d)
  ps <- parameterEstimates(fits[[retained]], standardized = TRUE)
  method <- ps$std.all[ps$lhs == "MARKER" & ps$op == "=~" & ps$rhs %in% items]
  list(markers = markers, retained = retained, method_variance = mean(method^2),
       models = lapply(names(fits), function(n) c(list(model = n, syntax = syntaxes[[n]]), fit_json(fits[[n]]))))
}
efa_json <- function(f) {
  L <- unclass(f$loadings)
  list(loadings = matrix_json(L), factors = colnames(L),
       phi = if (is.null(f$Phi)) NULL else matrix_json(f$Phi),
       communalities = unname(f$communality), ss_loadings = unname(f$Vaccounted["SS loadings", ]),
       proportion = unname(f$Vaccounted["Proportion Var", ]),
       cumulative = if (ncol(L) > 1) unname(f$Vaccounted["Cumulative Var", ]) else unname(f$Vaccounted["Proportion Var", ]),
       values = unname(f$values))
}

for (cs in cases) {
  syntax <- paste(readLines(sprintf("models/%s.lav", cs$model)), collapse = "\n")
  groups <- groups_of(syntax)
  items <- unlist(groups, use.names = FALSE)
  d <- read.csv(cs$data)[, items]
  d <- d[complete.cases(d), ]
  for (v in cs$reverse) d[[v]] <- 8 - d[[v]]
  k <- length(groups)
  kmo <- KMO(d)
  bart <- cortest.bartlett(cor(d), n = nrow(d))
  set.seed(20261123)
  pa <- fa.parallel(d, fm = "minres", fa = "both", n.iter = 20, plot = FALSE)
  efa <- fa(d, nfactors = k, fm = "minres", rotate = "oblimin")
  efa_ml <- fa(d, nfactors = k, fm = "ml", rotate = "promax")
  pc1 <- principal(d, nfactors = 1, rotate = "none")
  fa1 <- fa(d, nfactors = 1, fm = "minres", rotate = "none")

  cfa <- sem(syntax, data = d)
  one <- sem(paste("CMB =~", paste(items, collapse = " + ")), data = d)
  ulmc_syntax <- paste(syntax,
                       paste("METHOD =~", paste0("1*", items, collapse = " + ")),
                       paste("METHOD ~~", paste0("0*", names(groups), collapse = " + ")), sep = "\n")
  ulmc <- sem(ulmc_syntax, data = d)
  ulmc_free_syntax <- paste(syntax, paste("METHOD =~", paste(items, collapse = " + ")),
                            paste("METHOD ~~", paste0("0*", names(groups), collapse = " + ")), sep = "\n")
  ulmc_free <- suppressWarnings(sem(ulmc_free_syntax, data = d))
  out <- list(
    case = cs$case, model = sprintf("models/%s.lav", cs$model), data = cs$data, reverse = cs$reverse,
    scale_points = if (length(cs$reverse)) 7 else NULL, n = nrow(d), items = items,
    psych_version = as.character(packageVersion("psych")),
    gparotation_version = as.character(packageVersion("GPArotation")),
    lavaan_version = as.character(packageVersion("lavaan")),
    kmo = list(call = "KMO(d)", overall = kmo$MSA, items = as.list(kmo$MSAi)),
    bartlett = list(call = "cortest.bartlett(cor(d), n = nrow(d))", chisq = bart$chisq, df = bart$df,
                    pvalue = bart$p.value),
    parallel = list(call = "fa.parallel(d, fm = 'minres', fa = 'both', n.iter = 20)",
                    nfact = pa$nfact, ncomp = pa$ncomp, fa_values = pa$fa.values, pc_values = pa$pc.values),
    efa = c(list(call = sprintf("fa(d, nfactors = %d, fm = 'minres', rotate = 'oblimin')", k)), efa_json(efa)),
    efa_ml_promax = c(list(call = sprintf("fa(d, nfactors = %d, fm = 'ml', rotate = 'promax')", k)),
                      efa_json(efa_ml)),
    harman = list(principal_call = "principal(d, nfactors = 1, rotate = 'none')",
                  principal_proportion = unname(pc1$Vaccounted["Proportion Var", 1]),
                  principal_loadings = unname(pc1$loadings[, 1]),
                  fa_call = "fa(d, nfactors = 1, fm = 'minres', rotate = 'none')",
                  fa_proportion = unname(fa1$Vaccounted["Proportion Var", 1]),
                  fa_loadings = unname(fa1$loadings[, 1])),
    cfa = fit_json(cfa),
    one_factor = c(list(syntax = paste("CMB =~", paste(items, collapse = " + "))), fit_json(one)),
    ulmc = c(list(syntax = ulmc_syntax), fit_json(ulmc),
             list(loadings = std_loadings(ulmc, c(names(groups), "METHOD")),
                  cfa_loadings = std_loadings(cfa, names(groups)))),
    # free method loadings: not identified well enough to converge on every data set
    ulmc_free = if (!lavInspect(ulmc_free, "converged")) list(syntax = ulmc_free_syntax, converged = FALSE) else
      c(list(syntax = ulmc_free_syntax, converged = TRUE), fit_json(ulmc_free),
        list(loadings = std_loadings(ulmc_free, c(names(groups), "METHOD")))),
    marker = if (is.null(cs$marker)) NULL else marker_json(groups, cs$marker, d))
  write_json(out, sprintf("fixtures/efa_cmb_%s.json", cs$case), auto_unbox = TRUE, digits = NA,
             na = "null", pretty = TRUE, null = "null")
  cat(cs$case, "done\n")
}
