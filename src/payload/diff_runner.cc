// create-diff-object --batch for every changed object (see diff_runner.h).
#include "payload/diff_runner.h"

#include "elf/atomic_file.h"
#include "payload/layout_report.h"
#include "payload/process.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace lp::payload {
namespace {

// Every other non-empty line (bar the struct sizes echo) is a diagnostic: on
// exit 2 they name the function or section and the reason.

// The text after `marker` on the line, up to the end or a space-separated tail.
bool take_after(const std::string &line, const std::string &marker, std::vector<std::string> &out) {
  auto pos = line.find(marker);
  if (pos == std::string::npos)
    return false;
  std::string name = line.substr(pos + marker.size());
  while (!name.empty() && (name.back() == ' ' || name.back() == '\r'))
    name.pop_back();
  out.push_back(name);
  return true;
}

// "NAME: REASON" after `marker`, or NAME alone with `reason`.
bool take_ignored(const std::string &line, const std::string &marker, const std::string &reason,
                  std::vector<std::pair<std::string, std::string>> &out) {
  std::vector<std::string> text;
  if (!take_after(line, marker, text))
    return false;
  auto sep = text[0].find(": ");
  if (sep == std::string::npos)
    out.emplace_back(text[0], reason);
  else
    out.emplace_back(text[0].substr(0, sep), text[0].substr(sep + 2));
  return true;
}

} // namespace

void parse_diff_log(DiffResult &r) {
  std::istringstream in(r.log);
  std::string line;
  while (std::getline(in, line)) {
    if (take_after(line, "changed function: ", r.changed) ||
        take_after(line, "new function: ", r.added) ||
        take_ignored(line, "ignoring function: ", "LIVEPATCH_IGNORE_FUNCTION", r.ignored) ||
        take_ignored(line, "ignoring __LINE__-only change in function: ", "", r.ignored))
      continue;
    if (is_layout_line(line)) {
      r.layout.push_back(line);
      continue;
    }
    if (!line.empty() && line.find("struct sizes from") == std::string::npos)
      r.errors.push_back(line);
  }
}

std::string batch_job_line(const std::vector<std::string> &args) {
  std::string line;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i)
      line += '\t';
    for (char c : args[i]) {
      switch (c) {
      case '\t': line += "\\t"; break;
      case '\n': line += "\\n"; break;
      case '\\': line += "\\\\"; break;
      default: line += c;
      }
    }
  }
  return line + "\n";
}

size_t parse_batch_output(const std::string &output, std::vector<DiffResult> &results,
                          size_t *end) {
  size_t at = 0, n = 0;
  while (n < results.size() && at < output.size()) {
    size_t eol = output.find('\n', at);
    if (eol == std::string::npos)
      break;
    std::istringstream header(output.substr(at, eol - at));
    std::string mark;
    size_t index = 0, length = 0;
    int status = 0;
    if (!(header >> mark >> index >> status >> length) || mark != "==" || index != n ||
        length > output.size() - eol - 1)
      break;
    results[n].status = status;
    results[n].log = output.substr(eol + 1, length);
    at = eol + 1 + length;
    ++n;
  }
  if (end)
    *end = at;
  return n;
}

std::vector<DiffResult> run_diff_jobs(const std::string &tool, const std::vector<DiffJob> &jobs,
                                      unsigned parallel, const std::string &jobs_path,
                                      const std::string &log_path) {
  std::vector<DiffResult> results(jobs.size());
  if (jobs.empty())
    return results;
  std::string text;
  for (const DiffJob &job : jobs)
    text += batch_job_line(job.args);
  write_file_atomically(jobs_path, {reinterpret_cast<const uint8_t *>(text.data()), text.size()});
  std::string output;
  int rc = run_capture({tool, "--batch", jobs_path, "-j", std::to_string(std::max(1u, parallel))},
                       output);
  size_t end = 0;
  size_t reported = parse_batch_output(output, results, &end);
  for (size_t i = 0; i < jobs.size(); ++i) {
    results[i].object = jobs[i].object;
    if (i >= reported) {
      // The batch stopped before this job (killed, or it failed as a
      // whole): the process's status, and the first such job carries what
      // the batch printed after its last complete record.
      results[i].status = rc == 0 ? 1 : rc;
      if (i == reported)
        results[i].log = output.substr(end);
    }
    parse_diff_log(results[i]);
  }
  std::ofstream log(log_path, std::ios::app);
  for (const DiffResult &r : results) {
    log << "Run create-diff-object on " << r.object << "\n" << r.log;
    if (!r.log.empty() && r.log.back() != '\n')
      log << "\n";
  }
  return results;
}

} // namespace lp::payload
