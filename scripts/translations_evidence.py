"""Vietnamese for evidence: attachments, the refusal of abuse material and the
record of where it is held (caseapp/care/evidence*, care/_evidence.html,
caseapp/permissions/evidence.py)."""
VI = {
    # the panel
    "Evidence": "Chứng cứ",
    "Files of evidence: %(n)d, encrypted. Only the people who may see the child's details see "
    "what they are.":
        "Số tệp chứng cứ: %(n)d, đã được mã hoá. Chỉ những người được xem thông tin của trẻ "
        "mới biết đó là gì.",
    "File": "Tệp",
    "Uploaded": "Ngày tải lên",
    "Uploaded by": "Người tải lên",
    "Type": "Loại",
    "Size": "Dung lượng",
    "Evidence %(n)d": "Chứng cứ %(n)d",
    "Every download is recorded. Delete the downloaded copy when you no longer need it, above "
    "all on a shared computer.":
        "Mọi lần tải xuống đều được ghi lại. Hãy xoá bản đã tải về khi không còn cần, nhất là "
        "trên máy tính dùng chung.",
    "No files yet.": "Chưa có tệp nào.",
    "Material held outside this system": "Tài liệu được lưu giữ ngoài hệ thống",
    "Police unit that has it": "Đơn vị công an đang giữ",
    "Police officer": "Cán bộ công an phụ trách",
    "Police reference number": "Số hồ sơ của công an",
    "Text": "Văn bản",
    "%(n)s bytes": "%(n)s byte",
    # abuse material
    "Sexual abuse material is never uploaded": "Không bao giờ tải lên tài liệu xâm hại tình dục",
    "This case is about sexual images of a child. Keeping, copying or sending such images is a "
    "crime, even as evidence, and every copy harms the child again. This system does not "
    "accept them.":
        "Hồ sơ này liên quan đến hình ảnh tình dục của trẻ em. Lưu giữ, sao chép hay gửi những "
        "hình ảnh đó là hành vi phạm tội, kể cả để làm chứng cứ, và mỗi bản sao lại gây tổn hại "
        "cho trẻ thêm một lần. Hệ thống này không nhận những hình ảnh đó.",
    "Never upload, copy, screenshot or forward the material, and never ask the child or the "
    "family to send it to you.":
        "Không bao giờ tải lên, sao chép, chụp màn hình hay chuyển tiếp tài liệu đó, và không "
        "bao giờ yêu cầu trẻ hoặc gia đình gửi cho bạn.",
    "Hand it, or the phone or computer that holds it, to the police (the cybercrime unit where "
    "there is one). Tell the family not to delete it.":
        "Giao tài liệu, hoặc điện thoại, máy tính đang chứa nó, cho cơ quan công an (đơn vị an "
        "ninh mạng nếu có). Dặn gia đình không xoá tài liệu.",
    "Record below where the material is held and which police unit has it: the unit, the "
    "officer and their reference number.":
        "Ghi lại bên dưới nơi đang lưu giữ tài liệu và đơn vị công an đang giữ: tên đơn vị, "
        "cán bộ phụ trách và số hồ sơ.",
    "Sexual abuse material of a child is never uploaded, copied or forwarded, not even as "
    "evidence: keeping or sending it is a crime and harms the child again. Hand it (or the "
    "device that holds it) to the police, and record below where the material is held and "
    "which police unit has it (unit, officer, reference). Nothing was uploaded.":
        "Tài liệu xâm hại tình dục trẻ em không bao giờ được tải lên, sao chép hay chuyển tiếp, "
        "kể cả để làm chứng cứ: lưu giữ hay gửi tài liệu đó là hành vi phạm tội và gây tổn hại "
        "cho trẻ thêm một lần. Hãy giao tài liệu (hoặc thiết bị chứa nó) cho cơ quan công an, "
        "rồi ghi lại bên dưới nơi đang lưu giữ và đơn vị công an đang giữ (đơn vị, cán bộ, số "
        "hồ sơ). Chưa có gì được tải lên.",
    "Confirm that this file does not show sexual abuse of a child. If it does, do not upload "
    "it: hand it to the police and record where it is held and which police unit has it.":
        "Hãy xác nhận tệp này không chứa hình ảnh xâm hại tình dục trẻ em. Nếu có, đừng tải "
        "lên: hãy giao cho cơ quan công an và ghi lại nơi đang lưu giữ cùng đơn vị công an "
        "đang giữ.",
    "Sexual images of the child exist? Record where they are held":
        "Có hình ảnh tình dục của trẻ? Ghi lại nơi đang lưu giữ",
    "Do not upload them. Hand them to the police, then record here where they are held and "
    "which police unit has them.":
        "Không tải lên. Hãy giao cho cơ quan công an, rồi ghi lại tại đây nơi đang lưu giữ và "
        "đơn vị công an đang giữ.",
    "Never upload sexual images of a child: hand them to the police and record below where "
    "they are held.":
        "Không bao giờ tải lên hình ảnh tình dục của trẻ em: hãy giao cho cơ quan công an và "
        "ghi lại bên dưới nơi đang lưu giữ.",
    # the custody form
    "For example: the child's phone, handed to the police on 12/03; or: still on the family's "
    "computer, not copied.":
        "Ví dụ: điện thoại của trẻ, đã giao cho công an ngày 12/03; hoặc: vẫn ở máy tính của "
        "gia đình, chưa sao chép.",
    "Record where it is held": "Ghi nơi lưu giữ",
    "Say where the material is held (for example: handed to the police with the child's "
    "phone).":
        "Hãy ghi nơi đang lưu giữ tài liệu (ví dụ: đã giao cho công an cùng điện thoại của trẻ).",
    "Where the material is held was recorded.": "Đã ghi lại nơi lưu giữ tài liệu.",
    # the upload form
    "Add a file": "Thêm tệp",
    "A photo or screenshot (PNG, JPEG, GIF, WebP), a PDF or a plain-text file, at most %(mb)s "
    "MB. It is encrypted; only the people who may see the child's details can open it.":
        "Ảnh chụp hoặc ảnh chụp màn hình (PNG, JPEG, GIF, WebP), tệp PDF hoặc tệp văn bản "
        "thuần, tối đa %(mb)s MB. Tệp được mã hoá; chỉ những người được xem thông tin của trẻ "
        "mới mở được.",
    "What it shows (optional)": "Nội dung tệp (không bắt buộc)",
    "This file does not show sexual abuse of a child":
        "Tệp này không chứa hình ảnh xâm hại tình dục trẻ em",
    "Upload": "Tải lên",
    "The file was added to the case's evidence, encrypted.":
        "Đã thêm tệp vào chứng cứ của hồ sơ (đã mã hoá).",
    # refusals
    "Choose a file to upload.": "Hãy chọn tệp để tải lên.",
    "The file is empty. Nothing was saved.": "Tệp trống. Chưa có gì được lưu.",
    "The file is too large: at most %(mb)s MB. Nothing was saved. Send a smaller photo or split "
    "the document.":
        "Tệp quá lớn: tối đa %(mb)s MB. Chưa có gì được lưu. Hãy gửi ảnh nhỏ hơn hoặc chia nhỏ "
        "tài liệu.",
    "This file is a web page, an SVG drawing or a script, which cannot be kept as evidence "
    "whatever its name. Take a screenshot (PNG or JPEG) or save it as a PDF instead. Nothing "
    "was saved.":
        "Tệp này là trang web, hình vẽ SVG hoặc mã lệnh, không thể lưu làm chứng cứ dù tên tệp "
        "là gì. Hãy chụp màn hình (PNG hoặc JPEG) hoặc lưu thành PDF. Chưa có gì được lưu.",
    "This kind of file cannot be kept as evidence. Accepted: photos and screenshots (PNG, JPEG, "
    "GIF, WebP), PDF documents and plain text. The file's content was checked, not its name. "
    "Nothing was saved.":
        "Không thể lưu loại tệp này làm chứng cứ. Chỉ nhận: ảnh chụp và ảnh chụp màn hình (PNG, "
        "JPEG, GIF, WebP), tài liệu PDF và văn bản thuần. Hệ thống kiểm tra nội dung tệp, không "
        "dựa vào tên tệp. Chưa có gì được lưu.",
    "This file is named or labelled as an image or a PDF, but its content is not. Nothing was "
    "saved: check that you chose the right file.":
        "Tệp này mang tên hoặc nhãn của ảnh hay PDF nhưng nội dung lại không phải. Chưa có gì "
        "được lưu: hãy kiểm tra bạn đã chọn đúng tệp.",
    "This file is already attached to this case (evidence %(n)d). Nothing was saved.":
        "Tệp này đã có trong hồ sơ (chứng cứ %(n)d). Chưa có gì được lưu.",
    # permissions
    "The child or their family asked to restrict the use of this case's data: nothing can be "
    "added until the restriction is lifted.":
        "Trẻ hoặc gia đình đã yêu cầu hạn chế xử lý dữ liệu của hồ sơ này: không thể thêm gì "
        "cho đến khi yêu cầu hạn chế được gỡ bỏ.",
    "You cannot open this case's evidence.": "Bạn không được mở chứng cứ của hồ sơ này.",
    "Emergency access is read-only on screen: the files are downloaded only by the people "
    "working on the case.":
        "Truy cập khẩn cấp chỉ để xem trên màn hình: chỉ những người phụ trách hồ sơ mới được "
        "tải tệp xuống.",
    "This PDF contains scripts, actions or embedded files that run when it is opened, which "
    "could tell its sender that it was read. Print it to a new PDF or take screenshots "
    "instead. Nothing was saved.":
        "Tệp PDF này chứa mã lệnh, thao tác tự động hoặc tệp đính kèm chạy khi mở tệp, có thể "
        "báo cho người gửi biết tệp đã được đọc. Hãy in ra một tệp PDF mới hoặc chụp màn hình "
        "thay thế. Chưa có gì được lưu.",
    "This PDF is damaged or protected by a password and cannot be checked. Save it again as "
    "a PDF without a password, or take screenshots. Nothing was saved.":
        "Tệp PDF này bị hỏng hoặc có mật khẩu nên không kiểm tra được. Hãy lưu lại thành tệp "
        "PDF không có mật khẩu, hoặc chụp màn hình. Chưa có gì được lưu.",
    "Only a harm category can be marked as abuse material.":
        "Chỉ loại hình xâm hại mới có thể được đánh dấu là tài liệu xâm hại tình dục.",
    "The kinds of harm were corrected.": "Đã sửa loại hình xâm hại.",
    "Correct the kinds of harm": "Sửa loại hình xâm hại",
    "This case already holds %(n)d files, the most it may. Put several screenshots into one "
    "PDF, or ask your supervisor. Nothing was saved.":
        "Hồ sơ này đã có %(n)d tệp, mức tối đa cho phép. Hãy gộp nhiều ảnh chụp màn hình vào "
        "một tệp PDF, hoặc hỏi cán bộ giám sát. Chưa có gì được lưu.",
    "This PDF is too complex to check. Print it to a new PDF or take screenshots instead. "
    "Nothing was saved.":
        "Tệp PDF này quá phức tạp để kiểm tra. Hãy in ra một tệp PDF mới hoặc chụp màn hình "
        "thay thế. Chưa có gì được lưu.",
    "A kind of harm whose evidence is sexual images of the child cannot be removed: files "
    "stay refused on this case, and the material stays with the police.":
        "Không thể bỏ loại hình xâm hại có chứng cứ là hình ảnh tình dục của trẻ: hồ sơ này "
        "tiếp tục không nhận tệp, và tài liệu vẫn do cơ quan công an giữ.",
    "You have recorded %(n)d reports in a short time, the most allowed. Nothing was saved: "
    "keep this page open and call your supervisor, who can record it or have the limit "
    "raised.":
        "Bạn đã ghi nhận %(n)d tin báo trong thời gian ngắn, mức tối đa cho phép. Chưa có gì "
        "được lưu: hãy giữ nguyên trang này và gọi cán bộ giám sát để họ ghi nhận hoặc nâng "
        "giới hạn.",
}
