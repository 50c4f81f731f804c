// The `timbrel` Python module: the Engine (include/timbrel/engine.h) with NumPy in and out.
// Compute runs with the GIL released; library errors become timbrel.Error with the same message.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "timbrel/engine.h"
#include "timbrel/chords.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/spectral.h"

namespace py = pybind11;
using namespace timbrel;

void bind_training(py::module_& m);  // train_bindings.cpp
void bind_loudness(py::module_& m);  // loudness_bindings.cpp
void bind_chords(py::module_& m);    // chords_bindings.cpp
void bind_groove(py::module_& m);    // groove_bindings.cpp

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

FloatArray to_numpy(std::vector<float> values, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<float>(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return FloatArray(shape, owned->data(), free_when_done);
}

std::vector<float> to_vector(const FloatArray& a) { return std::vector<float>(a.data(), a.data() + a.size()); }

// Spectrograms as [128, 1024, 2] or [n, 128, 1024, 2].
std::vector<float> spectrograms_of(const FloatArray& a, const char* name) {
  const bool one = a.ndim() == 3, many = a.ndim() == 4;
  const auto tail = [&](int from) {
    return a.shape(from) == kSpectrogramFrames && a.shape(from + 1) == kSpectrogramBins && a.shape(from + 2) == 2;
  };
  if (!((one && tail(0)) || (many && tail(1) && a.shape(0) > 0)))
    throw Error(name, "expected a float32 array of shape [128, 1024, 2] or [n, 128, 1024, 2]");
  return to_vector(a);
}

// A MIDI path or a NoteSequence.
using SequenceInput = std::variant<std::string, NoteSequence>;
NoteSequence sequence_of(const SequenceInput& input) {
  if (const auto* path = std::get_if<std::string>(&input)) return read_midi(*path);
  return std::get<NoteSequence>(input);
}
std::string name_of(const SequenceInput& input, const std::string& fallback) {
  const auto* path = std::get_if<std::string>(&input);
  return path ? *path : fallback;
}

InverseOptions inverse_options(const std::string& phase, int iterations) {
  InverseOptions o;
  o.phase = parse_phase_method(phase);
  o.iterations = iterations;
  return o;
}

struct ModelPaths {
  std::string timbre, drum, melody, groove, melody_rnn, drums_rnn, ddsp, improv_rnn, chord_melody, humanize, drumify;
};

// Chords given as a progression ("C G Am F", one chord a bar) or as [ChordSpan].
using ChordsInput = std::variant<std::string, std::vector<ChordSpan>>;
std::vector<ChordSpan> chords_of(const ChordsInput& chords, double beats_per_bar) {
  if (const auto* text = std::get_if<std::string>(&chords)) return text->empty() ? std::vector<ChordSpan>{} : parse_progression(*text, beats_per_bar);
  return std::get<std::vector<ChordSpan>>(chords);
}
double bar_beats(const NoteSequence& seq) {
  if (seq.time_signatures.empty() || seq.time_signatures.back().denominator < 1) return 4;
  return 4.0 * seq.time_signatures.back().numerator / seq.time_signatures.back().denominator;
}

EngineOptions engine_params(const ModelPaths& models, const std::string& device, const std::string& precision, int threads,
                           std::optional<std::function<void(const std::string&)>> log) {
  EngineOptions p;
  p.timbre_model = models.timbre;
  p.drum_model = models.drum;
  p.melody_model = models.melody;
  p.groove_model = models.groove;
  p.melody_rnn_model = models.melody_rnn;
  p.drums_rnn_model = models.drums_rnn;
  p.ddsp_model = models.ddsp;
  p.improv_rnn_model = models.improv_rnn;
  p.chord_melody_model = models.chord_melody;
  p.humanize_model = models.humanize;
  p.drumify_model = models.drumify;
  p.device = parse_device(device);
  p.precision = parse_precision(precision);
  p.threads = threads;
  if (log) {
    // Called from C++ with the GIL released: take it for the Python callable.
    p.log = [fn = *log](const std::string& message) {
      py::gil_scoped_acquire gil;
      fn(message);
    };
  }
  return p;
}

void bind_sequences(py::module_& m) {
  py::class_<Note>(m, "Note", "One note: MIDI pitch, velocity, start and end in seconds, program, drum flag")
      .def(py::init([](int pitch, int velocity, double start, double end, int program, bool is_drum, int instrument) {
             Note n;
             n.pitch = pitch;
             n.velocity = velocity;
             n.start_time = start;
             n.end_time = end;
             n.program = program;
             n.is_drum = is_drum;
             n.channel = is_drum ? 9 : 0;
             n.instrument = instrument;
             return n;
           }),
           py::arg("pitch"), py::arg("velocity") = 100, py::arg("start") = 0.0, py::arg("end") = 0.5, py::arg("program") = 0,
           py::arg("is_drum") = false, py::arg("instrument") = 0)
      .def_readwrite("pitch", &Note::pitch)
      .def_readwrite("velocity", &Note::velocity)
      .def_readwrite("start", &Note::start_time)
      .def_readwrite("end", &Note::end_time)
      .def_readwrite("program", &Note::program)
      .def_readwrite("is_drum", &Note::is_drum)
      .def_readwrite("instrument", &Note::instrument)
      .def("__repr__", [](const Note& n) {
        return "Note(pitch=" + std::to_string(n.pitch) + ", velocity=" + std::to_string(n.velocity) + ", start=" + std::to_string(n.start_time) +
               ", end=" + std::to_string(n.end_time) + (n.is_drum ? ", drum" : ", program=" + std::to_string(n.program)) + ")";
      });
  py::class_<NoteSequence>(m, "NoteSequence", "Notes in seconds (a MIDI file's content)")
      .def(py::init([](const std::vector<Note>& notes) {
             NoteSequence s;
             s.notes = notes;
             for (const Note& n : notes) s.total_time = std::max(s.total_time, n.end_time);
             return s;
           }),
           py::arg("notes") = std::vector<Note>{})
      .def_readwrite("notes", &NoteSequence::notes)
      .def_readwrite("total_time", &NoteSequence::total_time)
      .def("has_drums", &NoteSequence::has_drums)
      .def_static("from_midi", [](const std::string& path) { return read_midi(path); }, py::arg("path"), "Reads a MIDI file")
      .def_static(
          "from_midi_bytes",
          [](const py::bytes& data) {
            const std::string s = data;
            return parse_midi(reinterpret_cast<const uint8_t*>(s.data()), s.size(), "MIDI bytes");
          },
          py::arg("data"))
      .def("to_midi", [](const NoteSequence& s, const std::string& path) { write_midi(s, path); }, py::arg("path"),
           "Writes a MIDI file (atomically)")
      .def("to_midi_bytes", [](const NoteSequence& s) {
        const std::vector<uint8_t> bytes = encode_midi(s);
        return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      })
      .def("chords", &chord_spans, "Its chord symbols (text events) as [ChordSpan], in quarter-note beats")
      .def("set_chords", &set_chords, py::arg("chords"), "Replaces its chord symbols with [ChordSpan] (written to MIDI as text events)")
      .def("piano_roll", [](const NoteSequence& s, const std::string& path, int pixels_per_second, int pixels_per_semitone) {
             write_piano_roll(s, path, PianoRollOptions{pixels_per_second, pixels_per_semitone});
           },
           py::arg("path"), py::arg("pixels_per_second") = 48, py::arg("pixels_per_semitone") = 5,
           "Writes a piano roll PNG (each instrument its own colour, drums in a band below)")
      .def("__len__", [](const NoteSequence& s) { return s.notes.size(); })
      .def("__repr__", [](const NoteSequence& s) {
        return "NoteSequence(" + std::to_string(s.notes.size()) + " notes, " + std::to_string(s.total_time) + " s)";
      });
}

void bind_spectral(py::module_& m) {
  m.attr("SAMPLE_RATE") = kNoteSampleRate;
  m.attr("NOTE_SAMPLES") = kNoteSamples;
  m.def(
      "audio_to_spectrogram",
      [](const FloatArray& audio) {
        if (audio.ndim() != 1) throw Error("audio", "expected a 1-D float32 array (16 kHz; 64000 samples are used)");
        std::vector<float> a = to_vector(audio);
        std::vector<float> spec;
        {
          py::gil_scoped_release nogil;
          spec = audio_to_spectrogram(a, SpectralScale::Mel);
        }
        return to_numpy(std::move(spec), {kSpectrogramFrames, kSpectrogramBins, 2});
      },
      py::arg("audio"), "16 kHz audio -> the GANSynth IF-mel spectrogram [128, 1024, 2] (normalised)");
  m.def(
      "spectrogram_to_audio",
      [](const FloatArray& spectrogram, const std::string& phase, int iterations) {
        std::vector<float> specs = spectrograms_of(spectrogram, "spectrogram");
        const size_t n = specs.size() / kSpectrogramValues;
        std::vector<float> audio(n * size_t(kNoteSamples));
        {
          py::gil_scoped_release nogil;
          spectrograms_to_audio(specs.data(), n, audio.data(), inverse_options(phase, iterations));
        }
        if (spectrogram.ndim() == 3) return to_numpy(std::move(audio), {kNoteSamples});
        return to_numpy(std::move(audio), {py::ssize_t(n), kNoteSamples});
      },
      py::arg("spectrogram"), py::arg("phase") = "if", py::arg("iterations") = 32,
      "IF-mel spectrogram(s) -> 16 kHz audio on the CPU (phase: if, griffin-lim, fgla, pghi, if+fgla, pghi+fgla)");
}

using EngineClass = py::class_<Engine>;

void bind_engine_construction(EngineClass& c) {
  c.def(py::init([](const std::string& timbre_model, const std::string& drum_model, const std::string& melody_model,
                       const std::string& groove_model, const std::string& device, const std::string& precision, int threads,
                       std::optional<std::function<void(const std::string&)>> log, const std::string& melody_rnn_model,
                       const std::string& drums_rnn_model, const std::string& ddsp_model, const std::string& improv_rnn_model,
                       const std::string& chord_melody_model, const std::string& humanize_model, const std::string& drumify_model) {
             ModelPaths models{timbre_model,    drum_model, melody_model,     groove_model,       melody_rnn_model, drums_rnn_model,
                               ddsp_model, improv_rnn_model, chord_melody_model, humanize_model, drumify_model};
             return std::make_unique<Engine>(engine_params(models, device, precision, threads, std::move(log)));
           }),
           py::arg("timbre_model") = "", py::arg("drum_model") = "", py::arg("melody_model") = "",
           py::arg("groove_model") = "", py::arg("device") = "auto", py::arg("precision") = "fp32", py::arg("threads") = 0,
           py::arg("log") = py::none(), py::arg("melody_rnn_model") = "", py::arg("drums_rnn_model") = "",
           py::arg("ddsp_model") = "", py::arg("improv_rnn_model") = "", py::arg("chord_melody_model") = "", py::arg("humanize_model") = "",
           py::arg("drumify_model") = "")
      .def_property_readonly("compute", &Engine::compute_name, "Where the work runs: 'cpu' or 'cuda:0 (...)'");
}

void bind_engine_notes(EngineClass& c) {
  c.def(
      "note",
      [](Engine& e, int pitch, const std::string& timbre, std::optional<FloatArray> z, int velocity, const std::string& phase) {
        NoteOptions r;
        r.pitch = pitch;
        r.timbre = timbre;
        if (z) r.z = to_vector(*z);
        r.velocity = velocity;
        r.inverse = inverse_options(phase, 32);
        std::vector<float> audio;
        {
          py::gil_scoped_release nogil;
          audio = e.note(r);
        }
        return to_numpy(std::move(audio), {py::ssize_t(kNoteSamples)});
      },
      py::arg("pitch"), py::arg("timbre") = "seed:0", py::arg("z") = py::none(), py::arg("velocity") = 127, py::arg("phase") = "pghi",
      "One 4 s note at 16 kHz (float32). timbre: seed:N, preset:NAME, program:N or a .npy path; z: a latent vector instead")
      .def(
      "note_spectrogram",
      [](Engine& e, int pitch, const std::string& timbre, std::optional<FloatArray> z) {
        NoteOptions r;
        r.pitch = pitch;
        r.timbre = timbre;
        if (z) r.z = to_vector(*z);
        std::vector<float> spec;
        {
          py::gil_scoped_release nogil;
          spec = e.note_spectrogram(r);
        }
        return to_numpy(std::move(spec), {kSpectrogramFrames, kSpectrogramBins, 2});
      },
      py::arg("pitch"), py::arg("timbre") = "seed:0", py::arg("z") = py::none(), "The generator's [128, 1024, 2] spectrogram of one note")
      .def(
      "timbre",
      [](Engine& e, const std::string& spec) {
        std::vector<float> z = e.timbre_model().timbre(spec);
        const py::ssize_t n = py::ssize_t(z.size());
        return to_numpy(std::move(z), {n});
      },
      py::arg("spec"), "The latent vector of a timbre spec")
      .def_property_readonly("presets", [](Engine& e) { return e.timbre_model().info().timbre_names; })
      .def(
      "spectrograms_to_audio",
      [](Engine& e, const FloatArray& spectrograms, const std::string& phase) {
        std::vector<float> specs = spectrograms_of(spectrograms, "spectrograms"), audio;
        {
          py::gil_scoped_release nogil;
          audio = e.spectrograms_to_audio(specs, inverse_options(phase, 32));
        }
        const py::ssize_t n = py::ssize_t(specs.size() / kSpectrogramValues);
        if (spectrograms.ndim() == 3) return to_numpy(std::move(audio), {kNoteSamples});
        return to_numpy(std::move(audio), {n, kNoteSamples});
      },
      py::arg("spectrograms"), py::arg("phase") = "pghi", "Spectrogram(s) -> audio on the engine's device");
}

void bind_engine_render(EngineClass& c) {
  c.def(
      "render",
      [](Engine& e, const SequenceInput& input, std::optional<std::string> timbre, int sample_rate, int channels, bool room,
         std::optional<double> loudness, double true_peak, bool drums, const std::string& phase, const std::string& engine, double vibrato,
         double glide, std::optional<std::string> note_cache) {
        const NoteSequence seq = sequence_of(input);
        NoteRenderOptions o;
        o.subject = name_of(input, "sequence");
        o.engine = parse_timbre_engine(engine);
        if (o.engine == TimbreEngine::Ddsp && timbre) throw Error("timbre", "is GANSynth's; the DDSP engine plays ddsp_model");
        o.ddsp.vibrato_cents = vibrato;
        o.ddsp.glide = glide;
        if (timbre) o.schedule.timbres = {*timbre};
        o.schedule.follow_programs = !timbre;
        o.sample_rate = sample_rate;
        o.channels = channels;
        o.room = room;
        o.loudness = loudness;
        o.true_peak = true_peak;
        o.drums = drums;
        o.inverse = inverse_options(phase, 32);
        if (note_cache) o.note_cache = *note_cache;
        Audio a;
        {
          py::gil_scoped_release nogil;
          a = e.render(seq, o);
        }
        const py::ssize_t frames = py::ssize_t(a.frames());
        if (a.channels == 1) return to_numpy(std::move(a.samples), {frames});
        return to_numpy(std::move(a.samples), {frames, py::ssize_t(a.channels)});
      },
      py::arg("sequence"), py::arg("timbre") = py::none(), py::arg("sample_rate") = 48000, py::arg("channels") = 2, py::arg("room") = true,
      py::arg("loudness") = py::none(), py::arg("true_peak") = -1.0, py::arg("drums") = true, py::arg("phase") = "pghi",
      py::arg("engine") = "gansynth", py::arg("vibrato") = 12.0, py::arg("glide") = 0.06, py::arg("note_cache") = py::none(),
      "A MIDI path or NoteSequence -> float32 audio, [frames, 2] (stereo, 48 kHz by default) or [frames] with channels=1. "
      "Without a timbre each note plays its General MIDI program and follows its channel's controllers; room=False: no "
      "reverb or chorus; loudness: normalise to that many LUFS (EBU R128) under a true_peak ceiling (dBTP). "
      "engine='ddsp': the melodic notes by the Engine's ddsp_model (vibrato in cents, glide in seconds). "
      "note_cache: a folder that keeps generated notes between renders (e.g. timbrel.default_note_cache_folder()); "
      "a render again after an edit generates only the new notes");
}

void bind_engine_sample(EngineClass& c) {
  c.def(
      "sample",
      [](Engine& e, size_t n, uint64_t seed, double temperature, bool drums, double qpm, const ChordsInput& chords,
         const std::string& draw) {
        SampleOptions r;
        if (!draw.empty()) r.draw = parse_step_draw(draw);
        r.count = n;
        r.seed = seed;
        r.temperature = temperature;
        r.drums = drums;
        r.qpm = qpm;
        r.chords = chords_of(chords, 4);
        py::gil_scoped_release nogil;
        return e.sample(r);
      },
      py::arg("n") = 1, py::arg("seed") = 0, py::arg("temperature") = -1.0, py::arg("drums") = false, py::arg("qpm") = 120.0,
      py::arg("chords") = "", py::arg("draw") = "",
      "n 2-bar windows of the melody model (drums=True: the groove model), one after another; with chords (a progression "
      "\"C G Am F\" or [ChordSpan]), n melodies of the chord-conditioned model, each over the whole progression. "
      "temperature -1 and draw '': the model card's; draw 'per_decision' (whether each step starts a note, holds or ends one, "
      "then which note, each at the temperature), 'keep_density' (whether it starts a note at temperature 1) or 'flat' (all "
      "classes at once, as Magenta samples)");
}

// Engine.humanize and Engine.drumify: a sequence through the engine's GrooVAE models.
void bind_engine_groove(EngineClass& c) {
  using GrooveMethod = NoteSequence (Engine::*)(const NoteSequence&, const GrooveOptions&);
  const std::pair<const char*, GrooveMethod> methods[] = {{"humanize", &Engine::humanize}, {"drumify", &Engine::drumify}};
  for (const auto& [name, method] : methods)
    c.def(
        name,
        [method = method](Engine& e, const SequenceInput& input, uint64_t seed, double temperature) {
          GrooveOptions o;
          o.seed = seed, o.temperature = temperature;
          const NoteSequence seq = sequence_of(input);
          py::gil_scoped_release nogil;
          return (e.*method)(seq, o);
        },
        py::arg("sequence"), py::arg("seed") = 0, py::arg("temperature") = 1.0,
        std::string(name) == "humanize" ? "A beat (MIDI path or NoteSequence) played by the engine's humanize model (GrooVAE)"
                                        : "Taps (MIDI path or NoteSequence, any keys) -> a drum beat by the engine's drumify model (GrooVAE)");
}

void bind_engine_melodies(EngineClass& c) {
  c.def(
      "interpolate",
      [](Engine& e, const SequenceInput& a, const SequenceInput& b, int steps, int window, bool drums, double qpm, int refine) {
        InterpolateOptions r;
        r.steps = steps;
        r.refine_steps = refine;
        r.window = window;
        r.drums = drums;
        r.qpm = qpm;
        r.a_name = name_of(a, "sequence a");
        r.b_name = name_of(b, "sequence b");
        const NoteSequence sa = sequence_of(a), sb = sequence_of(b);
        py::gil_scoped_release nogil;
        return e.interpolate(sa, sb, r);
      },
      py::arg("a"), py::arg("b"), py::arg("steps") = 5, py::arg("window") = 0, py::arg("drums") = false, py::arg("qpm") = 120.0,
      py::arg("refine") = -1,
      "Encodes a window of each (refine: Adam steps on each latent toward the one it decodes best from; -1: 25 for a 2-bar model, 0 for a hierarchical one) and decodes `steps` windows along the slerp between them")
      .def(
      "compose",
      [](Engine& e, int bars, uint64_t seed, double temperature, bool drums, double qpm, bool arrange, const std::string& style,
         const std::string& engine, const ChordsInput& chords, double chord_guidance, bool humanize, const std::string& draw) {
        SongOptions r;
        if (!draw.empty()) r.draw = parse_step_draw(draw);
        r.humanize = humanize;
        r.chords = chords_of(chords, 4);
        r.chord_guidance = chord_guidance;
        r.bars = bars;
        r.seed = seed;
        r.temperature = temperature;
        r.drums = drums;
        r.qpm = qpm;
        r.arrange = arrange;
        r.arrangement.style = parse_accompaniment_style(style, "style");
        if (arrange) {
          NoteRenderOptions balance;
          balance.engine = parse_timbre_engine(engine);
          r.balance = balance;
        }
        py::gil_scoped_release nogil;
        return e.compose(r);
      },
      py::arg("bars") = 8, py::arg("seed") = 0, py::arg("temperature") = -1.0, py::arg("drums") = false, py::arg("qpm") = 120.0,
      py::arg("arrange") = false, py::arg("style") = "auto", py::arg("engine") = "gansynth", py::arg("chords") = "",
      py::arg("chord_guidance") = -1.0, py::arg("humanize") = true, py::arg("draw") = "",
      "The song `timbrel generate` makes: a melody along a smooth latent walk (and a groove, humanize: played by the humanize model), or improvised over `chords` (a "
      "progression such as 'C G Am F', one chord a bar, or [ChordSpan]) by the chord-conditioned Melody RNN (temperature -1: "
      "each MusicVAE card's, the chord RNN's 1.0; draw '': each MusicVAE card's (see sample); chord_guidance -1: the model's own, 0: none); arrange: with "
      "chords, a bass and an accompaniment (style auto, block, broken or strummed), its parts set beside the melody as `engine` plays them")
      .def(
      "continue_sequence",
      [](Engine& e, const SequenceInput& primer, int bars, double temperature, int beam_size, int branch_factor, uint64_t seed,
         const ChordsInput& chords, double chord_guidance) {
        ContinueOptions o;
        o.chord_guidance = chord_guidance;
        o.bars = bars;
        o.temperature = temperature;
        o.beam_size = beam_size;
        o.branch_factor = branch_factor;
        o.seed = seed;
        const NoteSequence p = sequence_of(primer);
        o.chords = chords_of(chords, bar_beats(p));
        py::gil_scoped_release nogil;
        return e.continue_sequence(p, o);
      },
      py::arg("primer"), py::arg("bars") = 8, py::arg("temperature") = 1.0, py::arg("beam_size") = 1, py::arg("branch_factor") = 1,
      py::arg("seed") = 0, py::arg("chords") = "", py::arg("chord_guidance") = -1.0,
      "The primer (a MIDI path or a NoteSequence) with `bars` more bars: its melody continued by the Melody RNN (over `chords`, "
      "a progression such as 'C G Am F' repeated, by the chord-conditioned one, with chord_guidance: 0 none, -1 the model's own), "
      "its drums by the Drums RNN");
}

// Each part of a song rendered alone and measured.
void bind_engine_levels(EngineClass& c) {
  c.def(
      "part_levels",
      [](Engine& e, const SequenceInput& input, const std::string& engine) {
        const NoteSequence seq = sequence_of(input);
        NoteRenderOptions o;
        o.subject = name_of(input, "sequence");
        o.engine = parse_timbre_engine(engine);
        std::vector<PartLevel> levels;
        {
          py::gil_scoped_release nogil;
          levels = e.part_levels(seq, o);
        }
        py::list out;
        for (const PartLevel& p : levels)
          out.append(py::dict(py::arg("instrument") = p.instrument, py::arg("name") = p.name, py::arg("program") = p.program,
                              py::arg("drums") = p.drums, py::arg("notes") = p.notes, py::arg("lufs") = p.lufs));
        return out;
      },
      py::arg("sequence"), py::arg("engine") = "gansynth",
      "Each instrument rendered alone (gansynth or ddsp) and its integrated loudness: [{instrument, name, program, drums, notes, lufs}]");
}

void bind_engine_ddsp(EngineClass& c) {
  c.def(
      "ddsp",
      [](Engine& e, const FloatArray& f0_hz, const FloatArray& loudness_db, const std::string& timbre, bool noise, uint64_t seed) {
        if (f0_hz.ndim() != 1 || loudness_db.ndim() != 1) throw Error("f0_hz", "and loudness_db must be 1-D float32 arrays (one value a frame)");
        DdspCurveOptions o;
        o.timbre = timbre;
        o.noise = noise;
        o.seed = seed;
        const std::vector<float> f0 = to_vector(f0_hz), loudness = to_vector(loudness_db);
        Audio a;
        {
          py::gil_scoped_release nogil;
          a = e.ddsp_from_curves(f0, loudness, o);
        }
        const py::ssize_t n = py::ssize_t(a.samples.size());
        return to_numpy(std::move(a.samples), {n});
      },
      py::arg("f0_hz"), py::arg("loudness_db"), py::arg("timbre") = "", py::arg("noise") = true, py::arg("seed") = 0,
      "The Engine's ddsp_model driven by f0 (Hz) and loudness (dB) curves, 250 frames a second -> 16 kHz float32 audio. "
      "timbre: preset:NAME or program:N of a model with presets");
}

void bind_engine(py::module_& m) {
  EngineClass c(m, "Engine",
                "Models, device and precision; every stage from melody sampling to audio. Empty model paths mean the "
                "bundled models (found under $TIMBREL_MODELS, ./models, ...).");
  bind_engine_construction(c);
  bind_engine_notes(c);
  bind_engine_render(c);
  bind_engine_sample(c);
  bind_engine_melodies(c);
  bind_engine_groove(c);
  bind_engine_levels(c);
  bind_engine_ddsp(c);
  m.def("default_note_cache_folder", &default_note_cache_folder,
        "Where the CLI keeps generated notes: $TIMBREL_NOTE_CACHE ('off': none, ''), else $XDG_CACHE_HOME/timbrel/notes, "
        "else ~/.cache/timbrel/notes (Engine.render(note_cache=...) takes it)");
}

}  // namespace

PYBIND11_MODULE(timbrel, m) {
  m.doc() = "Timbrel: symbolic music to neural-timbre audio (MusicVAE, GANSynth-style timbres, spectral synthesis)";
  static py::exception<Error> error(m, "Error", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(error.ptr(), e.what());
    }
  });
  bind_sequences(m);
  bind_spectral(m);
  bind_engine(m);
  bind_training(m);
  bind_loudness(m);
  bind_chords(m);
  bind_groove(m);
}
