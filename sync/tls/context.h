// The TLS context of a sync node and what a connection reads from a finished handshake:
// TLS 1.3 only, mutual authentication against the province CA (and its CRL, whose dates never
// refuse anyone: an unrenewed CRL must not stop the network), the peer's certificate as PEM,
// and why verification failed.
// Thread-safety: free functions; a context is shared by every connection once made.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>

#include "core/base/status.h"
#include "sync/tls/node.h"

namespace hoso::sync {

// The context for `c`'s certificate, key and CA, checking `crl` (PEM, may be empty).
Result<std::shared_ptr<boost::asio::ssl::context>> MakeContext(const TlsConfig& c,
                                                               const std::string& crl);
// The peer's certificate after a handshake, as PEM ("" when it sent none).
std::string PeerCertificatePem(SSL* ssl);
// " (certificate: <reason>)" when the peer's certificate failed verification, else "".
std::string VerifyFailure(SSL* ssl);

}  // namespace hoso::sync
