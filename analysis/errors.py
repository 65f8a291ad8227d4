"""The one exception type the command line catches from the analysis: its message is for the user."""


class AnalysisError(ValueError):
    """Input the analysis cannot use (session, scope.yaml, rule catalog); the message says which and why."""
