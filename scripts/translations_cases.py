"""Vietnamese translations of the case domain: workflow, services, permissions
(input to scripts/fill_translations.py)."""
VI = {
    # errors and shared checks
    'Someone else saved this case while you were working on it. Reload the case, then make '
    'your change again; nothing you typed was saved.':
        'Một người khác đã lưu hồ sơ này trong lúc bạn đang làm. Hãy tải lại hồ sơ rồi thực '
        'hiện lại thay đổi; những gì bạn vừa nhập chưa được lưu.',
    'This field must be text.': 'Trường này phải là văn bản.',
    'This field is required.': 'Trường này là bắt buộc.',
    'This text is too long (at most %(n)d characters).':
        'Nội dung quá dài (tối đa %(n)d ký tự).',
    'This text contains a character that is not allowed.':
        'Nội dung có ký tự không được phép.',
    'You are not allowed to do this with this case.':
        'Bạn không được phép thực hiện việc này với hồ sơ này.',
    "You cannot see this child's details.": 'Bạn không được xem thông tin của trẻ này.',

    # reference lists
    'A code has 1 to 32 lower-case letters, digits or underscores.':
        'Mã gồm 1 đến 32 chữ thường, chữ số hoặc dấu gạch dưới.',
    'Give a Vietnamese and an English label (at most 200 characters).':
        'Nhập tên tiếng Việt và tiếng Anh (tối đa 200 ký tự).',
    'Unknown entry.': 'Mục không tồn tại.',

    # intake (Mẫu 01)
    'Give a date and time.': 'Nhập ngày và giờ.',
    'This time is in the future.': 'Thời điểm này ở tương lai.',
    'Give the date of birth as a date.': 'Nhập ngày sinh theo dạng ngày tháng.',
    'The date of birth is after the report.': 'Ngày sinh sau ngày tiếp nhận thông tin.',
    'Give the estimated age in years.': 'Nhập tuổi ước tính (số năm).',
    'This system is for children under 18.': 'Hệ thống này dành cho trẻ em dưới 18 tuổi.',
    'Unknown legal ground.': 'Căn cứ pháp lý không hợp lệ.',
    'Record the consent of the child (aged 7 or over) and of the parent or guardian, or the '
    'legal ground used without it (for example an emergency). Without either the report cannot '
    'be recorded.':
        'Ghi nhận sự đồng ý của trẻ (từ đủ 7 tuổi) và của cha mẹ hoặc người giám hộ, hoặc căn '
        'cứ pháp lý được áp dụng khi không có sự đồng ý (ví dụ: tình huống khẩn cấp). Không có '
        'một trong hai thì không thể ghi nhận thông tin.',
    'Unknown unit.': 'Đơn vị không tồn tại.',
    'You cannot record a report for this unit.':
        'Bạn không được tiếp nhận thông tin cho đơn vị này.',
    'Give the date and time the report was received.':
        'Nhập ngày giờ tiếp nhận thông tin.',
    'Choose how the report came in.': 'Chọn kênh tiếp nhận thông tin.',
    'Choose who asked for help.': 'Chọn người đề nghị hỗ trợ.',
    'Choose at least one kind of harm from the list.':
        'Chọn ít nhất một hình thức bị tổn hại trong danh sách.',
    'Choose platforms from the list.': 'Chọn nền tảng trong danh sách.',
    "Choose the child's gender (or unknown).": 'Chọn giới tính của trẻ (hoặc không rõ).',
    "Give the child's name (or what the reporter calls them).":
        'Nhập tên của trẻ (hoặc tên mà người báo tin gọi).',
    'Describe what happened.': 'Mô tả sự việc đã xảy ra.',
    'This is not a phone number.': 'Đây không phải là số điện thoại.',
    'Check the date of birth.': 'Kiểm tra lại ngày sinh.',
    'This is not an account name or link.': 'Đây không phải là tên tài khoản hoặc đường liên kết.',

    # assignment
    'Choose an active case officer of your units as lead officer.':
        'Chọn một cán bộ phụ trách đang hoạt động thuộc đơn vị của bạn làm người phụ trách chính.',
    'Only active officers and counselors of your units can be assigned.':
        'Chỉ có thể phân công cán bộ và tư vấn viên đang hoạt động thuộc đơn vị của bạn.',

    # stages and transitions
    'Intake': 'Tiếp nhận',
    'Assessment': 'Đánh giá',
    'Support': 'Hỗ trợ',
    'Referral': 'Chuyển gửi',
    'Closed': 'Đã đóng',
    'Approve closure': 'Duyệt đóng hồ sơ',
    'Record the risk assessment': 'Ghi nhận đánh giá nguy cơ',
    'Start support': 'Bắt đầu hỗ trợ',
    'Refer to an agency': 'Chuyển gửi đến cơ quan',
    'Back from referral': 'Nhận lại sau chuyển gửi',
    'Reopen': 'Mở lại',
    'Unknown stage.': 'Giai đoạn không hợp lệ.',
    'A case cannot move from %(source)s to %(target)s.':
        'Hồ sơ không thể chuyển từ %(source)s sang %(target)s.',
    'This step needs other information.': 'Bước này cần thông tin khác.',

    # assessment (Mẫu 02, Mẫu 03)
    'Assign a lead officer before the assessment.':
        'Phân công cán bộ phụ trách chính trước khi đánh giá.',
    'Choose the risk level: high, medium or low.': 'Chọn mức độ nguy cơ: cao, trung bình hoặc thấp.',
    'Write the assessment note.': 'Ghi nội dung đánh giá.',
    'Record the needs assessment (form 03) before support starts.':
        'Ghi nhận đánh giá nhu cầu (Mẫu 03) trước khi bắt đầu hỗ trợ.',
    'Write the needs assessment.': 'Ghi nội dung đánh giá nhu cầu.',
    'The assessment details are not in the expected form.':
        'Chi tiết đánh giá không đúng định dạng.',

    # referral
    'Choose the agency the case is referred to.': 'Chọn cơ quan tiếp nhận chuyển gửi.',
    'Give the reason for the referral.': 'Nêu lý do chuyển gửi.',
    "Say on what basis the child's data is shared: consent or a legal ground.":
        'Nêu căn cứ chia sẻ thông tin của trẻ: sự đồng ý hoặc căn cứ pháp lý.',
    'No consent was recorded for this case: share on a legal ground, or record consent first.':
        'Hồ sơ này chưa ghi nhận sự đồng ý: hãy chia sẻ theo căn cứ pháp lý, hoặc ghi nhận sự '
        'đồng ý trước.',
    'The date sent cannot be in the future.': 'Ngày gửi không thể ở tương lai.',
    'Say why the case came back from referral.': 'Nêu lý do hồ sơ được trả lại sau chuyển gửi.',
    'Unknown referral.': 'Lượt chuyển gửi không tồn tại.',
    'This referral cannot change to that status.':
        'Lượt chuyển gửi này không thể chuyển sang trạng thái đó.',
    'This date is before the referral was sent.': 'Ngày này trước ngày chuyển gửi.',

    # plan (Mẫu 04, Mẫu 05) and support actions
    'Say what will be done.': 'Nêu việc sẽ làm.',
    'Give the date as a date.': 'Nhập ngày theo dạng ngày tháng.',
    'Write the goals of the plan.': 'Ghi mục tiêu của kế hoạch.',
    'Add at least one action to the plan.': 'Thêm ít nhất một hoạt động vào kế hoạch.',
    'This is not the newest version of the plan.': 'Đây không phải phiên bản mới nhất của kế hoạch.',
    'This plan is already approved.': 'Kế hoạch này đã được phê duyệt.',
    'Choose the kind of action.': 'Chọn loại hoạt động.',
    'This kind of action cannot be recorded at this stage.':
        'Không thể ghi nhận loại hoạt động này ở giai đoạn hiện tại.',
    'Describe what was done.': 'Mô tả việc đã làm.',
    'Write the note.': 'Ghi nội dung ghi chú.',

    # closure (Mẫu 06)
    'Choose the reason for closing.': 'Chọn lý do đóng hồ sơ.',
    'Summarise the outcome.': 'Tóm tắt kết quả.',
    'Rate each point of the review: high, medium or low.':
        'Đánh giá từng nội dung: cao, trung bình hoặc thấp.',
    'The lead officer has not requested closure with a reason, an outcome and the review.':
        'Cán bộ phụ trách chính chưa đề nghị đóng hồ sơ kèm lý do, kết quả và đánh giá lại.',
    'Choose why the case is reopened.': 'Chọn lý do mở lại hồ sơ.',
}
