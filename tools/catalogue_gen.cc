#include "tools/catalogue_gen.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "tools/workload.h"

namespace hoso {
namespace {

struct Agency {
  const char* name;
  std::vector<const char*> objects;
};

const std::vector<Agency>& Agencies() {
  static const std::vector<Agency> agencies = {
      {"Sở Tư pháp",
       {"phiếu lý lịch tư pháp", "giấy phép hành nghề công chứng", "thẻ công chứng viên",
        "giấy đăng ký hoạt động văn phòng luật sư", "quốc tịch Việt Nam"}},
      {"Sở Xây dựng",
       {"giấy phép xây dựng nhà ở riêng lẻ", "chứng chỉ hành nghề hoạt động xây dựng",
        "giấy phép di dời công trình", "chứng chỉ năng lực hoạt động xây dựng"}},
      {"Sở Tài nguyên và Môi trường",
       {"giấy chứng nhận quyền sử dụng đất", "giấy phép khai thác nước dưới đất",
        "giấy phép môi trường", "giấy phép thăm dò khoáng sản"}},
      {"Sở Kế hoạch và Đầu tư",
       {"giấy chứng nhận đăng ký doanh nghiệp", "giấy chứng nhận đăng ký đầu tư",
        "giấy chứng nhận đăng ký hoạt động chi nhánh", "đăng ký thành lập hợp tác xã"}},
      {"Sở Giao thông vận tải",
       {"giấy phép lái xe", "giấy phép kinh doanh vận tải bằng xe ô tô", "phù hiệu xe",
        "giấy phép lưu hành xe quá tải trọng"}},
      {"Sở Y tế",
       {"chứng chỉ hành nghề khám bệnh, chữa bệnh", "giấy phép hoạt động phòng khám",
        "giấy chứng nhận đủ điều kiện kinh doanh dược", "chứng chỉ hành nghề dược"}},
      {"Sở Giáo dục và Đào tạo",
       {"bản sao bằng tốt nghiệp", "giấy phép thành lập trung tâm ngoại ngữ",
        "công nhận trường đạt chuẩn quốc gia", "giấy phép dạy thêm"}},
      {"Sở Lao động - Thương binh và Xã hội",
       {"giấy phép lao động cho người nước ngoài", "trợ cấp xã hội hằng tháng",
        "chế độ ưu đãi người có công", "giấy phép hoạt động dịch vụ việc làm"}},
      {"Sở Công Thương",
       {"giấy phép bán lẻ rượu", "giấy chứng nhận đủ điều kiện kinh doanh xăng dầu",
        "giấy phép bán buôn thuốc lá", "giấy chứng nhận an toàn thực phẩm"}},
      {"Sở Nông nghiệp và Phát triển nông thôn",
       {"giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông lâm thủy sản",
        "giấy phép khai thác thủy sản", "chứng chỉ hành nghề thú y"}},
      {"Sở Văn hóa, Thể thao và Du lịch",
       {"giấy phép kinh doanh dịch vụ lữ hành", "giấy phép tổ chức biểu diễn nghệ thuật",
        "thẻ hướng dẫn viên du lịch"}},
      {"Sở Nội vụ", {"công nhận ban vận động thành lập hội", "giấy phép thành lập quỹ xã hội"}},
      {"Sở Tài chính", {"mã số đơn vị có quan hệ với ngân sách", "thẩm định giá đất cụ thể"}},
      {"Sở Thông tin và Truyền thông",
       {"giấy phép xuất bản bản tin", "giấy phép hoạt động in", "giấy phép thiết lập trang tin"}},
      {"Sở Khoa học và Công nghệ",
       {"giấy chứng nhận đăng ký hoạt động khoa học và công nghệ",
        "giấy phép tiến hành công việc bức xạ"}},
      {"Công an tỉnh", {"hộ chiếu phổ thông", "đăng ký thường trú", "đăng ký xe"}},
      {"UBND cấp huyện",
       {"giấy chứng nhận đăng ký hộ kinh doanh", "giấy phép xây dựng nhà ở nông thôn",
        "đăng ký kết hôn có yếu tố nước ngoài", "thay đổi, cải chính hộ tịch"}},
      {"UBND cấp xã",
       {"giấy khai sinh", "giấy chứng nhận kết hôn", "trích lục khai tử",
        "xác nhận tình trạng hôn nhân", "chứng thực bản sao từ bản chính"}},
  };
  return agencies;
}

const char* const kActions[] = {"Cấp",     "Cấp lại", "Cấp đổi",  "Điều chỉnh",
                                "Gia hạn", "Đăng ký", "Xác nhận", "Thẩm định hồ sơ"};
const char* const kDocuments[] = {"Tờ khai theo mẫu",
                                  "Bản sao căn cước công dân",
                                  "Ảnh 4x6",
                                  "Giấy tờ về cư trú",
                                  "Bản vẽ thiết kế",
                                  "Giấy xác nhận của cơ quan",
                                  "Hợp đồng lao động",
                                  "Giấy chứng nhận sức khỏe",
                                  "Bản sao văn bằng",
                                  "Biên lai nộp phí",
                                  "Giấy ủy quyền (nếu nộp thay)",
                                  "Giấy phép cũ (bản chính)"};
const int kWorkingDays[] = {1, 3, 5, 5, 7, 10, 10, 15, 20, 30};
const uint64_t kFees[] = {0, 0, 20000, 50000, 100000, 200000, 500000};

}  // namespace

std::vector<Procedure> GenerateCatalogue(uint64_t seed, size_t count) {
  std::vector<Procedure> out;
  std::set<std::string> codes;
  for (uint64_t i = 0; out.size() < count; ++i) {
    uint64_t r = SplitMix(seed * 1000003 + i);
    Procedure p;
    const auto& workload = WorkloadProcedureCodes();
    if (i < workload.size()) {
      p.code = workload[i];
    } else {
      char code[32];
      std::snprintf(code, sizeof code, "TEST-%d%06llu", static_cast<int>(1 + (r & 1)),
                    static_cast<unsigned long long>((r >> 8) % 1000000));
      p.code = code;
    }
    if (!codes.insert(p.code).second) continue;
    const Agency& a = Agencies()[(r >> 28) % Agencies().size()];
    const char* object = a.objects[(r >> 36) % a.objects.size()];
    p.name = std::string(kActions[(r >> 20) % std::size(kActions)]) + " " + object;
    p.agency = a.name;
    p.working_days = (r >> 44) % 10 != 0;
    p.days = p.working_days ? kWorkingDays[(r >> 48) % std::size(kWorkingDays)]
                            : 15 + static_cast<int>((r >> 48) % 46);
    // The workload's procedures are postal-eligible: half its cases come by post.
    p.postal = i < workload.size() || (r >> 52) % 100 >= 40;
    p.fee = kFees[(r >> 56) % std::size(kFees)];
    size_t docs = 2 + (r >> 60) % 3;
    for (size_t d = 0; d < docs; ++d) {
      p.documents.emplace_back(kDocuments[(r / (d + 7)) % std::size(kDocuments)]);
    }
    std::sort(p.documents.begin(), p.documents.end());
    p.documents.erase(std::unique(p.documents.begin(), p.documents.end()), p.documents.end());
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hoso
