// Simulated AirOnTime data: monthly CSV files in the RevoScaleR AirOnTimeCSV
// layout (quoted header plus a trailing comma, a trailing comma on every line,
// DISTANCE with two decimals), with the per-carrier distance totals counted
// exactly while writing. Threads of run_in_background(), one file per task; each
// file's random stream depends only on (seed, year, month), so the bytes do
// not depend on the thread count. R-free: the R glue is src/sim_r.cpp.
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/background.h"
#include "core/error.h"
#include "core/platform.h"
#include "sim/compress_file.h"

namespace parairline {

// ---- Random numbers -------------------------------------------------------

inline uint64_t splitmix64_next(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman and Vigna): tiny state, fast, plenty for fake data.
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    for (auto& s : s_) s = splitmix64_next(seed);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform on [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

  // Uniform on 0..n-1 by multiply-shift; the bias (< n / 2^32) is invisible here.
  int below(int n) {
    return static_cast<int>(((next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

  double exponential(double mean) { return -mean * std::log1p(-uniform()); }

  // Irwin-Hall sum of four uniforms: near-normal without libm, tails cut at 3.5.
  double normal() {
    // One draw per statement: the order of operands of + is unspecified, and
    // the bytes must not depend on the compiler.
    double sum = uniform();
    sum += uniform();
    sum += uniform();
    sum += uniform();
    return (sum - 2.0) * 1.7320508075688772;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_;
};

// The stream of one monthly file: a function of (seed, year, month) only.
inline uint64_t sim_stream_seed(uint64_t seed, int year, int month) {
  uint64_t state = seed;
  uint64_t key = splitmix64_next(state);
  key ^= (static_cast<uint64_t>(year) * 12 + static_cast<uint64_t>(month - 1)) *
         0xD1B54A32D192ED03ull;
  return splitmix64_next(key);
}

// ---- Tables ---------------------------------------------------------------

struct SimAirport {
  const char* code;
  const char* state;
  int id;          // US DOT airport id (ORIGIN_AIRPORT_ID)
  double lat;
  double lon;
  int utc_offset;  // standard time, hours; DST shifts both ends alike
  int weight;      // relative traffic
};

// Large US airports of the AirOnTime years.
inline const std::vector<SimAirport>& sim_airports() {
  static const std::vector<SimAirport> table = {
      {"ABQ", "NM", 10140, 35.04, -106.61, -7, 7},  {"ANC", "AK", 10299, 61.17, -150.00, -9, 4},
      {"ATL", "GA", 10397, 33.64, -84.43, -5, 60},  {"AUS", "TX", 10423, 30.19, -97.67, -6, 6},
      {"BNA", "TN", 10693, 36.12, -86.68, -6, 10},  {"BOS", "MA", 10721, 42.36, -71.01, -5, 25},
      {"BWI", "MD", 10821, 39.18, -76.67, -5, 15},  {"CLE", "OH", 11042, 41.41, -81.85, -5, 12},
      {"CLT", "NC", 11057, 35.21, -80.94, -5, 25},  {"CVG", "KY", 11193, 39.05, -84.66, -5, 15},
      {"DAL", "TX", 11259, 32.85, -96.85, -6, 9},   {"DCA", "VA", 11278, 38.85, -77.04, -5, 18},
      {"DEN", "CO", 11292, 39.86, -104.67, -7, 40}, {"DFW", "TX", 11298, 32.90, -97.04, -6, 60},
      {"DTW", "MI", 11433, 42.21, -83.35, -5, 30},  {"EWR", "NJ", 11618, 40.69, -74.17, -5, 25},
      {"FLL", "FL", 11697, 26.07, -80.15, -5, 8},   {"HNL", "HI", 12173, 21.32, -157.92, -10, 6},
      {"HOU", "TX", 12191, 29.65, -95.28, -6, 10},  {"IAD", "VA", 12264, 38.95, -77.46, -5, 10},
      {"IAH", "TX", 12266, 29.98, -95.34, -6, 30},  {"IND", "IN", 12339, 39.72, -86.29, -5, 8},
      {"JFK", "NY", 12478, 40.64, -73.78, -5, 15},  {"LAS", "NV", 12889, 36.08, -115.15, -8, 25},
      {"LAX", "CA", 12892, 33.94, -118.41, -8, 45}, {"LGA", "NY", 12953, 40.78, -73.87, -5, 25},
      {"MCI", "MO", 13198, 39.30, -94.71, -6, 10},  {"MCO", "FL", 13204, 28.43, -81.31, -5, 18},
      {"MDW", "IL", 13232, 41.79, -87.75, -6, 10},  {"MEM", "TN", 13244, 35.04, -89.98, -6, 14},
      {"MIA", "FL", 13303, 25.79, -80.29, -5, 18},  {"MSP", "MN", 13487, 44.88, -93.22, -6, 30},
      {"MSY", "LA", 13495, 29.99, -90.26, -6, 10},  {"OAK", "CA", 13796, 37.72, -122.22, -8, 8},
      {"ORD", "IL", 13930, 41.98, -87.90, -6, 70},  {"PDX", "OR", 14057, 45.59, -122.60, -8, 11},
      {"PHL", "PA", 14100, 39.87, -75.24, -5, 22},  {"PHX", "AZ", 14107, 33.43, -112.01, -7, 30},
      {"PIT", "PA", 14122, 40.49, -80.23, -5, 22},  {"RDU", "NC", 14492, 35.88, -78.79, -5, 9},
      {"SAN", "CA", 14679, 32.73, -117.19, -8, 14}, {"SAT", "TX", 14683, 29.53, -98.47, -6, 8},
      {"SEA", "WA", 14747, 47.45, -122.31, -8, 22}, {"SFO", "CA", 14771, 37.62, -122.38, -8, 35},
      {"SJC", "CA", 14831, 37.36, -121.93, -8, 8},  {"SLC", "UT", 14869, 40.79, -111.98, -7, 20},
      {"SMF", "CA", 14893, 38.70, -121.59, -8, 6},  {"STL", "MO", 15016, 38.75, -90.37, -6, 28},
      {"TPA", "FL", 15304, 27.98, -82.53, -5, 12},
  };
  return table;
}

struct SimCarrier {
  const char* code;         // UNIQUE_CARRIER as BTS spells it, e.g. "PA (1)"
  const char* tail_suffix;  // TAIL_NUM looks like N123AA
  int first_year;
  int last_year;
  int weight_early;  // relative share before 2000
  int weight_late;   // from 2000
  const char* hubs;  // space-separated airport codes
};

// Reporting carriers and the years they report; shares are deliberately skewed.
inline const std::vector<SimCarrier>& sim_carriers() {
  static const std::vector<SimCarrier> table = {
      {"9E", "9E", 2008, 2019, 0, 3, "MSP DTW MEM"},
      {"AA", "AA", 1987, 9999, 14, 12, "DFW ORD MIA"},
      {"AQ", "AQ", 2005, 2008, 0, 1, "HNL"},
      {"AS", "AS", 1987, 9999, 3, 3, "SEA ANC PDX"},
      {"B6", "JB", 2004, 9999, 0, 4, "JFK BOS FLL"},
      {"CO", "CO", 1987, 2011, 9, 7, "IAH EWR CLE"},
      {"DH", "DH", 2004, 2005, 0, 2, "IAD"},
      {"DL", "DL", 1987, 9999, 15, 12, "ATL CVG SLC"},
      {"EA", "EA", 1987, 1990, 7, 0, "ATL MIA"},
      {"EV", "EV", 2003, 9999, 0, 5, "ATL DTW"},
      {"F9", "FR", 2005, 9999, 0, 2, "DEN"},
      {"FL", "FL", 2004, 2014, 0, 3, "ATL MCO"},
      {"HA", "HA", 2004, 9999, 0, 1, "HNL"},
      {"HP", "AW", 1987, 2007, 4, 4, "PHX LAS"},
      {"MQ", "AE", 2003, 9999, 0, 6, "DFW ORD"},
      {"NK", "NK", 2015, 9999, 0, 2, "FLL LAS"},
      {"NW", "NW", 1987, 2009, 11, 9, "MSP DTW MEM"},
      {"OH", "CA", 2003, 2011, 0, 3, "CVG"},
      {"OO", "SY", 2003, 9999, 0, 6, "SLC DEN LAX"},
      {"PA (1)", "PA", 1987, 1991, 3, 0, "JFK MIA"},
      {"PI", "PI", 1987, 1990, 5, 0, "CLT PIT BWI"},
      {"PS", "PS", 1987, 1988, 3, 0, "LAX SFO SAN"},
      {"TW", "TW", 1987, 2001, 7, 5, "STL JFK"},
      {"TZ", "TZ", 2003, 2008, 0, 1, "MDW IND"},
      {"UA", "UA", 1987, 9999, 14, 12, "ORD DEN SFO IAD"},
      {"US", "US", 1987, 2015, 13, 10, "PIT CLT PHL"},
      {"VX", "VA", 2007, 2018, 0, 1, "SFO LAX"},
      {"WN", "WN", 1987, 9999, 6, 14, "DAL HOU PHX MDW LAS"},
      {"XE", "XE", 2003, 2012, 0, 4, "IAH EWR CLE"},
      {"YV", "YV", 2005, 2017, 0, 3, "PHX"},
  };
  return table;
}

inline const char* sim_header() {
  return "\"YEAR\",\"MONTH\",\"DAY_OF_MONTH\",\"DAY_OF_WEEK\",\"FL_DATE\",\"UNIQUE_CARRIER\","
         "\"TAIL_NUM\",\"FL_NUM\",\"ORIGIN_AIRPORT_ID\",\"ORIGIN\",\"ORIGIN_STATE_ABR\","
         "\"DEST_AIRPORT_ID\",\"DEST\",\"DEST_STATE_ABR\",\"CRS_DEP_TIME\",\"DEP_TIME\","
         "\"DEP_DELAY\",\"DEP_DELAY_NEW\",\"DEP_DEL15\",\"DEP_DELAY_GROUP\",\"TAXI_OUT\","
         "\"WHEELS_OFF\",\"WHEELS_ON\",\"TAXI_IN\",\"CRS_ARR_TIME\",\"ARR_TIME\",\"ARR_DELAY\","
         "\"ARR_DELAY_NEW\",\"ARR_DEL15\",\"ARR_DELAY_GROUP\",\"CANCELLED\",\"CANCELLATION_CODE\","
         "\"DIVERTED\",\"CRS_ELAPSED_TIME\",\"ACTUAL_ELAPSED_TIME\",\"AIR_TIME\",\"FLIGHTS\","
         "\"DISTANCE\",\"DISTANCE_GROUP\",\"CARRIER_DELAY\",\"WEATHER_DELAY\",\"NAS_DELAY\","
         "\"SECURITY_DELAY\",\"LATE_AIRCRAFT_DELAY\",\n";
}

// ---- Calendar -------------------------------------------------------------

inline bool sim_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

inline int sim_days_in_month(int y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && sim_leap_year(y) ? 29 : days[m - 1];
}

// BTS DAY_OF_WEEK: 1 = Monday ... 7 = Sunday (Sakamoto's method).
inline int sim_day_of_week(int y, int m, int d) {
  static const int t[12] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  if (m < 3) y -= 1;
  const int sunday0 = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
  return sunday0 == 0 ? 7 : sunday0;
}

// ---- Number formatting (no iostreams, no locale) --------------------------

inline char* sim_put_uint(char* p, uint64_t v) {
  char tmp[20];
  int k = 0;
  do {
    tmp[k++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (k > 0) *p++ = tmp[--k];
  return p;
}

inline char* sim_put_int(char* p, int64_t v) {
  if (v < 0) {
    *p++ = '-';
    return sim_put_uint(p, 0 - static_cast<uint64_t>(v));
  }
  return sim_put_uint(p, static_cast<uint64_t>(v));
}

// Appends fields of one CSV line; every field, the last included, ends in a
// comma, as in the AirOnTime files.
class SimLine {
 public:
  explicit SimLine(char* p) : p_(p) {}
  char* end() {
    *p_++ = '\n';
    return p_;
  }
  void raw(const std::string& s) {  // pre-built fields, commas included
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void integer(int64_t v) {
    p_ = sim_put_int(p_, v);
    *p_++ = ',';
  }
  void decimal(int64_t v) {  // whole numbers in the "%.2f" style of the real files
    p_ = sim_put_int(p_, v);
    std::memcpy(p_, ".00,", 4);
    p_ += 4;
  }
  void flag(bool on) { raw_lit(on ? "1.00," : "0.00,", 5); }
  void time(int minutes) {  // "hhmm", local clock
    const int m = ((minutes % 1440) + 1440) % 1440;
    const int h = m / 60, mm = m % 60;
    char s[7] = {'"', static_cast<char>('0' + h / 10), static_cast<char>('0' + h % 10),
                 static_cast<char>('0' + mm / 10), static_cast<char>('0' + mm % 10), '"', ','};
    raw_lit(s, 7);
  }
  void quoted_number(int64_t v) {  // FL_NUM is text in the real files
    *p_++ = '"';
    p_ = sim_put_int(p_, v);
    raw_lit("\",", 2);
  }
  void tail(int number, const char* suffix) {
    raw_lit("\"N", 2);
    p_ = sim_put_int(p_, number);
    const std::size_t n = std::strlen(suffix);
    std::memcpy(p_, suffix, n);
    p_ += n;
    raw_lit("\",", 2);
  }
  void empty() { *p_++ = ','; }
  void empty_text() { raw_lit("\"\",", 3); }  // an empty string column is written ""
  void empty(int n) {
    for (int i = 0; i < n; ++i) *p_++ = ',';
  }

 private:
  void raw_lit(const char* s, std::size_t n) {
    std::memcpy(p_, s, n);
    p_ += n;
  }
  char* p_;
};

// ---- The route network, built once ----------------------------------------

constexpr int kSimMinMiles = 80;

struct SimNetwork {
  int n_airports = 0;
  std::vector<int> distance;     // great-circle miles, n x n
  std::vector<int> block;        // scheduled gate-to-gate minutes, n x n
  std::vector<int> tz_shift;     // minutes to add to origin clock for dest clock, n x n
  std::vector<int> accept;       // per mille: long routes are flown less often, n x n
  std::vector<std::string> airport_fields;  // `12478,"JFK","NY",`
  std::vector<uint32_t> airport_cum;        // cumulative weights
  std::vector<std::string> carrier_fields;  // `"AA",`
  std::vector<std::vector<int>> hubs;       // per carrier, airport indices
};

inline int sim_airport_index(const std::string& code) {
  const auto& a = sim_airports();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (code == a[i].code) return static_cast<int>(i);
  }
  return -1;
}

inline SimNetwork sim_build_network() {
  const auto& ap = sim_airports();
  const int n = static_cast<int>(ap.size());
  SimNetwork net;
  net.n_airports = n;
  net.distance.assign(static_cast<std::size_t>(n) * n, 0);
  net.block.assign(static_cast<std::size_t>(n) * n, 0);
  net.tz_shift.assign(static_cast<std::size_t>(n) * n, 0);
  net.accept.assign(static_cast<std::size_t>(n) * n, 0);
  const double rad = 3.14159265358979323846 / 180.0;
  uint32_t cum = 0;
  for (int i = 0; i < n; ++i) {
    net.airport_fields.push_back(std::to_string(ap[i].id) + ",\"" + ap[i].code + "\",\"" +
                                 ap[i].state + "\",");
    cum += static_cast<uint32_t>(ap[i].weight);
    net.airport_cum.push_back(cum);
    for (int j = 0; j < n; ++j) {
      if (i == j) continue;
      // Haversine; the radius is fitted so that JFK-LAX (2475), ORD-EWR (719) and
      // DFW-LAX (1235) come out as in the BTS data.
      const double dlat = (ap[j].lat - ap[i].lat) * rad, dlon = (ap[j].lon - ap[i].lon) * rad;
      const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                       std::cos(ap[i].lat * rad) * std::cos(ap[j].lat * rad) *
                           std::sin(dlon / 2) * std::sin(dlon / 2);
      const double miles = 2 * 3967.0 * std::asin(std::min(1.0, std::sqrt(h)));
      const std::size_t k = static_cast<std::size_t>(i) * n + j;
      net.distance[k] = static_cast<int>(std::lround(miles));
      // Jet stream: westbound legs are slower.
      double air = miles / 7.6 + 12.0;
      air *= ap[j].lon < ap[i].lon ? 1.06 : 0.94;
      net.block[k] = 5 * static_cast<int>(std::lround((air + 24.0) / 5.0));
      net.tz_shift[k] = 60 * (ap[j].utc_offset - ap[i].utc_offset);
      // Gravity-model flavour; nobody flies between airports of one city.
      net.accept[k] = miles < kSimMinMiles
                          ? 0
                          : static_cast<int>(std::lround(
                                1000.0 * std::pow(std::min(1.0, 600.0 / miles), 0.8)));
    }
  }
  for (const auto& c : sim_carriers()) {
    net.carrier_fields.push_back(std::string("\"") + c.code + "\",");
    std::vector<int> hubs;
    const std::string list = c.hubs;
    for (std::size_t pos = 0; pos < list.size();) {
      std::size_t end = list.find(' ', pos);
      if (end == std::string::npos) end = list.size();
      const int idx = sim_airport_index(list.substr(pos, end - pos));
      if (idx >= 0) hubs.push_back(idx);
      pos = end + 1;
    }
    net.hubs.push_back(hubs);
  }
  return net;
}

// Built on first use; C++11 makes the static's initialisation thread-safe.
inline const SimNetwork& sim_network() {
  static const SimNetwork net = sim_build_network();
  return net;
}

// ---- Totals ---------------------------------------------------------------

// Per carrier (indexed like sim_carriers()): exact integer sums.
struct SimTotals {
  std::vector<int64_t> distance, flights, missing;

  SimTotals() : distance(sim_carriers().size()), flights(distance.size()), missing(distance.size()) {}

  void merge(const SimTotals& o) {
    for (std::size_t i = 0; i < distance.size(); ++i) {
      distance[i] += o.distance[i];
      flights[i] += o.flights[i];
      missing[i] += o.missing[i];
    }
  }
};

// ---- One month ------------------------------------------------------------

class SimMonth {
 public:
  SimMonth(int year, int month, int64_t rows) : net_(sim_network()) {
    const auto& carriers = sim_carriers();
    uint32_t cum = 0;
    for (std::size_t i = 0; i < carriers.size(); ++i) {
      const auto& c = carriers[i];
      if (year < c.first_year || year > c.last_year) continue;
      const int w = year < 2000 ? c.weight_early : c.weight_late;
      if (w <= 0) continue;
      cum += static_cast<uint32_t>(w);
      carrier_index_.push_back(static_cast<int>(i));
      carrier_cum_.push_back(cum);
    }
    // Each carrier has a fixed fleet sized by its share of a full-size day,
    // whatever the file's row count: a small file samples the same aircraft,
    // and at full size an aircraft flies a few legs a day, as real ones do.
    for (std::size_t k = 0; k < carrier_cum_.size(); ++k) {
      const uint32_t w = carrier_cum_[k] - (k == 0 ? 0 : carrier_cum_[k - 1]);
      const double aircraft = kFullSizeDayFlights * w / cum / kLegsPerAircraftDay;
      carrier_fleet_.push_back(std::max(1, static_cast<int>(std::lround(aircraft))));
    }
    // Fewer flights on Saturdays and Sundays; rows stay in date order.
    const int days = sim_days_in_month(year, month);
    std::vector<int> weight(days);
    int total = 0;
    for (int d = 1; d <= days; ++d) {
      const int dow = sim_day_of_week(year, month, d);
      weight[d - 1] = dow == 6 ? 80 : dow == 7 ? 92 : 100;
      total += weight[d - 1];
      char buf[64];
      std::snprintf(buf, sizeof buf, "%d,%d,%d,%d,%04d-%02d-%02d,", year, month, d, dow, year,
                    month, d);
      day_fields_.push_back(buf);
    }
    day_end_.resize(days);
    int cumw = 0;
    for (int d = 0; d < days; ++d) {
      cumw += weight[d];
      day_end_[d] = static_cast<int64_t>(
          std::llround(static_cast<double>(rows) * cumw / static_cast<double>(total)));
    }
    day_end_[days - 1] = rows;
    static const double season[12] = {1.25, 1.1, 1.0, 0.9, 0.95, 1.25,
                                      1.3,  1.15, 0.8, 0.8, 0.85, 1.3};
    static const double cancel[12] = {0.03,  0.028, 0.02,  0.014, 0.014, 0.018,
                                      0.02,  0.018, 0.012, 0.01,  0.012, 0.03};
    season_ = season[month - 1];
    cancel_p_ = cancel[month - 1];
    // BTS reports delay causes from June 2003.
    causes_ = year > 2003 || (year == 2003 && month >= 6);
  }

  bool has_carriers() const { return !carrier_index_.empty(); }

  // Writes row `i` (rows come in date order) and counts it into `totals`.
  char* write_row(char* out, int64_t i, Xoshiro256& rng, SimTotals& totals) {
    while (i >= day_end_[day_]) ++day_;
    const auto& carriers = sim_carriers();
    const int k = pick(carrier_cum_, rng);
    const int c = carrier_index_[k];
    int o, d;
    pick_route(c, rng, &o, &d);
    const std::size_t route = static_cast<std::size_t>(o) * net_.n_airports + d;
    const int distance = net_.distance[route];
    const int tz = net_.tz_shift[route];
    const int crs_elapsed = net_.block[route] + 5 * (rng.below(3) - 1);
    const int crs_dep = scheduled_departure(rng);
    const int crs_arr = crs_dep + crs_elapsed + tz;

    const double u = rng.uniform();
    const bool cancelled = u < cancel_p_;
    const bool diverted = !cancelled && u < cancel_p_ + 0.0025;
    const bool no_distance = rng.uniform() < 0.001;
    int dep_delay = 0, arr_delay = 0;

    SimLine line(out);
    line.raw(day_fields_[day_]);
    line.raw(net_.carrier_fields[c]);
    line.tail(100 + rng.below(carrier_fleet_[k]), carriers[c].tail_suffix);
    line.quoted_number(1 + rng.below(2500));
    line.raw(net_.airport_fields[o]);
    line.raw(net_.airport_fields[d]);
    line.time(crs_dep);

    if (cancelled) {
      line.empty_text();  // DEP_TIME
      line.empty(5);      // DEP_DELAY .. TAXI_OUT
      line.empty_text();  // WHEELS_OFF
      line.empty_text();  // WHEELS_ON
      line.empty();       // TAXI_IN
      line.time(crs_arr);
      line.empty_text();  // ARR_TIME
      line.empty(4);      // ARR_DELAY .. ARR_DELAY_GROUP
      const int r = rng.below(100);
      line.flag(true);
      line.raw(r < 35 ? code_a_ : r < 80 ? code_b_ : code_c_);
      line.flag(false);
      line.decimal(crs_elapsed);
      line.empty(2);  // ACTUAL_ELAPSED_TIME, AIR_TIME
    } else {
      dep_delay = departure_delay(rng);
      const int taxi_out = 6 + std::min(150, static_cast<int>(std::lround(rng.exponential(9.0))));
      const int taxi_in = 2 + std::min(90, static_cast<int>(std::lround(rng.exponential(5.0))));
      const int sched_air = std::max(15, crs_elapsed - 24);
      const double jitter = rng.normal() * (2.0 + 0.03 * sched_air);
      const int air = std::max(sched_air * 6 / 10 + 5,
                               static_cast<int>(std::lround(sched_air - 2 + jitter)));
      const int dep_time = crs_dep + dep_delay;
      const int wheels_off = dep_time + taxi_out;
      line.time(dep_time);
      delay_fields(line, dep_delay);
      line.decimal(taxi_out);
      line.time(wheels_off);
      if (diverted) {
        line.empty_text();  // WHEELS_ON
        line.empty();       // TAXI_IN
        line.time(crs_arr);
        line.empty_text();  // ARR_TIME
        line.empty(4);
        line.flag(false);
        line.empty_text();
        line.flag(true);
        line.decimal(crs_elapsed);
        line.empty(2);
      } else {
        const int wheels_on = wheels_off + air + tz;
        const int actual = taxi_out + air + taxi_in;
        arr_delay = dep_delay + actual - crs_elapsed;
        line.time(wheels_on);
        line.decimal(taxi_in);
        line.time(crs_arr);
        line.time(wheels_on + taxi_in);
        delay_fields(line, arr_delay);
        line.flag(false);
        line.empty_text();
        line.flag(false);
        line.decimal(crs_elapsed);
        line.decimal(actual);
        line.decimal(air);
      }
    }

    line.raw(flights_one_);
    if (no_distance) {
      line.empty(2);  // DISTANCE, DISTANCE_GROUP
      ++totals.missing[c];
    } else {
      line.decimal(distance);
      line.integer(std::min(11, distance / 250 + 1));  // group 11 is "2500 miles and more"
      totals.distance[c] += distance;
    }
    ++totals.flights[c];

    if (causes_ && !cancelled && !diverted && arr_delay >= 15) {
      cause_fields(line, rng, dep_delay, arr_delay);
    } else {
      line.empty(5);
    }
    return line.end();
  }

 private:
  static int pick(const std::vector<uint32_t>& cum, Xoshiro256& rng) {
    const uint32_t r = static_cast<uint32_t>(rng.below(static_cast<int>(cum.back())));
    return static_cast<int>(std::upper_bound(cum.begin(), cum.end(), r) - cum.begin());
  }

  // Most flights touch one of the carrier's hubs; pairs are drawn again until
  // the route's acceptance draw passes (see SimNetwork::accept).
  void pick_route(int c, Xoshiro256& rng, int* o, int* d) const {
    const auto& hubs = net_.hubs[c];
    const bool via_hub = !hubs.empty() && rng.below(100) < 60;
    const int h = via_hub ? hubs[rng.below(static_cast<int>(hubs.size()))] : -1;
    for (;;) {
      if (via_hub) {
        const int other = pick(net_.airport_cum, rng);
        const bool out = rng.below(2) == 0;
        *o = out ? h : other;
        *d = out ? other : h;
      } else {
        *o = pick(net_.airport_cum, rng);
        *d = pick(net_.airport_cum, rng);
      }
      if (*o != *d &&
          rng.below(1000) < net_.accept[static_cast<std::size_t>(*o) * net_.n_airports + *d]) {
        return;
      }
    }
  }

  static int scheduled_departure(Xoshiro256& rng) {
    const int r = rng.below(100);
    int m;
    if (r < 2) {
      m = rng.below(360);  // red-eyes and late stragglers
    } else if (r < 5) {
      m = 1380 + rng.below(60);
    } else {
      m = 360 + rng.below(1020);
    }
    return m - m % 5;
  }

  // Most flights leave a few minutes early or on time; the rest have a long tail.
  int departure_delay(Xoshiro256& rng) const {
    const double r = rng.uniform();
    double delay;
    if (r < 0.58) {
      // Two statements: a fixed draw order (the one gcc happened to use).
      const int late = rng.below(3);
      delay = late - rng.below(9);
    } else if (r < 0.92) {
      delay = 1 + rng.exponential(14.0 * season_);
    } else {
      delay = 10 + rng.exponential(60.0 * season_);
    }
    return std::min(1440, static_cast<int>(std::lround(delay)));
  }

  // DELAY, DELAY_NEW, DEL15, DELAY_GROUP.
  static void delay_fields(SimLine& line, int delay) {
    line.decimal(delay);
    line.decimal(std::max(0, delay));
    line.flag(delay >= 15);
    const int group = delay >= 0 ? delay / 15 : -((-delay + 14) / 15);
    line.integer(std::min(12, std::max(-2, group)));
  }

  // Carrier, weather, NAS, security, late aircraft: they add up to ARR_DELAY.
  static void cause_fields(SimLine& line, Xoshiro256& rng, int dep_delay, int total) {
    const int nas = std::min(total, std::max(0, total - std::max(0, dep_delay)));
    int rest = total - nas;
    const int weather = rng.below(100) < 10 ? rest * rng.below(101) / 100 : 0;
    rest -= weather;
    const int security = rng.below(1000) < 5 ? std::min(rest, rng.below(30)) : 0;
    rest -= security;
    const int carrier = rest * rng.below(101) / 100;
    const int late = rest - carrier;
    line.decimal(carrier);
    line.decimal(weather);
    line.decimal(nas);
    line.decimal(security);
    line.decimal(late);
  }

  // About 16,000 flights a day (500,000 rows a month) and 3.5 legs per
  // aircraft: 1990 at full size has about 1.6M tail-number days.
  static constexpr double kFullSizeDayFlights = 16000;
  static constexpr double kLegsPerAircraftDay = 3.5;

  const SimNetwork& net_;
  std::vector<int> carrier_index_;
  std::vector<uint32_t> carrier_cum_;
  std::vector<int> carrier_fleet_;  // aircraft of carrier_index_[k]
  std::vector<std::string> day_fields_;
  std::vector<int64_t> day_end_;  // one past the last row of each day
  int day_ = 0;
  double season_ = 1.0;
  double cancel_p_ = 0.02;
  bool causes_ = false;
  const std::string code_a_ = "\"A\",", code_b_ = "\"B\",", code_c_ = "\"C\",";
  const std::string flights_one_ = "1.00,";
};

// ---- Writing files --------------------------------------------------------

struct SimTask {
  SimTask(std::string path_, int year_, int month_) : path(std::move(path_)), year(year_), month(month_) {}
  std::string path;
  int year;
  int month;
  Format format = Format::plain;  // else `path` is compressed into `compressed_path`
  std::string compressed_path;
};

enum class SimStatus { done, failed, stopped };

constexpr std::size_t kSimBufferBytes = std::size_t(4) << 20;
constexpr std::size_t kSimMaxLine = 1024;  // a row is under 400 bytes

// Closes the file on every path out; a file we created but did not finish is
// removed, so a failed or stopped run leaves no truncated CSV behind.
class SimOutputFile {
 public:
  explicit SimOutputFile(const std::string& path) : path_(path) {
    f_ = platform::open_stdio(path, "wb");
    opened_ = f_ != nullptr;
  }
  ~SimOutputFile() {
    if (f_ != nullptr) std::fclose(f_);
    if (opened_ && !finished_) platform::remove_file(path_);
  }
  SimOutputFile(const SimOutputFile&) = delete;
  SimOutputFile& operator=(const SimOutputFile&) = delete;

  bool is_open() const { return f_ != nullptr; }
  bool write(const char* p, std::size_t n) { return std::fwrite(p, 1, n, f_) == n; }
  // Flushes and closes; false if the data did not reach the file.
  bool close() {
    const int rc = std::fclose(f_);
    f_ = nullptr;
    finished_ = rc == 0;
    return finished_;
  }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  bool opened_ = false;
  bool finished_ = false;
};

// Writes one monthly file and adds its rows to `totals`. Never throws; on
// failure `error` says why.
inline SimStatus sim_write_file(const SimTask& task, int64_t rows, uint64_t seed,
                                const std::atomic<bool>& stop, SimTotals& totals,
                                std::string& error) {
  try {
    if (task.month < 1 || task.month > 12 || task.year < 1 || task.year > 9999 || rows < 0) {
      error = "Invalid year, month or row count.";
      return SimStatus::failed;
    }
    SimMonth month(task.year, task.month, rows);
    if (!month.has_carriers() && rows > 0) {
      error = "No carriers report in year " + std::to_string(task.year) + ".";
      return SimStatus::failed;
    }
    SimOutputFile file(task.path);
    if (!file.is_open()) {
      error = "Cannot open the file for writing: " + errno_text(errno) + ".";
      return SimStatus::failed;
    }
    std::vector<char> buf(kSimBufferBytes + kSimMaxLine);
    char* const begin = buf.data();
    char* const flush_at = begin + kSimBufferBytes;
    const char* header = sim_header();
    char* p = begin;
    std::memcpy(p, header, std::strlen(header));
    p += std::strlen(header);
    Xoshiro256 rng(sim_stream_seed(seed, task.year, task.month));
    SimTotals local;
    for (int64_t i = 0; i < rows; ++i) {
      p = month.write_row(p, i, rng, local);
      if (p >= flush_at) {
        if (!file.write(begin, static_cast<std::size_t>(p - begin))) {
          error = "Cannot write to the file: " + errno_text(errno) + ".";
          return SimStatus::failed;
        }
        p = begin;
        if (stop.load(std::memory_order_relaxed)) return SimStatus::stopped;
      }
    }
    if (!file.write(begin, static_cast<std::size_t>(p - begin)) || !file.close()) {
      error = "Cannot write to the file: " + errno_text(errno) + ".";
      return SimStatus::failed;
    }
    totals.merge(local);
    return SimStatus::done;
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "Unknown C++ exception.";
  }
  return SimStatus::failed;
}

struct SimError {
  std::string kind;  // "io" (a file) or "system" (threads)
  std::string file;
  std::string message;
};

struct SimResult {
  SimTotals totals;
  bool failed = false;
  bool interrupted = false;
  SimError error;
};

// Writes the files on up to `threads` threads, one file per task, while this
// thread waits calling tick() (run_in_background()); tick may be empty. The
// first failure stops the others.
inline SimResult sim_write_files(const std::vector<SimTask>& tasks, int64_t rows_per_file, uint64_t seed,
                                 int threads, const Tick& tick = {}) {
  SimResult res;
  sim_network();  // build the shared tables before any worker needs them
  std::vector<SimTotals> totals(tasks.size());  // slot i is written only by the worker of task i
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  auto body = [&](int) {
    for (std::size_t i; !stop.load() && (i = next.fetch_add(1)) < tasks.size();) {
      std::string message;
      SimStatus status = sim_write_file(tasks[i], rows_per_file, seed, stop, totals[i], message);
      if (status == SimStatus::done && tasks[i].format != Format::plain) {
        const std::string& path = tasks[i].path;
        message = compress_file(path, tasks[i].compressed_path, tasks[i].format, path.substr(path.find_last_of("/\\") + 1));
        platform::remove_file(path);
        if (!message.empty()) {
          platform::remove_file(tasks[i].compressed_path);
          status = SimStatus::failed;
        }
      }
      if (status == SimStatus::failed) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!res.failed) {
          res.failed = true;
          res.error = {"io", tasks[i].path, message};
        }
        stop.store(true);
      }
    }
  };
  const int n = static_cast<int>(std::max<std::size_t>(
      1, std::min<std::size_t>(tasks.size(), static_cast<std::size_t>(std::max(1, threads)))));
  const BackgroundOutcome outcome = run_in_background(n, body, stop, tick);
  res.interrupted = outcome.interrupted;
  if (outcome.error && !res.failed) {
    res.failed = true;
    res.error = {"system", "", "The simulator's threads failed: " + exception_text(outcome.error) + "."};
  }
  for (const SimTotals& t : totals) res.totals.merge(t);
  return res;
}

}  // namespace parairline
