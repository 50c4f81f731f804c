#include "nn/gansynth_net.h"

#include <cmath>

#include "timbrel/error.h"

namespace timbrel::nn {
namespace {

const char* kTfPrefix = "Generator/progressive_gan_generator/progressive_gan_block_";

// magenta.js: tf.sqrt(2 / fanIn) in float32, fanIn = kh * kw * cin.
float equalised_scale(const torch::Tensor& w) {
  return std::sqrt(float(2.0 / double(w.size(1) * w.size(2) * w.size(3))));
}

torch::Tensor pixel_norm(const torch::Tensor& x) {
  return x * torch::rsqrt(x.square().mean(1, true) + 1e-8);
}

}  // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>> gansynth_tf_variables(const GansynthConfig& c) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  const size_t blocks = c.channels.size();
  if (c.pitch_template || c.time_depth_blocks) throw Error("GANSynth", "the TF layout has no pitch template or depth-to-space output");
  for (auto [name, shape] : gansynth_tensor_shapes(c)) {
    // "block3.conv0.weight" -> ".../progressive_gan_block_3/conv0/conv2d/kernel/ExponentialMovingAverage"
    const bool kernel = name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
    std::string block, layer;
    if (name.rfind("to_rgb", 0) == 0) {
      block = std::to_string(blocks);
      layer = "to_rgb";
    } else {
      size_t dot = name.find('.');
      block = name.substr(5, dot - 5);
      layer = name.substr(dot + 1, 5);
    }
    std::string tf = kTfPrefix + block + "/" + layer + (kernel ? "/conv2d/kernel" : "/bias") + "/ExponentialMovingAverage";
    if (kernel) shape = {shape[2], shape[3], shape[1], shape[0]};  // OIHW -> HWIO
    out.push_back({tf, shape});
  }
  return out;
}

TensorMap gansynth_from_tf(const TensorMap& tf, const std::string& subject, GansynthConfig* config) {
  // Widths from the conv0 kernels of blocks 1..7; the input width gives the latent size.
  GansynthConfig c;
  c.channels.clear();
  for (int b = 1;; ++b) {
    auto it = tf.find(kTfPrefix + std::to_string(b) + "/conv0/conv2d/kernel/ExponentialMovingAverage");
    if (it == tf.end()) break;
    if (it->second.dim() != 4)
      throw Error(subject, it->first + " has shape " + shape_text(it->second.sizes()) + ", expected 4 dimensions (HWIO)");
    if (b == 1) c.latent_size = int(it->second.size(2)) - c.pitches;
    c.channels.push_back(int(it->second.size(3)));
  }
  if (c.channels.empty())
    throw Error(subject, "not a GANSynth checkpoint: no variable " + std::string(kTfPrefix) + "1/conv0/conv2d/kernel/ExponentialMovingAverage");
  if (c.channels.size() != 7 || c.latent_size < 1)
    throw Error(subject, "GANSynth checkpoint with " + std::to_string(c.channels.size()) +
                             " progressive blocks; the full-resolution generator has 7");
  auto ours = gansynth_tensor_shapes(c);
  auto names = gansynth_tf_variables(c);
  TensorMap out;
  std::string missing;
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = tf.find(names[i].first);
    if (it == tf.end()) {
      missing += (missing.empty() ? "" : ", ") + names[i].first;
      continue;
    }
    const torch::Tensor& t = it->second;
    if (!t.is_floating_point()) throw Error(subject, names[i].first + " is not float32");
    if (t.sizes().vec() != names[i].second)
      throw Error(subject, names[i].first + " has shape " + shape_text(t.sizes()) + ", expected " + shape_text(names[i].second));
    out[ours[i].first] = t.dim() == 4 ? t.permute({3, 2, 0, 1}).contiguous() : t.contiguous();
  }
  if (!missing.empty()) throw Error(subject, "GANSynth checkpoint lacks " + missing);
  *config = c;
  return out;
}

TensorMap gansynth_random_tf(const GansynthConfig& c, uint32_t seed, double stddev) {
  auto vars = gansynth_tf_variables(c);
  size_t total = 0;
  for (const auto& [name, shape] : vars) {
    size_t n = 1;
    for (int64_t d : shape) n *= size_t(d);
    total += n;
  }
  std::vector<double> g = lcg_gaussians(total, seed);
  TensorMap out;
  size_t k = 0;
  for (const auto& [name, shape] : vars) {
    torch::Tensor t = torch::empty(shape, torch::kFloat);
    float* p = t.data_ptr<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = float(stddev * g[k++]);
    out[name] = t;
  }
  return out;
}

