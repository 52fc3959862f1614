#pragma once
// The gateway-side transactions: compact records in 64 shards, each with its own lock and two indexes
// (merchant, merchant txn id) and (merchant, Amazon txn id). Built for millions of records: about 300 bytes each.
// Lifecycles are lazy: a record holds its current status and when and to what it settles; the status at any
// sandbox instant is computed, so settling needs no background thread and follows the sandbox clock exactly.
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/expected.h"
#include "core/money.h"
#include "core/status.h"
#include "sandbox/fault.h"

namespace payrecon::sandbox {

inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

struct Txn {
  std::string merchant_txn_id;   // chargeId / refundId
  std::string amazon_txn_id;     // P04-1234567-1234567, refunds P04-1234567-1234567-R1234567
  std::string custom_data;       // customData of a POSTed charge
  core::Paise amount = 0;        // requested (charge, top-up) or refund amount
  core::Paise approved_amount = 0;  // what a CaptureApproved charge or top-up reports as approvedAmount
  core::Paise refunded = 0;      // charge / top-up: refunds taken against it that do not end Declined
  std::int64_t created_ms = 0;   // sandbox clock, ms since the epoch
  std::int64_t settle_at_ms = kNever;  // sandbox instant at which status becomes settle_to
  Txn* parent = nullptr;         // a refund's charge
  std::uint32_t checks = 0;      // status requests that asked about this record
  FaultSpec fault;               // per-transaction fault; times counts down when > 0
  std::uint16_t merchant = 0;    // MerchantDirectory index
  core::Kind kind = core::Kind::kCharge;
  core::Status status = core::Status::kCapturePending;
  core::Status settle_to = core::Status::kCapturePending;
  std::array<char, 4> currency{'I', 'N', 'R', '\0'};
  bool removed = false;

  core::Status StatusAt(std::int64_t now_ms) const { return now_ms >= settle_at_ms ? settle_to : status; }
  std::int64_t UpdatedAt(std::int64_t now_ms) const { return now_ms >= settle_at_ms ? settle_at_ms : created_ms; }
  std::string_view Currency() const { return std::string_view(currency.data()); }
};

class Store {
 public:
  static constexpr std::size_t kShards = 64;

  explicit Store(std::uint64_t seed) : seed_(seed) {}
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Adds a record. An empty amazon_txn_id gets a fresh Amazon-style id (a refund's derives from its parent's).
  // Fails, changing nothing, when the merchant already has the merchant txn id or the Amazon txn id (charges,
  // refunds and top-ups share both namespaces, as Get Status does). Returns the stored record.
  core::Expected<Txn*> Insert(Txn txn);
  // Takes a record out of both indexes (used to roll back a failed load). Requires a record Insert returned.
  void Remove(Txn* txn);

  // Runs f(record) under the record's lock. False when the merchant has no such id (or it was removed).
  bool WithTxn(std::uint16_t merchant, std::string_view id, bool by_amazon_id, const std::function<void(Txn&)>& f);
  // Runs f on every record, one shard locked at a time.
  void ForEach(const std::function<void(const Txn&)>& f) const;
  std::size_t size() const { return size_.load(); }

 private:
  // The hash is computed once and stored: lookups compare it first, and the table never rehashes strings.
  struct Key {
    std::size_t hash;
    std::string_view id;
    std::uint16_t merchant;
    bool operator==(const Key& o) const { return hash == o.hash && merchant == o.merchant && id == o.id; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept { return k.hash; }
  };
  static Key MakeKey(std::uint16_t merchant, std::string_view id) {
    return {std::hash<std::string_view>()(id) ^ (static_cast<std::size_t>(merchant) * 0x9E3779B97F4A7C15ULL), id,
            merchant};
  }
  struct Shard {
    mutable std::mutex mu;
    std::deque<Txn> records;
    std::unordered_map<Key, Txn*, KeyHash> by_merchant_id;
    std::unordered_map<Key, Txn*, KeyHash> by_amazon_id;
  };
  // High bits pick the shard; the tables use the hash modulo a prime.
  static std::size_t ShardOf(const Key& key) { return (key.hash >> 40) % kShards; }
  std::string NewAmazonId(const Txn& txn);

  std::uint64_t seed_;
  std::atomic<std::uint64_t> id_counter_{0};
  std::atomic<std::size_t> size_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace payrecon::sandbox
