// The machine-readable reports (create-diff-object --json, livepatch-build
// --json, livepatch-check --show --json) are nlohmann::ordered_json documents:
// the library escapes strings and formats numbers, and members keep the order
// they were added in, so a report is deterministic.
//
// report_text() is the one place that decides how a report is laid out, the
// same for all three: the top-level object has one member per line (indented
// by two spaces); a member whose value is a non-empty array of objects has one
// element per line (indented by four); everything else is on one line, with
// ", " and ": " separators. Strings that are not valid UTF-8 (a path or symbol
// name is whatever bytes it is) get U+FFFD for each bad byte, so the output is
// always valid JSON.
//
// Headers that only pass documents around include <nlohmann/json_fwd.hpp>
// through this file; the implementation files include <nlohmann/json.hpp>.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace lp {

using Json = nlohmann::ordered_json;

// `doc` (an object) as report text, ending with a newline.
std::string report_text(const Json &doc);

// `s` as a quoted JSON string, as it appears in a report.
std::string json_string(std::string_view s);

} // namespace lp
