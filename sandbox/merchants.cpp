#include "sandbox/merchants.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace payrecon::sandbox {
namespace {

std::string Scalar(const YAML::Node& entry, const char* key, std::size_t i, bool required) {
  const YAML::Node node = entry[key];
  if (!node) {
    if (required) throw MerchantsError("merchants[" + std::to_string(i) + "]: missing \"" + key + "\"");
    return {};
  }
  if (!node.IsScalar() || node.Scalar().empty()) {
    throw MerchantsError("merchants[" + std::to_string(i) + "]: \"" + key + "\" must be a non-empty string");
  }
  return node.Scalar();
}

}  // namespace

MerchantDirectory MerchantDirectory::FromYaml(std::string_view yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw MerchantsError(std::string("merchants file is not valid YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["merchants"] || !root["merchants"].IsSequence()) {
    throw MerchantsError("merchants file needs a top-level \"merchants\" list");
  }
  for (const auto& kv : root) {
    if (kv.first.as<std::string>() != "merchants") {
      throw MerchantsError("unknown top-level key \"" + kv.first.as<std::string>() + "\"");
    }
  }
  MerchantDirectory dir;
  std::size_t i = 0;
  for (const auto& entry : root["merchants"]) {
    const std::string where = "merchants[" + std::to_string(i) + "]";
    if (!entry.IsMap()) throw MerchantsError(where + ": must be a mapping");
    for (const auto& kv : entry) {
      const auto key = kv.first.as<std::string>();
      if (key != "merchant_id" && key != "access_key_id" && key != "secret" && key != "balance" &&
          key != "pay_later_credit") {
        throw MerchantsError(where + ": unknown key \"" + key + "\"");
      }
    }
    Merchant m;
    m.merchant_id = Scalar(entry, "merchant_id", i, true);
    m.access_key_id = Scalar(entry, "access_key_id", i, true);
    m.signer = std::make_shared<signing::Signer>(core::Secret(Scalar(entry, "secret", i, true)));
    for (const char* key : {"balance", "pay_later_credit"}) {
      const std::string text = Scalar(entry, key, i, false);
      if (text.empty()) continue;
      const auto paise = core::ParseAmount(text);
      if (!paise) throw MerchantsError(where + ": \"" + key + "\": " + paise.error());
      (std::string_view(key) == "balance" ? m.balance : m.pay_later_credit) = *paise;
    }
    if (dir.ById(m.merchant_id)) throw MerchantsError(where + ": duplicate merchant_id \"" + m.merchant_id + "\"");
    if (dir.ByAccessKey(m.access_key_id)) {
      throw MerchantsError(where + ": duplicate access_key_id \"" + m.access_key_id + "\"");
    }
    if (dir.merchants_.size() >= 65535) throw MerchantsError("too many merchants (at most 65535)");
    m.index = static_cast<std::uint16_t>(dir.merchants_.size());
    dir.merchants_.push_back(std::move(m));
    ++i;
  }
  if (dir.merchants_.empty()) throw MerchantsError("merchants file lists no merchants");
  return dir;
}

MerchantDirectory MerchantDirectory::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw MerchantsError("cannot read merchants file \"" + path + "\"");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return FromYaml(ss.str());
  } catch (const MerchantsError& e) {
    throw MerchantsError("\"" + path + "\": " + e.what());
  }
}

const Merchant* MerchantDirectory::ById(std::string_view merchant_id) const {
  for (const auto& m : merchants_) {
    if (m.merchant_id == merchant_id) return &m;
  }
  return nullptr;
}

const Merchant* MerchantDirectory::ByAccessKey(std::string_view access_key_id) const {
  for (const auto& m : merchants_) {
    if (m.access_key_id == access_key_id) return &m;
  }
  return nullptr;
}

}  // namespace payrecon::sandbox
