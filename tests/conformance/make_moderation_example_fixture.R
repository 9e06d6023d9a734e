# The moderation hypotheses of trust_mechanism on the bundled moderation example, by R's lm:
# reference for semtrust.structural.moderation_hypotheses (tests/test_moderation_fit.py reads the JSON).
# Scale scores: the mean of each construct's items, HT4 and PV4 reverse-keyed (8 - x); all 600 rows.
# MH1 (PROCESS model 1): PI ~ PV * INV.  MH2 (model 7): PV ~ HT * FAM and PI ~ HT + PV;
# the index of moderated mediation is a3 * b. Delta R^2 and its F from anova() of the model without
# the product. Run: cd tests/conformance && Rscript make_moderation_example_fixture.R
suppressMessages(library(jsonlite))
d <- read.csv("../../example_data/trust_survey_moderation.csv")
d$HT4 <- 8 - d$HT4
d$PV4 <- 8 - d$PV4
score <- function(prefix, k) rowMeans(d[, paste0(prefix, seq_len(k))])
s <- data.frame(HT = score("HT", 5), PV = score("PV", 4), PI = score("PI", 3), INV = score("INV", 4),
                FAM = score("FAM", 3))
coefs <- function(fit) {
  tab <- summary(fit)$coefficients
  ci <- confint(fit)
  lapply(seq_len(nrow(tab)), function(i) list(term = sub("^\\(Intercept\\)$", "const", rownames(tab)[i]),
    b = tab[i, 1], se = tab[i, 2], t = tab[i, 3], p = tab[i, 4], llci = ci[i, 1], ulci = ci[i, 2]))
}
change <- function(full, reduced) {
  a <- anova(reduced, full)
  list(r2_change = summary(full)$r.squared - summary(reduced)$r.squared, F = a$F[2], p = a$`Pr(>F)`[2])
}
mh1 <- lm(PI ~ PV + INV + PV:INV, data = s)
first <- lm(PV ~ HT + FAM + HT:FAM, data = s)
second <- lm(PI ~ HT + PV, data = s)
out <- list(
  MH1 = list(PI = coefs(mh1), change = change(mh1, lm(PI ~ PV + INV, data = s)), r2 = summary(mh1)$r.squared),
  MH2 = list(PV = coefs(first), PI = coefs(second), change = change(first, lm(PV ~ HT + FAM, data = s)),
             index = unname(coef(first)["HT:FAM"] * coef(second)["PV"])),
  n = nrow(s), r_version = R.version.string)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "fixtures/moderation_trust_example.json")
