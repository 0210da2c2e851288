// `ld -r` of the payload's objects (see payload_link.h).
#include "payload/payload_link.h"

#include "elf/error.h"
#include "elf/reader.h"
#include "payload/process.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace lp::payload {
namespace {

std::string first_line(const std::string &text) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  return line;
}

} // namespace

elf::Object link_objects(std::vector<std::string> objects, const std::string &linked_path) {
  if (objects.empty())
    throw FileError(linked_path, "nothing to link: no object files");
  std::sort(objects.begin(), objects.end());
  std::vector<std::string> argv = {"ld", "-r", "-o", linked_path};
  argv.insert(argv.end(), objects.begin(), objects.end());
  std::string output;
  int rc = run_capture(argv, output);
  if (rc != 0) { // ld writes its output in place: drop what it left
    std::error_code ec;
    std::filesystem::remove(linked_path, ec);
  }
  check_interrupted(); // ld stopped by Ctrl-C is an interruption, not a link error
  if (rc != 0)
    throw FileError(linked_path, "ld -r failed: " + first_line(output));
  return elf::read_object(linked_path);
}

} // namespace lp::payload
