#include "core/domain/event_schema.h"

#include <catch2/catch.hpp>

#include "core/base/text.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::Body;
using testing::Text;

namespace {

Event CaseEvent(cbor::Value body, std::string type = "case.received") {
  Event e;
  e.stream = {"30280", "30280", 1};
  e.seq = 1;
  e.case_code = "30280-251124-0001";
  e.type = std::move(type);
  e.body = std::move(body);
  e.officer = "nv.lan";
  return e;
}

cbor::Value Document(cbor::Value count) {
  cbor::Value d = cbor::Value::Map();
  d.Set("name", Text("Tờ khai"));
  d.Set("kind", Text("copy"));
  d.Set("count", std::move(count));
  cbor::Value list = cbor::Value::Array();
  list.Append(std::move(d));
  return list;
}

std::string Refusal(const Event& e) {
  Status s = CheckEventSchema(e);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Code::kInvalidArgument);
  return s.message();
}

}  // namespace

TEST_CASE("schema: a well-formed reception and step pass, unknown fields included", "[schema]") {
  cbor::Value applicant = cbor::Value::Map();
  applicant.Set("name", Text("Nguyễn Văn An"));
  applicant.Set("id_no", Text("035795773891"));
  cbor::Value body = Body({{"status", Text("received")},
                           {"applicant", applicant},
                           {"documents", Document(cbor::Value::Uint(2))},
                           {"channel", Text("postal")},
                           {"fee", cbor::Value::Uint(25000)},
                           {"return_by_post", cbor::Value::Bool(true)},
                           {"note", Text("Hai dòng\nghi chú")},
                           {"future_field", Text("kept, never rendered")}});
  CHECK(CheckEventSchema(CaseEvent(body)).ok());
  CHECK(CheckEventSchema(CaseEvent(Body({{"status", Text("processing")}}), "case.step")).ok());
  Event later = CaseEvent(Body({{"status", Text("forwarded")}}), "case.step");
  later.case_code = "30280e2-251124-0001";  // minted by the node's second epoch
  CHECK(CheckEventSchema(later).ok());
}

TEST_CASE("schema: each broken field is refused by name", "[schema]") {
  // The stored script of issue 16: a document count that is markup.
  CHECK_THAT(
      Refusal(CaseEvent(Body({{"status", Text("received")},
                              {"documents", Document(Text("<img src=x onerror=alert(1)>"))}}))),
      Catch::Contains("body.documents[0].count must be an unsigned integer, not text"));
  CHECK_THAT(Refusal(CaseEvent(Body(
                 {{"status", Text("received")}, {"documents", Document(cbor::Value::Uint(0))}}))),
             Catch::Contains("body.documents[0].count must be from 1 to 1000"));
  CHECK_THAT(
      Refusal(CaseEvent(Body({{"status", Text("received")}, {"channel", Text("<script>")}}))),
      Catch::Contains("body.channel must be one of counter, online, postal"));
  CHECK_THAT(Refusal(CaseEvent(Body({{"status", Text("received")}, {"applicant", Text("An")}}))),
             Catch::Contains("body.applicant must be a map, not text"));
  CHECK_THAT(
      Refusal(CaseEvent(Body({{"status", Text("received")}, {"due_at", cbor::Value::NegInt(5)}}))),
      Catch::Contains("body.due_at must be an unsigned integer, not a negative integer"));
  CHECK_THAT(Refusal(CaseEvent(
                 Body({{"status", Text("received")}, {"note", Text(std::string(2001, 'a'))}}))),
             Catch::Contains("body.note must be at most 2000 bytes"));
  CHECK_THAT(Refusal(CaseEvent(Body({{"status", Text("<b>")}}))),
             Catch::Contains("body.status must be a status name"));
  CHECK_THAT(Refusal(CaseEvent(Body({{"note", Text("no status")}}))),
             Catch::Contains("body.status is required in case.received"));
  // Terminal escapes anywhere, known field or not.
  CHECK_THAT(Refusal(CaseEvent(Body({{"status", Text("received")}, {"other", Text("\x1b[2J")}}))),
             Catch::Contains("body.other holds a control character"));
  CHECK_THAT(Refusal(CaseEvent(Body({{"status", Text("received")},
                                     {"note", Text("\xc2\x9b"
                                                   "31m")}}))),
             Catch::Contains("body.note holds a control character"));
  CHECK_THAT(Refusal(CaseEvent(Body({{"status", Text("received")}, {"Bad Key", Text("x")}}))),
             Catch::Contains("key that is not 1 to 64 bytes of [a-z0-9_]"));
  CHECK_THAT(Refusal(CaseEvent(
                 Body({{"status", Text("received")}, {"note", Text("abc \xe2\x80\xae gnp.exe")}}))),
             Catch::Contains("body.note holds a control character"));  // a bidi override
  CHECK_THAT(Refusal(CaseEvent(Body(
                 {{"status", Text("received")}, {"procedure", Text("=HYPERLINK(\"http://x\")")}}))),
             Catch::Contains("body.procedure must be letters, digits"));
  cbor::Value wide = Body({{"status", Text("received")}});
  for (int i = 0; i < 64; ++i) wide.Set("extra_" + std::to_string(100 + i), Text("x"));
  CHECK_THAT(Refusal(CaseEvent(wide)), Catch::Contains("body has more than 64 fields"));
  Event officer = CaseEvent(Body({{"status", Text("received")}}));
  officer.officer = "nv.lan\tforged";
  CHECK_THAT(Refusal(officer), Catch::Contains("officer"));
  officer.officer = "nv.lan\r\nforged";
  CHECK_THAT(Refusal(officer), Catch::Contains("officer"));
  Event type = CaseEvent(Body({{"status", Text("received")}}), "Case<Received>");
  CHECK_THAT(Refusal(type), Catch::Contains("event type"));
}

