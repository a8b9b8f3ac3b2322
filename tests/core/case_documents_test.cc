// The domain's rules for a case's files (core/domain/documents.h): sniffing, limits, the
// statuses that allow an attachment, and the files a case's log lists, on a real store.
#include <catch2/catch.hpp>

#include "core/domain/documents.h"
#include "core/domain/personal_data.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::Pattern;

TEST_CASE("documents: the content decides the type, never the name", "[documents]") {
  CHECK(SniffMediaType("%PDF-1.7\n...") == "application/pdf");
  CHECK(SniffMediaType(std::string("\xFF\xD8\xFF\xE0", 4) + "JFIF") == "image/jpeg");
  CHECK(SniffMediaType(std::string("\x89PNG\r\n\x1A\n", 8) + "IHDR") == "image/png");
  for (std::string_view bad : {"<!doctype html><script>alert(1)</script>",
                               "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
                               "PK\x03\x04", "", "%PD", " %PDF-1.4", "\xFF\xD8"}) {
    INFO(bad);
    CHECK(SniffMediaType(bad).empty());
  }
}

TEST_CASE("documents: a request's fields and sizes are checked with the field named",
          "[documents]") {
  AttachRequest ok{"CCCD mặt trước.jpg", "Bản sao CCCD", "copy", "application"};
  CHECK(CheckAttachRequest(ok).ok());
  auto bad = [&](auto change) {
    AttachRequest r = ok;
    change(r);
    return CheckAttachRequest(r);
  };
  CHECK(bad([](AttachRequest& r) { r.name = ""; }).message().starts_with("name:"));
  CHECK(bad([](AttachRequest& r) { r.name = "../etc/passwd"; }).message().starts_with("name:"));
  CHECK(bad([](AttachRequest& r) { r.name = "a\nb"; }).message().starts_with("name:"));
  CHECK(bad([](AttachRequest& r) { r.name = std::string(256, 'a'); }).code() ==
        Code::kInvalidArgument);
  CHECK(bad([](AttachRequest& r) { r.kind = "forged"; }).message().starts_with("kind:"));
  CHECK(bad([](AttachRequest& r) { r.role = "x"; }).message().starts_with("role:"));
  CHECK(bad([](AttachRequest& r) { r.item = "Gi\xff"; }).message().starts_with("item:"));
  CHECK(bad([](AttachRequest& r) { r.item = "a\x1b[2J"; }).message().starts_with("item:"));
  // What was given is quoted only when it is printable.
  CHECK_THAT(bad([](AttachRequest& r) { r.kind = "forged"; }).message(),
             Catch::Contains("got 'forged'"));
  CHECK(bad([](AttachRequest& r) { r.kind = "x\x1b[2J"; }).message().find('\x1b') ==
        std::string::npos);
  CHECK(bad([](AttachRequest& r) { r.kind = "\xc3"; }).message().find('\xc3') == std::string::npos);

  DocumentLimits limits;
  limits.max_file_bytes = 1000;
  limits.max_case_bytes = 2500;
  limits.max_case_files = 3;
  std::vector<CaseDocument> held(2);
  held[0].ref.size = 1000;
  held[1].ref.size = 1000;
  CHECK(CheckAttachSize(500, held, limits).ok());
  CHECK(CheckAttachSize(0, held, limits).code() == Code::kInvalidArgument);
  CHECK(CheckAttachSize(1001, {}, limits).code() == Code::kOutOfRange);
  Status over_case = CheckAttachSize(600, held, limits);
  CHECK(over_case.code() == Code::kOutOfRange);
  CHECK(over_case.message().find("per case") != std::string::npos);
  held.resize(3);
  CHECK(CheckAttachSize(1, held, limits).code() == Code::kOutOfRange);

  CHECK(CheckAttachStatus("received", "application").ok());
  CHECK(CheckAttachStatus("supplement_requested", "supplement").ok());
  CHECK(CheckAttachStatus("received", "result").code() == Code::kFailedPrecondition);
  CHECK(CheckAttachStatus("result_ready", "result").ok());
  CHECK(CheckAttachStatus("closed", "supplement").code() == Code::kFailedPrecondition);
}

TEST_CASE("documents: a case lists its files, a withdrawn one marked, an attached-again once",
          "[documents]") {
  testing::TempDir dir;
  auto province = testing::OpenTestNode(dir.Sub("89"), "89");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  auto node = testing::OpenTestNode(dir.Sub("c"), "30280");
  REQUIRE(testing::CopyAll(*province->store, *node->store, [](auto&) { return true; }).ok());
  Store& store = *node->store;
  REQUIRE(store.Append(testing::ReceiveWrite("30280", "30280-D1", "Trần Thị Bé", 9)).ok());
  std::string scan = "%PDF-1.4\n" + Pattern(300000, 3);
  std::string photo = std::string("\xFF\xD8\xFF\xE0", 4) + Pattern(5000, 4);
  auto put = [&](const std::string& bytes, AttachRequest r) {
    auto doc = store.PutDocument(bytes);
    REQUIRE(doc.ok());
    REQUIRE(store
                .Append({"30280", "30280-D1", std::string(kDocumentAttachedType),
                         AttachBody(*doc, SniffMediaType(bytes), r), "nv.lan"})
                .ok());
    return *doc;
  };
  SealedDocument a = put(scan, {"Đơn đề nghị.pdf", "Đơn", "original", "application"});
  SealedDocument b = put(photo, {"CCCD.jpg", "", "copy", "application"});
  put(scan, {"Đơn (bản 2).pdf", "Đơn", "original", "supplement"});
  REQUIRE(store
              .Append({"30280", "30280-D1", std::string(kDocumentWithdrawnType),
                       WithdrawBody(b.ref.sha256, "nhầm hồ sơ"), "nv.lan"})
              .ok());
  auto view = store.GetCase("30280-D1");
  REQUIRE(view.ok());
  auto docs = DocumentsOfCase(store, *view);
  REQUIRE(docs.ok());
  REQUIRE(docs->size() == 2);
  CHECK((*docs)[0].ref.sha256 == b.ref.sha256);
  CHECK((*docs)[0].withdrawn);
  CHECK((*docs)[0].withdraw_reason == "nhầm hồ sơ");
  CHECK((*docs)[0].media_type == "image/jpeg");
  const CaseDocument& again = (*docs)[1];
  CHECK(again.name == "Đơn (bản 2).pdf");
  CHECK(again.role == "supplement");
  CHECK(again.kind == "original");
  CHECK(again.item == "Đơn");
  CHECK(again.office == "30280");
  CHECK(again.hidden.empty());
  CHECK(again.key == a.key);
  auto read = store.ReadDocument(again.ref, again.key);
  REQUIRE(read.ok());
  CHECK(*read == scan);
  CHECK(FindCaseDocument(*docs, a.ref.sha256).ok());
  CHECK(FindCaseDocument(*docs, Sha256("other")).status().code() == Code::kNotFound);
  // The history shows what was attached, never the key that opens it.
  auto shown = ShowBody(store, "30280-D1", view->history[1].event.body, nullptr);
  CHECK(shown.Find("document_key") == nullptr);
  CHECK(shown.Find("document_name")->str() == "Đơn đề nghị.pdf");
}
