#include "train/soundfont_notes.h"

#include <fluidsynth.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>

#include "timbrel/error.h"
#include "timbrel/spectral.h"

namespace timbrel::train {
namespace {

void quiet_fluidsynth_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    // FluidSynth prints to stderr by default (e.g. for every SF3 sample it decodes).
    for (int level : {FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG}) fluid_set_log_function(level, nullptr, nullptr);
  });
}

struct Synth {
  fluid_settings_t* settings = nullptr;
  fluid_synth_t* synth = nullptr;
  int font = -1;
  explicit Synth(const std::string& path, int sample_rate = kNoteSampleRate, bool effects = false) {
    quiet_fluidsynth_logs();
    if (!std::filesystem::is_regular_file(path)) throw Error(path, "no such SoundFont file");
    settings = new_fluid_settings();
    fluid_settings_setnum(settings, "synth.sample-rate", double(sample_rate));
    fluid_settings_setint(settings, "synth.reverb.active", effects ? 1 : 0);
    fluid_settings_setint(settings, "synth.chorus.active", effects ? 1 : 0);
    fluid_settings_setint(settings, "synth.cpu-cores", 1);
    fluid_settings_setnum(settings, "synth.gain", 0.5);
    synth = new_fluid_synth(settings);
    // A throwing constructor runs no destructor: free what exists before throwing.
    if (!synth) {
      release();
      throw Error(path, "cannot create a FluidSynth synthesiser");
    }
    font = fluid_synth_sfload(synth, path.c_str(), 0);
    if (font == FLUID_FAILED) {
      release();
      throw Error(path, "FluidSynth cannot load it as a SoundFont (.sf2/.sf3)");
    }
  }
  ~Synth() { release(); }
  void release() {
    if (synth) delete_fluid_synth(synth);
    if (settings) delete_fluid_settings(settings);
    synth = nullptr;
    settings = nullptr;
  }
  Synth(const Synth&) = delete;
  Synth& operator=(const Synth&) = delete;
};

}  // namespace

std::vector<SoundFontPreset> list_soundfont_presets(const std::string& path) {
  Synth s(path);
  fluid_sfont_t* font = fluid_synth_get_sfont_by_id(s.synth, s.font);
  std::vector<SoundFontPreset> out;
  fluid_sfont_iteration_start(font);
  while (fluid_preset_t* p = fluid_sfont_iteration_next(font))
    out.push_back({path, fluid_preset_get_banknum(p), fluid_preset_get_num(p), fluid_preset_get_name(p)});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return std::tie(a.bank, a.program) < std::tie(b.bank, b.program); });
  return out;
}

std::vector<std::vector<float>> render_preset_notes(const SoundFontPreset& preset, const std::vector<int>& pitches,
                                                    const std::vector<int>& velocities, int sample_rate) {
  Synth s(preset.soundfont, sample_rate);
  const int kHeldSamples = 3 * sample_rate, kNoteSamples = 4 * sample_rate;
  // Channel 9 is the GM drum channel; bank 128 presets are selected there.
  const int channel = preset.bank == 128 ? 9 : 0;
  if (preset.bank == 128) fluid_synth_set_channel_type(s.synth, channel, CHANNEL_TYPE_DRUM);
  if (fluid_synth_program_select(s.synth, channel, s.font, preset.bank, preset.program) != FLUID_OK)
    throw Error(preset.soundfont, "cannot select preset " + std::to_string(preset.bank) + ":" + std::to_string(preset.program));
  std::vector<float> left(kNoteSamples), right(kNoteSamples);
  std::vector<std::vector<float>> out;
  for (int pitch : pitches) {
    for (int velocity : velocities) {
      fluid_synth_cc(s.synth, channel, 7, 127);
      fluid_synth_cc(s.synth, channel, 11, 127);
      fluid_synth_noteon(s.synth, channel, pitch, velocity);
      fluid_synth_write_float(s.synth, kHeldSamples, left.data(), 0, 1, right.data(), 0, 1);
      fluid_synth_noteoff(s.synth, channel, pitch);
      fluid_synth_write_float(s.synth, kNoteSamples - kHeldSamples, left.data(), kHeldSamples, 1, right.data(),
                              kHeldSamples, 1);
      fluid_synth_all_sounds_off(s.synth, channel);
      std::vector<float> mono(kNoteSamples);
      for (int i = 0; i < kNoteSamples; ++i) mono[size_t(i)] = 0.5f * (left[size_t(i)] + right[size_t(i)]);
      out.push_back(std::move(mono));
      // Let the voice allocator forget the killed voices before the next note.
      fluid_synth_write_float(s.synth, 64, left.data(), 0, 1, right.data(), 0, 1);
    }
  }
  return out;
}

