#include "timbrel/engine.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "engine/chord_sampling.h"
#include "engine/compute.h"
#include "render/ddsp_bank.h"
#include "render/drum_highs.h"
#include "render/live_synth.h"
#include "render/note_renderer.h"
#include "timbrel/error.h"
#include "timbrel/timbre_spec.h"

namespace timbrel {

namespace {

// N windows decoded from a smooth latent walk: each z a slerp 35% of the way from the previous one
// towards a fresh draw, so neighbouring windows stay related. The draws share one component of a
// mixture prior: a walk toward another component's region changed the song's style mid-way.
NoteSequence sample_walk(const MusicVae& model, int windows, uint64_t seed, double temperature, std::optional<StepDraw> draw,
                         double qpm) {
  const size_t dim = size_t(model.info().z_size);
  std::vector<float> draws = model.random_z_related(size_t(windows), seed), z;
  std::vector<float> current(draws.begin(), draws.begin() + long(dim));
  for (int w = 0; w < windows; ++w) {
    if (w > 0) current = slerp(current, std::vector<float>(draws.begin() + long(w * dim), draws.begin() + long((w + 1) * dim)), 0.35);
    z.insert(z.end(), current.begin(), current.end());
  }
  return windows_to_sequence(model.info().kind, decode_as_advised(model, z, temperature, draw, seed), qpm);
}

Tokens window_of(const MusicVae& model, const NoteSequence& seq, const std::string& name, int window) {
  auto windows = windows_for(model.info().kind, seq, model.info().steps);
  // Windows start every bar (windows without an onset are skipped): `window` counts the kept ones.
  if (windows.empty())
    throw Error(name, "no " + std::to_string(model.info().steps / 16) + "-bar " + to_string(model.info().kind) + " window with notes");
  if (window < 0 || size_t(window) >= windows.size())
    throw Error("window", std::to_string(window) + " is past the last window of " + name + " (" + std::to_string(windows.size()) + " windows)");
  return windows[size_t(window)];
}

}  // namespace

struct Engine::Impl {
  EngineOptions params;
  engine::Compute compute;
  std::string timbre_dir;
  std::unique_ptr<Gansynth> timbre, drums;
  std::optional<DrumHighs> drum_highs;  // the drum model's high band, when its folder has one
  std::unique_ptr<MusicVae> melody, groove, chord_melody;
  std::unique_ptr<EventRnn> melody_rnn, drums_rnn, improv_rnn;
  std::unique_ptr<GrooveModel> humanize, drumify;
  std::unique_ptr<DdspBank> ddsp;

