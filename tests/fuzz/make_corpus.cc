// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/seed-*) from the
// golden vectors and from real outputs: events and frames captured from syncs between the
// network of session_world.h, bundles exported from it, certificates from a test CA, the
// units CSVs in data/, a rendered config, and the API requests of docs/api.md. Deterministic:
// the test keys and the fake clock make the same bytes on every run, so re-running it changes
// nothing unless a format changed (but the bundles' creation time). Usage: hoso_fuzz_make_corpus
// REPO_ROOT (tools/fuzz --seeds runs it; docs/fuzzing.md).
#include <openssl/evp.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "core/domain/reference_data.h"
#include "core/format/certificate.h"
#include "core/log/revocations.h"
#include "node/config.h"
#include "node/json.h"
#include "sync/bundle.h"
#include "tests/fuzz/api_world.h"

using namespace hoso;
using namespace hoso::sync;
namespace fs = std::filesystem;

namespace {

fs::path g_out;
std::map<std::string, std::set<std::string>> g_written;  // target -> contents (no duplicates)

void Seed(const std::string& target, const std::string& name, const std::string& bytes) {
  if (!g_written[target].insert(bytes).second) return;
  fs::create_directories(g_out / target);
  std::ofstream(g_out / target / ("seed-" + name), std::ios::binary) << bytes;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string Unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::cerr << what << ": " << s.ToString() << "\n";
    std::exit(1);
  }
}

// One sync between two sessions to quiescence, every message through the frame and message
// codecs; returns the messages each side sent, in order.
struct Capture {
  std::vector<std::string> a_to_b, b_to_a;  // encoded messages
};
Capture RunLink(SyncSession& a, SyncSession& b) {
  Capture c;
  std::deque<std::string> ab, ba;
  auto send = [](std::vector<Message>& msgs, std::deque<std::string>& wire,
                 std::vector<std::string>& log) {
    for (const auto& m : msgs) {
      wire.push_back(EncodeMessage(m));
      log.push_back(wire.back());
    }
    msgs.clear();
  };
  std::vector<Message> out;
  Check(a.Start(&out), "start");
  send(out, ab, c.a_to_b);
  Check(b.Start(&out), "start");
  send(out, ba, c.b_to_a);
  for (int steps = 0; steps < 10000 && (!ab.empty() || !ba.empty()); ++steps) {
    auto deliver = [&](std::deque<std::string>& from, std::deque<std::string>& back,
                       std::vector<std::string>& log, SyncSession& to) {
      if (from.empty()) return;
      auto m = DecodeMessage(from.front());
      from.pop_front();
      Check(m.status(), "decode");
      std::vector<Message> replies;
      Check(to.Handle(std::move(*m), &replies), "handle");
      send(replies, back, log);
    };
    deliver(ab, ba, c.b_to_a, b);
    deliver(ba, ab, c.a_to_b, a);
    a.OnCommit(&out);
    send(out, ab, c.a_to_b);
    b.OnCommit(&out);
    send(out, ba, c.b_to_a);
  }
  return c;
}

std::string Framed(const std::vector<std::string>& messages, bool skip_hello) {
  std::string out;
  for (const auto& m : messages) {
    auto d = DecodeMessage(m, kDefaultMaxFrame, BatchEvents::kDeferred);
    if (skip_hello && d.ok() && std::holds_alternative<Hello>(*d)) continue;
    out += Frame(m);
  }
  return out;
}

