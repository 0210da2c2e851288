// What a run tells its user: a progress line per phase with elapsed time on
// stdout, and the --json summary a CI job parses.
//
// The summary holds the objects rebuilt and diffed, the functions changed,
// new and ignored, the refusals, the type-layout findings (layout_report.h)
// and where each changed object's types came from, the payload path, size
// and build-ids, the cache outcome, the loader check and per-phase timings. Lists are sorted and
// keys emitted in a fixed order; only the timings vary between identical runs.
#pragma once

#include "elf/json.h"
#include "payload/layout_report.h"

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lp::payload {

// A changed function create-diff-object left out, and why.
struct IgnoredFunction {
  std::string object, name, reason;
  auto operator<=>(const IgnoredFunction &) const = default;
};

struct RunReport {
  std::string name;
  std::string payload;
  size_t payload_size = 0;
  std::string build_id, depends, xen_depends;
  std::string cache; // "hit", "miss" or "" (no build phase)
  std::string check; // "passed", "refused", "skipped: <why>"
  std::string signature; // "note", "appended" or "" (unsigned)
  std::string xen_version; // the target release, e.g. "4.20"
  // The patched build: "fast" or "make" (build_path.h), why, and what
  // --check-fast-path found ("identical: N object(s)", "differs", or "").
  std::string build_path, build_path_reason, fast_path_check;
  std::vector<std::string> objects_rebuilt, objects_diffed, objects_new, objects_ignored;
  std::vector<std::string> functions_changed, functions_new;
  std::vector<IgnoredFunction> functions_ignored;
  std::vector<std::string> refusals;
  LayoutReport layout;
  // "side_objects", "own_dwarf", "assembly", "no_record" -> objects
  std::map<std::string, std::vector<std::string>> type_sources;
  std::vector<std::string> stripped_symbols;
  std::vector<std::pair<std::string, double>> timings;
  int exit_code = 0;
  std::string error;
};

// The --json summary (elf/json.h lays it out; report_text() gives the text).
Json report_json(const RunReport &r);

// Prints "<title>..." when a phase starts and "  done in N.NNs" when it ends;
// records the duration in the report.
class Progress {
public:
  explicit Progress(RunReport &report);
  void begin(const std::string &key, const std::string &title);
  void end();

private:
  RunReport &report_;
  std::string key_;
  std::chrono::steady_clock::time_point start_, phase_start_;
};

} // namespace lp::payload
