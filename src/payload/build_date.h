// The build date and time the original build records (Xen's compile.h:
// XEN_COMPILE_DATE, XEN_COMPILE_TIME), chosen so that identical inputs give
// byte-identical payloads on any machine and any day.
//
// A patched function that prints the build date carries it into the payload,
// so the date cannot be the wall clock. It is SOURCE_DATE_EPOCH when set (the
// reproducible-builds convention: a distribution pins it per package), and
// otherwise derived from the inputs: a second count taken from the cache key,
// which hashes the source tree, .config, compiler and tool version. The same
// inputs give the same date everywhere; a changed tree gives another one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace lp::payload {

struct BuildDate {
  int64_t epoch = 0;  // seconds since 1970-01-01 UTC
  std::string source; // "SOURCE_DATE_EPOCH" or "cache key"
};

// SOURCE_DATE_EPOCH from the environment: nullopt when unset or empty.
// Throws lp::FileError("SOURCE_DATE_EPOCH", ...) when it is not a decimal
// number of seconds.
std::optional<int64_t> source_date_epoch();

// The date for a cache entry keyed `cache_key` (hex).
BuildDate build_date(const std::string &cache_key);

// XEN_BUILD_DATE ("Thu Jan  1 00:00:00 UTC 1970", date(1)'s format) and
// XEN_BUILD_TIME ("00:00:00") for Xen's mkcompile script.
std::map<std::string, std::string> build_date_env(int64_t epoch);

} // namespace lp::payload
