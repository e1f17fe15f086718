"""PDF documents of a case: the recommendation letter, the escalation letters and the case summary.

The letters are rendered from the same data as the emails (`app.letters.context.build_context`), so a
letter and the email that announces it never disagree; the layout is that of an official letter (kop surat,
nomor, sifat, lampiran, perihal, addressee, signature block, tembusan). Nothing here ever prints the reporter's
identity, except the case summary when a KASN user asks for it explicitly.
"""

from __future__ import annotations

from app.letters.documents import (
    render_case_summary,
    render_escalation_letter,
    render_recommendation_letter,
)

__all__ = ["render_case_summary", "render_escalation_letter", "render_recommendation_letter"]
