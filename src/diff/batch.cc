// create-diff-object --batch (see batch.h).
//
// Workers take the next job index from a counter and store its outcome; the
// calling thread writes the records in job order as they become available,
// so the output does not depend on scheduling. Each job is one
// create_diff_object() call with its own decoder, readers and log, as in a
// one-pair process, its line parsed by the worker's CommandLineParser (one
// CLI11 option set per thread); what the jobs share is the ImageCache (xen-syms mapped
// and validated once; lookups are locked inside LinkedImage). libelf
// descriptors, libdw sessions and instruction decoders are never shared
// between threads: each call makes its own, and libelf's one-time set-up
// (elf_version) runs under std::call_once.
#include "diff/batch.h"

#include "diff/command_line.h"
#include "diff/create_diff_object.h"
#include "elf/atomic_file.h"
#include "elf/error.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fmt/format.h>
#include <mutex>
#include <optional>
#include <thread>

namespace lp::diff {
namespace {

// Splits one job line at tabs and undoes the escapes; nullopt on a bad escape.
std::optional<std::vector<std::string>> split_job(std::string_view line) {
  std::vector<std::string> args(1);
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\t') {
      args.emplace_back();
      continue;
    }
    if (c == '\\') {
      if (++i == line.size())
        return std::nullopt;
      static constexpr std::pair<char, char> kEscapes[] = {{'t', '\t'}, {'n', '\n'}, {'\\', '\\'}};
      auto it = std::find_if(std::begin(kEscapes), std::end(kEscapes),
                             [&](auto e) { return e.first == line[i]; });
      if (it == std::end(kEscapes))
        return std::nullopt;
      c = it->second;
    }
    args.back() += c;
  }
  return args;
}

std::string job_text(const Result &r) {
  std::string text;
  for (const std::string &line : r.log)
    text += line + "\n";
  if (r.status == kError)
    text += r.error + "\n";
  return text;
}

} // namespace

std::vector<std::vector<std::string>> read_batch_jobs(const std::string &path) {
  std::string text = read_file(path);
  std::vector<std::vector<std::string>> jobs;
  size_t line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos)
      end = text.size();
    ++line_no;
    std::string_view line(text.data() + at, end - at);
    at = end + 1;
    if (line.empty())
      continue;
    auto args = split_job(line);
    if (!args)
      throw FileError(path, fmt::format("line {}: a backslash must be followed by t, n or \\",
                                        line_no));
    jobs.push_back(std::move(*args));
  }
  return jobs;
}

BatchOutcome run_batch_job(const std::vector<std::string> &args, ImageCache &images,
                           CommandLineParser &parser) {
  CommandLine c = parser.parse(args);
  if (c.exit)
    return {*c.exit, c.out + c.err};
  Result r = create_diff_object(c.options, nullptr, &images);
  return {static_cast<int>(r.status), job_text(r)};
}

std::string batch_record_header(size_t index, int status, size_t length) {
  return fmt::format("== {} {} {}\n", index, status, length);
}

void run_batch(const std::vector<std::vector<std::string>> &jobs, unsigned workers,
               std::FILE *out) {
  ImageCache images;
  std::vector<std::optional<BatchOutcome>> done(jobs.size());
  std::mutex m;
  std::condition_variable ready;
  std::atomic<size_t> next{0};
  auto work = [&] {
    CommandLineParser parser;
    for (size_t i = next++; i < jobs.size(); i = next++) {
      BatchOutcome o = run_batch_job(jobs[i], images, parser);
      std::lock_guard<std::mutex> lock(m);
      done[i] = std::move(o);
      ready.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, workers) && t < jobs.size(); ++t)
    threads.emplace_back(work);
  for (size_t i = 0; i < jobs.size(); ++i) {
    BatchOutcome o;
    {
      std::unique_lock<std::mutex> lock(m);
      ready.wait(lock, [&] { return done[i].has_value(); });
      o = std::move(*done[i]);
      done[i].reset();
    }
    std::string header = batch_record_header(i, o.status, o.text.size());
    std::fwrite(header.data(), 1, header.size(), out);
    std::fwrite(o.text.data(), 1, o.text.size(), out);
    std::fflush(out);
  }
  for (std::thread &t : threads)
    t.join();
}

} // namespace lp::diff
