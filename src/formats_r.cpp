// Glue for the input formats: which compressed formats this build reads.
#include <Rcpp.h>

#include <string>
#include <vector>

#include "core/decompress.h"

using namespace parairline;

// [[Rcpp::export(rng = false)]]
std::vector<std::string> cpp_supported_formats() {
  std::vector<std::string> out;
  for (Format f : {Format::gzip, Format::bzip2, Format::xz, Format::zstd, Format::zip}) {
    if (format_unsupported(f).empty()) out.push_back(format_name(f));
  }
  return out;
}
