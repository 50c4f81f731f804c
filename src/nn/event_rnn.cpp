#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "music/tempo_map.h"
#include "nn/event_rnn_model.h"
#include "nn/model_folder.h"
#include "timbrel/error.h"

namespace timbrel {

namespace nn {

namespace {

nlohmann::json hparams_of(const EventCodec& codec, const std::vector<int>& layers, double dropout) {
  return {{"kind", codec.kind},           {"layers", layers},          {"dropout", dropout},
          {"min_pitch", codec.min_pitch}, {"max_pitch", codec.max_pitch}, {"lookbacks", codec.lookbacks},
          {"counter_bits", codec.counter_bits}, {"control", codec.chord_control ? "chord_pitches" : "none"}};
}

// One row per sequence being extended: its events, likelihood so far and next-step logits; with
// chord guidance, also the logits of the same events heard over no chord.
struct Beam {
  std::vector<std::vector<int>> events;
  std::vector<double> log_p;
  torch::Tensor logits;  // [B, classes]
  LstmState state;       // [layers, B, H] each
  torch::Tensor free_logits;
  LstmState free_state;
  void keep(const std::vector<int64_t>& rows) {
    std::vector<std::vector<int>> e;
    std::vector<double> l;
    for (int64_t r : rows) e.push_back(events[size_t(r)]), l.push_back(log_p[size_t(r)]);
    events = std::move(e);
    log_p = std::move(l);
    auto idx = torch::tensor(rows, torch::kLong);
    logits = logits.index_select(0, idx);
    state = {std::get<0>(state).index_select(1, idx), std::get<1>(state).index_select(1, idx)};
    if (!free_logits.defined()) return;
    free_logits = free_logits.index_select(0, idx);
    free_state = {std::get<0>(free_state).index_select(1, idx), std::get<1>(free_state).index_select(1, idx)};
  }
};

// Classifier-free guidance towards the chords (as MusicGen guides by its text prompt): the
// logits moved `weight` times further from those of the same melody over no chord, so what the
// chords add to the choice (chord tones on the beat) counts more. A model trained with no-chord
// passages knows the unconditioned melody already; nothing is retrained.
torch::Tensor guided(const Beam& beam, double weight) {
  return weight > 0 ? beam.logits + weight * (beam.logits - beam.free_logits) : beam.logits;
}

// A class drawn at `temperature` (scaled_lp), except that whether the step sounds (a note or a
// hit starts) is drawn from the model's own probabilities (model_lp): a temperature below 1 then
// sharpens the choice of pitch without thinning the music out, as drawing both at once does (at
// 0.5 a melody started from silence stays silent). `must_sound`: a sounding class, surely;
// `greedy`: the likeliest class of the chosen kind.
int draw_keeping_density(const float* model_lp, const float* scaled_lp, size_t classes, const EventCodec& codec, const std::vector<int>& events,
                         bool must_sound, bool greedy, std::mt19937_64& rng) {
  std::vector<char> sounds(classes);
  double sounding = 0, total = 0;
  for (size_t c = 0; c < classes; ++c) {
    const int e = codec.class_to_event(int(c), events);
    sounds[c] = codec.kind == "drums" ? e != 0 : e >= 0;
    const double p = std::exp(double(model_lp[c]));
    total += p;
    if (sounds[c]) sounding += p;
  }
  const char sound = must_sound || std::uniform_real_distribution<double>(0, total)(rng) < sounding;
  double top = -INFINITY;  // weights relative to the likeliest class of the kind: no underflow to all zeros
  for (size_t c = 0; c < classes; ++c)
    if (sounds[c] == sound) top = std::max(top, double(scaled_lp[c]));
  std::vector<double> w(classes);
  for (size_t c = 0; c < classes; ++c) w[c] = sounds[c] == sound ? std::exp(double(scaled_lp[c]) - top) : 0.0;
  if (greedy) return int(std::max_element(w.begin(), w.end()) - w.begin());
  return std::discrete_distribution<int>(w.begin(), w.end())(rng);
}

}  // namespace

EventRnn make_event_rnn(const EventCodec& codec, const std::vector<int>& layers, double dropout, nlohmann::json card) {
  auto impl = std::make_unique<TorchEventRnn>();
  impl->codec = codec;
  impl->dropout = dropout;
  impl->net = EventRnnNet(codec.input_size(), layers, codec.classes(), dropout);
  impl->net->eval();
  impl->info = {parse_model_kind(codec.kind), layers,          codec.classes(),  codec.input_size(),
                codec.min_pitch,              codec.max_pitch, codec.lookbacks, codec.chord_control};
  if (codec.chord_control && card.is_object() && card.contains("sampling"))
    impl->info.chord_guidance = card.at("sampling").value("chord_guidance", 0.0);
  card["architecture"] = "event_rnn";
  card["hparams"] = hparams_of(codec, layers, dropout);
  impl->card = std::move(card);
  return detail::ModelAccess::wrap<EventRnn>(std::move(impl));
}

EventRnn event_rnn_from(const nlohmann::json& card, const TensorMap& tensors, const std::string& subject) {
  const auto& h = card.at("hparams");
  EventCodec codec;
  codec.kind = h.at("kind").get<std::string>();
  if (codec.kind != "melody" && codec.kind != "drums") throw Error(subject, "hparams.kind must be melody or drums");
  codec.min_pitch = h.value("min_pitch", 48);
  codec.max_pitch = h.value("max_pitch", 84);
  codec.lookbacks = h.value("lookbacks", std::vector<int>{16, 32});
  codec.counter_bits = h.value("counter_bits", 5);
  const std::string control = h.value("control", std::string("none"));
  if (control != "none" && control != "chord_pitches") throw Error(subject, "hparams.control must be none or chord_pitches, not " + control);
  codec.chord_control = control == "chord_pitches";
  if (codec.chord_control && codec.kind != "melody") throw Error(subject, "only a melody RNN can be conditioned on chords");
  if (codec.min_pitch < 0 || codec.max_pitch > 128 || codec.max_pitch - codec.min_pitch < 12)
    throw Error(subject, "hparams pitch range must span an octave inside 0..127");
  EventRnn model = make_event_rnn(codec, h.at("layers").get<std::vector<int>>(), h.value("dropout", 0.5), card);
  const double guidance = model.info().chord_guidance;
  if (!std::isfinite(guidance) || guidance < 0) throw Error(subject, "sampling.chord_guidance must be a finite number >= 0");
  event_rnn_impl(model).net->load(tensors, subject);
  return model;
}

torch::Tensor event_inputs(const EventCodec& codec, const std::vector<int>& events, size_t first, size_t count, const std::vector<Chord>& chords) {
  torch::Tensor out = torch::empty({int64_t(count), codec.input_size()});
  for (size_t i = 0; i < count; ++i) codec.input(events, first + i, out[int64_t(i)].data_ptr<float>(), chords);
  return out;
}

Error missing_chords() { return Error("chords", "this model plays over chords: give the progression to continue over"); }

int64_t progression_period(const std::vector<ChordSpan>& progression) {
  double end = 0;
  for (const auto& span : progression) end = std::max(end, span.end_beat);
  return int64_t(std::ceil(end * 4 - 1e-9));
}

std::vector<Chord> progression_steps(const std::vector<ChordSpan>& progression, int64_t first, size_t count) {
  std::vector<Chord> out(count);
  const int64_t period = progression_period(progression);
  if (period < 1) return out;
  for (size_t i = 0; i < count; ++i) {
    const double beat = double(((first + int64_t(i)) % period + period) % period) / 4.0;
    for (const auto& span : progression)
      if (span.start_beat <= beat + 1e-9 && beat + 1e-9 < span.end_beat) out[i] = span.chord;
  }
  return out;
}

}  // namespace nn

std::unique_ptr<detail::EventRnnImpl> nn::load_event_rnn(const std::string& path) {
  try {
    nn::ModelFolder folder = nn::read_model_folder(path, "event_rnn");
    EventRnn model = nn::event_rnn_from(folder.card, folder.tensors, path);
    return detail::ModelAccess::release(std::move(model));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + "/model.json", std::string("bad event RNN card: ") + e.what());
  }
}

