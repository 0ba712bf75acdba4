/// \file
/// Collective operations over all ranks (torch.distributed.all_reduce, broadcast). Every
/// rank must call the same collectives in the same order with the same shapes. With one
/// rank they do nothing (all_reduce with mean divides by 1).
#pragma once

#include <cstdint>
#include <span>

#include "autograd/tensor.hpp"
#include "nn/module.hpp"

namespace xg::distributed {

/// How all_reduce combines the ranks' values: their sum, or their mean (the sum divided
/// by world_size(); for integers a truncating division). torch.distributed.ReduceOp.SUM / AVG.
enum class ReduceOp { sum, mean };

/// In place on each rank's copy: afterwards every rank holds the sum (or mean) of them.
/// Reduces values, not gradients; a tensor's shape must agree across ranks.
void all_reduce(std::span<float> data, ReduceOp op = ReduceOp::sum);
/// As above, for doubles.
void all_reduce(std::span<double> data, ReduceOp op = ReduceOp::sum);
/// As above, for 64-bit integers (counts).
void all_reduce(std::span<std::int64_t> data, ReduceOp op = ReduceOp::sum);
/// As above, on a tensor's values (T is float or double); an undefined tensor throws xg::Error.
template <class T>
void all_reduce(const TensorT<T>& tensor, ReduceOp op = ReduceOp::sum);
/// One number: a loss sum, a count of correct predictions.
double all_reduce(double value, ReduceOp op = ReduceOp::sum);

/// Every rank gets root's values.
void broadcast(std::span<float> data, int root = 0);
/// As above, for doubles.
void broadcast(std::span<double> data, int root = 0);
/// As above, for 64-bit integers.
void broadcast(std::span<std::int64_t> data, int root = 0);
/// As above, on a tensor's values (T is float or double); an undefined tensor throws xg::Error.
template <class T>
void broadcast(const TensorT<T>& tensor, int root = 0);

/// Every parameter of the module takes root's values (what DistributedDataParallel does
/// when it is made). Names and shapes must agree across ranks: a mismatch throws xg::Error.
void broadcast_parameters(const nn::Module& module, int root = 0);

/// Throws xg::Error naming `what` when the ranks disagree on value (a flag, a vocabulary
/// size, a batch count): a job must fail at the start, not hang in a later collective.
void check_same(std::int64_t value, const char* what);

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_COLLECTIVE_FUNCTIONS(T, OP, OVERLOAD)                    \
    OVERLOAD(T, all_reduce, void(const TensorT<T>&, ReduceOp)) \
    OVERLOAD(T, broadcast, void(const TensorT<T>&, int))
XG_DECLARE_OPS(XG_COLLECTIVE_FUNCTIONS)

}  // namespace xg::distributed
