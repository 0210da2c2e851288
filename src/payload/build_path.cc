// The choice between the fast path and make (see build_path.h). Every reason
// to run make is a row of kForcesMake, checked in table order: first the
// build's records as a whole, then each file of the patch, then each object
// the fast path would compile, and last the generated outputs the patch's
// files went into, made again (the only rows that run a compiler). The first
// row that applies decides, and its text is the one line the user sees.
#include "payload/build_path.h"

#include "payload/build_environment.h"
#include "payload/compiler_wrapper.h"
#include "payload/line_directives.h"

#include <algorithm>
#include <array>
#include <map>
#include <filesystem>
#include <fmt/format.h>
#include <optional>
#include <set>
#include <string_view>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

std::string basename_of(const std::string &p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

bool has_suffix(const std::string &path, std::initializer_list<std::string_view> suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(),
                     [&](std::string_view s) { return path.ends_with(s); });
}

struct Context {
  const BuildRecords &records;
  std::string pristine, patched;
  std::vector<PatchedFile> files;
  const Regenerate &regenerate;
  std::set<std::string> objects; // what the fast path would compile
  // generated output -> why it stops the fast path (nullopt: unchanged), each
  // made again at most once
  mutable std::map<std::string, std::optional<std::string>> regenerated = {};
};

using Check = std::optional<std::string> (*)(const Context &, const PatchedFile &,
                                             const std::string &object);
enum class Scope { kBuild, kFile, kObject };

struct Rule {
  Scope scope;
  Check check;
};

using Why = std::optional<std::string>;

// -- the build's records ---------------------------------------------------
Why no_records(const Context &c, const PatchedFile &, const std::string &) {
  if (c.records.present)
    return std::nullopt;
  return "the cached original build has no compile records (made before livepatch-build kept "
         "them)";
}

Why unreadable_record(const Context &c, const PatchedFile &, const std::string &) {
  if (c.records.unreadable.empty())
    return std::nullopt;
  return "a compile record of the original build cannot be read: " + c.records.unreadable[0];
}

// The programs the original build's recorded commands start by name.
std::vector<std::string> recorded_programs(const BuildRecords &records) {
  std::set<std::string> out;
  for (const auto *recs : {&records.objects, &records.generated})
    for (const auto &[output, rec] : *recs)
      for (const auto *argv : {&rec.argv, &rec.post_argv})
        for (const std::string &program : command_programs(*argv))
          out.insert(program);
  return {out.begin(), out.end()};
}

Why environment_changed(const Context &c, const PatchedFile &, const std::string &) {
  if (!c.records.has_environment)
    return "the original build's environment was not recorded";
  Environment now = build_environment();
  std::vector<std::string> diffs = environment_differences(c.records.environment, now);
  auto path_of = [](const Environment &env) {
    auto it = env.find("PATH");
    return it == env.end() ? std::string() : it->second;
  };
  std::erase_if(diffs, [&](const std::string &name) {
    return name == "PATH" && path_resolves_alike(path_of(c.records.environment), path_of(now),
                                                 recorded_programs(c.records));
  });
  std::string name = first_read_by_build(diffs, c.pristine);
  if (name.empty())
    return std::nullopt;
  return fmt::format("the environment differs from the original build's in {}, which the build "
                     "reads",
                     name);
}

// -- each file of the patch ------------------------------------------------
// diff -N writes an added file as a modification of an empty one, and a
// removed one as a modification into nothing: the trees say which it was.
bool in_tree(const std::string &root, const std::string &file) {
  std::error_code ec;
  return !file.empty() && fs::exists(root + "/" + file, ec);
}

Why added(const Context &c, const PatchedFile &f, const std::string &) {
  if (in_tree(c.pristine, f.old_path) || f.new_path.empty())
    return std::nullopt;
  return "the patch adds " + f.new_path;
}

Why removed(const Context &c, const PatchedFile &f, const std::string &) {
  if (in_tree(c.patched, f.new_path))
    return std::nullopt;
  return "the patch removes " + (f.old_path.empty() ? f.new_path : f.old_path);
}

Why renamed(const Context &, const PatchedFile &f, const std::string &) {
  if (f.old_path == f.new_path || f.old_path.empty() || f.new_path.empty())
    return std::nullopt;
  return fmt::format("the patch renames {} to {}", f.old_path, f.new_path);
}

Why build_file(const Context &, const PatchedFile &f, const std::string &) {
  std::string base = basename_of(f.new_path);
  bool build = base == "Makefile" || base == "Kbuild" || base.starts_with("Kconfig") ||
               base.starts_with(".config") || base.ends_with(".mk") || base == "defconfig" ||
               base.ends_with("_defconfig");
  if (!build)
    return std::nullopt;
  return fmt::format("the patch touches {}, a build file", f.new_path);
}

Why linker_script(const Context &, const PatchedFile &f, const std::string &) {
  if (!has_suffix(f.new_path, {".lds", ".lds.S", ".lds.h", ".ld"}))
    return std::nullopt;
  return fmt::format("the patch touches {}, a linker script", f.new_path);
}

Why not_source(const Context &, const PatchedFile &f, const std::string &) {
  if (has_suffix(f.new_path, {".c", ".h", ".S", ".s", ".inc"}))
    return std::nullopt;
  return fmt::format("the patch touches {}, which is not a C source, header or assembly file",
                     f.new_path);
}

Why uncovered(const Context &c, const PatchedFile &f, const std::string &) {
  if (c.records.object_users.contains(f.new_path) ||
      c.records.generated_users.contains(f.new_path))
    return std::nullopt;
  return fmt::format("the patch touches {}, which no dependency record of the original build "
                     "lists",
                     f.new_path);
}

