#pragma once
/// Atoms and message structs exchanged by the node's actors. Types marked
/// local-only never cross the cluster port; cluster messages (replication,
/// distributed query) get inspect() overloads and registered type names.
#include "actors/node_fsm.hpp"
#include "storage/event_record.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <string>

namespace cairn {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using lease_atom = caf::atom_constant<caf::atom("lease")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using command_atom = caf::atom_constant<caf::atom("command")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using ingest_atom = caf::atom_constant<caf::atom("ingest")>;
using activate_atom = caf::atom_constant<caf::atom("activate")>;
using deactivate_atom = caf::atom_constant<caf::atom("deactiv")>;
using index_atom = caf::atom_constant<caf::atom("index")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using nodes_atom = caf::atom_constant<caf::atom("nodes")>;

/// What the consensus module learned from one lease round.
struct lease_status {
  enum kind_t : uint8_t { acquired, held_elsewhere, lost } kind = lost;
  int64_t epoch = 0;
  std::string holder;       ///< node id holding the lease, if known
  std::string reason;       ///< why the lease was lost (for the log)
  /// steady_clock ns after which we must no longer act on this acquisition,
  /// measured from before the lease statement was sent (so it is never late).
  int64_t valid_until_steady_ns = 0;
  std::string leader_api_uri; ///< internal API of the holder (for the follower proxy)
};

/// Snapshot of the node for /health, /api/cluster and the CLI.
struct node_status {
  std::string node_id;
  std::string state;        ///< node_state name
  bool acting_leader = false;
  int64_t epoch = 0;
  std::string leader_id;    ///< last known lease holder
  std::string leader_api_uri;
};

/// Result of committing one ingest batch (local-only).
struct commit_result {
  bool ok = false;
  unsigned http_status = 201; ///< on failure: 503 (cannot ingest now) or 500
  std::string error;
  uint64_t first_id = 0;
  uint64_t model = 0;
  uint64_t write = 0;
};

} // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::storage::record_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::lease_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::node_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::commit_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::node_command)
