#pragma once
// The library's access to the public model classes' private implementations (their Impl is
// private so that callers of the API cannot reach or build one).
#include <memory>
#include <utility>

#include "timbrel/ddsp.h"
#include "timbrel/event_rnn.h"
#include "timbrel/gansynth.h"
#include "timbrel/groove.h"
#include "timbrel/musicvae.h"

namespace timbrel::detail {

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
};

using GansynthImpl = ModelAccess::GansynthImpl;
using MusicVaeImpl = ModelAccess::MusicVaeImpl;
using EventRnnImpl = ModelAccess::EventRnnImpl;
using DdspImpl = ModelAccess::DdspImpl;
using GrooveImpl = ModelAccess::GrooveImpl;

}  // namespace timbrel::detail
