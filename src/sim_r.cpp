// Glue of the AirOnTime simulator (src/sim/airontime_sim.h). R types stop
// here: inputs are copied into std types before any thread starts, the main
// thread only waits and polls for Ctrl-C, and failures come back as an error
// record that R turns into a classed condition.
#include <Rcpp.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "r_glue.h"
#include "sim/airontime_sim.h"

namespace parairline {

// Whole numbers map to themselves, so seed = 1 and seed = 1L agree; other
// doubles use their bits, so every distinct seed gives its own stream.
inline uint64_t seed_from_double(double x) {
  if (x == std::trunc(x) && std::fabs(x) < 9.2e18) {
    return static_cast<uint64_t>(static_cast<int64_t>(x));
  }
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

}  // namespace parairline

// Writes one file per (path, year, month) on up to `threads` threads.
// Returns the per-carrier totals (carriers in table order, R sorts them),
// `error` (NULL or an error record for abort_core_error()) and `interrupted`.
// `compress` is "none" or a Format's name; then `compressed` holds the paths
// the plain files are compressed into (and removed).
// [[Rcpp::export]]
Rcpp::List cpp_sim_write(Rcpp::CharacterVector paths, Rcpp::IntegerVector years,
                         Rcpp::IntegerVector months, double rows_per_file, double seed,
                         int threads, std::string compress, Rcpp::CharacterVector compressed) {
  using namespace parairline;
  if (years.size() != paths.size() || months.size() != paths.size()) {
    return error_list("internal", "`paths`, `years` and `months` must have the same length.");
  }
  Format format = Format::plain;
  for (Format f : {Format::gzip, Format::bzip2, Format::xz, Format::zstd, Format::zip}) {
    if (compress == format_name(f)) format = f;
  }
  std::vector<SimTask> tasks;
  for (R_xlen_t i = 0; i < paths.size(); ++i) {
    SimTask t{Rcpp::as<std::string>(paths[i]), years[i], months[i]};
    if (format != Format::plain) {
      t.format = format;
      t.compressed_path = Rcpp::as<std::string>(compressed[i]);
    }
    tasks.push_back(t);
  }

  const SimResult run = sim_write_files(tasks, static_cast<int64_t>(rows_per_file), seed_from_double(seed), threads,
                                        [] { return !r_interrupt_pending(); });

  Rcpp::RObject error = R_NilValue;
  if (run.failed) {
    error = error_record(run.error.kind.c_str(), run.error.file, NA_REAL, NA_REAL, "", run.error.message);
  }
  const auto& carriers = sim_carriers();
  std::vector<std::string> code;
  std::vector<double> distance, flights, missing;
  for (std::size_t i = 0; i < carriers.size(); ++i) {
    if (run.totals.flights[i] == 0) continue;
    code.push_back(carriers[i].code);
    // Exact: the sums stay far below 2^53.
    distance.push_back(static_cast<double>(run.totals.distance[i]));
    flights.push_back(static_cast<double>(run.totals.flights[i]));
    missing.push_back(static_cast<double>(run.totals.missing[i]));
  }
  return Rcpp::List::create(
      Rcpp::Named("carrier") = code, Rcpp::Named("distance") = distance,
      Rcpp::Named("flights") = flights, Rcpp::Named("missing") = missing,
      Rcpp::Named("error") = error, Rcpp::Named("interrupted") = run.interrupted);
}
