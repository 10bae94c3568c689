#!/usr/bin/env bash
# Bounded cargo-fuzz (libFuzzer) runs of the wire decoders and of the
# mapping payload reader, as CI does them.
#
# cargo-fuzz needs nightly-only compiler flags and this machine can only have
# its one stable toolchain, so RUSTC_BOOTSTRAP=1 lets that stable compiler
# accept them (it is the same compiler; only the feature gate is lifted).
# Each target is seeded with the real samples and runs for
# O2C_FUZZ_SECONDS (default 30); a crash fails the run and leaves the
# reproducing input under crates/<crate>/fuzz/artifacts/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/crates/o2c-formats/fuzz"

seconds="${O2C_FUZZ_SECONDS:-30}"
if ! command -v cargo-fuzz >/dev/null; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi
# The fuzz crate is a workspace of its own: keep its build apart from the main one.
export CARGO_TARGET_DIR="${O2C_FUZZ_TARGET_DIR:-$HOME/.cache/o2c-fuzz-target}"
export RUSTC_BOOTSTRAP=1

corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
mkdir -p "$corpus/x12_parse" "$corpus/csv_orders" "$corpus/mapping_payload"
# CSV seeds: the documented example (docs/csv-orders.md).
sed -n '/^```csv$/,/^```$/p' ../docs/csv-orders.md | sed '1d;$d' > "$corpus/csv_orders/documented_example.csv"

run() {
    local target="$1"; shift
    local log="$corpus/$target.log"
    echo "fuzz: $target for ${seconds}s"
    if ! cargo fuzz run "$target" "$corpus/$target" "$@" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: $target failed (the input is under $(pwd)/artifacts/$target/)" >&2
        return 1
    fi
    grep -E '^(Done|stat::number_of_executed_units)' "$log"
}
run x12_parse ../tests/fixtures/x12 ../tests/fixtures/fuzz
run csv_orders

# The mapping target's seeds: the webhook bodies of the Shopify captures
# and the Amazon payloads, as the channels hand them to the mappings.
python3 - "$root/crates/o2c-connectors/tests/fixtures" "$corpus/mapping_payload" <<'PY'
import json, pathlib, sys
fixtures, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for path in sorted(fixtures.glob("shopify/*.json")) + sorted(fixtures.glob("amazon/*.json")):
    capture = json.loads(path.read_text())
    if not isinstance(capture, dict):
        continue
    body = capture.get("body") or capture.get("response", {}).get("payload")
    if body is not None:
        (out / path.name).write_text(json.dumps(body))
PY
cd "$root/crates/o2c-connectors/fuzz"
run mapping_payload
