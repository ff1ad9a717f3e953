#include "gateway/web/web_assets.h"

#include <cstddef>

namespace streamgate::gateway {

// Defined in the generated web_assets_data.cc.
extern const WebAsset kEmbeddedWebAssets[];
extern const size_t kEmbeddedWebAssetCount;

std::span<const WebAsset> AllWebAssets() { return {kEmbeddedWebAssets, kEmbeddedWebAssetCount}; }

const WebAsset* FindWebAsset(std::string_view path) {
  if (path == "/") path = "/index.html";
  // A handful of files: a linear scan beats building a map.
  for (const WebAsset& asset : AllWebAssets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace streamgate::gateway
