#pragma once
/// Node configuration: every setting has a name, description, default, bound
/// and a needs-restart flag. Values come from `<storage>/cairn.json`, then
/// environment overrides `CAIRN_<SECTION>_<KEY>` (e.g. CAIRN_API_LISTENURIS).
///
/// Lifecycle: loaded once at start by the CLI and handed (copied) to the
/// actors that need it; nothing mutates a loaded config at run time.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cairn {

/// Kinds of values a setting may hold.
enum class setting_kind { string, integer, boolean, string_list, enumeration };

/// One documented setting.
struct setting_spec {
  const char* key;          ///< dotted, e.g. "api.listenUris"
  setting_kind kind;
  const char* default_value; ///< textual (lists: comma separated)
  const char* description;
  int64_t min = 0;           ///< bounds for integers
  int64_t max = INT64_MAX;
  const char* choices = "";  ///< '|' separated for enumerations
  bool needs_restart = true;
};

/// All settings Cairn knows.
std::span<const setting_spec> settings_registry();

/// Finds a setting by key (case-insensitive); null if unknown.
const setting_spec* find_setting(std::string_view key);

/// A configuration error with a message for the user (CLI exit code 2).
struct config_error {
  std::string message;
};

/// Validated configuration values, stored as text and parsed on access.
class config {
public:
  /// Loads `<storage>/cairn.json` if present and applies env overrides.
  /// Throws config_error on a malformed file, unknown key or bad value.
  static config load(const std::string& storage_root, bool apply_env = true);

  /// Writes the values explicitly set in the file (not env) to cairn.json.
  void save(const std::string& storage_root) const;

  /// Validates and sets; throws config_error.
  void set(std::string_view key, std::string_view value);

  /// Current value as text (default if unset).
  std::string get(std::string_view key) const;

  int64_t get_int(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::vector<std::string> get_list(std::string_view key) const;

  /// True if the value came from cairn.json (not default/env).
  bool is_set_in_file(std::string_view key) const;

  /// Path of the config file for a storage root.
  static std::string file_path(const std::string& storage_root);

private:
  std::map<std::string, std::string> file_values_; ///< canonical key -> text
  std::map<std::string, std::string> env_values_;
};

/// Validates `value` for `spec`; returns an error message or nullopt.
std::optional<std::string> validate_setting(const setting_spec& spec, std::string_view value);

} // namespace cairn
