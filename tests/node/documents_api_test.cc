// A case's files over the API (node/api/documents.cc): LocalApi on real RocksDB stores, and
// the ApiServer over loopback HTTP for what only the wire shows (headers, body limits).
#include <catch2/catch.hpp>

#include "node/api_server.h"
#include "tests/node/api_fixture.h"

using namespace hoso;
using namespace hoso::node;
using namespace hoso::node::testapi;
using testing::Pattern;

namespace {

const std::string kPdf = "%PDF-1.7\n" + Pattern(600 * 1024, 11);
const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + Pattern(40 * 1024, 12);

std::string Upload(const std::string& code, const std::string& query) {
  return "/v1/cases/" + code + "/documents?officer=nv.lan&" + query;
}

json::array Listed(LocalApi& api, const std::string& code) {
  auto r = Call(api, "GET", "/v1/cases/" + code + "/documents");
  INFO(r.body);
  REQUIRE(r.status == 200);
  return Body(r).at("documents").as_array();
}

}  // namespace

TEST_CASE("documents API: upload, list, download byte-identical, withdraw",
          "[node][api][documents]") {
  Office o;
  LocalApi& api = *o.commune_api;
  const std::string code = Minted(api);
  auto r = Call(api, "POST",
                Upload(code, "name=%C4%90%C6%A1n.pdf&kind=original&item=T%E1%BB%9D%20khai"), kPdf);
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto doc = Body(r);
  CHECK(doc.at("name").as_string() == "Đơn.pdf");
  CHECK(doc.at("type").as_string() == "application/pdf");
  CHECK(doc.at("kind").as_string() == "original");
  CHECK(doc.at("item").as_string() == "Tờ khai");
  CHECK(doc.at("state").as_string() == "here");
  CHECK(doc.at("progress").to_number<int>() == 100);
  CHECK(doc.at("sha256").as_string() == Hex(Sha256(kPdf)));
  REQUIRE(Call(api, "POST", Upload(code, "name=cccd.jpg"), kJpeg).status == 201);

  auto list = Listed(api, code);
  REQUIRE(list.size() == 2);
  CHECK(list[1].at("type").as_string() == "image/jpeg");
  CHECK(list[1].at("kind").as_string() == "copy");  // the default
  auto got = Call(api, "GET", std::string(list[0].at("url").as_string()));
  REQUIRE(got.status == 200);
  CHECK(got.body == kPdf);
  CHECK(got.file);
  CHECK(got.content_type == "application/pdf");
  CHECK(got.content_disposition ==
        "inline; filename=\"__n.pdf\"; filename*=UTF-8''%C4%90%C6%A1n.pdf");
  auto download = Call(api, "GET", std::string(list[0].at("url").as_string()) + "?download=1");
  CHECK(download.content_type == "application/octet-stream");
  CHECK(download.content_disposition.starts_with("attachment;"));
  // The case's history names the file, never its key.
  auto c = Body(Call(api, "GET", "/v1/cases/" + code));
  const auto& attached = c.at("history").as_array()[1].at("changes").as_object();
  CHECK(attached.at("document_name").as_string() == "Đơn.pdf");
  CHECK_FALSE(attached.contains("document_key"));
  // Nor are a file's fields the case's (its files are listed apart), key least of all.
  for (const auto& [field, value] : c.at("fields").as_object()) {
    CHECK_FALSE(std::string(field).starts_with("document_"));
    CHECK(field != "document");
  }

  const std::string jpeg_url = std::string(list[1].at("url").as_string());
  auto w = Call(api, "POST", jpeg_url + "/withdraw",
                R"({"officer":"nv.lan","reason":"Ảnh mờ, chụp lại"})");
  INFO(w.body);
  REQUIRE(w.status == 201);
  CHECK(Body(w).at("withdrawn").as_bool());
  list = Listed(api, code);
  CHECK(list[1].at("withdraw_reason").as_string() == "Ảnh mờ, chụp lại");
  CHECK(Call(api, "POST", jpeg_url + "/withdraw", R"({"officer":"nv.lan","reason":"x"})").status ==
        409);
  CHECK(Call(api, "GET", jpeg_url).status == 200);  // the bytes remain, marked withdrawn
}

