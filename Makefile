# Two commands on a fresh machine with python3 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: venv test lint unit integration demo bench clean

$(STAMP): requirements-dev.txt constraints.txt layers/relance/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# checkov cannot share .venv (it pins boto3 and networkx below the runtime's): a virtualenv of its own, inside
# .venv so that `make clean` and .gitignore cover it.
$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

# checkov: no network (no Prisma Cloud mappings, no downloaded checks, so no severities: every failed check
# fails the build); each suppression is a Metadata.checkov.skip entry with its reason in template.yaml.
lint: venv $(CHECKOV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint template.yaml
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation \
		--skip-download --compact --quiet

test: lint
	$(BIN)/pytest

unit: venv
	$(BIN)/pytest tests/unit

integration: venv
	$(BIN)/pytest tests/integration

demo: venv
	$(BIN)/relance demo

bench: venv
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) out .aws-sam
