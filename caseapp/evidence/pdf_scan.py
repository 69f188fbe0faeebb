"""Is an uploaded PDF safe to keep as evidence? Parsed with pikepdf (qpdf) in a
child process with a memory and CPU cap.

A PDF can run things when it is opened (scripts, launched programs, a web
address called on open, forms sent out, embedded files): a beacon would tell
the sender that an officer opened it, and from where. Plain links inside
link annotations are kept (chat exports are full of them). Parsing happens in
a separate interpreter because a small file can expand to gigabytes in qpdf:
the child gets an address-space and CPU limit and a wall-clock timeout, and
whatever does not finish inside them is refused as too complex.

``check(content)`` returns None (keep it), "active", "encrypted", "broken"
or "too_complex".
"""
from __future__ import annotations

import subprocess
import sys

MEMORY_LIMIT_BYTES = 768 * 1024 * 1024
MAX_OBJECTS = 200_000
MAX_VISITS = 2_000_000

# Run with ``python -I -c``: no site customisation, no caseapp import (fast, small).
_CHILD = r"""
import io, resource, sys
mem, cpu, max_objects, max_visits = (int(a) for a in sys.argv[1:5])
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not write the PDF to disk
import pikepdf

KEYS = {"/JS", "/JavaScript", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/XFA",
        "/RichMedia", "/SubmitForm"}
ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE",
           "/RichMediaExecute", "/Rendition", "/Sound", "/Movie", "/URI"}

def verdict(content):
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except pikepdf.PasswordError:
        return "encrypted"
    except Exception:
        return "broken"
    if pdf.is_encrypted:
        return "encrypted"
    if len(pdf.objects) > max_objects:
        return "too_complex"
    # Link annotations may hold a /URI action (a click, not an open): remember them.
    link_actions = set()
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []) or []:
            if annot.get("/Subtype") == "/Link" and "/A" in annot:
                action = annot["/A"]
                if action.is_indirect and action.get("/S") == "/URI":
                    link_actions.add(action.objgen)
    visits = 0
    stack = [(pdf.trailer, 0, False)] + [(obj, 0, False) for obj in pdf.objects]
    while stack:
        obj, depth, in_link = stack.pop()
        visits += 1
        if visits > max_visits or depth > 32:
            return "too_complex"
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            keys = set(obj.keys())
            if keys & KEYS:
                return "active"
            if obj.get("/FS") == "/URL":
                return "active"  # a stream fetched from a web address
            if "/OpenAction" in keys and isinstance(obj["/OpenAction"], pikepdf.Dictionary):
                return "active"  # an action run when the file opens (a page to show is fine)
            kind = str(obj.get("/S", ""))
            if kind in ACTIONS:
                linked = in_link or (obj.is_indirect and obj.objgen in link_actions)
                if not (kind == "/URI" and linked):
                    return "active"
            is_link = obj.get("/Subtype") == "/Link"
            for key in keys:
                child = obj[key]
                if not getattr(child, "is_indirect", False) and \
                        isinstance(child, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
                    stack.append((child, depth + 1, is_link and key == "/A"))
        elif isinstance(obj, pikepdf.Array):
            for child in obj:
                if not getattr(child, "is_indirect", False) and \
                        isinstance(child, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
                    stack.append((child, depth + 1, False))
    return "ok"

try:
    print(verdict(sys.stdin.buffer.read()))
except MemoryError:
    print("too_complex")
"""


def check(content: bytes, *, seconds: int = 15) -> str | None:
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _CHILD, str(MEMORY_LIMIT_BYTES), str(seconds),
             str(MAX_OBJECTS), str(MAX_VISITS)],
            input=content, capture_output=True, timeout=seconds + 5, check=False)
    except subprocess.TimeoutExpired:
        return "too_complex"
    answer = done.stdout.decode("ascii", "replace").strip()
    if done.returncode != 0 or answer not in ("ok", "active", "encrypted", "broken",
                                              "too_complex"):
        return "too_complex"  # killed by its limits, or failed in a way we do not know
    return None if answer == "ok" else answer
