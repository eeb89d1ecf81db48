#pragma once
/// Which side of a pair of cluster nodes opens the connection between them.
///
/// Why only one side dials: CAF 0.17's BASP keeps one route per node and
/// resolves two simultaneous connections between the same pair by closing
/// the "redundant" one, decided independently on each side from the order
/// in which the two handshakes arrive. When each node sees the other's
/// client handshake first, both close the connection they dialed, so both
/// connections die; `remote_actor` had already returned a proxy and the
/// `hello` sent through it is lost, with no error, until its timeout. Both
/// connectors then retry in lockstep and lose the same race again (TLS makes
/// the window wide: the handshakes wait for the TLS handshake). One dialer
/// per pair means one connection per pair and nothing to resolve.
///
/// The dialer is the side whose advertised cluster address sorts first; the
/// other side waits for it and takes its endpoint from the authenticated
/// `prove` message. Address strings are compared as written, so two nodes
/// configured with different spellings of each other's address (a host name
/// on one side, an IP on the other) may both believe they wait: a waiting
/// side that has never been dialed by that peer dials it itself after a
/// grace period, which is what makes the rule safe to get wrong.
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

/// True when this node dials `peer_address` itself instead of waiting.
bool dials_first(std::string_view self_address, std::string_view peer_address);

/// The entry of `peers` that an inbound peer advertising `advertised`
/// stands for: the equal entry, else the only entry with the same port
/// (e.g. "localhost:7001" for "127.0.0.1:7001"); "" when none or ambiguous.
std::string match_peer_address(const std::vector<std::string>& peers, std::string_view advertised);

} // namespace cairn
