/// \file
/// DistributedDataParallel: after loss.backward(), every parameter's gradient is the mean
/// of that gradient over all ranks, as with torch.nn.parallel.DistributedDataParallel.
///
///   xg::distributed::Environment env(argc, argv);
///   Model model(...);
///   xg::distributed::DistributedDataParallel ddp(model);  // broadcasts rank 0's parameters
///   for (...) {                                            // each rank: its own local batch
///       optimizer.zero_grad();
///       loss(model, local_batch).backward();               // gradients averaged in here
///       optimizer.step();                                   // same step on every rank
///   }
///
/// Gradients travel in buckets of about bucket_cap_mb (one allreduce per bucket, not per
/// parameter), in the reverse of the module's parameter order. A bucket starts (MPI's
/// non-blocking allreduce) as soon as its gradients are final during the backward, so it
/// overlaps the rest of the backward; buckets always start in the same order on every
/// rank. backward() returns once all are done. It watches backward() on the thread that
/// made it; with one rank it does nothing at all.
///
/// Each rank's loss is a mean over its local batch of B/N, so the averaged gradient is the
/// gradient of the mean over the global batch B: N ranks take the same steps as one
/// process with batch B. When local batches differ in size, scale each rank's loss by
/// xg::data::shard_loss_scale (data/shard.hpp) to keep that true.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "nn/module.hpp"

namespace xg::distributed {

/// DistributedDataParallel's options, chainable: DDPOptions().bucket_cap_mb(50).overlap(false).
struct DDPOptions {
    /// Bucket size in MiB, > 0; 25 by default, torch's default bucket size.
    DDPOptions& bucket_cap_mb(double v) { bucket_cap_mb_ = v; return *this; }
    /// Start buckets during the backward; off: all of them after it.
    DDPOptions& overlap(bool v) { overlap_ = v; return *this; }
    /// Make every rank start from rank 0's parameters.
    DDPOptions& broadcast_parameters(bool v) { broadcast_parameters_ = v; return *this; }

    /// Bucket size in MiB (25 unless set).
    double bucket_cap_mb() const { return bucket_cap_mb_; }
    /// Whether buckets start during the backward (true unless set).
    bool overlap() const { return overlap_; }
    /// Whether construction broadcasts rank 0's parameters (true unless set).
    bool broadcast_parameters() const { return broadcast_parameters_; }

private:
    double bucket_cap_mb_ = 25.0;
    bool overlap_ = true;
    bool broadcast_parameters_ = true;
};

/// Averages the gradients of a module over all ranks during backward(), as
/// torch.nn.parallel.DistributedDataParallel (see ddp.hpp). Unlike torch's it
/// does not wrap the forward: call the module itself.
class DistributedDataParallel {
public:
    /// The module must outlive this; its parameter list must not change afterwards.
    explicit DistributedDataParallel(nn::Module& module, DDPOptions options = DDPOptions());
    ~DistributedDataParallel();
    DistributedDataParallel(const DistributedDataParallel&) = delete;
    DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

    /// The module whose gradients this averages (PyTorch's ddp.module).
    nn::Module& module() { return *module_; }

    /// Averages every gradient now. For a rank that has no data this step: zero_grad(),
    /// then synchronize() while the others call backward(), so it still takes part.
    void synchronize();

    /// torch's no_sync(): while the returned guard lives, backward() only accumulates local
    /// gradients (gradient accumulation); the next backward after it averages the sum.
    class NoSync {
    public:
        /// Turns averaging off until this guard is destroyed.
        explicit NoSync(DistributedDataParallel& ddp) : ddp_(&ddp) { ddp_->sync_ = false; }
        ~NoSync() { ddp_->sync_ = true; }
        NoSync(const NoSync&) = delete;
        NoSync& operator=(const NoSync&) = delete;

    private:
        DistributedDataParallel* ddp_;
    };
    /// The NoSync guard: `{ auto guard = ddp.no_sync(); loss.backward(); }`, as torch's
    /// `with ddp.no_sync():`.
    NoSync no_sync() { return NoSync(*this); }

    /// Parameter indices (into module().parameters()) of each bucket, in the order they go.
    const std::vector<std::vector<std::size_t>>& buckets() const { return buckets_; }

    /// Time backward() spent on gradients after its own work was done (waiting for the
    /// last allreduces and copying back), summed over calls: the overhead data parallelism
    /// adds to a step. reset_stats() starts again.
    double sync_seconds() const { return sync_seconds_; }
    /// How many times gradients were averaged (backwards outside no_sync(), and
    /// synchronize() calls) since construction or reset_stats(); 0 with one rank.
    std::size_t syncs() const { return syncs_; }
    /// Sets sync_seconds() and syncs() back to 0.
    void reset_stats() { sync_seconds_ = 0; syncs_ = 0; }

private:
    struct State;
    void on_ready(std::size_t param);
    void on_done(bool ok);
    void launch_ready_buckets();
    void finish();

    nn::Module* module_;
    DDPOptions options_;
    bool sync_ = true;
    std::vector<std::vector<std::size_t>> buckets_;
    std::unique_ptr<State> state_;
    double sync_seconds_ = 0;
    std::size_t syncs_ = 0;
};

}  // namespace xg::distributed
