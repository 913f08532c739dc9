"""The consultations' part of the route permission table, one file per part of the API."""

from tests.consultations import cases_consultations, cases_exports, cases_meetings, cases_needs

CASES: dict = {
    **cases_consultations.CASES,
    **cases_needs.CASES,
    **cases_meetings.CASES,
    **cases_exports.CASES,
}
