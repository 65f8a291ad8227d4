"""Analysis of a recorded session: timeline, consent moment, rules, findings and evidence.

Entry points used by the command line:

- :func:`analysis.pipeline.analyze` — decide the consent moment, apply the rule catalog,
  store the findings and the timeline in ``session.db``;
- :func:`analysis.report.write_report` — write ``evidence.xlsx``, ``findings.json`` and
  ``report.html`` into the session directory from what ``analyze`` stored;
- :func:`analysis.summary.text_summary` — a short bilingual console summary.
"""

import pandas as _pd

# The str dtype keeps Python strings, as without pyarrow: pyarrow is installed for the columnar
# read of session.db (analysis.columnar), and pandas would otherwise switch every text column
# of the analysis to Arrow storage, whose isin/astype/map paths are slower at 10^6 rows and
# whose sort and regex semantics the analysis was not written against.
_pd.set_option("mode.string_storage", "python")
