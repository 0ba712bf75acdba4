/// \file
/// Training checkpoints: a folder holding
///   model.safetensors      the model's parameters under PyTorch's state_dict names
///                          (safetensors.torch.load_file + load_state_dict reads it)
///   optimizer.safetensors  the optimizer's state (and the lr schedule's)
///   checkpoint.json        whatever the program needs to resume: epoch, options, RNG state
/// plus any files the program adds (a vocabulary). The folder is written under a
/// temporary name and swapped in with one atomic rename, so a run killed while saving
/// leaves the previous checkpoint intact.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/module.hpp"
#include "optim/lr_scheduler.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

/// Throws xg::IOError naming dir unless a checkpoint can be saved there (a new or
/// empty folder, or a checkpoint to replace, in a writable folder); returns its absolute
/// path. save_checkpoint checks this too; call it up front so that a bad --save path fails
/// before hours of training, not after.
std::filesystem::path check_checkpoint_target(const std::string& dir);

/// extra(dir) may write more files into the folder being prepared.
void save_checkpoint(const std::string& dir, const nn::Module& model, const Optimizer& optimizer,
                     const nlohmann::json& meta, const std::function<void(const std::string& dir)>& extra = {},
                     const ScheduleState* scheduler = nullptr);

/// checkpoint.json of a checkpoint folder; a missing folder or file, or bad JSON, throws
/// xg::IOError (missing) or xg::FormatError (corrupt) naming it.
nlohmann::json read_checkpoint_meta(const std::string& dir);

/// Loads the weights (every name and shape checked first) and, when given, the optimizer's
/// and the schedule's state, all or nothing: an error (xg::IOError or xg::FormatError naming the file)
/// leaves the model, the optimizer and the schedule as they were.
void load_checkpoint(const std::string& dir, nn::Module& model, Optimizer* optimizer = nullptr,
                     ScheduleState* scheduler = nullptr);

}  // namespace xg::optim
