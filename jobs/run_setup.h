#pragma once
// What every command that calls the gateway sets up the same way (`run`, `backfill`, `check`): run ids and the
// gateway options and merchant credentials from Settings.
#include <memory>
#include <string>

#include "config/settings.h"
#include "core/time.h"
#include "gateway/merchants.h"
#include "gateway/options.h"

namespace payrecon::jobs {

// A random UUID (version 4).
std::string NewRunId();
gateway::GatewayOptions GatewayOptionsFrom(const config::AmazonPaySettings& amazonpay);
std::shared_ptr<const gateway::Merchants> MerchantsFrom(const config::Settings& settings);

}  // namespace payrecon::jobs
