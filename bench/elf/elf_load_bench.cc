// Benchmark: how long the object model takes to load a large object, against
// how long `readelf -W -S -s -r` takes to print the same file, in the same run
// on the same machine, so the ratio compares across machines.
//
// The object is generated C compiled by gcc: 10,000 functions, each in its own
// section (-ffunction-sections), each making three calls and one data
// reference, i.e. 40,000 relocations. -O1 keeps the calls (no inlining, no
// sibling calls) and unwind tables are off so every relocation is one of ours.
// Times are the median of 5 runs. Goal: ratio readelf/model > 1.
#include "elf/reader.h"
#include "elf/writer.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr int kFunctions = 10000;
constexpr int kGlobals = 100;
constexpr int kRuns = 5;

std::string generate_source() {
  std::string src;
  src.reserve(kFunctions * 120);
  for (int g = 0; g < kGlobals; ++g)
    src += fmt::format("extern int v{};\n", g);
  for (int i = 0; i < kFunctions; ++i)
    src += fmt::format("int f{}(int);\n", i);
  for (int i = 0; i < kFunctions; ++i)
    src += fmt::format("int f{}(int x) {{ return f{}(x) + f{}(x + 1) + f{}(x + 2) + v{}; }}\n", i,
                       (i * 7 + 1) % kFunctions, (i * 13 + 2) % kFunctions,
                       (i * 31 + 3) % kFunctions, i % kGlobals);
  return src;
}

double median_ms(const std::function<void()> &fn) {
  std::vector<double> ms;
  for (int i = 0; i < kRuns; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[kRuns / 2];
}

int run_or_die(const std::string &cmd) {
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    fmt::print(stderr, "elf_load_bench: command failed: {}\n", cmd);
    std::exit(1);
  }
  return rc;
}

} // namespace

int main() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("lp-elf-bench-{}", getpid());
  fs::create_directories(dir);
  const std::string src = (dir / "big.c").string(), obj = (dir / "big.o").string();
  std::ofstream(src) << generate_source();
  fmt::print("generating {} functions with gcc...\n", kFunctions);
  run_or_die(fmt::format("gcc -O1 -fno-inline -fno-optimize-sibling-calls -ffunction-sections "
                         "-fno-asynchronous-unwind-tables -fno-pie -c {} -o {}",
                         src, obj));

  size_t sections = 0, relocations = 0;
  const double model_ms = median_ms([&] {
    lp::elf::Object o = lp::elf::read_object(obj);
    sections = o.sections.size();
    relocations = 0;
    for (const auto &s : o.sections)
      relocations += s->relas.size();
  });
  lp::elf::Object o = lp::elf::read_object(obj);
  const double write_ms = median_ms([&] { (void)lp::elf::serialize(o); });
  const double readelf_ms =
      median_ms([&] { run_or_die(fmt::format("readelf -W -S -s -r {} >/dev/null", obj)); });

  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  fmt::print("object: {} sections, {} relocations, {} bytes\n", sections, relocations,
             fs::file_size(obj));
  fmt::print("read_object (median of {}):           {:8.2f} ms\n", kRuns, model_ms);
  fmt::print("serialize   (median of {}):           {:8.2f} ms\n", kRuns, write_ms);
  fmt::print("readelf -W -S -s -r (median of {}):   {:8.2f} ms\n", kRuns, readelf_ms);
  fmt::print("ratio readelf / read_object:          {:8.2f}x (goal > 1)\n", readelf_ms / model_ms);
  fmt::print("peak RSS of this process:             {:8.1f} MiB\n", ru.ru_maxrss / 1024.0);
  fs::remove_all(dir);
  return 0;
}
