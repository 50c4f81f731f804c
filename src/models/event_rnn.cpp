// The public EventRnn: its network is the torch module's.
#include "models/torch_module.h"

namespace timbrel {

EventRnn::Impl::~Impl() = default;

EventRnn::EventRnn(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventRnn::~EventRnn() = default;
EventRnn::EventRnn(EventRnn&&) noexcept = default;
EventRnn& EventRnn::operator=(EventRnn&&) noexcept = default;

EventRnn EventRnn::load(const std::string& path) { return EventRnn(torch_module().load_event_rnn(path)); }
const EventRnnInfo& EventRnn::info() const { return impl_->info; }
void EventRnn::save(const std::string& dir) const { impl_->save(dir); }

double EventRnn::log_likelihood(const std::vector<int>& events, const std::vector<ChordSpan>& chords) const {
  return impl_->log_likelihood(events, chords);
}

std::vector<int> EventRnn::continue_events(const std::vector<int>& primer, int steps, const ContinueOptions& options) const {
  return impl_->continue_events(primer, steps, options);
}

std::vector<Note> EventRnn::continuation(const NoteSequence& primer, const ContinueOptions& options) const {
  return impl_->continuation(primer, options);
}

NoteSequence EventRnn::continue_sequence(const NoteSequence& primer, const ContinueOptions& options) const {
  return impl_->continue_sequence(primer, options);
}

NoteSequence EventRnn::improvise(const ContinueOptions& options, double qpm) const { return impl_->improvise(options, qpm); }

}  // namespace timbrel
