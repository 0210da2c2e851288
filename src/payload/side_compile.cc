// Side compiles with -g for the type-layout check (see side_compile.h).
#include "payload/side_compile.h"

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "payload/compile_record.h"
#include "payload/livepatch_build.h"
#include "payload/process.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>
#include <span>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace lp::payload {
namespace fs = std::filesystem;

// One compile: an object's side, its command and what came of it.
struct SideCompiler::Job {
  std::string object;
  std::string side; // "original" or "patched"
  std::vector<std::string> argv;
  std::string cwd;
  std::string output;
  int status = -1;
  std::string log;
};

namespace {

// Options that make the compiler write a file other than the object.
enum class Drop { kAlone, kWithNext, kJoined };
struct OutputOption {
  std::string_view name;
  Drop how;
};
constexpr std::array<OutputOption, 14> kOutputOptions = {{
    {"-o", Drop::kWithNext},  {"-MF", Drop::kWithNext},   {"-MT", Drop::kWithNext},
    {"-MQ", Drop::kWithNext}, {"-MD", Drop::kAlone},      {"-MMD", Drop::kAlone},
    {"-MP", Drop::kAlone},    {"-MG", Drop::kAlone},      {"-save-temps", Drop::kAlone},
    {"-save-temps=", Drop::kJoined}, {"-o", Drop::kJoined}, {"-MF", Drop::kJoined},
    {"-MT", Drop::kJoined},   {"-MQ", Drop::kJoined},
}};

// How `arg` is dropped, if it is an output option.
std::optional<Drop> output_option(const std::string &arg) {
  for (const OutputOption &o : kOutputOptions) {
    bool exact = arg == o.name && o.how != Drop::kJoined;
    bool joined = o.how == Drop::kJoined && arg.size() > o.name.size() && arg.starts_with(o.name);
    if (exact || joined)
      return o.how;
  }
  return std::nullopt;
}

// -Wp,-MD,file (Xen 4.17's dependency output) and -Wp,-MMD,file: the
// dependency pair removed from the list; nullopt if nothing is left.
std::optional<std::string> without_preprocessor_deps(const std::string &arg) {
  std::vector<std::string> parts;
  std::istringstream in(arg.substr(4));
  std::string part;
  while (std::getline(in, part, ','))
    parts.push_back(part);
  std::string kept;
  for (size_t i = 0; i < parts.size(); i++) {
    if (parts[i] == "-MD" || parts[i] == "-MMD") {
      i++;
      continue;
    }
    kept += "," + parts[i];
  }
  if (kept.empty())
    return std::nullopt;
  return "-Wp" + kept;
}

enum class Side { kOriginal, kPatched };
const char *side_name(Side s) { return s == Side::kOriginal ? "original" : "patched"; }

using Job = SideCompiler::Job;

std::string read_record_text(const std::string &capture_dir, const std::string &object) {
  std::string path = compile_record_path(capture_dir + "/" + object);
  std::error_code ec;
  if (!fs::exists(path, ec))
    return "";
  return lp::read_file(path);
}

CompileRecord parse_or_fail(const std::string &text, const std::string &root,
                            const std::string &path) {
  std::string error;
  auto rec = parse_compile_record(text, root, error);
  if (!rec)
    throw FileError(path, error);
  return *rec;
}

// C, assembly or unknown, from the record alone.
TypeSource record_source(const SideCompileRequest &r, const std::string &object,
                         const std::string &record_text) {
  if (record_text.empty())
    return TypeSource::kNoRecord;
  CompileRecord rec = parse_or_fail(record_text, r.build_root,
                                    compile_record_path(r.capture_dir + "/" + object));
  if (rec.source.empty())
    return TypeSource::kNoRecord;
  return is_c_source(rec.source) ? TypeSource::kSideObjects : TypeSource::kAssembly;
}

TypeSource type_source(const SideCompileRequest &r, const std::string &object,
                       const std::string &record_text) {
  if (has_dwarf(r.capture_dir + "/" + object) && has_dwarf(r.original_dir + "/" + object))
    return TypeSource::kOwnDwarf;
  return record_source(r, object, record_text);
}

// The two jobs of one object: the record replayed on each side.
std::vector<std::unique_ptr<Job>> jobs_for(const SideCompileRequest &r, const std::string &object,
                                           const std::string &text) {
  std::string record_path = compile_record_path(r.capture_dir + "/" + object);
  CompileRecord patched = parse_or_fail(text, r.build_root, record_path);
  CompileRecord original = parse_or_fail(text, r.pristine_root, record_path);
  std::string map = "-fdebug-prefix-map=" + fs::path(r.pristine_root).lexically_normal().string() +
                    "=" + fs::path(r.build_root).lexically_normal().string();
  std::vector<std::unique_ptr<Job>> jobs;
  for (Side side : {Side::kOriginal, Side::kPatched}) {
    const CompileRecord &rec = side == Side::kOriginal ? original : patched;
    auto j = std::make_unique<Job>();
    j->object = object;
    j->side = side_name(side);
    j->output = side_object_path(r.out_dir, j->side, object);
    j->cwd = rec.directory;
    std::vector<std::string> extra;
    if (side == Side::kOriginal)
      extra.push_back(map);
    j->argv = side_compile_argv(rec.argv, j->output, extra);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

void run_one(Job &j) {
  fs::create_directories(fs::path(j.output).parent_path());
  ProcessOptions p;
  p.cwd = j.cwd;
  p.unset_env = {"DEPENDENCIES_OUTPUT", "SUNPRO_DEPENDENCIES", "LIVEPATCH_CAPTURE_DIR",
                 "LIVEPATCH_BUILD_DIR"};
  j.status = run_capture(j.argv, j.log, p);
}

void run_jobs(const std::vector<Job *> &jobs, unsigned parallel) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      if (interrupted())
        return;
      run_one(*jobs[i]);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, parallel) && t < jobs.size(); t++)
    threads.emplace_back(worker);
  for (auto &t : threads)
    t.join();
}

