// What DistributedDataParallel needs from MPI beyond the public collectives: a sum of
// floats that runs while the backward goes on. Only distributed/mpi.cpp includes <mpi.h>.
#pragma once

#include <cstddef>
#include <memory>

namespace xg::distributed::detail {

// A started in-place allreduce (sum) of n floats; the data must not be touched until
// wait() returns. With one rank it is already done.
class PendingSum {
public:
    PendingSum(float* data, std::size_t n);
    ~PendingSum();  // waits
    PendingSum(PendingSum&&) noexcept;
    PendingSum& operator=(PendingSum&&) = delete;

    // Forgets the operation without waiting (a failed backward: the job is ending, and
    // waiting for ranks that never start it would hang).
    void abandon();

    // Lets MPI move the data along; true once finished.
    bool test();
    void wait();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xg::distributed::detail
