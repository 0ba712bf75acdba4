/// \file
/// The processes of one data-parallel job, on MPI (Open MPI): torch.distributed's
/// init_process_group / get_rank / get_world_size.
///
///   int main(int argc, char** argv) {
///       xg::distributed::Environment env(argc, argv);   // init() now, finalize() at the end
///       if (xg::distributed::rank() == 0) ...            // 0 .. world_size() - 1
///
/// Under mpirun (or Slurm's srun) every process is one rank. Started any other way, a
/// program runs as the only rank (world size 1) and makes no MPI call, so the same binary
/// works with and without mpirun. A build without MPI (-Dmpi=disabled) is always world size 1.
#pragma once

#include <string>

#include "data/shard.hpp"

namespace xg::distributed {

/// True when xgrad was built with MPI.
bool available();

/// True when this process was started by an MPI launcher (mpirun, mpiexec, srun): its
/// environment carries the launcher's rank variables.
bool launched_by_mpi();

/// Starts MPI when launched by an MPI launcher, else does nothing; a second call does
/// nothing. Launched by mpirun but built without MPI throws xg::Error (every process would
/// think it is rank 0 of 1 and train alone).
void init(int* argc = nullptr, char*** argv = nullptr);
/// Ends MPI after every rank got here (collective). Later calls do nothing.
void finalize();
bool is_initialized();  ///< init() started MPI and finalize() has not run

int rank();        ///< 0 when not initialized
int world_size();  ///< 1 when not initialized
/// Ranks on this machine (mpirun's local size), to share its cores between them.
int local_size();

/// This rank's share of each batch: {rank(), world_size()} (data/shard.hpp).
data::Shard shard();

/// Waits for every rank.
void barrier();

/// Ends the whole job now with this exit code: MPI_Abort when MPI runs (the other ranks
/// may be blocked in a collective and would wait forever), else std::exit. Say why first.
[[noreturn]] void abort(int code);

/// "rank 1 of 2" (or "" for a single process): to prefix a rank's messages.
std::string rank_label();

/// init() now and finalize() when it goes out of scope; when it is destroyed by an
/// exception that escapes (a rank that fails while others wait), it aborts the job instead.
class Environment {
public:
    /// Calls init(&argc, &argv), so that MPI may take its own arguments out of argv.
    Environment(int& argc, char**& argv);
    /// Calls init() without the program's arguments.
    Environment();
    ~Environment();
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;
};

}  // namespace xg::distributed
