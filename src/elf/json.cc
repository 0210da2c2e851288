// Report layout over nlohmann::ordered_json (see json.h).
#include "elf/json.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace lp {
namespace {

// A scalar (string, number, bool, null) as the library writes it.
std::string scalar_text(const Json &v) {
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Any value on one line: `{"k": v, ...}`, `[a, b]`.
std::string inline_text(const Json &v) {
  if (!v.is_structured())
    return scalar_text(v);
  std::string out = v.is_object() ? "{" : "[";
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    out += first ? "" : ", ";
    first = false;
    if (v.is_object())
      out += json_string(it.key()) + ": ";
    out += inline_text(*it);
  }
  return out + (v.is_object() ? "}" : "]");
}

bool is_list_of_objects(const Json &v) {
  return v.is_array() && !v.empty() &&
         std::all_of(v.begin(), v.end(), [](const Json &e) { return e.is_object(); });
}

// A top-level member's value: a list of objects one element per line.
std::string member_text(const Json &v) {
  if (!is_list_of_objects(v))
    return inline_text(v);
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i)
    out += (i ? ",\n    " : "\n    ") + inline_text(v[i]);
  return out + "\n  ]";
}

} // namespace

std::string report_text(const Json &doc) {
  std::string out = "{";
  bool first = true;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    out += first ? "\n  " : ",\n  ";
    first = false;
    out += json_string(it.key()) + ": " + member_text(*it);
  }
  return out + "\n}\n";
}

std::string json_string(std::string_view s) { return scalar_text(Json(std::string(s))); }

} // namespace lp
