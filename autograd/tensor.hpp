/// \file
/// Tensor: a cheap shared handle to a value, its gradient and a requires_grad flag,
/// plus the per-thread tape that records differentiable ops for reverse mode.
///
///   xg::Tensor w = xg::randn({3, 4}, /*requires_grad=*/true);
///   xg::Tensor loss = xg::sum(xg::tanh(xg::matmul(x, w)));
///   loss.backward();            // w.grad() now holds d(loss)/dw
///
/// Every op computes its value eagerly. When grad mode is on and an input requires
/// grad, the op appends one entry to the thread's tape: its outputs and a backward
/// function that adds into the inputs' gradients. backward() walks the tape in
/// reverse, running the entries its gradient reaches, and then frees those entries
/// (unless asked to retain them). See docs/autograd.md.
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

#include "core/instantiate.hpp"
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
bool xtensor_array_type(XTENSOR_DEFAULT_ALLOCATOR(float)*, Layout*);  ///< defined for the library's own flags only
namespace {
/// constant-initialised and kept by the compiler (gnu::used), so every object file refers to it
[[gnu::used]] bool (*const check)(XTENSOR_DEFAULT_ALLOCATOR(float)*, Layout*) = &xtensor_array_type;
}  // namespace
}  // namespace xg::build_flags

namespace xg {

using Shape = std::vector<std::size_t>;       ///< sizes, row-major
using IndexArray = xt::xarray<std::int64_t>;  ///< class ids, token ids, gather indices
using Mask = xt::xarray<bool>;                ///< where / masked_fill conditions

/// What the factories take as a shape: a Shape, or a braced list of sizes of any integer
/// types, so that xg::randn({T, B, I}) works whether T, B and I are int, long or size_t
/// (a braced list of int variables narrows into std::vector<std::size_t>: an error under
/// clang, a warning under g++). A negative size is an error.
class ShapeArg {
public:
    /// One size of a braced list: any integer type but bool and char, checked non-negative.
    struct Size {
        /// From any integer; a negative value throws xg::Error. Implicit, so {T, B, I} converts.
        template <std::integral I>
            requires(!std::same_as<I, bool> && !std::same_as<I, char>)
        Size(I v) : n(static_cast<std::size_t>(v)) {  // NOLINT: implicit, the point of it
            if constexpr (std::is_signed_v<I>) XG_CHECK(v >= 0, "shape: size " << v << " is negative");
        }
        std::size_t n;  ///< the size
    };
    /// From a Shape (copied); implicit.
    ShapeArg(const Shape& s) : shape_(s) {}                       // NOLINT: implicit
    /// From a Shape (moved); implicit.
    ShapeArg(Shape&& s) : shape_(std::move(s)) {}                 // NOLINT: implicit
    /// From a braced list of sizes of any integer types: {3, 4}; implicit.
    ShapeArg(std::initializer_list<Size> sizes) {                 // NOLINT: implicit
        for (const Size& s : sizes) shape_.push_back(s.n);
    }
    /// The shape, so a ShapeArg passes wherever a Shape is read.
    operator const Shape&() const { return shape_; }              // NOLINT: implicit

private:
    Shape shape_;
};

/// One entry of a signed list (a shape that may hold -1, dims, indices) from any integer
/// type, so that xg::reshape(x, {n, 1, -1}) works whether n is int, long or size_t, as
/// ShapeArg does for sizes. A value beyond the range of long is an error.
struct Dim {
    /// From any integer but bool and char; an unsigned value above LONG_MAX throws xg::Error. Implicit.
    template <std::integral I>
        requires(!std::same_as<I, bool> && !std::same_as<I, char>)
    Dim(I v) : value(static_cast<long>(v)) {  // NOLINT: implicit, the point of it
        if constexpr (std::is_unsigned_v<I>)
            XG_CHECK(v <= static_cast<std::make_unsigned_t<long>>(std::numeric_limits<long>::max()), "dim: " << v << " is too large");
    }
    long value;  ///< the entry, as a long
};
/// The entries of a braced list of Dim as a std::vector<long>.
std::vector<long> to_longs(std::initializer_list<Dim> dims);

/// "(3, 4)": how every error message prints a shape.
std::string shape_str(const Shape& s);
/// shape_str of any range of sizes (an xtensor shape, a std::vector of another integer type).
template <class S>
std::string shape_str(const S& s) {
    return shape_str(Shape(s.begin(), s.end()));
}

/// Grad mode is per thread, as in PyTorch. NoGradGuard turns recording off in a scope.
bool is_grad_enabled();
/// Turns recording on or off for this thread, as torch.set_grad_enabled.
void set_grad_enabled(bool enabled);

/// Anomaly mode, as torch.autograd.set_detect_anomaly / detect_anomaly: while on, backward
/// checks the gradients each tape entry adds into its inputs, and the first NaN or inf
/// throws std::runtime_error naming the op, its output shape and the input, e.g.
/// "anomaly: log (output (32, 28)) returned nan in its gradient for input 0 of shape (32, 28)".
/// Off by default; when off, recording and backward do no extra work. Process-wide, as PyTorch's.
void detect_anomaly(bool enabled);
/// Whether anomaly mode is on, as torch.is_anomaly_enabled.
bool is_anomaly_enabled();

/// Sets anomaly mode for a scope and restores the previous setting on exit, as
/// torch.autograd.detect_anomaly(); not copyable. The mode is process-wide, not per thread.
class DetectAnomalyGuard {
public:
    /// Turns anomaly mode on (or off, given false) until the guard is destroyed.
    explicit DetectAnomalyGuard(bool enabled = true) : previous_(is_anomaly_enabled()) { detect_anomaly(enabled); }
    ~DetectAnomalyGuard() { detect_anomaly(previous_); }
    DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
    DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

private:
    bool previous_;
};

/// Turns grad mode off on this thread for a scope and restores it on exit, as torch.no_grad()
/// (libtorch's torch::NoGradGuard); not copyable.
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

template <class T>
class GradSlot;  ///< a value-less handle, for backward functions: autograd/op.hpp

namespace detail {
template <class T>
struct TensorImpl;   ///< value, gradient and flags: autograd/op.hpp
struct TensorAccess;  ///< the tape's access to them: autograd/tape.hpp (internal)
}  // namespace detail

/// A tensor of element type T, as torch.Tensor: a cheap handle whose copies share one value,
/// gradient and requires_grad flag. Use the aliases Tensor (float) and TensorD (double).
template <class T>
class TensorT {
public:
    using value_type = T;               ///< the element type
    using array_type = xt::xarray<T>;   ///< the xtensor array that holds the value and the gradient

