// create-diff-object --batch: many object pairs in one process.
//
// A payload diffs every changed object of a patch against the same xen-syms.
// Run as one process per object, each run pays the process start-up and
// reads xen-syms again; the batch form pays both once and diffs the objects
// in parallel threads:
//
//   create-diff-object --batch JOBS [-j N]
//
// JOBS is a text file with one job per line: the arguments of a one-pair run
// (options, original.o, patched.o, xen-syms, output.o) separated by tabs,
// with `\t`, `\n` and `\\` standing for a tab, a newline and a backslash
// inside an argument. Each job runs exactly as the one-pair command with
// those arguments would (the same engine call, the same output object, JSON
// and log text), except that a xen-syms named by several jobs is opened once
// and shared (ImageCache). N workers (default 1) take jobs in order.
//
// Standard output is one record per job, in job order, each written as soon
// as it and every job before it are done:
//
//   == <job index, from 0> <exit status> <length in bytes>\n
//   <what the one-pair run would print: its stdout, then its stderr>
//
// The batch itself exits 0 once every job ran, whatever their statuses; 1
// (one line on stderr) when the job file cannot be read or -j is invalid.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace lp::diff {

// One job's outcome, as a one-pair run would have ended.
struct BatchOutcome {
  int status = 0;
  std::string text; // stdout, then stderr
};

// Reads a JOBS file. Throws lp::FileError naming the file and line.
std::vector<std::vector<std::string>> read_batch_jobs(const std::string &path);

// Runs one job with arguments `args` (no program name), sharing `images`,
// its command line read by the calling thread's `parser`.
class ImageCache;
class CommandLineParser;
BatchOutcome run_batch_job(const std::vector<std::string> &args, ImageCache &images,
                           CommandLineParser &parser);

// Runs every job with `workers` threads, writing the records to `out`.
void run_batch(const std::vector<std::vector<std::string>> &jobs, unsigned workers,
               std::FILE *out);

// The record header for one job ("== <index> <status> <length>\n").
std::string batch_record_header(size_t index, int status, size_t length);

} // namespace lp::diff
