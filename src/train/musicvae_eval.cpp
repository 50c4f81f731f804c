#include "train/musicvae_eval.h"

#include <torch/torch.h>

#include "nn/musicvae_model.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/music.h"
#include "train/musicvae_data.h"

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

std::vector<Tokens> teacher_forced_argmax(const MusicVae& model, const std::vector<Tokens>& windows, const std::vector<float>& z) {
  torch::NoGradGuard no_grad;
  const auto& net = musicvae_impl(model).net;
  auto targets = nn::tokens_to_tensor(windows, net->config(), "windows");
  auto zt = torch::from_blob(const_cast<float*>(z.data()), {int64_t(windows.size()), net->config().z_size}, torch::kFloat);
  return nn::tensor_to_tokens(net->teacher_forced_logits(zt, targets).argmax(-1));
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

Reconstruction reconstruction_accuracy(const MusicVae& model, const std::vector<Tokens>& windows, size_t batch, int refine_steps) {
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
  const std::vector<Tokens> pieces = r.chain ? chain_pieces(windows, steps, model.info().kind == ModelKind::Melody) : windows;
  const size_t per_window = length / steps, per_batch = std::max<size_t>(1, batch / per_window) * per_window;
  size_t greedy = 0, forced = 0;
  for (size_t start = 0; start < pieces.size(); start += per_batch) {
    const size_t end = std::min(pieces.size(), start + per_batch);
    std::vector<Tokens> chunk(pieces.begin() + long(start), pieces.begin() + long(end));
    std::vector<Tokens> truth(windows.begin() + long(start / per_window), windows.begin() + long(end / per_window));
    std::vector<float> z = model.encode(chunk, refine_steps);
    greedy += equal_steps(truth, model.decode(z, 0.0));
    forced += equal_steps(truth, teacher_forced_argmax(model, chunk, z));
  }
  const double total = double(windows.size() * length);
  r.greedy = double(greedy) / total;
  r.teacher_forced = double(forced) / total;
  return r;
}

}  // namespace timbrel::train

namespace timbrel {

MusicVaeEvalReport evaluate_musicvae(const MusicVaeEvalOptions& o) {
  MusicVae model = MusicVae::load(o.model);
  if (model.info().kind != o.kind)
    throw Error(o.model, "is a " + to_string(model.info().kind) + " model, not " + to_string(o.kind));
  const int model_bars = model.info().steps / 16, bars = o.bars ? o.bars : model_bars;
  if (bars != model_bars && (model_bars > 2 || bars < 1 || bars % model_bars != 0))
    throw Error("bars", std::to_string(bars) + ": " + o.model + " reads " + std::to_string(model_bars) + "-bar windows" +
                            (model_bars > 2 ? "" : " (or a multiple of them, as a chain)"));
  const std::string kind = to_string(o.kind);
  const train::Corpus corpus = o.held_out ? train::load_split(kind, o.data, o.validation_fraction, bars * 16)
                                          : train::load_all(kind, o.data, bars * 16);
  const train::Reconstruction r = train::reconstruction_accuracy(model, corpus.validation.windows, 256, o.refine_steps);
  MusicVaeEvalReport report;
  report.bars = bars;
  report.chain = r.chain;
  report.refine_steps = r.refine_steps;
  report.files = corpus.validation.files.size();
  report.windows = r.windows;
  report.skipped = corpus.failed;
  report.token_accuracy = r.greedy;
  report.teacher_forced_accuracy = r.teacher_forced;
  return report;
}

}  // namespace timbrel