void TorchEventRnn::save(const std::string& dir) const { nn::write_model_folder(dir, card, net->tensors()); }

double TorchEventRnn::log_likelihood(const std::vector<int>& events, const std::vector<ChordSpan>& chords) const {
  if (events.size() < 2) return 0;
  torch::NoGradGuard no_grad;
  if (codec.chord_control && chords.empty()) throw Error("chords", "this model plays over chords: give the chords of the events");
  const std::vector<Chord> steps = codec.chord_control ? nn::progression_steps(chords, 0, events.size()) : std::vector<Chord>{};
  auto inputs = nn::event_inputs(codec, events, 0, events.size() - 1, steps).unsqueeze(0);
  auto log_p = torch::log_softmax(net->forward(inputs)[0], 1);
  double sum = 0;
  for (size_t i = 1; i < events.size(); ++i) sum += log_p[int64_t(i - 1)][codec.label(events, i)].item<double>();
  return sum;
}

namespace nn {
namespace {

// Feeds the beam's newest event of every row (and, with guidance, the same over no chord).
void advance_beam(EventRnnNet net, const EventCodec& codec, Beam& beam, const std::vector<Chord>& chords, const std::vector<Chord>& no_chords) {
  auto inputs = torch::empty({int64_t(beam.events.size()), 1, codec.input_size()});
  const bool guide = beam.free_logits.defined();
  auto free_inputs = guide ? torch::empty_like(inputs) : torch::Tensor();
  for (size_t b = 0; b < beam.events.size(); ++b) {
    const auto& ev = beam.events[b];
    codec.input(ev, ev.size() - 1, inputs[int64_t(b)][0].data_ptr<float>(), chords);
    if (guide) codec.input(ev, ev.size() - 1, free_inputs[int64_t(b)][0].data_ptr<float>(), no_chords);
  }
  std::tie(beam.logits, beam.state) = net->advance(inputs, beam.state);
  if (guide) std::tie(beam.free_logits, beam.free_state) = net->advance(free_inputs, beam.free_state);
}

// One step of every row: a class drawn (or the likeliest at temperature 0) and appended.
void draw_step(const EventCodec& codec, Beam& beam, const ContinueOptions& o, double guidance, bool must_sound, std::mt19937_64& rng) {
  const torch::Tensor logits = guided(beam, guidance);
  auto log_probs = torch::log_softmax(o.temperature > 0 ? logits / o.temperature : logits, 1).contiguous();
  // Guidance, like a low temperature, sharpens what is played, not each step's chance to sound
  // (at temperature 0 both are the likeliest).
  const bool keep_density = must_sound || (o.temperature > 0 && (guidance > 0 || (o.keep_density && o.temperature != 1)));
  const auto model_log_probs = keep_density ? torch::log_softmax(beam.logits, 1).contiguous() : log_probs;
  std::vector<float> row(size_t(log_probs.size(1)));
  for (size_t b = 0; b < beam.events.size(); ++b) {
    const float* lp = log_probs[int64_t(b)].data_ptr<float>();
    int cls = int(std::max_element(lp, lp + row.size()) - lp);
    if (keep_density) {
      cls = draw_keeping_density(model_log_probs[int64_t(b)].data_ptr<float>(), lp, row.size(), codec, beam.events[b], must_sound, o.temperature == 0, rng);
    } else if (o.temperature > 0) {
      for (size_t c = 0; c < row.size(); ++c) row[c] = std::exp(lp[c]);
      cls = std::discrete_distribution<int>(row.begin(), row.end())(rng);
    }
    beam.log_p[b] += lp[cls];
    auto& ev = beam.events[b];
    ev.push_back(codec.class_to_event(cls, ev));
  }
}

// Magenta's beam search: the beam_size likeliest rows kept.
void prune(Beam& beam, int beam_size) {
  if (int(beam.events.size()) <= beam_size) return;
  std::vector<int64_t> order(beam.events.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return beam.log_p[size_t(a)] > beam.log_p[size_t(b)]; });
  order.resize(size_t(beam_size));
  beam.keep(order);
}

}  // namespace
}  // namespace nn

