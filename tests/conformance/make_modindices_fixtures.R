# Modification indices (score tests) from lavaan for semtrust's modindices().
# Run: cd tests/conformance && Rscript make_modindices_fixtures.R
suppressMessages({library(lavaan); library(jsonlite)})
cases <- list(c("holzinger_cfa", "data/HolzingerSwineford1939.csv"),
              c("political_democracy", "data/PoliticalDemocracy.csv"))
for (case in cases) {
  d <- read.csv(case[2])
  fit <- sem(paste(readLines(sprintf("models/%s.lav", case[1])), collapse = "\n"), data = d)
  mi <- modindices(fit, sort. = FALSE)
  rows <- lapply(seq_len(nrow(mi)), function(i) {
    r <- as.list(mi[i, c("lhs", "op", "rhs", "mi", "epc", "sepc.all")])
    names(r) <- gsub(".", "_", names(r), fixed = TRUE); r })
  write_json(list(case = case[1], lavaan_version = as.character(packageVersion("lavaan")),
                  call = "modindices(fit, sort. = FALSE)", modindices = rows),
             sprintf("fixtures/modindices_%s.json", case[1]), auto_unbox = TRUE, digits = NA,
             na = "null", pretty = TRUE)
}
