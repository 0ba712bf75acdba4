/// \file
/// Kept for code written against earlier versions: softmax and log_softmax now live in
/// autograd/softmax.hpp, dropout in autograd/pointwise.hpp (ops live by family).
#pragma once

#include "autograd/pointwise.hpp"
#include "autograd/softmax.hpp"
