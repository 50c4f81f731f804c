#pragma once
// Streams float16 rows into an .npy whose first dimension is fixed once all rows are in; the file
// appears (atomically) only on commit.
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "timbrel/error.h"
#include "util/atomic_file.h"
#include "util/half.h"
#include "util/npy.h"

namespace timbrel::train {

class HalfNpyWriter {
 public:
  HalfNpyWriter(const std::string& path, std::vector<int64_t> row_shape) : file_(path), row_shape_(std::move(row_shape)) {
    std::vector<int64_t> shape{int64_t(1) << 40};
    shape.insert(shape.end(), row_shape_.begin(), row_shape_.end());
    header_size_ = npy_header("<f2", shape).size();
    std::string blank(header_size_, ' ');
    file_.write(blank.data(), blank.size());
  }
  void append(const float* values, size_t count) {
    buffer_.resize(count);
    for (size_t i = 0; i < count; ++i) buffer_[i] = float_to_half(values[i]);
    file_.write(buffer_.data(), count * 2);
  }
  void append_halves(const uint16_t* values, size_t count) { file_.write(values, count * 2); }
  void commit(size_t rows) {
    std::vector<int64_t> shape{int64_t(rows)};
    shape.insert(shape.end(), row_shape_.begin(), row_shape_.end());
    const std::string header = npy_header("<f2", shape, header_size_);
    if (header.size() != header_size_ || ::pwrite(file_.fd(), header.data(), header.size(), 0) != ssize_t(header.size()))
      throw Error(file_.temp_path(), "cannot write the npy header");
    file_.commit();
  }

 private:
  AtomicFile file_;
  std::vector<int64_t> row_shape_;
  size_t header_size_ = 0;
  std::vector<uint16_t> buffer_;
};

}  // namespace timbrel::train
