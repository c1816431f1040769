// Glue for the inputs: which compressed formats this build reads, and the
// column names of a file.
#include <Rcpp.h>

#include <string>
#include <vector>

#include "core/plan.h"
#include "r_glue.h"

using namespace parairline;

// [[Rcpp::export(rng = false)]]
std::vector<std::string> cpp_supported_formats() {
  std::vector<std::string> out;
  for (Format f : {Format::gzip, Format::bzip2, Format::xz, Format::zstd, Format::zip}) {
    if (format_unsupported(f).empty()) out.push_back(format_name(f));
  }
  return out;
}

// list(names = <character>) or list(error = <record>).
// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_header(std::string path) {
  std::vector<std::string> names;
  if (CoreError e = header_names(path, names)) return error_list(e);
  return Rcpp::List::create(Rcpp::Named("names") = names);
}
