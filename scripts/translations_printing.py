"""Vietnamese for the printable forms' panel and messages (caseapp/care/printing*).

The forms themselves (templates/printing/) are written in Vietnamese: they are
official documents of Decree 56/2017, the same for every user."""
VI = {
    "Printable forms": "In biểu mẫu",
    "The forms print in Vietnamese. Every print is recorded.":
        "Biểu mẫu được in bằng tiếng Việt. Mọi lần in đều được ghi lại.",
    "Print form 01: report received": "In Mẫu 01: tiếp nhận thông tin, thông báo",
    "Print form 02: initial risk assessment": "In Mẫu 02: đánh giá ban đầu về nguy cơ",
    "Print form 03: needs assessment": "In Mẫu 03: đánh giá nhu cầu",
    "Print form 04: support plan": "In Mẫu 04: kế hoạch hỗ trợ, can thiệp",
    "Print form 05: plan approval": "In Mẫu 05: phê duyệt kế hoạch",
    "Print form 06: review and closure": "In Mẫu 06: rà soát và đóng hồ sơ",
    "You cannot print this child's forms.": "Bạn không được in biểu mẫu của trẻ em này.",
    "Form %(code)s cannot be printed yet: its step has not been recorded for this case.":
        "Chưa thể in Mẫu %(code)s: bước này chưa được ghi nhận trong hồ sơ.",
    "Copy for the child or guardian": "Bản cung cấp cho trẻ em hoặc người giám hộ",
    "For a request to see their data: leaves out the reporter, the offender's accounts and "
    "the police. Read it before you hand it over: the account of what happened may still "
    "name people.":
        "Dùng khi trẻ hoặc người giám hộ yêu cầu xem dữ liệu: lược bỏ người thông báo, tài "
        "khoản của đối tượng và cơ quan công an. Hãy đọc lại trước khi giao: phần diễn biến "
        "sự việc vẫn có thể nêu tên người khác.",
    "Only form 01 has a copy for the child or guardian: the other forms name agencies, the "
    "police and the people who help.":
        "Chỉ Mẫu 01 có bản cung cấp cho trẻ em hoặc người giám hộ: các mẫu khác nêu tên cơ "
        "quan, công an và những người hỗ trợ.",
}
