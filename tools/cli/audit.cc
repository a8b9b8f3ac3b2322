// Reading a store as an auditor, from its files and while its node runs: audit verify,
// receipts and replay; and bundles carried by post: vector, export, verify FILE, import.
#include "core/audit/audit.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/audit/replay.h"
#include "core/base/clock.h"
#include "core/domain/case_log.h"
#include "core/domain/personal_data.h"
#include "core/format/certificate.h"
#include "core/log/store.h"
#include "core/log/store_cipher.h"
#include "node/backup.h"
#include "node/config.h"
#include "node/daemon.h"
#include "node/json.h"
#include "node/master_key.h"
#include "sync/bundle.h"
#include "sync/peer_state.h"
#include "sync/receipt.h"
#include "tools/cli/audit_store.h"
#include "tools/cli/commands.h"
#include "tools/cli/node_api.h"
#include "tools/cli/output.h"
#include "tools/provision.h"

namespace hoso::cli {

namespace json = boost::json;

AuditTarget::~AuditTarget() {
  store.reset();
  std::error_code ec;
  if (!secondary.empty()) std::filesystem::remove_all(secondary, ec);
}

namespace {

// The master key of an encrypted store: --master-key FILE, else the key of the node whose data
// directory was given; "" for a plaintext (format 1) store.
Result<std::string> MasterKeyFor(const Args& a, const std::string& db,
                                 const std::optional<node::NodeConfig>& config) {
  std::string key_id;
  HOSO_ASSIGN_OR_RETURN(StoreEncryption found, ProbeStoreEncryption(db, &key_id));
  if (found != StoreEncryption::kEncrypted) return std::string();
  if (a.Has("master-key")) return node::ReadMasterKeyFile(a.Get("master-key"));
  if (config) return node::ReadMasterKeyFile(node::MasterKeyPath(*config));
  return Status::InvalidArgument(db + " is encrypted under master key " + key_id +
                                 ": give that key with --master-key FILE (the node's "
                                 "master.key, or the province's copy of it)");
}

}  // namespace

Status OpenForAudit(const Args& a, AuditTarget* t) {
  std::string data = a.Get("data");
  std::string ca_file = a.Get("ca"), crl_file = a.Get("crl");
  t->db = data;
  std::optional<node::NodeConfig> node_config;
  if (std::filesystem::exists(data + "/" + std::string(node::kBackupManifest))) {
    // A backup (node/backup.h): its case log is db/; its hoso.conf is a copy, whose paths
    // name the node's files, not the backup's.
    auto backup = node::FindBackup(data);
    if (!backup.ok()) return backup.status();
    t->db = backup->store_dir;
  } else if (std::filesystem::exists(data + "/hoso.conf")) {
    auto config = node::LoadNodeConfig({"--dir", data});
    if (!config.ok()) return config.status();
    t->db = config->Path(config->db);
    node_config = *config;
    if (ca_file.empty()) ca_file = config->Path(config->ca);
    if (crl_file.empty() && std::filesystem::exists(config->Path(config->crl))) {
      crl_file = config->Path(config->crl);
    }
  }
  if (!std::filesystem::exists(t->db + "/CURRENT")) {
    return Status::NotFound(t->db +
                            " holds no case log (give a node's data directory or a backup)");
  }
  if (!ca_file.empty()) {
    HOSO_ASSIGN_OR_RETURN(t->ca_pem, node::ReadTextFile(ca_file, "CA certificate"));
  }
  if (!crl_file.empty()) {
    HOSO_ASSIGN_OR_RETURN(t->crl_pem, node::ReadTextFile(crl_file, "CRL"));
  }
  std::string scratch = (std::filesystem::temp_directory_path() / "hoso-audit-XXXXXX").string();
  if (!mkdtemp(scratch.data())) return Status::IOError("cannot create a temporary directory");
  t->secondary = scratch;
  StoreOptions o;
  o.path = t->db;
  HOSO_ASSIGN_OR_RETURN(o.master_key, MasterKeyFor(a, t->db, node_config));
  o.read_only = true;
  o.secondary_path = scratch;
  o.enforce_scope = false;
  UseCaseLogRules(&o);
  auto store = Store::Open(o);
  if (!store.ok()) return store.status();
  t->store = std::move(store).value();
  return Status::Ok();
}

namespace {

// A vector file (hoso vector): what a node holds, so an export sends only the rest.
//   {"unit": tstr, "streams": [{"channel", "origin", "epoch", "seq"}]}
Result<VersionVector> ReadVectorFile(const std::string& path) {
  HOSO_ASSIGN_OR_RETURN(std::string text, node::ReadTextFile(path, "vector file"));
  auto v = node::ParseJson(text);
  if (!v.ok() || !v->is_object() || !v->as_object().contains("streams") ||
      !v->at("streams").is_array()) {
    return Status::InvalidArgument(path + " is not a vector file (make one with hoso vector)");
  }
  VersionVector out;
  for (const auto& s : v->at("streams").as_array()) {
    const auto* o = s.if_object();
    if (!o || !o->contains("channel") || !o->contains("origin") || !o->contains("epoch") ||
        !o->contains("seq") || !o->at("channel").is_string() || !o->at("origin").is_string() ||
        !o->at("epoch").is_number() || !o->at("seq").is_number()) {
      return Status::InvalidArgument(path + ": a stream entry lacks channel, origin, epoch or seq");
    }
    // Another office's file: a negative or fractional number is an error, not an exception.
    json::error_code epoch_ec, seq_ec;
    uint64_t epoch = o->at("epoch").to_number<uint64_t>(epoch_ec);
    uint64_t seq = o->at("seq").to_number<uint64_t>(seq_ec);
    if (epoch_ec || seq_ec) {
      return Status::InvalidArgument(path +
                                     ": a stream entry's epoch or seq is not a whole number");
    }
    StreamKey k{std::string(o->at("channel").as_string()), std::string(o->at("origin").as_string()),
                epoch};
    out[k].seq = seq;
  }
  return out;
}

// What the node did with an imported bundle, for people.
Status PrintImport(const Answer& answer, const std::vector<Answer>& refused) {
  HOSO_ASSIGN_OR_RETURN(Answer created, answer.Field("created"));
  std::printf("bundle of scope %s from %s (%s): %s events applied, %s already held\n",
              answer.Str("scope").c_str(), answer.Str("exporter").c_str(),
              Local(created.value()).c_str(), answer.Str("applied").c_str(),
              answer.Str("duplicates").c_str());
  const std::string in_file = answer.Str("chunks_in_file");
  if (!in_file.empty() && in_file != "0") {
    std::printf("  file chunks: %s in the file, %s stored, %s already held, %s of no case here\n",
                in_file.c_str(), answer.Str("chunks").c_str(),
                answer.Str("chunk_duplicates").c_str(), answer.Str("chunks_unwanted").c_str());
  }
  for (const Answer& r : refused) {
    HOSO_ASSIGN_OR_RETURN(std::string why, r.Text());
    std::printf("  refused: %s\n", why.c_str());
  }
  return Status::Ok();
}

}  // namespace

int VectorCmd(const Args& a) {
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  json::array streams;
  for (const auto& [k, h] : t.store->Vector([](const std::string&) { return true; })) {
    streams.push_back(json::object{
        {"channel", k.channel}, {"origin", k.origin}, {"epoch", k.epoch}, {"seq", h.seq}});
  }
  const auto& id = t.store->options().identity;
  json::object out{{"unit", id ? id->unit : ""}, {"streams", std::move(streams)}};
  std::string text = json::serialize(out) + "\n";
  if (Status s = tools::WriteFileAtomic(a.Get("out"), text); !s.ok()) return FromStatus(s);
  if (!a.json) {
    std::printf("%zu streams written to %s; give it to the office that exports for you\n",
                out.at("streams").as_array().size(), a.Get("out").c_str());
  } else {
    PrintJson(out);
  }
  return kOk;
}

int ExportCmd(const Args& a) {
  VersionVector since;
  if (a.Has("since")) {
    auto v = ReadVectorFile(a.Get("since"));
    if (!v.ok()) return FromStatus(v.status());
    since = std::move(v).value();
  }
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  sync::BundleSummary sum;
  auto bundle = sync::ExportBundle(*t.store, a.Get("scope"), since, &sum, a.Has("with-documents"));
  if (!bundle.ok()) return FromStatus(bundle.status());
  // A bundle holds the scope's personal data: readable by its owner only.
  if (Status s = tools::WriteFileAtomic(a.Get("out"), *bundle, 0600); !s.ok()) {
    return FromStatus(s);
  }
  if (a.json) {
    PrintJson(json::object{{"out", a.Get("out")},
                           {"bytes", bundle->size()},
                           {"streams", sum.streams},
                           {"batches", sum.batches},
                           {"events", sum.events},
                           {"origins", sum.origins},
                           {"chunks", sum.chunks},
                           {"chunk_bytes", sum.chunk_bytes},
                           {"chunks_missing", sum.chunks_missing}});
  } else {
    std::printf("%llu events of %llu streams for scope %s written to %s (%zu bytes)\n",
                static_cast<unsigned long long>(sum.events),
                static_cast<unsigned long long>(sum.streams), a.Get("scope").c_str(),
                a.Get("out").c_str(), bundle->size());
    if (a.Has("with-documents")) {
      const std::string left_out = sum.chunks_missing ? ", " + std::to_string(sum.chunks_missing) +
                                                            " not held here or damaged, left out"
                                                      : "";
      std::printf("with %llu file chunks (%llu bytes)%s\n",
                  static_cast<unsigned long long>(sum.chunks),
                  static_cast<unsigned long long>(sum.chunk_bytes), left_out.c_str());
    }
  }
  return kOk;
}

int ImportCmd(const Args& a) {
  auto bytes = node::ReadTextFile(a.positional[0], "bundle");
  if (!bytes.ok()) return FromStatus(bytes.status());
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/bundle", *bytes, &out, "application/cbor-seq"); rc != kOk) {
    return rc;
  }
  Answer answer(out);
  auto refused = answer.Elements("refused");  // decides the exit code, --json or not
  if (!refused.ok()) return BadAnswer(refused.status());
  if (a.json) {
    PrintJson(out);
  } else if (Status s = PrintImport(answer, *refused); !s.ok()) {
    return BadAnswer(s);
  }
  return refused->empty() ? kOk : kFailed;
}

