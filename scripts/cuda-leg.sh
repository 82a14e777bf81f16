#!/usr/bin/env bash
# The CUDA leg: every claim, benchmark and (when present) the printed-tutorial replay on cpu + cuda,
# written to one folder. Run from a clone on a machine with a GPU and a CUDA build of torch already
# installed; it installs nothing and needs no network (torch, numpy, pytest, packaging; pytest-benchmark
# and pytest-xdist are used when present).
#
#   bash scripts/cuda-leg.sh [OUT]          # OUT defaults to results/cuda-<gpu>-torch<version>
#   DEVICES=cpu bash scripts/cuda-leg.sh    # dry run of the same steps on a machine without a GPU
#
# Then: python -m spec matrix --from-reports cpu.json OUT/claims.json   (a real CUDA column)
set -uo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
devices=${DEVICES:-cpu,cuda}
seeds=${TORCH_SPEC_SEEDS:-../shared/seeds}

if [[ "$devices" == *cuda* ]] && ! $py -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "cuda-leg: torch.cuda.is_available() is False here ($($py -c 'import torch; print(torch.__version__, "CUDA build", torch.version.cuda)' 2>&1)); use a CUDA build of torch on a GPU machine, or DEVICES=cpu for a dry run" >&2
  exit 4
fi
tag=$($py -c 'import torch, re; n = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"; print(re.sub(r"[^a-z0-9]+", "-", n.lower().replace("nvidia", "")).strip("-") + "-torch" + torch.__version__.split("+")[0])')
out=${1:-results/cuda-$tag}
mkdir -p "$out"
echo "cuda-leg: torch $($py -c 'import torch; print(torch.__version__)'), devices $devices, writing $out/"

# 0. the environment, as the report will record it
$py - > "$out/environment.json" <<'PY'
import json
from spec.report import environment
print(json.dumps(environment(), indent=2))
PY

# 1. every claim (benchmarks once, untimed) on cpu and cuda, with the JSON report
xdist=(); $py -c 'import xdist' 2>/dev/null && xdist=(-n 4)
rc_claims=0
$py -m spec --devices "$devices" --claims-report "$out/claims.json" -p no:randomly -p no:cacheprovider \
    "${xdist[@]}" > "$out/claims.txt" 2>&1 || rc_claims=$?
tail -n 4 "$out/claims.txt"

# 2. the benchmarks, timed, serially (cuda synchronized); pytest-benchmark's JSON beside the tables
rc_bench=0
if $py -c 'import pytest_benchmark' 2>/dev/null; then
  $py -m spec bench --devices "$devices" --threads 1 --json "$out/bench.json" -p no:randomly \
      > "$out/bench.txt" 2>&1 || rc_bench=$?
  tail -n 3 "$out/bench.txt"
else
  echo "cuda-leg: pytest-benchmark not installed: benchmarks not timed" | tee "$out/bench.txt"
fi

# 3. the tutorials as printed (when this checkout has `python -m spec replay` and the seeds are here)
rc_replay=0
if [ -d spec/replay ] && [ -d "$seeds" ]; then
  $py -m spec replay --seeds "$seeds" --json "$out/replay.json" > "$out/replay.txt" 2>&1 || rc_replay=$?
  tail -n 2 "$out/replay.txt"
fi

echo "cuda-leg: claims rc=$rc_claims bench rc=$rc_bench replay rc=$rc_replay; outputs in $out/"
[ $rc_claims -eq 0 ] && [ $rc_bench -eq 0 ] && [ $rc_replay -eq 0 ]
