// Every MPI call of xgrad is in this file; built without MPI, each collective is the
// single-rank identity.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "distributed/collectives.hpp"
#include "distributed/detail.hpp"
#include "distributed/process_group.hpp"

#ifdef XG_WITH_MPI
#define OMPI_SKIP_MPICXX 1  // the C API only
#include <mpi.h>
#endif

namespace xg::distributed {

namespace {
bool started = false;   // we called MPI_Init (or found MPI running) and have not finalized
bool owned = false;     // we called MPI_Init, so we call MPI_Finalize
int my_rank = 0;
int my_size = 1;
int my_local_size = 1;

#ifdef XG_WITH_MPI
int mpi_count(std::size_t n) {
    XG_CHECK(n <= static_cast<std::size_t>(std::numeric_limits<int>::max()),
             "distributed: " << n << " values in one collective; MPI counts are int");
    return static_cast<int>(n);
}
template <class T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }
template <>
MPI_Datatype mpi_type<std::int64_t>() { return MPI_INT64_T; }
#endif

bool running() { return started && my_size > 1; }

template <class T>
void all_reduce_impl(std::span<T> data, ReduceOp op) {
#ifdef XG_WITH_MPI
    if (running() && !data.empty())
        MPI_Allreduce(MPI_IN_PLACE, data.data(), mpi_count(data.size()), mpi_type<T>(), MPI_SUM, MPI_COMM_WORLD);
#endif
    if (op == ReduceOp::mean && my_size > 1)
        for (auto& v : data) v /= static_cast<T>(my_size);
}

template <class T>
void broadcast_impl(std::span<T> data, int root) {
    XG_CHECK(root >= 0 && root < world_size(), "distributed: broadcast from rank " << root << " of " << world_size());
#ifdef XG_WITH_MPI
    if (running() && !data.empty())
        MPI_Bcast(data.data(), mpi_count(data.size()), mpi_type<T>(), root, MPI_COMM_WORLD);
#else
    (void)data;
#endif
}
}  // namespace

// ---- process group ------------------------------------------------------------------

bool available() {
#ifdef XG_WITH_MPI
    return true;
#else
    return false;
#endif
}

bool launched_by_mpi() {
    // Open MPI's mpirun, PMIx (srun --mpi=pmix, prterun), PMI-1/2 (MPICH's hydra, srun)
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
        if (std::getenv(v)) return true;
    return false;
}

void init(int* argc, char*** argv) {
    if (started) return;
    if (!launched_by_mpi()) return;
#ifdef XG_WITH_MPI
    int already = 0;
    MPI_Initialized(&already);
    if (!already) {
        int provided = 0;
        // SERIALIZED: the training thread need not be the main thread
        MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
        owned = true;
    }
    started = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &my_size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, my_rank, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &my_local_size);
    MPI_Comm_free(&local);
#else
    (void)argc;
    (void)argv;
    const char* n = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (!n) n = std::getenv("PMI_SIZE");
    XG_CHECK(!n || std::strcmp(n, "1") == 0,
             "distributed: started by an MPI launcher with " << n << " processes, but xgrad was built without MPI "
                                                              "(install libopenmpi-dev and rebuild with -Dmpi=enabled)");
#endif
}

void finalize() {
    if (!started) return;
#ifdef XG_WITH_MPI
    if (owned) {
        int done = 0;
        MPI_Finalized(&done);
        if (!done) MPI_Finalize();
    }
#endif
    started = owned = false;
    my_rank = 0;
    my_size = my_local_size = 1;
}

bool is_initialized() { return started; }
int rank() { return my_rank; }
int world_size() { return my_size; }
int local_size() { return my_local_size; }
data::Shard shard() { return {static_cast<std::size_t>(my_rank), static_cast<std::size_t>(my_size)}; }

