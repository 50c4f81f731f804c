#include "nn/musicvae_net.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <regex>

#include "models/openblas_kernels.h"
#include "spectral/fast_math.h"
#include "timbrel/error.h"

namespace timbrel::nn {
namespace {

// TensorFlow's default initialisers: Glorot-uniform kernels, zero biases.
torch::Tensor glorot(int64_t in, int64_t out) {
  double limit = std::sqrt(6.0 / double(in + out));
  return torch::empty({in, out}).uniform_(-limit, limit);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}


}  // namespace

TfDenseImpl::TfDenseImpl(int64_t in, int64_t out) {
  kernel = register_parameter("kernel", glorot(in, out));
  bias = register_parameter("bias", torch::zeros({out}));
}

TfLstmCellImpl::TfLstmCellImpl(int64_t input_size, int64_t units_) : input(input_size), units(units_) {
  kernel = register_parameter("kernel", glorot(input + units, 4 * units));
  bias = register_parameter("bias", torch::zeros({4 * units}));
}

void TfLstmCellImpl::step(const torch::Tensor& gates_in, torch::Tensor& h, torch::Tensor& c) const {
  auto g = torch::addmm(gates_in, h, hidden_kernel()).chunk(4, 1);  // i, j, f, o
  c = c * torch::sigmoid(g[2] + 1.0) + torch::sigmoid(g[0]) * torch::tanh(g[1]);
  h = torch::tanh(c) * torch::sigmoid(g[3]);
}

namespace {

// The LSTM cell's element work for contiguous float rows, in one pass: gates [B, 4H] (i, j, f, o)
// and c [B, H] -> c' = c sigmoid(f + 1) + sigmoid(i) tanh(j), h' = tanh(c') sigmoid(o). Sigmoid and
// tanh from the vectorisable exp of the spectral code (a few ulp).
__attribute__((target_clones("avx512f", "avx2", "default"))) void lstm_rows(const float* __restrict gates, const float* __restrict c,
                                                                         float* __restrict c_out, float* __restrict h_out, int64_t rows,
                                                                         int64_t units) {
  for (int64_t b = 0; b < rows; ++b) {
    const float* g = gates + b * 4 * units;
    const float* cr = c + b * units;
    float* co = c_out + b * units;
    float* ho = h_out + b * units;
    for (int64_t k = 0; k < units; ++k) {
      const float i = 1.0f / (1.0f + fastmath::exp(-g[k]));
      const float j = 2.0f / (1.0f + fastmath::exp(-2.0f * g[units + k])) - 1.0f;
      const float f = 1.0f / (1.0f + fastmath::exp(-(g[2 * units + k] + 1.0f)));
      const float o = 1.0f / (1.0f + fastmath::exp(-g[3 * units + k]));
      const float cn = cr[k] * f + i * j;
      co[k] = cn;
      ho[k] = (2.0f / (1.0f + fastmath::exp(-2.0f * cn)) - 1.0f) * o;
    }
  }
}

}  // namespace

void TfLstmCellImpl::activate_inplace(torch::Tensor& gates, torch::Tensor& h, torch::Tensor& c) const {
  if (gates.device().is_cpu() && gates.scalar_type() == torch::kFloat && gates.is_contiguous() && !gates.requires_grad()) {
    const torch::Tensor c_in = c.contiguous();
    torch::Tensor c_new = torch::empty_like(c_in), h_new = torch::empty_like(c_in);
    lstm_rows(gates.data_ptr<float>(), c_in.data_ptr<float>(), c_new.data_ptr<float>(), h_new.data_ptr<float>(), gates.size(0), units);
    c = c_new;
    h = h_new;
    return;
  }
  // In-place activations avoid ~10 temporary [B, 4H] tensors per step (decoding speed).
  auto i = gates.narrow(1, 0, units), j = gates.narrow(1, units, units);
  auto f = gates.narrow(1, 2 * units, units), o = gates.narrow(1, 3 * units, units);
  i.sigmoid_();
  j.tanh_();
  f.add_(1.0).sigmoid_();
  o.sigmoid_();
  c = c * f;
  c.addcmul_(i, j);
  h = torch::tanh(c).mul_(o);
}

MusicVaeNetImpl::MusicVaeNetImpl(const MusicVaeConfig& config) : config_(config) {
  auto enc = register_module("encoder", std::make_shared<torch::nn::Module>());
  int64_t in = config.classes + config.control_depth();
  for (size_t l = 0; l < config.encoder.size(); ++l) {
    auto layer = enc->register_module("layer_" + std::to_string(l), std::make_shared<torch::nn::Module>());
    TfLstmCell fw = layer->register_module("fw", TfLstmCell(in, config.encoder[l]));
    TfLstmCell bw = layer->register_module("bw", TfLstmCell(in, config.encoder[l]));
    encoder_.emplace_back(fw, bw);
    in = 2 * config.encoder[l];
  }
  for (size_t l = 0; l < config.bar_encoder.size(); ++l) {
    auto layer = enc->register_module("bar_layer_" + std::to_string(l), std::make_shared<torch::nn::Module>());
    TfLstmCell fw = layer->register_module("fw", TfLstmCell(in, config.bar_encoder[l]));
    TfLstmCell bw = layer->register_module("bw", TfLstmCell(in, config.bar_encoder[l]));
    bar_encoder_.emplace_back(fw, bw);
    in = 2 * config.bar_encoder[l];
  }
  mu_ = enc->register_module("mu", TfDense(in, config.z_size));
  sigma_ = enc->register_module("sigma", TfDense(in, config.z_size));
  int64_t cond = config.z_size;  // what conditions the decoder: z, or a bar's conductor embedding
  if (config.hierarchical()) {
    auto con = register_module("conductor", std::make_shared<torch::nn::Module>());
    int64_t con_in = 1, con_state = 0;  // Magenta's conductor reads zeros
    for (size_t l = 0; l < config.conductor.size(); ++l) {
      conductor_.push_back(con->register_module("cell_" + std::to_string(l), TfLstmCell(con_in, config.conductor[l])));
      con_in = config.conductor[l];
      con_state += 2 * config.conductor[l];
    }
    conductor_initial_state_ = con->register_module("z_to_initial_state", TfDense(config.z_size, con_state));
    cond = config.conductor.back();
  }
  auto dec = register_module("decoder", std::make_shared<torch::nn::Module>());
  in = config.classes + cond + config.control_depth();  // [previous one-hot; condition; chord]
  int64_t state = 0;
  for (size_t l = 0; l < config.decoder.size(); ++l) {
    decoder_.push_back(dec->register_module("cell_" + std::to_string(l), TfLstmCell(in, config.decoder[l])));
    in = config.decoder[l];
    state += 2 * config.decoder[l];
  }
  z_to_initial_state_ = dec->register_module("z_to_initial_state", TfDense(cond, state));
  output_projection_ = dec->register_module("output_projection", TfDense(in, config.classes));
}

torch::Tensor MusicVaeNetImpl::segment_conditions(const torch::Tensor& z) const {
  if (!config_.hierarchical()) return z.unsqueeze(1);
  auto s = torch::tanh(conductor_initial_state_->forward(z));
  std::vector<torch::Tensor> h, c, out;
  int64_t at = 0;
  for (const auto& cell : conductor_) {  // c0, h0, c1, h1, ... as the decoder's
    c.push_back(s.narrow(1, at, cell->units));
    h.push_back(s.narrow(1, at + cell->units, cell->units));
    at += 2 * cell->units;
  }
  for (int b = 0; b < config_.bars; ++b) {
    conductor_[0]->step(conductor_[0]->bias.expand({z.size(0), -1}), h[0], c[0]);  // zero input: the bias alone
    for (size_t l = 1; l < conductor_.size(); ++l)
      conductor_[l]->step(torch::addmm(conductor_[l]->bias, h[l - 1], conductor_[l]->input_kernel()), h[l], c[l]);
    out.push_back(h.back());
  }
  return torch::stack(out, 1);
}

namespace {

// Bidirectional LSTM layers over x [B, T, in] (or one-hot `tokens` [B, T] for the first layer,
// with `controls` [B, T, D] beside them when defined): the last layer's final forward and
// backward states, [B, 2H].
torch::Tensor bidirectional_final_states(const std::vector<std::pair<TfLstmCell, TfLstmCell>>& layers, torch::Tensor x,
                                         const torch::Tensor& tokens, const torch::Tensor& controls = {}) {
  const int64_t B = tokens.defined() ? tokens.size(0) : x.size(0), T = tokens.defined() ? tokens.size(1) : x.size(1);
  torch::Tensor h_fw, h_bw;
  for (size_t l = 0; l < layers.size(); ++l) {
    const auto& [fw, bw] = layers[l];
    const int64_t H = fw->units;
    torch::Tensor proj_fw, proj_bw;  // [B, T, 4H]
    if (l == 0 && tokens.defined()) {  // one-hot input: a row gather instead of a matmul
      auto flat = tokens.reshape({-1});
      proj_fw = fw->input_kernel().index_select(0, flat).view({B, T, 4 * H}) + fw->bias;
      proj_bw = bw->input_kernel().index_select(0, flat).view({B, T, 4 * H}) + bw->bias;
      if (controls.defined()) {  // the control rows follow the one-hot rows
        const int64_t D = controls.size(2);
        proj_fw = proj_fw + torch::matmul(controls, fw->input_kernel().narrow(0, fw->input - D, D));
        proj_bw = proj_bw + torch::matmul(controls, bw->input_kernel().narrow(0, bw->input - D, D));
      }
    } else {
      proj_fw = torch::matmul(x, fw->input_kernel()) + fw->bias;
      proj_bw = torch::matmul(x, bw->input_kernel()) + bw->bias;
    }
    const bool last = l + 1 == layers.size();
    std::vector<torch::Tensor> out_fw, out_bw(static_cast<size_t>(T));
    h_fw = torch::zeros({B, H}, proj_fw.options());
    torch::Tensor c = torch::zeros_like(h_fw);
    for (int64_t t = 0; t < T; ++t) {
      fw->step(proj_fw.select(1, t), h_fw, c);
      if (!last) out_fw.push_back(h_fw);
    }
    h_bw = torch::zeros({B, H}, proj_bw.options());
    c = torch::zeros_like(h_bw);
    for (int64_t t = T - 1; t >= 0; --t) {
      bw->step(proj_bw.select(1, t), h_bw, c);
      if (!last) out_bw[size_t(t)] = h_bw;
    }
    if (!last) x = torch::cat({torch::stack(out_fw, 1), torch::stack(out_bw, 1)}, 2);
  }
  return torch::cat({h_fw, h_bw}, 1);
}

}  // namespace

void MusicVaeNetImpl::check_controls(const torch::Tensor& controls, int64_t batch, int64_t steps) const {
  const int64_t D = config_.control_depth();
  if (D == 0 && controls.defined()) throw Error(model_name, "is not chord-conditioned: it takes no chords");
  if (D == 0) return;
  if (!controls.defined()) throw Error(model_name, "is chord-conditioned: give the chords of every step");
  if (controls.dim() != 3 || controls.size(0) != batch || controls.size(1) != steps || controls.size(2) != D)
    throw Error(model_name, "chords must be [" + std::to_string(batch) + ", " + std::to_string(steps) + ", " + std::to_string(D) + "]");
}

torch::Tensor MusicVaeNetImpl::control_projection(const torch::Tensor& controls) const {
  if (!controls.defined()) return {};
  const auto& cell0 = decoder_[0];
  const int64_t D = controls.size(2);
  return torch::matmul(controls, cell0->kernel.narrow(0, cell0->input - D, D));
}

std::pair<torch::Tensor, torch::Tensor> MusicVaeNetImpl::encode(const torch::Tensor& tokens, const torch::Tensor& controls) const {
  if (!missing_encoder_.empty())
    throw Error(model_name, "cannot encode: the weights lack the encoder tensors " + join(missing_encoder_));
  check_controls(controls, tokens.size(0), tokens.size(1));
  torch::Tensor enc;
  if (bar_encoder_.empty()) {
    enc = bidirectional_final_states(encoder_, {}, tokens, controls);
  } else {  // each bar on its own (the bars as one batch), then the bars in order
    const int64_t B = tokens.size(0), bars = config_.bars;
    const torch::Tensor per_bar = bidirectional_final_states(encoder_, {}, tokens.reshape({B * bars, -1}));
    enc = bidirectional_final_states(bar_encoder_, per_bar.view({B, bars, -1}), {});
  }
  return {mu_->forward(enc), torch::softplus(sigma_->forward(enc))};
}

void MusicVaeNetImpl::initial_state(const torch::Tensor& cond, std::vector<torch::Tensor>& h, std::vector<torch::Tensor>& c) const {
  auto s = torch::tanh(z_to_initial_state_->forward(cond));
  h.clear();
  c.clear();
  int64_t at = 0;
  for (const auto& cell : decoder_) {  // c0, h0, c1, h1, ...
    c.push_back(s.narrow(1, at, cell->units));
    h.push_back(s.narrow(1, at + cell->units, cell->units));
    at += 2 * cell->units;
  }
}

torch::Tensor MusicVaeNetImpl::decode(const torch::Tensor& z, double temperature, torch::Tensor* logits_out,
                                      const torch::Tensor& controls, StepDraw draw) const {
  torch::NoGradGuard no_grad;
  check_controls(controls, z.size(0), config_.steps);
  // With several threads the batch is split into one slice per thread, each decoded with
  // single-threaded GEMMs: each step's GEMMs are too small to share between cores (threads
  // synchronising 32 x 3 times per batch, on top of OpenBLAS's own pool, ran 30x slower on 2 cores).
  const int64_t B = z.size(0), slices = std::min<int64_t>(at::get_num_threads(), B / 16);
  if (slices <= 1 || logits_out) return decode_rows(z, temperature, logits_out, nullptr, controls, draw);
  // Sampling: one generator per slice, seeded from the global one, so a seed gives the same
  // melodies whichever thread runs which slice.
  std::vector<at::Generator> generators;
  for (int64_t i = 0; i < slices; ++i) generators.push_back(at::detail::createCPUGenerator(uint64_t(torch::randint(int64_t(1) << 62, {1}).item<int64_t>())));
  std::vector<torch::Tensor> parts(static_cast<size_t>(slices));
  SingleThreadedBlas one_thread;
  at::parallel_for(0, slices, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t from = B * i / slices, to = B * (i + 1) / slices;
      const torch::Tensor c = controls.defined() ? controls.narrow(0, from, to - from) : torch::Tensor();
      parts[size_t(i)] = decode_rows(z.narrow(0, from, to - from), temperature, nullptr, &generators[size_t(i)], c, draw);
    }
  });
  return torch::cat(parts, 0);
}