namespace {

int VerifyBundleFile(const Args& a) {
  auto bytes = node::ReadTextFile(a.positional[0], "bundle");
  if (!bytes.ok()) return FromStatus(bytes.status());
  std::string ca, crl;
  if (a.Has("ca")) {
    auto c = node::ReadTextFile(a.Get("ca"), "CA certificate");
    if (!c.ok()) return FromStatus(c.status());
    ca = *c;
  }
  if (a.Has("crl")) {
    auto c = node::ReadTextFile(a.Get("crl"), "CRL");
    if (!c.ok()) return FromStatus(c.status());
    crl = *c;
  }
  if (ca.empty()) return Fail(kUsage, "verifying a bundle needs the deployment's CA: --ca FILE");
  sync::BundleSummary sum;
  auto problems = sync::VerifyBundle(
      *bytes,
      [&](const sync::OriginMsg& o) {
        return sync::CheckOriginCertificate(o, ca, crl, SystemClock::Default()->NowMs() / 1000);
      },
      &sum);
  if (!problems.ok()) {
    if (a.json) {
      PrintJson(json::object{{"ok", false},
                             {"findings", json::array{json::value(problems.status().message())}}});
    }
    std::fprintf(stderr, "hoso: %s\n", problems.status().message().c_str());
    return kFindings;
  }
  json::array findings;
  for (const auto& p : *problems) findings.push_back(json::value(p));
  if (a.json) {
    PrintJson(json::object{{"ok", problems->empty()},
                           {"scope", sum.scope},
                           {"exporter", sum.exporter},
                           {"streams", sum.streams},
                           {"events", sum.events},
                           {"origins", sum.origins},
                           {"findings", std::move(findings)}});
  } else {
    std::printf(
        "bundle of scope %s from %s: %llu streams, %llu events, %llu origins\n", sum.scope.c_str(),
        sum.exporter.c_str(), static_cast<unsigned long long>(sum.streams),
        static_cast<unsigned long long>(sum.events), static_cast<unsigned long long>(sum.origins));
    for (const auto& p : *problems) std::printf("  %s\n", p.c_str());
    std::printf(problems->empty() ? "no findings\n" : "%zu finding(s)\n", problems->size());
  }
  return problems->empty() ? kOk : kFindings;
}

}  // namespace