std::vector<int> nn::sample_events(const TorchEventRnn& impl, const std::vector<int>& primer_in, int steps, const ContinueOptions& o,
                                   const std::vector<Chord>& step_chords, bool first_sounds) {
  if (steps < 0) throw Error("steps", "must not be negative");
  if (o.temperature < 0) throw Error("temperature", "must not be negative");
  if (o.beam_size < 1 || o.branch_factor < 1 || o.steps_per_iteration < 1)
    throw Error("beam_size", "beam size, branch factor and steps per iteration must be at least 1");
  if (!std::isfinite(o.chord_guidance)) throw Error("chord_guidance", "must be a finite number");
  const auto& codec = impl.codec;
  auto net = impl.net;
  const double guidance = impl.info.guidance_for(o.chord_guidance);
  std::vector<int> primer = primer_in.empty() ? std::vector<int>{codec.default_event()} : primer_in;
  for (int e : primer) codec.encode_event(e);  // throws for an event outside the encoding
  torch::NoGradGuard no_grad;
  net->eval();
  std::mt19937_64 rng(o.seed);
  nn::Beam beam;
  beam.events = {primer};
  beam.log_p = {0.0};
  const std::vector<Chord> no_chords(guidance > 0 ? step_chords.size() : 0);
  std::tie(beam.logits, beam.state) = net->advance(nn::event_inputs(codec, primer, 0, primer.size(), step_chords).unsqueeze(0), {});
  if (guidance > 0)
    std::tie(beam.free_logits, beam.free_state) = net->advance(nn::event_inputs(codec, primer, 0, primer.size(), no_chords).unsqueeze(0), {});
  for (int done = 0; done < steps;) {
    std::vector<int64_t> branch;
    for (int64_t r = 0; r < int64_t(beam.events.size()); ++r)
      for (int k = 0; k < o.branch_factor; ++k) branch.push_back(r);
    beam.keep(branch);
    const int run = std::min(o.steps_per_iteration, steps - done);
    for (int s = 0; s < run; ++s) {
      draw_step(codec, beam, o, guidance, first_sounds && done == 0 && s == 0, rng);
      advance_beam(net, codec, beam, step_chords, no_chords);
    }
    done += run;
    prune(beam, o.beam_size);
  }
  const size_t best = size_t(std::max_element(beam.log_p.begin(), beam.log_p.end()) - beam.log_p.begin());
  return std::vector<int>(beam.events[best].begin() + long(primer.size()), beam.events[best].end());
}

std::vector<int> TorchEventRnn::continue_events(const std::vector<int>& primer, int steps, const ContinueOptions& o) const {
  std::vector<Chord> chords;
  if (codec.chord_control) {
    if (o.chords.empty()) throw nn::missing_chords();
    const size_t before = std::max<size_t>(1, primer.size());
    chords = nn::progression_steps(o.chords, -int64_t(before), before + size_t(std::max(0, steps)) + 1);
  }
  return nn::sample_events(*this, primer, steps, o, chords);
}

}  // namespace timbrel
