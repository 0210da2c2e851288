// Control-channel transport: connect to QEMU's socket, write a request
// frame, read the response frame, check magic, op and FNV-1a checksum.
#include "control_channel.h"

#include "public/control.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace minixen {

void put_u32(std::vector<uint8_t> &b, uint32_t v) {
  for (int i = 0; i < 4; i++)
    b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u64(std::vector<uint8_t> &b, uint64_t v) {
  put_u32(b, static_cast<uint32_t>(v));
  put_u32(b, static_cast<uint32_t>(v >> 32));
}
void put_cstr(std::vector<uint8_t> &b, const std::string &s) {
  b.insert(b.end(), s.begin(), s.end());
  b.push_back(0);
}
uint32_t get_u32(const std::vector<uint8_t> &b, size_t off) {
  if (off + 4 > b.size())
    throw ChannelError("response body too short");
  return b[off] | b[off + 1] << 8 | b[off + 2] << 16 | static_cast<uint32_t>(b[off + 3]) << 24;
}
uint64_t get_u64(const std::vector<uint8_t> &b, size_t off) {
  return get_u32(b, off) | static_cast<uint64_t>(get_u32(b, off + 4)) << 32;
}

ControlChannel::ControlChannel(const std::string &socket_path, int timeout_ms)
    : path_(socket_path), timeout_ms_(timeout_ms) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof(addr.sun_path))
    throw ChannelError(fmt::format("{}: socket path too long", socket_path));
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw ChannelError(fmt::format("socket: {}", strerror(errno)));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) < 0) {
    int e = errno;
    close(fd_);
    fd_ = -1;
    throw ChannelError(fmt::format("{}: cannot connect to the hypervisor: {}", socket_path,
                                   strerror(e)));
  }
}

ControlChannel::~ControlChannel() {
  if (fd_ >= 0)
    close(fd_);
}

void ControlChannel::send_all(const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      throw ChannelError(fmt::format("{}: write failed: {}", path_, strerror(errno)));
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void ControlChannel::recv_all(uint8_t *p, size_t n, int timeout_ms) {
  while (n) {
    pollfd pfd{fd_, POLLIN, 0};
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0)
      throw ChannelError(fmt::format("{}: no response from the hypervisor", path_));
    ssize_t got = ::recv(fd_, p, n, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      throw ChannelError(fmt::format("{}: connection closed by the hypervisor", path_));
    p += got;
    n -= static_cast<size_t>(got);
  }
}

Response ControlChannel::request(uint32_t op, const std::vector<uint8_t> &body) {
  const int timeout_ms = timeout_ms_;
  if (body.size() > CTL_MAX_BODY)
    throw ChannelError("request too large for the control channel");
  std::vector<uint8_t> frame;
  put_u32(frame, CTL_REQ_MAGIC);
  put_u32(frame, op);
  put_u32(frame, static_cast<uint32_t>(body.size()));
  frame.insert(frame.end(), body.begin(), body.end());
  put_u32(frame, ctl_check(body.data(), body.size()));
  send_all(frame.data(), frame.size());

  std::vector<uint8_t> hdr(16);
  recv_all(hdr.data(), hdr.size(), timeout_ms);
  if (get_u32(hdr, 0) != CTL_RSP_MAGIC || get_u32(hdr, 4) != op)
    throw ChannelError(fmt::format("{}: malformed response from the hypervisor", path_));
  Response r;
  r.rc = static_cast<int32_t>(get_u32(hdr, 8));
  uint32_t len = get_u32(hdr, 12);
  if (len > CTL_MAX_BODY)
    throw ChannelError(fmt::format("{}: response too large", path_));
  r.body.resize(len);
  recv_all(r.body.data(), len, timeout_ms);
  std::vector<uint8_t> tail(4);
  recv_all(tail.data(), 4, timeout_ms);
  if (get_u32(tail, 0) != ctl_check(r.body.data(), r.body.size()))
    throw ChannelError(fmt::format("{}: response checksum mismatch", path_));
  return r;
}

} // namespace minixen
