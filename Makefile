# The two commands a newcomer needs (see README.md).
.PHONY: setup demo test benchmarks

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/piiaudit demo --out demo-session --force

test: setup
	.venv/bin/python -m pytest

benchmarks: setup
	.venv/bin/python benchmarks/run_all.py
