/// \file
/// Every differentiable op of the autograd core.
#pragma once

#include "autograd/arithmetic.hpp"
#include "autograd/factory.hpp"
#include "autograd/gather.hpp"
#include "autograd/index.hpp"
#include "autograd/loss.hpp"
#include "autograd/matmul.hpp"
#include "autograd/op.hpp"
#include "autograd/pointwise.hpp"
#include "autograd/reduce.hpp"
#include "autograd/shape_ops.hpp"
#include "autograd/softmax.hpp"
#include "autograd/tensor.hpp"
