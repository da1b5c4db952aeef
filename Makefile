# Two commands set everything up from a fresh clone (see README):
#   make demo   install, then run the main job: read, train, report, and serve the model in the demo (DATA=/path/to/stanford-cars to use your copy)
#   make test   install, then run every notebook as a test
# Both create .venv when it is missing. TORCH names the torch build: the default is the CPU/CUDA wheel
# pair these machines hold on disk; use e.g. TORCH="torch torchvision" to let pip choose for your machine.
PYTHON ?= python3
TORCH  ?= torch==2.14.1 torchvision==0.29.1
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?=

.PHONY: install demo test export check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# The main job: read the data, train with lr_find-driven fine-tuning, report, then serve the model just trained in the
# Gradio demo (http://127.0.0.1:7860, or PORT=...) until Ctrl-C. With no DATA it tries fastai's download and, offline,
# trains on a tiny synthetic sample instead. ARGS passes more options to `car-classifier train`.
demo: install
	$(BIN)/car-classifier data $(if $(DATA),"$(DATA)",--fallback-sample)
	$(BIN)/car-classifier train $(if $(DATA),--data "$(DATA)",--fallback-sample) --out runs/demo $(ARGS)
	$(BIN)/car-classifier demo --model runs/demo $(if $(PORT),--port $(PORT))

test: install
	$(BIN)/python -m pytest

export: install
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean

# Notebooks and package agree, and notebooks are clean: what CI checks before the tests.
check: export
	git diff --exit-code -- nbs car_classifier || (echo "nbdev-export/nbdev-clean changed files: run 'make export' and commit"; exit 1)
	test -z "$$(git status --porcelain -- nbs car_classifier)" || (git status --short -- nbs car_classifier; echo "untracked exported files: commit them"; exit 1)

clean:
	rm -rf $(VENV) _docs _proc
