"""Each printed form carries what the decree's annex has, in its order, and says
honestly which forms follow the annex word for word.

Sources (read 2026-12-02; the official Công báo copy could not be reached from
here, see README "Printed forms"):

* Mẫu 01: the annex form as reproduced on luatminhkhue.vn ("Tổng hợp các biểu
  mẫu sử dụng trong công tác trẻ em theo Nghị định 56/2017/NĐ-CP") and on
  123docz.net ("Báo cáo tiếp nhận thông tin trẻ em.doc"); the two agree on the
  title and the order of the fields.
* Mẫu 06: the title, header fields and section 1a as reproduced on
  dulieuphapluat.vn (?p=734279); section 1b's rows were cut off there.
* Mẫu 02 to 05: not found; the decree's own articles (Art. 26-28, from the
  codification "Bộ pháp điển", Đề mục Trẻ em) give what they must contain.
"""
from __future__ import annotations

from html import unescape

import pytest

from tests.cases.conftest import CHILD_NAME

# Mẫu 01, in the annex's order (the labels as the annex words them).
FORM_01_FIELDS = [
    "TÊN CƠ QUAN TIẾP NHẬN THÔNG TIN",
    "Số:",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "BÁO CÁO",
    "TIẾP NHẬN THÔNG TIN TRẺ EM",
    "A. Thông tin chung",
    "1. Nguồn nhận thông tin",
    "Thông qua (điện thoại/gặp trực tiếp/người khác báo)",
    "Thời gian (mấy giờ)",
    "2. Thông tin về trẻ em",
    "Họ và tên trẻ em",
    "Ngày tháng năm sinh",
    "hoặc ước lượng tuổi",
    "Giới tính",
    "Nam", "Nữ", "Không biết",
    "Địa điểm xảy ra vụ việc",
    "Tình trạng hiện tại của trẻ em",
    "Phỏng đoán hậu quả có thể sẽ xảy ra cho trẻ em nếu không có được hỗ trợ, can thiệp",
    "Họ và tên cha", "Tuổi", "Nghề nghiệp",
    "Họ và tên mẹ", "Tuổi", "Nghề nghiệp",
    "Hoàn cảnh gia đình",
    "người chăm sóc trẻ em (nếu biết)",
    "Những hành động hỗ trợ, can thiệp",
    "3. Thông tin về người cung cấp thông tin (nếu đồng ý cung cấp)",
    "Họ và tên", "Số điện thoại", "Địa chỉ",
    "Ghi thêm",
    "CÁN BỘ TIẾP NHẬN THÔNG TIN",
    "(Ký, ghi rõ họ tên)",
]
# Mẫu 01, note (4): the child's group completes the title.
GROUP_TITLES = {"abused": "BỊ XÂM HẠI", "at_risk": "CÓ NGUY CƠ BỊ BẠO LỰC, BÓC LỘT, BỎ RƠI",
                "special_circumstances": "CÓ HOÀN CẢNH ĐẶC BIỆT"}
