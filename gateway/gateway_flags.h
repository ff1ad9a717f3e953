#pragma once

#include "common/options.h"
#include "gateway/gateway_config.h"

namespace streamgate::gateway {

// Declares every gateway flag (and so its GATEWAY_<FLAG> environment twin) into `options`,
// writing into `config`. Only main calls it; library code gets the config.
void AddGatewayFlags(common::OptionSet& options, GatewayConfig& config);

}  // namespace streamgate::gateway