    TensorT() = default;  ///< an empty handle; defined() is false
    /// A new leaf holding value (move it in to avoid a copy), as torch.tensor(value, requires_grad=...).
    explicit TensorT(array_type value, bool requires_grad = false);
    // Handles count themselves: the value is released with the last TensorT, even while
    // value-less handles (GradSlot) keep the gradient slot for the tape.
    TensorT(const TensorT& other);                 ///< another handle to the same value and gradient
    TensorT(TensorT&& other) noexcept;             ///< takes other's handle; other becomes empty
    TensorT& operator=(const TensorT& other);      ///< now a handle to other's value and gradient
    TensorT& operator=(TensorT&& other) noexcept;  ///< takes other's handle; other becomes empty
    ~TensorT();                                    ///< the last TensorT of a value releases it

    bool defined() const { return impl_ != nullptr; }  ///< false for a default-constructed handle

    /// The handle is shared, so value() and grad() give access even through a const
    /// handle (as dereferencing a const shared_ptr does). Changing a value that the
    /// tape still needs gives wrong gradients: do it under NoGradGuard, between steps.
    array_type& value() const;
    /// The accumulated gradient. Reading changes nothing: a tensor that has no gradient
    /// (has_grad() false, PyTorch's grad None) reads as zeros of its shape and stays without
    /// one, so optimizers still skip it. To write a gradient, use mutable_grad() or set_grad().
    array_type& grad() const;
    bool has_grad() const;       ///< a backward (or set_grad) gave it a gradient; allocates nothing
    array_type& mutable_grad() const;  ///< the gradient, created as zeros if it has none (libtorch's name)
    void set_grad(array_type grad) const;  ///< shape-checked
    void clear_grad() const;     ///< no gradient any more (PyTorch's p.grad = None)
    void zero_grad() const;      ///< grad becomes zeros (and stays allocated)

