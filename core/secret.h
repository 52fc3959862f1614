#pragma once
// A secret (signing key, password) that never prints: streams and Masked() show "***".
#include <ostream>
#include <string>
#include <utility>

namespace payrecon::core {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  // The secret's text, for the one place that uses it (the signer). Never log the result.
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  static constexpr const char* Masked() { return "***"; }
  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << Masked(); }

 private:
  std::string value_;
};

}  // namespace payrecon::core
