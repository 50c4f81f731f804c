#include "engine/chord_sampling.h"

#include <algorithm>
#include <cmath>

#include "timbrel/error.h"

namespace timbrel {
namespace {

constexpr int kStepsPerBeat = 4;

// The chord of every step of `steps` from the progression, repeated past its end.
StepChords progression_steps(const std::vector<ChordSpan>& progression, int64_t steps) {
  const double length = progression.back().end_beat;
  StepChords out;
  for (int64_t s = 0; s < steps; ++s) {
    const double beat = std::fmod(double(s) / kStepsPerBeat, length);
    Chord now;
    for (const ChordSpan& span : progression)
      if (span.start_beat <= beat + 1e-9 && beat < span.end_beat - 1e-9) now = span.chord;
    out.push_back(now);
  }
  return out;
}

// The progression's spans over `beats`, repeated, then moved `offset` beats later.
std::vector<ChordSpan> laid_out(const std::vector<ChordSpan>& progression, double beats, double offset) {
  const double length = progression.back().end_beat;
  std::vector<ChordSpan> out;
  for (double at = 0; at < beats - 1e-9; at += length)
    for (ChordSpan span : progression) {
      if (at + span.start_beat >= beats - 1e-9) break;
      span.start_beat += at + offset;
      span.end_beat = std::min(span.end_beat + at, beats) + offset;
      out.push_back(span);
    }
  return out;
}

}  // namespace

std::vector<Tokens> decode_as_advised(const MusicVae& model, const std::vector<float>& z, double temperature,
                                      std::optional<StepDraw> draw, uint64_t seed, const std::vector<StepChords>& chords) {
  if (!std::isfinite(temperature)) throw Error("temperature", "must be a number: >= 0, or < 0 for the model card's");
  const MusicVaeInfo& card = model.info();
  return model.decode(z, temperature >= 0 ? temperature : card.temperature, seed, chords, draw.value_or(card.draw));
}

NoteSequence sample_over_chords(const MusicVae& model, const SampleOptions& given, std::vector<Tokens>* windows) {
  SampleOptions r = given;  // the spans in order: their last end is the progression's length
  std::sort(r.chords.begin(), r.chords.end(), [](const ChordSpan& a, const ChordSpan& b) { return a.end_beat < b.end_beat; });
  const int steps = model.info().steps;
  const double length = r.chords.back().end_beat;
  if (!(length > 0)) throw Error("chords", "the progression is empty");
  const size_t per_sample = size_t(std::ceil(length * kStepsPerBeat / steps - 1e-9));
  const size_t zs = size_t(model.info().z_size);
  std::vector<float> z = r.z;
  if (z.empty()) {
    if (r.count < 1 || r.count > 100000) throw Error("count", "must be 1..100000");
    z = model.random_z(r.count, r.seed, r.standard_prior);
  } else if (z.size() % zs) {
    throw Error("z", "expected a multiple of the model's " + std::to_string(zs) + " latent values, got " + std::to_string(z.size()));
  }
  const size_t samples = z.size() / zs;
  const StepChords all = progression_steps(r.chords, int64_t(per_sample) * steps);
  std::vector<StepChords> chords;
  std::vector<float> repeated;  // each sample's z once per window
  for (size_t i = 0; i < samples; ++i)
    for (size_t w = 0; w < per_sample; ++w) {
      repeated.insert(repeated.end(), z.begin() + long(i * zs), z.begin() + long((i + 1) * zs));
      chords.emplace_back(all.begin() + long(w) * steps, all.begin() + long(w + 1) * steps);
    }
  std::vector<Tokens> decoded = decode_as_advised(model, repeated, r.temperature, r.draw, r.seed, chords);
  NoteSequence seq = windows_to_sequence(model.info().kind, decoded, r.qpm);
  const double beats = double(per_sample) * steps / kStepsPerBeat;
  std::vector<ChordSpan> symbols;
  for (size_t i = 0; i < samples; ++i) {
    const auto one = laid_out(r.chords, beats, double(i) * beats);
    symbols.insert(symbols.end(), one.begin(), one.end());
  }
  set_chords(seq, symbols);
  if (windows) *windows = std::move(decoded);
  return seq;
}

}  // namespace timbrel