TEST_CASE("documents API: an HTML 'scan', a bad field, an oversize file change nothing",
          "[node][api][documents]") {
  Office o;
  LocalApi& api = *o.commune_api;
  const std::string code = Minted(api);
  const size_t history =
      Body(Call(api, "GET", "/v1/cases/" + code)).at("history").as_array().size();
  for (const std::string& hostile :
       {std::string("<!doctype html><script>fetch('/v1/cases')</script>"),
        std::string("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        std::string("GIF89a") + Pattern(100, 1)}) {
    auto r = Call(api, "POST", Upload(code, "name=scan.pdf"), hostile);
    CHECK(r.status == 415);
    CHECK(Body(r).at("error").as_string() == "unsupported_type");
    CHECK_THAT(std::string(Body(r).at("message").as_string()), Catch::Contains("PDF, JPEG"));
  }
  auto empty = Call(api, "POST", Upload(code, "name=a.pdf"), "");
  CHECK(empty.status == 400);
  CHECK(Body(empty).at("field").as_string() == "file");
  auto bad_item = Call(api, "POST", Upload(code, "name=a.pdf&item=%FF"), kPdf);
  CHECK(bad_item.status == 400);
  CHECK(Body(bad_item).at("field").as_string() == "item");
  auto bad_kind = Call(api, "POST", Upload(code, "name=a.pdf&kind=forged"), kPdf);
  CHECK(bad_kind.status == 400);
  CHECK(Body(bad_kind).at("field").as_string() == "kind");
  auto bad_name = Call(api, "POST", Upload(code, "name=..%2Fx.pdf"), kPdf);
  CHECK(bad_name.status == 400);
  CHECK(Body(bad_name).at("field").as_string() == "name");
  CHECK(Call(api, "POST", Upload(code, "name=kq.pdf&role=result"), kPdf).status == 409);
  CHECK(Call(api, "POST", "/v1/cases/" + code + "/documents?name=a.pdf", kPdf).status == 400);
  CHECK(Call(api, "POST", Upload("30280-NONE", "name=a.pdf"), kPdf).status == 404);
  CHECK(Call(api, "GET", "/v1/cases/" + code + "/documents/abc").status == 400);
  CHECK(Call(api, "GET", "/v1/cases/" + code + "/documents/" + Hex(Sha256("x"))).status == 404);
  CHECK(Listed(api, code).empty());
  CHECK(Body(Call(api, "GET", "/v1/cases/" + code)).at("history").as_array().size() == history);

  // The limits the node was given.
  NodeView view;
  view.officers_file = testing::WriteTestOfficers(o.dir.Sub("small-officers.json"));
  view.document_limits.max_file_bytes = 100 * 1024;
  view.document_limits.max_case_bytes = 100 * 1024;
  LocalApi small(o.commune->store.get(), &o.commune->clock, kToken, view);
  auto over = Call(small, "POST", Upload(code, "name=big.pdf"), kPdf);
  CHECK(over.status == 413);
  CHECK_THAT(std::string(Body(over).at("reason").as_string()), Catch::Contains("per file"));
  REQUIRE(Call(small, "POST", Upload(code, "name=a.jpg"), kJpeg).status == 201);
  REQUIRE(Call(small, "POST", Upload(code, "name=b.jpg"), std::string(kJpeg) + "b").status == 201);
  auto case_full = Call(small, "POST", Upload(code, "name=c.jpg"), std::string(kJpeg) + "c");
  CHECK(case_full.status == 413);
  CHECK_THAT(std::string(Body(case_full).at("reason").as_string()), Catch::Contains("per case"));
}

TEST_CASE("documents API: a file not arrived yet says how far it is, and is asked for",
          "[node][api][documents]") {
  Office o;
  const std::string code = Minted(*o.commune_api);
  REQUIRE(Call(*o.commune_api, "POST", Upload(code, "name=a.pdf"), kPdf).status == 201);
  // The province gets the events (and the case's key) but not the chunks: as sync's batches
  // arrive before the documents lane brings the bytes.
  REQUIRE(testing::CopyAll(*o.commune->store, *o.province->store, [](const std::string&) {
            return true;
          }).ok());
  auto list = Listed(*o.province_api, code);
  REQUIRE(list.size() == 1);
  CHECK(list[0].at("state").as_string() == "arriving");
  CHECK(list[0].at("progress").to_number<int>() == 0);
  auto r = Call(*o.province_api, "GET", std::string(list[0].at("url").as_string()));
  CHECK(r.status == 409);
  CHECK(Body(r).at("error").as_string() == "not_arrived");
  CHECK(r.retry_after == "5");
  CHECK_THAT(std::string(Body(r).at("message").as_string()), Catch::Contains("đang tải về"));
  CHECK(o.province->store->WantedChunkCount() == 3);
}

TEST_CASE("documents API server: a file is served inert, uploads bounded by the file limit",
          "[node][api][documents]") {
  Office o;
  const std::string code = Minted(*o.commune_api);
  Logger log(stderr);
  ApiServerOptions options;
  options.max_document_bytes = 2 << 20;
  ApiServer server(o.commune_api.get(), &log, options);
  auto port = server.Start("127.0.0.1", 0, 1);
  REQUIRE(port.ok());
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", std::string("Bearer ") + kToken},
      {"Content-Type", "application/octet-stream"}};
  auto up = Fetch(*port, http::verb::post, Upload(code, "name=scan.pdf"), kPdf, auth);
  INFO(up.body());
  REQUIRE(up.result_int() == 201);  // 600 KiB: over the 1 MiB of other bodies is fine too
  auto big = Fetch(*port, http::verb::post, Upload(code, "name=big.pdf"),
                   "%PDF-" + std::string(3 << 20, 'x'), auth);
  CHECK(big.result_int() == 413);
  auto res = Fetch(*port, http::verb::get, "/v1/cases/" + code + "/documents/" + Hex(Sha256(kPdf)),
                   "", auth);
  REQUIRE(res.result_int() == 200);
  CHECK(res.body() == kPdf);
  CHECK(std::string(res["Content-Type"]) == "application/pdf");
  CHECK(std::string(res["X-Content-Type-Options"]) == "nosniff");
  CHECK(std::string(res["Content-Disposition"]).starts_with("inline; filename=\"scan.pdf\""));
  CHECK(std::string(res["Content-Security-Policy"]).starts_with("default-src 'none'"));
  CHECK(std::string(res["X-Frame-Options"]) == "SAMEORIGIN");
  // Every other answer keeps the page policy.
  auto page = Fetch(*port, http::verb::get, "/v1/cases/" + code + "/documents", "", auth);
  CHECK(std::string(page["X-Frame-Options"]) == "DENY");
  server.Stop();
}
