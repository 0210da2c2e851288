// Names: what a symbol's name says about how to correlate it.
//
// gcc numbers what it invents: static locals get a ".N" suffix (count.3),
// clones get ".isra.N", ".constprop.N" or ".part.N", cold parts ".cold" or
// ".cold.N". The numbers depend on the order in which gcc met things in the
// translation unit, so adding a function at the top of a file renumbers
// everything below it. Correlation therefore compares names with every
// ".<digits>" run removed (strip_numbering), and scopes statics by their file.
//
// A few statics are *special*: __func__.N, __warned.N and friends are
// compiler- or macro-made per-call-site copies that are never correlated and
// always copied into the payload when referenced (renamed uniquely there).
#include "diff/engine.h"

#include <array>
#include <cctype>

namespace lp::diff {

namespace {

constexpr std::array<std::string_view, 9> kSpecialStatics = {
    "__func__.", "__FUNCTION__.", "__PRETTY_FUNCTION__.", "__warned.", "__key.",
    "descriptor.", "_rs.", "__already_done.", "__print_once."};

bool all_digits(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

} // namespace

std::string strip_numbering(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    out += name[i];
    if (name[i] == '.' && i > 0) {
      size_t j = i + 1;
      while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j])))
        ++j;
      if (j > i + 1 && (j == name.size() || name[j] == '.')) {
        i = j;
        continue;
      }
    }
    ++i;
  }
  return out;
}

std::optional<std::string_view> special_static_prefix(std::string_view name) {
  for (std::string_view p : kSpecialStatics)
    if (name.starts_with(p) && all_digits(name.substr(p.size())))
      return p.substr(0, p.size() - 1);
  return std::nullopt;
}

std::optional<std::string_view> cold_parent_name(std::string_view name) {
  size_t pos = name.rfind(".cold");
  if (pos == std::string_view::npos || pos == 0)
    return std::nullopt;
  std::string_view rest = name.substr(pos + 5);
  if (!rest.empty() && !(rest[0] == '.' && all_digits(rest.substr(1))))
    return std::nullopt;
  return name.substr(0, pos);
}

bool is_static_local_name(std::string_view name) {
  size_t dot = name.rfind('.');
  return dot != std::string_view::npos && dot > 0 && all_digits(name.substr(dot + 1));
}

bool is_init_section(std::string_view name) { return name.starts_with(".init"); }

bool is_discard_section(std::string_view name) { return name.starts_with(".discard"); }

std::string Unit::xen_name() const {
  if (file.empty())
    return std::string(sym->name);
  return file + "#" + sym->name;
}

} // namespace lp::diff
