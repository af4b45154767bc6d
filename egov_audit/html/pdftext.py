"""Text of a PDF (budgets, minutes, plans), read with pypdf, bounded in pages."""
from __future__ import annotations

import io
import logging

MAX_PDF_PAGES = 60

logging.getLogger("pypdf").setLevel(logging.ERROR)   # pypdf warns loudly about every odd PDF


def extract_pdf_text(data: bytes) -> tuple[str, str, str | None]:
    """(text, title, problem): a broken PDF gives its problem as a sentence, never an exception."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = reader.pages[:MAX_PDF_PAGES]
        text = "\n".join((page.extract_text() or "") for page in pages)
        meta = reader.metadata or {}
        title = str(meta.get("/Title") or "")[:500]
        problem = None if text.strip() else "the PDF has no text layer (scanned image?)"
        return text, title, problem
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        return "", "", f"could not read the PDF: {exc}"
