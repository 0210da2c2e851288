// Xen's errno values and their messages (ABI doc appendix B), so the tool
// reports errors the way xen-livepatch does: "<errno>(<message>)".
#pragma once

#include <string>

namespace minixen {

enum XenErrno : int {
  XEN_EPERM = 1, XEN_ENOENT = 2, XEN_ENXIO = 6, XEN_E2BIG = 7, XEN_EAGAIN = 11,
  XEN_ENOMEM = 12, XEN_EACCES = 13, XEN_EFAULT = 14, XEN_EBUSY = 16, XEN_EEXIST = 17,
  XEN_EINVAL = 22, XEN_ENOSPC = 28, XEN_ERANGE = 34, XEN_ENOSYS = 38, XEN_ENODATA = 61,
  XEN_EOVERFLOW = 75, XEN_EOPNOTSUPP = 95, XEN_ENOBUFS = 105,
};

// "Invalid argument" for 22; "Unknown error N" otherwise. errnum is positive.
std::string xen_strerror(int errnum);
// "22 (Invalid argument)", from a negative or positive errno.
std::string describe_errno(int err);

} // namespace minixen
