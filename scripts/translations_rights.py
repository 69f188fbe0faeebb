"""Vietnamese for consent to share and data-subject requests (caseapp/care/consent.py,
data_rights.py, their forms, panels and the supervision list)."""
VI = {
    "Consent recorded for this agency": "Đã có sự đồng ý cho cơ quan này",
    "The basis for sharing was recorded.": "Đã ghi nhận căn cứ chia sẻ thông tin.",
    "The consent was withdrawn: no new referral may rely on it.":
        "Đã ghi nhận việc rút lại sự đồng ý: không được chuyển gửi mới dựa trên sự đồng ý này.",
    "The request was recorded. A supervisor of the case answers it.":
        "Đã ghi nhận yêu cầu. Cán bộ giám sát của hồ sơ sẽ trả lời.",
    "The answer was recorded.": "Đã ghi nhận câu trả lời.",
    "The restriction was lifted.": "Đã bỏ hạn chế xử lý dữ liệu.",
    "Answer given to the child or guardian": "Câu trả lời cho trẻ hoặc người giám hộ",
    "Basis for sharing": "Căn cứ chia sẻ",
    "Choose the agency.": "Hãy chọn cơ quan.",
    "Choose what is asked: to see, correct, restrict or delete the data.":
        "Hãy chọn nội dung yêu cầu: xem, chỉnh sửa, hạn chế xử lý hay xoá dữ liệu.",
    "Choose whether the request is granted or refused.":
        "Hãy chọn chấp nhận hay từ chối yêu cầu.",
    "Consent of the child and guardian": "Sự đồng ý của trẻ và người giám hộ",
    "Correct their data": "Chỉnh sửa dữ liệu",
    "Decision": "Quyết định",
    "Delete their data": "Xoá dữ liệu",
    "Details (what to correct, what to give)":
        "Chi tiết (cần chỉnh sửa gì, cần cung cấp gì)",
    "Explain why the data is shared without consent.":
        "Hãy giải thích vì sao chia sẻ dữ liệu khi không có sự đồng ý.",
    "Grant": "Chấp nhận",
    "Granted": "Đã chấp nhận",
    "No consent to share this case with this agency is on file. Record the consent of the "
    "child and guardian for this agency first, or share on a legal ground (emergency, legal "
    "duty).":
        "Chưa có sự đồng ý chia sẻ hồ sơ này với cơ quan này. Hãy ghi nhận sự đồng ý của trẻ "
        "và người giám hộ cho cơ quan này trước, hoặc chia sẻ theo căn cứ pháp lý (khẩn cấp, "
        "nghĩa vụ theo luật).",
    "Note (required without consent: why)":
        "Ghi chú (bắt buộc khi không có sự đồng ý: nêu lý do)",
    "Only a restriction in force can be lifted.":
        "Chỉ có thể bỏ một hạn chế đang có hiệu lực.",
    "Parent or guardian": "Cha mẹ hoặc người giám hộ",
    "Received at (empty: now)": "Thời điểm nhận (để trống: bây giờ)",
    "Refuse": "Từ chối",
    "Refused": "Đã từ chối",
    "Restrict the processing": "Hạn chế xử lý dữ liệu",
    "Restriction lifted": "Đã bỏ hạn chế",
    "Say what should be corrected.": "Hãy nêu nội dung cần chỉnh sửa.",
    "Say who asked: the child or the parent or guardian.":
        "Hãy cho biết ai yêu cầu: trẻ hay cha mẹ, người giám hộ.",
    "See their data": "Xem dữ liệu",
    "Sharing on consent needs the consent of the parent or guardian and, when the child is "
    "aged 7 or over, of the child. Without it, share only on a legal ground.":
        "Chia sẻ dựa trên sự đồng ý cần có sự đồng ý của cha mẹ hoặc người giám hộ và của trẻ "
        "khi trẻ từ đủ 7 tuổi. Nếu không có, chỉ được chia sẻ theo căn cứ pháp lý.",
    "The case is still open: its data cannot be deleted while the child is being helped. "
    "Close the case first, or refuse the request and say why.":
        "Hồ sơ đang mở: không thể xoá dữ liệu khi trẻ đang được hỗ trợ. Hãy đóng hồ sơ trước, "
        "hoặc từ chối yêu cầu và nêu lý do.",
    "The child (aged 7 or over) agrees": "Trẻ (từ đủ 7 tuổi) đồng ý",
    "The child": "Trẻ",
    "The date received cannot be in the future.": "Ngày nhận không thể ở tương lai.",
    "The parent or guardian agrees": "Cha mẹ hoặc người giám hộ đồng ý",
    "This consent was already withdrawn.": "Sự đồng ý này đã được rút lại.",
    "This request was already answered.": "Yêu cầu này đã được trả lời.",
    "Unknown consent.": "Không tìm thấy sự đồng ý này.",
    "Unknown request.": "Không tìm thấy yêu cầu này.",
    "Waiting for an answer": "Đang chờ trả lời",
    "What is asked": "Nội dung yêu cầu",
    "Who asked": "Người yêu cầu",
    "Write the answer given to the child or guardian.":
        "Hãy ghi câu trả lời cho trẻ hoặc người giám hộ.",
    "This case is restricted at the request of the child or guardian: only its supervisors "
    "see the child's details.":
        "Hồ sơ này bị hạn chế xử lý theo yêu cầu của trẻ hoặc người giám hộ: chỉ cán bộ giám "
        "sát của hồ sơ được xem thông tin của trẻ.",
    "A child or guardian made a request about their data on case":
        "Trẻ hoặc người giám hộ có yêu cầu về dữ liệu cá nhân trong hồ sơ",
    "A possible earlier case or a known offender account was found for case":
        "Phát hiện hồ sơ có thể trùng hoặc tài khoản đối tượng đã được nêu trước đây, hồ sơ",
    "A referral to an agency needs the consent of the child (aged 7 or over) and the guardian "
    "for that agency, or a legal ground used without it.":
        "Chuyển gửi đến một cơ quan cần sự đồng ý của trẻ (từ đủ 7 tuổi) và người giám hộ cho "
        "cơ quan đó, hoặc một căn cứ pháp lý khi không có sự đồng ý.",
    "Answer due": "Hạn trả lời",
    "Answer:": "Trả lời:",
    "Consent to share with agencies": "Đồng ý chia sẻ thông tin với các cơ quan",
    "Granting deletes the child's data for good (the case keeps only its statistics). "
    "Possible once the case is closed.":
        "Chấp nhận sẽ xoá vĩnh viễn dữ liệu của trẻ (hồ sơ chỉ còn số liệu thống kê). Chỉ thực "
        "hiện được khi hồ sơ đã đóng.",
    "Granting hides the child's details from everyone but the case's supervisors until you "
    "lift it.":
        "Chấp nhận sẽ ẩn thông tin của trẻ với mọi người trừ cán bộ giám sát của hồ sơ cho đến "
        "khi bạn bỏ hạn chế.",
    "Lift the restriction": "Bỏ hạn chế",
    "No agency yet.": "Chưa có cơ quan nào.",
    "No request is waiting.": "Không có yêu cầu nào đang chờ.",
    "Received %(at)s, answer due %(due)s": "Nhận lúc %(at)s, hạn trả lời %(due)s",
    "Record a request from the child or guardian": "Ghi nhận yêu cầu của trẻ hoặc người giám hộ",
    "Record consent or a legal ground for an agency":
        "Ghi nhận sự đồng ý hoặc căn cứ pháp lý cho một cơ quan",
    "Record the answer": "Ghi nhận câu trả lời",
    "Record the request": "Ghi nhận yêu cầu",
    "Record": "Ghi nhận",
    "Request": "Yêu cầu",
    "Requests about children's data": "Yêu cầu về dữ liệu cá nhân của trẻ",
    "Requests about the child's data": "Yêu cầu về dữ liệu cá nhân của trẻ",
    "Requests by a child or guardian to see, correct, restrict or delete their data, waiting "
    "for your answer on the case page.":
        "Yêu cầu của trẻ hoặc người giám hộ về xem, chỉnh sửa, hạn chế xử lý hoặc xoá dữ liệu, "
        "đang chờ bạn trả lời trên trang hồ sơ.",
    "Restricted at the request of the child or guardian: only the case's supervisors see the "
    "child's details until the restriction is lifted.":
        "Bị hạn chế xử lý theo yêu cầu của trẻ hoặc người giám hộ: chỉ cán bộ giám sát của hồ "
        "sơ được xem thông tin của trẻ cho đến khi bỏ hạn chế.",
    "Withdrawn %(at)s": "Đã rút lại ngày %(at)s",
    "Withdrawn by the child or guardian": "Trẻ hoặc người giám hộ rút lại sự đồng ý",
    "answered %(at)s": "trả lời lúc %(at)s",
    "lifted %(at)s": "bỏ hạn chế lúc %(at)s",
    "restricted": "hồ sơ bị hạn chế",
    "Check who is asking before you give anything: a parent or guardian may be the person who "
    "harms the child. Refuse, and say why, if the answer would put the child at risk.":
        "Hãy xác minh người yêu cầu trước khi cung cấp bất cứ thông tin gì: cha mẹ hoặc người "
        "giám hộ có thể chính là người gây hại cho trẻ. Hãy từ chối và nêu lý do nếu việc trả "
        "lời có thể gây nguy hiểm cho trẻ.",
    "%(n)d older uses are in the audit log (action case.break_glass).":
        "%(n)d lần sử dụng cũ hơn có trong nhật ký kiểm toán (hành động case.break_glass).",
    "At least 20 characters: the danger and why the assigned officer cannot act. Do not write "
    "the child's name or contacts. Your access is read-only, ends on its own, and the officers "
    "and supervisors of the case are told and read your reason.":
        "Ít nhất 20 ký tự: mối nguy hiểm và lý do cán bộ phụ trách không thể xử lý. Không ghi "
        "tên hay thông tin liên lạc của trẻ. Quyền truy cập chỉ để xem, tự hết hạn, và cán bộ "
        "phụ trách cùng cán bộ giám sát của hồ sơ sẽ được thông báo và đọc lý do của bạn.",
    "Every break-glass use of the last %(days)d days on a case of your units, with its reason. "
    "Reading a reason is recorded.":
        "Mọi lần truy cập khẩn cấp trong %(days)d ngày qua vào hồ sơ thuộc các đơn vị của bạn, "
        "kèm lý do. Việc đọc lý do được ghi lại.",
    "The child's details were restricted at the request of the child or guardian on case":
        "Thông tin của trẻ đã bị hạn chế xử lý theo yêu cầu của trẻ hoặc người giám hộ, hồ sơ",
    "The restriction was lifted on case": "Đã bỏ hạn chế xử lý dữ liệu, hồ sơ",
    "This case is restricted at the request of the child or guardian: the child's details are "
    "hidden until a supervisor lifts the restriction.":
        "Hồ sơ này bị hạn chế xử lý theo yêu cầu của trẻ hoặc người giám hộ: thông tin của trẻ "
        "được ẩn cho đến khi cán bộ giám sát bỏ hạn chế.",
    "You have used emergency access %(n)d times in 24 hours. Ask your own supervisor, or the "
    "officer's unit, to act on this case.":
        "Bạn đã dùng quyền truy cập khẩn cấp %(n)d lần trong 24 giờ. Hãy đề nghị cấp giám sát "
        "của bạn, hoặc đơn vị của cán bộ phụ trách, xử lý hồ sơ này.",
    "You recorded this request: another supervisor of the case answers it.":
        "Bạn đã ghi nhận yêu cầu này: một cán bộ giám sát khác của hồ sơ sẽ trả lời.",
    "guardian": "người giám hộ",
    "unreadable: the case was deleted": "không đọc được: hồ sơ đã bị xoá",
    "You recorded or granted this restriction: another supervisor of the case lifts it.":
        "Bạn đã ghi nhận hoặc chấp nhận hạn chế này: một cán bộ giám sát khác của hồ sơ sẽ "
        "bỏ hạn chế.",
}
