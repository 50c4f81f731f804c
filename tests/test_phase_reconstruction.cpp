// Round trips and phase reconstruction on the six real FluidSynth notes, with the quality bounds
// of the spectral issue (spectral convergence SC = || |STFT(y)| - |STFT(x)| || / || |STFT(x)| ||).
#include <gtest/gtest.h>

#include <cmath>

#include "spectral/gansynth_spectrogram.h"
#include "spectral/phase_reconstruction.h"
#include <algorithm>
#include <nlohmann/json.hpp>

#include "spectral_test_data.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/spectral.h"

using namespace timbrel;
using namespace timbrel::test;

namespace {

struct Start {
  bool pghi = false;
  uint64_t seed = 0;  // 0: zero phase, else random_phase(seed)
};

// SC of PGHI and/or (F)GLA from exact linear magnitudes (no representation in between).
double sc_of(const std::string& name, Start start, int iterations, float momentum) {
  const Stft& stft = gansynth::stft_for(SpectralCompat::Exact);
  auto mag = exact_magnitudes(load_note(name));
  std::vector<float> phase(mag.size(), 0.0f), signal(stft.signal_length(128));
  if (start.pghi)  // at NumPy's tolerance (ltfat's 1e-10), not the product's
    pghi_phase(mag.data(), 128, gansynth::kStftBins, 2048, 512, hann_pghi_gamma(2048), phase.data(), 1e-10);
  else if (start.seed)
    random_phase(phase.data(), phase.size(), start.seed);
  fast_griffin_lim(stft, mag.data(), 128, phase.data(), iterations, momentum, signal.data());
  return spectral_convergence(stft, mag.data(), 128, signal.data());
}

// NumPy's numbers for the same notes and methods (tests/golden/make_spectral_golden.py).
double reference(const std::string& name, const std::string& key) {
  static const nlohmann::json j = nlohmann::json::parse(read_text(spectral_data("phase_reference.json")));
  return j.at(name).at(key).get<double>();
}

// float32 here, float64 in NumPy: the heap visits near-equal magnitudes in a different order
// (PGHI: within 5%), and iterations amplify rounding differences (iterative methods: no more than
// 5% worse than NumPy, and not suspiciously better either: at least 75% of its SC).
void expect_near_reference(double ours, const std::string& name, const std::string& key) {
  const double ref = reference(name, key);
  std::cout << "[ phase    ] " << key << " " << name << ": SC " << ours << " (NumPy " << ref << ")" << std::endl;
  EXPECT_LE(ours, 1.05 * ref + 1e-4) << name << " " << key;
  EXPECT_GE(ours, (key == "pghi" ? 0.95 : 0.75) * ref) << name << " " << key;
}

// Same algorithms as the NumPy reference, deterministic starts.
TEST(PhaseReconstruction, MatchesNumpyReference) {
  for (const std::string& name : note_names()) {
    expect_near_reference(sc_of(name, {}, 100, 0.0f), name, "griffin_lim_100_zero_start");
    expect_near_reference(sc_of(name, {}, 100, 0.99f), name, "fgla_100_zero_start");
    expect_near_reference(sc_of(name, {true}, 0, 0.0f), name, "pghi");
    expect_near_reference(sc_of(name, {true}, 32, 0.99f), name, "pghi_fgla_32");
  }
}

// The quality bounds. Griffin-Lim depends on its random start (clarinet: 0.08-0.12 over seeds),
// so the median of three starts is bounded.
TEST(PhaseReconstruction, GriffinLim100FromRandomPhase) {
  for (const std::string& name : note_names()) {
    std::vector<double> sc;
    for (uint64_t seed : {1, 2, 3}) sc.push_back(sc_of(name, {false, seed}, 100, 0.0f));
    std::sort(sc.begin(), sc.end());
    std::cout << "[ phase    ] griffin-lim x100 " << name << ": SC median " << sc[1] << " of " << sc[0] << ".." << sc[2] << std::endl;
    EXPECT_LE(sc[1], 0.12) << name;
  }
}

TEST(PhaseReconstruction, Fgla100FromRandomPhase) {
  for (const std::string& name : note_names()) EXPECT_LE(sc_of(name, {false, 1}, 100, 0.99f), 0.05) << name;
}

TEST(PhaseReconstruction, PghiAloneAndPolished) {
  std::vector<double> polished;
  for (const std::string& name : note_names()) {
    EXPECT_LE(sc_of(name, {true}, 0, 0.0f), 0.10) << name;
    polished.push_back(sc_of(name, {true}, 32, 0.99f));
  }
  // 0.004-0.005 on five notes; the violin's vibrato leaves 0.038 (NumPy: the same), so the bound
  // of 0.03 holds for the median and 0.04 for every note.
  std::sort(polished.begin(), polished.end());
  EXPECT_LE(polished[polished.size() / 2], 0.03);
  EXPECT_LE(polished.back(), 0.04);
}

TEST(PhaseReconstruction, PghiWrongGammaIsWorse) {
  // A sanity check that the test can fail: +-30% gamma must not beat the right value.
  auto audio = load_note("violin_e4");
  auto mag = exact_magnitudes(audio);
  const Stft& stft = gansynth::stft_for(SpectralCompat::Exact);
  auto sc_for = [&](double gamma) {
    std::vector<float> phase(mag.size()), signal(stft.signal_length(128));
    std::vector<cfloat> spec(mag.size());
    pghi_phase(mag.data(), 128, gansynth::kStftBins, 2048, 512, gamma, phase.data());
    gansynth::polar_to_stft(mag.data(), phase.data(), 128, spec.data());
    stft.synthesize(spec.data(), 128, signal.data());
    return spectral_convergence(stft, mag.data(), 128, signal.data());
  };
  const double g = hann_pghi_gamma(2048);
  EXPECT_LT(sc_for(g), sc_for(0.7 * g));
  EXPECT_LT(sc_for(g), sc_for(1.3 * g));
}

TEST(SpectralRoundTrip, LinearIfPathIsNearLossless) {
  for (const std::string& name : note_names()) {
    auto audio = load_note(name);
    InverseOptions o;
    o.scale = SpectralScale::Linear;
    auto back = spectrogram_to_audio(audio_to_spectrogram(audio, SpectralScale::Linear), o);
    double snr = snr_db(back, audio);
    std::cout << "[ roundtrip] linear IF " << name << ": SNR " << snr << " dB" << std::endl;
    EXPECT_GE(snr, 50.0) << name;
  }
}

TEST(SpectralRoundTrip, MelWithPolishStaysClose) {
  // Mel + IF alone loses phase detail (SC ~0.45 measured in NumPy); 32 FGLA iterations recover much.
  for (const std::string& name : note_names()) {
    auto audio = load_note(name);
    auto spec = audio_to_spectrogram(audio, SpectralScale::Mel);
    InverseOptions o;
    auto plain = spectrogram_to_audio(spec, o);
    o.phase = PhaseMethod::IfFgla;
    o.iterations = 32;
    auto polished = spectrogram_to_audio(spec, o);
    o.phase = PhaseMethod::PghiFgla;
    auto pghi = spectrogram_to_audio(spec, o);
    double sc_plain = spectral_convergence_of(plain, audio), sc_polished = spectral_convergence_of(polished, audio),
           sc_pghi = spectral_convergence_of(pghi, audio);
    std::cout << "[ roundtrip] mel " << name << ": SC if " << sc_plain << ", if+fgla32 " << sc_polished
              << ", pghi+fgla32 " << sc_pghi << std::endl;
    EXPECT_LE(sc_polished, 0.20) << name;
  }
}

TEST(SpectralApi, RejectsWrongSizesAndUnknownMethods) {
  EXPECT_THROW(spectrogram_to_audio(std::vector<float>(10), InverseOptions{}), Error);
  EXPECT_THROW(audio_to_spectrogram(std::vector<float>(64001), SpectralScale::Mel), Error);
  EXPECT_THROW(parse_phase_method("magic"), Error);
  EXPECT_EQ(parse_phase_method("pghi+fgla"), PhaseMethod::PghiFgla);
}

TEST(SpectralApi, BatchedForwardEqualsOneByOne) {
  std::vector<float> audio;
  for (const char* name : {"piano_c4", "violin_e4", "trumpet_c4"}) {
    auto a = load_note(name);
    audio.insert(audio.end(), a.begin(), a.end());
  }
  std::vector<float> specs(3 * kSpectrogramValues);
  audios_to_spectrograms(audio.data(), 3, specs.data(), SpectralScale::Mel, 2);
  auto one = audio_to_spectrogram(load_note("violin_e4"), SpectralScale::Mel);
  EXPECT_TRUE(std::equal(one.begin(), one.end(), specs.begin() + long(kSpectrogramValues)));
}

TEST(SpectralApi, BatchEqualsOneByOne) {
  auto spec = audio_to_spectrogram(load_note("flute_c5"), SpectralScale::Mel);
  std::vector<float> batch(spec.size() * 3);
  for (int i = 0; i < 3; ++i) std::copy(spec.begin(), spec.end(), batch.begin() + long(i * spec.size()));
  std::vector<float> audio(3 * size_t(kNoteSamples));
  spectrograms_to_audio(batch.data(), 3, audio.data(), InverseOptions{}, 2);
  auto one = spectrogram_to_audio(spec, InverseOptions{});
  for (int i = 0; i < 3; ++i)
    for (size_t k = 0; k < one.size(); ++k) ASSERT_EQ(audio[size_t(i) * kNoteSamples + k], one[k]);
}

}  // namespace