GansynthNet::GansynthNet(const GansynthConfig& config, TensorMap raw, const std::string& subject)
    : config_(config) {
  if (config.channels.empty() || config.latent_size < 1 || config.pitches < 1)
    throw Error(subject, "invalid GANSynth configuration");
  auto expected = gansynth_tensor_shapes(config);
  for (const auto& [name, shape] : expected) {
    auto it = raw.find(name);
    if (it == raw.end()) throw Error(subject, "lacks the tensor " + name);
    if (!it->second.is_floating_point()) throw Error(subject, name + " is not floating point");
    if (it->second.sizes().vec() != shape)
      throw Error(subject, name + " has shape " + shape_text(it->second.sizes()) + ", expected " + shape_text(shape));
    raw_[name] = it->second.to(torch::kFloat).contiguous();
  }
  for (const auto& [name, t] : raw)
    if (!raw_.count(name)) throw Error(subject, "unexpected tensor " + name + " for this configuration");

  auto scaled = [&](const std::string& p) {
    const torch::Tensor& w = raw_.at(p + ".weight");
    return Conv{w * equalised_scale(w), raw_.at(p + ".bias")};
  };
  // Block 1, conv0: the 1x1 input padded by (1, 15) then a VALID 2x16 conv is a matmul with the
  // flipped kernel: out[c, h, w] = sum_i x[i] W[c, i, 1 - h, 15 - w].
  Conv first = scaled("block1.conv0");
  const int64_t c1 = first.weight.size(0);
  // Columns in (h, w, c) order so the product is NHWC.
  first_matrix_ = first.weight.flip({2, 3}).permute({1, 2, 3, 0}).reshape({first.weight.size(1), 32 * c1}).contiguous();
  first_bias_ = first.bias.repeat({32}).contiguous();
  convs_.push_back(scaled("block1.conv1"));
  for (size_t b = 2; b <= config.channels.size(); ++b) {
    convs_.push_back(scaled("block" + std::to_string(b) + ".conv0"));
    convs_.push_back(scaled("block" + std::to_string(b) + ".conv1"));
  }
  // Nearest x2 upsampling then a 3x3 conv equals, for each output parity (i, j), a 2x2 conv of
  // the small input whose taps are sums of the 3x3 taps: rows {0}, {1, 2} for even outputs,
  // {0, 1}, {2} for odd ones (same for columns). All four parities are one 2x2 conv with 4 x cout
  // channels on the input padded by 1: 16 instead of 36 multiply-adds per input pixel and cin x
  // cout, and no upsampled tensor.
  // Blocks that double frequency only (time_depth_blocks) use the same idea along columns: a 3x2
  // conv with 2 x cout channels.
  const size_t first_freq_only = config.channels.size() - size_t(config.time_depth_blocks);  // 0-based block
  for (size_t i = 1; i < convs_.size(); i += 2) {
    const torch::Tensor& k = convs_[i].weight;  // [co, ci, 3, 3]
    auto taps = [](const torch::Tensor& t, int dim, int parity) {
      return parity == 0 ? torch::stack({t.select(dim, 0), t.narrow(dim, 1, 2).sum(dim)}, dim)
                         : torch::stack({t.narrow(dim, 0, 2).sum(dim), t.select(dim, 2)}, dim);
    };
    const bool both = (i + 1) / 2 < first_freq_only;
    std::vector<torch::Tensor> parts;
    for (int pi = 0; pi < (both ? 2 : 1); ++pi)
      for (int pj = 0; pj < 2; ++pj) parts.push_back(both ? taps(taps(k, 2, pi), 3, pj) : taps(k, 3, pj));
    subpixel_.push_back(Conv{torch::cat(parts, 0), convs_[i].bias.repeat({both ? 4 : 2})});
    convs_[i] = Conv{};  // only the sub-pixel form runs
  }
  if (config.pitch_template) template_ = raw_.at("pitch_template");
  for (Conv& c : subpixel_) c.weight = c.weight.contiguous(at::MemoryFormat::ChannelsLast);
  for (Conv& c : convs_)
    if (c.weight.defined()) c.weight = c.weight.contiguous(at::MemoryFormat::ChannelsLast);
  to_rgb_ = scaled("to_rgb");
  to_rgb_.weight = to_rgb_.weight.flatten(1).t().contiguous();  // [c, 2]
}

