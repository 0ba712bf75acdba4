// xgrad: write and train sequence models in C++ the way you would in PyTorch.
// This header includes the whole public API.
#pragma once

#include "autograd/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "nn/nn.hpp"
#include "optim/optim.hpp"