namespace {

// One event of a sequence at its sample; `order` puts an instant's events in MIDI-file order.
struct SongEvent {
  size_t at;
  int order;  // 0 note-off, 1 controller or bend, 2 note-on
  const Note* note = nullptr;
  const ControlChange* control = nullptr;
  const PitchBend* bend = nullptr;
};

std::vector<SongEvent> song_events(const NoteSequence& seq, int rate) {
  auto sample = [rate](double t) { return size_t(std::max(0.0, t) * rate); };
  std::vector<SongEvent> events;
  for (const Note& n : seq.notes) {
    const size_t on = sample(n.start_time);
    events.push_back({on, 2, &n});
    events.push_back({std::max(on + 1, sample(n.end_time)), 0, &n});
  }
  for (const ControlChange& c : seq.control_changes) events.push_back({sample(c.time), 1, nullptr, &c});
  for (const PitchBend& b : seq.pitch_bends) events.push_back({sample(b.time), 1, nullptr, nullptr, &b});
  std::stable_sort(events.begin(), events.end(),
                   [](const SongEvent& a, const SongEvent& b) { return a.at != b.at ? a.at < b.at : a.order < b.order; });
  return events;
}

int note_channel(const Note& n) { return n.is_drum ? 9 : (n.channel == 9 ? 0 : std::clamp(n.channel, 0, 15)); }

void send(fluid_synth_t* synth, const SongEvent& e, std::vector<int>& program) {
  if (e.control) {
    fluid_synth_cc(synth, std::clamp(e.control->channel, 0, 15), std::clamp(e.control->number, 0, 127), std::clamp(e.control->value, 0, 127));
  } else if (e.bend) {
    fluid_synth_pitch_bend(synth, std::clamp(e.bend->channel, 0, 15), std::clamp(e.bend->bend + 8192, 0, 16383));
  } else if (e.order == 0) {
    fluid_synth_noteoff(synth, note_channel(*e.note), std::clamp(e.note->pitch, 0, 127));
  } else {
    const Note& n = *e.note;
    const int ch = note_channel(n);
    if (!n.is_drum && program[size_t(ch)] != n.program) {
      fluid_synth_program_change(synth, ch, std::clamp(n.program, 0, 127));
      program[size_t(ch)] = n.program;
    }
    fluid_synth_noteon(synth, ch, std::clamp(n.pitch, 0, 127), std::clamp(n.velocity, 1, 127));
  }
}

}  // namespace

std::vector<float> render_sequence_with_soundfont(const NoteSequence& seq, const std::string& soundfont, const SoundFontSongOptions& o) {
  if (o.sample_rate < 8000 || o.sample_rate > 192000) throw Error("sample_rate", "must be in 8000..192000 Hz");
  if (o.channels != 1 && o.channels != 2) throw Error("channels", "must be 1 or 2");
  if (!(o.tail_seconds >= 0 && o.tail_seconds <= 60)) throw Error("tail_seconds", "must be in 0..60 s");
  Synth s(soundfont, o.sample_rate, o.effects);
  const std::vector<SongEvent> events = song_events(seq, o.sample_rate);
  constexpr double kMaxSeconds = 4 * 3600.0;
  const size_t total = events.empty() ? 0 : events.back().at + size_t(o.tail_seconds * o.sample_rate);
  if (double(total) / o.sample_rate > kMaxSeconds) throw Error("soundfont render", "the sequence lasts more than 4 h");
  std::vector<float> stereo(2 * total);
  std::vector<int> program(16, -1);
  for (int ch = 0; ch < 16; ++ch) fluid_synth_cc(s.synth, ch, 11, 127);
  // The font was loaded without assigning presets: channel 10 gets the GM kit (bank 128:0).
  fluid_synth_set_channel_type(s.synth, 9, CHANNEL_TYPE_DRUM);
  if (fluid_synth_program_select(s.synth, 9, s.font, 128, 0) != FLUID_OK)
    for (const Note& n : seq.notes)
      if (n.is_drum) throw Error(soundfont, "has no drum kit (bank 128, program 0)");
  size_t done = 0;
  auto advance = [&](size_t to) {
    if (to > done)
      fluid_synth_write_float(s.synth, int(to - done), stereo.data(), int(2 * done), 2, stereo.data(), int(2 * done + 1), 2);
    done = std::max(done, to);
  };
  for (const SongEvent& e : events) {
    advance(e.at);
    send(s.synth, e, program);
  }
  advance(total);
  if (o.channels == 2) return stereo;
  std::vector<float> mono(total);
  for (size_t i = 0; i < total; ++i) mono[i] = 0.5f * (stereo[2 * i] + stereo[2 * i + 1]);
  return mono;
}

std::vector<float> render_sequence_with_soundfont(const NoteSequence& seq, const std::string& soundfont) {
  SoundFontSongOptions o;
  o.sample_rate = kNoteSampleRate;
  o.channels = 1;
  o.effects = false;
  o.tail_seconds = 1.0;
  return render_sequence_with_soundfont(seq, soundfont, o);
}

}  // namespace timbrel::train
