#pragma once
/// Minimal option parsing shared by the `cairn` verbs: `--name value`,
/// `--name=value`, short aliases and positional arguments. Unknown options are
/// errors (exit code 2), never silently ignored.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::cli {

/// Exit codes of the CLI.
enum exit_code : int { ok = 0, failure = 1, usage = 2 };

/// Thrown for bad command lines; main() prints the message and exits 2.
struct usage_error {
  std::string message;
};

class args {
public:
  /// `flags` lists options that take no value; `aliases` maps "-k" to "key".
  args(int argc, char** argv, int first, std::vector<std::string> known,
       std::vector<std::string> flags = {}, std::map<std::string, std::string> aliases = {});

  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, std::string fallback) const;
  std::string require(const std::string& name) const;
  bool flag(const std::string& name) const;
  const std::vector<std::string>& positional() const noexcept { return positional_; }

  /// The storage root: --storage, else CAIRN_STORAGE, else ./cairn-data.
  std::string storage_root() const;

private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

} // namespace cairn::cli