# Mẫu 02: Art. 26(2), (3) and Art. 31(1).
FORM_02_FIELDS = [
    "ĐÁNH GIÁ NGUY CƠ BAN ĐẦU, MỨC ĐỘ TỔN HẠI CỦA TRẺ EM",
    "Họ và tên trẻ em",
    "Họ và tên cán bộ thực hiện",
    "1. Đánh giá mức độ tổn hại của trẻ em",
    "Mức độ (Cao, Trung bình, Thấp)",
    "Mức độ tổn hại của trẻ em",
    "Khả năng tiếp cận trẻ em của đối tượng xâm hại",
    "Những trở ngại trong môi trường chăm sóc trẻ em đối với việc bảo đảm an toàn cho trẻ em",
    "Tổng số",
    "Trẻ em có nguy cơ hoặc đang bị tổn hại nghiêm trọng về tính mạng, sức khỏe, nhân phẩm",
    "Cha, mẹ, người chăm sóc trẻ em là người gây tổn hại cho trẻ em",
    "3. Kết luận",
    "Mức độ nguy cơ",
    "Áp dụng biện pháp can thiệp khẩn cấp hoặc tạm thời cách ly trẻ em (trong vòng 12 giờ)",
]
# Mẫu 03: Art. 27(1) a-h (verbatim) and the meeting of Art. 27(2).
FORM_03_FIELDS = [
    "BÁO CÁO THU THẬP THÔNG TIN, ĐÁNH GIÁ NGUY CƠ CỤ THỂ TÌNH HÌNH TRẺ EM",
    "a) Tình trạng thể chất, tâm lý, tình cảm của trẻ em",
    ("b) Hoàn cảnh gia đình, mối quan hệ của trẻ em và năng lực bảo vệ trẻ em của cha, mẹ, "
     "các thành viên trong gia đình"),
    "c) Các yếu tố làm trẻ em có thể bị xâm hại hoặc tiếp tục bị xâm hại",
    "d) Điều kiện, khả năng học tập và khả năng tự bảo vệ của trẻ em",
    "đ) Mức độ an toàn và khả năng hỗ trợ của cộng đồng dân cư nơi trẻ em sinh sống",
    "e) Nhu cầu chăm sóc y tế, chữa trị các tổn hại về thể chất và tinh thần của trẻ em",
    "g) Ý kiến, nguyện vọng của trẻ em được hỗ trợ, can thiệp",
    "h) Ý kiến, nguyện vọng của cha, mẹ, người chăm sóc trẻ em",
    "Cuộc họp xác định nhu cầu cần hỗ trợ, can thiệp",
    "Thời gian", "Chủ trì", "Thành phần tham dự",
]
# Mẫu 04: Art. 28(3) a-d.
FORM_04_FIELDS = [
    "KẾ HOẠCH HỖ TRỢ, CAN THIỆP",
    "Dịch vụ, công việc cần thực hiện", "Thời điểm bắt đầu", "Dự kiến kết thúc",
    "Cơ quan, tổ chức, cá nhân chịu trách nhiệm", "Cơ sở cung cấp dịch vụ cần huy động",
    "Dự toán kinh phí",
]
# Mẫu 05: the decision of Art. 28(2)(c), (4), (5).
FORM_05_FIELDS = [
    "ỦY BAN NHÂN DÂN", "Số:", "/QĐ-UBND", "QUYẾT ĐỊNH",
    "Về việc phê duyệt kế hoạch hỗ trợ, can thiệp đối với trẻ em",
    "CHỦ TỊCH ỦY BAN NHÂN DÂN",
    "Căn cứ Luật Trẻ em", "Căn cứ Nghị định số 56/2017/NĐ-CP",
    "QUYẾT ĐỊNH:", "Điều 1.", "Điều 2.", "Điều 3.", "Nơi nhận:",
    "CHỦ TỊCH", "(Ký, ghi rõ họ tên, đóng dấu)",
    "KẾ HOẠCH HỖ TRỢ, CAN THIỆP (kèm theo Quyết định)",
]
# Mẫu 06: the annex's title, header fields and section 1a (verbatim), then 1b.
FORM_06_FIELDS = [
    "RÀ SOÁT, ĐÁNH GIÁ TÌNH TRẠNG CỦA TRẺ EM SAU KHI THỰC HIỆN KẾ HOẠCH HỖ TRỢ, CAN THIỆP",
    "Họ và tên trẻ em", "Họ và tên cán bộ thực hiện", "Ngày, tháng, năm thực hiện",
    "1. Đánh giá nguy cơ tại giai đoạn kết thúc",
    "a) Đánh giá mức độ tổn hại của trẻ em",
    "Mức độ (Cao, Trung bình, Thấp)",
    "1. Mức độ tổn hại của trẻ em có còn nghiêm trọng không",
    ("Cao (tổn hại của trẻ em vẫn còn rất nghiêm trọng, ảnh hưởng đến sự phát triển của trẻ "
     "em); Trung bình (tổn hại của trẻ em còn ít nghiêm trọng); Thấp (tổn hại của trẻ em không "
     "còn nghiêm trọng)."),
    "2. Khả năng tiếp cận trẻ em của đối tượng xâm hại",
    ("Cao (đối tượng xâm hại vẫn có khả năng tiếp cận trẻ em và thường xuyên); Trung bình (đối "
     "tượng xâm hại có cơ hội tiếp cận trẻ em, nhưng không thường xuyên); Thấp (đối tượng xâm "
     "hại ít hoặc không có khả năng tiếp cận trẻ em)."),
    ("3. Những trở ngại trong môi trường chăm sóc trẻ em đối với việc bảo đảm an toàn cho trẻ "
     "em"),
    ("Cao (môi trường chăm sóc vẫn có nhiều trở ngại đáng kể để bảo đảm an toàn cho trẻ em); "
     "Trung bình (có một vài trở ngại, nhưng trẻ em vẫn có được sự bảo vệ nhất định); Thấp (có "
     "ít hoặc không có trở ngại nào cho việc bảo vệ trẻ em)."),
    "Tổng số", "Cao:", "Trung bình:", "Thấp:",
    "b) Đánh giá khả năng tự bảo vệ, phục hồi của trẻ em",
    "Tổng số",
]
FIELDS = {"01": FORM_01_FIELDS, "02": FORM_02_FIELDS, "03": FORM_03_FIELDS,
          "04": FORM_04_FIELDS, "05": FORM_05_FIELDS, "06": FORM_06_FIELDS}