int64_t GansynthNet::parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : raw_) n += t.numel();
  return n;
}

// The network runs channels-last (NHWC memory): oneDNN's convolutions take it without reorders,
// and the per-pixel work below reads each pixel's channels contiguously. LeakyReLU + PixelNorm are
// one fused pass in place (separate torch ops made the elementwise work cost more than the convs).
namespace {

// LeakyReLU + PixelNorm of pixel v (c values) into out.
inline void leaky_pixel_norm(const float* v, float* out, int64_t c) {
  float sum = 0;
  for (int64_t i = 0; i < c; ++i) {
    const float a = v[i] > 0 ? v[i] : 0.2f * v[i];
    out[i] = a;
    sum += a * a;
  }
  const float scale = 1.0f / std::sqrt(sum / float(c) + 1e-8f);
  for (int64_t i = 0; i < c; ++i) out[i] *= scale;
}

void leaky_pixel_norm_(torch::Tensor& x) {
  TORCH_CHECK(x.is_contiguous(at::MemoryFormat::ChannelsLast), "expected channels-last");
  const int64_t c = x.size(1), pixels = x.numel() / c;
  float* data = x.data_ptr<float>();
  at::parallel_for(0, pixels, 256, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) leaky_pixel_norm(data + p * c, data + p * c, c);
  });
}

// The sub-pixel conv's output y [n, 4 co, h + 1, w + 1] (channels-last; channel block q = 2 i + j
// holds output parity (i, j)) -> the upsampled block output [n, co, 2h, 2w]:
// out[2y + i][2x + j] = y[y + i][x + j][q], with LeakyReLU + PixelNorm applied on the way.
// Frequency-only (both = false): y [n, 2 co, h, w + 1] -> [n, co, h, 2w], out[y][2x + j] = y[y][x + j][j].
torch::Tensor interleave_leaky_pixel_norm(const torch::Tensor& y, bool both) {
  TORCH_CHECK(y.is_contiguous(at::MemoryFormat::ChannelsLast), "expected channels-last");
  const int64_t parts = both ? 4 : 2, extra = both ? 1 : 0;
  const int64_t n = y.size(0), co = y.size(1) / parts, h = y.size(2) - extra, w = y.size(3) - 1, oh = both ? 2 * h : h;
  torch::Tensor out = torch::empty({n, co, oh, 2 * w}, y.options().memory_format(at::MemoryFormat::ChannelsLast));
  const float* src = y.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, n * oh, 8, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t b = row / oh, yy = row % oh, i = both ? yy & 1 : 0, ys = both ? (yy >> 1) + i : yy;
      for (int64_t xx = 0; xx < 2 * w; ++xx) {
        const int64_t j = xx & 1, xs = (xx >> 1) + j;
        const float* v = src + ((b * (h + extra) + ys) * (w + 1) + xs) * parts * co + (both ? 2 * i + j : j) * co;
        leaky_pixel_norm(v, dst + (row * 2 * w + xx) * co, co);
      }
    }
  });
  return out;
}

// The same two ops from plain torch operations, for devices without the loops above (a GPU).
torch::Tensor leaky_pixel_norm_generic(const torch::Tensor& x) {
  const torch::Tensor a = torch::leaky_relu(x, 0.2);
  return (a * torch::rsqrt(a.square().mean(1, true) + 1e-8)).contiguous(at::MemoryFormat::ChannelsLast);
}

torch::Tensor interleave_leaky_pixel_norm_generic(const torch::Tensor& y, bool both) {
  const int64_t parts = both ? 4 : 2, extra = both ? 1 : 0;
  const int64_t n = y.size(0), co = y.size(1) / parts, h = y.size(2) - extra, w = y.size(3) - 1;
  auto part = [&](int64_t q, int64_t i, int64_t j) { return y.narrow(1, q * co, co).narrow(2, i, h).narrow(3, j, w); };
  torch::Tensor out;
  if (both)  // [n, co, h, 2 (i), w, 2 (j)] -> [n, co, 2h, 2w]
    out = torch::stack({torch::stack({part(0, 0, 0), part(1, 0, 1)}, -1), torch::stack({part(2, 1, 0), part(3, 1, 1)}, -1)}, 3)
              .reshape({n, co, 2 * h, 2 * w});
  else  // [n, co, h, w, 2 (j)] -> [n, co, h, 2w]
    out = torch::stack({part(0, 0, 0), part(1, 0, 1)}, -1).reshape({n, co, h, 2 * w});
  return leaky_pixel_norm_generic(out);
}

}  // namespace

