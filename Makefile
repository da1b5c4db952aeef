# Two commands set everything up from a fresh clone (see README):
#   make demo   install, then serve the model shipped with the package in the demo; with DATA=/path/to/stanford-cars, train on that copy
#               first (the recipe that fits the hardware; WEIGHTS=file for offline ImageNet weights) and serve the result
#   make test   install, then run every notebook as a test
# Both create .venv when it is missing. TORCH names the torch build: the default is the CPU/CUDA wheel
# pair these machines hold on disk; use e.g. TORCH="torch torchvision" to let pip choose for your machine.
PYTHON ?= python3
TORCH  ?= torch==2.14.1 torchvision==0.29.1
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?=
WEIGHTS ?=

.PHONY: install demo test export check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Three installs, each what its job needs: serving (a plain `pip install`: no PyTorch), training (the [train] extra, with the
# torch build of TORCH), and development (training + the test tools).
$(VENV)/.serve: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.train: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[train]"
	touch $@ $(VENV)/.serve

$(VENV)/.installed: $(VENV)/.train
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# The main job: serve a real car classifier in the Gradio demo (http://127.0.0.1:7860, or PORT=...) until Ctrl-C.
# With no DATA it serves the model shipped inside the package at once: no data, no network. With DATA it reads that copy of
# Stanford Cars, trains on it with lr_find-driven fine-tuning (the recipe chosen by hardware; ARGS passes more options to
# `car-classifier train`, e.g. ARGS="--budget 60"), evaluates it on the test split, then serves it.
demo: $(if $(strip $(DATA)),$(VENV)/.train,$(VENV)/.serve)
ifeq ($(strip $(DATA)),)
	$(BIN)/car-classifier demo $(if $(PORT),--port $(PORT))
else
	$(BIN)/car-classifier data "$(DATA)"
	$(BIN)/car-classifier train --data "$(DATA)" --out runs/demo $(if $(WEIGHTS),--weights "$(WEIGHTS)") $(ARGS)
	-$(BIN)/car-classifier evaluate --model runs/demo --data "$(DATA)" --out runs/demo/report
	$(BIN)/car-classifier demo --model runs/demo $(if $(PORT),--port $(PORT))
endif

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
