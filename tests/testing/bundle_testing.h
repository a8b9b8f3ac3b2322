// Altering a bundle as a tamperer would: change bytes of its records, then write a trailer
// whose counts and digest match again (the digest has no key: docs/bundle-format.md), so that
// only the signatures and chains can tell.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "core/format/cbor.h"
#include "core/format/crypto.h"

namespace hoso::testing {

// `bundle` with one bit flipped in the first occurrence of `needle` (in a record before the
// trailer) and the trailer's digest recomputed.
inline std::string TamperedBundle(std::string_view bundle, std::string_view needle) {
  size_t pos = 0, last = 0, used = 0;
  cbor::Limits limits;
  limits.max_input = bundle.size();
  limits.max_string = 1u << 20;
  limits.max_collection = 1u << 16;
  limits.max_items = 1u << 20;
  cbor::Value trailer;
  while (pos < bundle.size()) {
    auto item = cbor::DecodePrefix(bundle.substr(pos), &used, limits);
    REQUIRE(item.ok());
    trailer = *item;
    last = pos;
    pos += used;
  }
  std::string body(bundle.substr(0, last));
  size_t at = body.find(needle);
  REQUIRE(at != std::string::npos);
  body[at + needle.size() / 2] ^= 0x01;
  REQUIRE(trailer.items().size() == 4);
  trailer.items()[3] = cbor::Value::Bytes(AsView(Sha256(body)));
  return body + cbor::Encode(trailer);
}

}  // namespace hoso::testing