void EventSeeds(const fs::path& repo, const fuzz::SessionWorld& w) {
  auto vectors = node::ParseJson(ReadFile(repo / "tests/vectors/event-vectors.json"));
  Check(vectors.status(), "vectors");
  int i = 0;
  for (const auto& v : vectors->as_object().at("events").as_array()) {
    std::string bytes = Unhex(std::string(v.as_object().at("bytes").as_string()));
    Seed("event", "vector-" + std::to_string(i), bytes);
    Seed("cbor", "vector-" + std::to_string(i), bytes);
    if (const auto* head = v.as_object().if_contains("head_message")) {
      // The CBOR array after the head's "hoso/head/v1" 0x00 prefix.
      Seed("cbor", "vector-head-" + std::to_string(i),
           Unhex(std::string(head->as_string())).substr(13));
    }
    ++i;
  }
  // Every event the network holds (directory, catalogue, cases and steps), and a calendar and
  // a revocation written for this.
  auto extra = fuzz::OpenMemNode("89");
  fuzz::CopyEverything(*w.province->store, *extra->store);
  CalendarYear year{2026, {"2026-01-01", "2026-04-30"}, {"2026-05-09"}};
  Check(extra->store->Append({CalendarYearWrite(year, "it")}).status(), "calendar");
  Check(
      extra->store->Append({CalendarHoursWrite("30280", {{450, 690}, {810, 1020}}, "it")}).status(),
      "hours");
  LocalWrite revoke{std::string(kRevocationsChannel), RevocationKey("30283", 1), "origin.revoke",
                    RevocationBody("30283", 1, testing::kTestNow, "key lost"), "it"};
  Check(extra->store->Append({revoke}).status(), "revoke");
  for (const Store* s : {extra->store.get(), w.commune->store.get()}) {
    for (const auto& [stream, head] : s->Vector([](const std::string&) { return true; })) {
      auto batch = s->ReadBatch(stream, 1, 1000);
      Check(batch.status(), "read");
      for (const auto& e : batch->events) {
        Seed("event", stream.channel + "-" + Hex(Sha256(e)).substr(0, 12), e);
        Seed("cbor", "event-" + Hex(Sha256(e)).substr(0, 12), e);
      }
    }
  }
  Seed("cbor", "uint", cbor::Encode(cbor::Value::Uint(1000000)));
  Seed("cbor", "nint", cbor::Encode(cbor::Value::Int(-500)));
  cbor::Value nested = cbor::Value::Map();
  nested.Set(cbor::Value::Uint(0), cbor::Value::Array());
  nested.Set(cbor::Value::Bytes("\x01\x02"), cbor::Value::Bool(true));
  nested.Set("k", cbor::Value::Null());
  nested.Set(cbor::Value::Int(-1), cbor::Value::Text("Việt"));
  Seed("cbor", "map-kinds", cbor::Encode(nested));
}

void SyncSeeds(const fuzz::SessionWorld& w) {
  int n = 0;
  for (const std::string peer : {"30280", "89"}) {
    fuzz::MemNode& peer_node = peer == "89" ? *w.province : *w.commune;
    auto district = fuzz::OpenDistrict(w);
    auto at_district = fuzz::SessionOf(*district, peer);
    auto at_peer = fuzz::SessionOf(peer_node, "883");
    Capture c = RunLink(*at_peer, *at_district);
    // The session target: what the peer sent, after the HELLO the target makes itself.
    std::string selector(1, peer == "89" ? '\x01' : '\x00');
    Seed("sync_session", "from-" + peer, selector + Framed(c.a_to_b, true));
    for (const auto& list : {c.a_to_b, c.b_to_a}) {
      for (const auto& m : list) Seed("sync_message", "message-" + std::to_string(n++), m);
      // A frame stream: the target's last byte (odd: the default frame limit) and the rest.
      Seed("sync_message", "frames-" + std::to_string(n++), Framed(list, false) + "\x01");
    }
  }
  ErrorMsg e{"refused", "no"};
  Seed("sync_message", "error", EncodeMessage(e));
  Seed("sync_message", "ping", EncodeMessage(Ping{testing::kTestNow}));
  Seed("sync_message", "pong", EncodeMessage(Pong{testing::kTestNow, testing::kTestNow + 5}));
  Seed("sync_message", "receipt-request", EncodeMessage(ReceiptRequest{}));
  Seed("sync_session", "commune-ping", std::string(1, '\0') + Frame(EncodeMessage(Ping{1})));
}

void BundleSeeds(const fuzz::SessionWorld& w) {
  auto scoped = ExportBundle(*w.commune->store, "30280", {});
  Check(scoped.status(), "export");
  Seed("bundle", "commune-30280", *scoped);
  auto province = ExportBundle(*w.province->store, "89", {});
  Check(province.status(), "export province");
  Seed("bundle", "province-89", *province);
}

