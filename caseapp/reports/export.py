"""The report as CSV, XLSX or HTML (A4), in Vietnamese, with the data
`caseapp report --verify` reads back.

Every file carries the report's data (period, unit, date, checkpoint, the
published numbers): CSV as its last rows, XLSX on a sheet of its own, HTML in
a JSON block. Cell text is neutralised against formula injection (a unit or
list entry named "=HYPERLINK(...)" stays text in Excel and LibreOffice).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from flask import current_app, has_request_context, render_template
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from caseapp.cases import reference_data
from caseapp.extensions import db
from caseapp.i18n import format_moment
from caseapp.units.models import Unit

from .numbers import AUDIENCES, GROUPS, TIMED_STEPS
from .service import Report

FORMATS = ("csv", "xlsx", "html")
DATA_SHEET = "Dữ liệu kiểm tra"
DATA_MARK = "caseapp-report-data"

GROUP_VI = {"children": "Trẻ em (dưới 16 tuổi)", "minors": "Người chưa thành niên (16–17 tuổi)",
            "unbanded": "Chưa phân lại nhóm tuổi (15–17)", "total": "Tổng cộng"}
STEP_VI = {"emergency": "Can thiệp khẩn cấp (12 giờ)", "assessment": "Đánh giá ban đầu",
           "needs": "Đánh giá nhu cầu", "plan_draft": "Lập kế hoạch (5 ngày làm việc)",
           "plan_approval": "Phê duyệt kế hoạch (7 ngày làm việc)"}
STAGE_VI = {"intake": "Tiếp nhận", "assessment": "Đánh giá", "support": "Hỗ trợ, can thiệp",
            "referral": "Chuyển gửi", "closure": "Đã đóng hồ sơ"}
RISK_VI = {"high": "Cao", "medium": "Trung bình", "low": "Thấp", "none": "Chưa đánh giá"}
STATUS_VI = {"sent": "Đã gửi", "accepted": "Đã tiếp nhận", "declined": "Từ chối",
             "completed": "Đã hoàn thành"}
AUDIENCE_VI = {"children": "trẻ em, học sinh", "parents": "cha mẹ", "teachers": "giáo viên",
               "union_members": "đoàn viên, thanh niên"}


@dataclass(frozen=True)
class Table:
    title: str
    head: tuple[str, ...]
    rows: list[tuple]


def _label(kind: str, code: str) -> str:
    entry = reference_data.get(kind, code, active_only=False)
    return entry.label_vi if entry is not None else code


def _unit_names() -> dict[str, str]:
    return {u.path: u.name for u in db.session.scalars(select(Unit))}


def _breakdown(report: Report, prefix: str, name) -> list[tuple]:
    keys = sorted(k for k in report.numbers if k.startswith(prefix + "."))
    return [(name(k[len(prefix) + 1:]), report.numbers[k]) for k in keys]


def tables(report: Report) -> list[Table]:
    """The report's tables, in the order the union's report uses them."""
    v, share = report.value, report.share
    out = [Table("1. Trẻ em yêu cầu hỗ trợ và được hỗ trợ (chỉ tiêu 100%)",
                 ("Nhóm", "Yêu cầu hỗ trợ", "Thông tin không có cơ sở", "Đã được hỗ trợ",
                  "Chưa được hỗ trợ", "Tỷ lệ được hỗ trợ"),
                 [(GROUP_VI[g], v(f"requests.{g}"), v(f"unfounded.{g}"), v(f"handled.{g}"),
                   v(f"not_handled.{g}"),
                   share(f"handled.{g}", (f"requests.{g}", f"unfounded.{g}")))
                  for g in (*GROUPS, "total") if g != "unbanded" or v(f"requests.{g}")])]
    out.append(Table("2. Bảo đảm thời hạn", ("Bước", "Đến hạn trong kỳ", "Đúng hạn", "Tỷ lệ"),
                     [(STEP_VI[s], v(f"on_time.{s}.due"), v(f"on_time.{s}.met"),
                       share(f"on_time.{s}.met", f"on_time.{s}.due")) for s in TIMED_STEPS]
                     + [("Mọi thời hạn được bảo đảm (trên số yêu cầu trừ không có cơ sở)",
                         v("all_met.cases"), v("all_met.met"),
                         share("all_met.met", "all_met.cases"))]))
    out.append(Table("3. Thông báo không kèm yêu cầu hỗ trợ", ("", "Số trường hợp"),
                     [("Không yêu cầu hỗ trợ", v("no_help.total"))]))
    units = _unit_names()
    for number, (prefix, title, name) in enumerate((
            ("by_stage", "Theo giai đoạn", lambda c: STAGE_VI.get(c, c)),
            ("by_risk", "Theo mức độ nguy cơ", lambda c: RISK_VI.get(c, c)),
            ("by_harm", "Theo hình thức xâm hại", lambda c: _label("harm_category", c)),
            ("by_channel", "Theo kênh tiếp nhận", lambda c: _label("channel", c)),
            ("by_platform", "Theo nền tảng", lambda c: _label("platform", c)),
            ("by_band", "Theo nhóm tuổi", lambda c: c),
            ("by_gender", "Theo giới tính", lambda c: _label("gender", c)),
            ("by_unit", "Theo đơn vị", lambda c: units.get(c, c)),
            ("closures", "Đóng hồ sơ theo lý do", lambda c: _label("closure_reason", c)),
    ), start=4):
        out.append(Table(f"{number}. {title} (số yêu cầu hỗ trợ)", ("", "Số trường hợp"),
                         _breakdown(report, prefix, name)))
    months = sorted({k.split(".")[1] for k in report.numbers if k.startswith("month.")})
    out.append(Table("13. Theo tháng", ("Tháng", "Yêu cầu hỗ trợ", "Đã được hỗ trợ"),
                     [(f"{m[5:]}/{m[:4]}", v(f"month.{m}.requests"), v(f"month.{m}.handled"))
                      for m in months]))
    referrals = sorted(k for k in report.numbers if k.startswith("referrals."))
    out.append(Table("14. Chuyển gửi theo cơ quan và kết quả", ("Cơ quan", "Kết quả", "Số lượt"),
                     [(_label("agency", k.split(".")[1]),
                       STATUS_VI.get(k.split(".")[2], k.split(".")[2]), report.numbers[k])
                      for k in referrals]))
    schools = v("awareness.schools")
    out.append(Table("15. Truyền thông, giáo dục phòng ngừa trong kỳ", ("", "Số lượng"),
                     [("Số buổi truyền thông", v("awareness.sessions")),
                      ("Số lượt người tham dự", v("awareness.attendees"))]
                     + [(f"Số buổi dành cho {AUDIENCE_VI[a]}", v(f"awareness.audience.{a}"))
                        for a in AUDIENCES]
                     + [("Số trường học", schools),
                        ("Số trường đã tổ chức ít nhất một buổi", v("awareness.schools_covered")),
                        ("Tỷ lệ trường đã tổ chức", share("awareness.schools_covered",
                                                          "awareness.schools"))]))
    return out


def title(report: Report) -> str:
    return (f"Báo cáo kết quả hỗ trợ trẻ em bị xâm hại trên môi trường mạng — {report.unit_name}"
            f" — {report.period.title_vi}")


def neutral(value):
    """Text that a spreadsheet would run as a formula, kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


