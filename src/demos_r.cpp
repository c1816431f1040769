// Glue of the teaching demos (src/demos/). Arguments arrive validated by the
// R wrappers (R/demo-*.R). Errors come back as strings for R to raise as
// classed conditions; Ctrl-C becomes an R interrupt only after the C++ scope
// owning threads, children and mappings has been left.
#include <Rcpp.h>

#include <cstdint>
#include <exception>
#include <string>

#include "demos/auc.h"
#include "demos/negate_shared.h"
#include "demos/race_counter.h"
#include "demos/summer.h"
#include "r_interrupt.h"

namespace parairline {
namespace {

bool keep_going() { return !r_interrupt_pending(); }

// Called only after every C++ resource of the demo has been released.
void throw_if_interrupted(const DemoStatus& status) {
  if (status.interrupted) throw Rcpp::internal::InterruptedException();
}

Rcpp::List status_fields(const DemoStatus& status) {
  return Rcpp::List::create(Rcpp::Named("error") = Rcpp::wrap(status.errors),
                            Rcpp::Named("error_kind") = status.error_kind);
}

DemoStatus system_failure(const std::exception& e) {
  DemoStatus status;
  status.fail("system", e.what());
  return status;
}

RaceMethod race_method(const std::string& method) {
  if (method == "atomic") return RaceMethod::atomic;
  if (method == "mutex") return RaceMethod::mutex;
  return RaceMethod::unsafe;
}

SummerVia summer_via(const std::string& via) {
  if (via == "serial") return SummerVia::serial;
  if (via == "threads") return SummerVia::threads;
  return SummerVia::processes;
}

}  // namespace
}  // namespace parairline

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_demo_race_counter(int workers, double increments, std::string method, std::string via) {
  using namespace parairline;
  RaceResult res;
  try {
    res = race_counter(workers, static_cast<std::int64_t>(increments), race_method(method), via == "processes",
                       keep_going);
  } catch (const std::exception& e) {
    res.status = system_failure(e);
  }
  throw_if_interrupted(res.status);
  return Rcpp::List::create(
      Rcpp::Named("expected") = static_cast<double>(res.expected),
      Rcpp::Named("observed") = static_cast<double>(res.observed),
      Rcpp::Named("seconds") = res.seconds, Rcpp::Named("status") = status_fields(res.status));
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_demo_summer(double n, double jobs, std::string via, int workers) {
  using namespace parairline;
  SummerResult res;
  try {
    res = summer(static_cast<std::uint64_t>(n), static_cast<std::int64_t>(jobs), summer_via(via), workers, keep_going);
  } catch (const std::exception& e) {
    res.status = system_failure(e);
  }
  throw_if_interrupted(res.status);
  return Rcpp::List::create(Rcpp::Named("total_exact") = res.total.to_string(),
                            Rcpp::Named("seconds") = res.seconds,
                            Rcpp::Named("status") = status_fields(res.status));
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_demo_auc(double n, int threads, double a, double b) {
  using namespace parairline;
  AucResult res;
  try {
    res = auc_riemann(static_cast<std::int64_t>(n), threads, a, b, keep_going);
  } catch (const std::exception& e) {
    res.status = system_failure(e);
  }
  throw_if_interrupted(res.status);
  return Rcpp::List::create(Rcpp::Named("value") = res.value, Rcpp::Named("seconds") = res.seconds,
                            Rcpp::Named("status") = status_fields(res.status));
}

// [[Rcpp::export(rng = false)]]
Rcpp::List cpp_demo_negate_shared(Rcpp::NumericVector x, int workers) {
  using namespace parairline;
  // Allocated before any child or mapping exists, so an R allocation error
  // cannot jump over their destructors.
  Rcpp::NumericVector out = Rcpp::clone(x);
  DemoStatus status;
  try {
    status = negate_shared(out.begin(), static_cast<std::size_t>(out.size()), workers, keep_going);
  } catch (const std::exception& e) {
    status = system_failure(e);
  }
  throw_if_interrupted(status);
  return Rcpp::List::create(Rcpp::Named("value") = out, Rcpp::Named("status") = status_fields(status));
}