void CertificateSeeds() {
  testing::TestPki pki;
  auto der = [](const std::string& pem) {
    std::string b64;
    std::istringstream in(pem);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("-----", 0) != 0) b64 += line;
    }
    std::string out(b64.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
    out.resize(n - std::count(b64.end() - 2, b64.end(), '='));
    return out;
  };
  std::string node = pki.CertFor("30280");
  Seed("certificate", "node-der", "D" + der(node));
  Seed("certificate", "node-pem", "P" + node);
  Seed("certificate", "ca-der", "D" + der(pki.ca));
  auto key = testing::KeyFor(30283);
  for (const auto& [name, san] : std::vector<std::pair<std::string, std::string>>{
           {"two-uris", "URI:hoso://node/30283?epoch=1,URI:hoso://node/30280?epoch=1"},
           {"epoch-zero", "URI:hoso://node/30283?epoch=0"},
           {"dns-and-uri", "DNS:node.example,URI:hoso://node/30283?epoch=4294967296"}}) {
    auto pem = IssueCertificateWithSanForTesting(pki.ca_key, pki.ca, san, key.public_key(), 9,
                                                 testing::TestPki::kFrom, testing::TestPki::kTo);
    Check(pem.status(), "san certificate");
    Seed("certificate", name, "D" + der(*pem));
  }
}

void CsvSeeds(const fs::path& repo) {
  for (const char* f : {"units-an-giang.csv", "units-an-giang-2025.csv"}) {
    Seed("units_csv", f, ReadFile(repo / "data" / f));
  }
  Seed("units_csv", "small", UnitsCsv(testing::SmallTree()));
  Seed("units_csv", "quoted", "code,parent_code,name,type\n89,,\"Tỉnh, An \"\"Giang\"\"\",Tỉnh\n");
  Procedure a{"1.002668", "Đăng ký khai sinh",           "UBND cấp xã", 5, true, true,
              0,          {"Tờ khai", "Giấy chứng sinh"}};
  Procedure b{
      "2.000101", "Cấp bản sao \"trích lục\", hộ tịch", "UBND cấp huyện", 30, false, false, 8000,
      {}};
  Seed("catalogue_csv", "two", CatalogueCsv({a, b}));
}

void ConfigSeeds() {
  node::NodeConfig c;
  Seed("config", "default", node::RenderConfig(c));
  c.root = "89";
  c.listen = "0.0.0.0:7400";
  c.upstream = {"883@district.example:7400", "10.0.0.2:7400"};
  c.api = "192.168.1.10:7480";
  Seed("config", "set", node::RenderConfig(c));
  Seed("config", "short", "root = 89\nlisten = 0.0.0.0:7400\nupstream = 883@[::1]:7400\n");
}

