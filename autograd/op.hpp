/// \file
/// For op authors: how an op records itself on the tape. A user of xgrad's ops needs only
/// autograd/tensor.hpp; an op's .cpp (and a user's own op) includes this.
///
/// \code
///   template <class T>
///   TensorT<T> square(const TensorT<T>& x) {
///       return make_op<T>(x.value() * x.value(), {x}, [x](const xt::xarray<T>& g) {
///           x.add_grad(2 * x.value() * g);  // forward and backward side by side
///       });
///   }
///
/// A backward captures what it reads and no more: an input as TensorT when it reads its value,
/// as GradSlot (a value-less handle) when it only adds to its gradient; and it takes the
/// output's value as a second parameter only when it reads it (tanh: `(g, y)`).
/// \endcode
///
/// The tape's own machinery (its entries, the walk) is autograd/tape.hpp, which is not installed.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <initializer_list>
#include <source_location>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

namespace detail {

/// What a tensor's handles share: value, gradient and flags. TensorT handles keep the value;
/// GradSlot handles (value-less) keep only the rest, so the value is released when the last
/// TensorT goes, even while the tape still needs the gradient slot.
template <class T>
struct TensorImpl {
    xt::xarray<T> value;
    xt::xarray<T> grad;
    std::atomic<long> handles{0};  ///< TensorT handles; when the last one goes, release_value()
    bool value_released = false;   ///< value is gone; released_shape keeps its shape
    Shape released_shape;
    bool has_grad = false;       ///< grad holds a gradient (else it is empty)
    bool requires_grad = false;
    bool is_leaf = true;         ///< false for outputs of recorded ops
    bool retain_grad = false;    ///< keep a non-leaf gradient after backward
    bool freed = false;          ///< the entry that made it was released by backward()

    Shape shape() const { return value_released ? released_shape : Shape(value.shape().begin(), value.shape().end()); }
    template <class S>
    bool has_shape(const S& s) const {
        const auto check = [&](const auto& own) { return s.size() == own.size() && std::equal(s.begin(), s.end(), own.begin()); };
        return value_released ? check(released_shape) : check(value.shape());
    }
    void release_value() {
        released_shape = shape();
        value = xt::xarray<T>();
        value_released = true;
    }

    // The gradient to accumulate into, created as zeros if it has none.
    xt::xarray<T>& grad_buffer() {
        check_not_freed();
        if (!has_grad) {
            grad = xt::zeros<T>(shape());
            has_grad = true;
        }
        return grad;
    }
    // The gradient for a caller that writes every value: {data, true} to add into the one it
    // has, or {data, false} to overwrite a new one, left unzeroed (a first gradient costs no pass).
    std::pair<T*, bool> grad_to_write() {
        check_not_freed();
        const bool had = has_grad;
        if (!had) {
            if (!has_shape(grad.shape())) grad = xt::xarray<T>::from_shape(shape());
            has_grad = true;
        }
        return {grad.data(), had};
    }
    // Reading a gradient changes nothing: without one it is zeros of the tensor's shape, and
    // has_grad stays false, so optimizers still skip the tensor (PyTorch's grad None).
    xt::xarray<T>& read_grad() {
        if (!has_grad && !has_shape(grad.shape())) grad = xt::zeros<T>(shape());
        else if (!has_grad) grad.fill(T(0));
        return grad;
    }
    template <class E>
    void add_grad(E&& e) {
        check_not_freed();
        XG_CHECK(has_shape(e.shape()), "internal: gradient of shape " << shape_str(e.shape()) << " for a tensor of shape "
                                                                      << shape_str(shape()));
        if (!has_grad) {
            grad = std::forward<E>(e);
            has_grad = true;
        } else {
            grad += e;
        }
    }
    void check_not_freed() const {
        XG_CHECK(!freed || is_leaf, "backward: trying to backward through a part of the graph that was already freed; "
                                    "call backward(/*retain_graph=*/true) the first time to backward twice");
    }
};

}  // namespace detail