torch::Tensor MusicVaeNetImpl::decode_rows(const torch::Tensor& z, double temperature, torch::Tensor* logits_out,
                                           at::Generator* generator, const torch::Tensor& controls, StepDraw draw) const {
  const int64_t C = config_.classes;
  const torch::Tensor control_proj = control_projection(controls);  // [B, T, 4H] or undefined
  const torch::Tensor conds = segment_conditions(z);
  const int64_t segments = conds.size(1), segment_steps = config_.steps / segments;
  const auto& cell0 = decoder_[0];
  // Layer 0's input is [previous one-hot; condition; chord]: the condition's part is the same at
  // every step of a segment, the one-hot part is one row of the kernel, the chords' precomputed.
  auto prev_kernel = cell0->kernel.narrow(0, 0, C);
  std::vector<torch::Tensor> h, c, tokens, logits;
  torch::Tensor prev;
  for (int64_t seg = 0; seg < segments; ++seg) {
    const torch::Tensor cond = conds.select(1, seg);
    initial_state(cond, h, c);
    auto cond_proj = torch::addmm(cell0->bias, cond, cell0->kernel.narrow(0, C, cond.size(1)));
    for (int64_t t = 0; t < segment_steps; ++t) {
      auto gates = prev.defined() ? prev_kernel.index_select(0, prev).add_(cond_proj) : cond_proj.clone();
      if (control_proj.defined()) gates.add_(control_proj.select(1, seg * segment_steps + t));
      gates.addmm_(h[0], cell0->hidden_kernel());
      cell0->activate_inplace(gates, h[0], c[0]);
      for (size_t l = 1; l < decoder_.size(); ++l) {
        // [input; hidden] in one GEMM: the kernel's rows are laid out that way.
        auto g = torch::addmm(decoder_[l]->bias, torch::cat({h[l - 1], h[l]}, 1), decoder_[l]->kernel);
        decoder_[l]->activate_inplace(g, h[l], c[l]);
      }
      auto lg = output_projection_->forward(h.back());
      // Melody classes 0 (no event) and 1 (note-off) start nothing; drum class 0 is a step without hits.
      prev = temperature <= 0 ? lg.argmax(1) : draw_step(lg, temperature, config_.kind == "drums" ? 1 : 2, draw, generator);
      tokens.push_back(prev);
      if (logits_out) logits.push_back(lg);
    }
  }
  if (logits_out) *logits_out = torch::stack(logits, 1);
  return torch::stack(tokens, 1);
}

