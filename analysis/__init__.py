"""Analysis of a recorded session: timeline, consent moment, rules, findings and evidence.

Entry points used by the command line:

- :func:`analysis.pipeline.analyze` — decide the consent moment, apply the rule catalog,
  store the findings and the timeline in ``session.db``;
- :func:`analysis.report.write_report` — write ``evidence.xlsx``, ``findings.json`` and
  ``report.html`` into the session directory from what ``analyze`` stored;
- :func:`analysis.summary.text_summary` — a short bilingual console summary.
"""
