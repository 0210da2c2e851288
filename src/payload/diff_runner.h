// Running create-diff-object on every changed object, in parallel.
//
// Objects are independent, so up to -j of them are diffed at once, each with
// its own log; the logs are then appended to create-diff-object.log in sorted
// object order, each under upstream's "Run create-diff-object on <obj>"
// header, so the log is the same whatever the scheduling. The normal-level
// lines create-diff-object prints ("changed function: F", "new function: F",
// "ignoring function: F", "ignoring __LINE__-only change in function: F: why")
// feed the run summary, its type-layout lines (layout_report.h) the layout
// report; on exit 2 its other lines are the reason shown to the user.
#pragma once

#include <string>
#include <vector>

namespace lp::payload {

struct DiffJob {
  std::string object;   // relative path, e.g. xen/common/table.o
  std::vector<std::string> argv;
  std::string output;   // the diff object it writes
};

struct DiffResult {
  std::string object;
  int status = 0;       // 0 changed, 1 error, 2 unsupported, 3 no change, 128+n signal
  std::string log;
  std::vector<std::string> changed, added;          // function names (file#name for statics)
  std::vector<std::pair<std::string, std::string>> ignored; // name, reason
  std::vector<std::string> layout;                  // type-layout findings, as logged
  std::vector<std::string> errors;                  // every other line: diagnostics
};

// Runs the jobs with at most `parallel` at a time; appends the combined log to
// `log_path`. Results are in job order.
std::vector<DiffResult> run_diff_jobs(const std::vector<DiffJob> &jobs, unsigned parallel,
                                      const std::string &log_path);

// Parses create-diff-object's normal-level output into `r`.
void parse_diff_log(DiffResult &r);

} // namespace lp::payload