namespace {

torch::Tensor draw_rows(const torch::Tensor& p, at::Generator* generator) {
  return (generator ? at::multinomial(p, 1, false, *generator) : torch::multinomial(p, 1)).view({p.size(0)});
}

// KeepDensity: whether each row starts something at temperature 1, then which class of that
// group at the temperature.
torch::Tensor draw_keeping_density(const torch::Tensor& logits, const torch::Tensor& scaled, const torch::Tensor& onset,
                                   at::Generator* generator) {
  const torch::Tensor p_onset = torch::softmax(logits, 1).masked_fill(onset.logical_not(), 0).sum(1);
  const torch::Tensor u = generator ? at::rand({logits.size(0)}, *generator, logits.options()) : torch::rand({logits.size(0)}, logits.options());
  const torch::Tensor allowed = onset.unsqueeze(0).eq((u < p_onset).unsqueeze(1));
  return draw_rows(torch::softmax(scaled.masked_fill(allowed.logical_not(), -INFINITY), 1), generator);
}

// PerDecision: each row's kind of step (each class that starts nothing is a kind; the onsets
// together are one) drawn from the kinds' whole chances at the temperature, then which onset.
torch::Tensor draw_per_decision(const torch::Tensor& logits, const torch::Tensor& scaled, const torch::Tensor& onset,
                                int64_t quiet, double temperature, at::Generator* generator) {
  const torch::Tensor onsets = logits.narrow(1, quiet, logits.size(1) - quiet).logsumexp(1, true);
  const torch::Tensor kinds = torch::cat({logits.narrow(1, 0, quiet), onsets}, 1);  // log-chances, up to a constant
  const torch::Tensor kind = draw_rows(torch::softmax(kinds / temperature, 1), generator);
  const torch::Tensor which = draw_rows(torch::softmax(scaled.masked_fill(onset.logical_not().unsqueeze(0), -INFINITY), 1), generator);
  return torch::where(kind.eq(quiet), which, kind);
}

}  // namespace

