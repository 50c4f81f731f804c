#pragma once
// The DDSP models that play a song's General MIDI programs. A bank is one of:
// - one model folder (model.json): it plays every program (a model with presets plays each
//   program by the preset trained from it, else one of its family);
// - a bank file (FOLDER/bank.json) naming its models and which plays which programs:
//     {"models": {"NAME": "PATH", ...}, "programs": {"NAME": [68, 71, ...], ...}, "default": "NAME"}
//   (paths relative to FOLDER; programs not listed go to "default");
// - a folder of model folders (e.g. ../shared/models-ext/ddsp): each program by the model whose
//   presets learned it (of several, the one with the fewest presets: it shares its network among
//   fewer instruments), else a Magenta instrument of its General MIDI family
//   (ddsp_family_model), else the violin when there is one, else the first model by name.
#include <map>
#include <string>
#include <vector>

#include "render/ddsp_song.h"

namespace timbrel {

// The model of a Magenta instrument name for a program by General MIDI family (strings and
// ensembles: violin; brass: trumpet; reeds: tenor_saxophone; pipes: flute), "" when no family
// matches one of `names`.
std::string ddsp_family_model(int program, const std::vector<std::string>& names);

class DdspBank {
 public:
  explicit DdspBank(const std::string& path);
  std::vector<std::string> names() const;
  bool single() const { return single_; }
  const std::string& path() const { return path_; }
  const Ddsp& model(const std::string& name) const;  // Error naming the bank when it has no such model
  const Ddsp& model_for(int program) const { return model(route(program)); }
  // The voice for `program`; one that is not the program's own instrument (a preset of its family,
  // or the fallback model) is recorded in `substituted`.
  DdspVoice voice(int program, std::map<int, std::string>* substituted = nullptr) const;
  // Every preset of the bank's models, each name once: the fallback model's first (a bank file's
  // "default"; a folder's violin, else its first model by name), then the others' new names.
  std::vector<std::string> presets() const;
  // Preset `name` (Error naming it when no model has it), from the model that plays its program
  // when that model has it, else the first model (by name) that does; `program` gets its program.
  DdspVoice preset_voice(const std::string& name, int* program = nullptr) const;

 private:
  void load_bank_file(const std::string& folder);
  void load_folder(const std::string& folder);
  DdspVoice voice_of(const std::string& model, const std::string& preset) const;
  // The name of the model that plays `program`; `fell_back`: no route or family named one.
  std::string route(int program, bool* fell_back = nullptr) const;

  std::string path_;
  std::map<std::string, Ddsp> models_;
  std::map<int, std::string> routes_;  // program -> the model that plays it
  std::string fallback_;               // the model of programs no route or family names
  bool single_ = false;
};

}  // namespace timbrel
