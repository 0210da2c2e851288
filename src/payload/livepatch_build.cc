// The livepatch-build pipeline.
//
// Build phase (skipped by -k build):
//   1. pre-flight: output folder absent, CONFIG_LIVEPATCH=y, CONFIG_DEBUG vs
//      --xen-debug, `patch --dry-run` against the user's tree (read only);
//   2. the original build: found in the cache (build_cache.h) or done once,
//      in a private copy of the tree, with livepatch-gcc already in
//      CROSS_COMPILE and the build date and time pinned;
//   3. the patched build: the patch applied to the cache's build copy, #line
//      directives added below its hunks (line_directives.h), then either the
//      fast path (only the affected objects compiled from the original
//      build's records, fast_build.h) or an incremental make, with capture
//      on; build_path.h decides and says why (--check-fast-path runs both
//      and compares, fast_path_check.h). Originals of the rebuilt objects
//      come from the pristine copy; xen-syms and the special-section sizes
//      are recorded in the output folder;
//   4. side compiles: changed C objects without DWARF compiled again with -g
//      on both sides, for their types (side_compile.h).
// Diff phase (skipped by -k diff):
//   5. narrow the captured objects (object_capture.h) and run
//      create-diff-object on the changed ones in parallel (diff_runner.h),
//      with the side objects' types; merge the type-layout findings
//      (layout_report.h);
//   6. assemble the payload (assemble.h), sign it when asked (src/sign), and
//      run the offline loader check on the file that will ship: UPLOAD and
//      APPLY, on top of the --loaded payloads (loader_check.h).
//
// The user's tree is never written. Every failure maps to a distinct exit
// code (ARCHITECTURE.md); SIGINT stops the children and exits 130.
#include "payload/livepatch_build.h"

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "elf/image.h"
#include "lp_version.h"
#include "payload/assemble.h"
#include "payload/build_cache.h"
#include "payload/build_date.h"
#include "payload/build_environment.h"
#include "payload/build_id_note.h"
#include "payload/build_path.h"
#include "payload/build_records.h"
#include "payload/fast_build.h"
#include "payload/fast_path_check.h"
#include "payload/diff_runner.h"
#include "payload/line_directives.h"
#include "payload/digest.h"
#include "payload/disk_space.h"
#include "payload/loader_check.h"
#include "payload/object_capture.h"
#include "payload/patch_failure.h"
#include "payload/process.h"
#include "payload/run_report.h"
#include "payload/side_compile.h"
#include "payload/source_tree.h"
#include "payload/struct_sizes.h"
#include "payload/target_version.h"
#include "payload/tool_paths.h"
#include "sign/sign.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cctype>
#include <sstream>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

const std::string kTool = std::string("xen-livepatch-tools ") + LP_VERSION;
// What the cache entry holds besides the build: bumped when that changes, so
// that entries without it are built again (1: compile records, build_records.h).
const std::string kCacheLayout = "records 1";