torch::Tensor draw_step(const torch::Tensor& logits, double temperature, int64_t first_onset_class, StepDraw draw,
                        at::Generator* generator) {
  const torch::Tensor scaled = logits / temperature;
  if (draw == StepDraw::Flat || temperature == 1) return draw_rows(torch::softmax(scaled, 1), generator);
  const torch::Tensor onset = torch::arange(logits.size(1), torch::kLong) >= first_onset_class;
  return draw == StepDraw::KeepDensity ? draw_keeping_density(logits, scaled, onset, generator)
                                       : draw_per_decision(logits, scaled, onset, first_onset_class, temperature, generator);
}

torch::Tensor MusicVaeNetImpl::teacher_forced_logits(const torch::Tensor& z, const torch::Tensor& targets,
                                                     double sampling_probability, const torch::Tensor& controls) const {
  if (config_.hierarchical() && sampling_probability <= 0) return teacher_forced_logits_by_bars(z, targets);
  return teacher_forced_logits_by_steps(z, targets, sampling_probability, controls);
}

torch::Tensor MusicVaeNetImpl::teacher_forced_logits_by_bars(const torch::Tensor& z, const torch::Tensor& targets) const {
  const int64_t B = z.size(0), T = targets.size(1), C = config_.classes, bars = config_.bars, S = T / bars;
  const torch::Tensor cond = segment_conditions(z).reshape({B * bars, -1});  // row b * bars + k: bar k of window b
  const auto& cell0 = decoder_[0];
  std::vector<torch::Tensor> h, c, logits;
  initial_state(cond, h, c);
  const torch::Tensor cond_proj = torch::addmm(cell0->bias, cond, cell0->kernel.narrow(0, C, cond.size(1)));
  // Each step's previous token (the last bar's last one at a bar's first step); none before the window.
  const torch::Tensor prev = torch::cat({targets.narrow(1, 0, 1), targets.narrow(1, 0, T - 1)}, 1).reshape({B * bars, S});
  const torch::Tensor has_prev = (torch::arange(B * bars, z.options().dtype(torch::kLong)) % bars != 0).to(z.dtype()).unsqueeze(1);
  auto prev_kernel = cell0->kernel.narrow(0, 0, C);
  for (int64_t t = 0; t < S; ++t) {
    torch::Tensor prev_proj = prev_kernel.index_select(0, prev.select(1, t));
    if (t == 0) prev_proj = prev_proj * has_prev;
    cell0->step(cond_proj + prev_proj, h[0], c[0]);
    for (size_t l = 1; l < decoder_.size(); ++l)
      decoder_[l]->step(torch::addmm(decoder_[l]->bias, h[l - 1], decoder_[l]->input_kernel()), h[l], c[l]);
    logits.push_back(output_projection_->forward(h.back()));
  }
  return torch::stack(logits, 1).view({B, T, C});
}

