#pragma once
/// Renders Serilog message templates ("Hello {User}, {Count:000} items")
/// against properties held as JSON value text. Shared by the decoders (CLEF
/// events without @m) and by the query engine/UI when a message is shown.
///
/// Rules (Serilog's syntax, Seq's display):
/// - `{{` and `}}` are literal braces; `{Name}`, `{@Name}`, `{$Name}`,
///   `{Name,alignment}` and `{Name:format}` are holes (names: letters, digits,
///   `_`).
/// - Strings render without quotes; other values as their JSON text.
/// - Numeric formats: F/N/D/X/P with optional precision, and custom patterns
///   made of `0 # , .` ("0.00", "#,##0"). Unknown formats render plainly.
/// - A hole whose property is missing, or that is malformed, stays verbatim.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cairn::decode {

/// One top-level property: name (as written in JSON, without quotes) and
/// its value as compact JSON text.
struct property_ref {
  std::string_view name;
  std::string_view json;
};

/// One well-formed hole of a template, as views into the template text.
struct template_hole {
  std::string_view name;   ///< property name, without `@`/`$`
  std::string_view format; ///< text after ':', may be empty
  int alignment = 0;       ///< ",N": pad to N characters, right-aligned if > 0
};

/// Receives a template's pieces in order from walk_template().
class template_visitor {
public:
  virtual ~template_visitor() = default;
  /// Literal text (escaped braces arrive as one-brace views, malformed holes
  /// as their raw text); a view into the template.
  virtual void text(std::string_view t) = 0;
  /// A well-formed hole; `raw` is its text with braces, shown verbatim when
  /// its property is missing.
  virtual void hole(std::string_view raw, const template_hole& h) = 0;
};

/// Splits `tmpl` into literal text and holes (the one parser behind every
/// rendering, so a cached split renders exactly as a fresh one).
void walk_template(std::string_view tmpl, template_visitor& visitor);

/// Appends the rendering of a hole whose property's JSON text is `json`
/// (format, then alignment).
void append_hole(std::string_view json, const template_hole& h, std::string& out);

/// The JSON text of the property named `name` in `props`, or nullopt.
std::optional<std::string_view> find_property(std::span<const property_ref> props,
                                              std::string_view name);

/// Appends the rendering of `tmpl` to `out`.
void render_template(std::string_view tmpl, std::span<const property_ref> props,
                     std::string& out);

/// Appends the rendering of `tmpl` against a compact JSON object text, as
/// stored in records (storage/event_record.hpp). @pre the text is valid JSON.
void render_template_json(std::string_view tmpl, std::string_view properties_json,
                          std::string& out);

/// Appends one property value (JSON text) as a template hole renders it,
/// applying `format` when it is a numeric format and the value a number.
void append_rendered_value(std::string_view json, std::string_view format, std::string& out);

/// Appends the decoded contents of a JSON string literal (with quotes).
/// @pre `json` is a valid JSON string literal.
void append_unescaped_json_string(std::string_view json, std::string& out);

} // namespace cairn::decode