TEST_CASE("schema: a case code belongs to its channel's unit", "[schema]") {
  Event squat = CaseEvent(Body({{"status", Text("received")}}));
  squat.stream = {"30283", "30283", 1};  // commune 30283 minting 30280's codes
  CHECK_THAT(Refusal(squat), Catch::Contains("case code 30280-251124-0001 does not belong to "
                                             "channel 30283"));
  CHECK(CaseCodeBelongsTo("30280-1", "30280"));
  CHECK(CaseCodeBelongsTo("30280e12-1", "30280"));
  CHECK_FALSE(CaseCodeBelongsTo("302801-1", "30280"));
  CHECK_FALSE(CaseCodeBelongsTo("30280e-1", "30280"));
  CHECK_FALSE(CaseCodeBelongsTo("30280e01-1", "30280"));
  CHECK_FALSE(CaseCodeBelongsTo("30280", "30280"));
  CHECK_FALSE(CaseCodeBelongsTo("3028-1", "30280"));
  Event markup = CaseEvent(Body({{"status", Text("received")}}));
  markup.case_code = "30280-<img>";
  CHECK_THAT(Refusal(markup), Catch::Contains("case code"));
}

TEST_CASE("schema: reference data bodies are checked too", "[schema]") {
  Event p;
  p.stream = {"$catalogue", "89", 1};
  p.case_code = "TEST-1002668";
  p.type = "procedure.set";
  p.body = Body({{"name", Text("Đăng ký khai sinh")}, {"days", cbor::Value::Uint(3)}});
  CHECK(CheckEventSchema(p).ok());
  p.body = Body({{"name", Text("Đăng ký khai sinh")}, {"days", Text("3")}});
  CHECK_THAT(Refusal(p), Catch::Contains("body.days must be an unsigned integer"));
  p.body = Body({{"days", cbor::Value::Uint(3)}});
  CHECK_THAT(Refusal(p), Catch::Contains("body.name is required"));
  Event y;
  y.stream = {"$calendar", "89", 1};
  y.case_code = "year/2026";
  y.type = "calendar.year";
  y.body = Body({{"year", cbor::Value::Uint(20260)}});
  CHECK_THAT(Refusal(y), Catch::Contains("body.year must be from 1900 to 2200"));
}

TEST_CASE("text: what a peer sent is printed with its control characters escaped", "[text]") {
  CHECK(ForTerminal("Xã Mỹ Hoà Hưng") == "Xã Mỹ Hoà Hưng");
  CHECK(ForTerminal("bad\x1b[2J\r\n30280 yes") == "bad\\x1b[2J\\x0d\\x0a30280 yes");
  CHECK(ForTerminal("\xc2\x9b"
                    "31m\x7f") == "\\x9b31m\\x7f");
  CHECK(ForTerminal("\xc2\xa0") == "\xc2\xa0");  // a no-break space is text
}
