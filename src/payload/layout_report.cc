// Merging create-diff-object's type-layout lines (see layout_report.h).
#include "payload/layout_report.h"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace lp::payload {
namespace {

constexpr std::string_view kRefused = "type layout changed: ";
constexpr std::string_view kAccepted = "layout change accepted: ";
constexpr std::string_view kKept = "layout kept: ";
constexpr std::string_view kPossible = "possible type-layout change in ";
constexpr std::string_view kUsedBy = "; used by changed functions: ";
constexpr std::string_view kOnlyDisplacements = ": only memory displacements differ";
constexpr std::string_view kNotChecked = "type layouts not checked";
constexpr std::string_view kMarker = "LIVEPATCH_LAYOUT_CHANGE_SAFE(";
constexpr std::string_view kNone = "none"; // no function depends on the type

// The text after `marker` on the line (create-diff-object prefixes every
// line with the object's name), without trailing blanks.
std::optional<std::string> after(const std::string &line, std::string_view marker) {
  auto pos = line.find(marker);
  if (pos == std::string::npos)
    return std::nullopt;
  std::string rest = line.substr(pos + marker.size());
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r'))
    rest.pop_back();
  return rest;
}

std::vector<std::string> split_list(const std::string &s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(", ", start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty())
      out.push_back(item);
    if (comma == std::string::npos)
      break;
    start = comma + 2;
  }
  return out;
}

// `<type> (<decl>): <details>; used by changed functions: <f>, ...`
LayoutChange parse_refused(const std::string &text) {
  LayoutChange c{"refused", text, "", "", "", {}, {}};
  auto open = text.find(" (");
  auto close = text.find("): ", open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos)
    return c;
  c.type = text.substr(0, open);
  c.decl = text.substr(open + 2, close - open - 2);
  std::string rest = text.substr(close + 3);
  auto used = rest.rfind(kUsedBy);
  c.details = rest.substr(0, used);
  if (used != std::string::npos)
    c.functions = split_list(rest.substr(used + kUsedBy.size()));
  if (c.functions == std::vector<std::string>{std::string(kNone)})
    c.functions.clear();
  return c;
}

// `<type>: <text>`
std::pair<std::string, std::string> type_and_text(const std::string &s) {
  auto colon = s.find(": ");
  if (colon == std::string::npos)
    return {s, ""};
  return {s.substr(0, colon), s.substr(colon + 2)};
}

std::optional<LayoutChange> parse_finding(const std::string &line) {
  if (auto t = after(line, kRefused))
    return parse_refused(*t);
  if (auto t = after(line, kAccepted)) {
    auto [type, reason] = type_and_text(*t);
    return LayoutChange{"accepted", type, "", "", reason, {}, {}};
  }
  if (auto t = after(line, kKept)) {
    auto [type, spelling] = type_and_text(*t);
    return LayoutChange{"kept", type, "", spelling, "", {}, {}};
  }
  return std::nullopt;
}

bool same_finding(const LayoutChange &a, const LayoutChange &b) {
  return a.status == b.status && a.type == b.type && a.decl == b.decl && a.details == b.details &&
         a.reason == b.reason;
}

void add_unique(std::vector<std::string> &to, const std::vector<std::string> &items) {
  for (const std::string &i : items)
    if (std::find(to.begin(), to.end(), i) == to.end())
      to.push_back(i);
}

std::string join(const std::vector<std::string> &v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); i++)
    out += (i ? std::string(sep) : "") + v[i];
  return out;
}

} // namespace

bool is_layout_line(const std::string &line) {
  for (std::string_view m : {kRefused, kAccepted, kKept, kPossible, kNotChecked, kMarker})
    if (line.find(m) != std::string::npos)
      return true;
  return false;
}

void add_layout_line(LayoutReport &report, const std::string &object, const std::string &line) {
  if (auto t = after(line, kPossible)) {
    std::string function = t->substr(0, t->find(kOnlyDisplacements));
    report.possible.push_back(object + ": " + function);
    return;
  }
  if (line.find(kNotChecked) != std::string::npos || line.find(kMarker) != std::string::npos) {
    auto colon = line.find(": "); // after create-diff-object's "<name>.o" prefix
    report.notices.push_back(object + ": " + line.substr(colon == std::string::npos ? 0 : colon + 2));
    return;
  }
  auto finding = parse_finding(line);
  if (!finding)
    return;
  auto same = std::find_if(report.changes.begin(), report.changes.end(),
                           [&](const LayoutChange &c) { return same_finding(c, *finding); });
  if (same == report.changes.end()) {
    finding->objects = {object};
    report.changes.push_back(*finding);
    return;
  }
  add_unique(same->functions, finding->functions);
  add_unique(same->objects, {object});
}

std::vector<std::string> layout_refusal_lines(const LayoutReport &report) {
  std::vector<std::string> out;
  for (const LayoutChange &c : report.changes)
    if (c.status == "refused")
      out.push_back(fmt::format("{}: type layout changed: {} ({}): {}{}{}", join(c.objects, ", "),
                                c.type, c.decl, c.details, kUsedBy,
                                c.functions.empty() ? std::string(kNone) : join(c.functions, ", ")));
  return out;
}

std::vector<std::string> layout_notes(const LayoutReport &report) {
  std::vector<std::string> out;
  for (const LayoutChange &c : report.changes) {
    if (c.status == "accepted")
      out.push_back(fmt::format("layout change accepted: {}: {}", c.type, c.reason));
    else if (c.status == "kept")
      out.push_back(fmt::format("layout kept: {}: {}", c.type, c.details));
  }
  out.insert(out.end(), report.notices.begin(), report.notices.end());
  for (const std::string &f : report.possible)
    out.push_back(fmt::format("WARNING: {}: possible type-layout change, no type information", f));
  return out;
}

std::vector<std::string> accepted_layout_reasons(const LayoutReport &report) {
  std::vector<std::string> out;
  for (const LayoutChange &c : report.changes)
    if (c.status == "accepted")
      out.push_back(c.type + ": " + c.reason);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Json layout_changes_json(const LayoutReport &report) {
  Json out = Json::array();
  for (const LayoutChange &c : report.changes)
    out.push_back({{"type", c.type},
                   {"decl", c.decl},
                   {"status", c.status},
                   {"details", c.details},
                   {"reason", c.reason},
                   {"functions", c.functions},
                   {"objects", c.objects}});
  return out;
}

} // namespace lp::payload
