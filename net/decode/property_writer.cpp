#include "net/decode/property_writer.hpp"

#include "net/decode/json_copy.hpp"
#include "net/decode/json_text.hpp"

namespace cairn::decode {

void property_writer::open_member() {
  out_.push_back(spans_.empty() ? '{' : ',');
  spans_.push_back(span{uint32_t(out_.size() + 1), 0, 0, 0});
}

void property_writer::close_name() {
  auto& s = spans_.back();
  s.name_len = uint32_t(out_.size() - 1 - s.name_off);
  out_.push_back(':');
  s.value_off = uint32_t(out_.size());
}

std::string& property_writer::begin_value(std::string_view key) {
  open_member();
  append_json_string(out_, key);
  close_name();
  return out_;
}

std::string& property_writer::begin_value(const json_key& key) {
  open_member();
  append_json_key(out_, key);
  close_name();
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

simdjson::error_code property_writer::add(const json_key& key, simdjson::ondemand::value v) {
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

} // namespace cairn::decode
