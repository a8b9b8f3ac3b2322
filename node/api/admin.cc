// Backup, bundle import, the system channels' set-up bundle (the IT team's, with the API
// token) and the report (docs/api.md: /v1/backup, /v1/bundle, /v1/bundle/system, /v1/report).
#include <filesystem>
#include <set>

#include "core/base/text.h"
#include "core/domain/report.h"
#include "node/api/responses.h"
#include "node/backup.h"
#include "node/local_api.h"
#include "sync/bundle.h"

namespace hoso::node {

using api::Error;
using api::FromStatus;
using api::Invalid;
using api::Json;
using api::Missing;

namespace {

// The clerk-facing text of a refused backup (the English reason is the Status's message).
std::string BackupRefusalVi(const Status& s, const std::string& dir) {
  std::string parent = std::filesystem::path(dir).lexically_normal().parent_path().string();
  switch (s.code()) {
    case Code::kAlreadyExists:
      return "Thư mục " + dir +
             " đã có sẵn: mỗi bản sao lưu cần một thư mục mới, hãy đặt tên khác (ví dụ theo "
             "ngày giờ).";
    case Code::kNotFound:
      return "Không tìm thấy thư mục " + parent +
             " trên máy chủ của đơn vị: hãy cắm ổ USB hoặc ổ đĩa, hoặc tạo thư mục này, rồi "
             "sao lưu lại.";
    case Code::kPermissionDenied:
      return "Phần mềm không được phép ghi vào thư mục " + parent +
             ": hãy chọn thư mục khác hoặc nhờ bộ phận công nghệ thông tin cấp quyền.";
    case Code::kInvalidArgument:
      return "Đường dẫn sao lưu không hợp lệ: cần một thư mục mới, ghi đầy đủ từ gốc (bắt "
             "đầu bằng /), trong một thư mục đã có.";
    default:
      return "Không sao lưu được do lỗi ghi đĩa; bộ phận công nghệ thông tin xem chi tiết trong "
             "nhật ký của phần mềm.";
  }
}

}  // namespace

HttpResponse LocalApi::Backup(Call& call) {
  auto it = call.query.find("dir");
  if (it == call.query.end() || it->second.empty()) return Missing("dir");
  const std::string& dir = it->second;
  BackupSources sources{view_.officers_file, view_.config_file};
  auto made = MakeBackup(*store_, sources, dir, clock_->NowMs());
  if (!made.ok()) {
    const Status& s = made.status();
    int status = 500;
    std::string_view code = "backup_failed";
    if (s.code() == Code::kAlreadyExists) {
      status = 409, code = "exists";
    } else if (s.code() == Code::kNotFound || s.code() == Code::kInvalidArgument) {
      status = 400, code = "invalid";
    } else if (s.code() == Code::kPermissionDenied) {
      status = 403, code = "forbidden";
    }
    if (view_.log && status == 500) {
      view_.log->Log(LogLevel::kError, "api", "backup failed: " + s.message());
    }
    return Error(status, code, "dir", s.message(), BackupRefusalVi(s, dir));
  }
  if (view_.log) {
    view_.log->Log(LogLevel::kInfo, "api",
                   "backup of " + std::to_string(made->cases) + " cases written to " + made->dir);
  }
  json::array files;
  for (const auto& f : made->files) files.push_back(json::value(f));
  return Json(201, json::object{{"dir", made->dir},
                                {"cases", made->cases},
                                {"commit_counter", made->commit_counter},
                                {"files", std::move(files)}});
}

HttpResponse LocalApi::ImportBundle(Call& call) {
  if (!view_.verify_origin) {
    return FromStatus(Status::FailedPrecondition("this node has no CA to verify bundles with"));
  }
  auto stats = sync::ImportBundle(*store_, call.req.body, view_.verify_origin);
  if (!stats.ok()) {
    return Error(400, "invalid", "body", stats.status().message(),
                 "Tệp dữ liệu không hợp lệ hoặc bị hỏng, không nhập được.");
  }
  json::array refused;
  for (const auto& r : stats->refused) refused.push_back(json::value(r));
  const auto& b = stats->bundle;
  return Json(200, json::object{{"scope", b.scope},
                                {"exporter", b.exporter},
                                {"created", FormatTime(b.created_ms)},
                                {"streams", b.streams},
                                {"events", b.events},
                                {"applied", stats->applied},
                                {"duplicates", stats->duplicates},
                                {"chunks_in_file", b.chunks},
                                {"chunks", stats->chunks},
                                {"chunk_duplicates", stats->chunk_duplicates},
                                {"chunks_unwanted", stats->chunks_unwanted},
                                {"refused", std::move(refused)}});
}

// The set-up bundle of a new office (hoso ca issue --root-node): the system channels whole.
HttpResponse LocalApi::ExportSystemBundle(Call&) {
  auto bundle = sync::ExportSystemBundle(*store_);
  if (!bundle.ok()) return FromStatus(bundle.status());
  HttpResponse r;
  r.content_type = "application/cbor-seq";
  r.body = std::move(bundle).value();
  return r;
}

HttpResponse LocalApi::Report(Call& call) {
  static const std::set<std::string> known = {"scope", "from", "to", "by", "format"};
  for (const auto& [k, v] : call.query) {
    if (!known.count(k)) {
      return Error(400, "invalid", k, "unknown query parameter", "Tham số không hợp lệ: " + k);
    }
  }
  ReportQuery q;
  auto dir = store_->DirectorySnapshot();
  q.scope = call.query.count("scope") ? call.query.at("scope") : store_->options().identity->unit;
  q.now_ms = clock_->NowMs();
  int this_month = MonthOf(clock_->NowMs());
  for (auto [name, month] : {std::pair{"from", &q.from_month}, {"to", &q.to_month}}) {
    *month = this_month;
    if (auto it = call.query.find(name); it != call.query.end()) {
      auto m = ParseMonth(it->second);
      if (!m.ok()) {
        return Invalid(name, m.status().message(),
                       std::string(name == std::string("from") ? "Từ tháng" : "Đến tháng") +
                           ": phải có dạng MM/YYYY");
      }
      *month = *m;
    }
  }
  if (auto it = call.query.find("by"); it != call.query.end()) {
    for (std::string_view g : SplitList(it->second)) {
      if (g == "unit") {
        q.by_unit = true;
      } else if (g == "procedure") {
        q.by_procedure = true;
      } else if (g == "month") {
        q.by_month = true;
      } else {
        return Invalid("by", "groups are unit, procedure and month",
                       "chỉ nhóm theo unit (đơn vị), procedure (thủ tục), month (tháng)");
      }
    }
  }
  if (q.to_month < q.from_month) {
    return Invalid("to", "the period ends before it starts",
                   "Đến tháng phải sau hoặc bằng từ tháng.");
  }
  auto rows = BuildReport(*store_, q);
  if (!rows.ok()) return FromStatus(rows.status(), "from");
  if (call.query.count("format") && call.query.at("format") == "csv") {
    HttpResponse r;
    r.content_type = "text/csv; charset=utf-8";
    r.body = ReportCsv(*rows, [&](const std::string& unit) {
      auto u = dir->UnitAt(unit, q.now_ms);
      return u ? u->name : unit;
    });
    return r;
  }
  json::array out;
  for (const auto& row : *rows) {
    const ReportFigures& f = row.figures;
    json::object o;
    if (!row.unit.empty()) o["unit"] = row.unit;
    if (auto u = row.unit.empty() ? std::nullopt : dir->UnitAt(row.unit, q.now_ms)) {
      o["unit_name"] = u->name;
    }
    if (!row.procedure.empty()) o["procedure"] = row.procedure;
    if (!row.month.empty()) o["month"] = row.month;
    o["received"] = json::object{{"total", f.received},
                                 {"online", f.received_online},
                                 {"in_person", f.received_in_person},
                                 {"postal", f.received_postal},
                                 {"carried_over", f.carried_over}};
    o["resolved"] = json::object{{"total", f.resolved},
                                 {"early", f.early},
                                 {"on_time", f.on_time},
                                 {"late", f.late},
                                 {"not_judged", f.not_judged}};
    o["in_progress"] = json::object{
        {"total", f.in_progress}, {"on_time", f.in_progress_on_time}, {"late", f.in_progress_late}};
    o["postal"] = f.postal;
    o["supplemented"] = f.supplemented;
    // A rate over nothing is null ("no data"), not 0.
    auto rate = [](uint64_t part, uint64_t whole) {
      return whole ? json::value(static_cast<double>(part) / whole) : json::value(nullptr);
    };
    uint64_t judged = f.early + f.on_time + f.late;
    o["postal_share"] = rate(f.postal, f.received);
    o["online_share"] = rate(f.received_online, f.received);
    o["on_time_rate"] = rate(f.early + f.on_time, judged);
    o["supplement_rate"] = rate(f.supplemented, f.resolved);
    out.push_back(std::move(o));
  }
  json::object total = out.back().as_object();
  out.pop_back();
  return Json(200, json::object{{"scope", q.scope},
                                {"from", MonthName(q.from_month)},
                                {"to", MonthName(q.to_month)},
                                {"rows", std::move(out)},
                                {"total", std::move(total)}});
}

}  // namespace hoso::node
