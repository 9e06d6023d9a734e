# Double-mean-centred product indicators as semTools builds them (indProd with meanC = TRUE,
# doubleMC = TRUE): matched pairs when both factors have as many indicators, else all pairs with
# the lavaan lines of the residual covariances of products sharing an indicator (Lin et al. 2010).
# Sourced by make_latent_moderation_example_fixture.R and benchmarks/bench_latent_moderation.py.
dmc_products <- function(d, x, w) {
  match <- length(x) == length(w)
  dd <- indProd(d, var1 = x, var2 = w, match = match, meanC = TRUE, residualC = FALSE, doubleMC = TRUE)
  prods <- setdiff(names(dd), names(d))
  covs <- ""
  if (!match) {
    pairs <- strsplit(prods, ".", fixed = TRUE)
    for (i in seq_along(pairs)) for (j in seq_along(pairs)) if (i < j &&
        (pairs[[i]][1] == pairs[[j]][1] || pairs[[i]][2] == pairs[[j]][2]))
      covs <- paste0(covs, prods[i], " ~~ ", prods[j], "\n")
  }
  list(data = dd, prods = prods, covs = covs)
}
