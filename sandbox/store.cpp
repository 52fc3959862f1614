#include "sandbox/store.h"

#include <cstdio>

namespace payrecon::sandbox {
namespace {

std::string Digits7(std::uint64_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%07u", static_cast<unsigned>(v % 10000000));
  return buf;
}

}  // namespace

std::string Store::NewAmazonId(const Txn& txn) {
  const std::uint64_t r = Mix64(seed_ ^ Mix64(id_counter_.fetch_add(1) + 0xA3A2));
  const std::uint64_t r2 = Mix64(r);
  if (txn.kind != core::Kind::kRefund) return "P04-" + Digits7(r) + "-" + Digits7(r >> 32);
  std::string base = txn.parent != nullptr ? txn.parent->amazon_txn_id : "P04-" + Digits7(r) + "-" + Digits7(r >> 32);
  return base + "-R" + Digits7(r2);
}

core::Expected<Txn*> Store::Insert(Txn txn) {
  const bool generate = txn.amazon_txn_id.empty();
  for (int attempt = 0;; ++attempt) {
    if (generate) txn.amazon_txn_id = NewAmazonId(txn);
    const Key owner_key = MakeKey(txn.merchant, txn.merchant_txn_id);
    const Key amazon_key = MakeKey(txn.merchant, txn.amazon_txn_id);
    Shard& owner = shards_[ShardOf(owner_key)];
    Shard& amazon = shards_[ShardOf(amazon_key)];
    std::unique_lock<std::mutex> l1(owner.mu, std::defer_lock);
    std::unique_lock<std::mutex> l2(amazon.mu, std::defer_lock);
    if (&owner == &amazon) {
      l1.lock();
    } else {
      std::lock(l1, l2);
    }
    if (owner.by_merchant_id.contains(owner_key)) {
      return core::Error{"duplicate merchant_txn_id \"" + txn.merchant_txn_id + "\""};
    }
    if (amazon.by_amazon_id.contains(amazon_key)) {
      if (generate && attempt < 100) continue;
      return core::Error{"duplicate amazon_txn_id \"" + txn.amazon_txn_id + "\""};
    }
    Txn& stored = owner.records.emplace_back(std::move(txn));
    // The keys must view the stored record's strings, not the moved-from ones.
    owner.by_merchant_id.emplace(Key{owner_key.hash, stored.merchant_txn_id, stored.merchant}, &stored);
    amazon.by_amazon_id.emplace(Key{amazon_key.hash, stored.amazon_txn_id, stored.merchant}, &stored);
    size_.fetch_add(1);
    return &stored;
  }
}

void Store::Remove(Txn* txn) {
  const Key owner_key = MakeKey(txn->merchant, txn->merchant_txn_id);
  const Key amazon_key = MakeKey(txn->merchant, txn->amazon_txn_id);
  Shard& owner = shards_[ShardOf(owner_key)];
  Shard& amazon = shards_[ShardOf(amazon_key)];
  std::unique_lock<std::mutex> l1(owner.mu, std::defer_lock);
  std::unique_lock<std::mutex> l2(amazon.mu, std::defer_lock);
  if (&owner == &amazon) {
    l1.lock();
  } else {
    std::lock(l1, l2);
  }
  if (txn->removed) return;
  owner.by_merchant_id.erase(owner_key);
  amazon.by_amazon_id.erase(amazon_key);
  txn->removed = true;
  size_.fetch_sub(1);
}

bool Store::WithTxn(std::uint16_t merchant, std::string_view id, bool by_amazon_id,
                    const std::function<void(Txn&)>& f) {
  Txn* found = nullptr;
  const Key key = MakeKey(merchant, id);
  Shard& first = shards_[ShardOf(key)];
  {
    std::lock_guard lock(first.mu);
    auto& index = by_amazon_id ? first.by_amazon_id : first.by_merchant_id;
    const auto it = index.find(key);
    if (it == index.end()) return false;
    found = it->second;
    if (!by_amazon_id) {
      f(*found);
      return true;
    }
  }
  // Ids never change after insertion, so the owner shard can be found without its lock.
  Shard& owner = shards_[ShardOf(MakeKey(merchant, found->merchant_txn_id))];
  std::lock_guard lock(owner.mu);
  if (found->removed) return false;
  f(*found);
  return true;
}

void Store::ForEach(const std::function<void(const Txn&)>& f) const {
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const Txn& t : shard.records) {
      if (!t.removed) f(t);
    }
  }
}

}  // namespace payrecon::sandbox
