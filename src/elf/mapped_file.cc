// MappedFile: mmap for regular files, a copy for anything else (see mapped_file.h).
#include "elf/mapped_file.h"

#include "elf/atomic_file.h"
#include "elf/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lp::elf {

MappedFile MappedFile::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw FileError(path, std::strerror(errno));
  struct stat st {};
  MappedFile f;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    f.size_ = static_cast<size_t>(st.st_size);
    if (f.size_ == 0) {
      ::close(fd);
      return f;
    }
    void *p = ::mmap(nullptr, f.size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    if (p == MAP_FAILED)
      throw FileError(path, std::strerror(err));
    f.data_ = static_cast<uint8_t *>(p);
    f.mapped_ = true;
    return f;
  }
  ::close(fd);
  std::string text = read_file(path); // a pipe or device: read it; a directory: its error
  f.size_ = text.size();
  f.data_ = new uint8_t[f.size_ ? f.size_ : 1];
  std::memcpy(f.data_, text.data(), f.size_);
  return f;
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    size_ = other.size_;
    mapped_ = other.mapped_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.mapped_ = false;
  }
  return *this;
}

MappedFile::~MappedFile() { release(); }

void MappedFile::release() {
  if (mapped_)
    ::munmap(data_, size_);
  else
    delete[] data_;
  data_ = nullptr;
  size_ = 0;
  mapped_ = false;
}

} // namespace lp::elf