/// A value-less handle: a tensor's gradient slot and flags, without its value (Flashlight's
/// `withoutData()`). A backward function captures an input this way when it only adds to the
/// input's gradient, so the tape does not keep the input's value alive:
///
///   [a = GradSlot(a)](const xt::xarray<T>& g) { a.add_grad(-g); }   // neg
template <class T>
class GradSlot {
public:
    GradSlot() = default;
    GradSlot(const TensorT<T>& t) : impl_(t.impl_) {}  ///< the slot of t (implicit, so it captures like a TensorT)

    bool defined() const { return impl_ != nullptr; }  ///< false for a default-constructed slot
    /// Some TensorT still holds the value (false once the last one went).
    bool has_value() const { return impl_ && !impl_->value_released; }
    bool requires_grad() const { return impl_ && impl_->requires_grad; }  ///< as TensorT::requires_grad
    bool has_grad() const { return impl_ && impl_->has_grad; }            ///< as TensorT::has_grad
    Shape shape() const { return impl_->shape(); }                         ///< the value's shape, kept
    const xt::xarray<T>& grad() const { return impl_->read_grad(); }  ///< as TensorT::grad
    /// Add an expression into the gradient (shape-checked), as TensorT::add_grad.
    template <class E>
    void add_grad(E&& e) const {
        impl_->add_grad(std::forward<E>(e));
    }
    xt::xarray<T>& grad_buffer() const { return impl_->grad_buffer(); }  ///< as TensorT::grad_buffer
    /// For a backward that writes every value of the gradient: {data, true} to add into the
    /// gradient there is, or {data, false} to overwrite a new one, not zeroed first.
    std::pair<T*, bool> grad_to_write() const { return impl_->grad_to_write(); }

private:
    friend struct detail::TensorAccess;
    std::shared_ptr<detail::TensorImpl<T>> impl_;
};

namespace detail {

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
/// With keep_values the entry also keeps the outputs' values, for a backward that reads them;
/// backward gets the outputs' gradient slots, and their TensorT handles when kept.
template <class T>
using EntryBackward = std::function<void(const std::vector<GradSlot<T>>& grads, const std::vector<TensorT<T>>& values)>;
template <class T>
void record(const std::vector<TensorT<T>>& outputs, bool keep_values, EntryBackward<T> backward, const char* op,
            const TensorT<T>* inputs, std::size_t input_count);
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
// A backward that takes only the output's gradient does not keep the output's value.
template <class T, class F>
void record_single(const TensorT<T>& out, F&& backward, const TensorT<T>* inputs, std::size_t input_count, const char* op) {
    if constexpr (std::is_invocable_v<F&, const xt::xarray<T>&>)
        record<T>({out}, false, [fn = std::forward<F>(backward)](const auto& grads, const auto&) { fn(grads[0].grad()); }, op,
                  inputs, input_count);
    else
        record<T>({out}, true,
                  [fn = std::forward<F>(backward)](const auto&, const auto& values) { fn(values[0].grad(), values[0].value()); },
                  op, inputs, input_count);
}
}  // namespace detail

/// Make the result of a single-output op and, if needed, record it:
///   backward(grad_out, out_value) adds into the gradients of the inputs it captured;
///   backward(grad_out), for an op whose backward does not read its output, lets the output's
///   value go with its last TensorT. Capture an input as GradSlot when only its gradient is needed.
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

/// True while the backward running on this thread frees the graph after it (backward without
/// retain_graph): a backward function may then overwrite or release what its op saved (a fused
/// layer writes its gate gradients over its saved gates), since nothing can run it again.
bool backward_frees_graph();

/// Record an op with several outputs (a recurrent layer returns output, h_n and c_n).
/// backward(outputs) reads outputs[i].has_grad() / grad(); an output that received no
/// gradient has has_grad() false. op and inputs serve anomaly mode's messages.
template <class T, class F>
void record_multi(const std::vector<TensorT<T>>& outputs, F&& backward, const char* op = "multi-output op",
                  const std::vector<TensorT<T>>& inputs = {}) {
    detail::record<T>(outputs, true, [fn = std::forward<F>(backward)](const auto&, const auto& values) { fn(values); }, op,
                      inputs.data(), inputs.size());
}

template <class T>
template <class E>
void TensorT<T>::add_grad(E&& e) const {
    impl_->add_grad(std::forward<E>(e));
}

}  // namespace xg
