// Parallel create-diff-object (see diff_runner.h).
#include "payload/diff_runner.h"

#include "payload/layout_report.h"
#include "payload/process.h"

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

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

void run_one(const DiffJob &job, DiffResult &r) {
  r.object = job.object;
  r.status = run_capture(job.argv, r.log);
  parse_diff_log(r);
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

std::vector<DiffResult> run_diff_jobs(const std::vector<DiffJob> &jobs, unsigned parallel,
                                      const std::string &log_path) {
  std::vector<DiffResult> results(jobs.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      if (interrupted())
        return;
      run_one(jobs[i], results[i]);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, parallel) && t < jobs.size(); t++)
    threads.emplace_back(worker);
  for (auto &t : threads)
    t.join();
  std::ofstream log(log_path, std::ios::app);
  for (const DiffResult &r : results) {
    if (r.object.empty())
      continue;
    log << "Run create-diff-object on " << r.object << "\n" << r.log;
    if (!r.log.empty() && r.log.back() != '\n')
      log << "\n";
  }
  return results;
}

} // namespace lp::payload
