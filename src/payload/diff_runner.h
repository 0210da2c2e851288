// Running create-diff-object on every changed object: one process per payload.
//
// Every changed object is diffed against the same xen-syms, so all of them go
// to one `create-diff-object --batch` process (src/diff/batch.h), which reads
// xen-syms once and diffs up to -j objects at a time in threads; the job file
// is written beside the log (create-diff-object.jobs). Each job's text is
// what a one-pair run would print, and the records come back in job order, so
// create-diff-object.log is the same whatever the scheduling: each object's
// lines under upstream's "Run create-diff-object on <obj>" header. The
// normal-level lines create-diff-object prints ("changed function: F", "new
// function: F", "ignoring function: F", "ignoring __LINE__-only change in
// function: F: why") feed the run summary, its type-layout lines
// (layout_report.h) the layout report; on exit 2 its other lines are the
// reason shown to the user.
#pragma once

#include <string>
#include <vector>

namespace lp::payload {

struct DiffJob {
  std::string object;   // relative path, e.g. xen/common/table.o
  std::vector<std::string> args; // of a one-pair run, without the program
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

// Runs the jobs in one `tool --batch jobs_path -j parallel` process; appends
// the combined log to `log_path`. Results are in job order. A job the batch
// did not report (the process was killed) has the process's status.
std::vector<DiffResult> run_diff_jobs(const std::string &tool, const std::vector<DiffJob> &jobs,
                                      unsigned parallel, const std::string &jobs_path,
                                      const std::string &log_path);

// The job file line for `args` (tab-separated, escaped as batch.h says).
std::string batch_job_line(const std::vector<std::string> &args);

// Splits the batch's standard output into per-job status and text; records
// must come in job order. Returns how many records were complete; `end`, if
// given, receives the offset after the last of them.
size_t parse_batch_output(const std::string &output, std::vector<DiffResult> &results,
                          size_t *end = nullptr);

// Parses create-diff-object's normal-level output into `r`.
void parse_diff_log(DiffResult &r);

} // namespace lp::payload