void write_log(const std::string &path, const std::vector<Job *> &jobs) {
  std::string text;
  for (const Job *j : jobs)
    text += fmt::format("{} ({}): cd {} && {}\n{}", j->object, j->side, j->cwd,
                        command_text(j->argv), j->log);
  lp::write_file_atomically(path, std::span(reinterpret_cast<const uint8_t *>(text.data()),
                                            text.size()));
}

} // namespace

const char *type_source_name(TypeSource source) {
  static const std::array<const char *, 4> names = {"side_objects", "own_dwarf", "assembly",
                                                    "no_record"};
  return names[static_cast<size_t>(source)];
}

std::vector<std::string> side_compile_argv(const std::vector<std::string> &recorded,
                                           const std::string &output,
                                           const std::vector<std::string> &extra) {
  std::vector<std::string> argv;
  for (size_t i = 0; i < recorded.size(); i++) {
    const std::string &arg = recorded[i];
    if (auto how = output_option(arg)) {
      if (*how == Drop::kWithNext)
        i++;
      continue;
    }
    if (arg.starts_with("-Wp,")) {
      if (auto kept = without_preprocessor_deps(arg))
        argv.push_back(*kept);
      continue;
    }
    argv.push_back(arg);
  }
  argv.insert(argv.end(), {"-o", output, "-g", "-fno-var-tracking",
                           "-fno-var-tracking-assignments"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::string side_object_path(const std::string &out_dir, const std::string &side,
                             const std::string &object) {
  return out_dir + "/" + side + "/" + object;
}

bool has_dwarf(const std::string &elf_path) {
  int fd = ::open(elf_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw FileError(elf_path, "cannot open");
  elf_version(EV_CURRENT);
  Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  bool found = false;
  size_t shstrndx = 0;
  if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0) {
    for (Elf_Scn *scn = elf_nextscn(elf, nullptr); scn && !found; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr shdr;
      const char *name = gelf_getshdr(scn, &shdr) ? elf_strptr(elf, shstrndx, shdr.sh_name) : nullptr;
      found = name && std::string_view(name) == ".debug_info";
    }
  }
  if (elf)
    elf_end(elf);
  ::close(fd);
  return found;
}

SideCompiler::SideCompiler(SideCompileRequest request) : r_(std::move(request)) {}

SideCompiler::~SideCompiler() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

void SideCompiler::start_early(std::vector<std::string> objects) {
  early_ = std::move(objects);
  if (!early_.empty())
    thread_ = std::thread([this] { watch(); });
}

// The early thread: each watched object's compiles, both sides, one process
// at a time, as soon as its record exists. An object whose original already
// has DWARF, or whose record is not C, is left to finish(), which decides.
void SideCompiler::watch() {
  std::vector<std::string> pending = early_;
  while (!pending.empty() && !stop_ && !interrupted()) {
    auto ready = std::find_if(pending.begin(), pending.end(), [&](const std::string &o) {
      return fs::exists(compile_record_path(r_.capture_dir + "/" + o));
    });
    if (ready == pending.end()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    std::string object = *ready;
    pending.erase(ready);
    try {
      std::string text = read_record_text(r_.capture_dir, object);
      std::string original = r_.pristine_root + "/" + object;
      if (!fs::exists(original) || has_dwarf(original) ||
          record_source(r_, object, text) != TypeSource::kSideObjects)
        continue;
      for (auto &j : jobs_for(r_, object, text)) {
        run_one(*j);
        done_.push_back(std::move(j));
      }
    } catch (const FileError &) {
      // finish() reads the record again and reports the problem.
    }
  }
}

std::vector<SideCompileOutcome> SideCompiler::finish(const std::vector<std::string> &objects) {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
  check_interrupted();
  std::map<std::string, std::vector<Job *>> early;
  for (auto &j : done_)
    early[j->object].push_back(j.get());
  std::vector<SideCompileOutcome> outcomes;
  std::vector<std::unique_ptr<Job>> later;
  std::vector<Job *> all, todo;
  for (const std::string &object : objects) {
    std::string text = read_record_text(r_.capture_dir, object);
    TypeSource source = type_source(r_, object, text);
    outcomes.push_back({object, source});
    if (source != TypeSource::kSideObjects)
      continue;
    if (auto e = early.find(object); e != early.end() && e->second.size() == 2) {
      all.insert(all.end(), e->second.begin(), e->second.end());
      continue;
    }
    for (auto &j : jobs_for(r_, object, text)) {
      all.push_back(j.get());
      todo.push_back(j.get());
      later.push_back(std::move(j));
    }
  }
  run_jobs(todo, r_.jobs);
  check_interrupted();
  write_log(r_.log, all);
  for (const Job *j : all)
    if (j->status != 0)
      fs::remove(j->output);
  for (const Job *j : all)
    if (j->status != 0)
      throw BuildFailure{kExitBuildFailed,
                         fmt::format("{}: the compile with -g for its types failed ({} side); "
                                     "see {}",
                                     j->object, j->side, r_.log),
                         j->log};
  return outcomes;
}

std::vector<SideCompileOutcome> compile_side_objects(const SideCompileRequest &request) {
  return SideCompiler(request).finish(request.objects);
}

std::string object_of_source(const std::string &source) {
  if (!is_c_source(source))
    return "";
  return source.substr(0, source.size() - 2) + ".o";
}

} // namespace lp::payload
