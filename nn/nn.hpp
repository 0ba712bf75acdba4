/// \file
/// Every module of xg::nn.
#pragma once

#include "nn/activation.hpp"
#include "nn/embedding.hpp"
#include "nn/init.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/loss.hpp"
#include "nn/lstm_variants.hpp"
#include "nn/module.hpp"
#include "nn/rnn.hpp"
#include "nn/rnn_cell.hpp"
#include "nn/sequential.hpp"
#include "nn/serialize.hpp"
#include "nn/unroll.hpp"
