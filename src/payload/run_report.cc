// Progress lines and the JSON summary (see run_report.h).
#include "payload/run_report.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace lp::payload {
namespace {

Json sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

Json ignored_list(std::vector<IgnoredFunction> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  Json out = Json::array();
  for (const IgnoredFunction &f : v)
    out.push_back({{"name", f.name}, {"object", f.object}, {"reason", f.reason}});
  return out;
}

// Seconds to the millisecond: 0.5 is written 0.5, 1.23456 as 1.235.
double milliseconds(double seconds) { return std::round(seconds * 1000) / 1000; }

} // namespace

Json report_json(const RunReport &r) {
  Json timings = Json::object();
  for (const auto &[phase, seconds] : r.timings)
    timings[phase] = milliseconds(seconds);
  Json sources = Json::object();
  for (const auto &[key, objects] : r.type_sources)
    sources[key] = sorted(objects);
  return {
      {"name", r.name},
      {"exit_code", r.exit_code},
      {"error", r.error},
      {"payload", r.payload},
      {"payload_size", r.payload_size},
      {"build_id", r.build_id},
      {"depends", r.depends},
      {"xen_depends", r.xen_depends},
      {"cache", r.cache},
      {"check", r.check},
      {"signature", r.signature},
      {"xen_version", r.xen_version},
      {"build_path",
       {{"path", r.build_path}, {"reason", r.build_path_reason}, {"check", r.fast_path_check}}},
      {"objects",
       {{"rebuilt", sorted(r.objects_rebuilt)},
        {"diffed", sorted(r.objects_diffed)},
        {"new", sorted(r.objects_new)},
        {"ignored", sorted(r.objects_ignored)}}},
      {"functions",
       {{"changed", sorted(r.functions_changed)},
        {"new", sorted(r.functions_new)},
        {"ignored", ignored_list(r.functions_ignored)}}},
      {"refusals", sorted(r.refusals)},
      {"layout_changes", layout_changes_json(r.layout)},
      {"possible_layout_changes", sorted(r.layout.possible)},
      {"type_sources", sources},
      {"stripped_symbols", sorted(r.stripped_symbols)},
      {"timings", timings},
  };
}

Progress::Progress(RunReport &report)
    : report_(report), start_(std::chrono::steady_clock::now()), phase_start_(start_) {}

void Progress::begin(const std::string &key, const std::string &title) {
  end();
  key_ = key;
  phase_start_ = std::chrono::steady_clock::now();
  double at = std::chrono::duration<double>(phase_start_ - start_).count();
  fmt::print("[{:7.2f}s] {}...\n", at, title);
  std::fflush(stdout);
}

void Progress::end() {
  if (key_.empty())
    return;
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - phase_start_).count();
  report_.timings.emplace_back(key_, took);
  fmt::print("            done in {:.2f}s\n", took);
  std::fflush(stdout);
  key_.clear();
}

} // namespace lp::payload
