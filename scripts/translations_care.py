"""Vietnamese for break-glass, notifications and "who has seen this child"
(caseapp/care, the case page's panels, the supervision list)."""
VI = {
    "Why you must see this child's details now": "Lý do bạn cần xem thông tin của trẻ ngay lúc này",
    "At least 20 characters. Your access is read-only, ends on its own, and the assigned "
    "officers and your own supervisor are told.":
        "Ít nhất 20 ký tự. Quyền truy cập chỉ để xem, tự hết hạn, và cán bộ phụ trách cùng "
        "cấp giám sát trên của bạn sẽ được thông báo.",
    "Say why you need to see this child's details.": "Hãy nêu lý do bạn cần xem thông tin của trẻ.",
    "Explain the emergency in at least %(n)d characters.":
        "Hãy giải thích tình huống khẩn cấp bằng ít nhất %(n)d ký tự.",
    "You already have emergency access to this case.":
        "Bạn đang có quyền truy cập khẩn cấp vào hồ sơ này.",
    "This emergency access has already ended.": "Quyền truy cập khẩn cấp này đã kết thúc.",
    "Emergency access granted until %(until)s. Every view is recorded.":
        "Đã cấp quyền truy cập khẩn cấp đến %(until)s. Mọi lần xem đều được ghi lại.",
    "Your emergency access has ended.": "Quyền truy cập khẩn cấp của bạn đã kết thúc.",
    "assignment": "được phân công",
    "break-glass": "truy cập khẩn cấp",
    "break-glass reason": "lý do truy cập khẩn cấp",
    "Notifications": "Thông báo",
    "Mark all as read": "Đánh dấu tất cả là đã đọc",
    "A supervisor used emergency access (break-glass) on case":
        "Một giám sát viên đã dùng quyền truy cập khẩn cấp vào hồ sơ",
    "Mark as read": "Đánh dấu đã đọc",
    "You have no notifications.": "Bạn không có thông báo nào.",
    "Emergency access (break-glass)": "Truy cập khẩn cấp",
    "You see this child's details read-only until %(until)s. Every view is recorded and the "
    "assigned officers and your supervisor were told.":
        "Bạn được xem (không được sửa) thông tin của trẻ đến %(until)s. Mọi lần xem đều được "
        "ghi lại; cán bộ phụ trách và cấp giám sát trên của bạn đã được thông báo.",
    "End my emergency access now": "Kết thúc truy cập khẩn cấp ngay",
    "Only when the child is in danger and the assigned officer cannot be reached.":
        "Chỉ dùng khi trẻ đang gặp nguy hiểm và không liên lạc được cán bộ phụ trách.",
    "Open the child's details": "Mở thông tin của trẻ",
    "Who has seen this child": "Những ai đã xem thông tin của trẻ",
    "When": "Thời điểm",
    "Through": "Qua",
    "By": "Theo",
    "No one has seen this child's details yet.": "Chưa có ai xem thông tin của trẻ.",
    "Emergency accesses (break-glass)": "Các lần truy cập khẩn cấp",
    "Every break-glass use on a case of your units. A reason may name the child: it is shown "
    "to the supervisor who wrote it here, and to the assigned officers on the case page.":
        "Mọi lần truy cập khẩn cấp vào hồ sơ thuộc các đơn vị của bạn. Lý do có thể nêu tên "
        "trẻ nên chỉ hiện ở đây cho giám sát viên đã viết, và cho cán bộ phụ trách trên trang "
        "hồ sơ.",
    "From": "Từ",
    "Until": "Đến",
    "Reason": "Lý do",
    "active": "đang hiệu lực",
    "ended early": "kết thúc sớm",
    "sealed: read by the assigned officers on the case":
        "đã mã hoá: cán bộ phụ trách xem trên trang hồ sơ",
    "No emergency access has been used.": "Chưa có lần truy cập khẩn cấp nào.",
}
