/// \file
/// xg::distributed: data-parallel training across processes and machines on MPI.
/// See docs/distributed.md.
#pragma once

#include "distributed/collectives.hpp"
#include "distributed/ddp.hpp"
#include "distributed/process_group.hpp"
