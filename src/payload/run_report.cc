// Progress lines and the JSON summary (see run_report.h).
#include "payload/run_report.h"

#include <algorithm>
#include "elf/json_string.h"

#include <fmt/format.h>

namespace lp::payload {
namespace {

std::string quote(std::string_view s) { return lp::json_string(s); }

std::string list(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::string out = "[";
  for (size_t i = 0; i < v.size(); i++)
    out += (i ? ", " : "") + quote(v[i]);
  return out + "]";
}

std::string ignored_list(std::vector<IgnoredFunction> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::string out = "[";
  for (size_t i = 0; i < v.size(); i++)
    out += fmt::format("{}{{\"name\": {}, \"object\": {}, \"reason\": {}}}", i ? ", " : "",
                       quote(v[i].name), quote(v[i].object), quote(v[i].reason));
  return out + "]";
}

} // namespace

std::string report_json(const RunReport &r) {
  std::string t = "{";
  for (size_t i = 0; i < r.timings.size(); i++)
    t += fmt::format("{}{}: {:.3f}", i ? ", " : "", quote(r.timings[i].first), r.timings[i].second);
  t += "}";
  std::string sources = "{";
  for (const auto &[key, objects] : r.type_sources)
    sources += fmt::format("{}{}: {}", sources.size() > 1 ? ", " : "", quote(key), list(objects));
  sources += "}";
  return fmt::format(
      "{{\n"
      "  \"name\": {},\n  \"exit_code\": {},\n  \"error\": {},\n"
      "  \"payload\": {},\n  \"payload_size\": {},\n"
      "  \"build_id\": {},\n  \"depends\": {},\n  \"xen_depends\": {},\n"
      "  \"cache\": {},\n  \"check\": {},\n  \"signature\": {},\n  \"xen_version\": {},\n"
      "  \"build_path\": {{\"path\": {}, \"reason\": {}, \"check\": {}}},\n"
      "  \"objects\": {{\"rebuilt\": {}, \"diffed\": {}, \"new\": {}, \"ignored\": {}}},\n"
      "  \"functions\": {{\"changed\": {}, \"new\": {}, \"ignored\": {}}},\n"
      "  \"refusals\": {},\n  \"layout_changes\": {},\n  \"possible_layout_changes\": {},\n"
      "  \"type_sources\": {},\n"
      "  \"stripped_symbols\": {},\n  \"timings\": {}\n}}\n",
      quote(r.name), r.exit_code, quote(r.error), quote(r.payload), r.payload_size,
      quote(r.build_id), quote(r.depends), quote(r.xen_depends), quote(r.cache), quote(r.check),
      quote(r.signature), quote(r.xen_version), quote(r.build_path), quote(r.build_path_reason),
      quote(r.fast_path_check), list(r.objects_rebuilt), list(r.objects_diffed), list(r.objects_new),
      list(r.objects_ignored), list(r.functions_changed), list(r.functions_new),
      ignored_list(r.functions_ignored), list(r.refusals), layout_changes_json(r.layout),
      list(r.layout.possible), sources, list(r.stripped_symbols), t);
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
