#include "render/drum_highs.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "formats/safetensors_layout.h"
#include "spectral/stft.h"
#include "timbrel/error.h"
#include "util/atomic_file.h"
#include "util/file_io.h"
#include "util/half.h"

namespace timbrel {
namespace drum_highs {

std::vector<double> band_edges_hz() {
  std::vector<double> e(kBands + 1);
  for (int i = 0; i <= kBands; ++i) e[size_t(i)] = kSplitHz * std::pow(kTopHz / kSplitHz, double(i) / kBands);
  return e;
}

const std::vector<double>& knot_seconds() {
  // Dense over the attack, sparse over the decay; 4 s = the generated hit's length.
  static const std::vector<double> k = {0,    0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.125, 0.15, 0.2,
                                        0.25, 0.3,   0.4,  0.5,   0.65, 0.8,  1.0,  1.25, 1.5,   2.0,  2.5, 3.0,   3.5,  4.0};
  return k;
}

size_t onset_sample(const float* x, size_t n) {
  float peak = 0;
  for (size_t i = 0; i < n; ++i) peak = std::max(peak, std::fabs(x[i]));
  if (peak <= 0) return 0;
  for (size_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) >= 0.1f * peak) return i;
  return 0;
}

namespace {

int hop_for(int rate) { return std::max(1, int(std::lround(rate * kFrameSeconds))); }

// Band of each FFT bin: 0 below kSplitHz, 1..kBands above, -1 past kTopHz.
std::vector<int> bin_bands(int fft, int rate) {
  const auto edges = band_edges_hz();
  std::vector<int> band(size_t(fft / 2 + 1), -1);
  for (int k = 0; k <= fft / 2; ++k) {
    const double f = double(k) * rate / fft;
    if (f < kSplitHz) band[size_t(k)] = 0;
    for (int b = 1; b <= kBands; ++b)
      if (f >= edges[size_t(b - 1)] && f < edges[size_t(b)]) band[size_t(k)] = b;
  }
  return band;
}

}  // namespace

double BandFrames::band_total(int band) const {
  double sum = 0;
  for (int t = 0; t < frames; ++t) sum += at(t, band);
  return sum;
}

BandFrames band_frames(const float* x, size_t n, int rate, size_t onset) {
  BandFrames out;
  out.hop = hop_for(rate);
  const int fft = 4 * out.hop;
  const Stft stft = Stft::hann(fft, out.hop);
  // Frame t is centred on onset + (t - lead) * hop; frames cover x whole.
  const long lead = long(onset / size_t(out.hop)) + 2;
  out.frames = int(lead + long((n - std::min(n, onset)) / size_t(out.hop)) + 3);
  out.lead = int(lead);
  const long start = long(onset) - lead * out.hop - fft / 2;
  std::vector<float> buffer(stft.signal_length(out.frames), 0.0f);
  for (size_t j = 0; j < buffer.size(); ++j) {
    const long i = start + long(j);
    if (i >= 0 && i < long(n)) buffer[j] = x[i];
  }
  std::vector<cfloat> spec(size_t(out.frames) * size_t(stft.bins()));
  stft.analyze(buffer.data(), out.frames, spec.data());
  const std::vector<int> band = bin_bands(fft, rate);
  // Parseval with a periodic Hann at hop fft/4: the squared windows overlap to 1.5.
  const double scale = 1.0 / (double(fft) * 1.5);
  out.energy.assign(size_t(out.frames) * (kBands + 1), 0.0);
  for (int t = 0; t < out.frames; ++t)
    for (int k = 0; k < stft.bins(); ++k) {
      if (band[size_t(k)] < 0) continue;
      const double twice = (k == 0 || k == fft / 2) ? 1.0 : 2.0;
      out.energy[size_t(t) * (kBands + 1) + size_t(band[size_t(k)])] +=
          twice * scale * std::norm(spec[size_t(t) * size_t(stft.bins()) + size_t(k)]);
    }
  return out;
}

}  // namespace drum_highs

using namespace drum_highs;

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// The envelope (dB) at `seconds` after the onset: linear between knots, the last segment's decay
// continued past the last knot (never rising).
double envelope_at(const float* knots_db, double seconds) {
  const auto& t = knot_seconds();
  if (seconds <= t[0]) return knots_db[0];
  for (size_t k = 1; k < t.size(); ++k)
    if (seconds <= t[k]) {
      const double a = (seconds - t[k - 1]) / (t[k] - t[k - 1]);
      return knots_db[k - 1] + a * (knots_db[k] - knots_db[k - 1]);
    }
  const size_t last = t.size() - 1;
  const double slope = std::min(0.0, (knots_db[last] - knots_db[last - 1]) / (t[last] - t[last - 1]));
  return knots_db[last] + slope * (seconds - t[last]);
}

