// A case log opened as an auditor opens it (tools/cli/audit.cc): the audit commands and
// `hoso audit reads` (tools/cli/audit_reads.cc) share it.
#pragma once

#include <memory>
#include <string>

#include "core/base/status.h"
#include "core/log/store.h"
#include "tools/cli/flags.h"

namespace hoso::cli {

struct AuditTarget {
  std::unique_ptr<Store> store;
  std::string ca_pem, crl_pem;
  std::string db;
  std::string secondary;  // scratch directory of the secondary instance
  ~AuditTarget();
};

// --data is a node's data directory (its hoso.conf names the db and the CA), a backup
// (node/backup.h) or a store itself (a backup of the older layout); opened read-only as a
// secondary instance, so the node may keep running. An encrypted store needs --master-key
// FILE, or the key of the node whose data directory was given.
[[nodiscard]] Status OpenForAudit(const Args& a, AuditTarget* t);

}  // namespace hoso::cli
