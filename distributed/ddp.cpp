#include "distributed/ddp.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "core/error.hpp"
#include "autograd/grad_hooks.hpp"
#include "distributed/collectives.hpp"
#include "distributed/detail.hpp"
#include "distributed/process_group.hpp"

namespace xg::distributed {

struct DistributedDataParallel::State {
    std::vector<Tensor> params;              // module().parameters(), in that order
    std::vector<std::size_t> bucket_of;      // by parameter
    std::vector<std::size_t> offset;         // by parameter: where it sits in its bucket
    std::vector<std::vector<float>> flat;    // by bucket: the gradients, contiguous
    std::vector<std::size_t> waiting;        // by bucket: parameters not yet final
    std::size_t launched = 0;                // buckets 0 .. launched-1 are under way
    std::vector<detail::PendingSum> pending;
    GradReadyHook<float> hook;
    std::optional<GradReadyHookGuard<float>> guard;
};

DistributedDataParallel::DistributedDataParallel(nn::Module& module, DDPOptions options)
    : module_(&module), options_(options), state_(std::make_unique<State>()) {
    XG_CHECK(options_.bucket_cap_mb() > 0, "DistributedDataParallel: bucket_cap_mb must be > 0, got " << options_.bucket_cap_mb());
    auto& s = *state_;
    s.params = module.parameters();
    if (options_.broadcast_parameters()) broadcast_parameters(module, 0);
    else check_same(static_cast<std::int64_t>(s.params.size()), "the number of parameters");

    // Buckets in reverse parameter order: a model's last layers get their gradients first.
    const auto cap = static_cast<std::size_t>(options_.bucket_cap_mb() * 1024 * 1024 / sizeof(float));
    s.bucket_of.resize(s.params.size());
    s.offset.resize(s.params.size());
    std::size_t filled = 0;
    for (std::size_t i = s.params.size(); i-- > 0;) {
        const std::size_t n = s.params[i].numel();
        if (buckets_.empty() || (filled > 0 && filled + n > cap)) {
            buckets_.emplace_back();
            filled = 0;
        }
        buckets_.back().push_back(i);
        s.bucket_of[i] = buckets_.size() - 1;
        s.offset[i] = filled;
        filled += n;
    }
    for (const auto& b : buckets_) {
        std::size_t n = 0;
        for (auto i : b) n += s.params[i].numel();
        s.flat.emplace_back(n);
        s.waiting.push_back(b.size());
    }
    if (world_size() == 1) return;  // nothing to average: no hook, no cost
    s.hook.watched = s.params;
    s.hook.ready = [this](std::size_t i) { on_ready(i); };
    s.hook.done = [this](bool ok) { on_done(ok); };
    s.guard.emplace(s.hook);
}

DistributedDataParallel::~DistributedDataParallel() = default;

void DistributedDataParallel::on_ready(std::size_t i) {
    if (!sync_) return;
    auto& s = *state_;
    const auto& p = s.params[i];
    float* dst = s.flat[s.bucket_of[i]].data() + s.offset[i];
    if (p.has_grad()) std::memcpy(dst, p.grad().data(), p.numel() * sizeof(float));
    else std::fill(dst, dst + p.numel(), 0.0f);  // unused here; maybe not on another rank
    --s.waiting[s.bucket_of[i]];
    if (options_.overlap()) launch_ready_buckets();
}

// Buckets start strictly in index order, so every rank issues the same collectives in the
// same order whatever order its gradients became final in.
void DistributedDataParallel::launch_ready_buckets() {
    auto& s = *state_;
    while (s.launched < buckets_.size() && s.waiting[s.launched] == 0) {
        auto& f = s.flat[s.launched];
        s.pending.emplace_back(f.data(), f.size());
        ++s.launched;
    }
    for (auto& p : s.pending) p.test();  // MPI moves data only inside its calls
}

void DistributedDataParallel::on_done(bool ok) {
    if (!sync_) return;
    auto& s = *state_;
    if (!ok) {  // the backward threw: drop this step's exchange, the job is failing
        for (auto& p : s.pending) p.abandon();
        s.pending.clear();
        s.launched = 0;
        for (std::size_t b = 0; b < buckets_.size(); ++b) s.waiting[b] = buckets_[b].size();
        return;
    }
    finish();
}

void DistributedDataParallel::finish() {
    auto& s = *state_;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t b = 0; b < buckets_.size(); ++b)
        XG_CHECK(s.waiting[b] == 0, "DistributedDataParallel: internal: bucket " << b << " still waits for "
                                                                                 << s.waiting[b] << " gradients");
    launch_ready_buckets();
    const float scale = 1.0f / static_cast<float>(world_size());
    for (std::size_t b = 0; b < buckets_.size(); ++b) {
        s.pending[b].wait();
        for (auto i : buckets_[b]) {
            const auto& p = s.params[i];
            const float* src = s.flat[b].data() + s.offset[i];
            float* g = p.mutable_grad().data();
            for (std::size_t j = 0, n = p.numel(); j < n; ++j) g[j] = src[j] * scale;
        }
        s.waiting[b] = buckets_[b].size();
    }
    s.pending.clear();
    s.launched = 0;
    sync_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++syncs_;
}

void DistributedDataParallel::synchronize() {
    if (world_size() == 1) return;
    XG_CHECK(sync_, "DistributedDataParallel::synchronize inside no_sync()");
    XG_CHECK(state_->launched == 0, "DistributedDataParallel::synchronize during a backward");
    const bool overlap = options_.overlap();
    options_.overlap(false);  // fill every bucket first, then send them in order
    for (std::size_t i = 0; i < state_->params.size(); ++i) on_ready(i);
    options_.overlap(overlap);
    finish();
}

}  // namespace xg::distributed
