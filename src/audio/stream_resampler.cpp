#include "audio/stream_resampler.h"

#include <soxr.h>

#include <cmath>
#include <string>

#include "timbrel/error.h"

namespace timbrel {

StreamResampler::StreamResampler(int in_rate, int out_rate) : ratio_(double(out_rate) / in_rate) {
  if (in_rate == out_rate) return;
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  soxr_error_t err = nullptr;
  soxr_ = soxr_create(in_rate, out_rate, 1, &err, &io, &q, nullptr);
  if (err || !soxr_) throw Error("resample " + std::to_string(in_rate) + " -> " + std::to_string(out_rate) + " Hz", std::string("libsoxr: ") + (err ? err : "failed"));
}

StreamResampler::~StreamResampler() {
  if (soxr_) soxr_delete(static_cast<soxr_t>(soxr_));
}

void StreamResampler::run(const float* in, size_t n, std::vector<float>& out) {
  // in == nullptr asks soxr for its tail; loop until it has nothing more to give.
  size_t consumed_total = 0;
  while (true) {
    const size_t room = size_t(std::ceil(double(n - consumed_total) * ratio_)) + 256;
    const size_t before = out.size();
    out.resize(before + room);
    size_t used = 0, made = 0;
    soxr_error_t err = soxr_process(static_cast<soxr_t>(soxr_), in ? in + consumed_total : nullptr, in ? n - consumed_total : 0,
                                    &used, out.data() + before, room, &made);
    if (err) throw Error("resample", std::string("libsoxr: ") + err);
    out.resize(before + made);
    consumed_total += used;
    if (made < room && (!in || consumed_total >= n)) break;
  }
}

void StreamResampler::process(const float* in, size_t n, std::vector<float>& out) {
  if (!soxr_) {
    out.insert(out.end(), in, in + n);
    return;
  }
  if (n) run(in, n, out);
}

void StreamResampler::flush(std::vector<float>& out) {
  if (soxr_) run(nullptr, 0, out);
}

}  // namespace timbrel
