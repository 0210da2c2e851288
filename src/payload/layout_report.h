// Type-layout findings of a whole run, merged across objects.
//
// create-diff-object checks, per object, whether the types its changed
// functions use keep their layout (issue 11) and logs one line per finding
// (docs/ARCHITECTURE.md and the helpers' interface notes):
//
//   type layout changed: <type> (<file>:<line>): <what moved>; used by changed functions: <f>, ...
//   layout change accepted: <type>: <reason>
//   layout kept: <type>: <old spelling> -> <new spelling>
//   possible type-layout change in <function>: only memory displacements differ
//   WARNING: no DWARF type information in <file>: type layouts not checked
//   NOTICE: ... LIVEPATCH_LAYOUT_CHANGE_SAFE(...) ...
//
// A type defined in a header is seen by every changed object that includes
// it. livepatch-build reports it once: findings with the same status, type,
// definition and details are one LayoutChange whose functions and objects are
// the union over the objects, in object order. Refusals are printed in
// upstream's log style, `<objects>: <create-diff-object's line>`; accepted
// changes carry the author's reason into the JSON report and the payload's
// .modinfo (`layout_change=<type>: <reason>`).
#pragma once

#include "elf/json.h"

#include <string>
#include <vector>

namespace lp::payload {

struct LayoutChange {
  std::string status;  // "refused", "accepted", "kept"
  std::string type;    // "struct grant_table", "variable v"
  std::string decl;    // "common/grant_table.c:80" (refused only)
  std::string details; // what moved, or "<old> -> <new>" (kept)
  std::string reason;  // the author's reason (accepted only)
  std::vector<std::string> functions;
  std::vector<std::string> objects;
};

struct LayoutReport {
  std::vector<LayoutChange> changes;             // in order of first sight
  std::vector<std::string> possible;             // "<object>: <function>" (heuristic)
  // "<object>: <text>": create-diff-object's WARNING/NOTICE lines about the
  // check itself (no DWARF, a marker not needed or not checked).
  std::vector<std::string> notices;
};

// True if `line` (one line of a create-diff-object log) is a type-layout
// finding.
bool is_layout_line(const std::string &line);

// Adds the finding on `line` (from `object`'s log) to `report`. Lines that
// are not findings are ignored.
void add_layout_line(LayoutReport &report, const std::string &object, const std::string &line);

// One line per refused type: `<obj>[, <obj>...]: type layout changed: ...`.
std::vector<std::string> layout_refusal_lines(const LayoutReport &report);

// What the run prints besides refusals, one line each: accepted changes
// with their reason, kept layouts, notices, and functions the displacement
// heuristic flagged for lack of type information.
std::vector<std::string> layout_notes(const LayoutReport &report);

// `<type>: <reason>` for each accepted change, sorted, unique: the values of
// the payload's layout_change= .modinfo entries.
std::vector<std::string> accepted_layout_reasons(const LayoutReport &report);

// The "layout_changes" JSON array of livepatch-build's report (keys in a
// fixed order).
Json layout_changes_json(const LayoutReport &report);

} // namespace lp::payload
