# Two commands on a fresh machine with python3 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: venv tools test lint ruff cfn-lint checkov unit integration demo bench clean

# --no-compile: a module is compiled when first imported (most of moto, botocore and checkov never are), not
# all of them at install time; that took a third of the install. The layer's own bytecode is built apart,
# for the Lambda runtime's Python (layers/relance/Makefile).
PIP := -m pip install --quiet --disable-pip-version-check --no-compile

# Made first, alone: the checkov virtualenv is made inside it, while pip fills this one.
$(VENV)/pyvenv.cfg:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements-dev.txt constraints.txt layers/relance/requirements.txt pyproject.toml | $(VENV)/pyvenv.cfg
	$(BIN)/python $(PIP) -r requirements-dev.txt -c constraints.txt
	$(BIN)/python $(PIP) --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# Both virtualenvs, installed side by side (a pip uses one core).
tools:
	@$(MAKE) --no-print-directory -j2 $(STAMP) $(CHECKOV_STAMP)

# checkov cannot share .venv (it pins boto3 and networkx below the runtime's): a virtualenv of its own, inside
# .venv so that `make clean` and .gitignore cover it.
$(CHECKOV_STAMP): requirements-checkov.txt | $(VENV)/pyvenv.cfg
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python $(PIP) -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

# The three checks run side by side. checkov: no network (no Prisma Cloud mappings, no downloaded checks, so no severities: every failed check
# fails the build); each suppression is a Metadata.checkov.skip entry with its reason in template.yaml.
lint: tools
	@$(MAKE) --no-print-directory -j3 ruff cfn-lint checkov

ruff: venv
	$(BIN)/ruff check .

cfn-lint: venv
	$(BIN)/cfn-lint template.yaml

checkov: $(CHECKOV_STAMP)
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation \
		--skip-download --compact --quiet

# pytest-xdist: one worker per core (8 at most); tests/conftest.py shares what a whole run builds once (the demo, the
# layer) and prints the figures the workers report.
test: lint
	$(BIN)/pytest -n auto --maxprocesses 8

unit: venv
	$(BIN)/pytest -n auto --maxprocesses 8 tests/unit

integration: venv
	$(BIN)/pytest -n auto --maxprocesses 8 tests/integration

demo: venv
	$(BIN)/relance demo

bench: venv
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) out .aws-sam
