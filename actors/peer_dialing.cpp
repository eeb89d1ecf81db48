#include "actors/peer_dialing.hpp"

namespace cairn {

namespace {

std::string_view port_of(std::string_view address) {
  auto colon = address.rfind(':');
  return colon == std::string_view::npos ? std::string_view{} : address.substr(colon + 1);
}

} // namespace

bool dials_first(std::string_view self_address, std::string_view peer_address) {
  // An unknown own address cannot be ordered: dial (the pre-tie-break rule).
  return self_address.empty() || self_address < peer_address;
}

std::string match_peer_address(const std::vector<std::string>& peers,
                               std::string_view advertised) {
  for (const auto& p : peers)
    if (p == advertised)
      return p;
  auto port = port_of(advertised);
  if (port.empty())
    return {};
  const std::string* only = nullptr;
  for (const auto& p : peers)
    if (port_of(p) == port) {
      if (only)
        return {}; // same port on several hosts: cannot tell which one
      only = &p;
    }
  return only ? *only : std::string{};
}

} // namespace cairn
