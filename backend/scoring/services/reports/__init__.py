"""The self-assessment report (自评报告): the form a committee hands to the street, as an XLSX
workbook (`workbook.py`: an overview sheet, then one sheet per area, evidence listed) and as a
printable page (`page.py`: A4, inline styles, a bar chart of the areas, room for the seal and the
street's opinion); `export.py` audits an export and names the file.

Both read the presented assessment (`presenting.present`) through `common.py`, so they say what
the scorecard says, line for line. Every text in them may come from a person (notes, document
titles, names of facilities, an uploaded standard's wording): the page escapes all of it, the
workbook keeps all of it text, never a formula.
"""

from backend.scoring.services.reports.export import FORMATS, Format, Report, export_report

__all__ = ["FORMATS", "Format", "Report", "export_report"]
