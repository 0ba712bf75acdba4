/// \file
/// For op authors: how an op records itself on the tape. A user of xgrad's ops needs only
/// autograd/tensor.hpp; an op's .cpp (and a user's own op) includes this.
///
/// \code
///   template <class T>
///   TensorT<T> square(const TensorT<T>& x) {
///       return make_op<T>(x.value() * x.value(), {x}, [x](const xt::xarray<T>& g, const xt::xarray<T>&) {
///           x.add_grad(2 * x.value() * g);  // forward and backward side by side
///       });
///   }
/// \endcode
///
/// The tape's own machinery (its entries, the walk) is autograd/tape.hpp, which is not installed.
#pragma once

#include <functional>
#include <initializer_list>
#include <source_location>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

namespace detail {

/// What a tensor handle shares: value, gradient and flags.
template <class T>
struct TensorImpl {
    xt::xarray<T> value;
    xt::xarray<T> grad;
    bool has_grad = false;       ///< grad holds a gradient (else it is empty)
    bool requires_grad = false;
    bool is_leaf = true;         ///< false for outputs of recorded ops
    bool retain_grad = false;    ///< keep a non-leaf gradient after backward
    bool freed = false;          ///< the entry that made it was released by backward()
};

// std::source_location needs __builtin_source_location, which clang has from version 15
// on; with Debian 12's clang 14 (the sanitizer and fuzz build) libstdc++ leaves it out.
// Anomaly mode needs only the function's name, which __builtin_FUNCTION gives everywhere.
#ifdef __cpp_lib_source_location
using SourceLocation = std::source_location;
#else
struct SourceLocation {
    static constexpr SourceLocation current(const char* function = __builtin_FUNCTION()) noexcept { return {function}; }
    constexpr const char* function_name() const noexcept { return function; }
    const char* function = "";
};
#endif

/// One entry on this thread's tape: the outputs (marked as results of a recorded op), the
/// function that pushes their gradients into the inputs it captured, the op's name for
/// anomaly mode's messages, and the inputs (their leaves for grad-ready hooks; all of them in
/// anomaly mode). Defined in autograd/tensor.cpp.
template <class T>
void record(const std::vector<TensorT<T>>& outputs, std::function<void(const std::vector<TensorT<T>>&)> backward,
            const char* op, const TensorT<T>* inputs, std::size_t input_count);
/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_RECORD_FUNCTIONS(T, OP, OVERLOAD) OP(T, record)
XG_DECLARE_OPS(XG_RECORD_FUNCTIONS)

}  // namespace detail

/// True when an op on these inputs must be recorded.
template <class Range>
bool needs_grad(const Range& inputs) {
    if (!is_grad_enabled()) return false;
    for (const auto& t : inputs)
        if (t.defined() && t.requires_grad()) return true;
    return false;
}

namespace detail {
template <class T, class F>
void record_single(const TensorT<T>& out, F&& backward, const TensorT<T>* inputs, std::size_t input_count, const char* op) {
    record<T>({out}, [fn = std::forward<F>(backward)](const std::vector<TensorT<T>>& outs) { fn(outs[0].grad(), outs[0].value()); },
              op, inputs, input_count);
}
}  // namespace detail

/// Make the result of a single-output op and, if needed, record it:
///   backward(grad_out, out_value) adds into the gradients of the inputs it captured.
/// `where` names the op in anomaly mode's messages: the calling function, by default.
template <class T, class F>
TensorT<T> make_op(xt::xarray<T>&& value, std::initializer_list<TensorT<T>> inputs, F&& backward,
                   detail::SourceLocation where = detail::SourceLocation::current()) {
    TensorT<T> out(std::move(value));
    if (needs_grad(inputs)) detail::record_single(out, std::forward<F>(backward), inputs.begin(), inputs.size(), where.function_name());
    return out;
}
/// make_op with the inputs in a std::vector (for ops over a list of tensors, such as cat).
template <class T, class F>
TensorT<T> make_op(xt::xarray<T>&& value, const std::vector<TensorT<T>>& inputs, F&& backward,
                   detail::SourceLocation where = detail::SourceLocation::current()) {
    TensorT<T> out(std::move(value));
    if (needs_grad(inputs)) detail::record_single(out, std::forward<F>(backward), inputs.data(), inputs.size(), where.function_name());
    return out;
}

/// Record an op with several outputs (a recurrent layer returns output, h_n and c_n).
/// backward(outputs) reads outputs[i].has_grad() / grad(); an output that received no
/// gradient has has_grad() false. op and inputs serve anomaly mode's messages.
template <class T, class F>
void record_multi(const std::vector<TensorT<T>>& outputs, F&& backward, const char* op = "multi-output op",
                  const std::vector<TensorT<T>>& inputs = {}) {
    detail::record<T>(outputs, std::forward<F>(backward), op, inputs.data(), inputs.size());
}

template <class T>
template <class E>
void TensorT<T>::add_grad(E&& e) const {
    auto& im = *impl_;
    XG_CHECK(!im.freed, "backward: trying to backward through a part of the graph that was already freed; "
                        "call backward(/*retain_graph=*/true) the first time to backward twice");
    const auto& es = e.shape();
    XG_CHECK(es.size() == im.value.dimension() && std::equal(es.begin(), es.end(), im.value.shape().begin()),
             "internal: gradient of shape " << shape_str(es) << " for a tensor of shape "
                                            << shape_str(im.value.shape()));
    if (!im.has_grad) {
        im.grad = std::forward<E>(e);
        im.has_grad = true;
    } else {
        im.grad += e;
    }
}

}  // namespace xg