torch::Tensor MusicVaeNetImpl::teacher_forced_logits_by_steps(const torch::Tensor& z, const torch::Tensor& targets,
                                                              double sampling_probability, const torch::Tensor& controls) const {
  const int64_t B = z.size(0), T = targets.size(1), C = config_.classes;
  check_controls(controls, B, T);
  const torch::Tensor control_proj = control_projection(controls);
  const torch::Tensor conds = segment_conditions(z);
  const int64_t segment_steps = T / conds.size(1);
  const auto& cell0 = decoder_[0];
  auto prev_kernel = cell0->kernel.narrow(0, 0, C);
  std::vector<torch::Tensor> h, c, logits;
  torch::Tensor cond_proj;
  for (int64_t t = 0; t < T; ++t) {
    if (t % segment_steps == 0) {  // a new bar (or the whole window): its condition and state
      const torch::Tensor cond = conds.select(1, t / segment_steps);
      initial_state(cond, h, c);
      cond_proj = torch::addmm(cell0->bias, cond, cell0->kernel.narrow(0, C, cond.size(1)));
    }
    torch::Tensor gates_in = cond_proj;
    if (t > 0) {
      torch::Tensor prev = targets.select(1, t - 1);
      if (sampling_probability > 0) {
        torch::NoGradGuard no_grad;
        auto sampled = torch::multinomial(torch::softmax(logits.back().detach(), 1), 1).view({B});
        auto use = torch::rand({B}) < sampling_probability;
        prev = torch::where(use, sampled, prev);
      }
      gates_in = cond_proj + prev_kernel.index_select(0, prev);
    }
    if (control_proj.defined()) gates_in = gates_in + control_proj.select(1, t);
    cell0->step(gates_in, h[0], c[0]);
    for (size_t l = 1; l < decoder_.size(); ++l)
      decoder_[l]->step(torch::addmm(decoder_[l]->bias, h[l - 1], decoder_[l]->input_kernel()), h[l], c[l]);
    logits.push_back(output_projection_->forward(h.back()));
  }
  return torch::stack(logits, 1);
}

