// The host end of the hypervisor's control channel: a Unix socket that QEMU
// connects to the guest's COM2 (-serial unix:PATH,server=on,wait=off).
// One request frame out, one response frame back (framing in
// hypervisor/xen/include/public/control.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace minixen {

// Transport failure (cannot connect, timeout, malformed response).
class ChannelError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct Response {
  int32_t rc = 0; // 0 or -errno from the hypervisor
  std::vector<uint8_t> body;
};

class ControlChannel {
public:
  // timeout_ms: how long to wait for each response.
  explicit ControlChannel(const std::string &socket_path, int timeout_ms = 60000);
  ~ControlChannel();
  ControlChannel(const ControlChannel &) = delete;
  ControlChannel &operator=(const ControlChannel &) = delete;

  // Sends one request and waits (up to timeout_ms) for its response.
  Response request(uint32_t op, const std::vector<uint8_t> &body);
  // How long a response may take (--timeout): the limit of every wait.
  int timeout_ms() const { return timeout_ms_; }

private:
  void send_all(const uint8_t *p, size_t n);
  void recv_all(uint8_t *p, size_t n, int timeout_ms);
  int fd_ = -1;
  std::string path_;
  int timeout_ms_;
};

// Little-endian body building and parsing.
void put_u32(std::vector<uint8_t> &b, uint32_t v);
void put_u64(std::vector<uint8_t> &b, uint64_t v);
void put_cstr(std::vector<uint8_t> &b, const std::string &s);
uint32_t get_u32(const std::vector<uint8_t> &b, size_t off);
uint64_t get_u64(const std::vector<uint8_t> &b, size_t off);

} // namespace minixen
