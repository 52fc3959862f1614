#include "tests/support/gzip_reader.h"

#include <zlib.h>

#include <stdexcept>

#include "tests/support/sandbox_process.h"

namespace payrecon::testing {

std::string Gunzip(std::string_view data) {
  if (data.size() < 2 || static_cast<unsigned char>(data[0]) != 0x1f || static_cast<unsigned char>(data[1]) != 0x8b) {
    throw std::runtime_error("not gzip data: the first two bytes are not 1f 8b");
  }
  z_stream z{};
  if (inflateInit2(&z, 16 + 15) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string text;
  char chunk[1 << 14];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      const std::string why = rc == Z_BUF_ERROR ? std::string("the stream is truncated")
                                                : std::string("zlib error ") + std::to_string(rc) +
                                                      (z.msg != nullptr ? std::string(": ") + z.msg : "");
      inflateEnd(&z);
      throw std::runtime_error("bad gzip data: " + why);
    }
    text.append(chunk, sizeof chunk - z.avail_out);
  }
  const uInt rest = z.avail_in;
  inflateEnd(&z);
  if (rest != 0) throw std::runtime_error("bad gzip data: " + std::to_string(rest) + " bytes after the stream");
  return text;
}

std::string ReadGzipFile(const std::string& path) {
  const std::string data = ReadFile(path);
  try {
    return Gunzip(data);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("\"" + path + "\": " + e.what());
  }
}

}  // namespace payrecon::testing
