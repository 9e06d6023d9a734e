# Missing-data report and careless-responding indices, for semtrust.missing_report and
# semtrust.screening. Run: cd tests/conformance && Rscript make_missing_fixtures.R
#
# Little's (1988) MCAR test, as naniar::mcar_test computes it (naniar is not on Debian):
#   d2 = sum over missing-data patterns j of n_j (ybar_j - mu_j)' Sigma_jj^-1 (ybar_j - mu_j),
#   df = sum_j p_j - p, with mu and Sigma the EM (ML) estimates under missingness, here from
#   lavaan's h1 EM (lav_mvnorm_missing_h1_estimate_moments), rows with nothing observed dropped.
# Screening indices are base-R versions of the careless package's functions (not on Debian):
#   longstring = max(rle(x)$lengths), irv = sd(x), evenodd = Spearman-Brown corrected
#   correlation of odd- and even-item means per factor (careless < 1.2 sign), mahad =
#   mahalanobis(x, colMeans(x), cov(x)) on complete rows, p on chi-square(df = items).
suppressMessages({library(lavaan); library(jsonlite)})

little <- function(X) {
  X <- as.matrix(X)
  X <- X[rowSums(!is.na(X)) > 0, , drop = FALSE]
  mom <- lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y = X, max.iter = 10000L, tol = 1e-12)
  key <- apply(!is.na(X), 1, function(r) paste(as.integer(r), collapse = ""))
  d2 <- 0; df <- 0
  for (k in unique(key)) {
    rows <- X[key == k, , drop = FALSE]
    o <- which(!is.na(rows[1, ]))
    dev <- colMeans(rows[, o, drop = FALSE]) - mom$Mu[o]
    d2 <- d2 + nrow(rows) * drop(t(dev) %*% solve(mom$Sigma[o, o, drop = FALSE], dev))
    df <- df + length(o)
  }
  df <- df - ncol(X)
  list(n = nrow(X), n_patterns = length(unique(key)), chisq = d2, df = df,
       pvalue = pchisq(d2, df, lower.tail = FALSE),
       em_mean = as.list(setNames(mom$Mu, colnames(X))))
}

missing_case <- function(name, X) {
  X <- as.data.frame(X)
  list(case = name, columns = names(X),
       item_percent_missing = as.list(100 * colMeans(is.na(X))),
       respondents_by_missing = as.list(table(factor(rowSums(is.na(X)), levels = 0:ncol(X)))),
       little = little(X))
}

bfi <- read.csv("data/bfi.csv")
items <- names(bfi)[1:25]
write_json(list(lavaan_version = as.character(packageVersion("lavaan")), data = "data/bfi.csv",
                call = "lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y, tol = 1e-12) + Little (1988)",
                cases = list(missing_case("bfi_items", bfi[, items]),
                             missing_case("bfi_agreeableness", bfi[, items[1:5]]),
                             missing_case("bfi_all_columns", bfi))),
           "fixtures/missing_bfi.json", auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE)

# careless-responding indices on the complete bfi rows (6-point items; keyed items recoded 7 - x
# for even-odd and D2, which see coded scores; long-string and IRV see the answers as given)
reverse <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
answers <- as.matrix(bfi[complete.cases(bfi[, items]), items])
coded <- answers; coded[, reverse] <- 7 - coded[, reverse]
factors <- split(items, substr(items, 1, 1))[c("A", "C", "E", "N", "O")]
evenodd <- apply(coded, 1, function(x) {
  halves <- t(sapply(factors, function(f) { v <- x[f]; c(mean(v[c(TRUE, FALSE)]), mean(v[c(FALSE, TRUE)])) }))
  r <- cor(halves[, 1], halves[, 2]); 2 * r / (1 + r)
})
d2 <- mahalanobis(coded, colMeans(coded), cov(coded))
keep <- seq_len(400)
write_json(list(data = "data/bfi.csv", rows = "complete rows of the 25 items, first 400",
                reverse = reverse, scale_points = 6, factors = factors,
                longstring = apply(answers, 1, function(x) max(rle(x)$lengths))[keep],
                irv = apply(answers, 1, sd)[keep], evenodd = unname(evenodd[keep]),
                d2 = unname(d2[keep]), d2_pvalue = pchisq(d2, ncol(coded), lower.tail = FALSE)[keep]),
           "fixtures/screening_bfi.json", auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE)
