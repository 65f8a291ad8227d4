"""The commands: the command line, the demo, recording and device commands; the only place that wires the streams together."""