// Fraction of band b (1..kBands) below rate / 2.
double band_coverage(int b, int rate) {
  const auto e = band_edges_hz();
  const double lo = e[size_t(b - 1)], hi = e[size_t(b)], nyquist = rate / 2.0;
  return std::clamp((nyquist - lo) / (hi - lo), 0.0, 1.0);
}

// Removes what x has from `hz` up (the resampler's images of the 16 kHz hit's top band): STFT
// bins zeroed, then the exact inverse.
void strip_above(std::vector<float>& x, int rate, double hz) {
  const int hop = std::max(1, int(std::lround(rate * kFrameSeconds))), fft = 4 * hop;
  const Stft stft = Stft::hann(fft, hop);
  const int frames = int((x.size() + size_t(fft)) / size_t(hop)) + 1;
  std::vector<float> buffer(stft.signal_length(frames), 0.0f);
  std::copy(x.begin(), x.end(), buffer.begin() + fft);
  std::vector<cfloat> spec(size_t(frames) * size_t(stft.bins()));
  stft.analyze(buffer.data(), frames, spec.data());
  const int first = int(std::ceil(hz * fft / rate));
  for (int t = 0; t < frames; ++t)
    for (int k = first; k < stft.bins(); ++k) spec[size_t(t) * size_t(stft.bins()) + size_t(k)] = 0;
  stft.synthesize(spec.data(), frames, buffer.data());
  std::copy(buffer.begin() + fft, buffer.begin() + fft + long(x.size()), x.begin());
}

}  // namespace

DrumHighs::DrumHighs(std::vector<std::string> kits, std::vector<float> envelope_db, std::vector<float> band_ratio_db,
                     std::vector<float> low_gain_db)
    : kits_(std::move(kits)), envelope_db_(std::move(envelope_db)), band_ratio_db_(std::move(band_ratio_db)), low_gain_db_(std::move(low_gain_db)) {
  if (low_gain_db_.empty()) low_gain_db_.assign(kits_.size() * kNotes, 0.0f);
  if (envelope_db_.size() != kits_.size() * kNotes * kBands * kKnots || band_ratio_db_.size() != kits_.size() * kNotes * kBands ||
      low_gain_db_.size() != kits_.size() * kNotes)
    throw Error("DrumHighs", "envelope sizes do not match the kits");
}

int DrumHighs::kit_index(const std::string& kit) const {
  auto it = std::find(kits_.begin(), kits_.end(), kit);
  return it == kits_.end() ? -1 : int(it - kits_.begin());
}

bool DrumHighs::has_kit(const std::string& kit) const { return kit_index(kit) >= 0; }

double DrumHighs::high_ratio(const std::string& kit, int note) const {
  const int k = kit_index(kit);
  if (k < 0 || note < kFirstNote || note > kLastNote) return 0;
  double sum = 0;
  for (int b = 0; b < kBands; ++b)
    sum += std::pow(10.0, band_ratio_db_[(size_t(k) * kNotes + size_t(note - kFirstNote)) * kBands + size_t(b)] / 10);
  return sum;
}

double DrumHighs::low_gain_db(const std::string& kit, int note) const {
  const int k = kit_index(kit);
  if (k < 0 || note < kFirstNote || note > kLastNote) return 0;
  return low_gain_db_[size_t(k) * kNotes + size_t(note - kFirstNote)];
}

