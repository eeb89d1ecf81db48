#pragma once
/// Syntax tree of Seq's filter expressions and SQL queries, as the parser
/// (query/parser.hpp) produces it. Nodes keep their source span so errors
/// and default column names can quote the original text.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cairn::query {

enum class ast_kind : uint8_t {
  null_lit,
  bool_lit,    ///< boolean
  number_lit,  ///< number
  string_lit,  ///< text
  duration_lit,///< ns (int64 in `ns`)
  regex_lit,   ///< text = pattern, ci = `ci` flag
  array_lit,   ///< kids = elements
  object_lit,  ///< kids = values, names = keys
  property,    ///< bare name: text (= @Properties['text'])
  builtin,     ///< @Name: text without the @
  member,      ///< kids[0].text
  index,       ///< kids[0][kids[1]]
  wildcard,    ///< kids[0][?] (any) or kids[0][*] (all = boolean true)
  call,        ///< text(kids...), ci; `star` for count(*)
  unary,       ///< op, kids[0]
  binary,      ///< kids[0] op kids[1], ci
  conditional, ///< if kids[0] then kids[1] else kids[2]
  free_text,   ///< "text": @Message or @Exception contains text, ci
  slot,        ///< the current element of an enclosing wildcard (compiler-made)
};

enum class ast_op : uint8_t {
  none,
  // binary
  or_, and_, eq, ne, lt, le, gt, ge, like, not_like, in, not_in, add, sub, mul, div, mod, pow,
  // unary
  neg, not_, is_null, is_not_null,
};

/// Source text of an operator, for messages.
const char* op_text(ast_op op) noexcept;

struct ast_node {
  ast_kind kind = ast_kind::null_lit;
  ast_op op = ast_op::none;
  bool boolean = false; ///< bool_lit value; wildcard: true = [*] (all)
  bool ci = false;      ///< `ci` modifier on a comparison, call or regex
  bool star = false;    ///< call with `*` argument (count(*))
  double number = 0;
  int64_t ns = 0;
  uint32_t slot_id = 0; ///< slot / wildcard binding
  std::string text;
  std::vector<std::string> names;
  std::vector<std::unique_ptr<ast_node>> kids;
  size_t begin = 0, end = 0; ///< source span [begin, end)

  std::unique_ptr<ast_node> clone() const;
};

using ast_ptr = std::unique_ptr<ast_node>;

/// `expr [as alias]` in a select list, or a group-by key.
struct select_item {
  ast_ptr expr;
  std::string alias;  ///< empty when none given
  std::string source; ///< expression text, the default column name
  bool ci = false;    ///< group key compared case-insensitively
};

/// `order by <name> [asc|desc]`.
struct order_item {
  std::string name; ///< a column alias/name, or "time"
  bool descending = false;
  size_t position = 0;
};

struct select_query {
  std::vector<select_item> columns;
  ast_ptr where;                      ///< may be null
  std::vector<select_item> group_by;  ///< non-time keys
  std::optional<int64_t> time_bucket; ///< ns, from group by time(d)
  ast_ptr having;
  std::vector<order_item> order_by;
  std::optional<int64_t> limit;
  bool no_cache = false;
};

} // namespace cairn::query
