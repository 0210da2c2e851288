// JSON string literals for the machine-readable reports (create-diff-object
// --json, livepatch-build --json). The reports are built with fmt; this is the
// one place that knows how JSON escapes a string.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace lp {

// `s` as a quoted JSON string: quotes and backslashes escaped, control
// characters as \n, \t or \u00XX; other bytes (UTF-8 included) kept as they are.
inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20)
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
      else
        out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

} // namespace lp
