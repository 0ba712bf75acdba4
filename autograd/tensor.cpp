#include "autograd/tensor.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "autograd/detail.hpp"
#include "autograd/grad_hooks.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "core/parallel.hpp"

namespace xg::build_flags {
bool xtensor_array_type(XTENSOR_DEFAULT_ALLOCATOR(float)*, Layout*) { return true; }
}  // namespace xg::build_flags

namespace xg {

std::string shape_str(const Shape& s) {
    std::ostringstream os;
    os << '(';
    for (std::size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
    os << ')';
    return os.str();
}

std::vector<long> to_longs(std::initializer_list<Dim> dims) {
    std::vector<long> out;
    out.reserve(dims.size());
    for (const Dim& d : dims) out.push_back(d.value);
    return out;
}

namespace {
thread_local bool grad_enabled = true;
thread_local bool frees_graph = false;  // the running backward's !retain_graph

}

static std::atomic<bool> anomaly_enabled{false};

bool is_grad_enabled() { return grad_enabled; }
bool backward_frees_graph() { return frees_graph; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

void detect_anomaly(bool enabled) { anomaly_enabled.store(enabled, std::memory_order_relaxed); }
bool is_anomaly_enabled() { return anomaly_enabled.load(std::memory_order_relaxed); }

// ---- the tape -------------------------------------------------------------------

namespace detail {

template <class T>
struct Tape {
    std::vector<TapeEntry<T>> entries;
    std::size_t prune_at = 4096;

    // Drop entries nobody can reach any more: all their outputs are held only by the
    // tape (use_count 1). Walking from the back lets a dropped entry release its inputs
    // before their own entries are looked at. Keeps memory bounded when a model runs
    // forward without ever calling backward (evaluation without NoGradGuard).
    void prune() {
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
            if (!held_only_here(*it)) continue;
            it->backward = nullptr;
            it->values.clear();
            it->outputs.clear();
        }
        entries.erase(std::remove_if(entries.begin(), entries.end(), [](const TapeEntry<T>& e) { return e.outputs.empty(); }),
                      entries.end());
        prune_at = std::max<std::size_t>(4096, 2 * entries.size());
    }

    // Nothing but this entry refers to its outputs (its values, if kept, count once more).
    static bool held_only_here(const TapeEntry<T>& e) {
        const long own = e.values.empty() ? 1 : 2;
        bool dead = !e.outputs.empty();
        for (const auto& o : e.outputs) dead = dead && o.use_count() == own;
        return dead;
    }

    void clear() {
        for (auto& e : entries)
            for (auto& o : e.outputs) o->freed = true;
        entries.clear();
        prune_at = 4096;
    }
};

template <class T>
Tape<T>& tape() {
    thread_local Tape<T> t;
    return t;
}

template <class T>
void tape_push(TapeEntry<T>&& entry) {
    auto& t = tape<T>();
    t.entries.push_back(std::move(entry));
    if (t.entries.size() >= t.prune_at) t.prune();
}

template <class T>
void record(const std::vector<TensorT<T>>& outputs, bool keep_values, EntryBackward<T> backward, const char* op,
            const TensorT<T>* inputs, std::size_t input_count) {
    TapeEntry<T> entry;
    for (const auto& o : outputs) {
        auto* im = TensorAccess::impl(o);
        im->requires_grad = true;
        im->is_leaf = false;
        entry.outputs.push_back(TensorAccess::shared(o));
    }
    if (keep_values) entry.values = outputs;
    entry.backward = std::move(backward);
    entry.op = op;
    for (std::size_t i = 0; i < input_count; ++i)
        if (const auto* im = TensorAccess::impl(inputs[i]); im && im->is_leaf && im->requires_grad) entry.leaves.push_back(im);
    if (is_anomaly_enabled())
        for (std::size_t i = 0; i < input_count; ++i) entry.inputs.push_back(TensorAccess::shared(inputs[i]));
    tape_push(std::move(entry));
}

// "xg::TensorT<T> xg::log(const TensorT<T>&) [with T = float]" -> "log"
std::string op_name(const char* op) {
    if (!op) return "an op";
    std::string s(op);
    const std::size_t paren = s.find('(');
    if (paren == std::string::npos) return s;
    std::string head = s.substr(0, paren);
    const std::size_t space = head.rfind(' ');
    if (space != std::string::npos) head = head.substr(space + 1);
    const std::size_t colons = head.rfind("::");
    if (colons != std::string::npos) head = head.substr(colons + 2);
    return head.empty() ? s : head;
}

template <class T>
const char* non_finite(const TensorImpl<T>* t) {
    if (!t || !t->has_grad) return nullptr;
    const T* p = t->grad.data();
    for (std::size_t i = 0, n = t->grad.size(); i < n; ++i) {
        if (std::isnan(p[i])) return "nan";
        if (std::isinf(p[i])) return "inf";
    }
    return nullptr;
}

// Anomaly mode: an input whose gradient was finite before this entry ran and is not after it.
template <class T>
void check_entry(const TapeEntry<T>& e, const std::vector<bool>& bad_before) {
    for (std::size_t k = 0; k < e.inputs.size(); ++k) {
        const char* what = bad_before[k] ? nullptr : non_finite(e.inputs[k].get());
        if (!what) continue;
        std::ostringstream msg;
        msg << "anomaly: " << op_name(e.op) << " (output " << shape_str(e.outputs[0]->shape()) << ") returned " << what
            << " in its gradient for input " << k << " of shape " << shape_str(e.inputs[k]->shape());
        throw std::runtime_error(msg.str());
    }
}

// ---- backward, step by step (docs/autograd.md tells it in this order) --------------

// 1. d(root) = the given gradient, or 1 for a one-element root, after the checks.
template <class T>
void seed_gradient(const TensorT<T>& root, const xt::xarray<T>* seed) {
    auto* im = TensorAccess::impl(root);
    XG_CHECK(im->requires_grad, "backward: the tensor does not require grad and has no history "
                                "(did you forget requires_grad, or compute it under NoGradGuard?)");
    XG_CHECK(!im->freed, "backward: trying to backward through the graph a second time (its tape entries were "
                         "freed by the first backward); call backward(/*retain_graph=*/true) the first time");
    if (seed) {
        XG_CHECK(seed->shape() == im->value.shape(), "backward: gradient of shape " << shape_str(seed->shape())
                                                                                    << " for an output of shape "
                                                                                    << shape_str(im->value.shape()));
        root.add_grad(*seed);
    } else {
        XG_CHECK(im->value.size() == 1, "backward: grad can be implicitly created only for a one-element output, got shape "
                                            << shape_str(im->value.shape())
                                            << "; sum it first or pass the output gradient: backward(grad)");
        root.add_grad(xt::ones_like(im->value));
    }
}

// 2. Only gradients that arrive in this backward may flow. A non-leaf that still holds one
// from an earlier backward (retain_grad) sets it aside here and gets it back, summed with
// this pass's, once its entry has run; otherwise it would be pushed through again.
template <class T>
class EarlierGradients {
public:
    EarlierGradients(Tape<T>& t, const TensorImpl<T>* root) {
        for (auto& e : t.entries)
            for (auto& o : e.outputs)
                if (o->has_grad && o.get() != root) {
                    stash_.emplace(o.get(), std::move(o->grad));
                    o->grad = xt::xarray<T>();
                    o->has_grad = false;
                }
    }
    // After o's entry ran: its gradient is spent (freeing it keeps memory low and makes a
    // retained second backward start from zero), unless retain_grad keeps it, with the earlier one added.
    void settle(TensorImpl<T>& o) {
        auto old = stash_.find(&o);
        if (!o.retain_grad) {
            o.grad = xt::xarray<T>();
            o.has_grad = false;
        } else if (old != stash_.end()) {
            if (o.has_grad) old->second += o.grad;
            o.grad = std::move(old->second);
            o.has_grad = true;
        }
        if (old != stash_.end()) stash_.erase(old);
    }
    // Entries this backward did not reach get back what they held.
    void restore() {
        for (auto& [o, g] : stash_) {
            o->grad = std::move(g);
            o->has_grad = true;
        }
        stash_.clear();
    }

private:
    std::unordered_map<TensorImpl<T>*, xt::xarray<T>> stash_;
};

// 3. Grad-ready hooks (DDP): a watched leaf is final once the first entry that uses it has
// been passed (the walk goes backwards); leaves no entry uses are reported at the end.
template <class T>
class ReadyHooks {
public:
    explicit ReadyHooks(const Tape<T>& t) : hooks_(grad_ready_hooks<T>()) {
        if (hooks_.empty()) return;
        std::unordered_map<const TensorImpl<T>*, std::size_t> first_use;
        for (std::size_t k = t.entries.size(); k-- > 0;)
            for (const auto* leaf : t.entries[k].leaves) first_use[leaf] = k;
        ready_after_.resize(t.entries.size());
        for (auto* h : hooks_)
            for (std::size_t i = 0; i < h->watched.size(); ++i) {
                auto it = first_use.find(TensorAccess::impl(h->watched[i]));
                (it == first_use.end() ? unused_ : ready_after_[it->second]).push_back({h, i});
            }
    }
    // before entry k runs: the leaves whose first use was entry k + 1 are final
    void before_entry(std::size_t k) {
        if (k + 1 < ready_after_.size()) fire(ready_after_[k + 1]);
    }
    void finish() {
        if (!ready_after_.empty()) fire(ready_after_[0]);
        fire(unused_);
        for (auto* h : hooks_)
            if (h->done) h->done(true);
    }
    void abort() noexcept {
        for (auto* h : hooks_)
            if (h->done) try {
                    h->done(false);
                } catch (...) {
                }
    }

private:
    struct Ready {
        GradReadyHook<T>* hook;
        std::size_t index;
    };
    static void fire(const std::vector<Ready>& list) {
        for (const auto& r : list) r.hook->ready(r.index);
    }
    std::vector<GradReadyHook<T>*>& hooks_;
    std::vector<std::vector<Ready>> ready_after_;
    std::vector<Ready> unused_;
};

// An entry runs when one of its outputs got a gradient: it lies on a path from the root.
template <class T>
bool reached(const TapeEntry<T>& e) {
    bool any = false;
    for (const auto& o : e.outputs) any = any || o->has_grad;
    return any && e.backward;
}

// 4. One entry's backward; in anomaly mode (the entry recorded its inputs) it is checked too.
template <class T>
void run_entry(TapeEntry<T>& e) {
    std::vector<GradSlot<T>> grads;
    for (const auto& o : e.outputs) grads.push_back(TensorAccess::slot(o));
    if (e.inputs.empty()) {
        e.backward(grads, e.values);
        return;
    }
    std::vector<bool> bad_before(e.inputs.size());
    for (std::size_t i = 0; i < e.inputs.size(); ++i) bad_before[i] = non_finite(e.inputs[i].get()) != nullptr;
    e.backward(grads, e.values);
    check_entry(e, bad_before);
}

// 5. After an exception: no half-propagated gradients left for the next backward.
template <class T>
void roll_back(Tape<T>& t, EarlierGradients<T>& earlier) {
    for (auto& e : t.entries)
        for (auto& o : e.outputs)
            if (!o->retain_grad) {
                o->grad = xt::xarray<T>();
                o->has_grad = false;
            }
    earlier.restore();
}

// 6. Free the entries this backward went through; other graphs on the tape stay usable.
template <class T>
void free_entries(Tape<T>& t, const std::vector<bool>& ran) {
    std::size_t kept = 0;
    for (std::size_t k = 0; k < t.entries.size(); ++k) {
        if (ran[k]) {
            for (auto& o : t.entries[k].outputs) o->freed = true;
            continue;
        }
        if (kept != k) t.entries[kept] = std::move(t.entries[k]);
        ++kept;
    }
    t.entries.resize(kept);
    // Entries this backward did not reach and nobody can reach any more (a layer's final
    // state that the model dropped) would hold their inputs until the next prune.
    if (!t.entries.empty()) t.prune();
}

// The walk itself: newest entry first, each that the gradient reached runs once.
template <class T>
void run_backward(const TensorT<T>& root, const xt::xarray<T>* seed, bool retain_graph) {
    seed_gradient(root, seed);
    if (TensorAccess::impl(root)->is_leaf) return;
    NoGradGuard no_grad;  // backward functions never record
    struct FreesGraph {
        bool before = frees_graph;
        explicit FreesGraph(bool frees) { frees_graph = frees; }
        ~FreesGraph() { frees_graph = before; }
    } frees(!retain_graph);
    auto& t = tape<T>();
    EarlierGradients<T> earlier(t, TensorAccess::impl(root));
    ReadyHooks<T> hooks(t);
    std::vector<bool> ran(t.entries.size(), false);
    try {
        for (std::size_t k = t.entries.size(); k-- > 0;) {
            hooks.before_entry(k);
            auto& e = t.entries[k];
            if (!reached(e)) continue;
            run_entry(e);
            ran[k] = true;
            for (const auto& o : e.outputs) earlier.settle(*o);
        }
        hooks.finish();
    } catch (...) {
        hooks.abort();
        roll_back(t, earlier);
        throw;
    }
    earlier.restore();
    if (!retain_graph) free_entries(t, ran);
}

template <class T>
std::vector<GradReadyHook<T>*>& grad_ready_hooks() {
    thread_local std::vector<GradReadyHook<T>*> hooks;
    return hooks;
}
XG_DEFINE_OPS(XG_GRAD_HOOK_FUNCTIONS)

template struct Tape<float>;
template struct Tape<double>;
XG_DEFINE_OPS(XG_RECORD_FUNCTIONS)

}  // namespace detail

template <class T>
std::size_t tape_size() {
    return detail::tape<T>().entries.size();
}
template <class T>
void clear_tape() {
    detail::tape<T>().clear();
}

// ---- TensorT members ------------------------------------------------------------

template <class T>
TensorT<T>::TensorT(array_type value, bool requires_grad) : impl_(std::make_shared<detail::TensorImpl<T>>()) {
    impl_->value = std::move(value);
    impl_->requires_grad = requires_grad;
    impl_->handles = 1;
}

template <class T>
TensorT<T>::TensorT(const TensorT& other) : impl_(other.impl_) {
    if (impl_) impl_->handles.fetch_add(1, std::memory_order_relaxed);
}

template <class T>
TensorT<T>::TensorT(TensorT&& other) noexcept : impl_(std::move(other.impl_)) {}

template <class T>
TensorT<T>& TensorT<T>::operator=(const TensorT& other) {
    if (impl_ != other.impl_) *this = TensorT(other);
    return *this;
}

template <class T>
TensorT<T>& TensorT<T>::operator=(TensorT&& other) noexcept {
    if (this != &other) {
        drop();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

template <class T>
TensorT<T>::~TensorT() {
    drop();
}

// The last TensorT releases the value when a value-less handle still holds the rest.
template <class T>
void TensorT<T>::drop() noexcept {
    if (impl_ && impl_->handles.fetch_sub(1, std::memory_order_acq_rel) == 1 && impl_.use_count() > 1) impl_->release_value();
    impl_.reset();
}

template <class T>
void TensorT<T>::check_defined(const char* what) const {
    XG_CHECK(impl_ != nullptr, what << ": the tensor is empty (default-constructed handle)");
}

template <class T>
typename TensorT<T>::array_type& TensorT<T>::value() const {
    check_defined("value");
    return impl_->value;
}

template <class T>
typename TensorT<T>::array_type& TensorT<T>::grad() const {
    check_defined("grad");
    return impl_->read_grad();
}

template <class T>
typename TensorT<T>::array_type& TensorT<T>::mutable_grad() const {
    check_defined("mutable_grad");
    auto& im = *impl_;
    if (!im.has_grad) {
        im.grad = xt::zeros<T>(im.value.shape());
        im.has_grad = true;
    }
    return im.grad;
}

template <class T>
void TensorT<T>::set_grad(array_type grad) const {
    check_defined("set_grad");
    XG_CHECK(detail::shapes_equal(grad.shape(), impl_->value.shape()),
             "set_grad: gradient of shape " << shape_str(grad.shape()) << " for a tensor of shape " << shape_str(shape()));
    impl_->grad = std::move(grad);
    impl_->has_grad = true;
}

template <class T>
void TensorT<T>::clear_grad() const {
    check_defined("clear_grad");
    impl_->grad = array_type();
    impl_->has_grad = false;
}

template <class T>
typename TensorT<T>::array_type& TensorT<T>::grad_buffer() const {
    check_defined("grad");
    return impl_->grad_buffer();
}

template <class T>
bool TensorT<T>::has_grad() const {
    return impl_ && impl_->has_grad;
}

template <class T>
void TensorT<T>::zero_grad() const {
    check_defined("zero_grad");
    if (!impl_->has_grad) return;
    T* g = impl_->grad.data();  // in blocks over the threads: an optimizer zeroes every parameter each step
    parallel_blocks(impl_->grad.size(), std::size_t(1) << 16, [g](std::size_t first, std::size_t last) { std::fill(g + first, g + last, T(0)); });
}

template <class T>
bool TensorT<T>::requires_grad() const {
    return impl_ && impl_->requires_grad;
}

template <class T>
const TensorT<T>& TensorT<T>::requires_grad_(bool flag) const {
    check_defined("requires_grad_");
    XG_CHECK(impl_->is_leaf, "requires_grad_: only a leaf tensor's flag can be changed; use detach() for a non-leaf");
    impl_->requires_grad = flag;
    return *this;
}

template <class T>
bool TensorT<T>::is_leaf() const {
    return !impl_ || impl_->is_leaf;
}

template <class T>
void TensorT<T>::retain_grad() const {
    check_defined("retain_grad");
    impl_->retain_grad = true;
}

template <class T>
Shape TensorT<T>::shape() const {
    check_defined("shape");
    const auto& s = impl_->value.shape();
    return Shape(s.begin(), s.end());
}

template <class T>
std::size_t TensorT<T>::dim() const {
    check_defined("dim");
    return impl_->value.dimension();
}

template <class T>
std::size_t TensorT<T>::size(long d) const {
    const long n = static_cast<long>(dim());
    XG_CHECK(d >= -n && d < n, "size: dimension " << d << " out of range for a tensor of shape " << shape_str(shape()));
    return impl_->value.shape()[static_cast<std::size_t>(d < 0 ? d + n : d)];
}

template <class T>
std::size_t TensorT<T>::numel() const {
    check_defined("numel");
    return impl_->value.size();
}

template <class T>
T TensorT<T>::item() const {
    check_defined("item");
    XG_CHECK(impl_->value.size() == 1, "item: the tensor has " << impl_->value.size() << " elements (shape "
                                                                << shape_str(shape()) << "), not one");
    return impl_->value.data()[0];
}

template <class T>
void TensorT<T>::backward(bool retain_graph) const {
    check_defined("backward");
    detail::run_backward<T>(*this, nullptr, retain_graph);
}

template <class T>
void TensorT<T>::backward(const array_type& grad_output, bool retain_graph) const {
    check_defined("backward");
    detail::run_backward<T>(*this, &grad_output, retain_graph);
}

template <class T>
TensorT<T> TensorT<T>::detach() const {
    check_defined("detach");
    return TensorT<T>(impl_->value, false);
}

template <class T>
TensorT<T> TensorT<T>::sum() const {
    return xg::sum(*this);
}
template <class T>
TensorT<T> TensorT<T>::mean() const {
    return xg::mean(*this);
}
template <class T>
TensorT<T> TensorT<T>::reshape(const Shape& s) const {
    return xg::reshape(*this, s);
}
template <class T>
TensorT<T> TensorT<T>::transpose(long d0, long d1) const {
    return xg::transpose(*this, d0, d1);
}

namespace {
// Nested braces, as xtensor writes literals; a dimension longer than 6 in a tensor of over
// 1000 elements shows its first and last 3 entries around "...", as PyTorch summarises.
template <class T>
void print_values(std::ostream& os, const xt::xarray<T>& v, std::size_t dim, std::size_t offset, bool summarize) {
    if (dim == v.dimension()) {
        os << v.data()[offset];
        return;
    }
    const std::size_t n = v.shape()[dim], stride = v.strides()[dim];
    os << '{';
    for (std::size_t i = 0; i < n; ++i) {
        if (summarize && n > 6 && i == 3) {
            os << "..., ";
            i = n - 3;
        }
        print_values(os, v, dim + 1, offset + i * stride, summarize);
        if (i + 1 < n) os << ", ";
    }
    os << '}';
}
}  // namespace

template <class T>
std::ostream& operator<<(std::ostream& os, const TensorT<T>& t) {
    if (!t.defined()) return os << "tensor(undefined)";
    os << "tensor(";
    print_values(os, t.value(), 0, 0, t.numel() > 1000);
    if (t.requires_grad()) os << ", requires_grad=true";
    return os << ")";
}

XG_DEFINE_CLASS(TensorT)
XG_DEFINE_OPS(XG_TENSOR_FUNCTIONS)

}  // namespace xg
