// Glue for the inputs: which compressed formats this build reads, and the
// column names of a file.
#include <Rcpp.h>

#include <string>
#include <vector>

#include "core/plan.h"
#include "r_glue.h"
#include "summary_r.h"

using namespace parairline;

// [[Rcpp::export(rng = false)]]
std::vector<std::string> cpp_supported_formats() {
  std::vector<std::string> out;
  for (Format f : {Format::gzip, Format::bzip2, Format::xz, Format::zstd, Format::zip}) {
    if (format_unsupported(f).empty()) out.push_back(format_name(f));
  }
  return out;
}

// list(names = <character>) or list(error = <record>); `dialect` as in
// the query (NULL: the default).
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_header(std::string path, SEXP dialect) {
  Dialect d;
  if (dialect != R_NilValue) {
    try {
      d = dialect_from_r(Rcpp::List(dialect));
    } catch (const std::exception& e) {
      return error_list("internal", std::string("The dialect R built is malformed (") + e.what() + ").");
    }
  }
  std::vector<std::string> names;
  if (CoreError e = header_names(path, d, names)) return error_list(e);
  return Rcpp::List::create(Rcpp::Named("names") = names);
}
