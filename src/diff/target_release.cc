// Which Xen release the diff object is built for.
//
// The release decides the .livepatch.funcs section flags and the special-
// section entry sizes (elf/xen_versions.h holds every per-release fact). In
// order: --xen-version, which must agree with xen-syms when xen-syms tells;
// else what xen-syms says (xen_major_version/xen_minor_version); else a
// xen-syms with .alt_call_sites is taken as 4.21; else Xen 4.17. A release
// outside the table is refused: guessing its rules could produce a payload
// that faults.
#include "diff/engine.h"

#include "elf/error.h"
#include "elf/image.h"

#include <fmt/format.h>

namespace lp::diff {

namespace {

bool has_alt_call_sites(const elf::LinkedImage &xen) {
  return xen.section_named(".alt_call_sites") || xen.has_symbol_named("__alt_call_sites_start");
}

const elf::XenRelease &supported(elf::XenVersion v, const std::string &who, const std::string &file) {
  const elf::XenRelease *r = elf::xen_release(v);
  if (!r)
    throw FileError(file, fmt::format("{} Xen {}, which is not supported (supported: {})", who,
                                      v.str(), elf::supported_xen_versions()));
  return *r;
}

} // namespace

TargetRelease target_release(const Options &o, const elf::LinkedImage &xen) {
  std::optional<elf::XenVersion> image = elf::xen_version_from_image(xen);
  if (!o.xen_version.empty()) {
    auto v = elf::parse_xen_version(o.xen_version);
    if (!v)
      throw FileError(o.xen_version, "--xen-version wants MAJOR.MINOR, e.g. 4.20");
    if (image && *image != *v)
      throw FileError(xen.path(), fmt::format("is Xen {}, but --xen-version says {}", image->str(),
                                              v->str()));
    return {&supported(*v, "--xen-version names", o.xen_version), "--xen-version"};
  }
  if (image)
    return {&supported(*image, "is", xen.path()), "xen-syms"};
  if (has_alt_call_sites(xen))
    return {elf::xen_release({4, 21}), ".alt_call_sites in xen-syms"};
  return {&elf::default_xen_release(), "default"};
}

} // namespace lp::diff
