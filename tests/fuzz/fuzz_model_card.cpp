// libFuzzer target for model cards (model.json) and Magenta converter specs: any text gives a
// validated card (architecture, hyper-parameters, latent prior, sampling advice, timbre presets) or a
// timbrel::Error naming the file; JSON library exceptions must not escape.
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/model_card.h"
#include "timbrel/error.h"

int fuzz_model_card(const uint8_t* data, size_t size) {
  using namespace timbrel::formats;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json card = parse_model_card(text, "fuzz/model.json");
    const std::string arch = card["architecture"].get<std::string>();
    if (arch == "musicvae" && card.contains("hparams")) {
      const MusicVaeConfig c = MusicVaeConfig::from_json(card["hparams"], "fuzz/model.json");
      latent_prior_from_card(card, c.z_size, "fuzz/model.json");
      if (const auto advice = sampling_from_card(card, "fuzz/model.json"))  // and its advice reads back the same
        if (sampling_json(*sampling_from_card({{"sampling", sampling_json(*advice)}}, "fuzz/rewrite")) != sampling_json(*advice))
          __builtin_trap();
      // What was read must read back the same.
      const MusicVaeConfig again = MusicVaeConfig::from_json(c.to_json(), "fuzz/rewrite");
      if (again.to_json() != c.to_json()) __builtin_trap();
    } else if (arch == "gansynth" && card.contains("hparams")) {
      const timbrel::GansynthConfig c = gansynth_config_from_json(card["hparams"], "fuzz/model.json");
      timbre_presets_from_card(card, c.latent_size, "fuzz/model.json");
      if (gansynth_config_json(gansynth_config_from_json(gansynth_config_json(c), "fuzz/rewrite")) != gansynth_config_json(c))
        __builtin_trap();
    }
  } catch (const timbrel::Error&) {
  }
  try {
    converter_kind(text, "fuzz/config.json");
  } catch (const timbrel::Error&) {
  }
  return 0;
}

#ifdef TIMBREL_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_model_card(data, size); }
#endif
