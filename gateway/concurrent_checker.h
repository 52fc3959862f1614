#pragma once
// core::ConcurrentStatusChecker over Amazon Pay's Get Status API: up to `capacity` calls in flight at once on
// non-blocking keep-alive connections (net::AsyncStream), all driven by the one thread that calls it, with epoll.
// Requests are signed, framed and verified by the same code as the blocking Client (wire_exchange.h), with the
// same rules: connect timeout for TCP and the TLS handshake, read timeout for each send and each wait for
// response bytes, kept-alive connections reopened after 8 s idle, and a GET that fails on a reused (or long
// prepared) connection before any response byte resent once on a new one.
//
// The process must ignore SIGPIPE (payrecon does, jobs/signals.cpp): OpenSSL writes TLS records with write(2).
//
// Why it exists: with one blocking call per thread, 64 calls in flight meant 64 threads parked in recv(2), each
// woken per response; the kernel's task switching was the largest single cost of a check.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "core/ports.h"
#include "env/clock.h"
#include "gateway/merchants.h"
#include "gateway/options.h"

namespace payrecon::gateway {

class ConcurrentGatewayChecker final : public core::ConcurrentStatusChecker {
 public:
  // Throws InvalidOptions (bad options, an unusable ca_file) and std::system_error (no epoll instance).
  // `clock` gives x-amz-date and the replay bound's arrival time; `steady` times connections, calls and their
  // deadlines (tests move it by hand).
  using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;
  ConcurrentGatewayChecker(GatewayOptions options, std::shared_ptr<const Merchants> merchants, int capacity,
                           Clock clock = env::WallNow, SteadyNow steady = std::chrono::steady_clock::now);
  ~ConcurrentGatewayChecker() override;
  ConcurrentGatewayChecker(const ConcurrentGatewayChecker&) = delete;
  ConcurrentGatewayChecker& operator=(const ConcurrentGatewayChecker&) = delete;

  int capacity() const override;
  // Begins opening a connection when no free one is open or being opened. A failure is kept and becomes the
  // failure of the next call that has no open connection to use.
  void PrepareConnection() override;
  // True when a free connection is open, or the last opening failed (a call would fail at once); false while
  // none is open, whether one is being opened or not.
  bool ReadyToSend() const override;
  // No credentials for the merchant: kInvalidRequest, gateway_code kMerchantNotConfigured, no network call.
  void Start(std::uint64_t tag, const core::StatusQuery& query) override;
  void Poll(std::chrono::milliseconds timeout, std::vector<std::pair<std::uint64_t, core::CheckResult>>& done) override;

  // TCP connections opened for requests so far (one opened ahead counts once a request uses it).
  int connections_opened() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace payrecon::gateway
