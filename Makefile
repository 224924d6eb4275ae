# The two commands of the README:  `make demo`  and  `make test`.
# Both create .venv (Python 3.11) and install everything the project needs into it.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mammofm-installed
# A dropped connection mid-download (seen in CI on a 104 MB wheel) must not fail the install:
# pip retries connections and resumes partial downloads, and each step is tried three times.
PIP    := $(BIN)/python -m pip --retries 10 --timeout 60
RETRY3 := for attempt in 1 2 3; do
DONE3  := && break; if [ $$attempt = 3 ]; then exit 1; fi; echo "pip failed (attempt $$attempt of 3); retrying in 15 s"; sleep 15; done
DEMO_OUT ?= demo_out

.PHONY: install demo test test-fast bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# torch 2.14.1 from PyPI is its CUDA build: about 7 GB in .venv with the rest. Say so before a full
	@# disk does (seen in CI: pip's bare "No space left on device" after 100 s).
	@free=$$(df -Pk $(VENV) | awk 'NR==2 {print int($$4/1024)}'); \
	  if [ "$$free" -lt 7500 ]; then echo "mammofm install: .venv needs about 7.5 GB while installing (torch from PyPI is its CUDA build); only $$free MB free on the disk of $(VENV)" >&2; \
	  else echo "mammofm install: $$free MB free for .venv (about 7.5 GB needed)"; fi
	$(RETRY3) $(PIP) install --quiet --upgrade pip $(DONE3)
	# torch first, pinned exactly: an unpinned resolver pulls a multi-GB download
	$(RETRY3) $(PIP) install --quiet --resume-retries 20 torch==2.14.1 torchvision==0.29.1 $(DONE3)
	$(RETRY3) $(PIP) install --quiet --resume-retries 20 -e '.[dev]' $(DONE3)
	touch $(STAMP)

demo: install
	$(BIN)/mammofm demo --out $(DEMO_OUT)

test: install
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