// White noise shaped frame by frame (random-phase spectra, overlap-added) to the envelope, each
// band scaled to band_energy[b], silent before the onset; `length` samples.
std::vector<float> DrumHighs::noise(const std::vector<double>& band_energy, int kit, int note, size_t length, int rate,
                                    size_t onset, uint64_t seed) const {
  const int hop = std::max(1, int(std::lround(rate * kFrameSeconds))), fft = 4 * hop;
  const Stft stft = Stft::hann(fft, hop);
  const int frames = int(length / size_t(hop)) + 5, bins = stft.bins();
  const auto edges = band_edges_hz();
  std::vector<int> band_of(size_t(bins), -1), count(kBands + 1, 0);
  for (int k = 0; k < bins; ++k) {
    const double f = double(k) * rate / fft;
    for (int b = 1; b <= kBands; ++b)
      if (f >= edges[size_t(b - 1)] && f < edges[size_t(b)]) band_of[size_t(k)] = b, ++count[size_t(b)];
  }
  // Frame t is centred on sample t * hop of the hit.
  const float* env = &envelope_db_[(size_t(kit) * kNotes + size_t(note - kFirstNote)) * kBands * kKnots];
  std::vector<double> power(size_t(frames) * (kBands + 1), 0.0), sum(kBands + 1, 0.0);
  for (int t = 0; t < frames; ++t) {
    const double seconds = (double(t) * hop - double(onset)) / rate;
    if (seconds < 0) continue;
    for (int b = 1; b <= kBands; ++b) {
      const double p = std::pow(10.0, std::max(-300.0, envelope_at(env + size_t(b - 1) * kKnots, seconds)) / 10);
      power[size_t(t) * (kBands + 1) + size_t(b)] = p;
      sum[size_t(b)] += p;
    }
  }
  uint64_t state = seed ^ (fnv1a(kits_[size_t(kit)]) * 31 + uint64_t(note));
  std::vector<cfloat> spec(size_t(frames) * size_t(bins), cfloat(0, 0));
  for (int t = 0; t < frames; ++t)
    for (int k = 0; k < bins; ++k) {
      const double phase = double(splitmix64(state) >> 11) * (2 * M_PI / 9007199254740992.0);
      const int b = band_of[size_t(k)];
      if (b < 0 || sum[size_t(b)] <= 0 || count[size_t(b)] == 0) continue;
      const double p = power[size_t(t) * (kBands + 1) + size_t(b)] / sum[size_t(b)] * band_energy[size_t(b)] / count[size_t(b)];
      spec[size_t(t) * size_t(bins) + size_t(k)] = std::polar(float(std::sqrt(p) * fft), float(phase));
    }
  std::vector<float> buffer(stft.signal_length(frames));
  stft.synthesize(spec.data(), frames, buffer.data());
  std::vector<float> out(length, 0.0f);
  for (size_t i = onset; i < length; ++i) out[i] = buffer[i + size_t(fft / 2)];
  return out;
}

void DrumHighs::add_high_band(std::vector<float>& hit, int rate, const std::string& kit, int note, uint64_t seed) const {
  const int k = kit_index(kit);
  if (rate <= 16000 || k < 0 || note < kFirstNote || note > kLastNote || hit.empty()) return;
  const float low_gain = float(std::pow(10.0, low_gain_db(kit, note) / 20));
  for (float& v : hit) v *= low_gain;
  const size_t onset = onset_sample(hit.data(), hit.size());
  const double low = band_frames(hit.data(), hit.size(), rate, onset).band_total(0);
  std::vector<double> target(kBands + 1, 0.0);
  double total = 0;
  for (int b = 1; b <= kBands; ++b) {
    const double ratio = std::pow(10.0, band_ratio_db_[(size_t(k) * kNotes + size_t(note - kFirstNote)) * kBands + size_t(b - 1)] / 10);
    target[size_t(b)] = ratio * band_coverage(b, rate) * low;
    total += target[size_t(b)];
  }
  if (!(low > 0) || !(total > 1e-9 * low)) return;
  std::vector<float> band = noise(target, k, note, hit.size(), rate, onset, seed);
  // A generated hit may start mid-waveform: a click whose energy above 8 kHz FluidSynth's hits do
  // not have (up to -44 dB of the hit: the cuicas' whole band is -58 and -73 dB). Its first
  // millisecond is faded in, then the images above 8 kHz removed.
  const size_t fade = std::min(hit.size(), size_t(rate / 1000));
  for (size_t i = 0; i < fade; ++i) hit[i] *= float(0.5 - 0.5 * std::cos(M_PI * double(i) / double(fade)));
  strip_above(hit, rate, kSplitHz);
  // Overlap-add and the onset gate change the energy a little: the band gets exactly its total.
  double made = 0;
  for (float v : band) made += double(v) * v;
  if (!(made > 0)) return;
  const float gain = float(std::sqrt(total / made));
  for (size_t i = 0; i < hit.size(); ++i) hit[i] += gain * band[i];
}

namespace {

template <typename T>
std::vector<T> tensor_values(const std::vector<uint8_t>& bytes, const formats::SafetensorsLayout& layout, const std::string& name,
                             formats::SafeDtype dtype, const std::vector<int64_t>& shape, const std::string& path) {
  for (const auto& e : layout.tensors) {
    if (e.name != name) continue;
    if (e.dtype != dtype || e.shape != shape)
      throw Error(path, "tensor " + name + " has the wrong dtype or shape (expected " + formats::dtype_name(dtype) + ")");
    std::vector<T> out(e.numel);
    std::memcpy(out.data(), bytes.data() + layout.data_offset + e.begin, e.end - e.begin);
    return out;
  }
  throw Error(path, "no tensor " + name);
}

}  // namespace

