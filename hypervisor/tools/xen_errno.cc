// Xen errno messages: a table, the same text Linux's strerror gives for
// these values (Xen's errno numbers equal Linux's for all of them).
#include "xen_errno.h"

#include <fmt/format.h>

#include <cstdlib>
#include <map>

namespace minixen {

std::string xen_strerror(int errnum) {
  static const std::map<int, const char *> messages = {
      {XEN_EPERM, "Operation not permitted"},
      {XEN_ENOENT, "No such file or directory"},
      {XEN_ENXIO, "No such device or address"},
      {XEN_E2BIG, "Argument list too long"},
      {XEN_EAGAIN, "Resource temporarily unavailable"},
      {XEN_ENOMEM, "Cannot allocate memory"},
      {XEN_EACCES, "Permission denied"},
      {XEN_EFAULT, "Bad address"},
      {XEN_EBUSY, "Device or resource busy"},
      {XEN_EEXIST, "File exists"},
      {XEN_EINVAL, "Invalid argument"},
      {XEN_ENOSPC, "No space left on device"},
      {XEN_ERANGE, "Numerical result out of range"},
      {XEN_ENOSYS, "Function not implemented"},
      {XEN_ENODATA, "No data available"},
      {XEN_EOVERFLOW, "Value too large for defined data type"},
      {XEN_EOPNOTSUPP, "Operation not supported"},
      {XEN_ENOBUFS, "No buffer space available"},
  };
  auto it = messages.find(errnum);
  return it != messages.end() ? it->second : fmt::format("Unknown error {}", errnum);
}

std::string describe_errno(int err) {
  int e = std::abs(err);
  return fmt::format("{} ({})", e, xen_strerror(e));
}

} // namespace minixen