// -- each object to compile ------------------------------------------------
Why stale_record(const Context &c, const PatchedFile &, const std::string &object) {
  std::error_code ec;
  auto built = fs::last_write_time(c.pristine + "/" + object, ec);
  if (ec)
    return object + " is not in the cached original build";
  if (c.records.written.at(object) >= built)
    return std::nullopt;
  return "the compile record of " + object + " is older than the object";
}

Why no_dependencies(const Context &c, const PatchedFile &, const std::string &object) {
  if (!c.records.objects.at(object).deps.empty())
    return std::nullopt;
  return object + ": its recorded compile wrote no dependency file";
}

Why unfinished_temporary(const Context &c, const PatchedFile &, const std::string &object) {
  const CompileRecord &rec = c.records.objects.at(object);
  auto out = command_output(rec.argv);
  if (!out || !object_of_temporary(*out) || !rec.post_argv.empty())
    return std::nullopt;
  return fmt::format("{}: its compile writes {}, which a step livepatch-gcc did not see turns "
                     "into the object",
                     object, *out);
}

Why read_beyond_link(const Context &c, const PatchedFile &, const std::string &object) {
  auto it = c.records.readers.find(object);
  if (it == c.records.readers.end())
    return std::nullopt;
  for (const std::string &reader : it->second)
    if (!is_link_output(reader))
      return fmt::format("{} is read by {}, which only make rebuilds", object, reader);
  return std::nullopt;
}

// Xen's libelf.o: objcopy of libelf-temp.o, itself ld -r of libelf-tools.o
// and others. make rebuilds (and captures) the objcopy'd object when one of
// them changes; the fast path would not.
Why part_of_made_object(const Context &c, const PatchedFile &, const std::string &object) {
  std::set<std::string> made(c.records.untraced.begin(), c.records.untraced.end());
  std::vector<std::string> todo = {object};
  std::set<std::string> seen;
  while (!todo.empty()) {
    std::string file = todo.back();
    todo.pop_back();
    auto it = c.records.readers.find(file);
    if (it == c.records.readers.end())
      continue;
    for (const std::string &reader : it->second) {
      if (made.contains(reader))
        return fmt::format("{} goes into {}, which make rebuilds from it", object, reader);
      if (seen.insert(reader).second)
        todo.push_back(reader);
    }
  }
  return std::nullopt;
}

// -- each file of the patch, again: what costs a compile ---------------------
// A file that a generated output (asm-offsets.s, xen.lds) was made from:
// each such output made again and compared with the original build's
// (generated_output.h). Last, since each costs a compile.
Why changes_generated_output(const Context &c, const PatchedFile &f, const std::string &) {
  auto it = c.records.generated_users.find(f.new_path);
  if (it == c.records.generated_users.end())
    return std::nullopt;
  std::set<std::string> outputs(it->second.begin(), it->second.end());
  for (const std::string &output : outputs) {
    auto [memo, fresh] = c.regenerated.try_emplace(output);
    if (fresh)
      memo->second = c.regenerate(c.records.generated.at(output));
    if (memo->second)
      return fmt::format("the patch touches {}, which {}", f.new_path, *memo->second);
  }
  return std::nullopt;
}

// What forces make, in the order it is checked.
constexpr std::array<Rule, 16> kForcesMake = {{
    {Scope::kBuild, no_records},
    {Scope::kBuild, unreadable_record},
    {Scope::kBuild, environment_changed},
    {Scope::kFile, renamed},
    {Scope::kFile, added},
    {Scope::kFile, removed},
    {Scope::kFile, build_file},
    {Scope::kFile, linker_script},
    {Scope::kFile, not_source},
    {Scope::kFile, uncovered},
    {Scope::kObject, stale_record},
    {Scope::kObject, no_dependencies},
    {Scope::kObject, unfinished_temporary},
    {Scope::kObject, read_beyond_link},
    {Scope::kObject, part_of_made_object},
    {Scope::kFile, changes_generated_output},
}};

std::set<std::string> affected_objects(const Context &c) {
  std::set<std::string> out;
  for (const PatchedFile &f : c.files)
    if (auto it = c.records.object_users.find(f.new_path); it != c.records.object_users.end())
      out.insert(it->second.begin(), it->second.end());
  return out;
}

Why first_reason(Context &c) {
  bool objects_known = false;
  for (const Rule &rule : kForcesMake) {
    if (rule.scope == Scope::kObject && !objects_known) {
      c.objects = affected_objects(c);
      objects_known = true;
    }
    Why why;
    if (rule.scope == Scope::kBuild)
      why = rule.check(c, {}, "");
    for (size_t i = 0; rule.scope == Scope::kFile && !why && i < c.files.size(); i++)
      why = rule.check(c, c.files[i], "");
    if (rule.scope == Scope::kObject)
      for (auto it = c.objects.begin(); !why && it != c.objects.end(); ++it)
        why = rule.check(c, {}, *it);
    if (why)
      return why;
  }
  return std::nullopt;
}

} // namespace

BuildPathChoice choose_build_path(const std::string &patch_text, const BuildRecords &records,
                                  const std::string &pristine_root,
                                  const std::string &patched_root,
                                  const Regenerate &regenerate) {
  Context c{records, pristine_root, patched_root, patch_file_pairs(patch_text), regenerate, {}};
  BuildPathChoice choice;
  if (Why why = first_reason(c)) {
    choice.reason = *why;
    return choice;
  }
  choice.fast = true;
  choice.objects.assign(c.objects.begin(), c.objects.end());
  choice.reason = fmt::format("the patch modifies {} file(s), all C sources, headers or assembly "
                              "listed by the original build's dependency records: {} object(s) to "
                              "compile",
                              c.files.size(), choice.objects.size());
  return choice;
}

} // namespace lp::payload