int AuditVerifyCmd(const Args& a) {
  if (!a.positional.empty()) {
    if (a.Has("data")) return Fail(kUsage, "give --data DIR or a bundle FILE, not both");
    return VerifyBundleFile(a);
  }
  if (!a.Has("data")) return Fail(kUsage, "give --data DIR (a store) or a bundle FILE");
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  AuditOptions options;
  options.ca_pem = t.ca_pem;
  options.crl_pem = t.crl_pem;
  options.check_states = !a.Has("no-states");
  auto start = std::chrono::steady_clock::now();
  auto report = AuditStore(*t.store, options);
  if (!report.ok()) return FromStatus(report.status());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const AuditReport& r = *report;
  json::array notes;
  for (const auto& n : r.notes) notes.push_back(json::value(n));
  if (a.json) {
    json::array findings;
    for (const auto& f : r.findings) {
      json::object o{{"kind", f.kind}, {"message", f.message}};
      if (!f.stream.channel.empty() || !f.stream.origin.empty()) {
        o["stream"] = json::object{
            {"channel", f.stream.channel}, {"origin", f.stream.origin}, {"epoch", f.stream.epoch}};
      }
      if (f.seq) o["seq"] = f.seq;
      if (!f.case_code.empty()) o["case"] = f.case_code;
      findings.push_back(std::move(o));
    }
    PrintJson(json::object{{"store", t.db},
                           {"ok", r.ok()},
                           {"certificates_checked", !t.ca_pem.empty()},
                           {"states_checked", options.check_states},
                           {"channels", r.channels},
                           {"streams", r.streams},
                           {"events", r.events},
                           {"signatures", r.signatures},
                           {"origins", r.origins},
                           {"cases", r.cases},
                           {"documents", r.documents},
                           {"chunks_checked", r.chunks_checked},
                           {"chunks_missing", r.chunks_missing},
                           {"seconds", secs},
                           {"findings", std::move(findings)},
                           {"notes", std::move(notes)}});
  } else {
    std::printf(
        "audited %s: %llu channels, %llu streams, %llu events, %llu signatures, "
        "%llu origins, %llu cases in %.2f s\n",
        t.db.c_str(), static_cast<unsigned long long>(r.channels),
        static_cast<unsigned long long>(r.streams), static_cast<unsigned long long>(r.events),
        static_cast<unsigned long long>(r.signatures), static_cast<unsigned long long>(r.origins),
        static_cast<unsigned long long>(r.cases), secs);
    if (r.documents) {
      std::printf(
          "documents: %llu files named, %llu chunks checked, %llu not held here (to "
          "arrive, or fetched on demand)\n",
          static_cast<unsigned long long>(r.documents),
          static_cast<unsigned long long>(r.chunks_checked),
          static_cast<unsigned long long>(r.chunks_missing));
    }
    if (t.ca_pem.empty()) {
      std::printf("certificates NOT checked: no CA given (--ca FILE)\n");
    }
    for (const auto& f : r.findings) {
      std::string where =
          f.stream.channel.empty() && f.stream.origin.empty() ? "" : " " + f.stream.ToString();
      if (f.seq) where += " seq " + std::to_string(f.seq);
      if (!f.case_code.empty()) where += " case " + f.case_code;
      std::printf("  %-11s%s: %s\n", f.kind.c_str(), where.c_str(), f.message.c_str());
    }
    for (const auto& n : r.notes) std::printf("  note: %s\n", n.c_str());
    std::printf(r.ok() ? "no findings: every chain, signature, certificate, write rule and "
                         "state checks out\n"
                       : "%zu finding(s)\n",
                r.findings.size());
  }
  return r.ok() ? kOk : kFindings;
}

