#!/usr/bin/env bash
# Install ten micrograd-style packages from PyPI, one folder each, and run the
# gradoracle campaign on every one of them, writing reports/<package>/.
#
# Usage: reports/run_zoo.sh [DIR] [PACKAGE...]
#
# DIR (default: $HOME/gradoracle-zoo) contains one `pip install --target` folder
# per package.  A folder that exists is reused as it is, so delete it to
# reinstall.  The campaigns run with DIR as the working directory and name the
# folders relative to it (micrograd:Value@lilgrad), so the reports and
# reproducers carry no machine-specific path.  DIR/reports is a symbolic link
# to this folder.  With PACKAGE arguments only those campaigns run.
#
# Four packages install the same top-level module `micrograd`, which is why
# each campaign runs in its own gradoracle process.  Each package is run in
# the oracle's process (SPEC@DIR) rather than as python:SPEC@DIR because the
# state checks (backward twice, reuse after backward) need direct access to
# the Value objects, and a python: child engine does not offer them.
#
# Karpathy's micrograd 0.1.0 is fuzzed from the Python environment that runs
# gradoracle (it is in the `test` extra), as `micrograd.engine:Value`.

set -euo pipefail

REPORTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ZOO="${1:-$HOME/gradoracle-zoo}"
shift || true
PYTHON="${PYTHON:-python}"
GRADORACLE="${GRADORACLE:-gradoracle}"
SEED=0

# package version engine-spec examples extra-requirements
CAMPAIGNS="
micrograd-ds 0.1.1 micrograd:Value 2000 -
lilgrad 0.6.0 micrograd:Value 2000 -
gradflow-kit 0.1.3 micrograd:Node 2000 graphviz==0.21
coregrad 0.1.0 coregrad:Scalar 2000 numpy==2.4.6,graphviz==0.21
nanoautograd 0.1.2 NanoAutoGrad.engine:Item 2000 -
mikegrad 0.2.0 mikegrad:Value 2000 numpy==2.4.6
propgrad 0.1.1 propgrad:Value 2000 -
femtograd 0.0.5 femtograd.femtograd:value 2000 -
scalargrad 1.0.5 scalargrad:Scalar 2000 -
"

is_selected() {
    [ ${#SELECTED[@]} -eq 0 ] && return 0
    local name="$1"
    for choice in "${SELECTED[@]}"; do
        [ "$choice" = "$name" ] && return 0
    done
    return 1
}

SELECTED=("$@")
mkdir -p "$ZOO"
ln -sfn "$REPORTS" "$ZOO/reports"
cd "$ZOO"

run_campaign() {
    local package="$1" spec="$2" examples="$3"
    rm -rf "reports/$package"
    echo "== $package: $spec, $examples examples, seed $SEED" >&2
    # Exit code 1 means divergences were found, which is the expected outcome.
    "$GRADORACLE" fuzz --engine "$spec" --max-examples "$examples" --seed "$SEED" \
        --report-dir "reports/$package" --format json > /dev/null || [ $? -eq 1 ]
    rm -f "reports/$package/report.html"
}

echo "$CAMPAIGNS" | while read -r package version spec examples extras; do
    [ -z "$package" ] && continue
    is_selected "$package" || continue
    if [ ! -d "$package" ]; then
        "$PYTHON" -m pip install --no-deps --target "$package" "$package==$version"
        if [ "$extras" != "-" ]; then
            "$PYTHON" -m pip install --no-deps --target "$package" ${extras//,/ }
        fi
    fi
    run_campaign "$package" "$spec@$package" "$examples"
done

if is_selected micrograd; then
    "$PYTHON" -m pip show --quiet micrograd 2>/dev/null || "$PYTHON" -m pip install "micrograd==0.1.0"
    run_campaign micrograd micrograd.engine:Value 2000
fi
