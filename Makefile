# The two commands of the README: `make demo` and `make test`. Both set up first (idempotent).
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/.venv/bin:$(PATH)
# az bicep build uses the pinned .tools/bin/bicep instead of downloading one.
export AZURE_BICEP_USE_BINARY_FROM_PATH := true
export AZURE_BICEP_CHECK_VERSION := false

.PHONY: setup demo test soak out device-configs readme api-versions bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	gen render examples/seed-b2b-azfw.json -o out/b2b-azfw
	gen build out/b2b-azfw
	gen trace examples/seed-b2b-azfw.json --from 10.20.10.133 --to 10.50.1.4
	@echo "demo: the seed's Bicep is in out/b2b-azfw/ (start with out/b2b-azfw/README.md)"

test: setup
	python -m pytest

# The property tests with fresh random examples, ten times as many as `make test` replays.
soak: setup
	HYPOTHESIS_PROFILE=soak python -m pytest tests/test_properties.py

# The committed renderings of the examples (a test fails when they are stale).
out: setup
	gen render examples/seed-b2b-azfw.json -o out/b2b-azfw
	gen render examples/multi-site.json -o out/multi-site
	gen render examples/hub-spoke.json -o out/hub-spoke
	gen render examples/vpn-sites.json -o out/vpn-sites
	gen render examples/multi-region.json -o out/multi-region

# The reviewed device configurations of the vpn-sites example (tests/fixtures/device-configs/).
device-configs: setup
	python scripts/update_device_configs.py

# Bicep's use-recent-api-versions rule depends on today's date, so it is checked here, not in the tests.
api-versions: setup
	python scripts/check_api_versions.py

bench: setup
	python scripts/bench.py

clean:
	rm -rf .venv .tools .pytest_cache .hypothesis tools/bicep/obj

# The README's generated sections: field reference, rule table, traces and routes.
readme: setup
	python scripts/update_readme.py
