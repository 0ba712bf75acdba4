// Internal (not installed): the tape's entries and its access to a tensor's internals.
// Only autograd/tensor.cpp, which records entries and walks them backwards, includes it.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "autograd/op.hpp"

namespace xg::detail {

// One tape entry: the op's outputs and the function that pushes their gradients
// into the inputs (which the function captures). op names the op for anomaly mode's
// messages (a function signature from std::source_location, or a plain name); inputs are
// kept only in anomaly mode (an undefined input stays a null pointer, so indices hold).
// values holds the outputs again as TensorT, keeping their values, only for a backward that reads them.
template <class T>
struct TapeEntry {
    std::vector<std::shared_ptr<TensorImpl<T>>> outputs;
    std::vector<TensorT<T>> values;
    EntryBackward<T> backward;
    const char* op = nullptr;
    std::vector<std::shared_ptr<TensorImpl<T>>> inputs;
    // Leaf inputs that require grad, by identity only: tells grad-ready hooks (see
    // autograd/grad_hooks.hpp) when no entry left to run can add to a parameter's gradient.
    std::vector<const TensorImpl<T>*> leaves;
};

// The tape's access to a tensor's internals.
struct TensorAccess {
    template <class T>
    static TensorImpl<T>* impl(const TensorT<T>& t) { return t.impl_.get(); }
    template <class T>
    static const std::shared_ptr<TensorImpl<T>>& shared(const TensorT<T>& t) { return t.impl_; }
    template <class T>
    static GradSlot<T> slot(std::shared_ptr<TensorImpl<T>> impl) {
        GradSlot<T> s;
        s.impl_ = std::move(impl);
        return s;
    }
};

}  // namespace xg::detail