void barrier() {
#ifdef XG_WITH_MPI
    if (running()) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

void abort(int code) {
    std::fflush(stdout);
    std::fflush(stderr);
#ifdef XG_WITH_MPI
    if (running()) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    std::exit(code);
}

std::string rank_label() {
    if (my_size <= 1) return "";
    return "rank " + std::to_string(my_rank) + " of " + std::to_string(my_size);
}

Environment::Environment(int& argc, char**& argv) { init(&argc, &argv); }
Environment::Environment() { init(); }
Environment::~Environment() {
    if (std::uncaught_exceptions() > 0 && running()) {
        std::fprintf(stderr, "error: %s: an exception left main; ending the job\n", rank_label().c_str());
        abort(1);
    }
    finalize();
}

// ---- collectives ------------------------------------------------------------------------

void all_reduce(std::span<float> data, ReduceOp op) { all_reduce_impl(data, op); }
void all_reduce(std::span<double> data, ReduceOp op) { all_reduce_impl(data, op); }
void all_reduce(std::span<std::int64_t> data, ReduceOp op) { all_reduce_impl(data, op); }

template <class T>
void all_reduce(const TensorT<T>& tensor, ReduceOp op) {
    XG_CHECK(tensor.defined(), "distributed::all_reduce: an undefined tensor");
    auto& v = tensor.value();
    all_reduce_impl(std::span<T>(v.data(), v.size()), op);
}

double all_reduce(double value, ReduceOp op) {
    all_reduce_impl(std::span<double>(&value, 1), op);
    return value;
}

void broadcast(std::span<float> data, int root) { broadcast_impl(data, root); }
void broadcast(std::span<double> data, int root) { broadcast_impl(data, root); }
void broadcast(std::span<std::int64_t> data, int root) { broadcast_impl(data, root); }

template <class T>
void broadcast(const TensorT<T>& tensor, int root) {
    XG_CHECK(tensor.defined(), "distributed::broadcast: an undefined tensor");
    auto& v = tensor.value();
    broadcast_impl(std::span<T>(v.data(), v.size()), root);
}
XG_DEFINE_OPS(XG_COLLECTIVE_FUNCTIONS)

void check_same(std::int64_t value, const char* what) {
    if (!running()) return;
    std::int64_t lo = value, hi = value;
#ifdef XG_WITH_MPI
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
#endif
    XG_CHECK(lo == hi, "distributed: the ranks disagree on " << what << ": " << rank_label() << " has " << value
                                                             << ", others range from " << lo << " to " << hi);
}

void broadcast_parameters(const nn::Module& module, int root) {
    const auto params = module.named_parameters();
    check_same(static_cast<std::int64_t>(params.size()), "the number of parameters");
    std::size_t total = 0;
    for (const auto& [name, p] : params) {
        check_same(static_cast<std::int64_t>(p.numel()), ("the size of parameter " + name).c_str());
        total += p.numel();
    }
    if (!running()) return;
    std::vector<float> flat(total);  // one broadcast for the whole model
    std::size_t at = 0;
    for (const auto& [name, p] : params) {
        std::memcpy(flat.data() + at, p.value().data(), p.numel() * sizeof(float));
        at += p.numel();
    }
    broadcast_impl(std::span<float>(flat), root);
    at = 0;
    for (const auto& [name, p] : params) {
        std::memcpy(p.value().data(), flat.data() + at, p.numel() * sizeof(float));
        at += p.numel();
    }
}

// ---- non-blocking sums for DistributedDataParallel ----------------------------------------

namespace detail {

struct PendingSum::Impl {
#ifdef XG_WITH_MPI
    MPI_Request request = MPI_REQUEST_NULL;
#endif
};

PendingSum::PendingSum(float* data, std::size_t n) : impl_(std::make_unique<Impl>()) {
#ifdef XG_WITH_MPI
    if (running() && n > 0)
        MPI_Iallreduce(MPI_IN_PLACE, data, mpi_count(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &impl_->request);
#else
    (void)data;
    (void)n;
#endif
}

PendingSum::~PendingSum() {
    if (impl_) wait();
}
PendingSum::PendingSum(PendingSum&&) noexcept = default;

void PendingSum::abandon() {
    [[maybe_unused]] auto* leaked = impl_.release();  // MPI may still write to it
}

bool PendingSum::test() {
#ifdef XG_WITH_MPI
    if (!impl_ || impl_->request == MPI_REQUEST_NULL) return true;
    int done = 0;
    MPI_Test(&impl_->request, &done, MPI_STATUS_IGNORE);
    return done != 0;
#else
    return true;
#endif
}

void PendingSum::wait() {
#ifdef XG_WITH_MPI
    if (impl_ && impl_->request != MPI_REQUEST_NULL) MPI_Wait(&impl_->request, MPI_STATUS_IGNORE);
#endif
}

}  // namespace detail

}  // namespace xg::distributed