void write_text(const std::string &path, const std::string &text) {
  lp::write_file_atomically(path, std::span(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
}

std::string first_line(const std::string &s) { return s.substr(0, s.find('\n')); }

// Lines of a build log worth showing: the compiler's diagnostics.
bool is_diagnostic(const std::string &line) {
  for (const char *marker : {"error", "Error", "ERROR", "undefined reference", "No rule to make"})
    if (line.find(marker) != std::string::npos)
      return true;
  return false;
}

std::string build_errors(const std::string &log) {
  std::istringstream in(lp::read_file(log));
  std::string line, out;
  int shown = 0;
  while (std::getline(in, line) && shown < 20)
    if (is_diagnostic(line)) {
      out += line + "\n";
      shown++;
    }
  return out;
}

std::string tool_or_die(const std::string &name) {
  auto path = find_tool(name);
  if (!path)
    throw BuildFailure{kExitError, "can't find supporting tools (" + name + ")"};
  return *path;
}

// "ccache gcc" in $CC: the launcher words before the compiler.
std::string launcher_from_cc() {
  const char *cc = std::getenv("CC");
  if (!cc)
    return "";
  std::istringstream in(cc);
  std::string word, launchers;
  while (in >> word) {
    std::string base = fs::path(word).filename().string();
    if (base == "ccache" || base == "distcc" || base == "sccache" || base == "icecc")
      launchers += word + " ";
    else
      break;
  }
  return launchers;
}

// An object's name in log lines: its path below xen/ ("common/table.o"), as
// create-diff-object names it and as Xen's tree does.
std::string object_below_xen(const std::string &obj) {
  return obj.starts_with("xen/") ? obj.substr(4) : obj;
}

class Pipeline {
public:
  explicit Pipeline(const Options &o)
      : o_(o), progress_(report_), name_(payload_name(o.patch)), out_(o.output) {
    report_.name = name_;
  }

  int run();

private:
  void preflight();
  void build_phase();
  void diff_phase();

  void original_build(CacheEntry &entry);
  void patched_build(CacheEntry &entry);
  BuildPathChoice choose_path(const CacheEntry &entry, BuildRecords &records);
  void fast_build(const CacheEntry &entry, const BuildRecords &records,
                  const std::vector<std::string> &objects, const std::string &capture,
                  const std::string &log);
  void check_fast_path(const CacheEntry &entry, const BuildRecords &records,
                       const BuildPathChoice &choice);
  SideCompileRequest side_compile_request(const CacheEntry &entry) const;
  void compile_for_types(SideCompiler &side);
  std::vector<std::string> make_command(const std::string &xen_dir, bool clean) const;
  ProcessOptions make_env(const std::string &log) const;
  void make_or_fail(const std::vector<std::string> &argv, const ProcessOptions &env,
                    const std::string &what);
  void apply_patch(const std::string &dir, bool dry_run);
  std::string cache_key_for_tree();

  std::vector<DiffResult> diff_objects(const ObjectPlan &plan);
  std::vector<std::string> copy_new_objects(const ObjectPlan &plan);
  std::string xen_syms_for_lookups() const;
  void choose_target(const std::string &xen_syms);
  void write_struct_sizes_if_missing(const std::string &xen_syms);
  void assemble(const std::string &xen_syms);
  void sign();
  void offline_check(const std::string &xen_syms);

  std::string path(const std::string &rel) const { return out_ + "/" + rel; }

  const Options &o_;
  RunReport report_;
  Progress progress_;
  std::string name_, out_;
  std::string wrapper_, make_debug_;
  std::map<std::string, std::string> build_env_;
  std::string build_root_; // the cache entry's build copy, while the build phase runs
  const elf::XenRelease *target_ = nullptr;
  std::string cache_root_, cache_key_;
  bool payload_final_ = false; // the payload passed every step: keep it on failure
  int fail(int code, const std::string &message, const std::string &detail = "");
};

void Pipeline::preflight() {
  if (o_.build_phase()) {
    if (fs::exists(out_))
      throw BuildFailure{kExitError, "Output directory exists"};
  } else if (!fs::is_directory(out_)) {
    throw BuildFailure{kExitError, "Output directory does not exist"};
  }
  std::string config = lp::read_file(o_.config);
  if (config.find("CONFIG_LIVEPATCH=y") == std::string::npos)
    throw BuildFailure{kExitError, o_.config + ": CONFIG_LIVEPATCH=y not set"};
  if (config.find("CONFIG_DEBUG") != std::string::npos) {
    if (o_.xen_debug && config.find("CONFIG_DEBUG=y") == std::string::npos)
      throw BuildFailure{kExitError, "CONFIG_DEBUG and --xen-debug mismatch"};
  } else {
    make_debug_ = o_.xen_debug ? "debug=y" : "debug=n";
  }
  if (!o_.depends.empty())
    parse_build_id_hex(o_.depends, "--depends");
  if (!o_.xen_depends.empty())
    parse_build_id_hex(o_.xen_depends, "--xen-depends");
  if (o_.build_phase()) {
    cache_root_ = o_.cache_dir.empty() ? default_cache_root() : o_.cache_dir;
    check_cache_root(cache_root_);
    apply_patch(o_.srcdir, true);
  }
  fs::create_directories(out_);
  remove_stale_temporaries(out_, true); // left by a run killed outright (-k build reuses out_)
  if (o_.build_phase())
    lp::copy_file_atomically(o_.config, path(".config"));
}

void Pipeline::apply_patch(const std::string &dir, bool dry_run) {
  // Not -s: patch's output names the file and hunk that fail (patch_failure.h).
  std::vector<std::string> argv = {"patch", "-d", dir, "-p1", "--fuzz=0", "-f", "-N",
                                   "-i", o_.patch};
  if (dry_run)
    argv.insert(argv.begin() + 1, "--dry-run");
  std::string output;
  int rc = run_capture(argv, output);
  check_interrupted();
  if (rc != 0)
    throw BuildFailure{kExitPatchFailed,
                       "Source patch file failed to apply: " +
                           describe_patch_failure(output, lp::read_file(o_.patch),
                                                  fs::path(o_.patch).filename().string())};
}

std::vector<std::string> Pipeline::make_command(const std::string &xen_dir, bool clean) const {
  std::vector<std::string> argv = {"make", "-C", xen_dir, fmt::format("-j{}", o_.cpus)};
  if (clean)
    argv.push_back("clean");
  if (!make_debug_.empty())
    argv.push_back(make_debug_);
  if (std::string launcher = launcher_from_cc(); !launcher.empty())
    argv.push_back("CC=" + wrapper_ + " " + launcher + "gcc");
  return argv;
}

ProcessOptions Pipeline::make_env(const std::string &log) const {
  ProcessOptions p;
  p.log = log;
  p.env = build_env_;
  p.env["CROSS_COMPILE"] = wrapper_ + " ";
  p.unset_env = {"LIVEPATCH_CAPTURE_DIR", "LIVEPATCH_BUILD_DIR", "LIVEPATCH_RECORD_DIR",
                 "MAKEFLAGS", "MFLAGS"};
  return p;
}

void Pipeline::make_or_fail(const std::vector<std::string> &argv, const ProcessOptions &env,
                            const std::string &what) {
  int rc = run_process(argv, env);
  check_interrupted();
  if (rc == 0)
    return;
  std::string log;
  try {
    log = lp::read_file(env.log);
  } catch (const FileError &) {
  }
  if (mentions_no_space(log) || filesystem_full(build_root_) || filesystem_full(out_))
    throw BuildFailure{kExitNoSpace,
                       fmt::format("{} ran out of disk space: no space left on device in {}; see {}",
                                   what, describe_location(fullest({build_root_, out_})), env.log),
                       build_errors(env.log)};
  throw BuildFailure{kExitBuildFailed, fmt::format("{} failed; see {}", what, env.log),
                     build_errors(env.log)};
}

std::string Pipeline::cache_key_for_tree() {
  std::string compiler;
  run_capture({"gcc", "--version"}, compiler);
  check_interrupted();
  CacheKeyInputs in;
  in.tree_hash = tree_content_hash(o_.srcdir);
  in.config_text = lp::read_file(o_.config);
  in.compiler_version = first_line(compiler);
  in.make_vars = make_debug_ + "|" + launcher_from_cc();
  if (auto epoch = source_date_epoch()) // entries with other pinned dates are other entries
    in.make_vars += fmt::format("|SOURCE_DATE_EPOCH={}", *epoch);
  in.tool_version = kTool + " (" + kCacheLayout + ")";
  return cache_key(in);
}

void Pipeline::original_build(CacheEntry &entry) {
  auto facts = entry.facts();
  if (entry.complete()) {
    report_.cache = "hit";
    build_env_ = {{"XEN_BUILD_DATE", facts["XEN_BUILD_DATE"]},
                  {"XEN_BUILD_TIME", facts["XEN_BUILD_TIME"]}};
    write_text(path("build_full_compile.log"), "original build reused from " + entry.dir() + "\n");
    if (entry.build_dirty()) {
      progress_.begin("restore", "Restoring the cached original build");
      if (std::string why = entry.dirty_reason(); !why.empty())
        fmt::print("            {}: restoring it from {}\n", why, entry.pristine());
      if (fs::is_directory(entry.build()))
        sync_tree(entry.pristine(), entry.build());
      else
        copy_tree(entry.pristine(), entry.build());
      entry.set_build_dirty(false);
    }
    return;
  }
  report_.cache = "miss";
  progress_.begin("full_build", fmt::format("Perform full initial build with {} CPU(s)", o_.cpus));
  BuildDate date = build_date(cache_key_);
  build_env_ = build_date_env(date.epoch);
  fmt::print("            build date {} (from the {})\n", build_env_["XEN_BUILD_DATE"], date.source);
  remove_tree(entry.pristine());
  remove_tree(entry.build());
  remove_tree(entry.records());
  copy_tree(o_.srcdir, entry.build());
  fs::copy_file(o_.config, entry.build() + "/xen/.config", fs::copy_options::overwrite_existing);
  if (!fs::exists(entry.build() + "/.scmversion"))
    write_text(entry.build() + "/.scmversion", "unavailable\n");
  std::string xen = entry.build() + "/xen";
  if (tree_has_objects(entry.build()))
    make_or_fail(make_command(xen, true), make_env(path("build_full_clean.log")), "make clean");
  else
    write_text(path("build_full_clean.log"), "source tree has no objects: make clean skipped\n");
  ProcessOptions env = make_env(path("build_full_compile.log"));
  env.env["LIVEPATCH_BUILD_DIR"] = entry.build() + "/";
  env.env["LIVEPATCH_RECORD_DIR"] = entry.records();
  env.unset_env = {"LIVEPATCH_CAPTURE_DIR", "MAKEFLAGS", "MFLAGS"};
  fs::create_directories(entry.records());
  write_text(entry.records() + "/environment", format_environment(build_environment()));
  make_or_fail(make_command(xen, false), env, "the original build");
  copy_tree(entry.build(), entry.pristine());
  entry.set_facts(build_env_);
  entry.mark_complete();
  entry.set_build_dirty(false);
}

// The fast path or make (build_path.h), said in one line and in --json.
BuildPathChoice Pipeline::choose_path(const CacheEntry &entry, BuildRecords &records) {
  BuildPathChoice choice;
  if (o_.no_fast_path) {
    choice.reason = "--no-fast-path given";
  } else {
    records = load_build_records(entry.records(), entry.build());
    RegenerateRequest regen;
    regen.wrapper = wrapper_;
    regen.pristine_root = entry.pristine();
    regen.scratch_dir = path("regenerated");
    ProcessOptions env = make_env("");
    regen.env = env.env;
    regen.unset_env = env.unset_env;
    choice = choose_build_path(lp::read_file(o_.patch), records, entry.pristine(), entry.build(),
                               [&](const CompileRecord &rec) {
                                 return regenerate_and_compare(rec, regen);
                               });
  }
  report_.build_path = choice.fast && !o_.check_fast_path ? "fast" : "make";
  report_.build_path_reason = choice.reason;
  if (o_.check_fast_path)
    report_.build_path_reason = (choice.fast ? "--check-fast-path: make, then the fast path to "
                                               "compare; "
                                             : "--check-fast-path: the fast path cannot be used: ") +
                                choice.reason;
  fmt::print("            build path: {}: {}\n", report_.build_path, report_.build_path_reason);
  return choice;
}

void Pipeline::fast_build(const CacheEntry &entry, const BuildRecords &records,
                          const std::vector<std::string> &objects, const std::string &capture,
                          const std::string &log) {
  FastBuildRequest req;
  for (const std::string &obj : objects)
    req.recipes.push_back(records.objects.at(obj));
  req.wrapper = wrapper_;
  req.build_root = entry.build();
  req.capture_dir = capture;
  ProcessOptions env = make_env(log);
  req.env = env.env;
  req.unset_env = {"LIVEPATCH_RECORD_DIR", "MAKEFLAGS", "MFLAGS", "DEPENDENCIES_OUTPUT",
                   "SUNPRO_DEPENDENCIES"};
  req.log = log;
  req.jobs = o_.cpus;
  run_fast_build(req);
}

// --check-fast-path, after make: the fast path's recipes in the same patched
// copy, captured apart, compared with what make captured.
void Pipeline::check_fast_path(const CacheEntry &entry, const BuildRecords &records,
                               const BuildPathChoice &choice) {
  if (!choice.fast) {
    report_.fast_path_check = "not run: " + choice.reason;
    return;
  }
  progress_.begin("fast_path_check", "Checking the fast path against make");
  std::string capture = path("fast-path-check/patched");
  fast_build(entry, records, choice.objects, capture, path("fast-path-check/build.log"));
  std::vector<std::string> touched = patched_files(lp::read_file(o_.patch));
  std::vector<std::string> diffs = compare_captures(path("patched"), capture, touched);
  if (!diffs.empty()) {
    report_.fast_path_check = "differs";
    std::string detail;
    for (const std::string &d : diffs)
      detail += d + "\n";
    throw BuildFailure{kExitFastPathDiffers,
                       fmt::format("the fast path is not equivalent to make for this patch: {} "
                                   "difference(s) in the rebuilt objects",
                                   diffs.size()),
                       detail};
  }
  size_t n = compared_objects(capture, touched).size();
  report_.fast_path_check = fmt::format("identical: {} object(s)", n);
  fmt::print("            the fast path rebuilt the same {} object(s) as make, byte for byte\n",
             n);
}

void Pipeline::patched_build(CacheEntry &entry) {
  progress_.begin("apply", "Applying the patch to the build copy");
  entry.set_build_dirty(true);
  apply_patch(entry.build(), false);
  for (const std::string &line : rewrite_build_copy(o_.patch, entry.pristine(), entry.build(), out_))
    fmt::print("            {}\n", line);
  BuildRecords records;
  BuildPathChoice choice = choose_path(entry, records);
  bool fast = choice.fast && !o_.check_fast_path;
  progress_.begin("patched_build", fast ? fmt::format("Compile {} object(s) with {} CPU(s)",
                                                      choice.objects.size(), o_.cpus)
                                        : fmt::format("Apply patch and build with {} CPU(s)",
                                                      o_.cpus));
  std::string capture = path("patched");
  fs::create_directories(capture);
  if (fast) {
    fast_build(entry, records, choice.objects, capture, path("build_patched_compile.log"));
  } else {
    ProcessOptions env = make_env(path("build_patched_compile.log"));
    env.env["LIVEPATCH_BUILD_DIR"] = entry.build() + "/";
    env.env["LIVEPATCH_CAPTURE_DIR"] = capture;
    env.unset_env = {"LIVEPATCH_RECORD_DIR", "MAKEFLAGS", "MFLAGS"};
    make_or_fail(make_command(entry.build() + "/xen", false), env, "the patched build");
  }
  if (o_.check_fast_path)
    check_fast_path(entry, records, choice);

  progress_.begin("originals", "Collecting original objects from the cached build");
  collect_originals(captured_objects(capture), entry.pristine(), path("original"));
  write_text(path("build_original_compile.log"),
             "original objects taken from the cached build " + entry.pristine() + "\n");
  lp::copy_file_atomically(entry.pristine() + "/xen/xen-syms", path("xen-syms"));
}

SideCompileRequest Pipeline::side_compile_request(const CacheEntry &entry) const {
  SideCompileRequest req;
  req.capture_dir = path("patched");
  req.original_dir = path("original");
  req.build_root = entry.build();
  req.pristine_root = entry.pristine();
  req.out_dir = path("debug-objects");
  req.log = path("build_debug_objects.log");
  req.jobs = o_.cpus;
  return req;
}

// After the patched build: the side compiles of the changed objects (those of
// the patch's own .c files may have run during the make already).
void Pipeline::compile_for_types(SideCompiler &side) {
  progress_.begin("debug_objects", "Compiling changed objects again with -g for their types");
  std::vector<std::string> touched = patched_files(lp::read_file(o_.patch));
  for (const SideCompileOutcome &o :
       side.finish(plan_objects(path("patched"), path("original"), touched).changed)) {
    report_.type_sources[type_source_name(o.source)].push_back(o.object);
    if (o.source == TypeSource::kNoRecord)
      fmt::print("            WARNING: {}: no compile record, type layouts not compared\n",
                 o.object);
  }
}

void Pipeline::build_phase() {
  std::string wrapper = tool_or_die("livepatch-gcc");
  progress_.begin("hash", "Hashing the source tree");
  cache_key_ = cache_key_for_tree();
  fmt::print("            original build cache: {}/{}\n", cache_root_, cache_key_);
  CacheEntry entry(cache_root_, cache_key_);
  build_root_ = entry.build();
  wrapper_ = entry.install_wrapper(wrapper);
  original_build(entry);
  SideCompiler side(side_compile_request(entry));
  std::vector<std::string> sources;
  for (const std::string &file : patched_files(lp::read_file(o_.patch)))
    if (std::string obj = object_of_source(file); !obj.empty())
      sources.push_back(obj);
  side.start_early(sources);
  patched_build(entry);
  compile_for_types(side);
  progress_.begin("struct_sizes", "Reading special section data");
  write_struct_sizes_if_missing(path("xen-syms"));
  progress_.end();
}

// The target release, once per run: --xen-version, xen/Makefile and xen-syms
// must agree (target_version.h).
void Pipeline::choose_target(const std::string &xen_syms) {
  if (target_)
    return;
  TargetVersion t = detect_target_version(o_.xen_version, o_.srcdir + "/xen", xen_syms);
  target_ = t.release;
  report_.xen_version = target_->version.str();
  fmt::print("            target Xen {} (from {})\n", report_.xen_version, t.how);
}

void Pipeline::write_struct_sizes_if_missing(const std::string &xen_syms) {
  choose_target(xen_syms);
  if (fs::exists(path("struct_sizes")))
    return;
  std::string source;
  StructSizes sizes =
      detect_struct_sizes(xen_syms, target_->version.major, target_->version.minor, source);
  write_text(path("struct_sizes"), format_struct_sizes(sizes));
  std::string text = format_struct_sizes(sizes);
  std::replace(text.begin(), text.end(), '\n', ' ');
  fmt::print("            special struct sizes from {}: {}\n", source, text);
}

std::string Pipeline::xen_syms_for_lookups() const {
  return o_.xen_syms.empty() ? path("xen-syms") : o_.xen_syms;
}

std::vector<DiffResult> Pipeline::diff_objects(const ObjectPlan &plan) {
  std::string cdo = tool_or_die("create-diff-object");
  std::vector<DiffJob> jobs;
  for (const std::string &obj : plan.changed) {
    fmt::print("Processing {}\n", obj);
    fs::create_directories(fs::path(path("output/" + obj)).parent_path());
    DiffJob job{obj, {}, path("output/" + obj)};
    if (o_.debug)
      job.args.push_back("-d");
    if (o_.prelink)
      job.args.push_back("-r");
    if (fs::exists(path("line-map")))
      job.args.insert(job.args.end(), {"--line-map", path("line-map")});
    // Log lines name the object by its path below xen/, as Xen names things.
    std::string below_xen = object_below_xen(obj);
    std::string original_debug = side_object_path(path("debug-objects"), "original", obj);
    std::string patched_debug = side_object_path(path("debug-objects"), "patched", obj);
    if (fs::exists(original_debug) && fs::exists(patched_debug))
      job.args.insert(job.args.end(), {"--original-debug", original_debug, "--patched-debug",
                                       patched_debug});
    job.args.insert(job.args.end(), {"--object-name", below_xen, "--xen-version",
                                     target_->version.str(), "--struct-sizes",
                                     path("struct_sizes"), path("original/" + obj),
                                     path("patched/" + obj), xen_syms_for_lookups(), job.output});
    jobs.push_back(std::move(job));
  }
  std::fflush(stdout);
  return run_diff_jobs(cdo, jobs, o_.cpus, path("create-diff-object.jobs"),
                       path("create-diff-object.log"));
}

std::vector<std::string> Pipeline::copy_new_objects(const ObjectPlan &plan) {
  std::vector<std::string> out;
  for (const std::string &obj : plan.new_objects) {
    fmt::print("New object {}\n", obj);
    fs::path dst = path("output/" + obj);
    fs::create_directories(dst.parent_path());
    lp::copy_file_atomically(path("patched/" + obj), dst.string());
    if (o_.strip) {
      std::string output;
      int rc = run_capture({"strip", "--strip-unneeded", dst.string()}, output);
      check_interrupted();
      if (rc != 0)
        throw BuildFailure{kExitError, dst.string() + ": strip failed", output};
    }
    out.push_back(dst.string());
  }
  return out;
}

void Pipeline::diff_phase() {
  progress_.begin("diff", "Extracting new and modified ELF sections");
  if (!fs::is_directory(path("patched")) || !fs::is_directory(path("original")))
    throw BuildFailure{kExitError, "no changed objects found"};
  std::vector<std::string> touched = patched_files(lp::read_file(o_.patch));
  ObjectPlan plan = plan_objects(path("patched"), path("original"), touched);
  report_.objects_rebuilt = plan.rebuilt;
  report_.objects_diffed = plan.changed;
  report_.objects_new = plan.new_objects;
  report_.objects_ignored = plan.compile_h_only;
  for (const auto &obj : plan.compile_h_only)
    fmt::print("Ignoring {}: rebuilt only because compile.h changed\n", obj);
  std::string xen_syms = xen_syms_for_lookups();
  write_struct_sizes_if_missing(xen_syms);

  std::vector<DiffResult> results = diff_objects(plan);
  check_interrupted();
  std::vector<std::string> objects;
  int errors = 0, unsupported = 0;
  std::string detail;
  for (const DiffResult &r : results)
    for (const std::string &line : r.layout)
      add_layout_line(report_.layout, object_below_xen(r.object), line);
  for (const std::string &line : layout_refusal_lines(report_.layout)) {
    report_.refusals.push_back(line);
    detail += line + "\n";
  }
  for (const std::string &note : layout_notes(report_.layout))
    fmt::print("            {}\n", note);
  for (const DiffResult &r : results) {
    report_.functions_changed.insert(report_.functions_changed.end(), r.changed.begin(), r.changed.end());
    report_.functions_new.insert(report_.functions_new.end(), r.added.begin(), r.added.end());
    for (const auto &[name, reason] : r.ignored)
      report_.functions_ignored.push_back({r.object, name, reason});
    if (r.status == 0) {
      objects.push_back(path("output/" + r.object));
    } else if (r.status == 2) {
      unsupported++;
      // create-diff-object's lines already start with the object's name.
      for (const auto &e : r.errors) {
        report_.refusals.push_back(e);
        detail += e + "\n";
      }
    } else if (r.status != 3) {
      errors++;
      detail += fmt::format("create-diff-object {} rc {}\n", r.object, r.status);
      for (const auto &e : r.errors)
        detail += e + "\n";
    }
  }
  if (unsupported)
    throw BuildFailure{kExitUnsupported,
                       fmt::format("{} object(s) with unsupported changes; see {}", unsupported,
                                   path("create-diff-object.log")),
                       detail};
  if (errors)
    throw BuildFailure{kExitError, fmt::format("{} error(s) encountered", errors), detail};
  std::vector<std::string> added = copy_new_objects(plan);
  objects.insert(objects.end(), added.begin(), added.end());
  if (objects.empty())
    throw BuildFailure{kExitNoChange, "no functional changes found"};
  assemble(xen_syms);
  sign();
  offline_check(xen_syms);
}

// Signs the payload in place (atomically) when --sign-key was given; the
// loader check that follows sees the file that will ship.
void Pipeline::sign() {
  if (o_.sign_key.empty())
    return;
  progress_.begin("sign", fmt::format("Signing the payload ({})", o_.sign_format));
  lp::sign::SignOptions opt;
  opt.format = o_.sign_format == "appended" ? lp::sign::Format::appended : lp::sign::Format::note;
  opt.key = o_.sign_key;
  opt.cert = o_.sign_cert;
  opt.passphrase_file = o_.sign_passphrase_file;
  lp::sign::sign_file(report_.payload, report_.payload, opt);
  report_.signature = o_.sign_format;
  report_.payload_size = fs::file_size(report_.payload);
}

void Pipeline::assemble(const std::string &xen_syms) {
  progress_.begin("link", "Creating patch module");
  std::vector<std::string> objects;
  for (auto it = fs::recursive_directory_iterator(path("output"));
       it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file() && it->path().extension() == ".o")
      objects.push_back(it->path().string());
  auto xen = elf::LinkedImage::open(xen_syms);
  AssembleRequest req;
  req.objects = objects;
  req.linked_path = path("output.o");
  req.output = path(name_ + ".livepatch");
  req.depends = parse_build_id_hex(o_.depends, "--depends");
  if (!o_.xen_depends.empty()) {
    req.xen_depends = parse_build_id_hex(o_.xen_depends, "--xen-depends");
  } else if (auto id = xen.build_id()) {
    req.xen_depends = *id;
  } else {
    throw BuildFailure{kExitError, xen_syms + ": no build-id to use as --xen-depends"};
  }
  if (o_.expect)
    check_expectations_allowed(req.depends, req.xen_depends);
  lp::write_file_atomically(path("depends.bin"), build_id_note(req.depends));
  lp::write_file_atomically(path("xen_depends.bin"), build_id_note(req.xen_depends));
  auto patch_bytes = lp::read_file(o_.patch);
  req.modinfo = {name_,
                 to_hex(sha256(std::span(reinterpret_cast<const uint8_t *>(patch_bytes.data()),
                                         patch_bytes.size()))),
                 kTool, to_hex(req.xen_depends), target_->version.str(),
                 accepted_layout_reasons(report_.layout)};
  if (o_.prelink)
    req.prelink_against = &xen;
  if (o_.expect)
    req.expect_against = &xen;
  AssembleResult res = assemble_payload(req);
  report_.payload = req.output;
  report_.payload_size = res.size;
  report_.build_id = to_hex(res.build_id);
  report_.depends = to_hex(req.depends);
  report_.xen_depends = to_hex(req.xen_depends);
  report_.stripped_symbols = res.stripped;
  if (o_.prelink) {
    std::string log;
    for (const auto &sym : res.prelinked)
      log += fmt::format("{} -> {:#x}\n", sym.name, sym.address);
    write_text(path("prelink.log"), log);
  }
  for (const auto &f : res.functions)
    fmt::print("            function: {}\n", f);
}

void Pipeline::offline_check(const std::string &xen_syms) {
  progress_.begin("check", "Checking the payload against xen-syms");
  auto check = find_tool("livepatch-check");
  if (!check) {
    report_.check = "skipped: livepatch-check not found";
    fmt::print("            WARNING: livepatch-check not found; offline loader check skipped\n");
    payload_final_ = true;
    return;
  }
  auto xen_id = elf::LinkedImage::open(xen_syms).build_id();
  LoaderCheck plan = loader_check(*check, xen_syms, target_->version.str(),
                                  xen_id ? to_hex(*xen_id) : "", report_.depends, o_.loaded,
                                  report_.payload);
  std::string output;
  int rc = run_capture(plan.argv, output);
  check_interrupted();
  write_text(path("livepatch-check.log"), output);
  if (!plan.note.empty())
    fmt::print("            note: {}\n", plan.note);
  if (rc == 0) {
    report_.check = "passed";
    payload_final_ = true;
    return;
  }
  if (xen_id && to_hex(*xen_id) != report_.xen_depends)
    output += fmt::format("note: --xen-depends {} is not the build-id of {} ({}); pass --xen-syms "
                          "of the hypervisor the payload is for\n",
                          report_.xen_depends, xen_syms, to_hex(*xen_id));
  std::string refused = report_.payload + ".refused";
  fs::rename(report_.payload, refused);
  report_.check = "refused";
  report_.payload.clear();
  throw BuildFailure{kExitCheckRefused,
                     fmt::format("the loader check refused the payload (kept as {})", refused),
                     output};
}

int Pipeline::run() {
  try {
    fmt::print("Building LivePatch patch: {}\n\nXen directory: {}\nPatch file: {}\n"
               ".config file: {}\nOutput directory: {}\n\n",
               name_, o_.srcdir, o_.patch, o_.config, out_);
    std::fflush(stdout);
    preflight();
    if (o_.build_phase())
      build_phase();
    if (o_.diff_phase())
      diff_phase();
    progress_.end();
    if (o_.diff_phase())
      fmt::print("{}.livepatch created successfully\n", name_);
    report_.exit_code = kExitOk;
  } catch (const BuildFailure &f) {
    fail(f.code, f.message, f.detail);
  } catch (const FileError &e) {
    bool full = mentions_no_space(e.problem());
    fail(full ? kExitNoSpace : kExitError, full ? no_space_writing(e.file()) : e.what());
  } catch (const Interrupted &) {
    fail(kExitInterrupted, "interrupted");
  } catch (const fs::filesystem_error &e) {
    bool full = is_no_space_errno(e.code().value());
    std::string where = (e.path2().empty() ? e.path1() : e.path2()).string();
    fail(full ? kExitNoSpace : kExitError, full ? no_space_writing(where) : e.what());
  }
  if (!o_.json.empty()) {
    try {
      write_text(o_.json, report_text(report_json(report_)));
    } catch (const FileError &e) {
      bool full = mentions_no_space(e.problem());
      fmt::print(stderr, "ERROR: {}.\n", full ? no_space_writing(e.file()) : e.what());
      if (report_.exit_code == kExitOk)
        report_.exit_code = full ? kExitNoSpace : kExitError;
    }
  }
  return report_.exit_code;
}

// Reports a failed run. Whatever failed, a run that was interrupted exits 130
// (a tool stopped by Ctrl-C fails in its own way), and a payload that did not
// pass every step is removed: an interrupted or failed run leaves no payload.
int Pipeline::fail(int code, const std::string &message, const std::string &detail) {
  progress_.end();
  if (interrupted()) {
    code = kExitInterrupted;
    fmt::print(stderr, "\nERROR: interrupted.\n");
  } else {
    if (!detail.empty())
      fmt::print(stderr, "{}{}", detail, detail.back() == '\n' ? "" : "\n");
    fmt::print(stderr, "ERROR: {}.\n", message);
  }
  if (!report_.payload.empty() && !payload_final_) {
    std::error_code ec;
    fs::remove(report_.payload, ec);
    report_.payload.clear();
  }
  report_.exit_code = code;
  report_.error = code == kExitInterrupted ? "interrupted" : message;
  return code;
}

} // namespace

int run_livepatch_build(const Options &options) {
  install_interrupt_handlers();
  return Pipeline(options).run();
}

} // namespace lp::payload
