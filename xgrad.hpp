/// \file
/// xgrad: write and train sequence models in C++ the way you would in PyTorch.
/// This header includes the whole public API:
///   xg::          tensors, the tape, differentiable ops, gradcheck   (autograd/)
///                 threads and memory figures                          (core/runtime.hpp)
///   xg::nn::      modules, recurrent layers, serialization             (nn/)
///   xg::optim::   optimizers, clipping, lr schedules, checkpoints     (optim/)
///   xg::data::    vocabularies, tokenizers, corpora, batch iterators  (data/)
///   xg::distributed::  data-parallel training on MPI                  (distributed/)
#pragma once

#include "autograd/grad_hooks.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "core/runtime.hpp"
#include "data/imdb.hpp"
#include "data/lm_iterator.hpp"
#include "data/loader.hpp"
#include "data/time_machine.hpp"
#include "data/tokenizer.hpp"
#include "data/vocab.hpp"
#include "distributed/distributed.hpp"
#include "nn/nn.hpp"
#include "optim/optim.hpp"
