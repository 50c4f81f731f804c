#include "util/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "timbrel/error.h"
#include "util/atomic_file.h"
#include "util/file_io.h"
#include "util/half.h"

namespace timbrel {
namespace {

constexpr size_t kMaxNpyBytes = size_t(4) << 30;

// Value of `key` in the header dict, e.g. 'descr': '<f4' -> <f4.
std::string dict_value(const std::string& header, const std::string& key, const std::string& name) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) throw Error(name, "npy header has no '" + key + "'");
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) throw Error(name, "malformed npy header");
  size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) throw Error(name, "malformed npy header");
  if (header[start] == '\'') {
    size_t end = header.find('\'', start + 1);
    if (end == std::string::npos) throw Error(name, "malformed npy header");
    return header.substr(start + 1, end - start - 1);
  }
  if (header[start] == '(') {
    size_t end = header.find(')', start);
    if (end == std::string::npos) throw Error(name, "malformed npy header");
    return header.substr(start + 1, end - start - 1);
  }
  size_t end = header.find_first_of(",}", start);
  return header.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

size_t NpyArray::size() const {
  size_t n = 1;
  for (int64_t d : shape) n *= size_t(d);
  return n;
}

NpyHeader parse_npy_header(const uint8_t* bytes, size_t size, const std::string& name, size_t max_bytes) {
  if (size < 10 || std::memcmp(bytes, "\x93NUMPY", 6) != 0) throw Error(name, "not a NumPy .npy file");
  int major = bytes[6];
  size_t header_len, offset;
  if (major == 1) {
    header_len = bytes[8] | size_t(bytes[9]) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw Error(name, "truncated npy header");
    header_len = bytes[8] | size_t(bytes[9]) << 8 | size_t(bytes[10]) << 16 | size_t(bytes[11]) << 24;
    offset = 12;
  } else {
    throw Error(name, "unsupported npy version " + std::to_string(major));
  }
  if (size - offset < header_len) throw Error(name, "truncated npy header");
  std::string header(reinterpret_cast<const char*>(bytes + offset), header_len);
  NpyHeader h;
  h.data_offset = offset + header_len;
  h.descr = dict_value(header, "descr", name);
  if (dict_value(header, "fortran_order", name).find("False") == std::string::npos)
    throw Error(name, "Fortran-order arrays are not supported (save with numpy.ascontiguousarray)");
  if (h.descr == "<f4") h.item = 4;
  else if (h.descr == "<f8") h.item = 8;
  else if (h.descr == "<f2") h.item = 2;
  else throw Error(name, "dtype '" + h.descr + "' is not supported (need float32, float64 or float16)");
  std::string dims = dict_value(header, "shape", name);
  size_t pos = 0;
  h.count = 1;
  while (pos < dims.size()) {
    size_t end = dims.find(',', pos);
    std::string tok = dims.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    tok.erase(0, tok.find_first_not_of(' '));
    tok.erase(tok.find_last_not_of(' ') + 1);
    if (!tok.empty()) {
      if (tok.find_first_not_of("0123456789") != std::string::npos || tok.size() > 12)
        throw Error(name, "bad npy shape (" + dims + ")");
      int64_t d = std::stoll(tok);
      if (d > 0 && h.count > max_bytes / size_t(d)) throw Error(name, "npy shape too large");
      h.count *= size_t(d);
      h.shape.push_back(d);
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  if (h.count > max_bytes / h.item) throw Error(name, "npy shape too large");
  return h;
}

NpyArray parse_npy(const uint8_t* bytes, size_t size, const std::string& name) {
  const NpyHeader h = parse_npy_header(bytes, size, name, kMaxNpyBytes);
  const size_t count = h.count, item = h.item, offset = h.data_offset;
  if (size - offset != count * item)
    throw Error(name, "npy data is " + std::to_string(size - offset) + " bytes, the shape needs " +
                          std::to_string(count * item));
  NpyArray a;
  a.shape = h.shape;
  a.data.resize(count);
  const uint8_t* p = bytes + offset;
  for (size_t i = 0; i < count; ++i) {
    if (item == 4) {
      std::memcpy(&a.data[i], p + 4 * i, 4);
    } else if (item == 8) {
      double d;
      std::memcpy(&d, p + 8 * i, 8);
      a.data[i] = float(d);
    } else {
      a.data[i] = half_to_float(uint16_t(p[2 * i] | p[2 * i + 1] << 8));
    }
  }
  return a;
}

NpyArray read_npy(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path, kMaxNpyBytes + (uint64_t(1) << 20));  // + the header;
  return parse_npy(bytes.data(), bytes.size(), path);
}

std::string npy_header(const std::string& descr, const std::vector<int64_t>& dims, size_t min_size) {
  std::string shape = "(";
  for (size_t i = 0; i < dims.size(); ++i) shape += (i ? ", " : "") + std::to_string(dims[i]);
  shape += dims.size() == 1 ? ",)" : ")";  // NumPy's repr of a tuple
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts on a 64-byte boundary, ending with a newline.
  size_t total = 10 + header.size() + 1;
  if (total < min_size) {
    header.append(min_size - total, ' ');
    total = min_size;
  }
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) + char(header.size() & 0xff) + char(header.size() >> 8) + header;
}

std::vector<uint8_t> encode_npy(const NpyArray& a) {
  if (a.size() != a.data.size()) throw Error("", "npy shape does not match the data size");
  const std::string prefix = npy_header("<f4", a.shape);
  std::vector<uint8_t> out(prefix.begin(), prefix.end());
  size_t at = out.size();
  out.resize(at + a.data.size() * 4);
  if (!a.data.empty()) std::memcpy(&out[at], a.data.data(), a.data.size() * 4);
  return out;
}

void write_npy(const std::string& path, const NpyArray& array) {
  std::vector<uint8_t> bytes;
  try {
    bytes = encode_npy(array);
  } catch (const Error& e) {
    throw Error(path, e.problem());
  }
  write_file_atomically(path, bytes.data(), bytes.size());
}

}  // namespace timbrel
