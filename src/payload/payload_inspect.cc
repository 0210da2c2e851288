// Reading a payload for people and machines (see payload_inspect.h).
//
// Each part of PayloadInfo comes from one small reader: the build-id notes
// (build_id_note.h, Xen's parsing rules), .livepatch.funcs (funcs_table.h,
// through its relocations), the hook slots (each slot's relocation names the
// function; a section-symbol target is turned back into the function at that
// offset), the special sections (a table of names and entry sizes, as Xen
// checks them), .modinfo, and the signatures (src/sign, both formats). The
// two formatters only print what those readers found.
#include "payload/payload_inspect.h"

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "elf/json.h"
#include "elf/reader.h"
#include "payload/build_id_note.h"
#include "payload/digest.h"
#include "payload/funcs_table.h"
#include "sign/sign.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace lp::payload {
namespace {

// Xen's hook sections, in the order Xen looks them up.
constexpr std::array<const char *, 8> kHookKinds = {
    "load", "unload", "preapply", "apply", "postapply", "prerevert", "revert", "postrevert"};

// Special sections Xen interprets, with the entry size it checks (0: none).
struct SpecialSection {
  const char *name;
  uint64_t entry_size;
};
constexpr std::array<SpecialSection, 9> kSpecialSections = {{
    {".altinstructions", 14}, // struct alt_instr, Xen >= 4.11
    {".altinstr_replacement", 0},
    {".alt_call_sites", 4},
    {".ex_table", 8},
    {".fixup", 0},
    {".bug_frames.0", 8},
    {".bug_frames.1", 8},
    {".bug_frames.2", 8},
    {".bug_frames.3", 16}, // an assert entry is two frames
}};

std::string id_of(const elf::Object &obj, const char *section) {
  const elf::Section *s = obj.section_named(section);
  if (!s)
    return "";
  auto id = note_build_id(s->data);
  return id ? to_hex(*id) : "";
}

std::vector<std::string> modinfo_strings(const elf::Object &obj) {
  std::vector<std::string> out;
  const elf::Section *s = obj.section_named(".modinfo");
  if (!s)
    return out;
  std::string cur;
  for (uint8_t b : s->data) {
    if (b) {
      cur += static_cast<char>(b);
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty())
    out.push_back(cur);
  return out;
}

std::string modinfo_value(const std::vector<std::string> &metadata, const std::string &key) {
  for (const auto &m : metadata)
    if (m.starts_with(key + "="))
      return m.substr(key.size() + 1);
  return "";
}

// The function a pointer slot's relocation points at.
std::string pointer_target(const elf::Object &obj, const elf::Rela &r) {
  const elf::Symbol &s = *r.sym;
  if (!s.is_section())
    return r.addend ? fmt::format("{}+{:#x}", s.name, r.addend) : s.name;
  for (const auto &sym : obj.symbols)
    if (sym->section == s.section && sym->is_func() &&
        static_cast<int64_t>(sym->value) == r.addend)
      return sym->name;
  return fmt::format("{}+{:#x}", s.display_name(), r.addend);
}

std::vector<InspectedHook> hooks_of(const elf::Object &obj) {
  std::vector<InspectedHook> out;
  for (const char *kind : kHookKinds) {
    const elf::Section *s = obj.section_named(std::string(".livepatch.hooks.") + kind);
    if (!s)
      continue;
    InspectedHook h{kind, {}};
    std::vector<const elf::Rela *> slots; // in slot order, the order Xen calls them
    if (s->rela)
      for (const elf::Rela &r : s->rela->relas)
        slots.push_back(&r);
    std::stable_sort(slots.begin(), slots.end(),
                     [](const elf::Rela *a, const elf::Rela *b) { return a->offset < b->offset; });
    for (const elf::Rela *r : slots)
      h.targets.push_back(pointer_target(obj, *r));
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<InspectedSection> special_sections_of(const elf::Object &obj) {
  std::vector<InspectedSection> out;
  for (const SpecialSection &sp : kSpecialSections)
    if (const elf::Section *s = obj.section_named(sp.name))
      out.push_back({sp.name, s->size, sp.entry_size ? s->size / sp.entry_size : 0});
  return out;
}

// Bytes of an enabled expectation: byte 0 is enabled:1, len:5, rsv:2.
std::vector<uint8_t> expectation(const elf::Object &obj, size_t entry_offset) {
  const elf::Section *s = obj.section_named(".livepatch.funcs");
  size_t at = entry_offset + kFuncExpectOff;
  if (!s || at + 1 + kExpectDataMax > s->data.size() || !(s->data[at] & 1))
    return {};
  size_t len = (s->data[at] >> 1) & 0x1f;
  return {s->data.begin() + at + 1, s->data.begin() + at + 1 + len};
}

InspectedFunction function_of(const elf::Object &obj, const FuncEntry &e,
                              const elf::LinkedImage *xen) {
  InspectedFunction f;
  f.name = e.name;
  f.old_size = e.old_size;
  f.new_symbol = e.new_symbol;
  f.new_offset = e.new_addr_addend;
  f.new_size = e.new_size;
  f.version = e.version;
  f.expect = expectation(obj, e.offset);
  if (e.old_addr_sym && e.old_addr_sym->is_undefined())
    f.old_symbol = e.old_addr_sym->name;
  bool in_payload = (!e.old_addr_sym && e.old_addr_literal) ||
                    (e.old_addr_sym && !e.old_addr_sym->section && !e.old_addr_sym->is_undefined());
  if (in_payload) {
    f.old_addr = e.old_addr_sym ? e.old_addr_sym->value + e.old_addr_addend : e.old_addr_literal;
    f.old_addr_source = "payload";
  } else if (xen) {
    f.old_addr = old_address(e, *xen);
    if (f.old_addr)
      f.old_addr_source = "xen-syms";
  }
  return f;
}

std::vector<InspectedSignature> signatures_of(const std::string &path) {
  std::string text = lp::read_file(path);
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t *>(text.data()), text.size());
  std::vector<InspectedSignature> out;
  for (const auto &s : lp::sign::show_payload(bytes, path))
    out.push_back({std::string(lp::sign::format_name(s.format)), s.signature_size, s.signed_size,
                   s.algorithm, s.signer});
  return out;
}

std::string hex_bytes(const std::vector<uint8_t> &b) {
  std::string out;
  for (uint8_t x : b)
    out += fmt::format("{}{:02x}", out.empty() ? "" : " ", x);
  return out;
}

std::string plural(uint64_t n, const char *one, const char *many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string old_text(const InspectedFunction &f) {
  if (f.old_addr_source == "payload")
    return fmt::format("{:#x}", *f.old_addr);
  std::string what = f.old_symbol.empty() ? "by name" : f.old_symbol;
  if (f.old_addr)
    return fmt::format("{} = {:#x} in xen-syms", what, *f.old_addr);
  return what + " at load";
}

std::string new_text(const InspectedFunction &f) {
  if (f.new_symbol.empty())
    return "NOP";
  return f.new_offset ? fmt::format("{}+{:#x}", f.new_symbol, f.new_offset) : f.new_symbol;
}

std::string depends_note(const PayloadInfo &p) {
  if (p.depends.empty())
    return "missing";
  if (p.depends == p.xen_depends)
    return p.depends + " (the Xen build-id: applies directly on Xen)";
  return p.depends + " (another payload's build-id: applies on top of that payload)";
}

std::string or_missing(const std::string &s) { return s.empty() ? "missing" : s; }

} // namespace

PayloadInfo inspect_payload(const std::string &path, const elf::LinkedImage *xen) {
  elf::Object obj = elf::read_object(path);
  PayloadInfo p;
  p.path = path;
  p.file_size = std::filesystem::file_size(path);
  p.metadata = modinfo_strings(obj);
  p.name = modinfo_value(p.metadata, "name");
  p.name_source = "modinfo";
  if (p.name.empty()) { // what `xen-livepatch load FILE` would call it
    p.name = std::filesystem::path(path).stem().string();
    p.name_source = "file name";
  }
  p.xen_version = modinfo_value(p.metadata, "xen_version");
  p.build_id = id_of(obj, ".note.gnu.build-id");
  p.xen_depends = id_of(obj, ".livepatch.xen_depends");
  p.depends = id_of(obj, ".livepatch.depends");
  for (const FuncEntry &e : read_funcs(obj))
    p.functions.push_back(function_of(obj, e, xen));
  p.hooks = hooks_of(obj);
  p.special_sections = special_sections_of(obj);
  p.signatures = signatures_of(path);
  return p;
}

std::string format_text(const PayloadInfo &p) {
  std::string out = fmt::format("payload: {} ({} bytes)\n", p.path, p.file_size);
  out += fmt::format("name: {}{}\n", p.name,
                     p.name_source == "modinfo" ? "" : " (from the file name)");
  out += fmt::format("xen version: {}\n",
                     p.xen_version.empty() ? "not recorded" : p.xen_version);
  out += fmt::format("build-id: {}\n", or_missing(p.build_id));
  out += fmt::format("xen-depends: {}\n", or_missing(p.xen_depends));
  out += fmt::format("depends: {}\n", depends_note(p));
  out += fmt::format("functions: {}\n", p.functions.size());
  for (const auto &f : p.functions) {
    out += fmt::format("  {}: old {}, {} bytes; new {}, {} bytes",
                       f.name.empty() ? "(no name)" : f.name, old_text(f), f.old_size,
                       new_text(f), f.new_size);
    if (!f.expect.empty())
      out += fmt::format("; expects {}", hex_bytes(f.expect));
    out += "\n";
  }
  out += fmt::format("hooks: {}\n", p.hooks.size());
  for (const auto &h : p.hooks)
    out += fmt::format("  {}: {}\n", h.kind, fmt::join(h.targets, ", "));
  out += fmt::format("special sections: {}\n", p.special_sections.size());
  for (const auto &s : p.special_sections)
    out += s.entries ? fmt::format("  {}: {}, {} bytes\n", s.name,
                                   plural(s.entries, "entry", "entries"), s.size)
                     : fmt::format("  {}: {} bytes\n", s.name, s.size);
  out += fmt::format("metadata: {}\n", p.metadata.size());
  for (const auto &m : p.metadata)
    out += fmt::format("  {}\n", m);
  if (p.signatures.empty())
    out += "signature: none\n";
  for (const auto &s : p.signatures)
    out += fmt::format("signature: {}, {} bytes, covering {} bytes; {}{}\n", s.format, s.size,
                       s.covers, s.algorithm, s.signer.empty() ? "" : "; signer " + s.signer);
  return out;
}

namespace {

Json string_or_null(const std::string &s) { return s.empty() ? Json(nullptr) : Json(s); }

Json function_json(const InspectedFunction &f) {
  return {{"name", string_or_null(f.name)},
          {"old_addr", f.old_addr ? Json(fmt::format("{:#x}", *f.old_addr)) : Json(nullptr)},
          {"old_addr_source", string_or_null(f.old_addr_source)},
          {"old_symbol", string_or_null(f.old_symbol)},
          {"old_size", f.old_size},
          {"new_symbol", string_or_null(f.new_symbol)},
          {"new_offset", f.new_offset},
          {"new_size", f.new_size},
          {"nop", f.new_symbol.empty()},
          {"version", f.version},
          {"expect", f.expect.empty() ? Json(nullptr) : Json(to_hex(f.expect))}};
}

template <typename T, typename F> Json json_list(const std::vector<T> &v, F one) {
  Json out = Json::array();
  for (const T &x : v)
    out.push_back(one(x));
  return out;
}

} // namespace

std::string format_json(const PayloadInfo &p) {
  Json doc = {
      {"payload", p.path},
      {"size", p.file_size},
      {"name", p.name},
      {"name_source", p.name_source},
      {"xen_version", string_or_null(p.xen_version)},
      {"build_id", string_or_null(p.build_id)},
      {"xen_depends", string_or_null(p.xen_depends)},
      {"depends", string_or_null(p.depends)},
      {"depends_on_xen", !p.depends.empty() && p.depends == p.xen_depends},
      {"functions", json_list(p.functions, function_json)},
      {"hooks", json_list(p.hooks,
                          [](const InspectedHook &h) -> Json {
                            return {{"kind", h.kind}, {"targets", h.targets}};
                          })},
      {"special_sections",
       json_list(p.special_sections,
                 [](const InspectedSection &s) -> Json {
                   return {{"name", s.name}, {"size", s.size}, {"entries", s.entries}};
                 })},
      {"metadata", p.metadata},
      {"signatures", json_list(p.signatures, [](const InspectedSignature &s) -> Json {
         return {{"format", s.format},
                 {"size", s.size},
                 {"covers", s.covers},
                 {"algorithm", s.algorithm},
                 {"signer", string_or_null(s.signer)}};
       })},
  };
  return report_text(doc);
}

} // namespace lp::payload
