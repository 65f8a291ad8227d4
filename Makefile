# The two commands a newcomer needs (see README.md).
.PHONY: setup demo test benchmarks

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/piiaudit demo --out demo-session --force

# One worker per core (TEST_WORKERS=0 runs in this process); a test module stays on one worker,
# so its module fixtures are made once.
TEST_WORKERS ?= auto

test: setup
	.venv/bin/python -m pytest -n $(TEST_WORKERS) --dist loadscope

benchmarks: setup
	.venv/bin/python benchmarks/run_all.py
