// The table of Xen releases and the version detection (see xen_versions.h).
//
// Facts in the table were read from Xen's sources: 4.17.5 (Debian 12's
// tarball), 4.20.4 and 4.22.0 (upstream release tags: load_payload_data's
// order, .alt_call_sites in prepare_payload, XEN_SYSCTL_INTERFACE_VERSION,
// Kconfig.debug, arch/x86/arch.mk); 4.18, 4.19 and 4.21 from the ABI history
// in xen-livepatch-abi.md §0 (commits named there), not from their sources.
#include "elf/xen_versions.h"

#include "elf/image.h"

#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <sstream>

namespace lp::elf {

namespace {

constexpr XenEntrySizes kSizes{14, 8, 8, 0};
constexpr XenEntrySizes kSizesAltCall{14, 8, 8, 4};

// clang-format off
const std::vector<XenRelease> kReleases = {
    //  version  state  W      bid1st altcall sysctl sizes          dbginfo extra cflags
    {{4, 17}, true,  false, false, false, 0x15, kSizes,        false, ""},
    {{4, 18}, true,  true,  false, false, 0x15, kSizes,        false, ""},
    {{4, 19}, false, false, false, false, 0x15, kSizes,        false, ""},
    {{4, 20}, false, false, true,  false, 0x15, kSizes,        true,  "-Wa,-mx86-used-note=no"},
    {{4, 21}, false, false, true,  true,  0x16, kSizesAltCall, true,  "-Wa,-mx86-used-note=no"},
    {{4, 22}, false, false, true,  true,  0x16, kSizesAltCall, true,
     "-Wa,-mx86-used-note=no -malign-data=abi"},
};
// clang-format on

// `mov $imm32,%eax` at the start of a function, after an optional ENDBR64.
std::optional<uint32_t> returned_constant(const LinkedImage &xen, std::string_view fn) {
  const ImageSymbol *s = xen.global(fn);
  if (!s)
    return std::nullopt;
  auto code = xen.read(s->address, 9);
  if (!code)
    code = xen.read(s->address, 5);
  if (!code)
    return std::nullopt;
  static const uint8_t kEndbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
  size_t at = code->size() >= 9 && std::memcmp(code->data(), kEndbr64, 4) == 0 ? 4 : 0;
  if (code->size() < at + 5 || (*code)[at] != 0xb8)
    return std::nullopt;
  uint32_t v;
  std::memcpy(&v, code->data() + at + 1, 4);
  return v;
}

std::optional<int> number(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0)
    return std::nullopt;
  return v;
}

// `[export] KEY [:?]= <digits>` in a makefile line.
std::optional<int> makefile_number(const std::string &text, std::string_view key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string word, op, value;
    words >> word;
    if (word == "export")
      words >> word;
    if (word != key || !(words >> op) || (op != "=" && op != ":=" && op != "?="))
      continue;
    if (words >> value)
      return number(value);
  }
  return std::nullopt;
}

} // namespace

std::string XenVersion::str() const { return fmt::format("{}.{}", major, minor); }

const std::vector<XenRelease> &xen_releases() { return kReleases; }

const XenRelease *xen_release(XenVersion v) {
  for (const XenRelease &r : kReleases)
    if (r.version == v)
      return &r;
  return nullptr;
}

const XenRelease &default_xen_release() { return kReleases.front(); }

std::optional<XenVersion> parse_xen_version(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = text.substr(dot + 1);
  size_t dot2 = rest.find('.');
  if (dot2 != std::string_view::npos) {
    if (!number(rest.substr(dot2 + 1)))
      return std::nullopt;
    rest = rest.substr(0, dot2);
  }
  auto major = number(text.substr(0, dot)), minor = number(rest);
  if (!major || !minor)
    return std::nullopt;
  return XenVersion{*major, *minor};
}

std::string supported_xen_versions() {
  std::string out;
  for (const XenRelease &r : kReleases)
    out += (out.empty() ? "" : ", ") + r.version.str();
  return out;
}

std::optional<XenVersion> xen_version_from_makefile(const std::string &text) {
  auto major = makefile_number(text, "XEN_VERSION");
  auto minor = makefile_number(text, "XEN_SUBVERSION");
  if (!major || !minor)
    return std::nullopt;
  return XenVersion{*major, *minor};
}

std::optional<XenVersion> xen_version_from_image(const LinkedImage &xen) {
  auto major = returned_constant(xen, "xen_major_version");
  auto minor = returned_constant(xen, "xen_minor_version");
  if (!major || !minor || *major > 99 || *minor > 99)
    return std::nullopt;
  return XenVersion{static_cast<int>(*major), static_cast<int>(*minor)};
}

} // namespace lp::elf