VERBATIM = {"01"}


def in_order(html: str, fields: list[str]) -> list[str]:
    """The fields not found in ``html`` after the previous one (empty: all in order)."""
    missing, at = [], 0
    for text in fields:
        found = html.find(text, at)
        if found < 0:
            missing.append(text)
        else:
            at = found + len(text)
    return missing


@pytest.fixture
def printed(people, login, make_case):
    case = make_case("closure", child_group="abused")
    client = login(people.officer)

    def get(code: str) -> str:
        response = client.get(f"/cases/{case.reference}/print/{code}")
        assert response.status_code == 200, code
        return unescape(response.get_data(as_text=True))
    return get


@pytest.mark.parametrize("code", sorted(FIELDS))
def test_each_form_has_its_fields_in_order(printed, code):
    html = printed(code)
    form = html.split('id="appendix"', 1)[0]  # Mẫu 01's extra page is not the form
    assert in_order(form, FIELDS[code]) == []
    assert CHILD_NAME in html


@pytest.mark.parametrize("code", sorted(FIELDS))
def test_the_header_says_honestly_what_the_form_is(printed, code):
    html = printed(code)
    header = html.split('id="form-header"', 1)[1].split("</p>", 1)[0]
    assert "ban hành kèm theo" not in html.casefold()
    if code in VERBATIM:
        assert f"Mẫu số {code} (Phụ lục Nghị định số 56/2017/NĐ-CP)" in header
        assert "Dựa theo" not in header
    else:
        assert f"Dựa theo Mẫu số {code}, Phụ lục Nghị định số 56/2017/NĐ-CP" in header


def test_form_01_title_carries_the_childs_group(people, login, make_case):
    client = login(people.counselor)
    for group, title in GROUP_TITLES.items():
        case = make_case("intake", child_group=group)
        html = unescape(client.get(f"/cases/{case.reference}/print/01").get_data(as_text=True))
        assert f"TIẾP NHẬN THÔNG TIN TRẺ EM {title}" in html


def test_form_01_appendix_is_marked_as_not_part_of_the_form(printed):
    html = printed("01")
    appendix = html.split('id="appendix"', 1)[1]
    assert "(không thuộc Mẫu số 01)" in appendix and "Diễn biến sự việc" in appendix
