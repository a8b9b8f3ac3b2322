// The web app's static files (node/web), compiled into hoso-node: plain HTML, CSS and
// JavaScript with no external fonts or CDNs, so it works in an office with no internet.
// Thread-safety: constant data.
#pragma once

#include <string_view>
#include <vector>

namespace hoso::node {

struct WebAsset {
  std::string_view path;  // "/app.js"
  std::string_view bytes;
};

const std::vector<WebAsset>& WebAssets();

}  // namespace hoso::node
