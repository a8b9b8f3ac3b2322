// hoso: the command line of a hoso deployment (docs/cli.md). The table of commands (their
// flags, synopsis and help) and the dispatch; each command group lives in its own file of
// tools/cli/ (commands.h).
//
//   hoso ca init|issue|revoke|list    the province's CA (keys, certificates, CRL)
//   hoso cert web                     a node API's HTTPS certificate (tools/web_cert.h)
//   hoso init                         a node's data directory and config
//   hoso directory load|show          the units tree (root node only for load)
//   hoso case new|step|show|list      cases, through a running node's local API
//   hoso doc add|list|get|verify      a case's files (scans, results), through the local API
//   hoso subject export|list          data-subject requests, through the local API
//   hoso sync status, hoso node status
//
// Every command takes --help; --json prints the machine-readable result on stdout.
// Exit codes: 0 done, 1 refused or failed (the message says why), 2 bad command line,
// 3 the node's API does not answer, 4 not found, 5 the audit found something.
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "node/config.h"
#include "node/health_source.h"
#include "tools/cli/commands.h"
#include "tools/cli/flags.h"
#include "tools/web_cert.h"

namespace hoso::cli {

namespace {

std::vector<Command> Commands() {
  const std::set<std::string> node_flags = {"dir", "api-ca"};
  auto with = [](std::set<std::string> a, std::initializer_list<std::string> b) {
    a.insert(b);
    return a;
  };
  std::set<std::string> init_flags = {"dir", "tls"};
  for (const auto& o : node::NodeOptions()) init_flags.insert(std::string(o.name));
  return {
      {"ca init",
       "--ca DIR --root UNIT [--years 10]",
       "Makes the deployment's CA in DIR (a new directory): its key, certificate and an empty "
       "CRL. Run it once, at the province, on a machine that stays offline.",
       {"ca", "root", "years"},
       {},
       {"ca", "root"},
       0,
       0,
       CaInitCmd},
      {"ca issue",
       "--ca DIR --unit UNIT [--epoch 1] --out BUNDLE (--root-node DIR | --no-system) "
       "[--years 3]",
       "Makes a node key and a certificate for UNIT at EPOCH, written with the CA certificate "
       "and CRL to the BUNDLE directory for `hoso init --tls`, and, for an office other than "
       "the root, the running root node's system channels (directory, catalogue, calendar, "
       "revocations; --root-node names its data directory) as system.bundle, so the office "
       "receives cases from its first start. If the root node does not answer nothing is "
       "written; --no-system issues without them. A node restored from a backup or "
       "re-installed gets the next epoch.",
       {"ca", "unit", "epoch", "out", "years", "root-node"},
       {"no-system"},
       {"ca", "unit", "out"},
       0,
       0,
       CaIssueCmd},
      {"ca revoke",
       "--ca DIR (--serial N | --unit UNIT [--epoch 1])",
       "Revokes a certificate and rewrites DIR/crl.pem. Copy it to every node's tls/crl.pem "
       "and send SIGHUP.",
       {"ca", "serial", "unit", "epoch"},
       {},
       {"ca"},
       0,
       0,
       CaRevokeCmd},
      {"ca list",
       "--ca DIR",
       "Lists the certificates issued, and which are revoked.",
       {"ca"},
       {},
       {"ca"},
       0,
       0,
       CaListCmd},
      {"cert web",
       "--ca DIR (--dir DATA | --out BUNDLE --unit UNIT) [--name NAME ...] [--days 730]",
       "Issues an HTTPS certificate for a node's web app and API from the CA's web root, for "
       "the names and addresses clerks type (--name, and with --dir the node's api and "
       "api_names) and loopback; writes it with its key (0600) and the web root into the "
       "node's tls/ (--dir) or a bundle for hoso init (--out).",
       {"ca", "dir", "out", "unit", "name", "days"},
       {},
       {"ca"},
       0,
       0,
       [](const Args& a) { return tools::CertWebCommand(a.flags, a.json); }},
      {"init",
       "--dir DIR --tls BUNDLE --root UNIT [--listen H:P] [--upstream UNIT@H:P] [--api H:P] ...",
       "Makes a node's data directory: copies the TLS files and the set-up bundle of system "
       "channels (system.bundle, checked against the CA) from BUNDLE, writes a fresh API "
       "token (0600) and hoso.conf. Any hoso-node option may be given as a flag "
       "(hoso-node --help lists them).",
       init_flags,
       {},
       {"dir", "tls", "root"},
       0,
       0,
       InitCmd},
      {"backup",
       "[--dir DIR] --out PATH",
       "Backs up the running node, without stopping it, into PATH: a new directory on the "
       "node's machine (under /var/backups/hoso for a packaged node) holding a consistent "
       "copy of its case log (db/), officers.json, hoso.conf and backup.json. Refused, "
       "nothing written, when PATH exists or its parent does not.",
       with(node_flags, {"out"}),
       {},
       {"out"},
       0,
       0,
       BackupCmd},
      {"restore",
       "--dir DIR --from BACKUP --tls BUNDLE",
       "Restores a stopped node from a backup. BUNDLE holds a new certificate for the same "
       "unit at the next epoch (hoso ca issue --epoch N+1); the old db/ is kept aside.",
       {"dir", "from", "tls"},
       {},
       {"dir", "from", "tls"},
       0,
       0,
       RestoreCmd},
      {"key rotate",
       "--dir DIR",
       "Rewrites a stopped node's case log under a new master key and puts the key in place; "
       "the old key is kept beside it (backups made before need it). Give the province's key "
       "custodian the new key (docs/privacy.md).",
       {"dir"},
       {},
       {"dir"},
       0,
       0,
       KeyRotateCmd},
      {"audit verify",
       "(--data DIR | FILE) [--ca FILE] [--crl FILE] [--master-key FILE] [--no-states]",
       "Checks a store as an auditor: every stream's chain, every signed head, every origin's "
       "certificate against the CA, forks, write rules, canonical encoding, and that stored "
       "case states equal a fresh fold. DIR is a node's data directory (read while the node "
       "runs) or a backup (a backup's case log is read with --master-key, the node's key file). "
       "With a bundle FILE (and --ca): its structure, digest, chains, "
       "signatures and origin certificates. Exit 5 on any finding, each named by stream, seq "
       "and case.",
       {"data", "master-key", "ca", "crl"},
       {"no-states"},
       {},
       0,
       1,
       AuditVerifyCmd},
      {"audit receipts",
       "--data DIR [--ca FILE] [--crl FILE]",
       "Lists the receipts this node's parents signed for what it delivered (who holds which "
       "streams up to which seq, since when) and verifies each signature and the holder's "
       "certificate. Exit 5 if one does not verify.",
       {"data", "master-key", "ca", "crl"},
       {},
       {"data"},
       0,
       0,
       AuditReceiptsCmd},
      {"export",
       "--data DIR --scope UNIT [--since VECTOR_FILE] [--with-documents] --out FILE",
       "Writes a bundle (docs/bundle-format.md): the streams of UNIT's scope and the system "
       "channels, with their signed heads and origins' certificates; with --since, only what "
       "the vector file's node lacks; with --with-documents, the chunks held of the files "
       "their cases name (the importer checks each against its name). For an office with no "
       "link: carry FILE by post.",
       {"data", "master-key", "scope", "since", "out"},
       {"with-documents"},
       {"data", "scope", "out"},
       0,
       0,
       ExportCmd},
      {"import",
       "[--dir DIR] FILE",
       "Gives a bundle to the running node, which verifies it exactly as sync would and "
       "stores what it may hold. Importing the same file twice changes nothing.",
       node_flags,
       {},
       {},
       1,
       1,
       ImportCmd},
      {"vector",
       "--data DIR --out FILE",
       "Writes what the node holds (stream heads) to FILE, for `hoso export --since` at the "
       "office that will send it a bundle.",
       {"data", "master-key", "out"},
       {},
       {"data", "out"},
       0,
       0,
       VectorCmd},
      {"audit replay",
       "--data DIR (--case CODE | --scope UNIT) [--as-of TIME]",
       "Rebuilds from the log alone a case's history (who, which office, when, what changed, "
       "conflicts opened and resolved) and its state at TIME, or a scope's counts by status "
       "and fingerprint at TIME.",
       {"data", "master-key", "case", "scope", "as-of"},
       {},
       {"data"},
       0,
       0,
       AuditReplayCmd},
      {"audit reads",
       "--data DIR (--case CODE | --person ID_NUMBER) [--master-key FILE]",
       "Lists who read a case's personal data, or the data of every case whose applicant has "
       "ID_NUMBER: time, officer, unit, case, screen and purpose, from the read log the store "
       "holds (every unit's reads at the province). DIR (or --dir DIR) is a node's data "
       "directory, read while the node runs, or a backup.",
       {"data", "dir", "master-key", "case", "person"},
       {},
       {},
       0,
       0,
       AuditReadsCmd},
      {"catalogue generate",
       "--out FILE.csv [--count 1000] [--seed 1]",
       "Writes a sample catalogue for scale tests and benchmarks (about 40% not "
       "postal-eligible, codes TEST-..., never a province's: load "
       "/usr/share/hoso/catalogue-commune-2025.csv) as CSV: "
       "code,name,agency,days,day_kind,postal,fee,documents.",
       {"out", "count", "seed"},
       {},
       {"out"},
       0,
       0,
       CatalogueGenerateCmd},
      {"catalogue load",
       "[--dir DIR] --officer ID FILE.csv",
       "Writes the procedures of a CSV into the catalogue (root node only); every node "
       "receives it by sync.",
       with(node_flags, {"officer"}),
       {},
       {"officer"},
       1,
       1,
       CatalogueLoadCmd},
      {"catalogue search",
       "[--dir DIR] [QUERY] [--limit 20]",
       "Finds procedures by code prefix or by name, typed with or without diacritics.",
       with(node_flags, {"limit"}),
       {},
       {},
       0,
       1,
       CatalogueSearchCmd},
      {"calendar set",
       "[--dir DIR] --officer ID (--year Y --holidays D,D,... [--working-days D,...] | "
       "--unit U --sessions HH:MM-HH:MM,...)",
       "Root node only: replaces a year's public holidays and swapped working days, or a "
       "unit's working hours. Every node receives it by sync; due dates follow.",
       with(node_flags, {"officer", "year", "holidays", "working-days", "unit", "sessions"}),
       {},
       {"officer"},
       0,
       0,
       CalendarSetCmd},
      {"calendar show",
       "[--dir DIR] [--year Y]",
       "Shows this unit's working hours and each year's holidays, and where they come from.",
       with(node_flags, {"year"}),
       {},
       {},
       0,
       0,
       CalendarShowCmd},
      {"officer add",
       "[--dir DIR] --login LOGIN --role reception|processing|head|auditor [--name NAME] "
       "[--password-file FILE]",
       "Creates a web app account at this node (the password from FILE or standard input, at "
       "least 10 characters, stored as PBKDF2-HMAC-SHA256).",
       with(node_flags, {"login", "role", "name", "password-file"}),
       {},
       {"login", "role"},
       0,
       0,
       [](const Args& a) { return OfficerCmd(a, "add"); }},
      {"officer passwd",
       "[--dir DIR] --login LOGIN [--password-file FILE]",
       "Sets an officer's password.",
       with(node_flags, {"login", "password-file"}),
       {},
       {"login"},
       0,
       0,
       [](const Args& a) { return OfficerCmd(a, "passwd"); }},
      {"officer remove",
       "[--dir DIR] --login LOGIN",
       "Removes an officer's account.",
       with(node_flags, {"login"}),
       {},
       {"login"},
       0,
       0,
       [](const Args& a) { return OfficerCmd(a, "remove"); }},
      {"officer list",
       "[--dir DIR]",
       "Lists the officer accounts and their roles.",
       node_flags,
       {},
       {},
       0,
       0,
       [](const Args& a) { return OfficerCmd(a, "list"); }},
      {"report",
       "[--dir DIR] [--scope UNIT] [--from YYYY-MM] [--to YYYY-MM] "
       "[--by unit,procedure,month] [--csv FILE]",
       "The periodic report for a scope (default: this node's unit) and months (default: "
       "this month): received (online, in person, postal, carried over), resolved (early, on "
       "time, late), in progress (on time, late), postal share, on-time rate; grouped as "
       "asked; --csv writes it as CSV.",
       with(node_flags, {"scope", "from", "to", "by", "csv"}),
       {},
       {},
       0,
       0,
       ReportCmd},
      {"directory load",
       "[--dir DIR] --officer ID [--valid-from TIME] FILE.csv",
       "Writes the units of a CSV (code,parent_code,name,type) into the directory, valid from "
       "TIME (default now). Only on the root node; the other nodes receive it by sync.",
       with(node_flags, {"officer", "valid-from"}),
       {},
       {"officer"},
       1,
       1,
       DirectoryLoadCmd},
      {"directory redraw",
       "[--dir DIR] --officer ID --at TIME [--dry-run] FILE.csv",
       "Applies a re-draw of the province (old_province,old_code,old_name,new_code,new_name,"
       "new_province,share, as data/redraw-2025-07-01.csv) from TIME on: the province's "
       "succession, new units, merges into successors, districts dissolved, units gone to "
       "another province. TIME must be ahead, so every office learns it before it applies. "
       "Only on the root node; --dry-run prints the plan and writes nothing.",
       with(node_flags, {"officer", "at"}),
       {"dry-run"},
       {"officer", "at"},
       1,
       1,
       DirectoryRedrawCmd},
      {"revoke",
       "[--dir DIR] --officer ID --unit U [--epoch E] --reason TEXT",
       "Revokes a node (its unit and epoch) as data, in the $revocations channel. Only on the "
       "root node; the other nodes receive it by sync or bundle, close its sessions and refuse "
       "its new events, while what they held stays valid history.",
       with(node_flags, {"officer", "unit", "epoch", "reason"}),
       {},
       {"officer", "unit", "reason"},
       0,
       0,
       RevokeCmd},
      {"erase",
       "[--dir DIR] --officer ID (--case CODE | --person ID_NUMBER) --decision TEXT --ground "
       "TEXT",
       "Erases the personal data of a case, or of every case of a person (Law 91/2025): a "
       "decision signed by the root in the $erasure channel. Every node holding the case destroys "
       "its key when it receives it, so "
       "the name, ID number and address can no longer be read anywhere, while every chain, "
       "signature and audit still verifies. Only on the root node.",
       with(node_flags, {"officer", "case", "person", "decision", "ground"}),
       {},
       {"officer", "decision", "ground"},
       0,
       0,
       EraseCmd},
      {"erasures",
       "[--dir DIR] [--case CODE]",
       "Lists the erasures this node holds: when, by which decision, which holders have "
       "destroyed the key (signed key.destroyed) and which have not yet.",
       with(node_flags, {"case"}),
       {},
       {},
       0,
       0,
       ErasuresCmd},
      {"subject export",
       "[--dir DIR] --id-number ID [--officer ID] [--received YYYY-MM-DD] [--out FILE]",
       "Answers a person's data-subject request (Law 91/2025): everything this node holds about "
       "the person with this ID number (9 or 12 digits): each case's fields and history, "
       "erasures, and who read those cases, as a readable UTF-8 text (with --json, the API's "
       "JSON), on stdout or in FILE (mode 0600). The node records the request (received on "
       "YYYY-MM-DD, default today) and its answer as signed events of its unit, and the export "
       "as a read. Exit 4 when the node holds no case of the person (still recorded).",
       with(node_flags, {"id-number", "officer", "received", "out"}),
       {},
       {"id-number"},
       0,
       0,
       SubjectExportCmd},
      {"subject list",
       "[--dir DIR]",
       "Lists the data-subject requests this node holds (its own and, at a province, its "
       "units'): received, due (2 working days later), answered, and whether in time.",
       node_flags,
       {},
       {},
       0,
       0,
       SubjectListCmd},
      {"directory show",
       "[--dir DIR]",
       "Prints the units tree as the node holds it now.",
       node_flags,
       {},
       {},
       0,
       0,
       DirectoryShowCmd},
      {"case new",
       "[--dir DIR] --officer ID --procedure CODE --name NAME [--id-no N] [--phone P] "
       "[--email E] [--address A] [--channel counter|online|postal] [--residence UNIT] "
       "[--return-address A] [--due TIME] [--fee DONG] [--doc NAME[:original|copy[:COUNT]]]... "
       "[--note T] [--code C]",
       "Receives a case at this node's office and prints its code (minted as "
       "UNIT-YYMMDD-NNNN unless --code is given). --residence is the citizen's commune of "
       "residence, required for a procedure decided there (the case is routed to it). "
       "--return-address means the result goes back by post.",
       with(node_flags,
            {"officer", "procedure", "procedure-name", "name", "id-no", "phone", "email", "address",
             "channel", "residence", "return-address", "due", "fee", "doc", "note", "code"}),
       {},
       {"officer", "procedure", "name"},
       0,
       0,
       CaseNewCmd},
      {"case step",
       "[--dir DIR] CODE --officer ID --status STATUS [--tracking T] [--note T]",
       "Records a lifecycle step (forwarded, processing, supplement_requested, result_ready, "
       "dispatched, delivered, undeliverable, closed, ...).",
       with(node_flags, {"officer", "status", "note", "tracking"}),
       {},
       {"officer", "status"},
       1,
       1,
       CaseStepCmd},
      {"case show",
       "[--dir DIR] [--officer ID] [--purpose TEXT] CODE",
       "Prints a case, its conflicts and its history. The read is recorded in the node's read "
       "log with the officer and purpose given (docs/privacy.md).",
       with(node_flags, {"officer", "purpose"}),
       {},
       {},
       1,
       1,
       CaseShowCmd},
      {"case list",
       "[--dir DIR] [--status S] [--office UNIT] [--applicant NAME] [--overdue] "
       "[--due-before TIME] [--due-after TIME] [--limit N] [--officer ID] [--purpose TEXT]",
       "Lists cases. The applicant's name matches as a prefix, typed with or without "
       "diacritics. Each case listed with a name is recorded as read in the node's read log, "
       "with the officer and purpose given.",
       with(node_flags, {"status", "office", "applicant", "due-before", "due-after", "limit",
                         "officer", "purpose"}),
       {"overdue"},
       {},
       0,
       0,
       CaseListCmd},
      {"doc add",
       "[--dir DIR] CODE FILE --officer ID [--name NAME] [--item ITEM] "
       "[--kind original|copy|electronic] [--role application|supplement|result]",
       "Attaches FILE (a PDF, JPEG or PNG: its content decides) to case CODE, as the answer to "
       "the checklist item ITEM if given; --name defaults to FILE's name. A result "
       "(--role result) once the case is being processed; nothing once it is closed. Prints "
       "the file's SHA-256, which names it from then on.",
       with(node_flags, {"officer", "name", "item", "kind", "role"}),
       {},
       {"officer"},
       2,
       2,
       DocAddCmd},
      {"doc list",
       "[--dir DIR] CODE [--officer ID] [--purpose TEXT]",
       "Lists case CODE's files: SHA-256, name, size, type, role, whether each is here or "
       "still arriving (with how much of it), withdrawn ones marked.",
       with(node_flags, {"officer", "purpose"}),
       {},
       {},
       1,
       1,
       DocListCmd},
      {"doc get",
       "[--dir DIR] CODE SHA256 [--out FILE] [--officer ID] [--purpose TEXT]",
       "Saves a file of case CODE to FILE (default: its SHA-256), after checking that its "
       "bytes hash to SHA256 (a unique prefix of 8 hex digits or more will do). A file not "
       "all here yet is asked of the peers and the command fails saying how much has come.",
       with(node_flags, {"out", "officer", "purpose"}),
       {},
       {},
       2,
       2,
       DocGetCmd},
      {"doc verify",
       "[--dir DIR] CODE [SHA256] [--officer ID] [--purpose TEXT]",
       "Reads every file of case CODE (or the one named) from the node and checks it against "
       "its SHA-256 end to end. Exit 5 when a file is damaged, 1 when one could not be "
       "checked here (not arrived yet). `hoso audit verify` checks every chunk of a store.",
       with(node_flags, {"officer", "purpose"}),
       {},
       {},
       1,
       2,
       DocVerifyCmd},
      {"sync status",
       "[--dir DIR]",
       "Shows whether the node is online, since when, and per peer: connected, last success, "
       "events the peer lacks, clock skew, bytes sent and received.",
       node_flags,
       {},
       {},
       0,
       0,
       SyncStatusCmd},
      {"node status",
       "[--dir DIR]",
       "Shows the node's unit, case count and fingerprint.",
       node_flags,
       {},
       {},
       0,
       0,
       NodeStatusCmd},
  };
}

void PrintUsage(const std::vector<Command>& commands) {
  std::printf("Usage: hoso COMMAND [options] [--json]\n  or:  hoso --version\n\nCommands:\n");
  for (const auto& c : commands)
    std::printf("  hoso %-15s %s\n", c.name.c_str(), c.synopsis.c_str());
  std::printf(
      "\n`hoso COMMAND --help` explains one. --dir defaults to $HOSO_DIR, else the current\n"
      "directory. Exit codes: 0 done, 1 refused or failed, 2 bad command line, 3 the node's\n"
      "API does not answer, 4 not found, 5 the audit found something.\n");
}

// Finds the command args name, parses its flags and runs it.
int Run(const std::vector<std::string>& args) {
  auto commands = Commands();
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintUsage(commands);
    return args.empty() ? kUsage : kOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("%s\n", node::BuildVersion().c_str());
    return kOk;
  }
  const Command* cmd = nullptr;
  size_t used = 0;
  for (const auto& c : commands) {
    size_t space = c.name.find(' ');
    if (space == std::string::npos) {
      if (args[0] == c.name) cmd = &c, used = 1;
    } else if (args.size() >= 2 && args[0] == c.name.substr(0, space) &&
               args[1] == c.name.substr(space + 1)) {
      cmd = &c, used = 2;
    }
  }
  if (!cmd) {
    std::string first = args[0];
    std::string known;
    for (const auto& c : commands) {
      if (c.name.rfind(first + " ", 0) == 0) known += "\n  hoso " + c.name;
    }
    if (!known.empty()) return Fail(kUsage, "'" + first + "' needs a subcommand:" + known);
    return Fail(kUsage, "unknown command '" + first + "' (hoso --help lists them)");
  }
  Args a;
  if (auto handled = ParseArgs(*cmd, args, used, &a)) return *handled;
  return cmd->run(a);
}

}  // namespace

}  // namespace hoso::cli

int main(int argc, char** argv) {
  return hoso::cli::Run(std::vector<std::string>(argv + 1, argv + argc));
}