int AuditReceiptsCmd(const Args& a) {
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  json::array list;
  size_t bad = 0;
  auto receipts = sync::PeerState(t.store.get()).Receipts();
  if (!receipts.ok()) return FromStatus(receipts.status());
  for (const auto& stored : *receipts) {
    std::string problem;
    auto r = sync::DecodeReceipt(stored.body);
    auto key = t.store->OriginKey(stored.holder, stored.holder_epoch);
    if (!r.ok()) {
      problem = r.status().message();
    } else if (!key.ok()) {
      problem = "no key for the holder " + stored.holder;
    } else if (!sync::VerifyReceipt(stored.body, stored.signature, *key).ok()) {
      problem = "the signature does not verify";
    } else if (!t.ca_pem.empty()) {
      std::string cert = t.store->OriginCertificate(stored.holder, stored.holder_epoch);
      auto info = VerifyNodeCertificate(cert, t.ca_pem, t.crl_pem, stored.at_ms / 1000);
      if (!info.ok()) {
        problem = "the holder's certificate: " + info.status().message();
      } else if (info->public_key != *key) {
        problem = "the holder's certificate carries another key";
      }
    }
    bad += !problem.empty();
    json::array heads;
    if (r.ok()) {
      for (const auto& [stream, head] : r->heads) {
        heads.push_back(json::object{{"channel", stream.channel},
                                     {"origin", stream.origin},
                                     {"epoch", stream.epoch},
                                     {"seq", head.seq},
                                     {"id", Hex(head.id)}});
      }
    }
    json::object o{{"holder", stored.holder},
                   {"holder_epoch", stored.holder_epoch},
                   {"at", node::FormatTime(stored.at_ms)},
                   {"verified", problem.empty()},
                   {"heads", std::move(heads)}};
    if (!problem.empty()) o["problem"] = problem;
    list.push_back(std::move(o));
  }
  if (a.json) {
    PrintJson(json::object{{"receipts", list}, {"ok", bad == 0}});
  } else {
    for (const auto& x : list) {
      const auto& o = x.as_object();
      std::printf(
          "%s  held by %s#%s  %s\n", Local(o.at("at")).c_str(), Str(o, "holder").c_str(),
          Str(o, "holder_epoch").c_str(),
          o.at("verified").as_bool() ? "verified" : ("NOT VERIFIED: " + Str(o, "problem")).c_str());
      for (const auto& h : o.at("heads").as_array()) {
        std::printf("    %s/%s#%s up to seq %s\n", Str(h.as_object(), "channel").c_str(),
                    Str(h.as_object(), "origin").c_str(), Str(h.as_object(), "epoch").c_str(),
                    Str(h.as_object(), "seq").c_str());
      }
    }
    std::printf("%zu receipt(s), %zu not verified%s\n", list.size(), bad,
                t.ca_pem.empty() ? " (certificates not checked: no CA)" : "");
  }
  return bad == 0 ? kOk : kFindings;
}

