// Tensor: a cheap shared handle to a value, its gradient and a requires_grad flag,
// plus the per-thread tape that records differentiable ops for reverse mode.
//
//   xg::Tensor w = xg::randn({3, 4}, /*requires_grad=*/true);
//   xg::Tensor loss = xg::sum(xg::tanh(xg::matmul(x, w)));
//   loss.backward();            // w.grad() now holds d(loss)/dw
//
// Every op computes its value eagerly. When grad mode is on and an input requires
// grad, the op appends one entry to the thread's tape: its outputs and a backward
// function that adds into the inputs' gradients. backward() walks the tape in
// reverse, running the entries its gradient reaches, and then frees those entries
// (unless asked to retain them). See docs/autograd.md.
#pragma once

#include "core/quiet_intrinsics.hpp"  // first: before anything includes <immintrin.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <limits>
#include <memory>
#include <source_location>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>

#include "core/error.hpp"

// xtensor's array type depends on the build flags: its allocator's alignment follows -march
// and XTENSOR_USE_XSIMD. A program compiled with other flags than libxgrad would link to
// functions that read its arrays with the wrong layout. This reference makes such a link
// fail and name the cause: "undefined reference to xg::build_flags::xtensor_array_type(
// xsimd::aligned_allocator<float, 16ul>*, ...)" means this program's arrays use that
// allocator and the library's another. Compile with the flags `pkg-config --cflags xgrad`
// gives (or build xgrad with -Dnative=false).
namespace xg::build_flags {
using Layout = std::integral_constant<int, static_cast<int>(XTENSOR_DEFAULT_LAYOUT)>;
bool xtensor_array_type(XTENSOR_DEFAULT_ALLOCATOR(float)*, Layout*);  // defined for the library's own flags only
namespace {
// constant-initialised and kept by the compiler (gnu::used), so every object file refers to it
[[gnu::used]] bool (*const check)(XTENSOR_DEFAULT_ALLOCATOR(float)*, Layout*) = &xtensor_array_type;
}  // namespace
}  // namespace xg::build_flags

