#include "sandbox/scenario.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace payrecon::sandbox {
namespace {

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool IsId(std::string_view s, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Parses one data line into a record; `parent_id` receives the parent column.
Txn ParseLine(std::string_view line, std::size_t line_no, const MerchantDirectory& merchants, std::int64_t now_ms,
              std::string_view& parent_id) {
  std::array<std::string_view, kScenarioColumns> f;
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    const auto field = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (count < kScenarioColumns) f[count] = field;
    ++count;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (count != kScenarioColumns) {
    throw ScenarioError(line_no, "expected " + std::to_string(kScenarioColumns) + " fields, got " +
                                     std::to_string(count));
  }
  const auto [merchant_id, kind_text, merchant_txn_id, amazon_txn_id, parent, amount_text, currency, status_text,
              settle_after, settle_to_text, approved_text, fault_text] = f;
  Txn t;
  const Merchant* m = merchants.ById(merchant_id);
  if (m == nullptr) throw ScenarioError(line_no, "unknown merchant_id " + Quote(merchant_id));
  t.merchant = m->index;
  const auto kind = core::KindFromName(kind_text);
  if (!kind) throw ScenarioError(line_no, "kind must be charge, refund or topup, got " + Quote(kind_text));
  t.kind = *kind;
  const std::size_t max_id = t.kind == core::Kind::kRefund ? 32 : 50;
  if (!IsId(merchant_txn_id, max_id)) {
    throw ScenarioError(line_no, "merchant_txn_id " + Quote(merchant_txn_id) + " must be 1 to " +
                                     std::to_string(max_id) + " characters of A-Z a-z 0-9 _ -");
  }
  t.merchant_txn_id = std::string(merchant_txn_id);
  if (!amazon_txn_id.empty() && !IsId(amazon_txn_id, 64)) {
    throw ScenarioError(line_no, "amazon_txn_id " + Quote(amazon_txn_id) + " must be up to 64 characters of A-Z a-z 0-9 _ -");
  }
  t.amazon_txn_id = std::string(amazon_txn_id);
  if (!parent.empty() && t.kind != core::Kind::kRefund) {
    throw ScenarioError(line_no, "parent_txn_id is only for refunds");
  }
  parent_id = parent;
  const auto amount = core::ParseAmount(amount_text);
  if (!amount) throw ScenarioError(line_no, "amount: " + amount.error());
  if (*amount <= 0) throw ScenarioError(line_no, "amount must be at least 0.01");
  t.amount = *amount;
  if (!currency.empty()) {
    if (currency.size() != 3 || !std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      throw ScenarioError(line_no, "currency must be three capital letters, got " + Quote(currency));
    }
    t.currency = {currency[0], currency[1], currency[2], '\0'};
  }
  const auto status = core::StatusFromName(status_text);
  if (!status || !core::StatusBelongsTo(t.kind, *status)) {
    throw ScenarioError(line_no, "status " + Quote(status_text) + " is not a " + std::string(core::KindName(t.kind)) +
                                     " status");
  }
  t.status = *status;
  t.settle_to = *status;
  if (settle_after.empty() != settle_to_text.empty()) {
    throw ScenarioError(line_no, "settle_after_ms and settle_to go together");
  }
  if (!settle_after.empty()) {
    std::int64_t after = 0;
    const auto [p, ec] = std::from_chars(settle_after.data(), settle_after.data() + settle_after.size(), after);
    if (ec != std::errc() || p != settle_after.data() + settle_after.size() || after < 0 ||
        after > 100LL * 365 * 24 * 3600 * 1000) {
      throw ScenarioError(line_no, "settle_after_ms must be a non-negative integer, got " + Quote(settle_after));
    }
    const auto to = core::StatusFromName(settle_to_text);
    if (!to || !core::StatusBelongsTo(t.kind, *to) || !core::IsFinal(*to)) {
      throw ScenarioError(line_no, "settle_to " + Quote(settle_to_text) + " is not a final " +
                                       std::string(core::KindName(t.kind)) + " status");
    }
    if (core::IsFinal(t.status)) throw ScenarioError(line_no, "a final status does not settle again");
    t.settle_to = *to;
    t.settle_at_ms = now_ms + after;
  }
  t.approved_amount = t.amount;
  if (!approved_text.empty()) {
    if (t.kind == core::Kind::kRefund) throw ScenarioError(line_no, "approved_amount is only for charges and top-ups");
    const auto approved = core::ParseAmount(approved_text);
    if (!approved) throw ScenarioError(line_no, "approved_amount: " + approved.error());
    t.approved_amount = *approved;
  }
  if (!fault_text.empty()) {
    const auto spec = ParseFaultSpec(fault_text, true);
    if (!spec) throw ScenarioError(line_no, spec.error());
    t.fault = *spec;
  }
  t.created_ms = now_ms;
  return t;
}

}  // namespace

std::size_t LoadScenario(std::istream& in, const MerchantDirectory& merchants, Store& store, std::int64_t now_ms) {
  std::vector<Txn*> inserted;
  auto rollback = [&] {
    for (auto it = inserted.rbegin(); it != inserted.rend(); ++it) {
      Txn* t = *it;
      if (t->parent != nullptr && t->settle_to != core::Status::kDeclined) {
        Txn* p = t->parent;
        store.WithTxn(p->merchant, p->merchant_txn_id, false, [&](Txn& parent) { parent.refunded -= t->amount; });
      }
      store.Remove(t);
    }
  };
  std::string line;
  std::size_t line_no = 0;
  try {
    if (!std::getline(in, line)) throw ScenarioError(1, "empty scenario: the header line is missing");
    line_no = 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line != kScenarioHeader) throw ScenarioError(1, "the header must be \"" + std::string(kScenarioHeader) + "\"");
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      std::string_view parent_id;
      Txn t = ParseLine(line, line_no, merchants, now_ms, parent_id);
      Txn* parent = nullptr;
      const core::Paise amount = t.amount;
      const bool counts = t.settle_to != core::Status::kDeclined;
      if (!parent_id.empty()) {
        std::string error;
        const bool found = store.WithTxn(t.merchant, parent_id, false, [&](Txn& p) {
          if (p.kind == core::Kind::kRefund) {
            error = "parent_txn_id " + Quote(parent_id) + " is a refund";
          } else if (counts && p.refunded + amount > p.approved_amount) {
            error = "refunds of " + Quote(parent_id) + " would exceed its approved amount " +
                    core::FormatAmount(p.approved_amount);
          } else {
            if (counts) p.refunded += amount;
            parent = &p;
          }
        });
        if (!found) throw ScenarioError(line_no, "parent_txn_id " + Quote(parent_id) + " is not loaded (list charges before their refunds)");
        if (!error.empty()) throw ScenarioError(line_no, error);
        t.parent = parent;
      }
      auto stored = store.Insert(std::move(t));
      if (!stored) {
        if (parent != nullptr && counts) {
          store.WithTxn(parent->merchant, parent->merchant_txn_id, false, [&](Txn& p) { p.refunded -= amount; });
        }
        throw ScenarioError(line_no, stored.error());
      }
      inserted.push_back(*stored);
    }
  } catch (const ScenarioError&) {
    rollback();
    throw;
  }
  return inserted.size();
}

}  // namespace payrecon::sandbox