DrumHighs DrumHighs::load(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, kMaxJsonFileBytes);
  const auto layout = formats::parse_safetensors_layout(bytes.data(), bytes.size(), path);
  auto meta = [&](const std::string& key) {
    auto it = layout.metadata.find(key);
    if (it == layout.metadata.end()) throw Error(path, "metadata has no \"" + key + "\" (not a drum-highs file?)");
    return it->second;
  };
  const std::string format = meta("format");
  if (format != kFormat && format != kFormatWithoutLowGain) throw Error(path, "format is \"" + format + "\", expected " + kFormat);
  DrumHighs h;
  try {
    h.kits_ = nlohmann::json::parse(meta("kits")).get<std::vector<std::string>>();
    const auto knots = nlohmann::json::parse(meta("knot_seconds")).get<std::vector<double>>();
    const auto edges = nlohmann::json::parse(meta("band_edges_hz")).get<std::vector<double>>();
    if (knots.size() != kKnots || edges.size() != size_t(kBands + 1)) throw Error(path, "its knot or band grid is not this version's");
  } catch (const nlohmann::json::exception& e) {
    throw Error(path, std::string("bad metadata: ") + e.what());
  }
  const int64_t kits = int64_t(h.kits_.size());
  const auto halves = tensor_values<uint16_t>(bytes, layout, "envelope_db", formats::SafeDtype::F16, {kits, kNotes, kBands, int64_t(kKnots)}, path);
  h.envelope_db_.resize(halves.size());
  for (size_t i = 0; i < halves.size(); ++i) h.envelope_db_[i] = half_to_float(halves[i]);
  h.band_ratio_db_ = tensor_values<float>(bytes, layout, "band_ratio_db", formats::SafeDtype::F32, {kits, kNotes, kBands}, path);
  h.low_gain_db_ = format == kFormat ? tensor_values<float>(bytes, layout, "low_gain_db", formats::SafeDtype::F32, {kits, kNotes}, path)
                                     : std::vector<float>(size_t(kits) * kNotes, 0.0f);
  for (float v : h.low_gain_db_)
    if (!std::isfinite(v) || std::fabs(v) > 60) throw Error(path, "low_gain_db holds NaN or a gain beyond 60 dB");
  for (float v : h.envelope_db_)
    if (std::isnan(v)) throw Error(path, "envelope_db holds NaN");
  for (float v : h.band_ratio_db_)
    if (std::isnan(v) || v > 100) throw Error(path, "band_ratio_db holds NaN or a value above 100 dB");
  return h;
}

std::optional<DrumHighs> DrumHighs::load_beside(const std::string& drum_model_dir) {
  const std::string path = (std::filesystem::path(drum_model_dir) / kFileName).string();
  if (!std::filesystem::exists(path)) return std::nullopt;
  return load(path);
}

void DrumHighs::save(const std::string& path, const std::string& provenance_json) const {
  const size_t env_bytes = envelope_db_.size() * 2, ratio_bytes = band_ratio_db_.size() * 4, gain_bytes = low_gain_db_.size() * 4;
  const int64_t kits = int64_t(kits_.size());
  nlohmann::json header = {
      {"__metadata__",
       {{"format", kFormat},
        {"kits", nlohmann::json(kits_).dump()},
        {"first_note", std::to_string(kFirstNote)},
        {"knot_seconds", nlohmann::json(knot_seconds()).dump()},
        {"band_edges_hz", nlohmann::json(band_edges_hz()).dump()},
        {"provenance", provenance_json}}},
      {"band_ratio_db", {{"dtype", "F32"}, {"shape", {kits, kNotes, kBands}}, {"data_offsets", {0, ratio_bytes}}}},
      {"envelope_db",
       {{"dtype", "F16"}, {"shape", {kits, kNotes, kBands, int64_t(kKnots)}}, {"data_offsets", {ratio_bytes, ratio_bytes + env_bytes}}}},
      {"low_gain_db",
       {{"dtype", "F32"}, {"shape", {kits, kNotes}}, {"data_offsets", {ratio_bytes + env_bytes, ratio_bytes + env_bytes + gain_bytes}}}}};
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<uint8_t> data(8 + text.size() + ratio_bytes + env_bytes + gain_bytes);
  const uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) data[size_t(i)] = uint8_t(length >> (8 * i));
  std::memcpy(data.data() + 8, text.data(), text.size());
  std::memcpy(data.data() + 8 + text.size(), band_ratio_db_.data(), ratio_bytes);
  uint8_t* env = data.data() + 8 + text.size() + ratio_bytes;
  for (size_t i = 0; i < envelope_db_.size(); ++i) {
    const uint16_t h = float_to_half(envelope_db_[i]);
    std::memcpy(env + 2 * i, &h, 2);
  }
  std::memcpy(env + env_bytes, low_gain_db_.data(), gain_bytes);
  AtomicFile file(path);
  file.write(data.data(), data.size());
  file.commit();
}

}  // namespace timbrel