namespace xg {

using Shape = std::vector<std::size_t>;       // sizes, row-major
using IndexArray = xt::xarray<std::int64_t>;  // class ids, token ids, gather indices
using Mask = xt::xarray<bool>;                // where / masked_fill conditions

// What the factories take as a shape: a Shape, or a braced list of sizes of any integer
// types, so that xg::randn({T, B, I}) works whether T, B and I are int, long or size_t
// (a braced list of int variables narrows into std::vector<std::size_t>: an error under
// clang, a warning under g++). A negative size is an error.
class ShapeArg {
public:
    struct Size {
        template <std::integral I>
            requires(!std::same_as<I, bool> && !std::same_as<I, char>)
        Size(I v) : n(static_cast<std::size_t>(v)) {  // NOLINT: implicit, the point of it
            if constexpr (std::is_signed_v<I>) XG_CHECK(v >= 0, "shape: size " << v << " is negative");
        }
        std::size_t n;
    };
    ShapeArg(const Shape& s) : shape_(s) {}                       // NOLINT: implicit
    ShapeArg(Shape&& s) : shape_(std::move(s)) {}                 // NOLINT: implicit
    ShapeArg(std::initializer_list<Size> sizes) {                 // NOLINT: implicit
        for (const Size& s : sizes) shape_.push_back(s.n);
    }
    operator const Shape&() const { return shape_; }              // NOLINT: implicit

private:
    Shape shape_;
};

// One entry of a signed list (a shape that may hold -1, dims, indices) from any integer
// type, so that xg::reshape(x, {n, 1, -1}) works whether n is int, long or size_t, as
// ShapeArg does for sizes. A value beyond the range of long is an error.
struct Dim {
    template <std::integral I>
        requires(!std::same_as<I, bool> && !std::same_as<I, char>)
    Dim(I v) : value(static_cast<long>(v)) {  // NOLINT: implicit, the point of it
        if constexpr (std::is_unsigned_v<I>)
            XG_CHECK(v <= static_cast<std::make_unsigned_t<long>>(std::numeric_limits<long>::max()), "dim: " << v << " is too large");
    }
    long value;
};
std::vector<long> to_longs(std::initializer_list<Dim> dims);

// "(3, 4)": how every error message prints a shape.
std::string shape_str(const Shape& s);
template <class S>
std::string shape_str(const S& s) {
    return shape_str(Shape(s.begin(), s.end()));
}

// Grad mode is per thread, as in PyTorch. NoGradGuard turns recording off in a scope.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// Anomaly mode, as torch.autograd.set_detect_anomaly / detect_anomaly: while on, backward
// checks the gradients each tape entry adds into its inputs, and the first NaN or inf
// throws std::runtime_error naming the op, its output shape and the input, e.g.
// "anomaly: log (output (32, 28)) returned nan in its gradient for input 0 of shape (32, 28)".
// Off by default; when off, recording and backward do no extra work. Process-wide, as PyTorch's.
void detect_anomaly(bool enabled);
bool is_anomaly_enabled();

class DetectAnomalyGuard {
public:
    explicit DetectAnomalyGuard(bool enabled = true) : previous_(is_anomaly_enabled()) { detect_anomaly(enabled); }
    ~DetectAnomalyGuard() { detect_anomaly(previous_); }
    DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
    DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

private:
    bool previous_;
};

class NoGradGuard {
public:
    NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
    ~NoGradGuard() { set_grad_enabled(previous_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

template <class T>
class TensorT;

namespace detail {

template <class T>
struct TensorImpl {
    xt::xarray<T> value;
    xt::xarray<T> grad;
    bool has_grad = false;       // grad holds a gradient (else it is empty)
    bool requires_grad = false;
    bool is_leaf = true;         // false for outputs of recorded ops
    bool retain_grad = false;    // keep a non-leaf gradient after backward
    bool freed = false;          // the entry that made it was released by backward()
};

// One tape entry: the op's outputs and the function that pushes their gradients
// into the inputs (which the function captures). op names the op for anomaly mode's
// messages (a function signature from std::source_location, or a plain name); inputs are
// kept only in anomaly mode (an undefined input stays a null pointer, so indices hold).
template <class T>
struct TapeEntry {
    std::vector<std::shared_ptr<TensorImpl<T>>> outputs;
    std::function<void(const std::vector<TensorT<T>>& outputs)> backward;
    const char* op = nullptr;
    std::vector<std::shared_ptr<TensorImpl<T>>> inputs;
    // Leaf inputs that require grad, by identity only: tells grad-ready hooks (see
    // autograd/grad_hooks.hpp) when no entry left to run can add to a parameter's gradient.
    std::vector<const TensorImpl<T>*> leaves;
};

template <class T>
void tape_push(TapeEntry<T>&& entry);

// The tape's access to a tensor's internals; nothing outside autograd/ uses it.
struct TensorAccess {
    template <class T>
    static TensorImpl<T>* impl(const TensorT<T>& t) { return t.impl_.get(); }
    template <class T>
    static const std::shared_ptr<TensorImpl<T>>& shared(const TensorT<T>& t) { return t.impl_; }
    template <class T>
    static TensorT<T> wrap(std::shared_ptr<TensorImpl<T>> impl) {
        TensorT<T> t;
        t.impl_ = std::move(impl);
        return t;
    }
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

}  // namespace detail

template <class T>
class TensorT {
public:
    using value_type = T;
    using array_type = xt::xarray<T>;

    TensorT() = default;  // an empty handle; defined() is false
    explicit TensorT(array_type value, bool requires_grad = false);

    bool defined() const { return impl_ != nullptr; }

    // The handle is shared, so value() and grad() give access even through a const
    // handle (as dereferencing a const shared_ptr does). Changing a value that the
    // tape still needs gives wrong gradients: do it under NoGradGuard, between steps.
    array_type& value() const;
    // The accumulated gradient. Reading changes nothing: a tensor that has no gradient
    // (has_grad() false, PyTorch's grad None) reads as zeros of its shape and stays without
    // one, so optimizers still skip it. To write a gradient, use mutable_grad() or set_grad().
    array_type& grad() const;
    bool has_grad() const;       // a backward (or set_grad) gave it a gradient; allocates nothing
    array_type& mutable_grad() const;  // the gradient, created as zeros if it has none (libtorch's name)
    void set_grad(array_type grad) const;  // shape-checked
    void clear_grad() const;     // no gradient any more (PyTorch's p.grad = None)
    void zero_grad() const;      // grad becomes zeros (and stays allocated)

    bool requires_grad() const;
    const TensorT& requires_grad_(bool flag = true) const;  // leaves only
    bool is_leaf() const;
    void retain_grad() const;  // keep this non-leaf's gradient after backward

    Shape shape() const;
    std::size_t dim() const;
    std::size_t size(long d) const;  // negative d counts from the end
    std::size_t numel() const;
    T item() const;  // the single element of a one-element tensor
    template <class U>
    U item() const {  // libtorch's loss.item<float>()
        return static_cast<U>(item());
    }
    // Every element in row-major order, as a std::vector (PyTorch's tolist() of a flat tensor).
    std::vector<T> to_vector() const {
        const array_type& v = value();
        return std::vector<T>(v.data(), v.data() + v.size());
    }

    // Reverse mode from this tensor. The tensor must hold one element, or pass the
    // gradient of the output. The tape is freed afterwards unless retain_graph.
    void backward(bool retain_graph = false) const;
    void backward(const array_type& grad_output, bool retain_graph = false) const;

    // Same values, no history, requires_grad false (a copy: cuts truncated BPTT).
    TensorT detach() const;

    // Sugar for the free functions of the same name.
    TensorT sum() const;
    TensorT mean() const;
    TensorT reshape(const Shape& shape) const;
    TensorT transpose(long dim0, long dim1) const;

    // For op authors: add an expression into the gradient (shape-checked), or get the
    // gradient buffer (zeros if empty) to accumulate into directly, e.g. with gemm beta=1.
    template <class E>
    void add_grad(E&& e) const;
    array_type& grad_buffer() const;

    // Handles to the same value and gradient (copies share them).
    bool is_same(const TensorT& other) const { return impl_ == other.impl_; }
    // Which shared value this handle refers to: a key for maps and sets of tensors.
    const void* id() const { return impl_.get(); }

private:
    friend struct detail::TensorAccess;  // the tape's own code, in autograd/
    std::shared_ptr<detail::TensorImpl<T>> impl_;
    void check_defined(const char* what) const;
};

// Prints as PyTorch does, with xtensor's braces: "tensor({{1, 2}, {3, 4}}, requires_grad=true)";
// over 1000 elements, long dimensions show their first and last 3 values around "...";
// "tensor(undefined)" for an empty handle.
template <class T>
std::ostream& operator<<(std::ostream& os, const TensorT<T>& t);

using Tensor = TensorT<float>;    // the default: float32, as PyTorch's
using TensorD = TensorT<double>;  // double: gradient checks

// ---- recording ops --------------------------------------------------------------

// True when an op on these inputs must be recorded.
template <class Range>
bool needs_grad(const Range& inputs) {
    if (!is_grad_enabled()) return false;
    for (const auto& t : inputs)
        if (t.defined() && t.requires_grad()) return true;
    return false;
}

namespace detail {
template <class T, class Range>
void remember_inputs(TapeEntry<T>& entry, const Range& inputs) {
    for (const auto& t : inputs)
        if (const auto* im = TensorAccess::impl(t); im && im->is_leaf && im->requires_grad) entry.leaves.push_back(im);
    if (!is_anomaly_enabled()) return;
    for (const auto& t : inputs) entry.inputs.push_back(TensorAccess::shared(t));
}

template <class T, class F, class Range>
TensorT<T> record_single(TensorT<T> out, F&& backward, const Range& inputs, const char* op) {
    TensorAccess::impl(out)->requires_grad = true;
    TensorAccess::impl(out)->is_leaf = false;
    TapeEntry<T> entry;
    entry.outputs.push_back(TensorAccess::shared(out));
    entry.backward = [fn = std::forward<F>(backward)](const std::vector<TensorT<T>>& outs) {
        auto* o = TensorAccess::impl(outs[0]);
        fn(o->grad, o->value);
    };
    entry.op = op;
    remember_inputs(entry, inputs);
    tape_push(std::move(entry));
    return out;
}
}  // namespace detail

// Make the result of a single-output op and, if needed, record it:
//   backward(grad_out, out_value) adds into the gradients of the inputs it captured.
// `where` names the op in anomaly mode's messages: the calling function, by default.
template <class T, class F>
TensorT<T> make_op(xt::xarray<T>&& value, std::initializer_list<TensorT<T>> inputs, F&& backward,
                   detail::SourceLocation where = detail::SourceLocation::current()) {
    TensorT<T> out(std::move(value));
    if (!needs_grad(inputs)) return out;
    return detail::record_single(std::move(out), std::forward<F>(backward), inputs, where.function_name());
}
template <class T, class F>
TensorT<T> make_op(xt::xarray<T>&& value, const std::vector<TensorT<T>>& inputs, F&& backward,
                   detail::SourceLocation where = detail::SourceLocation::current()) {
    TensorT<T> out(std::move(value));
    if (!needs_grad(inputs)) return out;
    return detail::record_single(std::move(out), std::forward<F>(backward), inputs, where.function_name());
}

// Record an op with several outputs (a recurrent layer returns output, h_n and c_n).
// backward(outputs) reads outputs[i].has_grad() / grad(); an output that received no
// gradient has has_grad() false. op and inputs serve anomaly mode's messages.
template <class T, class F>
void record_multi(const std::vector<TensorT<T>>& outputs, F&& backward, const char* op = "multi-output op",
                  const std::vector<TensorT<T>>& inputs = {}) {
    detail::TapeEntry<T> entry;
    for (const auto& o : outputs) {
        auto* im = detail::TensorAccess::impl(o);
        im->requires_grad = true;
        im->is_leaf = false;
        entry.outputs.push_back(detail::TensorAccess::shared(o));
    }
    entry.backward = std::forward<F>(backward);
    entry.op = op;
    detail::remember_inputs(entry, inputs);
    detail::tape_push(std::move(entry));
}

// Number of entries on this thread's tape, and a way to drop them all
// (outputs of dropped entries can no longer be back-propagated through).
template <class T = float>
std::size_t tape_size();
template <class T = float>
void clear_tape();

// ---- inline members ---------------------------------------------------------------

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
