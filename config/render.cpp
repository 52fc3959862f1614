#include "config/render.h"

#include <yaml-cpp/yaml.h>

#include "config/schema.h"
#include "core/duration.h"

namespace payrecon::config {
namespace {

bool IsEmpty(const Value& value) {
  const auto* text = std::get_if<std::string>(&value);
  return text != nullptr && text->empty();
}

struct Emit {
  YAML::Emitter& out;
  void operator()(const std::string& v) const { out << v; }
  void operator()(int v) const { out << v; }
  void operator()(bool v) const { out << v; }
  void operator()(core::Millis v) const { out << core::FormatDuration(v); }
  void operator()(const std::vector<core::Millis>& steps) const {
    out << YAML::Flow << YAML::BeginSeq;
    for (core::Millis step : steps) out << core::FormatDuration(step);
    out << YAML::EndSeq;
  }
};

void EmitKey(YAML::Emitter& out, const Key& key, const Value& value) {
  if (key.omit_when_empty && IsEmpty(value)) return;
  out << YAML::Key << std::string(key.Name()) << YAML::Value;
  std::visit(Emit{out}, value);
}

}  // namespace

std::string Render(const Settings& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const std::string_view section : KeysOf("")) {
    out << YAML::Key << std::string(section) << YAML::Value;
    if (section == "merchants") {
      out << YAML::BeginSeq;
      for (const MerchantSettings& m : s.merchants) {
        out << YAML::BeginMap;
        for (const Key& key : Schema()) {
          if (key.Section() == "merchants[]") EmitKey(out, key, key.of_merchant(m));
        }
        // Not a key (secrets never come from the file): only ever the mask, saying the secret was found.
        out << YAML::Key << "secret_key" << YAML::Value << (m.secret_key.empty() ? "" : core::Secret::Masked());
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
      continue;
    }
    out << YAML::BeginMap;
    for (const Key& key : Schema()) {
      if (key.Section() == section) EmitKey(out, key, key.of_settings(s));
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  std::string text = out.c_str();
  text += '\n';
  return text;
}

}  // namespace payrecon::config