namespace {

int64_t AsOf(const Args& a, int* rc) {
  if (!a.Has("as-of")) return INT64_MAX / 2;
  auto t = node::ParseTime(a.Get("as-of"));
  if (!t.ok()) *rc = Fail(kUsage, "--as-of: " + t.status().message());
  return t.ok() ? *t : 0;
}

}  // namespace

int AuditReplayCmd(const Args& a) {
  if (a.Has("case") == a.Has("scope")) {
    return Fail(kUsage, "give --case CODE or --scope UNIT (hoso audit replay --help)");
  }
  int rc = kOk;
  int64_t as_of = AsOf(a, &rc);
  if (rc != kOk) return rc;
  if (a.Has("scope") && !a.Has("as-of")) as_of = SystemClock::Default()->NowMs();
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  if (a.Has("scope")) {
    auto r = ReplayScope(*t.store, a.Get("scope"), as_of);
    if (!r.ok()) return FromStatus(r.status());
    json::object by_status;
    for (const auto& [s, n] : r->by_status) by_status[s] = n;
    if (a.json) {
      json::array channels;
      for (const auto& [c, fp] : r->channels) {
        channels.push_back(json::object{{"channel", c}, {"fingerprint", Hex(fp)}});
      }
      PrintJson(json::object{{"scope", a.Get("scope")},
                             {"as_of", node::FormatTime(as_of)},
                             {"cases", r->cases},
                             {"events", r->events},
                             {"by_status", by_status},
                             {"fingerprint", Hex(r->fingerprint)},
                             {"channels", std::move(channels)}});
    } else {
      std::printf("scope %s as of %s: %llu cases (%llu events)\n", a.Get("scope").c_str(),
                  Local(json::value(node::FormatTime(as_of))).c_str(),
                  static_cast<unsigned long long>(r->cases),
                  static_cast<unsigned long long>(r->events));
      for (const auto& [s, n] : r->by_status) {
        std::printf("  %-22s %llu\n", s.c_str(), static_cast<unsigned long long>(n));
      }
      std::printf("fingerprint %s\n", Hex(r->fingerprint).c_str());
    }
    return kOk;
  }
  auto r = ReplayCase(*t.store, a.Get("case"), as_of);
  if (!r.ok()) return FromStatus(r.status());
  json::array steps;
  for (const auto& s : r->steps) {
    json::array opened, resolved;
    for (const auto& f : s.conflicts_opened) opened.push_back(json::value(f));
    for (const auto& f : s.conflicts_resolved) resolved.push_back(json::value(f));
    steps.push_back(json::object{
        {"at", node::FormatTime(static_cast<int64_t>(s.event.hlc >> 16))},
        {"office", s.event.stream.origin},
        {"epoch", s.event.stream.epoch},
        {"seq", s.event.seq},
        {"officer", s.event.officer},
        {"type", s.event.type},
        {"changes", node::CborToJson(ShowBody(*t.store, a.Get("case"), s.event.body, nullptr))},
        {"conflicts_opened", std::move(opened)},
        {"conflicts_resolved", std::move(resolved)},
        {"recorded_before_deps", s.recorded_before_deps},
        {"id", Hex(s.id)}});
  }
  json::object state;
  for (const auto& f : r->state.fields()) {
    if (const LiveWrite* w = r->state.Winner(f)) {
      state[f.name] = node::CborToJson(ShowField(*t.store, a.Get("case"), f.name, w->value).value);
    }
  }
  json::array conflicts;
  for (const auto* f : r->state.Conflicts()) conflicts.push_back(json::value(f->name));
  // Erased: the fields are null, and this says when and by which decision.
  json::value erasure = nullptr;
  if (auto e = t.store->ErasureOf(a.Get("case")); e.ok() && *e) {
    erasure = json::object{{"at", node::FormatTime((*e)->at_ms)},
                           {"by", (*e)->by},
                           {"decision", (*e)->decision},
                           {"ground", (*e)->ground}};
  }
  if (a.json) {
    PrintJson(json::object{
        {"case", a.Get("case")},
        {"as_of", a.Has("as-of") ? json::value(node::FormatTime(as_of)) : json::value(nullptr)},
        {"steps", std::move(steps)},
        {"state", std::move(state)},
        {"conflicts", std::move(conflicts)},
        {"erasure", erasure},
        {"later_events", r->later_events},
        {"fingerprint", Hex(r->state.Fingerprint())}});
    return kOk;
  }
  std::printf("Hồ sơ %s%s\n", a.Get("case").c_str(),
              a.Has("as-of")
                  ? (" tại thời điểm " + Local(json::value(node::FormatTime(as_of)))).c_str()
                  : "");
  for (const auto& s : steps) {
    const auto& o = s.as_object();
    std::string changes;
    for (const auto& [k, v] : o.at("changes").as_object()) {
      if (k == "applicant" || k == "documents" || k == "return_address") {
        changes += std::string(k) + " ";
        continue;  // personal data stays in `case show`
      }
      changes += std::string(k) + "=" +
                 (v.is_string() ? std::string(v.get_string()) : json::serialize(v)) + " ";
    }
    std::printf("  %s  %-6s %-10s %-14s %s\n", Local(o.at("at")).c_str(), Str(o, "office").c_str(),
                Str(o, "officer").c_str(), Str(o, "type").c_str(), changes.c_str());
    if (o.at("recorded_before_deps").as_bool()) {
      std::printf("      thời điểm ghi sớm hơn bước mà nó dựa vào (đồng hồ máy sai?)\n");
    }
    for (const auto& f : o.at("conflicts_opened").as_array()) {
      std::printf("      xung đột mở: %s\n", std::string(f.as_string()).c_str());
    }
    for (const auto& f : o.at("conflicts_resolved").as_array()) {
      std::printf("      xung đột đã giải quyết: %s\n", std::string(f.as_string()).c_str());
    }
  }
  if (erasure.is_object()) {
    std::printf("Dữ liệu cá nhân đã bị xoá lúc %s theo quyết định %s (%s)\n",
                Local(erasure.at("at")).c_str(), Str(erasure.as_object(), "decision").c_str(),
                Str(erasure.as_object(), "ground").c_str());
  }
  std::printf("Trạng thái: %s", ValueText("status", r->state.TextOr("status", "")).c_str());
  if (!conflicts.empty()) std::printf(" (còn %zu xung đột)", conflicts.size());
  if (r->later_events) std::printf("; %zu sự kiện sau thời điểm này", r->later_events);
  std::printf("\nfingerprint %s\n", Hex(r->state.Fingerprint()).c_str());
  return kOk;
}

}  // namespace hoso::cli
