// Filling livepatch_expectation_t (see expectations.h).
#include "payload/expectations.h"

#include "elf/error.h"
#include "payload/digest.h"
#include "payload/funcs_table.h"

#include <algorithm>
#include <array>
#include <fmt/format.h>

namespace lp::payload {
namespace {

constexpr std::array<uint8_t, 4> kEndbr64 = {0xf3, 0x0f, 0x1e, 0xfa};
constexpr std::array<uint8_t, 4> kEndbr64Poison = {0x66, 0x0f, 0x1f, 0x01};
constexpr unsigned kJumpSize = 5;

unsigned overwritten_length(const FuncEntry &e, unsigned offset) {
  return offset + (e.is_nop() ? e.new_size : kJumpSize);
}

std::string entry_label(const FuncEntry &e) {
  return e.name.empty() ? fmt::format("entry at +{}", e.offset) : e.name;
}

} // namespace

unsigned patch_offset(std::span<const uint8_t> code) {
  if (code.size() < 4)
    return 0;
  auto head = code.first(4);
  bool endbr = std::equal(head.begin(), head.end(), kEndbr64.begin()) ||
               std::equal(head.begin(), head.end(), kEndbr64Poison.begin());
  return endbr ? 4 : 0;
}

void check_expectations_allowed(std::span<const uint8_t> depends, std::span<const uint8_t> xen_id) {
  if (std::equal(depends.begin(), depends.end(), xen_id.begin(), xen_id.end()))
    return;
  throw FileError("--expect",
                  fmt::format("the payload stacks on {} rather than on Xen {}: the bytes at each "
                              "old_addr will then be the lower payload's jump, which cannot be "
                              "known from xen-syms; build without --expect",
                              to_hex(depends), to_hex(xen_id)));
}

std::vector<Expectation> fill_expectations(elf::Object &obj, const elf::LinkedImage &xen) {
  std::vector<Expectation> out;
  elf::Section *sec = obj.section_named(".livepatch.funcs");
  for (const FuncEntry &e : read_funcs(obj)) {
    uint8_t *field = sec->data.data() + e.offset + kFuncExpectOff;
    if (field[0] & 1) {
      out.push_back({e.name, 0, std::vector<uint8_t>(field + 1, field + 1 + (field[0] >> 1 & 31)), true});
      continue;
    }
    auto addr = old_address(e, xen);
    if (!addr)
      throw FileError(obj.path, fmt::format("--expect: cannot find the address of {} in {}",
                                            entry_label(e), xen.path()));
    auto head = xen.read(*addr, 4);
    unsigned len = overwritten_length(e, head ? patch_offset(*head) : 0);
    auto bytes = len <= kExpectDataMax ? xen.read(*addr, len) : std::nullopt;
    if (!bytes)
      throw FileError(obj.path, fmt::format("--expect: {} bytes at {:#x} ({}) are not in {}", len,
                                            *addr, entry_label(e), xen.path()));
    field[0] = static_cast<uint8_t>(1 | len << 1);
    std::fill(field + 1, field + 1 + kExpectDataMax, 0);
    std::copy(bytes->begin(), bytes->end(), field + 1);
    out.push_back({e.name, *addr, *bytes, false});
  }
  return out;
}

} // namespace lp::payload