  void log(const std::string& message) const {
    if (params.log) params.log(message);
  }
  std::unique_ptr<Gansynth> load_gansynth(const std::string& path) const {
    auto g = std::make_unique<Gansynth>(Gansynth::load(path));
    g->set_log(params.log);
    if (compute.generator != g->device()) g->set_device(compute.generator);
    if (params.precision != Precision::Fp32) g->set_precision(params.precision);
    return g;
  }
  std::string path_of(const std::string& given, const char* bundled) const {
    return given.empty() ? bundled_model_path(bundled) : given;
  }
  void fill_backends(SpectralBackend& host, SpectralBackend& device) const {
    if (!host) host = compute.spectral;
    if (!device) device = compute.device_spectral;
  }
  // The same, naming the backends for the note cache when they are the Engine's.
  void fill_backends(NoteRenderOptions& o) const {
    if (!o.spectral && !o.device_spectral && compute.spectral) o.spectral_name = compute.name + " spectral kernels";
    fill_backends(o.spectral, o.device_spectral);
  }
  void warn(const NoteRenderReport& report) const {
    if (report.transposed)
      log(std::to_string(report.transposed) + " notes outside the model's pitch range moved by octaves (strict: error)");
    for (const auto& [program, preset] : report.substituted_programs)
      log("General MIDI program " + std::to_string(program) + " has no preset in the model: played by '" + preset +
          "', the nearest of its family");
    if (report.unknown_drums) log(std::to_string(report.unknown_drums) + " drum notes with numbers no drum class covers were skipped");
    for (const auto& [track, octaves] : report.octave_shifts)
      log("track " + std::to_string(track) + " moved " + std::to_string(octaves) + " octave(s) into the DDSP model's range");
    if (report.cache_write_failures)
      log(std::to_string(report.cache_write_failures) + " generated notes could not be kept in the note cache (a full disk or a read-only folder?)");
    if (!report.cache_error.empty()) log("rendered without the note cache: " + report.cache_error);
  }
  DdspBank& ddsp_bank() {
    if (!ddsp) ddsp = std::make_unique<DdspBank>(path_of(params.ddsp_model, "ddsp-bank"));
    return *ddsp;
  }
  // The melodic notes played by DDSP (stems for the mix) and the drum notes left for the drum
  // model; `melodic` gets the DDSP counts.
  std::vector<Stem> ddsp_stems(const NoteSequence& seq, const NoteRenderOptions& o, NoteSequence& drums, NoteRenderReport& melodic) {
    if (seq.total_time > kMaxRenderHours * 3600)
      throw Error(o.subject, "lasts " + std::to_string(int(seq.total_time / 3600)) + " h; rendering stops at " +
                                 std::to_string(int(kMaxRenderHours)) + " h");
    const DdspBank& bank = ddsp_bank();
    std::vector<Stem> stems =
        render_ddsp_notes(seq, [&](int program) { return bank.voice(program, &melodic.substituted_programs); }, o, melodic);
    drums = seq;
    drums.notes.erase(std::remove_if(drums.notes.begin(), drums.notes.end(), [](const Note& n) { return !n.is_drum; }), drums.notes.end());
    return stems;
  }
  static void add_ddsp_counts(NoteRenderReport& r, const NoteRenderReport& melodic) {
    r.notes = melodic.notes;
    r.ddsp_voices = melodic.ddsp_voices;
    r.octave_shifts = melodic.octave_shifts;
    r.substituted_programs = melodic.substituted_programs;
  }
};

Engine::Engine(EngineOptions params) : impl_(std::make_unique<Impl>()) {
  impl_->params = std::move(params);
  if (impl_->params.threads < 0) throw Error("threads", "must be 0 (all cores) or more");
  impl_->compute = engine::choose_compute(impl_->params.device, impl_->params.log);
}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

std::string Engine::compute_name() const { return impl_->compute.name; }

const Gansynth& Engine::timbre_model() {
  if (!impl_->timbre) {
    impl_->timbre_dir = impl_->path_of(impl_->params.timbre_model, "gm-timbres");
    impl_->timbre = impl_->load_gansynth(impl_->timbre_dir);
  }
  return *impl_->timbre;
}

const Gansynth& Engine::drum_model() {
  if (!impl_->drums) {
    const std::string dir = impl_->path_of(impl_->params.drum_model, "gm-drums");
    impl_->drums = impl_->load_gansynth(dir);
    impl_->drum_highs = DrumHighs::load_beside(dir);
  }
  return *impl_->drums;
}

const MusicVae& Engine::melody_model() {
  if (!impl_->melody) {
    auto model = std::make_unique<MusicVae>(MusicVae::load(impl_->path_of(impl_->params.melody_model, "melody-2bar")));
    if (model->info().chords) throw Error("melody_model", "is chord-conditioned: it plays over chords (as chord_melody_model) only");
    impl_->melody = std::move(model);
  }
  return *impl_->melody;
}

const MusicVae& Engine::chord_melody_model() {
  if (!impl_->chord_melody) {
    auto model = std::make_unique<MusicVae>(MusicVae::load(impl_->path_of(impl_->params.chord_melody_model, "melody-chords-2bar")));
    if (!model->info().chords) throw Error("chord_melody_model", "is not conditioned on chords (train one with chords)");
    impl_->chord_melody = std::move(model);
  }
  return *impl_->chord_melody;
}

const MusicVae& Engine::groove_model() {
  if (!impl_->groove) impl_->groove = std::make_unique<MusicVae>(MusicVae::load(impl_->path_of(impl_->params.groove_model, "drums-2bar")));
  return *impl_->groove;
}

std::string Engine::timbre_model_path() const {
  return impl_->timbre_dir.empty() ? impl_->path_of(impl_->params.timbre_model, "gm-timbres") : impl_->timbre_dir;
}

std::vector<float> Engine::note_spectrogram(const NoteOptions& r) {
  const Gansynth& g = timbre_model();
  if (!r.corners.empty() && !r.pad) throw Error("corners", "only used with pad");
  if (r.pad && r.corners.size() != 4) throw Error("corners", "pad needs four corner timbres A, B, C, D");
  if (r.pad && !r.z.empty()) throw Error("z", "give z or pad, not both");
  std::vector<float> z = r.pad ? bilinear(g.timbre(r.corners[0]), g.timbre(r.corners[1]), g.timbre(r.corners[2]), g.timbre(r.corners[3]),
                                          r.pad->x, r.pad->y)
                               : r.z.empty() ? g.timbre(r.timbre) : r.z;
  if (z.size() != size_t(g.info().config.latent_size))
    throw Error("z", "has " + std::to_string(z.size()) + " values; the model's latent has " + std::to_string(g.info().config.latent_size));
  const TimbreSpec spec = r.z.empty() && !r.pad ? parse_timbre_spec(r.timbre) : TimbreSpec{};
  if (spec.kind == TimbreSpec::Kind::Program) {
    const Gansynth::ProgramPreset p = g.preset_for_program(spec.program);
    if (!p.exact) impl_->log("General MIDI " + r.timbre + " has no preset in the model: played by '" + p.preset + "', the nearest of its family");
  }
  return g.generate(z, {r.pitch});
}

std::vector<float> Engine::note(const NoteOptions& r) {
  if (r.velocity < 1 || r.velocity > 127) throw Error("velocity", std::to_string(r.velocity) + " is outside 1..127");
  return spectrograms_to_audio(note_spectrogram(r), r.inverse, r.velocity);
}

std::vector<float> Engine::spectrograms_to_audio(const std::vector<float>& spectrograms, const InverseOptions& options, int velocity) {
  if (velocity < 1 || velocity > 127) throw Error("velocity", std::to_string(velocity) + " is outside 1..127");
  if (spectrograms.empty() || spectrograms.size() % kSpectrogramValues)
    throw Error("spectrograms", "expected a multiple of " + std::to_string(kSpectrogramValues) + " values ([n, 128, 1024, 2]), got " +
                                    std::to_string(spectrograms.size()));
  const size_t n = spectrograms.size() / kSpectrogramValues;
  std::vector<float> audio(n * size_t(kNoteSamples));
  if (impl_->compute.spectral) impl_->compute.spectral(spectrograms.data(), n, audio.data(), options);
  else timbrel::spectrograms_to_audio(spectrograms.data(), n, audio.data(), options, impl_->params.threads);
  const float gain = float(velocity) / 127.0f;  // GANSynth has no velocity input
  if (gain != 1.0f)
    for (float& s : audio) s *= gain;
  return audio;
}

Audio Engine::render(const NoteSequence& sequence, NoteRenderOptions options, NoteRenderReport* report) {
  impl_->fill_backends(options);
  if (options.threads == 0) options.threads = impl_->params.threads;
  NoteRenderReport local;
  NoteRenderReport& r = report ? *report : local;
  Audio a;
  const Gansynth* drums = options.drums && sequence.has_drums() ? &drum_model() : nullptr;
  const DrumHighs* highs = drums && impl_->drum_highs ? &*impl_->drum_highs : nullptr;
  if (options.engine == TimbreEngine::Ddsp) {
    const auto t0 = std::chrono::steady_clock::now();
    NoteSequence drum_part;
    NoteRenderReport melodic;
    std::vector<Stem> stems = impl_->ddsp_stems(sequence, options, drum_part, melodic);
    a = render_with_stems(drum_part, nullptr, drums, options, std::move(stems), &r, highs);
    Impl::add_ddsp_counts(r, melodic);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } else {
    a = render_sequence(sequence, timbre_model(), drums, options, &r, highs);
  }
  impl_->warn(r);
  return a;
}

PlayReport Engine::play(const NoteSequence& sequence, PlayOptions options) {
  impl_->fill_backends(options.render);
  const Gansynth* drums = options.render.drums && sequence.has_drums() ? &drum_model() : nullptr;
  const DrumHighs* highs = drums && impl_->drum_highs ? &*impl_->drum_highs : nullptr;
  PlayReport r;
  if (options.render.engine == TimbreEngine::Ddsp) {
    // DDSP renders far faster than real time: its voices are made first, then streamed with the drums.
    NoteSequence drum_part;
    NoteRenderReport melodic;
    std::vector<Stem> stems = impl_->ddsp_stems(sequence, options.render, drum_part, melodic);
    r = play_with_stems(drum_part, nullptr, drums, options, std::move(stems), highs);
    Impl::add_ddsp_counts(r.render, melodic);
  } else {
    r = play_sequence(sequence, timbre_model(), drums, options, highs);
  }
  impl_->warn(r.render);
  return r;
}

LivePlayReport Engine::play_live(LivePlayOptions options) {
  const Gansynth* drums = options.tap_model ? &drum_model() : nullptr;  // the taps' answers need a kit
  const DrumHighs* highs = drums && impl_->drum_highs ? &*impl_->drum_highs : nullptr;
  if (options.engine == TimbreEngine::Ddsp)
    return timbrel::play_live(ddsp_instrument(impl_->ddsp_bank(), options.ddsp), options, drums, highs);
  impl_->fill_backends(options.spectral, options.device_spectral);
  return timbrel::play_live(timbre_model(), options, drums, highs);
}

NoteSequence Engine::sample(const SampleOptions& r, std::vector<Tokens>* windows) {
  if (!r.chords.empty()) {
    if (r.drums) throw Error("chords", "condition melodies, not drums");
    return sample_over_chords(chord_melody_model(), r, windows);
  }
  const MusicVae& model = r.drums ? groove_model() : melody_model();
  const size_t zs = size_t(model.info().z_size);
  std::vector<float> z = r.z;
  if (!z.empty()) {
    if (z.size() % zs) throw Error("z", "expected a multiple of the model's " + std::to_string(zs) + " latent values, got " + std::to_string(z.size()));
  } else {
    if (r.count < 1 || r.count > 100000) throw Error("count", "must be 1..100000");
    z = model.random_z(r.count, r.seed, r.standard_prior);
  }
  std::vector<Tokens> decoded = decode_as_advised(model, z, r.temperature, r.draw, r.seed);
  NoteSequence seq = windows_to_sequence(model.info().kind, decoded, r.qpm);
  if (windows) *windows = std::move(decoded);
  return seq;
}

NoteSequence Engine::interpolate(const NoteSequence& a, const NoteSequence& b, const InterpolateOptions& r) {
  if (r.steps < 2 || r.steps > 1000) throw Error("steps", "must be 2..1000");
  const MusicVae& model = r.drums ? groove_model() : melody_model();
  if (r.refine_steps < -1) throw Error("refine_steps", "must be >= 0, or -1 for the model's default");
  const int refine = r.refine_steps >= 0 ? r.refine_steps : model.info().steps > 32 ? 0 : 25;
  auto mu = model.encode({window_of(model, a, r.a_name, r.window), window_of(model, b, r.b_name, r.window)}, refine);
  const size_t zs = size_t(model.info().z_size);
  std::vector<float> za(mu.begin(), mu.begin() + long(zs)), zb(mu.begin() + long(zs), mu.end());
  std::vector<float> z;
  for (int i = 0; i < r.steps; ++i) {
    auto zi = slerp(za, zb, double(i) / double(r.steps - 1));
    z.insert(z.end(), zi.begin(), zi.end());
  }
  return windows_to_sequence(model.info().kind, model.decode(z, 0.0), r.qpm);
}

// An event RNN loaded on first use, kept only once `problem` (empty: none) accepts it.
static const EventRnn& event_rnn_once(std::unique_ptr<EventRnn>& slot, const std::string& path, const std::string& parameter,
                                      const std::function<std::string(const EventRnn&)>& problem) {
  if (!slot) {
    auto model = std::make_unique<EventRnn>(EventRnn::load(path));
    const std::string wrong = problem(*model);
    if (!wrong.empty()) throw Error(parameter, wrong);
    slot = std::move(model);
  }
  return *slot;
}

const EventRnn& Engine::melody_rnn_model() {
  return event_rnn_once(impl_->melody_rnn, impl_->path_of(impl_->params.melody_rnn_model, "melody-rnn"), "melody_rnn_model",
                        [](const EventRnn& m) { return m.info().kind == ModelKind::Melody ? "" : "is a drums RNN, not a melody RNN"; });
}

const EventRnn& Engine::improv_rnn_model() {
  return event_rnn_once(impl_->improv_rnn, impl_->path_of(impl_->params.improv_rnn_model, "improv-rnn"), "improv_rnn_model",
                        [](const EventRnn& m) { return m.info().chords ? "" : "is not conditioned on chords (train one with chords)"; });
}

const EventRnn& Engine::drums_rnn_model() {
  return event_rnn_once(impl_->drums_rnn, impl_->path_of(impl_->params.drums_rnn_model, "drums-rnn"), "drums_rnn_model",
                        [](const EventRnn& m) { return m.info().kind == ModelKind::Drums ? "" : "is a melody RNN, not a drums RNN"; });
}

const Ddsp& Engine::ddsp_model() {
  const DdspBank& bank = impl_->ddsp_bank();
  const std::vector<std::string> names = bank.names();
  if (names.size() != 1)
    throw Error("ddsp_model", bank.path() + " holds " + std::to_string(names.size()) + " DDSP models; name one model folder or a program");
  return bank.model(names.front());
}

const Ddsp& Engine::ddsp_model(int program) {
  if (program < 0 || program > 127) throw Error("program", "must be a General MIDI program 0..127, not " + std::to_string(program));
  return impl_->ddsp_bank().model_for(program);
}

Audio Engine::ddsp_from_curves(const std::vector<float>& f0_hz, const std::vector<float>& loudness_db, const DdspCurveOptions& o) {
  const DdspBank& bank = impl_->ddsp_bank();
  DdspVoice voice;
  if (bank.single()) {
    voice.model = bank.voice(0).model;
    if (!o.timbre.empty() && voice.model->info().presets.empty()) throw Error("timbre", "this DDSP model has one instrument (no presets)");
    if (!o.timbre.empty()) voice.instrument = voice.model->instrument(o.timbre);
  } else {  // a bank: the model that plays the timbre ("": the bank's first preset)
    std::string timbre = o.timbre;
    if (timbre.empty()) {
      const std::vector<std::string> presets = bank.presets();
      if (presets.empty()) throw Error("timbre", "is needed for " + bank.path() + " (DDSP models without presets): give program:N");
      timbre = "preset:" + presets.front();
    }
    const TimbreSpec spec = parse_timbre_spec(timbre, "timbre");
    if (spec.kind == TimbreSpec::Kind::Program) voice = bank.voice(spec.program);
    else if (spec.kind == TimbreSpec::Kind::Preset) voice = bank.preset_voice(spec.name);
    else throw Error("timbre", "expected preset:NAME or program:N, not " + o.timbre);
  }
  Audio a;
  a.sample_rate = voice.model->info().sample_rate;
  a.samples = voice.model->render(f0_hz, loudness_db, o.noise, o.seed, voice.instrument);
  return a;
}

// A groove model loaded once, checked to do `task`.
static const GrooveModel& groove_once(std::unique_ptr<GrooveModel>& slot, const std::string& path, const std::string& parameter,
                                      const std::string& task) {
  if (!slot) {
    auto model = std::make_unique<GrooveModel>(GrooveModel::load(path));
    if (model->info().task != task) throw Error(parameter, "is a " + model->info().task + " model, not a " + task + " one");
    slot = std::move(model);
  }
  return *slot;
}

const GrooveModel& Engine::humanize_model() {
  return groove_once(impl_->humanize, impl_->path_of(impl_->params.humanize_model, "groove-humanize"), "humanize_model", "humanize");
}

const GrooveModel& Engine::drumify_model() {
  return groove_once(impl_->drumify, impl_->path_of(impl_->params.drumify_model, "groove-drumify"), "drumify_model", "drumify");
}

NoteSequence Engine::humanize(const NoteSequence& beat, const GrooveOptions& options) { return timbrel::humanize(humanize_model(), beat, options); }

NoteSequence Engine::drumify(const NoteSequence& taps, const GrooveOptions& options) { return timbrel::drumify(drumify_model(), taps, options); }

NoteSequence Engine::continue_sequence(const NoteSequence& primer, const ContinueOptions& options) {
  const bool has_melody = std::any_of(primer.notes.begin(), primer.notes.end(), [](const Note& n) { return !n.is_drum; });
  const bool has_drums = std::any_of(primer.notes.begin(), primer.notes.end(), [](const Note& n) { return n.is_drum; });
  if (!has_melody && !has_drums) throw Error("primer", "has no notes to continue");
  NoteSequence out = primer;
  if (has_melody) out = (options.chords.empty() ? melody_rnn_model() : improv_rnn_model()).continue_sequence(primer, options);
  if (has_drums) {
    ContinueOptions drum_options = options;
    drum_options.seed = options.seed + 1;
    for (const Note& n : drums_rnn_model().continuation(primer, drum_options)) out.add_note(n);
  }
  return out;
}

// Windows of `model` that make `bars` bars: a whole number of its windows (2 bars, or a
// hierarchical model's 16).
static int windows_for_bars(const MusicVae& model, int bars, const std::string& which) {
  const int window_bars = std::max(1, model.info().steps / 16);
  if (bars < window_bars || bars % window_bars)
    throw Error("bars " + std::to_string(bars), "must be a multiple of " + std::to_string(window_bars) + " (the " + which + " makes " +
                                                    std::to_string(window_bars) + "-bar windows)");
  return bars / window_bars;
}

// A MusicVAE walk of r.bars bars, sampled as r asks or else as the model's card advises.
static NoteSequence song_walk(const MusicVae& model, const SongOptions& r, uint64_t seed, const std::string& which) {
  return sample_walk(model, windows_for_bars(model, r.bars, which), seed, r.temperature, r.draw, r.qpm);
}

// A melody of r.bars bars over r.chords by a chord-conditioned Melody RNN.
static NoteSequence improvise(const EventRnn& model, const SongOptions& r) {
  ContinueOptions o;
  o.bars = r.bars;
  o.seed = r.seed;
  o.temperature = r.temperature >= 0 ? r.temperature : 1.0;
  o.chords = r.chords;
  o.chord_guidance = r.chord_guidance;
  return model.improvise(o, r.qpm);
}

// The song's melody: a MusicVAE walk, or improvised over the song's chords.
static NoteSequence song_melody(Engine& engine, const SongOptions& r) {
  if (!r.chords.empty()) return improvise(engine.improv_rnn_model(), r);
  const MusicVae& melody = engine.melody_model();
  if (melody.info().kind != ModelKind::Melody) throw Error("melody_model", "is a drums model, not a melody model");
  return song_walk(melody, r, r.seed, "melody model");
}

NoteSequence Engine::compose(const SongOptions& r) {
  NoteSequence seq = song_melody(*this, r);
  if (r.drums) {
    const MusicVae& groove = groove_model();
    if (groove.info().kind != ModelKind::Drums) throw Error("groove_model", "is a melody model, not a drum model");
    NoteSequence d = song_walk(groove, r, r.seed + 1, "groove model");
    d.tempos = {{0.0, r.qpm}};  // the grid humanize reads
    if (r.humanize && encode_groove(d).hits() > 0) {  // a silent groove has nothing to play
      GrooveOptions played;
      played.seed = r.seed + 2;
      d = humanize(d, played);
    }
    for (Note n : d.notes) {
      n.instrument = 1;
      n.channel = 9;
      n.is_drum = true;
      seq.notes.push_back(n);
    }
    seq.total_time = std::max(seq.total_time, d.total_time);
    seq.tracks.push_back({1, "drums"});
  }
  if (!r.arrange) return seq;
  NoteSequence song = arrange(seq, r.arrangement);
  if (r.balance) balance_arrangement(song, *r.balance);
  return song;
}

}  // namespace timbrel
