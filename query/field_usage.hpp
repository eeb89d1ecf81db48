#pragma once
/// Which record fields a compiled query reads, so block decoding can skip
/// the others (storage::field_projection).
///
/// Found by walking the query's syntax trees (the plan keeps the text): a
/// built-in reads its field(s), a property name reads only that member of
/// the properties object, free text reads the message and exception (and,
/// to render messages, the members the block's template holes name: the
/// block decoder adds those, see storage::field_projection). Any
/// doubt (a parse failure, @Properties/@Data as a whole) widens the result,
/// never narrows it.
#include "query/query_plan.hpp"
#include "storage/block_codec.hpp"

namespace cairn::query {

/// The projection that evaluating `plan` per event needs. Its
/// property_names points into plan.props: keep the plan alive meanwhile.
storage::field_projection plan_projection(const query_plan& plan);

} // namespace cairn::query
