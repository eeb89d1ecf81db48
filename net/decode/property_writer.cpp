#include "net/decode/property_writer.hpp"

#include "net/decode/json_copy.hpp"
#include "net/decode/json_text.hpp"

namespace cairn::decode {

std::string& property_writer::begin_value(std::string_view key) {
  out_.push_back(spans_.empty() ? '{' : ',');
  size_t name_off = out_.size() + 1;
  append_json_string(out_, key);
  size_t name_len = out_.size() - 1 - name_off;
  out_.push_back(':');
  spans_.push_back(span{uint32_t(name_off), uint32_t(name_len), uint32_t(out_.size()), 0});
  return out_;
}

void property_writer::end_value() {
  auto& s = spans_.back();
  s.value_len = static_cast<uint32_t>(out_.size() - s.value_off);
}

simdjson::error_code property_writer::add(std::string_view key, simdjson::ondemand::value v) {
  auto e = copy_json_value(v, begin_value(key));
  end_value();
  return e;
}

void property_writer::add_raw(std::string_view key, std::string_view json) {
  begin_value(key).append(json);
  end_value();
}

std::string_view property_writer::finish() {
  if (spans_.empty())
    return {};
  out_.push_back('}');
  return out_;
}

std::span<const property_ref> property_writer::refs() {
  refs_.clear();
  std::string_view text = out_;
  for (const auto& s : spans_)
    refs_.push_back(property_ref{text.substr(s.name_off, s.name_len),
                                 text.substr(s.value_off, s.value_len)});
  return refs_;
}

} // namespace cairn::decode