LEGEND = ("Ghi chú: “<5” là từ 1 đến 4 trường hợp; “x” là số bị ẩn để không thể suy ra một "
          "số nhỏ bằng phép trừ; tỷ lệ ghi thành khoảng khi số chính xác sẽ làm lộ một số nhỏ; "
          "“—” là không tính được.")
DATA_NOTE = "Dữ liệu kiểm chứng (lệnh caseapp report --verify), xin đừng sửa:"


def as_of_text(report: Report) -> str:
    return format_moment(report.as_of)


def to_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)  # a ";" in a name never splits a cell
    writer.writerow([neutral(title(report))])
    writer.writerow(["Tính đến", as_of_text(report), "Điểm kiểm tra nhật ký",
                     report.checkpoint["seq"]])
    for table in tables(report):
        writer.writerow([])
        writer.writerow([neutral(table.title)])
        writer.writerow([neutral(h) for h in table.head])
        for row in table.rows:
            writer.writerow([neutral(c) for c in row])
    writer.writerow([])
    if report.suppressed:
        writer.writerow([LEGEND])
    writer.writerow([DATA_NOTE])
    writer.writerow([DATA_MARK, json.dumps(report.data(), ensure_ascii=False, sort_keys=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Báo cáo"
    sheet.append([neutral(title(report))])
    sheet.append(["Tính đến", as_of_text(report), "Điểm kiểm tra nhật ký",
                  report.checkpoint["seq"]])
    for table in tables(report):
        sheet.append([])
        sheet.append([neutral(table.title)])
        sheet.append([neutral(h) for h in table.head])
        for row in table.rows:
            sheet.append([neutral(c) for c in row])
    if report.suppressed:
        sheet.append([])
        sheet.append([LEGEND])
    sheet.column_dimensions["A"].width = 48
    data = book.create_sheet(DATA_SHEET)
    data.append([DATA_MARK])
    data.append([json.dumps(report.data(), ensure_ascii=False, sort_keys=True)])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_html(report: Report) -> bytes:
    if not has_request_context():  # the command line: url_for needs a request
        with current_app.test_request_context():
            return to_html(report)
    return render_template("reports/report.html", report=report, title=title(report),
                           tables=tables(report), as_of=as_of_text(report), legend=LEGEND,
                           data=json.dumps(report.data(), ensure_ascii=False,
                                           sort_keys=True)).encode("utf-8")


def render(report: Report, fmt: str) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx, "html": to_html}[fmt](report)


class NotAReport(ValueError):
    """The file holds no report data this version can read."""


def kind_of(raw: bytes) -> str:
    if raw[:2] == b"PK":
        return "xlsx"
    head = raw[:400].decode("utf-8-sig", errors="replace").lower()
    return "html" if "<html" in head or "<!doctype" in head else "csv"


def _text(value) -> str:
    return "" if value is None else str(value)


def visible_cells(raw: bytes) -> list[list[str]]:
    """The text of an XLSX report's first sheet, row by row (blank rows and
    trailing blanks dropped), for comparison with a rendering of its data."""
    sheet = load_workbook(io.BytesIO(raw), read_only=True).worksheets[0]
    rows = []
    for row in sheet.iter_rows(values_only=True):
        cells = [_text(v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            rows.append(cells)
    return rows


def xlsx_tampering(raw: bytes) -> list[str]:
    """What could make an XLSX report show other numbers than its cells hold:
    number formats, hidden rows or columns, conditional formats, other sheets."""
    book = load_workbook(io.BytesIO(raw))
    problems = []
    if book.sheetnames != ["Báo cáo", DATA_SHEET]:
        problems.append(f"the workbook's sheets were changed: {book.sheetnames}")
    sheet = book.worksheets[0]
    if any(cell.number_format != "General" for row in sheet.iter_rows() for cell in row):
        problems.append("a cell was given a number format (it may show another number)")
    if any(d.hidden for d in sheet.row_dimensions.values()) or any(
            d.hidden for d in sheet.column_dimensions.values()):
        problems.append("rows or columns were hidden")
    if len(sheet.conditional_formatting):
        problems.append("conditional formats were added")
    return problems


def read_data(raw: bytes) -> dict:
    """The report data of a CSV, XLSX or HTML file made by :func:`render`."""
    try:
        if raw[:2] == b"PK":
            book = load_workbook(io.BytesIO(raw), read_only=True)
            rows = list(book[DATA_SHEET].iter_rows(values_only=True))
            return json.loads(rows[1][0])
        text = raw.decode("utf-8-sig")
        if DATA_MARK in text and "<html" in text[:200].lower():
            start = text.index(f'id="{DATA_MARK}"')
            body = text[text.index(">", start) + 1:text.index("</script>", start)]
            return json.loads(body)
        for row in csv.reader(io.StringIO(text)):
            if row and row[0] == DATA_MARK:
                return json.loads(row[1])
    except (KeyError, IndexError, ValueError, TypeError, OSError) as error:
        raise NotAReport(str(type(error).__name__)) from None
    raise NotAReport("no report data")
