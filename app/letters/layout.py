"""The official letter layout (tata naskah dinas) on fpdf2: kop surat, nomor/sifat/lampiran/perihal, addressee,
body, signature block and tembusan; plus the plain report page used for case summaries.

DejaVu fonts ship in `fonts/` (with their licence) so every Indonesian and Unicode character prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SERIF = "DejaVuSerif"
BODY_SIZE = 11


@dataclass
class Letterhead:
    authority: str  # full name of the oversight authority, printed in the kop
    address: str = ""
    city: str = "Jakarta"


@dataclass
class Letter:
    letterhead: Letterhead
    number: str
    date_text: str  # "15 April 2021"
    subject: str  # perihal
    addressee: Sequence[str]  # "Yth. ..." lines
    paragraphs: Sequence[str]
    nature: str = "Segera"  # sifat
    attachment: str = "-"  # lampiran
    details: Sequence[tuple[str, str]] = ()  # a label/value block after the first paragraph
    closing: Sequence[str] = ()
    signatory_title: str = ""
    signatory_name: str = ""
    copies: Sequence[str] = field(default_factory=list)  # tembusan


class _Document(FPDF):
    def __init__(self, title: str, footer_text: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(25, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)
        self.add_font(SERIF, "", str(FONT_DIR / "DejaVuSerif.ttf"))
        self.add_font(SERIF, "B", str(FONT_DIR / "DejaVuSerif-Bold.ttf"))
        self.set_title(title)
        self.set_creator("Tindak")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(SERIF, "", 8)
        text = (
            f"{self.footer_text}    Halaman {self.page_no()}/{{nb}}"
            if self.footer_text
            else f"Halaman {self.page_no()}"
        )
        self.cell(0, 5, text, align="R")

    # -- building blocks -----------------------------------------------------------------------------------------
    def kop(self, head: Letterhead) -> None:
        self.set_font(SERIF, "B", 14)
        self.multi_cell(0, 7, head.authority.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(SERIF, "B", 12)
        self.cell(0, 6, "REPUBLIK INDONESIA", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if head.address:
            self.set_font(SERIF, "", 9)
            self.multi_cell(0, 4.5, head.address, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y = self.get_y() + 2
        self.set_line_width(0.8)
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.set_line_width(0.2)
        self.line(self.l_margin, y + 1.2, self.w - self.r_margin, y + 1.2)
        self.set_y(y + 6)

    def paragraph(self, text: str, *, size: float = BODY_SIZE, style: str = "", indent: float = 0) -> None:
        self.set_font(SERIF, style, size)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, size * 0.5, text, align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def fields(self, rows: Sequence[tuple[str, str]], *, label_width: float = 45, size: float = BODY_SIZE,
               indent: float = 0) -> None:  # fmt: skip
        line = size * 0.5
        for label, value in rows:
            self.set_font(SERIF, "", size)
            self.set_x(self.l_margin + indent)
            self.cell(label_width, line, label)
            self.cell(4, line, ":")
            self.multi_cell(0, line, value or "-", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def heading(self, text: str) -> None:
        self.ln(1)
        self.set_font(SERIF, "B", 12)
        self.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)


def render_letter(letter: Letter) -> bytes:
    """The letter as PDF bytes, in the layout of an official letter (naskah dinas)."""
    pdf = _Document(letter.subject)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.kop(letter.letterhead)
    pdf.set_font(SERIF, "", BODY_SIZE)
    pdf.cell(0, 5.5, f"{letter.letterhead.city}, {letter.date_text}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.fields(
        [("Nomor", letter.number), ("Sifat", letter.nature), ("Lampiran", letter.attachment),
         ("Perihal", letter.subject)],
        label_width=22,
    )  # fmt: skip
    pdf.ln(2)
    pdf.set_font(SERIF, "", BODY_SIZE)
    for line in letter.addressee:
        pdf.multi_cell(0, 5.5, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    paragraphs = list(letter.paragraphs)
    if paragraphs:
        pdf.paragraph(paragraphs[0])
    if letter.details:
        pdf.fields(letter.details, indent=8, label_width=48)
    for text in paragraphs[1:]:
        pdf.paragraph(text)
    for text in letter.closing:
        pdf.paragraph(text)
    _signature(pdf, letter)
    if letter.copies:
        pdf.ln(6)
        pdf.set_font(SERIF, "", 10)
        pdf.cell(0, 5, "Tembusan:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for index, copy in enumerate(letter.copies, start=1):
            pdf.multi_cell(0, 5, f"{index}. {copy}", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _signature(pdf: _Document, letter: Letter) -> None:
    if pdf.get_y() > pdf.h - 58:  # keep the signature block whole
        pdf.add_page()
    pdf.ln(4)
    x = pdf.w / 2 + 5
    pdf.set_font(SERIF, "", BODY_SIZE)
    pdf.set_x(x)
    pdf.multi_cell(pdf.w - x - pdf.r_margin, 5.5, f"{letter.signatory_title},", align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    pdf.ln(18)
    pdf.set_x(x)
    pdf.set_font(SERIF, "B", BODY_SIZE)
    pdf.multi_cell(pdf.w - x - pdf.r_margin, 5.5, letter.signatory_name or "(.................................)",
                   align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip


class Report(_Document):
    """A plain multi-section report (case summary) with the authority's kop on its first page."""

    def __init__(self, title: str, letterhead: Letterhead, footer_text: str = ""):
        super().__init__(title, footer_text)
        self.alias_nb_pages()
        self.add_page()
        self.kop(letterhead)
        self.set_font(SERIF, "B", 14)
        self.multi_cell(0, 7, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def table_rows(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
                   size: float = 8.5) -> None:  # fmt: skip
        self.set_font(SERIF, "", size)
        with self.table(col_widths=tuple(widths), text_align="LEFT", line_height=size * 0.5,
                        first_row_as_headings=True) as table:  # fmt: skip
            head = table.row()
            for cell in header:
                head.cell(cell)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(value or "-")
        self.ln(3)

    def bytes(self) -> bytes:
        return bytes(self.output())
