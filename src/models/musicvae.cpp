// The public MusicVae: its network is the torch module's.
#include <algorithm>
#include <cmath>

#include "models/torch_module.h"
#include "timbrel/error.h"

namespace timbrel {

MusicVae::Impl::~Impl() = default;

MusicVae::MusicVae(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MusicVae::~MusicVae() = default;
MusicVae::MusicVae(MusicVae&&) noexcept = default;
MusicVae& MusicVae::operator=(MusicVae&&) noexcept = default;

MusicVae MusicVae::load(const std::string& path) { return MusicVae(torch_module().load_musicvae(path)); }
const MusicVaeInfo& MusicVae::info() const { return impl_->info; }

std::vector<Tokens> MusicVae::decode(const std::vector<float>& z, double temperature, uint64_t seed,
                                     const std::vector<StepChords>& chords, StepDraw draw) const {
  return impl_->decode(z, temperature, seed, chords, draw);
}

std::vector<float> MusicVae::encode(const std::vector<Tokens>& windows, int refine_steps, const std::vector<StepChords>& chords) const {
  return impl_->encode(windows, refine_steps, chords);
}

std::vector<float> MusicVae::random_z(size_t n, uint64_t seed, bool standard_prior) const {
  return impl_->random_z(n, seed, standard_prior);
}

std::vector<float> MusicVae::random_z_related(size_t n, uint64_t seed) const { return impl_->random_z_related(n, seed); }
bool MusicVae::has_latent_prior() const { return impl_->has_latent_prior(); }
void MusicVae::save(const std::string& dir, bool float16) const { impl_->save(dir, float16); }

std::vector<float> slerp(const std::vector<float>& a, const std::vector<float>& b, double t) {
  if (a.size() != b.size()) throw Error("", "slerp of vectors of different sizes");
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  double cosine = (na > 0 && nb > 0) ? std::clamp(dot / std::sqrt(na * nb), -1.0, 1.0) : 1.0;
  double omega = std::acos(cosine), so = std::sin(omega);
  double wa = 1 - t, wb = t;
  if (so > 1e-6) {  // else (nearly) parallel: linear
    wa = std::sin((1 - t) * omega) / so;
    wb = std::sin(t * omega) / so;
  }
  std::vector<float> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) out[i] = float(wa * a[i] + wb * b[i]);
  return out;
}

}  // namespace timbrel