// The API requests (api target: "METHOD TARGET\n" then the body).
void ApiSeeds(const fuzz::SessionWorld& w) {
  const std::string reception =
      R"({"officer":"nv.lan","procedure":"1.002668","applicant":{"name":"Nguyễn Văn An",)"
      R"("id_no":"012345678901","phone":"0912345678"},"channel":"postal","return_by_post":true,)"
      R"("return_address":"Ấp Mỹ Hòa","due_at":"2025-12-01T17:00:00+07:00","fee":25000,)"
      R"("documents":[{"name":"Tờ khai","kind":"original","count":2}],"note":"x"})";
  std::vector<std::pair<std::string, std::string>> requests = {
      {"reception", "POST /v1/cases\n" + reception},
      {"reception-code", "POST /v1/cases\n" + reception.substr(0, reception.size() - 1) +
                             R"(,"code":"89-251124-0100"})"},
      {"step",
       "POST /v1/cases/89-251124-0001/steps\n"
       R"({"officer":"cb.minh","status":"dispatched","tracking":"EB123456789VN"})"},
      {"case", "GET /v1/cases/89-251124-0001\n"},
      {"list", "GET /v1/cases?status=received&office=89&q=nguyen%20van&overdue=true&limit=5\n"},
      {"report", "GET /v1/report?scope=89&from=2025-01&to=2025-12&by=unit,procedure,month\n"},
      {"report-csv", "GET /v1/report?format=csv&by=month\n"},
      {"catalogue",
       "POST /v1/catalogue?officer=it\n" +
           CatalogueCsv({Procedure{"1.000001", "Thủ tục", "UBND", 3, true, true, 0, {"Đơn"}}})},
      {"catalogue-get", "GET /v1/catalogue?q=khai%20sinh&limit=3\n"},
      {"directory", "POST /v1/directory?officer=it&valid_from=2026-01-01T00:00:00%2B07:00\n" +
                        UnitsCsv(testing::SmallTree())},
      {"calendar-year",
       "POST /v1/calendar\n"
       R"({"officer":"it","year":2027,"holidays":["2027-01-01"],)"
       R"("working_days":["2027-05-08"]})"},
      {"calendar-hours",
       "POST /v1/calendar\n"
       R"({"officer":"it","unit":"30280","sessions":[["07:30","11:30"],)"
       R"(["13:30","17:00"]]})"},
      {"calendar-get", "GET /v1/calendar?year=2026&unit=30280\n"},
      {"revoke",
       "POST /v1/revocations\n"
       R"({"officer":"it","unit":"30316","epoch":1,"reason":"stolen"})"},
      {"login",
       "POST /v1/login\n"
       R"({"login":"nv.lan","password":"mat-khau-thu-nghiem"})"},
      {"sync", "GET /v1/sync/status\n"},
      {"node", "GET /v1/node\n"},
      {"scope", "GET /v1/scope\n"},
      {"metrics", "GET /metrics\n"},
  };
  auto bundle = ExportBundle(*w.commune->store, "30280", {});
  Check(bundle.status(), "export");
  requests.push_back({"bundle", "POST /v1/bundle\n" + *bundle});
  for (const auto& [name, text] : requests) Seed("api", name, text);
  // The same as raw HTTP for the parser (http_request target).
  for (const auto& [name, text] : requests) {
    size_t eol = text.find('\n');
    std::string line = text.substr(0, eol), body = text.substr(eol + 1);
    std::string http = line + " HTTP/1.1\r\nHost: 127.0.0.1:7480\r\nAuthorization: Bearer " +
                       fuzz::kApiToken + "\r\nContent-Type: application/json\r\n";
    if (line.rfind("POST", 0) == 0)
      http += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    http += "\r\n" + (line.rfind("POST", 0) == 0 ? body : "");
    if (body.size() < 4096) Seed("http_request", name, http);
  }
  Seed("http_request", "chunked-pipelined",
       "POST /v1/login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
       "Content-Type: application/json\r\nOrigin: http://localhost:7480\r\n\r\n"
       "b\r\n{\"login\":\"x\r\n6\r\n\",\"a\":1\r\n1\r\n}\r\n0\r\n\r\n"
       "GET /v1/me HTTP/1.1\r\nHost: localhost\r\nCookie: hoso_session=abc; other=1\r\n\r\n"
       "GET /healthz HTTP/1.0\r\n\r\n");
  Seed("http_request", "web-app", "GET /index.html HTTP/1.1\r\nHost: [::1]:7480\r\n\r\n");
}

// Dictionaries whose tokens come from the code: the config's option names.
void ConfigDictionary(const fs::path& repo) {
  std::ofstream d(repo / "tests/fuzz/dict/config.dict");
  d << "# Generated by hoso_fuzz_make_corpus from node::NodeOptions(): every option name.\n";
  for (const auto& o : node::NodeOptions()) d << "\"" << o.name << "\"\n";
  d << "\"=\"\n\"#\"\n\"true\"\n\"false\"\n\"127.0.0.1:\"\n\"[::1]:\"\n\"@\"\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: hoso_fuzz_make_corpus REPO_ROOT\n";
    return 2;
  }
  fs::path repo = argv[1];
  g_out = repo / "tests/fuzz/corpus";
  auto world = fuzz::BuildSessionWorld();
  EventSeeds(repo, *world);
  SyncSeeds(*world);
  world = fuzz::BuildSessionWorld();  // the syncs changed the peers' stores
  BundleSeeds(*world);
  CertificateSeeds();
  CsvSeeds(repo);
  ConfigSeeds();
  ApiSeeds(*world);
  ConfigDictionary(repo);
  for (const auto& [target, seeds] : g_written) {
    std::cout << target << ": " << seeds.size() << " seeds\n";
  }
  return 0;
}
