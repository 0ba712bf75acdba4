/// \file
/// Every part of xg::optim: optimizers, gradient clipping, learning-rate schedules.
#pragma once

#include "optim/adagrad.hpp"
#include "optim/adam.hpp"
#include "optim/adamw.hpp"
#include "optim/checkpoint.hpp"
#include "optim/clip.hpp"
#include "optim/lr_scheduler.hpp"
#include "optim/optimizer.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