    bool requires_grad() const;  ///< gradients flow into it (false for an empty handle), as Tensor.requires_grad
    const TensorT& requires_grad_(bool flag = true) const;  ///< leaves only
    bool is_leaf() const;        ///< made by the user, not by a recorded op (true for an empty handle), as Tensor.is_leaf
    void retain_grad() const;  ///< keep this non-leaf's gradient after backward

    Shape shape() const;              ///< the sizes, as Tensor.shape
    std::size_t dim() const;          ///< the number of dims, as Tensor.dim()
    std::size_t size(long d) const;  ///< negative d counts from the end
    std::size_t numel() const;        ///< the number of elements, as Tensor.numel()
    T item() const;  ///< the single element of a one-element tensor
    /// The single element converted to U, as libtorch's `loss.item<float>()`.
    template <class U>
    U item() const {  // libtorch's loss.item<float>()
        return static_cast<U>(item());
    }
    /// Every element in row-major order, as a std::vector (PyTorch's tolist() of a flat tensor).
    std::vector<T> to_vector() const {
        const array_type& v = value();
        return std::vector<T>(v.data(), v.data() + v.size());
    }

    /// Reverse mode from this tensor. The tensor must hold one element, or pass the
    /// gradient of the output. The tape is freed afterwards unless retain_graph.
    void backward(bool retain_graph = false) const;
    /// backward() seeded with grad_output, which must have this tensor's shape (for an output of
    /// several elements), as Tensor.backward(gradient).
    void backward(const array_type& grad_output, bool retain_graph = false) const;

    /// Same values, no history, requires_grad false (a copy: cuts truncated BPTT).
    TensorT detach() const;

    /// Sugar for the free functions of the same name.
    TensorT sum() const;   ///< xg::sum(*this): the sum of all elements
    TensorT mean() const;  ///< xg::mean(*this): the mean of all elements
    TensorT reshape(const Shape& shape) const;  ///< xg::reshape(*this, shape)
    TensorT transpose(long dim0, long dim1) const;  ///< xg::transpose(*this, dim0, dim1)

    /// For op authors (defined in autograd/op.hpp): add an expression into the gradient
    /// (shape-checked), or get the gradient buffer (zeros if empty) to accumulate into
    /// directly, e.g. with gemm beta=1.
    template <class E>
    void add_grad(E&& e) const;
    /// The gradient to accumulate into, created as zeros if it has none; throws if this tensor's
    /// part of the graph was freed.
    array_type& grad_buffer() const;

    /// Handles to the same value and gradient (copies share them).
    bool is_same(const TensorT& other) const { return impl_ == other.impl_; }
    /// Which shared value this handle refers to: a key for maps and sets of tensors.
    const void* id() const { return impl_.get(); }

private:
    friend struct detail::TensorAccess;  ///< the tape's own code, in autograd/
    friend class GradSlot<T>;
    std::shared_ptr<detail::TensorImpl<T>> impl_;
    void check_defined(const char* what) const;
    void drop() noexcept;
};

/// Prints as PyTorch does, with xtensor's braces: "tensor({{1, 2}, {3, 4}}, requires_grad=true)";
/// over 1000 elements, long dimensions show their first and last 3 values around "...";
/// "tensor(undefined)" for an empty handle.
template <class T>
std::ostream& operator<<(std::ostream& os, const TensorT<T>& t);

using Tensor = TensorT<float>;    ///< the default: float32, as PyTorch's
using TensorD = TensorT<double>;  ///< double: gradient checks

/// Number of entries on this thread's tape, and a way to drop them all
/// (outputs of dropped entries can no longer be back-propagated through).
template <class T = float>
std::size_t tape_size();
/// Drops every entry on this thread's tape of element type T; outputs of dropped entries can
/// no longer be back-propagated through.
template <class T = float>
void clear_tape();

XG_EXTERN_CLASS(TensorT)
/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_TENSOR_FUNCTIONS(T, OP, OVERLOAD) \
    OP(T, tape_size) OP(T, clear_tape) OVERLOAD(T, operator<<, std::ostream&(std::ostream&, const TensorT<T>&))
XG_DECLARE_OPS(XG_TENSOR_FUNCTIONS)

}  // namespace xg
