// Reports beyond upstream's log: the JSON verdict and the explain mode.
//
// --json writes what a CI system wants to keep: the changed, new and ignored
// functions, hooks, every refusal with its reason (and source location when
// the patched object has debug info), and the special-section sizes with
// where they came from, as one ordered_json document (elf/json.h lays it out).
//
// --explain answers "why is this function in my payload?": for each changed
// function it finds the first instruction whose masked bytes or relocation
// meaning differ between original and patched, and prints both disassembled;
// it also says which file:line each of the function's BUG/WARN/ASSERT will
// report once applied, and why each ignored function was left out.
#include "diff/engine.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace lp::diff {

namespace {

const char *status_name(Status s) {
  switch (s) {
  case kWritten: return "written";
  case kError: return "error";
  case kUnsupported: return "unsupported";
  case kNoChange: return "no-change";
  }
  return "error";
}

// The refs of `u` whose field lies in [start, end).
std::vector<const Ref *> refs_between(const Unit &u, uint64_t start, uint64_t end) {
  std::vector<const Ref *> out;
  for (const Ref &r : u.refs)
    if (r.rela->offset >= start && r.rela->offset < end)
      out.push_back(&r);
  return out;
}

std::string explain_one(Analysis &orig, Analysis &patched, const Unit &o, const Unit &p) {
  const auto &om = orig.insns(o.section);
  const auto &pm = patched.insns(p.section);
  auto code_o = o.section->bytes().subspan(o.start, o.size());
  auto code_p = p.section->bytes().subspan(p.start, p.size());
  for (uint64_t off = 0; off < p.size() || off < o.size();) {
    auto pi = pm.containing(p.start + off);
    auto oi = om.containing(o.start + off);
    if (!pi || !oi)
      break;
    uint64_t pe = pi->end - p.start, oe = oi->end - o.start;
    bool differ = pe != oe;
    auto ro = refs_between(o, o.start + off, o.start + oe);
    auto rp = refs_between(p, p.start + off, p.start + pe);
    differ = differ || ro.size() != rp.size();
    for (size_t i = 0; !differ && i < ro.size(); ++i)
      differ = ro[i]->rela->offset - o.start != rp[i]->rela->offset - p.start ||
               ref_meaning(orig, *ro[i]) != ref_meaning(patched, *rp[i]);
    if (!differ)
      for (uint64_t k = off; k < pe; ++k) {
        bool relocated = false;
        for (const Ref *r : rp)
          relocated |= k >= r->rela->offset - p.start && k < r->rela->offset - p.start + 4;
        if (!relocated && code_o[k] != code_p[k])
          differ = true;
      }
    if (differ)
      return fmt::format("explain: {}: first difference at +{:#x}: '{}' -> '{}'", p.name(), off,
                         patched.decoder->disassemble_at(code_o, off),
                         patched.decoder->disassemble_at(code_p, off));
    off = pe;
  }
  if (o.size() != p.size())
    return fmt::format("explain: {}: size {} -> {}", p.name(), o.size(), p.size());
  return fmt::format("explain: {}: instructions equal; .cold parts or special-section entries "
                     "(alternatives, exception fixups, bug-frame strings) differ",
                     p.name());
}

// Where a changed function's BUG/WARN/ASSERT will point once the payload is
// applied: the lines its own bug frames carry. livepatch-build's #line
// directives make them the patched file's numbers inside a hunk and the
// original file's below it (docs/line-numbers.md).
std::string explain_frames(const Unit &p) {
  std::vector<std::pair<std::string, int>> where;
  for (const Entry *e : p.entries)
    if (auto file = e->desc->line_bits ? bug_frame_file(*e) : std::nullopt)
      where.emplace_back(*file, bug_frame_line(*e));
  if (where.empty())
    return "";
  std::sort(where.begin(), where.end());
  where.erase(std::unique(where.begin(), where.end()), where.end());
  std::string list;
  for (const auto &[file, line] : where)
    list += fmt::format("{}{}:{}", list.empty() ? "" : ", ", file, line);
  return fmt::format("explain: {}: its BUG/WARN/ASSERT report {} (the patched file's line inside "
                     "a patch hunk, the original file's below one)",
                     p.xen_name(), list);
}

} // namespace

void explain_changes(Analysis &orig, Analysis &patched, const Verdict &v, Log &log) {
  for (const Unit *u : v.changed) {
    log.normal(explain_one(orig, patched, *u->twin, *u));
    if (std::string frames = explain_frames(*u); !frames.empty())
      log.normal(frames);
  }
  for (const Unit *u : v.ignored)
    log.normal(fmt::format("explain: {}: left out of the payload: {}", u->xen_name(),
                           u->ignore_reason));
}

Json json_report(const Result &r, const Options &o) {
  Json ignored = Json::array();
  for (const IgnoredFunction &f : r.ignored)
    ignored.push_back({{"name", f.name}, {"reason", f.reason}});
  Json refusals = Json::array();
  for (const Refusal &x : r.refusals)
    refusals.push_back({{"reason", x.reason}, {"symbol", x.symbol}, {"location", x.location}});
  return {
      {"original", o.original},
      {"patched", o.patched},
      {"xen_syms", o.xen_syms},
      {"status", status_name(r.status)},
      {"exit_code", static_cast<int>(r.status)},
      {"changed_functions", r.changed},
      {"new_functions", r.added},
      {"ignored_functions", ignored},
      {"hooks", r.hooks},
      {"refusals", refusals},
      {"layout_changes", layout_changes_json(r)},
      {"possible_layout_changes", r.possible_layout_changes},
      {"struct_sizes",
       {{"alt_instr", r.sizes.alt_instr},
        {"bug_frame", r.sizes.bug_frame},
        {"exception_table_entry", r.sizes.exception_table_entry},
        {"alt_call", r.sizes.alt_call},
        {"source", r.sizes.source}}},
      {"xen_version", r.xen_version},
      {"error", r.error},
  };
}

} // namespace lp::diff