TensorMap MusicVaeNetImpl::tensors() const {
  TensorMap out;
  for (const auto& p : named_parameters(true)) out[p.key()] = p.value().detach();
  return out;
}

void MusicVaeNetImpl::load(const TensorMap& tensors, const std::string& subject) {
  torch::NoGradGuard no_grad;
  auto params = named_parameters(true);
  std::vector<std::string> missing_decoder;
  missing_encoder_.clear();
  for (const auto& [name, t] : tensors)
    if (!params.contains(name)) throw Error(subject, "unexpected tensor '" + name + "' for this MusicVAE architecture");
  for (auto& p : params) {
    auto it = tensors.find(p.key());
    if (it == tensors.end()) {
      (p.key().rfind("encoder.", 0) == 0 ? missing_encoder_ : missing_decoder).push_back(p.key());
      continue;
    }
    copy_parameter(p.value(), it->second, p.key(), subject);
  }
  if (!missing_decoder.empty()) throw Error(subject, "missing decoder tensors: " + join(missing_decoder));
}

VaeLoss musicvae_loss(const MusicVaeConfig& config, const torch::Tensor& logits, const torch::Tensor& targets,
                      const torch::Tensor& mu, const torch::Tensor& sigma, int64_t step) {
  const int64_t B = targets.size(0), C = logits.size(2);
  auto ce = torch::nn::functional::cross_entropy(
                logits.reshape({-1, C}), targets.reshape({-1}),
                torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone))
                .view({B, -1})
                .sum(1);
  auto kl = 0.5 * (mu.pow(2) + sigma.pow(2) - 1.0 - 2.0 * torch::log(sigma + 1e-12)).sum(1);
  auto kl_cost = torch::clamp_min(kl - config.free_bits * std::log(2.0), 0.0);
  VaeLoss out;
  out.beta = (1.0 - std::pow(config.beta_rate, double(step))) * config.max_beta;
  out.loss = ce.mean() + out.beta * kl_cost.mean();
  out.reconstruction = ce.mean().item<double>();
  out.kl = kl.mean().item<double>();
  out.accuracy = logits.argmax(2).eq(targets).to(torch::kFloat).mean().item<double>();
  return out;
}

