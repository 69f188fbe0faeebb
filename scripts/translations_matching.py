"""Vietnamese for duplicate and repeat-offender matches (caseapp/care/matching.py,
matching_views.py, templates/care/_matching.html, and the "match_found" notification)."""
VI = {
    # kinds and statuses
    "Possibly the same child": "Có thể cùng một trẻ",
    "Offender account possibly named before": "Tài khoản đối tượng có thể đã được nêu trước đây",
    "To check": "Cần kiểm tra",
    "Linked": "Đã liên kết",
    "Dismissed": "Đã bỏ qua",
    # service and views
    "These cases are already linked.": "Các hồ sơ này đã được liên kết.",
    "This match is already dismissed.": "Trường hợp trùng khớp này đã được bỏ qua.",
    "Only a supervisor of both cases can decide on this match.":
        "Chỉ giám sát viên phụ trách cả hai hồ sơ mới được quyết định về trường hợp trùng khớp "
        "này.",
    "The cases are linked.": "Đã liên kết các hồ sơ.",
    "The match is dismissed.": "Đã bỏ qua trường hợp trùng khớp.",
    # the panel, supervisors
    "Possible duplicates and repeat offenders": "Hồ sơ có thể trùng và đối tượng tái phạm",
    "Found by comparing short fingerprints of the child's phone, date of birth with family name, "
    "and offender accounts. Some are coincidences: check each one before linking.":
        "Được phát hiện bằng cách so sánh dấu vết rút gọn của số điện thoại của trẻ, ngày sinh "
        "kèm họ, và tài khoản của đối tượng. Một số chỉ là trùng hợp ngẫu nhiên: hãy kiểm tra "
        "từng trường hợp trước khi liên kết.",
    "Other case": "Hồ sơ kia",
    "A case in another unit: %(unit)s.": "Một hồ sơ ở đơn vị khác: %(unit)s.",
    "Found on": "Phát hiện lúc",
    "when this case was recorded": "khi tiếp nhận hồ sơ này",
    "when the other case was recorded": "khi tiếp nhận hồ sơ kia",
    "Only a supervisor of both units can check and link them: ask %(names)s.":
        "Chỉ giám sát viên phụ trách cả hai đơn vị mới kiểm tra và liên kết được: hãy hỏi "
        "%(names)s.",
    "Only a supervisor of both units can check and link them.":
        "Chỉ giám sát viên phụ trách cả hai đơn vị mới kiểm tra và liên kết được.",
    "Link the cases": "Liên kết các hồ sơ",
    "Unlink": "Huỷ liên kết",
    "Not the same: dismiss": "Không trùng: bỏ qua",
    "Linking records your decision only: it opens nothing of either case to anyone.":
        "Việc liên kết chỉ ghi lại quyết định của bạn: không mở thông tin của hồ sơ nào cho "
        "bất kỳ ai.",
    # the panel, intake counselor and officers
    "Possible earlier case": "Có thể đã có hồ sơ trước đây",
    "Possibly the same child as in another case: a supervisor checks.":
        "Có thể là cùng một trẻ với một hồ sơ khác: giám sát viên sẽ kiểm tra.",
    "An offender account of this report was possibly named in another case: a supervisor "
    "checks.":
        "Một tài khoản đối tượng trong tin báo này có thể đã được nêu trong một hồ sơ khác: "
        "giám sát viên sẽ kiểm tra.",
    "Ask %(names)s before contacting the family.":
        "Hãy hỏi %(names)s trước khi liên hệ với gia đình.",
    "Ask your supervisor before contacting the family.":
        "Hãy hỏi giám sát viên của bạn trước khi liên hệ với gia đình.",
    "Linked to other cases: %(n)d.": "Đã liên kết với %(n)d hồ sơ khác.",
    # for caseapp/templates/care/notifications.html (the lead's merge adds the line there)
    "A possible earlier case of the same child or offender was found for case":
        "Phát hiện hồ sơ có thể trùng (cùng trẻ hoặc cùng đối tượng) với hồ sơ",
    "A case in a unit outside yours.": "Một hồ sơ ở đơn vị ngoài phạm vi của bạn.",
}
