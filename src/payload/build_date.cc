// Reproducible build date (see build_date.h).
#include "payload/build_date.h"

#include "elf/error.h"

#include <cerrno>
#include <cstdlib>
#include <ctime>

namespace lp::payload {
namespace {

// Derived dates fall in [2000-01-01, 2030-01-01): plausible to a reader of
// `xl info`, and far from the 32-bit time_t limit.
constexpr int64_t kDerivedFirst = 946684800;            // 2000-01-01 00:00:00 UTC
constexpr int64_t kDerivedSpan = 30LL * 365 * 24 * 3600; // about 30 years

} // namespace

std::optional<int64_t> source_date_epoch() {
  const char *text = std::getenv("SOURCE_DATE_EPOCH");
  if (!text || !*text)
    return std::nullopt;
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (*end || errno || v < 0 || v > 253402300799LL) // up to 9999-12-31
    throw FileError("SOURCE_DATE_EPOCH",
                    std::string("'") + text + "' is not a number of seconds since 1970");
  return v;
}

BuildDate build_date(const std::string &cache_key) {
  if (auto epoch = source_date_epoch())
    return {*epoch, "SOURCE_DATE_EPOCH"};
  uint64_t h = std::strtoull(cache_key.substr(0, 15).c_str(), nullptr, 16);
  return {kDerivedFirst + static_cast<int64_t>(h % kDerivedSpan), "cache key"};
}

std::map<std::string, std::string> build_date_env(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm {};
  gmtime_r(&t, &tm);
  char date[64], hms[16];
  std::strftime(date, sizeof date, "%a %b %e %H:%M:%S UTC %Y", &tm);
  std::strftime(hms, sizeof hms, "%H:%M:%S", &tm);
  return {{"XEN_BUILD_DATE", date}, {"XEN_BUILD_TIME", hms}};
}

} // namespace lp::payload