TensorMap tf_names_to_module_paths(const TensorMap& tf, const std::string& subject) {
  static const std::regex enc_cell(R"(encoder/cell_(\d+)/bidirectional_rnn/(fw|bw)/multi_rnn_cell/cell_0/lstm_cell/(kernel|bias))");
  static const std::regex enc_dense(R"(encoder/(mu|sigma)/(kernel|bias))");
  static const std::regex dec_cell(R"(decoder/multi_rnn_cell/cell_(\d+)/lstm_cell/(kernel|bias))");
  static const std::regex dec_dense(R"(decoder/(z_to_initial_state|output_projection)/(kernel|bias))");
  TensorMap out;
  std::smatch m;
  for (const auto& [name, t] : tf) {
    std::string path;
    if (std::regex_match(name, m, enc_cell))
      path = "encoder.layer_" + m[1].str() + "." + m[2].str() + "." + m[3].str();
    else if (std::regex_match(name, m, enc_dense) || std::regex_match(name, m, dec_dense))
      path = name.substr(0, name.find('/')) + "." + m[1].str() + "." + m[2].str();
    else if (std::regex_match(name, m, dec_cell))
      path = "decoder.cell_" + m[1].str() + "." + m[2].str();
    else if (name.rfind("encoder/", 0) == 0 || name.rfind("decoder/", 0) == 0)
      throw Error(subject, "unknown MusicVAE variable '" + name + "'");
    else
      continue;
    out[path] = t;
  }
  return out;
}

MusicVaeConfig infer_musicvae_config(const TensorMap& t, const std::string& kind, const std::string& subject) {
  auto need = [&](const std::string& name) -> const torch::Tensor& {
    auto it = t.find(name);
    if (it == t.end()) throw Error(subject, "missing tensor '" + name + "'");
    return it->second;
  };
  MusicVaeConfig c = kind == "drums" ? MusicVaeConfig::drums_small() : MusicVaeConfig::melody_small();
  const auto& out = need("decoder.output_projection.kernel");
  const auto& z2s = need("decoder.z_to_initial_state.kernel");
  if (out.dim() != 2 || z2s.dim() != 2) throw Error(subject, "decoder kernels must be matrices");
  c.classes = int(out.size(1));
  c.z_size = int(z2s.size(0));
  c.decoder.clear();
  for (int l = 0; t.count("decoder.cell_" + std::to_string(l) + ".bias"); ++l)
    c.decoder.push_back(int(t.at("decoder.cell_" + std::to_string(l) + ".bias").size(0) / 4));
  if (c.decoder.empty()) throw Error(subject, "missing tensor 'decoder.cell_0.bias'");
  c.encoder.clear();
  for (int l = 0; t.count("encoder.layer_" + std::to_string(l) + ".fw.bias"); ++l)
    c.encoder.push_back(int(t.at("encoder.layer_" + std::to_string(l) + ".fw.bias").size(0) / 4));
  if (c.encoder.empty()) c.encoder = {512};
  return c;
}

}  // namespace timbrel::nn
