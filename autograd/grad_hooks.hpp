/// \file
/// Grad-ready hooks: during a backward on this thread, say when a watched leaf's gradient
/// is final, i.e. no tape entry left to run can add to it (torch's
/// register_post_accumulate_grad_hook, for a set of leaves at once). Data-parallel training
/// uses them to start averaging a bucket of gradients while the rest of the backward runs.
///
///   xg::GradReadyHook<float> hook;
///   hook.watched = {w, b};
///   hook.ready = [&](std::size_t i) { ... watched[i]'s grad() is complete ... };
///   hook.done = [&](bool ok) { ... the backward ended (ok: without an exception) ... };
///   xg::GradReadyHookGuard<float> on(hook);   // registered for this thread until `on` dies
///
/// A backward calls ready(i) once for every watched leaf, in tape order (a leaf no entry
/// uses is reported at the end), then done(true); hooks run with gradients off. A backward
/// whose root is itself a leaf calls nothing.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

/// Leaves to watch and the callbacks a backward on this thread makes for them; active while
/// a GradReadyHookGuard holds it.
template <class T>
struct GradReadyHook {
    std::vector<TensorT<T>> watched;  ///< leaves
    std::function<void(std::size_t index)> ready;  ///< called once per watched leaf, with its index, when its gradient is final
    std::function<void(bool ok)> done;             ///< called when the backward ends; ok is false after an exception
};

namespace detail {
template <class T>
std::vector<GradReadyHook<T>*>& grad_ready_hooks();  ///< this thread's
/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_GRAD_HOOK_FUNCTIONS(T, OP, OVERLOAD) OP(T, grad_ready_hooks)
XG_DECLARE_OPS(XG_GRAD_HOOK_FUNCTIONS)
}

/// Registers a GradReadyHook for this thread's backward passes for the guard's lifetime
/// (RAII; not copyable). The hook must outlive the guard.
template <class T>
class GradReadyHookGuard {
public:
    /// Registers hook until this guard is destroyed.
    explicit GradReadyHookGuard(GradReadyHook<T>& hook) : hook_(&hook) { detail::grad_ready_hooks<T>().push_back(hook_); }
    ~GradReadyHookGuard() { std::erase(detail::grad_ready_hooks<T>(), hook_); }
    GradReadyHookGuard(const GradReadyHookGuard&) = delete;
    GradReadyHookGuard& operator=(const GradReadyHookGuard&) = delete;

private:
    GradReadyHook<T>* hook_;
};

}  // namespace xg
