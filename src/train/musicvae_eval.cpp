#include "train/musicvae_eval.h"

#include <torch/torch.h>

#include "nn/musicvae_model.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/chords.h"
#include "timbrel/music.h"
#include "train/event_rnn_trainer.h"
#include "train/musicvae_data.h"
#include "train/train_util.h"

namespace timbrel::train {
namespace {

// Steps of `decoded` equal to `truth`, the pieces laid end to end.
size_t equal_steps(const std::vector<Tokens>& truth, const std::vector<Tokens>& decoded) {
  size_t equal = 0, piece = 0, at = 0;
  for (const Tokens& w : truth)
    for (int s : w) {
      equal += decoded[piece][at] == s;
      if (++at == decoded[piece].size()) at = 0, ++piece;
    }
  return equal;
}

std::vector<Tokens> teacher_forced_argmax(const MusicVae& model, const std::vector<Tokens>& windows, const std::vector<float>& z,
                                          const std::vector<StepChords>& chords) {
  torch::NoGradGuard no_grad;
  const auto& net = musicvae_impl(model).net;
  auto targets = nn::tokens_to_tensor(windows, net->config(), "windows");
  auto zt = torch::from_blob(const_cast<float*>(z.data()), {int64_t(windows.size()), net->config().z_size}, torch::kFloat);
  const torch::Tensor controls = nn::chords_to_controls(chords, windows.size(), net->config(), net->model_name);
  return nn::tensor_to_tokens(net->teacher_forced_logits(zt, targets, 0.0, controls).argmax(-1));
}

// Onsets of a melody window on strong beats (steps 0 and 8 of each bar) that are tones of their
// step's chord, notes in `key`, and notes.
struct ChordFit {
  size_t strong = 0, tones = 0, in_key = 0, notes = 0;
  void add(const Tokens& w, const StepChords& chords, int key) {
    for (size_t s = 0; s < w.size(); ++s) {
      if (w[s] < 2) continue;
      const int event = melody_class_to_event(w[s]), pc = event % 12;
      ++notes;
      in_key += in_major_scale(event, key);
      const Chord& c = chords[s];
      if (s % 8 != 0 || c.is_none()) continue;
      ++strong;
      const std::vector<int> pcs = chord_pitch_classes(c);
      tones += std::find(pcs.begin(), pcs.end(), pc) != pcs.end() || pc == c.bass;
    }
  }
  double share() const { return strong ? double(tones) / double(strong) : -1; }
};

// The major key whose scale holds the most chord tones of the window's steps.
int key_of_chords(const StepChords& chords) {
  std::vector<int> pitches;
  for (const Chord& c : chords)
    for (int pc : c.is_none() ? std::vector<int>{} : chord_pitch_classes(c)) pitches.push_back(pc);
  return std::max(0, estimate_key(pitches));
}

}  // namespace

std::vector<Tokens> chain_pieces(const std::vector<Tokens>& windows, size_t piece, bool melody) {
  const int held = melody_event_to_class(kMelodyNoEvent), off = melody_event_to_class(kMelodyNoteOff);
  std::vector<Tokens> out;
  for (const Tokens& w : windows)
    for (size_t start = 0; start + piece <= w.size(); start += piece) {
      Tokens p(w.begin() + long(start), w.begin() + long(start + piece));
      if (melody && p[0] == held)
        for (size_t i = start; i-- > 0;)
          if (w[i] != held) {
            if (w[i] != off) p[0] = w[i];  // the pitch still sounding
            break;
          }
      out.push_back(std::move(p));
    }
  return out;
}

Reconstruction reconstruction_accuracy(const MusicVae& model, const std::vector<Tokens>& windows, size_t batch, int refine_steps,
                                       const std::vector<StepChords>& chords) {
  Reconstruction r;
  r.refine_steps = refine_steps;
  r.windows = windows.size();
  if (windows.empty()) return r;
  const size_t steps = size_t(model.info().steps), length = windows[0].size();
  for (const Tokens& w : windows)
    if (w.size() != length) throw Error("windows", "differ in length");
  const bool hierarchical = steps > 32;
  if (length != steps && (hierarchical || length % steps != 0))
    throw Error("windows", std::to_string(length) + " steps: the model reads " + std::to_string(steps) +
                               (hierarchical ? "" : " (or a whole number of such windows, as a chain)"));
  r.chain = length != steps;
  if (!chords.empty() && (r.chain || chords.size() != windows.size()))
    throw Error("chords", "one chord list per window, and no chain (a chord-conditioned model reads 2-bar windows)");
  const std::vector<Tokens> pieces = r.chain ? chain_pieces(windows, steps, model.info().kind == ModelKind::Melody) : windows;
  const size_t per_window = length / steps, per_batch = std::max<size_t>(1, batch / per_window) * per_window;
  size_t greedy = 0, forced = 0;
  for (size_t start = 0; start < pieces.size(); start += per_batch) {
    const size_t end = std::min(pieces.size(), start + per_batch);
    std::vector<Tokens> chunk(pieces.begin() + long(start), pieces.begin() + long(end));
    std::vector<Tokens> truth(windows.begin() + long(start / per_window), windows.begin() + long(end / per_window));
    const std::vector<StepChords> chunk_chords = slice_chords(chords, start, end);
    std::vector<float> z = model.encode(chunk, refine_steps, chunk_chords);
    greedy += equal_steps(truth, model.decode(z, 0.0, 0, chunk_chords));
    forced += equal_steps(truth, teacher_forced_argmax(model, chunk, z, chunk_chords));
  }
  const double total = double(windows.size() * length);
  r.greedy = double(greedy) / total;
  r.teacher_forced = double(forced) / total;
  return r;
}

StepDraw baseline_draw(const MusicVae& model) { return model.info().chords ? model.info().draw : StepDraw::Flat; }

ContinuationScore score_over_chords(const MusicVae& model, const std::vector<Tokens>& windows, const std::vector<StepChords>& chords,
                                    double temperature, uint64_t seed) {
  ContinuationScore s;
  s.files = windows.size();
  if (windows.empty()) return s;
  // A chord model drawn as its card advises; the unconditioned baseline flat, as its published figures were.
  const bool over_chords = model.info().chords;
  const std::vector<Tokens> samples = model.decode(model.random_z(windows.size(), seed), temperature, seed,
                                                   over_chords ? chords : std::vector<StepChords>{}, baseline_draw(model));
  ChordFit sampled, real;
  for (size_t i = 0; i < windows.size(); ++i) {
    const int key = key_of_chords(chords[i]);
    sampled.add(samples[i], chords[i], key);
    real.add(windows[i], chords[i], key);
  }
  s.notes = sampled.notes;
  s.real_notes = real.notes;
  s.in_key = sampled.notes ? double(sampled.in_key) / double(sampled.notes) : 0.0;
  s.real_in_key = real.notes ? double(real.in_key) / double(real.notes) : 0.0;
  s.chord_tones = sampled.share();
  s.real_chord_tones = real.share();
  return s;
}

MusicVaeEvalReport evaluate_musicvae(const MusicVaeEvalOptions& o) {
  MusicVae model = MusicVae::load(o.model);
  if (model.info().kind != o.kind)
    throw Error(o.model, "is a " + to_string(model.info().kind) + " model, not " + to_string(o.kind));
  const int model_bars = model.info().steps / 16, bars = o.bars ? o.bars : model_bars;
  if (bars != model_bars && (model_bars > 2 || bars < 1 || bars % model_bars != 0))
    throw Error("bars", std::to_string(bars) + ": " + o.model + " reads " + std::to_string(model_bars) + "-bar windows" +
                            (model_bars > 2 ? "" : " (or a multiple of them, as a chain)"));
  const std::string kind = to_string(o.kind);
  const bool chords = o.chords || model.info().chords;
  if (model.info().chords && bars != 2) throw Error("bars", o.model + " is chord-conditioned: it reads 2-bar windows only");
  if (chords && (o.kind != ModelKind::Melody || model_bars != 2 || bars != 2)) throw Error("chords", "score 2-bar melody models on 2-bar windows");
  train::check_gap_bars(o.gap_bars, o.kind);
  const train::WindowRules rules{bars * 16, chords, o.gap_bars};
  const train::Corpus corpus = o.held_out ? train::load_split(kind, o.data, o.validation_fraction, rules) : train::load_all(kind, o.data, rules);
  const train::WindowSet& held = corpus.validation;
  if (chords && held.windows.empty() && corpus.without_chords > 0)
    throw Error(o.data, std::to_string(corpus.without_chords) + " files without chords (text events or a chords CSV), none with");
  const std::vector<StepChords> model_chords = model.info().chords ? held.chords : std::vector<StepChords>{};
  const train::Reconstruction r = train::reconstruction_accuracy(model, held.windows, 256, o.refine_steps, model_chords);
  MusicVaeEvalReport report;
  report.bars = bars;
  report.chain = r.chain;
  report.refine_steps = r.refine_steps;
  report.files = corpus.validation.files.size();
  report.windows = r.windows;
  report.skipped = corpus.failed;
  report.token_accuracy = r.greedy;
  report.teacher_forced_accuracy = r.teacher_forced;
  if (chords) {
    report.over_chords = train::score_over_chords(model, held.windows, held.chords, o.temperature, o.seed);
    report.over_chords_about = "one sample per window at temperature " + train::format_fixed(o.temperature, 2) +
                               (model.info().chords ? " over the window's chords" : " (a model without chords)") +
                               ", drawn " + to_string(train::baseline_draw(model)) +
                               ", scored against those chords beside the window; files counts windows";
  }
  return report;
}

}  // namespace timbrel::train
