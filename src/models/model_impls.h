#pragma once
// What the public model classes hold. Their networks live in the torch module (src/nn/, loaded
// only when a model first needs one), so the library starts without libtorch:
//  - MusicVae, EventRnn, Ddsp and GrooveModel hold the module's implementation of the Impl
//    interfaces below (their info is data, the rest virtual);
//  - Gansynth holds its card's data here (timbres, programs, levels, fingerprint: everything a
//    render from the note cache needs) and builds its network on first use.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/model_card.h"
#include "timbrel/ddsp.h"
#include "timbrel/event_rnn.h"
#include "timbrel/gansynth.h"
#include "timbrel/groove.h"
#include "timbrel/musicvae.h"

namespace timbrel {

namespace detail {
// The library's access to the public classes' private Impl (callers of the API cannot reach one).
struct ModelAccess {
  using GansynthImpl = Gansynth::Impl;
  using MusicVaeImpl = MusicVae::Impl;
  using EventRnnImpl = EventRnn::Impl;
  using DdspImpl = Ddsp::Impl;
  using GrooveImpl = GrooveModel::Impl;

  template <class Model>
  static typename Model::Impl& impl(const Model& model) {
    return *model.impl_;
  }
  template <class Model>
  static Model wrap(std::unique_ptr<typename Model::Impl> impl) {
    return Model(std::move(impl));
  }
  template <class Model>
  static std::unique_ptr<typename Model::Impl> release(Model&& model) {
    return std::move(model.impl_);
  }
};
using GansynthImpl = ModelAccess::GansynthImpl;
using MusicVaeImpl = ModelAccess::MusicVaeImpl;
using EventRnnImpl = ModelAccess::EventRnnImpl;
using DdspImpl = ModelAccess::DdspImpl;
using GrooveImpl = ModelAccess::GrooveImpl;
}  // namespace detail

struct MusicVae::Impl {
  virtual ~Impl();
  virtual std::vector<Tokens> decode(const std::vector<float>& z, double temperature, uint64_t seed,
                                     const std::vector<StepChords>& chords, StepDraw draw) const = 0;
  virtual std::vector<float> encode(const std::vector<Tokens>& windows, int refine_steps, const std::vector<StepChords>& chords) const = 0;
  virtual std::vector<float> random_z(size_t n, uint64_t seed, bool standard_prior) const = 0;
  virtual std::vector<float> random_z_related(size_t n, uint64_t seed) const = 0;
  virtual bool has_latent_prior() const = 0;
  virtual void save(const std::string& dir, bool float16) const = 0;
  MusicVaeInfo info;
};

struct EventRnn::Impl {
  virtual ~Impl();
  virtual std::vector<int> continue_events(const std::vector<int>& primer, int steps, const ContinueOptions& options) const = 0;
  virtual double log_likelihood(const std::vector<int>& events, const std::vector<ChordSpan>& chords) const = 0;
  virtual std::vector<Note> continuation(const NoteSequence& primer, const ContinueOptions& options) const = 0;
  virtual NoteSequence continue_sequence(const NoteSequence& primer, const ContinueOptions& options) const = 0;
  virtual NoteSequence improvise(const ContinueOptions& options, double qpm) const = 0;
  virtual void save(const std::string& dir) const = 0;
  EventRnnInfo info;
};

struct Ddsp::Impl {
  virtual ~Impl();
  // `instrument`: a preset's embedding (the first preset's when the caller gave none) for a model
  // with presets, else empty.
  virtual DdspControls controls(const std::vector<float>& f0_hz, const std::vector<float>& loudness_db,
                                const std::vector<float>& instrument) const = 0;
  virtual std::vector<float> embedding(size_t preset) const = 0;
  DdspInfo info;
};

struct GrooveModel::Impl {
  virtual ~Impl();
  virtual GrooveSteps perform(const GrooveSteps& input, const GrooveOptions& options) const = 0;
  virtual void save(const std::string& folder) const = 0;
  GrooveModelInfo info;
};

using GansynthLog = std::function<void(const std::string& message)>;

// A GANSynth generator's network (the torch module's), built from the model's weights.
class GansynthNetwork {
 public:
  virtual ~GansynthNetwork();
  virtual std::vector<float> generate(const std::vector<float>& z, const std::vector<int>& pitches) const = 0;
  virtual void generate_audio(const std::vector<float>& z, const std::vector<int>& pitches, const InverseOptions& options,
                              float* audio, const SpectralBackend& on_device, const SpectralBackend& on_host, int threads) const = 0;
  virtual void to(Device device, Precision precision) = 0;  // Cpu or Cuda
  virtual Device device() const = 0;
  virtual void save(const std::string& dir, const nlohmann::json& card) const = 0;  // a model folder
};

struct Gansynth::Impl {
  // Built on first use (thread-safe), on the device asked for. set_device and set_precision are
  // not to run beside a generation (as before: they move the network).
  GansynthNetwork& network() const;
  GansynthInfo info;
  nlohmann::json card;
  std::map<std::string, std::vector<float>> presets;
  std::map<std::string, formats::GmProgram> programs;
  formats::NoteLevels levels;
  double typical_level_db = 0;
  std::string subject;
  Device device = Device::Cpu;
  Precision precision = Precision::Fp32;
  GansynthLog log;
  // Makes the network (once); it reports to *log (this Impl's, which outlives it).
  std::function<std::unique_ptr<GansynthNetwork>(const GansynthLog* log)> build;
  mutable std::once_flag built;
  mutable std::unique_ptr<GansynthNetwork> net;
};

namespace detail {
// A Gansynth from its configuration and card (timbres, programs, levels); the network comes from
// `build` on first use. Errors name `subject` + "/model.json".
Gansynth make_gansynth(const GansynthConfig& config, const nlohmann::json& card, const std::string& subject, const std::string& format,
                       const std::string& fingerprint, int64_t parameters,
                       std::function<std::unique_ptr<GansynthNetwork>(const GansynthLog* log)> build);
// Builds the network now (loading libtorch if it is not yet): real-time players do this before
// their first note rather than stall on it.
void prepare_network(const Gansynth& model);

}  // namespace detail

}  // namespace timbrel
