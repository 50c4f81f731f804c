// The public GrooveModel (its network is the torch module's); humanize and drumify on NoteSequences.
#include "models/torch_module.h"
#include "timbrel/error.h"

namespace timbrel {

GrooveModel::Impl::~Impl() = default;

GrooveModel::GrooveModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrooveModel::~GrooveModel() = default;
GrooveModel::GrooveModel(GrooveModel&&) noexcept = default;
GrooveModel& GrooveModel::operator=(GrooveModel&&) noexcept = default;

GrooveModel GrooveModel::load(const std::string& folder) { return GrooveModel(torch_module().load_groove(folder)); }
const GrooveModelInfo& GrooveModel::info() const { return impl_->info; }
void GrooveModel::save(const std::string& folder) const { impl_->save(folder); }
GrooveSteps GrooveModel::perform(const GrooveSteps& input, const GrooveOptions& options) const { return impl_->perform(input, options); }

NoteSequence humanize(const GrooveModel& model, const NoteSequence& beat, const GrooveOptions& options) {
  if (model.info().task != "humanize") throw Error("model", "is a " + model.info().task + " model, not a humanize one");
  const GrooveSteps grid = encode_groove(beat);
  if (grid.hits() == 0) throw Error("beat", "has no drum notes (channel 10) of the kit's 9 classes to humanize");
  return apply_groove(beat, model.perform(grid, options));
}

NoteSequence drumify(const GrooveModel& model, const NoteSequence& taps, const GrooveOptions& options) {
  if (model.info().task != "drumify") throw Error("model", "is a " + model.info().task + " model, not a drumify one");
  const GrooveSteps tapped = taps_from_notes(taps, taps.first_qpm());
  if (tapped.hits() == 0) throw Error("taps", "has no notes to take a rhythm from");
  return decode_groove(model.perform(tapped, options));
}

}  // namespace timbrel