void GansynthNet::to(const torch::Device& device, torch::ScalarType dtype) {
  // Always from the float32 originals, so fp32 -> bf16 -> fp32 gives back the exact weights.
  if (!master_) master_ = std::make_shared<const Weights>(Weights{first_matrix_, first_bias_, template_, convs_, subpixel_, to_rgb_});
  const Weights& w = *master_;
  // Tensor::to preserves the memory format: the conv weights stay channels-last.
  auto moved = [&](const torch::Tensor& t) { return t.defined() ? t.to(device, dtype) : t; };
  auto moved_convs = [&](const std::vector<Conv>& convs) {
    std::vector<Conv> out;
    for (const Conv& c : convs) out.push_back(Conv{moved(c.weight), moved(c.bias)});
    return out;
  };
  first_matrix_ = moved(w.first_matrix);
  first_bias_ = moved(w.first_bias);
  template_ = moved(w.template_);
  convs_ = moved_convs(w.convs);
  subpixel_ = moved_convs(w.subpixel);
  to_rgb_ = Conv{moved(w.to_rgb.weight), moved(w.to_rgb.bias)};
  generic_ops_ = !device.is_cpu() || dtype != torch::kFloat;  // the fused loops are float32 CPU code
}

torch::Tensor GansynthNet::forward(const torch::Tensor& z, const torch::Tensor& pitch_index) const {
  const int64_t n = z.size(0);
  torch::Tensor x = torch::cat({z.to(torch::kFloat), torch::one_hot(pitch_index, config_.pitches).to(torch::kFloat)}, 1)
                        .to(first_matrix_.scalar_type());  // bf16 when the weights are
  x = pixel_norm(x);
  // [n, 2 * 16 * c] in (h, w, c) order = NHWC: viewed as a channels-last NCHW tensor.
  const int64_t c1 = first_matrix_.size(1) / 32;
  x = torch::addmm(first_bias_, x, first_matrix_).view({n, 2, 16, c1}).permute({0, 3, 1, 2});
  const bool generic = generic_ops_;
  if (generic) x = leaky_pixel_norm_generic(x);
  else leaky_pixel_norm_(x);
  auto conv = [generic](const torch::Tensor& t, const Conv& c) {
    torch::Tensor y = torch::conv2d(t, c.weight, c.bias, 1, 1).contiguous(at::MemoryFormat::ChannelsLast);
    if (generic) return leaky_pixel_norm_generic(y);
    leaky_pixel_norm_(y);
    return y;
  };
  x = conv(x, convs_[0]);
  for (size_t i = 1; i < convs_.size(); i += 2) {
    const Conv& up = subpixel_[i / 2];
    const bool both = (i + 1) / 2 < config_.channels.size() - size_t(config_.time_depth_blocks);  // else frequency only
    torch::Tensor y = torch::conv2d(x, up.weight, up.bias, 1, 1);  // both: 2x2 taps, else 3x2
    x = generic ? interleave_leaky_pixel_norm_generic(y, both) : interleave_leaky_pixel_norm(y.contiguous(at::MemoryFormat::ChannelsLast), both);
    x = conv(x, convs_[i + 1]);
  }
  // to_rgb (1x1) on NHWC is a matmul over channels, and its output is already [n, time, mel, 2].
  const int64_t c = x.size(1), h = x.size(2), w = x.size(3);
  torch::Tensor rgb = torch::addmm(to_rgb_.bias, x.permute({0, 2, 3, 1}).reshape({n * h * w, c}), to_rgb_.weight);
  const int64_t sub = int64_t(1) << config_.time_depth_blocks;
  if (sub > 1) rgb = rgb.view({n, h, w, sub, 2}).permute({0, 1, 3, 2, 4}).contiguous();  // channel s * 2 + k -> frame h * sub + s
  rgb = rgb.view({n, h * sub, w, 2});
  if (template_.defined()) rgb.add_(template_.index_select(0, pitch_index).unsqueeze(1));
  return torch::tanh_(rgb).to(torch::kFloat);
}

}  // namespace timbrel::nn
