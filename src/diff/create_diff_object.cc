// The create-diff-object pipeline, as one library call.
//
//   read original.o, patched.o, xen-syms
//   -> units, ignored sections, special-section entries, keys (per object)
//   -> correlate -> hashes (per object) -> compare (status, refusals, __LINE__ noise)
//   -> include (what the payload needs) -> output object, written atomically
//
// Every decision is logged in upstream's words and recorded in the Result.
// Bad input is a FileError: one line naming the file, status kError, no
// output written. Unsupported changes are all collected and reported
// together (status kUnsupported), so one run shows every problem of a patch.
#include "diff/create_diff_object.h"

#include "diff/engine.h"
#include "elf/atomic_file.h"
#include "elf/error.h"
#include "elf/image.h"
#include "elf/reader.h"
#include "elf/writer.h"

#include <cerrno>
#include <nlohmann/json.hpp>
#include <cstring>
#include <optional>
#include <elf.h>
#include <fmt/format.h>
#include <unistd.h>

namespace lp::diff {

void Log::normal(const std::string &line) {
  std::string full = prefix_ + ": " + line;
  if (stream_) {
    std::fputs(full.c_str(), stream_);
    std::fputc('\n', stream_);
  }
  lines.push_back(std::move(full));
}

void Log::debug(const std::string &line) {
  if (debug_)
    normal(line);
}

namespace {

void load(Analysis &a, const std::string &path, const elf::InsnDecoder &decoder) {
  a.path = path;
  a.obj = elf::read_object(path);
  a.decoder = &decoder;
  if (a.obj.e_type != ET_REL)
    throw FileError(path, "not a relocatable object (ET_REL)");
}

void check_headers(const Analysis &orig, const Analysis &patched) {
  if (orig.obj.e_machine != patched.obj.e_machine || orig.obj.e_flags != patched.obj.e_flags ||
      orig.obj.osabi != patched.obj.osabi)
    throw FileError(patched.path, "ELF headers differ from " + orig.path);
}

void analyse(Analysis &a, const StructSizes &sizes) {
  split_special_sections(a, sizes);
  assign_keys(a);
}

// The name the payload carries for a unit: Xen's name of the function it
// replaces (file#name for a static), or its own for a new one.
std::string display(const Unit *u) { return u->twin ? u->twin->xen_name() : u->xen_name(); }

void debug_dump(const Analysis &a, Log &log) {
  if (!log.debugging())
    return;
  for (const auto &u : a.units)
    log.debug(fmt::format("unit: {} {} in {} key={} hash={:016x} {}",
                          u->function ? "func" : "object", u->name(), u->section->name, u->key,
                          u->hash,
                          u->status == UnitStatus::Same      ? "SAME"
                          : u->status == UnitStatus::Changed ? "CHANGED"
                                                             : "NEW"));
}

// The -g side objects are read only when a function changed; a missing one
// is bad input whether or not it is needed.
void check_side_objects(const Options &o) {
  for (const std::string *path : {&o.original_debug, &o.patched_debug})
    if (!path->empty() && ::access(path->c_str(), R_OK) != 0)
      throw FileError(*path, std::strerror(errno));
}

// Both analysed objects, owned together so that a run whose process exits
// right after can leave them to the kernel (Options::leave_to_exit).
struct Models {
  Analysis orig, patched;
};

struct ModelsOwner {
  std::unique_ptr<Models> models;
  bool leave;
  ~ModelsOwner() {
    if (leave)
      (void)models.release(); // freed with the process
  }
};

Status run(const Options &o, Result &res, Log &log, ImageCache *images) {
  check_side_objects(o);
  elf::InsnDecoder decoder;
  ModelsOwner owner{std::make_unique<Models>(), o.leave_to_exit};
  Analysis &orig = owner.models->orig, &patched = owner.models->patched;
  load(orig, o.original, decoder);
  load(patched, o.patched, decoder);
  patched.same_bytes_source = &orig;
  check_headers(orig, patched);
  std::optional<elf::LinkedImage> own;
  if (!images)
    own.emplace(elf::LinkedImage::open(o.xen_syms));
  const elf::LinkedImage &xen = images ? images->open(o.xen_syms) : *own;
  TargetRelease target = target_release(o, xen);
  res.xen_version = target.release->version.str();
  log.normal(fmt::format("target Xen {} (from {})", res.xen_version, target.source));
  res.sizes = choose_struct_sizes(o, xen, *target.release, log);

  analyse_units(orig);
  analyse_units(patched);
  find_ignored_sections(orig, patched, log);
  analyse(orig, res.sizes);
  analyse(patched, res.sizes);
  // Hashes after correlation: a shared-name static local is hashed by the
  // key of the original variable it was paired with.
  std::vector<StaticDoubt> doubts = correlate(orig, patched);
  hash_units(orig);
  hash_units(patched);
  std::optional<LineMap> line_map;
  if (!o.line_map.empty())
    line_map = read_line_map(o.line_map);
  Verdict v = compare(orig, patched, line_map ? &*line_map : nullptr, log);
  refuse_static_doubts(doubts, v);
  debug_dump(patched, log);

  for (const Unit *u : v.added)
    log.normal(fmt::format("new function: {}", display(u)));
  for (const Unit *u : v.changed)
    log.normal(fmt::format("changed function: {}", display(u)));
  for (const Unit *u : v.changed)
    res.changed.push_back(display(u));
  for (const Unit *u : v.added)
    res.added.push_back(display(u));
  for (const Unit *u : v.ignored)
    res.ignored.push_back({display(u), u->ignore_reason});
  if (o.explain)
    explain_changes(orig, patched, v, log);
  if (!check_type_layouts(orig, patched, o, v, res, log))
    warn_displacement_only(orig, patched, v, res, log);

  auto expectations = read_expectations(patched, v);
  Inclusion inc = include(orig, patched, v, log);
  for (const Hook &h : inc.hooks)
    for (const Ref &r : h.refs)
      res.hooks.push_back(std::string(r.unit->name()));

  bool new_globals = false;
  for (const Unit *u : inc.units)
    new_globals |= u->status == UnitStatus::New && u->global();
  if (v.refusals.empty() && v.changed.empty() && inc.hooks.empty() && !new_globals) {
    log.normal("no changed functions were found");
    return kNoChange;
  }
  Object out;
  if (v.refusals.empty())
    out = build_output({&o, &orig, &patched, &v, &inc, &xen, &expectations, &log, target.release},
                       v.refusals);
  // The side object holds the DWARF when the build itself has none (Xen 4.17).
  locate_refusals(o.patched_debug.empty() ? o.patched : o.patched_debug, v.refusals);
  res.refusals = v.refusals;
  if (!v.refusals.empty()) {
    for (const Refusal &r : v.refusals)
      log.normal(r.location.empty() ? r.reason : r.reason + " (" + r.location + ")");
    log.normal(fmt::format("ERROR: {} unsupported change(s): unreconcilable difference",
                           v.refusals.size()));
    return kUnsupported;
  }
  elf::write_object(out, o.output, 0644);
  return kWritten;
}

} // namespace

struct ImageCache::Entry {
  std::once_flag once;
  std::optional<elf::LinkedImage> image;
  std::optional<FileError> file_error;
  std::string other_error;
};

ImageCache::ImageCache() = default;
ImageCache::~ImageCache() = default;

const elf::LinkedImage &ImageCache::open(const std::string &path) {
  Entry *e;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto &slot = entries_[path];
    if (!slot)
      slot = std::make_unique<Entry>();
    e = slot.get();
  }
  std::call_once(e->once, [&] {
    try {
      e->image.emplace(elf::LinkedImage::open(path));
    } catch (const FileError &err) {
      e->file_error = err;
    } catch (const std::exception &err) {
      e->other_error = err.what();
    }
  });
  if (e->file_error)
    throw FileError(*e->file_error);
  if (!e->image)
    throw std::runtime_error(e->other_error);
  return *e->image;
}

Result create_diff_object(const Options &o, std::FILE *log_stream, ImageCache *images) {
  Result res;
  Log log(o.object_name.empty() ? object_log_name(o.original) : o.object_name, log_stream,
          o.debug);
  try {
    res.status = run(o, res, log, images);
  } catch (const FileError &e) {
    res.status = kError;
    res.error = e.what();
  } catch (const std::exception &e) {
    res.status = kError;
    res.error = std::string("internal error: ") + e.what();
  }
  if (log_stream)
    std::fflush(log_stream);
  res.log = std::move(log.lines);
  if (!o.json.empty()) {
    std::string text = report_text(json_report(res, o));
    try {
      write_file_atomically(o.json, {reinterpret_cast<const uint8_t *>(text.data()), text.size()});
    } catch (const FileError &e) {
      if (res.status != kError) {
        res.status = kError;
        res.error = e.what();
      }
    }
  }
  return res;
}

} // namespace lp::diff
